//! # rxdsp plots
//!
//! A small plotting library for the link statistics of rxdsp. Every chart is
//! built once as a list of drawing primitives (a [`Figure`]) and written either
//! as SVG ([`Figure::to_svg`], [`Figure::write_svg`]) or as PNG
//! ([`Figure::to_png`], [`Figure::write_png`]). PNG needs no system library and
//! no fontconfig: shapes are rasterized with `tiny-skia` and text is drawn from
//! the pre-rasterized Noto Sans Mono glyphs of `noto-sans-mono-bitmap` (SIL Open
//! Font License), so it is always available. Text is ASCII; other characters are
//! drawn as `?` in PNG.
//!
//! Files are written atomically: to `PATH.partial`, then renamed to `PATH`.
//!
//! ## Charts
//!
//! | function | what it draws |
//! |---|---|
//! | [`eye_diagram`] | trace-density eye of samples at one sample per UI, with the slicer thresholds |
//! | [`eye_diagram_oversampled`] | the same for a waveform at S samples per UI (the real eye) |
//! | [`bathtub`] | symbol error ratio (log y) against slicer-threshold offset, one curve per threshold |
//! | [`histogram_with_prediction`] | measured counts as bars with a predicted count beside each (log y), e.g. symbol errors per FEC codeword vs binomial |
//! | [`bars`] | counts per bin as bars (log y), e.g. the burst-length histogram |
//! | [`lines`] | line chart of x-y series, linear or log y (e.g. a pulse response, \|H(f)\| in dB) |
//! | [`stems`] | stem plot of one or more series, e.g. FFE and DFE taps; [`equalizer_taps`] places them on one cursor axis |
//!
//! Every chart takes [`Labels`] (title, x and y axis labels) and returns a
//! [`Figure`] of [`DEFAULT_WIDTH`] x [`DEFAULT_HEIGHT`] pixels, or a
//! [`PlotError`] for empty or inconsistent input.
//!
//! ## The eye at one sample per UI
//!
//! rxdsp has one sample per unit interval (UI), so there is no waveform between
//! samples to draw. [`eye_diagram`] draws what a sampling scope's persistence
//! display would show of the linear interpolation between consecutive samples:
//! sample `x[k]` sits at the centre of UI `k mod span` (t = 0.5, 1.5, ...), and
//! the straight segment from `x[k]` to `x[k+1]` runs to the centre of the next
//! UI, wrapping around the `span`-UI window. Every segment is rasterized into a
//! 2-D histogram (hits per cell, each trace counts once per cell it crosses),
//! shown on a logarithmic colour scale. The columns at the sampling instants
//! (dotted vertical lines) are exactly the amplitude histogram of the samples;
//! everything between them is interpolation, which is why the crossings look
//! like straight "X"s. For PAM4 the picture has four bands of levels at the
//! sampling instants and three eyes between them, with the three slicer
//! thresholds drawn as dashed lines through the eyes.
//!
//! ```
//! let samples: Vec<i32> = (0..2000).map(|k| [-96, -32, 32, 96][(k * 7 + k / 3) % 4]).collect();
//! let fig = plot::eye_diagram(&samples, 2, &[-64.0, 0.0, 64.0],
//!     &plot::Labels::new("eye", "time (UI)", "ADC code")).unwrap();
//! assert!(fig.to_svg().starts_with("<?xml"));
//! ```

mod axes;
mod charts;
mod raster;
mod svg;

pub use axes::{linear_ticks, log_ticks, Tick};
pub use charts::{
    bars, bathtub, equalizer_taps, eye_diagram, eye_diagram_oversampled, histogram_with_prediction,
    lines, stems, Curve, LineOpts, Series, EYE_MAX_SAMPLES,
};

use std::path::{Path, PathBuf};

/// Width of every chart, in pixels (SVG user units).
pub const DEFAULT_WIDTH: u32 = 900;
/// Height of every chart, in pixels (SVG user units).
pub const DEFAULT_HEIGHT: u32 = 560;

/// What can go wrong making or writing a plot.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// nothing to plot
    #[error("no data to plot: {0}")]
    Empty(&'static str),
    /// input slices that must have the same length do not
    #[error("length mismatch: {what} ({a} vs {b})")]
    LengthMismatch {
        /// which inputs
        what: &'static str,
        /// first length
        a: usize,
        /// second length
        b: usize,
    },
    /// an argument out of its range
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// PNG output cannot be produced (not returned by this build: PNG is always available)
    #[error("PNG output unavailable: {0}")]
    PngUnavailable(String),
    /// writing the file failed
    #[error("cannot write {path}: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
}

