//! CSS colour values → sRGB, and the perceptual measures the decisions need (CIE Lab,
//! ΔE76, chroma damped near black and white).
//!
//! Parsed forms: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()/rgba()` (comma or space
//! syntax, numbers or percentages, `/ alpha`), `hsl()/hsla()` (deg/rad/grad/turn), `hwb()`,
//! `lab()`, `lch()`, `oklab()`, `oklch()`, `color(srgb …)` (and `display-p3`, read as sRGB — an
//! approximation), the 148 named colours, and the bare channel triples design systems store in
//! custom properties (`--primary: 222 47% 11%` for `hsl(var(--primary))`, `--brand: 37 99 235`
//! for `rgb(var(--brand))`) via [`parse_channels`]. `transparent`, `currentColor`, CSS-wide
//! keywords, system colours and anything with alpha < 0.5 give `None`: no opinion.

use super::cssvalue::split_top;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rgb {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Rgb {
    pub const fn new(r: u8, g: u8, b: u8) -> Rgb {
        Rgb { r, g, b }
    }

    /// `#RRGGBB`, uppercase.
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.r, self.g, self.b)
    }

    /// CIE L*a*b* (D65).
    pub fn lab(self) -> [f32; 3] {
        let lin = |c: u8| {
            let c = c as f32 / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (lin(self.r), lin(self.g), lin(self.b));
        let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
        let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
        let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
        let f = |t: f32| {
            if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            }
        };
        let (fx, fy, fz) = (f(x), f(y), f(z));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// Lab chroma, damped towards 0 near black (L < 20) and white (L > 90): a dark navy or a
    /// cream keeps a little colour but reads as ground, not brand.
    pub fn damped_chroma(self) -> f32 {
        let [l, a, b] = self.lab();
        let c = (a * a + b * b).sqrt();
        let damp = (l / 20.0).min((100.0 - l) / 10.0).clamp(0.0, 1.0);
        c * damp
    }

    /// Greys, near-black, near-white, creams: never an accent.
    pub fn is_neutral(self) -> bool {
        self.damped_chroma() < 12.0
    }

    pub fn lightness(self) -> f32 {
        self.lab()[0]
    }

    /// ΔE76 between two colours.
    pub fn delta_e(self, o: Rgb) -> f32 {
        let (a, b) = (self.lab(), o.lab());
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    }
}

/// Near-duplicates for palette merging.
pub const MERGE_DELTA_E: f32 = 10.0;

fn to_u8(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

fn from_linear(rgb: [f32; 3]) -> Rgb {
    let enc = |l: f32| {
        let l = l.clamp(0.0, 1.0);
        if l <= 0.003_130_8 {
            12.92 * l
        } else {
            1.055 * l.powf(1.0 / 2.4) - 0.055
        }
    };
    Rgb::new(to_u8(enc(rgb[0])), to_u8(enc(rgb[1])), to_u8(enc(rgb[2])))
}

/// Parses one colour value. `None` for non-colours and for colours that are not there
/// (transparent, alpha < 0.5, keywords that depend on context).
pub fn parse(value: &str) -> Option<Rgb> {
    let v = value.trim();
    if v.len() > 200 {
        return None;
    }
    if let Some(h) = v.strip_prefix('#') {
        return hex(h);
    }
    if let Some(open) = v.find('(') {
        let name = v[..open].trim().to_ascii_lowercase();
        let args = v[open + 1..].strip_suffix(')')?;
        return function(&name, args);
    }
    named(&v.to_ascii_lowercase())
}

/// The first colour among a value's top-level components (for shorthands such as
/// `background: url(x) no-repeat #fff` or `border: 1px solid red`), looking inside gradients.
pub fn find(value: &str) -> Option<Rgb> {
    for c in split_top(value, b' ').into_iter().take(32) {
        let c = c.trim_end_matches(',');
        if let Some(rgb) = parse(c) {
            return Some(rgb);
        }
        let lc = c.to_ascii_lowercase();
        if lc.contains("gradient(") {
            let open = c.find('(')?;
            let inner = c[open + 1..].strip_suffix(')').unwrap_or(&c[open + 1..]);
            for stop in split_top(inner, b',').into_iter().take(16) {
                let first = split_top(stop, b' ').into_iter().next().unwrap_or("");
                if let Some(rgb) = parse(first) {
                    return Some(rgb);
                }
            }
        }
    }
    None
}

/// Bare channels stored in a custom property: `222.2 47.4% 11.2%` (HSL, shadcn style) or
/// `37 99 235` / `37, 99, 235` (RGB, Tailwind style).
pub fn parse_channels(value: &str) -> Option<Rgb> {
    let parts: Vec<&str> = value
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return None;
    }
    if parts[1].ends_with('%') && parts[2].ends_with('%') && !parts[0].ends_with('%') {
        return function("hsl", value);
    }
    if parts
        .iter()
        .all(|p| p.parse::<u16>().is_ok_and(|n| n <= 255))
    {
        return function("rgb", value);
    }
    None
}

