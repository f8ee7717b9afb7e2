//! Fitting the copy into a box: the headline, body and call-to-action button are set at the
//! largest sizes that fit, shrinking (then shortening) in a fixed order, and the result is
//! placed by the layout's alignment and anchor. Each layout only chooses the box, the sizes
//! and its line limits; how copy is made to fit is decided here, once.
//!
//! A size fits when every block is within its line limit, no word had to be split, and the
//! stack is inside the box. The headline shrinks first, then everything together down to the
//! minimum size; only then is copy shortened, at a word boundary (between characters in CJK)
//! with an ellipsis, and only as the last resort is a word split or a block dropped. The lines
//! of the chosen size are balanced: the narrowest width with the same line count. What was
//! done to each block is kept as its [`BlockFit`], the job's text-fit diagnostics.

use super::{AdLayout, Role, TextLayout, TextLine};
use crate::draw::Rect;
use crate::text::{self, FontId, Shaped, Span, Weight, Wrapped};

/// Smallest body size (em, px) the fitting will use before it starts shortening copy.
pub(super) const MIN_BODY: f32 = 7.0;

/// Line pitch in ems: tight for display type, open for the body; scripts with tall ascenders
/// and deep descenders (Arabic, Devanagari, Thai, CJK) get at least their own extent.
const HEADLINE_PITCH: f32 = 1.19;
const BODY_PITCH: f32 = 1.48;
/// The button's label line and the button's height, in ems of the label.
const LABEL_PITCH: f32 = 1.21;
const BUTTON_HEIGHT: f32 = 2.42;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    /// The start edge: left, or right for right-to-left copy.
    Left,
    Centre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    Middle,
    Bottom,
}

/// How one block of copy was set: the text-fit report of the job's diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockFit {
    pub role: Role,
    /// The face most of its glyphs are drawn from, and any others.
    pub font: &'static str,
    pub fallback_fonts: Vec<&'static str>,
    /// Font size (em) in pixels.
    pub size: f32,
    pub lines: usize,
    /// Cut at a word boundary with an ellipsis.
    pub shortened: bool,
    /// A word was split across lines (the last resort before shortening could fit).
    pub split_word: bool,
    /// Glyphs no embedded face has, not drawn.
    pub missing_glyphs: usize,
    /// The lowest contrast (WCAG) of the block's colour against any pixel behind it; known
    /// once the ad is painted.
    pub contrast: Option<f32>,
}

/// The top of the first thing in the copy block.
pub(super) fn content_top(text: &TextLayout) -> Option<f32> {
    text.lines
        .iter()
        .map(|l| l.rect.y)
        .chain(text.rule.map(|r| r.y))
        .chain(text.button.map(|b| b.y))
        .reduce(f32::min)
}

/// The copy, shaped once (in ems) in the faces of the layout's family and language.
#[derive(Clone)]
pub(super) struct Wording {
    pub(super) headline: Shaped,
    pub(super) body: Shaped,
    pub(super) call_to_action: Option<Shaped>,
}

impl Wording {
    pub(super) fn new(layout: &AdLayout) -> Wording {
        let shape = |text: &str, weight| {
            let text = text::normalise(text);
            let primary = FontId::of_family(layout.font, weight).for_text(&text, weight);
            Shaped::new(&text, primary, weight, layout.language)
        };
        let call_to_action = layout
            .call_to_action
            .map(|t| text::normalise(t).replace('\n', " "))
            .filter(|t| !t.is_empty())
            .map(|t| shape(&t, Weight::Regular));
        Wording {
            headline: shape(layout.headline, Weight::Bold),
            body: shape(layout.body.unwrap_or_default(), Weight::Regular),
            call_to_action,
        }
    }

    /// Whether the copy reads right to left (the headline's direction, else the body's).
    pub(super) fn rtl(&self) -> bool {
        if self.headline.is_empty() {
            self.body.starts_rtl()
        } else {
            self.headline.starts_rtl()
        }
    }
}

/// Type sizes, line limits and placement for one layout.
#[derive(Clone, Copy)]
pub(super) struct Style {
    pub(super) body: f32,
    pub(super) headline_max: f32,
    pub(super) align: Align,
    pub(super) anchor: Anchor,
    pub(super) rule: bool,
    pub(super) max_headline_lines: usize,
    pub(super) max_body_lines: usize,
}

impl Style {
    pub(super) fn new(
        body: f32,
        headline_max: f32,
        align: Align,
        anchor: Anchor,
        rule: bool,
    ) -> Style {
        Style {
            body,
            headline_max,
            align,
            anchor,
            rule,
            max_headline_lines: 4,
            max_body_lines: 3,
        }
    }

