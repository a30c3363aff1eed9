//! The BER checker's golden model: the receiver's decisions against a
//! delay-matched copy of the transmitted symbols, counted with
//! [`ErrorCounter`] (so its counts are those of `rxdsp sim` by construction).
//!
//! ## Alignment
//! Received symbol `k` (counted from the first received word after a clear,
//! lane 0 first) is compared with transmitted symbol `k - delay`;
//! transmitted symbols before index 0 are level index 0, data 0 (as
//! `link::RxSide`'s zero-filled history). Only received indices in
//! `[skip, limit)` are counted (`limit = 0`: no limit). A burst still open
//! when the index reaches `limit` is closed then ([`ErrorCounter::finish`]).
//!
//! ## Pairing
//! Transmitted and received words arrive separately; received word `j` takes
//! transmitted word `j` (first in, first out), as the RTL block
//! `rxdsp_check` does with its FIFO.
//!
//! ## Counter map
//! [`CheckCounts::words`] lists the counters in the order of the RTL's
//! snapshot read port ([`counter_names`], [`addr`]): the one definition of the map.

use crate::config::LinkPlan;
use crate::stats::{DelayedTx, ErrorCounter, MAX_BURST_BIN};
use std::collections::VecDeque;

/// Number of counters in the snapshot (the read port's address range).
pub const NUM_COUNTERS: usize = addr::BURSTS + MAX_BURST_BIN + 1;

/// Addresses of the counters in the snapshot (`rd_addr` of `rxdsp_check`).
pub mod addr {
    /// symbols compared
    pub const SYMBOLS: usize = 0;
    /// wrong decisions (level index differs)
    pub const SYMBOL_ERRORS: usize = 1;
    /// bits compared (2 per symbol)
    pub const BITS: usize = 2;
    /// wrong bits (data symbols XOR, popcount)
    pub const BIT_ERRORS: usize = 3;
    /// wrong decisions whose transmitted level index is `a`: at `LEVEL_ERRORS + a`
    pub const LEVEL_ERRORS: usize = 4;
    /// the longest burst
    pub const LONGEST_BURST: usize = 8;
    /// bursts of length `b` (`1..=MAX_BURST_BIN`) at `BURSTS + b - 1`; longer
    /// ones at `BURSTS + MAX_BURST_BIN`
    pub const BURSTS: usize = 9;
}

/// The name of counter `i` of the snapshot (`i < NUM_COUNTERS`), as the docs list it.
pub fn counter_name(i: usize) -> String {
    match i {
        addr::SYMBOLS => "symbols".into(),
        addr::SYMBOL_ERRORS => "symbol_errors".into(),
        addr::BITS => "bits".into(),
        addr::BIT_ERRORS => "bit_errors".into(),
        4..=7 => format!("level_errors[{}]", i - addr::LEVEL_ERRORS),
        addr::LONGEST_BURST => "longest_burst".into(),
        _ => {
            let b = i - addr::BURSTS + 1;
            if b <= MAX_BURST_BIN {
                format!("bursts[{b}]")
            } else {
                format!("bursts[{b}] (longer than {MAX_BURST_BIN})")
            }
        }
    }
}

/// The counter names in address order.
pub fn counter_names() -> Vec<String> {
    (0..NUM_COUNTERS).map(counter_name).collect()
}

/// The checker's counters (a snapshot of [`ErrorCounter`]'s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckCounts {
    /// symbols compared
    pub symbols: u64,
    /// wrong decisions
    pub symbol_errors: u64,
    /// bits compared
    pub bits: u64,
    /// wrong bits
    pub bit_errors: u64,
    /// wrong decisions by transmitted level index
    pub level_errors: [u64; 4],
    /// the longest closed burst
    pub longest_burst: u64,
    /// `bursts[b - 1]` = closed bursts of length `b` (`1..=MAX_BURST_BIN`), the
    /// last entry those longer
    pub bursts: [u64; MAX_BURST_BIN + 1],
}

impl Default for CheckCounts {
    fn default() -> Self {
        CheckCounts::of(&ErrorCounter::default())
    }
}

