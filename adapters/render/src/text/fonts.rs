//! Every embedded font file, parsed once, and the order characters fall back through them.
//!
//! The renderer reads no system font: the output must be the same bytes on every machine, so
//! each face is compiled in with `include_bytes!` (the files, their licences and how they were
//! cut are in `adapters/render/assets/fonts/README.md`; `scripts/fonts.sh` rebuilds them).
//! Each file is parsed twice over the same bytes: by `rustybuzz` for shaping and by `ab_glyph`
//! for outlines (both read through `ttf-parser`, which the two crates share).
//!
//! Fallback goes by the character's script first (Arabic, Hebrew, Devanagari, Thai and the CJK
//! scripts each have one face), then by coverage through the chain of [`FontId::chain`]. One
//! Noto Sans CJK face serves Japanese, Korean and both Chinese scripts: it keeps its `locl`
//! substitutions, and the shaper picks the region's glyph forms from the language the copy is
//! written in (see [`cjk_region`]).

use std::sync::OnceLock;

use ab_glyph::FontRef;
use unicode_script::UnicodeScript;

use super::family::{FontFamily, Weight};

/// One embedded font file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontId {
    InterBold,
    InterRegular,
    PlayfairBold,
    PlayfairRegular,
    OswaldBold,
    OswaldRegular,
    CjkBold,
    CjkRegular,
    ArabicBold,
    ArabicRegular,
    HebrewBold,
    HebrewRegular,
    DevanagariBold,
    DevanagariRegular,
    ThaiBold,
    ThaiRegular,
    Emoji,
}

/// A parsed face: shaping tables, outlines and the vertical metrics in ems.
pub struct Font {
    pub shaper: rustybuzz::Face<'static>,
    pub outlines: FontRef<'static>,
    pub units_per_em: f32,
    /// Above the baseline, in ems.
    pub ascent: f32,
    /// Below the baseline, in ems (positive).
    pub descent: f32,
}

impl FontId {
    /// Every embedded face.
    pub const ALL: [FontId; 17] = [
        FontId::InterBold,
        FontId::InterRegular,
        FontId::PlayfairBold,
        FontId::PlayfairRegular,
        FontId::OswaldBold,
        FontId::OswaldRegular,
        FontId::CjkBold,
        FontId::CjkRegular,
        FontId::ArabicBold,
        FontId::ArabicRegular,
        FontId::HebrewBold,
        FontId::HebrewRegular,
        FontId::DevanagariBold,
        FontId::DevanagariRegular,
        FontId::ThaiBold,
        FontId::ThaiRegular,
        FontId::Emoji,
    ];

    /// The face a family sets its Latin, Greek and Cyrillic letters in.
    pub fn of_family(family: FontFamily, weight: Weight) -> FontId {
        match (family, weight) {
            (FontFamily::Inter, Weight::Bold) => FontId::InterBold,
            (FontFamily::Inter, Weight::Regular) => FontId::InterRegular,
            (FontFamily::Serif, Weight::Bold) => FontId::PlayfairBold,
            (FontFamily::Serif, Weight::Regular) => FontId::PlayfairRegular,
            (FontFamily::Display, Weight::Bold) => FontId::OswaldBold,
            (FontFamily::Display, Weight::Regular) => FontId::OswaldRegular,
        }
    }

    /// The face for a script that has its own, in the weight asked for.
    pub fn for_script(script: unicode_script::Script, weight: Weight) -> Option<FontId> {
        use unicode_script::Script as S;
        let bold = weight == Weight::Bold;
        let pick = |b, r| Some(if bold { b } else { r });
        match script {
            S::Arabic => pick(FontId::ArabicBold, FontId::ArabicRegular),
            S::Hebrew => pick(FontId::HebrewBold, FontId::HebrewRegular),
            S::Devanagari => pick(FontId::DevanagariBold, FontId::DevanagariRegular),
            S::Thai => pick(FontId::ThaiBold, FontId::ThaiRegular),
            S::Han | S::Hiragana | S::Katakana | S::Hangul | S::Bopomofo => {
                pick(FontId::CjkBold, FontId::CjkRegular)
            }
            _ => None,
        }
    }

