//! Tick computation and the axes frame shared by every chart.

use crate::{Anchor, Color, Figure, Labels, Prim, TextSize};

/// One axis tick.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    /// position in data units
    pub value: f64,
    /// label, empty for an unlabelled minor tick
    pub label: String,
    /// major ticks get a grid line and a long tick mark
    pub major: bool,
}

/// Ticks of a linear axis over `[lo, hi]`: a "nice" step of 1, 2 or 5 times a
/// power of ten giving at most `max_ticks` ticks (at least 2), every tick
/// inside the range (up to rounding). A degenerate or non-finite range gives
/// one tick at `lo` (or none when `lo` is not finite).
pub fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<Tick> {
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let span = hi - lo;
    if span <= f64::EPSILON * lo.abs().max(hi.abs()).max(f64::MIN_POSITIVE) {
        return vec![Tick {
            value: lo,
            label: format_linear(lo, lo.abs().max(1e-300)),
            major: true,
        }];
    }
    let max_ticks = max_ticks.max(2);
    let raw = span / (max_ticks - 1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|i| {
            let v = i as f64 * step;
            Tick {
                value: v,
                label: format_linear(v, step),
                major: true,
            }
        })
        .collect()
}

/// Formats a tick value with as many decimals as the step needs.
fn format_linear(v: f64, step: f64) -> String {
    let v = if v.abs() < step * 1e-6 { 0.0 } else { v };
    if v != 0.0 && (v.abs() >= 1e6 || step < 1e-4) {
        let s = format!("{v:e}");
        // trim float noise in the mantissa: 1.2000000000000002e-5
        if let Some((m, e)) = s.split_once('e') {
            let m: f64 = m.parse().unwrap_or(0.0);
            let m = format!("{:.3}", m);
            let m = m.trim_end_matches('0').trim_end_matches('.');
            return format!("{m}e{e}");
        }
        return s;
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// Ticks of a logarithmic axis over `[lo, hi]` (both > 0): a major tick at
/// every power of ten in the range (every `s`-th one when more than 8 decades),
/// minor ticks at 2..9 times each power when the range is at most 3 decades,
/// and labelled 2 and 5 minor ticks when it is under one decade and a half.
/// Returns no ticks for an invalid range (non-positive or non-finite).
pub fn log_ticks(lo: f64, hi: f64) -> Vec<Tick> {
    if !(lo > 0.0 && hi > 0.0 && lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let eps = 1e-9;
    let (l0, l1) = (lo.log10(), hi.log10());
    let k0 = (l0 - eps).floor() as i32;
    let k1 = (l1 + eps).ceil() as i32;
    let decades = l1 - l0;
    let stride = ((decades / 8.0).ceil() as i32).max(1);
    let inside = |v: f64| v >= lo * (1.0 - eps) && v <= hi * (1.0 + eps);
    let mut ticks = Vec::new();
    for k in k0..=k1 {
        let p = 10f64.powi(k);
        if k.rem_euclid(stride) == 0 && inside(p) {
            ticks.push(Tick {
                value: p,
                label: format_pow10(k),
                major: true,
            });
        }
        if decades <= 3.0 + eps {
            for m in 2..=9 {
                let v = m as f64 * p;
                if inside(v) {
                    let labelled = decades < 1.5 && (m == 2 || m == 5);
                    ticks.push(Tick {
                        value: v,
                        label: if labelled {
                            format_log_minor(m, k)
                        } else {
                            String::new()
                        },
                        major: false,
                    });
                }
            }
        }
    }
    ticks
}

/// `10^k` as a label: plain decimals from 0.01 to 1000, `1e-5` otherwise.
fn format_pow10(k: i32) -> String {
    match k {
        -2 => "0.01".into(),
        -1 => "0.1".into(),
        0..=3 => format!("{}", 10i64.pow(k as u32)),
        _ => format!("1e{k}"),
    }
}

fn format_log_minor(m: u32, k: i32) -> String {
    match k {
        -2 => format!("0.0{m}"),
        -1 => format!("0.{m}"),
        0..=3 => format!("{}", m as i64 * 10i64.pow(k as u32)),
        _ => format!("{m}e{k}"),
    }
}

/// The data range of a log axis: whole decades around the positive finite
/// values, or `None` when there is none.
pub(crate) fn log_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| *v > 0.0 && v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi <= 0.0 {
        return None;
    }
    let lo = 10f64.powf((lo.log10() + 1e-9).floor());
    let mut hi = 10f64.powf((hi.log10() - 1e-9).ceil());
    if hi <= lo {
        hi = lo * 10.0;
    }
    Some((lo, hi))
}

/// A linear range around finite values with `pad` (fraction) on each side;
/// `include` values are forced in.
pub(crate) fn linear_range(values: impl Iterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return None;
    }
    if hi - lo <= 1e-12 * lo.abs().max(1.0) {
        let d = lo.abs().max(1.0) * 0.5;
        return Some((lo - d, hi + d));
    }
    let d = (hi - lo) * pad;
    Some((lo - d, hi + d))
}

/// The plot area of a chart and its data-to-pixel mapping.
#[derive(Clone, Debug)]
pub(crate) struct Axes {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub xr: (f64, f64),
    pub yr: (f64, f64),
    pub xlog: bool,
    pub ylog: bool,
    /// x ticks at integers only (bins)
    pub xint: bool,
}

pub(crate) const GRID: Color = Color(0xd8, 0xd8, 0xd8, 255);
pub(crate) const INK: Color = Color(0x22, 0x22, 0x22, 255);

impl Axes {
    /// Standard layout inside a `width` x `height` figure; `right` is the
    /// right margin.
    pub fn layout(width: u32, height: u32, right: f64) -> Axes {
        let (l, t, b) = (88.0, 52.0, 62.0);
        Axes {
            x: l,
            y: t,
            w: width as f64 - l - right,
            h: height as f64 - t - b,
            xr: (0.0, 1.0),
            yr: (0.0, 1.0),
            xlog: false,
            ylog: false,
            xint: false,
        }
    }

    fn frac(v: f64, r: (f64, f64), log: bool) -> f64 {
        if log {
            (v.log10() - r.0.log10()) / (r.1.log10() - r.0.log10())
        } else {
            (v - r.0) / (r.1 - r.0)
        }
    }

    /// Pixel x of data x.
    pub fn px(&self, v: f64) -> f64 {
        self.x + self.w * Self::frac(v, self.xr, self.xlog)
    }

    /// Pixel y of data y.
    pub fn py(&self, v: f64) -> f64 {
        self.y + self.h * (1.0 - Self::frac(v, self.yr, self.ylog))
    }

    /// The plot rectangle as a clip region.
    pub fn clip(&self) -> Option<(f64, f64, f64, f64)> {
        Some((self.x, self.y, self.w, self.h))
    }

    /// Ticks for the x axis.
    pub fn xticks(&self) -> Vec<Tick> {
        if self.xlog {
            return log_ticks(self.xr.0, self.xr.1);
        }
        let t = linear_ticks(self.xr.0, self.xr.1, (self.w / 70.0) as usize + 1);
        if !self.xint || t.iter().all(|t| t.value == t.value.round()) {
            return t;
        }
        // steps below one on an integer axis: every integer instead
        let (a, b) = (self.xr.0.ceil() as i64, self.xr.1.floor() as i64);
        (a..=b)
            .map(|i| Tick {
                value: i as f64,
                label: i.to_string(),
                major: true,
            })
            .collect()
    }

    /// Ticks for the y axis.
    pub fn yticks(&self) -> Vec<Tick> {
        if self.ylog {
            log_ticks(self.yr.0, self.yr.1)
        } else {
            linear_ticks(self.yr.0, self.yr.1, (self.h / 60.0) as usize + 1)
        }
    }

    /// Background, grid lines and the title: drawn before the data.
    pub fn draw_under(&self, fig: &mut Figure, labels: &Labels, background: Color, grid: bool) {
        fig.prims.push(Prim::Rect {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
            fill: Some(background),
            stroke: None,
        });
        if grid {
            for t in self.xticks().iter().filter(|t| t.major) {
                let x = self.px(t.value).round() + 0.5;
                fig.prims
                    .push(line(vec![(x, self.y), (x, self.y + self.h)], GRID, 1.0));
            }
            for t in self.yticks().iter().filter(|t| t.major) {
                let y = self.py(t.value).round() + 0.5;
                fig.prims
                    .push(line(vec![(self.x, y), (self.x + self.w, y)], GRID, 1.0));
            }
        }
        if !labels.title.is_empty() {
            fig.prims.push(text(
                self.x + self.w / 2.0,
                self.y / 2.0,
                &labels.title,
                TextSize::Title,
                Anchor::Middle,
                true,
            ));
        }
    }

    /// Frame, ticks, tick labels and axis labels: drawn after the data.
    pub fn draw_over(&self, fig: &mut Figure, labels: &Labels) {
        let (x0, y0, x1, y1) = (self.x, self.y, self.x + self.w, self.y + self.h);
        for t in self.xticks() {
            let x = self.px(t.value).round() + 0.5;
            let len = if t.major { 6.0 } else { 3.0 };
            fig.prims.push(line(vec![(x, y1), (x, y1 + len)], INK, 1.0));
            if !t.label.is_empty() {
                fig.prims.push(text(
                    x,
                    y1 + 17.0,
                    &t.label,
                    TextSize::Normal,
                    Anchor::Middle,
                    false,
                ));
            }
        }
        for t in self.yticks() {
            let y = self.py(t.value).round() + 0.5;
            let len = if t.major { 6.0 } else { 3.0 };
            fig.prims.push(line(vec![(x0 - len, y), (x0, y)], INK, 1.0));
            if !t.label.is_empty() {
                fig.prims.push(text(
                    x0 - 9.0,
                    y,
                    &t.label,
                    TextSize::Normal,
                    Anchor::End,
                    false,
                ));
            }
        }
        fig.prims.push(Prim::Rect {
            x: x0.round() + 0.5,
            y: y0.round() + 0.5,
            w: (x1 - x0).round(),
            h: (y1 - y0).round(),
            fill: None,
            stroke: Some((INK, 1.0)),
        });
        if !labels.x.is_empty() {
            fig.prims.push(text(
                x0 + self.w / 2.0,
                y1 + 42.0,
                &labels.x,
                TextSize::Normal,
                Anchor::Middle,
                false,
            ));
        }
        if !labels.y.is_empty() {
            let mut t = text(
                20.0,
                y0 + self.h / 2.0,
                &labels.y,
                TextSize::Normal,
                Anchor::Middle,
                false,
            );
            if let Prim::Text { vertical, .. } = &mut t {
                *vertical = true;
            }
            fig.prims.push(t);
        }
    }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Line(Color),
    Bar(Color),
    Dot(Color),
}

/// A legend box in the top-right (`right = true`) or top-left corner of the
/// plot area.
pub(crate) fn legend(fig: &mut Figure, ax: &Axes, entries: &[(String, Swatch)], right: bool) {
    if entries.is_empty() {
        return;
    }
    let cw = TextSize::Normal.char_width();
    let longest = entries.iter().map(|e| e.0.len()).max().unwrap_or(0) as f64;
    let (row, pad, sw) = (20.0, 8.0, 26.0);
    let w = pad * 3.0 + sw + longest * cw;
    let h = pad * 2.0 + row * entries.len() as f64 - 4.0;
    let x = if right {
        ax.x + ax.w - w - 10.0
    } else {
        ax.x + 10.0
    };
    let y = ax.y + 10.0;
    fig.prims.push(Prim::Rect {
        x: x.round() + 0.5,
        y: y.round() + 0.5,
        w: w.round(),
        h: h.round(),
        fill: Some(Color(255, 255, 255, 235)),
        stroke: Some((Color(0xaa, 0xaa, 0xaa, 255), 1.0)),
    });
    for (i, (name, s)) in entries.iter().enumerate() {
        let cy = y + pad + 8.0 + row * i as f64;
        let sx = x + pad;
        match *s {
            Swatch::Line(c) => fig.prims.push(line(vec![(sx, cy), (sx + sw, cy)], c, 2.0)),
            Swatch::Bar(c) => fig.prims.push(Prim::Rect {
                x: sx + 4.0,
                y: cy - 6.0,
                w: sw - 8.0,
                h: 12.0,
                fill: Some(c),
                stroke: None,
            }),
            Swatch::Dot(c) => {
                fig.prims.push(line(vec![(sx, cy), (sx + sw, cy)], c, 1.5));
                fig.prims.push(Prim::Circle {
                    cx: sx + sw / 2.0,
                    cy,
                    r: 4.0,
                    fill: c,
                });
            }
        }
        fig.prims.push(text(
            sx + sw + pad,
            cy,
            name,
            TextSize::Normal,
            Anchor::Start,
            false,
        ));
    }
}

pub(crate) fn line(pts: Vec<(f64, f64)>, color: Color, width: f64) -> Prim {
    Prim::Line {
        pts,
        color,
        width,
        dash: None,
        class: None,
    }
}

pub(crate) fn text(x: f64, y: f64, s: &str, size: TextSize, anchor: Anchor, bold: bool) -> Prim {
    Prim::Text {
        x,
        y,
        text: s.to_string(),
        size,
        anchor,
        vertical: false,
        color: INK,
        bold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &[Tick]) -> Vec<f64> {
        t.iter().map(|t| t.value).collect()
    }
    fn labels(t: &[Tick]) -> Vec<&str> {
        t.iter()
            .filter(|t| !t.label.is_empty())
            .map(|t| t.label.as_str())
            .collect()
    }

    #[test]
    fn linear_nice_steps() {
        let t = linear_ticks(0.0, 10.0, 6);
        assert_eq!(values(&t), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(labels(&t), vec!["0", "2", "4", "6", "8", "10"]);
        let t = linear_ticks(-0.3, 0.31, 8);
        assert_eq!(
            labels(&t),
            vec!["-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"]
        );
        // at most max_ticks: 7 would need a step of 0.1017, so 0.2
        assert_eq!(
            labels(&linear_ticks(-0.3, 0.31, 7)),
            vec!["-0.2", "0.0", "0.2"]
        );
        // reversed range, negative values, no "-0.0"
        let t = linear_ticks(1.0, -1.0, 3);
        assert_eq!(labels(&t), vec!["-1", "0", "1"]);
        // tiny steps switch to exponents
        let t = linear_ticks(0.0, 5e-5, 6);
        assert_eq!(t.len(), 6);
        assert_eq!(t[1].label, "1e-5");
    }

    #[test]
    fn linear_degenerate() {
        assert_eq!(linear_ticks(3.0, 3.0, 5).len(), 1);
        assert!(linear_ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(linear_ticks(0.0, f64::INFINITY, 5).is_empty());
        // max_ticks below 2 still gives a usable axis
        assert!(linear_ticks(0.0, 1.0, 0).len() >= 2);
    }

    #[test]
    fn log_decades() {
        let t = log_ticks(1e-12, 1.0);
        let major: Vec<&Tick> = t.iter().filter(|t| t.major).collect();
        // 12 decades: every second power of ten, no minor ticks
        assert_eq!(major.len(), 7);
        assert_eq!(t.len(), 7);
        assert_eq!(major[0].label, "1e-12");
        assert_eq!(major[6].label, "1");
        let t = log_ticks(1e-3, 1.0);
        assert_eq!(labels(&t), vec!["1e-3", "0.01", "0.1", "1"]);
        assert_eq!(t.len(), 4 + 3 * 8);
    }

    #[test]
    fn log_within_one_decade() {
        // no power of ten inside: labelled 2 and 5 minor ticks carry the axis
        let t = log_ticks(1.5, 8.0);
        assert!(t.iter().all(|t| !t.major));
        assert_eq!(labels(&t), vec!["2", "5"]);
        let t = log_ticks(2e-7, 9e-7);
        assert_eq!(labels(&t), vec!["2e-7", "5e-7"]);
        // exact powers of ten at both ends are included despite rounding
        let t = log_ticks(1e-7, 1e-6);
        assert_eq!(t.iter().filter(|t| t.major).count(), 2);
    }

    #[test]
    fn log_invalid() {
        assert!(log_ticks(0.0, 1.0).is_empty());
        assert!(log_ticks(-1.0, 1.0).is_empty());
        assert!(log_ticks(1.0, f64::INFINITY).is_empty());
        assert_eq!(log_range([0.0, -1.0].into_iter()), None);
        assert_eq!(log_range([3e-5, 0.2, 0.0].into_iter()), Some((1e-5, 1.0)));
        let (lo, hi) = log_range([1e-3].into_iter()).unwrap();
        assert!((lo - 1e-3).abs() < 1e-15 && (hi - 1e-2).abs() < 1e-15);
    }
}
