//! Use cases, each over the ports only.

pub mod generate;
pub mod jobs;
pub mod submit;
pub mod sweep;
