//! The link simulation's per-symbol stages, each fast path beside its reference (the
//! same numbers, asserted in the unit tests): Gaussian noise ([`Normals::fill`] against
//! one [`Xoshiro256pp::normal`] call per deviate), error counting
//! ([`ErrorCounter::update`] against [`ErrorCounter::update_naive`]) and the PRBS source
//! ([`WordLfsr::fill`] against one [`WordLfsr::next_symbol`] call per symbol).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use golden::prbs::{Polynomial, WordLfsr};
use golden::rng::Xoshiro256pp;
use golden::stats::ErrorCounter;
use std::hint::black_box;

const N: usize = 1 << 16;

fn noise(c: &mut Criterion) {
    let mut g = c.benchmark_group("noise_normal");
    g.throughput(Throughput::Elements(N as u64));
    let mut out = vec![0.0f64; N];
    g.bench_function("naive_one_call_each", |b| {
        b.iter(|| {
            let mut r = Xoshiro256pp::new(1);
            for o in out.iter_mut() {
                *o = r.normal();
            }
            black_box(&out);
        })
    });
    g.bench_function("fast_fill", |b| {
        b.iter(|| {
            Xoshiro256pp::new(1).normals().fill(&mut out);
            black_box(&out);
        })
    });
    g.finish();
}

fn counter(c: &mut Criterion) {
    // a symbol error ratio of 1e-3 in bursts of 1..4, as a DFE link near its limit
    let mut r = Xoshiro256pp::new(2);
    let tx: Vec<u8> = (0..N).map(|_| (r.next_u64() & 3) as u8).collect();
    let mut rx = tx.clone();
    let mut i = 0;
    while i < N {
        if r.next_u64() % 1000 < 1 {
            let end = (i + 1 + (r.next_u64() % 4) as usize).min(N);
            for x in &mut rx[i..end] {
                *x ^= 1;
            }
        }
        i += 1;
    }
    let mut g = c.benchmark_group("error_counter");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("naive", |b| {
        b.iter(|| {
            let mut e = ErrorCounter::default();
            e.update_naive(&tx, &rx, &tx, &rx);
            black_box(e.bit_errors)
        })
    });
    g.bench_function("fast", |b| {
        b.iter(|| {
            let mut e = ErrorCounter::default();
            e.update(&tx, &rx, &tx, &rx);
            black_box(e.bit_errors)
        })
    });
    g.finish();
}

fn prbs(c: &mut Criterion) {
    let mut g = c.benchmark_group("prbs31_symbols");
    g.throughput(Throughput::Elements(N as u64));
    let mut out = vec![0u8; N];
    let mut a = WordLfsr::new(Polynomial::PRBS31);
    g.bench_function("naive_next_symbol", |b| {
        b.iter(|| {
            for o in out.iter_mut() {
                *o = a.next_symbol();
            }
            black_box(&out);
        })
    });
    let mut f = WordLfsr::new(Polynomial::PRBS31);
    g.bench_function("fast_fill", |b| {
        b.iter(|| {
            f.fill(&mut out);
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group!(benches, noise, counter, prbs);
criterion_main!(benches);
