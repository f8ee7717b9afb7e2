//! adgen's image adapter: decode references under limits, resize, render the offline ad
//! template, encode the output. Pure synchronous functions over in-memory bytes and pixels (no
//! I/O); the worker decides where they run (`cpu_bound`: `block_in_place` on a multi-threaded
//! runtime), and the tests need no fixtures.
//!
//! [`Codec`] implements the domain's `ImageCodec` port and [`TemplateGenerator`] its
//! `ImageGenerator` port. Inside, pixels are `image::RgbaImage` (one type for references, logos
//! and the canvas); the domain's `Pixels` wraps the same buffer, converted without copying.
//! The JPEG path decodes and shrinks in RGB and widens to RGBA only at the reduced size, which
//! is where the memory goes.
//!
//! Brands: logos (PNG, JPEG, WebP, or SVG scanned and rasterised with `resvg`, see `logo`) are
//! prepared once into bounded PNGs and placed by the template with clear space; the brand's
//! font family is mapped onto one of three embedded families ([`FontFamily::from_css`]).

mod codec;
mod decode;
mod draw;
mod encode;
mod generator;
mod logo;
mod palette;
mod resize;
mod template;
mod text;

pub use codec::{Codec, RgbaView, from_image, image_view, to_image, view};
pub use decode::{DecodeLimits, Decoded, decode, decode_fit, decode_scaled};
pub use draw::Rect;
pub use encode::{EncodedImage, downscale_for_provider, encode, encode_as};
pub use generator::TemplateGenerator;
pub use image::RgbaImage;
pub use palette::palette_from_references;
pub use resize::{contain, cover};
pub use template::{
    AdLayout, BlockFit, Rendered, Role, TextLayout, TextLine, layout_text, reference_target,
    render, render_ad,
};
pub use text::{FontFamily, FontId, Weight};

/// Why an image could not be decoded or encoded: the image port's own error.
pub use adgen::ports::ImageError as RenderError;

/// The largest single allocation a closure makes on this thread, to prove that refused
/// images are refused before their pixel buffers exist. Installed as the global allocator of
/// this crate's unit-test binary only; it forwards everything to the system allocator.
#[cfg(test)]
pub(crate) mod alloc_probe {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    struct Probe;

    thread_local! {
        static LARGEST: Cell<usize> = const { Cell::new(0) };
    }

    fn note(size: usize) {
        // `try_with`: allocations during thread teardown must not panic.
        let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    }

    // SAFETY: every call is forwarded unchanged to `System`; the probe only records sizes.
    unsafe impl GlobalAlloc for Probe {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            unsafe { System.realloc(ptr, layout, new_size) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Probe = Probe;

    pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
        LARGEST.with(|l| l.set(0));
        let result = f();
        (result, LARGEST.with(Cell::get))
    }
}
