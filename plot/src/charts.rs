//! The charts.

use crate::axes::{legend, line, linear_range, log_range, text, Axes, Swatch};
use crate::{
    Anchor, Color, Figure, Labels, PlotError, Prim, TextSize, DEFAULT_HEIGHT, DEFAULT_WIDTH,
    PALETTE,
};

/// At most this many samples (the last ones) are drawn in an eye diagram
/// (about half a second of one core in a release build at this size).
pub const EYE_MAX_SAMPLES: usize = 100_000;

/// One named curve over shared x values (see [`bathtub`]).
#[derive(Clone, Copy, Debug)]
pub struct Curve<'a> {
    /// legend entry
    pub name: &'a str,
    /// one y per x value; non-positive values are not drawn on a log axis
    pub y: &'a [f64],
}

/// One named series of points (see [`stems`]).
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// legend entry
    pub name: &'a str,
    /// x of each point
    pub x: &'a [f64],
    /// y of each point
    pub y: &'a [f64],
}

/// Where a legend goes.
#[derive(Clone, Copy, PartialEq)]
enum LegendPos {
    TopRight,
    /// in the right margin, outside the plot area
    Outside,
}

/// Right margin needed for an outside legend of these names.
fn outside_margin(names: &[&str]) -> f64 {
    let longest = names.iter().map(|n| n.len()).max().unwrap_or(0) as f64;
    (longest * TextSize::Normal.char_width() + 80.0).max(40.0)
}

fn place_legend(fig: &mut Figure, ax: &Axes, entries: &[(String, Swatch)], pos: LegendPos) {
    match pos {
        LegendPos::TopRight => legend(fig, ax, entries, true),
        LegendPos::Outside => {
            // a zero-width axes just right of the plot area hosts the legend
            let mut a = ax.clone();
            a.x = ax.x + ax.w + 4.0;
            a.w = fig.width as f64 - a.x - 4.0;
            legend(fig, &a, entries, false);
        }
    }
}

/// A note in the middle of an empty plot area.
fn empty_note(fig: &mut Figure, ax: &Axes, msg: &str) {
    fig.prims.push(text(
        ax.x + ax.w / 2.0,
        ax.y + ax.h / 2.0,
        msg,
        TextSize::Normal,
        Anchor::Middle,
        false,
    ));
}

/// The "inferno" colour map (matplotlib), `v` in [0, 1], from a few anchors.
fn inferno(v: f64) -> Color {
    const A: [(f64, [f64; 3]); 9] = [
        (0.0, [0.001, 0.000, 0.014]),
        (0.125, [0.117, 0.046, 0.243]),
        (0.25, [0.258, 0.039, 0.406]),
        (0.375, [0.417, 0.090, 0.433]),
        (0.5, [0.578, 0.148, 0.404]),
        (0.625, [0.735, 0.216, 0.330]),
        (0.75, [0.865, 0.317, 0.226]),
        (0.875, [0.955, 0.480, 0.100]),
        (1.0, [0.988, 0.998, 0.645]),
    ];
    let v = v.clamp(0.0, 1.0);
    let i = ((v * 8.0).floor() as usize).min(7);
    let f = (v - A[i].0) / (A[i + 1].0 - A[i].0);
    let c = |k: usize| ((A[i].1[k] + (A[i + 1].1[k] - A[i].1[k]) * f) * 255.0).round() as u8;
    Color::rgb(c(0), c(1), c(2))
}

/// Eye diagram of samples taken at one sample per UI.
///
/// `ui_span` is the window width in UIs (1..=4; 2 is the classic view).
/// The picture is the trace density of the straight segments between
/// consecutive samples, each sample at the centre of its UI (see the crate
/// docs), on a logarithmic colour scale from black (no trace) through purple
/// and orange to pale yellow (the densest cell), with a colour bar. The
/// `thresholds` are drawn as dashed lines and labelled in the right margin. Only the last
/// [`EYE_MAX_SAMPLES`] samples are drawn; non-finite samples are skipped.
///
/// Errors: fewer than two finite samples, or `ui_span` out of range.
pub fn eye_diagram<T: Copy + Into<f64>>(
    samples: &[T],
    ui_span: usize,
    thresholds: &[f64],
    labels: &Labels,
) -> Result<Figure, PlotError> {
    eye_diagram_oversampled(samples, 1, ui_span, thresholds, labels)
}