    pub(super) fn lines(self, max_headline_lines: usize, max_body_lines: usize) -> Style {
        Style {
            max_headline_lines,
            max_body_lines,
            ..self
        }
    }
}

/// A button whose size is known but not yet its position.
pub(super) struct Button {
    pub(super) rect: Rect,
    label: Shaped,
    span: Option<Span>,
    size: f32,
    pad_x: f32,
    shortened: bool,
}

impl Button {
    pub(super) fn place(self, x: f32, y: f32) -> (Rect, TextLine) {
        let rect = Rect::new(x, y, self.rect.width, self.rect.height);
        let (ascent, descent) = self.label.metrics();
        let line_height = self.size * LABEL_PITCH;
        let top = y + (rect.height - line_height) / 2.0;
        let (glyphs, text, width) = match self.span {
            Some(span) => (
                self.label.line_glyphs(span),
                self.label.line_text(span).to_owned(),
                self.label.width(span) * self.size,
            ),
            None => (Vec::new(), String::new(), 0.0),
        };
        let line = TextLine {
            role: Role::CallToAction,
            font: self.label.main_font(),
            rect: Rect::new(x + self.pad_x, top, width, line_height),
            baseline: top
                + (line_height - (ascent + descent) * self.size) / 2.0
                + ascent * self.size,
            size: self.size,
            text,
            glyphs,
            rtl: self.span.is_some_and(|s| self.label.is_rtl(s)),
        };
        (rect, line)
    }

    pub(super) fn fit(&self) -> BlockFit {
        block_fit(
            Role::CallToAction,
            &self.label,
            self.size,
            usize::from(self.span.is_some()),
            self.shortened,
            false,
        )
    }
}

/// Sizes the call-to-action button for a body size; a label too long for `max_width` is
/// shortened at a word boundary.
pub(super) fn set_button(label: &Shaped, body: f32, max_width: f32) -> Button {
    let size = body * 0.92;
    let pad_x = size * 1.1;
    let room = (max_width - 2.0 * pad_x).max(0.0) / size;
    let whole = label.wrap(f32::INFINITY, false);
    let fits = |s: &Shaped, w: &Wrapped| w.lines.first().is_some_and(|l| s.width(*l) <= room);
    let (label, shortened) = if fits(label, &whole) {
        (label.clone(), false)
    } else {
        match label.shortened(&label.wrap(room, false), 1, room) {
            Some(short) => (short, true),
            None => (label.clone(), false),
        }
    };
    let span = label.wrap(f32::INFINITY, false).lines.first().copied();
    let width = span.map_or(0.0, |s| label.width(s)) * size + 2.0 * pad_x;
    Button {
        rect: Rect::new(0.0, 0.0, width, size * BUTTON_HEIGHT),
        label,
        span,
        size,
        pad_x,
        shortened,
    }
}

fn block_fit(
    role: Role,
    shaped: &Shaped,
    size: f32,
    lines: usize,
    shortened: bool,
    split_word: bool,
) -> BlockFit {
    let main = shaped.main_font();
    BlockFit {
        role,
        font: main.name(&shaped.language),
        fallback_fonts: shaped
            .fonts()
            .into_iter()
            .filter(|f| *f != main)
            .map(|f| f.name(&shaped.language))
            .collect(),
        size: (size * 10.0).round() / 10.0,
        lines,
        shortened,
        split_word,
        missing_glyphs: shaped.missing_glyphs(),
        contrast: None,
    }
}

/// Lines and extras of one attempt at given sizes, stacked from y = 0.
struct Stack {
    lines: Vec<TextLine>,
    rule: Option<Rect>,
    button: Option<Button>,
    button_y: f32,
    height: f32,
    /// Every block within its line limit with no word split.
    clean: bool,
    fits: Vec<BlockFit>,
}

