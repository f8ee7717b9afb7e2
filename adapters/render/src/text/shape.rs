//! A block of copy, shaped once: fonts assigned per character, bidi levels resolved, each run
//! shaped by `rustybuzz`, and the line-break opportunities found.
//!
//! Everything is kept in ems (the font size is 1), because shaping without hinting scales
//! linearly: the size search of the fitter multiplies widths instead of shaping again, and
//! only a shortened block (an ellipsis added) is shaped a second time.
//!
//! Line breaking follows UAX #14 (`unicode-linebreak`): no break inside a word, breaks between
//! CJK characters, none before closing punctuation (、。」) or after opening brackets (「).
//! On top of it, the Japanese kinsoku rule the default algorithm leaves open: no line starts
//! with a small kana, a prolonged sound mark or an iteration mark. Thai, which marks no word
//! boundaries, breaks only at its spaces. A word wider than the line is split between glyph
//! clusters only when the fitter allows it (its last resort).
//!
//! Lines are ordered visually per UAX #9 (`unicode-bidi`): a right-to-left paragraph reads
//! from the right, a Latin brand name or a number inside it keeps its own direction.

use std::ops::Range;

use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::{Level, ParagraphBidiInfo};
use unicode_linebreak::{BreakOpportunity, linebreaks};
use unicode_script::{Script, UnicodeScript};

use super::family::Weight;
use super::fonts::FontId;

/// A shaped glyph, in ems.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    pub font: FontId,
    pub id: u16,
    /// Byte offset in the paragraph of the first character the glyph draws.
    pub cluster: usize,
    pub advance: f32,
    pub dx: f32,
    pub dy: f32,
}

/// A glyph placed on a line: `x` from the line's start, in ems.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub font: FontId,
    pub id: u16,
    pub x: f32,
    pub dy: f32,
}

/// One shaping run: the same font, direction and script.
#[derive(Debug, Clone)]
struct Run {
    range: Range<usize>,
    /// In visual order for the run's direction (as the shaper returns them).
    glyphs: Vec<Glyph>,
}

/// One paragraph of the block (the writer's line breaks are paragraph breaks).
#[derive(Debug, Clone)]
struct Paragraph {
    text: String,
    rtl: bool,
    runs: Vec<Run>,
    /// `prefix[i]`: advance of every glyph whose cluster starts before byte `i`.
    prefix: Vec<f32>,
    /// Allowed break positions (a line may start there), ascending, inside the text.
    breaks: Vec<usize>,
    /// Glyph cluster starts, ascending: where a word may be split in the last resort.
    clusters: Vec<usize>,
}

/// A line: a byte range of one paragraph, trailing spaces excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub paragraph: usize,
    pub start: usize,
    pub end: usize,
}

/// Lines from a wrap, and whether a word had to be split to make them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    pub lines: Vec<Span>,
    pub split_word: bool,
}

/// A block of copy, shaped.
#[derive(Debug, Clone)]
pub struct Shaped {
    paragraphs: Vec<Paragraph>,
    /// The face the block's Latin, Greek and Cyrillic letters are set in.
    pub primary: FontId,
    pub weight: Weight,
    pub language: String,
}

const ELLIPSIS: &str = "…";