/// Eye diagram of a waveform at `samples_per_ui` samples per UI (1..=256):
/// as [`eye_diagram`], with sample k at the middle of its 1/`samples_per_ui`
/// UI slot, so the caller puts the sampling instant at the middle of a UI
/// (the dashed vertical lines) by starting the waveform half a UI before
/// it. Straight segments join consecutive samples: at 32 samples per UI
/// the picture is the waveform, not lines between baud-rate points.
pub fn eye_diagram_oversampled<T: Copy + Into<f64>>(
    samples: &[T],
    samples_per_ui: usize,
    ui_span: usize,
    thresholds: &[f64],
    labels: &Labels,
) -> Result<Figure, PlotError> {
    if !(1..=256).contains(&samples_per_ui) {
        return Err(PlotError::Invalid(format!(
            "{samples_per_ui} samples per UI (1 to 256 allowed)"
        )));
    }
    if !(1..=4).contains(&ui_span) {
        return Err(PlotError::Invalid(format!(
            "eye span {ui_span} UI (1 to 4 allowed)"
        )));
    }
    // oversampled: the first sample drawn starts a window (the caller's
    // phase is kept), and as many UIs as at one sample per UI
    let start = match samples_per_ui {
        1 => samples.len().saturating_sub(EYE_MAX_SAMPLES),
        sps => {
            let window = ui_span * sps;
            let from = samples.len().saturating_sub(EYE_MAX_SAMPLES * sps);
            from.div_ceil(window) * window
        }
    };
    let xs: Vec<f64> = samples[start..]
        .iter()
        .map(|&v| v.into())
        .filter(|v: &f64| v.is_finite())
        .collect();
    if xs.len() < 2 {
        return Err(PlotError::Empty("an eye needs at least two finite samples"));
    }
    let mut fig = Figure::new(DEFAULT_WIDTH, DEFAULT_HEIGHT);
    let cw = TextSize::Normal.char_width();
    let label_w = thresholds
        .iter()
        .map(|t| fmt_short(*t).len())
        .max()
        .unwrap_or(0) as f64
        * cw;
    // right margin: threshold labels, then the colour bar and its labels
    let bar_x = 16.0 + label_w.max(48.0);
    let mut ax = Axes::layout(fig.width, fig.height, bar_x + 14.0 + 8.0 + 7.0 * cw + 30.0);
    ax.xr = (0.0, ui_span as f64);
    ax.yr = linear_range(xs.iter().copied().chain(thresholds.iter().copied()), 0.06)
        .expect("finite samples");

    // 2-D histogram, one cell per pixel of the plot area
    let cols = ax.w.round().max(1.0) as usize;
    let rows = ax.h.round().max(1.0) as usize;
    let hits = eye_hits(&xs, samples_per_ui, ui_span, cols, rows, ax.yr);
    let max = hits.iter().copied().max().unwrap_or(0).max(1) as f64;
    let norm = (1.0 + max).ln();
    let mut rgba = Vec::with_capacity(cols * rows * 4);
    for &h in &hits {
        let c = if h == 0 {
            inferno(0.0)
        } else {
            // the faintest trace is visibly above the background
            inferno(0.12 + 0.88 * (1.0 + h as f64).ln() / norm)
        };
        rgba.extend_from_slice(&[c.0, c.1, c.2, 255]);
    }

    ax.draw_under(&mut fig, labels, inferno(0.0), false);
    fig.prims.push(Prim::Image {
        x: ax.x,
        y: ax.y,
        w: ax.w,
        h: ax.h,
        cols: cols as u32,
        rows: rows as u32,
        rgba,
    });
    fig.prims.push(Prim::GroupBegin {
        clip: ax.clip(),
        class: None,
    });
    // sampling instants
    for j in 0..ui_span {
        let x = ax.px(j as f64 + 0.5);
        fig.prims.push(Prim::Line {
            pts: vec![(x, ax.y), (x, ax.y + ax.h)],
            color: Color(255, 255, 255, 90),
            width: 1.0,
            dash: Some(2.0),
            class: None,
        });
    }
    let thr_color = Color::rgb(0x2e, 0xe6, 0xd6);
    for &t in thresholds.iter().filter(|t| t.is_finite()) {
        let y = ax.py(t);
        fig.prims.push(Prim::Line {
            pts: vec![(ax.x, y), (ax.x + ax.w, y)],
            color: thr_color,
            width: 1.5,
            dash: Some(7.0),
            class: Some("threshold"),
        });
    }
    fig.prims.push(Prim::GroupEnd);
    for &t in thresholds.iter().filter(|t| t.is_finite()) {
        fig.prims.push(text(
            ax.x + ax.w + 8.0,
            ax.py(t),
            &fmt_short(t),
            TextSize::Normal,
            Anchor::Start,
            false,
        ));
    }
    if !thresholds.is_empty() {
        fig.prims.push(text(
            ax.x + ax.w + 8.0,
            ax.y - 12.0,
            "slicer",
            TextSize::Normal,
            Anchor::Start,
            false,
        ));
    }
    // colour bar: from one hit (bottom) to the densest cell (top), log scale
    let (bx, bw) = (ax.x + ax.w + bar_x, 14.0);
    let steps = 128usize;
    let v1 = 0.12 + 0.88 * 2f64.ln() / norm;
    let mut bar = Vec::with_capacity(steps * 4);
    for i in 0..steps {
        let v = 1.0 - (1.0 - v1) * i as f64 / (steps - 1) as f64;
        let c = inferno(v);
        bar.extend_from_slice(&[c.0, c.1, c.2, 255]);
    }
    fig.prims.push(Prim::Image {
        x: bx,
        y: ax.y,
        w: bw,
        h: ax.h,
        cols: 1,
        rows: steps as u32,
        rgba: bar,
    });
    fig.prims.push(Prim::Rect {
        x: bx,
        y: ax.y,
        w: bw,
        h: ax.h,
        fill: None,
        stroke: Some((crate::axes::INK, 1.0)),
    });
    for (y, v) in [(ax.y, max), (ax.y + ax.h, 1.0)] {
        fig.prims.push(text(
            bx + bw + 5.0,
            y,
            &fmt_short(v),
            TextSize::Normal,
            Anchor::Start,
            false,
        ));
    }
    let mut note = text(
        bx + bw + 5.0 + cw,
        ax.y + ax.h / 2.0,
        "traces per pixel (log)",
        TextSize::Normal,
        Anchor::Middle,
        false,
    );
    if let Prim::Text { vertical, .. } = &mut note {
        *vertical = true;
    }
    fig.prims.push(note);
    ax.draw_over(&mut fig, labels);
    Ok(fig)
}

