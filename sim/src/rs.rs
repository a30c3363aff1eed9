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

/// Resets the model and waits out a split reset (the gearbox's registers
/// leave reset a clock after `rst`).
fn reset(model: &mut Model, inputs: &[usize]) {
    let rst = model.input("rst").expect("rst");
    model.reset(rst, inputs, rtl::hdl::SPLIT_RESET_CYCLES);
}

/// Collects the decoder's outputs cycle by cycle.
struct Collector {
    n: usize,
    t: usize,
    lanes: usize,
    beats: usize,
    want: usize,
    o: [usize; 11],
    cur: Vec<u16>,
    first_out: Option<u64>,
    last_out: u64,
    run: DecRun,
}

impl Collector {
    fn new(model: &Model, code: Code, s: usize, want: usize) -> Result<Collector, SimError> {
        let names = [
            "m_axis_tdata",
            "m_axis_tvalid",
            "m_axis_tlast",
            "m_cw_corrected",
            "m_cw_uncorrectable",
            "err_align",
            "stat_codewords",
            "stat_corrected_codewords",
            "stat_corrected_symbols",
            "stat_uncorrectable",
            "stat_histogram",
        ];
        let mut o = [0usize; 11];
        for (i, n) in names.iter().enumerate() {
            o[i] = model.output(n)?;
        }
        Ok(Collector {
            n: code.n(),
            t: code.t(),
            lanes: s,
            beats: rtl::rs::beats(code, s),
            want,
            o,
            cur: Vec::new(),
            first_out: None,
            last_out: 0,
            run: DecRun {
                stats: FecStats::new(code),
                ..DecRun::default()
            },
        })
    }

    fn done(&self) -> bool {
        self.run.words.len() >= self.want
    }

    /// Looks at the outputs after a cycle; `first_in` = cycle of the first input beat.
    fn on_cycle(&mut self, model: &Model, cyc: u64, first_in: Option<u64>) -> Result<(), SimError> {
        let o = &self.o;
        if model.get(o[1]) == 0 || self.done() {
            return Ok(());
        }
        if self.first_out.is_none() {
            self.first_out = Some(cyc);
            self.run.first_latency = first_in.map(|f| cyc - f);
        }
        if self.cur.len() == self.lanes && self.run.words.len() + 1 == self.want {
            // the counters include a codeword's decision two clocks after it,
            // by the codeword's second output beat: read them there for the
            // last wanted codeword
            let st = &mut self.run.stats;
            st.codewords = model.get(o[6]);
            st.corrected_codewords = model.get(o[7]);
            st.corrected_symbols = model.get(o[8]);
            st.uncorrectable_codewords = model.get(o[9]);
            let h = model.output_words(o[10]);
            for i in 0..self.t + 2 {
                st.histogram[i] = get_bits(h, 32 * i as u32, 32);
            }
        }
        let d = model.output_words(o[0]);
        for l in 0..self.lanes {
            self.cur.push(get_bits(d, 10 * l as u32, 10) as u16);
        }
        self.last_out = cyc;
        self.run.output_beats += 1;
        let lastb = model.get(o[2]) != 0;
        if self.cur.len() == self.beats * self.lanes {
            if !lastb {
                return Err(SimError::Run(
                    "m_axis_tlast missing on a codeword's last beat".into(),
                ));
            }
            if self.cur[self.n..].iter().any(|&x| x != 0) {
                return Err(SimError::Run(
                    "unused lanes of the last beat are not zero".into(),
                ));
            }
            self.cur.truncate(self.n);
            self.run.words.push(std::mem::take(&mut self.cur));
            self.run.corrected.push(model.get(o[3]) as usize);
            self.run.uncorrectable.push(model.get(o[4]) != 0);
        } else if lastb {
            return Err(SimError::Run(
                "m_axis_tlast before a codeword's last beat".into(),
            ));
        }
        Ok(())
    }

