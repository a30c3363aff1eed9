//! Drivers for the Reed-Solomon tops `rxdsp_rs_dec` and `rxdsp_rs_enc`
//! (Verilator), in the stream format of [`rtl::rs`]: a codeword is
//! `ceil(n/S)` beats of `S` 10-bit lanes, lane 0 in the LSBs.

use crate::verilator::{build_library_with, get_bits, put_bits, BuildInfo, BuildOpts, Model};
use crate::SimError;
use golden::fec::{Code, FecStats};

/// Builds (or reuses from the cache) the Verilated decoder for `code` at `s` symbols per clock.
pub fn build_dec(code: Code, s: usize) -> Result<(Model, BuildInfo), SimError> {
    let d = rtl::rs::design_dec(code, s)?;
    let info = build_library_with(&d.files, rtl::rs::DEC_TOP, &d.ports, BuildOpts::LIGHT)?;
    Ok((Model::load(&info.library, &d.ports)?, info))
}

/// Builds (or reuses from the cache) the Verilated encoder for `code` at `s` symbols per clock.
pub fn build_enc(code: Code, s: usize) -> Result<(Model, BuildInfo), SimError> {
    let d = rtl::rs::design_enc(code, s)?;
    let info = build_library_with(&d.files, rtl::rs::ENC_TOP, &d.ports, BuildOpts::LIGHT)?;
    Ok((Model::load(&info.library, &d.ports)?, info))
}

/// What the decoder produced for a run.
#[derive(Clone, Debug, Default)]
pub struct DecRun {
    /// the output codewords, `n` symbols each (padding lanes dropped)
    pub words: Vec<Vec<u16>>,
    /// `m_cw_corrected` of each codeword
    pub corrected: Vec<usize>,
    /// `m_cw_uncorrectable` of each codeword
    pub uncorrectable: Vec<bool>,
    /// the statistics counters, read when the last codeword's first beat came out
    /// (they then count exactly the codewords given)
    pub stats: FecStats,
    /// cycles from the first input beat to the first output beat
    pub first_latency: Option<u64>,
    /// cycles from the first output beat to the last output beat of the given codewords, plus one
    pub output_cycles: u64,
    /// output beats of the given codewords
    pub output_beats: u64,
    /// the `err_align` output at the end
    pub err_align: bool,
}

fn reset(model: &mut Model, inputs: &[usize]) {
    let rst = model.input("rst").expect("rst");
    model.set(rst, 1);
    for &i in inputs {
        model.set(i, 0);
    }
    model.cycle();
    model.cycle();
    model.set(rst, 0);
}

