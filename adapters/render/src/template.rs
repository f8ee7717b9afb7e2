//! The offline ad template: brand-coloured ground, the references as a collage, a headline
//! fitted to its box, an optional body line, a call-to-action button and the logo.
//!
//! Layout follows the canvas shape:
//! - stacked (narrower than 1.3:1): images on top, copy centred below;
//! - side by side (1.3:1 up to 3:1): images left, copy left-aligned on the right;
//! - banner (3:1 and wider): images, copy and button in one row;
//! - typographic (no references, below 3:1): accent discs top right, a large headline below.
//!
//! Text, the button and the logo stay inside the safe area: margins proportional to the short
//! side and, on story canvases (9:16), out of the top 13 % and bottom 18 % that the platforms
//! cover with their own interface.

use image::RgbaImage;

use super::codec::RgbaView;
use super::draw::{
    self, INK, Rect, Rgb, WHITE, contrast, draw_tile, fill_circle, fill_rounded_rect,
    gradient_canvas, mean_colour, mix, readable_on,
};
use super::palette::{gradient_end, visible_accent};
use super::resize::{contain, cover};
use super::text::{self, Face};
use adgen::pixels::Colours;

/// At most this many references are placed; the contract allows no more.
const MAX_REFERENCES: usize = 6;
/// Smallest body size the fitting will use before it starts cutting copy (pixels of
/// ascent-to-descent height, about 7 px type).
const MIN_BODY: f32 = 8.5;

/// Everything the template needs for one ad.
#[derive(Debug, Clone, Copy)]
pub struct AdLayout<'a> {
    pub width: u32,
    pub height: u32,
    pub headline: &'a str,
    pub body: Option<&'a str>,
    pub call_to_action: Option<&'a str>,
    pub colours: Colours,
    /// Up to six are used, in order; the first gets the largest cell.
    pub references: &'a [RgbaView<'a>],
    pub logo: Option<&'a RgbaImage>,
}

/// What a line of copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Headline,
    Body,
    CallToAction,
}

/// One set line: its text after wrapping and any shortening, and its box (advance width by
/// line height) on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub role: Role,
    pub text: String,
    pub rect: Rect,
    /// Font size in pixels (ascent-to-descent height).
    pub size: f32,
    pub baseline: f32,
}

/// Where the copy goes, computed before anything is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLayout {
    /// The area nothing textual may leave: the canvas less its margins and safe zones.
    pub safe: Rect,
    /// The box the copy was fitted into (inside `safe`).
    pub text_box: Rect,
    pub lines: Vec<TextLine>,
    pub button: Option<Rect>,
    /// The short accent rule above the headline, when the layout has one.
    pub rule: Option<Rect>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Stacked,
    Side,
    Banner,
    Typographic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Centre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Middle,
    Bottom,
}

/// The canvas geometry that does not depend on the copy.
struct Frame {
    w: f32,
    h: f32,
    /// Short side.
    s: f32,
    mode: Mode,
    margin: f32,
    safe: Rect,
    /// The block the collage fills, when there are references (for stacked layouts, the
    /// largest it can be: the copy may claim some of it).
    images: Option<Rect>,
}

impl Frame {
    fn new(width: u32, height: u32, references: usize) -> Frame {
        let (w, h) = (width.max(1) as f32, height.max(1) as f32);
        let s = w.min(h);
        let aspect = w / h;
        let mode = if aspect >= 3.0 {
            Mode::Banner
        } else if references == 0 {
            Mode::Typographic
        } else if aspect >= 1.3 {
            Mode::Side
        } else {
            Mode::Stacked
        };
        let margin = (s * if mode == Mode::Banner { 0.1 } else { 0.06 }).max(3.0);
        // Story formats (9:16) put the platform's own interface over the top and bottom.
        let (top, bottom) = if (0.5..0.6).contains(&aspect) {
            ((0.13 * h).max(margin), (0.18 * h).max(margin))
        } else {
            (margin, margin)
        };
        let safe = Rect::new(margin, top, w - 2.0 * margin, h - top - bottom);
        let images = (references > 0).then(|| match mode {
            Mode::Stacked => {
                let (_, bottom) = stacked_image_bottom(aspect, h);
                Rect::new(margin, margin, w - 2.0 * margin, bottom - margin)
            }
            Mode::Side => {
                let split = if aspect >= 2.0 { 0.46 } else { 0.5 };
                Rect::new(margin, margin, w * split - 1.5 * margin, h - 2.0 * margin)
            }
            // (Typographic layouts have no references; the arm only completes the match.)
            Mode::Banner | Mode::Typographic => {
                let bh = h - 2.0 * margin;
                let bw = (references as f32 * bh * 1.25).min(w * 0.34);
                Rect::new(margin, margin, bw, bh)
            }
        });
        Frame {
            w,
            h,
            s,
            mode,
            margin,
            safe,
            images,
        }
    }

