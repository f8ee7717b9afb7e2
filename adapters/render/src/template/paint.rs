//! Drawing a planned ad, back to front: the brand gradient, the accent shapes, the reference
//! tiles, then the rule, the button and the lines of copy, in colours chosen against what
//! ended up under them. Nothing here moves anything: every position comes from the plan.

use image::RgbaImage;

use super::frame::{Frame, Mode, banner_disc, typographic_circles};
use super::{Role, TextLayout};
use crate::codec::RgbaView;
use crate::draw::{
    INK, Rect, Rgb, WHITE, contrast, draw_tile, fill_circle, fill_rounded_rect, gradient_canvas,
    mix,
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

/// WCAG's minimum contrast for body text; the template holds all copy to it.
pub(crate) const MIN_CONTRAST: f32 = 4.5;

/// The colours the copy is drawn in, chosen against what is under it, and the worst
/// contrast each block keeps against any pixel of its ground.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Inks {
    pub(super) headline: Rgb,
    pub(super) body: Rgb,
    pub(super) label: Rgb,
    /// Worst contrast per role: headline, body, call to action.
    pub(super) contrast: [f32; 3],
}

impl Inks {
    pub(super) fn colour(&self, role: Role) -> Rgb {
        match role {
            Role::Headline => self.headline,
            Role::Body => self.body,
            Role::CallToAction => self.label,
        }
    }
}

/// Everything behind the copy's glyphs: the rule, the button (its fill made dark or light
/// enough for its label) and, where the ground is too busy for any colour to reach
/// [`MIN_CONTRAST`], a scrim behind the block. Returns the colours to draw the glyphs in.
pub(super) fn backing(
    canvas: &mut RgbaImage,
    text_layout: &TextLayout,
    text_colour: Rgb,
    accent: Rgb,
) -> Inks {
    if let Some(rule) = &text_layout.rule {
        fill_rounded_rect(canvas, rule, rule.height / 2.0, accent);
    }
    let mut contrast_of = [f32::INFINITY; 3];
    let mut inks = [text_colour; 3];
    for (i, role) in [Role::Headline, Role::Body].into_iter().enumerate() {
        let rects: Vec<Rect> = text_layout
            .lines
            .iter()
            .filter(|l| l.role == role)
            .map(|l| l.rect)
            .collect();
        if rects.is_empty() {
            continue;
        }
        let samples = ground_samples(canvas, &rects);
        let preferred = if role == Role::Body {
            // A softer body: the headline's ink a little towards the ground.
            mix(inks[0], mean(&samples), 0.18)
        } else {
            text_colour
        };
        let (ink, worst) = pick_ink(&samples, &[preferred, inks[0], WHITE, INK]);
        if worst >= MIN_CONTRAST {
            inks[i] = ink;
            contrast_of[i] = worst;
            continue;
        }
        // Nothing reads on this ground everywhere: a scrim behind the block, opaque enough
        // for the better of white and ink.
        let ink = if worst_contrast(&samples, WHITE) >= worst_contrast(&samples, INK) {
            WHITE
        } else {
            INK
        };
        let shade = if ink == WHITE { INK } else { WHITE };
        let area = padded_union(&rects, text_layout.lines[0].size * 0.35);
        let mut alpha = 0.5;
        while alpha < 1.0 && worst_contrast(&blended(&samples, shade, alpha), ink) < MIN_CONTRAST {
            alpha += 0.05;
        }
        let alpha = alpha.min(1.0);
        fill_scrim(canvas, &area, shade, alpha);
        inks[i] = ink;
        contrast_of[i] = worst_contrast(&ground_samples(canvas, &rects), ink);
    }
    if let Some(button) = &text_layout.button {
        // The label in white or ink, whichever reads better; the fill darkened or lightened
        // until the label reaches the minimum.
        let label = if contrast(WHITE, accent) >= contrast(INK, accent) {
            WHITE
        } else {
            INK
        };
        let away = if label == WHITE { INK } else { WHITE };
        let mut fill = accent;
        let mut t = 0.0;
        while contrast(label, fill) < MIN_CONTRAST && t < 1.0 {
            t += 0.05;
            fill = mix(accent, away, t);
        }
        fill_rounded_rect(canvas, button, button.height * 0.22, fill);
        inks[2] = label;
        contrast_of[2] = contrast(label, fill);
    }
    Inks {
        headline: inks[0],
        body: inks[1],
        label: inks[2],
        contrast: contrast_of,
    }
}

