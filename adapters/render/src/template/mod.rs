//! The offline ad template: brand-coloured ground, the references as a collage, a headline
//! fitted to its box, an optional body line and a call-to-action button.
//!
//! Layout follows the canvas shape:
//! - stacked (narrower than 1.3:1): images on top, copy centred below;
//! - side by side (1.3:1 up to 3:1): images left, copy left-aligned on the right;
//! - banner (3:1 and wider): images, copy and button in one row;
//! - typographic (no references, below 3:1): accent discs top right, a large headline below.
//!
//! Text and the button stay inside the safe area: margins proportional to the short side and,
//! on story canvases (9:16), out of the top 13 % and bottom 18 % that the platforms cover with
//! their own interface.
//!
//! This module holds the public API and the plan that ties the parts together: [`frame`] is
//! the geometry of the canvas, [`collage`] places the references, [`copy`] fits the text into
//! its box, and [`paint`] draws the finished plan.

mod collage;
mod copy;
mod frame;
mod paint;

use image::RgbaImage;

use crate::codec::RgbaView;
use crate::draw::Rect;
use crate::palette::visible_accent;
use adgen::pixels::Colours;
use collage::MAX_REFERENCES;
use copy::{Align, Anchor, MIN_BODY, Style, Wording, content_top, fit_stack, set_button};
use frame::{Frame, Mode, banner_disc, stacked_image_bottom, typographic_circles};

pub use collage::reference_target;

/// Everything the template needs for one ad.
#[derive(Debug, Clone, Copy)]
pub struct AdLayout<'a> {
    pub width: u32,
    pub height: u32,
    pub headline: &'a str,
    pub body: Option<&'a str>,
    pub call_to_action: Option<&'a str>,
    pub colours: Colours,
    /// Up to six are used, in order; the first gets the largest cell.
    pub references: &'a [RgbaView<'a>],
}

/// What a line of copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Headline,
    Body,
    CallToAction,
}

/// One set line: its text after wrapping and any shortening, and its box (advance width by
/// line height) on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub role: Role,
    pub text: String,
    pub rect: Rect,
    /// Font size in pixels (ascent-to-descent height).
    pub size: f32,
    pub baseline: f32,
}

/// Where the copy goes, computed before anything is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLayout {
    /// The area nothing textual may leave: the canvas less its margins and safe zones.
    pub safe: Rect,
    /// The box the copy was fitted into (inside `safe`).
    pub text_box: Rect,
    pub lines: Vec<TextLine>,
    pub button: Option<Rect>,
    /// The short accent rule above the headline, when the layout has one.
    pub rule: Option<Rect>,
}

/// Where every line of copy, the rule and the button go (exposed so tests and callers can
/// check that nothing leaves the canvas).
pub fn layout_text(layout: &AdLayout) -> TextLayout {
    plan(layout).text
}

/// Renders the ad. Same input, same pixels: embedded fonts, a fixed drawing order, no
/// threads, no clock.
pub fn render_ad(layout: &AdLayout) -> RgbaImage {
    let Plan { frame, cells, text } = plan(layout);
    let background = layout.colours.background;
    let accent = visible_accent(layout.colours.accent, background);
    let mut canvas = paint::ground(layout.width, layout.height, background);
    paint::accents(&mut canvas, &frame, accent, cells.len());
    paint::tiles(&mut canvas, layout.references, &cells, frame.radius());
    // Read the ground under the copy after everything behind it is drawn.
    paint::copy(&mut canvas, &text, layout.colours.text, accent);
    canvas
}

/// The whole composition, decided before any pixel is drawn.
struct Plan {
    frame: Frame,
    /// The collage cells, in reference order, on whole pixels.
    cells: Vec<Rect>,
    text: TextLayout,
}