    fn radius(&self) -> f32 {
        (self.s * 0.022).max(2.0)
    }

    fn gap(&self) -> f32 {
        (self.s * 0.014).max(2.0).round()
    }
}

/// The range (in pixels from the top) where a stacked layout's image block may end: the copy
/// takes what it needs below it, within these bounds. Narrow canvases set short lines, so
/// their copy needs less height than their width suggests and the images may reach further.
fn stacked_image_bottom(aspect: f32, h: f32) -> (f32, f32) {
    if aspect < 0.4 {
        (0.42 * h, 0.74 * h)
    } else if aspect < 0.7 {
        (0.5 * h, 0.72 * h)
    } else {
        (0.53 * h, 0.7 * h)
    }
}

/// How a collage splits its block: `groups` rows (or columns) of near-equal counts.
#[derive(Debug, Clone, Copy)]
struct Arrangement {
    groups: usize,
    by_rows: bool,
}

/// The arrangement whose cells come closest to the 4:3..1:1 shapes photos come in, earlier
/// groups holding fewer (so the first reference is the largest). Chosen on a layout's largest
/// image block, so a block shortened by long copy keeps the same arrangement and its cells
/// only shrink: [`reference_target`] relies on that.
fn choose_arrangement(block: Rect, count: usize, gap: f32) -> Arrangement {
    let mut best = (
        f32::INFINITY,
        Arrangement {
            groups: 1,
            by_rows: true,
        },
    );
    for groups in 1..=count {
        for by_rows in [true, false] {
            let arrangement = Arrangement { groups, by_rows };
            let cells = arrange(block, count, arrangement, gap);
            let score = cells
                .iter()
                .map(|c| {
                    let aspect = c.width.max(1.0) / c.height.max(1.0);
                    // 1.15 is a mildly landscape cell: it crops 4:3 and 1:1 photos gently.
                    (aspect / 1.15).ln().abs()
                })
                .sum::<f32>()
                / cells.len().max(1) as f32
                + 0.08 * groups as f32;
            if score < best.0 {
                best = (score, arrangement);
            }
        }
    }
    best.1
}

fn arrange(block: Rect, count: usize, arrangement: Arrangement, gap: f32) -> Vec<Rect> {
    let Arrangement { groups, by_rows } = arrangement;
    let (along, across) = if by_rows {
        (block.height, block.width)
    } else {
        (block.width, block.height)
    };
    let group_size = (along - gap * (groups - 1) as f32) / groups as f32;
    let mut cells = Vec::with_capacity(count);
    let mut placed = 0;
    for g in 0..groups {
        // Fewer in the first groups: 5 in 2 rows is 2 then 3.
        let n = (count - placed) / (groups - g);
        let item = (across - gap * (n.saturating_sub(1)) as f32) / n.max(1) as f32;
        let start = g as f32 * (group_size + gap);
        for i in 0..n {
            let offset = i as f32 * (item + gap);
            let (x, y, w, h) = if by_rows {
                (block.x + offset, block.y + start, item, group_size)
            } else {
                (block.x + start, block.y + offset, group_size, item)
            };
            cells.push(snap(Rect::new(x, y, w, h)));
        }
        placed += n;
    }
    cells
}

/// Rounds a rectangle to whole pixels so tiles are sharp and gaps even.
fn snap(r: Rect) -> Rect {
    let (x0, y0) = (r.x.round(), r.y.round());
    let (x1, y1) = (r.right().round(), r.bottom().round());
    Rect::new(x0, y0, (x1 - x0).max(1.0), (y1 - y0).max(1.0))
}

