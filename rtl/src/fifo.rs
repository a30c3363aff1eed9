//! The credit FIFO at the end of a pipeline that never stalls: the
//! equalizer's output FIFO and the emulator's.
//!
//! A pipeline without a global enable (every stage register loads every
//! cycle, valid bits travel with the words) cannot hold a word when its
//! consumer is not ready, so it ends in a FIFO that can take every word in
//! flight. Its input side is throttled by a credit: the count of words
//! started and not yet read. `ready` (the pipeline may start a word in this
//! cycle) is a register, the compare `credit < depth - 1` of the cycle
//! before, so the consumer's `ready` reaches only the FIFO's read side and
//! this one register, never the pipeline. The FIFO is a distributed RAM read
//! asynchronously: its head is on the output the cycle after it is written,
//! so the FIFO costs the pipeline no latency.

use crate::hdl::{Expr, Header, Module, Ty};
use crate::{Design, RtlError};
use golden::numeric::clog2;

/// Depth of a credit FIFO behind a pipeline of `latency` stages: room for
/// every word in flight. With `ready` in cycle `t + 1` the compare
/// `credit(t) <= depth - 2`, at most `depth` words are ever held, and a
/// stream that is never stalled (`latency` words in flight) never sees
/// `ready` low: `depth >= latency + 2`, rounded up to a power of two.
pub fn depth_for(latency: usize) -> usize {
    (latency + 2).next_power_of_two()
}

/// The most bits of a credit FIFO's word that one copy of its write strobe
/// writes ([`FifoIn::push`]): the emulator's and the equalizer's output
/// FIFOs are split into column groups of at most this width.
pub const GROUP_BITS: usize = 32;

/// The FIFO's outputs.
pub struct CreditFifo {
    /// the head word is valid (the FIFO is not empty), a register
    pub valid: Expr,
    /// the head word (asynchronous read), fields packed as given
    pub head: Expr,
}

/// What drives a credit FIFO.
pub struct FifoIn<'a> {
    /// the word written (fields packed by the caller)
    pub word: &'a Expr,
    /// write `word` (the pipeline's last stage is valid), so the write is
    /// that stage's register: one, or kept copies of it. With `n` copies the
    /// memory is `n` column groups (`{name}_g{i}`), each written by its own
    /// copy at its own write pointer (`{name}_wp_k{i}`), so no one register
    /// reaches every memory cell's write enable
    pub push: &'a [Expr],
    /// a word started at the pipeline's input: it takes a credit
    pub take: &'a Expr,
    /// the consumer takes the head when it is valid
    pub m_ready: &'a Expr,
}