/// The lines of copy, in the colours [`backing`] chose.
pub(super) fn glyphs(canvas: &mut RgbaImage, text_layout: &TextLayout, inks: &Inks) {
    for line in &text_layout.lines {
        text::draw_glyphs(
            canvas,
            &line.glyphs,
            line.size,
            (line.rect.x, line.baseline),
            inks.colour(line.role),
        );
    }
}

/// Ground colours under `rects`, on a grid of at most 48×12 points per rect.
pub(super) fn ground_samples(canvas: &RgbaImage, rects: &[Rect]) -> Vec<Rgb> {
    let mut samples = Vec::new();
    for rect in rects {
        let (x0, y0, x1, y1) = rect.pixel_span(canvas.width(), canvas.height());
        if x1 <= x0 || y1 <= y0 {
            continue;
        }
        let step_x = ((x1 - x0) / 48).max(1) as usize;
        let step_y = ((y1 - y0) / 12).max(1) as usize;
        for y in (y0..y1).step_by(step_y) {
            for x in (x0..x1).step_by(step_x) {
                let p = canvas.get_pixel(x, y);
                samples.push([p[0], p[1], p[2]]);
            }
        }
    }
    samples
}

/// The lowest contrast `ink` has against any of `samples`.
pub(super) fn worst_contrast(samples: &[Rgb], ink: Rgb) -> f32 {
    samples
        .iter()
        .map(|s| contrast(ink, *s))
        .fold(f32::INFINITY, f32::min)
}

/// The first candidate reaching [`MIN_CONTRAST`] everywhere, else the best of them.
fn pick_ink(samples: &[Rgb], candidates: &[Rgb]) -> (Rgb, f32) {
    let scored: Vec<(Rgb, f32)> = candidates
        .iter()
        .map(|c| (*c, worst_contrast(samples, *c)))
        .collect();
    scored
        .iter()
        .copied()
        .find(|(_, w)| *w >= MIN_CONTRAST)
        .or_else(|| scored.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)))
        .unwrap_or((WHITE, 1.0))
}

fn mean(samples: &[Rgb]) -> Rgb {
    if samples.is_empty() {
        return [0, 0, 0];
    }
    let mut sum = [0u64; 3];
    for s in samples {
        for i in 0..3 {
            sum[i] += u64::from(s[i]);
        }
    }
    let n = samples.len() as u64;
    [(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8]
}

fn blended(samples: &[Rgb], shade: Rgb, alpha: f32) -> Vec<Rgb> {
    samples.iter().map(|s| mix(*s, shade, alpha)).collect()
}

fn padded_union(rects: &[Rect], pad: f32) -> Rect {
    let x0 = rects.iter().map(|r| r.x).fold(f32::INFINITY, f32::min) - pad;
    let y0 = rects.iter().map(|r| r.y).fold(f32::INFINITY, f32::min) - pad;
    let x1 = rects
        .iter()
        .map(|r| r.right())
        .fold(f32::NEG_INFINITY, f32::max)
        + pad;
    let y1 = rects
        .iter()
        .map(|r| r.bottom())
        .fold(f32::NEG_INFINITY, f32::max)
        + pad;
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// `shade` over `area` at `alpha`, every pixel (the contrast reckoning assumed it).
fn fill_scrim(canvas: &mut RgbaImage, area: &Rect, shade: Rgb, alpha: f32) {
    let (x0, y0, x1, y1) = area.pixel_span(canvas.width(), canvas.height());
    for y in y0..y1 {
        for x in x0..x1 {
            let p = canvas.get_pixel_mut(x, y);
            let mixed = mix([p[0], p[1], p[2]], shade, alpha);
            p.0 = [mixed[0], mixed[1], mixed[2], 255];
        }
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
