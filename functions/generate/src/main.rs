//! Lambda function of the generation worker: SQS batches (partial batch failures) and the
//! (no sweep: that is functions/sweep).

use std::sync::Arc;

use adgen::config::{GenerateConfig, process_env};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = std::time::Instant::now();
    adgen_aws::logging::init();
    // Misconfiguration fails the cold start with the variable's name.
    let config = GenerateConfig::from_env(&process_env())?;
    let worker = Arc::new(adgen_generate::GenerateFunction::new(&config).await?);
    adgen_aws::logging::ready("generate", started);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let worker = worker.clone();
        async move { worker.handle(event.payload, event.context.deadline()).await }
    }))
    .await
}
