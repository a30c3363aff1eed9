//! The on-chip link emulator `rxdsp_emu`: pattern, channel, noise and ADC at
//! `P` samples per clock, bit-exact with `golden::emu::EmuStream` (the
//! arithmetic is defined there and in `docs/emulator.md`).
//!
//! Structure (stages counted from the cycle a word is started, see [`Stages`]):
//! * pattern (stage 1): one Fibonacci LFSR register (31 bits, bit `i` = the
//!   bit produced `i + 1` steps ago, as `golden::prbs::Lfsr`); the `2P`
//!   pattern bits of a word and the next state are XOR networks of the state
//!   ([`lfsr_matrices`], computed here at generation time), one network per
//!   polynomial of [`POLYS`], selected by the `pattern` register; beside it
//!   the seeded random source ([`RANDOM_CODE`], `golden::prbs::SymbolSource::Random`):
//!   a xoshiro256++ (state loadable at [`addr::random`]) whose every output
//!   gives 32 symbols, LSB pair first, so one step every `32/P` started words
//!   (a counter `xr_cnt`); the word that takes a fresh output takes its low
//!   `2P` bits straight from the output adder (`rotl(t, 23) + s0`, with
//!   `t = s0 + s3` a register computed from the state's stepped value, and
//!   from the state itself the clock after a seed write, so one adder from
//!   registers to `sym_q`), the rest of the output waits in a
//!   buffer `xr_buf` shifted by `2P` a word;
//! * mapper (stages 2-3): Gray map, then the `1/(1+D) mod 4` precoder as a
//!   parallel prefix: with `h_i = (-1)^i g_i`, `p_i = (-1)^i (sum_{j<=i} h_j - p_prev)`
//!   (stage 2 the prefix sums, stage 3 the previous word's last symbol);
//! * channel: the level words are delayed to stage `ch_in`, where the window of
//!   the last `T - 1` level indices (reset: index 0, the idle `a = -3`) and the
//!   word address, per lane, one table per group of [`GROUP`] = 4 taps: entry
//!   `e` of table `g` is the exact sum `sum_i H[4g + i] (2 L_i - 3)` of the
//!   group's terms for the level indices `L_i` in `e` ([`table_entry`], written
//!   by the host), read synchronously through two registers (the block RAM's
//!   read register, then a fabric register, or in the ECP5 form the block's
//!   own output register: two stages), then one
//!   registered adder tree per lane over the `ceil(T / 4)` reads; so there are
//!   no multipliers and no per-tap selects;
//! * noise (stages 1-26): per lane a xoshiro256++ (`s0 + s3` registered, then
//!   `rotl(.., 23) + s0`), then the threshold search: `m = #{j : u < S[j]}` by
//!   bits from 1024 down to 1, one bit per level; levels 1024 and 512 are single
//!   registers, level `2^k` (`k <= 8`) a memory of `2^(9-k)` words
//!   (`S[(2i+1) 2^k]` at word `i`) read synchronously (one stage; a second
//!   one for the levels in block RAM, [`OUTREG_WORDS`]) then compared (one
//!   stage);
//! * ADC (4 stages): `(y + (+-m << noise_shift) + 2^(F-1)) >> F`, saturated
//!   into the output FIFO's write (stage [`Stages::out`]);
//! * error injector (stage 0, beside the LFSR): `rem`, the offset of the next
//!   injected symbol from the started word's symbol 0 (loaded with `K - 1`
//!   when `inject_every = K` is written, then `rem - P`, or `rem + K - P`
//!   after the word holding it); lane `rem` of the word is flipped when
//!   `K != 0` and `rem < P`: its level index XOR 1 on the way into the channel
//!   only (`m_axis_tlevel` carries the levels sent). `K >= P` (one flip per
//!   word at most) is the configuration's rule; see `golden::emu::injected`.
//!
//! No global enable: every stage register loads every cycle and a valid bit
//! travels with each word, so `m_axis_tready` reaches only the output slices
//! after the output FIFO ([`crate::fifo::credit_fifo`],
//! [`crate::fifo::depth_for`] of [`Stages::out`] words). A word is started (`adv`) when `run` (registered in the block:
//! it acts two clocks after the port, [`RUN_DELAY`]) and the FIFO's
//! registered room (the words started and not yet read, against its
//! depth) allow it; the state
//! that only sees real words (LFSR, random source, injector offset, xoshiro)
//! advances on `adv`, the precoder memory and the channel history on the
//! valid bit of their stage. So the stream is the same whatever the
//! backpressure and however `run` is toggled. The FIFO's head passes
//! through two register slices ([`crate::fifo::reg_slice`]) to `m_axis`, so
//! every output is a register: the latency is [`Stages::out`] + 2. Without
//! the interleave each lane's xoshiro advances on a start strobe of its
//! own, `run` and room from kept register copies of their own (the same
//! value as `adv`): one strobe on the 2,048 enables of eight lanes' states
//! was a net across the die. The pattern's starts (one per copy of the
//! framer's `take`: the LFSR's and the random source's) have copies of
//! their own too.
//!
//! Configuration: reset, write the registers of [`config_writes`] through
//! `cfg_we`/`cfg_addr`/`cfg_wdata` (map: [`address_map`]), raise `run`. All 1024
//! thresholds must be written (the padded table, zeros past its end). Reset
//! values: pattern PRBS31, LFSR all ones, the random source the state of
//! `random_seed(0)`, lane `l`'s xoshiro256++ the state of
//! `lane_seed(0, l)`, the other registers 0; the threshold memories are not reset.
//!
//! FEC (`EmuParams::fec`): the framer ([`framer`]) sits between the pattern
//! (stage 1) and the mapper, two registers (stages 2 and 3), so the
//! mapper's stages are 4 and 5; the pattern then advances only when the
//! framer takes a word (`pat_adv`), the injector and the noise on every
//! started word. The
//! channel's input stage and the latency do not change (the noise search is
//! the longer path).
//!
//! Interleave (`EmuParams::interleave`, with `fec`): the framer runs one
//! frame ahead on its own start strobe `fadv` (a prefill of one frame when
//! `run` first rises with `fec` set) into a two-frame buffer, and each word
//! started on the line gathers its lanes from it ([`interleave`]), at
//! stage 3 of the line: the mapper's stages are 4 and 5 here too. The
//! latency from a started word does not change; the first word starts a
//! frame later.

use crate::hdl::{Expr, Header, Module, Ty};
use crate::rs::hdl_util::{delay_line, ku};
use crate::rs::{bram, MemForm};
use crate::{regen, Design, RtlError};
use golden::emu::{
    lane_seed, EmuPlan, EMU_TAPS, FRAC_MAX, INJECT_BITS, MAX_INJECT_EVERY, NOISE_TABLE_LEN,
    TAP_BITS,
};
use golden::fec::Code;
use golden::prbs::{random_seed, Pattern, Polynomial};
use golden::rng::Xoshiro256pp;

pub mod framer;
pub mod interleave;

/// Name of the emulator module.
pub const TOP: &str = "rxdsp_emu";
/// Width of `cfg_wdata`.
pub const CFG_DATA_BITS: u32 = 64;
/// `log2` of the noise table length: the search has `K + 1` levels.
const K: u32 = NOISE_TABLE_LEN.trailing_zeros();
/// Width of `cfg_addr`: registers below 1024, the thresholds at 1024..2047,
/// the channel tables from [`addr::TABLE_BASE`] = 4096 on.
pub const CFG_ADDR_BITS: u32 = K + 3;
/// Width of the `frac` and `noise_shift` registers.
pub const SHIFT_BITS: u32 = u32::BITS - FRAC_MAX.leading_zeros();
/// Width of a term `H[j] a` (`|a| <= 3`).
const TERM_BITS: u32 = TAP_BITS + 2;
/// Channel taps per table: a lane's `T` terms are `ceil(T / GROUP)` table
/// reads, one block RAM each, instead of `T` selections and adders.
pub const GROUP: usize = 4;
/// Entries of a channel table: every combination of `GROUP` level indices.
pub const TABLE_LEN: usize = 1 << (2 * GROUP);
/// Width of a table entry: the sum of `GROUP` terms.
const GROUP_BITS: u32 = TERM_BITS + 2;
/// The LFSR register width (the largest degree of [`POLYS`]).
const LFSR_BITS: u32 = 31;

/// The LFSR polynomials the pattern generator has, in the order of their
/// `pattern` register codes (code `i` selects `POLYS[i]`; [`RANDOM_CODE`]
/// selects the random source, the codes past it the last polynomial).
pub const POLYS: [Polynomial; 6] = Polynomial::ALL;
/// The `pattern` register code of the seeded random source (`link.pattern = "random"`).
pub const RANDOM_CODE: u64 = POLYS.len() as u64;
const _: () = assert!(RANDOM_CODE < 8);

const _: () = assert!(NOISE_TABLE_LEN.is_power_of_two() && K >= 3);
const _: () = assert!(addr::INJECT_EVERY < addr::RANDOM_BASE);
const _: () = assert!(addr::RANDOM_BASE + 4 <= addr::XOSHIRO_BASE);
const _: () = assert!(addr::XOSHIRO_BASE + 4 * 32 <= addr::THRESHOLD_BASE);
const _: () = assert!(addr::THRESHOLD_BASE + NOISE_TABLE_LEN <= addr::TABLE_BASE);
const _: () =
    assert!(addr::TABLE_BASE + EMU_TAPS.div_ceil(GROUP) * TABLE_LEN <= 1 << CFG_ADDR_BITS);
const _: () = assert!(addr::TABLE_BASE == 1 << (CFG_ADDR_BITS - 1) && TABLE_LEN == 256);

/// The register map of the configuration port (one 64-bit word each; the
/// registers take the low bits of `cfg_wdata`). The one source of the map:
/// the module header and [`address_map`] are generated from it.
pub mod addr {
    use golden::emu::NOISE_TABLE_LEN;
    /// `pattern` (3 bits): index into [`super::POLYS`], or
    /// [`super::RANDOM_CODE`] (see [`super::pattern_code`]).
    pub const PATTERN: usize = 0x000;
    /// `precode` (1 bit): the `1/(1+D) mod 4` precoder on.
    pub const PRECODE: usize = 0x001;
    /// `frac` (4 bits): `F`, the channel's fraction bits.
    pub const FRAC: usize = 0x002;
    /// `noise_shift` (4 bits): `F - F_n`.
    pub const NOISE_SHIFT: usize = 0x003;
    /// `lfsr` (31 bits): the LFSR state (bit `i` = the bit sent `i + 1` steps ago).
    pub const LFSR: usize = 0x004;
    /// `inject_every` (48 bits): `K` of the error injector, 0 = off; a write
    /// also restarts its count (the next word started holds symbol 0).
    pub const INJECT_EVERY: usize = 0x005;
    /// `fec` (1 bit, built with [`super::EmuParams::fec`] only): frame the
    /// pattern into the design's Reed-Solomon codewords.
    pub const FEC: usize = 0x006;
    /// First state word (`s[0]`) of the random pattern's xoshiro256++
    /// (`s[w]` at `RANDOM_BASE + w`); a write also empties its symbol buffer
    /// (the next word started takes a fresh output).
    pub const RANDOM_BASE: usize = 0x008;
    /// First xoshiro256++ state word (lane 0, `s[0]`).
    pub const XOSHIRO_BASE: usize = 0x080;
    /// Thresholds: `S[j]` at `THRESHOLD_BASE + (j mod NOISE_TABLE_LEN)`.
    pub const THRESHOLD_BASE: usize = NOISE_TABLE_LEN;
    /// Channel tables: entry `e` of group `g` at `TABLE_BASE + 256 g + e`.
    pub const TABLE_BASE: usize = 0x1000;

    /// Address of entry `e` of channel table `g` (see [`super::table_entry`]).
    pub fn table(g: usize, e: usize) -> usize {
        TABLE_BASE + super::TABLE_LEN * g + e
    }
    /// Address of state word `s[w]` (`w < 4`) of the random pattern's xoshiro256++.
    pub fn random(w: usize) -> usize {
        RANDOM_BASE + w
    }
    /// Address of state word `s[w]` (`w < 4`) of lane `lane`'s xoshiro256++.
    pub fn xoshiro(lane: usize, w: usize) -> usize {
        XOSHIRO_BASE + 4 * lane + w
    }
    /// Address of threshold `S[j]`, `j` in `1..=NOISE_TABLE_LEN`.
    pub fn threshold(j: usize) -> usize {
        THRESHOLD_BASE + j % NOISE_TABLE_LEN
    }
}

