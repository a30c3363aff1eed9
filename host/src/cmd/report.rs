//! The human-readable summary of a link run and its one-page HTML report.

use anyhow::{Context, Result};
use golden::config::LinkPlan;
use golden::link::Report;
use std::path::Path;

/// The summary `rxdsp sim` and `rxdsp demo` print.
pub fn summary(plan: &LinkPlan, r: &Report) -> String {
    let f = &plan.format;
    let e = &r.equalizer;
    let mut s = String::new();
    s += &format!(
        "link       {} symbols of {}, channel {} ({} taps), SNR {:.1} dB, {}-bit ADC{}\n",
        r.symbols,
        r.pattern,
        r.channel.name,
        r.channel.taps.len(),
        r.channel.snr_db,
        f.adc_bits,
        if f.precode { ", precoded" } else { "" }
    );
    s += &format!(
        "equalizer  FFE {} taps (main {}) + DFE {} taps, coefficients by {}\n",
        f.ffe_taps, f.ffe_main, f.dfe_taps, e.method
    );
    s += &format!(
        "           ffe {:?}\n           dfe {:?}  threshold {}\n",
        e.ffe, e.dfe, e.threshold
    );
    s += &format!(
        "pre-FEC    BER {:.3e} ({} of {} bits)  SER {:.3e} ({} of {} symbols)\n",
        r.pre_fec.ber,
        r.pre_fec.bit_errors,
        r.pre_fec.bits,
        r.pre_fec.ser.unwrap_or(0.0),
        r.pre_fec.symbol_errors.unwrap_or(0),
        r.pre_fec.symbols.unwrap_or(0)
    );
    s += &format!(
        "bursts     {} error bursts, longest {} symbols\n",
        r.bursts.count, r.bursts.longest
    );
    if let Some(f) = &r.fec {
        s += &format!(
            "FEC        {}{}: {} codewords, {} corrected ({} symbols), {} uncorrectable; FEC SER {:.3e}\n",
            f.code.to_uppercase(),
            if f.interleave { " 2-way interleaved" } else { "" },
            f.codewords,
            f.corrected_codewords,
            f.corrected_symbols,
            f.uncorrectable_codewords,
            f.ser
        );
        s += &format!(
            "           frame loss {:.3e} measured, {:.3e} predicted for random errors at that SER\n",
            f.frame_loss_ratio, f.predicted_frame_loss_ratio
        );
        let worst = f.histogram.iter().rposition(|&c| c > 0).unwrap_or(0).max(1);
        let pred: Vec<f64> = f.predicted_histogram[..=worst]
            .iter()
            .map(|v| (v * 10.0).round() / 10.0)
            .collect();
        s += &format!(
            "           codewords by symbol errors {:?} (last bin of the full list: more than t = {})\n           random-error prediction   {:?}\n",
            &f.histogram[..=worst],
            f.t,
            pred
        );
        s += &format!(
            "post-FEC   BER {:.3e} ({} of {} bits)\n",
            r.post_fec.ber, r.post_fec.bit_errors, r.post_fec.bits
        );
    }
    if let Some(x) = &r.realism {
        s += &format!(
            "waveform   {} samples/UI, sampled {:+.3} UI from the pulse peak, adc.phase {:+.3} UI{}{}\n",
            x.samples_per_ui,
            x.sampling_offset_ui,
            x.adc_phase_ui,
            match &x.ctle {
                Some(c) => format!(
                    ", CTLE g_dc {} dB g_dc2 {} dB{} (noise gain {:.3})",
                    c.g_dc,
                    c.g_dc2,
                    if x.ctle_search.is_some() { " (searched)" } else { "" },
                    x.noise_gain
                ),
                None => String::new(),
            },
            match x.tx_bw_ghz {
                Some(g) => format!(", TX pole {g} GHz"),
                None => String::new(),
            }
        );
        let j = &x.jitter;
        if j.rj_ui > 0.0 || j.dj_ui > 0.0 || j.sj_ui > 0.0 {
            s += &format!(
                "jitter     RJ {} UI rms, DJ {} UI pk-pk, SJ {} UI at {:.4e} Hz\n",
                j.rj_ui, j.dj_ui, j.sj_ui, j.sj_freq
            );
        }
    }
    if let Some(c) = &r.cdr {
        s += &format!(
            "CDR        Mueller-Muller, bandwidth {:.3e} Hz, {}, phase mean {} std {} UI after lock\n",
            c.bandwidth_hz,
            match c.lock_symbols {
                Some(n) => format!("locked after {n} symbols"),
                None => "not locked".into(),
            },
            c.phase_mean_ui.map_or("-".into(), |v| format!("{v:+.4}")),
            c.phase_std_ui.map_or("-".into(), |v| format!("{v:.4}"))
        );
    }
    s += &format!(
        "speed      {:.1} M symbols/s, {} channel thread(s) + 1 receiver thread ({:.2} s)\n",
        r.timing.symbols_per_second / 1e6,
        r.timing.threads,
        r.timing.seconds
    );
    s
}

