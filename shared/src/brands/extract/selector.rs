//! Selector roles: what a selector says about the element it styles.
//!
//! A selector list is split at commas ([`super::cssvalue::split_top`]); each part into
//! compound selectors at combinators ([`compounds`]). The *subject* (last compound) gives its
//! role in full; an ancestor's role counts at most 2 (Dembrandt's rule: `.hero p` is not the
//! hero). Roles: logo/brand 5, primary/CTA 4, hero/button/btn 3, card/section 2,
//! nav/navbar/header/`a`/secondary 1. A status word anywhere (error, danger, sale, badge, …)
//! removes the part from brand roles altogether.

use super::text::words;

pub const STATUS: &[&str] = &[
    "error",
    "danger",
    "warning",
    "warn",
    "alert",
    "success",
    "sale",
    "badge",
    "discount",
    "invalid",
    "info",
    "notice",
    "disabled",
    "placeholder",
    "visited",
    "scrollbar",
    "valid",
];

/// Splits a selector (one part of a list) into compound selectors at combinators
/// (at most 16).
pub fn compounds(part: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    for (i, c) in part.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let boundary = depth == 0 && (c.is_whitespace() || matches!(c, '>' | '+' | '~'));
        match (boundary, start) {
            (true, Some(s)) => {
                out.push(&part[s..i]);
                start = None;
                if out.len() >= 16 {
                    return out;
                }
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&part[s..]);
    }
    out
}

pub fn compound_role(ws: &[String]) -> i32 {
    ws.iter()
        .map(|w| match w.as_str() {
            _ if w.contains("logo") && w != "logos" => 5,
            "brand" | "branding" => 5,
            "primary" | "cta" => 4,
            "hero" | "button" | "btn" => 3,
            "card" | "section" => 2,
            "nav" | "navbar" | "header" | "a" | "secondary" => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Role weight of one selector part, `None` when it is a status rule.
pub fn role(part: &str) -> Option<i32> {
    let cs = compounds(part);
    let mut subject = 0;
    let mut ancestor = 0;
    for (i, c) in cs.iter().enumerate() {
        let ws = words(c);
        if ws.iter().any(|w| STATUS.contains(&w.as_str())) {
            return None;
        }
        let r = compound_role(&ws);
        if i + 1 == cs.len() {
            subject = r;
        } else {
            ancestor = ancestor.max(r.min(2));
        }
    }
    Some(subject.max(ancestor))
}
