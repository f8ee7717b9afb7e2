//! The brand's `font_family` mapped onto an embedded family.
//!
//! Three Latin families are embedded (OFL-1.1; see `adapters/render/assets/fonts/`): Inter (the
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
//! The family only decides the Latin, Greek and Cyrillic letters; every other script falls
//! back, character by character, to its own embedded face (see [`super::fonts`]).

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
