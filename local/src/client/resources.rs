//! `adgen brands …` and `adgen webhooks …`: one request each, the answer's `data` printed as
//! JSON on stdout (a webhook's secret appears only where the API returns it: on creation and
//! rotation).

use std::path::PathBuf;
use std::time::Duration;

use adgen::uploads::Use;
use clap::Subcommand;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::api::{self, Session};
use super::generate::{local_reference, read_json, send_references};
use super::jobs::{outcome, path_segment, print_json, wait_for};
use super::{Failure, Outcome};

#[derive(Debug, Subcommand)]
pub enum BrandsCommand {
    /// Create a brand from a Brand DNA document (spec §7).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        domain: Option<String>,
        /// A JSON file holding the `brand_dna` object.
        #[arg(long, value_name = "FILE")]
        dna: Option<PathBuf>,
        /// A PNG, JPEG, WebP or SVG file (sent inline), or an https:// URL.
        #[arg(long, value_name = "FILE_OR_URL")]
        logo: Option<String>,
    },
    /// Read one brand.
    Get { id: String },
    /// List the organisation's brands, newest first.
    List {
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// Delete a brand.
    Delete { id: String },
    /// Extract a brand from a website (a `brand_extraction` job).
    Extract {
        url: String,
        /// Wait for the extraction and print the brand.
        #[arg(long)]
        wait: bool,
        /// Seconds `--wait` waits before giving up (exit code 6).
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[arg(long)]
        idempotency_key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Register an endpoint; its signing secret is printed once.
    Create {
        #[arg(long)]
        url: String,
        /// `whsec_<base64>`; generated when absent.
        #[arg(long)]
        secret: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// List the organisation's endpoints.
    List {
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// Read one endpoint.
    Get { id: String },
    /// Deliver to the endpoint again.
    Enable { id: String },
    /// Stop delivering to the endpoint.
    Disable { id: String },
    /// Delete an endpoint.
    Delete { id: String },
    /// Make a new secret (printed once); the old one keeps signing for 24 hours.
    RotateSecret { id: String },
    /// Send a signed `webhook.test` event now and print the attempt.
    Test { id: String },
    /// The endpoint's deliveries, newest first, with every attempt.
    Deliveries {
        id: String,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// Send a delivery's event again (same event id, one attempt).
    Resend { id: String, delivery_id: String },
}

const BRANDS: &str = "/api/v1/brands";
const WEBHOOKS: &str = "/api/v1/webhooks";

pub async fn brands(session: &Session, command: BrandsCommand) -> Outcome {
    let reply = match command {
        BrandsCommand::Create {
            name,
            domain,
            dna,
            logo: logo_arg,
        } => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            if let Some(domain) = domain {
                body.insert("domain".into(), json!(domain));
            }
            if let Some(path) = dna {
                body.insert("brand_dna".into(), read_json(&path)?);
            }
            if let Some(value) = logo_arg {
                let logo = local_reference(&value, Use::Logo)?;
                let mut sent = send_references(session, vec![logo]).await?;
                body.insert("logo".into(), json!(sent.pop()));
            }
            let body = Value::Object(body);
            session
                .call(Method::POST, BRANDS, Some(&body), None)
                .await?
        }
        BrandsCommand::Get { id } => session.get(&one(BRANDS, &id)).await?,
        BrandsCommand::List { limit, offset } => {
            session.get(&listing(BRANDS, limit, offset)).await?
        }
        BrandsCommand::Delete { id } => {
            session
                .call(Method::DELETE, &one(BRANDS, &id), None, None)
                .await?
        }
        BrandsCommand::Extract {
            url,
            wait,
            timeout,
            idempotency_key,
        } => {
            let key = api::idempotency_key(idempotency_key);
            let body = json!({ "url": url });
            let reply = session
                .call(
                    Method::POST,
                    "/api/v1/brands/extract",
                    Some(&body),
                    Some(&key),
                )
                .await?;
            let job_id = reply.job_id()?;
            if !wait {
                println!("{job_id}");
                return Ok(());
            }
            let job = wait_for(
                session,
                &job_id,
                &["brand".to_owned()],
                Duration::from_secs(timeout),
            )
            .await?;
            outcome(&job_id, &job)?;
            print_json(&job["brand"]);
            return Ok(());
        }
    };
    print_json(reply.data());
    Ok(())
}

pub async fn webhooks(session: &Session, command: WebhooksCommand) -> Outcome {
    let post = |path: String, body: Option<Value>| async move {
        session.call(Method::POST, &path, body.as_ref(), None).await
    };
    let reply = match command {
        WebhooksCommand::Create {
            url,
            secret,
            description,
        } => {
            let mut body = Map::new();
            body.insert("endpoint_url".into(), json!(url));
            if let Some(secret) = secret {
                body.insert("secret".into(), json!(secret));
            }
            if let Some(description) = description {
                body.insert("description".into(), json!(description));
            }
            post(WEBHOOKS.to_owned(), Some(Value::Object(body))).await?
        }
        WebhooksCommand::List { limit, offset } => {
            session.get(&listing(WEBHOOKS, limit, offset)).await?
        }
        WebhooksCommand::Get { id } => session.get(&one(WEBHOOKS, &id)).await?,
        WebhooksCommand::Enable { id } => set_active(session, &id, true).await?,
        WebhooksCommand::Disable { id } => set_active(session, &id, false).await?,
        WebhooksCommand::Delete { id } => {
            session
                .call(Method::DELETE, &one(WEBHOOKS, &id), None, None)
                .await?
        }
        WebhooksCommand::RotateSecret { id } => {
            post(format!("{}/rotate-secret", one(WEBHOOKS, &id)), None).await?
        }
        WebhooksCommand::Test { id } => post(format!("{}/test", one(WEBHOOKS, &id)), None).await?,
        WebhooksCommand::Deliveries { id, limit, offset } => {
            let path = format!("{}/deliveries", one(WEBHOOKS, &id));
            session.get(&listing(&path, limit, offset)).await?
        }
        WebhooksCommand::Resend { id, delivery_id } => {
            post(
                format!(
                    "{}/deliveries/{}/resend",
                    one(WEBHOOKS, &id),
                    path_segment(&delivery_id)
                ),
                None,
            )
            .await?
        }
    };
    print_json(reply.data());
    Ok(())
}

async fn set_active(
    session: &Session,
    id: &str,
    active: bool,
) -> Result<super::api::Reply, Failure> {
    let body = json!({ "is_active": active });
    session
        .call(Method::PATCH, &one(WEBHOOKS, id), Some(&body), None)
        .await
}

fn one(collection: &str, id: &str) -> String {
    format!("{collection}/{}", path_segment(id))
}

fn listing(path: &str, limit: Option<u32>, offset: Option<u32>) -> String {
    let query: Vec<String> = [("limit", limit), ("offset", offset)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={v}")))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_carry_only_the_given_bounds() {
        assert_eq!(listing(BRANDS, None, None), "/api/v1/brands");
        assert_eq!(
            listing(BRANDS, Some(5), Some(10)),
            "/api/v1/brands?limit=5&offset=10"
        );
        assert_eq!(
            listing(WEBHOOKS, None, Some(3)),
            "/api/v1/webhooks?offset=3"
        );
    }
}