/// Tries sizes from the largest down until the copy fits `text_box`: first the headline alone
/// shrinks, then everything together; at the smallest sizes the headline and body are
/// shortened, then the body dropped, then the button, so the result always fits.
pub(super) fn fit_stack(copy: &Wording, safe: Rect, text_box: Rect, style: Style) -> TextLayout {
    // First the headline shrinks, the body following once it would be more than half the
    // headline (down to 80 % of its own size); then both shrink together. The headline stays
    // clearly the larger all the way.
    let mut attempts = Vec::new();
    let floor = style.body * 0.8;
    let mut size = style.headline_max;
    while size > floor * 1.5 {
        attempts.push((size, style.body.min((size / 2.0).max(floor))));
        size *= 0.94;
    }
    let mut body = floor;
    while body > MIN_BODY {
        attempts.push((body * 1.5, body));
        body *= 0.92;
    }
    let rtl = copy.rtl();
    for (headline, body) in attempts {
        let stack = build_stack(copy, text_box.width, style, headline, body, Fit::Greedy);
        if stack.clean && stack.height <= text_box.height && lines_fit(&stack, text_box.width) {
            // Same line count and height, evener lines.
            let stack = build_stack(copy, text_box.width, style, headline, body, Fit::Balanced);
            return position(stack, safe, text_box, style, rtl);
        }
    }
    // Nothing fits at the smallest sizes: shorten, then keep what does, in order of importance.
    let (headline, body) = (MIN_BODY * 1.25, MIN_BODY);
    for keep_body in [true, false] {
        let trimmed = Wording {
            body: if keep_body {
                copy.body.clone()
            } else {
                Shaped::new("", copy.body.primary, Weight::Regular, &copy.body.language)
            },
            ..copy.clone()
        };
        for keep_button in [true, false] {
            for max_lines in (1..=style.max_headline_lines.max(1)).rev() {
                let fit = Fit::Cut {
                    max_lines,
                    keep_button,
                };
                let stack = build_stack(&trimmed, text_box.width, style, headline, body, fit);
                if stack.height <= text_box.height && lines_fit(&stack, text_box.width) {
                    return position(stack, safe, text_box, style, rtl);
                }
            }
        }
    }
    // A box too small for one line of the smallest type: no copy rather than copy off the
    // canvas (only reachable for canvases a few dozen pixels tall).
    TextLayout {
        safe,
        text_box,
        lines: Vec::new(),
        button: None,
        rule: None,
        logo: None,
        fits: Vec::new(),
    }
}

fn lines_fit(stack: &Stack, width: f32) -> bool {
    stack.lines.iter().all(|l| l.rect.width <= width + 0.01)
        && stack
            .button
            .as_ref()
            .is_none_or(|b| b.rect.width <= width + 0.01)
}

/// How to set the blocks.
#[derive(Clone, Copy)]
enum Fit {
    /// Greedy wrap: what fits is decided on this.
    Greedy,
    /// The chosen sizes, with evened lines.
    Balanced,
    /// Last resort: at most `max_lines` headline lines (shortened, words split if even that
    /// fails), the button only if kept.
    Cut { max_lines: usize, keep_button: bool },
}

/// A block set at one size: its (possibly shortened) text and lines.
struct Set {
    shaped: Shaped,
    wrapped: Wrapped,
    shortened: bool,
}

fn set_block(shaped: &Shaped, width: f32, max_lines: usize, fit: Fit) -> Set {
    let (balanced, cut) = match fit {
        Fit::Greedy => (false, false),
        Fit::Balanced => (true, false),
        Fit::Cut { .. } => (false, true),
    };
    let wrap = |s: &Shaped, split: bool| {
        if balanced {
            s.wrap_balanced(width, split)
        } else {
            s.wrap(width, split)
        }
    };
    let wrapped = wrap(shaped, false);
    if !cut || (wrapped.lines.len() <= max_lines && !wrapped.split_word) {
        return Set {
            shaped: shaped.clone(),
            wrapped,
            shortened: false,
        };
    }
    if let Some(short) = shaped.shortened(&wrapped, max_lines.max(1), width) {
        let wrapped = short.wrap(width, false);
        return Set {
            shaped: short,
            wrapped,
            shortened: true,
        };
    }
    // Even the first word is too long: split it between clusters, then shorten to the limit.
    let split = shaped.wrap(width, true);
    if split.lines.len() <= max_lines {
        return Set {
            shaped: shaped.clone(),
            wrapped: split,
            shortened: false,
        };
    }
    let mut lines = split.lines;
    lines.truncate(max_lines.max(1));
    Set {
        shaped: shaped.clone(),
        wrapped: Wrapped {
            lines,
            split_word: true,
        },
        shortened: true,
    }
}

