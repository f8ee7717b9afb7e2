//! The deliver function: each SQS record of the delivery queue is one scheduled attempt of a
//! webhook delivery (spec §5). The batch's attempts run at once; a record whose step failed on
//! our side (a store or queue error) is reported as a batch item failure and returns.

use std::sync::Arc;

use adgen::config::AwsConfig;
use adgen::ports::{SystemClock, WebhookSender};
use adgen::service::deliver::{Deliverer, DeliveryRecord, deliver_batch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub struct DeliverFunction {
    deliverer: Deliverer,
}

impl DeliverFunction {
    /// Builds every client once per cold start.
    pub async fn new(
        config: &AwsConfig,
    ) -> Result<Self, adgen_outbound::http_client::ClientBuildError> {
        let adapters = adgen_aws::adapters(config).await;
        // Lambda never sends to loopback URLs (spec §8).
        let sender = adgen_outbound::webhook::webhook_sender(false)?;
        Ok(Self::with(Deliverer::new(
            &adapters,
            sender,
            Arc::new(SystemClock),
        )))
    }

    pub fn with(deliverer: Deliverer) -> Self {
        Self { deliverer }
    }

    /// A deliverer over given adapters and sender (tests).
    pub fn over(adapters: &adgen::ports::Adapters, sender: Arc<dyn WebhookSender>) -> Self {
        Self::with(Deliverer::new(adapters, sender, Arc::new(SystemClock)))
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let records = event
            .records
            .into_iter()
            .filter_map(|record| {
                // Lambda always sends a message id; a record without one can't be reported.
                let id = record.message_id.filter(|id| !id.is_empty())?;
                Some(DeliveryRecord {
                    id,
                    body: record.body.unwrap_or_default(),
                })
            })
            .collect();
        let mut response = SqsBatchResponse::default();
        for id in deliver_batch(&self.deliverer, records).await {
            response.add_failure(id);
        }
        response
    }
}
