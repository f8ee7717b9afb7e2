//! Implementations of the ports: AWS (DynamoDB, SQS, S3) and embedded (SQLite, local folder).

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
