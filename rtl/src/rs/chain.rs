//! `rxdsp_eq_fec`: the equalizer `rxdsp_eq` feeding the gearbox and the
//! Reed-Solomon decoder (`rxdsp_rs_rx`).
//!
//! Codeword alignment: the input `fec_sof_index` names the equalizer output
//! symbol (counted from 0 after reset) that starts the first codeword; a
//! counter of accepted equalizer output beats raises the gearbox's
//! start-of-codeword marker on that symbol, through a flag registered a cycle
//! ahead (no compare between the counter and the gearbox), from registered
//! copies of the index. Hold it constant while streaming (from two cycles
//! before the equalizer's first output beat).
//!
//! Between the equalizer and the gearbox sits a pipeline register: without
//! it the equalizer's output FIFO read (distributed RAM) fed the gearbox's
//! append select in one cycle, the chain's critical path on ECP5 (8.3 ns).
//! One cycle more latency, no bubbles.

use super::gearbox::RX_TOP;
use super::hdl_util::*;
use crate::hdl::{Dir, Expr, Header, Module, Ty};
use crate::{regen, RtlError};

/// Name of the equalizer + FEC top.
pub const EQ_FEC_TOP: &str = "rxdsp_eq_fec";

/// Width of `fec_sof_index`.
pub const SOF_BITS: u32 = 32;

/// Builds `rxdsp_eq_fec` around the equalizer top `eq` and `rxdsp_rs_rx`
/// (`rx`, with the de-interleave when `interleave`, which the header states).
pub fn build(eq: &Module, rx: &Module, p: usize, interleave: bool) -> Result<Module, RtlError> {
    let mut m = Module::new(
        EQ_FEC_TOP,
        Header::new(
            format!("rxdsp_eq -> start-of-codeword marker -> {RX_TOP}"),
            regen::RS_CHAIN,
        )
        .param("rtl.parallel (P)", p)
        .param("tx.interleave", interleave),
    );
    let (clk, rst) = m.clock()?;
    // the equalizer's inputs, except its output ready
    let mut eq_conns: Vec<(String, Expr)> =
        vec![("clk".into(), clk.clone()), ("rst".into(), rst.clone())];
    for port in eq.ports() {
        if port.dir == Dir::In && !["clk", "rst", "m_axis_tready"].contains(&port.name.as_str()) {
            eq_conns.push((port.name.clone(), m.input(&port.name, port.ty, &port.doc)?));
        }
    }
    let sof_idx = m.input(
        "fec_sof_index",
        Ty::u(SOF_BITS),
        "equalizer output symbol that starts the first codeword",
    )?;
    let eq_out = OutWires::declare(&mut m, eq, "eq", "u_eq", &[])?;
    let rx_ready = m.wire_decl("rx_s_axis_tready", Ty::BIT)?;
    let sl_ready = m.wire_decl("sl_s_axis_tready", Ty::BIT)?;
    eq_conns.push(("m_axis_tready".into(), sl_ready.clone()));
    for (n, w, _) in eq_out.all() {
        eq_conns.push((n.clone(), w.clone()));
    }
    let conns: Vec<(&str, &Expr)> = eq_conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance(eq, "u_eq", &conns)?;

    m.comment("start-of-codeword marker from the symbol count");
    let eq_valid = eq_out.get("m_axis_tvalid")?;
    let take = m.wire("eq_take", &eq_valid.and(&sl_ready)?)?;
    let user = sof_marker(&mut m, &take, &sof_idx, &rst, p)?;

    let rx_out = OutWires::declare(&mut m, rx, "rx", "u_rx", &["s_axis_tready"])?;
    let eq_data = eq_out.get("m_axis_tdata")?;
    let sl = slice(&mut m, &[eq_data.clone(), user], &eq_valid, &rx_ready)?;
    m.assign(&sl_ready, &sl.ready)?;
    let mut rc: Vec<(&str, &Expr)> = vec![
        ("clk", &clk),
        ("rst", &rst),
        ("s_axis_tdata", &sl.data[0]),
        ("s_axis_tuser", &sl.data[1]),
        ("s_axis_tvalid", &sl.valid),
        ("s_axis_tready", &rx_ready),
    ];
    rc.extend(rx_out.conns());
    m.instance(rx, "u_rx", &rc)?;
    m.output(
        "s_axis_tready",
        &eq_out.get("s_axis_tready")?,
        "input ready",
    )?;
    m.output(
        "m_dbg_eq_tdata",
        &eq_data,
        "equalizer output data symbols (debug)",
    )?;
    m.output(
        "m_dbg_eq_y",
        &eq_out.get("m_ffe_out")?,
        "FFE outputs (debug)",
    )?;
    m.output(
        "m_dbg_eq_level",
        &eq_out.get("m_slicer_level")?,
        "slicer decisions (debug)",
    )?;
    for (n, w, doc) in rx_out.all() {
        m.output(n, w, doc)?;
    }
    Ok(m)
}

