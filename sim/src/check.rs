//! Driver for the BER checker `rxdsp_check` ([`rtl::check`]) under Verilator,
//! in lockstep with `golden::check::Checker`: transmitted and received words
//! with random gaps on both sides (the received stream lagging by a bounded
//! random number of words), `snap` pulses at random cycles, each shadow read
//! back through `rd_addr`/`rd_data` (one address a cycle, the data
//! [`RD_LATENCY`] cycles later) while the stream goes on, beside the
//! golden counts at the same word boundary (the words accepted before the
//! `snap` cycle).

use crate::verilator::{build_library_with, BuildInfo, BuildOpts, Model};
use crate::SimError;
use golden::check::{CheckRegs, Checker, NUM_COUNTERS};
use golden::rng::Xoshiro256pp;
use rtl::check::{CheckParams, RD_LATENCY, REF_LATENCY, SNAP_DELAY};

/// Builds (or reuses from the cache) the Verilated `rxdsp_check` for `p`.
pub fn build(p: &CheckParams) -> Result<(Model, BuildInfo), SimError> {
    let d = rtl::check::design(p)?;
    let info = build_library_with(&d.files, rtl::check::TOP, &d.ports, BuildOpts::LIGHT)?;
    Ok((Model::load(&info.library, &d.ports)?, info))
}

/// Symbol streams, one entry per symbol (2-bit values), lane 0 of word 0 first.
#[derive(Clone, Debug, Default)]
pub struct Streams {
    /// transmitted level indices
    pub tx_levels: Vec<u8>,
    /// transmitted data symbols
    pub tx_data: Vec<u8>,
    /// decided level indices
    pub rx_levels: Vec<u8>,
    /// decided data symbols
    pub rx_data: Vec<u8>,
}

/// How the words are paced, in 1/256 chances per cycle.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// chance a transmitted word is offered (when the lag allows)
    pub tx: u8,
    /// chance a received word is offered (when its transmitted word is in)
    pub rx: u8,
    /// most words the received stream lags the transmitted one
    pub max_lag: usize,
    /// chance of a `snap` in a cycle (when no shadow is being read)
    pub snap: u8,
    /// the seed of the draws
    pub seed: u64,
}

/// One shadow read back, beside the golden counts at its boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// received words accepted before the `snap` cycle
    pub rx_words: u64,
    /// the RTL's shadow, in address order
    pub got: Vec<u64>,
    /// `golden::check::CheckCounts::words` at the same boundary
    pub want: Vec<u64>,
}

/// What a run saw.
#[derive(Clone, Debug, Default)]
pub struct CheckRun {
    /// the shadows read, the last one after every word (unless aborted)
    pub snapshots: Vec<Snapshot>,
    /// the RTL's `done` after the run, and the golden one
    pub done: (bool, bool),
    /// the sticky `overflow` and `underflow` after the run
    pub overflow: bool,
    /// see `overflow`
    pub underflow: bool,
    /// clock cycles taken
    pub cycles: u64,
    /// with `CheckParams::reference`: the `m_ref_*` words seen, and those
    /// that were not the transmitted data of the received word accepted in
    /// cycle `c`, in cycle `c + REF_LATENCY + 1` (symbol `k - cfg_delay` per
    /// lane, 0 before the first), or came in another cycle
    pub ref_words: u64,
    /// see `ref_words`
    pub ref_mismatches: u64,
}

/// The model's ports.
pub struct Driver {
    model: Model,
    p: usize,
    ins: [usize; 13],
    rd_data: usize,
    done: usize,
    overflow: usize,
    underflow: usize,
    /// `m_ref_tvalid`, `m_ref_tdata` (with `CheckParams::reference`)
    reference: Option<(usize, usize)>,
}

