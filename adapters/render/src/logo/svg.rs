//! SVG logos: recognised by content, scanned, then rasterised with `resvg` at
//! [`MAX_LOGO_SIDE`] on the longest side, on a transparent ground.
//!
//! An SVG is a program more than a picture: it can carry scripts, load other documents, expand
//! entities exponentially or ask the rasteriser for gigabytes. `resvg` itself runs no scripts
//! and fetches nothing (this crate builds it without text, system fonts or raster images, and
//! its image resolvers are set to resolve nothing), but the contract promises more than "it
//! did no harm": a logo that needs something we will not do is refused with a reason the
//! client can act on ([`ImageError::Refused`]), not drawn half-way. So, before rasterising:
//!
//! 1. **The document** ([`scan`], over `roxmltree`'s tree, never patterns over the raw text,
//!    except for CSS, which has no tree here): at most 512 KiB; no `<script>` (nor SVG Tiny's
//!    `handler`/`listener`), no `on*=` event attribute, no `<foreignObject>`; every `href`
//!    (plain or `xlink:`) and every CSS `url(…)` (in `<style>`, `style=` or any attribute) a
//!    same-document `#fragment`, no `@import`, no CSS escapes (which could spell either); no
//!    DTD internal subset (so no `<!ENTITY`); at most 20 000 elements, counting each `<use>`
//!    as the elements it copies, and nesting at most 256 deep; no live `<text>` (this build
//!    has no fonts: it would silently vanish from the logo, so the client is told to outline
//!    it); a usable size (a `viewBox`, or an absolute `width` and `height`).
//! 2. **The render** ([`budget`], over `usvg`'s resolved tree, after CSS has been applied):
//!    at most 50 000 drawn nodes counting pattern, clip, mask and filter content at every use;
//!    the layers, masks, pattern tiles and filter buffers alive at once at most 256 MiB; at
//!    most 256 filter primitives, and none whose cost grows with a parameter beyond reason
//!    (turbulence octaves, morphology radius, convolution kernel). These are the ways a small
//!    document makes `resvg` allocate or loop without bound; `resvg` has no cancellation, so
//!    the bound has to be known before it starts.
//!
//! Markers are the one construct `usvg` multiplies while building its tree (one copy per
//! vertex), so the scan bounds them too: marker content × the vertices that could carry it.

use std::collections::HashMap;

use adgen::ports::{ImageError, MAX_LOGO_SIDE};
use image::RgbaImage;
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::roxmltree::{self, Document, Node as XmlNode};
use resvg::usvg::{self, Group, ImageHrefResolver, Node, Paint, filter::Kind};

/// Larger documents are refused unread.
pub(crate) const MAX_SVG_BYTES: usize = 512 * 1024;
/// Elements in the document, each `<use>` counted as what it copies.
const MAX_ELEMENTS: u64 = 20_000;
const MAX_DEPTH: usize = 256;
/// Nodes drawn, counting shared content (patterns, clips, masks) at each use.
const MAX_DRAWN: u64 = 50_000;
/// Pixel buffers `resvg` holds at once (layers, masks, pattern tiles, filter results).
const MAX_LIVE_BYTES: u64 = 256 * 1024 * 1024;
const MAX_FILTER_PRIMITIVES: u32 = 256;
const MAX_OCTAVES: u32 = 10;
/// Kernel cells of `feMorphology` (after scaling) and `feConvolveMatrix`: each costs one
/// read per pixel.
const MAX_KERNEL: f32 = 33.0 * 33.0;
/// The roxmltree node cap: elements plus the text and comments between them.
const MAX_XML_NODES: u32 = 4 * MAX_ELEMENTS as u32;

/// What the prolog said, for a document that is an SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prolog {
    pub(crate) internal_subset: bool,
}

fn refused(why: &str) -> ImageError {
    ImageError::Refused(format!("SVG logo refused: {why}"))
}

fn invalid(why: impl std::fmt::Display) -> ImageError {
    ImageError::Invalid(format!("malformed SVG: {why}"))
}

