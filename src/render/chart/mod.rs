//! Chart rendering for limfac: turns plain chart data into PNG or SVG bytes.
//!
//! The module knows nothing of the database or the command line: callers build a
//! [`MetricChart`] or [`FeverChart`] from their own data and get bytes back, which the
//! command layer writes to a file. The same drawing code serves both formats, because every
//! painter is generic over the plotters backend.

mod dashboard;
mod drift;
mod fever;
mod font;
mod glyphs;
mod metric;
mod scale;
mod style;
mod textpaths;

pub use textpaths::text_as_paths;

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Output format of a chart, chosen by the caller (usually from the output file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// The format named by a path's extension (`.png` / `.svg`, any case); `None` otherwise,
    /// so the command layer can report the unsupported extension itself.
    pub fn from_path(p: &Path) -> Option<Format> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(Format::Png),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// Why a chart could not be produced. Messages are written to be shown to a user after
/// `error: `.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font could not be loaded (a broken build, never user input).
    #[error("chart font could not be loaded: {0}")]
    Font(String),
    /// plotters refused to draw something.
    #[error("chart drawing failed: {0}")]
    Draw(String),
    /// The finished picture could not be encoded.
    #[error("chart encoding failed: {0}")]
    Encode(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}

/// One engineer's readings of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub engineer: String,
    pub points: Vec<(NaiveDate, f64)>,
}

/// Everything drawn in one metric chart: readings, target, fitted curve, projection fan and
/// the dates that matter.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricChart {
    /// e.g. "power/solar-array-output — Solar array output"
    pub title: String,
    /// y-axis label
    pub unit: Option<String>,
    /// "done" | "converging" | "stalled" | "diverging" | "insufficient_data"
    pub status: String,
    /// one sentence shown under the title
    pub reason: String,
    pub direction_up: bool,
    pub target: f64,
    pub tolerance: f64,
    /// each engineer's readings: distinct colours + legend
    pub series: Vec<Series>,
    /// fitted central curve over history (may be empty)
    pub curve: Vec<(NaiveDate, f64)>,
    /// forward projection: (date, p10, p50, p90) (may be empty)
    pub fan: Vec<(NaiveDate, f64, f64, f64)>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub as_of: NaiveDate,
    /// the limiting metric in a dashboard: drawn with a strong border and badge
    pub highlight: bool,
}

/// One project's position on the fever chart.
#[derive(Debug, Clone, PartialEq)]
pub struct FeverProject {
    pub label: String,
    /// share of the gap closed, 0..1
    pub closed: f64,
    /// 1 - P(on time), 0..1
    pub risk: f64,
    /// previous weeks' (closed, risk), oldest first
    pub trail: Vec<(f64, f64)>,
    /// With a deadline, risk is 1 − P(on time); without one it is the chance
    /// of not being done within 26 weeks, and the chart marks and says so.
    pub has_deadline: bool,
}

/// A buffer-style fever chart of all projects.
#[derive(Debug, Clone, PartialEq)]
pub struct FeverChart {
    pub title: String,
    pub as_of: NaiveDate,
    pub projects: Vec<FeverProject>,
}

/// One week of a drift chart: the completion dates as forecast that week.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftPoint {
    pub as_of: NaiveDate,
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p90: Option<NaiveDate>,
}

/// How a scope's completion dates moved over the past weeks.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftChart {
    pub title: String,
    /// Oldest first.
    pub points: Vec<DriftPoint>,
    pub deadline: Option<NaiveDate>,
    /// Where "no date within the horizon" is pinned.
    pub horizon_end: NaiveDate,
}

/// Size in pixels of a drift chart.
pub const DRIFT_SIZE: (u32, u32) = (1000, 600);

/// Renders the drift ("ship date over time") chart.
pub fn drift(chart: &DriftChart, format: Format) -> Result<Vec<u8>, ChartError> {
    render(format, DRIFT_SIZE, &drift::Painter(chart))
}

/// Size in pixels of a single metric chart.
pub const METRIC_SIZE: (u32, u32) = (1000, 600);
/// Size in pixels of a fever chart.
pub const FEVER_SIZE: (u32, u32) = (900, 700);

/// Renders one metric chart (1000×600).
pub fn metric(chart: &MetricChart, format: Format) -> Result<Vec<u8>, ChartError> {
    render(format, METRIC_SIZE, &metric::Painter(chart))
}

/// Renders a grid of compact metric charts; the highlighted one (the limiting factor) gets
/// a thick border and a badge. The picture grows with the number of charts.
pub fn dashboard(title: &str, charts: &[MetricChart], format: Format) -> Result<Vec<u8>, ChartError> {
    let painter = dashboard::Painter { title, charts };
    render(format, painter.size(), &painter)
}

/// Renders the fever chart: share of gap closed against schedule risk, one dot per project.
pub fn fever(chart: &FeverChart, format: Format) -> Result<Vec<u8>, ChartError> {
    render(format, FEVER_SIZE, &fever::Painter(chart))
}

/// A drawing routine that works on any plotters backend. Closures cannot be generic over
/// the backend, so each chart kind implements this once and `render` calls it per format.
trait Paint {
    fn paint<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// Draws with `painter` on a backend of the requested format and returns the encoded bytes.
fn render<P: Paint>(format: Format, (w, h): (u32, u32), painter: &P) -> Result<Vec<u8>, ChartError> {
    font::ensure_registered()?;
    match format {
        Format::Svg => {
            let mut svg = String::with_capacity(128 * 1024);
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                painter.paint(&root)?;
                root.present()?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            // Render into memory rather than a file: the command layer owns file writing
            // (and its all-or-nothing rules), this module only returns bytes.
            let mut rgb = vec![255u8; (w as usize) * (h as usize) * 3];
            {
                let backend = glyphs::GlyphFix { inner: BitMapBackend::with_buffer(&mut rgb, (w, h)) };
                let root = backend.into_drawing_area();
                painter.paint(&root)?;
                root.present()?;
            }
            encode_png(&rgb, w, h)
        }
    }
}

/// Encodes an RGB buffer as PNG with the `png` crate that plotters' bitmap encoder already
/// brings in. Fast compression: the picture is mostly flat colour, so it still compresses
/// well, and encoding time counts against the 200 ms budget of a whole `chart` command.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::with_capacity(rgb.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().map_err(|e| ChartError::Encode(e.to_string()))?;
        writer.write_image_data(rgb).map_err(|e| ChartError::Encode(e.to_string()))?;
        writer.finish().map_err(|e| ChartError::Encode(e.to_string()))?;
    }
    Ok(out)
}
