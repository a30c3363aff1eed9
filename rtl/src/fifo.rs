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

use crate::hdl::{Expr, Module, Ty};
use crate::RtlError;
use golden::numeric::clog2;

/// Depth of a credit FIFO behind a pipeline of `latency` stages: room for
/// every word in flight. With `ready` in cycle `t + 1` the compare
/// `credit(t) <= depth - 2`, at most `depth` words are ever held, and a
/// stream that is never stalled (`latency` words in flight) never sees
/// `ready` low: `depth >= latency + 2`, rounded up to a power of two.
pub fn depth_for(latency: usize) -> usize {
    (latency + 2).next_power_of_two()
}

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
    /// that stage's register
    pub push: &'a Expr,
    /// a word started at the pipeline's input: it takes a credit
    pub take: &'a Expr,
    /// the consumer takes the head when it is valid
    pub m_ready: &'a Expr,
}

/// A credit FIFO of `depth` words named `{name}_*`, driven by `io`; its
/// ready register (the pipeline may start a word in this cycle) is assigned
/// to `ready_to`, a wire the caller declared before.
pub fn credit_fifo(
    m: &mut Module,
    name: &str,
    io: FifoIn<'_>,
    ready_to: &Expr,
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
    let ab = clog2(depth);
    let k = |v: i128, w: u32| Expr::konst(v, Ty::u(w));
    let mem = m.memory(name, Ty::u(word.width()), depth)?;
    let wp = m.reg(&format!("{name}_wp"), Ty::u(ab), Some(0))?;
    let rp = m.reg(&format!("{name}_rp"), Ty::u(ab), Some(0))?;
    let cnt = m.reg(&format!("{name}_cnt"), Ty::u(ab + 1), Some(0))?;
    let credit = m.reg(&format!("{name}_credit"), Ty::u(ab + 1), Some(0))?;
    let nonempty = m.reg(&format!("{name}_nonempty"), Ty::BIT, Some(0))?;
    let ready = m.reg(&format!("{name}_ready"), Ty::BIT, Some(1))?;
    m.assign(ready_to, &ready)?;
    let pop = m.wire(&format!("{name}_pop"), &nonempty.and(m_ready)?)?;
    m.mem_write(&mem, push, &wp, word)?;
    let one = k(1, ab)?;
    m.next(&wp, &wp.add(&one)?, Some(push))?;
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
    m.next(&ready, &room, None)?;
    let head = m.wire(&format!("{name}_head"), &mem.read(&rp)?)?;
    Ok(CreditFifo {
        valid: nonempty,
        head,
    })
}