/// Whether `bytes` are an SVG document: an optional BOM, whitespace, an optional XML
/// declaration, comments and processing instructions, an optional doctype, then `<svg`.
/// Reads only the prolog (a tokeniser, not a pattern search), so a huge document is judged by
/// its first bytes.
pub(crate) fn sniff(bytes: &[u8]) -> Option<Prolog> {
    let mut rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut internal_subset = false;
    let mut seen_doctype = false;
    loop {
        rest = rest.trim_ascii_start();
        if let Some(after) = rest.strip_prefix(b"<?") {
            rest = after_marker(after, b"?>")?;
        } else if let Some(after) = rest.strip_prefix(b"<!--") {
            rest = after_marker(after, b"-->")?;
        } else if !seen_doctype && rest.starts_with(b"<!DOCTYPE") {
            seen_doctype = true;
            let (after, subset) = after_doctype(&rest[b"<!DOCTYPE".len()..])?;
            internal_subset = subset;
            rest = after;
        } else {
            break;
        }
    }
    let after = rest.strip_prefix(b"<svg")?;
    match after.first() {
        Some(b) if b.is_ascii_whitespace() || *b == b'>' || *b == b'/' => {
            Some(Prolog { internal_subset })
        }
        _ => None,
    }
}

fn after_marker<'a>(bytes: &'a [u8], marker: &[u8]) -> Option<&'a [u8]> {
    let at = bytes.windows(marker.len()).position(|w| w == marker)?;
    Some(&bytes[at + marker.len()..])
}

/// Skips a doctype's name and external id (quoted literals may hold any byte) up to its `>`.
/// An internal subset (`[` outside quotes) is reported; such a document is refused whole, so
/// the rest is skipped to the first `<svg` without parsing the declarations.
fn after_doctype(bytes: &[u8]) -> Option<(&[u8], bool)> {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some((&bytes[i + 1..], false)),
            (None, b'[') => {
                let tail = &bytes[i..];
                let at = tail.windows(4).position(|w| w == b"<svg")?;
                return Some((&tail[at..], true));
            }
            (None, _) => {}
        }
    }
    None
}

/// Scans, checks the render's cost, and rasterises an SVG document at
/// [`MAX_LOGO_SIDE`] on its longest side, transparent where nothing is drawn.
pub(crate) fn rasterise(bytes: &[u8], prolog: Prolog) -> Result<RgbaImage, ImageError> {
    if bytes.len() > MAX_SVG_BYTES {
        return Err(refused("larger than 512 KiB"));
    }
    if prolog.internal_subset {
        return Err(refused("declares a DTD internal subset (entities)"));
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| invalid("not UTF-8"))?;
    // No internal subset, so no entity can be declared: allowing the DTD only lets a plain
    // `<!DOCTYPE svg PUBLIC …>` (common in exported files) through.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => refused("more than 20000 elements"),
        e => invalid(e),
    })?;
    scan(&doc)?;

    let tree = usvg::Tree::from_xmltree(&doc, &usvg_options()).map_err(invalid)?;
    let size = tree.size();
    let (w, h) = (size.width(), size.height());
    if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0) {
        return Err(refused("has no usable size"));
    }
    let scale = MAX_LOGO_SIDE as f32 / w.max(h);
    let side = |v: f32| ((v * scale).round() as u32).clamp(1, MAX_LOGO_SIDE);
    let (pw, ph) = (side(w), side(h));
    let transform = Transform::from_scale(pw as f32 / w, ph as f32 / h);
    budget(&tree, transform, (pw, ph))?;

    let mut pixmap = Pixmap::new(pw, ph).ok_or_else(|| invalid("no pixels"))?;
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    if pixmap.pixels().iter().all(|p| p.alpha() == 0) {
        return Err(refused("draws nothing"));
    }
    // tiny-skia keeps premultiplied alpha; the rest of the pipeline is straight alpha.
    let straight = pixmap.pixels().iter().flat_map(|p| {
        let c = p.demultiply();
        [c.red(), c.green(), c.blue(), c.alpha()]
    });
    RgbaImage::from_raw(pw, ph, straight.collect()).ok_or_else(|| invalid("no pixels"))
}

