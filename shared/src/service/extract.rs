//! Brand extraction as a job (spec §7): the worker's second kind of work, under the same
//! claim, lease, retry and sweep guarantees as an ad generation.
//!
//! The site is fetched through the `SiteFetcher` port (spec §6 rules in the adapter): the
//! page, then its stylesheets and their `@import`s, its manifest, then logo candidates best
//! first until one prepares cleanly — at most [`MAX_FETCHES`] fetches, and no optional fetch
//! starts after [`FETCH_BUDGET`]. What was read is decided by `brands::extract` (pure and
//! deterministic: the same pages give the same brand); each fact keeps its evidence in the
//! brand's `sources`. The brand's id is derived from the organisation and the domain, so
//! re-extracting a domain updates that brand, and two racing extractions write one record.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use url::Url;

use crate::brands::extract::{self, Extracted, LogoKind, Stylesheet};
use crate::brands::{Brand, BrandLogo};
use crate::contract::Issue;
use crate::contract::brand::{LogoInput, MAX_NAME_CHARS, parse_logo};
use crate::contract::brand_dna::validate_dna;
use crate::jobs::{ExtractionWork, FailureCode, JobStatus, Phase};
use crate::ports::{SiteDocument, SiteResource};
use crate::service::brands::put_logo;
use crate::service::generate::{Attempt, Stop, Worker, cpu_bound};

/// Spec §7: at most 20 fetches per extraction (page, stylesheets, manifest, logos).
pub const MAX_FETCHES: usize = 20;
/// No optional fetch (stylesheet, manifest, logo) starts after this much time.
pub const FETCH_BUDGET: Duration = Duration::from_secs(45);
/// A logo smaller than this on its longer side is a favicon too small to draw.
const MIN_LOGO_SIDE: u32 = 32;

/// Counts and times the fetches of one extraction, and keeps a log of them for diagnostics.
struct Fetches<'a> {
    worker: &'a Worker,
    started: Instant,
    count: usize,
    log: Vec<String>,
}

impl Fetches<'_> {
    fn exhausted(&self) -> bool {
        self.count >= MAX_FETCHES || self.started.elapsed() >= FETCH_BUDGET
    }

    /// Fetches `url` unless the budget is spent; every outcome is logged.
    async fn get(&mut self, url: &str, resource: SiteResource) -> Option<SiteDocument> {
        if self.exhausted() {
            self.log.push(format!("skipped {url}: fetch budget spent"));
            return None;
        }
        self.count += 1;
        match self.worker.site.fetch(url, resource).await {
            Ok(document) => {
                self.log.push(format!(
                    "{resource:?} {url}: {} bytes",
                    document.bytes.len()
                ));
                Some(document)
            }
            Err(reason) => {
                self.log.push(format!("{resource:?} {url}: {reason}"));
                None
            }
        }
    }
}

impl Worker {
    pub(super) async fn extract(
        &self,
        attempt: &mut Attempt<'_>,
        work: ExtractionWork,
    ) -> Result<(), Stop> {
        attempt.enter(Phase::FetchingSite).await?;
        let mut fetches = Fetches {
            worker: self,
            started: Instant::now(),
            count: 1,
            log: Vec::new(),
        };
        let page = self
            .site
            .fetch(&work.url, SiteResource::Page)
            .await
            .map_err(|reason| {
                Stop::Fail(
                    FailureCode::SiteUnreachable,
                    format!("the website could not be fetched: {reason}"),
                )
            })?;
        fetches
            .log
            .push(format!("Page {}: {} bytes", page.url, page.bytes.len()));
        let page_url = Url::parse(&page.url).map_err(|_| site_invalid("its address is invalid"))?;
        if !looks_like_html(&page.bytes) {
            return Err(site_invalid("the page is not HTML"));
        }
        let read = cpu_bound(|| extract::read_page(&page.bytes, &page_url));

        let sheets = self.stylesheets(&mut fetches, &read.stylesheets).await;
        let manifest = match &read.manifest {
            Some(url) => fetches
                .get(url.as_str(), SiteResource::Manifest)
                .await
                .map(|doc| {
                    let manifest_url = Url::parse(&doc.url).unwrap_or_else(|_| url.clone());
                    extract::read_manifest(&doc.bytes, &manifest_url)
                }),
            None => None,
        };

        attempt.enter(Phase::ReadingBrand).await?;
        let extracted = cpu_bound(|| extract::decide(&read, &sheets, manifest.as_ref(), &page_url));
        let brand_id = Brand::extracted_id(attempt.job.org_id, &work.domain);
        let logo_key = Brand::logo_key(attempt.job.org_id, brand_id);
        let logo = self.first_logo(&mut fetches, &extracted, logo_key).await?;

        let (dna, mut sources) = brand_dna(&extracted);
        let named_by_domain_only = extracted.name.as_ref().is_none_or(|n| n.source == "domain");
        if dna.is_empty() && logo.is_none() && named_by_domain_only {
            return Err(site_invalid(
                "no name, colour, font, copy or logo was found",
            ));
        }

        attempt.enter(Phase::Storing).await?;
        let now = self.clock.now();
        let existing = self.brands.get(attempt.job.org_id, brand_id).await?;
        let logo = match logo {
            Some((logo, source)) => {
                sources.insert("logo".into(), source);
                Some(logo)
            }
            None => None,
        };
        let brand = Brand {
            id: brand_id,
            org_id: attempt.job.org_id,
            name: extracted
                .name
                .as_ref()
                .map(|f| truncate(&f.value, MAX_NAME_CHARS))
                .unwrap_or_else(|| work.domain.clone()),
            domain: Some(work.domain.clone()),
            brand_dna: dna,
            logo,
            sources,
            created_at: existing.as_ref().map_or(now, |b| b.created_at),
            updated_at: now,
        };
        self.brands.put(&brand).await?;

        attempt.close_step();
        let job = &mut attempt.job;
        job.diagnostics.provider = Some("extractor".into());
        job.diagnostics.fetches = fetches.log;
        job.status = JobStatus::Completed;
        job.payload.phase = Phase::Completed;
        job.payload.brand_id = Some(brand_id);
        job.result_url = Some(format!("brands/{brand_id}"));
        job.lease = None;
        attempt.save().await?;
        tracing::info!(job_id = %attempt.job.id, %brand_id, "brand extracted");
        Ok(())
    }

