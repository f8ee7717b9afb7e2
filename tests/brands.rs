//! Brands over HTTP on every adapter set (spec §7): create with every validation rule, read,
//! list newest first with totals, delete, logos stored as fetchable PNGs, and organisation
//! isolation on every route.

use adgen_tests::{Backend, b64, client, images, on_every_backend};
use serde_json::{Value, json};

on_every_backend!(
    brands_are_created_read_listed_and_deleted,
    every_validation_rule_names_its_param,
    logos_are_prepared_stored_and_linked,
    other_organisations_see_nothing,
    malformed_requests_get_precise_errors,
);

const BRANDS: &str = "/api/v1/brands";

fn data(json: &Value) -> &Value {
    &json["data"]
}

async fn brands_are_created_read_listed_and_deleted(b: Backend) {
    let c = client(&b).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        c.clock.advance(10);
        let created = c
            .post(
                BRANDS,
                None,
                &json!({"name": format!("Brand {n}"), "domain": "Acme.Example",
                        "brand_dna": {"primary_accent_hex": "#FF6600", "color_palette": ["#FF6600", "#112233"],
                                      "core_slogan": "Bake it better"}})
                .to_string(),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.json);
        assert_eq!(created.json["object"], "brand");
        assert_eq!(created.json["status"], "completed");
        let brand = data(&created.json);
        assert_eq!(brand["object"], "brand");
        assert_eq!(brand["domain"], "acme.example");
        assert_eq!(brand["brand_dna"]["core_slogan"], "Bake it better");
        assert_eq!(brand["logo"], Value::Null);
        assert!(brand.get("org_id").is_none(), "no internal fields: {brand}");
        ids.push(brand["id"].as_str().expect("id").to_owned());
    }
    let read = c.get(&format!("{BRANDS}/{}", ids[0])).await;
    assert_eq!(read.status, 200);
    assert_eq!(data(&read.json)["name"], "Brand 0");

    let list = c.get(&format!("{BRANDS}?limit=2")).await;
    assert_eq!(list.status, 200, "{}", list.json);
    assert_eq!(list.json["object"], "list");
    let page = data(&list.json);
    assert_eq!(page["total_count"], 3);
    assert_eq!(page["has_more"], true);
    let names: Vec<&str> = page["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|b| b["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Brand 2", "Brand 1"], "newest first");
    let rest = c.get(&format!("{BRANDS}?limit=2&offset=2")).await;
    assert_eq!(data(&rest.json)["has_more"], false);
    assert_eq!(data(&rest.json)["data"][0]["name"], "Brand 0");

    let deleted = c.delete(&format!("{BRANDS}/{}", ids[1])).await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    assert_eq!(data(&deleted.json)["deleted"], true);
    c.get(&format!("{BRANDS}/{}", ids[1])).await.assert_error(
        404,
        "not_found_error",
        "brand_not_found",
    );
    c.delete(&format!("{BRANDS}/{}", ids[1]))
        .await
        .assert_error(404, "not_found_error", "brand_not_found");
    assert_eq!(data(&c.get(BRANDS).await.json)["total_count"], 2);

    // A generation may name the brand; a deleted one is unknown.
    let ok = c
        .post(
            "/api/v1/images/generations",
            None,
            &json!({"prompt": "x", "brand_id": ids[0]}).to_string(),
        )
        .await;
    assert_eq!(ok.status, 202, "{}", ok.json);
    c.post(
        "/api/v1/images/generations",
        None,
        &json!({"prompt": "x", "brand_id": ids[1]}).to_string(),
    )
    .await
    .assert_error(400, "invalid_request_error", "brand_not_found");
}