/// `usvg` as this crate uses it: nothing outside the document is ever resolved (the scan
/// already refuses every non-fragment `href`; this is the second lock).
fn usvg_options() -> usvg::Options<'static> {
    usvg::Options {
        resources_dir: None,
        image_href_resolver: ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}

/// The document checks (see the module docs), in one pass plus the `<use>` expansion.
fn scan(doc: &Document) -> Result<(), ImageError> {
    let root = doc.root_element();
    if !root.tag_name().name().eq_ignore_ascii_case("svg") {
        return Err(invalid("the root element is not <svg>"));
    }
    if !has_usable_size(root) {
        return Err(refused(
            "has no size (give it a viewBox, or a width and height)",
        ));
    }
    // Document order visits a parent before its children, so each depth is known in one pass.
    let mut depths = vec![0usize; doc.descendants().count()];
    let mut elements = 0u64;
    for node in doc.descendants().filter(XmlNode::is_element) {
        let depth = node.parent().map_or(0, |p| depths[p.id().get_usize()]) + 1;
        depths[node.id().get_usize()] = depth;
        elements += 1;
        if depth > MAX_DEPTH {
            return Err(refused("nests elements more than 256 deep"));
        }
        if elements > MAX_ELEMENTS {
            return Err(refused("more than 20000 elements"));
        }
        check_element(node)?;
    }
    let expanded = Expansion::of(doc)?;
    expanded.check_markers(doc, elements)
}

fn check_element(node: XmlNode) -> Result<(), ImageError> {
    let name = node.tag_name().name();
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    if is("script") || is("handler") || is("listener") {
        return Err(refused("contains a script"));
    }
    if is("foreignObject") {
        return Err(refused("contains a foreignObject"));
    }
    if is("style") {
        let css: String = node
            .children()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        check_css(&css)?;
    }
    if is("text")
        && node
            .descendants()
            .any(|n| n.text().is_some_and(|t| !t.trim().is_empty()))
    {
        return Err(refused("contains live text (convert the text to outlines)"));
    }
    for attribute in node.attributes() {
        let local = attribute.name();
        let value = attribute.value();
        if local.len() > 2 && local.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("on")) {
            return Err(refused("contains an event handler attribute"));
        }
        if local == "href" && !value.trim_start().starts_with('#') {
            return Err(refused("refers to an external resource"));
        }
        if local == "style" {
            check_css(value)?;
        } else {
            check_urls(value)?;
        }
    }
    Ok(())
}

/// CSS from a `<style>` element or a `style=` attribute. No tree here: the checks read the
/// text, so anything that could disguise a reference (escapes) is refused outright.
fn check_css(css: &str) -> Result<(), ImageError> {
    if css.contains('\\') {
        return Err(refused("uses CSS escapes"));
    }
    if contains_ignore_case(css, "@import") {
        return Err(refused("refers to an external resource"));
    }
    check_urls(css)
}

