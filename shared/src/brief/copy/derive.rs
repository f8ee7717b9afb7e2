//! Derived copy: a headline (and maybe a supporting line) made from the prompt's own words
//! when the client quoted or labelled none.
//!
//! # Stages
//! 1. Tokens and clauses: words split at whitespace, clauses at sentence and clause
//!    punctuation (`.`, `,`, `:`, `;`, `!`, `?`, dashes, brackets, `。`, `、`, …) except where
//!    the punctuation is part of a number, time, date, ratio or abbreviation ("19,99",
//!    "18:00", "28.11.", "16:9", "Co."). Runs of unspaced scripts (Chinese, Japanese, Thai)
//!    are cut into pieces around format words and offers, and a particle left dangling by a
//!    cut format word is dropped ("コーヒーの広告" → "コーヒー").
//! 2. Units: offers (prices, percentages with "off"/"Rabatt"/"up to", multi-buys, "BOGO",
//!    "free shipping", 半額, 八折) and dates and times ("Nov 28", "28.11.", "until Sunday",
//!    "10am", "18:00", 11月28日) are marked as units. A unit is never cut and never split
//!    from its words; an offer also makes its phrase the preferred headline.
//! 3. Fragments: format and request words ("banner", "Instagram", "9:16", "1080x1920",
//!    "create", "Anzeige", "广告") are removed and split a clause into fragments, so
//!    "autumn sale banner for a coffee shop" gives "autumn sale" and "for a coffee shop"
//!    rather than gluing the two. A fragment after "for"/"für unser"/"pour notre" (or equal
//!    to the brand's name) says who the ad is for, a weaker candidate; one with a style word
//!    ("warm tones", "minimalist") says how it looks, the weakest.
//!    Words such as "announcing" or "featuring" split the same way, and what follows them is
//!    the message ("for our bakery announcing fresh croissants").
//! 4. Choice: the earliest fragment of the best rank (offer, plain, addressee, style)
//!    becomes the headline, at most `HEADLINE` words and width, cut only between units and
//!    words (a single run of an unspaced script is cut by character, after a particle where
//!    one is near) and never ending on a function word ("of", "und", "pour") or, when cut,
//!    on a dangling determiner ("every"). When the headline is the offer, the earliest plain
//!    phrase (else a second offer) is the supporting line, so "SpaceLaunch Co. announces
//!    orbital tourism" is not lost; when the offer did not fit, it is the supporting line.
//!    Who the ad is for and how it looks never become a supporting line, nor a stray word.
//!
//! # Why no grammar
//! The planner must be deterministic, fast and dependency-free on any input. Word lists and
//! positions get the common prompt shapes right ("<format> for <brand>: <message>, <offer>")
//! and degrade to a short phrase of the prompt's own words, never to invented text.

use super::chars::{self, Script};
use super::lexicon::*;
use super::scan::{between_digits, is_sentence_dot, lower};

/// How much copy a block may take: words (space-separated) and width in Latin-letter units
/// (a CJK character counts two, so ~20 CJK characters).
#[derive(Debug, Clone, Copy)]
pub(super) struct Limit {
    words: usize,
    width: usize,
}

pub(super) const HEADLINE_WIDTH: usize = 42;
pub(super) const HEADLINE: Limit = Limit {
    words: 8,
    width: HEADLINE_WIDTH,
};
pub(super) const SUPPORTING: Limit = Limit {
    words: 14,
    width: 84,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Plain,
    Format,
    ForMarker,
    /// Part of offer or date unit `n` (see [`Doc::deals`]).
    Unit(usize),
}

/// What the unspaced splitter already knows about a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preset {
    None,
    Format,
    /// "for our" in an unspaced script.
    For,
    /// An offer (`true`) or a date (`false`).
    Unit(bool),
}

#[derive(Debug, Clone)]
struct Tok {
    text: String,
    /// Lower case, without surrounding punctuation: what the word lists are matched against.
    key: String,
    /// Preceded by a space (otherwise joined to the previous piece).
    space: bool,
    tag: Tag,
    preset: Preset,
}

impl Tok {
    fn new(text: String, space: bool, preset: Preset) -> Self {
        let key: String = text.chars().map(lower).collect();
        let key = key
            .trim_matches(|c: char| {
                !chars::is_word(c)
                    && !CURRENCY_SIGNS.contains(&c)
                    && !PERCENT_SIGNS.contains(&c)
                    && c != '+'
            })
            .to_owned();
        Self {
            text,
            key,
            space,
            tag: Tag::Plain,
            preset,
        }
    }

    fn has_content(&self) -> bool {
        matches!(self.tag, Tag::Unit(_)) || self.text.chars().any(char::is_alphanumeric)
    }

    fn unspaced(&self) -> bool {
        self.text
            .chars()
            .any(|c| chars::script(c).is_some_and(Script::is_unspaced))
    }
}

/// A tokenized, tagged text.
struct Doc {
    clauses: Vec<Vec<Tok>>,
    /// For each unit, whether it is an offer (else a date or time).
    deals: Vec<bool>,
}

impl Doc {
    fn new(text: &str, keep_bidi: bool) -> Self {
        let mut doc = Doc {
            clauses: tokenize(text, keep_bidi),
            deals: Vec::new(),
        };
        for c in 0..doc.clauses.len() {
            let mut clause = std::mem::take(&mut doc.clauses[c]);
            tag_units(&mut clause, &mut doc.deals);
            tag_formats(&mut clause);
            doc.clauses[c] = clause;
        }
        doc
    }

