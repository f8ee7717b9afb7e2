//! Pixels and colours as the domain sees them: an RGBA8 buffer the worker carries between the
//! image pipeline and the generator, and the three colours an ad is painted with. Owned here so
//! that the ports need no codec crate; the render adapter wraps the buffer without copying it.

/// An sRGB colour, `[r, g, b]`.
pub type Rgb = [u8; 3];

/// Tightly packed RGBA8 pixels, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Pixels {
    /// `None` unless `rgba` holds exactly `width × height × 4` bytes.
    pub fn new(width: u32, height: u32, rgba: Vec<u8>) -> Option<Self> {
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(4)?;
        (rgba.len() == expected).then_some(Self {
            width,
            height,
            rgba,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn as_rgba(&self) -> &[u8] {
        &self.rgba
    }

    pub fn into_rgba(self) -> Vec<u8> {
        self.rgba
    }
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pixels({}×{})", self.width, self.height)
    }
}

/// The colours an ad is painted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colours {
    pub background: Rgb,
    pub accent: Rgb,
    pub text: Rgb,
}

impl Default for Colours {
    /// Deep navy, warm coral, white: the palette when neither the brand nor references give one.
    fn default() -> Self {
        Colours {
            background: [20, 27, 45],
            accent: [255, 112, 67],
            text: [255, 255, 255],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_must_match_the_size() {
        assert!(Pixels::new(2, 3, vec![0; 24]).is_some());
        assert!(Pixels::new(2, 3, vec![0; 23]).is_none());
        assert!(Pixels::new(u32::MAX, u32::MAX, Vec::new()).is_none());
        let p = Pixels::new(1, 1, vec![1, 2, 3, 4]).expect("valid");
        assert_eq!(
            (p.width(), p.height(), p.as_rgba()),
            (1, 1, &[1, 2, 3, 4][..])
        );
    }
}
