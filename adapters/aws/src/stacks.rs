//! CloudFormation: a deployed stack's outputs, for operator commands run from a laptop
//! (`adgen keys create --aws --stack NAME` finds the table there instead of asking for it).

use std::collections::BTreeMap;

use aws_config::SdkConfig;

use crate::CallError;
use aws_sdk_cloudformation::error::DisplayErrorContext;

pub fn cloudformation_client(
    conf: &SdkConfig,
    endpoint_url: Option<&str>,
) -> aws_sdk_cloudformation::Client {
    sdk_client!(aws_sdk_cloudformation, conf, endpoint_url)
}

/// The outputs (key -> value) of the stack `name`.
pub async fn stack_outputs(
    client: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Result<BTreeMap<String, String>, CallError> {
    let answer = client
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| {
            CallError(format!(
                "reading the stack {name}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    let stack = answer
        .stacks()
        .first()
        .ok_or_else(|| CallError(format!("no stack named {name}")))?;
    Ok(stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect())
}
