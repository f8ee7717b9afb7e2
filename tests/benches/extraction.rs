//! Brand extraction per fixture site: the whole job (fetch over loopback through the real site
//! fetcher, read, decide, prepare and store the logo, store the brand) on the embedded adapters,
//! and the pure read-and-decide step alone. Median of 5 runs each, plus the fields found.
//! `cargo bench -p adgen-tests --bench extraction` prints the table; `cargo test --all-targets`
//! runs it once, unoptimised, as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use adgen::brands::extract;
use adgen::ports::JobMessage;
use adgen_render::TemplateGenerator;
use adgen_testkit::TestServer;
use adgen_testkit::sites::{SITES, site_dir, static_site};
use adgen_tests::{Backend, Kind, client};
use serde_json::json;
use url::Url;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs = if benching { 5 } else { 1 };
    let backend = Backend::new(Kind::Embedded).await;
    println!("| site | job, median of {runs} | read + decide | fields found |");
    println!("|---|---|---|---|");
    for site in SITES {
        let server = TestServer::plain(static_site(site)).await;
        let url = server.url("http", "/");
        let c = client(&backend).await;
        // Built once, as a warm worker is: the timing is the job's own.
        let worker = backend.worker(c.clock.clone(), Arc::new(TemplateGenerator));
        let mut job_times = Vec::new();
        let mut fields = String::new();
        for _ in 0..runs {
            let accepted = c
                .post(
                    "/api/v1/brands/extract",
                    None,
                    &json!({ "url": url }).to_string(),
                )
                .await;
            let job_id = accepted.job_id();
            backend.drain_messages().await;
            let started = Instant::now();
            worker
                .process(
                    JobMessage {
                        job_id,
                        org_id: c.org,
                    },
                    1,
                )
                .await;
            job_times.push(started.elapsed());
            let read = c.get(&format!("/api/v1/jobs/{job_id}?expand=brand")).await;
            let brand = &read.json["data"]["brand"];
            let mut found: Vec<String> = brand["brand_dna"]
                .as_object()
                .map(|dna| dna.keys().cloned().collect())
                .unwrap_or_default();
            if brand["logo"].is_object() {
                found.push("logo".into());
            }
            fields = found.join(", ");
        }
        // The pure step on the same bytes (page and its own stylesheets from disk).
        let page_url = Url::parse("https://fixture.test/").expect("url");
        let html = std::fs::read(site_dir(site).join("index.html")).expect("page");
        let mut decide_times = Vec::new();
        for _ in 0..runs.max(5) {
            let started = Instant::now();
            let page = extract::read_page(&html, &page_url);
            let sheets: Vec<_> = page
                .stylesheets
                .iter()
                .filter_map(|u| {
                    let bytes =
                        std::fs::read(site_dir(site).join(u.path().trim_start_matches('/')))
                            .ok()?;
                    Some(extract::read_stylesheet(&bytes, u))
                })
                .collect();
            let decided = extract::decide(&page, &sheets, None, &page_url);
            std::hint::black_box(decided);
            decide_times.push(started.elapsed());
        }
        println!(
            "| {site} | {:.1} ms | {:.2} ms | {fields} |",
            median(job_times).as_secs_f64() * 1000.0,
            median(decide_times).as_secs_f64() * 1000.0
        );
    }
}
