//! The brand's logo in the ad: how large it is, and how it is drawn.
//!
//! Size: by area rather than by height, so a square mark and a long wordmark look equally
//! heavy: a square logo's side is a share of the canvas's short side (larger in banners,
//! where the short side is all there is), a wide one is lower and a tall one narrower, each
//! capped so that an extreme shape (a 10:1 wordmark, a 1:4 emblem) cannot take over the
//! layout. The transparent margin many logo files carry is trimmed first, so the drawn mark,
//! not its file, gets the size and the clear space.
//!
//! Clear space: at least a quarter of the logo's height on every side, kept free of copy, the
//! rule and the button (the copy under a logo starts half its height below it). Each layout
//! reserves this slot before it fits its copy (see `plan`), so the copy shrinks, or the images
//! give way, instead of the copy running under the logo.
//!
//! Drawing: alpha-blended over whatever is behind it. A logo that would vanish into its
//! ground (most of its pixels below 1.5:1 contrast, e.g. a dark mark on a dark brand colour)
//! gets a rounded plate, the ground pushed towards white or ink just far enough for 4.5:1.
//! The plan predicts this from the brand gradient, so the plate takes the logo's slot (the
//! logo shrinks inside it) rather than spilling into the clear space.

use image::{GenericImageView, Rgba, RgbaImage};

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

/// The gap between a logo and the copy under it: twice the clear space, so a plate (which
/// takes part of the clear space) still leaves the logo apart from the copy.
pub(super) fn copy_gap(height: f32) -> f32 {
    (2.0 * CLEAR_SPACE * height).ceil()
}

/// The share of a plated logo's slot height the plate shows around the logo.
const PLATE_PAD: f32 = 0.14;

/// Whether the logo's visible part would be lost on `ground` (so the plan makes room for a
/// plate inside the logo's slot).
pub(super) fn needs_plate(logo: &RgbaView<'_>, mark: &Mark, ground: Rgb) -> bool {
    let region = (mark.x, mark.y, mark.width, mark.height);
    plate_tone(logo, region, ground).is_some()
}

/// A plated logo's slot split into the plate and the logo inside it: the logo shrinks, keeping
/// its shape, until it and an even border of plate fit the slot's height; the plate sits in
/// the slot as the layout aligns its copy (`align`: 0 left, 0.5 centre, 1 right).
pub(super) fn inset_for_plate(slot: Rect, align: f32) -> (Rect, Rect) {
    let pad = (PLATE_PAD * slot.height).round().max(1.0);
    let height = (slot.height - 2.0 * pad).max(1.0);
    let width = (slot.width * height / slot.height.max(1.0))
        .round()
        .max(1.0);
    let plate_width = width + 2.0 * pad;
    let x = (slot.x + (slot.width - plate_width) * align).round();
    let plate = Rect::new(x, slot.y, plate_width, slot.height);
    let logo = Rect::new(x + pad, slot.y + pad, width, height);
    (logo, plate)
}

/// Draws the logo into `rect` (whole pixels). `plate` is the backing the plan made room for;
/// it is drawn when the ground under it really would swallow the logo, and a logo the plan
/// did not expect to need one (an accent shape under it) gets a plate around it.
pub(super) fn paint(
    canvas: &mut RgbaImage,
    logo: &RgbaView<'_>,
    mark: &Mark,
    rect: &Rect,
    plate: Option<&Rect>,
) {
    let crop = RgbaImage::from_fn(mark.width, mark.height, |x, y| {
        *logo.get_pixel(mark.x + x, mark.y + y)
    });
    let art = contain(&crop, rect.width as u32, rect.height as u32);
    let (aw, ah) = art.dimensions();
    let backing = plate.copied().unwrap_or_else(|| {
        let pad = (PLATE_PAD * rect.height).round().max(2.0);
        Rect::new(
            rect.x - pad,
            rect.y - pad,
            rect.width + 2.0 * pad,
            rect.height + 2.0 * pad,
        )
    });
    let ground = mean_colour(canvas, &backing);
    if let Some(tone) = plate_tone(&art, (0, 0, aw, ah), ground) {
        let radius = (rect.y - backing.y).max(2.0) * 1.2;
        fill_rounded_rect(canvas, &backing, radius, tone);
    }
    // `contain` may come out a pixel short of the box: centre what it made.
    let x = rect.x + ((rect.width - aw as f32) / 2.0).floor();
    let y = rect.y + ((rect.height - ah as f32) / 2.0).floor();
    draw_tile(canvas, &art, x as i64, y as i64, 0.0);
}

/// A plate colour when most of the visible pixels of `region` of `img` would be lost on
/// `ground`: the ground pushed towards white or ink (whichever sets the logo off better) just
/// far enough.
fn plate_tone<I: GenericImageView<Pixel = Rgba<u8>>>(
    img: &I,
    (x0, y0, w, h): (u32, u32, u32, u32),
    ground: Rgb,
) -> Option<Rgb> {
    let step_x = (w / 64).max(1) as usize;
    let step_y = (h / 64).max(1) as usize;
    let (mut lost, mut seen) = (0u32, 0u32);
    let mut sum = [0u64; 3];
    for y in (y0..y0 + h).step_by(step_y) {
        for x in (x0..x0 + w).step_by(step_x) {
            let p = img.get_pixel(x, y);
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
    let towards = if contrast(WHITE, logo) >= contrast(INK, logo) {
        WHITE
    } else {
        INK
    };
    // As little of the way as sets the logo off (4.5:1), so the plate keeps the brand's tone.
    [0.85, 0.93, 1.0]
        .iter()
        .map(|t| mix(ground, towards, *t))
        .find(|plate| contrast(*plate, logo) >= 4.5)
        .or(Some(towards))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::image_view;

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
        let all = (0, 0, 20, 10);
        assert!(plate_tone(&dark, all, [25, 25, 35]).is_some());
        assert!(plate_tone(&dark, all, [240, 240, 240]).is_none());
        let plate = plate_tone(&dark, all, [25, 25, 35]).expect("plate");
        assert!(contrast(plate, [20, 20, 30]) > 3.0, "{plate:?}");
    }
}
