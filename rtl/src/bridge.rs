//! The byte-stream bridge `rxdsp_bridge`: the device end of the protocol of
//! [`crate::proto`], one byte per clock in and out (what a UART gives).
//!
//! ```text
//! rx byte -> COBS decode -> frame check (CRC-32, length, type, seq, free slot)
//!         -> RX_SLOTS x MAX_PAYLOAD frame memory -> executor:
//!              WRITE   -> CSR write port, one word per 4 bytes
//!              READ    -> the TX engine reads the CSRs while it sends the response
//!              SAMPLES -> sample packer (P samples) -> s_axis
//!              FLUSH   -> waits until every sample's decision is in an OUTPUT frame
//! m_axis -> symbol serializer -> 4 symbols a byte -> output FIFO
//! TX engine (ERROR > RESPONSE > OUTPUT) -> CRC-32 -> COBS encode (254-byte buffer) -> tx byte
//! ```
//!
//! Frames are checked completely (CRC-32 over the whole frame) before any of
//! their content is executed; a refused frame produces an `ERROR` frame and
//! changes nothing else. Accepted frames occupy a slot until executed; the
//! response to a command is sent after it is executed and carries the next
//! expected sequence number and the free slots (the credit).

use crate::hdl::{Expr, Header, Mem, Module, Ty};
use crate::proto::regmap::BridgeCounter;
use crate::proto::*;
use crate::{regen, RtlError};
use golden::numeric::{clog2, RxFormat};

/// Name of the bridge module.
pub const BRIDGE_MODULE: &str = "rxdsp_bridge";

/// The bridge counters it exports (`cnt_<name>` outputs, 32 bits), in the
/// order of the `bridge` register block: the names of
/// [`proto::regmap::BridgeCounter`], defined there once.
pub const COUNTERS: [&str; 9] = proto::regmap::BRIDGE_COUNTER_NAMES;

fn k(v: u64, w: u32) -> Result<Expr, RtlError> {
    Expr::konst(v as i128, Ty::u(w))
}

/// `v` as a constant of `e`'s type.
fn kc(v: u64, e: &Expr) -> Result<Expr, RtlError> {
    k(v, e.width())
}

/// Priority selection: the first true condition wins, else `default`.
fn sel(default: &Expr, cases: &[(Expr, Expr)]) -> Result<Expr, RtlError> {
    let mut acc = default.clone();
    for (c, v) in cases.iter().rev() {
        acc = Expr::mux(c, v, &acc)?;
    }
    Ok(acc)
}

fn inc(e: &Expr) -> Result<Expr, RtlError> {
    e.add(&kc(1, e)?)
}

fn dec(e: &Expr) -> Result<Expr, RtlError> {
    e.sub(&kc(1, e)?)
}

fn and_all(parts: &[&Expr]) -> Result<Expr, RtlError> {
    let mut acc = parts[0].clone();
    for p in &parts[1..] {
        acc = acc.and(p)?;
    }
    Ok(acc)
}

fn or_all(parts: &[&Expr]) -> Result<Expr, RtlError> {
    let mut acc = parts[0].clone();
    for p in &parts[1..] {
        acc = acc.or(p)?;
    }
    Ok(acc)
}

/// The CRC-32 register update over one byte of named signals `crc` (32
/// bits) and `byte` (8 bits): the reflected bitwise algorithm unrolled, in
/// word operations (`c = c >> 1 ^ (c[0] ? POLY : 0)`, eight times), which a
/// simulator evaluates far faster than per-bit XOR equations.
fn crc_next(m: &mut Module, name: &str, crc: &Expr, byte: &Expr) -> Result<Expr, RtlError> {
    let byte32 = Expr::concat(&[k(0, 24)?, byte.clone()])?;
    let mut c = m.wire(&format!("{name}_0"), &crc.xor(&byte32)?)?;
    let poly = k(CRC_POLY as u64, 32)?;
    let zero = k(0, 32)?;
    for i in 1..=8 {
        let v = c.shr(1).xor(&Expr::mux(&c.bit(0)?, &poly, &zero)?)?;
        c = if i == 8 {
            m.wire(name, &v)?
        } else {
            m.wire(&format!("{name}_{i}"), &v)?
        };
    }
    Ok(c)
}

/// The bridge's widths and input ports, shared by its sub-block builders.
struct Ctx {
    /// samples per clock
    p: u32,
    /// ADC bits per sample
    a: u32,
    /// slot index bits
    sb: u32,
    /// payload offset bits
    offb: u32,
    /// output FIFO address bits
    ob: u32,
    /// sample-in-word counter bits
    pcb: u32,
    rx_data: Expr,
    rx_valid: Expr,
    tx_ready: Expr,
    csr_rd_data: Expr,
    s_ready: Expr,
    m_data: Expr,
    m_valid: Expr,
    soft: Expr,
}

/// Builds `rxdsp_bridge` for `fmt` at `parallel` samples per clock.
pub fn build_bridge(fmt: &RxFormat, parallel: usize) -> Result<Module, RtlError> {
    crate::eq::check(fmt, parallel)?;
    let p = parallel as u32;
    let a = fmt.adc_bits;
    let mut m = Module::new(
        BRIDGE_MODULE,
        Header::new(
            "byte-stream bridge: frames in (COBS, CRC-32) to CSR writes and sample words, symbols and responses out",
            regen::DEVICE,
        )
        .param("rtl.parallel (P)", parallel)
        .param("adc.bits", a)
        .param("receive slots", RX_SLOTS)
        .param("slot payload (bytes)", MAX_PAYLOAD)
        .param("output FIFO (bytes)", OUT_FIFO)
        .note("Protocol: docs/device.md"),
    );
    m.clock()?;
    let c = Ctx {
        p,
        a,
        sb: clog2(RX_SLOTS).max(1),
        offb: clog2(MAX_PAYLOAD),
        ob: clog2(OUT_FIFO),
        pcb: clog2(parallel).max(1),
        rx_data: m.input("s_byte_tdata", Ty::u(8), "received byte")?,
        rx_valid: m.input(
            "s_byte_tvalid",
            Ty::BIT,
            "received byte valid (always accepted)",
        )?,
        tx_ready: m.input(
            "m_byte_tready",
            Ty::BIT,
            "the transmitter takes m_byte_tdata",
        )?,
        csr_rd_data: m.input("csr_rd_data", Ty::u(32), "CSR read data for csr_rd_addr")?,
        s_ready: m.input(
            "m_axis_tready",
            Ty::BIT,
            "the equalizer takes the sample word m_axis_tdata",
        )?,
        m_data: m.input(
            "s_axis_tdata",
            Ty::u(2 * p),
            "P data symbols from the equalizer, sample 0 in the LSBs",
        )?,
        m_valid: m.input("s_axis_tvalid", Ty::BIT, "symbol word valid")?,
        soft: m.input("soft_rst", Ty::BIT, "stream reset (ctrl.control.eq_reset)")?,
    };
    let crx = cobs_rx(&mut m, &c)?;
    let frx = frame_rx(&mut m, &c, &crx)?;
    let chk = frame_check(&mut m, &c, &crx, &frx)?;
    let x = executor(&mut m, &c, &frx, &chk)?;
    let pk = sample_packer(&mut m, &c, &x)?;
    let ser = serializer(&mut m, &c, &x, &pk)?;
    let tf = tx_frame_start(&mut m, &c, &chk, &x, &ser)?;
    let tx = tx_engine(&mut m, &c, &frx, &x, &ser, &tf)?;
    cobs_tx(&mut m, &c, &tx)?;
    counters(&mut m, &c, &frx, &chk, &ser, &tx)?;
    Ok(m)
}

/// Signals of the cobs rx the later blocks use.
struct CobsRx {
    c_cnt: Expr,
    d_byte: Expr,
    d_valid: Expr,
    frame_end: Expr,
}

/// The COBS decoder: the frame's bytes between delimiters.
fn cobs_rx(m: &mut Module, c: &Ctx) -> Result<CobsRx, RtlError> {
    let o1 = k(1, 1)?;
    let rx_data = c.rx_data.clone();
    let rx_valid = c.rx_valid.clone();
    let z1 = k(0, 1)?;
    // ---------------------------------------------------------------- COBS decode
    m.comment("COBS decoder");
    let c_cnt = m.reg("c_cnt", Ty::u(8), Some(0))?;
    let c_code = m.reg("c_code", Ty::u(8), Some(0))?;
    let c_started = m.reg("c_started", Ty::BIT, Some(0))?;
    let rx_zero = m.wire("rx_zero", &rx_data.eq(&k(0, 8)?)?)?;
    let cnt_zero = m.wire("c_cnt_zero", &c_cnt.eq(&k(0, 8)?)?)?;
    let is_delim = m.wire("is_delim", &rx_valid.and(&rx_zero)?)?;
    let nz = m.wire("rx_nz", &rx_valid.and(&rx_zero.not())?)?;
    let is_code = m.wire("is_code", &nz.and(&cnt_zero)?)?;
    let is_data = m.wire("is_data", &nz.and(&cnt_zero.not())?)?;
    let implied = and_all(&[&is_code, &c_started, &c_code.eq(&k(0xFF, 8)?)?.not()])?;
    let d_valid = m.wire("d_valid", &is_data.or(&implied)?)?;
    let d_byte = m.wire("d_byte", &Expr::mux(&is_data, &rx_data, &k(0, 8)?)?)?;
    let frame_end = m.wire("frame_end", &is_delim.and(&c_started)?)?;
    m.next(
        &c_cnt,
        &sel(
            &c_cnt,
            &[
                (is_delim.clone(), k(0, 8)?),
                (is_code.clone(), dec(&rx_data)?),
                (is_data.clone(), dec(&c_cnt)?),
            ],
        )?,
        None,
    )?;
    m.next(&c_code, &rx_data, Some(&is_code))?;
    m.next(
        &c_started,
        &sel(
            &c_started,
            &[
                (is_delim.clone(), z1.clone()),
                (is_code.clone(), o1.clone()),
            ],
        )?,
        None,
    )?;
    Ok(CobsRx {
        c_cnt,
        d_byte,
        d_valid,
        frame_end,
    })
}

