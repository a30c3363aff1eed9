//! The plots of `rxdsp sim --plots DIR` and `rxdsp demo`: eye diagrams of the
//! ADC samples, the FFE output and the slicer input, a bathtub (SER against
//! a vertical slicer offset), the FEC histogram beside its random-error
//! prediction, the burst-length histogram and the equalizer taps. SVG always,
//! PNG beside it (drawn without system fonts).

use anyhow::{Context, Result};
use golden::config::LinkPlan;
use golden::eq::{Engine, Equalizer};
use golden::link::{Batch, Report, SampleStream};
use golden::numeric::RxCoeffs;
use plot::{Curve, Labels};
use std::path::{Path, PathBuf};

/// Symbols the eye diagrams and the bathtub are computed over.
pub const PLOT_SYMBOLS: usize = 300_000;

fn save(fig: &plot::Figure, dir: &Path, name: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    let svg = dir.join(format!("{name}.svg"));
    // the program's one atomic writer, as for every file it writes
    rxdsp::samples::write_atomic(&svg, fig.to_svg().as_bytes())
        .with_context(|| format!("writing {}", svg.display()))?;
    out.push(svg);
    let png = dir.join(format!("{name}.png"));
    let bytes = fig
        .to_png()
        .with_context(|| format!("drawing {}", png.display()))?;
    rxdsp::samples::write_atomic(&png, &bytes)
        .with_context(|| format!("writing {}", png.display()))?;
    out.push(png);
    Ok(())
}

/// Slicer input `z` and decisions with every threshold moved by `offset`.
fn slice_offset(
    y: &[i32],
    dfe: &[i32],
    t: i32,
    offset: i32,
    z_out: Option<&mut Vec<i32>>,
) -> Vec<u8> {
    let mut hist = [0u8; 4];
    let mut a = Vec::with_capacity(y.len());
    let mut zs = Vec::new();
    for &yv in y {
        let mut z = yv as i64;
        for (j, &b) in dfe.iter().enumerate() {
            z -= b as i64 * (2 * hist[j] as i64 - 3);
        }
        let z = z as i32;
        let d = (z >= -t + offset) as u8 + (z >= offset) as u8 + (z >= t + offset) as u8;
        hist = [d, hist[0], hist[1], hist[2]];
        a.push(d);
        zs.push(z);
    }
    if let Some(o) = z_out {
        *o = zs;
    }
    a
}

