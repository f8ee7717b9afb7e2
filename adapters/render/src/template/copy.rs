//! Fitting the copy into a box: the headline, body and call-to-action button are set at the
//! largest sizes that fit, shrinking (then cutting) in a fixed order, and the result is placed
//! by the layout's alignment and anchor. Each layout only chooses the box and the sizes; how
//! copy is made to fit is decided here, once.

use super::{AdLayout, Role, TextLayout, TextLine};
use crate::draw::Rect;
use crate::text::{self, Face, Weight};

/// Smallest body size the fitting will use before it starts cutting copy (pixels of
/// ascent-to-descent height, about 7 px type).
pub(super) const MIN_BODY: f32 = 8.5;

/// Line pitch as a share of the font's ascent-to-descent height: tight for display type,
/// open for the body.
const HEADLINE_PITCH: f32 = 0.98;
const BODY_PITCH: f32 = 1.22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Centre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    Middle,
    Bottom,
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

/// The copy, split into words once, and the face each block is set in: the layout's family,
/// or Inter for a block with a character that family lacks.
#[derive(Clone)]
pub(super) struct Wording {
    pub(super) headline: Vec<Vec<String>>,
    pub(super) body: Vec<Vec<String>>,
    pub(super) call_to_action: Option<String>,
    pub(super) headline_face: Face,
    pub(super) body_face: Face,
    pub(super) label_face: Face,
}

impl Wording {
    pub(super) fn new(layout: &AdLayout) -> Wording {
        let call_to_action = layout
            .call_to_action
            .map(|t| text::normalise(t).concat().join(" "))
            .filter(|t| !t.is_empty());
        let bold = Face::new(layout.font, Weight::Bold);
        let regular = Face::new(layout.font, Weight::Regular);
        Wording {
            headline: text::normalise(layout.headline),
            body: layout.body.map(text::normalise).unwrap_or_default(),
            headline_face: bold.covering(layout.headline),
            body_face: regular.covering(layout.body.unwrap_or_default()),
            label_face: regular.covering(call_to_action.as_deref().unwrap_or_default()),
            call_to_action,
        }
    }
}

/// Type sizes and placement for one layout.
#[derive(Clone, Copy)]
pub(super) struct Style {
    pub(super) body: f32,
    pub(super) headline_max: f32,
    pub(super) align: Align,
    pub(super) anchor: Anchor,
    pub(super) rule: bool,
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
            max_body_lines: 3,
        }
    }

    pub(super) fn body_lines(self, max_body_lines: usize) -> Style {
        Style {
            max_body_lines,
            ..self
        }
    }
}

/// A button whose size is known but not yet its position.
pub(super) struct Button {
    pub(super) rect: Rect,
    label: String,
    face: Face,
    size: f32,
    pad_x: f32,
}

impl Button {
    pub(super) fn place(self, x: f32, y: f32) -> (Rect, TextLine) {
        let rect = Rect::new(x, y, self.rect.width, self.rect.height);
        let m = text::metrics(self.face, self.size);
        let label_width = text::measure(self.face, self.size, &self.label);
        let line_height = self.size;
        let top = y + (rect.height - line_height) / 2.0;
        let line = TextLine {
            role: Role::CallToAction,
            face: self.face,
            rect: Rect::new(x + self.pad_x, top, label_width, line_height),
            baseline: top + (line_height - m.ascent - m.descent) / 2.0 + m.ascent,
            size: self.size,
            text: self.label,
        };
        (rect, line)
    }
}

/// Sizes the call-to-action button for a body size, shortening the label to `max_width`.
pub(super) fn set_button(label: &str, face: Face, body: f32, max_width: f32) -> Button {
    let size = body * 0.92;
    let pad_x = size * 1.1;
    let label = text::truncate(face, size, label, (max_width - 2.0 * pad_x).max(0.0));
    let width = text::measure(face, size, &label) + 2.0 * pad_x;
    Button {
        rect: Rect::new(0.0, 0.0, width, size * 2.0),
        label,
        face,
        size,
        pad_x,
    }
}

/// Lines and extras of one attempt at given sizes, stacked from y = 0.
struct Stack {
    lines: Vec<TextLine>,
    rule: Option<Rect>,
    button: Option<Button>,
    button_y: f32,
    height: f32,
}