/// The start-of-codeword marker (`s_axis_tuser` of the gearbox) for the
/// equalizer output beat taken this cycle (`take`): bit `i` is high on lane
/// `i` of the beat holding symbol `sof_idx` (counted from 0 after `rst`).
/// See the module doc for its timing.
pub(crate) fn sof_marker(
    m: &mut Module,
    take: &Expr,
    sof_idx: &Expr,
    rst: &Expr,
    p: usize,
) -> Result<Expr, RtlError> {
    let shift = if p > 1 { bits_for(p - 1) } else { 0 };
    let cw = SOF_BITS - shift;
    let cnt = m.reg("eq_beats", Ty::u(cw), Some(0))?;
    m.next(&cnt, &cnt.add(&ku(1, cw)?)?, Some(take))?;
    let hi = m.wire("sof_beat", &sof_idx.slice(SOF_BITS - 1, shift)?)?;
    // Timing: `cnt == hi` compared in the cycle the marker is used put a
    // 29-bit compare between the beat counter and the gearbox (the chain's
    // critical path on ECP5). The flag is registered instead: it holds
    // `eq_beats == sof_beat` for the current count, computed a cycle ahead
    // from the count before the increment (`cnt + 1 == hi` is
    // `cnt == hi - 1`, modulo 2^cw like the counter); after reset the count is
    // 0. `sof_beat` and `sof_beat - 1` are registers too (the subtract's
    // carry chain and the compare after it, from the input, were the chain's
    // critical path on ECP5 next: 7.5 ns). So `fec_sof_index` must be stable
    // two cycles before a beat is taken.
    let hi_q = m.reg_d("sof_beat_q", &hi, None, None)?;
    let hi_m1 = m.reg_d("sof_beat_m1_q", &hi.sub(&ku(1, cw)?)?, None, None)?;
    let at_hi = m.wire("sof_at", &cnt.eq(&hi_q)?)?;
    let at_hi_m1 = m.wire("sof_at_m1", &cnt.eq(&hi_m1)?)?;
    let ahead = Expr::mux(take, &at_hi_m1, &at_hi)?;
    let first = hi.eq(&ku(0, cw)?)?;
    let here = m.reg("sof_here", Ty::BIT, None)?;
    m.next(&here, &Expr::mux(rst, &first, &ahead)?, None)?;
    let mut bits = Vec::new();
    for i in (0..p).rev() {
        let b = if p > 1 {
            let lo = sof_idx.slice(shift - 1, 0)?;
            let at = m.reg_d(
                &format!("sof_lane{i}"),
                &lo.eq(&ku(i as i128, shift)?)?,
                None,
                None,
            )?;
            here.and(&at)?
        } else {
            here.clone()
        };
        bits.push(b);
    }
    m.wire("sof_user", &Expr::concat(&bits)?)
}

/// A pipeline register's downstream side and its upstream ready.
struct Slice {
    /// the registered signals, in the order given
    data: Vec<Expr>,
    /// the registered valid
    valid: Expr,
    /// upstream ready: the register is empty or taken this cycle (one LUT
    /// from registers: the register's valid and the gearbox's registered ready)
    ready: Expr,
}

/// A pipeline register on a stream: `data` and `valid` in, `down_ready`
/// from downstream; it loads when it is empty or taken. Full rate, nothing
/// lost. (A skid register would make `ready` a register too, but the
/// gearbox's own ready is already a register and, with `5S > P`, stays high
/// once aligned, so the skid register would never be used and could not be
/// tested.)
fn slice(
    m: &mut Module,
    data: &[Expr],
    valid: &Expr,
    down_ready: &Expr,
) -> Result<Slice, RtlError> {
    m.comment("pipeline register between the equalizer and the gearbox");
    let main_v = m.reg("sl_main_v", Ty::BIT, Some(0))?;
    let ready = m.wire("sl_ready", &main_v.not().or(down_ready)?)?;
    let mut out = Vec::new();
    for (i, d) in data.iter().enumerate() {
        out.push(m.reg_d(&format!("sl_main{i}"), d, Some(&ready), None)?);
    }
    m.next(&main_v, valid, Some(&ready))?;
    Ok(Slice {
        data: out,
        valid: main_v,
        ready,
    })
}
