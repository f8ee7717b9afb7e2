//! The canvas geometry that does not depend on the copy: which layout the shape calls for, the
//! margins and safe area, the largest block the collage may fill, and where the accent shapes
//! sit. Kept apart so the copy fitting, the collage and the painting all read one geometry.

use crate::draw::Rect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Stacked,
    Side,
    Banner,
    Typographic,
}

/// The canvas geometry that does not depend on the copy.
pub(super) struct Frame {
    pub(super) w: f32,
    pub(super) h: f32,
    /// Short side.
    pub(super) s: f32,
    pub(super) mode: Mode,
    pub(super) margin: f32,
    pub(super) safe: Rect,
    /// The block the collage fills, when there are references (for stacked layouts, the
    /// largest it can be: the copy may claim some of it).
    pub(super) images: Option<Rect>,
}

impl Frame {
    pub(super) fn new(width: u32, height: u32, references: usize) -> Frame {
        let (w, h) = (width.max(1) as f32, height.max(1) as f32);
        let s = w.min(h);
        let aspect = w / h;
        let mode = if aspect >= 3.0 {
            Mode::Banner
        } else if references == 0 {
            Mode::Typographic
        } else if aspect >= 1.3 {
            Mode::Side
        } else {
            Mode::Stacked
        };
        let margin = (s * if mode == Mode::Banner { 0.1 } else { 0.06 }).max(3.0);
        // Story formats (9:16) put the platform's own interface over the top and bottom.
        let (top, bottom) = if (0.5..0.6).contains(&aspect) {
            ((0.13 * h).max(margin), (0.18 * h).max(margin))
        } else {
            (margin, margin)
        };
        let safe = Rect::new(margin, top, w - 2.0 * margin, h - top - bottom);
        let images = (references > 0).then(|| match mode {
            Mode::Stacked => {
                let (_, bottom) = stacked_image_bottom(aspect, h);
                Rect::new(margin, margin, w - 2.0 * margin, bottom - margin)
            }
            Mode::Side => {
                let split = if aspect >= 2.0 { 0.46 } else { 0.5 };
                Rect::new(margin, margin, w * split - 1.5 * margin, h - 2.0 * margin)
            }
            // (Typographic layouts have no references; the arm only completes the match.)
            Mode::Banner | Mode::Typographic => {
                let bh = h - 2.0 * margin;
                let bw = (references as f32 * bh * 1.25).min(w * 0.34);
                Rect::new(margin, margin, bw, bh)
            }
        });
        Frame {
            w,
            h,
            s,
            mode,
            margin,
            safe,
            images,
        }
    }

    pub(super) fn radius(&self) -> f32 {
        (self.s * 0.022).max(2.0)
    }

    pub(super) fn gap(&self) -> f32 {
        (self.s * 0.014).max(2.0).round()
    }
}

/// The range (in pixels from the top) where a stacked layout's image block may end: the copy
/// takes what it needs below it, within these bounds. Narrow canvases set short lines, so
/// their copy needs less height than their width suggests and the images may reach further.
pub(super) fn stacked_image_bottom(aspect: f32, h: f32) -> (f32, f32) {
    if aspect < 0.4 {
        (0.42 * h, 0.74 * h)
    } else if aspect < 0.7 {
        (0.5 * h, 0.72 * h)
    } else {
        (0.53 * h, 0.7 * h)
    }
}

/// The typographic layout's two accent discs, large first, as (centre, radius).
pub(super) fn typographic_circles(frame: &Frame) -> [((f32, f32), f32); 2] {
    let Frame { w, h, s, .. } = *frame;
    if w / h >= 1.3 {
        let r = 0.62 * h;
        let big = ((w - 0.18 * h, 0.22 * h), r);
        let small = ((w - 0.18 * h - 0.9 * r, 0.22 * h + 0.95 * r), 0.28 * h);
        [big, small]
    } else {
        let r = 0.3 * s;
        let big = ((w - 0.1 * s, 0.1 * s + (frame.safe.y - frame.margin)), r);
        let small = ((big.0.0 - 1.05 * r, big.0.1 + 0.85 * r), 0.12 * s);
        [big, small]
    }
}

/// A half disc against the left edge of a banner with no references: (centre y, right edge).
pub(super) fn banner_disc(frame: &Frame) -> (f32, f32) {
    (frame.h / 2.0, frame.h * 0.55)
}

#[cfg(test)]
mod tests {
    use super::super::layout_text;
    use super::super::tests::{ad, photos};
    use adgen::contract::output::{AspectRatio, Resolution, pixel_size};

    #[test]
    fn story_text_keeps_out_of_the_top_13_and_bottom_18_percent() {
        let size = pixel_size(AspectRatio::R9x16, Resolution::R1K);
        let long = "A headline that goes on and on to fill the box ".repeat(5);
        for count in [0, 2] {
            let refs = photos(count);
            let text = layout_text(&ad(size, &long, Some(&long), Some("Go"), &refs));
            let h = size.1 as f32;
            for line in &text.lines {
                assert!(
                    line.rect.y >= 0.13 * h && line.rect.bottom() <= 0.82 * h,
                    "{line:?}"
                );
            }
        }
    }
}
