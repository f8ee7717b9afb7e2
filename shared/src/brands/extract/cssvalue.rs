//! CSS value helpers: top-level splitting, unquoting, and `var()` resolution against the
//! custom properties of the rule itself and of the document (`:root`, `html`, `body`, `:host`,
//! `*`), bounded in depth ([`MAX_VAR_DEPTH`]) and in size ([`MAX_RESOLVED`]) so reference cycles
//! and exponential expansions end quickly.

use super::css::{Declaration, Stylesheet};
use super::text::words;
use std::collections::BTreeMap;

pub const MAX_VAR_DEPTH: usize = 4;
pub const MAX_RESOLVED: usize = 1024;

/// Splits at `sep` outside parentheses, brackets and quotes; parts trimmed, empties dropped.
pub fn split_top(s: &str, sep: u8) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0usize, 0u8, 0usize);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if quote != 0 {
            if c == b'\\' {
                i += 1;
            } else if c == quote {
                quote = 0;
            }
        } else {
            match c {
                b'"' | b'\'' => quote = c,
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth = depth.saturating_sub(1),
                _ if depth == 0 && (c == sep || sep == b' ' && c.is_ascii_whitespace()) => {
                    out.push(s[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if start <= s.len() {
        out.push(s[start..].trim());
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Strips surrounding quotes and simple backslash escapes; collapses whitespace.
pub fn unquote(s: &str) -> String {
    let t = s.trim();
    let t = match t.as_bytes().first() {
        Some(q @ (b'"' | b'\'')) => {
            let inner = &t[1..];
            inner.strip_suffix(*q as char).unwrap_or(inner)
        }
        _ => t,
    };
    let mut out = String::with_capacity(t.len());
    let mut esc = false;
    for c in t.chars() {
        if esc {
            out.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    super::text::collapse_ws(&out)
}

/// Removes `:not(…)` groups so `:root:not(.dark)` is not mistaken for a dark theme.
fn strip_not(sel: &str) -> String {
    let mut out = String::new();
    let mut rest = sel;
    while let Some(i) = rest.find(":not(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 5..];
        let mut depth = 1usize;
        let mut end = after.len();
        for (j, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Whether a selector is scoped to a dark theme (`.dark`, `[data-theme=dark]`, `.theme-night`).
pub fn is_dark_scoped(selector: &str) -> bool {
    words(&strip_not(selector))
        .iter()
        .any(|w| w == "dark" || w == "night" || w == "darkmode")
}

/// Whether every part of a selector list targets the document root (`:root`, `html`, `body`,
/// `:host`, `*`, possibly with classes/attributes, but no descendant combinator).
pub fn is_root_scoped(selector: &str) -> bool {
    let parts = split_top(selector, b',');
    !parts.is_empty()
        && parts.iter().all(|p| {
            let p = p.to_ascii_lowercase();
            let simple = !p.contains([' ', '>', '+', '~']);
            simple
                && [":root", "html", "body", ":host", "*"].iter().any(|r| {
                    p.starts_with(r)
                        && !p[r.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
                })
        })
}

/// Document-wide custom properties: root-scoped ones (later wins), then any other non-dark
/// definition (first wins) as a fallback.
#[derive(Debug, Default)]
pub struct Vars {
    root: BTreeMap<String, String>,
    other: BTreeMap<String, String>,
}

impl Vars {
    pub fn build(sheets: &[&Stylesheet]) -> Vars {
        let mut v = Vars::default();
        for s in sheets {
            for cp in &s.custom_properties {
                if is_dark_scoped(&cp.selector) {
                    continue;
                }
                if is_root_scoped(&cp.selector) {
                    v.root.insert(cp.name.clone(), cp.value.clone());
                } else {
                    v.other
                        .entry(cp.name.clone())
                        .or_insert_with(|| cp.value.clone());
                }
            }
        }
        v
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.root
            .get(name)
            .or_else(|| self.other.get(name))
            .map(String::as_str)
    }

    /// Whether `name` is declared on the root.
    pub fn is_root(&self, name: &str) -> bool {
        self.root.contains_key(name)
    }
}

/// Substitutes every `var(--x[, fallback])` in `value`, looking in `local` (the rule's own
/// declarations, last wins) then in `vars`. `None` when a reference cannot be resolved, the
/// nesting is deeper than [`MAX_VAR_DEPTH`] or the result exceeds [`MAX_RESOLVED`] bytes.
pub fn resolve(value: &str, local: &[Declaration], vars: &Vars) -> Option<String> {
    let mut cur = value.to_string();
    for _ in 0..=MAX_VAR_DEPTH {
        let Some(first) = find_var(&cur) else {
            return Some(cur);
        };
        let mut out = String::new();
        let mut rest = &cur[..];
        let mut at = Some(first);
        while let Some(i) = at {
            out.push_str(&rest[..i]);
            let args_start = i + 4;
            let (args, end) = paren_body(&rest[args_start..])?;
            let (name, fallback) = match args.find(',') {
                Some(c) => (args[..c].trim(), Some(args[c + 1..].trim())),
                None => (args.trim(), None),
            };
            let found = local
                .iter()
                .rev()
                .find(|d| d.property == name)
                .map(|d| d.value.as_str())
                .or_else(|| vars.get(name))
                .filter(|v| !v.trim().is_empty())
                .or(fallback)?;
            out.push_str(found);
            if out.len() > MAX_RESOLVED {
                return None;
            }
            rest = &rest[args_start + end + 1..];
            at = find_var(rest);
        }
        out.push_str(rest);
        if out.len() > MAX_RESOLVED {
            return None;
        }
        cur = out;
    }
    None
}

fn find_var(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(3)).find(|&i| {
        b[i..i + 4].eq_ignore_ascii_case(b"var(")
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-'))
    })
}

/// The text inside balanced parentheses (the opening one already consumed) and the index of
/// the closing one.
fn paren_body(s: &str) -> Option<(&str, usize)> {
    let mut depth = 1usize;
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[..i], i));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(p: &str, v: &str) -> Declaration {
        Declaration {
            property: p.into(),
            value: v.into(),
            important: false,
        }
    }

    #[test]
    fn split_respects_parens_and_quotes() {
        assert_eq!(
            split_top("a, b(c, d), 'e, f'", b','),
            ["a", "b(c, d)", "'e, f'"]
        );
        assert_eq!(
            split_top("1px solid rgb(1, 2, 3)", b' '),
            ["1px", "solid", "rgb(1, 2, 3)"]
        );
    }

    #[test]
    fn unquote_and_escapes() {
        assert_eq!(unquote(" \"Playfair Display\" "), "Playfair Display");
        assert_eq!(unquote("'A\\'s'"), "A's");
        assert_eq!(unquote("Inter"), "Inter");
    }

    #[test]
    fn root_and_dark_scopes() {
        assert!(is_root_scoped(":root"));
        assert!(is_root_scoped(":root, :host"));
        assert!(is_root_scoped("html[data-theme=light]"));
        assert!(!is_root_scoped(".btn"));
        assert!(!is_root_scoped("body .x"));
        assert!(!is_root_scoped("header"));
        assert!(is_dark_scoped("[data-theme=\"dark\"]"));
        assert!(is_dark_scoped(".dark :root"));
        assert!(!is_dark_scoped(":root:not(.dark)"));
    }

    #[test]
    fn var_resolution_local_global_fallback() {
        let mut vars = Vars::default();
        vars.root.insert("--brand".into(), "#e63946".into());
        vars.root.insert("--alias".into(), "var(--brand)".into());
        let local = [decl("--tw-bg-opacity", "1")];
        assert_eq!(
            resolve("var(--alias)", &[], &vars).as_deref(),
            Some("#e63946")
        );
        assert_eq!(
            resolve("rgb(1 2 3 / var(--tw-bg-opacity))", &local, &vars).as_deref(),
            Some("rgb(1 2 3 / 1)")
        );
        assert_eq!(
            resolve("var(--nope, red)", &[], &vars).as_deref(),
            Some("red")
        );
        assert_eq!(
            resolve("var(--nope, var(--brand))", &[], &vars).as_deref(),
            Some("#e63946")
        );
        assert_eq!(resolve("var(--nope)", &[], &vars), None);
        assert_eq!(resolve("plain", &[], &vars).as_deref(), Some("plain"));
    }

    #[test]
    fn var_cycles_and_blowups_end() {
        let mut vars = Vars::default();
        vars.root.insert("--a".into(), "var(--a)".into());
        vars.root
            .insert("--b".into(), "var(--c) var(--c) var(--c) var(--c)".into());
        vars.root
            .insert("--c".into(), "var(--b) var(--b) var(--b) var(--b)".into());
        assert_eq!(resolve("var(--a)", &[], &vars), None);
        assert_eq!(resolve("var(--b)", &[], &vars), None);
        assert_eq!(resolve("var(--x", &[], &vars), None);
    }
}