/// Every `url(…)` in `value` must point into the document (`url(#id)`, quoted or not).
fn check_urls(value: &str) -> Result<(), ImageError> {
    let lower = value.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("url(") {
        let argument = lower[from + at + 4..].trim_start();
        let argument = argument.trim_start_matches(['"', '\'']).trim_start();
        if !argument.starts_with('#') {
            return Err(refused("refers to an external resource"));
        }
        from += at + 4;
    }
    Ok(())
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

/// A `viewBox` of positive size, or an absolute `width` and `height` (a percentage of an
/// unknown viewport is no size).
fn has_usable_size(root: XmlNode) -> bool {
    let view_box = root.attribute("viewBox").is_some_and(|v| {
        let numbers: Vec<f32> = v
            .split(|c: char| c.is_ascii_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<f32>().unwrap_or(f32::NAN))
            .collect();
        matches!(numbers.as_slice(), [x, y, w, h]
            if x.is_finite() && y.is_finite() && w.is_finite() && h.is_finite()
                && *w > 0.0 && *h > 0.0)
    });
    let absolute = |name: &str| {
        root.attribute(name).is_some_and(|v| {
            let v = v.trim();
            let number = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let unit = &v[number.len()..];
            matches!(
                unit,
                "" | "px" | "pt" | "pc" | "mm" | "cm" | "in" | "em" | "ex"
            ) && number
                .parse::<f32>()
                .is_ok_and(|n| n.is_finite() && n > 0.0)
        })
    };
    view_box || (absolute("width") && absolute("height"))
}

/// Each element's size once every `<use>` under it is replaced by what it copies.
struct Expansion {
    /// Indexed by roxmltree node id; 0 for non-elements.
    weight: Vec<u64>,
}

impl Expansion {
    /// Post-order over the element tree plus the `<use>` edges, iteratively (a chain of uses
    /// may be long), refusing cycles and any total over the cap.
    fn of(doc: &Document) -> Result<Expansion, ImageError> {
        let ids: HashMap<&str, XmlNode> = doc
            .descendants()
            .filter_map(|n| n.attribute("id").map(|id| (id, n)))
            .collect();
        let link = |node: XmlNode| -> Option<XmlNode> {
            if !node.tag_name().name().eq_ignore_ascii_case("use") {
                return None;
            }
            let href = node
                .attributes()
                .find(|a| a.name() == "href")
                .map(|a| a.value())?;
            ids.get(href.trim().strip_prefix('#')?).copied()
        };
        let count = doc.descendants().count();
        let mut weight = vec![0u64; count];
        // 0 unvisited, 1 open, 2 done.
        let mut state = vec![0u8; count];
        let mut stack = vec![(doc.root_element(), false)];
        while let Some((node, closing)) = stack.pop() {
            let i = node.id().get_usize();
            let deps = node
                .children()
                .filter(XmlNode::is_element)
                .chain(link(node));
            if closing {
                let total = deps.fold(1u64, |sum, d| {
                    sum.saturating_add(weight[d.id().get_usize()])
                });
                if total > MAX_ELEMENTS {
                    return Err(refused("more than 20000 elements once <use> is expanded"));
                }
                weight[i] = total;
                state[i] = 2;
                continue;
            }
            if state[i] != 0 {
                continue;
            }
            state[i] = 1;
            stack.push((node, true));
            for dep in deps {
                match state[dep.id().get_usize()] {
                    0 => stack.push((dep, false)),
                    1 => return Err(refused("has a <use> that refers to itself")),
                    _ => {}
                }
            }
        }
        Ok(Expansion { weight })
    }

    /// `usvg` copies a marker's content onto every vertex of every shape it is set on (CSS may
    /// set it on any shape), so: marker content × vertices × the `<use>` multiplication.
    fn check_markers(&self, doc: &Document, elements: u64) -> Result<(), ImageError> {
        let marker_weight: u64 = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "marker")
            .map(|n| self.weight[n.id().get_usize()])
            .sum();
        if marker_weight == 0 {
            return Ok(());
        }
        let vertices: u64 = doc
            .descendants()
            .filter(|n| {
                matches!(
                    n.tag_name().name(),
                    "path" | "line" | "polyline" | "polygon"
                )
            })
            .map(|n| {
                2 + ["d", "points"]
                    .iter()
                    .filter_map(|a| n.attribute(*a))
                    .map(vertex_bound)
                    .sum::<u64>()
            })
            .sum();
        let total = self.weight[doc.root_element().id().get_usize()];
        let copies = total.div_ceil(elements.max(1));
        if marker_weight
            .saturating_mul(vertices)
            .saturating_mul(copies)
            > MAX_DRAWN
        {
            return Err(refused("too complex to rasterise (markers)"));
        }
        Ok(())
    }
}

