//! Lambda function of the intake queue (spec §10): SQS batches with partial batch failures.

use std::sync::Arc;

use adgen::config::{IntakeConfig, process_env};
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = std::time::Instant::now();
    adgen_aws::logging::init();
    // Misconfiguration fails the cold start with the variable's name.
    let config = IntakeConfig::from_env(&process_env())?;
    let function = Arc::new(adgen_intake::IntakeFunction::new(&config).await);
    adgen_aws::logging::ready("intake", started);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let function = function.clone();
        async move { Ok::<_, lambda_runtime::Error>(function.handle(event.payload).await) }
    }))
    .await
}
