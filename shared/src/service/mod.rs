//! Use cases, each over the ports only.

pub mod jobs;
pub mod submit;
pub mod sweep;