impl CheckCounts {
    /// The counts of `c` (closed bursts only: an open run is not in them).
    pub fn of(c: &ErrorCounter) -> CheckCounts {
        let mut bursts = [0; MAX_BURST_BIN + 1];
        bursts.copy_from_slice(&c.bursts[1..]);
        CheckCounts {
            symbols: c.symbols,
            symbol_errors: c.symbol_errors,
            bits: c.bits,
            bit_errors: c.bit_errors,
            level_errors: c.level_errors,
            longest_burst: c.longest_burst,
            bursts,
        }
    }

    /// The counter these counts are a snapshot of, with no burst open: the
    /// inverse of [`CheckCounts::of`] (`CheckCounts::of(&c.counter()) == c`,
    /// and `CheckCounts::of(e).counter() == *e` for a finished `e`). Counts
    /// read off the device become a report through this and
    /// `crate::link::assemble_report`.
    pub fn counter(&self) -> ErrorCounter {
        let mut c = ErrorCounter::default();
        c.symbols = self.symbols;
        c.symbol_errors = self.symbol_errors;
        c.bits = self.bits;
        c.bit_errors = self.bit_errors;
        c.level_errors = self.level_errors;
        c.longest_burst = self.longest_burst;
        c.bursts[1..].copy_from_slice(&self.bursts);
        c
    }

    /// The counts of a snapshot read in address order: the inverse of
    /// [`CheckCounts::words`].
    pub fn from_words(w: &[u64; NUM_COUNTERS]) -> CheckCounts {
        let mut level_errors = [0; 4];
        level_errors.copy_from_slice(&w[addr::LEVEL_ERRORS..addr::LEVEL_ERRORS + 4]);
        let mut bursts = [0; MAX_BURST_BIN + 1];
        bursts.copy_from_slice(&w[addr::BURSTS..]);
        CheckCounts {
            symbols: w[addr::SYMBOLS],
            symbol_errors: w[addr::SYMBOL_ERRORS],
            bits: w[addr::BITS],
            bit_errors: w[addr::BIT_ERRORS],
            level_errors,
            longest_burst: w[addr::LONGEST_BURST],
            bursts,
        }
    }

    /// The counters in snapshot address order ([`addr`]).
    pub fn words(&self) -> Vec<u64> {
        let mut w = vec![self.symbols, self.symbol_errors, self.bits, self.bit_errors];
        w.extend_from_slice(&self.level_errors);
        w.push(self.longest_burst);
        w.extend_from_slice(&self.bursts);
        debug_assert_eq!(w.len(), NUM_COUNTERS);
        w
    }
}

/// The run-time registers of the checker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckRegs {
    /// received symbol `k` is compared with transmitted symbol `k - delay`
    pub delay: u64,
    /// received symbols before this index are not counted (`warmup_symbols`)
    pub skip: u64,
    /// received symbols from this index on are not counted; 0 = no limit
    pub limit: u64,
}

/// The registers that make the checker count what `rxdsp sim` (`link::run`)
/// counts for `plan` with decision delay `delay` (the report's
/// `equalizer.delay`): `delay`, `skip` = the warm-up
/// ([`crate::link::warmup_symbols`], the report's `skipped_symbols`), `limit`
/// = `plan.symbols`.
///
/// The checker counts received indices below `limit` only, lane by lane (a
/// limit that is not a multiple of the word width masks the end of its word),
/// and stops counting there: words after the one holding index `limit - 1`
/// change nothing. So a device that runs whole words, any number of them
/// beyond `ceil(symbols / P)`, counts exactly the `symbols` of `rxdsp sim`.
pub fn regs_for(plan: &LinkPlan, delay: usize) -> CheckRegs {
    CheckRegs {
        delay: delay as u64,
        skip: crate::link::warmup_symbols(plan, delay),
        limit: plan.symbols,
    }
}

/// The checker: transmitted words in, received words in, counts out.
#[derive(Clone, Debug)]
pub struct Checker {
    regs: CheckRegs,
    counter: ErrorCounter,
    /// transmitted words not yet paired: (levels, data)
    fifo: VecDeque<(Vec<u8>, Vec<u8>)>,
    /// the last `delay` transmitted levels/data, then the current word's
    tx: DelayedTx,
    /// received symbols so far
    k: u64,
    done: bool,
}

