//! Webhook endpoints (spec §5): register (the secret returned once), read, list, turn on or
//! off, delete, rotate the secret (the old one keeps signing for 24 hours), send a test
//! event, read the delivery log and resend one delivery. Every record is scoped to the
//! caller's organisation: another organisation's endpoint answers exactly as a missing one.

use std::sync::Arc;

use uuid::Uuid;

use crate::auth::Principal;
use crate::contract::Issue;
use crate::contract::brand::ListQuery;
use crate::contract::generation::BodyError;
use crate::contract::webhook::{CreateWebhook, UpdateWebhook};
use crate::ports::{
    Adapters, Clock, DeliveriesOf, DeliveryStore, PortError, WebhookSender, WebhookStore,
};
use crate::service::auth::{AuthSettings, Authenticator};
use crate::service::deliver::Deliverer;
use crate::webhooks::delivery::Delivery;
use crate::webhooks::{Endpoint, MAX_ENDPOINTS_PER_ORG, Secret};

#[derive(Debug, Clone, Copy)]
pub struct WebhooksSettings {
    pub max_body_bytes: usize,
    /// `adgen serve --allow-loopback-urls` (spec §8); always false on Lambda.
    pub allow_loopback_urls: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("invalid request body")]
    InvalidBody(Vec<Issue>),
    #[error("invalid query")]
    InvalidQuery(Vec<Issue>),
    #[error("webhook id is not a UUID")]
    InvalidWebhookId,
    /// Missing, or another organisation's.
    #[error("webhook not found")]
    NotFound,
    #[error("delivery id is not a UUID")]
    InvalidDeliveryId,
    #[error("delivery not found")]
    DeliveryNotFound,
    #[error("the organisation has {MAX_ENDPOINTS_PER_ORG} webhook endpoints already")]
    LimitReached,
    #[error("secret generation failed: {0}")]
    Random(String),
    #[error(transparent)]
    Dependency(#[from] PortError),
}

impl From<BodyError> for WebhookError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Json(text) => WebhookError::InvalidJson(text),
            BodyError::Invalid(issues) => WebhookError::InvalidBody(issues),
        }
    }
}

/// An endpoint as answered; `secret` only at creation and rotation.
#[derive(Debug, Clone)]
pub struct EndpointRead {
    pub endpoint: Endpoint,
    pub reveal_secret: bool,
}

#[derive(Debug, Clone)]
pub struct EndpointList {
    pub endpoints: Vec<Endpoint>,
    pub total_count: usize,
    pub has_more: bool,
}

#[derive(Debug, Clone)]
pub struct DeliveryList {
    pub deliveries: Vec<Delivery>,
    pub total_count: usize,
    pub has_more: bool,
}

pub struct WebhooksService {
    pub auth: Arc<Authenticator>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    pub deliverer: Deliverer,
    pub clock: Arc<dyn Clock>,
    pub settings: WebhooksSettings,
}

impl WebhooksService {
    /// The service over one adapter set; `sender` makes the test and resend attempts.
    pub fn new(
        adapters: &Adapters,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
        auth: AuthSettings,
        settings: WebhooksSettings,
    ) -> Self {
        Self {
            auth: Arc::new(Authenticator::new(
                adapters.keys.clone(),
                adapters.rate_limits.clone(),
                auth,
            )),
            webhooks: adapters.webhooks.clone(),
            deliveries: adapters.deliveries.clone(),
            deliverer: Deliverer::new(adapters, sender, clock.clone()),
            clock,
            settings,
        }
    }

    pub async fn create(
        &self,
        principal: Principal,
        body: &[u8],
    ) -> Result<EndpointRead, WebhookError> {
        let request = CreateWebhook::parse(body, self.settings.allow_loopback_urls)?;
        let existing = self.webhooks.list(principal.org_id, 1, 0).await?;
        if existing.total_count >= MAX_ENDPOINTS_PER_ORG {
            return Err(WebhookError::LimitReached);
        }
        let secret = match request.secret {
            Some(secret) => secret,
            None => Secret::generate().map_err(|e| WebhookError::Random(e.to_string()))?,
        };
        let endpoint = Endpoint::new(
            Uuid::new_v4(),
            principal.org_id,
            request.endpoint_url,
            request.description,
            secret,
            self.clock.now(),
        );
        self.webhooks.create(&endpoint).await?;
        tracing::info!(webhook_id = %endpoint.id, "webhook endpoint created");
        Ok(EndpointRead {
            endpoint,
            reveal_secret: true,
        })
    }