/// The generation parameters of `rxdsp_emu`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmuParams {
    /// `P`: samples per clock (1, 2, 4, 8, 16, 32)
    pub parallel: usize,
    /// `T`: channel taps, `1..=EMU_TAPS`
    pub taps: usize,
    /// ADC width, 4..=16 (as `adc.bits`)
    pub adc_bits: u32,
    /// the Reed-Solomon code of the framer (`tx.fec`), `None`: no framer
    pub fec: Option<Code>,
    /// the framer's codewords 2-way interleaved (`tx.interleave`; needs `fec`)
    pub interleave: bool,
}

impl EmuParams {
    /// Refuses illegal parameters.
    pub fn check(&self) -> Result<(), RtlError> {
        if !crate::eq::PARALLEL.contains(&self.parallel) {
            return Err(RtlError::Param {
                name: "parallel",
                value: self.parallel as i64,
                why: "samples per clock must be one of 1, 2, 4, 8, 16, 32".into(),
            });
        }
        if !(1..=EMU_TAPS).contains(&self.taps) {
            return Err(RtlError::Param {
                name: "channel taps",
                value: self.taps as i64,
                why: format!("the emulator's channel FIR has 1..={EMU_TAPS} taps"),
            });
        }
        if !(4..=16).contains(&self.adc_bits) {
            return Err(RtlError::Param {
                name: "adc.bits",
                value: self.adc_bits as i64,
                why: "the ADC width must be in 4..=16".into(),
            });
        }
        if let Some(code) = self.fec {
            framer::check(code, self.parallel)?;
            if self.interleave {
                interleave::check(code, self.parallel)?;
            }
        } else if self.interleave {
            return Err(RtlError::Param {
                name: "tx.interleave",
                value: 1,
                why: "the interleave needs the framer: set tx.fec = \"kp4\" or \"kr4\"".into(),
            });
        }
        Ok(())
    }
}

/// The pipeline stages of `rxdsp_emu` (cycle counts from the cycle a word is started).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stages {
    /// adder tree levels of the channel after its table reads
    /// (`max(1, ceil(log2 ceil(T / GROUP)))`)
    pub tree: usize,
    /// the stage whose level word enters the channel
    pub ch_in: usize,
    /// channel output and noise magnitude
    pub mag: usize,
    /// the output FIFO's write (the latency is two clocks more: the two
    /// output slices after the FIFO)
    pub out: usize,
}

/// The stages for `p`.
pub fn stages(p: &EmuParams) -> Stages {
    let tree = (groups(p).next_power_of_two().trailing_zeros() as usize).max(1);
    // N0 (s0 + s3), N1 (r), level 1024, level 512, then two per memory level,
    // three for those in block RAM
    let outreg = (0..K - 1).filter(|&k| level_outreg(k)).count();
    let mag = 4 + 2 * (K as usize - 1) + outreg;
    Stages {
        tree,
        // the window at ch_in addresses the tables (block RAM), read through
        // two registers
        ch_in: mag - tree - 2,
        mag,
        out: mag + 4,
    }
}

/// Channel tables of a lane: `ceil(T / GROUP)`.
pub fn groups(p: &EmuParams) -> usize {
    p.taps.div_ceil(GROUP)
}

/// Entry `e` of channel table `g` for the taps `taps` (missing taps are 0):
/// `sum_i H[GROUP g + i] (2 L_i - 3)`, `L_i = (e >> 2i) & 3` the level index
/// of the symbol tap `GROUP g + i` multiplies. The exact integer sum of the
/// group's terms, so the channel is the same whatever the grouping.
pub fn table_entry(taps: &[i32], g: usize, e: usize) -> i64 {
    (0..GROUP)
        .map(|i| {
            let h = taps.get(GROUP * g + i).copied().unwrap_or(0) as i64;
            h * (2 * ((e >> (2 * i)) & 3) as i64 - 3)
        })
        .sum()
}

/// Cycles from the `run` port to the block's start strobe: `run` is
/// registered at the port with the configuration port (`run_p`, so the
/// order of writes and `run` is the ports'), then as kept copies (one per
/// lane's generator), so a word starts at the earliest two cycles after
/// `run` rises.
pub const RUN_DELAY: usize = 2;

/// Latency in clock cycles: a word started (`adv`: `run` and room in the
/// output FIFO) in cycle `c` is on `m_axis` in cycle `c + latency` if the
/// FIFO and the output slices were empty ([`RUN_DELAY`] more from the `run`
/// port): the stages to the FIFO's write, then the two slices' registers.
pub fn latency(p: &EmuParams) -> usize {
    stages(p).out + 2
}

/// The `pattern` register code of `pattern` ([`RANDOM_CODE`] for `random`;
/// the quaternary patterns send their PRBS's data symbols, Gray-mapped by the
/// mapper).
pub fn pattern_code(pattern: Pattern) -> u64 {
    match pattern.polynomial() {
        Some(poly) => POLYS
            .iter()
            .position(|q| *q == poly)
            .map_or(RANDOM_CODE, |i| i as u64),
        None => RANDOM_CODE,
    }
}

/// The address map, one line per register (for the module header and the docs).
pub fn address_map(p: &EmuParams) -> Vec<String> {
    vec![
        format!("0x{:03x}: pattern (3 bits: 0 prbs7, 1 prbs9, 2 prbs13/13q, 3 prbs15, 4 prbs23, 5 prbs31/31q, {RANDOM_CODE} random)", addr::PATTERN),
        format!("0x{:03x}: precode (1 bit)", addr::PRECODE),
        format!("0x{:03x}: frac F ({SHIFT_BITS} bits)", addr::FRAC),
        format!("0x{:03x}: noise_shift F - F_n ({SHIFT_BITS} bits)", addr::NOISE_SHIFT),
        format!("0x{:03x}: LFSR state ({LFSR_BITS} bits; all ones at the start of a pattern)", addr::LFSR),
        format!("0x{:03x}: inject_every K ({INJECT_BITS} bits; 0 off, else >= P): symbol n goes out at level index XOR 1 when n mod K = K - 1 (a write restarts n at the next word)", addr::INJECT_EVERY),
        match p.fec {
            Some(c) => format!("0x{:03x}: fec (1 bit): frame the pattern into {} codewords", addr::FEC, c.name()),
            None => format!("0x{:03x}: fec: not built (writes ignored)", addr::FEC),
        },
        format!(
            "0x{:03x}..=0x{:03x}: random pattern xoshiro256++ state, word w at 0x{:03x} + w (64 bits; a write empties the symbol buffer)",
            addr::random(0),
            addr::random(3),
            addr::RANDOM_BASE
        ),
        format!(
            "0x{:04x}..=0x{:04x}: channel tables, {} of {TABLE_LEN} entries ({GROUP_BITS} bits signed): entry e of table g at 0x{:04x} + {TABLE_LEN} g + e is sum_i H[{GROUP} g + i] (2 L_i - 3), L_i = (e >> 2i) & 3 (`table_entry`)",
            addr::table(0, 0),
            addr::table(groups(p) - 1, TABLE_LEN - 1),
            groups(p),
            addr::TABLE_BASE
        ),
        format!(
            "0x{:03x}..=0x{:03x}: xoshiro256++ state, lane l word w at 0x{:03x} + 4 l + w (64 bits)",
            addr::xoshiro(0, 0),
            addr::xoshiro(p.parallel - 1, 3),
            addr::XOSHIRO_BASE
        ),
        format!(
            "0x{:03x}..=0x{:03x}: noise thresholds, S[j] at 0x{:03x} + (j mod {NOISE_TABLE_LEN}) (64 bits; write all {NOISE_TABLE_LEN})",
            addr::THRESHOLD_BASE,
            addr::THRESHOLD_BASE + NOISE_TABLE_LEN - 1,
            addr::THRESHOLD_BASE
        ),
    ]
}

/// GF(2) masks over the LFSR state (bit `i` = the bit produced `i + 1` steps
/// ago) of one clock word at `p` symbols per clock: the `2p` data bits in
/// `m_axis_tuser` order (bit `2q + 1` = the first bit of symbol `q`, bit `2q`
/// its second) and the `LFSR_BITS` bits of the next state.
pub fn lfsr_matrices(poly: Polynomial, p: usize) -> (Vec<u64>, Vec<u64>) {
    let k = poly.degree as usize;
    let mut bits: Vec<u64> = Vec::with_capacity(2 * p);
    // b[n + t] as a mask: t < 0 is the state bit -t - 1
    let past = |bits: &Vec<u64>, t: i64| -> u64 {
        if t >= 0 {
            bits[t as usize]
        } else {
            1u64 << (-t - 1)
        }
    };
    for t in 0..2 * p as i64 {
        let mask = poly
            .exponents
            .iter()
            .fold(0u64, |acc, &e| acc ^ past(&bits, t - e as i64));
        bits.push(mask);
    }
    let mut out = vec![0u64; 2 * p];
    for q in 0..p {
        out[2 * q + 1] = bits[2 * q];
        out[2 * q] = bits[2 * q + 1];
    }
    let next = (0..LFSR_BITS as usize)
        .map(|i| {
            if i < k {
                past(&bits, 2 * p as i64 - 1 - i as i64)
            } else {
                0
            }
        })
        .collect();
    (out, next)
}

/// The configuration writes of an emulator with `taps` channel taps for the
/// link of `plan` (its integers `golden::emu::EmuPlan::new(plan)`, its
/// pattern, precoder and seed): what `rxdsp bert` writes to a device.
pub fn plan_writes(
    plan: &golden::config::LinkPlan,
    taps: usize,
) -> Result<Vec<(usize, u64)>, RtlError> {
    let emu = EmuPlan::new(plan).map_err(|e| RtlError::Param {
        name: "link.model",
        value: 0,
        why: format!("the emulator cannot run this link: {e}"),
    })?;
    let p = EmuParams {
        parallel: plan.parallel,
        taps,
        adc_bits: plan.format.adc_bits,
        fec: emu.fec,
        interleave: emu.fec.is_some() && emu.interleave,
    };
    config_writes(&p, &emu, plan.pattern, plan.format.precode, plan.seed)
}

/// The configuration writes `(address, data)` that make `rxdsp_emu` produce
/// what `golden::emu::EmuStream` produces for `emu` (its injector included)
/// with `pattern`, `precode` and the run seed `seed`, from reset.
pub fn config_writes(
    p: &EmuParams,
    emu: &EmuPlan,
    pattern: Pattern,
    precode: bool,
    seed: u64,
) -> Result<Vec<(usize, u64)>, RtlError> {
    p.check()?;
    let code = pattern_code(pattern);
    let bad = |name: &'static str, value: usize, why: String| {
        Err(RtlError::Param {
            name,
            value: value as i64,
            why,
        })
    };
    if emu.taps.len() > p.taps {
        return bad(
            "channel taps",
            emu.taps.len(),
            format!("the design has {} taps", p.taps),
        );
    }
    if emu.lanes != p.parallel || emu.adc_bits != p.adc_bits {
        return bad(
            "parallel",
            emu.lanes,
            format!(
                "the plan ({} lanes, {} ADC bits) is not the design's (P = {}, {} bits)",
                emu.lanes, emu.adc_bits, p.parallel, p.adc_bits
            ),
        );
    }
    let k = emu.inject_every;
    if k != 0 && (k < p.parallel as u64 || k > MAX_INJECT_EVERY) {
        return Err(RtlError::Param {
            name: "inject_every",
            value: k.min(i64::MAX as u64) as i64,
            why: format!(
                "the injector takes 0 (off) or P = {} ..= 2^{INJECT_BITS} - 1 (one flip per word at most)",
                p.parallel
            ),
        });
    }
    if emu.fec.is_some() && emu.fec != p.fec {
        return bad(
            "tx.fec",
            0,
            format!(
                "the link sends {} codewords but the emulator frames {}",
                emu.fec.map_or("no", |c| c.name()),
                p.fec.map_or("none", |c| c.name())
            ),
        );
    }
    let il = emu.fec.is_some() && emu.interleave;
    if emu.fec.is_some() && il != p.interleave {
        return bad(
            "tx.interleave",
            il as usize,
            if il {
                "this emulator's framer does not interleave codewords (built without tx.interleave)"
                    .into()
            } else {
                "this emulator's framer interleaves codewords (built with tx.interleave = true)"
                    .into()
            },
        );
    }
    let degree = pattern.polynomial().map_or(LFSR_BITS, |q| q.degree);
    let mut w = vec![
        (addr::PATTERN, code),
        (addr::PRECODE, precode as u64),
        (addr::FRAC, emu.frac as u64),
        (addr::NOISE_SHIFT, emu.noise_shift as u64),
        (addr::LFSR, (1u64 << degree) - 1),
        (addr::INJECT_EVERY, k),
    ];
    if p.fec.is_some() {
        w.push((addr::FEC, emu.fec.is_some() as u64));
    }
    let rs = Xoshiro256pp::new(random_seed(seed)).state();
    w.extend(rs.iter().enumerate().map(|(i, v)| (addr::random(i), *v)));
    for g in 0..groups(p) {
        for e in 0..TABLE_LEN {
            w.push((addr::table(g, e), table_entry(&emu.taps, g, e) as u64));
        }
    }
    for lane in 0..p.parallel {
        let s = Xoshiro256pp::new(lane_seed(seed, lane)).state();
        for (i, v) in s.iter().enumerate() {
            w.push((addr::xoshiro(lane, i), *v));
        }
    }
    for (i, s) in emu.noise.padded().iter().enumerate() {
        w.push((addr::threshold(i + 1), *s));
    }
    Ok(w)
}

