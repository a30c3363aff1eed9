//! The CSR decoder `rxdsp_csr`, built from the register map.
//!
//! The map itself (blocks, registers, addresses, the markdown page
//! `docs/registers.md`) is data of the `rxdsp-proto` crate
//! ([`proto::regmap`]), shared with the host driver; it is re-exported here.
//! [`regmap`] fills in the build parameters of a format and a parallelism;
//! [`build_csr`] turns the map into Verilog.

use crate::hdl::{Expr, Module, Ty};
use crate::top::DeviceBlocks;
use crate::{RtlError, VERSION};
use golden::adapt::{BlockRule, HwAdaptParams};
use golden::numeric::RxFormat;
use proto::regmap::{version_word, AdaptMap, BertMap, MapParams};

pub use proto::regmap::{base, ids, Block, Kind, Reg, RegMap, CTRL_EQ_RESET, MAGIC};

/// The build parameters of the device for `fmt` at `parallel` samples per
/// clock, as its `id` block reports them.
pub fn params(fmt: &RxFormat, parallel: usize) -> MapParams {
    params_with(fmt, parallel, None)
}

/// [`params`] of a device with the adaptation engine `adapt` (or none).
pub fn params_with(fmt: &RxFormat, parallel: usize, adapt: Option<&HwAdaptParams>) -> MapParams {
    params_device(
        fmt,
        parallel,
        DeviceBlocks {
            adapt,
            ..DeviceBlocks::default()
        },
    )
}

/// [`params`] of a device with the optional `blocks` (the adaptation
/// engine, the BER tester, the FEC decoder).
pub fn params_device(fmt: &RxFormat, parallel: usize, blocks: DeviceBlocks) -> MapParams {
    let DeviceBlocks { adapt, bert, fec } = blocks;
    MapParams {
        fec: fec.map(|f| f.map()),
        bert: bert.map(|b| BertMap {
            emu_taps: b.emu.taps as u32,
            emu_cfg_addr_bits: crate::emu::CFG_ADDR_BITS,
            check_max_delay: b.check.max_delay as u32,
            check_counters: golden::check::NUM_COUNTERS as u32,
        }),
        adapt: adapt.map(|a| AdaptMap {
            mu_shift: a.mu_shift,
            delay: a.delay as u32,
            leak_shift: a.leak_shift,
            round_robin: a.block == BlockRule::RoundRobin,
        }),
        parallel,
        adc_bits: fmt.adc_bits,
        ffe_taps: fmt.ffe_taps,
        ffe_main: fmt.ffe_main,
        ffe_coef_bits: fmt.ffe_coef_bits,
        ffe_coef_frac: fmt.ffe_coef_frac,
        ffe_out_bits: fmt.ffe_out_bits,
        ffe_out_frac: fmt.ffe_out_frac,
        dfe_taps: fmt.dfe_taps,
        dfe_coef_bits: fmt.dfe_coef_bits,
        precode: fmt.precode,
        latency: crate::latency(fmt, parallel) as u32,
        gen_version: version_word(VERSION),
    }
}

/// The register map of the device for `fmt` at `parallel` samples per clock.
pub fn regmap(fmt: &RxFormat, parallel: usize) -> RegMap {
    regmap_with(fmt, parallel, None)
}

/// [`regmap`] of a device with the adaptation engine `adapt` (or none).
pub fn regmap_with(fmt: &RxFormat, parallel: usize, adapt: Option<&HwAdaptParams>) -> RegMap {
    proto::regmap::regmap(&params_with(fmt, parallel, adapt))
}

/// [`regmap`] of a device with the optional `blocks`.
pub fn regmap_device(fmt: &RxFormat, parallel: usize, blocks: DeviceBlocks) -> RegMap {
    proto::regmap::regmap(&params_device(fmt, parallel, blocks))
}

/// The register `name` of `map`, or the error of a device top that wires a
/// register its map does not have.
pub(crate) fn map_reg<'a>(map: &'a RegMap, name: &str) -> Result<&'a Reg, RtlError> {
    map.reg(name).ok_or_else(|| RtlError::Port {
        inst: "u_csr".into(),
        port: name.into(),
        why: "is not in the register map".into(),
    })
}