/// Signals of the frame rx the later blocks use.
struct FrameRx {
    f_idx: Expr,
    f_crc: Expr,
    f_type: Expr,
    f_seq: Expr,
    f_len: Expr,
    f_full: Expr,
    f_long: Expr,
    used: Expr,
    wr_slot: Expr,
    rd_slot: Expr,
    e_seq: Expr,
    rxmem: Mem,
}

/// Frame receive: header capture, running CRC, payload into the slot memory.
fn frame_rx(m: &mut Module, c: &Ctx, crx: &CobsRx) -> Result<FrameRx, RtlError> {
    let d_byte = crx.d_byte.clone();
    let d_valid = crx.d_valid.clone();
    let frame_end = crx.frame_end.clone();
    let o1 = k(1, 1)?;
    let offb = c.offb;
    let sb = c.sb;
    let z1 = k(0, 1)?;
    // ---------------------------------------------------------------- frame receive
    m.comment("frame receive: header capture, CRC, payload into the slot memory");
    let f_idx = m.reg("f_idx", Ty::u(16), Some(0))?;
    let f_crc = m.reg("f_crc", Ty::u(32), Some(0xFFFF_FFFF))?;
    let f_type = m.reg("f_type", Ty::u(8), Some(0))?;
    let f_seq = m.reg("f_seq", Ty::u(8), Some(0))?;
    let f_len = m.reg("f_len", Ty::u(16), Some(0))?;
    let f_full = m.reg("f_full", Ty::BIT, Some(0))?;
    let f_long = m.reg("f_long", Ty::BIT, Some(0))?;
    let used = m.reg("used", Ty::u(sb + 1), Some(0))?;
    let wr_slot = m.reg("wr_slot", Ty::u(sb), Some(0))?;
    let rd_slot = m.reg("rd_slot", Ty::u(sb), Some(0))?;
    let e_seq = m.reg("e_seq", Ty::u(8), Some(0))?;
    let slots_full = m.wire("slots_full", &used.eq(&k(RX_SLOTS as u64, sb + 1)?)?)?;
    let idx_is = |v: u64| -> Result<Expr, RtlError> { f_idx.eq(&k(v, 16)?) };
    let crc_n = crc_next(m, "f_crc_next", &f_crc, &d_byte)?;
    let first = m.wire("f_first", &d_valid.and(&idx_is(0)?)?)?;
    m.next(
        &f_idx,
        &sel(
            &f_idx,
            &[
                (frame_end.clone(), k(0, 16)?),
                (d_valid.clone(), inc(&f_idx)?),
            ],
        )?,
        None,
    )?;
    m.next(
        &f_crc,
        &sel(
            &f_crc,
            &[
                (frame_end.clone(), k(0xFFFF_FFFF, 32)?),
                (d_valid.clone(), crc_n),
            ],
        )?,
        None,
    )?;
    m.next(&f_type, &d_byte, Some(&first))?;
    m.next(&f_seq, &d_byte, Some(&d_valid.and(&idx_is(1)?)?))?;
    let len_lo = f_len.slice(7, 0)?;
    let len_hi = f_len.slice(15, 8)?;
    m.next(
        &f_len,
        &sel(
            &f_len,
            &[
                (
                    d_valid.and(&idx_is(2)?)?,
                    Expr::concat(&[len_hi.clone(), d_byte.clone()])?,
                ),
                (
                    d_valid.and(&idx_is(3)?)?,
                    Expr::concat(&[d_byte.clone(), len_lo.clone()])?,
                ),
            ],
        )?,
        None,
    )?;
    m.next(&f_full, &slots_full, Some(&first))?;
    let too_long = f_idx.ge(&k((MAX_PAYLOAD + HEADER_LEN + CRC_LEN) as u64, 16)?)?;
    m.next(
        &f_long,
        &sel(
            &f_long,
            &[
                (frame_end.clone(), z1.clone()),
                (d_valid.and(&too_long)?, o1.clone()),
            ],
        )?,
        None,
    )?;
    let rxmem = m.memory("rxmem", Ty::u(8), RX_SLOTS * MAX_PAYLOAD)?;
    let poff = m.wire("f_poff", &f_idx.slice(offb - 1, 0)?.sub(&k(4, offb)?)?)?;
    let in_payload = f_idx
        .ge(&k(4, 16)?)?
        .and(&f_idx.lt(&k((4 + MAX_PAYLOAD) as u64, 16)?)?)?;
    let mem_we = m.wire(
        "rxmem_we",
        &and_all(&[&d_valid, &in_payload, &f_full.not()])?,
    )?;
    let mem_wa = Expr::concat(&[wr_slot.clone(), poff.clone()])?;
    // the write registered (a clock later): the byte's decode from the
    // transport ran into the block RAM's write enable across the die
    // (`in_sr -> c_started -> rxmem.WEA`, 19.5 ns placed on 59fb970)
    let we_q = m.reg_d("rxmem_we_q", &mem_we, None, Some(0))?;
    let wa_q = m.reg_d("rxmem_wa_q", &mem_wa, None, None)?;
    let wd_q = m.reg_d("rxmem_wd_q", &d_byte, None, None)?;
    m.mem_write(&rxmem, &we_q, &wa_q, &wd_q)?;
    // the writer fills only a free slot and the executor reads only accepted
    // ones, whose payload was written clocks before their CRC was checked
    // (the CRC's four bytes follow the payload, so even the registered
    // write of its last byte lands before the check):
    // a read that meets a write at its address is never used
    m.mem_no_collision(&rxmem)?;
    Ok(FrameRx {
        f_idx,
        f_crc,
        f_type,
        f_seq,
        f_len,
        f_full,
        f_long,
        used,
        wr_slot,
        rd_slot,
        e_seq,
        rxmem,
    })
}

/// The header of the slot at `rd_slot` (the frame the executor runs or
/// waits for), registered: `cur_*` in every cycle equal the slot's
/// `h_*[rd_slot]`. Their next value ([`current_next`]) is picked from the
/// slot headers at `rd_slot + 1` or `rd_slot` before the executor's release
/// decides between them, so the executor's decode of its frame starts from
/// registers, not from an 8:1 mux behind `rd_slot`.
struct Current {
    cur_type: Expr,
    cur_seq: Expr,
    cur_len: Expr,
    h_type: Vec<Expr>,
    h_seq: Vec<Expr>,
    h_len: Vec<Expr>,
}

/// The next values of [`Current`]: on a release (`free`) the header at
/// `rd_slot + 1`, else the one at `rd_slot`, each the frame being accepted
/// (`f_*`) if `accept` writes that slot now (only ever into an empty queue,
/// or behind the one frame released), else its header register.
fn current_next(
    m: &mut Module,
    c: &Ctx,
    frx: &FrameRx,
    accept: &Expr,
    cur: &Current,
    free: &Expr,
) -> Result<(), RtlError> {
    let sb = c.sb;
    let rd = &frx.rd_slot;
    let rd1 = m.wire("rd_slot_inc", &inc(rd)?)?;
    let fields = [
        (&cur.cur_type, &cur.h_type, frx.f_type.clone()),
        (&cur.cur_seq, &cur.h_seq, frx.f_seq.clone()),
        (&cur.cur_len, &cur.h_len, frx.f_len.slice(c.offb, 0)?),
    ];
    let here = m.wire("cur_wr_here", &accept.and(&frx.wr_slot.eq(rd)?)?)?;
    let after = m.wire("cur_wr_after", &accept.and(&frx.wr_slot.eq(&rd1)?)?)?;
    for (q, h, f) in fields {
        let mut at_next = h[0].clone();
        for (i, x) in h.iter().enumerate().skip(1) {
            at_next = Expr::mux(&rd1.eq(&k(i as u64, sb)?)?, x, &at_next)?;
        }
        let next = Expr::mux(
            free,
            &Expr::mux(&after, &f, &at_next)?,
            &Expr::mux(&here, &f, q)?,
        )?;
        m.next(q, &next, None)?;
    }
    Ok(())
}

/// Signals of the frame check the later blocks use.
struct FrameCheck {
    accept: Expr,
    any_err: Expr,
    corrupt: Expr,
    e_len: Expr,
    e_type: Expr,
    e_seqerr: Expr,
    e_full: Expr,
    cur: Current,
    err_pend: Expr,
    err_code: Expr,
    err_seq: Expr,
}