fn hex(h: &str) -> Option<Rgb> {
    if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let d = |i: usize| u8::from_str_radix(&h[i..i + 1], 16).ok().map(|v| v * 17);
    let dd = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    let (r, g, b, a) = match h.len() {
        3 => (d(0)?, d(1)?, d(2)?, 255),
        4 => (d(0)?, d(1)?, d(2)?, d(3)?),
        6 => (dd(0)?, dd(2)?, dd(4)?, 255),
        8 => (dd(0)?, dd(2)?, dd(4)?, dd(6)?),
        _ => return None,
    };
    (a >= 128).then_some(Rgb::new(r, g, b))
}

/// A number, optionally with `%` (returned as a fraction of `pct_of`) or an angle unit
/// (returned in degrees). `none` is 0.
fn num(s: &str, pct_of: f32) -> Option<f32> {
    let s = s.trim().to_ascii_lowercase();
    if s == "none" {
        return Some(0.0);
    }
    let (n, mul) = if let Some(p) = s.strip_suffix('%') {
        (p, pct_of / 100.0)
    } else if let Some(p) = s.strip_suffix("deg") {
        (p, 1.0)
    } else if let Some(p) = s.strip_suffix("grad") {
        (p, 0.9)
    } else if let Some(p) = s.strip_suffix("rad") {
        (p, 180.0 / std::f32::consts::PI)
    } else if let Some(p) = s.strip_suffix("turn") {
        (p, 360.0)
    } else {
        (s.as_str(), 1.0)
    };
    let v: f32 = n.parse().ok()?;
    v.is_finite().then_some(v * mul)
}

fn function(name: &str, args: &str) -> Option<Rgb> {
    if args.contains("from ") || args.contains("var(") || args.len() > 120 {
        return None; // relative colour syntax / unresolved
    }
    let (main, alpha) = match args.split_once('/') {
        Some((m, a)) => (m, Some(a)),
        None => (args, None),
    };
    if name == "color" {
        return color_fn(main, alpha);
    }
    let parts: Vec<&str> = main
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let (ch, alpha) = match (parts.len(), alpha) {
        (3, a) => (&parts[..3], a),
        (4, None) => (&parts[..3], Some(parts[3])),
        _ => return None,
    };
    if let Some(a) = alpha
        && num(a, 1.0)? < 0.5
    {
        return None;
    }
    // Saturation/lightness/whiteness: `50%`, or `50` in the modern syntax.
    let frac = |s: &str| num(s, 1.0).map(|v| if s.ends_with('%') { v } else { v / 100.0 });
    match name {
        "rgb" | "rgba" => {
            let c = |s: &str| num(s, 255.0).map(|v| to_u8(v / 255.0));
            Some(Rgb::new(c(ch[0])?, c(ch[1])?, c(ch[2])?))
        }
        "hsl" | "hsla" => {
            let (h, s, l) = (num(ch[0], 360.0)?, frac(ch[1])?, frac(ch[2])?);
            Some(hsl(h, s.clamp(0.0, 1.0), l.clamp(0.0, 1.0)))
        }
        "hwb" => {
            let (h, w, b) = (
                num(ch[0], 360.0)?,
                frac(ch[1])?.max(0.0),
                frac(ch[2])?.max(0.0),
            );
            let (w, b) = if w + b > 1.0 {
                (w / (w + b), b / (w + b))
            } else {
                (w, b)
            };
            let base = hsl(h, 1.0, 0.5);
            let f = |c: u8| to_u8(c as f32 / 255.0 * (1.0 - w - b) + w);
            Some(Rgb::new(f(base.r), f(base.g), f(base.b)))
        }
        "lab" => Some(lab_d50(
            num(ch[0], 100.0)?,
            num(ch[1], 125.0)?,
            num(ch[2], 125.0)?,
        )),
        "lch" => {
            let (l, c, h) = (num(ch[0], 100.0)?, num(ch[1], 150.0)?, num(ch[2], 360.0)?);
            let h = h.to_radians();
            Some(lab_d50(l, c * h.cos(), c * h.sin()))
        }
        "oklab" => Some(oklab(num(ch[0], 1.0)?, num(ch[1], 0.4)?, num(ch[2], 0.4)?)),
        "oklch" => {
            let (l, c, h) = (num(ch[0], 1.0)?, num(ch[1], 0.4)?, num(ch[2], 360.0)?);
            let h = h.to_radians();
            Some(oklab(l, c * h.cos(), c * h.sin()))
        }
        _ => None,
    }
}

