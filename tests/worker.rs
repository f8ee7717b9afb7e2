//! The generation worker on every adapter set: a queued job becomes exactly one stored image;
//! duplicates, crashes, poison messages and provider failures all end in a terminal state.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use adgen::jobs::{FailureCode, Job, JobStatus, Phase};
use adgen::ports::Received;
use adgen::ports::{Claim, Clock, GenerateError, JobMessage};
use adgen::service::generate::{Disposition, Redelivery, consume_once, process_batch, retry_delay};
use adgen_render::DecodeLimits;
use adgen_render::TemplateGenerator;
use adgen_testkit::images as samples;
use adgen_tests::{
    Backend, FailingGenerator, Kind, ManualClock, StaticFetcher, b64, http_get, on_every_backend,
    request,
};
use serde_json::json;
use uuid::Uuid;

const NOW: i64 = 1_764_100_000;

on_every_backend!(
    a_queued_job_becomes_one_image_of_the_applied_size_and_format,
    duplicate_deliveries_do_no_work,
    a_crashed_workers_job_is_taken_over_after_its_lease,
    transient_failures_retry_then_fail_on_the_last_delivery,
    refusals_and_empty_answers_fail_at_once,
    unusable_references_fail_naming_the_image,
    a_batch_reports_only_what_must_come_back,
    a_providers_image_is_brought_to_the_exact_size_and_format,
    a_byte_budget_lowers_the_quality_or_fails_the_job,
    the_consumer_loop_feeds_the_worker_and_empties_the_queue,
);

/// Submits through the API and returns the job's message (the queue is emptied).
async fn submit(b: &Backend, clock: &Arc<ManualClock>, body: serde_json::Value) -> JobMessage {
    let (key, org) = b.new_key().await;
    let job_id = b.app(clock.clone()).submit(&key, &body).await;
    b.drain_messages().await;
    JobMessage {
        job_id,
        org_id: org,
    }
}

async fn job(b: &Backend, id: Uuid) -> Job {
    b.jobs.get(id).await.expect("get").expect("job exists")
}

async fn a_queued_job_becomes_one_image_of_the_applied_size_and_format(b: Backend) {
    let clock = ManualClock::at(NOW);
    let photo = samples::png(64, 48);
    let message = submit(&b, &clock, json!({
        "prompt": "Spring poster for a flower shop. CTA: Visit today",
        "reference_images": [b64(&photo), "https://cdn.example.com/tulips.png"],
        "brand_identity_json": {"primary_background_hex": "#1D3557", "primary_accent_hex": "#E63946", "core_slogan": "Fresh daily"},
        "output": {"resolution": "512", "format": "webp"}
    }))
    .await;
    let fetcher = Arc::new(StaticFetcher(vec![(
        "https://cdn.example.com/tulips.png".into(),
        Ok(samples::png(40, 40).into()),
    )]));
    let worker = b.worker_with(
        clock.clone(),
        Arc::new(TemplateGenerator),
        fetcher,
        DecodeLimits::default(),
    );
    assert_eq!(worker.process(message, 1).await, Disposition::Acknowledge);

    let done = job(&b, message.job_id).await;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.payload);
    assert_eq!(done.payload.phase, Phase::Completed);
    assert_eq!(done.payload.provider.as_deref(), Some("template"));
    assert_eq!(done.result_url, Some(format!("ads/{}", message.job_id)));
    assert_eq!(done.lease, None);
    let applied = done.payload.output_applied.expect("output_applied");
    assert_eq!(
        (applied.width, applied.height, applied.format.as_str()),
        (448, 592, "webp"),
        "3:4 from 'poster' at 512"
    );
    let phases: Vec<Phase> = done.diagnostics.steps.iter().map(|s| s.phase).collect();
    assert_eq!(
        phases,
        [
            Phase::LoadingReferences,
            Phase::CompilingBrief,
            Phase::Generating,
            Phase::PostProcessing,
            Phase::Storing
        ]
    );
    let brief = done.diagnostics.brief.as_deref().expect("brief kept");
    assert!(
        brief.contains("#1D3557") && brief.contains("Visit today"),
        "{brief}"
    );

    let key = done.result_key().expect("key");
    let blob = b.blobs.get(&key).await.expect("get").expect("image stored");
    assert_eq!(blob.content_type, "image/webp");
    let image = image::load_from_memory(&blob.bytes).expect("a valid image");
    assert_eq!((image.width(), image.height()), (448, 592));
    assert_eq!(
        image::guess_format(&blob.bytes).expect("format"),
        image::ImageFormat::WebP
    );

    // The client's view: a URL minted for this read that downloads that very image.
    let app = b.app(clock.clone());
    let (key_text, _) = b.new_key().await;
    let other = app
        .api
        .handle(request(
            "GET",
            &format!("/api/v1/jobs/{}", message.job_id),
            Some(&key_text),
            None,
            "",
        ))
        .await;
    assert_eq!(
        other.status().as_u16(),
        404,
        "another organisation sees nothing"
    );
    if b.kind == Kind::Aws {
        let url = b.links.url(&key).await.expect("presign");
        let (status, headers, body) = http_get(&url).await;
        assert_eq!(status, 200);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-type" && v == "image/webp"),
            "{headers:?}"
        );
        assert_eq!(body, blob.bytes.to_vec());
    }
}

