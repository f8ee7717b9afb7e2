//! Embedded fonts, the brand's font family mapped onto them, measuring, word wrap and glyph
//! drawing.
//!
//! `ab_glyph` over `cosmic-text`: it only parses outlines and rasterises, which is all a
//! template of short Latin copy needs, and it builds in seconds where cosmic-text (with
//! rustybuzz, fontdb, swash) takes minutes on two cores. The cost is what it does not do: no
//! complex-script shaping (Arabic joining, Indic reordering), no bidi, no ligatures, no GPOS
//! kerning (these fonts carry their kerning in GPOS only), no per-character fallback.
//!
//! Three families are embedded (OFL-1.1; see `adapters/render/assets/fonts/`): Inter (the
//! default sans), Playfair Display (serif) and Oswald (condensed display). The brand's
//! `font_family` is CSS-like free text ("'Playfair Display', Georgia, serif") and is mapped by
//! [`FontFamily::from_css`]:
//!
//! 1. each comma-separated entry in order (quotes stripped, case and spacing ignored) is
//!    compared with the embedded families' names: the first exact match wins;
//! 2. otherwise each entry in order is classed: `serif` and serif names (Georgia, Times,
//!    Garamond, Merriweather, Lora, Baskerville, any "… Serif" or "… Slab") → Playfair
//!    Display; `fantasy` and display names (Bebas, Oswald, Anton, Impact, "… Condensed",
//!    "… Display") → Oswald; `sans-serif`, `system-ui` and known sans names (Helvetica,
//!    Arial, Roboto, "… Sans") → Inter; the first entry with a class wins (so "Helvetica
//!    Neue, Georgia, serif" is Inter: the brand's first choice is a sans);
//! 3. nothing classed (no family, or only names we do not know): Inter.
//!
//! Headlines are set in the family's bold weight, body and button in its regular one. Since
//! there is no per-character fallback, a block of copy (the headline, the body, the label)
//! containing a character the chosen family lacks is set wholly in Inter instead (see
//! [`Face::covering`]); characters Inter lacks too (CJK, emoji) draw as its missing-glyph box.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::RgbaImage;

use super::draw::{Rgb, blend_coverage};

/// An embedded font family (what the brand's `font_family` is mapped to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FontFamily {
    /// Inter Display Bold and Inter Regular: the default, for sans and unknown families.
    #[default]
    Inter,
    /// Playfair Display Bold and Regular.
    Serif,
    /// Oswald Bold and Regular (condensed).
    Display,
}

/// The weights each family embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    /// Headlines.
    Bold,
    /// Body and the call-to-action label.
    Regular,
}

/// One embedded font file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Face {
    pub family: FontFamily,
    pub weight: Weight,
}

const ELLIPSIS: char = '…';

impl FontFamily {
    /// Every embedded family.
    pub const ALL: [FontFamily; 3] = [FontFamily::Inter, FontFamily::Serif, FontFamily::Display];

    /// The family's name as its font files give it.
    pub fn name(self) -> &'static str {
        match self {
            FontFamily::Inter => "Inter",
            FontFamily::Serif => "Playfair Display",
            FontFamily::Display => "Oswald",
        }
    }

    /// Maps a CSS-like family list to an embedded family (see the module docs for the rules).
    pub fn from_css(list: &str) -> FontFamily {
        // The contract caps the field at 100 characters; the cap here only bounds the work.
        let entries: Vec<String> = list
            .split(',')
            .take(32)
            .filter_map(normalise_name)
            .collect();
        entries
            .iter()
            .find_map(|name| exact_family(name))
            .or_else(|| entries.iter().find_map(|name| family_class(name)))
            .unwrap_or_default()
    }

    /// [`FontFamily::from_css`] for an optional field; no family is Inter.
    pub fn for_brand(font_family: Option<&str>) -> FontFamily {
        font_family.map(FontFamily::from_css).unwrap_or_default()
    }
}

