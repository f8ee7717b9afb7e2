//! Verifies webhook deliveries with an implementation of Standard Webhooks that is not ours:
//! the reference library from PyPI (`standardwebhooks`), run by the Python of the test tools
//! (`ADGEN_PYTHON`, exported by `scripts/emulators.sh start`). A test that checks our
//! signatures with our own signing code proves nothing about the wire format.

use std::io::Write;
use std::process::{Command, Stdio};

const VERIFY: &str = r#"
import json, sys
from standardwebhooks import Webhook
given = json.load(sys.stdin)
try:
    payload = Webhook(given["secret"]).verify(given["body"], given["headers"])
    print(json.dumps({"ok": True, "payload": payload}))
except Exception as e:
    print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
"#;

/// The payload, when `secret` verifies the delivery (`headers` as received, `body` as sent);
/// otherwise why not, in the library's words.
pub fn verify(
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<serde_json::Value, String> {
    let python = std::env::var("ADGEN_PYTHON").map_err(|_| {
        "ADGEN_PYTHON is not set: run the tests with scripts/test.sh (it installs standardwebhooks)"
            .to_owned()
    })?;
    let wanted = ["webhook-id", "webhook-timestamp", "webhook-signature"];
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .filter(|(name, _)| wanted.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone().into()))
        .collect();
    let input = serde_json::json!({
        "secret": secret,
        "headers": headers,
        "body": String::from_utf8_lossy(body),
    });
    let mut child = Command::new(&python)
        .args(["-c", VERIFY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {python}: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(input.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|_| {
        format!(
            "the verifier failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    match answer["ok"].as_bool() {
        Some(true) => Ok(answer["payload"].clone()),
        _ => Err(answer["error"].as_str().unwrap_or("unknown").to_owned()),
    }
}