fn ks(v: i128, w: u32) -> Result<Expr, RtlError> {
    Expr::konst(v, Ty::s(w))
}

/// `c` (one bit) at bit `k` of a `width`-bit unsigned value, zeros elsewhere.
fn bit_at(c: &Expr, k: u32, width: u32) -> Result<Expr, RtlError> {
    let mut parts = Vec::new();
    if k + 1 < width {
        parts.push(ku(0, width - 1 - k)?);
    }
    parts.push(c.clone());
    if k > 0 {
        parts.push(ku(0, k)?);
    }
    Expr::concat(&parts)
}

/// `x` delayed by `n` stages (`n = 0`: `x` itself): the pipeline never
/// stalls, so a stage is a cycle.
fn delay(m: &mut Module, name: &str, x: &Expr, n: usize) -> Result<Expr, RtlError> {
    if n == 0 {
        return Ok(x.clone());
    }
    delay_line(m, name, x, None, n)
}

/// A configuration register or memory takes a write's value at this clock
/// edge after the write's cycle: the port is registered (a kept copy of the
/// strobe and address per register or lane, `cfg_wdata_p` then a kept
/// copy of it per register or lane for the data: the CSR block drives them
/// from across the die), then each strobe (its address decode) with the
/// data beside it.
pub const WRITE_EDGES: usize = 3;

/// A write of strobe `we` to address `a` of the port's address `addr`.
fn decode_write(we: &Expr, addr: &Expr, a: usize) -> Result<Expr, RtlError> {
    we.and(&addr.eq(&ku(a as i128, CFG_ADDR_BITS)?)?)
}

/// The configuration write port, registered at the module's input.
struct CfgPort {
    /// the port's strobe and address as they enter the module: each
    /// single register's strobe ([`Self::hit`]) decodes its own kept copy
    /// of them, registered beside it
    we_in: Expr,
    addr_in: Expr,
    /// the port's data as it enters the module
    wdata_in: Expr,
    /// `cfg_wdata` a clock later (the port registered): each single
    /// register's data ([`Self::data`]) is its own kept copy of it
    wdata_p: Expr,
    /// kept copies of `cfg_wdata` two clocks later, one per lane: the data of the lane's own
    /// writes (thresholds, channel tables, xoshiro seed), so that no one
    /// register drives the write ports of all eight lanes across the die
    lane_wdata: Vec<Expr>,
    /// kept copies of `we`, one per lane: each lane decodes its own
    /// threshold, table and seed writes beside its memories
    lane_we: Vec<Expr>,
    /// kept copies of `addr`, one per lane (with `lane_we`)
    lane_addr: Vec<Expr>,
}

impl CfgPort {
    /// A named write strobe for address `a`, registered: the address decode
    /// and the logic the strobe loads (a seed's load mux and the adder
    /// behind it) are two paths. With [`Self::data`], a clock after the
    /// registered port's write. The decode reads the strobe's own kept copy
    /// of the port (`{name}_pwe`, `{name}_paddr`): from one registered port,
    /// some forty decodes spread over the die (`cfg_we_p -> we_x3_s1`,
    /// `we_precode`, `we_frac`: 18.4-20.9 ns placed on 3290e9d).
    fn hit(&self, m: &mut Module, a: usize, name: &str) -> Result<Expr, RtlError> {
        let dec = self.own_decode(m, a, name)?;
        m.reg_d(name, &dec, None, Some(0))
    }

    /// A write to `a` in this cycle, decoded from the kept copy of the port
    /// that strobe `name` owns (`{name}_pwe`, `{name}_paddr`).
    fn own_decode(&self, m: &mut Module, a: usize, name: &str) -> Result<Expr, RtlError> {
        let we = m.kept_reg(&format!("{name}_pwe"), Ty::BIT, Some(0))?;
        m.next(&we, &self.we_in, None)?;
        let addr = m.kept_reg(&format!("{name}_paddr"), self.addr_in.ty(), None)?;
        m.next(&addr, &self.addr_in, None)?;
        decode_write(&we, &addr, a)
    }

    /// [`Self::hit`] as `n` kept copies of the strobe register
    /// (`{name}_k*`), decoded from the same copy of the port, for loads
    /// placed apart.
    fn hit_copies(
        &self,
        m: &mut Module,
        a: usize,
        name: &str,
        n: usize,
    ) -> Result<Vec<Expr>, RtlError> {
        let dec = self.own_decode(m, a, name)?;
        m.reg_copies(name, &dec, None, Some(0), n)
    }

    /// [`Self::hit`] decoded from lane `lane`'s copies of the port.
    fn lane_hit(
        &self,
        m: &mut Module,
        lane: usize,
        a: usize,
        name: &str,
    ) -> Result<Expr, RtlError> {
        m.reg_d(name, &self.lane_decode(lane, a)?, None, Some(0))
    }

    /// [`Self::lane_hit`] before its register: a write to address `a` in
    /// this cycle, from lane `lane`'s copies of the port.
    fn lane_decode(&self, lane: usize, a: usize) -> Result<Expr, RtlError> {
        decode_write(&self.lane_we[lane], &self.lane_addr[lane], a)
    }

    /// The low `w` bits of the write data for strobe `name` ([`Self::hit`]),
    /// a clock later: its own kept copy (`{name}_pdata`) of the registered
    /// port, so each register's data is loaded beside it (the seeds' data
    /// from one copy ran across the die through the LFSR's XOR networks,
    /// `cfg_wdata_l_k0 -> sym_prbs*`, 20.3 ns placed on 9e44688).
    fn data(&self, m: &mut Module, name: &str, w: u32) -> Result<Expr, RtlError> {
        let d = m.kept_reg(&format!("{name}_pdata"), Ty::u(w), Some(0))?;
        m.next(&d, &self.wdata_p.slice(w - 1, 0)?, None)?;
        Ok(d)
    }

    /// [`Self::data`] from lane `lane`'s copy.
    fn lane_data(&self, lane: usize, w: u32) -> Result<Expr, RtlError> {
        self.lane_wdata[lane].slice(w - 1, 0)
    }

    /// A configuration register of `w` bits at `a` (reset `reset`).
    fn reg(
        &self,
        m: &mut Module,
        name: &str,
        a: usize,
        ty: Ty,
        reset: i128,
    ) -> Result<Expr, RtlError> {
        let e = self.hit(m, a, &format!("we_{name}"))?;
        let d = self.data(m, &format!("we_{name}"), ty.width)?;
        let d = if ty.signed { d.as_signed() } else { d };
        m.reg_d(name, &d, Some(&e), Some(reset))
    }

    /// The one-bit `fec` register ([`Self::reg`]) with the value it takes
    /// at the next edge (`{name}_next`), for logic registered a clock ahead.
    fn fec_reg(&self, m: &mut Module, name: &str) -> Result<framer::OnReg, RtlError> {
        let e = self.hit(m, addr::FEC, &format!("we_{name}"))?;
        let d = self.data(m, &format!("we_{name}"), 1)?;
        let q = m.reg(name, Ty::BIT, Some(0))?;
        let next = m.wire(&format!("{name}_next"), &Expr::mux(&e, &d, &q)?)?;
        m.next(&q, &next, None)?;
        Ok(framer::OnReg { q, next })
    }
}

/// The run-time configuration registers and memories.
struct Cfg {
    pattern: Expr,
    precode: Expr,
    frac: Expr,
    /// `noise_shift`, a copy per lane
    nshift: Vec<Expr>,
    /// each lane's copy of the thresholds
    thr: Vec<LaneThr>,
    /// `2^(F-1)` (0 for `F = 0`), in the ADC's sum width
    half: Expr,
    /// the clock (the ECP5 block RAMs' instances take it)
    clk: Expr,
    /// how the block-RAM memories are written
    form: MemForm,
}

/// One lane's copy of the noise thresholds, written through registers of
/// its own (strobes, word address, data), so that the placer can put them
/// beside the lane's search.
struct LaneThr {
    /// `S[1024]`, `S[512]`
    s_top: Expr,
    s_half: Expr,
    /// level `k` (`0..K-1`): `S[(2i+1) 2^k]` at word `i`
    levels: Vec<Level>,
    /// the threshold data the levels are written with
    data: Expr,
}

/// One threshold level's memory: behavioural (LUT RAM, or block RAM Yosys
/// infers), or, in the ECP5 form and from [`OUTREG_WORDS`] words, its write
/// side, for the `DP16KD` the search instantiates ([`bram::read_twice`]).
enum Level {
    Mem(crate::hdl::Mem),
    Ecp5 { we: Expr, wa: Expr, words: usize },
}

