//! The readers of brand extraction: HTML pages, stylesheets and web manifests as a hostile
//! site serves them. Never a panic, whatever the bytes.
#![no_main]

use adgen::brands::extract::{read_manifest, read_page, read_stylesheet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let base = url::Url::parse("https://brand.example/shop/index.html").expect("base URL");
    match selector % 3 {
        0 => {
            let _ = read_page(bytes, &base);
        }
        1 => {
            let _ = read_stylesheet(bytes, &base);
        }
        _ => {
            let _ = read_manifest(bytes, &base);
        }
    }
});
