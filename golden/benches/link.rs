//! End-to-end link simulation throughput (noise generation included, FEC off)
//! on 1 and 2 threads, beside a naive serial reference stage that draws the
//! noise with Box-Muller and convolves symbol by symbol.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use golden::config::Config;
use golden::link::{run, RunOptions};
use golden::rng::Xoshiro256pp;
use std::hint::black_box;

fn naive_channel(taps: &[f64], levels: &[u8], sigma: f64, seed: u64) -> Vec<i16> {
    let mut r = Xoshiro256pp::new(seed);
    let lv = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
    (0..levels.len())
        .map(|n| {
            let mut v = 0.0;
            for (j, h) in taps.iter().enumerate() {
                if n >= j {
                    v += h * lv[levels[n - j] as usize];
                }
            }
            let u1: f64 = 1.0 - r.next_f64();
            let u2 = r.next_f64();
            let g = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            ((v + sigma * g) * 128.0 + 0.5).floor().clamp(-128.0, 127.0) as i16
        })
        .collect()
}

fn bench_link(c: &mut Criterion) {
    let n: i64 = 1 << 21;
    let mut cfg = Config::default();
    cfg.link.symbols = n;
    let plan = cfg.resolve().unwrap();
    let mut g = c.benchmark_group("link_sim_default");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    for threads in [1usize, 2] {
        g.bench_with_input(BenchmarkId::new("fast", threads), &threads, |b, &t| {
            b.iter(|| {
                black_box(
                    run(
                        &plan,
                        &RunOptions {
                            threads: t,
                            ..Default::default()
                        },
                    )
                    .unwrap()
                    .report
                    .pre_fec
                    .bit_errors,
                )
            })
        });
    }
    let levels: Vec<u8> = (0..n as usize).map(|i| (i * 7 % 4) as u8).collect();
    g.bench_function("naive_channel_stage_only", |b| {
        b.iter(|| black_box(naive_channel(&plan.pulse.taps, &levels, plan.sigma, 1)))
    });
    g.finish();
}

criterion_group!(benches, bench_link);
criterion_main!(benches);