/// The configuration registers, the tap table and the threshold memories.
fn config(
    m: &mut Module,
    port: &CfgPort,
    p: &EmuParams,
    (clk, form): (&Expr, MemForm),
) -> Result<Cfg, RtlError> {
    m.comment("configuration registers");
    let pattern = port.reg(m, "pattern", addr::PATTERN, Ty::u(3), 5)?;
    let precode = port.reg(m, "precode", addr::PRECODE, Ty::BIT, 0)?;
    let frac = port.reg(m, "frac", addr::FRAC, Ty::u(SHIFT_BITS), 0)?;
    // a kept copy per lane: one register's bits selected in all eight
    // lanes' noise shifters (80 end points above 14 ns placed)
    let we = port.hit(m, addr::NOISE_SHIFT, "we_noise_shift")?;
    let nsd = port.data(m, "we_noise_shift", SHIFT_BITS)?;
    let nshift = m.reg_copies("noise_shift", &nsd, Some(&we), Some(0), p.parallel)?;
    m.comment(
        "noise thresholds: S[j] at offset j mod 1024; level 2^k holds S[(2i+1) 2^k] at word i",
    );
    // every threshold write is registered (strobe, address and, through
    // `CfgPort::lane_data`, the data): the decode and the write enables of
    // some 150 memory copies and 128 registers across the lanes are two
    // paths. Each lane has its own memories (one read port each) and its own
    // copies of the write registers: one RTL memory read by eight lanes is
    // eight copies after synthesis with one write port's fan-out across them.
    // Each lane decodes its own copy of the port (`CfgPort::lane_we`,
    // `lane_addr`): copies of one decode shared its LUTs, which the placer
    // put by one lane (cfg_we_p -> we_tab4_k2 was 19.2 ns placed on 38747de).
    let lanes = p.parallel;
    let (mut we_top, mut we_half, mut off_q) = (Vec::new(), Vec::new(), Vec::new());
    let mut we_l = vec![Vec::new(); K as usize - 1];
    for lane in 0..lanes {
        let (we, a) = (&port.lane_we[lane], &port.lane_addr[lane]);
        let top = port.lane_decode(lane, addr::threshold(NOISE_TABLE_LEN))?;
        we_top.push(m.reg_d(&format!("we_thr_top_k{lane}"), &top, None, Some(0))?);
        let half = port.lane_decode(lane, addr::threshold(NOISE_TABLE_LEN / 2))?;
        we_half.push(m.reg_d(&format!("we_thr_half_k{lane}"), &half, None, Some(0))?);
        let region = a.slice(CFG_ADDR_BITS - 1, K)?;
        let thr = we.and(&region.eq(&ku(1, CFG_ADDR_BITS - K)?)?)?;
        let off = m.wire(&format!("thr_off_k{lane}"), &a.slice(K - 1, 0)?)?;
        // the word address within a level: offset bits K-1..k+1 (bit 0 is no level's)
        let o = off.slice(K - 1, 1)?;
        off_q.push(m.reg_d(&format!("thr_off_q_k{lane}"), &o, None, Some(0))?);
        for (k, l) in we_l.iter_mut().enumerate() {
            let k = k as u32;
            let mut e = thr.and(&off.bit(k)?)?;
            if k > 0 {
                e = e.and(&off.slice(k - 1, 0)?.eq(&ku(0, k)?)?)?;
            }
            l.push(m.reg_d(&format!("we_thr_l{k}_k{lane}"), &e, None, Some(0))?);
        }
    }
    let mut lane_thr = Vec::new();
    for lane in 0..lanes {
        let data = port.lane_data(lane, 64)?;
        let s_top = m.reg_d(
            &format!("thr{lane}_top"),
            &data,
            Some(&we_top[lane]),
            Some(0),
        )?;
        let s_half = m.reg_d(
            &format!("thr{lane}_half"),
            &data,
            Some(&we_half[lane]),
            Some(0),
        )?;
        let mut levels = Vec::new();
        for (k, we) in we_l.iter().enumerate() {
            let words = 1 << (K as usize - 1 - k);
            let a = off_q[lane].slice(K - 2, k as u32)?;
            if form == MemForm::Ecp5 && level_outreg(k as u32) {
                let (we, wa) = (we[lane].clone(), a);
                levels.push(Level::Ecp5 { we, wa, words });
                continue;
            }
            let mem = m.memory(&format!("thr{lane}_l{k}"), Ty::u(64), words)?;
            m.mem_write(&mem, &we[lane], &a, &data)?;
            // written before `run` (a write during a run has no defined word
            // to land in): a read that meets a write is never part of the stream
            m.mem_no_collision(&mem)?;
            levels.push(Level::Mem(mem));
        }
        lane_thr.push(LaneThr {
            s_top,
            s_half,
            levels,
            data,
        });
    }
    m.comment("rounding constant 2^(F-1) (0 for F = 0)");
    let ws = sum_bits(GROUP_BITS + stages(p).tree as u32);
    // bit i is `frac == i + 1`: one compare of the register per bit, where
    // a chain of multiplexers over the values had reset the bits through
    // several levels (`frac -> half.LSR`, 16.7 ns placed on 3290e9d)
    let bits: Vec<Expr> = (0..ws)
        .map(|i| match i + 1 < (1u32 << SHIFT_BITS) {
            true => frac.eq(&ku(i as i128 + 1, SHIFT_BITS)?),
            false => ku(0, 1),
        })
        .collect::<Result<_, _>>()?;
    let h = Expr::pack_lsb_first(&bits)?.as_signed();
    let half = m.reg_d("half", &h, None, Some(0))?;
    Ok(Cfg {
        half,
        pattern,
        precode,
        frac,
        nshift,
        thr: lane_thr,
        clk: clk.clone(),
        form,
    })
}

/// The pattern generator: the LFSR, the random source and the data symbols
/// of a word, registered (stage 1); the LFSR advances on `adv`, the random
/// source on `rnd_advs` (the same value, from copies of its register: see
/// [`random_starts`]).
fn pattern_gen(
    m: &mut Module,
    port: &CfgPort,
    cfg: &Cfg,
    p: usize,
    adv: &Expr,
    rnd_advs: &[Expr],
) -> Result<Expr, RtlError> {
    m.comment("pattern: the LFSR and its XOR networks (one per polynomial)");
    let ones = (1i128 << LFSR_BITS) - 1;
    let lfsr = m.reg("lfsr", Ty::u(LFSR_BITS), Some(ones))?;
    let net = |src: &Expr, masks: &[u64]| -> Result<Expr, RtlError> {
        let mut bits = Vec::new();
        for &mask in masks {
            bits.push(if mask == 0 {
                ku(0, 1)?
            } else {
                src.and(&ku(mask as i128, LFSR_BITS)?)?.reduce_xor()
            });
        }
        Expr::pack_lsb_first(&bits)
    };
    let mut outs = Vec::new();
    let mut nexts = Vec::new();
    for poly in POLYS {
        let (out, next) = lfsr_matrices(poly, p);
        nexts.push(m.wire(&format!("next_prbs{}", poly.degree), &net(&lfsr, &next)?)?);
        outs.push(out);
    }
    // one value per polynomial, the one `pattern` names (the last: any other code)
    let by_pattern = |v: &[Expr]| -> Result<Expr, RtlError> {
        let last = v.len() - 1;
        (0..last).rev().try_fold(v[last].clone(), |acc, i| {
            Expr::mux(&cfg.pattern.eq(&ku(i as i128, 3)?)?, &v[i], &acc)
        })
    };
    let nxt = m.wire("lfsr_next", &by_pattern(&nexts)?)?;
    let load = port.hit(m, addr::LFSR, "we_lfsr")?;
    let seed = port.data(m, "we_lfsr", LFSR_BITS)?;
    let d = m.wire("lfsr_d", &Expr::mux(&load, &seed, &nxt)?)?;
    let le = m.wire("lfsr_en", &load.or(adv)?)?;
    m.next(&lfsr, &d, Some(&le))?;
    // Each polynomial's symbols of the LFSR's present state, registered
    // from its next value (`sym_prbs*` = the XOR network of `lfsr`, on
    // every clock whatever the pattern): the networks and the pattern's
    // multiplexer in one path from the LFSR to `sym_q`, which sits by the
    // mapper, were 18.1 ns placed on 3290e9d.
    // the seed networks' input: a kept copy of the port's data as it
    // enters (as `cfg_wdata_p` is), so the networks start beside them (from
    // `cfg_wdata_p`, which feeds every data copy, they crossed the die:
    // cfg_wdata_p -> sym_seed_prbs*, 22.8 ns placed on 59fb970)
    // (reset, where `cfg_wdata_p` has none: Yosys merges a register into a
    // kept one of the same function, and the copy would drive everything)
    let sd = m.kept_reg("sym_seed_src", Ty::u(LFSR_BITS), Some(0))?;
    m.next(&sd, &port.wdata_in.slice(LFSR_BITS - 1, 0)?, None)?;
    let mut syms = Vec::new();
    for (poly, out) in POLYS.iter().zip(&outs) {
        let init = out.iter().enumerate().fold(0i128, |a, (i, &mask)| {
            a | ((((mask as i128 & ones).count_ones() & 1) as i128) << i)
        });
        let q = m.reg(
            &format!("sym_prbs{}", poly.degree),
            Ty::u(2 * p as u32),
            Some(init),
        )?;
        // a seed's symbols: the network of the port's data, registered as
        // the seed's own copy is (`we_lfsr_pdata`), so a load is a select
        let ss = m.reg_d(
            &format!("sym_seed_prbs{}", poly.degree),
            &net(&sd, out)?,
            None,
            Some(0),
        )?;
        let step = net(&nxt, out)?;
        m.next(&q, &Expr::mux(&load, &ss, &step)?, Some(&le))?;
        syms.push(q);
    }
    let sym = by_pattern(&syms)?;
    let rnd = random_gen(m, port, p, rnd_advs)?;
    let sel = cfg.pattern.eq(&ku(RANDOM_CODE as i128, 3)?)?;
    let sym = m.wire("sym", &Expr::mux(&sel, &rnd, &sym)?)?;
    m.reg_d("sym_q", &sym, None, None)
}

/// The error injector at stage 0 (see the module docs): the `inject_every`
/// register `K`, the offset `rem` of the next injected symbol (loaded with
/// `K - 1` by the write of `K`, advancing on `adv` as the LFSR does) and the
/// started word's flip mask (bit `i`: `K != 0` and `rem == i`), registered
/// with the word's symbols (stage 1).
fn injector(m: &mut Module, port: &CfgPort, p: usize, adv: &Expr) -> Result<Expr, RtlError> {
    m.comment("error injector: lane rem of the started word is flipped when K != 0 and rem < P");
    let w = INJECT_BITS;
    let load = port.hit(m, addr::INJECT_EVERY, "we_inject_every")?;
    let data = port.data(m, "we_inject_every", w)?;
    let k = m.reg("inject_every", Ty::u(w), Some(0))?;
    let k_n = m.wire("inject_every_next", &Expr::mux(&load, &data, &k)?)?;
    m.next(&k, &k_n, None)?;
    // `K != 0` and the offset's "in this word" are registers, so the flip
    // mask is one LUT from registers: formed from the offset's adder and
    // compares, the mask crossed the die to the channel (inj_rem -> inj_q,
    // 21.2 ns placed on 9e44688). `inj_on` and the flags `inj_fits*` (below)
    // are formed from `K` itself, a clock after it, as `inj_k_minus_p` is:
    // from its next value the write strobe's multiplexer was in front of
    // their compares (19.1 ns placed on 43d0cc4). By the port's contract a
    // write lands clocks before a run starts (`WRITE_EDGES`, `RUN_DELAY`).
    let on = m.reg_d("inj_on", &k.eq(&ku(0, w)?)?.not(), None, Some(0))?;
    let pk = ku(p as i128, w)?;
    let kmp = m.reg_d("inj_k_minus_p", &k.sub(&pk)?, None, Some(0))?;
    let rem = m.reg("inj_rem", Ty::u(w), Some(0))?;
    let lg = p.trailing_zeros();
    let in_word = m.reg("inj_in_word", Ty::BIT, Some(1))?;
    let hit = m.wire("inj_hit", &on.and(&in_word)?)?;
    let bits: Vec<Expr> = (0..p)
        .map(|i| match lg {
            0 => Ok(hit.clone()),
            _ => hit.and(&rem.slice(lg - 1, 0)?.eq(&ku(i as i128, lg)?)?),
        })
        .collect::<Result<_, _>>()?;
    let mask = m.wire("inj_mask", &Expr::pack_lsb_first(&bits)?)?;
    let nxt = Expr::mux(&in_word, &rem.add(&kmp)?, &rem.sub(&pk)?)?;
    let load_rem = m.wire("inj_load_rem", &data.sub(&ku(1, w)?)?)?;
    let d = Expr::mux(&load, &load_rem, &nxt)?;
    let e = m.wire("inj_rem_en", &load.or(adv)?)?;
    let rem_n = m.wire("inj_rem_next", &Expr::mux(&e, &d, &rem)?)?;
    m.next(&rem, &rem_n, None)?;
    // "in this word" next (`rem' < P`) without the offset's adder: from a
    // word with the flip (`rem = r < P`), `rem' = r + K - P < P` is
    // `K < 2P - r`, a flag per `r` formed when `K` is written
    // (`inj_fits*`) and picked by `r`; from a word without (`rem >= P`),
    // `rem' = rem - P < P` is `rem < 2P`. The adder then compare had been
    // the emulator's longest path (`inj_rem -> inj_in_word`, 24.0 ns placed
    // on 24f4a67)
    let fits: Vec<Expr> = (0..p)
        .map(|r| {
            let bound = ku((2 * p - r) as i128, w)?;
            m.reg_d(&format!("inj_fits{r}"), &k.lt(&bound)?, None, Some(0))
        })
        .collect::<Result<_, _>>()?;
    let from_hit = match lg {
        0 => fits[0].clone(),
        _ => {
            let lo = rem.slice(lg - 1, 0)?;
            let terms: Vec<Expr> = fits
                .iter()
                .enumerate()
                .map(|(r, f)| lo.eq(&ku(r as i128, lg)?)?.and(f))
                .collect::<Result<_, _>>()?;
            crate::rs::gf::or_all(terms)?
        }
    };
    let from_miss = rem.slice(w - 1, lg + 1)?.eq(&ku(0, w - lg - 1)?)?;
    let step_in = Expr::mux(&in_word, &from_hit, &from_miss)?;
    let load_in = load_rem.slice(w - 1, lg)?.eq(&ku(0, w - lg)?)?;
    let z = Expr::mux(&load, &load_in, &Expr::mux(adv, &step_in, &in_word)?)?;
    m.next(&in_word, &z, None)?;
    m.reg_d("inj_q", &mask, None, None)
}