    fn finish(mut self, model: &Model) -> DecRun {
        self.run.output_cycles = self.last_out - self.first_out.unwrap_or(0) + 1;
        self.run.err_align = model.get(self.o[5]) != 0;
        self.run
    }
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
    let b = rtl::rs::beats(code, s);
    let i_data = model.input("s_axis_tdata")?;
    let i_valid = model.input("s_axis_tvalid")?;
    let i_last = model.input("s_axis_tlast")?;
    let mut col = Collector::new(model, code, s, words.len())?;
    reset(model, &[i_data, i_valid, i_last]);
    let nw = words.len();
    let total_beats = (nw + 4) * b;
    let valid: &[bool] = if valid.is_empty() { &[true] } else { valid };
    let mut beat_in = 0usize;
    let mut cyc: u64 = 0;
    let mut first_in = None;
    let limit = 100 + 4 * (total_beats as u64) * valid.len() as u64;
    while !col.done() {
        if cyc > limit {
            return Err(SimError::Stalled {
                got: col.run.words.len(),
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
                // unused lanes of the last beat carry junk: the decoder must ignore them
                let sym = if c < nw && pos < n {
                    words[c][pos]
                } else if pos >= n {
                    0x3ff
                } else {
                    0
                };
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
        col.on_cycle(model, cyc, first_in)?;
        cyc += 1;
    }
    Ok(col.finish(model))
}

/// Streams 2-bit PAM4 data symbols (`pam4`, `p` per clock, earliest in the
/// LSBs) through `rxdsp_rs_rx` (gearbox + decoder). `sof` is the index of the
/// symbol that starts the first codeword (symbols before it are junk); four
/// zero codewords are appended to flush. `valid` is the input valid pattern;
/// returns the first `want` decoded codewords.
#[allow(clippy::too_many_arguments)]
pub fn run_rx(
    model: &mut Model,
    code: Code,
    s: usize,
    p: usize,
    pam4: &[u8],
    sof: usize,
    want: usize,
    valid: &[bool],
) -> Result<DecRun, SimError> {
    let i_data = model.input("s_axis_tdata")?;
    let i_user = model.input("s_axis_tuser")?;
    let i_valid = model.input("s_axis_tvalid")?;
    let o_ready = model.output("s_axis_tready")?;
    let mut col = Collector::new(model, code, s, want)?;
    reset(model, &[i_data, i_user, i_valid]);
    let mut sym: Vec<u8> = pam4.to_vec();
    sym.resize(sym.len() + 4 * code.n() * 5 + p, 0);
    let nbeats = sym.len().div_ceil(p);
    let valid: &[bool] = if valid.is_empty() { &[true] } else { valid };
    let (mut beat, mut cyc, mut hold) = (0usize, 0u64, false);
    let mut first_in = None;
    let limit = 1000 + 8 * nbeats as u64 * valid.len() as u64;
    while !col.done() {
        if cyc > limit {
            return Err(SimError::Stalled {
                got: col.run.words.len(),
                want,
                cycles: cyc,
            });
        }
        let v = beat < nbeats && (hold || valid[cyc as usize % valid.len()]);
        if v {
            let wd = model.input_words(i_data);
            let mut user = 0u64;
            for i in 0..p {
                let k = beat * p + i;
                put_bits(
                    wd,
                    2 * i as u32,
                    2,
                    sym.get(k).copied().unwrap_or(0) as u64 & 3,
                );
                if k == sof {
                    user |= 1 << i;
                }
            }
            model.set(i_user, user);
        }
        model.set(i_valid, v as u64);
        model.cycle();
        if v && model.get(o_ready) != 0 {
            if first_in.is_none() {
                first_in = Some(cyc);
            }
            beat += 1;
            hold = false;
        } else {
            hold = v;
        }
        col.on_cycle(model, cyc, first_in)?;
        cyc += 1;
    }
    Ok(col.finish(model))
}

/// Builds (or reuses) the Verilated `rxdsp_rs_rx` (gearbox + decoder).
pub fn build_rx(code: Code, s: usize, p: usize) -> Result<(Model, BuildInfo), SimError> {
    let d = rtl::rs::design_rx(code, s, p)?;
    let info = build_library_with(
        &d.files,
        rtl::rs::gearbox::RX_TOP,
        &d.ports,
        BuildOpts::LIGHT,
    )?;
    Ok((Model::load(&info.library, &d.ports)?, info))
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

/// Builds (or reuses) the Verilated `rxdsp_eq_fec` (equalizer, gearbox,
/// with `interleave` the de-interleave, decoder).
pub fn build_eq_fec(
    fmt: &golden::numeric::RxFormat,
    p: usize,
    code: Code,
    s: usize,
    interleave: bool,
) -> Result<(Model, BuildInfo), SimError> {
    let d = rtl::rs::design_eq_fec(fmt, p, code, s, interleave)?;
    let info = build_library_with(
        &d.files,
        rtl::rs::chain::EQ_FEC_TOP,
        &d.ports,
        BuildOpts::LIGHT,
    )?;
    Ok((Model::load(&info.library, &d.ports)?, info))
}

/// Streams ADC `samples` through `rxdsp_eq_fec`: reset, coefficient writes,
/// `fec_sof_index = sof` (the equalizer output symbol that starts the first
/// codeword), then the samples `p` per beat (AXI: held until accepted),
/// padded with zero samples to flush; returns the first `want` decoded
/// codewords. With `gaps = Some((seed, p_valid))` the source offers a beat in
/// a cycle with probability `p_valid` (xoshiro256++ seeded with `seed`), so the
/// equalizer, the gearbox and the decoder see bubbles (the decoder advances
/// only on input beats); `None`: a beat every cycle.
#[allow(clippy::too_many_arguments)]
pub fn run_eq_fec(
    model: &mut Model,
    fmt: &golden::numeric::RxFormat,
    coeffs: &golden::numeric::RxCoeffs,
    p: usize,
    code: Code,
    s: usize,
    samples: &[i16],
    sof: u64,
    want: usize,
    gaps: Option<(u64, f64)>,
) -> Result<DecRun, SimError> {
    let mut gap_rng = gaps.map(|(seed, pv)| (golden::rng::Xoshiro256pp::new(seed), pv));
    let i_we = model.input("cfg_we")?;
    let i_addr = model.input("cfg_addr")?;
    let i_wdata = model.input("cfg_wdata")?;
    let i_data = model.input("s_axis_tdata")?;
    let i_valid = model.input("s_axis_tvalid")?;
    let i_sof = model.input("fec_sof_index")?;
    let o_ready = model.output("s_axis_tready")?;
    let mut col = Collector::new(model, code, s, want)?;
    reset(model, &[i_we, i_addr, i_wdata, i_data, i_valid, i_sof]);
    for (addr, data) in crate::config_writes(fmt, coeffs) {
        model.set(i_we, 1);
        model.set(i_addr, addr);
        model.set(i_wdata, data);
        model.cycle();
    }
    model.set(i_we, 0);
    // the last write lands at the WRITE_EDGES-th edge after its cycle
    for _ in 1..rtl::eq::WRITE_EDGES {
        model.cycle();
    }
    model.set(i_sof, sof);
    let a = fmt.adc_bits;
    let amask = (1u64 << a) - 1;
    let total = samples.len() + 4 * code.n() * 5 + 64 * p;
    let nbeats = total.div_ceil(p);
    let (mut beat, mut cyc) = (0usize, 0u64);
    let mut first_in = None;
    let stretch = gaps.map_or(1.0, |(_, pv)| 1.0 / pv.max(0.05));
    let limit = 1000 + (8.0 * stretch * nbeats as f64) as u64;
    while !col.done() {
        if cyc > limit {
            return Err(SimError::Stalled {
                got: col.run.words.len(),
                want,
                cycles: cyc,
            });
        }
        let offer = match &mut gap_rng {
            // 53 random bits as a uniform in [0, 1)
            Some((r, pv)) => ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < *pv,
            None => true,
        };
        let v = beat < nbeats && offer;
        if v {
            let wd = model.input_words(i_data);
            for i in 0..p {
                let x = samples.get(beat * p + i).copied().unwrap_or(0);
                put_bits(wd, (i as u32) * a, a, x as i64 as u64 & amask);
            }
        }
        model.set(i_valid, v as u64);
        model.cycle();
        if v && model.get(o_ready) != 0 {
            first_in.get_or_insert(cyc);
            beat += 1;
        }
        col.on_cycle(model, cyc, first_in)?;
        cyc += 1;
    }
    Ok(col.finish(model))
}