/// The eye's 2-D histogram: `rows` x `cols` cells (row 0 at the top, `yr.1`)
/// over `span` UIs; every segment between consecutive samples adds one hit to
/// each cell it crosses.
fn eye_hits(
    xs: &[f64],
    sps: usize,
    span: usize,
    cols: usize,
    rows: usize,
    yr: (f64, f64),
) -> Vec<u32> {
    // column-major while counting, so that the vertical run of every column
    // is contiguous in memory
    let mut cm = vec![0u32; cols * rows];
    // columns per sample slot (1/sps UI)
    let cpu = cols as f64 / (span * sps) as f64;
    let span = span * sps;
    let (ylo, yhi) = yr;
    let scale = rows as f64 / (yhi - ylo);
    let row_of =
        |y: f64| -> usize { ((yhi - y) * scale).floor().clamp(0.0, rows as f64 - 1.0) as usize };
    for (k, w) in xs.windows(2).enumerate() {
        let (y0, y1) = (w[0], w[1]);
        let c0 = ((k % span) as f64 + 0.5) * cpu; // column of x[k]
        let (ca, cb) = (c0.round() as usize, (c0 + cpu).round() as usize);
        let slope = (y1 - y0) / cpu;
        let at = |c: usize| -> usize {
            let d = (c as f64 - c0).clamp(0.0, cpu);
            row_of(y0 + slope * d)
        };
        let mut ra = at(ca);
        for c in ca..cb {
            let rb = at(c + 1);
            let col = &mut cm[(c % cols) * rows..][..rows];
            for h in &mut col[ra.min(rb)..=ra.max(rb)] {
                *h += 1;
            }
            ra = rb;
        }
    }
    let mut hits = vec![0u32; cols * rows];
    for c in 0..cols {
        for r in 0..rows {
            hits[r * cols + c] = cm[c * rows + r];
        }
    }
    hits
}