    /// The page's stylesheets in order, then their `@import`s, within the fetch budget.
    async fn stylesheets(&self, fetches: &mut Fetches<'_>, linked: &[Url]) -> Vec<Stylesheet> {
        let mut queue: Vec<Url> = linked.to_vec();
        let mut seen: Vec<Url> = Vec::new();
        let mut sheets = Vec::new();
        let mut next = 0;
        while next < queue.len() && seen.len() < extract::MAX_STYLESHEETS + extract::MAX_IMPORTS {
            let url = queue[next].clone();
            next += 1;
            if seen.contains(&url) {
                continue;
            }
            seen.push(url.clone());
            let Some(doc) = fetches.get(url.as_str(), SiteResource::Stylesheet).await else {
                continue;
            };
            let sheet_url = Url::parse(&doc.url).unwrap_or(url);
            let sheet = cpu_bound(|| extract::read_stylesheet(&doc.bytes, &sheet_url));
            queue.extend(sheet.imports.iter().cloned());
            sheets.push(sheet);
        }
        sheets
    }

    /// Tries the logo candidates best first; the first that prepares cleanly (and is not a
    /// tiny favicon) is stored. No candidate is no failure: the brand simply has no logo.
    async fn first_logo(
        &self,
        fetches: &mut Fetches<'_>,
        extracted: &Extracted,
        key: String,
    ) -> Result<Option<(BrandLogo, String)>, Stop> {
        for candidate in &extracted.logo_candidates {
            let bytes: Vec<u8> = match &candidate.kind {
                LogoKind::InlineSvg(markup) => markup.as_bytes().to_vec(),
                LogoKind::Url(url) if url.scheme() == "data" => match parse_logo(url.as_str()) {
                    Ok(LogoInput::Inline(bytes)) => bytes,
                    _ => continue,
                },
                LogoKind::Url(url) => match fetches.get(url.as_str(), SiteResource::Image).await {
                    Some(doc) => doc.bytes.to_vec(),
                    None if fetches.exhausted() => break,
                    None => continue,
                },
            };
            let prepared = match cpu_bound(|| self.codec.prepare_logo(&bytes)) {
                Ok(prepared) => prepared,
                Err(e) => {
                    fetches
                        .log
                        .push(format!("logo {} refused: {e}", candidate.source));
                    continue;
                }
            };
            if prepared.width.max(prepared.height) < MIN_LOGO_SIDE {
                fetches
                    .log
                    .push(format!("logo {} too small", candidate.source));
                continue;
            }
            let logo = put_logo(self.blobs.as_ref(), key, prepared).await?;
            return Ok(Some((logo, candidate.source.clone())));
        }
        Ok(None)
    }
}

fn site_invalid(why: &str) -> Stop {
    Stop::Fail(
        FailureCode::SiteInvalid,
        format!("the website gave nothing a brand could be read from: {why}"),
    )
}

/// Some markup in the first kilobytes: a page served as HTML that holds none is no page.
fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]).to_ascii_lowercase();
    [
        "<html",
        "<head",
        "<body",
        "<title",
        "<meta",
        "<!doctype html",
        "<div",
        "<link",
    ]
    .iter()
    .any(|tag| head.contains(tag))
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars()
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The extracted facts as a brand DNA document and its sources. Each field is checked with
/// the contract's own rules; one the contract would refuse is left out rather than stored.
fn brand_dna(
    extracted: &Extracted,
) -> (
    Map<String, Value>,
    std::collections::BTreeMap<String, String>,
) {
    let mut dna = Map::new();
    let mut put = |key: &str, value: Value| {
        let candidate: Map<String, Value> = [(key.to_owned(), value.clone())].into_iter().collect();
        let mut issues: Vec<Issue> = Vec::new();
        validate_dna(&candidate, "brand_dna", &mut issues);
        if issues.is_empty() {
            dna.insert(key.to_owned(), value);
        } else {
            tracing::warn!(
                key,
                "extracted value outside the contract's limits; left out"
            );
        }
    };
    let text_facts = [
        ("primary_background_hex", &extracted.primary_background_hex),
        ("primary_accent_hex", &extracted.primary_accent_hex),
        ("font_family", &extracted.font_family),
        ("typography_rules", &extracted.typography_rules),
        ("core_slogan", &extracted.core_slogan),
        ("tone_of_voice", &extracted.tone_of_voice),
        ("call_to_action", &extracted.call_to_action),
    ];
    for (key, fact) in text_facts {
        if let Some(fact) = fact {
            put(key, Value::String(fact.value.clone()));
        }
    }
    if let Some(palette) = &extracted.color_palette {
        put(
            "color_palette",
            Value::Array(palette.value.iter().cloned().map(Value::String).collect()),
        );
    }
    let sources = extracted
        .sources()
        .into_iter()
        .filter(|(key, _)| *key == "name" || dna.contains_key(*key))
        .map(|(key, source)| (key.to_owned(), source))
        .collect();
    (dna, sources)
}
