//! The `<head>` side of the page walk — `<meta>` and `<link>` — and the final step that
//! resolves every raw URL against the base URL into the [`Page`].

use super::*;

impl Walker<'_> {
    fn push_icon(&mut self, icon: (LogoOrigin, String, Option<u32>, u32)) {
        if self.raw.icons.len() < MAX_RAW_LINKS {
            self.raw.icons.push(icon);
        }
    }

    pub(super) fn meta(&mut self, tag: &Tag) {
        let key = tag
            .attr("property")
            .or_else(|| tag.attr("name"))
            .or_else(|| tag.attr("itemprop"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(content) = tag
            .attr("content")
            .map(|c| clean(&c))
            .filter(|c| !c.is_empty())
        else {
            return;
        };
        let content: String = content.chars().take(2000).collect();
        let p = &mut self.page;
        let slot = match key.as_str() {
            "og:site_name" => &mut p.og_site_name,
            "og:title" => &mut p.og_title,
            "og:description" => &mut p.og_description,
            "description" => &mut p.meta_description,
            "application-name" => {
                p.application_name = Some(content);
                return;
            }
            "apple-mobile-web-app-title" => &mut p.application_name,
            "msapplication-tilecolor" => &mut p.tile_color,
            "theme-color" => {
                let media = tag.attr("media").unwrap_or_default().to_ascii_lowercase();
                if media.contains("dark") {
                    return;
                }
                &mut p.theme_color
            }
            "og:image" | "og:image:url" | "og:image:secure_url" => &mut self.raw.og_image,
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(content);
        }
    }

    pub(super) fn link(&mut self, tag: &Tag) {
        let rel = tag.attr("rel").unwrap_or_default().to_ascii_lowercase();
        let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
        let Some(href) = tag.attr("href").filter(|h| !h.is_empty()) else {
            return;
        };
        let media = tag.attr("media").unwrap_or_default().to_ascii_lowercase();
        if rels.contains(&"stylesheet") && !rels.contains(&"alternate") && !media.contains("print")
            || (rels.contains(&"preload") && tag.attr("as").is_some_and(|a| a == "style"))
        {
            if self.raw.sheets.len() < MAX_RAW_LINKS {
                self.raw.sheets.push(href);
            }
        } else if rels.contains(&"manifest") {
            self.raw.manifest.get_or_insert(href);
        } else if rels.contains(&"mask-icon") {
            if let Some(c) = tag.attr("color") {
                self.page.mask_icon_color.get_or_insert(c);
            }
            self.push_icon((LogoOrigin::MaskIcon, href, None, self.order));
        } else if rels.iter().any(|r| r.starts_with("apple-touch-icon")) {
            let size = tag
                .attr("sizes")
                .and_then(|s| largest_size(&s))
                .or(Some(180));
            self.push_icon((LogoOrigin::AppleTouchIcon, href, size, self.order));
        } else if rels.contains(&"icon") {
            let svg = tag.attr("type").is_some_and(|t| t.contains("svg"))
                || href.to_ascii_lowercase().ends_with(".svg");
            let size = tag.attr("sizes").and_then(|s| largest_size(&s)).or(if svg {
                Some(512)
            } else {
                None
            });
            self.push_icon((LogoOrigin::Icon, href, size, self.order));
        }
    }

    pub(super) fn finish(mut self, page_url: &Url) -> Page {
        let base = self
            .raw
            .base
            .as_deref()
            .and_then(|b| page_url.join(b).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .unwrap_or_else(|| page_url.clone());
        let mut p = self.page;
        for raw in &self.raw.sheets {
            let Some(u) = resolve(&base, raw) else {
                continue;
            };
            if super::super::fonts::is_font_service(&u) {
                for f in super::super::fonts::google_fonts(&u) {
                    if p.google_fonts.len() < 16
                        && !p.google_fonts.iter().any(|g| g.family == f.family)
                    {
                        p.google_fonts.push(f);
                    }
                }
            } else if u.scheme() != "data"
                && !p.stylesheets.contains(&u)
                && p.stylesheets.len() < MAX_STYLESHEETS
            {
                p.stylesheets.push(u);
            }
        }
        p.manifest = self.raw.manifest.as_deref().and_then(|m| resolve(&base, m));
        p.og_image = self.raw.og_image.as_deref().and_then(|m| resolve(&base, m));
        p.jsonld = super::super::jsonld::read_blocks(&self.raw.jsonld, &base);
        for (i, e) in p.jsonld.iter().enumerate() {
            if let Some(u) = &e.logo {
                let mut ev = icon_evidence(LogoOrigin::JsonLd, LogoKind::Url(u.clone()), None, 0);
                ev.label = format!("{}.logo", e.kind);
                ev.order = i as u32;
                p.logos.push(ev);
            }
        }
        if !self.style_attrs.is_empty() {
            p.inline_css.push(std::mem::take(&mut self.style_attrs));
        }
        for (src, mut ev) in self.raw.imgs {
            if ev.origin == LogoOrigin::Img {
                match resolve(&base, &src) {
                    Some(u) => ev.kind = LogoKind::Url(u),
                    None => continue,
                }
            }
            p.logos.push(ev);
        }
        let icon = icon_evidence;
        for (origin, href, size, order) in self.raw.icons {
            if let Some(u) = resolve(&base, &href) {
                p.logos.push(icon(origin, LogoKind::Url(u), size, order));
            }
        }
        let last = self.order + 1;
        for (i, path, size) in [
            (1, "/apple-touch-icon.png", Some(180)),
            (2, "/favicon.ico", None),
        ] {
            if let Ok(u) = page_url.join(path) {
                p.logos.push(icon(
                    LogoOrigin::Conventional,
                    LogoKind::Url(u),
                    size,
                    last + i,
                ));
            }
        }
        if let Some(u) = p.og_image.clone() {
            p.logos
                .push(icon(LogoOrigin::OgImage, LogoKind::Url(u), None, last + 3));
        }
        p.base_url = base;
        p
    }
}

fn icon_evidence(
    origin: LogoOrigin,
    kind: LogoKind,
    size: Option<u32>,
    order: u32,
) -> LogoEvidence {
    LogoEvidence {
        kind,
        origin,
        in_header: false,
        in_footer: false,
        logo_hint: false,
        ancestor_hint: false,
        home_link: false,
        size,
        svg_shapes: 0,
        svg_texts: 0,
        label: String::new(),
        alt: String::new(),
        order,
    }
}
