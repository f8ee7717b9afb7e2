//! The brand's logo in the ad: how large it is, and how it is drawn.
//!
//! Size: by area rather than by height, so a square mark and a long wordmark look equally
//! heavy: a square logo's side is a share of the canvas's short side (larger in banners,
//! where the short side is all there is), a wide one is lower and a tall one narrower, each
//! capped so that an extreme shape (a 10:1 wordmark, a 1:4 emblem) cannot take over the
//! layout. The transparent margin many logo files carry is trimmed first, so the drawn mark,
//! not its file, gets the size and the clear space.
//!
//! Clear space: a quarter of the logo's height on every side, kept free of copy, the rule and
//! the button. Each layout reserves this slot before it fits its copy (see `plan`), so the
//! copy shrinks to make room instead of running under the logo.
//!
//! Drawing: alpha-blended over whatever is behind it. A logo that would vanish into its
//! ground (most of its pixels below 1.5:1 contrast, e.g. a dark mark on a dark brand colour)
//! gets a subtle rounded plate in a tone that sets it off.

use image::RgbaImage;

use crate::codec::RgbaView;
use crate::draw::{
    INK, Rect, Rgb, WHITE, contrast, draw_tile, fill_rounded_rect, mean_colour, mix,
};
use crate::resize::contain;

/// Clear space on each side, as a share of the logo's height.
pub(super) const CLEAR_SPACE: f32 = 0.25;
/// Below this height a logo is a smudge: it is left out.
const MIN_HEIGHT: f32 = 8.0;
/// Below this contrast with its ground a logo pixel counts as lost.
const LOST_CONTRAST: f32 = 1.5;

/// The logo's visible part: the bounding box of its pixels that are not (nearly) transparent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
}

impl Mark {
    /// `None` for an empty or fully transparent logo.
    pub(super) fn find(logo: &RgbaView<'_>) -> Option<Mark> {
        let (w, h) = logo.dimensions();
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for (x, y, p) in logo.enumerate_pixels() {
            if p[3] >= 16 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
        (x0 < w && y0 < h).then(|| Mark {
            x: x0,
            y: y0,
            width: x1 - x0 + 1,
            height: y1 - y0 + 1,
        })
    }

    pub(super) fn aspect(&self) -> f32 {
        self.width as f32 / self.height as f32
    }
}

/// The logo's size for a layout: `side` is the side a square logo would have; the result is
/// no wider than `max_width` and no taller than `max_height`. `None` when that leaves too
/// little to read.
pub(super) fn size(mark: &Mark, side: f32, max_width: f32, max_height: f32) -> Option<(f32, f32)> {
    let aspect = mark.aspect();
    // Equal area for every shape, but a wide logo gets a little more (it is read, not seen)
    // and a tall one no taller than 1.3 sides.
    let mut height = (side / aspect.sqrt() * aspect.powf(0.15)).min(1.3 * side);
    height = height.min(max_height).min(max_width / aspect);
    let width = height * aspect;
    (height >= MIN_HEIGHT && width >= 1.0).then_some((width.round(), height.round()))
}

/// The clear space around a logo of height `height`.
pub(super) fn clear_space(height: f32) -> f32 {
    (CLEAR_SPACE * height).ceil()
}

/// Draws the logo into `rect` (whole pixels), with a backing plate when it would be lost on
/// the ground under it.
pub(super) fn paint(canvas: &mut RgbaImage, logo: &RgbaView<'_>, mark: &Mark, rect: &Rect) {
    let crop = RgbaImage::from_fn(mark.width, mark.height, |x, y| {
        *logo.get_pixel(mark.x + x, mark.y + y)
    });
    let art = contain(&crop, rect.width as u32, rect.height as u32);
    let ground = mean_colour(canvas, rect);
    if let Some(plate) = plate_tone(&art, ground) {
        let pad = (CLEAR_SPACE * rect.height * 0.55).max(2.0);
        let backing = Rect::new(
            rect.x - pad,
            rect.y - pad,
            rect.width + 2.0 * pad,
            rect.height + 2.0 * pad,
        );
        fill_rounded_rect(canvas, &backing, pad * 1.2, plate);
    }
    // `contain` may come out a pixel short of the box: centre what it made.
    let (aw, ah) = art.dimensions();
    let x = rect.x + ((rect.width - aw as f32) / 2.0).floor();
    let y = rect.y + ((rect.height - ah as f32) / 2.0).floor();
    draw_tile(canvas, &art, x as i64, y as i64, 0.0);
}

/// A plate colour when most of the logo's visible pixels would be lost on `ground`: the
/// ground pushed most of the way to white or ink, whichever sets the logo off better.
fn plate_tone(art: &RgbaImage, ground: Rgb) -> Option<Rgb> {
    let (w, h) = art.dimensions();
    let step_x = (w / 64).max(1) as usize;
    let step_y = (h / 64).max(1) as usize;
    let (mut lost, mut seen) = (0u32, 0u32);
    let mut sum = [0u64; 3];
    for y in (0..h).step_by(step_y) {
        for x in (0..w).step_by(step_x) {
            let p = art.get_pixel(x, y);
            if p[3] < 128 {
                continue;
            }
            let c = [p[0], p[1], p[2]];
            seen += 1;
            lost += u32::from(contrast(c, ground) < LOST_CONTRAST);
            for i in 0..3 {
                sum[i] += u64::from(c[i]);
            }
        }
    }
    if seen == 0 || lost * 2 <= seen {
        return None;
    }
    let logo = sum.map(|s| (s / u64::from(seen)) as u8);
    let (light, dark) = (mix(ground, WHITE, 0.85), mix(ground, INK, 0.85));
    Some(if contrast(light, logo) >= contrast(dark, logo) {
        light
    } else {
        dark
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::image_view;
    use image::Rgba;

    #[test]
    fn the_mark_is_the_visible_part() {
        let mut img = RgbaImage::new(40, 20);
        for y in 5..10 {
            for x in 10..30 {
                img.put_pixel(x, y, Rgba([1, 2, 3, 255]));
            }
        }
        let mark = Mark::find(&image_view(&img)).expect("visible");
        assert_eq!((mark.x, mark.y, mark.width, mark.height), (10, 5, 20, 5));
        assert!(Mark::find(&image_view(&RgbaImage::new(8, 8))).is_none());
    }

    #[test]
    fn wide_and_tall_logos_are_capped() {
        let mark = |w, h| Mark {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        let (w, h) = size(&mark(100, 100), 100.0, 1000.0, 1000.0).expect("square");
        assert_eq!((w, h), (100.0, 100.0));
        let (w, h) = size(&mark(1000, 100), 100.0, 250.0, 1000.0).expect("wide");
        assert!(w <= 250.0 && h <= 25.0, "{w}x{h}");
        let (w, h) = size(&mark(100, 1000), 100.0, 1000.0, 1000.0).expect("tall");
        assert!(h <= 130.0 && w <= 13.0, "{w}x{h}");
        assert!(
            size(&mark(100, 100), 4.0, 1000.0, 1000.0).is_none(),
            "too small"
        );
    }

    #[test]
    fn a_logo_lost_on_its_ground_gets_a_plate() {
        let dark = RgbaImage::from_pixel(20, 10, Rgba([20, 20, 30, 255]));
        assert!(plate_tone(&dark, [25, 25, 35]).is_some());
        assert!(plate_tone(&dark, [240, 240, 240]).is_none());
        let plate = plate_tone(&dark, [25, 25, 35]).expect("plate");
        assert!(contrast(plate, [20, 20, 30]) > 3.0, "{plate:?}");
    }
}