/// The frame check at the delimiter, the per-slot headers and the error report request.
fn frame_check(
    m: &mut Module,
    c: &Ctx,
    crx: &CobsRx,
    frx: &FrameRx,
) -> Result<FrameCheck, RtlError> {
    let c_cnt = crx.c_cnt.clone();
    let e_seq = frx.e_seq.clone();
    let f_crc = frx.f_crc.clone();
    let f_full = frx.f_full.clone();
    let f_idx = frx.f_idx.clone();
    let f_len = frx.f_len.clone();
    let f_long = frx.f_long.clone();
    let f_seq = frx.f_seq.clone();
    let f_type = frx.f_type.clone();
    let frame_end = crx.frame_end.clone();
    let offb = c.offb;
    let sb = c.sb;
    let wr_slot = frx.wr_slot.clone();
    m.comment("frame check at the delimiter");
    let cobs_err = c_cnt.eq(&k(0, 8)?)?.not();
    let bad_crc = f_crc.eq(&k(CRC_RESIDUE as u64, 32)?)?.not();
    let corrupt_d = m.wire("chk_corrupt_d", &frame_end.and(&cobs_err.or(&bad_crc)?)?)?;
    let len_ok = and_all(&[
        &f_idx.eq(&f_len.add(&k(8, 16)?)?)?,
        &f_len.lt(&k(MAX_PAYLOAD as u64 + 1, 16)?)?,
        &f_long.not(),
    ])?;
    let type_ok = or_all(&[
        &f_type.eq(&k(CMD_WRITE as u64, 8)?)?,
        &f_type.eq(&k(CMD_READ as u64, 8)?)?,
        &f_type.eq(&k(CMD_SAMPLES as u64, 8)?)?,
        &f_type.eq(&k(CMD_FLUSH as u64, 8)?)?,
    ])?;
    let seq_ok = f_seq.eq(&e_seq)?;
    let intact = m.wire("chk_intact", &frame_end.and(&corrupt_d.not())?)?;
    let e_len_d = m.wire("chk_length_d", &intact.and(&len_ok.not())?)?;
    let ok1 = m.wire("chk_ok1", &intact.and(&len_ok)?)?;
    let e_type_d = m.wire("chk_type_d", &ok1.and(&type_ok.not())?)?;
    let ok2 = m.wire("chk_ok2", &ok1.and(&type_ok)?)?;
    let e_seq_d = m.wire("chk_seq_d", &ok2.and(&seq_ok.not())?)?;
    let ok3 = m.wire("chk_ok3", &ok2.and(&seq_ok)?)?;
    let e_full_d = m.wire("chk_full_d", &ok3.and(&f_full)?)?;
    let accept_d = m.wire("accept_d", &ok3.and(&f_full.not())?)?;
    // the verdict is registered: the compares (the CRC residue, the length
    // sum) end at these flip-flops a clock after the delimiter, and the
    // verdict's loads (the slot headers, the sequence and slot counters, the
    // statistics, the error report) start from them. The next frame's first
    // data byte comes two clocks after the delimiter at the earliest (its
    // COBS code byte first), so the header registers and `e_seq` the loads
    // read still hold this frame's values
    let flag = |m: &mut Module, name: &str, d: &Expr| m.reg_d(name, d, None, Some(0));
    let corrupt = flag(m, "chk_corrupt", &corrupt_d)?;
    let e_len = flag(m, "chk_length", &e_len_d)?;
    let e_type = flag(m, "chk_type", &e_type_d)?;
    let e_seqerr = flag(m, "chk_seq", &e_seq_d)?;
    let e_full = flag(m, "chk_full", &e_full_d)?;
    let accept = flag(m, "accept", &accept_d)?;
    let any_err = m.wire(
        "chk_err",
        &or_all(&[&corrupt, &e_len, &e_type, &e_seqerr, &e_full])?,
    )?;
    let err_code_v = sel(
        &k(ERR_FULL as u64, 8)?,
        &[
            (corrupt.clone(), k(ERR_CORRUPT as u64, 8)?),
            (e_len.clone(), k(ERR_LENGTH as u64, 8)?),
            (e_type.clone(), k(ERR_TYPE as u64, 8)?),
            (e_seqerr.clone(), k(ERR_SEQ as u64, 8)?),
        ],
    )?;
    m.next(&e_seq, &inc(&e_seq)?, Some(&accept))?;
    m.next(&wr_slot, &inc(&wr_slot)?, Some(&accept))?;
    let mut h_type = Vec::new();
    let mut h_seq = Vec::new();
    let mut h_len = Vec::new();
    for i in 0..RX_SLOTS {
        let en = m.wire(
            &format!("h_we{i}"),
            &accept.and(&wr_slot.eq(&k(i as u64, sb)?)?)?,
        )?;
        h_type.push(m.reg_d(&format!("h_type{i}"), &f_type, Some(&en), Some(0))?);
        h_seq.push(m.reg_d(&format!("h_seq{i}"), &f_seq, Some(&en), Some(0))?);
        h_len.push(m.reg_d(
            &format!("h_len{i}"),
            &f_len.slice(offb, 0)?,
            Some(&en),
            Some(0),
        )?);
    }
    let cur = Current {
        cur_type: m.reg("cur_type", Ty::u(8), Some(0))?,
        cur_seq: m.reg("cur_seq", Ty::u(8), Some(0))?,
        cur_len: m.reg("cur_len", Ty::u(offb + 1), Some(0))?,
        h_type,
        h_seq,
        h_len,
    };

    // error report request
    let err_pend = m.reg("err_pend", Ty::BIT, Some(0))?;
    let err_code = m.reg_d("err_code", &err_code_v, Some(&any_err), Some(0))?;
    let err_seq = m.reg_d("err_seq", &f_seq, Some(&any_err), Some(0))?;
    Ok(FrameCheck {
        accept,
        any_err,
        corrupt,
        e_len,
        e_type,
        e_seqerr,
        e_full,
        cur,
        err_pend,
        err_code,
        err_seq,
    })
}

/// Signals of the executor the later blocks use.
struct Executor {
    st_flush: Expr,
    st_resp: Expr,
    x_addr: Expr,
    x_cnt: Expr,
    x_rt: Expr,
    x_rs: Expr,
    x_lo: Option<Expr>,
    xbyte: Expr,
    smp_valid: Expr,
    wvalid: Expr,
    /// the packer cannot take a sample now (assigned by the packer; none at
    /// P = 1, where the stream's ready decides)
    pk_full: Option<Expr>,
    drained: Expr,
    t_start_resp: Expr,
    t_done: Expr,
    t_busy: Expr,
}

/// The executor's stall (`x_stall`): with P > 1 the packer fills its
/// accumulator while the last word waits (see `sample_packer`), so the
/// executor waits only when the next sample would complete a word and the
/// last one is not yet taken (`pk_full`, which the packer assigns). That
/// reads the packer's registers alone, not the stream's ready: the ready
/// crossed from the register slices into this LUT, which also drove the
/// offset's and the packer's enables, and the placer stretched it between
/// them (session 25's worst path, 32.7 ns). At P = 1 the stream's ready
/// decides.
fn executor_stall(
    m: &mut Module,
    c: &Ctx,
    wvalid: &Expr,
) -> Result<(Option<Expr>, Expr), RtlError> {
    let pk_full = if c.p == 1 {
        None
    } else {
        Some(m.wire_decl("pk_full", Ty::BIT)?)
    };
    let stall = match &pk_full {
        None => m.wire("x_stall", &wvalid.and(&c.s_ready.not())?)?,
        Some(full) => m.wire("x_stall", full)?,
    };
    Ok((pk_full, stall))
}

/// The CSR write port, registered on exit, a clock after the executor's
/// strobe: the strobe's decode (state, offset, the frame's length) then ends
/// by the executor, and the CSR's entry registers are a hop of their own
/// (`cur_len -> csr_wr_addr.CE` through a LUT by the CSR, 21.5 ns placed on
/// eec47f6).
fn csr_write_port(m: &mut Module, we: &Expr, addr: &Expr, data: &Expr) -> Result<(), RtlError> {
    let we_q = m.reg_d("x_we_q", we, None, Some(0))?;
    let wa_q = m.reg_d("x_wa_q", addr, None, Some(0))?;
    let wd_q = m.reg_d("x_wd_q", data, None, Some(0))?;
    m.output("csr_wr_en", &we_q, "CSR write strobe (registered)")?;
    m.output("csr_wr_addr", &wa_q, "CSR write address (registered)")?;
    m.output("csr_wr_data", &wd_q, "CSR write data (registered)")
}

/// A READ's word count, loaded from its payload's bytes 2 and 3 (low
/// first) as the executor walks them (`rd_go`), cleared when idle.
fn read_count(
    m: &mut Module,
    x_cnt: &Expr,
    st_idle: &Expr,
    rd_go: &Expr,
    x_off: &Expr,
    xbyte: &Expr,
) -> Result<(), RtlError> {
    let ow = x_off.width();
    let xc_lo = x_cnt.slice(7, 0)?;
    let xc_hi = x_cnt.slice(15, 8)?;
    m.next(
        x_cnt,
        &sel(
            x_cnt,
            &[
                (st_idle.clone(), k(0, 16)?),
                (
                    rd_go.and(&x_off.eq(&k(2, ow)?)?)?,
                    Expr::concat(&[xc_hi, xbyte.clone()])?,
                ),
                (
                    rd_go.and(&x_off.eq(&k(3, ow)?)?)?,
                    Expr::concat(&[xbyte.clone(), xc_lo])?,
                ),
            ],
        )?,
        None,
    )
}

