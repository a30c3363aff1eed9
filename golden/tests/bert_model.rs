//! The software BERT: `rxdsp bert`'s data path modelled word by word, as the
//! device runs it, against `rxdsp sim` (`link::run`) of the same
//! configuration with `link.model = "emulator"`.
//!
//! The device: the emulator `rxdsp_emu` sends `P`-symbol words; each carries
//! its ADC samples (`m_axis_tdata`, into the receiver) and the transmitted
//! level indices and data symbols (`m_axis_tlevel`, `m_axis_tuser`: what the
//! transmitter sent, before the error injector), into the checker's
//! transmitted-word FIFO. The receiver (fixed coefficients, those `rxdsp sim`
//! chooses) decides every sample; its decided word (levels and data) is the
//! checker's received word. The checker runs with [`golden::check::regs_for`]
//! and the host reads its counters ([`golden::check::CheckCounts`]) and builds
//! the report with [`golden::link::assemble_report`].
//!
//! Here: [`golden::emu::EmuStream`] one word at a time stands for the emulator,
//! [`golden::eq::Equalizer`] (`Engine::Fast`) for the receiver, and
//! [`golden::check::Checker`] for the checker, transmitted words pushed ahead
//! of the received ones by a varying amount (the FIFO's fill). The report
//! assembled from the checker's counts equals `link::run`'s key for key
//! (everything but `timing`, which differs by nature).
//!
//! ## Symbols not a multiple of `P`
//! The device runs whole words, and keeps running after the limit. The
//! checker counts received indices below `limit = symbols` only, masking the
//! lanes at and after `limit` in the word that holds index `limit - 1`, and
//! closes the open burst there (`done` rises); later words change nothing.
//! So `ceil(symbols / P)` words (or more) give exactly the counts of
//! `rxdsp sim` over `symbols` symbols: the extra lanes' samples are decided
//! but not counted, and nothing before them depends on them (the emulator's
//! lanes and the receiver are causal). The runs below with `symbols` not a
//! multiple of `P` and extra words after the limit show it.

use golden::check::{regs_for, Checker};
use golden::config::{Config, LinkModel};
use golden::emu::EmuStream;
use golden::eq::{Engine, Equalizer};
use golden::link::{
    assemble_report, choose_coeffs, emu_report, run, Batch, ReportExtras, RunOptions, TimingReport,
};

/// Words run after the one holding the limit (the device does not stop there).
const EXTRA_WORDS: usize = 5;

/// `rxdsp bert`'s report from the device model, and `rxdsp sim`'s.
fn both_reports(c: &Config) -> (serde_json::Value, serde_json::Value) {
    let plan = c.resolve().expect("valid config");
    let sim = run(&plan, &RunOptions::default()).expect("sim").report;

    let eqr = choose_coeffs(&plan, 1, None).expect("coefficients");
    let coeffs = eqr.coeffs();
    let mut eq = Equalizer::new(&plan.format, &coeffs, Engine::Fast).expect("equalizer");
    let mut emu = EmuStream::new(&plan).expect("emulator");
    let regs = regs_for(&plan, eqr.delay);
    let mut chk = Checker::new(regs);
    let p = plan.parallel;
    let words = (plan.symbols as usize).div_ceil(p);
    let (mut b, mut lv, mut data) = (Batch::default(), vec![0u8; p], vec![0u8; p]);
    // received words wait for the receiver: the transmitted ones run ahead
    let mut pending: std::collections::VecDeque<Vec<i16>> = Default::default();
    for w in 0..words + EXTRA_WORDS {
        emu.next_batch(p, &mut b);
        chk.push_tx(&b.levels, &b.data);
        pending.push_back(b.samples.clone());
        let ahead = [0, 1, 3, 2][w % 4];
        while pending.len() > ahead || (w + 1 == words + EXTRA_WORDS && !pending.is_empty()) {
            let x = pending.pop_front().unwrap();
            eq.process(&x, &mut lv, &mut data);
            chk.push_rx(&lv, &data);
            let received = chk.received() as usize / p;
            assert_eq!(chk.done(), received >= words, "done after word {received}");
        }
    }
    assert_eq!(chk.pending(), 0);

    let extras = ReportExtras {
        timing: TimingReport {
            seconds: 1.0,
            symbols_per_second: plan.symbols as f64,
            threads: 1,
        },
        adaptation: None,
        cdr: None,
        emulator: emu_report(&plan).expect("emulator report"),
    };
    let bert = assemble_report(&plan, eqr, &chk.counts().counter(), None, extras);
    let json = |r| serde_json::to_value(r).expect("serializes");
    (json(&bert), json(&sim))
}