/// Name of the CSR decoder module.
pub const CSR_MODULE: &str = "rxdsp_csr";

/// Registers in series on each output to the blocks (`s_*`, `c_*`, `q_*`,
/// `eq_cfg_*`, beyond the one a strobe or a port already has): the CSR block
/// sits in one place and its outputs reach every block of the die, so the
/// placer gets registers it can spread along each of those wires instead of
/// one wire and the block's decode logic in one clock (the BER tester's
/// longest paths after placement, docs/device.md "Register stages"). Every
/// output has the same number, so writes keep their order across blocks.
pub const EXIT_STAGES: usize = 2;

/// Words the read port ORs in its first registered stage.
const READ_GROUP: usize = 8;

/// Writable registers that decode one kept copy of the write port.
const WRITE_GROUP: usize = 8;

/// Clocks from the bridge's read address (`csr_rd_addr`, a register in the
/// bridge) to the word on `rd_data`: the address register, its copies here
/// (`rd_a*`, one per group of words), the registered address decode
/// (`rd_hit_*`), the group ORs (`rd_g*`) and `rd_q`. The bridge waits this
/// long, and two clocks more for its own two registers of `rd_data`
/// (`t_rd_q`, `t_rd_q2`), at each word boundary of a frame it reads from here.
pub const READ_LATENCY: usize = 5;

fn k(v: u64, w: u32) -> Result<Expr, RtlError> {
    Expr::konst(v as i128, Ty::u(w))
}