async fn duplicate_deliveries_do_no_work(b: Backend) {
    let clock = ManualClock::at(NOW);
    let message = submit(
        &b,
        &clock,
        json!({"prompt": "Sale", "output": {"resolution": "512"}}),
    )
    .await;
    let generator = Arc::new(TemplateGenerator);
    let worker = Arc::new(b.worker(clock.clone(), generator));
    let (a, c) = tokio::join!(worker.process(message, 1), worker.process(message, 1));
    assert_eq!((a, c), (Disposition::Acknowledge, Disposition::Acknowledge));
    let first = job(&b, message.job_id).await;
    assert_eq!(first.status, JobStatus::Completed);
    assert_eq!(first.claims, 1, "one of the two copies did the work");
    clock.advance(10);
    assert_eq!(worker.process(message, 2).await, Disposition::Acknowledge);
    assert_eq!(
        job(&b, message.job_id).await,
        first,
        "a finished job is never reprocessed"
    );
}

async fn a_crashed_workers_job_is_taken_over_after_its_lease(b: Backend) {
    let clock = ManualClock::at(NOW);
    let message = submit(
        &b,
        &clock,
        json!({"prompt": "Sale", "output": {"resolution": "512"}}),
    )
    .await;
    let Claim::Claimed(_) = b
        .jobs
        .claim(message.job_id, "crashed", NOW, NOW + 300)
        .await
        .expect("claim")
    else {
        panic!("claimable");
    };
    let worker = b.worker(clock.clone(), Arc::new(TemplateGenerator));
    assert_eq!(
        worker.process(message, 2).await,
        Disposition::Acknowledge,
        "the live lease is respected"
    );
    assert_eq!(job(&b, message.job_id).await.status, JobStatus::Processing);
    clock.advance(300);
    assert_eq!(worker.process(message, 3).await, Disposition::Acknowledge);
    let done = job(&b, message.job_id).await;
    assert_eq!((done.status, done.claims), (JobStatus::Completed, 2));
    assert!(
        b.blobs
            .get(&done.result_key().expect("key"))
            .await
            .expect("get")
            .is_some()
    );
}

async fn transient_failures_retry_then_fail_on_the_last_delivery(b: Backend) {
    let clock = ManualClock::at(NOW);
    let message = submit(&b, &clock, json!({"prompt": "Sale"})).await;
    let generator =
        FailingGenerator::new(|| GenerateError::Unavailable("503 from provider".into()));
    let worker = b.worker(clock.clone(), generator.clone());
    for receive in 1..=4 {
        assert_eq!(
            worker.process(message, receive).await,
            Disposition::Retry,
            "delivery {receive}"
        );
        let waiting = job(&b, message.job_id).await;
        assert_eq!(waiting.status, JobStatus::Processing);
        assert!(
            waiting
                .lease
                .as_ref()
                .is_some_and(|l| l.until <= clock.now()),
            "lease released for the redelivery"
        );
    }
    assert_eq!(
        worker.process(message, 5).await,
        Disposition::Acknowledge,
        "poison: the last delivery ends it"
    );
    let failed = job(&b, message.job_id).await;
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.payload.phase, Phase::Failed);
    assert_eq!(
        failed.payload.failure_code,
        Some(FailureCode::ProviderUnavailable)
    );
    let log = failed.error_log.expect("error_log");
    assert!(
        log.starts_with("provider_unavailable: ") && !log.contains("503"),
        "no internal detail: {log}"
    );
    assert_eq!(generator.calls.load(Ordering::SeqCst), 5);
}