fn emulator(symbols: i64) -> Config {
    let mut c = Config::default();
    c.link.model = LinkModel::Emulator;
    c.link.symbols = symbols;
    c
}

/// Every key but `timing` equal; both have `timing`.
fn assert_same(name: &str, mut bert: serde_json::Value, mut sim: serde_json::Value) {
    let (b, s) = (bert.as_object_mut().unwrap(), sim.as_object_mut().unwrap());
    assert!(b.remove("timing").is_some() && s.remove("timing").is_some());
    let keys =
        |m: &serde_json::Map<String, serde_json::Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(b), keys(s), "{name}: keys");
    for (k, v) in s.iter() {
        assert_eq!(&b[k], v, "{name}: key {k}");
    }
    assert!(b["fec"].is_null(), "{name}: no FEC in the device");
}

/// The configurations of the issue, with errors and bursts in most, and runs
/// whose length is not a multiple of `P`.
#[test]
fn checker_counts_give_sims_report() {
    let mut cases: Vec<(&str, Config)> = Vec::new();
    cases.push(("default", emulator(200_000)));
    let mut c = emulator(200_003);
    c.channel.snr_db = 25.0;
    cases.push(("default, 25 dB, symbols % P = 3", c));
    let mut c = emulator(150_000);
    c.tx.precode = true;
    c.dfe.taps = 2;
    c.channel.snr_db = 24.0;
    cases.push(("precode, dfe.taps = 2, 24 dB", c));
    let mut c = emulator(150_001);
    c.rtl.parallel = 4;
    c.ffe.taps = 7;
    c.channel.snr_db = 25.0;
    cases.push(("rtl.parallel = 4, ffe.taps = 7, symbols % P = 1", c));
    let mut c = emulator(160_007);
    c.link.inject_every = 997;
    cases.push(("inject_every = 997", c));
    let mut c = emulator(60_000);
    c.rtl.parallel = 32;
    c.link.inject_every = 64;
    c.tx.precode = true;
    c.channel.snr_db = 26.0;
    cases.push(("rtl.parallel = 32, inject_every = 64, precode", c));

    let mut with_bursts = 0;
    for (name, c) in &cases {
        let (bert, sim) = both_reports(c);
        let errors = sim["pre_fec"]["symbol_errors"].as_u64().unwrap();
        let longest = sim["bursts"]["longest"].as_u64().unwrap();
        eprintln!(
            "{name}: {} symbols, skipped {}, {errors} symbol errors, {} bit errors, longest burst {longest}",
            sim["symbols"], sim["skipped_symbols"], sim["pre_fec"]["bit_errors"]
        );
        if longest > 1 {
            with_bursts += 1;
        }
        assert_same(name, bert, sim);
    }
    // the comparison is not between empty counters
    assert!(with_bursts >= 3, "{with_bursts} cases with bursts");
}

/// With the injector on a clean channel, the errors are exactly the injected
/// symbols in the counted window: the alignment (delay, skip, limit) is the
/// device's, not one that merely agrees with itself.
#[test]
fn injected_errors_are_counted_where_they_are() {
    let mut c = emulator(100_005);
    c.link.inject_every = 1000;
    c.channel.snr_db = 40.0;
    let plan = c.resolve().unwrap();
    let (bert, sim) = both_reports(&c);
    let skip = sim["skipped_symbols"].as_u64().unwrap();
    let delay = sim["equalizer"]["delay"].as_u64().unwrap() as usize;
    assert_eq!(regs_for(&plan, delay).skip, skip);
    // symbol n sent is decided at received index n + delay, counted in [skip, symbols)
    let want = (0..plan.symbols)
        .filter(|&n| golden::emu::injected(n, 1000))
        .filter(|&n| (skip..plan.symbols).contains(&(n + delay as u64)))
        .count() as u64;
    assert_eq!(sim["pre_fec"]["symbol_errors"].as_u64().unwrap(), want);
    assert_eq!(sim["bursts"]["histogram"][1].as_u64().unwrap(), want);
    assert_same("inject 1000, 40 dB", bert, sim);
}
