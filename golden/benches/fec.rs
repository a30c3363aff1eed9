//! RS FEC throughput, naive reference beside the fast engines.
//!
//! Throughput is in payload bits (514 x 10 per codeword): criterion's "elem/s" = bit/s.
//! Run: `cargo bench -p rxdsp-golden --bench fec`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use golden::fec::{Code, Codec, Engine};

const WORDS: usize = 64;

/// splitmix64 for reproducible inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `WORDS` messages and their codewords, each codeword with `errors` symbol errors at
/// distinct random positions.
fn inputs(code: Code, errors: usize) -> (Vec<u16>, Vec<u16>) {
    let (n, k) = (code.n(), code.k());
    let mut rng = Rng(errors as u64 + 17);
    let msgs: Vec<u16> = (0..WORDS * k).map(|_| (rng.next() & 1023) as u16).collect();
    let mut cws = vec![0u16; WORDS * n];
    Codec::new(code).encode_many(&msgs, &mut cws).unwrap();
    for cw in cws.chunks_exact_mut(n) {
        let mut hit = vec![false; n];
        let mut placed = 0;
        while placed < errors {
            let p = (rng.next() % n as u64) as usize;
            if !hit[p] {
                hit[p] = true;
                cw[p] ^= 1 + (rng.next() % 1023) as u16;
                placed += 1;
            }
        }
    }
    (msgs, cws)
}

const ENGINES: [(&str, Engine); 4] = [
    ("naive", Engine::Naive),
    ("fast", Engine::Fast),
    ("fast_avx2", Engine::FastAvx2),
    ("fast_scalar", Engine::FastScalar),
];

fn bench(c: &mut Criterion) {
    for code in [Code::Kp4, Code::Kr4] {
        let (n, k) = (code.n(), code.k());
        let payload_bits = (WORDS * k * 10) as u64;

        let mut g = c.benchmark_group(format!("{code}/encode"));
        g.throughput(Throughput::Elements(payload_bits));
        let (msgs, _) = inputs(code, 0);
        let mut out = vec![0u16; WORDS * n];
        for (name, engine) in ENGINES {
            let codec = Codec::with_engine(code, engine);
            g.bench_function(name, |b| {
                b.iter(|| codec.encode_many(black_box(&msgs), &mut out).unwrap())
            });
        }
        g.finish();

        for errors in [0, code.t()] {
            let mut g = c.benchmark_group(format!("{code}/decode"));
            g.throughput(Throughput::Elements(payload_bits));
            let (_, rx) = inputs(code, errors);
            let mut out = vec![0u16; WORDS * k];
            for (name, engine) in ENGINES {
                let codec = Codec::with_engine(code, engine);
                let stats = codec.decode_many(&rx, &mut out).unwrap();
                assert_eq!(stats.corrected_symbols, (WORDS * errors) as u64);
                g.bench_function(BenchmarkId::new(name, format!("{errors}err")), |b| {
                    b.iter(|| codec.decode_many(black_box(&rx), &mut out).unwrap())
                });
            }
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