/// Streams `words` (each `n` symbols) through a decoder model, followed by
/// four all-zero codewords that flush the pipeline (the pipeline advances on
/// input beats). `valid` is a repeating per-cycle pattern of input beats
/// (`&[true]` = back to back).
pub fn run_dec(
    model: &mut Model,
    code: Code,
    s: usize,
    words: &[Vec<u16>],
    valid: &[bool],
) -> Result<DecRun, SimError> {
    let n = code.n();
    let t = code.t();
    let b = rtl::rs::beats(code, s);
    let i_data = model.input("s_axis_tdata")?;
    let i_valid = model.input("s_axis_tvalid")?;
    let i_last = model.input("s_axis_tlast")?;
    let o_data = model.output("m_axis_tdata")?;
    let o_valid = model.output("m_axis_tvalid")?;
    let o_last = model.output("m_axis_tlast")?;
    let o_corr = model.output("m_cw_corrected")?;
    let o_unc = model.output("m_cw_uncorrectable")?;
    let o_err = model.output("err_align")?;
    let st: Vec<usize> = [
        "stat_codewords",
        "stat_corrected_codewords",
        "stat_corrected_symbols",
        "stat_uncorrectable",
    ]
    .iter()
    .map(|p| model.output(p))
    .collect::<Result<_, _>>()?;
    let o_hist = model.output("stat_histogram")?;
    reset(model, &[i_data, i_valid, i_last]);

    let nw = words.len();
    let total_beats = (nw + 4) * b;
    let valid: &[bool] = if valid.is_empty() { &[true] } else { valid };
    let mut run = DecRun {
        stats: FecStats::new(code),
        ..DecRun::default()
    };
    let mut cur: Vec<u16> = Vec::with_capacity(b * s);
    let mut beat_in = 0usize;
    let mut cyc: u64 = 0;
    let mut first_in = None;
    let mut first_out = None;
    let mut last_out = 0u64;
    let limit = 100 + 4 * (total_beats as u64) * valid.len() as u64;
    while run.words.len() < nw {
        if cyc > limit {
            return Err(SimError::Stalled {
                got: run.words.len(),
                want: nw,
                cycles: cyc,
            });
        }
        let v = beat_in < total_beats && valid[cyc as usize % valid.len()];
        if v {
            let (c, bi) = (beat_in / b, beat_in % b);
            let wd = model.input_words(i_data);
            for l in 0..s {
                let pos = bi * s + l;
                let sym = if c < nw && pos < n { words[c][pos] } else { 0 };
                put_bits(wd, 10 * l as u32, 10, sym as u64);
            }
            model.set(i_last, (bi == b - 1) as u64);
            if first_in.is_none() {
                first_in = Some(cyc);
            }
            beat_in += 1;
        }
        model.set(i_valid, v as u64);
        model.cycle();
        if model.get(o_valid) != 0 {
            if first_out.is_none() {
                first_out = Some(cyc);
                run.first_latency = first_in.map(|f| cyc - f);
            }
            if cur.is_empty() && run.words.len() + 1 == nw {
                // counters now include the decision of the last given codeword
                run.stats.codewords = model.get(st[0]);
                run.stats.corrected_codewords = model.get(st[1]);
                run.stats.corrected_symbols = model.get(st[2]);
                run.stats.uncorrectable_codewords = model.get(st[3]);
                let h = model.output_words(o_hist);
                for i in 0..t + 2 {
                    run.stats.histogram[i] = get_bits(h, 32 * i as u32, 32);
                }
            }
            let d = model.output_words(o_data);
            for l in 0..s {
                cur.push(get_bits(d, 10 * l as u32, 10) as u16);
            }
            last_out = cyc;
            run.output_beats += 1;
            let lastb = model.get(o_last) != 0;
            if cur.len() == b * s {
                if !lastb {
                    return Err(SimError::Run("m_axis_tlast missing on a codeword's last beat".into()));
                }
                cur.truncate(n);
                run.words.push(std::mem::take(&mut cur));
                run.corrected.push(model.get(o_corr) as usize);
                run.uncorrectable.push(model.get(o_unc) != 0);
            } else if lastb {
                return Err(SimError::Run("m_axis_tlast before a codeword's last beat".into()));
            }
        }
        cyc += 1;
    }
    run.output_cycles = last_out - first_out.unwrap_or(0) + 1;
    run.err_align = model.get(o_err) != 0;
    Ok(run)
}

/// Streams messages (each `k` symbols) through an encoder model (parity lanes
/// fed with `fill`, which the encoder must ignore); returns the codewords and
/// the cycles from the first input beat to the last output beat.
pub fn run_enc(
    model: &mut Model,
    code: Code,
    s: usize,
    msgs: &[Vec<u16>],
    fill: u16,
) -> Result<(Vec<Vec<u16>>, u64), SimError> {
    let (n, k) = (code.n(), code.k());
    let b = rtl::rs::beats(code, s);
    let i_data = model.input("s_axis_tdata")?;
    let i_valid = model.input("s_axis_tvalid")?;
    let i_last = model.input("s_axis_tlast")?;
    let o_data = model.output("m_axis_tdata")?;
    let o_valid = model.output("m_axis_tvalid")?;
    let o_last = model.output("m_axis_tlast")?;
    reset(model, &[i_data, i_valid, i_last]);
    let total = msgs.len() * b;
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut cyc = 0u64;
    let mut beat = 0;
    while out.len() < msgs.len() {
        if cyc > total as u64 + 10 {
            return Err(SimError::Stalled {
                got: out.len(),
                want: msgs.len(),
                cycles: cyc,
            });
        }
        let v = beat < total;
        if v {
            let (c, bi) = (beat / b, beat % b);
            let wd = model.input_words(i_data);
            for l in 0..s {
                let pos = bi * s + l;
                let sym = if pos < k { msgs[c][pos] } else { fill & 1023 };
                put_bits(wd, 10 * l as u32, 10, sym as u64);
            }
            model.set(i_last, (bi == b - 1) as u64);
            beat += 1;
        }
        model.set(i_valid, v as u64);
        model.cycle();
        if model.get(o_valid) != 0 {
            let d = model.output_words(o_data);
            for l in 0..s {
                cur.push(get_bits(d, 10 * l as u32, 10) as u16);
            }
            if cur.len() == b * s {
                if model.get(o_last) == 0 {
                    return Err(SimError::Run("encoder: m_axis_tlast missing".into()));
                }
                cur.truncate(n);
                out.push(std::mem::take(&mut cur));
            }
        }
        cyc += 1;
    }
    Ok((out, cyc))
}