/// Titles of a chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels {
    /// title above the plot
    pub title: String,
    /// x-axis label
    pub x: String,
    /// y-axis label
    pub y: String,
}

impl Labels {
    /// Labels from a title and the two axis labels.
    pub fn new(title: &str, x: &str, y: &str) -> Labels {
        Labels {
            title: title.to_string(),
            x: x.to_string(),
            y: y.to_string(),
        }
    }
}

/// An RGBA colour, 8 bits per channel, not premultiplied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8, pub u8);

impl Color {
    pub(crate) const WHITE: Color = Color(255, 255, 255, 255);
    pub(crate) const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color(r, g, b, 255)
    }
    pub(crate) fn with_alpha(self, a: f64) -> Color {
        Color(
            self.0,
            self.1,
            self.2,
            (a.clamp(0.0, 1.0) * 255.0).round() as u8,
        )
    }
    pub(crate) fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// The series colours (a colour-blind-friendly qualitative palette).
pub(crate) const PALETTE: [Color; 6] = [
    Color::rgb(0x1f, 0x77, 0xb4),
    Color::rgb(0xff, 0x7f, 0x0e),
    Color::rgb(0x2c, 0xa0, 0x2c),
    Color::rgb(0xd6, 0x27, 0x28),
    Color::rgb(0x94, 0x67, 0xbd),
    Color::rgb(0x8c, 0x56, 0x4b),
];

/// Horizontal text alignment relative to the anchor point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// Text sizes; the pixel sizes match the bitmap font of the PNG backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextSize {
    Normal,
    Title,
}

impl TextSize {
    /// advance width of one character in pixels
    pub(crate) fn char_width(self) -> f64 {
        raster::char_width(self) as f64
    }
}

/// One drawing primitive, in pixel coordinates (y down).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Prim {
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<Color>,
        stroke: Option<(Color, f64)>,
    },
    /// a polyline; `class` marks data series for tests and styling
    Line {
        pts: Vec<(f64, f64)>,
        color: Color,
        width: f64,
        dash: Option<f64>,
        class: Option<&'static str>,
    },
    Circle {
        cx: f64,
        cy: f64,
        r: f64,
        fill: Color,
    },
    /// text vertically centred on `y`; `vertical` rotates it by -90 degrees
    Text {
        x: f64,
        y: f64,
        text: String,
        size: TextSize,
        anchor: Anchor,
        vertical: bool,
        color: Color,
        bold: bool,
    },
    /// an RGBA image (not premultiplied) stretched over the rectangle
    Image {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        cols: u32,
        rows: u32,
        rgba: Vec<u8>,
    },
    /// start of a group of primitives clipped to the rectangle; `class` marks series
    GroupBegin {
        clip: Option<(f64, f64, f64, f64)>,
        class: Option<&'static str>,
    },
    GroupEnd,
}

/// A finished chart: a size and a list of drawing primitives.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) prims: Vec<Prim>,
}

impl Figure {
    pub(crate) fn new(width: u32, height: u32) -> Figure {
        Figure {
            width,
            height,
            prims: vec![Prim::Rect {
                x: 0.0,
                y: 0.0,
                w: width as f64,
                h: height as f64,
                fill: Some(Color::WHITE),
                stroke: None,
            }],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The figure as an SVG document.
    pub fn to_svg(&self) -> String {
        svg::render(self)
    }

    /// The figure as PNG file bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        raster::render_png(self)
    }

    /// Writes the SVG to `path` atomically (`path.partial`, then rename).
    pub fn write_svg(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        write_atomic(path.as_ref(), self.to_svg().as_bytes())
    }

    /// Writes the PNG to `path` atomically (`path.partial`, then rename).
    pub fn write_png(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let bytes = self.to_png()?;
        write_atomic(path.as_ref(), &bytes)
    }
}

/// Writes `bytes` to `path.partial` and renames it to `path`; removes the
/// partial file on failure.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let io = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Err(e) = std::fs::write(&partial, bytes) {
        let _ = std::fs::remove_file(&partial);
        return Err(io(e));
    }
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        io(e)
    })
}