async fn every_validation_rule_names_its_param(b: Backend) {
    let c = client(&b).await;
    let refused = c
        .post(
            BRANDS,
            None,
            &json!({
                "name": " ", "domain": "acme example", "colour": "red",
                "brand_dna": {
                    "primary_background_hex": "#12345", "primary_accent_hex": "orange",
                    "color_palette": ["#000000", 3, "#FFFFFF", "#111111", "#222222", "#333333", "#444444", "#555555", "#666666"],
                    "typography_rules": "x".repeat(501), "font_family": "f".repeat(101),
                    "core_slogan": "s".repeat(201), "tone_of_voice": "t".repeat(501),
                    "imagen_style_conditioning": "i".repeat(1001), "call_to_action": "c".repeat(61),
                    "mascot": "owl"
                }
            })
            .to_string(),
        )
        .await;
    refused.assert_error(400, "invalid_request_error", "invalid_request_body");
    let issues: Vec<(String, String)> = refused.json["error"]["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            (
                i["param"].as_str().unwrap_or("").to_owned(),
                i["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expect = [
        ("colour", "unknown_field"),
        ("name", "too_short"),
        ("domain", "invalid_domain"),
        ("brand_dna.mascot", "unknown_field"),
        ("brand_dna.call_to_action", "too_long"),
        ("brand_dna.color_palette", "too_many"),
        ("brand_dna.color_palette[1]", "invalid_colour"),
        ("brand_dna.core_slogan", "too_long"),
        ("brand_dna.font_family", "too_long"),
        ("brand_dna.imagen_style_conditioning", "too_long"),
        ("brand_dna.primary_accent_hex", "invalid_colour"),
        ("brand_dna.primary_background_hex", "invalid_colour"),
        ("brand_dna.tone_of_voice", "too_long"),
        ("brand_dna.typography_rules", "too_long"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(issues, expect);
    assert_eq!(refused.json["error"]["param"], "colour");
    // Nothing was stored.
    assert_eq!(data(&c.get(BRANDS).await.json)["total_count"], 0);
}

async fn logos_are_prepared_stored_and_linked(b: Backend) {
    let c = client(&b).await;
    let png = images::png(300, 100);
    let created = c
        .post(
            BRANDS,
            None,
            &json!({"name": "Logo Co", "logo": format!("data:image/png;base64,{}", b64(&png))})
                .to_string(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let logo = &data(&created.json)["logo"];
    assert_eq!(
        (
            &logo["width"],
            &logo["height"],
            &logo["format"],
            &logo["source_format"]
        ),
        (&json!(300), &json!(100), &json!("png"), &json!("png"))
    );
    let url = logo["url"].as_str().expect("a logo URL");
    assert!(!url.is_empty());
    // The logo is in the blob store as a PNG, under the brand.
    let id = data(&created.json)["id"].as_str().expect("id");
    let key = format!("brands/{}/{id}/logo.png", c.org);
    let blob = b.blobs.get(&key).await.expect("get").expect("stored logo");
    assert_eq!(blob.content_type, "image/png");
    assert!(blob.bytes.starts_with(b"\x89PNG"));

    // A logo by https URL is kept as given (the worker fetches it when it draws it).
    let remote = c
        .post(
            BRANDS,
            None,
            &json!({"name": "Remote", "logo": "https://cdn.example.com/logo.png"}).to_string(),
        )
        .await;
    assert_eq!(remote.status, 201, "{}", remote.json);
    assert_eq!(
        data(&remote.json)["logo"]["url"],
        "https://cdn.example.com/logo.png"
    );

    // Bytes that are no image are refused before anything is stored.
    for (logo, code) in [
        (b64(b"GIF89a not a logo"), "unsupported_format"),
        (
            format!("data:image/png;base64,{}", b64(&png[..40])),
            "invalid_image",
        ),
        (
            "http://cdn.example.com/logo.png".to_owned(),
            "unsupported_scheme",
        ),
        ("https://10.0.0.1/logo.png".to_owned(), "blocked_address"),
    ] {
        let refused = c
            .post(
                BRANDS,
                None,
                &json!({"name": "Bad", "logo": logo}).to_string(),
            )
            .await;
        refused.assert_error(400, "invalid_request_error", "invalid_request_body");
        assert_eq!(refused.json["error"]["param"], "logo");
        assert_eq!(
            refused.json["error"]["issues"][0]["code"], code,
            "{}",
            refused.json
        );
    }
    assert_eq!(data(&c.get(BRANDS).await.json)["total_count"], 2);

    // Deleting the brand removes its logo.
    assert_eq!(c.delete(&format!("{BRANDS}/{id}")).await.status, 200);
    assert_eq!(b.blobs.get(&key).await.expect("get"), None);
}

async fn other_organisations_see_nothing(b: Backend) {
    let owner = client(&b).await;
    let other = client(&b).await;
    let created = owner
        .post(BRANDS, None, &json!({"name": "Mine"}).to_string())
        .await;
    let id = data(&created.json)["id"].as_str().expect("id").to_owned();
    other.get(&format!("{BRANDS}/{id}")).await.assert_error(
        404,
        "not_found_error",
        "brand_not_found",
    );
    other.delete(&format!("{BRANDS}/{id}")).await.assert_error(
        404,
        "not_found_error",
        "brand_not_found",
    );
    assert_eq!(data(&other.get(BRANDS).await.json)["total_count"], 0);
    other
        .post(
            "/api/v1/images/generations",
            None,
            &json!({"prompt": "x", "brand_id": id}).to_string(),
        )
        .await
        .assert_error(400, "invalid_request_error", "brand_not_found");
    // Still there for its owner.
    assert_eq!(owner.get(&format!("{BRANDS}/{id}")).await.status, 200);
}

async fn malformed_requests_get_precise_errors(b: Backend) {
    let c = client(&b).await;
    c.post(BRANDS, None, "{not json").await.assert_error(
        400,
        "invalid_request_error",
        "invalid_json_body",
    );
    c.post(BRANDS, None, "[1]").await.assert_error(
        400,
        "invalid_request_error",
        "invalid_request_body",
    );
    c.get(&format!("{BRANDS}/not-a-uuid")).await.assert_error(
        400,
        "invalid_request_error",
        "invalid_brand_id",
    );
    for query in ["limit=0", "limit=101", "offset=x", "page=2"] {
        c.get(&format!("{BRANDS}?{query}")).await.assert_error(
            400,
            "invalid_request_error",
            "invalid_query_param",
        );
    }
    c.get(&format!("{BRANDS}/extract")).await.assert_error(
        405,
        "invalid_request_error",
        "method_not_allowed",
    );
    c.post(&format!("{BRANDS}/{}", uuid::Uuid::new_v4()), None, "{}")
        .await
        .assert_error(405, "invalid_request_error", "method_not_allowed");
    c.delete(BRANDS)
        .await
        .assert_error(405, "invalid_request_error", "method_not_allowed");
    c.post(
        &format!("{BRANDS}/extract"),
        None,
        r#"{"url": "http://example.com"}"#,
    )
    .await
    .assert_error(400, "invalid_request_error", "invalid_request_body");
    // No key: the usual authentication error.
    let anonymous = adgen_tests::answer(
        c.app
            .api
            .handle(adgen_tests::request("GET", BRANDS, None, None, ""))
            .await,
    );
    anonymous.assert_error(401, "authentication_error", "missing_authorization_header");
}