/// A short label for a value: up to 4 significant digits.
fn fmt_short(v: f64) -> String {
    if v == v.round() && v.abs() < 1e6 {
        format!("{}", v as i64)
    } else if v.abs() >= 1e-3 && v.abs() < 1e6 {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.3e}")
    }
}

/// Polyline segments of (x, y) points, split where y is not drawable.
fn runs(pts: impl Iterator<Item = (f64, f64)>, ok: impl Fn(f64) -> bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new()];
    for (x, y) in pts {
        if x.is_finite() && y.is_finite() && ok(y) {
            out.last_mut().expect("non-empty").push((x, y));
        } else if !out.last().expect("non-empty").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// Bathtub curves: symbol error ratio (log y) against slicer-threshold offset.
///
/// `offsets` are the x values shared by every curve (e.g. offsets from the
/// nominal threshold in ADC codes); each [`Curve`] gives one SER per offset,
/// typically one curve per slicer threshold. Zero (or negative) SER values
/// cannot be drawn on a log axis: the line breaks there. The legend sits in
/// the right margin.
///
/// Errors: no offsets or no curves, or a curve whose length differs from
/// `offsets`.
pub fn bathtub(offsets: &[f64], curves: &[Curve], labels: &Labels) -> Result<Figure, PlotError> {
    if offsets.is_empty() || curves.is_empty() {
        return Err(PlotError::Empty("a bathtub needs offsets and curves"));
    }
    for c in curves {
        if c.y.len() != offsets.len() {
            return Err(PlotError::LengthMismatch {
                what: "bathtub curve vs offsets",
                a: c.y.len(),
                b: offsets.len(),
            });
        }
    }
    let mut fig = Figure::new(DEFAULT_WIDTH, DEFAULT_HEIGHT);
    let names: Vec<&str> = curves.iter().map(|c| c.name).collect();
    let mut ax = Axes::layout(fig.width, fig.height, outside_margin(&names));
    ax.xr =
        linear_range(offsets.iter().copied(), 0.03).ok_or(PlotError::Empty("no finite offsets"))?;
    ax.ylog = true;
    let yr = log_range(curves.iter().flat_map(|c| c.y.iter().copied()));
    ax.yr = yr.unwrap_or((1e-6, 1.0));
    ax.draw_under(&mut fig, labels, Color::WHITE, true);
    let mut entries = Vec::new();
    for (i, c) in curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        fig.prims.push(Prim::GroupBegin {
            clip: ax.clip(),
            class: Some("series"),
        });
        let rs = runs(offsets.iter().copied().zip(c.y.iter().copied()), |y| {
            y > 0.0
        });
        for r in &rs {
            let pts: Vec<(f64, f64)> = r.iter().map(|&(x, y)| (ax.px(x), ax.py(y))).collect();
            for &(x, y) in &pts {
                fig.prims.push(Prim::Circle {
                    cx: x,
                    cy: y,
                    r: 2.5,
                    fill: color,
                });
            }
            fig.prims.push(line(pts, color, 2.0));
        }
        fig.prims.push(Prim::GroupEnd);
        entries.push((c.name.to_string(), Swatch::Dot(color)));
    }
    if yr.is_none() {
        empty_note(&mut fig, &ax, "no errors: every SER is zero");
    }
    ax.draw_over(&mut fig, labels);
    place_legend(&mut fig, &ax, &entries, LegendPos::Outside);
    Ok(fig)
}

/// Integer x axis over bins `first..end`.
fn bin_axes(fig: &Figure, first: usize, end: usize, right: f64) -> Axes {
    let mut ax = Axes::layout(fig.width, fig.height, right);
    ax.xr = (first as f64 - 0.6, end as f64 - 0.4);
    ax.xint = true;
    ax
}

