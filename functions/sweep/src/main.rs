//! Lambda function of the sweep (an EventBridge schedule).

use adgen::config::{AwsConfig, process_env};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = std::time::Instant::now();
    adgen_aws::logging::init();
    // Misconfiguration fails the cold start with the variable's name.
    let config = AwsConfig::from_env(&process_env())?;
    let function = std::sync::Arc::new(adgen_sweep::SweepFunction::new(&config).await);
    adgen_aws::logging::ready("sweep", started);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let function = function.clone();
        async move { function.handle(event.payload).await }
    }))
    .await
}