/// `color(srgb r g b)`, `color(display-p3 r g b)` (approximated as sRGB).
fn color_fn(main: &str, alpha: Option<&str>) -> Option<Rgb> {
    if let Some(a) = alpha
        && num(a, 1.0)? < 0.5
    {
        return None;
    }
    let mut it = main.split_ascii_whitespace();
    let space = it.next()?.to_ascii_lowercase();
    let v: Vec<f32> = it.map(|s| num(s, 1.0)).collect::<Option<_>>()?;
    if v.len() != 3 {
        return None;
    }
    match space.as_str() {
        "srgb" | "display-p3" => Some(Rgb::new(to_u8(v[0]), to_u8(v[1]), to_u8(v[2]))),
        "srgb-linear" => Some(from_linear([v[0], v[1], v[2]])),
        _ => None,
    }
}

fn hsl(h: f32, s: f32, l: f32) -> Rgb {
    let h = h.rem_euclid(360.0) / 360.0;
    let q = if l < 0.5 {
        l * (1.0 + s)
    } else {
        l + s - l * s
    };
    let p = 2.0 * l - q;
    let t = |mut t: f32| {
        t = t.rem_euclid(1.0);
        if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        }
    };
    Rgb::new(
        to_u8(t(h + 1.0 / 3.0)),
        to_u8(t(h)),
        to_u8(t(h - 1.0 / 3.0)),
    )
}

/// CIE Lab (D50, as CSS `lab()` is) → sRGB.
fn lab_d50(l: f32, a: f32, b: f32) -> Rgb {
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let inv = |t: f32| {
        let t3 = t * t * t;
        if t3 > 216.0 / 24389.0 {
            t3
        } else {
            (116.0 * t - 16.0) / (24389.0 / 27.0)
        }
    };
    let (x, y, z) = (inv(fx) * 0.964_22, inv(fy), inv(fz) * 0.825_21);
    from_linear([
        3.133_856 * x - 1.616_866_7 * y - 0.490_614_6 * z,
        -0.978_768_4 * x + 1.916_141_5 * y + 0.033_454 * z,
        0.071_945_3 * x - 0.228_991_4 * y + 1.405_242_7 * z,
    ])
}

fn oklab(l: f32, a: f32, b: f32) -> Rgb {
    let l_ = (l + 0.396_337_78 * a + 0.215_803_76 * b).powi(3);
    let m_ = (l - 0.105_561_346 * a - 0.063_854_17 * b).powi(3);
    let s_ = (l - 0.089_484_18 * a - 1.291_485_5 * b).powi(3);
    from_linear([
        4.076_741_7 * l_ - 3.307_711_6 * m_ + 0.230_969_94 * s_,
        -1.268_438 * l_ + 2.609_757_4 * m_ - 0.341_319_38 * s_,
        -0.004_196_086_3 * l_ - 0.703_418_6 * m_ + 1.707_614_7 * s_,
    ])
}

