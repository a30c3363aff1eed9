//! `rxdsp bert --device sim:` through Verilator: a BER run on the simulated
//! device's own emulator, equalizer and checker (each iteration a whole run
//! from `bert_start`, the configuration writes included), beside the
//! golden model of the same link (`rxdsp sim` with `link.model =
//! "emulator"`), in symbols per second. The simulated device is a check of
//! the hardware, not a fast path: the ratio says how much slower the
//! cycle-accurate model is.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use golden::check::regs_for;
use golden::config::{Config, LinkModel};
use golden::link::{choose_coeffs, run, RunOptions};
use rxdsp::device::{Device, DeviceBuild, Options};
use std::hint::black_box;
use std::time::Duration;

fn bench_bert(c: &mut Criterion) {
    let n: i64 = 1 << 20;
    let mut cfg = Config::default();
    cfg.link.symbols = n;
    cfg.link.model = LinkModel::Emulator;
    let plan = cfg.resolve().unwrap();
    let eqr = choose_coeffs(&plan, 1, None).unwrap();
    let coeffs = eqr.coeffs();
    let mut dev = Device::open_build(
        "sim:",
        &DeviceBuild::bert_of_plan(&plan),
        Options::default(),
    )
    .expect("the simulated device with the BER tester");
    let writes = rtl::emu::plan_writes(&plan, dev.bert().unwrap().emu_taps as usize).unwrap();
    let regs = regs_for(&plan, eqr.delay);
    let mut g = c.benchmark_group("bert_default_link");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("device_sim_verilator", |b| {
        b.iter(|| {
            dev.bert_start(&coeffs, &writes, &regs).unwrap();
            loop {
                dev.idle(1 << 16, Duration::ZERO).unwrap();
                let p = dev.bert_poll().unwrap();
                if p.done {
                    break black_box(p.counts.bit_errors);
                }
            }
        })
    });
    g.bench_function("golden_sim_reference", |b| {
        b.iter(|| {
            let o = RunOptions {
                threads: 1,
                ..Default::default()
            };
            black_box(run(&plan, &o).unwrap().report.pre_fec.bit_errors)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_bert);
criterion_main!(benches);