    fn is_deal(&self, tok: &Tok) -> bool {
        matches!(tok.tag, Tag::Unit(id) if self.deals.get(id).copied().unwrap_or(false))
    }
}

// ---------------------------------------------------------------------------------------
// Stage 1: tokens and clauses.

struct Tokenizer {
    keep_bidi: bool,
    clauses: Vec<Vec<Tok>>,
    clause: Vec<Tok>,
    word: String,
    space: bool,
    /// Whether the current word's letters are of an unspaced script.
    unspaced: Option<bool>,
}

impl Tokenizer {
    fn flush(&mut self) {
        let word = std::mem::take(&mut self.word);
        self.unspaced = None;
        let word = chars::trim(&word);
        if !chars::has_visible(word) {
            return;
        }
        let mut space = self.space;
        for (text, preset) in split_unspaced(word) {
            self.clause.push(Tok::new(text, space, preset));
            space = false;
        }
        self.space = false;
    }

    fn separate(&mut self) {
        self.flush();
        self.space = true;
    }

    fn brk(&mut self) {
        self.flush();
        if !self.clause.is_empty() {
            self.clauses.push(std::mem::take(&mut self.clause));
        }
        self.space = false;
    }
}

fn is_terminal(c: char) -> bool {
    matches!(c, '!' | '?' | '！' | '？' | '‼' | '⁉')
}

fn is_quote_char(c: char) -> bool {
    matches!(
        c,
        '"' | '“'
            | '”'
            | '„'
            | '«'
            | '»'
            | '‹'
            | '›'
            | '「'
            | '」'
            | '『'
            | '』'
            | '﹁'
            | '﹂'
            | '＂'
            | '〝'
            | '〞'
            | '〟'
            | '‚'
            | '‘'
            | '\''
            | '’'
            | '`'
    )
}

fn tokenize(text: &str, keep_bidi: bool) -> Vec<Vec<Tok>> {
    let cs: Vec<char> = text.chars().collect();
    let mut t = Tokenizer {
        keep_bidi,
        clauses: Vec::new(),
        clause: Vec::new(),
        word: String::new(),
        space: false,
        unspaced: None,
    };
    for (i, &c) in cs.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| cs[p]);
        let next = cs.get(i + 1).copied();
        if c.is_whitespace() {
            t.separate();
            continue;
        }
        if chars::is_invisible(c) {
            // Joiners shape the word they are inside; bidi controls order right-to-left copy.
            let inside = prev.is_some_and(chars::is_word) && next.is_some_and(chars::is_word);
            if (chars::is_joiner(c) && inside) || (chars::is_bidi_control(c) && t.keep_bidi) {
                t.word.push(c);
            } else if c == '\u{200B}' {
                t.flush();
            }
            continue;
        }
        if chars::is_emoji(c) || c == '\u{FE0F}' {
            t.separate();
            continue;
        }
        match c {
            '\n' | '\r' | ';' | '；' | '。' | '｡' | '।' | '॥' | '؛' | '۔' | '\u{2028}'
            | '\u{2029}' | '…' | '|' | '•' | '·' | '●' | '▪' | '◦' | '‧' | '・' | '(' | ')'
            | '[' | ']' | '{' | '}' | '（' | '）' | '【' | '】' | '〔' | '〕' | '〈' | '〉'
            | '《' | '》' | '<' | '>' => t.brk(),
            _ if is_terminal(c) => {
                t.word.push(c);
                if !next.is_some_and(is_terminal) {
                    t.brk();
                }
            }
            '.' => {
                if next == Some('.') || is_sentence_dot(&cs, i) {
                    t.brk();
                } else {
                    t.word.push(c);
                }
            }
            ',' | '،' | '，' | '、' | '､' | '﹐' | '﹑' => {
                if c == ',' && between_digits(&cs, i) {
                    t.word.push(c);
                } else {
                    t.brk();
                }
            }
            ':' | '：' | '﹕' => {
                if c == ':' && between_digits(&cs, i) {
                    t.word.push(c);
                } else {
                    t.brk();
                }
            }
            '—' | '―' | '–' => {
                if between_digits(&cs, i) {
                    t.word.push(c);
                } else {
                    t.brk();
                }
            }
            '-' | '/' if t.word.is_empty() && next.is_none_or(char::is_whitespace) => t.brk(),
            '*' | '_' | '~' => t.separate(),
            _ if is_quote_char(c) => {
                if matches!(c, '\'' | '’')
                    && prev.is_some_and(chars::is_word)
                    && next.is_some_and(chars::is_word)
                {
                    t.word.push(c);
                } else {
                    t.separate();
                }
            }
            _ => {
                if let Some(script) = chars::script(c) {
                    let unspaced = script.is_unspaced();
                    if t.unspaced.is_some_and(|u| u != unspaced) && !t.word.is_empty() {
                        t.flush();
                    }
                    t.unspaced = Some(unspaced);
                }
                t.word.push(c);
            }
        }
    }
    t.brk();
    t.clauses
}

/// The longest of `list` matching `cs` at `i`: the index after it.
fn longest_at(cs: &[char], i: usize, list: &[&str]) -> Option<usize> {
    list.iter()
        .filter_map(|item| {
            let mut j = i;
            for p in item.chars() {
                if lower(*cs.get(j)?) != p {
                    return None;
                }
                j += 1;
            }
            Some(j)
        })
        .max()
}