fn named(n: &str) -> Option<Rgb> {
    let i = super::named_colours::NAMED
        .binary_search_by(|(k, _)| k.cmp(&n))
        .ok()?;
    let v = super::named_colours::NAMED[i].1;
    Some(Rgb::new((v >> 16) as u8, (v >> 8) as u8, v as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hx(s: &str) -> Option<String> {
        parse(s).map(Rgb::hex)
    }

    #[test]
    fn hex_forms() {
        assert_eq!(hx("#abc").as_deref(), Some("#AABBCC"));
        assert_eq!(hx("#AbCdEf").as_deref(), Some("#ABCDEF"));
        assert_eq!(hx("#abcf").as_deref(), Some("#AABBCC"));
        assert_eq!(hx("#abc7"), None); // alpha 0x77 < 0.5
        assert_eq!(hx("#11223380").as_deref(), Some("#112233"));
        assert_eq!(hx("#1122337f"), None);
        assert_eq!(hx("#12345"), None);
        assert_eq!(hx("#ggg"), None);
    }

    #[test]
    fn rgb_forms() {
        assert_eq!(hx("rgb(255, 0, 0)").as_deref(), Some("#FF0000"));
        assert_eq!(hx("rgba(0,128,255,.9)").as_deref(), Some("#0080FF"));
        assert_eq!(hx("rgba(0,128,255,0.2)"), None);
        assert_eq!(hx("rgb(0 128 255 / 50%)").as_deref(), Some("#0080FF"));
        assert_eq!(hx("rgb(0 128 255 / 40%)"), None);
        assert_eq!(hx("rgb(100%, 50%, 0%)").as_deref(), Some("#FF8000"));
        assert_eq!(hx("RGB(300, -5, 0)").as_deref(), Some("#FF0000"));
        assert_eq!(hx("rgb(1, 2)"), None);
        assert_eq!(hx("rgb(from red r g b)"), None);
    }

    #[test]
    fn hsl_hwb_forms() {
        assert_eq!(hx("hsl(0, 100%, 50%)").as_deref(), Some("#FF0000"));
        assert_eq!(hx("hsl(120deg 100% 25%)").as_deref(), Some("#008000"));
        assert_eq!(hx("hsla(240, 100%, 50%, 1)").as_deref(), Some("#0000FF"));
        assert_eq!(hx("hsl(0.5turn 100% 50%)").as_deref(), Some("#00FFFF"));
        assert_eq!(hx("hsl(0 0% 100% / 0.1)"), None);
        assert_eq!(hx("hwb(0 0% 0%)").as_deref(), Some("#FF0000"));
    }

    #[test]
    fn lab_oklch_forms() {
        // Reference values from the CSS Color 4 spec examples (rounded).
        let c = parse("oklch(62.8% 0.2577 29.23)").unwrap(); // ≈ red
        assert!(c.r > 245 && c.g < 15 && c.b < 15, "{c:?}");
        let c = parse("lab(54.29 80.8 69.89)").unwrap(); // ≈ red in D50 Lab
        assert!(c.r > 245 && c.g < 20 && c.b < 20, "{c:?}");
        let c = parse("oklab(1 0 0)").unwrap();
        assert_eq!(c.hex(), "#FFFFFF");
        assert_eq!(hx("lch(0% 0 0)").as_deref(), Some("#000000"));
        assert_eq!(hx("color(srgb 1 0 0)").as_deref(), Some("#FF0000"));
    }

    #[test]
    fn named_and_keywords() {
        assert_eq!(hx("RebeccaPurple").as_deref(), Some("#663399"));
        assert_eq!(hx("tomato").as_deref(), Some("#FF6347"));
        for k in [
            "transparent",
            "currentColor",
            "inherit",
            "initial",
            "unset",
            "Canvas",
            "none",
        ] {
            assert_eq!(hx(k), None, "{k}");
        }
        assert_eq!(super::super::named_colours::NAMED.len(), 148);
        let names: Vec<_> = super::super::named_colours::NAMED
            .iter()
            .map(|n| n.0)
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn find_in_shorthands_and_gradients() {
        let f = |s: &str| find(s).map(Rgb::hex);
        assert_eq!(f("url(x.png) no-repeat #fff").as_deref(), Some("#FFFFFF"));
        assert_eq!(f("1px solid rgb(0, 0, 255)").as_deref(), Some("#0000FF"));
        assert_eq!(
            f("linear-gradient(90deg, #e63946 0%, #f1faee 100%)").as_deref(),
            Some("#E63946")
        );
        assert_eq!(f("none"), None);
    }

    #[test]
    fn channel_triples() {
        assert_eq!(
            parse_channels("0 72.2% 50.6%").map(Rgb::hex).as_deref(),
            Some("#DC2626")
        );
        assert_eq!(
            parse_channels("37 99 235").map(Rgb::hex).as_deref(),
            Some("#2563EB")
        );
        assert_eq!(parse_channels("1rem 2rem"), None);
        assert_eq!(parse_channels("300 1 2"), None);
    }

    #[test]
    fn neutrals_and_distance() {
        for n in [
            "#ffffff", "#000000", "#111827", "#f5f5dc", "#fff8e7", "#6b7280", "#fafafa",
        ] {
            assert!(parse(n).unwrap().is_neutral(), "{n}");
        }
        for c in [
            "#e63946", "#0070f3", "#1e3a8a", "#2a9d8f", "#c0392b", "#001f5b",
        ] {
            assert!(!parse(c).unwrap().is_neutral(), "{c}");
        }
        let a = parse("#e63946").unwrap();
        assert!(a.delta_e(parse("#e53945").unwrap()) < MERGE_DELTA_E);
        assert!(a.delta_e(parse("#0070f3").unwrap()) > MERGE_DELTA_E);
    }
}
