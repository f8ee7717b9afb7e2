//! Reading a job (`adgen jobs get`) and waiting for one (`--wait`), with a progress line.
//!
//! Waiting is the API's own long-poll (`wait_for_completion=true`, spec §4), so a finished job
//! is seen the moment it finishes. On a terminal each poll lasts one second, so the progress
//! line (phase and elapsed time) moves while the job runs; elsewhere (a log, a pipe) polls last
//! 20 s and a plain line is printed only when the phase changes.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::api::Session;
use super::{Failure, Outcome};

const TERMINAL_POLL_SECONDS: u64 = 1;
const QUIET_POLL_SECONDS: u64 = 20;

/// `adgen jobs get ID [--wait] [--expand …]`: the job record, as JSON on stdout.
pub async fn get(
    session: &Session,
    id: &str,
    wait: bool,
    timeout: Duration,
    expand: &[String],
) -> Outcome {
    let job = if wait {
        wait_for(session, id, expand, timeout).await?
    } else {
        read(session, id, expand, None).await?
    };
    print_json(&job);
    if wait { outcome(id, &job) } else { Ok(()) }
}

/// A job that ended `failed` is the command's failure.
pub fn outcome(id: &str, job: &Value) -> Outcome {
    if job["status"] == "failed" {
        let text = |key: &str| job["payload"][key].as_str().unwrap_or("unknown").to_owned();
        return Err(Failure::JobFailed {
            job_id: id.to_owned(),
            code: text("failure_code"),
            message: text("message"),
        });
    }
    Ok(())
}

/// One read of `GET /api/v1/jobs/{id}`, long-polling `wait_seconds` when given.
async fn read(
    session: &Session,
    id: &str,
    expand: &[String],
    wait_seconds: Option<u64>,
) -> Result<Value, Failure> {
    let mut query = Vec::new();
    if let Some(seconds) = wait_seconds {
        query.push(format!(
            "wait_for_completion=true&timeout_seconds={seconds}"
        ));
    }
    if !expand.is_empty() {
        query.push(format!("expand={}", expand.join(",")));
    }
    let path = if query.is_empty() {
        format!("/api/v1/jobs/{}", path_segment(id))
    } else {
        format!("/api/v1/jobs/{}?{}", path_segment(id), query.join("&"))
    };
    Ok(session.get(&path).await?.data().clone())
}

/// Waits until the job is `completed` or `failed` (or `timeout` passes), showing progress on
/// stderr; returns the final record.
pub async fn wait_for(
    session: &Session,
    id: &str,
    expand: &[String],
    timeout: Duration,
) -> Result<Value, Failure> {
    let mut progress = Progress::new(id);
    let poll = if progress.live {
        TERMINAL_POLL_SECONDS
    } else {
        QUIET_POLL_SECONDS
    };
    loop {
        let left = timeout.saturating_sub(progress.started.elapsed()).as_secs();
        let job = read(session, id, expand, Some(poll.min(left).max(1))).await;
        let job = match job {
            Ok(job) => job,
            Err(e) => {
                progress.clear();
                return Err(e);
            }
        };
        let status = job["status"].as_str().unwrap_or("unknown");
        if matches!(status, "completed" | "failed") {
            progress.finish(status);
            return Ok(job);
        }
        if progress.started.elapsed() >= timeout {
            progress.clear();
            return Err(Failure::TimedOut {
                job_id: id.to_owned(),
                status: status.to_owned(),
                waited_seconds: timeout.as_secs(),
            });
        }
        let phase = job["payload"]["phase"].as_str().unwrap_or(status);
        progress.show(phase);
    }
}

/// Job ids are UUIDs, but the command line may hold anything: keep it one path segment.
pub fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn print_json(value: &Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    println!("{text}");
}

/// The progress line on stderr: redrawn in place on a terminal, one line per phase elsewhere.
struct Progress {
    id: String,
    live: bool,
    started: Instant,
    last_phase: Option<String>,
    frame: usize,
}

impl Progress {
    fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            live: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_phase: None,
            frame: 0,
        }
    }

    fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn show(&mut self, phase: &str) {
        let mut err = std::io::stderr().lock();
        if self.live {
            const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
            self.frame = (self.frame + 1) % FRAMES.len();
            let _ = write!(
                err,
                "\r\x1b[2K{} job {}: {phase} ({:.0} s)",
                FRAMES[self.frame],
                self.id,
                self.elapsed()
            );
            let _ = err.flush();
        } else if self.last_phase.as_deref() != Some(phase) {
            let _ = writeln!(err, "job {}: {phase} ({:.1} s)", self.id, self.elapsed());
        }
        self.last_phase = Some(phase.to_owned());
    }

    fn clear(&self) {
        if self.live {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }

    fn finish(&self, status: &str) {
        self.clear();
        eprintln!("job {}: {status} in {:.1} s", self.id, self.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_from_the_command_line_stays_one_path_segment() {
        assert_eq!(path_segment("7b8c9f2f-8d7a"), "7b8c9f2f-8d7a");
        assert_eq!(path_segment("../brands?x=1"), "..%2Fbrands%3Fx%3D1");
    }

    #[test]
    fn a_failed_job_is_the_commands_failure_with_its_code() {
        let job = serde_json::json!({"status": "failed", "payload": {"failure_code": "reference_input_invalid", "message": "reference_images[0] is not an image"}});
        let e = outcome("j", &job).expect_err("failed");
        assert_eq!(
            e.to_string(),
            "error: job j failed: reference_input_invalid: reference_images[0] is not an image"
        );
        assert!(outcome("j", &serde_json::json!({"status": "completed"})).is_ok());
    }
}
