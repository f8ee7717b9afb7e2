//! Embedded fonts, measuring, word wrap and glyph drawing.
//!
//! `ab_glyph` over `cosmic-text`: it only parses outlines and rasterises, which is all a
//! template of short Latin copy needs, and it builds in seconds where cosmic-text (with
//! rustybuzz, fontdb, swash) takes minutes on two cores. The cost is what it does not do: no
//! complex-script shaping (Arabic joining, Indic reordering), no bidi, no ligatures, no GPOS
//! kerning (Inter carries its kerning in GPOS only), no fallback font. Characters outside
//! Inter (CJK, emoji) draw as the font's missing-glyph box.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::RgbaImage;

use super::draw::{Rgb, blend_coverage};

/// Inter Display Bold (headlines, button) and Inter Regular (body), OFL-1.1; see
/// `adapters/render/assets/fonts/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Bold,
    Regular,
}

const ELLIPSIS: char = '…';

fn font(face: Face) -> &'static FontRef<'static> {
    static BOLD: OnceLock<FontRef<'static>> = OnceLock::new();
    static REGULAR: OnceLock<FontRef<'static>> = OnceLock::new();
    let (cell, bytes): (_, &'static [u8]) = match face {
        Face::Bold => (
            &BOLD,
            include_bytes!("../assets/fonts/InterDisplay-Bold.otf"),
        ),
        Face::Regular => (
            &REGULAR,
            include_bytes!("../assets/fonts/Inter-Regular.otf"),
        ),
    };
    // The bytes are compiled in and covered by the tests: a parse failure is a build defect.
    cell.get_or_init(|| FontRef::try_from_slice(bytes).expect("embedded font parses"))
}

/// Vertical metrics at a pixel scale (the scale is the font's ascent-to-descent height).
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    pub ascent: f32,
    pub descent: f32,
}

pub fn metrics(face: Face, size: f32) -> Metrics {
    let scaled = font(face).as_scaled(PxScale::from(size));
    Metrics {
        ascent: scaled.ascent(),
        descent: -scaled.descent(),
    }
}

/// Advance width of `text` on one line.
pub fn measure(face: Face, size: f32, text: &str) -> f32 {
    let scaled = font(face).as_scaled(PxScale::from(size));
    text.chars()
        .map(|c| scaled.h_advance(scaled.glyph_id(c)))
        .sum()
}

/// Copy as it will be set: control characters dropped, runs of whitespace made one space,
/// except that line breaks the writer typed are kept as paragraph breaks.
pub fn normalise(text: &str) -> Vec<Vec<String>> {
    text.split('\n')
        .map(|paragraph| {
            paragraph
                .split_whitespace()
                .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|words| !words.is_empty())
        .collect()
}

/// Greedy word wrap into lines no wider than `max_width`; a word wider than a line is broken
/// between characters (no hyphen: the break is rare and the copy may not be English).
pub fn wrap(face: Face, size: f32, paragraphs: &[Vec<String>], max_width: f32) -> Vec<String> {
    let space = measure(face, size, " ");
    let mut lines = Vec::new();
    for words in paragraphs {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in words {
            let width = measure(face, size, word);
            if !line.is_empty() && line_width + space + width <= max_width {
                line.push(' ');
                line.push_str(word);
                line_width += space + width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if width <= max_width {
                line.push_str(word);
                line_width = width;
                continue;
            }
            let mut pieces = break_word(face, size, word, max_width);
            let last = pieces.pop().unwrap_or_default();
            lines.extend(pieces);
            line_width = measure(face, size, &last);
            line = last;
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// Like [`wrap`], at the narrowest width that still gives as few lines, so the lines come out
/// of even length and a headline does not end on a lone word.
pub fn wrap_balanced(
    face: Face,
    size: f32,
    paragraphs: &[Vec<String>],
    max_width: f32,
) -> Vec<String> {
    let greedy = wrap(face, size, paragraphs, max_width);
    if greedy.len() < 2 {
        return greedy;
    }
    let (mut narrow, mut wide) = (max_width * 0.4, max_width);
    // A dozen halvings bring the width within 0.02 % of the optimum: invisible.
    for _ in 0..12 {
        let mid = (narrow + wide) / 2.0;
        if wrap(face, size, paragraphs, mid).len() <= greedy.len() {
            wide = mid;
        } else {
            narrow = mid;
        }
    }
    wrap(face, size, paragraphs, wide)
}

fn break_word(face: Face, size: f32, word: &str, max_width: f32) -> Vec<String> {
    let scaled = font(face).as_scaled(PxScale::from(size));
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut width = 0.0;
    for c in word.chars() {
        let advance = scaled.h_advance(scaled.glyph_id(c));
        // Each piece keeps at least one character, so a glyph wider than the line (only at
        // absurd sizes) cannot loop forever; the caller's box check then shrinks the size.
        if !piece.is_empty() && width + advance > max_width {
            pieces.push(std::mem::take(&mut piece));
            width = 0.0;
        }
        piece.push(c);
        width += advance;
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

/// `text` shortened at the end, with an ellipsis, to fit `max_width`.
pub fn truncate(face: Face, size: f32, text: &str, max_width: f32) -> String {
    if measure(face, size, text) <= max_width {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>().trim_end().to_owned();
        let with_ellipsis = format!("{candidate}{ELLIPSIS}");
        if measure(face, size, &with_ellipsis) <= max_width {
            return with_ellipsis;
        }
    }
    String::new()
}

/// Draws one line with its baseline at `baseline`, starting at `x`.
pub fn draw_line(
    canvas: &mut RgbaImage,
    face: Face,
    size: f32,
    (x, baseline): (f32, f32),
    text: &str,
    colour: Rgb,
) {
    let font = font(face);
    let scaled = font.as_scaled(PxScale::from(size));
    let mut caret = x;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        let glyph = id.with_scale_and_position(size, point(caret, baseline));
        caret += scaled.h_advance(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
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
