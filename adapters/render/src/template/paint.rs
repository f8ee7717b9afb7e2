//! Drawing a planned ad, back to front: the brand gradient, the accent shapes, the reference
//! tiles, then the rule, the button and the lines of copy, in colours chosen against what
//! ended up under them. Nothing here moves anything: every position comes from the plan.

use image::RgbaImage;

use super::frame::{Frame, Mode, banner_disc, typographic_circles};
use super::{Role, TextLayout};
use crate::codec::RgbaView;
use crate::draw::{
    INK, Rect, Rgb, WHITE, contrast, draw_tile, fill_circle, fill_rounded_rect, gradient_canvas,
    mean_colour, mix, readable_on,
};
use crate::palette::gradient_end;
use crate::resize::cover;
use crate::text;

/// A fresh canvas: the background colour fading to its gradient end.
pub(super) fn ground(width: u32, height: u32, background: Rgb) -> RgbaImage {
    gradient_canvas(
        width.max(1),
        height.max(1),
        background,
        gradient_end(background),
    )
}

/// The accent shapes of layouts that have no images to carry them: the typographic discs,
/// and the half disc of a banner without references.
pub(super) fn accents(canvas: &mut RgbaImage, frame: &Frame, accent: Rgb, references: usize) {
    match frame.mode {
        Mode::Typographic => {
            let [big, small] = typographic_circles(frame);
            fill_circle(canvas, big.0, big.1, None, accent, 1.0);
            let ring = (frame.s * 0.022).max(1.5);
            fill_circle(
                canvas,
                small.0,
                small.1 - ring / 2.0,
                Some(ring),
                accent,
                0.9,
            );
        }
        Mode::Banner if references == 0 => {
            let (cy, right) = banner_disc(frame);
            fill_circle(canvas, (0.0, cy), right, None, accent, 1.0);
        }
        _ => {}
    }
}

/// Each reference cropped to cover its cell, with rounded corners.
pub(super) fn tiles(
    canvas: &mut RgbaImage,
    references: &[RgbaView<'_>],
    cells: &[Rect],
    radius: f32,
) {
    for (img, cell) in references.iter().zip(cells) {
        let tile = cover(img, cell.width as u32, cell.height as u32);
        draw_tile(canvas, &tile, cell.x as i64, cell.y as i64, radius);
    }
}

/// The rule, the button and the lines of copy. Drawn last: the colours are read off the
/// ground under the copy, so the brand's text colour is used only where it stays readable.
pub(super) fn copy(
    canvas: &mut RgbaImage,
    text_layout: &TextLayout,
    text_colour: Rgb,
    accent: Rgb,
) {
    let ground = mean_colour(canvas, &text_layout.text_box);
    let headline_colour = readable_on(ground, text_colour, 4.5);
    let softened = mix(headline_colour, ground, 0.18);
    let body_colour = if contrast(softened, ground) >= 4.5 {
        softened
    } else {
        headline_colour
    };
    let label_colour = if contrast(WHITE, accent) >= contrast(INK, accent) {
        WHITE
    } else {
        INK
    };

    if let Some(rule) = &text_layout.rule {
        fill_rounded_rect(canvas, rule, rule.height / 2.0, accent);
    }
    if let Some(button) = &text_layout.button {
        fill_rounded_rect(canvas, button, button.height * 0.22, accent);
    }
    for line in &text_layout.lines {
        let colour = match line.role {
            Role::Headline => headline_colour,
            Role::Body => body_colour,
            Role::CallToAction => label_colour,
        };
        text::draw_line(
            canvas,
            line.face,
            line.size,
            (line.rect.x, line.baseline),
            &line.text,
            colour,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ad;
    use super::super::{layout_text, render_ad};
    use crate::draw;
    use adgen::contract::output::{AspectRatio, Resolution, pixel_size};
    use adgen::pixels::Colours;

    #[test]
    fn headline_colour_contrasts_with_its_ground_whatever_the_brand_says() {
        let size = pixel_size(AspectRatio::R1x1, Resolution::R512);
        let mut layout = ad(size, "Readable", None, None, &[]);
        // Text colour equal to the background: the template must not obey it.
        layout.colours = Colours {
            background: [30, 30, 60],
            accent: [240, 200, 0],
            text: [30, 30, 60],
        };
        let img = render_ad(&layout);
        let line = layout_text(&layout).lines[0].clone();
        let brightest = (line.rect.y as u32..line.rect.bottom() as u32)
            .flat_map(|y| (line.rect.x as u32..line.rect.right() as u32).map(move |x| (x, y)))
            .map(|(x, y)| {
                draw::luminance({
                    let p = img.get_pixel(x, y);
                    [p[0], p[1], p[2]]
                })
            })
            .fold(0.0, f32::max);
        assert!(brightest > 0.8, "headline luminance {brightest}");
    }
}