async fn refusals_and_empty_answers_fail_at_once(b: Backend) {
    let clock = ManualClock::at(NOW);
    for (error, code) in [
        (
            (|| GenerateError::Blocked("the prompt was flagged".into())) as fn() -> GenerateError,
            FailureCode::GenerationBlocked,
        ),
        (|| GenerateError::Empty, FailureCode::GenerationEmpty),
        (
            || GenerateError::Rejected("model_not_found".into()),
            FailureCode::InternalStepFailed,
        ),
        // A provider's 4xx to a request we built: ours to fix, its code kept for us.
        (
            || GenerateError::RequestRefused {
                status: 400,
                code: Some("model_not_found".into()),
                message: "The model does not exist".into(),
            },
            FailureCode::InternalStepFailed,
        ),
        // The account itself refused: no retry helps, the job fails at once.
        (
            || GenerateError::AccountRefused {
                issue: adgen::ports::AccountIssue::Quota,
                detail: "HTTP 429: insufficient_quota: model_not_found".into(),
            },
            FailureCode::ProviderUnavailable,
        ),
    ] {
        let message = submit(&b, &clock, json!({"prompt": "Sale"})).await;
        let generator = FailingGenerator::new(error);
        let worker = b.worker(clock.clone(), generator.clone());
        assert_eq!(worker.process(message, 1).await, Disposition::Acknowledge);
        let failed = job(&b, message.job_id).await;
        assert_eq!(
            (failed.status, failed.payload.failure_code),
            (JobStatus::Failed, Some(code))
        );
        assert_eq!(
            generator.calls.load(Ordering::SeqCst),
            1,
            "{code:?}: not retried"
        );
        let message_text = failed.payload.message.expect("message");
        assert!(!message_text.contains("model_not_found"), "{message_text}");
        let refused = matches!(error(), GenerateError::RequestRefused { .. });
        assert_eq!(
            failed.diagnostics.provider_error.as_deref(),
            refused.then_some("HTTP 400 model_not_found"),
            "the provider's code in diagnostics, never its message"
        );
    }
}

async fn unusable_references_fail_naming_the_image(b: Backend) {
    let clock = ManualClock::at(NOW);
    let cases = [
        (
            "https://cdn.example.com/missing.png",
            "reference_images[1] could not be fetched",
        ),
        (
            "https://cdn.example.com/bomb.png",
            "reference_images[1] could not be decoded as a PNG, JPEG or WebP image within the size limits",
        ),
    ];
    // 3000 × 3000 grey: 9 MB of pixels in the file, 36 MB once decoded, over a 16 MiB budget.
    let bomb = samples::png(3000, 3000);
    for (url, expected) in cases {
        let message = submit(
            &b,
            &clock,
            json!({"prompt": "Sale", "reference_images": [b64(&samples::png(8, 8)), url]}),
        )
        .await;
        let fetcher = Arc::new(StaticFetcher(vec![(
            "https://cdn.example.com/bomb.png".into(),
            Ok(bomb.clone().into()),
        )]));
        let limits = DecodeLimits {
            max_alloc: 16 * 1024 * 1024,
            ..DecodeLimits::default()
        };
        let worker = b.worker_with(clock.clone(), Arc::new(TemplateGenerator), fetcher, limits);
        assert_eq!(worker.process(message, 1).await, Disposition::Acknowledge);
        let failed = job(&b, message.job_id).await;
        assert_eq!(
            failed.payload.failure_code,
            Some(FailureCode::ReferenceInputInvalid)
        );
        let text = failed.payload.message.expect("message");
        assert!(text.starts_with(expected), "{text}");
    }
}

