//! Drawing primitives on an opaque RGBA canvas: gradient, anti-aliased rounded rectangles and
//! circles, image tiles with rounded corners, and the colour arithmetic behind contrast choices.
//!
//! Drawn by hand instead of with `tiny-skia`: the template needs four shapes, each a few lines
//! as a signed distance per pixel, and this keeps a dependency and its build time out. Coverage
//! is computed at pixel centres in `f32` in a fixed order, so output is the same on every run.

use image::RgbaImage;

pub use adgen::pixels::Rgb;

/// An axis-aligned rectangle in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    pub fn new(x: f32, y: f32, width: f32, height: f32) -> Self {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    pub fn right(&self) -> f32 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.height
    }

    /// Whether `self` lies inside `outer` (edges may touch).
    pub fn is_within(&self, outer: &Rect) -> bool {
        const EPS: f32 = 0.01;
        self.x >= outer.x - EPS
            && self.y >= outer.y - EPS
            && self.right() <= outer.right() + EPS
            && self.bottom() <= outer.bottom() + EPS
    }

    /// The pixel rows and columns this rectangle touches, clipped to a `w`×`h` canvas.
    pub(crate) fn pixel_span(&self, w: u32, h: u32) -> (u32, u32, u32, u32) {
        let clip = |v: f32, max: u32| v.clamp(0.0, max as f32) as u32;
        (
            clip(self.x.floor(), w),
            clip(self.y.floor(), h),
            clip(self.right().ceil(), w),
            clip(self.bottom().ceil(), h),
        )
    }
}

/// A canvas filled with a vertical gradient from `top` to `bottom`.
pub fn gradient_canvas(width: u32, height: u32, top: Rgb, bottom: Rgb) -> RgbaImage {
    let mut canvas = RgbaImage::new(width, height);
    let denominator = height.saturating_sub(1).max(1) as f32;
    for (y, row) in canvas.rows_mut().enumerate() {
        let c = mix(top, bottom, y as f32 / denominator);
        let px = image::Rgba([c[0], c[1], c[2], u8::MAX]);
        row.for_each(|p| *p = px);
    }
    canvas
}

/// Blends `colour` at `opacity` × coverage into a pixel.
fn blend(canvas: &mut RgbaImage, x: u32, y: u32, colour: Rgb, alpha: f32) {
    if alpha <= 0.0 {
        return;
    }
    let p = canvas.get_pixel_mut(x, y);
    for i in 0..3 {
        p[i] = lerp_u8(p[i], colour[i], alpha.min(1.0));
    }
}

/// Coverage of the pixel centred at `(px, py)` by a rounded rectangle (signed distance).
fn rounded_rect_coverage(rect: &Rect, radius: f32, px: f32, py: f32) -> f32 {
    let half_w = rect.width / 2.0;
    let half_h = rect.height / 2.0;
    let r = radius.min(half_w).min(half_h).max(0.0);
    let qx = (px - (rect.x + half_w)).abs() - (half_w - r);
    let qy = (py - (rect.y + half_h)).abs() - (half_h - r);
    let outside = qx.max(0.0).hypot(qy.max(0.0));
    let inside = qx.max(qy).min(0.0);
    (0.5 - (outside + inside - r)).clamp(0.0, 1.0)
}

pub fn fill_rounded_rect(canvas: &mut RgbaImage, rect: &Rect, radius: f32, colour: Rgb) {
    let (x0, y0, x1, y1) = rect.pixel_span(canvas.width(), canvas.height());
    for y in y0..y1 {
        for x in x0..x1 {
            let cov = rounded_rect_coverage(rect, radius, x as f32 + 0.5, y as f32 + 0.5);
            blend(canvas, x, y, colour, cov);
        }
    }
}

