//! Configuration, read and validated once at cold start. A bad value fails start-up with a
//! message naming the variable.

use std::time::Duration;

use crate::models::{ModelCapabilities, ModelTable, Provider};

use crate::ratelimit::MAX_LIMIT_PER_MINUTE;
use crate::service::auth::{AuthSettings, DEFAULT_CACHE_TTL, MAX_CACHE_TTL};
use crate::service::idempotency::DEFAULT_TTL_SECONDS;

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

    pub fn required_url(&self, name: &'static str) -> Result<String, ConfigError> {
        self.url(name)?.ok_or(ConfigError::Missing(name))
    }
}

/// The process environment.
pub fn process_env() -> Env<impl Fn(&str) -> Option<String>> {
    Env(|name: &str| std::env::var(name).ok())
}

/// Where the records live: the DynamoDB table (and an emulator's endpoint, in tests).
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub table: String,
    pub dynamodb_endpoint: Option<String>,
}

impl StoreConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            table: env.required("ADGEN_TABLE")?,
            dynamodb_endpoint: env.url("ADGEN_DYNAMODB_ENDPOINT")?,
        })
    }
}

/// How result image URLs are minted.
#[derive(Debug, Clone)]
pub struct LinksConfig {
    /// Lifetime of presigned URLs; shorter than the role's session, since they die with it.
    pub url_expiry: Duration,
    /// A public (CDN) base URL in front of the bucket; when set, URLs are not presigned.
    pub public_base_url: Option<String>,
}

/// The bus of `ADGEN_EVENT_BUS` when unset: the account's default bus.
pub const DEFAULT_EVENT_BUS: &str = "default";

/// The AWS resources every function is wired to (one adapter set): table, bucket, generation
/// queue, the emulator endpoints tests set, and the API-key cache of a warm instance.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    pub store: StoreConfig,
    pub bucket: String,
    pub s3_endpoint: Option<String>,
    pub queue_url: String,
    pub sqs_endpoint: Option<String>,
    /// The webhook delivery queue (spec §5).
    pub delivery_queue_url: String,
    /// The EventBridge bus completion events go to (spec §10).
    pub event_bus: String,
    pub events_endpoint: Option<String>,
    pub links: LinksConfig,
    /// The API-key cache of a warm instance and the per-key rate limit (spec §9).
    pub auth: AuthSettings,
}

impl AwsConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let queue_url = env.required_url("ADGEN_QUEUE_URL")?;
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            bucket: env.required("ADGEN_BUCKET")?,
            s3_endpoint: env.url("ADGEN_S3_ENDPOINT")?,
            queue_url,
            sqs_endpoint: env.url("ADGEN_SQS_ENDPOINT")?,
            delivery_queue_url: env.required_url("ADGEN_DELIVERY_QUEUE_URL")?,
            event_bus: env
                .optional("ADGEN_EVENT_BUS")
                .unwrap_or_else(|| DEFAULT_EVENT_BUS.to_owned()),
            events_endpoint: env.url("ADGEN_EVENTS_ENDPOINT")?,
            links: LinksConfig {
                url_expiry: Duration::from_secs(env.number(
                    "ADGEN_IMAGE_URL_EXPIRY_SECONDS",
                    900,
                    60,
                    3600,
                )? as u64),
                public_base_url: env.url("ADGEN_IMAGE_PUBLIC_BASE_URL")?,
            },
            auth: AuthSettings {
                key_cache_ttl: Duration::from_secs(env.number(
                    "ADGEN_API_KEY_CACHE_SECONDS",
                    DEFAULT_CACHE_TTL.as_secs() as i64,
                    0,
                    MAX_CACHE_TTL.as_secs() as i64,
                )? as u64),
                rate_limit_per_minute: rate_limit(env)?,
            },
        })
    }
}

/// `ADGEN_RATE_LIMIT_PER_MINUTE`: requests per API key in any 60 s, 1 to
/// [`MAX_LIMIT_PER_MINUTE`]; unset means no limit.
fn rate_limit<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Option<u32>, ConfigError> {
    const NAME: &str = "ADGEN_RATE_LIMIT_PER_MINUTE";
    if env.optional(NAME).is_none() {
        return Ok(None);
    }
    let limit = env.number(NAME, 0, 1, MAX_LIMIT_PER_MINUTE.into())?;
    Ok(u32::try_from(limit).ok())
}

