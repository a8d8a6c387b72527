//! Text drawn as shapes, for SVG charts embedded in the HTML report.
//!
//! plotters writes SVG text as `<text font-family="sans-serif">`, so the
//! viewer's fonts draw it: on a machine without CJK fonts, Chinese names come
//! out as boxes. For a self-contained report every label is drawn with the
//! glyph outlines of the font limfac embeds (the one the PNG charts use),
//! each glyph defined once and reused. The original text stays in place,
//! unpainted, so that it can still be found, selected and read aloud.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ab_glyph::{Font, GlyphId, OutlineCurve, ScaleFont};

use super::font;

/// `svg` (as plotters writes it) with every `<text>` also drawn as glyph
/// outlines; `prefix` keeps the glyph ids of several charts in one page apart.
pub fn text_as_paths(svg: &str, prefix: &str) -> String {
    let Some(face) = font::face() else { return svg.to_string() };
    let mut glyphs: BTreeMap<u16, String> = BTreeMap::new();
    let mut out = String::with_capacity(svg.len() * 2);
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let Some(open_end) = rest[start..].find('>').map(|i| start + i) else { break };
        let Some(close) = rest[open_end..].find("</text>").map(|i| open_end + i) else { break };
        out.push_str(&rest[..start]);
        let tag = &rest[start..=open_end];
        let content = unescape(rest[open_end + 1..close].trim());
        let attrs = Attrs::parse(tag);
        out.push_str(&draw(face, &attrs, &content, prefix, &mut glyphs));
        // The text itself, unpainted: still there to find, select and read.
        out.push_str(&with_fill_none(tag));
        out.push_str(&rest[open_end + 1..close + "</text>".len()]);
        rest = &rest[close + "</text>".len()..];
    }
    out.push_str(rest);
    // The glyphs, each defined once, right after the opening <svg> tag.
    let mut defs = String::from("<defs>");
    for (id, d) in &glyphs {
        let _ = write!(defs, r#"<path id="{prefix}-g{id}" d="{d}"/>"#);
    }
    defs.push_str("</defs>");
    match out.find("<svg").and_then(|i| out[i..].find('>').map(|j| i + j + 1)) {
        Some(at) => out.insert_str(at, &defs),
        None => out.insert_str(0, &defs),
    }
    out
}

/// What a plotters `<text>` tag says about where and how to draw.
struct Attrs {
    x: f32,
    y: f32,
    /// plotters' font-size: its layout box, 1/1.24 of the size drawn.
    size: f32,
    anchor: String,
    dy: String,
    fill: String,
    opacity: String,
    transform: Option<String>,
}

impl Attrs {
    fn parse(tag: &str) -> Attrs {
        let get = |name: &str| -> Option<String> {
            let key = format!(" {name}=\"");
            let i = tag.find(&key)? + key.len();
            let j = tag[i..].find('"')? + i;
            Some(tag[i..j].to_string())
        };
        let num = |name: &str| get(name).and_then(|v| v.parse::<f32>().ok()).unwrap_or(0.0);
        Attrs {
            x: num("x"),
            y: num("y"),
            size: num("font-size"),
            anchor: get("text-anchor").unwrap_or_else(|| "start".into()),
            dy: get("dy").unwrap_or_default(),
            fill: get("fill").unwrap_or_else(|| "#000000".into()),
            opacity: get("opacity").unwrap_or_else(|| "1".into()),
            transform: get("transform"),
        }
    }
}