/// A disc, or a ring when `thickness` is given, at `opacity`.
pub fn fill_circle(
    canvas: &mut RgbaImage,
    (cx, cy): (f32, f32),
    radius: f32,
    thickness: Option<f32>,
    colour: Rgb,
    opacity: f32,
) {
    let bounds = Rect::new(
        cx - radius - 1.0,
        cy - radius - 1.0,
        2.0 * radius + 2.0,
        2.0 * radius + 2.0,
    );
    let (x0, y0, x1, y1) = bounds.pixel_span(canvas.width(), canvas.height());
    for y in y0..y1 {
        for x in x0..x1 {
            let d = (x as f32 + 0.5 - cx).hypot(y as f32 + 0.5 - cy) - radius;
            let d = match thickness {
                Some(t) => (d + t / 2.0).abs() - t / 2.0,
                None => d,
            };
            blend(canvas, x, y, colour, (0.5 - d).clamp(0.0, 1.0) * opacity);
        }
    }
}

/// Draws `tile` with its top-left at `(x, y)`, corners rounded by `radius`, honouring the
/// tile's own alpha. Parts outside the canvas are skipped.
pub fn draw_tile(canvas: &mut RgbaImage, tile: &RgbaImage, x: i64, y: i64, radius: f32) {
    let (tw, th) = tile.dimensions();
    let shape = Rect::new(0.0, 0.0, tw as f32, th as f32);
    let corner = radius.ceil() as u32;
    for ty in 0..th {
        let cy = y + i64::from(ty);
        if cy < 0 || cy >= i64::from(canvas.height()) {
            continue;
        }
        let in_corner_rows = ty < corner || ty >= th.saturating_sub(corner);
        for tx in 0..tw {
            let cx = x + i64::from(tx);
            if cx < 0 || cx >= i64::from(canvas.width()) {
                continue;
            }
            let src = tile.get_pixel(tx, ty);
            let in_corner = in_corner_rows && (tx < corner || tx >= tw.saturating_sub(corner));
            let cov = if in_corner {
                rounded_rect_coverage(&shape, radius, tx as f32 + 0.5, ty as f32 + 0.5)
            } else {
                1.0
            };
            let alpha = cov * f32::from(src[3]) / 255.0;
            let (cx, cy) = (cx as u32, cy as u32);
            if alpha >= 1.0 {
                canvas.put_pixel(cx, cy, image::Rgba([src[0], src[1], src[2], u8::MAX]));
            } else {
                blend(canvas, cx, cy, [src[0], src[1], src[2]], alpha);
            }
        }
    }
}

/// Blends a coverage mask (from the glyph rasteriser) in `colour`.
pub fn blend_coverage(canvas: &mut RgbaImage, x: i64, y: i64, colour: Rgb, coverage: f32) {
    if x < 0 || y < 0 || x >= i64::from(canvas.width()) || y >= i64::from(canvas.height()) {
        return;
    }
    blend(canvas, x as u32, y as u32, colour, coverage);
}

/// Mean colour of the canvas under `rect` (sampled on a grid of at most 64×64 points).
pub fn mean_colour(canvas: &RgbaImage, rect: &Rect) -> Rgb {
    let (x0, y0, x1, y1) = rect.pixel_span(canvas.width(), canvas.height());
    if x1 <= x0 || y1 <= y0 {
        return [0, 0, 0];
    }
    let step_x = ((x1 - x0) / 64).max(1);
    let step_y = ((y1 - y0) / 64).max(1);
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for y in (y0..y1).step_by(step_y as usize) {
        for x in (x0..x1).step_by(step_x as usize) {
            let p = canvas.get_pixel(x, y);
            for i in 0..3 {
                sum[i] += u64::from(p[i]);
            }
            n += 1;
        }
    }
    sum.map(|s| (s / n) as u8)
}

fn lerp_u8(a: u8, b: u8, t: f32) -> u8 {
    (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8
}

pub fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        lerp_u8(a[0], b[0], t),
        lerp_u8(a[1], b[1], t),
        lerp_u8(a[2], b[2], t),
    ]
}

/// WCAG relative luminance, 0 (black) to 1 (white).
pub fn luminance(c: Rgb) -> f32 {
    let linear = |v: u8| {
        let v = f32::from(v) / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2])
}

/// WCAG contrast ratio, 1 (none) to 21 (black on white).
pub fn contrast(a: Rgb, b: Rgb) -> f32 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

pub const WHITE: Rgb = [255, 255, 255];
/// Near-black: softer than pure black on coloured grounds.
pub const INK: Rgb = [17, 17, 20];