// indices into `Driver::ins`
const RST: usize = 0;
const CLEAR: usize = 1;
const TXV: usize = 2;
const TXD: usize = 3;
const TXL: usize = 4;
const RXV: usize = 5;
const RXD: usize = 6;
const RXL: usize = 7;
const DELAY: usize = 8;
const SKIP: usize = 9;
const LIMIT: usize = 10;
const SNAP: usize = 11;
const RD_ADDR: usize = 12;

/// Packs 2-bit symbols, lane 0 in the LSBs.
fn pack(v: &[u8]) -> u64 {
    v.iter()
        .enumerate()
        .fold(0, |a, (i, &x)| a | (((x & 3) as u64) << (2 * i)))
}

/// A shadow being read back, one counter a cycle.
struct Reading {
    /// first cycle the shadow is readable
    from: u64,
    /// addresses issued
    next: usize,
    snap: Snapshot,
}

impl Driver {
    /// Wraps a loaded `rxdsp_check` model for `p` and resets it.
    pub fn new(model: Model, p: &CheckParams) -> Result<Driver, SimError> {
        let names = [
            "rst",
            "clear",
            "s_tx_tvalid",
            "s_tx_tdata",
            "s_tx_tlevel",
            "s_rx_tvalid",
            "s_rx_tdata",
            "s_rx_tlevel",
            "cfg_delay",
            "cfg_skip",
            "cfg_limit",
            "snap",
            "rd_addr",
        ];
        let mut ins = [0; 13];
        for (i, n) in names.iter().enumerate() {
            ins[i] = model.input(n)?;
        }
        let mut d = Driver {
            rd_data: model.output("rd_data")?,
            done: model.output("done")?,
            overflow: model.output("overflow")?,
            underflow: model.output("underflow")?,
            reference: match p.reference {
                true => Some((model.output("m_ref_tvalid")?, model.output("m_ref_tdata")?)),
                false => None,
            },
            model,
            p: p.parallel,
            ins,
        };
        // the checker's reset is split: it leaves reset a clock later
        d.model
            .reset(d.ins[RST], &d.ins, rtl::hdl::SPLIT_RESET_CYCLES);
        Ok(d)
    }

    /// A `clear` pulse (one cycle, no words offered).
    pub fn clear(&mut self) {
        for i in [TXV, RXV, SNAP] {
            self.model.set(self.ins[i], 0);
        }
        self.model.set(self.ins[CLEAR], 1);
        self.model.cycle();
        self.model.set(self.ins[CLEAR], 0);
    }