/// The command executor: CSR writes, READ and SAMPLES walks over the slot, FLUSH, slot release.
fn executor(
    m: &mut Module,
    c: &Ctx,
    frx: &FrameRx,
    chk: &FrameCheck,
) -> Result<Executor, RtlError> {
    let a = c.a;
    let accept = chk.accept.clone();
    let cur_len = chk.cur.cur_len.clone();
    let cur_seq = chk.cur.cur_seq.clone();
    let cur_type = chk.cur.cur_type.clone();
    let offb = c.offb;
    let rd_slot = frx.rd_slot.clone();
    let rxmem = frx.rxmem.clone();
    let sb = c.sb;
    let used = frx.used.clone();
    // ---------------------------------------------------------------- executor
    m.comment("executor");
    let x_state = m.reg("x_state", Ty::u(3), Some(0))?;
    let x_off = m.reg("x_off", Ty::u(offb + 1), Some(0))?;
    let x_addr = m.reg("x_addr", Ty::u(16), Some(0))?;
    let x_w = m.reg("x_w", Ty::u(24), None)?;
    let x_cnt = m.reg("x_cnt", Ty::u(16), Some(0))?;
    let two = sample_bytes(a) == 2;
    let x_lo = if two {
        Some(m.reg("x_lo", Ty::u(8), Some(0))?)
    } else {
        None
    };
    let xs = |v: u64| -> Result<Expr, RtlError> { x_state.eq(&k(v, 3)?) };
    let st_idle = m.wire("x_idle", &xs(0)?)?;
    let st_wr = m.wire("x_wr", &xs(1)?)?;
    let st_rd = m.wire("x_rd", &xs(2)?)?;
    let st_smp = m.wire("x_smp", &xs(3)?)?;
    let st_flush = m.wire("x_flush", &xs(4)?)?;
    let st_resp = m.wire("x_resp", &xs(5)?)?;
    let st_wait = m.wire("x_wait", &xs(6)?)?;
    // the frame memory is read synchronously (block RAM, not a 4 KB LUT
    // RAM behind a 256:1 read mux): `x_byte` is loaded from the address the
    // slot and the offset take next (`rd_slot_n`, `x_off_n`, below), so it
    // holds the byte at (`rd_slot`, `x_off`) in every cycle, as the
    // asynchronous read did. The executor uses a slot's bytes only once its
    // frame is whole, written clocks before, so no byte it uses can be read
    // in the clock it is written.
    let xbyte = m.reg("x_byte", Ty::u(8), None)?;
    let at_end = m.wire("x_at_end", &x_off.eq(&cur_len)?)?;
    let wvalid = m.reg("pk_valid", Ty::BIT, Some(0))?;
    let (pk_full, stall) = executor_stall(m, c, &wvalid)?;
    let off0 = x_off.bit(0)?;
    let off10 = x_off.slice(1, 0)?;
    let off_is = |v: u64| -> Result<Expr, RtlError> { x_off.eq(&k(v, offb + 1)?) };
    let working = and_all(&[&at_end.not(), &stall.not()])?;
    let wr_go = m.wire("x_wr_go", &st_wr.and(&at_end.not())?)?;
    let rd_go = m.wire("x_rd_go", &st_rd.and(&at_end.not())?)?;
    let smp_go = m.wire("x_smp_go", &st_smp.and(&working)?)?;
    let off_ge2 = x_off.ge(&k(2, offb + 1)?)?;
    let csr_we = m.wire(
        "x_csr_we",
        &and_all(&[&wr_go, &off_ge2, &off10.eq(&k(1, 2)?)?])?,
    )?;
    let wdata = m.wire("x_wdata", &Expr::concat(&[xbyte.clone(), x_w.clone()])?)?;
    let smp_valid = if two {
        m.wire("smp_valid", &smp_go.and(&off0)?)?
    } else {
        m.wire("smp_valid", &smp_go)?
    };

    // drain condition for FLUSH (filled in below once the output side exists)
    let drained = m.wire_decl("drained", Ty::BIT)?;
    let t_start_resp = m.wire_decl("t_start_resp", Ty::BIT)?;
    let t_done = m.wire_decl("t_done", Ty::BIT)?;
    let t_busy = m.reg("t_busy", Ty::BIT, Some(0))?;

    let finish = m.wire(
        "x_finish",
        &or_all(&[
            &and_all(&[&st_wr, &at_end])?,
            &and_all(&[&st_rd, &at_end])?,
            &and_all(&[&st_smp, &at_end, &stall.not()])?,
            &and_all(&[&st_flush, &drained])?,
        ])?,
    )?;
    let has_frame = used.eq(&k(0, sb + 1)?)?.not();
    let type_state = sel(
        &k(4, 3)?,
        &[
            (cur_type.eq(&k(CMD_WRITE as u64, 8)?)?, k(1, 3)?),
            (cur_type.eq(&k(CMD_READ as u64, 8)?)?, k(2, 3)?),
            (cur_type.eq(&k(CMD_SAMPLES as u64, 8)?)?, k(3, 3)?),
        ],
    )?;
    m.next(
        &x_state,
        &sel(
            &x_state,
            &[
                (st_idle.and(&has_frame)?, type_state),
                (finish.clone(), k(5, 3)?),
                (st_resp.and(&t_start_resp)?, k(6, 3)?),
                (st_wait.and(&t_done)?, k(0, 3)?),
            ],
        )?,
        None,
    )?;
    let x_off_n = m.wire(
        "x_off_n",
        &sel(
            &x_off,
            &[
                (st_idle.clone(), k(0, offb + 1)?),
                (or_all(&[&wr_go, &rd_go, &smp_go])?, inc(&x_off)?),
            ],
        )?,
    )?;
    m.next(&x_off, &x_off_n, None)?;
    let xa_lo = x_addr.slice(7, 0)?;
    let xa_hi = x_addr.slice(15, 8)?;
    let hdr_go = wr_go.or(&rd_go)?;
    m.next(
        &x_addr,
        &sel(
            &x_addr,
            &[
                (
                    hdr_go.and(&off_is(0)?)?,
                    Expr::concat(&[xa_hi.clone(), xbyte.clone()])?,
                ),
                (
                    hdr_go.and(&off_is(1)?)?,
                    Expr::concat(&[xbyte.clone(), xa_lo.clone()])?,
                ),
                (csr_we.clone(), inc(&x_addr)?),
            ],
        )?,
        None,
    )?;
    read_count(m, &x_cnt, &st_idle, &rd_go, &x_off, &xbyte)?;
    // the write data's first three bytes shift in on every clock, with no
    // enable: in WRITE the offset steps on every clock (no stall), so at
    // each strobe (offsets 5, 9, ...) `x_w` holds the bytes of the three
    // offsets before it, whatever it shifted in other states. Its enable
    // (`x_wr_go`, through the offset's compare with the frame's length)
    // had tied the decode to the shift register, which the placer pulls
    // toward the CSR (`cur_len -> x_wr -> x_addr.CE`, 26.8 ns placed on
    // 5df8290 with seed 2, `x_w` at (72, 68), the executor at (120, 20))
    let xw_hi = x_w.slice(23, 8)?;
    m.next(&x_w, &Expr::concat(&[xbyte.clone(), xw_hi])?, None)?;
    if let Some(lo) = &x_lo {
        m.next(lo, &xbyte, Some(&smp_go))?;
    }
    let x_rt = m.reg_d("x_rt", &cur_type, Some(&finish), Some(0))?;
    let x_rs = m.reg_d("x_rs", &cur_seq, Some(&finish), Some(0))?;
    // slot release when the command is done (before its response goes out)
    let free = finish.clone();
    current_next(m, c, frx, &accept, &chk.cur, &free)?;
    let acc_u = m.wire("used_acc", &accept.ext(sb + 1)?)?;
    let free_u = m.wire("used_free", &free.ext(sb + 1)?)?;
    m.next(&used, &used.add(&acc_u)?.sub(&free_u)?, None)?;
    let rd_slot_n = m.wire("rd_slot_n", &Expr::mux(&free, &inc(&rd_slot)?, &rd_slot)?)?;
    m.next(&rd_slot, &rd_slot_n, None)?;
    m.next(
        &xbyte,
        &rxmem.read(&Expr::concat(&[rd_slot_n, x_off_n.slice(offb - 1, 0)?])?)?,
        None,
    )?;
    csr_write_port(m, &csr_we, &x_addr, &wdata)?;
    Ok(Executor {
        st_flush,
        st_resp,
        x_addr,
        x_cnt,
        x_rt,
        x_rs,
        x_lo,
        xbyte,
        smp_valid,
        wvalid,
        pk_full,
        drained,
        t_start_resp,
        t_done,
        t_busy,
    })
}

/// Signals of the sample packer the later blocks use.
struct Packer {
    pk_cnt: Expr,
    /// a sample or a word on its way into the output register (none at
    /// P = 1)
    busy: Option<Expr>,
}

/// The sample packer: P samples into one s_axis word.
fn sample_packer(m: &mut Module, c: &Ctx, x: &Executor) -> Result<Packer, RtlError> {
    let a = c.a;
    let o1 = k(1, 1)?;
    let p = c.p;
    let pcb = c.pcb;
    let s_ready = c.s_ready.clone();
    let smp_valid = x.smp_valid.clone();
    let soft = c.soft.clone();
    let wvalid = x.wvalid.clone();
    let x_lo = x.x_lo.clone();
    let xbyte = x.xbyte.clone();
    let z1 = k(0, 1)?;
    // ---------------------------------------------------------------- sample packer
    m.comment("sample packer: P samples into one s_axis word, sample 0 in the LSBs");
    let smp = match &x_lo {
        Some(lo) => m.wire("smp", &Expr::concat(&[xbyte.slice(a - 9, 0)?, lo.clone()])?)?,
        None => m.wire("smp", &xbyte.slice(a - 1, 0)?)?,
    };
    // with P > 1 a sample reaches the packer through a register
    // (`pk_in`, `pk_in_valid`): the executor's sample enable had fanned out
    // to the accumulator's enables, which the placer put across the die from
    // the executor, and the offset's enable and the frame memory's read
    // address shared its LUT (x_off -> rxmem was 21.75 ns placed on 38747de)
    let (smp, smp_valid) = if p > 1 {
        let v = m.reg_d("pk_in_valid", &smp_valid.and(&soft.not())?, None, Some(0))?;
        (m.reg_d("pk_in", &smp, None, None)?, v)
    } else {
        (smp, smp_valid)
    };
    let pk_word = m.reg("pk_word", Ty::u(p * a), Some(0))?;
    let pk_cnt = m.reg("pk_cnt", Ty::u(pcb), Some(0))?;
    let last_smp = pk_cnt.eq(&k(p as u64 - 1, pcb)?)?;
    // a word is in `pk_word` (with P > 1 a clock after its last sample)
    let mut loaded = smp_valid.and(&last_smp)?;
    let mut busy = None;
    if let Some(full) = &x.pk_full {
        // The first P - 1 samples of a word in the accumulator; the whole
        // word in `pk_stage` at every clock and in `pk_word` a clock after
        // its last sample, on a registered enable (`pk_done_q`): `pk_word`
        // sits toward the slices, and its enable, the executor's logic,
        // crossed to it (20.7 ns placed on 8e9d17b). The next word's last
        // sample waits while `pk_word` holds a word untaken; it cannot come
        // in the clock `pk_done_q` is high (the count is then 0, not P - 1),
        // so `pk_word` is free when its enable comes.
        let pk_acc = m.reg("pk_acc", Ty::u((p - 1) * a), Some(0))?;
        let acc_in = if p == 2 {
            smp.clone()
        } else {
            Expr::concat(&[smp.clone(), pk_acc.slice((p - 1) * a - 1, a)?])?
        };
        m.next(&pk_acc, &acc_in, Some(&smp_valid))?;
        let word = Expr::concat(&[smp.clone(), pk_acc.clone()])?;
        let stage = m.reg_d("pk_stage", &word, None, None)?;
        let done = m.wire("pk_done", &loaded)?;
        let done_q = m.reg_d("pk_done_q", &done.and(&soft.not())?, None, Some(0))?;
        m.next(&pk_word, &stage, Some(&done_q))?;
        // the executor's next sample would complete a word: counted with
        // the sample in `pk_in` (which, when it completes a word itself,
        // makes the next one a first); it waits while the last word is in
        // `pk_word` untaken or on its way there (`pk_done_q`: at P = 2 the
        // next word's second sample can follow it that closely)
        let before_last = pk_cnt.eq(&k(p as u64 - 2, pcb)?)?;
        let last_next = m.wire(
            "pk_last_next",
            &Expr::mux(&smp_valid, &before_last, &last_smp)?,
        )?;
        m.assign(full, &last_next.and(&wvalid.or(&done_q)?)?)?;
        loaded = done_q.clone();
        busy = Some(done_q.or(&smp_valid)?);
    } else {
        m.next(&pk_word, &smp, Some(&smp_valid))?;
    }
    let cnt_next = Expr::mux(&last_smp, &k(0, pcb)?, &inc(&pk_cnt)?)?;
    m.next(
        &pk_cnt,
        &sel(
            &pk_cnt,
            &[(soft.clone(), k(0, pcb)?), (smp_valid.clone(), cnt_next)],
        )?,
        None,
    )?;
    m.next(
        &wvalid,
        &sel(
            &wvalid,
            &[
                (soft.clone(), z1.clone()),
                (loaded, o1.clone()),
                (s_ready.clone(), z1.clone()),
            ],
        )?,
        None,
    )?;
    m.output(
        "m_axis_tdata",
        &pk_word,
        "P samples to the equalizer, sample 0 in the LSBs",
    )?;
    m.output("m_axis_tvalid", &wvalid, "sample word valid")?;
    Ok(Packer { pk_cnt, busy })
}