/// Draws every plot of a run into `dir`; returns the files written.
pub fn draw(
    plan: &LinkPlan,
    coeffs: &RxCoeffs,
    report: &Report,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    // with the hardware adaptation engine, the eyes and taps show the final coefficients
    let adapted = report.adaptation.as_ref().map(|a| RxCoeffs {
        ffe: a.final_ffe.clone(),
        dfe: a.final_dfe.clone(),
        threshold: a.final_threshold,
    });
    let coeffs = adapted.as_ref().unwrap_or(coeffs);
    if let Some(a) = &report.adaptation {
        adaptation_plots(a, plan.format.ffe_main, dir, &mut files)?;
    }
    realism_plots(plan, report, dir, &mut files)?;
    // the first symbols of the run again (the stream is deterministic)
    let n = (plan.symbols as usize).min(PLOT_SYMBOLS);
    let mut b = Batch::default();
    SampleStream::new(plan, 2).next_batch(n, &mut b);
    let mut eq = Equalizer::new(&plan.format, coeffs, Engine::Fast)?;
    let o = eq.process_all(&b.samples);
    let t = coeffs.threshold;
    let mut z = Vec::new();
    slice_offset(&o.y, &coeffs.dfe, t, 0, Some(&mut z));
    let skip = (report.skipped_symbols as usize).min(n);
    let th = [-(t as f64), 0.0, t as f64];
    let eyes: [(&str, &str, Vec<f64>, &[f64]); 3] = [
        (
            "eye_adc",
            "Eye: ADC samples",
            b.samples[skip..].iter().map(|&v| v as f64).collect(),
            &[],
        ),
        (
            "eye_ffe",
            "Eye: FFE output (slicer thresholds dashed)",
            o.y[skip..].iter().map(|&v| v as f64).collect(),
            &th,
        ),
        (
            "eye_slicer",
            "Eye: slicer input after DFE feedback",
            z[skip..].iter().map(|&v| v as f64).collect(),
            &th,
        ),
    ];
    for (name, title, data, thr) in eyes.iter() {
        let fig = plot::eye_diagram(
            data,
            2,
            thr,
            &Labels::new(title, "time (UI)", "amplitude (LSB)"),
        )?;
        save(&fig, dir, name, &mut files)?;
    }
    // bathtub: SER against a vertical offset of all three thresholds
    let d = report.equalizer.delay;
    let steps = 40i32;
    let span = t.max(2);
    let mut offsets = Vec::new();
    let mut ser = Vec::new();
    for k in -steps..=steps {
        let off = k * span / steps;
        let a = slice_offset(&o.y, &coeffs.dfe, t, off, None);
        let first = skip.max(d).min(n);
        let cnt = (n - first) as u64;
        let errs = a[first..]
            .iter()
            .zip(&b.levels[first - d..n - d])
            .filter(|(x, y)| x != y)
            .count() as u64;
        offsets.push(off as f64);
        ser.push(errs as f64 / cnt.max(1) as f64);
    }
    let fig = plot::bathtub(
        &offsets,
        &[Curve {
            name: "SER",
            y: &ser,
        }],
        &Labels::new(
            &format!("Bathtub: SER against slicer offset ({} symbols)", n - skip),
            "threshold offset (FFE-output LSB)",
            "symbol error ratio",
        ),
    )?;
    save(&fig, dir, "bathtub", &mut files)?;
    if let Some(f) = &report.fec {
        let fig = plot::histogram_with_prediction(
            &f.histogram,
            &f.predicted_histogram,
            &Labels::new(
                &format!(
                    "{}: codewords by symbol errors (last bin: more than t = {}) vs random errors",
                    f.code.to_uppercase(),
                    f.t
                ),
                "symbol errors per codeword",
                "codewords",
            ),
        )?;
        save(&fig, dir, "fec_histogram", &mut files)?;
    }
    let bursts = &report.bursts.histogram;
    let fig = plot::bars(
        &bursts[1..],
        1,
        &Labels::new(
            "Error bursts (last bin: longer)",
            "consecutive wrong decisions",
            "bursts",
        ),
    )?;
    save(&fig, dir, "bursts", &mut files)?;
    let fig = plot::equalizer_taps(
        &coeffs.ffe,
        plan.format.ffe_main,
        &coeffs.dfe,
        &Labels::new(
            &if adapted.is_some() {
                "Equalizer taps (at the end of the adaptation)".to_string()
            } else {
                format!("Equalizer taps ({})", report.equalizer.method)
            },
            "tap (UI from the main cursor)",
            "coefficient (fixed point)",
        ),
    )?;
    save(&fig, dir, "taps", &mut files)?;
    Ok(files)
}

/// The plots of a received stream's adaptation (`rxdsp rx` and `rxdsp
/// stream` with `adapt.in_rtl`): the taps against time, written into `dir`.
pub fn received_adaptation(
    a: &golden::adapt_link::AdaptReport,
    ffe_main: usize,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    adaptation_plots(a, ffe_main, dir, &mut files)?;
    Ok(files)
}

/// The realistic link's plots: the pulse at S samples per UI with the
/// sampling instants marked, the CTLE's and transmit pole's |H(f)|, and the
/// CDR's phase over the run.
fn realism_plots(
    plan: &LinkPlan,
    report: &Report,
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let Some(r) = &plan.realism else {
        return Ok(());
    };
    let s = r.samples_per_ui as f64;
    let w = &r.wave;
    let t: Vec<f64> = (0..w.h.len()).map(|i| (i as f64 - r.pos) / s).collect();
    let (bt, bh): (Vec<f64>, Vec<f64>) = (0..plan.pulse.taps.len())
        .map(|j| (j as f64 - plan.pulse.main as f64, plan.pulse.taps[j]))
        .unzip();
    let fig = plot::lines(
        &[
            plot::Series {
                name: "pulse at the ADC",
                x: &t,
                y: &w.h,
            },
            plot::Series {
                name: "baud-rate samples",
                x: &bt,
                y: &bh,
            },
        ],
        plot::LineOpts {
            markers: false,
            ..Default::default()
        },
        &Labels::new(
            &format!("Pulse response at {} samples per UI", r.samples_per_ui),
            "time from the sampling instant (UI)",
            "amplitude",
        ),
    )?;
    save(&fig, dir, "pulse_oversampled", files)?;
    // the real eye: the waveform at S samples per UI, noise at the sampler's level
    let e = golden::realism::eye_waveform(r, plan.sampler_sigma(), EYE_UI, plan.seed ^ 0xE7E);
    let fig = plot::eye_diagram_oversampled(
        &e.samples,
        e.samples_per_ui,
        2,
        &e.thresholds,
        &Labels::new(
            &format!("Eye at the ADC input, {} samples per UI", r.samples_per_ui),
            "time (UI; sampling instants dashed; thresholds of the unequalized main cursor)",
            "amplitude",
        ),
    )?;
    save(&fig, dir, "eye_oversampled", files)?;
    frequency_response(r, dir, files)?;
    horizontal_bathtub(plan, report, dir, files)?;
    if let Some(c) = &report.cdr {
        let tr = &c.trajectory;
        let x: Vec<f64> = (0..tr.phase_ui.len())
            .map(|k| (k as u64 * tr.every_symbols) as f64)
            .collect();
        let fig = plot::lines(
            &[plot::Series {
                name: "CDR phase",
                x: &x,
                y: &tr.phase_ui,
            }],
            plot::LineOpts::default(),
            &Labels::new("CDR phase over the run", "symbol", "phase (UI)"),
        )?;
        save(&fig, dir, "cdr_phase", files)?;
    }
    Ok(())
}