const CJK_NUMERALS: &str = "一二三四五六七八九十两半";

/// The end of a number (digits with inner `.` or `,`) starting at `i`.
fn number_end(cs: &[char], i: usize) -> Option<usize> {
    if !cs.get(i)?.is_numeric() {
        return None;
    }
    let mut j = i + 1;
    while let Some(&c) = cs.get(j) {
        if c.is_numeric()
            || (matches!(c, '.' | ',' | '．') && cs.get(j + 1).is_some_and(|d| d.is_numeric()))
        {
            j += 1;
        } else {
            break;
        }
    }
    Some(j)
}

fn follows(cs: &[char], i: usize, options: &[&str]) -> usize {
    longest_at(cs, i, options).unwrap_or(i)
}

/// An offer or date written in an unspaced script at `i`: `¥980`, `980円`, `50%OFF`, `八折`,
/// `3割引`, `11月28日まで`, `18:00`.
fn cjk_pattern(cs: &[char], i: usize) -> Option<(usize, Preset)> {
    if i > 0 && (cs[i - 1].is_numeric() || cs[i - 1].is_ascii_alphabetic()) {
        return None;
    }
    let c = *cs.get(i)?;
    if matches!(c, '¥' | '￥' | '$' | '€' | '£' | '₩' | '฿' | '₹') {
        let end = number_end(cs, i + 1)?;
        return Some((end, Preset::Unit(true)));
    }
    if CJK_NUMERALS.contains(c) {
        let mut j = i + 1;
        if cs.get(j).is_some_and(|d| CJK_NUMERALS.contains(*d)) {
            j += 1;
        }
        return match cs.get(j) {
            Some('折') => Some((j + 1, Preset::Unit(true))),
            Some('割') => Some((
                follows(cs, j + 1, &["引き", "引", "オフ"]),
                Preset::Unit(true),
            )),
            _ => None,
        };
    }
    let n = number_end(cs, i)?;
    let unit = match *cs.get(n)? {
        '%' | '％' => (follows(cs, n + 1, &["off", "オフ"]), Preset::Unit(true)),
        '円' | '元' | '块' | '圓' | '원' => {
            (follows(cs, n + 1, &["起", "から"]), Preset::Unit(true))
        }
        '折' => (n + 1, Preset::Unit(true)),
        '割' => (
            follows(cs, n + 1, &["引き", "引", "オフ"]),
            Preset::Unit(true),
        ),
        '月' => {
            let mut end = n + 1;
            if let Some(d) =
                number_end(cs, end).filter(|d| matches!(cs.get(*d), Some('日' | '号' | '號')))
            {
                end = d + 1;
            }
            (
                follows(cs, end, &["まで", "から", "迄", "前", "起"]),
                Preset::Unit(false),
            )
        }
        '日' | '号' | '號' => (
            follows(cs, n + 1, &["まで", "から", "迄", "前", "起"]),
            Preset::Unit(false),
        ),
        '時' | '时' => (n + 1, Preset::Unit(false)),
        ':' | '/' => (number_end(cs, n + 1)?, Preset::Unit(false)),
        _ => return None,
    };
    Some(unit)
}

/// Splits a word containing an unspaced script around format words and offers.
fn split_unspaced(word: &str) -> Vec<(String, Preset)> {
    let cs: Vec<char> = word.chars().collect();
    if !cs
        .iter()
        .any(|c| chars::script(*c).is_some_and(Script::is_unspaced))
    {
        return vec![(word.to_owned(), Preset::None)];
    }
    let mut pieces: Vec<(String, Preset)> = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < cs.len() {
        let hit = longest_at(&cs, i, UNSPACED_FOR)
            .map(|end| (end, Preset::For))
            .or_else(|| longest_at(&cs, i, UNSPACED_FORMAT).map(|end| (end, Preset::Format)))
            .or_else(|| {
                UNSPACED_UNITS
                    .iter()
                    .filter_map(|(unit, deal)| {
                        longest_at(&cs, i, &[unit]).map(|end| (end, Preset::Unit(*deal)))
                    })
                    .max_by_key(|(end, _)| *end)
            })
            .or_else(|| cjk_pattern(&cs, i));
        match hit {
            Some((end, preset)) if end > i => {
                if !plain.is_empty() {
                    pieces.push((std::mem::take(&mut plain), Preset::None));
                }
                pieces.push((cs[i..end].iter().collect(), preset));
                i = end;
            }
            _ => {
                plain.push(cs[i]);
                i += 1;
            }
        }
    }
    if !plain.is_empty() {
        pieces.push((plain, Preset::None));
    }
    for p in 0..pieces.len() {
        if pieces[p].1 != Preset::None {
            continue;
        }
        let cut = |q: &(String, Preset)| matches!(q.1, Preset::Format | Preset::For);
        if pieces.get(p + 1).is_some_and(cut) && pieces[p].0.ends_with(PARTICLES) {
            pieces[p].0.pop();
        }
        if p > 0 && cut(&pieces[p - 1]) && pieces[p].0.starts_with(PARTICLES) {
            pieces[p].0.remove(0);
        }
    }
    pieces.retain(|(text, _)| chars::has_visible(text));
    pieces
}

// ---------------------------------------------------------------------------------------
// Stage 2: units.

