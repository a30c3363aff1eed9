//! The sweep's waterfall plot and its HTML page.

use super::write_file;
use anyhow::{Context, Result};
use plot::{Labels, LineOpts, Series};
use rxdsp::sweep::{PointResult, Stop, SweepSpec};
use std::collections::BTreeMap;
use std::path::Path;

/// One curve: the points sharing every swept value but the first.
struct Curve {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

/// BER (dots, solid) with its 95 % interval (thin lines) against the first
/// swept key, one curve per combination of the other keys; points with no
/// error are drawn at their upper bound only. Writes `waterfall.svg/.png`
/// and `index.html`.
pub fn waterfall(dir: &Path, spec: &SweepSpec, points: &[PointResult]) -> Result<()> {
    let key = &spec.axes[0].key;
    let numeric = spec.axes[0].values.iter().all(|v| v.parse::<f64>().is_ok());
    let mut curves: BTreeMap<String, Curve> = BTreeMap::new();
    for p in points.iter().filter(|p| p.stop != Stop::Incomplete) {
        let name = p.values[1..]
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let name = if name.is_empty() { "BER".into() } else { name };
        let x = if numeric {
            p.values[0].1.parse().expect("checked numeric")
        } else {
            spec.axes[0]
                .values
                .iter()
                .position(|v| *v == p.values[0].1)
                .unwrap_or(0) as f64
        };
        let c = curves.entry(name.clone()).or_insert_with(|| Curve {
            name,
            x: vec![],
            y: vec![],
            lo: vec![],
            hi: vec![],
        });
        c.x.push(x);
        c.y.push(p.ber.value);
        c.lo.push(p.ber.lo);
        c.hi.push(p.ber.hi);
    }
    let names: Vec<(String, String, String)> = curves
        .values()
        .map(|c| {
            (
                c.name.clone(),
                format!("{} (95% low)", c.name),
                format!("{} (95% high)", c.name),
            )
        })
        .collect();
    let mut series = Vec::new();
    for (c, n) in curves.values().zip(&names) {
        series.push(Series {
            name: &n.0,
            x: &c.x,
            y: &c.y,
        });
        series.push(Series {
            name: &n.1,
            x: &c.x,
            y: &c.lo,
        });
        series.push(Series {
            name: &n.2,
            x: &c.x,
            y: &c.hi,
        });
    }
    let xlabel = if numeric {
        key.clone()
    } else {
        format!("{key} (index of its values)")
    };
    let files = if series.is_empty() {
        Vec::new()
    } else {
        let fig = plot::lines(
            &series,
            LineOpts {
                log_y: true,
                markers: true,
            },
            &Labels::new(
                &format!("Waterfall: pre-FEC BER against {key}, with 95 % Clopper-Pearson bounds"),
                &xlabel,
                "bit error ratio",
            ),
        )?;
        write_file(&dir.join("waterfall.svg"), fig.to_svg().as_bytes())?;
        write_file(
            &dir.join("waterfall.png"),
            &fig.to_png().context("drawing the waterfall")?,
        )?;
        vec!["waterfall.svg"]
    };
    write_file(
        &dir.join("index.html"),
        page(spec, points, &files).as_bytes(),
    )
}

fn page(spec: &SweepSpec, points: &[PointResult], plots: &[&str]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut h = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>rxdsp sweep</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{max-width:100%}</style></head><body><h1>rxdsp sweep</h1>");
    for f in plots {
        h += &format!(
            "<h2>Pre-FEC BER against {}</h2><p>Each dot is a point's measured bit error ratio; the thin lines above and below are its 95 % Clopper-Pearson interval (a point without errors shows only its upper bound). A point stops when its bit errors reach {} or at {} symbols.</p><img src=\"{f}\" alt=\"waterfall\">",
            esc(&spec.axes[0].key),
            spec.target_errors,
            spec.max_symbols
        );
    }
    h += "<h2>Points</h2><table><tr><th>point</th>";
    for a in &spec.axes {
        h += &format!("<th>{}</th>", esc(&a.key));
    }
    h += "<th>stop</th><th>symbols</th><th>bit errors</th><th>BER</th><th>95 % interval</th><th>FER</th><th>post-FEC BER</th></tr>";
    for p in points {
        h += &format!("<tr><td>{}</td>", p.point);
        for (_, v) in &p.values {
            h += &format!("<td>{}</td>", esc(v));
        }
        let stop = match p.stop {
            Stop::Target => "target",
            Stop::MaxSymbols => "max symbols",
            Stop::Incomplete => "incomplete",
        };
        h += &format!(
            "<td>{stop}</td><td>{}</td><td>{}</td><td>{:.3e}</td><td>{:.2e} .. {:.2e}</td><td>{}</td><td>{}</td></tr>",
            p.counts.symbols,
            p.counts.bit_errors,
            p.ber.value,
            p.ber.lo,
            p.ber.hi,
            p.fer.as_ref().map(|r| format!("{:.3e}", r.value)).unwrap_or_default(),
            p.post_fec_ber
                .as_ref()
                .map(|r| format!("{:.3e} (< {:.2e})", r.value, r.hi))
                .unwrap_or_default(),
        );
    }
    h += "</table><p>points.csv and points.json hold every count; shards/ the records they sum.</p></body></html>\n";
    h
}
