//! Configuration, read and validated once at cold start. A bad value fails start-up with a
//! message naming the variable.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Reads variables through `lookup`, so tests need not touch the process environment.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The value, with an empty string counted as unset.
    pub fn optional(&self, name: &'static str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    pub fn number(
        &self,
        name: &'static str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, ConfigError> {
        let Some(text) = self.optional(name) else {
            return Ok(default);
        };
        let value: i64 = text.parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("{text:?} is not a whole number"),
        })?;
        if !(min..=max).contains(&value) {
            return Err(ConfigError::Invalid {
                name,
                reason: format!("{value} is outside {min}..={max}"),
            });
        }
        Ok(value)
    }

    pub fn url(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let Some(text) = self.optional(name) else {
            return Ok(None);
        };
        url::Url::parse(&text).map_err(|e| ConfigError::Invalid {
            name,
            reason: format!("not a URL ({e})"),
        })?;
        Ok(Some(text))
    }
}

/// The process environment.
pub fn process_env() -> Env<impl Fn(&str) -> Option<String>> {
    Env(|name: &str| std::env::var(name).ok())
}

/// Settings every function shares.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub table: String,
    pub dynamodb_endpoint: Option<String>,
    pub api_key_cache_ttl: Duration,
}

impl CommonConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            table: env.required("ADGEN_TABLE")?,
            dynamodb_endpoint: env.url("ADGEN_DYNAMODB_ENDPOINT")?,
            api_key_cache_ttl: Duration::from_secs(env.number(
                "ADGEN_API_KEY_CACHE_SECONDS",
                30,
                0,
                60,
            )? as u64),
        })
    }
}

/// Where result images live and how their URLs are minted.
#[derive(Debug, Clone)]
pub struct ImageLinksConfig {
    pub bucket: String,
    pub s3_endpoint: Option<String>,
    /// Lifetime of presigned URLs; shorter than the role's session, since they die with it.
    pub url_expiry: Duration,
    /// A public (CDN) base URL in front of the bucket; when set, URLs are not presigned.
    pub public_base_url: Option<String>,
}

impl ImageLinksConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            bucket: env.required("ADGEN_BUCKET")?,
            s3_endpoint: env.url("ADGEN_S3_ENDPOINT")?,
            url_expiry: Duration::from_secs(env.number(
                "ADGEN_IMAGE_URL_EXPIRY_SECONDS",
                900,
                60,
                3600,
            )? as u64),
            public_base_url: env.url("ADGEN_IMAGE_PUBLIC_BASE_URL")?,
        })
    }
}

/// The jobs function's settings.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub common: CommonConfig,
    pub links: ImageLinksConfig,
}

impl JobsConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            links: ImageLinksConfig::from_env(env)?,
        })
    }
}

/// The submit function's settings.
#[derive(Debug, Clone)]
pub struct SubmitConfig {
    pub common: CommonConfig,
    pub queue_url: String,
    pub sqs_endpoint: Option<String>,
    pub bucket: String,
    pub s3_endpoint: Option<String>,
    pub idempotency_ttl_seconds: i64,
}

impl SubmitConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let queue_url = env.required("ADGEN_QUEUE_URL")?;
        url::Url::parse(&queue_url).map_err(|e| ConfigError::Invalid {
            name: "ADGEN_QUEUE_URL",
            reason: format!("not a URL ({e})"),
        })?;
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            queue_url,
            sqs_endpoint: env.url("ADGEN_SQS_ENDPOINT")?,
            bucket: env.required("ADGEN_BUCKET")?,
            s3_endpoint: env.url("ADGEN_S3_ENDPOINT")?,
            idempotency_ttl_seconds: env.number(
                "ADGEN_IDEMPOTENCY_TTL_SECONDS",
                86_400,
                86_400,
                30 * 86_400,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env(move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn missing_and_invalid_variables_are_named() {
        let err = SubmitConfig::from_env(&env(&[("ADGEN_TABLE", "t")])).expect_err("queue missing");
        assert_eq!(
            err.to_string(),
            "environment variable ADGEN_QUEUE_URL is required but not set"
        );
        let err = SubmitConfig::from_env(&env(&[
            ("ADGEN_TABLE", "t"),
            ("ADGEN_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
            ("ADGEN_BUCKET", "b"),
            ("ADGEN_IDEMPOTENCY_TTL_SECONDS", "60"),
        ]))
        .expect_err("ttl below 24 h");
        assert!(
            err.to_string().contains("ADGEN_IDEMPOTENCY_TTL_SECONDS"),
            "{err}"
        );
    }

    #[test]
    fn empty_endpoint_counts_as_unset() {
        let config = SubmitConfig::from_env(&env(&[
            ("ADGEN_TABLE", "t"),
            ("ADGEN_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
            ("ADGEN_BUCKET", "b"),
            ("ADGEN_DYNAMODB_ENDPOINT", ""),
        ]))
        .expect("valid");
        assert_eq!(config.common.dynamodb_endpoint, None);
        assert_eq!(config.idempotency_ttl_seconds, 86_400);
        assert_eq!(config.common.api_key_cache_ttl, Duration::from_secs(30));
    }
}