/// The jobs function's settings.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub aws: AwsConfig,
}

impl JobsConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsConfig::from_env(env)?,
        })
    }
}

/// `ADGEN_IDEMPOTENCY_TTL_SECONDS`: 1 to 30 days, default (and minimum) the contract's 24 h.
fn idempotency_ttl<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<i64, ConfigError> {
    env.number(
        "ADGEN_IDEMPOTENCY_TTL_SECONDS",
        DEFAULT_TTL_SECONDS,
        DEFAULT_TTL_SECONDS,
        30 * 86_400,
    )
}

/// The brands function's settings.
#[derive(Debug, Clone)]
pub struct BrandsConfig {
    pub aws: AwsConfig,
    /// The largest request body (a brand with an inline logo); API Gateway + Lambda carry 6 MB.
    pub max_body_bytes: usize,
    /// How long an extraction's `Idempotency-Key` is kept (as for submissions).
    pub idempotency_ttl_seconds: i64,
}

/// What API Gateway + Lambda carry in one request.
pub const LAMBDA_MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

impl BrandsConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsConfig::from_env(env)?,
            max_body_bytes: LAMBDA_MAX_BODY_BYTES,
            idempotency_ttl_seconds: idempotency_ttl(env)?,
        })
    }
}

/// The webhooks function's settings (endpoint management; spec §5).
#[derive(Debug, Clone)]
pub struct WebhooksConfig {
    pub aws: AwsConfig,
    pub max_body_bytes: usize,
}

impl WebhooksConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsConfig::from_env(env)?,
            max_body_bytes: LAMBDA_MAX_BODY_BYTES,
        })
    }
}

/// The intake function's settings (spec §10): the AWS wiring, the intake dead-letter queue
/// invalid messages go to, and the idempotency settings of submissions.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub submit: SubmitConfig,
    pub reject_queue_url: String,
}

impl IntakeConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            submit: SubmitConfig::from_env(env)?,
            reject_queue_url: env.required_url("ADGEN_INTAKE_DLQ_URL")?,
        })
    }
}

/// The submit function's settings.
#[derive(Debug, Clone)]
pub struct SubmitConfig {
    pub aws: AwsConfig,
    pub idempotency_ttl_seconds: i64,
}

impl SubmitConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsConfig::from_env(env)?,
            idempotency_ttl_seconds: idempotency_ttl(env)?,
        })
    }
}

/// How long one request to a hosted image model may take: they take tens of seconds to
/// minutes.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(300);

/// Which image generator the worker uses.
#[derive(Debug, Clone, PartialEq)]
pub enum GeneratorConfig {
    /// The offline template renderer (default).
    Template,
    Gemini(ProviderSettings),
    OpenAi(ProviderSettings),
}

/// A hosted provider's endpoint, credentials and model. The model id is always configuration:
/// provider model lifecycles are short.
#[derive(Clone, PartialEq)]
pub struct ProviderSettings {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    /// What the model accepts: its entry in the model table (`ADGEN_PROVIDER_MODELS` over the
    /// shipped one).
    pub capabilities: ModelCapabilities,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("capabilities", &self.capabilities)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Where a hosted provider's API key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeySource {
    /// `ADGEN_PROVIDER_API_KEY` (`adgen serve`: the operator's own shell).
    Environment,
    /// A Secrets Manager secret named by `ADGEN_PROVIDER_API_KEY_SECRET`, read at cold
    /// start (the Lambda functions: a key in a function's environment is visible to anyone who
    /// may read its configuration). The settings' `api_key` stays empty until then.
    SecretsManager,
}

/// The variable naming the provider key's secret on Lambda.
pub const PROVIDER_KEY_SECRET_VAR: &str = "ADGEN_PROVIDER_API_KEY_SECRET";