fn is_number(k: &str) -> bool {
    k.chars().next().is_some_and(char::is_numeric)
        && k.chars()
            .all(|c| c.is_numeric() || matches!(c, '.' | ',' | '\'' | '’' | '٫' | '٬'))
}

fn without_offer_suffix(k: &str) -> &str {
    for suffix in ["off", "オフ"] {
        if let Some(rest) = k.strip_suffix(suffix).filter(|r| !r.is_empty()) {
            return rest;
        }
    }
    k
}

fn signless(k: &str) -> &str {
    k.trim_start_matches(['-', '−', '+', '–'])
}

fn is_percent(k: &str) -> bool {
    let k = signless(without_offer_suffix(k));
    k.strip_suffix(PERCENT_SIGNS)
        .or_else(|| k.strip_prefix(PERCENT_SIGNS))
        .is_some_and(is_number)
}

fn is_price(k: &str) -> bool {
    let k = signless(without_offer_suffix(k));
    let bare = k.trim_matches(CURRENCY_SIGNS);
    if bare.len() != k.len() && is_number(bare.trim_end_matches([',', '.', '-', '–'])) {
        return true;
    }
    CURRENCY_WORDS.iter().any(|w| {
        k.strip_prefix(w).is_some_and(|r| is_number(signless(r)))
            || k.strip_suffix(w)
                .is_some_and(|r| is_number(r.trim_end_matches([',', '.', '-'])))
    })
}

fn is_currency(k: &str) -> bool {
    let mut it = k.chars();
    matches!((it.next(), it.next()), (Some(c), None) if CURRENCY_SIGNS.contains(&c))
        || CURRENCY_WORDS.contains(&k)
}

fn is_percent_sign(k: &str) -> bool {
    let mut it = k.chars();
    matches!((it.next(), it.next()), (Some(c), None) if PERCENT_SIGNS.contains(&c))
}

fn small(p: &str, max: u32) -> bool {
    (1..=2).contains(&p.len())
        && p.chars().all(|c| c.is_ascii_digit())
        && p.parse::<u32>().is_ok_and(|n| n <= max)
}

fn is_day(k: &str) -> bool {
    let k = ["st", "nd", "rd", "th", "er", "e", "º", "ª", "."]
        .iter()
        .find_map(|s| k.strip_suffix(s))
        .unwrap_or(k);
    small(k, 31) && k != "0" && k != "00"
}

fn is_year(k: &str) -> bool {
    k.len() == 4 && k.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y))
}

fn is_numeric_date(k: &str) -> bool {
    let parts: Vec<&str> = k.trim_end_matches('.').split(['.', '/', '-']).collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => small(m, 12) && small(d, 31),
        [a, b, rest @ ..] if rest.len() <= 1 => {
            let pair = (small(a, 31) && small(b, 12)) || (small(a, 12) && small(b, 31));
            pair && rest.iter().all(|y| y.len() == 2 || y.len() == 4)
        }
        _ => false,
    }
}

const RATIOS: &[&str] = &[
    "1:1", "1:2", "2:1", "1:4", "4:1", "1:8", "8:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4",
    "9:16", "16:9", "21:9", "9:21",
];

fn is_ratio(k: &str) -> bool {
    if RATIOS.contains(&k) {
        return true;
    }
    match k.split_once(':') {
        // One digit after the colon is a ratio ("5:7"), never a time.
        Some((a, b)) => small(a, 99) && b.len() == 1 && b.chars().all(|c| c.is_ascii_digit()),
        None => false,
    }
}

/// A time or a time range: `18:00`, `10am`, `6 p.m.`, `18h30`, `10am–6pm`.
fn is_time(k: &str) -> bool {
    match k.split_once(['-', '–']) {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => {
            !b.contains(['-', '–']) && is_clock(a) && is_clock(b)
        }
        _ => is_clock(k),
    }
}

fn is_clock(k: &str) -> bool {
    let mut rest = k;
    let mut suffixed = false;
    for s in ["a.m.", "p.m.", "am", "pm", "uhr", "h"] {
        if let Some(r) = k.strip_suffix(s).filter(|r| !r.is_empty()) {
            rest = r;
            suffixed = true;
            break;
        }
    }
    if let Some((h, m)) = rest.split_once([':', 'h', '.']) {
        return !is_ratio(rest) && small(h, 24) && m.len() == 2 && small(m, 59);
    }
    suffixed && small(rest, 24)
}

fn is_size(k: &str) -> bool {
    let digits = |p: &str| (2..=5).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit());
    if let Some(n) = k.strip_suffix("px") {
        return digits(n);
    }
    k.split_once(['x', '×'])
        .is_some_and(|(a, b)| digits(a) && digits(b))
}

/// Korean dates and times: `11월`, `28일까지`, `6시`.
fn is_korean_date(k: &str) -> bool {
    let k = ["까지", "부터"]
        .iter()
        .find_map(|s| k.strip_suffix(s))
        .unwrap_or(k);
    ["월", "일", "시"]
        .iter()
        .any(|s| k.strip_suffix(s).is_some_and(|n| small(n, 31)))
}