/// A credit FIFO of `depth` words named `{name}_*`, driven by `io`; its
/// ready register (the pipeline may start a word in this cycle) is assigned
/// to `ready_to`, wires the caller declared before. With more than one wire
/// the register is made as kept copies ([`Module::reg_copies`],
/// `{name}_ready_k*`), one per wire, for a `take` that the caller builds per
/// copy to spread a wide enable's fan-out.
pub fn credit_fifo(
    m: &mut Module,
    name: &str,
    io: FifoIn<'_>,
    ready_to: &[Expr],
    depth: usize,
) -> Result<CreditFifo, RtlError> {
    let FifoIn {
        word,
        push,
        take,
        m_ready,
    } = io;
    if !depth.is_power_of_two() || depth < 4 {
        return Err(RtlError::Param {
            name: "credit FIFO depth",
            value: depth as i64,
            why: "must be a power of two, at least 4".into(),
        });
    }
    let (groups, width) = (push.len(), word.width() as usize);
    if groups == 0 || groups > width {
        return Err(RtlError::Param {
            name: "credit FIFO write copies",
            value: groups as i64,
            why: format!("must be 1..={width} (the word's bits)"),
        });
    }
    let ab = clog2(depth);
    let k = |v: i128, w: u32| Expr::konst(v, Ty::u(w));
    let rp = m.reg(&format!("{name}_rp"), Ty::u(ab), Some(0))?;
    let one = k(1, ab)?;
    // the column groups, low bits first, as even as the width allows
    let word = match groups {
        1 => word.clone(),
        _ => m.wire(&format!("{name}_in"), word)?,
    };
    let mut heads = Vec::new();
    for (i, push) in push.iter().enumerate() {
        let (lo, hi) = (
            (i * width / groups) as u32,
            ((i + 1) * width / groups) as u32,
        );
        let (mem_name, wp_name) = match groups {
            1 => (name.to_string(), format!("{name}_wp")),
            _ => (format!("{name}_g{i}"), format!("{name}_wp_k{i}")),
        };
        let mem = m.memory(&mem_name, Ty::u(hi - lo), depth)?;
        let wp = m.reg(&wp_name, Ty::u(ab), Some(0))?;
        let part = match groups {
            1 => word.clone(),
            _ => word.slice(hi - 1, lo)?,
        };
        m.mem_write(&mem, push, &wp, &part)?;
        m.next(&wp, &wp.add(&one)?, Some(push))?;
        heads.push(mem.read(&rp)?);
    }
    heads.reverse();
    let push = &push[0];
    let cnt = m.reg(&format!("{name}_cnt"), Ty::u(ab + 1), Some(0))?;
    let credit = m.reg(&format!("{name}_credit"), Ty::u(ab + 1), Some(0))?;
    let nonempty = m.reg(&format!("{name}_nonempty"), Ty::BIT, Some(0))?;
    let pop = m.wire(&format!("{name}_pop"), &nonempty.and(m_ready)?)?;
    m.next(&rp, &rp.add(&one)?, Some(&pop))?;
    let push_c = push.ext(ab + 1)?;
    let pop_c = pop.ext(ab + 1)?;
    let take_c = take.ext(ab + 1)?;
    m.next(&cnt, &cnt.add(&push_c)?.sub(&pop_c)?, None)?;
    // nonempty == (cnt != 0); the next value without the count's carry
    // chain: a word is written, or two or more are held, or one is held and
    // not read
    let many = m.wire(&format!("{name}_many"), &cnt.ge(&k(2, ab + 1)?)?)?;
    let keep = nonempty.and(&pop.not())?;
    m.next(&nonempty, &push.or(&many)?.or(&keep)?, None)?;
    m.next(&credit, &credit.add(&take_c)?.sub(&pop_c)?, None)?;
    let room = credit.lt(&k(depth as i128 - 1, ab + 1)?)?;
    let ready = match ready_to.len() {
        1 => vec![m.reg_d(&format!("{name}_ready"), &room, None, Some(1))?],
        n => m.reg_copies(&format!("{name}_ready"), &room, None, Some(1), n)?,
    };
    for (to, r) in ready_to.iter().zip(&ready) {
        m.assign(to, r)?;
    }
    let head = match heads.len() {
        1 => heads.remove(0),
        _ => Expr::concat(&heads)?,
    };
    let head = m.wire(&format!("{name}_head"), &head)?;
    Ok(CreditFifo {
        valid: nonempty,
        head,
    })
}
/// A register slice's outputs.
pub struct Slice {
    /// the slice takes a word in this cycle: a register (no path from
    /// `m_ready`)
    pub s_ready: Expr,
    /// the word on the output, a register
    pub m_data: Expr,
    /// `m_data` is valid, a register
    pub m_valid: Expr,
}

