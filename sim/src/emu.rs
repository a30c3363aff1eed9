//! Driver for the link emulator `rxdsp_emu` ([`rtl::emu`]) under Verilator:
//! reset, the configuration writes of [`rtl::emu::config_writes`], then the
//! stream, with optional random backpressure (`m_axis_tready` low) and pauses
//! (`run` low), neither of which may change the stream.

use crate::verilator::{build_library_with, get_bits, BuildInfo, BuildOpts, Model};
use crate::SimError;
use golden::rng::Xoshiro256pp;
use rtl::emu::EmuParams;

/// Builds (or reuses from the cache) the Verilated `rxdsp_emu` for `p`.
pub fn build(p: &EmuParams) -> Result<(Model, BuildInfo), SimError> {
    let d = rtl::emu::design(p)?;
    let info = build_library_with(&d.files, rtl::emu::TOP, &d.ports, BuildOpts::LIGHT)?;
    Ok((Model::load(&info.library, &d.ports)?, info))
}

/// What the emulator streamed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmuRun {
    /// the ADC samples, in order (lane 0 of the first word first)
    pub samples: Vec<i16>,
    /// the transmitted data symbols of `m_axis_tuser`, same order
    pub symbols: Vec<u8>,
    /// the transmitted level indices of `m_axis_tlevel` (before the
    /// injector), same order
    pub levels: Vec<u8>,
    /// clock cycles from the first cycle with `run` high to the last word taken
    pub cycles: u64,
    /// cycles from the first `run` to the first `m_axis_tvalid`, if nothing stalled before
    pub first_latency: Option<u64>,
}

/// Random stalls: `ready_low` and `run_low` are the chances (in 1/256) that
/// `m_axis_tready`, resp. `run`, is low in a cycle, drawn from `seed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stalls {
    /// chance of `m_axis_tready = 0`, in 1/256
    pub ready_low: u8,
    /// chance of `run = 0`, in 1/256
    pub run_low: u8,
    /// the seed of the draws
    pub seed: u64,
}

/// Resets the model, writes `writes` (address, data), then streams until
/// `words` output words are taken. `stalls = None`: ready and run always high.
pub fn run(
    model: &mut Model,
    p: &EmuParams,
    writes: &[(usize, u64)],
    words: usize,
    stalls: Option<Stalls>,
) -> Result<EmuRun, SimError> {
    let i = |n: &str| model.input(n);
    let (rst, we, addr, wdata) = (i("rst")?, i("cfg_we")?, i("cfg_addr")?, i("cfg_wdata")?);
    let (run_i, ready) = (i("run")?, i("m_axis_tready")?);
    let o = |n: &str| model.output(n);
    let (tdata, tuser, tvalid) = (o("m_axis_tdata")?, o("m_axis_tuser")?, o("m_axis_tvalid")?);
    let tlevel = o("m_axis_tlevel")?;
    // the emulator's reset is split: it leaves reset a clock later
    let idle = [we, addr, wdata, run_i, ready];
    model.reset(rst, &idle, rtl::hdl::SPLIT_RESET_CYCLES);
    model.set(we, 1);
    for &(a, d) in writes {
        model.set(addr, a as u64);
        model.set(wdata, d);
        model.cycle();
    }
    model.set(we, 0);
    // a register takes the last write's value at the WRITE_EDGES-th edge
    // after it (the port and its strobe are registered): these idle
    // cycles cover it
    for _ in 0..rtl::emu::WRITE_EDGES {
        model.cycle();
    }
    let mut out = EmuRun::default();
    let mut rng = stalls.map(|s| Xoshiro256pp::new(s.seed));
    let b = p.adc_bits;
    let limit = 64 * words as u64 + 1000;
    let mut stalled_yet = false;
    while out.samples.len() < words * p.parallel {
        let (r, rd) = match (&mut rng, stalls) {
            (Some(g), Some(s)) => {
                let x = g.next_u64();
                (
                    (x & 0xff) as u8 >= s.run_low,
                    ((x >> 8) & 0xff) as u8 >= s.ready_low,
                )
            }
            _ => (true, true),
        };
        stalled_yet |= !r || !rd;
        model.set(run_i, r as u64);
        model.set(ready, rd as u64);
        model.cycle();
        out.cycles += 1;
        if out.cycles > limit {
            return Err(SimError::Run(format!(
                "rxdsp_emu gave {} of {words} words in {limit} cycles",
                out.samples.len() / p.parallel
            )));
        }
        if model.get(tvalid) == 0 {
            continue;
        }
        if out.first_latency.is_none() && !stalled_yet {
            // the output seen before this edge: the word started in cycle 1
            out.first_latency = Some(out.cycles - 1);
        }
        if !rd {
            continue;
        }
        let (dw, uw) = (model.output_words(tdata), model.output_words(tuser));
        let lw = model.output_words(tlevel);
        for l in 0..p.parallel as u32 {
            let v = get_bits(dw, l * b, b) as i64;
            out.samples.push(((v << (64 - b)) >> (64 - b)) as i16);
            out.symbols.push(get_bits(uw, 2 * l, 2) as u8);
            out.levels.push(get_bits(lw, 2 * l, 2) as u8);
        }
    }
    Ok(out)
}