/// The size every reference must cover for a `width`×`height` ad with `count` references:
/// decode each with [`super::decode_scaled`] to this and no resolution is wasted.
pub fn reference_target(width: u32, height: u32, count: usize) -> (u32, u32) {
    let count = count.min(MAX_REFERENCES);
    let frame = Frame::new(width, height, count);
    let Some(block) = frame.images else {
        return (1, 1);
    };
    let arrangement = choose_arrangement(block, count, frame.gap());
    let cells = arrange(block, count, arrangement, frame.gap());
    // One pixel over: a shorter block's cells can round up where the largest one's rounded
    // down.
    cells.iter().fold((1, 1), |(w, h), c| {
        (w.max(c.width as u32 + 1), h.max(c.height as u32 + 1))
    })
}

/// Where every line of copy, the rule and the button go (exposed so tests and callers can
/// check that nothing leaves the canvas).
pub fn layout_text(layout: &AdLayout) -> TextLayout {
    plan(layout).text
}

/// The whole composition, decided before any pixel is drawn.
struct Plan {
    frame: Frame,
    /// The collage cells, in reference order, on whole pixels.
    cells: Vec<Rect>,
    text: TextLayout,
}

fn plan(layout: &AdLayout) -> Plan {
    let count = layout.references.len().min(MAX_REFERENCES);
    let frame = Frame::new(layout.width, layout.height, count);
    let wording = Wording::new(layout);
    let Frame {
        w, h, s, margin, ..
    } = frame;
    let safe = frame.safe;
    let mut images = frame.images;
    let text = match frame.mode {
        Mode::Stacked => {
            let (min_bottom, max_bottom) = stacked_image_bottom(w / h, h);
            let body = (s * 0.038).max(10.0);
            let style = Style::new(body, body * 3.1, Align::Centre, Anchor::Bottom, false);
            // Fit the copy in all the room it may have, then give the images what it left.
            let top = (min_bottom + margin).max(safe.y);
            let roomy = Rect::new(safe.x, top, safe.width, (safe.bottom() - top).max(0.0));
            let first = fit_stack(&wording, safe, roomy, style);
            let copy_top = content_top(&first).unwrap_or(safe.bottom());
            let image_bottom = (copy_top - margin).clamp(min_bottom, max_bottom);
            images = images
                .map(|block| Rect::new(block.x, block.y, block.width, image_bottom - block.y));
            let top = (image_bottom + margin).max(safe.y);
            let text_box = Rect::new(safe.x, top, safe.width, (safe.bottom() - top).max(0.0));
            fit_stack(
                &wording,
                safe,
                text_box,
                Style {
                    anchor: Anchor::Middle,
                    ..style
                },
            )
        }
        Mode::Side => {
            let block = images.unwrap_or(safe);
            let left = block.right() + 1.5 * margin;
            let text_box = Rect::new(left, safe.y, (safe.right() - left).max(0.0), safe.height);
            let body = (s * 0.045).max(10.0);
            fit_stack(
                &wording,
                safe,
                text_box,
                Style::new(body, body * 2.7, Align::Left, Anchor::Middle, true),
            )
        }
        Mode::Typographic => {
            let (left, top, right) = if w / h >= 1.3 {
                (safe.x + 0.5 * margin, safe.y, w * 0.64)
            } else {
                let lowest = typographic_circles(&frame)
                    .iter()
                    .map(|((_, cy), r)| cy + r)
                    .fold(0.0, f32::max);
                (
                    safe.x + 0.5 * margin,
                    (lowest + 0.5 * margin).max(safe.y),
                    safe.right() - 0.5 * margin,
                )
            };
            let text_box = Rect::new(
                left,
                top,
                (right - left).max(0.0),
                (safe.bottom() - top).max(0.0),
            );
            let body = (s * 0.04).max(10.0);
            fit_stack(
                &wording,
                safe,
                text_box,
                Style::new(body, body * 4.5, Align::Left, Anchor::Bottom, true),
            )
        }
        Mode::Banner => {
            let left = match images {
                Some(block) => block.right() + margin,
                None => banner_disc(&frame).1 + margin,
            };
            let body = (h * 0.13).max(MIN_BODY);
            let button = wording
                .call_to_action
                .as_ref()
                .map(|label| set_button(label, body, safe.width * 0.28));
            let right = match &button {
                Some(b) => safe.right() - b.rect.width - margin,
                None => safe.right(),
            };
            let text_box = Rect::new(left, safe.y, (right - left).max(0.0), safe.height);
            // Two body lines fit a 4:1 banner; an 8:1 strip has room for one.
            let body_lines = if w / h < 6.0 { 2 } else { 1 };
            let mut text = fit_stack(
                &Wording {
                    call_to_action: None,
                    ..wording
                },
                safe,
                text_box,
                Style::new(body, body * 2.3, Align::Left, Anchor::Middle, false)
                    .body_lines(body_lines),
            );
            if let Some(button) = button {
                let x = safe.right() - button.rect.width;
                let y = safe.y + (safe.height - button.rect.height) / 2.0;
                let (rect, label) = button.place(x, y);
                text.button = Some(rect);
                text.lines.push(label);
            }
            text
        }
    };
    let cells = match (frame.images, images) {
        (Some(largest), Some(block)) if count > 0 => {
            let arrangement = choose_arrangement(largest, count, frame.gap());
            arrange(block, count, arrangement, frame.gap())
        }
        _ => Vec::new(),
    };
    Plan { frame, cells, text }
}