fn build_stack(
    copy: &Wording,
    width: f32,
    style: Style,
    headline: f32,
    body: f32,
    fit: Fit,
) -> Stack {
    let (max_headline_lines, with_button) = match fit {
        Fit::Cut {
            max_lines,
            keep_button,
        } => (max_lines, keep_button),
        Fit::Greedy | Fit::Balanced => (style.max_headline_lines, true),
    };
    let mut lines = Vec::new();
    let mut fits = Vec::new();
    let mut clean = true;
    let mut y = 0.0;
    let rule = style.rule.then(|| {
        let rule = Rect::new(
            0.0,
            0.0,
            (headline * 1.45).min(width * 0.25),
            (headline * 0.085).max(2.0),
        );
        y = rule.height + headline * 0.39;
        rule
    });

    for (role, shaped, size, max_lines, pitch) in [
        (
            Role::Headline,
            &copy.headline,
            headline,
            max_headline_lines,
            HEADLINE_PITCH,
        ),
        (
            Role::Body,
            &copy.body,
            body,
            style.max_body_lines,
            BODY_PITCH,
        ),
    ] {
        if shaped.is_empty() {
            continue;
        }
        let set = set_block(shaped, width / size, max_lines, fit);
        clean &= set.wrapped.lines.len() <= max_lines && !set.wrapped.split_word;
        if role == Role::Body {
            y += body * 0.66;
        }
        fits.push(block_fit(
            role,
            &set.shaped,
            size,
            set.wrapped.lines.len(),
            set.shortened,
            set.wrapped.split_word,
        ));
        push_lines(&mut lines, &mut y, role, &set, size, pitch);
    }

    let button = copy
        .call_to_action
        .as_ref()
        .filter(|_| with_button)
        .map(|label| set_button(label, body, width));
    let mut button_y = 0.0;
    if let Some(button) = &button {
        y += body * 1.33;
        button_y = y;
        y += button.rect.height;
        fits.push(button.fit());
    }
    Stack {
        lines,
        rule,
        button,
        button_y,
        height: y,
        clean,
        fits,
    }
}

fn push_lines(
    lines: &mut Vec<TextLine>,
    y: &mut f32,
    role: Role,
    set: &Set,
    size: f32,
    pitch: f32,
) {
    let (ascent, descent) = set.shaped.metrics();
    let line_height = size * pitch.max((ascent + descent) * 0.72);
    let font = set.shaped.main_font();
    for &span in &set.wrapped.lines {
        lines.push(TextLine {
            role,
            font,
            rect: Rect::new(0.0, *y, set.shaped.width(span) * size, line_height),
            baseline: *y + (line_height - (ascent + descent) * size) / 2.0 + ascent * size,
            size,
            text: set.shaped.line_text(span).to_owned(),
            glyphs: set.shaped.line_glyphs(span),
            rtl: set.shaped.is_rtl(span),
        });
        *y += line_height;
    }
}

/// Moves a stack built at the origin into `text_box`.
fn position(stack: Stack, safe: Rect, text_box: Rect, style: Style, rtl: bool) -> TextLayout {
    let top = match style.anchor {
        Anchor::Middle => text_box.y + (text_box.height - stack.height) / 2.0,
        Anchor::Bottom => text_box.bottom() - stack.height,
    };
    let x_for = |width: f32| match (style.align, rtl) {
        (Align::Left, false) => text_box.x,
        (Align::Left, true) => text_box.right() - width,
        (Align::Centre, _) => text_box.x + (text_box.width - width) / 2.0,
    };
    let mut lines: Vec<TextLine> = stack
        .lines
        .into_iter()
        .map(|mut line| {
            line.rect.x = x_for(line.rect.width);
            line.rect.y += top;
            line.baseline += top;
            line
        })
        .collect();
    let rule = stack
        .rule
        .map(|r| Rect::new(x_for(r.width), top + r.y, r.width, r.height));
    let button = stack.button.map(|button| {
        let x = x_for(button.rect.width);
        let (rect, label) = button.place(x, top + stack.button_y);
        lines.push(label);
        rect
    });
    TextLayout {
        safe,
        text_box,
        lines,
        button,
        rule,
        logo: None,
        fits: stack.fits,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ad;
    use super::super::{Role, TextLayout, layout_text};
    use adgen::contract::output::{AspectRatio, Resolution, pixel_size};

    #[test]
    fn a_long_headline_shrinks_and_a_short_one_is_set_large() {
        let size = pixel_size(AspectRatio::R1x1, Resolution::R1K);
        let short = layout_text(&ad(size, "Sale", None, None, &[]));
        let long =
            "Everything you need for a calm, bright and well organised home office ".repeat(3);
        let long = layout_text(&ad(size, &long, None, None, &[]));
        let size_of = |t: &TextLayout| {
            t.lines
                .iter()
                .find(|l| l.role == Role::Headline)
                .map(|l| l.size)
        };
        let (short, long) = (size_of(&short).expect("set"), size_of(&long).expect("set"));
        assert!(short > 2.0 * long, "short {short} vs long {long}");
    }
}