async fn a_batch_reports_only_what_must_come_back(b: Backend) {
    let clock = ManualClock::at(NOW);
    let ok = submit(
        &b,
        &clock,
        json!({"prompt": "Sale", "output": {"resolution": "512"}}),
    )
    .await;
    let worker = b.worker(clock.clone(), Arc::new(TemplateGenerator));
    let deliveries = vec![
        Received {
            receipt: "m-ok".into(),
            body: serde_json::to_string(&ok).expect("json"),
            receive_count: 1,
        },
        Received {
            receipt: "m-garbage".into(),
            body: "not json".into(),
            receive_count: 1,
        },
        Received {
            receipt: "m-unknown".into(),
            body: serde_json::to_string(&JobMessage {
                job_id: Uuid::new_v4(),
                org_id: ok.org_id,
            })
            .expect("json"),
            receive_count: 1,
        },
    ];
    let retry = process_batch(
        &worker,
        deliveries,
        tokio::time::Instant::now() + std::time::Duration::from_secs(60),
    )
    .await;
    assert!(retry.is_empty(), "{retry:?}");
    assert_eq!(job(&b, ok.job_id).await.status, JobStatus::Completed);

    let slow = submit(&b, &clock, json!({"prompt": "Sale"})).await;
    let deadline_passed = tokio::time::Instant::now();
    let retry = process_batch(
        &worker,
        vec![Received {
            receipt: "m-late".into(),
            body: serde_json::to_string(&slow).expect("json"),
            receive_count: 1,
        }],
        deadline_passed,
    )
    .await;
    assert_eq!(
        retry,
        [Redelivery {
            receipt: "m-late".into(),
            delay: retry_delay(1)
        }],
        "work cut off by the deadline comes back"
    );
}

/// Answers like a hosted model: the encoded image it holds, whatever was asked.
struct ProviderLike(bytes::Bytes);

#[async_trait::async_trait]
impl adgen::ports::ImageGenerator for ProviderLike {
    fn name(&self) -> &'static str {
        "gemini"
    }

    async fn generate(
        &self,
        _input: &adgen::ports::GenerationInput<'_>,
    ) -> Result<adgen::ports::Generated, GenerateError> {
        Ok(adgen::ports::Generated::Encoded(self.0.clone()))
    }
}

async fn a_providers_image_is_brought_to_the_exact_size_and_format(b: Backend) {
    let clock = ManualClock::at(NOW);
    let message = submit(&b, &clock, json!({"prompt": "Sale", "output": {"aspect_ratio": "4:5", "resolution": "512", "format": "jpeg"}})).await;
    let worker = b.worker(
        clock.clone(),
        Arc::new(ProviderLike(samples::png(300, 200).into())),
    );
    assert_eq!(worker.process(message, 1).await, Disposition::Acknowledge);
    let done = job(&b, message.job_id).await;
    assert_eq!(done.payload.provider.as_deref(), Some("gemini"));
    let applied = done.payload.output_applied.expect("applied");
    let blob = b
        .blobs
        .get(&done.result_key().expect("key"))
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(blob.content_type, "image/jpeg");
    let image = image::load_from_memory(&blob.bytes).expect("valid");
    assert_eq!(
        (image.width(), image.height()),
        (applied.width, applied.height)
    );
    assert_eq!(
        image::guess_format(&blob.bytes).expect("format"),
        image::ImageFormat::Jpeg
    );
}

async fn a_byte_budget_lowers_the_quality_or_fails_the_job(b: Backend) {
    let clock = ManualClock::at(NOW);
    // A noisy photo-like answer, expensive to compress.
    let answer = samples::noise_png(512, 512).into();
    let worker = b.worker(clock.clone(), Arc::new(ProviderLike(answer)));
    for (format, magic) in [
        ("jpeg", image::ImageFormat::Jpeg),
        ("webp", image::ImageFormat::WebP),
    ] {
        // Unbounded: the default quality, and the size recorded.
        let free = submit(
            &b,
            &clock,
            json!({"prompt": "Sale", "output": {"resolution": "512", "format": format}}),
        )
        .await;
        assert_eq!(worker.process(free, 1).await, Disposition::Acknowledge);
        let done = job(&b, free.job_id).await;
        let applied = done.payload.output_applied.expect("applied");
        let default = if format == "jpeg" { 90 } else { 85 };
        assert_eq!(applied.quality, Some(default), "{format}");
        let unbounded = applied.bytes.expect("bytes recorded");

        // A budget below that: a lower quality whose file fits, recorded with its size.
        let budget = unbounded * 3 / 4;
        let bounded = submit(&b, &clock, json!({"prompt": "Sale", "output": {"resolution": "512", "format": format, "max_bytes": budget}})).await;
        assert_eq!(worker.process(bounded, 1).await, Disposition::Acknowledge);
        let done = job(&b, bounded.job_id).await;
        assert_eq!(
            done.status,
            JobStatus::Completed,
            "{format}: {:?}",
            done.payload
        );
        let applied = done.payload.output_applied.expect("applied");
        let quality = applied.quality.expect("quality recorded");
        assert!((40..default).contains(&quality), "{format}: {quality}");
        let blob = b
            .blobs
            .get(&done.result_key().expect("key"))
            .await
            .expect("get")
            .expect("stored");
        assert!(blob.bytes.len() as u64 <= budget, "{format}");
        assert_eq!(applied.bytes, Some(blob.bytes.len() as u64), "{format}");
        assert_eq!(image::guess_format(&blob.bytes).expect("format"), magic);

        // The smallest budget the contract allows is too small for 512² of noise at quality 40.
        let unmet = submit(&b, &clock, json!({"prompt": "Sale", "output": {"resolution": "512", "format": format, "max_bytes": 20000}})).await;
        assert_eq!(worker.process(unmet, 1).await, Disposition::Acknowledge);
        let failed = job(&b, unmet.job_id).await;
        assert_eq!(failed.status, JobStatus::Failed);
        assert_eq!(
            failed.payload.failure_code,
            Some(FailureCode::OutputBudgetUnmet)
        );
        let message = failed.payload.message.as_deref().expect("message");
        assert!(
            message.starts_with(
                "the image does not fit output.max_bytes (20000 bytes): at quality 40"
            ),
            "{message}"
        );
        assert!(
            b.blobs
                .get(&failed.result_key().expect("key"))
                .await
                .expect("get")
                .is_none(),
            "nothing stored"
        );
    }
}