/// The top of the first thing in the copy block.
fn content_top(text: &TextLayout) -> Option<f32> {
    text.lines
        .iter()
        .map(|l| l.rect.y)
        .chain(text.rule.map(|r| r.y))
        .chain(text.button.map(|b| b.y))
        .reduce(f32::min)
}

/// The copy, split into words once.
#[derive(Clone)]
struct Wording {
    headline: Vec<Vec<String>>,
    body: Vec<Vec<String>>,
    call_to_action: Option<String>,
}

impl Wording {
    fn new(layout: &AdLayout) -> Wording {
        let call_to_action = layout
            .call_to_action
            .map(|t| text::normalise(t).concat().join(" "))
            .filter(|t| !t.is_empty());
        Wording {
            headline: text::normalise(layout.headline),
            body: layout.body.map(text::normalise).unwrap_or_default(),
            call_to_action,
        }
    }
}

/// Type sizes and placement for one layout.
#[derive(Clone, Copy)]
struct Style {
    body: f32,
    headline_max: f32,
    align: Align,
    anchor: Anchor,
    rule: bool,
    max_body_lines: usize,
}

impl Style {
    fn new(body: f32, headline_max: f32, align: Align, anchor: Anchor, rule: bool) -> Style {
        Style {
            body,
            headline_max,
            align,
            anchor,
            rule,
            max_body_lines: 3,
        }
    }

    fn body_lines(self, max_body_lines: usize) -> Style {
        Style {
            max_body_lines,
            ..self
        }
    }
}

/// Line pitch as a share of the font's ascent-to-descent height: tight for display type,
/// open for the body.
const HEADLINE_PITCH: f32 = 0.98;
const BODY_PITCH: f32 = 1.22;

/// A button whose size is known but not yet its position.
struct Button {
    rect: Rect,
    label: String,
    size: f32,
    pad_x: f32,
}

impl Button {
    fn place(self, x: f32, y: f32) -> (Rect, TextLine) {
        let rect = Rect::new(x, y, self.rect.width, self.rect.height);
        let m = text::metrics(Face::Bold, self.size);
        let label_width = text::measure(Face::Bold, self.size, &self.label);
        let line_height = self.size;
        let top = y + (rect.height - line_height) / 2.0;
        let line = TextLine {
            role: Role::CallToAction,
            rect: Rect::new(x + self.pad_x, top, label_width, line_height),
            baseline: top + (line_height - m.ascent - m.descent) / 2.0 + m.ascent,
            size: self.size,
            text: self.label,
        };
        (rect, line)
    }
}