/// Builds `rxdsp_csr`: a write port (`wr_en`, `wr_addr`, `wr_data`), a
/// registered read port (`rd_addr` -> `rd_data`, [`READ_LATENCY`]), one `in_<reg>` input per
/// status or snapshot register, one `q_<reg>` output per exported read-write
/// register, `s_<reg>` (and `c_<reg>` when wider than a bit) per strobe,
/// the equalizer's register-port signals (`eq_cfg_*`) and `soft_rst`.
pub fn build_csr(map: &RegMap, fmt: &RxFormat) -> Result<Module, RtlError> {
    // the read port ORs the words of distinct addresses: refuse a map whose
    // blocks overlap or whose registers leave their block
    map.check().map_err(|why| RtlError::Param {
        name: "register map blocks",
        value: map.blocks.len() as i64,
        why,
    })?;
    let mut m = Module::new(
        CSR_MODULE,
        crate::hdl::Header::new("register block (CSR decoder)", crate::regen::DEVICE)
            .param("register map hash", format!("0x{:016x}", map.hash()))
            .note("Registers: docs/registers.md"),
    );
    m.clock()?;
    let we_in = m.input("wr_en", Ty::BIT, "register write strobe")?;
    let wa_in = m.input("wr_addr", Ty::u(16), "write word address")?;
    let wd_in = m.input("wr_data", Ty::u(32), "write data")?;
    // the write port is registered on entry, and every strobe and the
    // equalizer's register port on exit (below): the bridge's frame decode,
    // the address decode and a block's configuration logic are three
    // register-to-register paths, not one (the BER tester's longest, from
    // the bridge to the emulator's seed adders). A read-write register takes
    // its value three clocks after the bridge's strobe (its decode is
    // registered too: [`rw_words`]), a strobe two; every output then passes
    // `EXIT_STAGES` more registers, so a block sees a strobe or the
    // equalizer's register port `2 + EXIT_STAGES` clocks after the bridge's
    // strobe, a read-write value a clock later (a coefficient takes the value
    // a clock later).
    //
    // The strobe and the address are registered as kept copies, one per
    // group of [`WRITE_GROUP`] writable registers, each decoding its own
    // (`wq_en_k*`, `wq_addr_k*`, the same values): from one register the
    // decodes' shared terms sat by the bridge, across the die from the
    // decode registers (`wq_en -> snap_q_k1`, 17.6 ns, `wq_addr ->
    // eq_addr_q`, 16.8 ns placed on eec47f6).
    let n_writable = map.regs().filter(|r| r.writable()).count();
    let n_wg = n_writable.div_ceil(WRITE_GROUP).max(1);
    let we_k = m.reg_copies("wq_en", &we_in, None, Some(0), n_wg)?;
    let wa_k = m.reg_copies("wq_addr", &wa_in, None, Some(0), n_wg)?;
    let wd = m.reg_d("wq_data", &wd_in, None, Some(0))?;
    let ra = m.input("rd_addr", Ty::u(16), "read word address")?;
    let soft = m.input(
        "soft_rst",
        Ty::BIT,
        "clears the registers marked soft_reset",
    )?;
    let mut inputs = Vec::new();
    for r in map.regs() {
        if matches!(r.kind, Kind::Status | Kind::Snapshot) {
            let e = m.input(&format!("in_{}", r.ident()), Ty::u(r.width), &r.doc)?;
            inputs.push((r.name.clone(), e));
        }
    }
    // a writable register's decode from its group's copy of the port, and
    // that copy (the registers are decoded in the map's order, triggers first)
    let mut n_hit = 0usize;
    let mut hit_w = |m: &mut Module, r: &Reg| -> Result<(Expr, Expr, Expr), RtlError> {
        // (every register this is called for is writable, counted above)
        debug_assert!(r.writable());
        let g = n_hit / WRITE_GROUP;
        n_hit += 1;
        let (we, wa) = (&we_k[g], &wa_k[g]);
        let h = wa.eq(&k(r.addr as u64, 16)?)?;
        let hit = m.wire(&format!("wr_{}", r.ident()), &we.and(&h)?)?;
        Ok((hit, we.clone(), wa.clone()))
    };
    // snapshot trigger, registered: it enables some 2,000 snapshot
    // flip-flops, which a register reaches in one hop and an address decode
    // did not (the snapshot is taken a clock after the write); in copies,
    // each enabling a few snapshot registers, so no one net crosses the die
    let snap_loads: Vec<u32> = map
        .regs()
        .filter(|r| r.kind == Kind::Snapshot)
        .map(|r| r.width)
        .collect();
    let mut snap_en = Vec::new();
    for r in map.regs() {
        if r.kind == Kind::SnapshotTrigger {
            let (hit, _, _) = hit_w(&mut m, r)?;
            snap_en = m.reg_for_loads("snap_q", &hit, None, Some(0), &snap_loads)?;
        }
    }
    let mut snap_en = snap_en.into_iter();
    // per-register values as seen by reads (one or two 32-bit words)
    let mut words: Vec<(u16, Expr)> = Vec::new();
    // the equalizer's registers' decodes and addresses, ORed below
    let mut eq_hits: Vec<(Expr, u64)> = Vec::new();
    // the write data a clock later, as wide as the widest strobe value
    // (every read-write register loads from it too)
    let any_rw = map.regs().any(|r| matches!(r.kind, Kind::Rw { .. }));
    let value_bits = map
        .regs()
        .filter(|r| r.kind == Kind::Strobe && r.width > 1)
        .map(|r| r.width)
        .chain(any_rw.then_some(32))
        .max();
    let wd2 = match value_bits {
        Some(w) => Some(m.reg_d("wq_data2", &wd.slice(w - 1, 0)?, None, None)?),
        None => None,
    };
    for r in map.regs() {
        let id = r.ident();
        let val: Option<Expr> = match &r.kind {
            Kind::Const(v) => Some(k(*v, r.width.min(32))?),
            Kind::SnapshotTrigger => None,
            Kind::Strobe => {
                let (hit, _, _) = hit_w(&mut m, r)?;
                strobe_outputs(&mut m, r, &hit, wd2.as_ref())?;
                None
            }
            Kind::Status => Some(
                inputs
                    .iter()
                    .find(|x| x.0 == r.name)
                    .expect("declared")
                    .1
                    .clone(),
            ),
            Kind::Snapshot => {
                let src = inputs
                    .iter()
                    .find(|x| x.0 == r.name)
                    .expect("declared")
                    .1
                    .clone();
                // (a map without a trigger never loads them)
                let snap = match snap_en.next() {
                    Some(e) => e,
                    None => k(0, 1)?,
                };
                Some(m.reg_d(&format!("snap_{id}"), &src, Some(&snap), Some(0))?)
            }
            Kind::Rw {
                reset,
                signed,
                eq_addr: ea,
                soft_reset,
                export,
            } => {
                let (hit, we, wa) = hit_w(&mut m, r)?;
                let wd2 = wd2.as_ref().ok_or(RtlError::Empty("read-write data"))?;
                let q = rw_words(&mut m, r, &hit, &we, &wa, wd2, &soft, *reset, *soft_reset)?;
                if *export {
                    exit_output(&mut m, &format!("q_{id}"), &q, *reset as i128, &r.doc)?;
                }
                if let Some(a) = ea {
                    eq_hits.push((hit.clone(), *a as u64));
                }
                if *signed && r.width < 32 {
                    let s = m.wire(&format!("rs_{id}"), &q.as_signed())?;
                    Some(s.ext(32)?.as_unsigned())
                } else {
                    Some(q)
                }
            }
        };
        let Some(v) = val else { continue };
        let full = if r.width > 32 { 64 } else { 32 };
        let v = if v.width() < full {
            let n = m.wire(&format!("v_{id}"), &v)?;
            if full == 64 {
                m.wire(&format!("v64_{id}"), &n.ext(full)?)?
            } else {
                n.ext(full)?
            }
        } else {
            m.wire(&format!("v_{id}"), &v)?
        };
        if r.width > 32 {
            words.push((r.addr, v.slice(31, 0)?));
            words.push((r.addr + 1, v.slice(63, 32)?));
        } else {
            words.push((r.addr, v));
        }
    }
    eq_port(&mut m, fmt, &eq_hits, &wd)?;
    read_port(&mut m, &ra, &words)?;
    Ok(m)
}