/// Signals of the serializer the later blocks use.
struct Serializer {
    idle_pipe: Expr,
    ob_n: Expr,
    of_cnt: Expr,
    of_empty: Expr,
    /// `of_empty`, and no byte on its way into the FIFO
    of_idle: Expr,
    /// the output FIFO's entry at its read pointer
    of_byte: Expr,
    pop: Expr,
}

/// The output side: symbol serializer, 4 symbols a byte, output FIFO.
fn serializer(m: &mut Module, c: &Ctx, x: &Executor, pk: &Packer) -> Result<Serializer, RtlError> {
    let drained = x.drained.clone();
    // the decided words through a register slice of the bridge's own
    // (`sin_*`): the serializer's handshake is then two registers here (the
    // slice's valid, `ser_empty`), not the device top's slice by the
    // equalizer, whose valid and this block's ready met in a LUT between
    // the two (`ser_empty -> inflight`, 20.8 ns, `of_room -> ser_word.CE`,
    // 19.7 ns placed on 43d0cc4). A decided word reaches the serializer a
    // clock later; it counts as in flight until a clock after the
    // serializer takes it (`inf_dn_q`, below).
    let sin_ready = m.wire_decl("sin_m_ready", Ty::BIT)?;
    let sin = crate::fifo::reg_slice(m, "sin", &c.m_data, &c.m_valid, &sin_ready)?;
    let m_data = sin.m_data.clone();
    let m_valid = sin.m_valid.clone();
    let ob = c.ob;
    let p = c.p;
    let pcb = c.pcb;
    let pk_cnt = pk.pk_cnt.clone();
    let s_ready = c.s_ready.clone();
    let soft = c.soft.clone();
    let st_flush = x.st_flush.clone();
    let t_busy = x.t_busy.clone();
    let wvalid = x.wvalid.clone();
    // ---------------------------------------------------------------- output side
    m.comment("output: symbol serializer, 4 symbols a byte, output FIFO");
    let ser_word = m.reg("ser_word", Ty::u(2 * p), Some(0))?;
    let ser_cnt = m.reg("ser_cnt", Ty::u(pcb + 1), Some(0))?;
    let ob_acc = m.reg("ob_acc", Ty::u(6), Some(0))?;
    let ob_n = m.reg("ob_n", Ty::u(2), Some(0))?;
    let of_wp = m.reg("of_wp", Ty::u(ob), Some(0))?;
    let of_rp = m.reg("of_rp", Ty::u(ob), Some(0))?;
    let of_cnt = m.reg("of_cnt", Ty::u(ob + 1), Some(0))?;
    let inflight = m.reg("inflight", Ty::u(8), Some(0))?;
    // `ser_cnt == 0` as a register of the count's next value: it is the
    // ready the decided words see and, with their valid, `symbol_taken` on
    // the device's counters, so no compare of the count is on that path
    let ser_empty = m.reg("ser_empty", Ty::BIT, Some(1))?;
    let m_ready = ser_empty.clone();
    m.assign(&sin_ready, &m_ready)?;
    let m_hs = m.wire("s_axis_hs", &m_valid.and(&m_ready)?)?;
    let s_hs = m.wire("m_axis_hs", &wvalid.and(&s_ready)?)?;
    // `of_cnt < OUT_FIFO` as a register of the count's next value (below):
    // the count sits by the TX engine that reads it, the serializer by the
    // equalizer's output (`of_cnt -> ser_word.CE`, 18.1 ns placed on 3290e9d)
    let room = m.reg("of_room", Ty::BIT, Some(1))?;
    let emit = m.wire("ser_emit", &ser_empty.not().and(&room)?)?;
    let sym = ser_word.slice(1, 0)?;
    let ser_shift = if p == 1 {
        k(0, 2)?
    } else {
        Expr::concat(&[k(0, 2)?, ser_word.slice(2 * p - 1, 2)?])?
    };
    m.next(
        &ser_word,
        &sel(
            &ser_word,
            &[(m_hs.clone(), m_data.clone()), (emit.clone(), ser_shift)],
        )?,
        None,
    )?;
    let cnt_next = sel(
        &ser_cnt,
        &[
            (soft.clone(), k(0, pcb + 1)?),
            (m_hs.clone(), k(p as u64, pcb + 1)?),
            (emit.clone(), dec(&ser_cnt)?),
        ],
    )?;
    let cnt_next = m.wire("ser_cnt_next", &cnt_next)?;
    m.next(&ser_cnt, &cnt_next, None)?;
    m.next(&ser_empty, &cnt_next.eq(&k(0, pcb + 1)?)?, None)?;
    let acc_sh = m.wire(
        "ob_acc_sh",
        &Expr::concat(&[ob_acc.slice(5, 0)?, sym.clone()])?,
    )?;
    let byte_done = m.wire("ob_full", &emit.and(&ob_n.eq(&k(3, 2)?)?)?)?;
    // flush of a partial byte: pad with zero symbols
    let n_is = |v: u64| -> Result<Expr, RtlError> { ob_n.eq(&k(v, 2)?) };
    let padded = sel(
        &Expr::concat(&[ob_acc.slice(5, 0)?, k(0, 2)?])?,
        &[
            (n_is(1)?, Expr::concat(&[ob_acc.slice(1, 0)?, k(0, 6)?])?),
            (n_is(2)?, Expr::concat(&[ob_acc.slice(3, 0)?, k(0, 4)?])?),
        ],
    )?;
    let pk_idle = match &pk.busy {
        Some(b) => wvalid.not().and(&b.not())?,
        None => wvalid.not(),
    };
    let idle_pipe = m.wire(
        "pipe_idle",
        &and_all(&[
            &pk_idle,
            &pk_cnt.eq(&k(0, pcb)?)?,
            &inflight.eq(&k(0, 8)?)?,
            &ser_empty,
        ])?,
    )?;
    let pad_push = m.wire(
        "ob_pad",
        &and_all(&[&st_flush, &idle_pipe, &n_is(0)?.not(), &room])?,
    )?;
    let push = m.wire("of_push", &byte_done.or(&pad_push)?)?;
    let push_byte = m.wire("of_byte", &Expr::mux(&byte_done, &acc_sh, &padded)?)?;
    m.next(
        &ob_acc,
        &sel(&ob_acc, &[(emit.clone(), acc_sh.slice(5, 0)?)])?,
        None,
    )?;
    m.next(
        &ob_n,
        &sel(
            &ob_n,
            &[
                (soft.clone(), k(0, 2)?),
                (pad_push.clone(), k(0, 2)?),
                (emit.clone(), inc(&ob_n)?),
            ],
        )?,
        None,
    )?;
    let inf_up = m.wire("inf_up", &s_hs.ext(8)?)?;
    // the serializer's intake counts off a clock late, from a register
    // (`inf_dn_q`): the slice's valid sits by the equalizer's output, the
    // count by the bridge's status (`sin_m_valid -> inflight`, 20.0 ns
    // placed on 5df8290). A word is then counted in flight a clock longer,
    // which only holds `pipe_idle` (FLUSH, `busy`) a clock more; a take in
    // a soft reset's clock is not counted off after it.
    let dn_q = m.reg_d("inf_dn_q", &m_hs.and(&soft.not())?, None, Some(0))?;
    let inf_dn = m.wire("inf_dn", &dn_q.ext(8)?)?;
    m.next(
        &inflight,
        &Expr::mux(&soft, &k(0, 8)?, &inflight.add(&inf_up)?.sub(&inf_dn)?)?,
        None,
    )?;
    let fifo = output_fifo(
        m,
        c,
        &OutRegs {
            of_wp: &of_wp,
            of_rp: &of_rp,
            of_cnt: &of_cnt,
            room: &room,
        },
        &push,
        &push_byte,
    )?;
    let (of_empty, of_idle, of_byte, pop) = (fifo.of_empty, fifo.of_idle, fifo.of_byte, fifo.pop);
    // registered: the serializer sits by the equalizer's output, far from
    // the executor, and this was the longest path into the slot memory's
    // read address. A FLUSH sees the drain a clock later; once drained the
    // pipeline stays idle while the executor flushes (only its SAMPLES
    // command feeds it), so the late copy never says drained when it is not.
    let dr = and_all(&[&idle_pipe, &n_is(0)?, &of_idle, &t_busy.not()])?;
    let dr_q = m.reg_d("drained_q", &dr, None, Some(0))?;
    m.assign(&drained, &dr_q)?;
    m.output(
        "s_axis_tready",
        &sin.s_ready,
        "ready for a symbol word (the input slice has room)",
    )?;
    Ok(Serializer {
        idle_pipe,
        ob_n,
        of_cnt,
        of_empty,
        of_idle,
        of_byte,
        pop,
    })
}

/// The output FIFO's registers the serializer declares.
struct OutRegs<'a> {
    of_wp: &'a Expr,
    of_rp: &'a Expr,
    of_cnt: &'a Expr,
    /// `of_cnt < OUT_FIFO`, a register of the count's next value
    room: &'a Expr,
}