/// Sizes the call-to-action button for a body size, shortening the label to `max_width`.
fn set_button(label: &str, body: f32, max_width: f32) -> Button {
    let size = body * 0.92;
    let pad_x = size * 1.1;
    let label = text::truncate(Face::Bold, size, label, (max_width - 2.0 * pad_x).max(0.0));
    let width = text::measure(Face::Bold, size, &label) + 2.0 * pad_x;
    Button {
        rect: Rect::new(0.0, 0.0, width, size * 2.0),
        label,
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
fn fit_stack(copy: &Wording, safe: Rect, text_box: Rect, style: Style) -> TextLayout {
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
        Fit::Balanced => text::wrap_balanced(Face::Bold, headline, &copy.headline, width),
        Fit::Greedy | Fit::Cut { .. } => text::wrap(Face::Bold, headline, &copy.headline, width),
    };
    if headline_lines.len() > max_headline_lines {
        headline_lines.truncate(max_headline_lines);
        if let Some(last) = headline_lines.last_mut() {
            *last = text::truncate(Face::Bold, headline, &format!("{last}…"), width);
        }
    }
    push_lines(
        &mut lines,
        &mut y,
        Role::Headline,
        Face::Bold,
        headline,
        HEADLINE_PITCH,
        headline_lines,
    );

    let mut body_lines = match fit {
        Fit::Balanced => text::wrap_balanced(Face::Regular, body, &copy.body, width),
        Fit::Greedy | Fit::Cut { .. } => text::wrap(Face::Regular, body, &copy.body, width),
    };
    if body_lines.len() > style.max_body_lines {
        body_lines.truncate(style.max_body_lines);
        if let Some(last) = body_lines.last_mut() {
            *last = text::truncate(Face::Regular, body, &format!("{last}…"), width);
        }
    }
    if !body_lines.is_empty() {
        y += body * 0.55;
        push_lines(
            &mut lines,
            &mut y,
            Role::Body,
            Face::Regular,
            body,
            BODY_PITCH,
            body_lines,
        );
    }

    let button = copy
        .call_to_action
        .as_ref()
        .filter(|_| with_button)
        .map(|label| set_button(label, body, width));
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
    }
}

/// The typographic layout's two accent discs, large first, as (centre, radius).
fn typographic_circles(frame: &Frame) -> [((f32, f32), f32); 2] {
    let Frame { w, h, s, .. } = *frame;
    if w / h >= 1.3 {
        let r = 0.62 * h;
        let big = ((w - 0.18 * h, 0.22 * h), r);
        let small = ((w - 0.18 * h - 0.9 * r, 0.22 * h + 0.95 * r), 0.28 * h);
        [big, small]
    } else {
        let r = 0.3 * s;
        let big = ((w - 0.1 * s, 0.1 * s + (frame.safe.y - frame.margin)), r);
        let small = ((big.0.0 - 1.05 * r, big.0.1 + 0.85 * r), 0.12 * s);
        [big, small]
    }
}

/// A half disc against the left edge of a banner with no references: (centre y, right edge).
fn banner_disc(frame: &Frame) -> (f32, f32) {
    (frame.h / 2.0, frame.h * 0.55)
}

/// Renders the ad. Same input, same pixels: embedded fonts, a fixed drawing order, no
/// threads, no clock.
pub fn render_ad(layout: &AdLayout) -> RgbaImage {
    let Plan {
        frame,
        cells,
        text: text_layout,
    } = plan(layout);
    let count = cells.len();
    let background = layout.colours.background;
    let accent = visible_accent(layout.colours.accent, background);
    let mut canvas = gradient_canvas(
        layout.width.max(1),
        layout.height.max(1),
        background,
        gradient_end(background),
    );

    match frame.mode {
        Mode::Typographic => {
            let [big, small] = typographic_circles(&frame);
            fill_circle(&mut canvas, big.0, big.1, None, accent, 1.0);
            let ring = (frame.s * 0.022).max(1.5);
            fill_circle(
                &mut canvas,
                small.0,
                small.1 - ring / 2.0,
                Some(ring),
                accent,
                0.9,
            );
        }
        Mode::Banner if count == 0 => {
            let (cy, right) = banner_disc(&frame);
            fill_circle(&mut canvas, (0.0, cy), right, None, accent, 1.0);
        }
        _ => {}
    }

    let radius = frame.radius();
    for (img, cell) in layout.references.iter().zip(&cells) {
        let tile = cover(img, cell.width as u32, cell.height as u32);
        draw_tile(&mut canvas, &tile, cell.x as i64, cell.y as i64, radius);
    }

    if let Some(logo) = layout.logo {
        draw_logo(&mut canvas, &frame, logo, background);
    }

    // Read the ground under the copy after everything behind it is drawn.
    let ground = mean_colour(&canvas, &text_layout.text_box);
    let headline_colour = readable_on(ground, layout.colours.text, 4.5);
    let softened = mix(headline_colour, ground, 0.18);
    let body_colour = if contrast(softened, ground) >= 4.5 {
        softened
    } else {
        headline_colour
    };
    let label_colour = if contrast(WHITE, accent) >= contrast(INK, accent) {
        WHITE
    } else {
        INK
    };

    if let Some(rule) = &text_layout.rule {
        fill_rounded_rect(&mut canvas, rule, rule.height / 2.0, accent);
    }
    if let Some(button) = &text_layout.button {
        fill_rounded_rect(&mut canvas, button, button.height * 0.22, accent);
    }
    for line in &text_layout.lines {
        let (face, colour) = match line.role {
            Role::Headline => (Face::Bold, headline_colour),
            Role::Body => (Face::Regular, body_colour),
            Role::CallToAction => (Face::Bold, label_colour),
        };
        text::draw_line(
            &mut canvas,
            face,
            line.size,
            (line.rect.x, line.baseline),
            &line.text,
            colour,
        );
    }
    canvas
}