/// The values plus half the smallest positive one, so that the log axis
/// starts below the smallest bar (a count of 1 on an axis from 1 would have
/// no height).
fn counts_floor(values: impl Iterator<Item = f64>) -> impl Iterator<Item = f64> {
    let v: Vec<f64> = values.collect();
    let min = v
        .iter()
        .copied()
        .filter(|&x| x > 0.0 && x.is_finite())
        .fold(f64::INFINITY, f64::min);
    let extra = if min.is_finite() {
        Some(min * 0.5)
    } else {
        None
    };
    v.into_iter().chain(extra)
}

/// A bar from the bottom of a log axis to `v` centred on `x`.
fn log_bar(ax: &Axes, x: f64, width: f64, v: f64, color: Color, fill_alpha: f64) -> Vec<Prim> {
    let (x0, x1) = (ax.px(x - width / 2.0), ax.px(x + width / 2.0));
    let top = ax.py(v).max(ax.y);
    let bottom = ax.y + ax.h;
    if top >= bottom {
        return Vec::new();
    }
    vec![Prim::Rect {
        x: x0,
        y: top,
        w: x1 - x0,
        h: bottom - top,
        fill: Some(color.with_alpha(fill_alpha)),
        stroke: Some((color, 1.0)),
    }]
}

/// Measured counts per bin as bars, each with a predicted count beside it,
/// on a log y axis: e.g. symbol errors per FEC codeword (bin `i` = codewords
/// with `i` symbol errors) against the binomial prediction.
///
/// The two slices may differ in length (the x axis covers the longer one).
/// Zero counts draw no bar; predictions below 1e-15 of the largest value are
/// cut at the axis floor.
///
/// Errors: both slices empty.
pub fn histogram_with_prediction(
    measured: &[u64],
    predicted: &[f64],
    labels: &Labels,
) -> Result<Figure, PlotError> {
    let n = measured.len().max(predicted.len());
    if n == 0 {
        return Err(PlotError::Empty("no bins"));
    }
    let mut fig = Figure::new(DEFAULT_WIDTH, DEFAULT_HEIGHT);
    let mut ax = bin_axes(&fig, 0, n, 30.0);
    ax.ylog = true;
    let peak = measured
        .iter()
        .map(|&v| v as f64)
        .chain(predicted.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let floor = peak * 1e-15;
    let yr = log_range(counts_floor(
        measured
            .iter()
            .map(|&v| v as f64)
            .chain(predicted.iter().copied())
            .filter(|&v| v >= floor),
    ));
    ax.yr = yr.unwrap_or((0.1, 10.0));
    ax.draw_under(&mut fig, labels, Color::WHITE, true);
    let (cm, cp) = (PALETTE[0], PALETTE[1]);
    fig.prims.push(Prim::GroupBegin {
        clip: ax.clip(),
        class: Some("series"),
    });
    for (i, &m) in measured.iter().enumerate() {
        if m > 0 {
            fig.prims
                .extend(log_bar(&ax, i as f64 - 0.2, 0.38, m as f64, cm, 0.85));
        }
    }
    fig.prims.push(Prim::GroupEnd);
    fig.prims.push(Prim::GroupBegin {
        clip: ax.clip(),
        class: Some("series"),
    });
    for (i, &p) in predicted.iter().enumerate() {
        if p > 0.0 && p.is_finite() {
            fig.prims
                .extend(log_bar(&ax, i as f64 + 0.2, 0.38, p, cp, 0.35));
        }
    }
    fig.prims.push(Prim::GroupEnd);
    if yr.is_none() {
        empty_note(&mut fig, &ax, "all counts are zero");
    }
    ax.draw_over(&mut fig, labels);
    place_legend(
        &mut fig,
        &ax,
        &[
            ("measured".into(), Swatch::Bar(cm)),
            ("predicted".into(), Swatch::Bar(cp.with_alpha(0.6))),
        ],
        LegendPos::TopRight,
    );
    Ok(fig)
}

/// Counts per bin as bars on a log y axis, bins `first_bin..counts.len()`
/// (e.g. the burst-length histogram, whose bin 0 is unused: `first_bin = 1`).
/// Zero counts draw no bar.
///
/// Errors: no bin at or after `first_bin`.
pub fn bars(counts: &[u64], first_bin: usize, labels: &Labels) -> Result<Figure, PlotError> {
    if first_bin >= counts.len() {
        return Err(PlotError::Empty("no bins"));
    }
    let mut fig = Figure::new(DEFAULT_WIDTH, DEFAULT_HEIGHT);
    let mut ax = bin_axes(&fig, first_bin, counts.len(), 30.0);
    ax.ylog = true;
    let yr = log_range(counts_floor(counts[first_bin..].iter().map(|&v| v as f64)));
    ax.yr = yr.unwrap_or((0.1, 10.0));
    ax.draw_under(&mut fig, labels, Color::WHITE, true);
    fig.prims.push(Prim::GroupBegin {
        clip: ax.clip(),
        class: Some("series"),
    });
    for (i, &c) in counts.iter().enumerate().skip(first_bin) {
        if c > 0 {
            fig.prims
                .extend(log_bar(&ax, i as f64, 0.7, c as f64, PALETTE[0], 0.85));
        }
    }
    fig.prims.push(Prim::GroupEnd);
    if yr.is_none() {
        empty_note(&mut fig, &ax, "all counts are zero");
    }
    ax.draw_over(&mut fig, labels);
    Ok(fig)
}

/// Refuses a set of series with no point at all, or one whose x and y lengths differ.
fn check_series(series: &[Series], what: &'static str) -> Result<(), PlotError> {
    if series.iter().all(|s| s.x.is_empty()) {
        return Err(PlotError::Empty("no points"));
    }
    match series.iter().find(|s| s.x.len() != s.y.len()) {
        Some(s) => Err(PlotError::LengthMismatch {
            what,
            a: s.x.len(),
            b: s.y.len(),
        }),
        None => Ok(()),
    }
}

/// Stem plot of one or more series on linear axes, with a zero line. Series
/// sharing x positions are spread apart by a small horizontal offset
/// (series `j` moves right by `0.15 j` x units when one of its x values is
/// within 0.05 of an earlier series' x value) so that every stem stays
/// visible. The legend sits in the right margin.
///
/// Errors: no series or no points, or a series whose x and y lengths differ.
pub fn stems(series: &[Series], labels: &Labels) -> Result<Figure, PlotError> {
    check_series(series, "stem series x vs y")?;
    let mut fig = Figure::new(DEFAULT_WIDTH, DEFAULT_HEIGHT);
    let names: Vec<&str> = series.iter().map(|s| s.name).collect();
    let mut ax = Axes::layout(fig.width, fig.height, outside_margin(&names));
    // a series whose x positions collide with an earlier one moves right
    let shifts: Vec<f64> = series
        .iter()
        .enumerate()
        .map(|(j, s)| {
            let collides = series[..j].iter().any(|e| {
                s.x.iter()
                    .any(|x| e.x.iter().any(|ex| (x - ex).abs() < 0.05))
            });
            if collides {
                0.15 * j as f64
            } else {
                0.0
            }
        })
        .collect();
    let shift = |j: usize| shifts[j];
    let xr = linear_range(
        series
            .iter()
            .enumerate()
            .flat_map(|(j, s)| s.x.iter().map(move |x| x + shift(j))),
        0.0,
    )
    .ok_or(PlotError::Empty("no finite x"))?;
    ax.xr = (xr.0 - 0.7, xr.1 + 0.7);
    ax.xint = series.iter().all(|s| s.x.iter().all(|x| *x == x.round()));
    ax.yr = linear_range(
        series.iter().flat_map(|s| s.y.iter().copied()).chain([0.0]),
        0.08,
    )
    .ok_or(PlotError::Empty("no finite y"))?;
    ax.draw_under(&mut fig, labels, Color::WHITE, true);
    let zero = ax.py(0.0);
    fig.prims.push(line(
        vec![(ax.x, zero), (ax.x + ax.w, zero)],
        Color(0x66, 0x66, 0x66, 255),
        1.0,
    ));
    let mut entries = Vec::new();
    for (j, s) in series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        fig.prims.push(Prim::GroupBegin {
            clip: ax.clip(),
            class: Some("series"),
        });
        for (&x, &y) in s.x.iter().zip(s.y) {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            let px = ax.px(x + shift(j));
            fig.prims
                .push(line(vec![(px, zero), (px, ax.py(y))], color, 2.0));
            fig.prims.push(Prim::Circle {
                cx: px,
                cy: ax.py(y),
                r: 4.5,
                fill: color,
            });
        }
        fig.prims.push(Prim::GroupEnd);
        entries.push((s.name.to_string(), Swatch::Dot(color)));
    }
    ax.draw_over(&mut fig, labels);
    place_legend(&mut fig, &ax, &entries, LegendPos::Outside);
    Ok(fig)
}