    /// Where a character no script rule placed looks, in order: the block's face, Inter,
    /// then every other face of the weight, the emoji face last.
    pub fn chain(primary: FontId, weight: Weight) -> [FontId; 8] {
        let inter = FontId::of_family(FontFamily::Inter, weight);
        let s = |script| FontId::for_script(script, weight).unwrap_or(inter);
        use unicode_script::Script as S;
        [
            primary,
            inter,
            s(S::Han),
            s(S::Arabic),
            s(S::Hebrew),
            s(S::Devanagari),
            s(S::Thai),
            FontId::Emoji,
        ]
    }

    /// The face a block is set in: this family face when it has every Latin, Greek and
    /// Cyrillic letter of `text` that Inter has, else Inter (a brand face lacking Cyrillic
    /// sets a Russian headline wholly in Inter rather than mixing the two in one word).
    pub fn for_text(self, text: &str, weight: Weight) -> FontId {
        let inter = FontId::of_family(FontFamily::Inter, weight);
        let lacks = text
            .chars()
            .filter(|c| !c.is_whitespace() && FontId::for_script(c.script(), weight).is_none())
            .any(|c| !self.covers(c) && inter.covers(c));
        if lacks { inter } else { self }
    }

    /// Whether the face has a glyph for `c`.
    pub fn covers(self, c: char) -> bool {
        self.font().shaper.glyph_index(c).is_some()
    }

    /// The face's name as reported in the text-fit diagnostics (the CJK face by the region
    /// whose forms the language selects).
    pub fn name(self, language: &str) -> &'static str {
        match self {
            FontId::InterBold => "Inter Display Bold",
            FontId::InterRegular => "Inter Regular",
            FontId::PlayfairBold => "Playfair Display Bold",
            FontId::PlayfairRegular => "Playfair Display Regular",
            FontId::OswaldBold => "Oswald Bold",
            FontId::OswaldRegular => "Oswald Regular",
            FontId::CjkBold => match cjk_region(language) {
                CjkRegion::Japan => "Noto Sans CJK JP Bold",
                CjkRegion::Korea => "Noto Sans CJK KR Bold",
                CjkRegion::Simplified => "Noto Sans CJK SC Bold",
                CjkRegion::Traditional => "Noto Sans CJK TC Bold",
            },
            FontId::CjkRegular => match cjk_region(language) {
                CjkRegion::Japan => "Noto Sans CJK JP Regular",
                CjkRegion::Korea => "Noto Sans CJK KR Regular",
                CjkRegion::Simplified => "Noto Sans CJK SC Regular",
                CjkRegion::Traditional => "Noto Sans CJK TC Regular",
            },
            FontId::ArabicBold => "Noto Sans Arabic Bold",
            FontId::ArabicRegular => "Noto Sans Arabic Regular",
            FontId::HebrewBold => "Noto Sans Hebrew Bold",
            FontId::HebrewRegular => "Noto Sans Hebrew Regular",
            FontId::DevanagariBold => "Noto Sans Devanagari Bold",
            FontId::DevanagariRegular => "Noto Sans Devanagari Regular",
            FontId::ThaiBold => "Noto Sans Thai Bold",
            FontId::ThaiRegular => "Noto Sans Thai Regular",
            FontId::Emoji => "Noto Emoji",
        }
    }

    fn bytes(self) -> &'static [u8] {
        macro_rules! font {
            ($file:literal) => {
                include_bytes!(concat!("../../assets/fonts/", $file))
            };
        }
        match self {
            FontId::InterBold => font!("InterDisplay-Bold.otf"),
            FontId::InterRegular => font!("Inter-Regular.otf"),
            FontId::PlayfairBold => font!("PlayfairDisplay-Bold.ttf"),
            FontId::PlayfairRegular => font!("PlayfairDisplay-Regular.ttf"),
            FontId::OswaldBold => font!("Oswald-Bold.ttf"),
            FontId::OswaldRegular => font!("Oswald-Regular.ttf"),
            FontId::CjkBold => font!("NotoSansCJK-Bold.otf"),
            FontId::CjkRegular => font!("NotoSansCJK-Regular.otf"),
            FontId::ArabicBold => font!("NotoSansArabic-Bold.ttf"),
            FontId::ArabicRegular => font!("NotoSansArabic-Regular.ttf"),
            FontId::HebrewBold => font!("NotoSansHebrew-Bold.ttf"),
            FontId::HebrewRegular => font!("NotoSansHebrew-Regular.ttf"),
            FontId::DevanagariBold => font!("NotoSansDevanagari-Bold.ttf"),
            FontId::DevanagariRegular => font!("NotoSansDevanagari-Regular.ttf"),
            FontId::ThaiBold => font!("NotoSansThai-Bold.ttf"),
            FontId::ThaiRegular => font!("NotoSansThai-Regular.ttf"),
            FontId::Emoji => font!("NotoEmoji-Regular.ttf"),
        }
    }

    /// The parsed face (parsed on first use, then shared).
    pub fn font(self) -> &'static Font {
        static FONTS: [OnceLock<Font>; 17] = [const { OnceLock::new() }; 17];
        FONTS[self as usize].get_or_init(|| {
            let bytes = self.bytes();
            // The bytes are compiled in and every face is parsed by the tests: a failure here
            // is a build defect, not an input error.
            let shaper = rustybuzz::Face::from_slice(bytes, 0).expect("embedded font parses");
            let outlines = FontRef::try_from_slice(bytes).expect("embedded font parses");
            let units_per_em = shaper.units_per_em() as f32;
            Font {
                ascent: f32::from(shaper.ascender()) / units_per_em,
                descent: -f32::from(shaper.descender()) / units_per_em,
                units_per_em,
                outlines,
                shaper,
            }
        })
    }
}

