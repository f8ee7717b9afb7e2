//! `GET /api/v1/jobs/{id}` in full (spec §4) on every adapter set: parameters, long-poll,
//! projection and expansions.

use std::sync::Arc;
use std::time::Duration;

use adgen::brands::Brand;
use adgen::http::Deadline;
use adgen_render::TemplateGenerator;
use adgen_tests::{App, Backend, ManualClock, ObservedJobs, on_every_backend, request};
use serde_json::{Value, json};
use uuid::Uuid;

const NOW: i64 = 1_764_100_000;

on_every_backend!(
    every_bad_parameter_is_a_400_naming_it,
    long_poll_returns_as_soon_as_the_job_finishes,
    long_poll_times_out_with_the_current_state,
    long_poll_stops_at_the_platform_deadline,
    fields_project_and_expansions_add,
    text_fit_reports_each_block_in_the_prompts_language,
    brand_expansion_shows_what_the_job_used,
    a_panicking_handler_answers_500_in_the_envelope,
);

struct Ctx {
    b: Backend,
    app: App,
    key: String,
    clock: Arc<ManualClock>,
}

async fn ctx(b: Backend) -> Ctx {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, _) = b.new_key().await;
    Ctx { b, app, key, clock }
}

impl Ctx {
    async fn submit(&self, body: Value) -> Uuid {
        self.app.submit(&self.key, &body).await
    }

    async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let response = self
            .app
            .api
            .handle(request("GET", path_and_query, Some(&self.key), None, ""))
            .await;
        (
            response.status().as_u16(),
            serde_json::from_slice(response.body()).expect("json"),
        )
    }

    async fn finish(&self, job_id: Uuid) {
        let org = self
            .b
            .jobs
            .get(job_id)
            .await
            .expect("get")
            .expect("job")
            .org_id;
        let worker = self
            .b
            .worker(self.clock.clone(), Arc::new(TemplateGenerator));
        worker
            .process(
                adgen::ports::JobMessage {
                    job_id,
                    org_id: org,
                },
                1,
            )
            .await;
    }
}