/// Equalizer taps on one cursor axis: FFE tap `i` at x = `i - ffe_main`
/// (precursors negative, the main tap at 0), DFE tap `j` (0-based) at
/// x = `j + 1` (the post-cursor it cancels). Two series, "FFE" and "DFE";
/// coefficients may be integers (fixed point) or floats.
///
/// Errors: as [`stems`] (no taps at all).
pub fn equalizer_taps<T: Copy + Into<f64>>(
    ffe: &[T],
    ffe_main: usize,
    dfe: &[T],
    labels: &Labels,
) -> Result<Figure, PlotError> {
    let fx: Vec<f64> = (0..ffe.len()).map(|i| i as f64 - ffe_main as f64).collect();
    let fy: Vec<f64> = ffe.iter().map(|&v| v.into()).collect();
    let dx: Vec<f64> = (1..=dfe.len()).map(|j| j as f64).collect();
    let dy: Vec<f64> = dfe.iter().map(|&v| v.into()).collect();
    let mut s = vec![Series {
        name: "FFE",
        x: &fx,
        y: &fy,
    }];
    if !dfe.is_empty() {
        s.push(Series {
            name: "DFE",
            x: &dx,
            y: &dy,
        });
    }
    stems(&s, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At S samples per UI the waveform itself is drawn: a signal at +1 in
    /// the first half of every UI and -1 in the second puts every hit of
    /// the middle of the first half on the +1 row, none on the -1 row.
    #[test]
    fn oversampled_eye_draws_the_waveform_within_the_ui() {
        let sps = 16;
        let xs: Vec<f64> = (0..sps * 40)
            .map(|k| if k % sps < sps / 2 { 1.0 } else { -1.0 })
            .collect();
        let (cols, rows) = (320, 40);
        let (ylo, yhi) = (-1.5, 1.5);
        let h = eye_hits(&xs, sps, 2, cols, rows, (ylo, yhi));
        let row = |y: f64| ((yhi - y) / (yhi - ylo) * rows as f64) as usize;
        // 160 columns per UI: the middle of the first half is column 40
        let at = |r: usize, c: usize| h[r * cols + c];
        assert!(at(row(1.0), 40) > 0 && at(row(-1.0), 40) == 0);
        assert!(at(row(-1.0), 120) > 0 && at(row(1.0), 120) == 0);
        assert!(at(row(1.0), 200) > 0, "second UI of the window");
        assert!(eye_diagram_oversampled(&xs, 0, 2, &[], &Labels::new("", "", "")).is_err());
        assert!(eye_diagram_oversampled(&xs, sps, 2, &[0.0], &Labels::new("", "", "")).is_ok());
    }

    #[test]
    fn eye_of_isi_free_pam4_is_mirror_symmetric_with_open_eyes() {
        // every transition between the four levels equally often, no ISI
        let lv = [-3.0, -1.0, 1.0, 3.0];
        let mut xs = Vec::new();
        for a in 0..4 {
            for b in 0..4 {
                xs.push(lv[a]);
                xs.push(lv[b]);
            }
        }
        // a palindrome holds every transition as often as its reverse
        let rev: Vec<f64> = xs.iter().rev().copied().collect();
        xs.extend(rev);
        let (cols, rows) = (100, 80);
        // a range whose row boundaries the segments never hit exactly, so
        // that rounding cannot break the symmetry
        let (ylo, yhi) = (-4.0123, 4.0071);
        let h = eye_hits(&xs, 1, 1, cols, rows, (ylo, yhi));
        let row = |y: f64| ((yhi - y) / (yhi - ylo) * rows as f64) as usize;
        let total: u64 = h.iter().map(|&v| v as u64).sum();
        assert!(total > 0);
        // the segment x[k] -> x[k+1] runs from t = 0.5 to 1.5 (wrapping);
        // reversed in time the same transitions appear, so the picture is
        // symmetric about the sampling instant (between columns 49 and 50)
        for r in 0..rows {
            for d in 1..cols / 2 {
                let (a, b) = (cols / 2 - d, cols / 2 + d - 1);
                assert_eq!(h[r * cols + a], h[r * cols + b], "row {r} col {a} vs {b}");
            }
        }
        // at the sampling instant only the four level rows are hit: the
        // three eyes are open at the slicer thresholds -2, 0, 2
        let c = cols / 2;
        for thr in [-2.0, 0.0, 2.0] {
            let r = row(thr);
            assert_eq!(h[r * cols + c], 0, "eye closed at {thr}");
        }
        for level in lv {
            assert!(h[row(level) * cols + c] > 0);
        }
    }

    #[test]
    fn inferno_ends() {
        assert_eq!(inferno(0.0), Color::rgb(0, 0, 4));
        assert_eq!(inferno(1.0), Color::rgb(252, 254, 164));
        assert_eq!(inferno(2.0), inferno(1.0));
    }
}

/// Options of [`lines`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LineOpts {
    /// logarithmic y axis (non-positive values break the lines)
    pub log_y: bool,
    /// draw a marker at every point
    pub markers: bool,
}