/// A single-token multi-buy: `2x1`, `3for2`, `2-for-1`, `3für2`.
fn is_multibuy(k: &str) -> bool {
    // ASCII digits are one byte each, so these lengths are char boundaries.
    let a = k.chars().take_while(char::is_ascii_digit).count();
    let b = k.chars().rev().take_while(char::is_ascii_digit).count();
    if a == 0 || b == 0 || a + b >= k.len() {
        return false;
    }
    // Small numbers only: "728x90" is a banner size.
    small(&k[..a], 10)
        && small(&k[k.len() - b..], 10)
        && ["x", "for", "-for-", "für", "pour", "por", "per", "voor"].contains(&&k[a..k.len() - b])
}

fn keys_match(toks: &[Tok], at: usize, phrase: &str) -> Option<usize> {
    let mut i = at;
    for word in phrase.split(' ') {
        let tok = toks.get(i)?;
        if tok.tag != Tag::Plain || tok.key != word {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// The longest phrase of `list` starting at token `at`: the index after it.
fn phrase_at(toks: &[Tok], at: usize, list: &[&str]) -> Option<usize> {
    list.iter().filter_map(|p| keys_match(toks, at, p)).max()
}

/// The earliest start of a phrase of `list` that ends right before token `at`, not before
/// `floor`.
fn phrase_before(toks: &[Tok], at: usize, floor: usize, list: &[&str]) -> Option<usize> {
    list.iter()
        .filter_map(|p| {
            let n = p.split(' ').count();
            let start = at.checked_sub(n).filter(|s| *s >= floor)?;
            (keys_match(toks, start, p) == Some(at)).then_some(start)
        })
        .min()
}

fn key(toks: &[Tok], i: usize) -> &str {
    toks.get(i).map_or("", |t| t.key.as_str())
}

/// The unit starting at token `i` (or just before it): `(start, end, is_offer)`.
fn unit_at(toks: &[Tok], i: usize, floor: usize) -> Option<(usize, usize, bool)> {
    let k = key(toks, i);
    let offer = |core_end: usize| {
        let end = phrase_at(toks, core_end, OFFER_AFTER).unwrap_or(core_end);
        let start = phrase_before(toks, i, floor, OFFER_BEFORE).unwrap_or(i);
        (start, end, true)
    };
    let date = |core_end: usize| {
        let mut end = core_end;
        if is_year(key(toks, end)) {
            end += 1;
        }
        while is_time(key(toks, end)) || is_korean_date(key(toks, end)) {
            end += 1;
        }
        let start = phrase_before(toks, i, floor, DATE_BEFORE).unwrap_or(i);
        (start, end, false)
    };
    match toks.get(i)?.preset {
        Preset::Unit(true) => return Some(offer(i + 1)),
        Preset::Unit(false) => return Some(date(i + 1)),
        Preset::Format | Preset::For => return None,
        Preset::None => {}
    }
    if let Some(end) = phrase_at(toks, i, DEAL_PHRASES) {
        return Some((i, end, true));
    }
    if let Some(end) = phrase_at(toks, i, DATE_PHRASES) {
        return Some((i, end, false));
    }
    if small(k, 10) && MULTIBUY_WORDS.contains(&key(toks, i + 1)) && small(key(toks, i + 2), 10) {
        return Some((i, i + 3, true));
    }
    if is_multibuy(k) {
        return Some((i, i + 1, true));
    }
    let next = key(toks, i + 1);
    let adjacent = toks.get(i + 1).is_some();
    if is_price(k) || is_percent(k) {
        return Some(offer(i + 1));
    }
    if adjacent && is_number(k) && (is_currency(next) || is_percent_sign(next)) {
        return Some(offer(i + 2));
    }
    if adjacent && is_currency(k) && is_number(next) {
        return Some(offer(i + 2));
    }
    if is_ratio(k) || is_size(k) {
        return None;
    }
    if is_numeric_date(k) || is_time(k) || is_korean_date(k) {
        return Some(date(i + 1));
    }
    if adjacent && is_number(k) && TIME_AFTER.contains(&next) {
        return Some(date(i + 2));
    }
    if adjacent && ((MONTHS.contains(&k) && is_day(next)) || (is_day(k) && MONTHS.contains(&next)))
    {
        return Some(date(i + 2));
    }
    if WEEKDAYS.contains(&k) && phrase_before(toks, i, floor, DATE_BEFORE).is_some() {
        return Some(date(i + 1));
    }
    None
}

fn tag_units(toks: &mut [Tok], deals: &mut Vec<bool>) {
    let mut floor = 0;
    let mut i = 0;
    while i < toks.len() {
        if toks[i].tag != Tag::Plain {
            i += 1;
            continue;
        }
        match unit_at(toks, i, floor) {
            Some((start, end, deal)) => {
                let end = end.min(toks.len()).max(i + 1);
                let id = deals.len();
                deals.push(deal);
                for tok in &mut toks[start..end] {
                    tok.tag = Tag::Unit(id);
                }
                floor = end;
                i = end;
            }
            None => i += 1,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Stage 3: format words and fragments.

fn is_format_word(k: &str) -> bool {
    if k.is_empty() {
        return false;
    }
    if FORMAT_WORDS.contains(&k) || is_ratio(k) || is_size(k) {
        return true;
    }
    if k.contains('-') {
        return k
            .split('-')
            .all(|p| !p.is_empty() && (FORMAT_WORDS.contains(&p) || is_ratio(p) || p == "media"));
    }
    // A Korean format word with a particle attached: 광고를, 배너로.
    let hangul = |s: &str| s.chars().all(|c| chars::script(c) == Some(Script::Hangul));
    if hangul(k)
        && FORMAT_WORDS.iter().any(|w| {
            hangul(w)
                && k.strip_prefix(w)
                    .is_some_and(|rest| rest.chars().count() <= 2)
        })
    {
        return true;
    }
    // Hebrew and Arabic prefixes: the, for, in, and.
    for prefix in ["ה", "ל", "ב", "ו", "ש", "ال", "و", "ل", "لل"] {
        if k.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && FORMAT_WORDS.contains(&rest))
        {
            return true;
        }
    }
    false
}

fn tag_formats(toks: &mut [Tok]) {
    let mut i = 0;
    while i < toks.len() {
        match toks[i].preset {
            Preset::Format => toks[i].tag = Tag::Format,
            Preset::For => toks[i].tag = Tag::ForMarker,
            _ => {}
        }
        if toks[i].preset != Preset::None {
            i += 1;
            continue;
        }
        if toks[i].tag != Tag::Plain {
            i += 1;
            continue;
        }
        let starts_fragment = i == 0 || matches!(toks[i - 1].tag, Tag::Format | Tag::ForMarker);
        let markers = FOR_MARKERS
            .iter()
            .filter(|m| starts_fragment || m.contains(' '))
            .filter_map(|m| keys_match(toks, i, m))
            .max();
        let formats = phrase_at(toks, i, FORMAT_PHRASES);
        let size = (is_number(&toks[i].key)
            && matches!(key(toks, i + 1), "x" | "×")
            && is_number(key(toks, i + 2)))
        .then_some(i + 3);
        if let Some(end) = formats.or(size) {
            for tok in &mut toks[i..end] {
                tok.tag = Tag::Format;
            }
            i = end;
        } else if let Some(end) = markers {
            for tok in &mut toks[i..end] {
                tok.tag = Tag::ForMarker;
            }
            i = end;
        } else {
            let key = toks[i].key.as_str();
            if is_format_word(key) || INTRO_WORDS.contains(&key) {
                toks[i].tag = Tag::Format;
            }
            i += 1;
        }
    }
}

/// A candidate phrase: a run of a clause between format words.
struct Fragment {
    toks: Vec<Tok>,
    order: usize,
    addressee: bool,
    style: bool,
    deal: bool,
}

/// A derived supporting line narrower than this is a stray word ("ทำ"), not a message.
const MIN_SUPPORTING_WIDTH: usize = 5;

impl Fragment {
    fn width(&self) -> usize {
        chars::width(&join(&self.toks))
    }

    /// Lower is better: an offer, a plain phrase, who the ad is for, how it looks.
    fn rank(&self) -> u8 {
        if self.deal {
            0
        } else if self.style {
            3
        } else if self.addressee {
            2
        } else {
            1
        }
    }
}

fn is_terminal_only(tok: &Tok) -> bool {
    !tok.text.is_empty() && tok.text.chars().all(is_terminal)
}

fn trim_fragment(toks: &mut Vec<Tok>) {
    let lead = toks
        .iter()
        .take_while(|t| {
            t.tag == Tag::Plain && (LEADING_STOP.contains(&t.key.as_str()) || !t.has_content())
        })
        .count();
    toks.drain(..lead);
    while let Some(last) = toks.last() {
        let stop = last.tag == Tag::Plain
            && (TRAILING_STOP.contains(&last.key.as_str())
                || (!last.has_content() && !is_terminal_only(last)));
        if !stop {
            break;
        }
        toks.pop();
    }
    if let Some(first) = toks.first_mut() {
        first.space = false;
    }
}

fn join(toks: &[Tok]) -> String {
    let mut out = String::new();
    for (i, tok) in toks.iter().enumerate() {
        if i > 0 && tok.space {
            out.push(' ');
        }
        out.push_str(&tok.text);
    }
    out
}

/// A fragment right after a format word starting with the Arabic or Hebrew prefix "for"
/// ("إعلان لمقهى", "מודעה לבית הקפה"): it names who the ad is for.
fn rtl_for_prefix(first: &Tok) -> bool {
    ["ل", "ל"].iter().any(|p| {
        first
            .key
            .strip_prefix(p)
            .is_some_and(|rest| rest.chars().count() >= 3)
    })
}

impl Doc {
    fn fragments(&self, brand: Option<&str>) -> Vec<Fragment> {
        let brand = brand.map(|b| chars::trim(b).to_lowercase());
        let end = Tok::new(String::new(), false, Preset::Format);
        let mut out = Vec::new();
        for clause in &self.clauses {
            let mut current: Vec<Tok> = Vec::new();
            let mut addressee = false;
            let mut after_format = false;
            for tok in clause.iter().chain(std::iter::once(&end)) {
                let closes =
                    matches!(tok.tag, Tag::Format | Tag::ForMarker) || tok.preset == Preset::Format;
                if !closes {
                    current.push(tok.clone());
                    continue;
                }
                let mut toks = std::mem::take(&mut current);
                let mut names =
                    addressee || (after_format && toks.first().is_some_and(rtl_for_prefix));
                if let Some(start) = FOR_AFTER.iter().find_map(|p| {
                    let n = p.split(' ').count();
                    let start = toks.len().checked_sub(n)?;
                    (keys_match(&toks, start, p) == Some(toks.len())).then_some(start)
                }) {
                    toks.truncate(start);
                    names = true;
                }
                trim_fragment(&mut toks);
                if toks.iter().any(Tok::has_content) {
                    let text = join(&toks).to_lowercase();
                    let style = toks.iter().any(|t| {
                        STYLE_WORDS.contains(&t.key.as_str())
                            || (t.unspaced() && UNSPACED_STYLE.iter().any(|s| t.text.contains(s)))
                    });
                    // "for a jazz night on Nov 28" names an event, not an addressee.
                    let dated = toks
                        .iter()
                        .any(|t| matches!(t.tag, Tag::Unit(_)) && !self.is_deal(t));
                    out.push(Fragment {
                        addressee: (names && !dated) || brand.as_deref() == Some(text.as_str()),
                        style,
                        deal: toks.iter().any(|t| self.is_deal(t)),
                        order: out.len(),
                        toks,
                    });
                }
                addressee = tok.tag == Tag::ForMarker;
                after_format = tok.tag == Tag::Format;
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Stage 4: choice and limits.

fn measure(toks: &[Tok]) -> (usize, usize) {
    // A unit ("19,99 €", "20 % günstiger") counts as one word.
    let words = toks
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            *i == 0
                || (t.space && !matches!(t.tag, Tag::Unit(id) if toks[i - 1].tag == Tag::Unit(id)))
        })
        .count();
    (words, chars::width(&join(toks)))
}

/// `text` cut to at most `max` width: after a particle in its last stretch if there is
/// one, never inside a run of digits or Latin letters, never before a combining mark.
fn hard_cut(text: &str, max: usize) -> String {
    let cs: Vec<char> = text.chars().collect();
    let mut width = 0;
    let mut end = 0;
    for (i, c) in cs.iter().enumerate() {
        width += chars::width(c.encode_utf8(&mut [0; 4]));
        if width > max {
            break;
        }
        end = i + 1;
    }
    if let Some(p) = (end * 3 / 5..end)
        .rev()
        .find(|&p| PARTICLES.contains(&cs[p]))
    {
        end = p + 1;
    }
    let joined = |a: char, b: char| {
        (a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
            || (a.is_numeric() && b.is_numeric())
    };
    let mut cut = end;
    while cut > 0 && cut < cs.len() && (joined(cs[cut - 1], cs[cut]) || chars::is_mark(cs[cut])) {
        cut -= 1;
    }
    if cut == 0 {
        cut = end.max(1).min(cs.len());
    }
    cs[..cut].iter().collect()
}

/// The longest prefix of `toks` within `limit`, cut between units and words; the tokens
/// kept (trailing function words dropped).
fn fit(toks: &[Tok], limit: Limit) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let mut j = i + 1;
        if let Tag::Unit(id) = toks[i].tag {
            while toks.get(j).is_some_and(|t| t.tag == Tag::Unit(id)) {
                j += 1;
            }
        }
        let mut trial = out.clone();
        trial.extend_from_slice(&toks[i..j]);
        let (words, width) = measure(&trial);
        if words <= limit.words && width <= limit.width {
            out = trial;
            i = j;
            continue;
        }
        if out.is_empty() {
            let first = &toks[i];
            let too_long = chars::width(&first.text);
            if matches!(first.tag, Tag::Unit(_))
                || (!first.unspaced() && too_long <= 2 * limit.width)
            {
                out = trial;
            } else {
                let mut cut = first.clone();
                cut.text = hard_cut(&first.text, limit.width);
                out.push(cut);
            }
        }
        break;
    }
    let all = out.clone();
    if i < toks.len() {
        while out.len() > 1
            && out
                .last()
                .is_some_and(|t| t.tag == Tag::Plain && DANGLING_WHEN_CUT.contains(&t.key.as_str()))
        {
            out.pop();
        }
    }
    trim_fragment(&mut out);
    if out.is_empty() { all } else { out }
}

/// Derived copy, before capitalisation: `(text, contains an offer)`.
pub(super) struct Derived {
    pub(super) headline: Option<(String, bool)>,
    pub(super) supporting: Option<(String, bool)>,
}

/// The offer phrase of a fragment: the whole fragment if it fits with its offer, else from
/// the offer on.
fn offer_phrase(doc: &Doc, fragment: &Fragment) -> Option<String> {
    let whole = fit(&fragment.toks, SUPPORTING);
    if whole.iter().any(|t| doc.is_deal(t)) {
        return Some(join(&whole));
    }
    let from = fragment.toks.iter().position(|t| doc.is_deal(t))?;
    Some(join(&fit(&fragment.toks[from..], SUPPORTING)))
}

/// Derives copy from `remaining` (the prompt without its explicit copy). With an explicit
/// headline only a supporting line is derived (an offer the headline does not carry).
pub(super) fn derive(
    remaining: &str,
    has_headline: bool,
    brand: Option<&str>,
    keep_bidi: bool,
) -> Derived {
    let doc = Doc::new(remaining, keep_bidi);
    let fragments = doc.fragments(brand);
    if has_headline {
        let supporting = fragments
            .iter()
            .find(|f| f.deal)
            .and_then(|f| offer_phrase(&doc, f))
            .map(|t| (t, true));
        return Derived {
            headline: None,
            supporting,
        };
    }
    let Some(best) = fragments.iter().min_by_key(|f| (f.rank(), f.order)) else {
        return Derived {
            headline: None,
            supporting: None,
        };
    };
    let headline = fit(&best.toks, HEADLINE);
    let has_offer = headline.iter().any(|t| doc.is_deal(t));
    let supporting = if has_offer {
        fragments
            .iter()
            // A plain phrase (who the ad is for is not a message, nor how it looks), else a
            // second offer.
            .filter(|f| f.order != best.order && f.rank() <= 1 && f.width() >= MIN_SUPPORTING_WIDTH)
            .min_by_key(|f| (f.rank() == 0, f.order))
            .map(|f| (join(&fit(&f.toks, SUPPORTING)), f.deal))
    } else if best.deal {
        // The offer did not fit in the headline: it becomes the supporting line.
        let from = best.toks.iter().position(|t| doc.is_deal(t)).unwrap_or(0);
        Some((join(&fit(&best.toks[from..], SUPPORTING)), true))
    } else {
        None
    };
    Derived {
        headline: Some((join(&headline), has_offer)),
        supporting,
    }
}

/// The last resort before the brand's name is not wanted: the remaining words with format
/// words kept ("banner" → "banner").
pub(super) fn any_words(remaining: &str, keep_bidi: bool) -> Option<String> {
    let doc = Doc::new(remaining, keep_bidi);
    let mut toks: Vec<Tok> = doc.clauses.into_iter().flatten().collect();
    for tok in &mut toks {
        if tok.tag != Tag::Plain && !matches!(tok.tag, Tag::Unit(_)) {
            tok.tag = Tag::Plain;
        }
    }
    if let Some(first) = toks.first_mut() {
        first.space = false;
    }
    let kept = fit(&toks, HEADLINE);
    let text = join(&kept);
    chars::has_visible(&text).then_some(text)
}

/// Whether the prompt is a sale: an offer other than a bare rate ("3.9% APR", "0%
/// financing" are rates; "20% off", "€19.99", "2 for 1" are sales), or a sale word ("sale",
/// "Angebot", セール).
pub(super) fn is_sale(text: &str) -> bool {
    let doc = Doc::new(text, false);
    doc.clauses.iter().any(|clause| {
        let sale_unit = |id: usize| {
            let unit = || clause.iter().filter(move |t| t.tag == Tag::Unit(id));
            let rate = unit().any(|t| is_percent(&t.key) || is_percent_sign(&t.key));
            !rate
                || unit().any(|t| {
                    is_price(&t.key)
                        || is_currency(&t.key)
                        || without_offer_suffix(&t.key) != t.key
                        || DISCOUNT_WORDS.contains(&t.key.as_str())
                })
        };
        clause.iter().any(|t| {
            let deal = matches!(t.tag, Tag::Unit(id) if doc.deals.get(id).copied().unwrap_or(false) && sale_unit(id));
            deal || SALE_WORDS.contains(&t.key.as_str())
                || (t.unspaced() && UNSPACED_SALE.iter().any(|s| t.text.contains(s)))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(text: &str) -> Vec<(String, bool)> {
        let doc = Doc::new(text, false);
        let mut out: Vec<(String, bool)> = Vec::new();
        for clause in &doc.clauses {
            let mut i = 0;
            while i < clause.len() {
                if let Tag::Unit(id) = clause[i].tag {
                    let mut j = i + 1;
                    while clause.get(j).is_some_and(|t| t.tag == Tag::Unit(id)) {
                        j += 1;
                    }
                    out.push((join(&clause[i..j]), doc.deals[id]));
                    i = j;
                } else {
                    i += 1;
                }
            }
        }
        out
    }

    #[test]
    fn offers_and_dates_are_found_whole() {
        for (text, unit, deal) in [
            ("now 20% off the seats", "20% off", true),
            ("alle Kuchen 20 % günstiger", "20 % günstiger", true),
            ("nur 19,99 € heute", "nur 19,99 €", true),
            ("save $19.99 today", "save $19.99", true),
            ("ab 149 EUR", "ab 149 EUR", true),
            ("up to 50% off", "up to 50% off", true),
            ("get 2 for 1 pizzas", "2 for 1", true),
            ("BOGO tacos", "BOGO", true),
            ("free shipping on all orders", "free shipping", true),
            ("¥980 only", "¥980", true),
            ("₹499 में", "₹499", true),
            ("خصم ٥٠٪ اليوم", "خصم ٥٠٪", true),
            ("全场八折", "八折", true),
            ("全品半額", "半額", true),
            ("전 메뉴 20% 할인", "20% 할인", true),
            ("%20 indirim", "%20 indirim", true),
            ("opening Nov 28", "Nov 28", false),
            ("gültig bis 28.11.", "bis 28.11.", false),
            ("until Sunday only", "until Sunday", false),
            ("11/11 mega sale", "11/11", false),
            ("doors open 10am", "10am", false),
            ("ab 18:00 Uhr", "ab 18:00", false),
            ("11月28日まで", "11月28日まで", false),
        ] {
            let found = units(text);
            assert!(
                found.iter().any(|(u, d)| u == unit && *d == deal),
                "{text:?}: {found:?}"
            );
        }
        assert!(units("16:9 banner 1080x1920").is_empty());
    }

    #[test]
    fn hard_cuts_keep_numbers_whole() {
        assert_eq!(hard_cut("秋の新作コーヒー", 8), "秋の新作");
        assert_eq!(hard_cut("第12345号", 6), "第");
        assert_eq!(
            hard_cut("秋の新作コーヒーを全国の店舗で販売", 20),
            "秋の新作コーヒーを"
        );
    }
}