/// What the output FIFO gives the serializer's callers.
struct OutFifo {
    of_empty: Expr,
    /// `of_empty`, and no byte on its way into the FIFO
    of_idle: Expr,
    /// the entry at the read pointer
    of_byte: Expr,
    /// the TX engine's pop (declared here, assigned by it)
    pop: Expr,
}

/// The output FIFO (block RAM, `OUT_FIFO` bytes): written a clock after
/// the serializer's `push` of `push_byte`, read from the pointer's next
/// value, its count and room.
fn output_fifo(
    m: &mut Module,
    c: &Ctx,
    r: &OutRegs,
    push: &Expr,
    push_byte: &Expr,
) -> Result<OutFifo, RtlError> {
    let (ob, soft) = (c.ob, &c.soft);
    let (of_wp, of_rp, of_cnt, room) = (r.of_wp, r.of_rp, r.of_cnt, r.room);
    // The FIFO writes a clock after the serializer's push, from registers
    // (`of_push_q`, `of_wbyte_q`): the serializer sits by the equalizer's
    // output, the FIFO and its counts by the TX engine, and the byte's
    // multiplexer crossed between them into the block RAM's data
    // (`ob_acc_sh -> outmem.DIA`, 20.1 ns placed on 5df8290). The byte's
    // register has one source and one load, so the placer can put it on the
    // way. A byte pending there keeps a FLUSH waiting and `busy` high
    // (`of_idle`) until `of_cnt` counts it.
    let push_ok = m.wire("of_push_ok", &push.and(&soft.not())?)?;
    let push_q = m.reg_d("of_push_q", &push_ok, None, Some(0))?;
    let wbyte_q = m.reg_d("of_wbyte_q", push_byte, None, None)?;
    let outmem = m.memory("outmem", Ty::u(8), OUT_FIFO)?;
    m.mem_write(&outmem, &push_q, of_wp, &wbyte_q)?;
    let pop = m.wire_decl("of_pop", Ty::BIT)?;
    m.next(
        of_wp,
        &sel(
            of_wp,
            &[(soft.clone(), k(0, ob)?), (push_q.clone(), inc(of_wp)?)],
        )?,
        None,
    )?;
    let of_rp_n = m.wire(
        "of_rp_n",
        &sel(
            of_rp,
            &[(soft.clone(), k(0, ob)?), (pop.clone(), inc(of_rp)?)],
        )?,
    )?;
    m.next(of_rp, &of_rp_n, None)?;
    // the FIFO is read synchronously from the pointer's next value, so
    // `of_byte` holds the entry at `of_rp` in every cycle: the block-RAM
    // mapping is written out rather than left to Yosys merging the pointer
    // register into the read port (as it did; the synthesized FIFO is the
    // same DP16KD). A frame sends only entries counted when it started,
    // written at least a clock before, so the read never races the write of
    // the entry it returns.
    m.mem_no_collision(&outmem)?;
    let of_byte = m.reg("of_rd_byte", Ty::u(8), None)?;
    m.next(&of_byte, &outmem.read(&of_rp_n)?, None)?;
    let push_c = m.wire("of_push_c", &push_q.ext(ob + 1)?)?;
    let pop_c = m.wire("of_pop_c", &pop.ext(ob + 1)?)?;
    let of_cnt_n = m.wire(
        "of_cnt_next",
        &Expr::mux(soft, &k(0, ob + 1)?, &of_cnt.add(&push_c)?.sub(&pop_c)?)?,
    )?;
    m.next(of_cnt, &of_cnt_n, None)?;
    // (the room needs no term for a byte pending in `of_push_q`: pushes
    // come two clocks apart at least, four emits a byte, a pad only after
    // an emit since the last push, so the count holds the last push's byte
    // when the next push reads the room)
    m.next(room, &of_cnt_n.lt(&k(OUT_FIFO as u64, ob + 1)?)?, None)?;
    let of_empty = m.wire("of_empty", &of_cnt.eq(&k(0, ob + 1)?)?)?;
    // nothing in the FIFO and nothing on its way in: what a FLUSH waits for
    // and what `busy` reports
    let of_idle = m.wire("of_idle", &of_empty.and(&push_q.not())?)?;
    Ok(OutFifo {
        of_empty,
        of_idle,
        of_byte,
        pop,
    })
}

/// Signals of the tx engine the later blocks use.
struct TxEngine {
    /// the byte into the COBS encoder (the byte register's, or a CRC byte)
    raw: Expr,
    /// it is the frame's last
    raw_last: Expr,
    /// the encoder takes it
    take: Expr,
    done: Expr,
    src_out: Expr,
    enc_ready: Expr,
}

/// The TX engine's frame registers and its start strobe.
struct TxFrame {
    t_src: Expr,
    t_idx: Expr,
    t_len: Expr,
    /// `t_len + 7` (the last byte's index), registered with it
    t_last_idx: Expr,
    /// `t_len + 3` (the payload's last byte's index), registered with it
    t_pay_last: Expr,
    t_crc: Expr,
    t_seq: Expr,
    t_type: Expr,
    t_p0: Expr,
    t_p3: Expr,
    t_sym: Expr,
    t_rda: Expr,
    /// the byte register between the engine and the COBS encoder is full
    t_q_v: Expr,
    start: Expr,
}

/// The TX engine's frame start: ERROR > RESPONSE > OUTPUT, the frame's
/// length, type and header fields latched at the start.
fn tx_frame_start(
    m: &mut Module,
    c: &Ctx,
    chk: &FrameCheck,
    x: &Executor,
    ser: &Serializer,
) -> Result<TxFrame, RtlError> {
    let any_err = chk.any_err.clone();
    let err_code = chk.err_code.clone();
    let err_pend = chk.err_pend.clone();
    let err_seq = chk.err_seq.clone();
    let o1 = k(1, 1)?;
    let ob = c.ob;
    let of_cnt = ser.of_cnt.clone();
    let of_empty = ser.of_empty.clone();
    let st_flush = x.st_flush.clone();
    let st_resp = x.st_resp.clone();
    let t_busy = x.t_busy.clone();
    let t_start_resp = x.t_start_resp.clone();
    let x_addr = x.x_addr.clone();
    let x_cnt = x.x_cnt.clone();
    let x_rs = x.x_rs.clone();
    let x_rt = x.x_rt.clone();
    let z1 = k(0, 1)?;
    // ---------------------------------------------------------------- TX engine
    m.comment("TX engine: ERROR > RESPONSE > OUTPUT frames, CRC-32 appended");
    let t_src = m.reg("t_src", Ty::u(2), Some(0))?;
    let t_idx = m.reg("t_idx", Ty::u(16), Some(0))?;
    let t_len = m.reg("t_len", Ty::u(16), Some(0))?;
    let t_crc = m.reg("t_crc", Ty::u(32), Some(0xFFFF_FFFF))?;
    let t_seq = m.reg("t_seq", Ty::u(8), Some(0))?;
    let t_type = m.reg("t_type", Ty::u(8), Some(0))?;
    let t_p0 = m.reg("t_p0", Ty::u(8), Some(0))?;
    let t_p3 = m.reg("t_p3", Ty::u(8), Some(0))?;
    let t_sym = m.reg("t_sym", Ty::u(32), Some(0))?;
    let t_rda = m.reg("t_rda", Ty::u(16), Some(0))?;
    let t_q_v = m.reg("t_q_v", Ty::BIT, Some(0))?;
    // a frame starts once the previous one's last byte has left the byte
    // register (its CRC bytes are formed there from `t_crc`, which the start
    // resets)
    let idle_t = m.wire("t_idle", &t_busy.not().and(&t_q_v.not())?)?;
    let go_err = m.wire("t_go_err", &idle_t.and(&err_pend)?)?;
    let go_resp = m.wire(
        "t_go_resp",
        &and_all(&[&idle_t, &err_pend.not(), &st_resp])?,
    )?;
    let chunk_ready = of_cnt.ge(&k(OUT_CHUNK as u64, ob + 1)?)?;
    let flush_out = st_flush.and(&of_empty.not())?;
    let go_out = m.wire(
        "t_go_out",
        &and_all(&[
            &idle_t,
            &err_pend.not(),
            &st_resp.not(),
            &chunk_ready.or(&flush_out)?,
        ])?,
    )?;
    m.assign(&t_start_resp, &go_resp)?;
    let start = m.wire("t_start", &or_all(&[&go_err, &go_resp, &go_out])?)?;
    // response length: 4, or 4 + 4 * min(count, MAX_READ_WORDS) for reads
    let is_read = x_rt.eq(&k(CMD_READ as u64, 8)?)?;
    let cnt_cl = m.wire(
        "x_cnt_cl",
        &Expr::mux(
            &x_cnt.gt(&k(MAX_READ_WORDS as u64, 16)?)?,
            &k(MAX_READ_WORDS as u64, 16)?,
            &x_cnt,
        )?,
    )?;
    let out_n = Expr::mux(&chunk_ready, &k(OUT_CHUNK as u64, ob + 1)?, &of_cnt)?;
    let out_nw = m.wire("t_out_n", &out_n)?;
    // the length plus `d`, formed per source (the payload's last byte, 4
    // bytes of header on, and the frame's last byte, registered at the start:
    // through adders on `t_len` they ended the engine's paths into the
    // sequence and the counters, 16.8 ns placed on 3290e9d)
    let len_plus = |d: u64| -> Result<Expr, RtlError> {
        let rd = cnt_cl.shl(2).add(&k(4 + d, 16)?)?;
        sel(
            &out_nw.ext(16)?.add(&k(4 + d, 16)?)?,
            &[
                (go_err.clone(), k(4 + d, 16)?),
                (go_resp.clone(), Expr::mux(&is_read, &rd, &k(4 + d, 16)?)?),
            ],
        )
    };
    let len_v = len_plus(0)?;
    let t_last_idx = m.reg_d("t_last_idx", &len_plus(7)?, Some(&start), Some(7))?;
    let t_pay_last = m.reg_d("t_pay_last", &len_plus(3)?, Some(&start), Some(3))?;
    let type_v = sel(
        &k(OUTPUT as u64, 8)?,
        &[
            (go_err.clone(), k(ERROR as u64, 8)?),
            (go_resp.clone(), x_rt.or(&k(RESP as u64, 8)?)?),
        ],
    )?;
    let src_v = sel(
        &k(2, 2)?,
        &[(go_err.clone(), k(0, 2)?), (go_resp.clone(), k(1, 2)?)],
    )?;
    m.next(&t_len, &len_v, Some(&start))?;
    m.next(&t_type, &type_v, Some(&start))?;
    m.next(&t_src, &src_v, Some(&start))?;
    m.next(&t_p0, &Expr::mux(&go_err, &err_code, &x_rs)?, Some(&start))?;
    m.next(&t_p3, &err_seq, Some(&start))?;
    m.next(&t_rda, &x_addr, Some(&start))?;
    m.next(
        &err_pend,
        &sel(
            &err_pend,
            &[(any_err.clone(), o1.clone()), (go_err.clone(), z1.clone())],
        )?,
        None,
    )?;

    Ok(TxFrame {
        t_src,
        t_idx,
        t_len,
        t_last_idx,
        t_pay_last,
        t_crc,
        t_seq,
        t_type,
        t_p0,
        t_p3,
        t_sym,
        t_rda,
        t_q_v,
        start,
    })
}