impl Checker {
    /// A cleared checker with registers `regs`.
    pub fn new(regs: CheckRegs) -> Checker {
        Checker {
            regs,
            counter: ErrorCounter::default(),
            fifo: VecDeque::new(),
            tx: DelayedTx::new(regs.delay as usize),
            k: 0,
            done: false,
        }
    }

    /// The `clear` pulse: everything back to [`Checker::new`] with `regs`.
    pub fn clear(&mut self, regs: CheckRegs) {
        *self = Checker::new(regs);
    }

    /// A transmitted word: level indices and data symbols, lane 0 first.
    pub fn push_tx(&mut self, levels: &[u8], data: &[u8]) {
        assert_eq!(levels.len(), data.len());
        self.fifo.push_back((levels.to_vec(), data.to_vec()));
    }

    /// Transmitted words waiting for their received word.
    pub fn pending(&self) -> usize {
        self.fifo.len()
    }

    /// A received word (pairs with the oldest waiting transmitted word; none
    /// waiting: refused with a panic, the caller's protocol error).
    pub fn push_rx(&mut self, levels: &[u8], data: &[u8]) {
        let (tl, td) = self
            .fifo
            .pop_front()
            .expect("a received word without its transmitted word");
        let n = levels.len();
        assert!(tl.len() == n && data.len() == n, "word widths differ");
        self.tx.push(&tl, &td);
        // received index k + i <-> tx[i]
        let k = self.k;
        let lim = if self.regs.limit == 0 {
            u64::MAX
        } else {
            self.regs.limit
        };
        let lo = self.regs.skip.clamp(k, k + n as u64) - k;
        let hi = lim.clamp(k, k + n as u64) - k;
        if lo < hi {
            let (lo, hi) = (lo as usize, hi as usize);
            self.counter.update(
                &self.tx.levels()[lo..hi],
                &levels[lo..hi],
                &self.tx.data()[lo..hi],
                &data[lo..hi],
            );
        }
        if !self.done && k + n as u64 >= lim {
            self.counter.finish();
            self.done = true;
        }
        self.k += n as u64;
    }

    /// The counters now (the `snap` of the RTL: closed bursts only).
    pub fn counts(&self) -> CheckCounts {
        CheckCounts::of(&self.counter)
    }

    /// Every symbol up to the limit counted (and the open burst closed).
    pub fn done(&self) -> bool {
        self.done
    }