/// An entry of a family list: trimmed, unquoted, lower case, single spaces.
fn normalise_name(entry: &str) -> Option<String> {
    let entry = entry.trim();
    let entry = entry
        .strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .or_else(|| entry.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')))
        .unwrap_or(entry);
    let name = entry
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!name.is_empty()).then_some(name)
}

fn exact_family(name: &str) -> Option<FontFamily> {
    match name {
        "inter" | "inter display" | "inter var" | "inter variable" => Some(FontFamily::Inter),
        "playfair display" | "playfair" => Some(FontFamily::Serif),
        "oswald" => Some(FontFamily::Display),
        _ => None,
    }
}

const SERIF_NAMES: [&str; 26] = [
    "serif",
    "slab",
    "georgia",
    "times",
    "garamond",
    "baskerville",
    "merriweather",
    "lora",
    "playfair",
    "didot",
    "bodoni",
    "caslon",
    "cambria",
    "palatino",
    "antiqua",
    "crimson",
    "cormorant",
    "spectral",
    "charter",
    "minion",
    "rockwell",
    "prata",
    "abril",
    "domine",
    "cardo",
    "alegreya",
];
const DISPLAY_NAMES: [&str; 17] = [
    "display",
    "condensed",
    "compressed",
    "narrow",
    "impact",
    "bebas",
    "oswald",
    "anton",
    "league gothic",
    "archivo black",
    "fjalla",
    "teko",
    "staatliches",
    "big shoulders",
    "knockout",
    "haettenschweiler",
    "fantasy",
];
const SANS_NAMES: [&str; 34] = [
    "sans",
    "system-ui",
    "-apple-system",
    "blinkmacsystemfont",
    "helvetica",
    "arial",
    "inter",
    "roboto",
    "lato",
    "montserrat",
    "poppins",
    "segoe",
    "sf pro",
    "san francisco",
    "verdana",
    "tahoma",
    "futura",
    "avenir",
    "gill",
    "proxima",
    "nunito",
    "raleway",
    "ubuntu",
    "manrope",
    "graphik",
    "circular",
    "gotham",
    "frutiger",
    "univers",
    "myriad",
    "calibri",
    "trebuchet",
    "franklin",
    "monospace",
];

/// The class of a family name we may not embed. "Sans" is read first ("sans-serif", "Noto
/// Sans Display" are sans), then serif names ("Playfair Display SC", "DM Serif Display" are
/// serif), then display names.
fn family_class(name: &str) -> Option<FontFamily> {
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if name.contains("sans") {
        Some(FontFamily::Inter)
    } else if has(&SERIF_NAMES) {
        Some(FontFamily::Serif)
    } else if has(&DISPLAY_NAMES) {
        Some(FontFamily::Display)
    } else if has(&SANS_NAMES) {
        Some(FontFamily::Inter)
    } else {
        None
    }
}

impl Face {
    pub const fn new(family: FontFamily, weight: Weight) -> Face {
        Face { family, weight }
    }

    /// This face when it has a glyph for every character of `text` (and the ellipsis a cut
    /// adds), else the same weight of Inter.
    pub fn covering(self, text: &str) -> Face {
        let font = font(self);
        let covered = text
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .chain([ELLIPSIS])
            .all(|c| font.glyph_id(c).0 != 0);
        if covered {
            self
        } else {
            Face::new(FontFamily::Inter, self.weight)
        }
    }
}

