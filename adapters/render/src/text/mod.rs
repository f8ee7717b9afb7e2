//! Text: embedded fonts, shaping, bidi, line breaking and glyph drawing.
//!
//! The stack is `rustybuzz` (HarfBuzz's shaping in Rust) with `unicode-bidi`,
//! `unicode-linebreak` and `unicode-script`, and `ab_glyph` to rasterise the shaped glyphs'
//! outlines. Both `rustybuzz` and `ab_glyph` read fonts through the same `ttf-parser`, so
//! the stack adds a handful of small crates to the render crate; the alternative measured,
//! cosmic-text, brings its own font database, rasteriser and shaper (see
//! `docs/typography.md` for the figures). What this stack does not do for us — fallback
//! between faces, fitting, shortening — lives in [`shape`] and the template's `copy` module,
//! where the rules of an ad (never cut an offer, balance a headline) can be applied.
//!
//! - [`family`]: the brand's CSS `font_family` mapped onto one of three embedded Latin families;
//! - [`fonts`]: every embedded face and the per-character fallback order;
//! - [`shape`]: a block of copy shaped once in ems, its lines broken and ordered;
//! - [`draw_glyphs`]: placed glyphs onto the canvas.

pub mod family;
pub mod fonts;
pub mod shape;

use ab_glyph::{Font as _, GlyphId, PxScale, point};
use image::RgbaImage;

use crate::draw::{Rgb, blend_coverage};

pub use family::{FontFamily, Weight};
pub use fonts::FontId;
pub use shape::{Placed, Shaped, Span, Wrapped};

/// Copy as it will be set: control characters dropped, runs of whitespace made one space,
/// invisible characters at the ends trimmed, and the writer's line breaks kept as paragraph
/// breaks (`\n`).
pub fn normalise(text: &str) -> String {
    text.split('\n')
        .map(|paragraph| {
            paragraph
                .split_whitespace()
                .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .map(|p| p.trim_matches(is_invisible).to_owned())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Characters that draw nothing on their own: whitespace, the contract's invisible set, and
/// variation selectors (which only pick a presentation of the character before them).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || adgen::contract::text::is_invisible(c)
        || matches!(c, '\u{FE00}'..='\u{FE0F}')
}

/// Draws placed glyphs at `size` px (em), the line's left edge at `x` and its baseline at
/// `baseline`. Glyphs no face has (id 0) are skipped rather than drawn as boxes.
pub fn draw_glyphs(
    canvas: &mut RgbaImage,
    glyphs: &[Placed],
    size: f32,
    (x, baseline): (f32, f32),
    colour: Rgb,
) {
    for g in glyphs.iter().filter(|g| g.id != 0) {
        let font = g.font.font();
        // ab_glyph scales by the ascent-to-descent height; our sizes are ems.
        let scale = PxScale::from(size * font.outlines.height_unscaled() / font.units_per_em);
        let glyph = GlyphId(g.id)
            .with_scale_and_position(scale, point(x + g.x * size, baseline - g.dy * size));
        if let Some(outlined) = font.outlines.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            let (left, top) = (bounds.min.x as i64, bounds.min.y as i64);
            outlined.draw(|gx, gy, coverage| {
                blend_coverage(
                    canvas,
                    left + i64::from(gx),
                    top + i64::from(gy),
                    colour,
                    coverage,
                );
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_keeps_paragraphs_and_drops_what_draws_nothing() {
        assert_eq!(
            normalise("  Line one\nLine\ttwo\u{7}  \n\n\u{200B}\u{200B}\n"),
            "Line one\nLine two"
        );
        assert_eq!(normalise("\u{200B}\u{FEFF} "), "");
        // A joiner inside an emoji sequence stays.
        assert_eq!(normalise("👩\u{200D}💻"), "👩\u{200D}💻");
    }
}
