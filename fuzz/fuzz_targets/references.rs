//! Reference images as a client sends them (https URL, data URL, raw base64, upload://) and the URL rules
//! of spec §6: never a panic; an accepted URL is https (or a local host only when allowed) and
//! names no private address literally; accepted inline bytes are what they were sniffed as.
#![no_main]

use adgen::contract::reference::{ImageKind, ReferenceImage, check_url, parse_reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let loopback = selector & 1 != 0;
    match parse_reference(text, loopback) {
        Ok(ReferenceImage::Url(url)) => accepted_url(&url, loopback),
        Ok(ReferenceImage::Inline(image)) => {
            assert_eq!(ImageKind::sniff(&image.bytes), Some(image.kind));
            assert!(image.bytes.len() <= 15 * 1024 * 1024);
        }
        Ok(ReferenceImage::Upload(id)) => {
            assert!(text.trim().eq_ignore_ascii_case(&id.reference()), "{text}");
        }
        Err((code, message)) => assert!(!code.is_empty() && !message.is_empty()),
    }
    if let Ok(url) = check_url(text, loopback) {
        accepted_url(&url, loopback);
    }
});

fn accepted_url(text: &str, loopback: bool) {
    let url = url::Url::parse(text).expect("an accepted URL parses");
    if loopback && adgen::contract::reference::is_local_dev_url(&url) {
        return;
    }
    assert_eq!(url.scheme(), "https", "{text}");
    match url.host() {
        Some(url::Host::Ipv4(ip)) => assert!(adgen::net::is_public_unicast(ip.into()), "{text}"),
        Some(url::Host::Ipv6(ip)) => assert!(adgen::net::is_public_unicast(ip.into()), "{text}"),
        Some(url::Host::Domain(_)) => {}
        None => panic!("an accepted URL without a host: {text}"),
    }
}