    pub async fn get(&self, principal: Principal, id: &str) -> Result<Endpoint, WebhookError> {
        let id = Uuid::try_parse(id).map_err(|_| WebhookError::InvalidWebhookId)?;
        self.webhooks
            .get(principal.org_id, id)
            .await?
            .ok_or(WebhookError::NotFound)
    }

    pub async fn list(
        &self,
        principal: Principal,
        query: Option<&str>,
    ) -> Result<EndpointList, WebhookError> {
        let query = ListQuery::parse(query).map_err(WebhookError::InvalidQuery)?;
        let page = self
            .webhooks
            .list(principal.org_id, query.limit, query.offset)
            .await?;
        Ok(EndpointList {
            has_more: query.offset + page.endpoints.len() < page.total_count,
            endpoints: page.endpoints,
            total_count: page.total_count,
        })
    }

    /// `PATCH`: turns the endpoint on or off.
    pub async fn update(
        &self,
        principal: Principal,
        id: &str,
        body: &[u8],
    ) -> Result<Endpoint, WebhookError> {
        let request = UpdateWebhook::parse(body)?;
        self.change(principal, id, |e, now| {
            e.with_active(request.is_active, now)
        })
        .await
    }

    pub async fn rotate(
        &self,
        principal: Principal,
        id: &str,
    ) -> Result<EndpointRead, WebhookError> {
        let secret = Secret::generate().map_err(|e| WebhookError::Random(e.to_string()))?;
        let endpoint = self
            .change(principal, id, |e, now| e.rotated(secret.clone(), now))
            .await?;
        tracing::info!(webhook_id = %endpoint.id, "webhook secret rotated");
        Ok(EndpointRead {
            endpoint,
            reveal_secret: true,
        })
    }

    /// Applies `change` over the stored endpoint, again over a fresh read when a concurrent
    /// write (a delivery recording the endpoint's health) got in first.
    async fn change(
        &self,
        principal: Principal,
        id: &str,
        change: impl Fn(&Endpoint, crate::UnixSeconds) -> Endpoint,
    ) -> Result<Endpoint, WebhookError> {
        for _ in 0..5 {
            let current = self.get(principal, id).await?;
            let next = change(&current, self.clock.now());
            if self.webhooks.update(&next).await? {
                return Ok(next);
            }
        }
        Err(PortError::Unavailable("webhook store", "too many concurrent changes".into()).into())
    }

    pub async fn delete(&self, principal: Principal, id: &str) -> Result<Uuid, WebhookError> {
        let id = Uuid::try_parse(id).map_err(|_| WebhookError::InvalidWebhookId)?;
        if !self.webhooks.delete(principal.org_id, id).await? {
            return Err(WebhookError::NotFound);
        }
        tracing::info!(webhook_id = %id, "webhook endpoint deleted");
        Ok(id)
    }

    /// Sends a `webhook.test` event now; the delivery with its one attempt.
    pub async fn test(&self, principal: Principal, id: &str) -> Result<Delivery, WebhookError> {
        let endpoint = self.get(principal, id).await?;
        Ok(self.deliverer.test(&endpoint).await?)
    }

    pub async fn deliveries(
        &self,
        principal: Principal,
        id: &str,
        query: Option<&str>,
    ) -> Result<DeliveryList, WebhookError> {
        let query = ListQuery::parse(query).map_err(WebhookError::InvalidQuery)?;
        let endpoint = self.get(principal, id).await?;
        let page = self
            .deliveries
            .list(
                principal.org_id,
                DeliveriesOf::Endpoint(endpoint.id),
                query.limit,
                query.offset,
            )
            .await?;
        Ok(DeliveryList {
            has_more: query.offset + page.deliveries.len() < page.total_count,
            deliveries: page.deliveries,
            total_count: page.total_count,
        })
    }

    pub async fn resend(
        &self,
        principal: Principal,
        id: &str,
        delivery_id: &str,
    ) -> Result<Delivery, WebhookError> {
        let endpoint = self.get(principal, id).await?;
        let delivery_id =
            Uuid::try_parse(delivery_id).map_err(|_| WebhookError::InvalidDeliveryId)?;
        let delivery = self
            .deliveries
            .get(principal.org_id, delivery_id)
            .await?
            .filter(|d| d.endpoint_id == endpoint.id)
            .ok_or(WebhookError::DeliveryNotFound)?;
        Ok(self.deliverer.resend(&endpoint, &delivery).await?)
    }
}