async fn every_bad_parameter_is_a_400_naming_it(b: Backend) {
    let c = ctx(b).await;
    let id = c.submit(json!({"prompt": "x"})).await;
    for (query, code, param) in [
        ("expand=ad,bogus", "invalid_expand_param", "expand"),
        ("include=images", "invalid_expand_param", "include"),
        ("fields=payload,secret", "invalid_fields_param", "fields"),
        (
            "wait_for_completion=maybe",
            "invalid_wait_for_completion",
            "wait_for_completion",
        ),
        (
            "wait_for_completion=true&timeout_seconds=31",
            "invalid_timeout_seconds",
            "timeout_seconds",
        ),
        (
            "wait_for_completion=true&timeout_seconds=0",
            "invalid_timeout_seconds",
            "timeout_seconds",
        ),
        (
            "timeout_seconds=5",
            "invalid_timeout_seconds",
            "timeout_seconds",
        ),
        ("wait=true", "invalid_query_param", "wait"),
    ] {
        let (status, body) = c.get(&format!("/api/v1/jobs/{id}?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
        assert_eq!(body["error"]["param"], param, "{query}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
}

async fn long_poll_returns_as_soon_as_the_job_finishes(b: Backend) {
    let c = Arc::new(ctx(b).await);
    let id = c
        .submit(json!({"prompt": "x", "output": {"resolution": "512"}}))
        .await;
    let poll = {
        let c = c.clone();
        tokio::spawn(async move {
            c.get(&format!(
                "/api/v1/jobs/{id}?wait_for_completion=true&timeout_seconds=30&expand=ad"
            ))
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !poll.is_finished(),
        "the poll waits while the job is queued"
    );
    c.finish(id).await;
    let (status, body) = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("answered long before its 30 s")
        .expect("task");
    assert_eq!(status, 200);
    assert_eq!(body["status"], "completed");
    assert_eq!(body["data"]["status"], "completed");
    assert!(body["data"]["ad"]["image_url"].is_string(), "{body}");
}

async fn long_poll_times_out_with_the_current_state(b: Backend) {
    let c = ctx(b).await;
    let id = c.submit(json!({"prompt": "x"})).await;
    let started = tokio::time::Instant::now();
    let (status, body) = c
        .get(&format!(
            "/api/v1/jobs/{id}?wait_for_completion=true&timeout_seconds=1"
        ))
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("queued")));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it waited its timeout"
    );
}

async fn long_poll_stops_at_the_platform_deadline(b: Backend) {
    let c = ctx(b).await;
    let id = c.submit(json!({"prompt": "x"})).await;
    let mut req = request(
        "GET",
        &format!("/api/v1/jobs/{id}?wait_for_completion=true&timeout_seconds=30"),
        Some(&c.key),
        None,
        "",
    );
    req.extensions_mut().insert(Deadline(
        tokio::time::Instant::now() + Duration::from_millis(300),
    ));
    let response = tokio::time::timeout(Duration::from_secs(10), c.app.api.handle(req))
        .await
        .expect("answered at the deadline");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(response.body()).expect("json");
    assert_eq!(body["data"]["status"], "queued");
}

async fn fields_project_and_expansions_add(b: Backend) {
    let c = ctx(b).await;
    let id = c.submit(json!({"prompt": "x", "metadata": {"campaign": "q4"}, "output": {"resolution": "512", "format": "jpeg"}})).await;
    let keys = |v: &Value| {
        let mut k: Vec<String> = v["data"]
            .as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    let (_, queued) = c
        .get(&format!("/api/v1/jobs/{id}?fields=metadata&expand=ad"))
        .await;
    assert_eq!(keys(&queued), ["ad", "id", "metadata", "object", "status"]);
    assert_eq!(queued["data"]["ad"], Value::Null, "no ad before completion");
    let (_, plain) = c.get(&format!("/api/v1/jobs/{id}")).await;
    assert!(
        plain["data"].get("ad").is_none() && plain["data"]["payload"].get("diagnostics").is_none()
    );

    c.finish(id).await;
    let (_, done) = c
        .get(&format!(
            "/api/v1/jobs/{id}?include=ad&expand=diagnostics&fields=payload,result_url"
        ))
        .await;
    assert_eq!(
        keys(&done),
        ["ad", "id", "object", "payload", "result_url", "status"]
    );
    let ad = &done["data"]["ad"];
    assert_eq!(
        (
            ad["width"].as_u64(),
            ad["height"].as_u64(),
            ad["format"].as_str()
        ),
        (Some(512), Some(512), Some("jpeg"))
    );
    assert_eq!(ad["image_url"], done["data"]["payload"]["image_url"]);
    let diagnostics = &done["data"]["payload"]["diagnostics"];
    assert_eq!(diagnostics["provider"], "template");
    assert_eq!(diagnostics["attempts"], 1);
    assert!(
        diagnostics["brief"]
            .as_str()
            .is_some_and(|b| b.contains("512x512")),
        "{diagnostics}"
    );
    let steps: Vec<&str> = diagnostics["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["phase"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "loading_references",
            "compiling_brief",
            "generating",
            "post_processing",
            "storing"
        ]
    );
    assert!(diagnostics["steps"][0]["millis"].is_u64());
}

/// The template renderer's text-fit report and the planned language reach
/// `expand=diagnostics`: a Japanese prompt is set in the Japanese CJK face with a Japanese
/// call to action, every block within the contrast minimum and nothing missing.
async fn text_fit_reports_each_block_in_the_prompts_language(b: Backend) {
    let c = ctx(b).await;
    let id = c
        .submit(json!({"prompt": "東京の新しいラーメン店のオープン記念、半額セール", "output": {"resolution": "512"}}))
        .await;
    c.finish(id).await;
    let (_, done) = c
        .get(&format!("/api/v1/jobs/{id}?expand=diagnostics"))
        .await;
    let diagnostics = &done["data"]["payload"]["diagnostics"];
    assert_eq!(diagnostics["language"], "ja", "{diagnostics}");
    let fits = diagnostics["text_fit"].as_array().expect("text_fit");
    let blocks: Vec<&str> = fits.iter().filter_map(|f| f["block"].as_str()).collect();
    assert_eq!(blocks.first(), Some(&"headline"), "{diagnostics}");
    assert_eq!(blocks.last(), Some(&"call_to_action"), "{diagnostics}");
    for fit in fits {
        assert!(
            fit["font"]
                .as_str()
                .is_some_and(|f| f.starts_with("Noto Sans CJK JP")),
            "{fit}"
        );
        assert!(fit["px"].as_f64().is_some_and(|px| px >= 7.0), "{fit}");
        assert!(fit["lines"].as_u64().is_some_and(|n| n >= 1), "{fit}");
        assert_eq!(fit["missing_glyphs"], 0, "{fit}");
        assert!(fit["contrast"].as_f64().is_some_and(|c| c >= 4.5), "{fit}");
    }
}

async fn brand_expansion_shows_what_the_job_used(b: Backend) {
    let c = ctx(b).await;
    let none = c.submit(json!({"prompt": "x"})).await;
    assert_eq!(
        c.get(&format!("/api/v1/jobs/{none}?expand=brand")).await.1["data"]["brand"],
        Value::Null
    );
    let inline = c
        .submit(json!({"prompt": "x", "brand_identity_json": {"core_slogan": "Hi"}}))
        .await;
    let (_, body) = c.get(&format!("/api/v1/jobs/{inline}?expand=brand")).await;
    assert_eq!(
        body["data"]["brand"],
        json!({"source": "brand_identity_json", "brand_dna": {"core_slogan": "Hi"}})
    );

    let org =
        c.b.jobs
            .get(inline)
            .await
            .expect("get")
            .expect("job")
            .org_id;
    let brand = Brand {
        id: Uuid::new_v4(),
        org_id: org,
        name: "Acme".into(),
        domain: Some("acme.example".into()),
        brand_dna: json!({"primary_accent_hex": "#FF6600"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        logo: None,
        sources: Default::default(),
        created_at: NOW,
        updated_at: NOW,
    };
    c.b.brands.put(&brand).await.expect("brand");
    let stored = c.submit(json!({"prompt": "x", "brand_id": brand.id, "brand_identity_json": {"core_slogan": "ignored"}})).await;
    let (_, body) = c.get(&format!("/api/v1/jobs/{stored}?expand=brand")).await;
    let shown = &body["data"]["brand"];
    assert_eq!(
        (
            shown["source"].as_str(),
            shown["id"].as_str(),
            shown["name"].as_str()
        ),
        (
            Some("brand_id"),
            Some(brand.id.to_string().as_str()),
            Some("Acme")
        )
    );
    assert_eq!(shown["brand_dna"], json!({"primary_accent_hex": "#FF6600"}));
}

async fn a_panicking_handler_answers_500_in_the_envelope(b: Backend) {
    // A job store whose reads panic (a bug on our side); every write reaches the real store.
    let buggy = ObservedJobs {
        inner: b.jobs.clone(),
        before_read: |_| panic!("injected bug in a job read"),
    };
    let app = b.app_with_jobs(ManualClock::at(NOW), Arc::new(buggy));
    let (key, _) = b.new_key().await;
    let path = format!("/api/v1/jobs/{}", Uuid::new_v4());
    let response = app
        .api
        .handle(request("GET", &path, Some(&key), None, ""))
        .await;
    assert_eq!(response.status().as_u16(), 500);
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id header")
        .to_owned();
    let body: Value = serde_json::from_slice(response.body()).expect("json envelope");
    assert_eq!(body["error"]["type"], "api_error");
    assert_eq!(body["error"]["code"], "internal_error");
    assert_eq!(body["error"]["request_id"], header_id.as_str());
    let text = String::from_utf8_lossy(response.body());
    assert!(
        !text.contains("injected bug"),
        "the panic's text stays in the log: {text}"
    );
    // The same service goes on answering: the panic took nothing down with it.
    app.submit(&key, &json!({"prompt": "Still here"})).await;
}