/// Byte `i` (0: bits 7..0) of a 32-bit `word`, `i` a 2-bit signal.
fn byte_of(word: &Expr, i: &Expr) -> Result<Expr, RtlError> {
    sel(
        &word.slice(31, 24)?,
        &[
            (i.eq(&k(0, 2)?)?, word.slice(7, 0)?),
            (i.eq(&k(1, 2)?)?, word.slice(15, 8)?),
            (i.eq(&k(2, 2)?)?, word.slice(23, 16)?),
        ],
    )
}

/// `t_idx < t_len + 4` (in the payload) and `t_idx >= 8` (past the header)
/// as registers kept by the steps of `t_idx` (a start sets 0, a take adds
/// 1; `t_len` changes only at a start): a take leaves the payload at its
/// last byte (`t_pay_last`) and passes the header at byte 7. Their
/// compares' carry chains, shared with the read address's adder, had
/// reached the output FIFO's pop, its count and its read address
/// (`t_idx -> of_cnt`, 19.6 ns, `-> outmem.ADB`, 18.1 ns placed on eec47f6).
struct PayloadFlags {
    in_pay: Expr,
    past_hdr: Expr,
}

impl PayloadFlags {
    fn declare(m: &mut Module) -> Result<PayloadFlags, RtlError> {
        Ok(PayloadFlags {
            in_pay: m.reg("t_in_pay", Ty::BIT, Some(1))?,
            past_hdr: m.reg("t_past_hdr", Ty::BIT, Some(0))?,
        })
    }

    /// Their next values: `start` and `take` (never both) step `t_idx`.
    fn step(
        &self,
        m: &mut Module,
        start: &Expr,
        take: &Expr,
        t_idx: &Expr,
        pay_last: &Expr,
    ) -> Result<(), RtlError> {
        let (ip, ph) = (&self.in_pay, &self.past_hdr);
        let leaves = t_idx.eq(pay_last)?;
        let ip_n = sel(
            ip,
            &[
                (start.clone(), k(1, 1)?),
                (take.clone(), ip.and(&leaves.not())?),
            ],
        )?;
        m.next(ip, &ip_n, None)?;
        let passes = t_idx.eq(&k(7, 16)?)?;
        let ph_n = sel(
            ph,
            &[(start.clone(), k(0, 1)?), (take.clone(), ph.or(&passes)?)],
        )?;
        m.next(ph, &ph_n, None)
    }
}

/// Clocks the TX engine waits at a word boundary of a frame read from the
/// CSR: the read port's latency and the engine's two registers of its data
/// (`t_rd_q`, `t_rd_q2`).
const RD_WAIT: usize = crate::csr::READ_LATENCY + 2;

/// The TX engine: the frames a byte at a time, with their CRC-32.
fn tx_engine(
    m: &mut Module,
    c: &Ctx,
    frx: &FrameRx,
    x: &Executor,
    ser: &Serializer,
    f: &TxFrame,
) -> Result<TxEngine, RtlError> {
    // the CSR's read data registered on entry, twice: the byte select and
    // the header mux into `t_q_byte` start here, by the engine, and not at
    // the CSR's output register across the die (`t_idx -> t_q_byte`,
    // 23.9 ns placed on eec47f6, had gone out to the read data and back).
    // With one register the placer put it half way, and the select by it
    // (20.5 ns placed on 43d0cc4): the second can sit by the engine.
    let rd_q = m.reg_d("t_rd_q", &c.csr_rd_data, None, Some(0))?;
    let csr_rd_data = m.reg_d("t_rd_q2", &rd_q, None, Some(0))?;
    let e_seq = frx.e_seq.clone();
    let o1 = k(1, 1)?;
    let of_empty = ser.of_empty.clone();
    let pop = ser.pop.clone();
    let sb = c.sb;
    let soft = c.soft.clone();
    let t_busy = x.t_busy.clone();
    let t_done = x.t_done.clone();
    let used = frx.used.clone();
    let z1 = k(0, 1)?;
    let t_src = f.t_src.clone();
    let t_idx = f.t_idx.clone();
    let t_len = f.t_len.clone();
    let t_crc = f.t_crc.clone();
    let t_seq = f.t_seq.clone();
    let t_type = f.t_type.clone();
    let t_p0 = f.t_p0.clone();
    let t_p3 = f.t_p3.clone();
    let t_sym = f.t_sym.clone();
    let t_rda = f.t_rda.clone();
    let start = f.start.clone();
    // the raw byte at t_idx
    let credit = m.wire("credit", &k(RX_SLOTS as u64, sb + 1)?.sub(&used)?)?;
    let credit8 = credit.ext(8)?;
    let src_err = t_src.eq(&k(0, 2)?)?;
    let src_resp = t_src.eq(&k(1, 2)?)?;
    let src_out = m.wire("t_src_out", &t_src.eq(&k(2, 2)?)?)?;
    let ti = |v: u64| -> Result<Expr, RtlError> { t_idx.eq(&k(v, 16)?) };
    let flags = PayloadFlags::declare(m)?;
    let in_pay = flags.in_pay.clone();
    let data_part = m.wire("t_data_part", &flags.past_hdr.and(&in_pay)?)?;
    let wi = m.wire("t_word_i", &t_idx.sub(&k(8, 16)?)?.shr(2))?;
    // the read address is registered here and the read port is pipelined in
    // the CSR, so the address adder, the CSR's read port (four stages) and
    // this engine's byte select and CRC are register-to-register paths: a
    // word's data is in `t_rd_q2` [`RD_WAIT`] clocks after the engine moves
    // to it, and the engine waits for it (`t_rd_wait`, below) at each word
    // boundary of a frame not read from the output FIFO
    let rd_addr = m.reg_d("t_rd_addr", &t_rda.add(&wi)?, None, Some(0))?;
    m.output(
        "csr_rd_addr",
        &rd_addr,
        "CSR read address (TX engine; registered)",
    )?;
    let bsel = t_idx.slice(1, 0)?;
    let rd_byte = byte_of(&csr_rd_data, &bsel)?;
    let of_byte = ser.of_byte.clone();
    let data_byte = Expr::mux(&src_out, &of_byte, &rd_byte)?;
    let sym_b = |i: u32| t_sym.slice(8 * i + 7, 8 * i);
    let p0 = Expr::mux(&src_out, &sym_b(0)?, &t_p0)?;
    let p1 = Expr::mux(&src_out, &sym_b(1)?, &e_seq)?;
    let p2 = Expr::mux(&src_out, &sym_b(2)?, &credit8)?;
    let p3 = sel(
        &sym_b(3)?,
        &[
            (src_err.clone(), t_p3.clone()),
            (src_resp.clone(), k(0, 8)?),
        ],
    )?;
    // the CRC byte's index: `t_idx - (t_len + 4)` modulo 4
    let ci2 = m.wire("t_crc_i", &t_idx.slice(1, 0)?.sub(&f.t_len.slice(1, 0)?)?)?;
    // the header and payload bytes; the CRC's four (0 here) are formed in the
    // byte register's stage
    let raw = m.wire(
        "t_raw",
        &sel(
            &k(0, 8)?,
            &[
                (ti(0)?, t_type.clone()),
                (ti(1)?, t_seq.clone()),
                (ti(2)?, t_len.slice(7, 0)?),
                (ti(3)?, t_len.slice(15, 8)?),
                (ti(4)?, p0),
                (ti(5)?, p1),
                (ti(6)?, p2),
                (ti(7)?, p3),
                (data_part.clone(), data_byte),
            ],
        )?,
    )?;
    let raw_last = m.wire("t_last", &t_idx.eq(&f.t_last_idx)?)?;
    let enc_ready = m.wire_decl("enc_ready", Ty::BIT)?;
    let ww = clog2(RD_WAIT + 1);
    let rd_wait = m.reg("t_rd_wait", Ty::u(ww), Some(0))?;
    let waiting = m.wire(
        "t_rd_waiting",
        &rd_wait.eq(&k(0, ww)?)?.not().and(&src_out.not())?,
    )?;
    // the byte register (`t_q_*`) between the engine and the COBS encoder:
    // the output FIFO's block-RAM read, the byte select and the header mux
    // end there, and the CRC and the encoder start from it
    let q_v = f.t_q_v.clone();
    let q_byte = m.reg("t_q_byte", Ty::u(8), Some(0))?;
    let q_last = m.reg("t_q_last", Ty::BIT, Some(0))?;
    let q_crc = m.reg("t_q_crc", Ty::BIT, Some(0))?;
    let q_ci = m.reg("t_q_ci", Ty::u(2), Some(0))?;
    let acc = m.wire("t_q_acc", &q_v.and(&enc_ready)?)?;
    let room = q_v.not().or(&enc_ready)?;
    let take = m.wire("t_take", &and_all(&[&t_busy, &room, &waiting.not()])?)?;
    m.next(&q_v, &take.or(&q_v.and(&enc_ready.not())?)?, None)?;
    m.next(&q_byte, &raw, Some(&take))?;
    m.next(&q_last, &raw_last, Some(&take))?;
    m.next(&q_crc, &in_pay.not(), Some(&take))?;
    m.next(&q_ci, &ci2, Some(&take))?;
    let crc_out = m.wire("t_crc_out", &t_crc.not())?;
    let crc_byte = byte_of(&crc_out, &q_ci)?;
    let byte = m.wire("t_byte", &Expr::mux(&q_crc, &crc_byte, &q_byte)?)?;
    let cross = m.wire("t_rd_cross", &take.and(&bsel.eq(&k(3, 2)?)?)?)?;
    m.next(
        &rd_wait,
        &sel(
            &k(0, ww)?,
            &[
                (start.or(&cross)?, k(RD_WAIT as u64, ww)?),
                (waiting.clone(), rd_wait.sub(&k(1, ww)?)?),
            ],
        )?,
        None,
    )?;
    flags.step(m, &start, &take, &t_idx, &f.t_pay_last)?;
    let t_crc_n = crc_next(m, "t_crc_next", &t_crc, &q_byte)?;
    let done = m.wire("t_fin", &take.and(&raw_last)?)?;
    m.assign(&t_done, &done)?;
    let pop_v = and_all(&[&take, &src_out, &data_part, &of_empty.not()])?;
    m.assign(&pop, &pop_v)?;
    m.next(
        &t_busy,
        &sel(
            &t_busy,
            &[(start.clone(), o1.clone()), (done.clone(), z1.clone())],
        )?,
        None,
    )?;
    m.next(
        &t_idx,
        &sel(
            &t_idx,
            &[(start.clone(), k(0, 16)?), (take.clone(), inc(&t_idx)?)],
        )?,
        None,
    )?;
    m.next(
        &t_crc,
        &sel(
            &t_crc,
            &[
                (start.clone(), k(0xFFFF_FFFF, 32)?),
                // a header or payload byte (not one of the CRC's own)
                (acc.and(&q_crc.not())?, t_crc_n),
            ],
        )?,
        None,
    )?;
    m.next(&t_seq, &inc(&t_seq)?, Some(&done))?;
    m.next(
        &t_sym,
        &sel(
            &t_sym,
            &[
                (soft.clone(), k(0, 32)?),
                (pop.clone(), t_sym.add(&k(4, 32)?)?),
            ],
        )?,
        None,
    )?;
    Ok(TxEngine {
        raw: byte,
        raw_last: q_last,
        take: acc,
        done,
        src_out,
        enc_ready,
    })
}