/// The equalizer's register port (`eq_cfg_*`): the strobe and the address
/// from the decodes of the registers mapped to equalizer addresses
/// (`eq_hits`: a decode and its address), the data from the write port's
/// register `wd`; registered, then [`EXIT_STAGES`] more.
fn eq_port(
    m: &mut Module,
    fmt: &RxFormat,
    eq_hits: &[(Expr, u64)],
    wd: &Expr,
) -> Result<(), RtlError> {
    let aw = crate::eq::cfg_addr_bits(fmt);
    let dw = crate::eq::cfg_data_bits(fmt);
    // balanced ORs, not a chain of multiplexers (one level per register,
    // `wh_fec_sof_index -> eq_addr_q` through ~30 of them): the addresses
    // are distinct, so at most one decode is high
    let (eq_we, eq_addr) = match eq_hits.is_empty() {
        true => (k(0, 1)?, k(0, aw)?),
        false => {
            let hits = eq_hits.iter().map(|(h, _)| h.clone()).collect();
            let addrs = eq_hits
                .iter()
                .map(|(h, a)| Expr::mux(h, &k(*a, aw)?, &k(0, aw)?))
                .collect::<Result<_, _>>()?;
            (crate::rs::gf::or_all(hits)?, crate::rs::gf::or_all(addrs)?)
        }
    };
    let eq_we = m.reg_d("eq_we_q", &eq_we, None, Some(0))?;
    let eq_addr = m.reg_d("eq_addr_q", &eq_addr, None, Some(0))?;
    let eq_wd = m.reg_d("eq_wdata_q", &wd.slice(dw - 1, 0)?, None, Some(0))?;
    exit_output(
        m,
        "eq_cfg_we",
        &eq_we,
        0,
        "equalizer register write strobe (registered)",
    )?;
    exit_output(
        m,
        "eq_cfg_addr",
        &eq_addr,
        0,
        "equalizer register address (registered)",
    )?;
    exit_output(
        m,
        "eq_cfg_wdata",
        &eq_wd,
        0,
        "equalizer register data (registered)",
    )?;
    Ok(())
}