/// An upper bound on the vertices path data or a point list makes: each number or command
/// letter starts at most one.
fn vertex_bound(data: &str) -> u64 {
    let mut count = 0;
    let mut in_number = false;
    for c in data.chars() {
        let numeric = c.is_ascii_digit() || c == '.';
        if (numeric && !in_number) || c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E') {
            count += 1;
        }
        in_number = numeric || (in_number && matches!(c, 'e' | 'E'));
    }
    count
}

/// What `resvg` will do for this tree, bounded before it starts (see the module docs).
struct Budget {
    drawn: u64,
    primitives: u32,
    /// The largest area `resvg` gives a layer: five canvases each way (its `max_bbox`).
    max_layer: (f32, f32),
}

fn budget(tree: &usvg::Tree, transform: Transform, (w, h): (u32, u32)) -> Result<(), ImageError> {
    let mut budget = Budget {
        drawn: 0,
        primitives: 0,
        max_layer: (5.0 * w as f32, 5.0 * h as f32),
    };
    let canvas = u64::from(w) * u64::from(h) * 4;
    budget.group(tree.root(), transform, canvas, 0)
}

fn too_complex() -> ImageError {
    refused("too complex to rasterise")
}

impl Budget {
    fn node(&mut self) -> Result<(), ImageError> {
        self.drawn += 1;
        if self.drawn > MAX_DRAWN {
            return Err(too_complex());
        }
        Ok(())
    }

    fn hold(live: u64, bytes: u64) -> Result<u64, ImageError> {
        let live = live.saturating_add(bytes);
        if live > MAX_LIVE_BYTES {
            return Err(too_complex());
        }
        Ok(live)
    }

