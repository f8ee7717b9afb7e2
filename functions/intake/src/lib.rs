//! The intake function (spec §10): each record of the intake queue is a generation request
//! from an upstream pipeline, handled by the submission service exactly as the HTTP route
//! handles it. Accepted and rejected messages are done (a rejected one is in the intake
//! dead-letter queue with its error envelope); a failure on our side is reported as a batch
//! item failure, so the message returns.

use std::sync::Arc;

use adgen::ports::RejectQueue;
use adgen::service::intake::{Intake, IntakeOutcome};
use adgen::service::submit::SubmitService;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

pub struct IntakeFunction {
    intake: Intake,
}

impl IntakeFunction {
    /// Builds every client once per cold start.
    pub async fn new(config: &adgen::config::IntakeConfig) -> Self {
        let aws = &config.submit.aws;
        let clients = adgen_aws::AwsClients::load(
            adgen_aws::DEFAULT_REGION,
            &adgen_aws::Endpoints::from(aws),
        )
        .await;
        Self::over(clients, config)
    }

    /// The function over clients already built (tests point them at the emulators).
    pub fn over(clients: adgen_aws::AwsClients, config: &adgen::config::IntakeConfig) -> Self {
        let rejects =
            adgen_aws::SqsRejects::new(clients.sqs.clone(), config.reject_queue_url.clone());
        let adapters = adgen_aws::adapters_from(clients, &config.submit.aws);
        let submit = SubmitService::new(
            &adapters,
            Arc::new(adgen::ports::SystemClock),
            adgen_lambda::submit_settings(&config.submit),
        );
        Self::with(submit, Arc::new(rejects), adapters.bus.clone())
    }

    pub fn with(
        submit: SubmitService,
        rejects: Arc<dyn RejectQueue>,
        bus: Option<Arc<dyn adgen::ports::EventBus>>,
    ) -> Self {
        Self {
            intake: Intake {
                submit: Arc::new(submit),
                rejects,
                bus,
            },
        }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in event.records {
            // Lambda always sends a message id; a record without one can't be reported.
            let Some(id) = record.message_id.filter(|id| !id.is_empty()) else {
                continue;
            };
            let body = record.body.unwrap_or_default();
            if let IntakeOutcome::Retry(cause) = self.intake.handle(&body).await {
                tracing::warn!(message_id = %id, %cause, "intake message returns for another try");
                response.add_failure(id);
            }
        }
        response
    }
}
