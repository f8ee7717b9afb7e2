//! The offline ad template: brand-coloured ground, the references as a collage, a headline
//! fitted to its box, an optional body line and a call-to-action button.
//!
//! Layout follows the canvas shape:
//! - stacked (narrower than 1.3:1): images on top, copy centred below;
//! - side by side (1.3:1 up to 3:1): images left, copy left-aligned on the right;
//! - banner (3:1 and wider): images, copy and button in one row;
//! - typographic (no references, below 3:1): accent discs top right, a large headline below.
//!
//! Text, the button and the logo stay inside the safe area: margins proportional to the short
//! side and, on story canvases (9:16), out of the top 13 % and bottom 18 % that the platforms
//! cover with their own interface.
//!
//! The brand's logo, when there is one, takes a slot that each layout reserves before it fits
//! the copy, with clear space around it (see [`logo`]): stacked and side-by-side layouts set it
//! above the copy, aligned like the copy; the typographic layout in its top-left corner, away
//! from the accent discs; a banner at the end of its row, after the button. It never sits on a
//! reference image.
//!
//! This module holds the public API and the plan that ties the parts together: [`frame`] is
//! the geometry of the canvas, [`collage`] places the references, [`copy`] fits the text into
//! its box, [`logo`] sizes and draws the logo, and [`paint`] draws the finished plan.

mod collage;
mod copy;
mod frame;
#[cfg(test)]
mod golden;
mod logo;
mod paint;

use image::RgbaImage;

use crate::codec::RgbaView;
use crate::draw::Rect;
use crate::draw::mix;
use crate::palette::{gradient_end, visible_accent};
use crate::text::{FontFamily, FontId, Placed};
use adgen::pixels::Colours;
use collage::MAX_REFERENCES;
use copy::{Align, Anchor, MIN_BODY, Style, Wording, content_top, fit_stack, set_button};

pub use copy::BlockFit;
use frame::{Frame, Mode, banner_disc, stacked_image_bottom, typographic_circles};

pub use collage::reference_target;

/// Everything the template needs for one ad.
#[derive(Debug, Clone)]
pub struct AdLayout<'a> {
    pub width: u32,
    pub height: u32,
    pub headline: &'a str,
    pub body: Option<&'a str>,
    pub call_to_action: Option<&'a str>,
    pub colours: Colours,
    /// Up to six are used, in order; the first gets the largest cell.
    pub references: &'a [RgbaView<'a>],
    /// The brand's logo (transparent where the logo is not), placed when the canvas has room.
    pub logo: Option<RgbaView<'a>>,
    /// The embedded family the copy's Latin, Greek and Cyrillic letters are set in (see
    /// [`FontFamily::from_css`]); other scripts fall back to their own faces.
    pub font: FontFamily,
    /// The language the copy is written in (BCP 47): it selects the regional glyph forms of
    /// CJK text and the shaper's language rules.
    pub language: &'a str,
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
    /// The face most of the line's block is drawn from (the layout's family, Inter when the
    /// family lacks the block's letters, or a script's own face).
    pub font: FontId,
    /// The line's text, in logical order.
    pub text: String,
    /// The shaped glyphs in visual order, `x` in ems from the line's left edge.
    pub glyphs: Vec<Placed>,
    /// The line reads right to left.
    pub rtl: bool,
    pub rect: Rect,
    /// Font size (em) in pixels.
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
    /// Where the logo is drawn (whole pixels), when there is one and it fits.
    pub logo: Option<Rect>,
    /// How each block of copy was set (the job's text-fit diagnostics).
    pub fits: Vec<BlockFit>,
}

/// Where every line of copy, the rule and the button go (exposed so tests and callers can
/// check that nothing leaves the canvas).
pub fn layout_text(layout: &AdLayout) -> TextLayout {
    plan(layout).text
}

/// Renders the ad. Same input, same pixels: embedded fonts, a fixed drawing order, no
/// threads, no clock.
pub fn render_ad(layout: &AdLayout) -> RgbaImage {
    render(layout).image
}

/// A rendered ad and how its copy was set.
pub struct Rendered {
    pub image: RgbaImage,
    /// Per block of copy: face, size, lines, shortening and the contrast it keeps.
    pub fits: Vec<BlockFit>,
}

