//! The generate function's cold start with a hosted provider: its key is read from Secrets
//! Manager (moto, over the wire) before any client is built; a secret that cannot be read
//! fails the start with the variable's and the secret's names, never a value.

use adgen::config::{GenerateConfig, GeneratorConfig, ProviderSettings};
use adgen_generate::{GenerateFunction, InitError};
use adgen_tests::{Backend, Kind};

async fn config_with_secret(b: &Backend, secret: &str) -> GenerateConfig {
    let aws = b.aws.as_ref().expect("an AWS backend");
    GenerateConfig {
        aws: aws.config.clone(),
        lease_seconds: 900,
        max_receives: 5,
        generator: GeneratorConfig::Gemini(ProviderSettings {
            base_url: "https://generativelanguage.googleapis.com".into(),
            api_key: String::new(),
            model: "gemini-3-pro-image-preview".into(),
            capabilities: adgen::models::ModelTable::shipped()
                .get("gemini-3-pro-image-preview")
                .cloned()
                .expect("shipped"),
            request_timeout: std::time::Duration::from_secs(60),
        }),
        provider_key_secret: Some(secret.to_owned()),
        // moto serves Secrets Manager beside SQS and S3.
        secrets_endpoint: aws.config.sqs_endpoint.clone(),
    }
}

#[tokio::test]
async fn the_provider_key_is_read_from_secrets_manager_at_cold_start() {
    let b = Backend::new(Kind::Aws).await;
    let aws = b.aws.as_ref().expect("an AWS backend");
    let conf = adgen_aws::sdk_config(adgen_aws::DEFAULT_REGION).await;
    let client = adgen_aws::secrets::secrets_client(&conf, aws.config.sqs_endpoint.as_deref());
    let name = format!("{}-provider-key", aws.config.bucket);
    let created = client
        .create_secret()
        .name(&name)
        .secret_string("  gm-test-key-123\n")
        .send()
        .await
        .expect("secret created on moto");
    let arn = created.arn().expect("an ARN").to_owned();

    assert_eq!(
        adgen_aws::secrets::secret_string(&client, &arn)
            .await
            .expect("read"),
        "gm-test-key-123"
    );
    GenerateFunction::new(&config_with_secret(&b, &arn).await)
        .await
        .expect("a readable secret starts the function");

    let missing = format!("{arn}-gone");
    let err = match GenerateFunction::new(&config_with_secret(&b, &missing).await).await {
        Err(e) => e,
        Ok(_) => panic!("a missing secret must fail the cold start"),
    };
    assert!(matches!(err, InitError::ProviderKey(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("ADGEN_PROVIDER_API_KEY_SECRET") && text.contains(&missing),
        "{text}"
    );
}
