//! Uploads over HTTP on every adapter set (spec §11): creating one, PUTting the bytes (to
//! moto's presigned URL on the AWS set, to the server's own route on the embedded set), using
//! it as a reference image or a brand's logo, and every refusal with its code.

use adgen::jobs::JobStatus;
use adgen::uploads;
use adgen_tests::{
    Backend, Client, EMBEDDED_FILES_BASE, Kind, NOW, answer, client, images, on_every_backend,
};
use bytes::Bytes;
use serde_json::{Value, json};

on_every_backend!(
    a_12_mb_jpeg_by_upload_ends_in_a_completed_job,
    unusable_uploads_are_refused_with_their_codes,
    a_refused_submission_gives_its_uploads_back,
    upload_requests_are_validated,
    logos_come_by_upload_too,
    the_put_target_holds_the_client_to_the_declaration,
);

const UPLOADS: &str = "/api/v1/uploads";
const GENERATIONS: &str = "/api/v1/images/generations";

/// `POST /api/v1/uploads`; the 201's `data`.
async fn create(c: &Client, content_type: &str, size: usize) -> Value {
    let created = c
        .post(
            UPLOADS,
            None,
            &json!({"content_type": content_type, "size_bytes": size}).to_string(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    created.json["data"].clone()
}

/// PUTs `bytes` as the 201 said: to moto's presigned URL, or through the embedded server's
/// own route (the tests' embedded app has no socket; its base URL is a placeholder).
async fn put(b: &Backend, c: &Client, upload: &Value, content_type: &str, bytes: &[u8]) -> u16 {
    let url = upload["upload_url"].as_str().expect("upload_url");
    match b.kind {
        Kind::Aws => adgen_tests::http_put(url, content_type, bytes).await.0,
        Kind::Embedded => {
            let path = url
                .strip_prefix(EMBEDDED_FILES_BASE)
                .expect("the server's own URL");
            let request = http::Request::builder()
                .method("PUT")
                .uri(path)
                .header("content-type", content_type)
                .body(Bytes::copy_from_slice(bytes))
                .expect("request");
            answer(c.app.api.handle(request).await).status
        }
    }
}

/// Creates an upload of `bytes` and PUTs them; the reference to name it by.
async fn uploaded(b: &Backend, c: &Client, content_type: &str, bytes: &[u8]) -> String {
    let upload = create(c, content_type, bytes.len()).await;
    assert_eq!(put(b, c, &upload, content_type, bytes).await, 200);
    upload["reference"].as_str().expect("reference").to_owned()
}

fn generation(references: &[&str]) -> String {
    json!({"prompt": "Autumn sale on our new espresso machine", "reference_images": references})
        .to_string()
}

fn id_of(reference: &str) -> adgen::contract::upload::UploadId {
    adgen::contract::upload::UploadId::from_reference(reference)
        .expect("an upload reference")
        .expect("well formed")
}

async fn a_12_mb_jpeg_by_upload_ends_in_a_completed_job(b: Backend) {
    let c = client(&b).await;
    let jpeg = images::jpeg_of_size(1200, 900, 12_000_000);
    let reference = uploaded(&b, &c, "image/jpeg", &jpeg).await;
    let source = uploads::object_key(c.org, id_of(&reference));
    assert_eq!(b.blobs.size(&source).await.expect("size"), Some(12_000_000));

    let accepted = c.post(GENERATIONS, None, &generation(&[&reference])).await;
    assert_eq!(accepted.status, 202, "{}", accepted.json);
    let job_id = accepted.job_id();
    assert_eq!(
        b.blobs.size(&source).await.expect("size"),
        None,
        "the upload's object moved to the job's staging"
    );
    b.work_on(c.clock.clone(), job_id, c.org).await;
    let job = b.jobs.get(job_id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.payload);
    let read = c.get(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(read.json["data"]["status"], "completed", "{}", read.json);
}

async fn unusable_uploads_are_refused_with_their_codes(b: Backend) {
    let c = client(&b).await;
    let png = images::png(64, 48);
    let refused = |answer: adgen_tests::Answer, code: &str, param: &str| {
        answer.assert_error(400, "invalid_request_error", code);
        assert_eq!(answer.json["error"]["param"], param, "{}", answer.json);
        assert_eq!(answer.json["error"]["issues"][0]["code"], code);
    };

    // Another organisation's upload looks exactly like a missing one.
    let other = client(&b).await;
    let foreign = uploaded(&b, &other, "image/png", &png).await;
    refused(
        c.post(GENERATIONS, None, &generation(&[&foreign])).await,
        "upload_not_found",
        "reference_images[0]",
    );
    let missing = adgen::contract::upload::UploadId::new().reference();
    refused(
        c.post(
            GENERATIONS,
            None,
            &generation(&["https://cdn.example.com/a.png", &missing]),
        )
        .await,
        "upload_not_found",
        "reference_images[1]",
    );

    // Created but never PUT.
    let unfinished = create(&c, "image/png", png.len()).await;
    refused(
        c.post(
            GENERATIONS,
            None,
            &generation(&[unfinished["reference"].as_str().expect("reference")]),
        )
        .await,
        "upload_not_found",
        "reference_images[0]",
    );

    // Used once, then again.
    let once = uploaded(&b, &c, "image/png", &png).await;
    assert_eq!(
        c.post(GENERATIONS, None, &generation(&[&once]))
            .await
            .status,
        202
    );
    refused(
        c.post(GENERATIONS, None, &generation(&[&once])).await,
        "upload_already_used",
        "reference_images[0]",
    );

    // Declared PNG, PUT with the declared header, but the bytes are a JPEG.
    let jpeg = images::jpeg(64, 48);
    let lying_type = create(&c, "image/png", jpeg.len()).await;
    assert_eq!(put(&b, &c, &lying_type, "image/png", &jpeg).await, 200);
    refused(
        c.post(
            GENERATIONS,
            None,
            &generation(&[lying_type["reference"].as_str().expect("reference")]),
        )
        .await,
        "upload_type_mismatch",
        "reference_images[0]",
    );

    // More bytes stored than declared (S3 holds a presigned PUT to its signed length; a
    // store that did not is caught here): planted directly.
    let lying_size = create(&c, "image/png", png.len()).await;
    let reference = lying_size["reference"].as_str().expect("reference");
    let mut longer = png.clone();
    longer.extend_from_slice(&[0; 100]);
    b.blobs
        .put(
            &uploads::object_key(c.org, id_of(reference)),
            longer.into(),
            "image/png",
        )
        .await
        .expect("put");
    refused(
        c.post(GENERATIONS, None, &generation(&[reference])).await,
        "upload_size_mismatch",
        "reference_images[0]",
    );

    // SVG is for logos.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
    let vector = uploaded(&b, &c, "image/svg+xml", svg).await;
    let not_raster = c.post(GENERATIONS, None, &generation(&[&vector])).await;
    not_raster.assert_error(400, "invalid_request_error", "invalid_request_body");
    assert_eq!(not_raster.json["error"]["param"], "reference_images[0]");
    assert_eq!(
        not_raster.json["error"]["issues"][0]["code"],
        "unsupported_format"
    );

    // A day later, an unused upload is gone.
    let late = uploaded(&b, &c, "image/png", &png).await;
    c.clock.advance(uploads::LIFETIME_SECONDS);
    refused(
        c.post(GENERATIONS, None, &generation(&[&late])).await,
        "upload_not_found",
        "reference_images[0]",
    );

    // A malformed reference is a body issue.
    let malformed = c
        .post(GENERATIONS, None, &generation(&["upload://upl_nope"]))
        .await;
    malformed.assert_error(400, "invalid_request_error", "invalid_request_body");
    assert_eq!(
        malformed.json["error"]["issues"][0]["code"],
        "invalid_upload_reference"
    );
    assert_eq!(malformed.json["error"]["param"], "reference_images[0]");
}

async fn a_refused_submission_gives_its_uploads_back(b: Backend) {
    let c = client(&b).await;
    let png = images::png(64, 48);
    let good = uploaded(&b, &c, "image/png", &png).await;
    let unfinished = create(&c, "image/png", png.len()).await;
    let unfinished = unfinished["reference"].as_str().expect("reference");
    let refused = c
        .post(GENERATIONS, None, &generation(&[&good, unfinished]))
        .await;
    refused.assert_error(400, "invalid_request_error", "upload_not_found");
    // The good one was checked and copied, never marked used: it still works.
    let accepted = c.post(GENERATIONS, None, &generation(&[&good])).await;
    assert_eq!(accepted.status, 202, "{}", accepted.json);

    // A queue outage after the checks: the job is withdrawn and the upload given back.
    let again = uploaded(&b, &c, "image/png", &png).await;
    c.app.queue.fail_next(1);
    let outage = c.post(GENERATIONS, None, &generation(&[&again])).await;
    assert_eq!(outage.status, 503, "{}", outage.json);
    let retried = c.post(GENERATIONS, None, &generation(&[&again])).await;
    assert_eq!(retried.status, 202, "{}", retried.json);

    // An idempotent retry of an accepted submission is a replay, not a second use.
    let keyed = uploaded(&b, &c, "image/png", &png).await;
    let first = c
        .post(GENERATIONS, Some("upload-key-1"), &generation(&[&keyed]))
        .await;
    assert_eq!(first.status, 202, "{}", first.json);
    let replay = c
        .post(GENERATIONS, Some("upload-key-1"), &generation(&[&keyed]))
        .await;
    assert_eq!(replay.status, 202, "{}", replay.json);
    assert_eq!(replay.job_id(), first.job_id());
}

async fn upload_requests_are_validated(b: Backend) {
    let c = client(&b).await;
    let created = c
        .post(
            UPLOADS,
            None,
            &json!({"content_type": "image/jpeg", "size_bytes": 12_000_000}).to_string(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(created.json["object"], "upload");
    assert_eq!(created.json["status"], "completed");
    let data = &created.json["data"];
    let id = data["id"].as_str().expect("id");
    assert!(
        adgen::contract::upload::UploadId::parse(id).is_some(),
        "{id}"
    );
    assert_eq!(data["reference"], format!("upload://{id}"));
    assert_eq!(data["method"], "PUT");
    assert_eq!(data["headers"], json!({"Content-Type": "image/jpeg"}));
    assert_eq!(data["size_bytes"], 12_000_000);
    assert_eq!(data["expires_at"], NOW + uploads::URL_LIFETIME_SECONDS);
    let url = url::Url::parse(data["upload_url"].as_str().expect("url")).expect("a URL");
    match b.kind {
        // The object's own key, in the bucket.
        Kind::Aws => assert!(
            url.path().ends_with(&format!("uploads/{}/{id}", c.org)),
            "{url}"
        ),
        // The server's own route.
        Kind::Embedded => assert_eq!(url.path(), format!("/uploads/{id}")),
    }
    if b.kind == Kind::Aws {
        // A SigV4 presigned PUT, signed over the type and the length, for 15 minutes.
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(
            query.get("X-Amz-Expires").map(String::as_str),
            Some("900"),
            "{url}"
        );
        assert_eq!(
            query.get("X-Amz-Algorithm").map(String::as_str),
            Some("AWS4-HMAC-SHA256")
        );
        let signed = query.get("X-Amz-SignedHeaders").expect("signed headers");
        for header in ["content-length", "content-type", "host"] {
            assert!(signed.split(';').any(|h| h == header), "{signed}");
        }
        assert!(query.contains_key("X-Amz-Signature"));
    }

    for (body, param, code) in [
        (json!({}), "content_type", "required"),
        (
            json!({"content_type": "image/gif", "size_bytes": 5}),
            "content_type",
            "invalid_value",
        ),
        (
            json!({"content_type": "image/png", "size_bytes": 0}),
            "size_bytes",
            "out_of_range",
        ),
        (
            json!({"content_type": "image/png", "size_bytes": 15 * 1024 * 1024 + 1}),
            "size_bytes",
            "out_of_range",
        ),
        (
            json!({"content_type": "image/png", "size_bytes": "10"}),
            "size_bytes",
            "invalid_type",
        ),
        (
            json!({"content_type": "image/png", "size_bytes": 5, "x": 1}),
            "x",
            "unknown_field",
        ),
    ] {
        let refused = c.post(UPLOADS, None, &body.to_string()).await;
        refused.assert_error(400, "invalid_request_error", "invalid_request_body");
        assert_eq!(refused.json["error"]["param"], param, "{body}");
        assert_eq!(refused.json["error"]["issues"][0]["code"], code, "{body}");
    }
    c.post(UPLOADS, None, "{").await.assert_error(
        400,
        "invalid_request_error",
        "invalid_json_body",
    );
    let anonymous = answer(
        c.app
            .api
            .handle(adgen_tests::request("POST", UPLOADS, None, None, "{}"))
            .await,
    );
    assert_eq!(anonymous.status, 401, "{}", anonymous.json);
}

async fn logos_come_by_upload_too(b: Backend) {
    let c = client(&b).await;
    let png = images::png(120, 60);
    let logo = uploaded(&b, &c, "image/png", &png).await;
    let brand = |logo: &str| json!({"name": "Maison Lumen", "logo": logo}).to_string();
    let created = c.post("/api/v1/brands", None, &brand(&logo)).await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert!(created.json["data"]["logo"].is_object(), "{}", created.json);

    let again = c.post("/api/v1/brands", None, &brand(&logo)).await;
    again.assert_error(400, "invalid_request_error", "upload_already_used");
    assert_eq!(again.json["error"]["param"], "logo");

    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#c30"/></svg>"##;
    let vector = uploaded(&b, &c, "image/svg+xml", svg).await;
    let created = c.post("/api/v1/brands", None, &brand(&vector)).await;
    assert_eq!(created.status, 201, "{}", created.json);

    let unfinished = create(&c, "image/png", png.len()).await;
    let refused = c
        .post(
            "/api/v1/brands",
            None,
            &brand(unfinished["reference"].as_str().expect("reference")),
        )
        .await;
    refused.assert_error(400, "invalid_request_error", "upload_not_found");
    assert_eq!(refused.json["error"]["param"], "logo");
}

async fn the_put_target_holds_the_client_to_the_declaration(b: Backend) {
    let c = client(&b).await;
    let png = images::png(64, 48);
    let upload = create(&c, "image/png", png.len()).await;
    let stored = || async {
        let key = uploads::object_key(c.org, id_of(upload["reference"].as_str().expect("ref")));
        b.blobs.get(&key).await.expect("get")
    };
    if b.kind == Kind::Embedded {
        // The server's own route checks what S3 checks through the signature.
        assert_eq!(put(&b, &c, &upload, "image/jpeg", &png).await, 400);
        assert_eq!(put(&b, &c, &upload, "image/png", &png[1..]).await, 400);
        let mut long = png.clone();
        long.push(0);
        assert_eq!(put(&b, &c, &upload, "image/png", &long).await, 400);
        assert!(stored().await.is_none(), "nothing refused was kept");
    }
    assert_eq!(put(&b, &c, &upload, "image/png", &png).await, 200);
    let blob = stored().await.expect("the PUT's bytes are fetchable");
    assert_eq!(blob.bytes, png);
    assert_eq!(blob.content_type, "image/png");

    if b.kind == Kind::Embedded {
        let reference = upload["reference"].as_str().expect("reference");
        assert_eq!(
            c.post(GENERATIONS, None, &generation(&[reference]))
                .await
                .status,
            202
        );
        assert_eq!(put(&b, &c, &upload, "image/png", &png).await, 409, "used");
        let late = create(&c, "image/png", png.len()).await;
        c.clock.advance(uploads::URL_LIFETIME_SECONDS);
        assert_eq!(put(&b, &c, &late, "image/png", &png).await, 403, "expired");
        let unknown = json!({"upload_url": format!("{EMBEDDED_FILES_BASE}/uploads/upl_nope")});
        assert_eq!(put(&b, &c, &unknown, "image/png", &png).await, 404);
    }
}
