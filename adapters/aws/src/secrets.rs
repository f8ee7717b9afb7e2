//! Secrets Manager: the hosted image provider's API key, read once at the generate function's
//! cold start. Never an environment value, where anyone allowed to read the function's
//! configuration (or a deployment log) would see it; the function's role may read this one
//! secret and nothing else.

use aws_config::SdkConfig;

use crate::CallError;
use aws_sdk_secretsmanager::error::DisplayErrorContext;

pub fn secrets_client(
    conf: &SdkConfig,
    endpoint_url: Option<&str>,
) -> aws_sdk_secretsmanager::Client {
    sdk_client!(aws_sdk_secretsmanager, conf, endpoint_url)
}

/// The text of the secret `secret_id` (an ARN or a name), trimmed; an empty or binary-only
/// secret is an error.
pub async fn secret_string(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, CallError> {
    let answer = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            CallError(format!(
                "reading the secret {secret_id}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    match answer.secret_string().map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text.to_owned()),
        _ => Err(CallError(format!(
            "the secret {secret_id} holds no text (store the key itself as the secret's string)"
        ))),
    }
}