/// The COBS encoder: up to 254 bytes buffered, then the code byte and the data.
fn cobs_tx(m: &mut Module, c: &Ctx, tx: &TxEngine) -> Result<(), RtlError> {
    let enc_ready = tx.enc_ready.clone();
    let o1 = k(1, 1)?;
    let raw = tx.raw.clone();
    let raw_last = tx.raw_last.clone();
    let take = tx.take.clone();
    let tx_ready = c.tx_ready.clone();
    let z1 = k(0, 1)?;
    // ---------------------------------------------------------------- COBS encode
    m.comment("COBS encoder: up to 254 bytes buffered, then code byte and data");
    let e_state = m.reg("e_state", Ty::u(3), Some(0))?;
    let e_n = m.reg("e_n", Ty::u(8), Some(0))?;
    let e_i = m.reg("e_i", Ty::u(8), Some(0))?;
    let e_code = m.reg("e_code", Ty::u(8), Some(0))?;
    let e_last = m.reg("e_last", Ty::BIT, Some(0))?;
    let e_tail = m.reg("e_tail", Ty::BIT, Some(0))?;
    let es = |v: u64| -> Result<Expr, RtlError> { e_state.eq(&k(v, 3)?) };
    let e_fill = m.wire("e_fill", &es(0)?)?;
    m.assign(&enc_ready, &e_fill)?;
    let encmem = m.memory("encmem", Ty::u(8), 256)?;
    let raw_zero = raw.eq(&k(0, 8)?)?;
    let n1 = m.wire("e_n1", &inc(&e_n)?)?;
    let full_blk = n1.eq(&k(254, 8)?)?;
    let acc_nz = m.wire("e_acc_nz", &take.and(&raw_zero.not())?)?;
    let acc_z = m.wire("e_acc_z", &take.and(&raw_zero)?)?;
    m.mem_write(&encmem, &acc_nz, &e_n, &raw)?;
    // written while filling, read while sending (`e_state` 2, at least two
    // clocks after the last write): a read never meets a write it would use
    m.mem_no_collision(&encmem)?;
    let close_nz = m.wire("e_close_nz", &acc_nz.and(&full_blk.or(&raw_last)?)?)?;
    let close = m.wire("e_close", &acc_z.or(&close_nz)?)?;
    let code_v = sel(
        &inc(&n1)?,
        &[(acc_z.clone(), n1.clone()), (full_blk.clone(), k(0xFF, 8)?)],
    )?;
    let tail_v = raw_last.and(&raw_zero.or(&full_blk)?)?;
    let after = sel(
        &k(0, 3)?,
        &[(e_tail.clone(), k(3, 3)?), (e_last.clone(), k(4, 3)?)],
    )?;
    let after_w = m.wire("e_after", &after)?;
    let st_code = es(1)?;
    let st_data = es(2)?;
    let n_zero = e_n.eq(&k(0, 8)?)?;
    let i_last = m.wire("e_i_last", &inc(&e_i)?.eq(&e_n)?)?;
    let tx_byte = sel(
        &k(0, 8)?,
        &[
            (st_code.clone(), e_code.clone()),
            (st_data.clone(), encmem.read(&e_i)?),
            (es(3)?, k(1, 8)?),
        ],
    )?;
    let tx_valid = m.wire("tx_valid_w", &e_fill.not())?;
    let adv = m.wire("e_adv", &tx_valid.and(&tx_ready)?)?;
    m.next(
        &e_state,
        &sel(
            &e_state,
            &[
                (close.clone(), k(1, 3)?),
                (adv.and(&st_code)?, Expr::mux(&n_zero, &after_w, &k(2, 3)?)?),
                (adv.and(&st_data)?.and(&i_last)?, after_w.clone()),
                (adv.and(&es(3)?)?, k(4, 3)?),
                (adv.and(&es(4)?)?, k(0, 3)?),
            ],
        )?,
        None,
    )?;
    let back_to_fill = m.wire(
        "e_refill",
        &adv.and(&sel(
            &z1,
            &[
                (st_code.clone(), n_zero.and(&after_w.eq(&k(0, 3)?)?)?),
                (st_data.clone(), i_last.and(&after_w.eq(&k(0, 3)?)?)?),
                (es(4)?, o1.clone()),
            ],
        )?)?,
    )?;
    m.next(
        &e_n,
        &sel(
            &e_n,
            &[
                (acc_z.clone(), e_n.clone()),
                (acc_nz.clone(), n1.clone()),
                (back_to_fill.clone(), k(0, 8)?),
            ],
        )?,
        None,
    )?;
    m.next(
        &e_i,
        &sel(
            &e_i,
            &[(close.clone(), k(0, 8)?), (adv.and(&st_data)?, inc(&e_i)?)],
        )?,
        None,
    )?;
    m.next(&e_code, &code_v, Some(&close))?;
    m.next(&e_last, &raw_last, Some(&close))?;
    m.next(&e_tail, &tail_v, Some(&close))?;
    m.output("m_byte_tdata", &tx_byte, "byte to send")?;
    m.output("m_byte_tvalid", &tx_valid, "m_byte_tdata valid")?;
    Ok(())
}

/// The counters and status outputs.
fn counters(
    m: &mut Module,
    c: &Ctx,
    frx: &FrameRx,
    chk: &FrameCheck,
    ser: &Serializer,
    tx: &TxEngine,
) -> Result<(), RtlError> {
    let accept = chk.accept.clone();
    let corrupt = chk.corrupt.clone();
    let done = tx.done.clone();
    let e_full = chk.e_full.clone();
    let e_len = chk.e_len.clone();
    let e_seqerr = chk.e_seqerr.clone();
    let e_type = chk.e_type.clone();
    let idle_pipe = ser.idle_pipe.clone();
    let of_idle = ser.of_idle.clone();
    let rx_valid = c.rx_valid.clone();
    let src_out = tx.src_out.clone();
    let used = frx.used.clone();
    // ---------------------------------------------------------------- counters, status
    m.comment("counters");
    for c in BridgeCounter::ALL {
        let en = match c {
            BridgeCounter::RxBytes => rx_valid.clone(),
            BridgeCounter::RxFrames => accept.clone(),
            BridgeCounter::RxCorrupt => corrupt.clone(),
            BridgeCounter::RxLength => e_len.clone(),
            BridgeCounter::RxType => e_type.clone(),
            BridgeCounter::RxSeq => e_seqerr.clone(),
            BridgeCounter::RxFull => e_full.clone(),
            BridgeCounter::TxFrames => done.clone(),
            BridgeCounter::OutFrames => done.and(&src_out)?,
        };
        let n = c.name();
        // the event registered, the count a clock behind it: the events end
        // the frame logic's longest paths (`t_len -> cnt_tx_frames.CE`
        // through the last-byte compare: 64 end points placed on 3290e9d)
        let en = m.reg_d(&format!("cnt_{n}_inc"), &en, None, Some(0))?;
        let c = m.reg(&format!("cnt_{n}_r"), Ty::u(32), Some(0))?;
        m.next(&c, &inc(&c)?, Some(&en))?;
        m.output(&format!("cnt_{n}"), &c, &format!("counter {n}"))?;
    }
    let busy = or_all(&[
        &idle_pipe.not(),
        &ser.ob_n.eq(&k(0, 2)?)?.not(),
        &of_idle.not(),
    ])?;
    // registered: it is read through the CSR's read port across the die
    // (`inflight -> rd_g4`, 21.5 ns placed on eec47f6); a host sees it a
    // clock later, thousands of clocks after its frame arrived
    let busy = m.reg_d("busy_q", &busy, None, Some(0))?;
    m.output("busy", &busy, "samples in flight (registered)")?;
    m.output("slots_used", &used, "receive slots in use")?;
    Ok(())
}