/// Writes the one-page HTML report (the summary, the plots in `plot_dir`
/// and the JSON report) to `path`.
pub fn write_html(path: &Path, plan: &LinkPlan, r: &Report, plot_dir: &Path) -> Result<()> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    // plots are linked relative to the page when they sit below its folder
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let rel = |name: &str| -> String {
        let p = plot_dir.join(name);
        p.strip_prefix(&base)
            .map(|x| x.display().to_string())
            .unwrap_or_else(|_| std::fs::canonicalize(&p).unwrap_or(p).display().to_string())
    };
    let mut h = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>rxdsp report</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{background:#f4f4f4;padding:1em;overflow-x:auto}img{max-width:100%}</style></head><body>");
    h += "<h1>rxdsp link report</h1><pre>";
    h += &esc(&summary(plan, r));
    h += "</pre>";
    let mut names = vec!["eye_adc", "eye_ffe", "eye_slicer", "bathtub"];
    if r.fec.is_some() {
        names.push("fec_histogram");
    }
    names.extend(["bursts", "taps"]);
    if r.realism.is_some() {
        names.push("pulse_oversampled");
        names.push("eye_oversampled");
        if r.cdr.is_none() {
            names.push("bathtub_horizontal");
        }
        names.push("frequency_response");
    }
    if r.cdr.is_some() {
        names.push("cdr_phase");
    }
    if let Some(a) = &r.adaptation {
        if a.trajectory.iter().any(|p| p.ber.is_some()) {
            names.push("adaptation_ber");
        }
        names.push("adaptation_taps");
    }
    for n in names {
        let (title, read) = plot_caption(n);
        h += &format!(
            "<h2>{}</h2><p>{}</p><img src=\"{}\" alt=\"{}\">",
            esc(title),
            esc(read),
            esc(&rel(&format!("{n}.svg"))),
            esc(title)
        );
    }
    h += "<h2>report.json</h2><pre>";
    h += &esc(&serde_json::to_string_pretty(r).context("serializing")?);
    h += "</pre></body></html>\n";
    super::write_file(path, h.as_bytes()).context("writing the HTML report")?;
    Ok(())
}

/// The HTML report's title of plot `name` and a sentence on what to read
/// from it.
fn plot_caption(name: &str) -> (&'static str, &'static str) {
    match name {
        "eye_adc" => ("Eye of the ADC samples", "The channel's intersymbol interference before any equalization, one sample per UI: the three eyes between the four levels are open only on a short channel."),
        "eye_ffe" => ("Eye after the FFE", "What the feed-forward equalizer leaves: the eyes should open; what remains is post-cursor ISI for the DFE, noise and residual ISI."),
        "eye_slicer" => ("Eye at the slicer", "The signal the decisions are taken on (after the DFE) with the three thresholds: the vertical opening at the sampling instant against the thresholds is the eye height that sets the BER."),
        "bathtub" => ("Vertical bathtub", "Symbol error ratio against an offset of the slicer thresholds: read the error ratio at zero offset and how far the thresholds may move before it rises."),
        "fec_histogram" => ("Symbol errors per FEC codeword", "Codewords per number of symbol errors, measured against the prediction for independent errors; the last bin (more than t) are the frames the decoder loses."),
        "bursts" => ("Error bursts", "Lengths of runs of consecutive symbol errors: long bursts (DFE error propagation) cost the FEC more than the BER suggests."),
        "taps" => ("Equalizer taps", "The FFE and DFE coefficients in use: large taps far from the main cursor mean long ISI."),
        "pulse_oversampled" => ("Pulse response at the ADC input", "The channel with the TX FFE, TX pole and CTLE as the sampler sees it at S samples per UI; the markers are the baud-rate samples the equalizer is designed on."),
        "eye_oversampled" => ("Eye at the ADC input, S samples per UI", "The waveform itself (not lines between baud-rate samples) with the noise at the sampler's level: the vertical opening at the instant is the unequalized eye height, the horizontal opening the eye width."),
        "bathtub_horizontal" => ("Horizontal bathtub", "Symbol error ratio against the sampling instant, the equalizer held fixed: read the error ratio at the configured instant (offset 0) and the width of the phase window that keeps it low."),
        "frequency_response" => ("Frequency response", "The channel's loss (with the TX FFE and pole), the CTLE's peaking, and the whole response the ADC sees, in dB against frequency: read the loss at Nyquist (half the baud rate) and how much the CTLE gives back."),
        "cdr_phase" => ("Clock recovery: phase over time", "The sampling phase the CDR chooses: the lock time at the start, then the wander noise and jitter leave in lock."),
        "adaptation_ber" => ("Adaptation: bit error ratio over time", "The BER of each interval while the hardware engine adapts: it falls as the taps converge, then stays flat once frozen."),
        "adaptation_taps" => ("Adaptation: taps over time", "Every adapted coefficient and the threshold against time (main FFE tap fixed): convergence, then the frozen values."),
        _ => ("Plot", ""),
    }
}