/// What `adgen serve` runs: one receive through the queue-consumer port, the batch processed,
/// finished messages deleted and retries handed back with their backoff.
async fn the_consumer_loop_feeds_the_worker_and_empties_the_queue(b: Backend) {
    let clock = ManualClock::at(NOW);
    let (key, _) = b.new_key().await;
    let app = b.app(clock.clone());
    let done = app
        .submit(
            &key,
            &json!({"prompt": "Sale", "output": {"resolution": "512"}}),
        )
        .await;
    let worker = b.worker(clock.clone(), Arc::new(TemplateGenerator));
    assert_eq!(
        consume_once(b.consumer.as_ref(), &worker, 10)
            .await
            .expect("one batch"),
        1
    );
    assert_eq!(job(&b, done).await.status, JobStatus::Completed);
    assert!(
        b.drain_messages().await.is_empty(),
        "the finished message is deleted"
    );

    // A transient failure: handed back (visible again after its 30 s backoff), not deleted.
    let failing = FailingGenerator::new(|| GenerateError::Unavailable("overloaded".into()));
    let retried = app
        .submit(
            &key,
            &json!({"prompt": "Again", "output": {"resolution": "512"}}),
        )
        .await;
    let worker = b.worker(clock.clone(), failing.clone());
    assert_eq!(
        consume_once(b.consumer.as_ref(), &worker, 10)
            .await
            .expect("one batch"),
        1
    );
    assert_eq!(failing.calls.load(Ordering::SeqCst), 1);
    let released = job(&b, retried).await;
    assert!(!released.status.is_terminal());
    assert!(
        released.lease.is_some_and(|l| l.until <= clock.now()),
        "the lease is given back for the redelivery"
    );
    assert!(
        b.drain_messages().await.is_empty(),
        "hidden during its backoff, not lost"
    );
    assert_eq!(
        consume_once(b.consumer.as_ref(), &worker, 10)
            .await
            .expect("an empty receive"),
        0
    );
}

/// Every shipped model through a fake of its provider that accepts only what the provider
/// documents for that model (`adgen_testkit::providers`, written from the providers' pages,
/// not from our capability table): every aspect ratio and resolution of the contract, with
/// and without references, ends in an image of exactly `output_applied`'s size. The adapter
/// set does not matter here (the provider's wire does), so it runs on the embedded one.
mod hosted_models {
    use super::*;
    use adgen::config::{GeneratorConfig, ProviderSettings};
    use adgen::contract::output::{AspectRatio, Resolution};
    use adgen::models::{ModelTable, Provider};
    use adgen_testkit::providers::{FakeProvider, documented};

    /// The shipped models, each a test below; a new shipped model must join this list.
    const MODELS: &[&str] = &[
        "chatgpt-image-latest",
        "gemini-3-pro-image-preview",
        "gemini-3.1-flash-image-preview",
        "gpt-image-1",
        "gpt-image-1-mini",
        "gpt-image-1.5",
        "gpt-image-2",
        "gpt-image-2-2026-04-21",
        "gpt-image-2.5-flare",
        "gpt-image-2.5-flare-2026-09-08",
        "gpt-image-2.5-sunburst",
        "gpt-image-2.5-sunburst-2026-09-08",
    ];

