//! Brand colours: the three the template uses, a palette derived from the references when the
//! brand has none, and the adjustments that keep the chosen colours legible together.

use adgen::pixels::{Colours, Rgb};

use super::codec::RgbaView;
use super::draw::{INK, WHITE, contrast, luminance, mix};

/// A palette from the references' colours: the dominant hue (by chroma-weighted histogram)
/// as a deep background, its most vivid version as the accent, and white or ink for text.
/// Very bright references (product shots on white) give a light background instead.
pub fn palette_from_references(refs: &[RgbaView<'_>]) -> Colours {
    const BINS: usize = 24;
    let mut hue_weight = [0f64; BINS];
    let mut hue_sum = [0f64; BINS];
    let mut saturation_sum = [0f64; BINS];
    let mut lightness = 0f64;
    let mut samples = 0u64;
    for img in refs {
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            continue;
        }
        // A 48×48 grid per reference: enough for colour statistics, independent of its size.
        let step_x = (w / 48).max(1);
        let step_y = (h / 48).max(1);
        for y in (0..h).step_by(step_y as usize) {
            for x in (0..w).step_by(step_x as usize) {
                let p = img.get_pixel(x, y);
                if p[3] < 128 {
                    continue;
                }
                let (hue, sat, light) = to_hsl([p[0], p[1], p[2]]);
                let chroma = sat * (1.0 - (2.0 * light - 1.0).abs());
                let bin = ((hue / 360.0 * BINS as f64) as usize).min(BINS - 1);
                hue_weight[bin] += chroma;
                hue_sum[bin] += hue * chroma;
                saturation_sum[bin] += sat * chroma;
                lightness += light;
                samples += 1;
            }
        }
    }
    if samples == 0 {
        return Colours::default();
    }
    let mean_lightness = lightness / samples as f64;
    let total_weight: f64 = hue_weight.iter().sum();
    let (bin, weight) =
        hue_weight.iter().enumerate().fold(
            (0, 0.0),
            |best, (i, &w)| if w > best.1 { (i, w) } else { best },
        );
    // Below this the references are essentially grey: keep a neutral ground and the default
    // accent rather than amplifying noise into a colour.
    if weight < 0.02 * samples as f64 || total_weight == 0.0 {
        let background = if mean_lightness > 0.7 {
            [244, 244, 242]
        } else {
            [28, 29, 33]
        };
        return finish(background, Colours::default().accent);
    }
    let hue = hue_sum[bin] / weight;
    let saturation = saturation_sum[bin] / weight;
    let background = if mean_lightness > 0.7 {
        from_hsl(hue, (saturation * 0.35).min(0.35), 0.94)
    } else {
        from_hsl(hue, (saturation * 0.6).min(0.5), 0.13)
    };
    let accent = from_hsl(hue, saturation.max(0.7), 0.55);
    finish(background, accent)
}

fn finish(background: Rgb, accent: Rgb) -> Colours {
    let text = if contrast(WHITE, background) >= contrast(INK, background) {
        WHITE
    } else {
        INK
    };
    Colours {
        background,
        accent,
        text,
    }
}

/// The bottom of the background gradient: a few percent darker, or lighter for near-black.
pub fn gradient_end(background: Rgb) -> Rgb {
    if luminance(background) < 0.01 {
        mix(background, WHITE, 0.08)
    } else if luminance(background) > 0.4 {
        mix(background, INK, 0.09)
    } else {
        mix(background, [0, 0, 0], 0.28)
    }
}

/// The accent, pushed lighter or darker when it would vanish into the background (a button
/// the same colour as the ground is no button).
pub fn visible_accent(accent: Rgb, background: Rgb) -> Rgb {
    const MIN: f32 = 1.8;
    if contrast(accent, background) >= MIN {
        return accent;
    }
    let lighter = mix(accent, WHITE, 0.5);
    let darker = mix(accent, [0, 0, 0], 0.5);
    if contrast(lighter, background) >= contrast(darker, background) {
        lighter
    } else {
        darker
    }
}

/// Hue in degrees, saturation and lightness in 0..=1.
fn to_hsl(c: Rgb) -> (f64, f64, f64) {
    let [r, g, b] = c.map(|v| f64::from(v) / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let light = (max + min) / 2.0;
    let delta = max - min;
    if delta == 0.0 {
        return (0.0, 0.0, light);
    }
    let sat = delta / (1.0 - (2.0 * light - 1.0).abs());
    let hue = if max == r {
        60.0 * ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / delta + 2.0)
    } else {
        60.0 * ((r - g) / delta + 4.0)
    };
    (hue, sat.min(1.0), light)
}

fn from_hsl(hue: f64, sat: f64, light: f64) -> Rgb {
    let chroma = (1.0 - (2.0 * light - 1.0).abs()) * sat;
    let h = hue.rem_euclid(360.0) / 60.0;
    let x = chroma * (1.0 - (h.rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        2 => (0.0, chroma, x),
        3 => (0.0, x, chroma),
        4 => (x, 0.0, chroma),
        _ => (chroma, 0.0, x),
    };
    let m = light - chroma / 2.0;
    [r, g, b].map(|v| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::image_view;
    use image::RgbaImage;

    #[test]
    fn hsl_round_trips() {
        for c in [
            [255, 0, 0],
            [12, 200, 90],
            [30, 30, 30],
            [250, 240, 10],
            [90, 20, 200],
        ] {
            let (h, s, l) = to_hsl(c);
            let back = from_hsl(h, s, l);
            for i in 0..3 {
                assert!(
                    (i32::from(back[i]) - i32::from(c[i])).abs() <= 1,
                    "{c:?} -> {back:?}"
                );
            }
        }
    }

    #[test]
    fn palette_follows_the_dominant_hue_and_stays_legible() {
        let blue = RgbaImage::from_pixel(40, 30, image::Rgba([30, 80, 200, 255]));
        let colours = palette_from_references(&[image_view(&blue)]);
        let (hue, _, _) = to_hsl(colours.accent);
        assert!((200.0..240.0).contains(&hue), "accent hue {hue}");
        assert!(contrast(colours.text, colours.background) >= 4.5);

        let white_product = RgbaImage::from_pixel(40, 30, image::Rgba([250, 250, 250, 255]));
        let light = palette_from_references(&[image_view(&white_product)]);
        assert!(luminance(light.background) > 0.8);
        assert_eq!(light.text, INK);

        assert_eq!(palette_from_references(&[]), Colours::default());
    }

    #[test]
    fn accent_is_pushed_off_a_matching_background() {
        let bg = [200, 40, 40];
        let accent = visible_accent(bg, bg);
        assert!(contrast(accent, bg) >= 1.8);
        assert_eq!(visible_accent(WHITE, INK), WHITE);
    }
}