/// The glyphs of `text` as `<use>`s of outlines defined in `glyphs`, laid
/// out as the PNG charts lay them out (see glyphs.rs).
fn draw(
    face: &ab_glyph::FontRef<'_>,
    a: &Attrs,
    text: &str,
    prefix: &str,
    glyphs: &mut BTreeMap<u16, String>,
) -> String {
    if text.is_empty() || a.size <= 0.0 {
        return String::new();
    }
    let size = a.size * 1.24;
    let scaled = face.as_scaled(size);
    let mut placed: Vec<(GlyphId, f32)> = Vec::new();
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
    let box_h = a.size;
    let dx = match a.anchor.as_str() {
        "middle" => -caret / 2.0,
        "end" => -caret,
        _ => 0.0,
    };
    let dy = match a.dy.as_str() {
        "0.76em" => 0.0,
        "0.5ex" => -box_h / 2.0,
        "-0.5ex" => -box_h,
        _ => -box_h * 0.76,
    };
    let baseline = a.y + dy + box_h / 2.0 + (scaled.ascent() + scaled.descent()) / 2.0;
    let factor = scaled.h_scale_factor();
    let mut g = format!(r#"<g fill="{}" opacity="{}" aria-hidden="true""#, a.fill, a.opacity);
    if let Some(t) = &a.transform {
        let _ = write!(g, r#" transform="{t}""#);
    }
    g.push('>');
    for (id, x) in placed {
        if let std::collections::btree_map::Entry::Vacant(e) = glyphs.entry(id.0) {
            let Some(d) = face.outline(id).map(|o| path(&o.curves)) else { continue };
            if d.is_empty() {
                continue;
            }
            e.insert(d);
        }
        let _ = write!(
            g,
            r##"<use href="#{prefix}-g{}" transform="translate({:.2} {:.2}) scale({:.5} {:.5})"/>"##,
            id.0,
            a.x + dx + x,
            baseline,
            factor,
            -factor
        );
    }
    g.push_str("</g>");
    g
}

/// An SVG path of a glyph's outline, in font units (y up).
fn path(curves: &[OutlineCurve]) -> String {
    let mut d = String::new();
    let mut at: Option<ab_glyph::Point> = None;
    let p = |p: ab_glyph::Point| format!("{} {}", p.x, p.y);
    for c in curves {
        let (start, end) = match c {
            OutlineCurve::Line(a, b) => (*a, *b),
            OutlineCurve::Quad(a, _, b) => (*a, *b),
            OutlineCurve::Cubic(a, _, _, b) => (*a, *b),
        };
        if at != Some(start) {
            if at.is_some() {
                d.push('Z');
            }
            let _ = write!(d, "M{}", p(start));
        }
        match c {
            OutlineCurve::Line(_, b) => {
                let _ = write!(d, "L{}", p(*b));
            }
            OutlineCurve::Quad(_, c1, b) => {
                let _ = write!(d, "Q{} {}", p(*c1), p(*b));
            }
            OutlineCurve::Cubic(_, c1, c2, b) => {
                let _ = write!(d, "C{} {} {}", p(*c1), p(*c2), p(*b));
            }
        }
        at = Some(end);
    }
    if at.is_some() {
        d.push('Z');
    }
    d
}

/// The tag with its fill set to `none`.
fn with_fill_none(tag: &str) -> String {
    match tag.find(" fill=\"") {
        Some(i) => {
            let j = tag[i + 7..].find('"').map(|j| i + 7 + j + 1).unwrap_or(tag.len());
            format!("{} fill=\"none\"{}", &tag[..i], &tag[j..])
        }
        None => tag.replacen("<text", "<text fill=\"none\"", 1),
    }
}

/// XML text back to the string it escapes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find(';').map(|j| i + j) else {
            out.push_str(&rest[i..]);
            return out;
        };
        let entity = &rest[i + 1..j];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[i..=j]),
        }
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_round_trip() {
        assert_eq!(unescape("R&amp;D &lt;lab&gt; &#x738B;&#23567;"), "R&D <lab> 王小");
    }

    #[test]
    fn every_text_is_also_drawn_as_glyphs() {
        font::ensure_registered().unwrap();
        let svg = r##"<svg width="10" height="10"><text x="5" y="6" dy="0.76em" text-anchor="start" font-family="sans-serif" font-size="12" opacity="1" fill="#212121">
王小明 &amp; Ana
</text></svg>"##;
        let out = text_as_paths(svg, "t");
        assert!(out.contains(r#"fill="none""#), "{out}");
        assert!(out.contains("王小明 &amp; Ana"), "the text stays, unpainted");
        // 王, 小, 明, &, A, n, a: each a defined outline, used once.
        assert_eq!(out.matches("<use ").count(), 7, "{out}");
        assert!(out.matches(r#"<path id="t-g"#).count() >= 7);
        assert!(out.starts_with("<svg width=\"10\" height=\"10\"><defs>"), "{out}");
        roxmltree_like_balance(&out);
    }

    /// Tags open and close in balance (a cheap well-formedness check).
    fn roxmltree_like_balance(s: &str) {
        for tag in ["svg", "g", "text", "defs"] {
            assert_eq!(s.matches(&format!("<{tag}")).count(), s.matches(&format!("</{tag}>")).count(), "{tag}");
        }
    }
}
