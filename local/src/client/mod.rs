//! The `adgen` client commands (`generate`, `jobs`, `brands`, `webhooks`): the HTTP contract
//! of `docs/openapi.yaml` spoken from the command line, against `adgen serve` or a deployed API.
//!
//! Why a client at all: integrators judge an API by its first five minutes, and hand-written
//! curl with base64 in it is a poor five minutes. The client adds no rule of its own: bodies
//! are built from the flags and the server judges them, so an error printed here is the
//! contract's own error (code, message, `param`, request id) on one line.
//!
//! - `api`: the HTTP session (endpoint, key, retries of safe requests, the error envelope);
//! - `generate`: building a generation body from flags and local files, submitting, waiting;
//! - `jobs`: reading a job and waiting for it with a progress line;
//! - `resources`: the brand and webhook commands, each one request.
//!
//! Exit codes are part of the interface (documented in `adgen --help` and the README):
//! see [`Failure::exit_code`].

pub mod api;
pub mod generate;
pub mod jobs;
pub mod resources;

use std::fmt;

/// The exit codes of the client commands (0 is success).
pub mod exit {
    /// A local file could not be read or written.
    pub const LOCAL: u8 = 1;
    /// Bad flags or environment (clap also exits 2 on a usage error).
    pub const USAGE: u8 = 2;
    /// The API refused the request (a 4xx in the error envelope).
    pub const REFUSED: u8 = 3;
    /// The API failed (5xx) or could not be reached, or answered outside the contract.
    pub const UNAVAILABLE: u8 = 4;
    /// The job ended `failed`.
    pub const JOB_FAILED: u8 = 5;
    /// `--wait` gave up: the job was still running when `--timeout` passed.
    pub const TIMED_OUT: u8 = 6;
}

/// Why a client command did not succeed; each variant is one exit code and one line.
#[derive(Debug)]
pub enum Failure {
    Local(String),
    Usage(String),
    /// The API's error envelope (4xx or 5xx).
    Api(Box<ApiError>),
    /// No answer, or one that is not the contract's (a proxy's page, a cut connection).
    Unavailable(String),
    JobFailed {
        job_id: String,
        code: String,
        message: String,
    },
    TimedOut {
        job_id: String,
        status: String,
        waited_seconds: u64,
    },
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Local(_) => exit::LOCAL,
            Failure::Usage(_) => exit::USAGE,
            Failure::Api(e) if e.status < 500 => exit::REFUSED,
            Failure::Api(_) | Failure::Unavailable(_) => exit::UNAVAILABLE,
            Failure::JobFailed { .. } => exit::JOB_FAILED,
            Failure::TimedOut { .. } => exit::TIMED_OUT,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Local(message) | Failure::Usage(message) | Failure::Unavailable(message) => {
                write!(f, "error: {message}")
            }
            Failure::Api(e) => write!(f, "{e}"),
            Failure::JobFailed {
                job_id,
                code,
                message,
            } => write!(f, "error: job {job_id} failed: {code}: {message}"),
            Failure::TimedOut {
                job_id,
                status,
                waited_seconds,
            } => write!(
                f,
                "error: job {job_id} is still {status} after {waited_seconds} s; read it later with `adgen jobs get {job_id} --wait`"
            ),
        }
    }
}

/// An error the API answered in its envelope (spec §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub param: Option<String>,
    pub request_id: Option<String>,
    /// The params of the other issues listed after the first.
    pub more_params: Vec<String>,
}

impl fmt::Display for ApiError {
    /// One line: `error: 400 invalid_request_body: <message> (param: prompt; request_id: req_pi_…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {} {}: {}", self.status, self.code, self.message)?;
        let mut details = Vec::new();
        if let Some(param) = &self.param {
            details.push(format!("param: {param}"));
        }
        details.push(format!(
            "request_id: {}",
            self.request_id.as_deref().unwrap_or("none")
        ));
        if !self.more_params.is_empty() {
            details.push(format!(
                "{} more: {}",
                self.more_params.len(),
                self.more_params.join(", ")
            ));
        }
        write!(f, " ({})", details.join("; "))
    }
}

/// What a client command's run ends with.
pub type Outcome = Result<(), Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_error_is_one_line_with_code_message_param_and_request_id() {
        let e = ApiError {
            status: 400,
            code: "invalid_request_body".into(),
            message: "prompt is required".into(),
            param: Some("prompt".into()),
            request_id: Some("req_pi_1".into()),
            more_params: vec!["colour".into(), "output.aspect_ratio".into()],
        };
        assert_eq!(
            Failure::Api(Box::new(e.clone())).to_string(),
            "error: 400 invalid_request_body: prompt is required (param: prompt; request_id: req_pi_1; 2 more: colour, output.aspect_ratio)"
        );
        assert_eq!(Failure::Api(Box::new(e.clone())).exit_code(), exit::REFUSED);
        let server = ApiError {
            status: 503,
            param: None,
            more_params: vec![],
            ..e
        };
        assert!(!server.to_string().contains('\n'));
        assert_eq!(
            Failure::Api(Box::new(server)).exit_code(),
            exit::UNAVAILABLE
        );
    }

    #[test]
    fn every_failure_has_its_own_exit_code() {
        let codes = [
            Failure::Local(String::new()).exit_code(),
            Failure::Usage(String::new()).exit_code(),
            exit::REFUSED,
            Failure::Unavailable(String::new()).exit_code(),
            Failure::JobFailed {
                job_id: String::new(),
                code: String::new(),
                message: String::new(),
            }
            .exit_code(),
            Failure::TimedOut {
                job_id: String::new(),
                status: String::new(),
                waited_seconds: 0,
            }
            .exit_code(),
        ];
        let unique: std::collections::BTreeSet<u8> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(!codes.contains(&0));
    }
}