/// Chooses each layout's text box and type sizes, fits the copy into it and gives the
/// collage the room that is left.
fn plan(layout: &AdLayout) -> Plan {
    let count = layout.references.len().min(MAX_REFERENCES);
    let frame = Frame::new(layout.width, layout.height, count);
    let wording = Wording::new(layout);
    let Frame {
        w, h, s, margin, ..
    } = frame;
    let safe = frame.safe;
    let mut images = frame.images;
    let text = match frame.mode {
        Mode::Stacked => {
            let (min_bottom, max_bottom) = stacked_image_bottom(w / h, h);
            let body = (s * 0.038).max(10.0);
            let style = Style::new(body, body * 3.1, Align::Centre, Anchor::Bottom, false);
            // Fit the copy in all the room it may have, then give the images what it left.
            let top = (min_bottom + margin).max(safe.y);
            let roomy = Rect::new(safe.x, top, safe.width, (safe.bottom() - top).max(0.0));
            let first = fit_stack(&wording, safe, roomy, style);
            let copy_top = content_top(&first).unwrap_or(safe.bottom());
            let image_bottom = (copy_top - margin).clamp(min_bottom, max_bottom);
            images = images
                .map(|block| Rect::new(block.x, block.y, block.width, image_bottom - block.y));
            let top = (image_bottom + margin).max(safe.y);
            let text_box = Rect::new(safe.x, top, safe.width, (safe.bottom() - top).max(0.0));
            fit_stack(
                &wording,
                safe,
                text_box,
                Style {
                    anchor: Anchor::Middle,
                    ..style
                },
            )
        }
        Mode::Side => {
            let block = images.unwrap_or(safe);
            let left = block.right() + 1.5 * margin;
            let text_box = Rect::new(left, safe.y, (safe.right() - left).max(0.0), safe.height);
            let body = (s * 0.045).max(10.0);
            fit_stack(
                &wording,
                safe,
                text_box,
                Style::new(body, body * 2.7, Align::Left, Anchor::Middle, true),
            )
        }
        Mode::Typographic => {
            let (left, top, right) = if w / h >= 1.3 {
                (safe.x + 0.5 * margin, safe.y, w * 0.64)
            } else {
                let lowest = typographic_circles(&frame)
                    .iter()
                    .map(|((_, cy), r)| cy + r)
                    .fold(0.0, f32::max);
                (
                    safe.x + 0.5 * margin,
                    (lowest + 0.5 * margin).max(safe.y),
                    safe.right() - 0.5 * margin,
                )
            };
            let text_box = Rect::new(
                left,
                top,
                (right - left).max(0.0),
                (safe.bottom() - top).max(0.0),
            );
            let body = (s * 0.04).max(10.0);
            fit_stack(
                &wording,
                safe,
                text_box,
                Style::new(body, body * 4.5, Align::Left, Anchor::Bottom, true),
            )
        }
        Mode::Banner => {
            let left = match images {
                Some(block) => block.right() + margin,
                None => banner_disc(&frame).1 + margin,
            };
            let body = (h * 0.13).max(MIN_BODY);
            let button = wording
                .call_to_action
                .as_ref()
                .map(|label| set_button(label, body, safe.width * 0.28));
            let right = match &button {
                Some(b) => safe.right() - b.rect.width - margin,
                None => safe.right(),
            };
            let text_box = Rect::new(left, safe.y, (right - left).max(0.0), safe.height);
            // Two body lines fit a 4:1 banner; an 8:1 strip has room for one.
            let body_lines = if w / h < 6.0 { 2 } else { 1 };
            let mut text = fit_stack(
                &Wording {
                    call_to_action: None,
                    ..wording
                },
                safe,
                text_box,
                Style::new(body, body * 2.3, Align::Left, Anchor::Middle, false)
                    .body_lines(body_lines),
            );
            if let Some(button) = button {
                let x = safe.right() - button.rect.width;
                let y = safe.y + (safe.height - button.rect.height) / 2.0;
                let (rect, label) = button.place(x, y);
                text.button = Some(rect);
                text.lines.push(label);
            }
            text
        }
    };
    let cells = collage::cells(&frame, images, count);
    Plan { frame, cells, text }
}

