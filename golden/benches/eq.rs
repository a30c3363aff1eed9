//! Equalizer throughput: the fast engine beside the naive reference, on the
//! issue's reference setup (16-tap FFE, 1-tap DFE, slicer, 8-bit samples).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use golden::eq::{Engine, Equalizer};
use golden::numeric::{RxCoeffs, RxFormat};
use golden::rng::Xoshiro256pp;
use std::hint::black_box;

fn setup(n: usize) -> (RxFormat, RxCoeffs, Vec<i16>) {
    let fmt = RxFormat::default();
    let mut r = Xoshiro256pp::new(3);
    let ffe = (0..fmt.ffe_taps)
        .map(|_| (r.next_u64() % 512) as i32 - 256)
        .collect();
    let c = RxCoeffs {
        ffe,
        dfe: vec![30],
        threshold: 100,
    };
    let x = (0..n).map(|_| (r.next_u64() % 256) as i16 - 128).collect();
    (fmt, c, x)
}

fn bench_eq(c: &mut Criterion) {
    let n = 1 << 16;
    let (fmt, coeffs, x) = setup(n);
    let mut g = c.benchmark_group("equalizer_ffe16_dfe1");
    g.throughput(Throughput::Elements(n as u64));
    for engine in [Engine::Naive, Engine::Fast] {
        let mut eq = Equalizer::new(&fmt, &coeffs, engine).unwrap();
        let mut lv = vec![0u8; n];
        let mut d = vec![0u8; n];
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{engine:?}")),
            &x,
            |b, x| {
                b.iter(|| {
                    eq.process(black_box(x), &mut lv, &mut d);
                    black_box(&d);
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench_eq);
criterion_main!(benches);