/// The horizontal bathtub of the realistic link without a CDR: the symbol
/// error ratio of the run's equalizer (coefficients fixed) against the
/// sampling instant, moved from -0.5 to 0.5 UI around the configured one,
/// each point a fresh run of the first [`BATHTUB_SYMBOLS`] symbols.
fn horizontal_bathtub(
    plan: &LinkPlan,
    report: &Report,
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let coeffs = RxCoeffs {
        ffe: report.equalizer.ffe.clone(),
        dfe: report.equalizer.dfe.clone(),
        threshold: report.equalizer.threshold,
    };
    let n = (plan.symbols as usize).min(BATHTUB_SYMBOLS);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for k in -10..=10 {
        let off = k as f64 * 0.05;
        let Some(p) = golden::realism::at_offset(plan, off) else {
            return Ok(());
        };
        let mut b = Batch::default();
        SampleStream::new(&p, 2).next_batch(n, &mut b);
        let mut eq = Equalizer::new(&p.format, &coeffs, Engine::Fast)?;
        let mut lv = vec![0u8; n];
        let mut data = vec![0u8; n];
        eq.process(&b.samples, &mut lv, &mut data);
        let d = p.pulse.main + p.format.ffe_main;
        let skip = d + p.format.ffe_taps + p.pulse.taps.len();
        let counted = n.saturating_sub(skip).max(1);
        let errors = (skip..n).filter(|&i| lv[i] != b.levels[i - d]).count();
        x.push(off);
        y.push(errors as f64 / counted as f64);
    }
    let fig = plot::lines(
        &[plot::Series {
            name: "SER",
            x: &x,
            y: &y,
        }],
        plot::LineOpts {
            log_y: true,
            markers: true,
        },
        &Labels::new(
            "Horizontal bathtub: symbol errors against the sampling instant",
            "sampling instant from the configured one (UI)",
            "symbol error ratio",
        ),
    )?;
    save(&fig, dir, "bathtub_horizontal", files)
}