/// Whose glyph forms a CJK run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CjkRegion {
    Japan,
    Korea,
    Simplified,
    Traditional,
}

/// The region a BCP 47 tag selects; Chinese without a script or region is Simplified.
pub fn cjk_region(language: &str) -> CjkRegion {
    let tag = language.to_ascii_lowercase();
    if tag.starts_with("ja") {
        CjkRegion::Japan
    } else if tag.starts_with("ko") {
        CjkRegion::Korea
    } else if tag.contains("hant") || tag.ends_with("-tw") || tag.ends_with("-hk") {
        CjkRegion::Traditional
    } else {
        CjkRegion::Simplified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_face_parses_with_sane_metrics() {
        for id in FontId::ALL {
            let font = id.font();
            assert!(font.units_per_em >= 256.0, "{id:?}");
            assert!(
                font.ascent > 0.5 && font.ascent < 1.6,
                "{id:?} ascent {}",
                font.ascent
            );
            assert!(
                font.descent > 0.0 && font.descent < 1.0,
                "{id:?} descent {}",
                font.descent
            );
        }
    }

    #[test]
    fn each_script_face_covers_its_script() {
        let samples = [
            (
                FontId::CjkBold,
                "東京の新しいラーメン店双十一限时特惠週年慶새로운카페",
            ),
            (FontId::ArabicBold, "تخفيضات الصيف ٥٠٪"),
            (FontId::HebrewBold, "מבצע קיץ"),
            (FontId::DevanagariBold, "दिवाली की भव्य सेल"),
            (FontId::ThaiBold, "ลดราคาสูงสุด"),
            (FontId::Emoji, "🎉🔥☕🚀✨👟🍜"),
        ];
        for (id, text) in samples {
            for c in text.chars().filter(|c| !c.is_whitespace()) {
                assert!(id.covers(c), "{id:?} lacks {c:?}");
            }
        }
    }

    #[test]
    fn cjk_regions_follow_the_language_tag() {
        assert_eq!(cjk_region("ja"), CjkRegion::Japan);
        assert_eq!(cjk_region("ko"), CjkRegion::Korea);
        assert_eq!(cjk_region("zh-Hans"), CjkRegion::Simplified);
        assert_eq!(cjk_region("zh-Hant"), CjkRegion::Traditional);
        assert_eq!(cjk_region("zh-TW"), CjkRegion::Traditional);
        assert_eq!(cjk_region("zh"), CjkRegion::Simplified);
    }
}