impl Shaped {
    /// Shapes `text` (already normalised: see [`super::normalise`]; `\n` separates
    /// paragraphs) with `primary` for the letters it covers, in `language` (BCP 47).
    pub fn new(text: &str, primary: FontId, weight: Weight, language: &str) -> Shaped {
        let rb_language = language
            .parse::<rustybuzz::Language>()
            .ok()
            .or_else(|| "en".parse().ok());
        let paragraphs = text
            .split('\n')
            .filter(|p| !p.is_empty())
            .map(|p| Paragraph::new(p, primary, weight, rb_language.as_ref()))
            .collect();
        Shaped {
            paragraphs,
            primary,
            weight,
            language: language.to_owned(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.paragraphs.is_empty()
    }

    /// The block's text, paragraphs joined by `\n`.
    #[cfg(test)]
    pub fn text(&self) -> String {
        self.paragraphs
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The text of one line.
    pub fn line_text(&self, span: Span) -> &str {
        &self.paragraphs[span.paragraph].text[span.start..span.end]
    }

    /// Whether the line reads right to left (its paragraph does).
    pub fn is_rtl(&self, span: Span) -> bool {
        self.paragraphs[span.paragraph].rtl
    }

    /// Whether the block's first paragraph reads right to left.
    pub fn starts_rtl(&self) -> bool {
        self.paragraphs.first().is_some_and(|p| p.rtl)
    }

    /// Advance width of a line, in ems.
    pub fn width(&self, span: Span) -> f32 {
        let p = &self.paragraphs[span.paragraph];
        p.prefix[span.end] - p.prefix[span.start]
    }

    /// Every face a glyph of the block is drawn from, in [`FontId`] order.
    pub fn fonts(&self) -> Vec<FontId> {
        let mut fonts: Vec<FontId> = self
            .paragraphs
            .iter()
            .flat_map(|p| p.runs.iter().flat_map(|r| r.glyphs.iter().map(|g| g.font)))
            .collect();
        fonts.sort();
        fonts.dedup();
        fonts
    }

    /// The face drawing most of the block's glyphs (its primary face on a tie).
    pub fn main_font(&self) -> FontId {
        let mut counts: Vec<(FontId, usize)> = Vec::new();
        for g in self.glyphs() {
            match counts.iter_mut().find(|(f, _)| *f == g.font) {
                Some((_, n)) => *n += 1,
                None => counts.push((g.font, 1)),
            }
        }
        counts
            .iter()
            .max_by_key(|(f, n)| (*n, *f == self.primary))
            .map_or(self.primary, |(f, _)| *f)
    }

    /// Glyphs no embedded face has (drawn as nothing; the golden tests require none).
    pub fn missing_glyphs(&self) -> usize {
        self.glyphs().filter(|g| g.id == 0).count()
    }

    fn glyphs(&self) -> impl Iterator<Item = &Glyph> {
        self.paragraphs
            .iter()
            .flat_map(|p| p.runs.iter().flat_map(|r| r.glyphs.iter()))
    }

    /// The tallest ascent and descent (ems) of the faces the block uses.
    pub fn metrics(&self) -> (f32, f32) {
        let fonts = self.fonts();
        let primary = self.primary.font();
        fonts
            .iter()
            .map(|f| f.font())
            .fold((primary.ascent, primary.descent), |(a, d), f| {
                (a.max(f.ascent), d.max(f.descent))
            })
    }

    /// Greedy lines no wider than `max` ems. A word wider than a line is split between
    /// clusters when `split_words`, else it overflows its line; either way `split_word` says so.
    pub fn wrap(&self, max: f32, split_words: bool) -> Wrapped {
        let mut lines = Vec::new();
        let mut split_word = false;
        for (index, p) in self.paragraphs.iter().enumerate() {
            let mut start = p.skip_spaces(0);
            while start < p.text.len() {
                let mut fitted = None;
                for end in p.breaks.iter().copied().filter(|&b| b > start) {
                    if p.width(start, p.trim_end(start, end)) <= max {
                        fitted = Some(end);
                    } else {
                        break;
                    }
                }
                let next = match fitted {
                    Some(end) => end,
                    None => {
                        split_word = true;
                        let word_end = p
                            .breaks
                            .iter()
                            .copied()
                            .find(|&b| b > start)
                            .unwrap_or(p.text.len());
                        if split_words {
                            p.split_point(start, word_end, max)
                        } else {
                            word_end
                        }
                    }
                };
                lines.push(Span {
                    paragraph: index,
                    start,
                    end: p.trim_end(start, next),
                });
                start = p.skip_spaces(next);
            }
        }
        Wrapped { lines, split_word }
    }

    /// Like [`Shaped::wrap`], at the narrowest width that gives no more lines, so the lines
    /// come out of even length and a headline does not end on a lone word.
    pub fn wrap_balanced(&self, max: f32, split_words: bool) -> Wrapped {
        let greedy = self.wrap(max, split_words);
        if greedy.lines.len() < 2 {
            return greedy;
        }
        let (mut narrow, mut wide) = (max * 0.4, max);
        // A dozen halvings bring the width within 0.02 % of the optimum: invisible.
        for _ in 0..12 {
            let mid = (narrow + wide) / 2.0;
            let attempt = self.wrap(mid, split_words);
            if attempt.lines.len() <= greedy.lines.len() && attempt.split_word == greedy.split_word
            {
                wide = mid;
            } else {
                narrow = mid;
            }
        }
        self.wrap(wide, split_words)
    }

    /// The block cut after `keep` lines of `wrapped`, at the last word boundary where the cut
    /// text and an ellipsis still fit `max` ems in `keep` lines; `None` when nothing does.
    pub fn shortened(&self, wrapped: &Wrapped, keep: usize, max: f32) -> Option<Shaped> {
        let last = *wrapped.lines.get(keep.checked_sub(1)?)?;
        let p = &self.paragraphs[last.paragraph];
        let before: Vec<&str> = self.paragraphs[..last.paragraph]
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        // Word boundaries in the last kept line, from its end back; then, when even its first
        // word is too long, cluster boundaries.
        let mut cuts: Vec<usize> = p
            .breaks
            .iter()
            .copied()
            .filter(|&b| b > last.start && b <= last.end)
            .chain([last.end])
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        cuts.reverse();
        let mut clusters: Vec<usize> = p
            .clusters
            .iter()
            .copied()
            .filter(|&c| c > last.start && c < last.end)
            .collect();
        clusters.reverse();
        for cut in cuts.into_iter().chain(clusters) {
            let head = p.text[..cut].trim_end();
            let mut text = before.join("\n");
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(head);
            text.push_str(ELLIPSIS);
            let candidate = Shaped::new(&text, self.primary, self.weight, &self.language);
            let fit = candidate.wrap(max, false);
            if fit.lines.len() <= keep && !fit.split_word {
                return Some(candidate);
            }
        }
        None
    }

    /// A line's glyphs in visual order, placed from its left edge.
    pub fn line_glyphs(&self, span: Span) -> Vec<Placed> {
        self.paragraphs[span.paragraph].line_glyphs(span.start..span.end)
    }
}

impl Paragraph {
    fn new(
        text: &str,
        primary: FontId,
        weight: Weight,
        language: Option<&rustybuzz::Language>,
    ) -> Paragraph {
        let bidi = ParagraphBidiInfo::new(text, None);
        let fonts = assign_fonts(text, primary, weight);
        let scripts = resolve_scripts(text);
        let mut runs = Vec::new();
        let mut start = 0;
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        for (i, &(at, _)) in chars.iter().enumerate().skip(1) {
            let (prev, _) = chars[i - 1];
            let same = fonts[i] == fonts[i - 1]
                && bidi.levels[at] == bidi.levels[prev]
                && scripts[i] == scripts[i - 1];
            if !same {
                runs.push(shape_run(
                    text,
                    start..at,
                    fonts[i - 1],
                    bidi.levels[prev],
                    scripts[i - 1],
                    language,
                ));
                start = at;
            }
        }
        if let Some(last) = chars.len().checked_sub(1) {
            runs.push(shape_run(
                text,
                start..text.len(),
                fonts[last],
                bidi.levels[chars[last].0],
                scripts[last],
                language,
            ));
        }

        let mut per_byte = vec![0f32; text.len() + 1];
        let mut clusters = Vec::new();
        for glyph in runs.iter().flat_map(|r| &r.glyphs) {
            per_byte[glyph.cluster] += glyph.advance;
            clusters.push(glyph.cluster);
        }
        clusters.sort_unstable();
        clusters.dedup();
        let mut prefix = Vec::with_capacity(text.len() + 1);
        let mut sum = 0.0;
        for advance in &per_byte {
            prefix.push(sum);
            sum += advance;
        }

        let breaks = linebreaks(text)
            .filter(|&(at, kind)| {
                kind == BreakOpportunity::Mandatory && at == text.len()
                    || kind == BreakOpportunity::Allowed && !starts_with_kinsoku(&text[at..])
            })
            .map(|(at, _)| at)
            .collect();

        Paragraph {
            rtl: bidi.paragraph_level.is_rtl(),
            text: text.to_owned(),
            runs,
            prefix,
            breaks,
            clusters,
        }
    }

    fn width(&self, start: usize, end: usize) -> f32 {
        self.prefix[end] - self.prefix[start]
    }

    fn skip_spaces(&self, from: usize) -> usize {
        from + self.text[from..]
            .char_indices()
            .find(|(_, c)| !c.is_whitespace())
            .map_or(self.text.len() - from, |(i, _)| i)
    }

    fn trim_end(&self, start: usize, end: usize) -> usize {
        start + self.text[start..end].trim_end().len()
    }

    /// The furthest cluster boundary after `start` (and before `limit`) that fits `max`;
    /// at least one cluster, so a glyph wider than the line still makes progress.
    fn split_point(&self, start: usize, limit: usize, max: f32) -> usize {
        let mut best = None;
        for &c in self.clusters.iter().filter(|&&c| c > start && c < limit) {
            if self.width(start, c) <= max {
                best = Some(c);
            } else {
                break;
            }
        }
        best.or_else(|| self.clusters.iter().copied().find(|&c| c > start))
            .unwrap_or(limit)
            .min(limit)
    }

    fn line_glyphs(&self, line: Range<usize>) -> Vec<Placed> {
        let bidi = ParagraphBidiInfo::new(&self.text, None);
        let (levels, visual) = if line.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            bidi.visual_runs(line.clone())
        };
        let mut placed = Vec::new();
        let mut x = 0.0;
        for range in visual {
            let rtl = levels.get(range.start).is_some_and(|l| l.is_rtl());
            let mut pieces: Vec<&Run> = self
                .runs
                .iter()
                .filter(|r| r.range.start < range.end && range.start < r.range.end)
                .collect();
            if rtl {
                pieces.reverse();
            }
            for run in pieces {
                for g in run.glyphs.iter().filter(|g| range.contains(&g.cluster)) {
                    placed.push(Placed {
                        font: g.font,
                        id: g.id,
                        x: x + g.dx,
                        dy: g.dy,
                    });
                    x += g.advance;
                }
            }
        }
        placed
    }
}

fn shape_run(
    text: &str,
    range: Range<usize>,
    font: FontId,
    level: Level,
    script: Script,
    language: Option<&rustybuzz::Language>,
) -> Run {
    let face = font.font();
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(&text[range.clone()]);
    buffer.set_pre_context(&text[..range.start]);
    buffer.set_post_context(&text[range.end..]);
    buffer.set_direction(if level.is_rtl() {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    if let Some(script) = rustybuzz::Script::from_iso15924_tag(
        rustybuzz::ttf_parser::Tag::from_bytes_lossy(script.short_name().as_bytes()),
    ) {
        buffer.set_script(script);
    }
    if let Some(language) = language {
        buffer.set_language(language.clone());
    }
    let shaped = rustybuzz::shape(&face.shaper, &[], buffer);
    let em = face.units_per_em;
    let glyphs = shaped
        .glyph_infos()
        .iter()
        .zip(shaped.glyph_positions())
        .map(|(info, pos)| Glyph {
            font,
            // Glyph ids are 16-bit in OpenType; anything else would be a shaper defect.
            id: u16::try_from(info.glyph_id).unwrap_or(0),
            cluster: range.start + info.cluster as usize,
            advance: pos.x_advance as f32 / em,
            dx: pos.x_offset as f32 / em,
            dy: pos.y_offset as f32 / em,
        })
        .collect();
    Run { range, glyphs }
}

fn is_real(script: Script) -> bool {
    !matches!(script, Script::Common | Script::Inherited | Script::Unknown)
}

/// Each character's script, with Common and Inherited characters (spaces, digits,
/// punctuation, marks) taking the script of the text around them, so they shape with it.
fn resolve_scripts(text: &str) -> Vec<Script> {
    let own: Vec<Script> = text.chars().map(|c| c.script()).collect();
    let first = own
        .iter()
        .copied()
        .find(|s| is_real(*s))
        .unwrap_or(Script::Latin);
    let mut current = first;
    own.into_iter()
        .map(|s| {
            if is_real(s) {
                current = s;
            }
            current
        })
        .collect()
}

/// The face each character is drawn from: a script's own face for its letters; the face of
/// the neighbouring letters for spaces, digits and punctuation when it has them; the face of
/// the base for marks and joiners; otherwise the first face in the chain that covers it.
fn assign_fonts(text: &str, primary: FontId, weight: Weight) -> Vec<FontId> {
    let chars: Vec<char> = text.chars().collect();
    let chain = FontId::chain(primary, weight);
    let by_coverage = |c: char| chain.iter().copied().find(|f| f.covers(c));
    let mut fonts: Vec<Option<FontId>> = chars
        .iter()
        .map(|&c| {
            let script = c.script();
            if !is_real(script) {
                return None;
            }
            let own = FontId::for_script(script, weight).filter(|f| f.covers(c));
            // Latin, Greek, Cyrillic: the block's face, else Inter, else anything.
            Some(own.or_else(|| by_coverage(c)).unwrap_or(primary))
        })
        .collect();
    // Neutral characters: previous letter's face, else the next letter's, else the chain.
    for i in 0..chars.len() {
        if fonts[i].is_some() {
            continue;
        }
        let c = chars[i];
        let inherited = c.script() == Script::Inherited || is_joiner(c);
        let prev = fonts[..i].iter().rev().flatten().next().copied();
        let next = fonts[i + 1..].iter().flatten().next().copied();
        let chosen = if inherited {
            prev.or(next)
        } else {
            prev.filter(|f| f.covers(c))
                .or_else(|| next.filter(|f| f.covers(c)))
                .or_else(|| by_coverage(c))
        };
        fonts[i] = Some(chosen.unwrap_or(primary));
    }
    fonts.into_iter().map(|f| f.unwrap_or(primary)).collect()
}

/// Zero-width joiners and variation selectors go with the character before them.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Japanese kinsoku shori: characters a line may not start with, beyond what UAX #14
/// already forbids (closing brackets and full stops): small kana, the prolonged sound mark
/// and iteration marks.
fn starts_with_kinsoku(rest: &str) -> bool {
    rest.chars().next().is_some_and(|c| {
        matches!(
            c,
            'ぁ' | 'ぃ'
                | 'ぅ'
                | 'ぇ'
                | 'ぉ'
                | 'っ'
                | 'ゃ'
                | 'ゅ'
                | 'ょ'
                | 'ゎ'
                | 'ゕ'
                | 'ゖ'
                | 'ァ'
                | 'ィ'
                | 'ゥ'
                | 'ェ'
                | 'ォ'
                | 'ッ'
                | 'ャ'
                | 'ュ'
                | 'ョ'
                | 'ヮ'
                | 'ヵ'
                | 'ヶ'
                | 'ー'
                | '々'
                | '〻'
                | 'ゝ'
                | 'ゞ'
                | 'ヽ'
                | 'ヾ'
                | '\u{31F0}'..='\u{31FF}'
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped(text: &str, language: &str) -> Shaped {
        Shaped::new(text, FontId::InterBold, Weight::Bold, language)
    }

    fn lines(s: &Shaped, max: f32) -> Vec<String> {
        s.wrap(max, false)
            .lines
            .iter()
            .map(|l| s.line_text(*l).to_owned())
            .collect()
    }

    #[test]
    fn latin_wraps_between_words_and_never_inside_one() {
        let s = shaped("Fresh roast delivered to your door", "en");
        let all = s.width(Span {
            paragraph: 0,
            start: 0,
            end: s.text().len(),
        });
        let wrapped = lines(&s, all * 0.55);
        assert!(wrapped.len() >= 2, "{wrapped:?}");
        assert_eq!(wrapped.join(" "), "Fresh roast delivered to your door");
        // One word wider than the line overflows unless splitting is allowed.
        let long = shaped("Donaudampfschifffahrtsgesellschaft", "de");
        let w = long.wrap(2.0, false);
        assert!(w.split_word && w.lines.len() == 1);
        let w = long.wrap(2.0, true);
        assert!(w.split_word && w.lines.len() > 3);
    }

    #[test]
    fn japanese_breaks_between_characters_but_not_before_small_kana_or_stops() {
        let s = shaped(
            "東京の新しいラーメン店のオープン記念、半額セール。ショップでお待ちしています",
            "ja",
        );
        for max in [2.5f32, 3.0, 3.5, 4.0, 5.5, 7.0] {
            let lines = lines(&s, max);
            assert!(lines.len() > 1);
            for line in &lines[1..] {
                let first = line.chars().next().expect("non-empty");
                assert!(
                    !"、。ーッャュョっゃゅょ」".contains(first),
                    "line starts with {first:?}: {lines:?}"
                );
            }
            assert_eq!(lines.concat(), s.text());
        }
        assert_eq!(s.missing_glyphs(), 0);
        assert!(s.fonts().contains(&FontId::CjkBold));
    }

    #[test]
    fn arabic_is_joined_and_laid_out_right_to_left() {
        let s = shaped("تخفيضات الصيف", "ar");
        assert!(s.starts_rtl());
        assert_eq!(s.missing_glyphs(), 0);
        let span = s.wrap(100.0, false).lines[0];
        let glyphs = s.line_glyphs(span);
        // Joined: the first letter inside a word is not its isolated form.
        let alone = shaped("ت", "ar");
        let isolated = alone.line_glyphs(alone.wrap(100.0, false).lines[0])[0].id;
        // Visual order: the logical first letter is the rightmost glyph.
        let rightmost = glyphs
            .iter()
            .max_by(|a, b| a.x.total_cmp(&b.x))
            .expect("glyphs");
        assert_ne!(rightmost.id, isolated, "initial form expected");
        assert!(
            glyphs
                .iter()
                .all(|g| g.font == FontId::ArabicBold || g.font == FontId::InterBold)
        );
    }

    #[test]
    fn a_latin_brand_inside_hebrew_keeps_its_order() {
        let s = shaped("מבצע Acme 50%", "he");
        assert!(s.starts_rtl());
        let span = s.wrap(100.0, false).lines[0];
        let glyphs = s.line_glyphs(span);
        let inter: Vec<u16> = glyphs
            .iter()
            .filter(|g| g.font == FontId::InterBold)
            .map(|g| g.id)
            .collect();
        let acme = shaped("Acme", "en");
        let acme_ids: Vec<u16> = acme
            .line_glyphs(acme.wrap(100.0, false).lines[0])
            .iter()
            .map(|g| g.id)
            .collect();
        assert!(
            inter.windows(4).any(|w| w == acme_ids.as_slice()),
            "{inter:?} lacks {acme_ids:?} left to right"
        );
        // The Hebrew word is at the right end of the line.
        let hebrew_min_x = glyphs
            .iter()
            .filter(|g| g.font == FontId::HebrewBold)
            .map(|g| g.x)
            .fold(f32::MAX, f32::min);
        let latin_max_x = glyphs
            .iter()
            .filter(|g| g.font == FontId::InterBold)
            .map(|g| g.x)
            .fold(0.0, f32::max);
        assert!(hebrew_min_x > latin_max_x, "{glyphs:?}");
    }

    #[test]
    fn han_takes_the_regional_forms_of_the_language() {
        // 直 differs between Japanese and Chinese forms; 骨 between Simplified and
        // Traditional.
        let id = |text: &str, lang: &str| {
            let s = shaped(text, lang);
            s.line_glyphs(s.wrap(100.0, false).lines[0])[0].id
        };
        assert_ne!(id("直", "ja"), id("直", "zh-Hans"));
        assert_ne!(id("骨", "zh-Hans"), id("骨", "zh-Hant"));
    }

    #[test]
    fn every_script_and_emoji_gets_a_real_glyph() {
        for (text, lang) in [
            ("새로운 카페 오픈 기념 50% 할인", "ko"),
            ("दिवाली की भव्य सेल, हर ऑर्डर पर 30% छूट", "hi"),
            ("ลดราคาสูงสุด 50% ทุกชิ้น", "th"),
            ("Καλοκαιρινές εκπτώσεις", "el"),
            ("Летняя распродажа", "ru"),
            ("Party time 🎉🔥 ☕️", "en"),
            ("双十一限时特惠，全场五折", "zh-Hans"),
            ("週年慶全館八折，限時優惠", "zh-Hant"),
        ] {
            let s = shaped(text, lang);
            assert_eq!(s.missing_glyphs(), 0, "{text}: {:?}", s.fonts());
        }
    }

    #[test]
    fn shortening_cuts_at_a_word_and_adds_an_ellipsis() {
        let s = shaped(
            "Autumn collection with hand-picked pieces for every room",
            "en",
        );
        let wrapped = s.wrap(6.0, false);
        assert!(wrapped.lines.len() > 2);
        let short = s.shortened(&wrapped, 2, 6.0).expect("fits");
        let text = short.text();
        assert!(text.ends_with('…'), "{text}");
        let head = text.trim_end_matches('…');
        assert!(
            "Autumn collection with hand-picked pieces for every room".starts_with(head),
            "{text}"
        );
        let next = "Autumn collection with hand-picked pieces for every room"[head.len()..]
            .chars()
            .next();
        assert!(
            matches!(next, Some(' ') | Some('-')),
            "cut inside a word: {text}"
        );
        assert!(short.wrap(6.0, false).lines.len() <= 2);
    }
}