/// The link's gain against frequency: the whole response the ADC sees
/// (channel, TX FFE, TX pole and CTLE: the spectrum of the pulse at the ADC
/// over that of the 1-UI transmitted rectangle, up to 0.9 baud, where the
/// rectangle's sinc is still far from its zero), the channel and TX alone
/// (the same without the CTLE's gain), the CTLE and the TX pole.
fn frequency_response(
    r: &golden::realism::Realism,
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let f: Vec<f64> = (1..=400).map(|k| k as f64 / 400.0 * r.baud).collect();
    let fg: Vec<f64> = f.iter().map(|v| v / 1e9).collect();
    let n_link = 360; // 0.9 baud
    let s = r.samples_per_ui as f64;
    let link: Vec<f64> = f[..n_link]
        .iter()
        .map(|&hz| {
            let u = hz / r.baud; // cycles per UI
            let (mut re, mut im) = (0.0, 0.0);
            for (n, &h) in r.wave.h.iter().enumerate() {
                let a = -2.0 * std::f64::consts::PI * u * n as f64 / s;
                re += h * a.cos();
                im += h * a.sin();
            }
            let p = (re * re + im * im).sqrt() / s;
            let sinc = (std::f64::consts::PI * u).sin() / (std::f64::consts::PI * u);
            20.0 * (p / sinc.abs()).log10()
        })
        .collect();
    let ctle_db = |hz: f64| {
        r.ctle
            .as_ref()
            .map_or(0.0, |c| 20.0 * c.magnitude(hz).log10())
    };
    let mut curves: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    if r.ctle.is_some() {
        let chan: Vec<f64> = link
            .iter()
            .zip(&f)
            .map(|(l, &hz)| l - ctle_db(hz))
            .collect();
        curves.push(("channel and TX".into(), fg[..n_link].to_vec(), chan));
        curves.push((
            "CTLE".into(),
            fg.clone(),
            f.iter().map(|&v| ctle_db(v)).collect(),
        ));
    }
    curves.push(("at the ADC (all)".into(), fg[..n_link].to_vec(), link));
    if let Some(g) = r.tx_bw_ghz {
        curves.push((
            "TX pole".into(),
            fg.clone(),
            f.iter()
                .map(|&v| -10.0 * (1.0 + (v / (g * 1e9)).powi(2)).log10())
                .collect(),
        ));
    }
    let series: Vec<plot::Series> = curves
        .iter()
        .map(|(n, x, y)| plot::Series { name: n, x, y })
        .collect();
    let fig = plot::lines(
        &series,
        plot::LineOpts::default(),
        &Labels::new(
            "Frequency response: channel, CTLE and the whole link",
            "frequency (GHz)",
            "gain (dB)",
        ),
    )?;
    save(&fig, dir, "frequency_response", files)
}

/// UIs of waveform in the oversampled eye.
const EYE_UI: usize = 4000;

/// Symbols per point of the horizontal bathtub.
const BATHTUB_SYMBOLS: usize = 200_000;

/// The hardware adaptation engine's trajectory: the BER of each interval
/// (when known) and every adapted coefficient against time.
fn adaptation_plots(
    a: &golden::adapt_link::AdaptReport,
    ffe_main: usize,
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let x: Vec<f64> = a.trajectory.iter().map(|p| p.symbol as f64).collect();
    if a.trajectory.iter().all(|p| p.ber.is_none()) {
        return taps_plot(a, ffe_main, &x, dir, files);
    }
    let ber: Vec<f64> = a.trajectory.iter().map(|p| p.ber.unwrap_or(0.0)).collect();
    let fig = plot::lines(
        &[plot::Series {
            name: "BER",
            x: &x,
            y: &ber,
        }],
        plot::LineOpts {
            log_y: true,
            markers: true,
        },
        &Labels::new(
            &format!(
                "Adaptation: BER of each {}-symbol interval (zero-error intervals not drawn)",
                a.report_every
            ),
            "symbols received",
            "bit error ratio",
        ),
    )?;
    save(&fig, dir, "adaptation_ber", files)?;
    taps_plot(a, ffe_main, &x, dir, files)
}

/// Every adapted coefficient of a trajectory against time.
fn taps_plot(
    a: &golden::adapt_link::AdaptReport,
    ffe_main: usize,
    x: &[f64],
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let mut names = Vec::new();
    let mut ys: Vec<Vec<f64>> = Vec::new();
    let n = a.final_ffe.len();
    for k in (0..n).filter(|&k| k != ffe_main) {
        names.push(format!("ffe[{}]", k as i64 - ffe_main as i64));
        ys.push(a.trajectory.iter().map(|p| p.ffe[k] as f64).collect());
    }
    for j in 0..a.final_dfe.len() {
        names.push(format!("dfe[{}]", j + 1));
        ys.push(a.trajectory.iter().map(|p| p.dfe[j] as f64).collect());
    }
    names.push("threshold".into());
    ys.push(a.trajectory.iter().map(|p| p.threshold as f64).collect());
    let series: Vec<plot::Series> = names
        .iter()
        .zip(&ys)
        .map(|(name, y)| plot::Series { name, x, y })
        .collect();
    let fig = plot::lines(
        &series,
        plot::LineOpts::default(),
        &Labels::new(
            "Adaptation: taps and threshold over time (main FFE tap fixed)",
            "symbols received",
            "coefficient (fixed point)",
        ),
    )?;
    save(&fig, dir, "adaptation_taps", files)?;
    Ok(())
}
