//! The realistic link's hot paths: sampling the oversampled waveform at a
//! jittered instant (the polyphase [`Sampler`] beside the naive term-by-term
//! interpolation), and whole runs at 32 samples per UI with CTLE and jitter,
//! with and without the CDR.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use golden::channel;
use golden::config::{CdrKind, Config};
use golden::link::{run, RunOptions};
use golden::rng::Xoshiro256pp;
use golden::wave::{sample_naive, Sampler, Wave};
use std::hint::black_box;

fn bench_sampler(c: &mut Criterion) {
    let w = Wave::from_preset(channel::preset("lpo-host-16db").unwrap(), 32).padded_front(3);
    let pos = w.peak as f64;
    let sm = Sampler::new(&w, pos, 1.5);
    let mut r = Xoshiro256pp::new(1);
    let n = 1 << 16;
    let amp: Vec<f32> = (0..n + 200)
        .map(|_| [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0][(r.next_u64() & 3) as usize])
        .collect();
    let jit: Vec<f64> = (0..n).map(|_| 0.05 * r.normal()).collect();
    let mut g = c.benchmark_group("wave_sampler_s32");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("polyphase", |b| {
        b.iter(|| {
            let mut s = 0.0f32;
            for (i, &d) in jit.iter().enumerate() {
                s += sm.sample(&amp, 200 + i, d);
            }
            black_box(s)
        })
    });
    g.bench_function("naive", |b| {
        b.iter(|| {
            let mut s = 0.0f64;
            for (i, &d) in jit.iter().enumerate() {
                s += sample_naive(&w, pos, &amp, 200 + i, d);
            }
            black_box(s)
        })
    });
    g.finish();
}

fn realistic(cdr: bool) -> Config {
    let mut c = Config::default();
    c.link.symbols = 1 << 21;
    c.channel.samples_per_ui = 32;
    c.ctle.preset = Some("802.3ck".into());
    c.ctle.g_dc = Some(-4.0);
    c.jitter.rj_ui = 0.01;
    c.jitter.sj_ui = 0.1;
    c.jitter.sj_freq = 1e6;
    if cdr {
        c.cdr.kind = CdrKind::Mm;
    }
    c
}

fn bench_runs(c: &mut Criterion) {
    let mut g = c.benchmark_group("link_sim_s32_ctle_jitter");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1 << 21));
    for (name, cdr) in [("fixed_phase", false), ("cdr", true)] {
        let plan = realistic(cdr).resolve().unwrap();
        for threads in [1usize, 2] {
            g.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &t| {
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
    }
    g.finish();
}

criterion_group!(benches, bench_sampler, bench_runs);
criterion_main!(benches);