/// Tries sizes from the largest down until the copy fits `text_box`: first the headline alone
/// shrinks, then everything together; at the smallest sizes the headline is cut with an
/// ellipsis, then the body dropped, then the button, so the result always fits.
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
    for (headline, body) in attempts {
        let stack = build_stack(copy, text_box.width, style, headline, body, Fit::Greedy);
        if stack.height <= text_box.height && lines_fit(&stack, text_box.width) {
            // Same line count and height, evener lines.
            let stack = build_stack(copy, text_box.width, style, headline, body, Fit::Balanced);
            return position(stack, safe, text_box, style);
        }
    }
    // Nothing fits at the smallest sizes: keep what does, in order of importance.
    let (headline, body) = (MIN_BODY * 1.25, MIN_BODY);
    for keep_body in [true, false] {
        let trimmed = Wording {
            body: if keep_body {
                copy.body.clone()
            } else {
                Vec::new()
            },
            ..copy.clone()
        };
        for keep_button in [true, false] {
            for max_lines in (1..=12).rev() {
                let fit = Fit::Cut {
                    max_lines,
                    keep_button,
                };
                let stack = build_stack(&trimmed, text_box.width, style, headline, body, fit);
                if stack.height <= text_box.height && lines_fit(&stack, text_box.width) {
                    return position(stack, safe, text_box, style);
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
    }
}

fn lines_fit(stack: &Stack, width: f32) -> bool {
    stack.lines.iter().all(|l| l.rect.width <= width + 0.01)
        && stack
            .button
            .as_ref()
            .is_none_or(|b| b.rect.width <= width + 0.01)
}

/// How to set the headline.
#[derive(Clone, Copy)]
enum Fit {
    /// Greedy wrap: what fits is decided on this.
    Greedy,
    /// The chosen sizes, with evened lines.
    Balanced,
    /// Last resort: at most `max_lines` headline lines, the button only if kept.
    Cut { max_lines: usize, keep_button: bool },
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
        Fit::Greedy | Fit::Balanced => (usize::MAX, true),
    };
    let mut lines = Vec::new();
    let mut y = 0.0;
    let rule = style.rule.then(|| {
        let rule = Rect::new(
            0.0,
            0.0,
            (headline * 1.2).min(width * 0.25),
            (headline * 0.07).max(2.0),
        );
        y = rule.height + headline * 0.32;
        rule
    });
    let mut headline_lines = match fit {
        Fit::Balanced => text::wrap_balanced(copy.headline_face, headline, &copy.headline, width),
        Fit::Greedy | Fit::Cut { .. } => {
            text::wrap(copy.headline_face, headline, &copy.headline, width)
        }
    };
    if headline_lines.len() > max_headline_lines {
        headline_lines.truncate(max_headline_lines);
        if let Some(last) = headline_lines.last_mut() {
            *last = text::truncate(copy.headline_face, headline, &format!("{last}…"), width);
        }
    }
    push_lines(
        &mut lines,
        &mut y,
        Role::Headline,
        copy.headline_face,
        headline,
        HEADLINE_PITCH,
        headline_lines,
    );

    let mut body_lines = match fit {
        Fit::Balanced => text::wrap_balanced(copy.body_face, body, &copy.body, width),
        Fit::Greedy | Fit::Cut { .. } => text::wrap(copy.body_face, body, &copy.body, width),
    };
    if body_lines.len() > style.max_body_lines {
        body_lines.truncate(style.max_body_lines);
        if let Some(last) = body_lines.last_mut() {
            *last = text::truncate(copy.body_face, body, &format!("{last}…"), width);
        }
    }
    if !body_lines.is_empty() {
        y += body * 0.55;
        push_lines(
            &mut lines,
            &mut y,
            Role::Body,
            copy.body_face,
            body,
            BODY_PITCH,
            body_lines,
        );
    }

    let button = copy
        .call_to_action
        .as_ref()
        .filter(|_| with_button)
        .map(|label| set_button(label, copy.label_face, body, width));
    let mut button_y = 0.0;
    if let Some(button) = &button {
        y += body * 1.1;
        button_y = y;
        y += button.rect.height;
    }
    Stack {
        lines,
        rule,
        button,
        button_y,
        height: y,
    }
}

fn push_lines(
    lines: &mut Vec<TextLine>,
    y: &mut f32,
    role: Role,
    face: Face,
    size: f32,
    pitch: f32,
    texts: Vec<String>,
) {
    let m = text::metrics(face, size);
    let line_height = size * pitch;
    for text in texts {
        let width = text::measure(face, size, &text);
        lines.push(TextLine {
            role,
            face,
            rect: Rect::new(0.0, *y, width, line_height),
            baseline: *y + (line_height - m.ascent - m.descent) / 2.0 + m.ascent,
            size,
            text,
        });
        *y += line_height;
    }
}

/// Moves a stack built at the origin into `text_box`.
fn position(stack: Stack, safe: Rect, text_box: Rect, style: Style) -> TextLayout {
    let top = match style.anchor {
        Anchor::Middle => text_box.y + (text_box.height - stack.height) / 2.0,
        Anchor::Bottom => text_box.bottom() - stack.height,
    };
    let x_for = |width: f32| match style.align {
        Align::Left => text_box.x,
        Align::Centre => text_box.x + (text_box.width - width) / 2.0,
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