impl GeneratorConfig {
    /// The generator of `adgen serve`: a hosted provider's key from `ADGEN_PROVIDER_API_KEY`.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Self::parse(env, KeySource::Environment)
    }

    fn parse<F: Fn(&str) -> Option<String>>(
        env: &Env<F>,
        keys: KeySource,
    ) -> Result<Self, ConfigError> {
        let provider = |kind: Provider,
                        default_base: &str|
         -> Result<ProviderSettings, ConfigError> {
            let api_key = match keys {
                KeySource::Environment => env.required("ADGEN_PROVIDER_API_KEY")?,
                KeySource::SecretsManager => {
                    if env.optional("ADGEN_PROVIDER_API_KEY").is_some() {
                        return Err(ConfigError::Invalid {
                            name: "ADGEN_PROVIDER_API_KEY",
                            reason: format!(
                                "the functions never take a provider key from their environment: store it in Secrets Manager and set {PROVIDER_KEY_SECRET_VAR}"
                            ),
                        });
                    }
                    String::new()
                }
            };
            let base_url = env
                .url("ADGEN_PROVIDER_BASE_URL")?
                .unwrap_or_else(|| default_base.to_owned());
            check_base_url(&base_url, kind)?;
            let (model, capabilities) = model(env, kind)?;
            Ok(ProviderSettings {
                base_url,
                api_key,
                model,
                capabilities,
                request_timeout: Duration::from_secs(env.number(
                    "ADGEN_PROVIDER_TIMEOUT_SECONDS",
                    DEFAULT_PROVIDER_TIMEOUT.as_secs() as i64,
                    30,
                    840,
                )? as u64),
            })
        };
        match env.optional("ADGEN_GENERATOR").as_deref() {
            None | Some("template") => Ok(GeneratorConfig::Template),
            Some("gemini") => Ok(GeneratorConfig::Gemini(provider(
                Provider::Gemini,
                "https://generativelanguage.googleapis.com",
            )?)),
            Some("openai") => Ok(GeneratorConfig::OpenAi(provider(
                Provider::Openai,
                "https://api.openai.com",
            )?)),
            Some(other) => Err(ConfigError::Invalid {
                name: "ADGEN_GENERATOR",
                reason: format!("{other:?} is not one of template, gemini, openai"),
            }),
        }
    }

    /// The hosted provider's settings (`None` for the template renderer).
    pub fn provider_mut(&mut self) -> Option<&mut ProviderSettings> {
        match self {
            GeneratorConfig::Template => None,
            GeneratorConfig::Gemini(settings) | GeneratorConfig::OpenAi(settings) => Some(settings),
        }
    }
}

/// `ADGEN_PROVIDER_MODEL` and its entry in the model table (the shipped one with
/// `ADGEN_PROVIDER_MODELS` laid over it): a model the table does not know, or one of the other
/// provider, fails the start with the ids it would take.
fn model<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    kind: Provider,
) -> Result<(String, ModelCapabilities), ConfigError> {
    let table = match env.optional("ADGEN_PROVIDER_MODELS") {
        None => ModelTable::shipped(),
        Some(json) => ModelTable::with_overrides(&json).map_err(|reason| ConfigError::Invalid {
            name: "ADGEN_PROVIDER_MODELS",
            reason,
        })?,
    };
    let model = env.required("ADGEN_PROVIDER_MODEL")?;
    match table.get(&model) {
        Some(capabilities) if capabilities.provider == kind => Ok((model, capabilities.clone())),
        found => Err(ConfigError::Invalid {
            name: "ADGEN_PROVIDER_MODEL",
            reason: format!(
                "{model:?} is {} for ADGEN_GENERATOR={}: use one of {}, or describe it in ADGEN_PROVIDER_MODELS",
                match found {
                    Some(other) => format!("a model of {}", other.provider.as_str()),
                    None => "not a known model".to_owned(),
                },
                kind.as_str(),
                table.ids(kind).join(", ")
            ),
        }),
    }
}

/// A base URL is the API's root: adgen adds the version segment (`/v1`, `/v1beta`) itself, so a
/// base that already ends in one (the SDKs' convention, `https://api.openai.com/v1`) would
/// double it and every call would be a 404.
fn check_base_url(base_url: &str, kind: Provider) -> Result<(), ConfigError> {
    let path = url::Url::parse(base_url)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let is_version = last.len() >= 2
        && last.starts_with('v')
        && last[1..].starts_with(|c: char| c.is_ascii_digit())
        && last[1..]
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if is_version {
        let root = base_url.trim_end_matches('/');
        let root = &root[..root.len() - last.len() - 1];
        return Err(ConfigError::Invalid {
            name: "ADGEN_PROVIDER_BASE_URL",
            reason: format!(
                "{base_url:?} ends in the API version /{last}, which adgen adds itself for {}: use {root:?}",
                kind.as_str()
            ),
        });
    }
    Ok(())
}