/// A strobe's outputs: `s_{id}` and, wider than a bit, the value written
/// `c_{id}`. The value loads on the registered strobe, from the write data
/// registered again (`wd2`, `wq_data2`), and the strobe goes out
/// a clock later with it (`sq2_{id}`): the address decode had enabled the
/// value's register directly, which sits by the block it feeds (wq_addr ->
/// cq_emu_cfg_addr.CE was 21.6 ns placed on 38747de).
fn strobe_outputs(m: &mut Module, r: &Reg, hit: &Expr, wd2: Option<&Expr>) -> Result<(), RtlError> {
    let id = r.ident();
    let sq = m.reg_d(&format!("sq_{id}"), hit, None, Some(0))?;
    let s_out = if r.width > 1 {
        m.reg_d(&format!("sq2_{id}"), &sq, None, Some(0))?
    } else {
        sq.clone()
    };
    exit_output(
        m,
        &format!("s_{id}"),
        &s_out,
        0,
        &format!("write strobe (registered): {}", r.doc),
    )?;
    if let (true, Some(data)) = (r.width > 1, wd2) {
        let cq = m.reg_d(
            &format!("cq_{id}"),
            &data.slice(r.width - 1, 0)?,
            Some(&sq),
            Some(0),
        )?;
        exit_output(
            m,
            &format!("c_{id}"),
            &cq,
            0,
            "the value written (registered; valid with the strobe)",
        )?;
    }
    Ok(())
}

/// `port`: `e` through [`EXIT_STAGES`] registers that reset to `reset`
/// (the value `e` itself resets to).
fn exit_output(
    m: &mut Module,
    port: &str,
    e: &Expr,
    reset: i128,
    doc: &str,
) -> Result<(), RtlError> {
    let mut q = e.clone();
    for i in 0..EXIT_STAGES {
        q = m.reg_d(&format!("{port}_x{i}"), &q, None, Some(reset))?;
    }
    m.output(port, &q, doc)
}

/// The read port: `rd_data` is the word at `ra` ([`READ_LATENCY`] clocks
/// after the bridge's address register; unmapped addresses read 0). Four
/// register stages: the address, a kept copy per group of [`READ_GROUP`]
/// words (`rd_a*`, so each group's decode starts from a register the placer
/// can put beside it: the bridge's one register had fed every decode, and
/// the decodes' shared terms sat by the bridge, 20.4 ns placed on eec47f6);
/// the address decode (`rd_hit_*`, one flag per word); the OR of the
/// group's masked words (`rd_g*`, where the words arrive from their blocks
/// across the die); and the OR of the groups (`rd_q`). The ORs are balanced
/// (about log2 of their terms in levels, where a chain of 2:1 muxes was one
/// level per word, ~170 in the BER-tester build); the addresses are
/// distinct (`RegMap::check`), so at most one term is not zero.
fn read_port(m: &mut Module, ra: &Expr, words: &[(u16, Expr)]) -> Result<(), RtlError> {
    let n_groups = words.len().div_ceil(READ_GROUP);
    let ra_k = match n_groups {
        0 => Vec::new(),
        n => m.reg_copies("rd_a", ra, None, Some(0), n)?,
    };
    let mut groups = Vec::new();
    for ((g, chunk), ra) in words.chunks(READ_GROUP).enumerate().zip(&ra_k) {
        let mut terms = Vec::new();
        for (a, v) in chunk {
            let hit = m.reg_d(
                &format!("rd_hit_{a:x}"),
                &ra.eq(&k(*a as u64, 16)?)?,
                None,
                Some(0),
            )?;
            terms.push(Expr::mux(&hit, v, &k(0, 32)?)?);
        }
        let or = crate::rs::gf::or_all(terms)?;
        groups.push(m.reg_d(&format!("rd_g{g}"), &or, None, Some(0))?);
    }
    let rd = match groups.is_empty() {
        true => k(0, 32)?,
        false => crate::rs::gf::or_all(groups)?,
    };
    let rd = m.reg_d("rd_q", &rd, None, Some(0))?;
    m.output(
        "rd_data",
        &rd,
        &format!(
            "read data, {} clocks after rd_addr (unmapped addresses read 0)",
            READ_LATENCY - 1
        ),
    )
}