/// Whole-template tests, and the fixtures the part modules' tests share.
#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;
    use crate::codec::image_view;
    use adgen::contract::output::{AspectRatio, Resolution, pixel_size};

    pub(super) fn ratios() -> impl Iterator<Item = AspectRatio> {
        AspectRatio::ALL
            .iter()
            .copied()
            .filter(|r| *r != AspectRatio::Auto)
    }

    pub(super) fn photos(n: usize) -> Vec<RgbaImage> {
        (0..n)
            .map(|i| {
                RgbaImage::from_fn(48 + 8 * i as u32, 36, |x, y| {
                    Rgba([(x * 5) as u8, (y * 7) as u8, (40 * i) as u8, 255])
                })
            })
            .collect()
    }

    pub(super) fn ad<'a>(
        (width, height): (u32, u32),
        headline: &'a str,
        body: Option<&'a str>,
        cta: Option<&'a str>,
        references: &'a [RgbaImage],
    ) -> AdLayout<'a> {
        AdLayout {
            width,
            height,
            headline,
            body,
            call_to_action: cta,
            colours: Colours::default(),
            // Views borrow the test's images; leaking them keeps the helper a plain function.
            references: Box::leak(
                references
                    .iter()
                    .map(image_view)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
        }
    }

    pub(super) fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
    }

    #[test]
    fn every_aspect_ratio_renders_at_exactly_its_size() {
        let refs = photos(6);
        for (i, ratio) in ratios().enumerate() {
            let size = pixel_size(ratio, Resolution::R512);
            let count = i % 7;
            let layout = ad(
                size,
                "Fresh roast, delivered",
                Some("Beans from small farms, at your door in two days."),
                Some("Order now"),
                &refs[..count],
            );
            let img = render_ad(&layout);
            assert_eq!(img.dimensions(), size, "{ratio:?} with {count} references");
            assert!(img.pixels().all(|p| p[3] == 255), "{ratio:?}: opaque");
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        let refs = photos(3);
        let layout = ad(
            pixel_size(AspectRatio::R4x5, Resolution::R512),
            "Same input, same pixels",
            Some("Every time."),
            Some("Check"),
            &refs,
        );
        assert_eq!(render_ad(&layout).as_raw(), render_ad(&layout).as_raw());
    }

    /// Inputs that have broken templates before: nothing, a novel, one unbreakable word,
    /// control characters, and a call to action longer than any button.
    fn extreme_copy() -> Vec<(String, Option<String>, Option<String>)> {
        let long = "Discover our biggest autumn collection yet with hand-picked pieces for every \
                    room, sustainably made, delivered free, and guaranteed for ten years "
            .repeat(4);
        vec![
            ("".into(), None, None),
            ("Sale".into(), None, Some("Shop".into())),
            (
                long.clone(),
                Some(long.clone()),
                Some("Get started today with free delivery on every single order".into()),
            ),
            ("x".repeat(200), Some("y".repeat(200)), Some("z".repeat(60))),
            (
                "Line one\nLine two\t\u{7}with\u{0}controls".into(),
                Some("\n\n".into()),
                Some("   ".into()),
            ),
        ]
    }

    #[test]
    fn text_stays_inside_the_safe_area_and_off_the_images_at_every_ratio() {
        for resolution in [Resolution::R512, Resolution::R1K] {
            for ratio in ratios() {
                let size = pixel_size(ratio, resolution);
                for count in [0, 1, 3, 6] {
                    let refs = photos(count);
                    for (headline, body, cta) in extreme_copy() {
                        let layout = ad(size, &headline, body.as_deref(), cta.as_deref(), &refs);
                        let Plan { cells, text, frame } = plan(&layout);
                        let canvas = Rect::new(0.0, 0.0, size.0 as f32, size.1 as f32);
                        let context = format!(
                            "{ratio:?} {resolution:?} {count} refs, headline {:.20}",
                            headline
                        );
                        assert!(text.safe.is_within(&canvas), "{context}");
                        assert!(text.safe.x >= frame.margin - 0.01, "{context}: margin");
                        let mut boxes: Vec<Rect> = text.lines.iter().map(|l| l.rect).collect();
                        boxes.extend(text.button);
                        boxes.extend(text.rule);
                        for b in &boxes {
                            assert!(
                                b.is_within(&text.safe),
                                "{context}: {b:?} outside {:?}",
                                text.safe
                            );
                            for cell in &cells {
                                assert!(!overlaps(b, cell), "{context}: {b:?} on image {cell:?}");
                            }
                        }
                        for cell in &cells {
                            assert!(cell.is_within(&canvas), "{context}: image {cell:?}");
                        }
                        if !headline.trim().is_empty() {
                            assert!(
                                text.lines.iter().any(|l| l.role == Role::Headline),
                                "{context}: headline dropped"
                            );
                        }
                        for pair in text.lines.windows(2) {
                            let (a, b) = (&pair[0].rect, &pair[1].rect);
                            if pair[0].role != Role::CallToAction
                                && pair[1].role != Role::CallToAction
                            {
                                assert!(b.y >= a.bottom() - 0.01, "{context}: lines overlap");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn tiny_and_freak_canvases_render_without_panicking() {
        let refs = photos(4);
        for size in [(1, 1), (16, 16), (3000, 16), (16, 3000), (40, 40)] {
            for (headline, body, cta) in extreme_copy() {
                for count in [0, 4] {
                    let layout = ad(
                        size,
                        &headline,
                        body.as_deref(),
                        cta.as_deref(),
                        &refs[..count],
                    );
                    assert_eq!(render_ad(&layout).dimensions(), size);
                    let text = layout_text(&layout);
                    let canvas = Rect::new(0.0, 0.0, size.0 as f32, size.1 as f32);
                    for line in &text.lines {
                        assert!(line.rect.is_within(&canvas), "{size:?}: {line:?}");
                    }
                }
            }
        }
    }
}