/// A Secrets Manager secret id: a name (1-512 of `A-Za-z0-9/_+=.@-`) or a secret's ARN.
fn is_secret_id(id: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
    let is_arn =
        id.starts_with("arn:") && id.contains(":secretsmanager:") && id.contains(":secret:");
    (1..=2048).contains(&id.len()) && (is_arn || (id.len() <= 512 && id.chars().all(name_char)))
}

/// Deliveries of a job's message before a transient failure fails the job (the SQS redrive
/// `maxReceiveCount` of the template, and `adgen serve`'s own limit).
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

/// The generate function's settings (worker and sweep).
#[derive(Debug, Clone)]
pub struct GenerateConfig {
    pub aws: AwsConfig,
    /// How long a claim holds: at least the function's timeout, so a live worker keeps its job.
    pub lease_seconds: i64,
    /// Must equal the queue's redrive `maxReceiveCount`: the last delivery fails the job
    /// instead of leaving it to the dead-letter queue.
    pub max_receives: u32,
    /// A hosted generator's `api_key` is empty here: it is read from
    /// [`GenerateConfig::provider_key_secret`] at cold start.
    pub generator: GeneratorConfig,
    /// The Secrets Manager secret (name or ARN) holding a hosted provider's key; required for one.
    pub provider_key_secret: Option<String>,
    /// Emulators only: a Secrets Manager endpoint override.
    pub secrets_endpoint: Option<String>,
}