/// A register slice (a two-word skid buffer) named `{name}_*` on a
/// ready/valid stream: every output is a register, so neither the data and
/// valid path nor the ready path crosses it in one clock (two blocks far
/// apart on the die meet through it). It passes every word in order, a clock
/// later, and takes a word in every cycle its consumer does.
///
/// An output word (`m_*`) and a skid word (`{name}_sk_*`): the output loads
/// when it is empty or taken; a word that arrives while the output is held
/// waits in the skid word, and `s_ready` (a kept copy of `!sk_valid`,
/// `{name}_s_ready_k0`) is low while it does.
pub fn reg_slice(
    m: &mut Module,
    name: &str,
    s_data: &Expr,
    s_valid: &Expr,
    m_ready: &Expr,
) -> Result<Slice, RtlError> {
    let ty = Ty::u(s_data.width());
    let m_valid = m.reg(&format!("{name}_m_valid"), Ty::BIT, Some(0))?;
    let m_data = m.reg(&format!("{name}_m_data"), ty, None)?;
    let sk_valid = m.reg(&format!("{name}_sk_valid"), Ty::BIT, Some(0))?;
    let sk_data = m.reg(&format!("{name}_sk_data"), ty, None)?;
    let room = m.wire(&format!("{name}_room"), &sk_valid.not())?;
    let s_fire = m.wire(&format!("{name}_s_fire"), &s_valid.and(&room)?)?;
    // the output is empty or taken in this cycle: it loads the skid word
    // if there is one, else the arriving word
    let load = m.wire(&format!("{name}_load"), &m_valid.not().or(m_ready)?)?;
    let any = sk_valid.or(&s_fire)?;
    m.next(&m_valid, &Expr::mux(&load, &any, &m_valid)?, None)?;
    m.next(
        &m_data,
        &Expr::mux(&sk_valid, &sk_data, s_data)?,
        Some(&load.and(&any)?),
    )?;
    let hold = m.wire(&format!("{name}_hold"), &load.not().and(&s_fire)?)?;
    let sk_next = m.wire(
        &format!("{name}_sk_next"),
        &Expr::mux(&load, &Expr::konst(0, Ty::BIT)?, &sk_valid.or(&hold)?)?,
    )?;
    m.next(&sk_valid, &sk_next, None)?;
    m.next(&sk_data, s_data, Some(&hold))?;
    // the producer's ready: `!sk_valid` as a kept register of its own, so
    // the placer can put it by the producer while `sk_valid` stays by the
    // output word it selects (one register for both sat by the output, and
    // the producer's logic that reads it beside it, across the die from
    // the rest of the producer)
    let s_ready = m
        .reg_copies(&format!("{name}_s_ready"), &sk_next.not(), None, Some(1), 1)?
        .remove(0);
    Ok(Slice {
        s_ready,
        m_data,
        m_valid,
    })
}

/// Two register slices in a row, `{name}_*` then `{name}2_*`: the stream
/// crosses the die between them, so each can sit by its own end.
pub(crate) fn slice_pair(
    m: &mut Module,
    name: &str,
    s_data: &Expr,
    s_valid: &Expr,
    m_ready: &Expr,
) -> Result<Slice, RtlError> {
    let mid_ready = m.wire_decl(&format!("{name}_mid_ready"), Ty::BIT)?;
    let first = reg_slice(m, name, s_data, s_valid, &mid_ready)?;
    let second = reg_slice(
        m,
        &format!("{name}2"),
        &first.m_data,
        &first.m_valid,
        m_ready,
    )?;
    m.assign(&mid_ready, &second.s_ready)?;
    Ok(Slice {
        s_ready: first.s_ready,
        ..second
    })
}

/// Name of the register slice alone ([`design_slice`]).
pub const SLICE: &str = "rxdsp_reg_slice";

/// [`reg_slice`] of a `width`-bit stream as a module of its own
/// (`s_axis_*` in, `m_axis_*` out), for its testbench.
pub fn design_slice(width: u32) -> Result<Design, RtlError> {
    if !(1..=64).contains(&width) {
        return Err(RtlError::Param {
            name: "register slice width",
            value: width as i64,
            why: "must be 1..64 bits".into(),
        });
    }
    let mut m = Module::new(
        SLICE,
        Header::new("register slice (two-word skid buffer)", crate::regen::SLICE)
            .param("width", width)
            .latency(1),
    );
    m.clock()?;
    let d = m.input("s_axis_tdata", Ty::u(width), "input word")?;
    let v = m.input("s_axis_tvalid", Ty::BIT, "input word valid")?;
    let r = m.input(
        "m_axis_tready",
        Ty::BIT,
        "the consumer takes the output word",
    )?;
    let s = reg_slice(&mut m, "sl", &d, &v, &r)?;
    m.output(
        "s_axis_tready",
        &s.s_ready,
        "the slice takes a word (a register)",
    )?;
    m.output("m_axis_tdata", &s.m_data, "output word (a register)")?;
    m.output(
        "m_axis_tvalid",
        &s.m_valid,
        "output word valid (a register)",
    )?;
    Ok(Design {
        files: vec![(format!("{SLICE}.v"), m.emit()?)],
        ports: m.ports().to_vec(),
        latency: 1,
    })
}
