//! Webhook signature verification (a receiver's side, `webhooks::sign::verify`) on hostile
//! headers and bodies: never a panic; what we sign always verifies, and a changed body never.
#![no_main]

use adgen::webhooks::{Secret, sign};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW: i64 = 1_764_100_000;

fuzz_target!(|data: &[u8]| {
    let secret = Secret::parse(SECRET).expect("secret");
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let (id, timestamp, header, body) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("").as_bytes(),
    );
    let _ = sign::verify(&secret, id, timestamp, header, body, NOW);
    let signed = sign::headers(&[&secret], id, NOW, body);
    let signature = &signed[2].1;
    assert_eq!(sign::verify(&secret, id, &NOW.to_string(), signature, body, NOW), Ok(()));
    let mut changed = body.to_vec();
    changed.push(b'!');
    assert!(sign::verify(&secret, id, &NOW.to_string(), signature, &changed, NOW).is_err());
});
