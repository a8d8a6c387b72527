//! The one embedded font, registered with plotters once per process.
//!
//! plotters is built without font-kit (which would link fontconfig and freetype), so it
//! draws text with ab_glyph from a font we embed. ab_glyph has no fallback between fonts,
//! so the single face must cover Latin, accents and Chinese names: WenQuanYi Micro Hei
//! (Apache-2.0, licence in assets/fonts/) does. The file is a TrueType collection;
//! ab_glyph opens its face 0, the proportional "WenQuanYi Micro Hei".

use super::ChartError;
use ab_glyph::FontRef;
use plotters::style::FontStyle;
use std::sync::OnceLock;

/// The family name every chart asks for. In SVG it is written as `font-family`, so viewers
/// fall back to their own sans-serif fonts.
pub(crate) const FAMILY: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/wqy-microhei.ttc");

/// Registering parses the font's table directory (well under a millisecond) and must happen
/// before any text is measured, for SVG too: plotters lays out axes with the font metrics.
pub(crate) fn ensure_registered() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "embedded WenQuanYi Micro Hei is not a readable font".to_string())
        })
        .clone()
        .map_err(ChartError::Font)
}

/// The same face for our own PNG text drawing (see glyphs.rs), parsed once.
pub(crate) fn face() -> Option<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok()).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ab_glyph::Font;

    #[test]
    fn font_covers_every_script_we_draw() {
        ensure_registered().unwrap();
        let face = face().unwrap();
        // Glyph 0 is .notdef, the "box": every character the charts draw, and the names
        // of engineers in Chinese and accented Latin, must have a real glyph.
        for ch in "王小明文泉驿José MüllerÅçñß—–≥≤±…→·%<>&0123456789".chars() {
            assert_ne!(face.glyph_id(ch).0, 0, "no glyph for {ch:?}");
        }
    }
}
