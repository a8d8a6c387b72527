//! PNG text drawing that places glyphs correctly.
//!
//! plotters 0.3.7's ab_glyph text path draws each glyph at the pen position but drops its
//! left side bearing, so PNG text comes out unevenly spaced ("ab out"). This wrapper
//! backend forwards everything to the bitmap backend except `draw_text`, which lays the
//! glyphs out with ab_glyph itself (advances, kerning and bearings, sub-pixel positions).
//! Text measurement is left to plotters, which already measures advances and kerning the
//! same way, so layout computed by plotters and text drawn here agree.

use super::font;
use ab_glyph::{point, Font, GlyphId, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};

/// A backend whose text is drawn by [`draw_text`](DrawingBackend::draw_text) below.
pub(crate) struct GlyphFix<B: DrawingBackend> {
    pub inner: B,
}

impl<B: DrawingBackend> DrawingBackend for GlyphFix<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let size = style.size() as f32;
        let Some(face) = font::face() else {
            // Unreachable after registration succeeded; plotters' own drawing is the
            // better fallback than no text.
            return self.inner.draw_text(text, style, pos);
        };
        let scaled = face.as_scaled(size);

        // Pen positions along the baseline, as plotters measures them.
        let mut placed: Vec<(GlyphId, f32)> = Vec::with_capacity(text.len());
        let mut caret = 0f32;
        let mut prev: Option<GlyphId> = None;
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            placed.push((id, caret));
            caret += scaled.h_advance(id);
            prev = Some(id);
        }

        // plotters lays text out in a box `size / 1.24` high; centre the font's em box on
        // it so that Top, Center and Bottom anchors land where plotters' layout expects.
        let box_h = size / 1.24;
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -caret / 2.0,
            HPos::Right => -caret,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -box_h / 2.0,
            VPos::Bottom => -box_h,
        };
        let baseline = box_h / 2.0 + (scaled.ascent() + scaled.descent()) / 2.0;
        let transform = style.transform();
        let (w, h) = self.get_size();

        let mut result = Ok(());
        for (id, x) in placed {
            let glyph = id.with_scale_and_position(size, point(x + dx, baseline + dy));
            let Some(outline) = face.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|gx, gy, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (tx, ty) = transform.transform(bx + gx as i32, by + gy as i32);
                let (px, py) = (pos.0 + tx, pos.1 + ty);
                if px < 0 || py < 0 || px >= w as i32 || py >= h as i32 {
                    return;
                }
                let c = BackendColor { alpha: color.alpha * f64::from(coverage.min(1.0)), rgb: color.rgb };
                result = self.inner.draw_pixel((px, py), c);
            });
            if result.is_err() {
                break;
            }
        }
        result
    }
}