fn font(face: Face) -> &'static FontRef<'static> {
    static FONTS: [OnceLock<FontRef<'static>>; 6] = [const { OnceLock::new() }; 6];
    let (index, bytes): (usize, &'static [u8]) = match (face.family, face.weight) {
        (FontFamily::Inter, Weight::Bold) => {
            (0, include_bytes!("../assets/fonts/InterDisplay-Bold.otf"))
        }
        (FontFamily::Inter, Weight::Regular) => {
            (1, include_bytes!("../assets/fonts/Inter-Regular.otf"))
        }
        (FontFamily::Serif, Weight::Bold) => (
            2,
            include_bytes!("../assets/fonts/PlayfairDisplay-Bold.ttf"),
        ),
        (FontFamily::Serif, Weight::Regular) => (
            3,
            include_bytes!("../assets/fonts/PlayfairDisplay-Regular.ttf"),
        ),
        (FontFamily::Display, Weight::Bold) => {
            (4, include_bytes!("../assets/fonts/Oswald-Bold.ttf"))
        }
        (FontFamily::Display, Weight::Regular) => {
            (5, include_bytes!("../assets/fonts/Oswald-Regular.ttf"))
        }
    };
    // The bytes are compiled in and covered by the tests: a parse failure is a build defect.
    FONTS[index].get_or_init(|| FontRef::try_from_slice(bytes).expect("embedded font parses"))
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

#[cfg(test)]
mod tests {
    use super::*;

    const FACES: [Face; 6] = [
        Face::new(FontFamily::Inter, Weight::Bold),
        Face::new(FontFamily::Inter, Weight::Regular),
        Face::new(FontFamily::Serif, Weight::Bold),
        Face::new(FontFamily::Serif, Weight::Regular),
        Face::new(FontFamily::Display, Weight::Bold),
        Face::new(FontFamily::Display, Weight::Regular),
    ];

    #[test]
    fn brand_font_lists_map_to_an_embedded_family() {
        use FontFamily::{Display, Inter, Serif};
        let table = [
            ("Playfair Display, Georgia, serif", Serif),
            ("'Oswald', sans-serif", Display),
            ("\"Inter\", system-ui", Inter),
            ("  OSWALD  ", Display),
            ("Helvetica Neue", Inter),
            ("Helvetica Neue, Georgia, serif", Inter),
            ("Acme Grotesk, Georgia, serif", Serif),
            ("Georgia", Serif),
            ("Times New Roman", Serif),
            ("EB Garamond", Serif),
            ("Merriweather, serif", Serif),
            ("Lora", Serif),
            ("Roboto Slab", Serif),
            ("DM Serif Display", Serif),
            ("serif", Serif),
            ("Bebas Neue, Impact, sans-serif", Display),
            ("Anton", Display),
            ("Roboto Condensed", Display),
            ("Big Shoulders Display", Display),
            ("fantasy", Display),
            ("Noto Sans Display", Inter),
            ("Open Sans", Inter),
            ("sans-serif", Inter),
            ("system-ui, -apple-system, Segoe UI", Inter),
            ("Acme Brand Font", Inter),
            ("", Inter),
            (",,,", Inter),
            // An exact name anywhere in the list beats a class earlier in it.
            ("Georgia, Oswald", Display),
        ];
        for (css, family) in table {
            assert_eq!(FontFamily::from_css(css), family, "{css:?}");
        }
        assert_eq!(FontFamily::for_brand(None), Inter);
        assert_eq!(FontFamily::for_brand(Some("Lora")), Serif);
    }

    #[test]
    fn every_embedded_face_parses_and_covers_latin_text() {
        let latin: String = (0x20u32..0x7f)
            .chain(0xc0..0x180)
            .filter_map(char::from_u32)
            .chain("€–—‘’“”…•«»¡¿ß".chars())
            .collect();
        for face in FACES {
            assert_eq!(face.covering(&latin), face, "{face:?} lacks Latin glyphs");
            assert!(metrics(face, 40.0).ascent > 20.0, "{face:?}");
            assert!(measure(face, 40.0, "Hamburgefonstiv") > 100.0, "{face:?}");
        }
    }

    #[test]
    fn a_block_with_a_glyph_the_family_lacks_falls_back_to_inter() {
        let oswald = Face::new(FontFamily::Display, Weight::Bold);
        assert_eq!(
            oswald.covering("Привет"),
            Face::new(FontFamily::Inter, Weight::Bold)
        );
        assert_eq!(oswald.covering("Bonjour à tous"), oswald);
        let playfair = Face::new(FontFamily::Serif, Weight::Regular);
        assert_eq!(
            playfair.covering("10 µm"),
            Face::new(FontFamily::Inter, Weight::Regular)
        );
    }
}