    #[test]
    fn every_shipped_model_is_tested_and_documented() {
        let table = ModelTable::shipped();
        let shipped: Vec<&str> = table.iter().map(|(id, _)| id).collect();
        assert_eq!(shipped, MODELS);
        for model in MODELS {
            assert!(documented(model).is_some(), "{model}");
        }
    }

    async fn every_output_of(model: &'static str) {
        let fake = FakeProvider::start(model).await;
        let capabilities = ModelTable::shipped().get(model).cloned().expect("shipped");
        let settings = ProviderSettings {
            base_url: fake.base_url(),
            api_key: "test-key".into(),
            model: model.into(),
            capabilities: capabilities.clone(),
            request_timeout: std::time::Duration::from_secs(30),
        };
        let config = match capabilities.provider {
            Provider::Gemini => GeneratorConfig::Gemini(settings),
            Provider::Openai => GeneratorConfig::OpenAi(settings),
        };
        let codec = Arc::new(adgen_render::Codec::default());
        let parts = adgen_outbound::worker_parts(&config, codec, Arc::new(TemplateGenerator), true)
            .expect("worker parts");
        let b = Backend::new(Kind::Embedded).await;
        let clock = ManualClock::at(NOW);
        let worker = b.worker(clock.clone(), parts.generator);
        let reference = b64(&samples::png(64, 48));
        let mut n = 0;
        for ratio in AspectRatio::ALL {
            for resolution in Resolution::ALL {
                n += 1;
                // Every other job with a reference: the edit endpoint (JSON or multipart).
                let references = if n % 2 == 0 {
                    vec![reference.clone()]
                } else {
                    vec![]
                };
                let message = submit(&b, &clock, json!({
                    "prompt": "Summer sale on linen shirts",
                    "reference_images": references,
                    "output": {"aspect_ratio": ratio.as_str(), "resolution": resolution.as_str(), "format": "jpeg"}
                }))
                .await;
                assert_eq!(worker.process(message, 1).await, Disposition::Acknowledge);
                let done = job(&b, message.job_id).await;
                assert_eq!(
                    done.status,
                    JobStatus::Completed,
                    "{model} {ratio:?} {resolution:?}: {:?}; the fake refused: {:?}",
                    done.payload.message,
                    fake.refusals()
                );
                let applied = done.payload.output_applied.expect("applied");
                let blob = b
                    .blobs
                    .get(&done.result_key().expect("key"))
                    .await
                    .expect("get")
                    .expect("stored");
                let size = imagesize_of(&blob.bytes);
                assert_eq!(
                    size,
                    (applied.width, applied.height),
                    "{model} {ratio:?} {resolution:?}"
                );
            }
        }
        assert_eq!(fake.refusals(), Vec::<String>::new(), "{model}");
        assert_eq!(fake.server.requests().len(), n, "one request per job");
    }

    fn imagesize_of(bytes: &[u8]) -> (u32, u32) {
        let decoded = image::load_from_memory(bytes).expect("an image");
        (decoded.width(), decoded.height())
    }

    macro_rules! model_tests {
        ($($name:ident => $model:literal),+ $(,)?) => {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    every_output_of($model).await;
                }
            )+
        };
    }

    model_tests!(
        chatgpt_image_latest => "chatgpt-image-latest",
        gemini_3_pro_image_preview => "gemini-3-pro-image-preview",
        gemini_3_1_flash_image_preview => "gemini-3.1-flash-image-preview",
        gpt_image_1 => "gpt-image-1",
        gpt_image_1_mini => "gpt-image-1-mini",
        gpt_image_1_5 => "gpt-image-1.5",
        gpt_image_2 => "gpt-image-2",
        gpt_image_2_dated => "gpt-image-2-2026-04-21",
        gpt_image_2_5_flare => "gpt-image-2.5-flare",
        gpt_image_2_5_flare_dated => "gpt-image-2.5-flare-2026-09-08",
        gpt_image_2_5_sunburst => "gpt-image-2.5-sunburst",
        gpt_image_2_5_sunburst_dated => "gpt-image-2.5-sunburst-2026-09-08",
    );
}