    /// `live` is what is allocated around this group; `depth` guards the recursion (the
    /// tree's own depth is bounded by the scan and by `usvg`).
    fn group(
        &mut self,
        group: &Group,
        parent: Transform,
        live: u64,
        depth: usize,
    ) -> Result<(), ImageError> {
        if depth > 4 * MAX_DEPTH {
            return Err(too_complex());
        }
        self.node()?;
        let ts = parent.pre_concat(group.transform());
        let mut live = live;
        if group.should_isolate() {
            let area = group
                .layer_bounding_box()
                .transform(ts)
                .map(|r| {
                    f64::from(r.width().min(self.max_layer.0))
                        * f64::from(r.height().min(self.max_layer.1))
                })
                .unwrap_or(0.0);
            let layer = (area.ceil() as u64).saturating_mul(4);
            let mut buffers = 1u64;
            if let Some(clip) = group.clip_path() {
                buffers += 1 + u64::from(clip.clip_path().is_some());
                self.group(
                    clip.root(),
                    ts.pre_concat(clip.transform()),
                    live,
                    depth + 1,
                )?;
                if let Some(inner) = clip.clip_path() {
                    self.group(
                        inner.root(),
                        ts.pre_concat(inner.transform()),
                        live,
                        depth + 1,
                    )?;
                }
            }
            if let Some(mask) = group.mask() {
                buffers += 2 + 2 * u64::from(mask.mask().is_some());
                self.group(mask.root(), ts, live, depth + 1)?;
                if let Some(inner) = mask.mask() {
                    self.group(inner.root(), ts, live, depth + 1)?;
                }
            }
            let (sx, sy) = ts.get_scale();
            for filter in group.filters() {
                let primitives = filter.primitives();
                self.primitives = self.primitives.saturating_add(primitives.len() as u32);
                if self.primitives > MAX_FILTER_PRIMITIVES {
                    return Err(too_complex());
                }
                // Every primitive's result is kept until the filter ends.
                buffers += primitives.len() as u64 + 1;
                for primitive in primitives {
                    match primitive.kind() {
                        Kind::Turbulence(fe) if fe.num_octaves() > MAX_OCTAVES => {
                            return Err(too_complex());
                        }
                        Kind::Morphology(fe) => {
                            let rx = fe.radius_x().get() * sx;
                            let ry = fe.radius_y().get() * sy;
                            if (2.0 * rx + 1.0) * (2.0 * ry + 1.0) > MAX_KERNEL {
                                return Err(too_complex());
                            }
                        }
                        Kind::ConvolveMatrix(fe) => {
                            let m = fe.matrix();
                            if (m.columns() * m.rows()) as f32 > MAX_KERNEL {
                                return Err(too_complex());
                            }
                        }
                        Kind::Image(fe) => self.group(fe.root(), ts, live, depth + 1)?,
                        _ => {}
                    }
                }
            }
            live = Self::hold(live, layer.saturating_mul(buffers))?;
        }
        for child in group.children() {
            match child {
                Node::Group(g) => self.group(g, ts, live, depth + 1)?,
                Node::Path(path) => {
                    self.node()?;
                    let paints = [
                        path.fill().map(|f| f.paint()),
                        path.stroke().map(|s| s.paint()),
                    ];
                    for paint in paints.into_iter().flatten() {
                        if let Paint::Pattern(pattern) = paint {
                            // resvg draws the tile at the device scale, unclamped.
                            let (sx, sy) = ts.pre_concat(pattern.transform()).get_scale();
                            let rect = pattern.rect();
                            let tile = f64::from(rect.width() * sx).round()
                                * f64::from(rect.height() * sy).round()
                                * 4.0;
                            if !tile.is_finite() {
                                return Err(too_complex());
                            }
                            let live = Self::hold(live, tile as u64)?;
                            self.group(
                                pattern.root(),
                                Transform::from_scale(sx, sy),
                                live,
                                depth + 1,
                            )?;
                        }
                    }
                }
                Node::Image(_) | Node::Text(_) => self.node()?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn svg(body: &str) -> String {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">{body}</svg>"#)
    }

    fn raster(doc: &str) -> Result<RgbaImage, ImageError> {
        let prolog = sniff(doc.as_bytes()).ok_or(ImageError::Unsupported)?;
        rasterise(doc.as_bytes(), prolog)
    }

    fn refusal(doc: &str) -> String {
        match raster(doc) {
            Err(ImageError::Refused(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn sniffing_reads_the_prolog() {
        let yes = [
            "<svg/>",
            "\u{feff}  \n<svg xmlns='http://www.w3.org/2000/svg'>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- made by hand -->\n<svg>",
            "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\"><svg>",
        ];
        for doc in yes {
            assert_eq!(
                sniff(doc.as_bytes()),
                Some(Prolog {
                    internal_subset: false
                }),
                "{doc}"
            );
        }
        let subset = "<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a 'x'>]><svg>";
        assert_eq!(
            sniff(subset.as_bytes()),
            Some(Prolog {
                internal_subset: true
            })
        );
        for doc in [
            "<html><svg>",
            "<svgx>",
            "text <svg>",
            "<!-- never closed <svg>",
            "",
        ] {
            assert_eq!(sniff(doc.as_bytes()), None, "{doc}");
        }
    }

    #[test]
    fn a_real_logo_is_drawn_at_the_longest_side_on_transparency() {
        // A red disc on the left half of a 2:1 viewBox, nothing on the right.
        let img = raster(&svg(r##"<circle cx="25" cy="25" r="20" fill="#e01020"/>"##))
            .expect("rasterised");
        assert_eq!(img.dimensions(), (MAX_LOGO_SIDE, MAX_LOGO_SIDE / 2));
        let centre = img.get_pixel(256, 256);
        assert_eq!(
            *centre,
            Rgba([0xe0, 0x10, 0x20, 255]),
            "coloured where the shape is"
        );
        assert_eq!(img.get_pixel(768, 256)[3], 0, "transparent elsewhere");
        assert_eq!(img.get_pixel(2, 2)[3], 0, "transparent in the corner");
    }

    #[test]
    fn small_view_boxes_scale_up_and_large_ones_down() {
        let tiny = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 8"><rect width="4" height="8"/></svg>"#;
        assert_eq!(raster(tiny).expect("tiny").dimensions(), (512, 1024));
        let huge = r#"<svg xmlns="http://www.w3.org/2000/svg" width="90000" height="30000"><rect width="90000" height="30000"/></svg>"#;
        assert_eq!(raster(huge).expect("huge").dimensions(), (1024, 341));
    }

    #[test]
    fn every_unsafe_construct_is_refused_before_rasterising() {
        let cases: Vec<(String, &str)> = vec![
            (svg("<script>alert(1)</script><rect width='9' height='9'/>"), "script"),
            (svg("<rect width='9' height='9' onload='alert(1)'/>"), "event handler"),
            (svg("<rect width='9' height='9' OnClick='x()'/>"), "event handler"),
            (svg("<foreignObject><p>hi</p></foreignObject>"), "foreignObject"),
            (
                svg("<image href='https://example.com/a.png' width='9' height='9'/>"),
                "external",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 9 9"><use xlink:href="other.svg#a"/></svg>"#.into(),
                "external",
            ),
            (
                svg("<image href='data:image/png;base64,AAAA' width='9' height='9'/>"),
                "external",
            ),
            (svg("<rect width='9' height='9' fill='url(https://x/y#g)'/>"), "external"),
            (svg("<rect width='9' height='9' style='fill: url( \"x.svg#g\")'/>"), "external"),
            (
                svg("<style>rect { fill: url(//x/y) }</style><rect width='9' height='9'/>"),
                "external",
            ),
            (svg("<style>@import 'x.css';</style><rect width='9' height='9'/>"), "external"),
            (
                svg("<style><![CDATA[ @IMPORT url(#a); ]]></style><rect width='9' height='9'/>"),
                "external",
            ),
            (svg("<style>rect { fill: \\75 rl(x) }</style>"), "escapes"),
            (
                "<!DOCTYPE svg [<!ENTITY lol 'lol'>]><svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 9 9'>&lol;</svg>".into(),
                "internal subset",
            ),
            (svg(&"<g/>".repeat(20_001)), "20000 elements"),
            (svg(&format!("{}{}", "<g>".repeat(257), "</g>".repeat(257))), "256 deep"),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>"#.into(),
                "no size",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%"><rect width="9" height="9"/></svg>"#.into(),
                "no size",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 0 10"><rect width="9" height="9"/></svg>"#.into(),
                "no size",
            ),
            (svg("<text x='1' y='9'>Acme</text>"), "live text"),
            (svg("<rect width='0' height='0'/>"), "draws nothing"),
        ];
        for (doc, expected) in cases {
            let why = refusal(&doc);
            assert!(
                why.contains(expected),
                "{why:?} should say {expected:?} for {doc:.120}"
            );
            assert!(why.len() < 80, "short: {why}");
        }
        let big = svg(&format!("<!--{}-->", "x".repeat(MAX_SVG_BYTES)));
        assert!(refusal(&big).contains("512 KiB"));
    }

    #[test]
    fn same_document_references_are_fine() {
        let doc = svg(
            r##"<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/><stop offset="1" stop-color="#00f"/></linearGradient>
            <path id="p" d="M0 0h10v10z"/></defs>
            <style>.a { fill: url( '#g' ) }</style>
            <rect class="a" width="50" height="50" style="stroke: url(#g)"/><use href="#p" x="60"/>"##,
        );
        assert!(raster(&doc).is_ok());
        // Hand-written files often leave out the namespace; usvg reads them all the same.
        assert!(raster("<svg viewBox='0 0 10 10'><rect width='10' height='10'/></svg>").is_ok());
    }

    #[test]
    fn use_bombs_and_use_cycles_are_refused() {
        // Each level copies the previous ten times: 10^6 elements from a few hundred bytes.
        let mut defs = String::from("<g id='l0'><rect width='1' height='1'/></g>");
        for level in 1..=6 {
            defs.push_str(&format!("<g id='l{level}'>"));
            for _ in 0..10 {
                defs.push_str(&format!("<use href='#l{}'/>", level - 1));
            }
            defs.push_str("</g>");
        }
        assert!(refusal(&svg(&format!("<defs>{defs}</defs><use href='#l6'/>"))).contains("<use>"));
        let cycle = svg("<g id='a'><use href='#b'/></g><g id='b'><use href='#a'/></g>");
        assert!(refusal(&cycle).contains("itself"));
    }

    #[test]
    fn costly_renders_are_refused_before_resvg_starts() {
        let patterns = {
            // A pattern whose tile is a hundred thousand canvases wide.
            svg(
                r#"<pattern id="p" width="100000" height="100000" patternUnits="userSpaceOnUse"><rect width="1" height="1"/></pattern><rect width="100" height="50" fill="url(#p)"/>"#,
            )
        };
        assert!(refusal(&patterns).contains("too complex"));
        let octaves = svg(
            r#"<filter id="f"><feTurbulence baseFrequency="0.1" numOctaves="100000"/></filter><rect width="100" height="50" filter="url(#f)"/>"#,
        );
        assert!(refusal(&octaves).contains("too complex"));
        let morphology = svg(
            r#"<filter id="f"><feMorphology radius="400"/></filter><rect width="100" height="50" filter="url(#f)"/>"#,
        );
        assert!(refusal(&morphology).contains("too complex"));
        // CSS puts a marker on every vertex of a long path.
        let mut d = String::from("M0 0");
        for i in 0..2000 {
            d.push_str(&format!(" L{} {}", i % 100, i % 50));
        }
        let markers = svg(&format!(
            r#"<style>path {{ marker-mid: url(#m) }}</style><marker id="m">{}</marker><path d="{d}" stroke="black"/>"#,
            "<circle r='1'/>".repeat(40)
        ));
        assert!(refusal(&markers).contains("markers"));
        // Stylesheet fills every shape with a heavy pattern: counted where it is used.
        let shapes = "<rect width='1' height='1'/>".repeat(400);
        let heavy = svg(&format!(
            r#"<style>rect {{ fill: url(#p) }}</style><pattern id="p" width="5" height="5" patternUnits="userSpaceOnUse"><g>{}</g></pattern>{shapes}"#,
            "<circle r='1' fill='red'/>".repeat(400)
        ));
        assert!(refusal(&heavy).contains("too complex"));
    }

    #[test]
    fn malformed_documents_are_invalid_not_a_panic() {
        for doc in [
            "<svg viewBox='0 0 9 9'><rect></svg>",
            "<svg viewBox='0 0 9 9'>&undefined;</svg>",
            "<svg viewBox='0 0 9 9' a='1' a='2'/>",
            "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 9 9'><path d='M 0 0 L L L'/></svg",
            "<svg \u{0}",
        ] {
            match raster(doc) {
                Err(ImageError::Invalid(_)) => {}
                other => panic!("{doc}: {other:?}"),
            }
        }
        // Names that are not ASCII must not trip the checks' slicing.
        let unicode = svg("<rect ö='1' oé='2' width='9' height='9'/>");
        assert!(raster(&unicode).is_ok());
        let not_utf8 = b"<svg viewBox='0 0 9 9'>\xff\xfe</svg>";
        let prolog = sniff(not_utf8).expect("svg");
        assert!(matches!(
            rasterise(not_utf8, prolog),
            Err(ImageError::Invalid(_))
        ));
    }

    #[test]
    fn deep_but_allowed_nesting_renders_without_overflowing_the_stack() {
        let doc = svg(&format!(
            "{}<rect width='100' height='50' fill='blue'/>{}",
            "<g opacity='0.99'>".repeat(4) + &"<g>".repeat(246),
            "</g>".repeat(250)
        ));
        assert!(raster(&doc).is_ok());
    }
}
