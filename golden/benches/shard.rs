//! A shard of a run beside the run it is cut from: `run_shard` of 2^20
//! symbols in the middle of a run (the transmitter's jump, the receiver's
//! lookback and coalescence, the coefficient design) against `link::run` of
//! the same 2^20 symbols from the start (the reference: no jump, no
//! lookback), both on one thread. The ratio is the shard engine's overhead;
//! docs/sweeps.md has the figures. And the PRBS jump itself: `WordLfsr::at_bit`
//! to bit 2^40 against stepping 2^20 bits (the naive way to get anywhere).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use golden::config::Config;
use golden::link::{run, RunOptions};
use golden::prbs::{Polynomial, WordLfsr};
use golden::shard::run_shard;
use std::hint::black_box;

const L: u64 = 1 << 20;

fn shard_vs_run(c: &mut Criterion) {
    let mut cfg = Config::default();
    cfg.channel.snr_db = 24.0;
    cfg.link.symbols = L as i64;
    let plan = cfg.resolve().expect("default resolves");
    let mut g = c.benchmark_group("shard");
    g.throughput(Throughput::Elements(L));
    g.sample_size(10);
    g.bench_function("reference_run_from_the_start", |b| {
        b.iter(|| black_box(run(&plan, &RunOptions::default()).expect("run")))
    });
    g.bench_function("shard_37_of_the_run", |b| {
        b.iter(|| black_box(run_shard(&plan, L, 37, 1).expect("shard")))
    });
    g.finish();
}

fn prbs_jump(c: &mut Criterion) {
    let mut g = c.benchmark_group("prbs_jump");
    g.bench_function("naive_step_2^20_bits", |b| {
        b.iter(|| {
            let mut l = WordLfsr::new(Polynomial::PRBS31);
            let mut out = vec![0u8; 1 << 19];
            l.fill(&mut out);
            black_box(out[0])
        })
    });
    g.bench_function("matrix_power_to_bit_2^40", |b| {
        b.iter(|| black_box(WordLfsr::at_bit(Polynomial::PRBS31, 1 << 40).next_symbol()))
    });
    g.finish();
}

criterion_group!(benches, shard_vs_run, prbs_jump);
criterion_main!(benches);