/// The logo on a rounded chip in the top-left corner of the safe area; the chip takes
/// whichever of the background, white or ink the logo stands out from best.
fn draw_logo(canvas: &mut RgbaImage, frame: &Frame, logo: &RgbaImage, background: Rgb) {
    let height = if frame.mode == Mode::Banner {
        frame.h * 0.16
    } else {
        frame.s * 0.05
    };
    let fitted = contain(
        logo,
        (height * 3.5).round() as u32,
        height.round().max(1.0) as u32,
    );
    let pad = (height * 0.3).round().max(2.0);
    let inset = if frame.images.is_some() {
        frame.gap() * 2.0
    } else {
        0.0
    };
    let x = frame.safe.x + inset;
    let y = frame.safe.y + inset;
    let chip = Rect::new(
        x,
        y,
        fitted.width() as f32 + 2.0 * pad,
        fitted.height() as f32 + 2.0 * pad,
    );
    let ink = logo_colour(&fitted);
    let chip_colour = [background, WHITE, INK]
        .into_iter()
        .enumerate()
        .fold((background, 0.0), |best, (i, c)| {
            // Prefer the brand's own background unless it hides the logo.
            let score = contrast(c, ink) + if i == 0 { 1.5 } else { 0.0 };
            if score > best.1 { (c, score) } else { best }
        })
        .0;
    fill_rounded_rect(canvas, &chip, pad, chip_colour);
    draw_tile(canvas, &fitted, (x + pad) as i64, (y + pad) as i64, 0.0);
}