/// A line chart of one or more series (e.g. a pulse response at several
/// samples per UI, or |H(f)| in dB against frequency). The legend sits in the
/// right margin when there is more than one series.
///
/// Errors: no points, or a series whose x and y lengths differ.
pub fn lines(series: &[Series], opts: LineOpts, labels: &Labels) -> Result<Figure, PlotError> {
    check_series(series, "line series x vs y")?;
    let mut fig = Figure::new(DEFAULT_WIDTH, DEFAULT_HEIGHT);
    let names: Vec<&str> = series.iter().map(|s| s.name).collect();
    let right = if series.len() > 1 {
        outside_margin(&names)
    } else {
        30.0
    };
    let mut ax = Axes::layout(fig.width, fig.height, right);
    ax.xr = linear_range(series.iter().flat_map(|s| s.x.iter().copied()), 0.0)
        .ok_or(PlotError::Empty("no finite x"))?;
    let ys = || series.iter().flat_map(|s| s.y.iter().copied());
    let yr = if opts.log_y {
        ax.ylog = true;
        log_range(ys())
    } else {
        linear_range(ys(), 0.05)
    };
    ax.yr = yr.unwrap_or(if opts.log_y { (0.1, 10.0) } else { (-1.0, 1.0) });
    ax.draw_under(&mut fig, labels, Color::WHITE, true);
    let mut entries = Vec::new();
    for (j, s) in series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        fig.prims.push(Prim::GroupBegin {
            clip: ax.clip(),
            class: Some("series"),
        });
        let ok = |y: f64| !opts.log_y || y > 0.0;
        for r in runs(s.x.iter().copied().zip(s.y.iter().copied()), ok) {
            let pts: Vec<(f64, f64)> = r.iter().map(|&(x, y)| (ax.px(x), ax.py(y))).collect();
            if opts.markers {
                for &(cx, cy) in &pts {
                    fig.prims.push(Prim::Circle {
                        cx,
                        cy,
                        r: 3.0,
                        fill: color,
                    });
                }
            }
            fig.prims.push(line(pts, color, 1.8));
        }
        fig.prims.push(Prim::GroupEnd);
        entries.push((
            s.name.to_string(),
            if opts.markers {
                Swatch::Dot(color)
            } else {
                Swatch::Line(color)
            },
        ));
    }
    if yr.is_none() {
        empty_note(&mut fig, &ax, "nothing to draw on this axis");
    }
    ax.draw_over(&mut fig, labels);
    if series.len() > 1 {
        place_legend(&mut fig, &ax, &entries, LegendPos::Outside);
    }
    Ok(fig)
}