/// [`render_ad`], with the text-fit report of each block.
pub fn render(layout: &AdLayout) -> Rendered {
    let (image, text, inks, _) = render_stages(layout, false);
    let mut fits = text.fits;
    for fit in &mut fits {
        let i = match fit.role {
            Role::Headline => 0,
            Role::Body => 1,
            Role::CallToAction => 2,
        };
        fit.contrast = Some((inks.contrast[i] * 100.0).round() / 100.0);
    }
    Rendered { image, fits }
}

/// Paints the plan; with `snapshot`, also returns the canvas as it was just before the
/// glyphs went on (what the contrast of the copy is measured against).
fn render_stages(
    layout: &AdLayout,
    snapshot: bool,
) -> (RgbaImage, TextLayout, paint::Inks, Option<RgbaImage>) {
    let Plan {
        frame,
        cells,
        text,
        mark,
        plate,
    } = plan(layout);
    let background = layout.colours.background;
    let accent = visible_accent(layout.colours.accent, background);
    let mut canvas = paint::ground(layout.width, layout.height, background);
    paint::accents(&mut canvas, &frame, accent, cells.len());
    paint::tiles(&mut canvas, layout.references, &cells, frame.radius());
    // Read the ground under the copy after everything behind it is drawn.
    let inks = paint::backing(&mut canvas, &text, layout.colours.text, accent);
    let before = snapshot.then(|| canvas.clone());
    paint::glyphs(&mut canvas, &text, &inks);
    if let (Some(view), Some(mark), Some(rect)) = (&layout.logo, &mark, &text.logo) {
        logo::paint(&mut canvas, view, mark, rect, plate.as_ref());
    }
    (canvas, text, inks, before)
}

/// The whole composition, decided before any pixel is drawn.
struct Plan {
    frame: Frame,
    /// The collage cells, in reference order, on whole pixels.
    cells: Vec<Rect>,
    text: TextLayout,
    /// The logo's visible part, when there is a logo with one.
    mark: Option<logo::Mark>,
    /// The backing plate's room, when the logo's colours would vanish into the ground (the
    /// logo is then inset in its slot, `text.logo`, and the plate takes the slot).
    plate: Option<Rect>,
}

/// The room a logo of `size` takes above the copy: its height and the gap under it.
fn slot_height(size: Option<(f32, f32)>) -> f32 {
    size.map_or(0.0, |(_, h)| h + logo::copy_gap(h))
}

/// `rect` less `by` off its top.
fn below(rect: Rect, by: f32) -> Rect {
    let by = by.min(rect.height);
    Rect::new(rect.x, rect.y + by, rect.width, rect.height - by)
}

/// Puts a logo of `size` just above the copy (its gap below it), at `x`. The copy
/// was fitted into a box whose top was lowered by [`slot_height`], so this stays in the box.
fn logo_above(text: &mut TextLayout, size: Option<(f32, f32)>, x: f32, fitted_in: Rect) {
    if let Some((lw, lh)) = size {
        let copy_top = content_top(text).unwrap_or(fitted_in.y + fitted_in.height / 2.0);
        let y = (copy_top - logo::copy_gap(lh) - lh).max(fitted_in.y - slot_height(size));
        text.logo = Some(Rect::new(x.ceil(), y.ceil(), lw, lh));
    }
}

/// The leftmost x of the discs where they meet a line, the rule or the button of `text`;
/// `None` when nothing touches them. Each disc is `((cx, cy), r)`.
fn disc_clearance(text: &TextLayout, circles: &[((f32, f32), f32)]) -> Option<f32> {
    let boxes = text
        .lines
        .iter()
        .map(|l| l.rect)
        .chain(text.rule)
        .chain(text.button);
    let mut clearance: Option<f32> = None;
    for b in boxes {
        for &((cx, cy), r) in circles {
            // The disc's nearest point to the box, and its widest reach within the box's rows.
            let dx = (b.x.max(cx.min(b.right()))) - cx;
            let dy = (b.y.max(cy.min(b.bottom()))) - cy;
            if dx.hypot(dy) >= r {
                continue;
            }
            let reach = cx - (r * r - dy * dy).max(0.0).sqrt();
            clearance = Some(clearance.map_or(reach, |c| c.min(reach)));
        }
    }
    clearance
}