impl GenerateConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsConfig::from_env(env)?,
            lease_seconds: env.number("ADGEN_LEASE_SECONDS", 900, 60, 3600)?,
            max_receives: env.number("ADGEN_MAX_RECEIVES", DEFAULT_MAX_RECEIVES.into(), 1, 1000)?
                as u32,
            generator: GeneratorConfig::parse(env, KeySource::SecretsManager)?,
            provider_key_secret: None,
            secrets_endpoint: env.optional("ADGEN_SECRETSMANAGER_ENDPOINT"),
        })
        .and_then(|mut config| {
            if config.generator != GeneratorConfig::Template {
                let secret = env.required(PROVIDER_KEY_SECRET_VAR)?;
                if !is_secret_id(&secret) {
                    return Err(ConfigError::Invalid {
                        name: PROVIDER_KEY_SECRET_VAR,
                        reason: format!(
                            "{secret:?} is neither a Secrets Manager secret name (1-512 of A-Z a-z 0-9 / _ + = . @ -) nor a secret ARN"
                        ),
                    });
                }
                config.provider_key_secret = Some(secret);
            }
            Ok(config)
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
    fn rate_limit_is_optional_and_bounded() {
        let base = [
            ("ADGEN_TABLE", "t"),
            ("ADGEN_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
            (
                "ADGEN_DELIVERY_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/1/d",
            ),
            ("ADGEN_BUCKET", "b"),
        ];
        let with = |value: &'static str| {
            let mut pairs = base.to_vec();
            pairs.push(("ADGEN_RATE_LIMIT_PER_MINUTE", value));
            SubmitConfig::from_env(&env(&pairs))
        };
        assert_eq!(
            with("20").expect("valid").aws.auth.rate_limit_per_minute,
            Some(20)
        );
        assert_eq!(
            with(" ")
                .expect("blank is unset")
                .aws
                .auth
                .rate_limit_per_minute,
            None
        );
        for bad in ["0", "-3", "twenty", "1000001"] {
            let err = with(bad).expect_err(bad).to_string();
            assert!(err.contains("ADGEN_RATE_LIMIT_PER_MINUTE"), "{err}");
        }
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
            (
                "ADGEN_DELIVERY_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/1/d",
            ),
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
            (
                "ADGEN_DELIVERY_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/1/d",
            ),
            ("ADGEN_BUCKET", "b"),
            ("ADGEN_DYNAMODB_ENDPOINT", ""),
        ]))
        .expect("valid");
        assert_eq!(config.aws.store.dynamodb_endpoint, None);
        assert_eq!(config.idempotency_ttl_seconds, 86_400);
        assert_eq!(config.aws.auth.key_cache_ttl, Duration::from_secs(30));
        assert_eq!(config.aws.auth.rate_limit_per_minute, None);
        assert_eq!(config.aws.links.url_expiry, Duration::from_secs(900));
    }

    #[test]
    fn generator_selection_and_provider_settings() {
        let base = [
            ("ADGEN_TABLE", "t"),
            ("ADGEN_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
            (
                "ADGEN_DELIVERY_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/1/d",
            ),
            ("ADGEN_BUCKET", "b"),
        ];
        let config = GenerateConfig::from_env(&env(&base)).expect("valid");
        assert_eq!(config.generator, GeneratorConfig::Template);
        assert_eq!((config.lease_seconds, config.max_receives), (900, 5));

        let mut gemini = base.to_vec();
        gemini.extend([
            ("ADGEN_GENERATOR", "gemini"),
            ("ADGEN_PROVIDER_MODEL", "gemini-3-pro-image-preview"),
        ]);
        // On Lambda the key is a Secrets Manager secret, never an environment value.
        let err = GenerateConfig::from_env(&env(&gemini)).expect_err("secret missing");
        assert!(err.to_string().contains(PROVIDER_KEY_SECRET_VAR), "{err}");
        let mut plain = gemini.clone();
        plain.push(("ADGEN_PROVIDER_API_KEY", "secret"));
        let err = GenerateConfig::from_env(&env(&plain)).expect_err("plain key refused");
        assert!(
            err.to_string().contains("ADGEN_PROVIDER_API_KEY")
                && err.to_string().contains("Secrets Manager"),
            "{err}"
        );
        let mut bad_arn = gemini.clone();
        bad_arn.push((PROVIDER_KEY_SECRET_VAR, "my key!"));
        let err = GenerateConfig::from_env(&env(&bad_arn)).expect_err("not an ARN");
        assert!(err.to_string().contains(PROVIDER_KEY_SECRET_VAR), "{err}");
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:adgen-gemini-AbCdEf";
        let mut by_arn = gemini.clone();
        by_arn.push((PROVIDER_KEY_SECRET_VAR, arn));
        let config = GenerateConfig::from_env(&env(&by_arn)).expect("an ARN");
        assert_eq!(config.provider_key_secret.as_deref(), Some(arn));
        gemini.push((PROVIDER_KEY_SECRET_VAR, "adgen/provider-key"));
        let config = GenerateConfig::from_env(&env(&gemini)).expect("a name");
        assert_eq!(
            config.provider_key_secret.as_deref(),
            Some("adgen/provider-key")
        );
        let GeneratorConfig::Gemini(settings) = config.generator else {
            panic!("gemini selected");
        };
        assert_eq!(
            settings.base_url,
            "https://generativelanguage.googleapis.com"
        );
        assert_eq!(
            settings.api_key, "",
            "read at cold start, not from the environment"
        );

        // `adgen serve` takes the key from its operator's environment.
        let local = [
            ("ADGEN_GENERATOR", "gemini"),
            ("ADGEN_PROVIDER_MODEL", "gemini-3-pro-image-preview"),
        ];
        let err = GeneratorConfig::from_env(&env(&local)).expect_err("key missing");
        assert!(err.to_string().contains("ADGEN_PROVIDER_API_KEY"), "{err}");
        let mut local = local.to_vec();
        local.push(("ADGEN_PROVIDER_API_KEY", "secret"));
        let settings = GeneratorConfig::from_env(&env(&local))
            .expect("valid")
            .provider_mut()
            .cloned()
            .expect("hosted");
        assert_eq!(settings.api_key, "secret");
        assert!(
            !format!("{settings:?}").contains("secret"),
            "keys never reach logs"
        );

        let mut unknown = base.to_vec();
        unknown.push(("ADGEN_GENERATOR", "dall-e"));
        let err = GenerateConfig::from_env(&env(&unknown)).expect_err("unknown generator");
        assert!(err.to_string().contains("ADGEN_GENERATOR"), "{err}");
    }

    fn hosted(pairs: &[(&'static str, &'static str)]) -> Result<GeneratorConfig, ConfigError> {
        let mut all = vec![("ADGEN_PROVIDER_API_KEY", "secret")];
        all.extend_from_slice(pairs);
        GeneratorConfig::from_env(&env(&all))
    }

    #[test]
    fn the_model_must_be_one_the_table_knows_for_its_provider() {
        let settings = hosted(&[
            ("ADGEN_GENERATOR", "openai"),
            ("ADGEN_PROVIDER_MODEL", "gpt-image-2"),
        ])
        .expect("shipped model")
        .provider_mut()
        .cloned()
        .expect("hosted");
        assert_eq!(
            settings.capabilities.edit_encoding,
            crate::models::EditEncoding::Multipart
        );
        let missing = hosted(&[("ADGEN_GENERATOR", "openai")]).expect_err("no model");
        assert!(matches!(
            missing,
            ConfigError::Missing("ADGEN_PROVIDER_MODEL")
        ));
        let err = hosted(&[
            ("ADGEN_GENERATOR", "openai"),
            ("ADGEN_PROVIDER_MODEL", "dall-e-9"),
        ])
        .expect_err("unknown model")
        .to_string();
        assert!(
            err.contains("ADGEN_PROVIDER_MODEL")
                && err.contains("not a known model")
                && err.contains("gpt-image-2,")
                && !err.contains("gemini-3"),
            "{err}"
        );
        let err = hosted(&[
            ("ADGEN_GENERATOR", "gemini"),
            ("ADGEN_PROVIDER_MODEL", "gpt-image-2"),
        ])
        .expect_err("another provider's model")
        .to_string();
        assert!(
            err.contains("a model of openai") && err.contains("gemini-3-pro-image-preview"),
            "{err}"
        );
        // A model the shipped table lacks, described in configuration.
        let described = hosted(&[
            ("ADGEN_GENERATOR", "gemini"),
            ("ADGEN_PROVIDER_MODEL", "gemini-9-image"),
            (
                "ADGEN_PROVIDER_MODELS",
                r#"{"gemini-9-image": {"provider": "gemini", "max_references": 8, "max_reference_bytes": 9000000,
                    "sizes": {"rule": "classes", "aspect_ratios": ["1:1", "16:9"], "sizes": ["2K"]}}}"#,
            ),
        ])
        .expect("described");
        assert!(
            matches!(described, GeneratorConfig::Gemini(s) if s.capabilities.max_references == 8)
        );
        let err = hosted(&[
            ("ADGEN_GENERATOR", "gemini"),
            ("ADGEN_PROVIDER_MODEL", "gemini-3-pro-image-preview"),
            ("ADGEN_PROVIDER_MODELS", "{\"x\": 1}"),
        ])
        .expect_err("malformed table")
        .to_string();
        assert!(err.contains("ADGEN_PROVIDER_MODELS"), "{err}");
    }

    #[test]
    fn a_base_url_with_the_api_version_fails_the_start() {
        for (generator, model, base, root) in [
            (
                "openai",
                "gpt-image-2",
                "https://api.openai.com/v1",
                "https://api.openai.com",
            ),
            (
                "openai",
                "gpt-image-2",
                "https://proxy.example/openai/v1/",
                "https://proxy.example/openai",
            ),
            (
                "gemini",
                "gemini-3-pro-image-preview",
                "https://generativelanguage.googleapis.com/v1beta",
                "https://generativelanguage.googleapis.com",
            ),
        ] {
            let err = hosted(&[
                ("ADGEN_GENERATOR", generator),
                ("ADGEN_PROVIDER_MODEL", model),
                ("ADGEN_PROVIDER_BASE_URL", base),
            ])
            .expect_err(base)
            .to_string();
            assert!(
                err.contains("ADGEN_PROVIDER_BASE_URL") && err.contains(&format!("use {root:?}")),
                "{err}"
            );
        }
        for fine in [
            "https://api.openai.com",
            "https://proxy.example/openai/",
            "https://h.example/vault",
        ] {
            hosted(&[
                ("ADGEN_GENERATOR", "openai"),
                ("ADGEN_PROVIDER_MODEL", "gpt-image-2"),
                ("ADGEN_PROVIDER_BASE_URL", fine),
            ])
            .unwrap_or_else(|e| panic!("{fine}: {e}"));
        }
    }
}