    /// Offers every word of `s` under `pace` with registers `regs` (set
    /// first, held), the golden checker in lockstep; a shadow is read after
    /// each `snap` and, unless `abort_after` received words stop the run
    /// early (words left in flight), after the last word.
    pub fn run(
        &mut self,
        regs: CheckRegs,
        s: &Streams,
        pace: Pacing,
        abort_after: Option<usize>,
    ) -> Result<CheckRun, SimError> {
        let p = self.p;
        let words = s.tx_levels.len() / p;
        self.model.set(self.ins[DELAY], regs.delay);
        self.model.set(self.ins[SKIP], regs.skip);
        self.model.set(self.ins[LIMIT], regs.limit);
        let mut golden = Checker::new(regs);
        let mut rng = Xoshiro256pp::new(pace.seed);
        let mut out = CheckRun::default();
        let (mut t, mut q) = (0usize, 0usize);
        let mut reading: Option<Reading> = None;
        let mut idle_after = 0;
        let stop = abort_after.unwrap_or(words).min(words);
        // received words accepted: (cycle, word index), for the reference
        let mut accepted: std::collections::VecDeque<(u64, usize)> = Default::default();
        let ref_word = |q: usize| -> u64 {
            let v: Vec<u8> = (0..p as u64)
                .map(|i| {
                    let k = (q * p) as u64 + i;
                    match k.checked_sub(regs.delay) {
                        Some(j) => s.tx_data[j as usize],
                        None => 0,
                    }
                })
                .collect();
            pack(&v)
        };
        let mut final_snap = abort_after.is_none();
        let budget = 64 * words as u64 + 100_000;
        loop {
            let x = rng.next_u64();
            let chance = |k: u32, c: u8| ((x >> k) & 0xff) < c as u64;
            let rx = q < t && q < stop && chance(0, pace.rx);
            let tx = t < words && t - q < pace.max_lag && chance(8, pace.tx);
            let mut snap = false;
            if reading.is_none() {
                let last = q == stop && idle_after >= 8 && final_snap;
                if last || (q < stop && chance(16, pace.snap)) {
                    snap = true;
                    final_snap &= !last;
                    reading = Some(Reading {
                        from: out.cycles + SNAP_DELAY as u64 + 1,
                        next: 0,
                        snap: Snapshot {
                            rx_words: q as u64,
                            got: Vec::new(),
                            want: golden.counts().words(),
                        },
                    });
                }
            }
            let m = &mut self.model;
            m.set(self.ins[TXV], tx as u64);
            m.set(self.ins[RXV], rx as u64);
            m.set(self.ins[SNAP], snap as u64);
            let word = |v: &Vec<u8>, j: usize| pack(&v[j * p..(j + 1) * p]);
            if tx {
                m.set(self.ins[TXD], word(&s.tx_data, t));
                m.set(self.ins[TXL], word(&s.tx_levels, t));
            }
            if rx {
                m.set(self.ins[RXD], word(&s.rx_data, q));
                m.set(self.ins[RXL], word(&s.rx_levels, q));
            }
            // addresses from `from` on, one a cycle; their data RD_LATENCY cycles later
            let now = out.cycles;
            let rd = match &reading {
                Some(r) if now >= r.from && r.next < NUM_COUNTERS => Some(r.next),
                _ => None,
            };
            m.set(self.ins[RD_ADDR], rd.unwrap_or(0) as u64);
            if rx {
                accepted.push_back((now, q));
            }
            m.cycle();
            out.cycles += 1;
            if let Some((rv, rd)) = self.reference {
                let due = accepted
                    .front()
                    .is_some_and(|&(c, _)| c + REF_LATENCY as u64 + 1 == out.cycles);
                let valid = m.get(rv) != 0;
                if valid {
                    out.ref_words += 1;
                }
                match (valid, due) {
                    (true, true) => {
                        let (_, j) = accepted.pop_front().expect("due");
                        if m.get(rd) != ref_word(j) {
                            out.ref_mismatches += 1;
                        }
                    }
                    (false, false) => {}
                    (_, true) => {
                        accepted.pop_front();
                        out.ref_mismatches += 1;
                    }
                    (true, false) => out.ref_mismatches += 1,
                }
            }
            if let Some(r) = reading.as_mut() {
                r.next += rd.is_some() as usize;
                if now >= r.from + RD_LATENCY as u64 {
                    r.snap.got.push(m.get(self.rd_data));
                    if r.snap.got.len() == NUM_COUNTERS {
                        out.snapshots.push(reading.take().expect("reading").snap);
                    }
                }
            }
            if tx {
                let j = t * p..(t + 1) * p;
                golden.push_tx(&s.tx_levels[j.clone()], &s.tx_data[j]);
                t += 1;
            }
            if rx {
                let j = q * p..(q + 1) * p;
                golden.push_rx(&s.rx_levels[j.clone()], &s.rx_data[j]);
                q += 1;
            }
            if q == stop {
                idle_after += 1;
                if reading.is_none() && !final_snap && (abort_after.is_some() || idle_after > 8) {
                    break;
                }
            }
            if out.cycles > budget {
                return Err(SimError::Run(format!(
                    "rxdsp_check run: {q} of {words} received words in {budget} cycles"
                )));
            }
        }
        let m = &self.model;
        out.done = (m.get(self.done) != 0, golden.done());
        out.overflow = m.get(self.overflow) != 0;
        out.underflow = m.get(self.underflow) != 0;
        Ok(out)
    }
}