    /// Received symbols so far.
    pub fn received(&self) -> u64 {
        self.k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Xoshiro256pp;

    /// Received/transmitted streams with errors of every kind: isolated ones,
    /// bursts, a long all-wrong stretch, data errors with the level right.
    fn streams(r: &mut Xoshiro256pp, n: usize, d: usize) -> [Vec<u8>; 4] {
        let tl: Vec<u8> = (0..n).map(|_| (r.next_u64() & 3) as u8).collect();
        let td: Vec<u8> = (0..n).map(|_| (r.next_u64() & 3) as u8).collect();
        // rx k carries tx k - d (zeros before 0)
        let at = |v: &Vec<u8>, k: usize| if k >= d { v[k - d] } else { 0 };
        let mut rl: Vec<u8> = (0..n).map(|k| at(&tl, k)).collect();
        let mut rd: Vec<u8> = (0..n).map(|k| at(&td, k)).collect();
        let mut k = 0;
        while k < n {
            let x = r.next_u64() % 1000;
            if x < 10 {
                let len = 1 + (r.next_u64() % 40) as usize;
                for j in k..(k + len).min(n) {
                    rl[j] = (rl[j] + 1 + (r.next_u64() % 3) as u8) & 3;
                    rd[j] ^= (r.next_u64() & 3) as u8;
                }
                k += len;
            } else if x < 12 {
                rd[k] ^= 1 + (r.next_u64() % 3) as u8;
            }
            k += 1;
        }
        let s = n / 3;
        for x in rl.iter_mut().skip(s).take(300) {
            *x ^= 2;
        }
        [tl, td, rl, rd]
    }

    /// Over long random streams with random delay, skip and limit, fed word by
    /// word with the tx words ahead by a random amount, the checker's counts
    /// equal `RxSide`'s alignment (zero-filled history, skip) plus
    /// [`ErrorCounter`] over the whole stream, finished at the limit.
    #[test]
    fn checker_equals_rxside_alignment() {
        let mut r = Xoshiro256pp::new(13);
        for case in 0..60 {
            let p = [1usize, 2, 4, 8, 16, 32][case % 6];
            let n = p * (400 + (r.next_u64() % 300) as usize);
            let d = (r.next_u64() % 130) as usize;
            let skip = r.next_u64() % 400;
            let limit = match case % 4 {
                0 => 0,
                1 => 1 + r.next_u64() % skip.max(1),
                _ => skip + r.next_u64() % (n as u64 - skip),
            };
            let [tl, td, rl, rd] = streams(&mut r, n, d);
            let regs = CheckRegs {
                delay: d as u64,
                skip,
                limit,
            };
            let mut c = Checker::new(regs);
            let (mut t, mut q) = (0, 0);
            let words = n / p;
            while q < words {
                if t < words && (t == q || r.next_u64() % 3 < 2) {
                    c.push_tx(&tl[t * p..(t + 1) * p], &td[t * p..(t + 1) * p]);
                    t += 1;
                } else {
                    c.push_rx(&rl[q * p..(q + 1) * p], &rd[q * p..(q + 1) * p]);
                    q += 1;
                }
            }
            let mut want = ErrorCounter::default();
            let mut tl_ext = vec![0u8; d];
            tl_ext.extend_from_slice(&tl);
            let mut td_ext = vec![0u8; d];
            td_ext.extend_from_slice(&td);
            let end = if limit == 0 {
                n
            } else {
                (limit as usize).min(n)
            };
            let from = (skip as usize).min(end);
            want.update(
                &tl_ext[from..end],
                &rl[from..end],
                &td_ext[from..end],
                &rd[from..end],
            );
            let done = limit != 0 && limit as usize <= n;
            if done {
                want.finish();
            }
            assert_eq!(c.done(), done, "case {case}");
            assert_eq!(c.counts(), CheckCounts::of(&want), "case {case}");
            assert_eq!(
                want.level_errors.iter().sum::<u64>(),
                want.symbol_errors,
                "case {case}"
            );
        }
    }

    /// `counter` and `from_words` invert `of` and `words`: a finished counter
    /// with errors of every kind, and counts with every field distinct.
    #[test]
    fn counts_round_trip() {
        let mut r = Xoshiro256pp::new(7);
        let [tl, td, rl, rd] = streams(&mut r, 20_000, 0);
        let mut e = ErrorCounter::default();
        e.update(&tl, &rl, &td, &rd);
        e.finish();
        assert!(e.bursts[MAX_BURST_BIN + 1] > 0 && e.bursts[1] > 0);
        let c = CheckCounts::of(&e);
        assert_eq!(c.counter(), e);
        assert_eq!(CheckCounts::of(&c.counter()), c);
        let words: Vec<u64> = (0..NUM_COUNTERS as u64).map(|i| 1000 + 7 * i).collect();
        let w: [u64; NUM_COUNTERS] = words.clone().try_into().unwrap();
        let c = CheckCounts::from_words(&w);
        assert_eq!(c.words(), words);
        assert_eq!(CheckCounts::of(&c.counter()), c);
        assert_eq!(CheckCounts::from_words(&c.words().try_into().unwrap()), c);
    }

    #[test]
    fn the_map_has_every_counter_once() {
        let names = counter_names();
        assert_eq!(names.len(), NUM_COUNTERS);
        assert_eq!(names[addr::LEVEL_ERRORS + 3], "level_errors[3]");
        assert_eq!(names[addr::BURSTS], "bursts[1]");
        assert!(names[NUM_COUNTERS - 1].starts_with("bursts[33]"));
        let c = CheckCounts {
            symbols: 1,
            longest_burst: 7,
            ..Default::default()
        };
        assert_eq!(c.words()[addr::SYMBOLS], 1);
        assert_eq!(c.words()[addr::LONGEST_BURST], 7);
    }
}
