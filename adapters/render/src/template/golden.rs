//! The golden set: the domain's golden prompts (every supported script) planned into copy
//! and rendered at 1:1, 9:16 and 16:9, each held to what a reader of that language sees:
//! no missing-glyph box, every block inside the canvas and its safe zone, WCAG contrast
//! against the pixels actually behind each line, the planned copy on the canvas (whole, or
//! shortened at a word with an ellipsis), and the same bytes on every run.

use adgen::brief::copy::{GOLDEN_PROMPTS, plan};
use adgen::contract::output::{AspectRatio, Resolution, pixel_size};
use adgen::pixels::Colours;

use super::paint::MIN_CONTRAST;
use super::tests::{ad, photos};
use super::{Role, render_stages};
use crate::draw::contrast;
use crate::text::normalise;

const RATIOS: [AspectRatio; 3] = [AspectRatio::R1x1, AspectRatio::R9x16, AspectRatio::R16x9];

/// Brand-like colour sets, including a text colour that must not be obeyed.
const COLOURS: [Colours; 3] = [
    Colours {
        background: [18, 24, 38],
        accent: [255, 106, 0],
        text: [255, 255, 255],
    },
    Colours {
        background: [246, 240, 228],
        accent: [0, 110, 90],
        text: [40, 40, 40],
    },
    Colours {
        background: [120, 120, 120],
        accent: [130, 130, 130],
        text: [128, 128, 128],
    },
];

/// The set text of one role, its lines joined as they read (spaces where lines broke in
/// space-separated scripts), compared against the plan without spaces so that a break
/// between CJK characters and one at a space compare alike.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_golden_prompt_renders_legibly_inside_its_safe_area() {
    assert!(
        GOLDEN_PROMPTS.len() >= 40,
        "the golden set has at least 40 prompts"
    );
    let refs = photos(2);
    for (i, prompt) in GOLDEN_PROMPTS.iter().enumerate() {
        let copy = plan(prompt, None);
        for (r, ratio) in RATIOS.into_iter().enumerate() {
            let size = pixel_size(ratio, Resolution::R512);
            let count = (i + r) % 3;
            let mut layout = ad(
                size,
                &copy.headline,
                copy.supporting.as_deref(),
                Some(&copy.call_to_action),
                &refs[..count],
            );
            layout.language = copy.language.bcp47();
            layout.colours = COLOURS[(i + r) % COLOURS.len()];
            let context = format!("{prompt:?} at {ratio:?}");
            let (image, text, inks, before) = render_stages(&layout, true);
            let before = before.expect("snapshot asked for");

            // Nothing drawn from a missing glyph.
            for line in &text.lines {
                assert!(
                    line.glyphs.iter().all(|g| g.id != 0),
                    "{context}: .notdef in {:?}",
                    line.text
                );
            }
            for fit in &text.fits {
                assert_eq!(fit.missing_glyphs, 0, "{context}: {fit:?}");
            }

            // Inside the canvas and its safe zone.
            let canvas = crate::draw::Rect::new(0.0, 0.0, size.0 as f32, size.1 as f32);
            assert!(text.safe.is_within(&canvas), "{context}");
            for b in text.lines.iter().map(|l| l.rect).chain(text.button) {
                assert!(
                    b.is_within(&text.safe),
                    "{context}: {b:?} outside {:?}",
                    text.safe
                );
            }

            // Contrast against every pixel behind each line.
            for line in &text.lines {
                let ink = inks.colour(line.role);
                let (x0, y0, x1, y1) = line.rect.pixel_span(before.width(), before.height());
                for y in y0..y1 {
                    for x in x0..x1 {
                        let p = before.get_pixel(x, y);
                        let c = contrast(ink, [p[0], p[1], p[2]]);
                        assert!(
                            c >= MIN_CONTRAST - 0.01,
                            "{context}: {:?} line {:?} at {x},{y}: contrast {c:.2}",
                            line.role,
                            line.text
                        );
                    }
                }
            }

            // The planned copy is what is on the canvas.
            for (role, planned) in [
                (Role::Headline, Some(copy.headline.as_str())),
                (Role::Body, copy.supporting.as_deref()),
                (Role::CallToAction, Some(copy.call_to_action.as_str())),
            ] {
                let Some(planned) = planned.map(normalise).filter(|p: &String| !p.is_empty())
                else {
                    continue;
                };
                let set: String = text
                    .lines
                    .iter()
                    .filter(|l| l.role == role)
                    .map(|l| l.text.as_str())
                    .collect();
                let fit = text.fits.iter().find(|f| f.role == role);
                let Some(fit) = fit else {
                    // Only a body or button may be dropped, and only on a canvas too small.
                    assert_ne!(role, Role::Headline, "{context}: headline dropped");
                    continue;
                };
                if fit.shortened {
                    let head = squeezed(set.trim_end_matches('…'));
                    assert!(set.ends_with('…'), "{context}: {set:?}");
                    assert!(
                        squeezed(&planned).starts_with(&head) && !head.is_empty(),
                        "{context}: {set:?} is not a cut of {planned:?}"
                    );
                } else {
                    assert_eq!(squeezed(&set), squeezed(&planned), "{context}: {role:?}");
                }
                assert!(!fit.split_word, "{context}: a word split in {role:?}");
            }

            // Same input, same bytes.
            let (again, ..) = render_stages(&layout, false);
            assert_eq!(
                image.as_raw(),
                again.as_raw(),
                "{context}: not deterministic"
            );
        }
    }
}

#[test]
fn right_to_left_headlines_read_from_the_right() {
    for prompt in GOLDEN_PROMPTS {
        let copy = plan(prompt, None);
        if !copy.language.is_rtl() {
            continue;
        }
        let size = pixel_size(AspectRatio::R16x9, Resolution::R512);
        let mut layout = ad(size, &copy.headline, None, None, &[]);
        layout.language = copy.language.bcp47();
        let (_, text, ..) = render_stages(&layout, false);
        let headline: Vec<_> = text
            .lines
            .iter()
            .filter(|l| l.role == Role::Headline)
            .collect();
        assert!(!headline.is_empty(), "{prompt}");
        for line in headline {
            assert!(line.rtl, "{prompt}: {:?} not right to left", line.text);
            // Start-aligned copy ends at the right edge of its box.
            assert!(
                (line.rect.right() - text.text_box.right()).abs() < 1.0,
                "{prompt}: {:?} at {:?} in {:?}",
                line.text,
                line.rect,
                text.text_box
            );
        }
    }
}
