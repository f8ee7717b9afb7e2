//! Image sniffing and decoding under limits (PNG, JPEG, WebP references; PNG, JPEG, WebP and
//! SVG logos): never a panic; whatever decodes stays within the limits asked for.
#![no_main]

use adgen::ports::{ImageCodec, MAX_LOGO_SIDE, ReferenceFit};
use adgen_render::{Codec, DecodeLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    // Small limits, so that a fuzzer's image decodes quickly and the limits are exercised.
    let codec = Codec::new(DecodeLimits {
        max_width: 2048,
        max_height: 2048,
        max_pixels: 2048 * 2048,
        max_alloc: 64 * 1024 * 1024,
    });
    if selector & 1 == 0 {
        // Both fits, chosen by the selector's next bit.
        let fit = if selector & 2 == 0 {
            ReferenceFit::Cover {
                width: 256,
                height: 256,
            }
        } else {
            ReferenceFit::Within { side: 256 }
        };
        if let Ok(pixels) = codec.decode_reference(bytes, fit) {
            assert!(pixels.width() <= 2048 && pixels.height() <= 2048);
            if let ReferenceFit::Within { side } = fit {
                assert!(pixels.width() <= side && pixels.height() <= side);
            }
            assert_eq!(
                pixels.as_rgba().len(),
                pixels.width() as usize * pixels.height() as usize * 4
            );
        }
    } else if let Ok(logo) = codec.prepare_logo(bytes) {
        assert!(logo.width <= MAX_LOGO_SIDE && logo.height <= MAX_LOGO_SIDE);
        assert!(logo.png.starts_with(b"\x89PNG"));
    }
});