/// The storage of a read-write register: one register per 32-bit word.
/// A multi-word register changes at once: the lower words are written into
/// staging registers and every word takes its new value when the top word is
/// written (write the low word first, as the host's bursts do), so the
/// datapath never sees half of a new value. Returns the value, low word in
/// the LSBs.
///
/// The words load on their address decodes registered (`wh_*`), from the
/// write data registered again (`wd2`, `wq_data2`): the registers sit by
/// the blocks they feed, and the decodes had enabled them across the die
/// (`wq_addr -> v_check_delay.CE`, `v*_fec_limit.CE` placed on 3290e9d).
#[allow(clippy::too_many_arguments)]
fn rw_words(
    m: &mut Module,
    r: &Reg,
    hit: &Expr,
    we: &Expr,
    wa: &Expr,
    wd: &Expr,
    soft: &Expr,
    reset: u64,
    soft_reset: bool,
) -> Result<Expr, RtlError> {
    let id = r.ident();
    let nw = r.width.div_ceil(32) as usize;
    let top = if nw == 1 {
        hit.clone()
    } else {
        let h = wa.eq(&k(r.addr as u64 + nw as u64 - 1, 16)?)?;
        m.wire(&format!("wr_{id}_w{}", nw - 1), &we.and(&h)?)?
    };
    let top_hit = m.reg_d(&format!("wh_{id}"), &top, None, Some(0))?;
    let mut parts = Vec::new();
    for i in 0..nw {
        let lo = 32 * i as u32;
        let w = (r.width - lo).min(32);
        let name = match i {
            0 => format!("r_{id}"),
            _ => format!("r_{id}_w{i}"),
        };
        let d = if i + 1 == nw {
            wd.slice(w - 1, 0)?
        } else {
            // a lower word waits in its staging register for the top word
            let wh = if i == 0 {
                hit.clone()
            } else {
                let h = wa.eq(&k(r.addr as u64 + i as u64, 16)?)?;
                m.wire(&format!("wr_{id}_w{i}"), &we.and(&h)?)?
            };
            let wh = m.reg_d(&format!("wh_{id}_w{i}"), &wh, None, Some(0))?;
            m.reg_d(
                &format!("{name}_stage"),
                &wd.slice(w - 1, 0)?,
                Some(&wh),
                Some(0),
            )?
        };
        let rv = (reset >> lo) & (u64::MAX >> (64 - w));
        let q = m.reg(&name, Ty::u(w), Some(rv as i128))?;
        let mut next = Expr::mux(&top_hit, &d, &q)?;
        if soft_reset {
            next = Expr::mux(soft, &k(rv, w)?, &next)?;
        }
        m.next(&q, &next, None)?;
        parts.push(q);
    }
    parts.reverse();
    Ok(match parts.len() {
        1 => parts.pop().expect("one part"),
        _ => m.wire(&format!("r_{id}_all"), &Expr::concat(&parts)?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_is_consistent() {
        let f = RxFormat {
            ffe_taps: 64,
            dfe_taps: 4,
            ..RxFormat::default()
        };
        regmap(&f, 32).check().unwrap();
        let m = regmap(&RxFormat::default(), 8);
        m.check().unwrap();
        // an overlapping map is refused before any Verilog is built
        let mut bad = m.clone();
        let last = bad.blocks.len() - 1;
        bad.blocks[last].base = bad.blocks[last - 1].base;
        let e = build_csr(&bad, &RxFormat::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("overlaps"), "{e}");
        assert_eq!(m.addr("id.magic"), Some(1));
        assert_eq!(m.reg("stats.samples_in").unwrap().words(), 2);
        assert!(m.at(base::FEC).is_none());
    }

    #[test]
    fn coefficient_registers_write_through_to_the_equalizer_port() {
        let f = RxFormat {
            ffe_taps: 12,
            dfe_taps: 3,
            ..RxFormat::default()
        };
        let m = regmap(&f, 4);
        let ea = |n: &str| match m.reg(n).unwrap().kind {
            Kind::Rw { eq_addr, .. } => eq_addr,
            _ => None,
        };
        for k in 0..f.ffe_taps {
            assert_eq!(ea(&format!("eq.ffe{k}")), Some(crate::eq::addr_ffe(&f, k)));
        }
        for j in 0..f.dfe_taps {
            let n = format!("eq.dfe{}", j + 1);
            assert_eq!(ea(&n), Some(crate::eq::addr_dfe(&f, j)));
        }
        assert_eq!(ea("eq.threshold"), Some(crate::eq::addr_threshold(&f)));
        assert_eq!(
            m.reg("id.latency").unwrap().kind,
            Kind::Const(crate::latency(&f, 4) as u64)
        );
    }
}