/// The level word `lvl` with lane `i`'s index XOR 1 where bit `i` of `mask` is set.
fn flip_levels(m: &mut Module, lvl: &Expr, mask: &Expr, p: usize) -> Result<Expr, RtlError> {
    let flips: Vec<Expr> = (0..p as u32)
        .map(|i| Expr::concat(&[ku(0, 1)?, mask.bit(i)?]))
        .collect::<Result<_, _>>()?;
    m.wire("lvl_ch", &lvl.xor(&Expr::pack_lsb_first(&flips)?)?)
}

/// Gray map and precoder (stages 2 and 3): the level indices of the word in
/// `sym_q` (valid `v_pre` at stage 2).
fn mapper(
    m: &mut Module,
    p: usize,
    sym_q: &Expr,
    precode: &Expr,
    v_pre: &Expr,
) -> Result<Expr, RtlError> {
    m.comment("Gray map; precoder p_i = (g_i - p_(i-1)) mod 4 as a prefix sum of h_i = (-1)^i g_i");
    let two = Ty::u(2);
    let zero = ku(0, 2)?;
    let mut g = Vec::new();
    let mut h = Vec::new();
    for i in 0..p {
        let d = m.wire(
            &format!("d{i}"),
            &sym_q.slice(2 * i as u32 + 1, 2 * i as u32)?,
        )?;
        let gi = Expr::concat(&[d.bit(1)?, d.bit(1)?.xor(&d.bit(0)?)?])?;
        let gi = m.wire(&format!("g{i}"), &gi)?;
        let hi = if i % 2 == 1 {
            zero.sub(&gi)?
        } else {
            gi.clone()
        };
        h.push(m.wire(&format!("h{i}_0"), &hi)?);
        g.push(gi);
    }
    let mut step = 1;
    let mut lvl = 1;
    while step < p {
        let mut nh = Vec::new();
        for i in 0..p {
            let v = if i >= step {
                h[i].add(&h[i - step])?
            } else {
                h[i].clone()
            };
            nh.push(m.wire(&format!("h{i}_{lvl}"), &v)?);
        }
        h = nh;
        step *= 2;
        lvl += 1;
    }
    let pre: Vec<Expr> = (0..p)
        .map(|i| m.reg_d(&format!("pre{i}_q"), &h[i], None, None))
        .collect::<Result<_, _>>()?;
    let gq: Vec<Expr> = (0..p)
        .map(|i| m.reg_d(&format!("g{i}_q"), &g[i], None, None))
        .collect::<Result<_, _>>()?;
    let prev = m.reg("prec_prev", two, Some(0))?;
    let mut lv = Vec::new();
    let mut last = zero.clone();
    for i in 0..p {
        let q = pre[i].sub(&prev)?;
        let pi = if i % 2 == 1 { zero.sub(&q)? } else { q };
        let pi = m.wire(&format!("p{i}"), &pi)?;
        lv.push(Expr::mux(precode, &pi, &gq[i])?);
        last = pi;
    }
    m.next(&prev, &last, Some(v_pre))?;
    m.reg_d("lvl_q", &Expr::pack_lsb_first(&lv)?, None, None)
}

/// A registered binary adder tree over `terms` (one signed type), one level
/// per stage, growing one bit per level; a single term gets one register.
fn adder_tree(m: &mut Module, name: &str, terms: &[Expr]) -> Result<Expr, RtlError> {
    let mut cur = terms.to_vec();
    let mut lvl = 0;
    loop {
        let w = cur[0].width() + 1;
        let mut next = Vec::new();
        for (i, pair) in cur.chunks(2).enumerate() {
            let a = pair[0].ext(w)?;
            let v = match pair.get(1) {
                Some(b) => a.add(&b.ext(w)?)?,
                None => a,
            };
            next.push(m.reg_d(&format!("{name}_t{lvl}_{i}"), &v, None, None)?);
        }
        cur = next;
        lvl += 1;
        if cur.len() == 1 {
            return Ok(cur.remove(0));
        }
    }
}

/// The channel from stage `ch_in` (level word `lvl`, valid `v_in`): the
/// history of the last `T - 1` level indices; per lane, one table read per
/// group of [`GROUP`] taps (addressed by the group's level indices, read
/// through two registers: the block RAM's and a fabric one) and an adder
/// tree over the reads; the lanes' `y` at stage `ch_in + 2 + tree`. Every lane has its own copy of each table (one
/// read port each); a configuration write goes to every copy.
fn channel(
    m: &mut Module,
    p: &EmuParams,
    (port, cfg): (&CfgPort, &Cfg),
    lvl: &Expr,
    v_in: &Expr,
) -> Result<Vec<Expr>, RtlError> {
    m.comment("channel: window = the last T-1 level indices (oldest first), then the word");
    let t = p.taps;
    let pp = p.parallel;
    let hist = if t > 1 {
        Some(m.reg("hist", Ty::u(2 * (t as u32 - 1)), Some(0))?)
    } else {
        None
    };
    let bus = match &hist {
        Some(h) => m.wire("window", &Expr::concat(&[lvl.clone(), h.clone()])?)?,
        None => lvl.clone(),
    };
    let n = t - 1 + pp;
    let win: Vec<Expr> = (0..n)
        .map(|e| {
            m.wire(
                &format!("win{e}"),
                &bus.slice(2 * e as u32 + 1, 2 * e as u32)?,
            )
        })
        .collect::<Result<_, _>>()?;
    if let Some(h) = &hist {
        let d = bus.slice(2 * n as u32 - 1, 2 * pp as u32)?;
        m.next(h, &d, Some(v_in))?;
    }
    m.comment("channel tables: entry e of table g at TABLE_BASE + 256 g + e, written to every lane's copy through the lane's own write registers");
    let gb = (CFG_ADDR_BITS - 1) - TABLE_LEN.trailing_zeros();
    // registered as the thresholds' writes (strobe, entry, data), each
    // lane's from its own copy of the port
    let mut tab_e = Vec::new();
    let mut we_g = vec![Vec::new(); groups(p)];
    for lane in 0..pp {
        let (we, a) = (&port.lane_we[lane], &port.lane_addr[lane]);
        tab_e.push(m.reg_d(&format!("tab_e_k{lane}"), &a.slice(7, 0)?, None, Some(0))?);
        let we_tab = we.and(&a.bit(CFG_ADDR_BITS - 1)?)?;
        let tab_g = a.slice(CFG_ADDR_BITS - 2, CFG_ADDR_BITS - 1 - gb)?;
        for (g, w) in we_g.iter_mut().enumerate() {
            let hit = we_tab.and(&tab_g.eq(&ku(g as i128, gb)?)?)?;
            w.push(m.reg_d(&format!("we_tab{g}_k{lane}"), &hit, None, Some(0))?);
        }
    }
    let mut ys = Vec::new();
    for lane in 0..pp {
        let data = port.lane_data(lane, GROUP_BITS)?;
        let mut terms = Vec::new();
        for (g, we) in we_g.iter().enumerate() {
            // the level index of the symbol tap GROUP g + i multiplies, at bits 2i+1:2i
            let mut idx = Vec::new();
            for i in (0..GROUP).rev() {
                let j = GROUP * g + i;
                idx.push(match j < t {
                    true => win[lane + t - 1 - j].clone(),
                    false => ku(0, 2)?,
                });
            }
            let a = m.wire(&format!("c{lane}_a{g}"), &Expr::concat(&idx)?)?;
            // as the thresholds: written before `run`. Read through two
            // registers: a block RAM's read takes 5.83 ns from the clock to
            // the data without its output register (generic form: a fabric
            // register after it; ECP5: the block's own)
            let name = format!("tab{lane}_{g}");
            let mem = bram::TwiceRead {
                name: &name,
                ty: Ty::u(GROUP_BITS),
                depth: TABLE_LEN,
                we: &we[lane],
                wa: &tab_e[lane],
                wd: &data,
                ra: &a,
            };
            let regs = [format!("c{lane}_r{g}"), format!("c{lane}_o{g}")];
            let rd = bram::read_twice(m, cfg.form, &cfg.clk, &mem, [&regs[0], &regs[1]])?;
            terms.push(m.wire(&format!("c{lane}_h{g}"), &rd.as_signed())?);
        }
        ys.push(adder_tree(m, &format!("c{lane}"), &terms)?);
    }
    Ok(ys)
}

/// `rotl(x, k)` of a named 64-bit signal.
fn rotl(x: &Expr, k: u32) -> Result<Expr, RtlError> {
    Expr::concat(&[x.slice(63 - k, 0)?, x.slice(63, 64 - k)?])
}

/// A loadable xoshiro256++ state.
struct XoState {
    /// the state words `s[0..4]`
    s: Vec<Expr>,
    /// per word: its write strobe (a register) and its stepped value
    hit: Vec<Expr>,
    n: Vec<Expr>,
}

