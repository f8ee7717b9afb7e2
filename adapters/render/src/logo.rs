//! Logos made ready to store and draw (the `ImageCodec::prepare_logo` port): a raster logo is
//! decoded under the reference limits (judged by its bytes, never its declared type), shrunk
//! to at most `MAX_LOGO_SIDE` a side and stored as PNG, so every later reader decodes one
//! small, known-good format with its transparency intact. An SVG logo (also judged by its
//! bytes) is checked and rasterised by [`svg`] at `MAX_LOGO_SIDE` on its longest side: a
//! vector logo has no native size, and the largest raster we keep serves every ad size.

use adgen::contract::reference::ImageKind;
use adgen::ports::{ImageError, LogoFormat, MAX_LOGO_SIDE, PreparedLogo};
use bytes::Bytes;
use image::ImageFormat as Container;

use crate::decode::{DecodeLimits, decode};
use crate::resize::contain;

mod svg;

/// Checks, decodes (or rasterises) and normalises a logo.
pub fn prepare(bytes: &[u8], limits: DecodeLimits) -> Result<PreparedLogo, ImageError> {
    let (image, source_format) = match ImageKind::sniff(bytes) {
        Some(kind) => {
            let source_format = match kind {
                ImageKind::Png => LogoFormat::Png,
                ImageKind::Jpeg => LogoFormat::Jpeg,
                ImageKind::Webp => LogoFormat::Webp,
            };
            let decoded = decode(bytes, limits)?.image;
            let (w, h) = decoded.dimensions();
            let image = if w.max(h) > MAX_LOGO_SIDE {
                contain(&decoded, MAX_LOGO_SIDE, MAX_LOGO_SIDE)
            } else {
                decoded
            };
            (image, source_format)
        }
        None => {
            let prolog = svg::sniff(bytes).ok_or(ImageError::Unsupported)?;
            (svg::rasterise(bytes, prolog)?, LogoFormat::Svg)
        }
    };
    let (width, height) = image.dimensions();
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), Container::Png)
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    Ok(PreparedLogo {
        png: Bytes::from(png),
        width,
        height,
        source_format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    fn png_of(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, _| {
            Rgba([200, 10, 10, if x % 2 == 0 { 255 } else { 0 }])
        });
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), Container::Png)
            .expect("encodes");
        out
    }

    #[test]
    fn raster_logos_become_bounded_pngs_keeping_transparency() {
        let small = prepare(&png_of(64, 32), DecodeLimits::default()).expect("prepared");
        assert_eq!(
            (small.width, small.height, small.source_format),
            (64, 32, LogoFormat::Png)
        );
        let back = image::load_from_memory(&small.png).expect("png").to_rgba8();
        assert_eq!(back.get_pixel(1, 0)[3], 0, "transparency kept");

        let big = prepare(&png_of(3000, 1500), DecodeLimits::default()).expect("prepared");
        assert_eq!((big.width, big.height), (MAX_LOGO_SIDE, MAX_LOGO_SIDE / 2));
    }

    #[test]
    fn svg_logos_are_rasterised_to_the_longest_side() {
        let doc = br##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"><rect x="20" width="20" height="20" fill="#00ff00"/></svg>"##;
        let logo = prepare(doc, DecodeLimits::default()).expect("prepared");
        assert_eq!(
            (logo.width, logo.height, logo.source_format),
            (MAX_LOGO_SIDE, MAX_LOGO_SIDE / 2, LogoFormat::Svg)
        );
        let back = image::load_from_memory(&logo.png).expect("png").to_rgba8();
        assert_eq!(back.get_pixel(100, 100)[3], 0, "transparent left half");
        assert_eq!(
            *back.get_pixel(900, 100),
            Rgba([0, 255, 0, 255]),
            "green right half"
        );
    }

    #[test]
    fn refused_svgs_say_why() {
        let doc = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><script>x()</script></svg>"#;
        assert!(matches!(
            prepare(doc, DecodeLimits::default()),
            Err(ImageError::Refused(why)) if why.contains("script")
        ));
    }

    #[test]
    fn non_images_are_refused() {
        assert_eq!(
            prepare(b"GIF89a....", DecodeLimits::default()),
            Err(ImageError::Unsupported)
        );
    }
}