/// Mean colour of the logo's visible pixels.
fn logo_colour(logo: &RgbaImage) -> Rgb {
    let mut sum = [0u64; 3];
    let mut weight = 0u64;
    for p in logo.pixels() {
        let a = u64::from(p[3]);
        for i in 0..3 {
            sum[i] += u64::from(p[i]) * a;
        }
        weight += a;
    }
    if weight == 0 {
        return draw::INK;
    }
    sum.map(|s| (s / weight) as u8)
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;
    use crate::codec::image_view;
    use adgen::contract::output::{AspectRatio, Resolution, pixel_size};

    fn ratios() -> impl Iterator<Item = AspectRatio> {
        AspectRatio::ALL
            .iter()
            .copied()
            .filter(|r| *r != AspectRatio::Auto)
    }

    fn photos(n: usize) -> Vec<RgbaImage> {
        (0..n)
            .map(|i| {
                RgbaImage::from_fn(48 + 8 * i as u32, 36, |x, y| {
                    Rgba([(x * 5) as u8, (y * 7) as u8, (40 * i) as u8, 255])
                })
            })
            .collect()
    }

    fn ad<'a>(
        (width, height): (u32, u32),
        headline: &'a str,
        body: Option<&'a str>,
        cta: Option<&'a str>,
        references: &'a [RgbaImage],
        logo: Option<&'a RgbaImage>,
    ) -> AdLayout<'a> {
        AdLayout {
            width,
            height,
            headline,
            body,
            call_to_action: cta,
            colours: Colours::default(),
            // Views borrow the test's images; leaking them keeps the helper a plain function.
            references: Box::leak(
                references
                    .iter()
                    .map(image_view)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
            logo,
        }
    }

    #[test]
    fn every_aspect_ratio_renders_at_exactly_its_size() {
        let refs = photos(6);
        let logo = RgbaImage::from_pixel(40, 10, Rgba([200, 30, 30, 255]));
        for (i, ratio) in ratios().enumerate() {
            let size = pixel_size(ratio, Resolution::R512);
            let count = i % 7;
            let layout = ad(
                size,
                "Fresh roast, delivered",
                Some("Beans from small farms, at your door in two days."),
                Some("Order now"),
                &refs[..count],
                (i % 2 == 0).then_some(&logo),
            );
            let img = render_ad(&layout);
            assert_eq!(img.dimensions(), size, "{ratio:?} with {count} references");
            assert!(img.pixels().all(|p| p[3] == 255), "{ratio:?}: opaque");
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        let refs = photos(3);
        let logo = RgbaImage::from_pixel(30, 12, Rgba([10, 200, 90, 180]));
        let layout = ad(
            pixel_size(AspectRatio::R4x5, Resolution::R512),
            "Same input, same pixels",
            Some("Every time."),
            Some("Check"),
            &refs,
            Some(&logo),
        );
        assert_eq!(render_ad(&layout).as_raw(), render_ad(&layout).as_raw());
    }

    /// Inputs that have broken templates before: nothing, a novel, one unbreakable word,
    /// control characters, and a call to action longer than any button.
    fn extreme_copy() -> Vec<(String, Option<String>, Option<String>)> {
        let long = "Discover our biggest autumn collection yet with hand-picked pieces for every \
                    room, sustainably made, delivered free, and guaranteed for ten years "
            .repeat(4);
        vec![
            ("".into(), None, None),
            ("Sale".into(), None, Some("Shop".into())),
            (
                long.clone(),
                Some(long.clone()),
                Some("Get started today with free delivery on every single order".into()),
            ),
            ("x".repeat(200), Some("y".repeat(200)), Some("z".repeat(60))),
            (
                "Line one\nLine two\t\u{7}with\u{0}controls".into(),
                Some("\n\n".into()),
                Some("   ".into()),
            ),
        ]
    }

    #[test]
    fn text_stays_inside_the_safe_area_and_off_the_images_at_every_ratio() {
        for resolution in [Resolution::R512, Resolution::R1K] {
            for ratio in ratios() {
                let size = pixel_size(ratio, resolution);
                for count in [0, 1, 3, 6] {
                    let refs = photos(count);
                    for (headline, body, cta) in extreme_copy() {
                        let layout = ad(
                            size,
                            &headline,
                            body.as_deref(),
                            cta.as_deref(),
                            &refs,
                            None,
                        );
                        let Plan { cells, text, frame } = plan(&layout);
                        let canvas = Rect::new(0.0, 0.0, size.0 as f32, size.1 as f32);
                        let context = format!(
                            "{ratio:?} {resolution:?} {count} refs, headline {:.20}",
                            headline
                        );
                        assert!(text.safe.is_within(&canvas), "{context}");
                        assert!(text.safe.x >= frame.margin - 0.01, "{context}: margin");
                        let mut boxes: Vec<Rect> = text.lines.iter().map(|l| l.rect).collect();
                        boxes.extend(text.button);
                        boxes.extend(text.rule);
                        for b in &boxes {
                            assert!(
                                b.is_within(&text.safe),
                                "{context}: {b:?} outside {:?}",
                                text.safe
                            );
                            for cell in &cells {
                                assert!(!overlaps(b, cell), "{context}: {b:?} on image {cell:?}");
                            }
                        }
                        for cell in &cells {
                            assert!(cell.is_within(&canvas), "{context}: image {cell:?}");
                        }
                        if !headline.trim().is_empty() {
                            assert!(
                                text.lines.iter().any(|l| l.role == Role::Headline),
                                "{context}: headline dropped"
                            );
                        }
                        for pair in text.lines.windows(2) {
                            let (a, b) = (&pair[0].rect, &pair[1].rect);
                            if pair[0].role != Role::CallToAction
                                && pair[1].role != Role::CallToAction
                            {
                                assert!(b.y >= a.bottom() - 0.01, "{context}: lines overlap");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn tiny_and_freak_canvases_render_without_panicking() {
        let refs = photos(4);
        let logo = RgbaImage::from_pixel(50, 10, Rgba([0, 0, 0, 255]));
        for size in [(1, 1), (16, 16), (3000, 16), (16, 3000), (40, 40)] {
            for (headline, body, cta) in extreme_copy() {
                for count in [0, 4] {
                    let layout = ad(
                        size,
                        &headline,
                        body.as_deref(),
                        cta.as_deref(),
                        &refs[..count],
                        Some(&logo),
                    );
                    assert_eq!(render_ad(&layout).dimensions(), size);
                    let text = layout_text(&layout);
                    let canvas = Rect::new(0.0, 0.0, size.0 as f32, size.1 as f32);
                    for line in &text.lines {
                        assert!(line.rect.is_within(&canvas), "{size:?}: {line:?}");
                    }
                }
            }
        }
    }

    fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
    }

    #[test]
    fn story_text_keeps_out_of_the_top_13_and_bottom_18_percent() {
        let size = pixel_size(AspectRatio::R9x16, Resolution::R1K);
        let long = "A headline that goes on and on to fill the box ".repeat(5);
        for count in [0, 2] {
            let refs = photos(count);
            let text = layout_text(&ad(size, &long, Some(&long), Some("Go"), &refs, None));
            let h = size.1 as f32;
            for line in &text.lines {
                assert!(
                    line.rect.y >= 0.13 * h && line.rect.bottom() <= 0.82 * h,
                    "{line:?}"
                );
            }
        }
    }

    #[test]
    fn a_long_headline_shrinks_and_a_short_one_is_set_large() {
        let size = pixel_size(AspectRatio::R1x1, Resolution::R1K);
        let short = layout_text(&ad(size, "Sale", None, None, &[], None));
        let long =
            "Everything you need for a calm, bright and well organised home office ".repeat(3);
        let long = layout_text(&ad(size, &long, None, None, &[], None));
        let size_of = |t: &TextLayout| {
            t.lines
                .iter()
                .find(|l| l.role == Role::Headline)
                .map(|l| l.size)
        };
        let (short, long) = (size_of(&short).expect("set"), size_of(&long).expect("set"));
        assert!(short > 2.0 * long, "short {short} vs long {long}");
    }

    #[test]
    fn headline_colour_contrasts_with_its_ground_whatever_the_brand_says() {
        let size = pixel_size(AspectRatio::R1x1, Resolution::R512);
        let mut layout = ad(size, "Readable", None, None, &[], None);
        // Text colour equal to the background: the template must not obey it.
        layout.colours = Colours {
            background: [30, 30, 60],
            accent: [240, 200, 0],
            text: [30, 30, 60],
        };
        let img = render_ad(&layout);
        let line = layout_text(&layout).lines[0].clone();
        let brightest = (line.rect.y as u32..line.rect.bottom() as u32)
            .flat_map(|y| (line.rect.x as u32..line.rect.right() as u32).map(move |x| (x, y)))
            .map(|(x, y)| {
                draw::luminance({
                    let p = img.get_pixel(x, y);
                    [p[0], p[1], p[2]]
                })
            })
            .fold(0.0, f32::max);
        assert!(brightest > 0.8, "headline luminance {brightest}");
    }

    #[test]
    fn reference_target_covers_every_cell() {
        for ratio in ratios() {
            let size = pixel_size(ratio, Resolution::R1K);
            for count in 1..=6 {
                let refs = photos(count);
                let target = reference_target(size.0, size.1, count);
                for headline in [
                    "Hi",
                    "A much longer headline that needs several lines to fit its box",
                ] {
                    let Plan { cells, .. } = plan(&ad(size, headline, None, None, &refs, None));
                    assert_eq!(cells.len(), count);
                    for cell in cells {
                        assert!(
                            cell.width as u32 <= target.0 && cell.height as u32 <= target.1,
                            "{ratio:?} {count}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn collage_cells_do_not_overlap_and_the_first_is_largest() {
        let block = Rect::new(10.0, 10.0, 600.0, 400.0);
        for count in 1..=6 {
            let cells = arrange(block, count, choose_arrangement(block, count, 6.0), 6.0);
            assert_eq!(cells.len(), count);
            for (i, a) in cells.iter().enumerate() {
                assert!(a.is_within(&block));
                for b in &cells[i + 1..] {
                    assert!(!overlaps(a, b), "{count}: {a:?} {b:?}");
                }
                assert!(cells[0].width * cells[0].height >= a.width * a.height - 1.0);
            }
        }
    }
}