/// The state `{name}_s0..3` of a xoshiro256++ (reset `init`): registers for a
/// lane, wires over four 16-bit registers `{name}_s{w}_p0..3` each for the
/// random source (`lane` none), whose parts load on their own copies of the
/// word's seed strobe (`we_{name}_s{w}_k0..3`; copy `k4` is the strobe in
/// [`XoState::hit`]); word
/// `w` loaded by a write to `addr_of(w)`, stepping on `steps[w]` (four copies
/// of one strobe, or the same strobe four times). A lane's (`lane`) decodes
/// its seed writes from the lane's copies of the port and their data.
fn xoshiro_state(
    m: &mut Module,
    port: &CfgPort,
    lane: Option<usize>,
    name: &str,
    init: [u64; 4],
    addr_of: impl Fn(usize) -> usize,
    steps: [&Expr; 4],
) -> Result<XoState, RtlError> {
    // the lanes' words are one register each; the random source's are
    // parts of 16 bits, each loaded by its own copy of the word's write
    // strobe: from one strobe, the load's enable and multiplexer reached
    // 64 bits placed apart (`we_xr_s* -> xr_s*`, 239 end points above
    // 11.5 ns, up to 18.7 ns placed on 59fb970)
    let parts: u32 = if lane.is_some() { 1 } else { 4 };
    let pw = 64 / parts;
    let regs: Vec<Vec<Expr>> = (0..4)
        .map(|w| {
            (0..parts)
                .map(|j| {
                    let (n, v) = match parts {
                        1 => (format!("{name}_s{w}"), init[w] as i128),
                        _ => (
                            format!("{name}_s{w}_p{j}"),
                            ((init[w] >> (pw * j)) & ((1u64 << pw) - 1)) as i128,
                        ),
                    };
                    m.reg(&n, Ty::u(pw), Some(v))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    let s: Vec<Expr> = regs
        .iter()
        .enumerate()
        .map(|(w, r)| match parts {
            1 => Ok(r[0].clone()),
            _ => {
                let hi_first: Vec<Expr> = r.iter().rev().cloned().collect();
                m.wire(&format!("{name}_s{w}"), &Expr::concat(&hi_first)?)
            }
        })
        .collect::<Result<_, _>>()?;
    let s31 = m.wire(&format!("{name}_s31"), &s[3].xor(&s[1])?)?;
    let nxt = [
        s[0].xor(&s[3])?.xor(&s[1])?,
        s[1].xor(&s[2])?.xor(&s[0])?,
        s[2].xor(&s[0])?.xor(&s[1].shl(17))?,
        rotl(&s31, 45)?,
    ];
    let mut x = XoState {
        s,
        hit: Vec::new(),
        n: Vec::new(),
    };
    for (w, (nxt, step)) in nxt.iter().zip(steps).enumerate() {
        let hn = format!("we_{name}_s{w}");
        // the strobe the word's users read, and one per part
        let (hit, hits, data) = match lane {
            Some(l) => {
                let h = port.lane_hit(m, l, addr_of(w), &hn)?;
                (h.clone(), vec![h], port.lane_data(l, 64)?)
            }
            None => {
                let mut h = port.hit_copies(m, addr_of(w), &hn, parts as usize + 1)?;
                let users = h.pop().ok_or(RtlError::Empty("write strobe copies"))?;
                (users, h, port.data(m, &hn, 64)?)
            }
        };
        let nw = m.wire(&format!("{name}_n{w}"), nxt)?;
        for (j, (r, h)) in regs[w].iter().zip(&hits).enumerate() {
            let (hi, lo) = (pw * (j as u32 + 1) - 1, pw * j as u32);
            let d = match parts {
                1 => Expr::mux(h, &data, &nw)?,
                _ => Expr::mux(h, &data.slice(hi, lo)?, &nw.slice(hi, lo)?)?,
            };
            let en = match parts {
                1 => format!("{name}_en{w}"),
                _ => format!("{name}_en{w}_p{j}"),
            };
            let e = m.wire(&en, &h.or(step)?)?;
            m.next(r, &d, Some(&e))?;
        }
        x.hit.push(hit);
        x.n.push(nw);
    }
    Ok(x)
}

/// The copies of the start strobe the random source takes at `p` samples
/// per clock: one per state word, and below P = 32 (where a word takes part
/// of an output) one for the output buffer and its count. From one copy,
/// the strobe fanned out to 430 enables, and the path from the framer's
/// `take` to them was 22.6 ns placed (session 25).
pub(super) fn random_starts(p: usize) -> usize {
    if words_per_output(p) > 1 {
        5
    } else {
        4
    }
}

/// The words at `p` symbols each that one xoshiro256++ output (32 symbols)
/// fills.
fn words_per_output(p: usize) -> usize {
    32 / p
}

/// The seeded random source at stage 0 (see the module docs): the `2P`
/// data bits of the started word, symbol `q` at bits `2q + 1..2q` (the
/// output word's bit pairs from the LSB, as `golden::prbs::SymbolSource`).
/// `advs` are [`random_starts`] copies of one start strobe: state word `w`
/// steps on `advs[w]`, the buffer and the count on `advs[4]`.
fn random_gen(m: &mut Module, port: &CfgPort, p: usize, advs: &[Expr]) -> Result<Expr, RtlError> {
    if advs.len() != random_starts(p) {
        return Err(RtlError::Param {
            name: "random source starts",
            value: advs.len() as i64,
            why: format!(
                "the random source at P = {p} takes {} copies of its start strobe",
                random_starts(p)
            ),
        });
    }
    m.comment("pattern: the random source, a xoshiro256++ output per 32 symbols, LSB pair first");
    let wpo = words_per_output(p);
    let cb = wpo.trailing_zeros();
    let pb = 2 * p as u32;
    // the word index within the output (`cnt == 0`: the word takes a fresh output)
    let cnt = match cb {
        0 => None,
        _ => Some(m.reg("xr_cnt", Ty::u(cb), Some(0))?),
    };
    // `cnt == 0` as kept registers of the count's next value, one per state
    // word's step and one for the output's buffer (`xr_first_k*`, the same
    // value on every clock): the compare behind the count had fed the
    // steps' enables of all 256 state bits (`xr_cnt -> xr_s*.CE`, `xr_t`:
    // up to 256 end points, 18.9 ns placed on 138b514)
    let (cnt_next, firsts) = match cb {
        0 => (None, vec![ku(1, 1)?; 5]),
        _ => {
            let nx = m.wire_decl("xr_cnt_next", Ty::u(cb))?;
            let f = m.reg_copies("xr_first", &nx.eq(&ku(0, cb)?)?, None, Some(1), 5)?;
            (Some(nx), f)
        }
    };
    let first = firsts[4].clone();
    let steps: Vec<Expr> = (0..4)
        .map(|w| match cb {
            0 => Ok(advs[w].clone()),
            _ => m.wire(&format!("xr_step{w}"), &advs[w].and(&firsts[w])?),
        })
        .collect::<Result<_, _>>()?;
    let init = Xoshiro256pp::new(random_seed(0)).state();
    let steps4 = [&steps[0], &steps[1], &steps[2], &steps[3]];
    let x = xoshiro_state(m, port, None, "xr", init, addr::random, steps4)?;
    // `xr_t = s[0] + s[3]` of the state in the register, kept by computing it
    // from the state's next value: the output is one adder from registers.
    // The sums of the words' stepped values and their held values are
    // formed apart from the steps, which only select among them (the steps
    // come from `adv`, the framer's word logic). A seed write is not in the
    // sums: the clock after one lands (`xr_t_fix`), `t` is `s[0] + s[3]` of
    // the registers. By the port's contract `run` rises after the last
    // write has landed (`WRITE_EDGES`), and a word starts `RUN_DELAY` = 2
    // clocks after `run`, so `t` is right a clock before the first word
    // that reads it. The write strobes' load muxes in
    // front of the adders were a path across the die (we_xr_s3 -> xr_t,
    // 20.7 ns placed on 9e44688).
    let t0 = init[0].wrapping_add(init[3]);
    let t = m.reg("xr_t", Ty::u(64), Some(t0 as i128))?;
    let any_hit = x.hit[1..]
        .iter()
        .try_fold(x.hit[0].clone(), |a, h| a.or(h))?;
    let fix = m.reg_d("xr_t_fix", &any_hit, None, Some(0))?;
    let s0s3 = m.wire("xr_t_s0s3", &x.s[0].add(&x.s[3])?)?;
    let n0s3 = m.wire("xr_t_n0s3", &x.n[0].add(&x.s[3])?)?;
    let s0n3 = m.wire("xr_t_s0n3", &x.s[0].add(&x.n[3])?)?;
    let n0n3 = m.wire("xr_t_n0n3", &x.n[0].add(&x.n[3])?)?;
    let tn = Expr::mux(
        &steps[0],
        &Expr::mux(&steps[3], &n0n3, &n0s3)?,
        &Expr::mux(&steps[3], &s0n3, &t)?,
    )?;
    let tn = m.wire("xr_t_next", &Expr::mux(&fix, &s0s3, &tn)?)?;
    m.next(&t, &tn, None)?;
    let out = m.wire("xr_out", &rotl(&t, 23)?.add(&x.s[0])?)?;
    let (Some(cnt), Some(cnt_next)) = (cnt, cnt_next) else {
        return out.slice(pb - 1, 0);
    };
    let adv = &advs[4];
    // the output's symbols after the word's first ones
    let buf = m.reg("xr_buf", Ty::u(64 - pb), Some(0))?;
    let hi = out.slice(63, pb)?;
    let (d, e) = if wpo > 2 {
        (Expr::mux(&first, &hi, &buf.shr(pb))?, adv.clone())
    } else {
        (hi, adv.and(&first)?)
    };
    m.next(&buf, &d, Some(&e))?;
    let restart = x
        .hit
        .iter()
        .skip(1)
        .try_fold(x.hit[0].clone(), |a, h| a.or(h))?;
    let restart = m.wire("xr_restart", &restart)?;
    let cn = Expr::mux(&restart, &ku(0, cb)?, &cnt.add(&ku(1, cb)?)?)?;
    let ce = m.wire("xr_cnt_en", &restart.or(adv)?)?;
    m.assign(&cnt_next, &Expr::mux(&ce, &cn, &cnt)?)?;
    m.next(&cnt, &cnt_next, None)?;
    let sym = Expr::mux(&first, &out.slice(pb - 1, 0)?, &buf.slice(pb - 1, 0)?)?;
    m.wire("xr_sym", &sym)
}

/// Lane `lane`'s xoshiro256++ (advancing on `adv`, loadable): the word `r`
/// of the started word, at stage 2.
fn xoshiro(m: &mut Module, port: &CfgPort, lane: usize, adv: &Expr) -> Result<Expr, RtlError> {
    m.comment(&format!("lane {lane}: xoshiro256++"));
    let init = Xoshiro256pp::new(lane_seed(0, lane)).state();
    let x = xoshiro_state(
        m,
        port,
        Some(lane),
        &format!("x{lane}"),
        init,
        |w| addr::xoshiro(lane, w),
        [adv; 4],
    )?;
    let s = &x.s;
    let t = m.reg_d(&format!("x{lane}_t"), &s[0].add(&s[3])?, None, None)?;
    let s0 = m.reg_d(&format!("x{lane}_s0q"), &s[0], None, None)?;
    let r = rotl(&t, 23)?.add(&s0)?;
    m.reg_d(&format!("x{lane}_r"), &r, None, None)
}

/// The search state of one lane at one stage.
struct Search {
    u: Expr,
    sign: Expr,
    m: Expr,
}

fn search_regs(
    m: &mut Module,
    name: &str,
    u: &Expr,
    sign: &Expr,
    mag: &Expr,
) -> Result<Search, RtlError> {
    // the last level's u is not needed any more
    let last = name.ends_with("_l0");
    Ok(Search {
        u: if last {
            u.clone()
        } else {
            m.reg_d(&format!("{name}_u"), u, None, None)?
        },
        sign: m.reg_d(&format!("{name}_s"), sign, None, None)?,
        m: m.reg_d(&format!("{name}_m"), mag, None, None)?,
    })
}

/// Words from which a memory is block RAM on ECP5: Yosys maps the threshold
/// levels of 512..64 words to `DP16KD` and those of 32 words or fewer to LUT
/// RAM (measured on the `--bert` netlist). A block-RAM read takes 5.83 ns
/// from the clock to the data (`NOREG`), so its word goes through one more
/// register before the compare; a LUT-RAM read is a few LUT levels and is
/// compared straight from its read register.
pub const OUTREG_WORDS: usize = 64;

/// Whether threshold level `2^k` (`k < K - 1`, a memory of `2^(K-1-k)` words)
/// reads through a second register ([`OUTREG_WORDS`]).
fn level_outreg(k: u32) -> bool {
    1usize << (K - 1 - k) >= OUTREG_WORDS
}

/// The threshold search of lane `lane` from its word `r` (stage 2): the
/// magnitude `m` (`K + 1` bits) and the sign, at stage [`Stages::mag`].
fn noise_search(m: &mut Module, lane: usize, r: &Expr, cfg: &Cfg) -> Result<Search, RtlError> {
    m.comment(&format!(
        "lane {lane}: noise magnitude m = #{{j : u < S[j]}}, one bit per level"
    ));
    let mw = K + 1;
    let u = m.wire(&format!("n{lane}_u"), &r.slice(63, 1)?)?;
    let ue = m.wire(&format!("n{lane}_ue"), &u.ext(64)?)?;
    let thr = &cfg.thr[lane];
    let c = ue.lt(&thr.s_top)?;
    let mut st = search_regs(
        m,
        &format!("n{lane}_l{K}"),
        &u,
        &r.bit(0)?,
        &bit_at(&c, K, mw)?,
    )?;
    let mut q: Option<Expr> = None;
    for k in (0..K).rev() {
        if k < K - 1 {
            // stage A: the synchronous read of level k's word
            let a = st.m.slice(K - 1, k + 1)?;
            let qk = match &thr.levels[k as usize] {
                Level::Mem(mem) => {
                    let rd = mem.read(&a)?;
                    let mut qk = m.reg_d(&format!("n{lane}_q{k}"), &rd, None, None)?;
                    st = search_regs(m, &format!("n{lane}_a{k}"), &st.u, &st.sign, &st.m)?;
                    if level_outreg(k) {
                        // stage A': a fabric register after the block RAM's read
                        qk = m.reg_d(&format!("n{lane}_o{k}"), &qk, None, None)?;
                        st = search_regs(m, &format!("n{lane}_b{k}"), &st.u, &st.sign, &st.m)?;
                    }
                    qk
                }
                Level::Ecp5 { we, wa, words } => {
                    // stages A and A' in the block: its read and output registers
                    let name = format!("thr{lane}_l{k}");
                    let mem = bram::TwiceRead {
                        name: &name,
                        ty: Ty::u(64),
                        depth: *words,
                        we,
                        wa,
                        wd: &thr.data,
                        ra: &a,
                    };
                    let regs = [format!("n{lane}_q{k}"), format!("n{lane}_o{k}")];
                    let qk = bram::read_twice(m, cfg.form, &cfg.clk, &mem, [&regs[0], &regs[1]])?;
                    st = search_regs(m, &format!("n{lane}_a{k}"), &st.u, &st.sign, &st.m)?;
                    st = search_regs(m, &format!("n{lane}_b{k}"), &st.u, &st.sign, &st.m)?;
                    qk
                }
            };
            q = Some(qk);
        }
        let s = match &q {
            Some(q) => q.clone(),
            None => thr.s_half.clone(),
        };
        let ue = m.wire(&format!("n{lane}_ue{k}"), &st.u.ext(64)?)?;
        let c = st.m.bit(K)?.not().and(&ue.lt(&s)?)?;
        let nm = st.m.or(&bit_at(&c, k, mw)?)?;
        st = search_regs(m, &format!("n{lane}_l{k}"), &st.u, &st.sign, &nm)?;
    }
    Ok(st)
}

/// Width of the ADC's sum: `y`, the shifted noise (`2^K << 15`) and the
/// rounding constant, with a bit to spare.
fn sum_bits(y_bits: u32) -> u32 {
    y_bits.max(K + 1 + (1 << SHIFT_BITS) - 1 + 1) + 2
}

/// The ADC of one lane (4 stages from [`Stages::mag`]): noise sign and shift,
/// `y + half`, the sum, the shift by `F`, then the saturation, a wire: the
/// output FIFO's write is its register (stage [`Stages::out`]).
fn adc(
    m: &mut Module,
    p: &EmuParams,
    lane: usize,
    y: &Expr,
    n: &Search,
    cfg: &Cfg,
) -> Result<Expr, RtlError> {
    m.comment(&format!("lane {lane}: ADC"));
    let half = &cfg.half;
    let ws = half.width();
    let me = m.wire(&format!("a{lane}_mag"), &n.m.ext(ws)?)?;
    let sh = m.shift_by(&format!("a{lane}_nsh"), &me, &cfg.nshift[lane], 1, true)?;
    let shs = sh.as_signed();
    let nv = Expr::mux(&n.sign, &ks(0, ws)?.sub(&shs)?, &shs)?;
    let nq = m.reg_d(&format!("a{lane}_n"), &nv, None, None)?;
    let ye = m.wire(&format!("a{lane}_y"), &y.ext(ws)?)?;
    let yh = m.reg_d(&format!("a{lane}_yh"), &ye.add(half)?, None, None)?;
    let sum = m.reg_d(&format!("a{lane}_sum"), &yh.add(&nq)?, None, None)?;
    let q = m.shift_by(&format!("a{lane}_q"), &sum, &cfg.frac, 1, false)?;
    let q = m.reg_d(&format!("a{lane}_shr"), &q, None, None)?;
    let b = p.adc_bits;
    let lo = ks(-(1i128 << (b - 1)), ws)?;
    let hi = ks((1i128 << (b - 1)) - 1, ws)?;
    let (lo_b, hi_b) = (ku(1 << (b - 1), b)?, ku((1 << (b - 1)) - 1, b)?);
    let ql = q.slice(b - 1, 0)?;
    let sat = Expr::mux(&q.lt(&lo)?, &lo_b, &Expr::mux(&q.gt(&hi)?, &hi_b, &ql)?)?;
    m.wire(&format!("a{lane}_out"), &sat)
}

/// The header of `rxdsp_emu`.
fn header(p: &EmuParams) -> Header {
    let mut h = Header::new(
        "on-chip link emulator (pattern, precoder, channel FIR, table noise, ADC), bit-exact with golden::emu::EmuStream",
        regen::EMU,
    )
    .param("rtl.parallel (P)", p.parallel)
    .param("channel taps (T)", p.taps)
    .param("adc.bits", p.adc_bits)
    .param("tap bits", TAP_BITS)
    .param("noise table", NOISE_TABLE_LEN)
    .param("fec framer", p.fec.map_or("none", |c| c.name()))
    .param(
        "tx.interleave",
        if p.interleave {
            "2-way (the framer a frame ahead, block RAM)"
        } else {
            "none"
        },
    )
    .latency(latency(p))
    .note(format!(
        "Configuration port (cfg_wdata {CFG_DATA_BITS} bits, low bits used; reset, write all, then raise run; a register takes a write's value at the third clock edge after it, the port and its strobe being registered):"
    ));
    for l in address_map(p) {
        h = h.note(format!("  {l}"));
    }
    h.note("Reset: pattern 5, LFSR all ones, random source = the state of golden random_seed(0), xoshiro lane l = the state of golden lane_seed(0, l), thresholds not reset, the rest 0.")
}

/// Builds `rxdsp_emu` for `p` (its memories behavioural: any simulator or
/// target).
pub fn build(p: &EmuParams) -> Result<Module, RtlError> {
    build_form(p, MemForm::Generic)
}

/// The start strobes, all the same value unless the interleave's prefill
/// makes the framer's differ: the line's (`adv`), each lane's xoshiro's, and
/// the pattern's ([`framer::take_copies`] of them).
struct Starts {
    adv: Expr,
    lane_adv: Vec<Expr>,
    pat_adv: Vec<Expr>,
    /// the output FIFO's room wires, one per copy of `run` (the last is
    /// `ofifo_room`): [`crate::fifo::credit_fifo`] assigns them
    rooms: Vec<Expr>,
    /// with the interleave: the `fec` register and the prefill's starts
    il: Option<(framer::OnReg, interleave::Starts)>,
}

/// [`Starts`] from the `run` port, registered twice ([`RUN_DELAY`]).
fn start_strobes(
    m: &mut Module,
    p: &EmuParams,
    port: &CfgPort,
    run: &Expr,
) -> Result<Starts, RtlError> {
    // `run` registered, and the room register, as kept copies: one per
    // lane's xoshiro, one per start of the pattern (the LFSR's and the
    // random source's, through the framer's `take` copies with the FEC) and
    // one for the rest (one in all with the interleave, whose start strobe
    // is not a plain AND of the two)
    let lane_starts = !(p.fec.is_some() && p.interleave);
    let pat_starts = framer::take_copies(p.parallel);
    let copies = if lane_starts {
        p.parallel + pat_starts + 1
    } else {
        1
    };
    debug_assert_eq!(RUN_DELAY, 2, "two registers on run");
    let run_p = m.reg_d("run_p", run, None, Some(0))?;
    let run_q = m.reg_copies("run_q", &run_p, None, Some(0), copies)?;
    let mut rooms = (0..copies - 1)
        .map(|c| match c < p.parallel {
            true => m.wire_decl(&format!("ofifo_room_l{c}"), Ty::BIT),
            false => m.wire_decl(&format!("ofifo_room_pat{}", c - p.parallel), Ty::BIT),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let room = m.wire_decl("ofifo_room", Ty::BIT)?;
    rooms.push(room.clone());
    let run = run_q[copies - 1].clone();
    // with the interleave, the framer (and the `fec` register) start before the line
    let il = match p.fec.filter(|_| p.interleave) {
        Some(code) => {
            let on = port.fec_reg(m, "fec")?;
            let s = interleave::starts(m, code, p.parallel, &run, &room, &on.q)?;
            Some((on, s))
        }
        None => None,
    };
    let adv = match &il {
        Some((_, s)) => s.adv.clone(),
        None => m.wire("adv", &run.and(&room)?)?,
    };
    let lane_adv: Vec<Expr> = match lane_starts {
        true => (0..p.parallel)
            .map(|l| m.wire(&format!("adv_l{l}"), &run_q[l].and(&rooms[l])?))
            .collect::<Result<_, _>>()?,
        false => vec![adv.clone(); p.parallel],
    };
    // the pattern's starts (the framer's, with the interleave)
    let pat_adv: Vec<Expr> = match (lane_starts, &il) {
        (true, _) => (0..pat_starts)
            .map(|i| {
                let c = p.parallel + i;
                m.wire(&format!("adv_pat{i}"), &run_q[c].and(&rooms[c])?)
            })
            .collect::<Result<_, _>>()?,
        (false, Some((_, s))) => vec![s.fadv.clone(); pat_starts],
        (false, None) => vec![adv.clone(); pat_starts],
    };
    Ok(Starts {
        adv,
        lane_adv,
        pat_adv,
        rooms,
        il,
    })
}

/// Builds `rxdsp_emu` for `p` with its block-RAM memories (the channel
/// tables, the threshold levels of [`OUTREG_WORDS`] words and more) in
/// `form`: [`MemForm::Ecp5`] makes them `DP16KD` instances whose output
/// register is the second read register (ECP5 synthesis only: simulators
/// have no `DP16KD`). Same ports and timing in both forms.
pub fn build_form(p: &EmuParams, form: MemForm) -> Result<Module, RtlError> {
    p.check()?;
    let st = stages(p);
    let pu = p.parallel as u32;
    let mut m = Module::new(TOP, header(p));
    let (clk, _) = m.clock()?;
    let we = m.input("cfg_we", Ty::BIT, "configuration write strobe")?;
    let addr = m.input(
        "cfg_addr",
        Ty::u(CFG_ADDR_BITS),
        "configuration address (map in the header)",
    )?;
    let wdata_in = m.input(
        "cfg_wdata",
        Ty::u(CFG_DATA_BITS),
        "configuration write data",
    )?;
    // the port registered: the decodes then read registers beside them
    let wdata = m.reg_d("cfg_wdata_p", &wdata_in, None, None)?;
    let port = CfgPort {
        we_in: we.clone(),
        addr_in: addr.clone(),
        wdata_in,
        wdata_p: wdata.clone(),
        lane_wdata: m.reg_copies("cfg_wdata_l", &wdata, None, Some(0), p.parallel)?,
        lane_we: m.reg_copies("cfg_we_l", &we, None, Some(0), p.parallel)?,
        lane_addr: m.reg_copies("cfg_addr_l", &addr, None, None, p.parallel)?,
    };
    let run = m.input(
        "run",
        Ty::BIT,
        "start a word every cycle the output FIFO has room for it (registered twice: from the second clock)",
    )?;
    let ready = m.input("m_axis_tready", Ty::BIT, "output ready")?;
    let cfg = config(&mut m, &port, p, (&clk, form))?;

    m.comment(
        "valid bits of the stages (no global enable: every stage loads every cycle); \
         a word starts when run and the output FIFO's registered room allow it",
    );
    // (the last stage's valid, the output FIFO's write, is made below as
    // copies)
    let v: Vec<Expr> = (1..st.out - 1)
        .map(|s| m.reg(&format!("v{s}"), Ty::BIT, Some(0)))
        .collect::<Result<_, _>>()?;
    let Starts {
        adv,
        lane_adv,
        pat_adv,
        rooms,
        il,
    } = start_strobes(&mut m, p, &port, &run)?;
    let vat = |s: usize| {
        if s == 0 {
            adv.clone()
        } else {
            v[s - 1].clone()
        }
    };
    for s in 1..st.out - 1 {
        m.next(&v[s - 1], &vat(s - 1), None)?;
    }

    // the data word into the mapper, at stage `1 + fo`
    let (sym, fo) = match p.fec {
        None => (
            pattern_gen(&mut m, &port, &cfg, p.parallel, &pat_adv[0], &pat_adv[1..])?,
            0,
        ),
        Some(code) => {
            // with the interleave the framer runs on its own starts (the
            // prefill) and its word is gathered one stage later
            // the framer's stage valids 1, 2, 3: the line's, or with the
            // interleave those of the framer's own starts
            let (on, fv) = match &il {
                None => {
                    let on = port.fec_reg(&mut m, "fec")?;
                    (on, vec![vat(1), vat(2)])
                }
                Some((on, s)) => {
                    let mut fv = vec![m.reg_d("fv1", &s.fadv, None, Some(0))?];
                    for k in 2..=3 {
                        fv.push(m.reg_d(&format!("fv{k}"), &fv[k - 2], None, Some(0))?);
                    }
                    (on.clone(), fv)
                }
            };
            let ctl = framer::control(&mut m, code, p.parallel, &on, &pat_adv)?;
            // one start per copy of `take`: the LFSR's, then the random
            // source's (`framer::take_copies` of them)
            let lfsr_adv = m.wire("pat_adv_lfsr", &pat_adv[0].and(&ctl.take[0])?)?;
            let rnd_advs: Vec<Expr> = ctl.take[1..]
                .iter()
                .zip(&pat_adv[1..])
                .enumerate()
                .map(|(i, (take, a))| m.wire(&format!("pat_adv_rnd{i}"), &a.and(take)?))
                .collect::<Result<_, _>>()?;
            let new = pattern_gen(&mut m, &port, &cfg, p.parallel, &lfsr_adv, &rnd_advs)?;
            let framed = framer::datapath(&mut m, code, p.parallel, &ctl, &new, [&fv[0], &fv[1]])?;
            let word = match &il {
                None => framed.word,
                Some(_) => interleave::tx(&mut m, code, p.parallel, &on.q, &framed, &fv[2], &adv)?,
            };
            (word, 2)
        }
    };
    let inj = injector(&mut m, &port, p.parallel, &adv)?;
    let lvl = mapper(&mut m, p.parallel, &sym, &cfg.precode, &vat(2 + fo))?;
    let lvl_d = delay(&mut m, "lvl_d", &lvl, st.ch_in - 3 - fo)?;
    let inj_d = delay(&mut m, "inj_d", &inj, st.ch_in - 1)?;
    let lvl_ch = flip_levels(&mut m, &lvl_d, &inj_d, p.parallel)?;
    let ys = channel(&mut m, p, (&port, &cfg), &lvl_ch, &vat(st.ch_in))?;
    // the FIFO's write is stage `out`: the words it stores are at `out - 1`
    let user = delay(&mut m, "user_d", &sym, st.out - 2 - fo)?;
    let tlevel = delay(&mut m, "tlevel_d", &lvl_d, st.out - 1 - st.ch_in)?;
    // the tree's levels are the ones the stage count (and the sum width) assumed
    debug_assert_eq!(ys[0].width(), GROUP_BITS + st.tree as u32);

    let mut outs = Vec::new();
    for (lane, y) in ys.iter().enumerate() {
        let r = xoshiro(&mut m, &port, lane, &lane_adv[lane])?;
        let n = noise_search(&mut m, lane, &r, &cfg)?;
        outs.push(adc(&mut m, p, lane, y, &n, &cfg)?);
    }
    let data = Expr::pack_lsb_first(&outs)?;
    debug_assert_eq!(user.width(), 2 * pu);
    let (wd, wu) = (data.width(), user.width());
    let depth = crate::fifo::depth_for(st.out);
    m.comment(&format!(
        "output FIFO, {depth} words: written at stage {}, read by the output slice; \
         ofifo_room = (words started and not read) <= {}, registered",
        st.out,
        depth - 2
    ));
    let word = Expr::concat(&[tlevel, user, data])?;
    // the last stage's valid (the output FIFO's write) as kept copies, one
    // per column group of the FIFO's memory: from one register it reached
    // ~190 write enables and address bits across the die (19.4 ns placed
    // on 8e9d17b, and 21.4 ns from the stage before it)
    let pushes = m.reg_copies(
        &format!("v{}", st.out - 1),
        &vat(st.out - 2),
        None,
        Some(0),
        (word.width() as usize).div_ceil(crate::fifo::GROUP_BITS),
    )?;
    // the FIFO's head through a register slice: every `m_axis_*` output is
    // a register. The head is an asynchronous read of distributed RAM, and
    // from it the equalizer's input registers sat across the die
    // (`ofifo_rp -> x_c*`, 426 end points above 11.5 ns, up to 20.4 ns
    // placed on 59fb970). The slice takes the head when it has room. Two
    // slices in a row (`oslice_*`, then `oslice2_*`), so one can sit by the
    // FIFO and one by the equalizer: with one, the equalizer's ready
    // enabled its 2 x 120 flip-flops from across the die
    // (`ofifo_ready -> oslice_sk_data.CE`, 96 end points, 17.6 ns, and
    // `-> m_axis_tuser.CE`, 17.7 ns placed on eec47f6).
    let slice_ready = m.wire_decl("oslice_s_ready", Ty::BIT)?;
    let f = crate::fifo::credit_fifo(
        &mut m,
        "ofifo",
        crate::fifo::FifoIn {
            word: &word,
            push: &pushes,
            take: &adv,
            m_ready: &slice_ready,
        },
        &rooms,
        depth,
    )?;
    let sl = crate::fifo::slice_pair(&mut m, "oslice", &f.head, &f.valid, &ready)?;
    m.assign(&slice_ready, &sl.s_ready)?;
    m.split_reset(crate::hdl::FANOUT_BITS)?;
    outputs(&mut m, &sl, wd, wu)?;
    Ok(m)
}

/// The `m_axis_*` ports from the second output slice (the FIFO's head two
/// clocks later, registers), whose word packs the
/// samples (`wd` bits), the data symbols (`wu`) and the levels (the rest),
/// low bits first.
fn outputs(m: &mut Module, f: &crate::fifo::Slice, wd: u32, wu: u32) -> Result<(), RtlError> {
    let w = f.m_data.width();
    m.output(
        "m_axis_tdata",
        &f.m_data.slice(wd - 1, 0)?,
        "P ADC samples (adc.bits signed each), sample 0 (earliest) in the LSBs",
    )?;
    m.output(
        "m_axis_tuser",
        &f.m_data.slice(wd + wu - 1, wd)?,
        "the P transmitted 2-bit data symbols of the word, symbol 0 in the LSBs",
    )?;
    m.output(
        "m_axis_tlevel",
        &f.m_data.slice(w - 1, wd + wu)?,
        "the P transmitted 2-bit level indices (after Gray map and precoder, before the injector), symbol 0 in the LSBs",
    )?;
    m.output("m_axis_tvalid", &f.m_valid, "output valid (a register)")
}

/// Swaps the ECP5 form of the emulator's block RAMs ([`build_form`] with
/// [`MemForm::Ecp5`]) into the files of a generated design holding
/// `rxdsp_emu` for `p`. For ECP5 synthesis only. Returns whether the design
/// had the emulator.
pub fn use_ecp5_bram(files: &mut [(String, String)], p: &EmuParams) -> Result<bool, RtlError> {
    let name = format!("{TOP}.v");
    match files.iter_mut().find(|(n, _)| *n == name) {
        Some(f) => {
            f.1 = build_form(p, MemForm::Ecp5)?.emit()?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// `rxdsp_emu` for `p` in memory (one file, `rxdsp_emu.v`).
pub fn design(p: &EmuParams) -> Result<Design, RtlError> {
    let m = build(p)?;
    Ok(Design {
        files: vec![(format!("{TOP}.v"), m.emit()?)],
        ports: m.ports().to_vec(),
        latency: latency(p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use golden::emu::NoiseTable;
    use golden::prbs::SymbolSource;

    /// The matrices, evaluated in software, give `SymbolSource`'s symbols.
    #[test]
    fn lfsr_matrices_give_the_golden_symbols() {
        for poly in POLYS {
            let pattern = Pattern::ALL
                .into_iter()
                .find(|x| x.polynomial() == Some(poly))
                .unwrap();
            for p in [1, 4, 32] {
                let (out, next) = lfsr_matrices(poly, p);
                let mut want = vec![0u8; 40 * p];
                SymbolSource::new(pattern, 0).fill(&mut want);
                let mut s: u64 = (1 << poly.degree) - 1;
                let par = |x: u64| (x.count_ones() & 1) as u8;
                for w in want.chunks(p) {
                    for (q, &d) in w.iter().enumerate() {
                        let got = (par(s & out[2 * q + 1]) << 1) | par(s & out[2 * q]);
                        assert_eq!(got, d, "{pattern} P {p}");
                    }
                    s = next
                        .iter()
                        .enumerate()
                        .fold(0, |a, (i, &mk)| a | ((par(s & mk) as u64) << i));
                }
            }
        }
    }

    /// The search by levels over the layout the config writes give equals
    /// `NoiseTable::sample`, also for a table of exactly 1024 thresholds.
    #[test]
    fn level_search_equals_the_table() {
        let full: Vec<u64> = (0..NOISE_TABLE_LEN as u64)
            .map(|i| (1u64 << 63) - i * (1 << 50))
            .collect();
        for t in [
            NoiseTable::gaussian(3.0).unwrap(),
            NoiseTable::gaussian(100.0).unwrap(),
            NoiseTable::from_thresholds(1.0, full).unwrap(),
        ] {
            let pad = t.padded();
            let s = |j: usize| pad[j - 1];
            let mut rng = Xoshiro256pp::new(9);
            let mut words: Vec<u64> = (0..20_000).map(|_| rng.next_u64()).collect();
            words.extend([0, 1, u64::MAX, pad[0] << 1, (pad[1023] << 1) | 1]);
            for r in words {
                let u = r >> 1;
                let mut mag = if u < s(NOISE_TABLE_LEN) {
                    NOISE_TABLE_LEN
                } else {
                    0
                };
                for k in (0..K).rev() {
                    let c = mag + (1 << k);
                    if mag < NOISE_TABLE_LEN && u < s(c) {
                        mag = c;
                    }
                }
                let n = if r & 1 == 1 {
                    -(mag as i32)
                } else {
                    mag as i32
                };
                assert_eq!(n, t.sample(r));
            }
        }
    }

    #[test]
    fn illegal_parameters_are_refused() {
        let ok = EmuParams {
            parallel: 8,
            taps: 48,
            adc_bits: 8,
            fec: None,
            interleave: false,
        };
        ok.check().unwrap();
        EmuParams {
            fec: Some(Code::Kr4),
            parallel: 16,
            ..ok
        }
        .check()
        .unwrap();
        for (bad, says) in [
            (EmuParams { parallel: 3, ..ok }, "parallel"),
            (EmuParams { taps: 0, ..ok }, "channel taps"),
            (EmuParams { taps: 49, ..ok }, "1..=48"),
            (EmuParams { adc_bits: 3, ..ok }, "adc.bits"),
            (EmuParams { adc_bits: 17, ..ok }, "4..=16"),
            (
                EmuParams {
                    fec: Some(Code::Kr4),
                    parallel: 32,
                    ..ok
                },
                "not a whole number of 32-symbol words",
            ),
            (
                EmuParams {
                    interleave: true,
                    ..ok
                },
                "needs the framer",
            ),
        ] {
            let e = design(&bad).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        assert_eq!(pattern_code(Pattern::Prbs13q), 2);
        assert_eq!(pattern_code(Pattern::Random), RANDOM_CODE);
        assert_eq!(pattern_code(Pattern::Prbs7), 0);
        assert_eq!(pattern_code(Pattern::Prbs31q), 5);
    }

    /// `config_writes` turns the framer on for the link's code and refuses
    /// what the design cannot frame.
    #[test]
    fn fec_config_writes() {
        let adc = golden::channel::Adc {
            bits: 8,
            full_scale: 1.0,
        };
        let mut emu = EmuPlan::for_parts(&[1.0], 0.0, &adc, 8).unwrap();
        let p = EmuParams {
            parallel: 8,
            taps: 4,
            adc_bits: 8,
            fec: Some(Code::Kp4),
            interleave: false,
        };
        let fec_reg = |w: &[(usize, u64)]| w.iter().find(|x| x.0 == addr::FEC).map(|x| x.1);
        let w = config_writes(&p, &emu, Pattern::Prbs31, false, 1).unwrap();
        assert_eq!(fec_reg(&w), Some(0), "a plain link on a framing design");
        emu.fec = Some(Code::Kp4);
        let w = config_writes(&p, &emu, Pattern::Prbs31, false, 1).unwrap();
        assert_eq!(fec_reg(&w), Some(1));
        let plain = EmuParams { fec: None, ..p };
        let w = config_writes(
            &plain,
            &EmuPlan {
                fec: None,
                ..emu.clone()
            },
            Pattern::Prbs31,
            false,
            1,
        )
        .unwrap();
        assert_eq!(fec_reg(&w), None, "no framer, no register");
        for (design, why) in [
            (plain, "frames none"),
            (
                EmuParams {
                    fec: Some(Code::Kr4),
                    ..p
                },
                "frames kr4",
            ),
        ] {
            let e = config_writes(&design, &emu, Pattern::Prbs31, false, 1).unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
        }
        emu.interleave = true;
        let e = config_writes(&p, &emu, Pattern::Prbs31, false, 1).unwrap_err();
        assert!(e.to_string().contains("does not interleave"), "{e}");
        let il = EmuParams {
            interleave: true,
            ..p
        };
        assert_eq!(
            fec_reg(&config_writes(&il, &emu, Pattern::Prbs31, false, 1).unwrap()),
            Some(1)
        );
        emu.interleave = false;
        let e = config_writes(&il, &emu, Pattern::Prbs31, false, 1).unwrap_err();
        assert!(e.to_string().contains("interleaves"), "{e}");
    }
}