/// Chooses each layout's text box and type sizes, reserves the logo's slot, fits the copy
/// into what is left and gives the collage the room that remains.
fn plan(layout: &AdLayout) -> Plan {
    let count = layout.references.len().min(MAX_REFERENCES);
    let frame = Frame::new(layout.width, layout.height, count);
    let wording = Wording::new(layout);
    let mark = layout.logo.as_ref().and_then(logo::Mark::find);
    let Frame {
        w, h, s, margin, ..
    } = frame;
    let safe = frame.safe;
    let mut images = frame.images;
    // A square logo's side in the layouts that set it above the copy.
    let logo_side = 0.12 * s;
    let text = match frame.mode {
        Mode::Stacked => {
            let (min_bottom, max_bottom) = stacked_image_bottom(w / h, h);
            let body = (s * 0.0314).max(8.3);
            let style = Style::new(body, body * 3.1, Align::Centre, Anchor::Bottom, false);
            let top = (min_bottom + margin).max(safe.y);
            let logo_size = mark.as_ref().and_then(|m| {
                // At most a quarter of the copy's room, so the copy keeps most of it.
                logo::size(m, logo_side, safe.width * 0.5, (safe.bottom() - top) * 0.2)
            });
            let slot = slot_height(logo_size);
            // The logo's room comes mostly out of the images, so the copy keeps its size.
            let min_bottom = (min_bottom - slot).max(0.36 * h).min(min_bottom);
            let top = (min_bottom + margin).max(safe.y);
            // Fit the copy in all the room it may have, then give the images what it left.
            let roomy = Rect::new(safe.x, top, safe.width, (safe.bottom() - top).max(0.0));
            let first = fit_stack(&wording, safe, below(roomy, slot), style);
            let copy_top = content_top(&first).unwrap_or(safe.bottom()) - slot;
            let image_bottom = (copy_top - margin).clamp(min_bottom, max_bottom);
            images = images
                .map(|block| Rect::new(block.x, block.y, block.width, image_bottom - block.y));
            let top = (image_bottom + margin).max(safe.y);
            let text_box = Rect::new(safe.x, top, safe.width, (safe.bottom() - top).max(0.0));
            let mut text = fit_stack(
                &wording,
                safe,
                below(text_box, slot),
                Style {
                    anchor: Anchor::Middle,
                    ..style
                },
            );
            let x = logo_size.map_or(0.0, |(lw, _)| safe.x + (safe.width - lw) / 2.0);
            logo_above(&mut text, logo_size, x, below(text_box, slot));
            text
        }
        Mode::Side => {
            let block = images.unwrap_or(safe);
            let left = block.right() + 1.5 * margin;
            let text_box = Rect::new(left, safe.y, (safe.right() - left).max(0.0), safe.height);
            let body = (s * 0.0372).max(8.3);
            let logo_size = mark.as_ref().and_then(|m| {
                logo::size(m, logo_side, text_box.width * 0.6, text_box.height * 0.2)
            });
            let slot = slot_height(logo_size);
            let fitted_in = below(text_box, slot);
            let mut text = fit_stack(
                &wording,
                safe,
                fitted_in,
                Style::new(body, body * 2.7, Align::Left, Anchor::Middle, true),
            );
            logo_above(&mut text, logo_size, text_box.x, fitted_in);
            text
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
            // The logo in the top-left corner: the copy is anchored to the bottom, the discs
            // hold the top right.
            let logo_rect = mark.as_ref().and_then(|m| {
                let (lw, lh) = logo::size(m, logo_side, (right - left) * 0.45, safe.height * 0.16)?;
                Some(Rect::new(left.ceil(), safe.y.ceil(), lw, lh))
            });
            let top = logo_rect.map_or(top, |r| top.max(r.bottom() + logo::copy_gap(r.height)));
            let body = (s * 0.033).max(8.3);
            let style = Style::new(body, body * 4.5, Align::Left, Anchor::Bottom, true);
            let fit = |right: f32| {
                let text_box = Rect::new(
                    left,
                    top,
                    (right - left).max(0.0),
                    (safe.bottom() - top).max(0.0),
                );
                fit_stack(&wording, safe, text_box, style)
            };
            let mut text = fit(right);
            // On wide canvases the discs reach into the copy's column: a line that would run
            // onto one narrows the column to clear it (a few refits at most).
            if w / h >= 1.3 {
                let circles = typographic_circles(&frame);
                let mut right = right;
                for _ in 0..4 {
                    let Some(clear) = disc_clearance(&text, &circles) else {
                        break;
                    };
                    let narrowest = left + 0.5 * (right - left);
                    right = (clear - 0.5 * margin).max(narrowest);
                    text = fit(right);
                }
            }
            text.logo = logo_rect;
            text
        }
        Mode::Banner => {
            let left = match images {
                Some(block) => block.right() + margin,
                None => banner_disc(&frame).1 + margin,
            };
            let body = (h * 0.107).max(MIN_BODY);
            // The logo ends the row, vertically centred, its clear space before it.
            let logo_rect = mark.as_ref().and_then(|m| {
                let max_height = safe.height / (1.0 + 2.0 * logo::CLEAR_SPACE);
                let (lw, lh) = logo::size(m, 0.42 * h, w * 0.16, max_height)?;
                let y = safe.y + (safe.height - lh) / 2.0;
                Some(Rect::new((safe.right() - lw).floor(), y.floor(), lw, lh))
            });
            let row_right = logo_rect.map_or(safe.right(), |r| {
                r.x - logo::clear_space(r.height).max(margin)
            });
            let button = wording
                .call_to_action
                .as_ref()
                .map(|label| set_button(label, body, safe.width * 0.28));
            let right = match &button {
                Some(b) => row_right - b.rect.width - margin,
                None => row_right,
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
                    .lines(2, body_lines),
            );
            text.logo = logo_rect;
            if let Some(button) = button {
                let x = row_right - button.rect.width;
                let y = safe.y + (safe.height - button.rect.height) / 2.0;
                text.fits.push(button.fit());
                let (rect, label) = button.place(x, y);
                text.button = Some(rect);
                text.lines.push(label);
            }
            text
        }
    };
    let mut text = text;
    let mut plate = None;
    if let (Some(view), Some(m), Some(slot)) = (&layout.logo, &mark, text.logo) {
        // The ground there, before anything is drawn: the brand gradient at the slot's middle
        // (no layout puts the logo on an image).
        let background = layout.colours.background;
        let t = (slot.y + slot.height / 2.0) / (h - 1.0).max(1.0);
        let ground = mix(background, gradient_end(background), t.clamp(0.0, 1.0));
        if logo::needs_plate(view, m, ground) {
            let align = match frame.mode {
                Mode::Stacked => 0.5,
                Mode::Side | Mode::Typographic => 0.0,
                Mode::Banner => 1.0,
            };
            let (inset, backing) = logo::inset_for_plate(slot, align);
            text.logo = Some(inset);
            plate = Some(backing);
        }
    }
    let cells = collage::cells(&frame, images, count);
    Plan {
        frame,
        cells,
        text,
        mark,
        plate,
    }
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
            logo: None,
            font: FontFamily::Inter,
            language: "en",
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
        let runs = [
            (Resolution::R512, FontFamily::Inter),
            (Resolution::R1K, FontFamily::Inter),
            (Resolution::R512, FontFamily::Serif),
            (Resolution::R512, FontFamily::Display),
        ];
        for (resolution, font) in runs {
            for ratio in ratios() {
                let size = pixel_size(ratio, resolution);
                for count in [0, 1, 3, 6] {
                    let refs = photos(count);
                    for (headline, body, cta) in extreme_copy() {
                        let mut layout =
                            ad(size, &headline, body.as_deref(), cta.as_deref(), &refs);
                        layout.font = font;
                        let Plan {
                            cells, text, frame, ..
                        } = plan(&layout);
                        let canvas = Rect::new(0.0, 0.0, size.0 as f32, size.1 as f32);
                        let context = format!(
                            "{ratio:?} {resolution:?} {font:?} {count} refs, headline {:.20}",
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

    /// A solid logo of `w`×`h` in `colour`, with a transparent border (trimmed by the
    /// template) around it.
    pub(super) fn logo_image(w: u32, h: u32, colour: [u8; 3]) -> &'static RgbaImage {
        let pad = w.min(h) / 8;
        Box::leak(Box::new(RgbaImage::from_fn(
            w + 2 * pad,
            h + 2 * pad,
            |x, y| {
                let inside = x >= pad && x < w + pad && y >= pad && y < h + pad;
                Rgba([
                    colour[0],
                    colour[1],
                    colour[2],
                    if inside { 255 } else { 0 },
                ])
            },
        )))
    }

    fn grown(r: &Rect, by: f32) -> Rect {
        Rect::new(r.x - by, r.y - by, r.width + 2.0 * by, r.height + 2.0 * by)
    }

    #[test]
    fn the_logo_keeps_its_clear_space_inside_the_safe_area_at_every_ratio() {
        let shapes = [(200, 200), (600, 100), (100, 400)];
        let long = "Discover our biggest autumn collection yet with hand-picked pieces for \
                    every room, delivered free"
            .repeat(2);
        for resolution in [Resolution::R512, Resolution::R1K] {
            for ratio in ratios() {
                let size = pixel_size(ratio, resolution);
                let canvas = Rect::new(0.0, 0.0, size.0 as f32, size.1 as f32);
                for count in [0, 1, 3] {
                    let refs = photos(count);
                    for (lw, lh) in shapes {
                        for headline in ["Fresh roast, delivered", long.as_str()] {
                            let mut layout = ad(
                                size,
                                headline,
                                Some("Beans from small farms, at your door in two days."),
                                Some("Order now"),
                                &refs,
                            );
                            layout.logo = Some(image_view(logo_image(lw, lh, [255, 0, 255])));
                            let Plan { cells, text, .. } = plan(&layout);
                            let context = format!(
                                "{ratio:?} {resolution:?} {count} refs, logo {lw}x{lh}, {:.12}",
                                headline
                            );
                            let logo = text.logo.unwrap_or_else(|| panic!("{context}: no logo"));
                            assert!(logo.is_within(&canvas), "{context}: {logo:?}");
                            assert!(logo.is_within(&text.safe), "{context}: {logo:?} unsafe");
                            let s = canvas.width.min(canvas.height);
                            assert!(
                                logo.height >= 0.03 * s && logo.width <= 0.5 * canvas.width,
                                "{context}: {logo:?} badly sized"
                            );
                            // Clear space: a quarter of its height (less a pixel of rounding).
                            let clear = grown(&logo, 0.25 * logo.height - 1.0);
                            let mut boxes: Vec<Rect> = text.lines.iter().map(|l| l.rect).collect();
                            boxes.extend(text.button);
                            boxes.extend(text.rule);
                            for b in &boxes {
                                assert!(!overlaps(&clear, b), "{context}: logo {logo:?} on {b:?}");
                            }
                            for cell in &cells {
                                assert!(
                                    !overlaps(&logo, cell),
                                    "{context}: logo on image {cell:?}"
                                );
                            }
                            if headline.len() < 30 {
                                assert!(
                                    text.lines.iter().any(|l| l.role == Role::Headline),
                                    "{context}: headline dropped for the logo"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_logo_is_drawn_where_it_was_placed() {
        for ratio in ratios() {
            let size = pixel_size(ratio, Resolution::R512);
            for count in [0, 1, 3] {
                let refs = photos(count);
                let mut layout = ad(size, "Logo check", Some("Body"), Some("Go"), &refs);
                layout.logo = Some(image_view(logo_image(300, 120, [255, 0, 255])));
                let rect = layout_text(&layout).logo.expect("placed");
                let img = render_ad(&layout);
                let centre = img.get_pixel(
                    (rect.x + rect.width / 2.0) as u32,
                    (rect.y + rect.height / 2.0) as u32,
                );
                assert_eq!(centre.0, [255, 0, 255, 255], "{ratio:?} {count}: {rect:?}");
                let magenta = img.pixels().filter(|p| p.0 == [255, 0, 255, 255]).count();
                let area = (rect.width * rect.height) as usize;
                assert!(magenta * 10 >= area * 8, "{ratio:?}: {magenta} of {area}");
                // Nothing magenta outside the logo's box.
                for (x, y, p) in img.enumerate_pixels() {
                    if p.0 == [255, 0, 255, 255] {
                        let (x, y) = (x as f32, y as f32);
                        assert!(
                            x >= rect.x - 1.0
                                && x <= rect.right() + 1.0
                                && y >= rect.y - 1.0
                                && y <= rect.bottom() + 1.0,
                            "{ratio:?}: stray logo pixel at {x},{y}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_logo_in_the_ground_colour_gets_a_plate_and_stays_visible() {
        let size = pixel_size(AspectRatio::R1x1, Resolution::R512);
        let mut layout = ad(size, "Dark on dark", None, None, &[]);
        layout.colours = Colours {
            background: [20, 24, 40],
            accent: [240, 180, 0],
            text: [255, 255, 255],
        };
        layout.logo = Some(image_view(logo_image(200, 100, [20, 24, 40])));
        let rect = layout_text(&layout).logo.expect("placed");
        let img = render_ad(&layout);
        // Just outside the mark, on the plate: clearly lighter than the background.
        let p = img.get_pixel(rect.x as u32 - 2, (rect.y + rect.height / 2.0) as u32);
        assert!(
            crate::draw::contrast([p[0], p[1], p[2]], [20, 24, 40]) > 3.0,
            "{p:?}"
        );
    }

    #[test]
    fn logos_render_deterministically() {
        let refs = photos(2);
        let mut layout = ad(
            pixel_size(AspectRatio::R16x9, Resolution::R512),
            "Same logo, same pixels",
            None,
            Some("Go"),
            &refs,
        );
        layout.logo = Some(image_view(logo_image(120, 60, [10, 200, 90])));
        assert_eq!(render_ad(&layout).as_raw(), render_ad(&layout).as_raw());
    }

    #[test]
    fn the_brand_family_sets_the_copy_and_inter_covers_what_it_lacks() {
        let size = pixel_size(AspectRatio::R1x1, Resolution::R512);
        let mut layout = ad(
            size,
            "Привет, мир",
            Some("Fresh every day"),
            Some("Go"),
            &[],
        );
        layout.font = FontFamily::Display;
        let text = layout_text(&layout);
        let font_of = |role| text.lines.iter().find(|l| l.role == role).map(|l| l.font);
        assert_eq!(font_of(Role::Headline), Some(FontId::InterBold));
        assert_eq!(font_of(Role::Body), Some(FontId::OswaldRegular));
        assert_eq!(font_of(Role::CallToAction), Some(FontId::OswaldRegular));
        // A different family gives different pixels for the same copy.
        let mut serif = ad(size, "Same words", Some("Same body"), Some("Go"), &[]);
        let inter = render_ad(&serif);
        serif.font = FontFamily::Serif;
        assert_ne!(inter.as_raw(), render_ad(&serif).as_raw());
    }

    #[test]
    fn wide_typographic_copy_keeps_off_the_accent_discs() {
        for ratio in ratios() {
            let size = pixel_size(ratio, Resolution::R1K);
            for font in FontFamily::ALL {
                let mut layout = ad(
                    size,
                    "Golden hour, every hour: autumn trips from €149",
                    Some("Pack light. We take care of trains, stays and the views."),
                    Some("Book your trip"),
                    &[],
                );
                layout.font = font;
                layout.logo = Some(image_view(logo_image(300, 100, [0, 0, 0])));
                let Plan { frame, text, .. } = plan(&layout);
                if frame.mode == Mode::Typographic && frame.w / frame.h >= 1.3 {
                    let circles = typographic_circles(&frame);
                    assert_eq!(disc_clearance(&text, &circles), None, "{ratio:?} {font:?}");
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
                    let mut layout = ad(
                        size,
                        &headline,
                        body.as_deref(),
                        cta.as_deref(),
                        &refs[..count],
                    );
                    layout.logo = Some(image_view(logo_image(90, 30, [0, 0, 0])));
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
