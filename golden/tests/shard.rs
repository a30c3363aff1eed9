//! Exact shards: the shards of a run, merged, are the run's counts, bit for
//! bit, over a matrix of configurations (DFE taps, precoding, FEC with and
//! without interleave, adaptive coefficients, noisy enough for bursts and
//! uncorrectable codewords), in any order.

use golden::config::{Config, EqMethod, FecKind};
use golden::link::{run, RunOptions, CHUNK};
use golden::shard::{merge, run_shard, MergedCounts};

fn check(name: &str, c: &Config, shards: u64, len: u64) -> MergedCounts {
    let mut c = c.clone();
    c.link.symbols = (shards * len) as i64;
    let plan = c.resolve().unwrap();
    let whole = run(&plan, &RunOptions::default()).unwrap().report;
    // shards computed in reverse order, two threads for the channel model
    let mut parts: Vec<_> = (0..shards)
        .rev()
        .map(|j| run_shard(&plan, len, j, 2).unwrap())
        .collect();
    parts.swap(0, (shards - 1) as usize);
    let m = merge(&parts).unwrap();
    assert_eq!(m.total, plan.symbols, "{name}");
    assert_eq!(m.symbols, whole.pre_fec.symbols.unwrap(), "{name}: symbols");
    assert_eq!(m.bits, whole.pre_fec.bits, "{name}: bits");
    assert_eq!(m.bit_errors, whole.pre_fec.bit_errors, "{name}: bit errors");
    assert_eq!(
        Some(m.level_errors),
        whole.pre_fec.level_errors,
        "{name}: level errors"
    );
    assert_eq!(
        m.symbol_errors,
        whole.pre_fec.symbol_errors.unwrap(),
        "{name}: symbol errors"
    );
    assert_eq!(m.bursts, whole.bursts.histogram, "{name}: bursts");
    assert_eq!(
        m.longest_burst, whole.bursts.longest,
        "{name}: longest burst"
    );
    match (&m.fec, &whole.fec) {
        (None, None) => {}
        (Some(f), Some(w)) => {
            assert_eq!(f.codewords, w.codewords, "{name}: codewords");
            assert_eq!(f.histogram, w.histogram, "{name}: FEC histogram");
            assert_eq!(f.corrected_symbols, w.corrected_symbols, "{name}");
            assert_eq!(
                f.uncorrectable_codewords, w.uncorrectable_codewords,
                "{name}"
            );
            assert_eq!(
                f.symbol_errors, w.symbol_errors,
                "{name}: FEC symbol errors"
            );
            assert_eq!(f.miscorrected_codewords, w.miscorrected_codewords, "{name}");
            assert_eq!(f.skipped_codewords, w.skipped_codewords, "{name}");
            assert_eq!(f.bits, whole.post_fec.bits, "{name}: post-FEC bits");
            assert_eq!(
                f.bit_errors, whole.post_fec.bit_errors,
                "{name}: post-FEC errors"
            );
        }
        _ => panic!("{name}: FEC counts on one side only"),
    }
    assert!(
        m.bit_errors > 0,
        "{name}: a test without errors proves little"
    );
    m
}

#[test]
fn shards_sum_to_the_run() {
    let len = 2 * CHUNK as u64;
    let base = |snr: f64| {
        let mut c = Config::default();
        c.channel.snr_db = snr;
        c
    };
    check("default at 24 dB", &base(24.0), 3, len);
    let mut c = base(20.0);
    c.dfe.taps = 2;
    c.tx.precode = true;
    check("M = 2, precoded, 20 dB", &c, 3, len);
    let mut c = base(23.0);
    c.dfe.taps = 0;
    c.ffe.taps = 8;
    check("FFE only", &c, 2, len);
    let mut c = base(22.0);
    c.tx.fec = FecKind::Kp4;
    c.tx.interleave = true;
    let m = check("KP4 interleaved, 22 dB", &c, 4, len);
    assert!(m.fec.as_ref().unwrap().codewords > 40);
    let mut c = base(19.0);
    c.tx.fec = FecKind::Kr4;
    c.dfe.taps = 1;
    c.tx.precode = true;
    let m = check("KR4 precoded, 19 dB", &c, 3, len);
    assert!(m.fec.as_ref().unwrap().uncorrectable_codewords > 0);
    let mut c = base(24.0);
    c.eq.method = EqMethod::SignSign;
    c.adapt.symbols = 30_000;
    check("sign-sign coefficients", &c, 2, len);
    let mut c = base(21.0);
    c.link.pattern = golden::prbs::Pattern::Prbs13q;
    c.dfe.taps = 4;
    check("PRBS13Q, M = 4", &c, 3, len);
}

#[test]
fn gaps_duplicates_and_unshardable_plans_are_refused() {
    let mut c = Config::default();
    c.channel.snr_db = 24.0;
    let plan = c.resolve().unwrap();
    let len = CHUNK as u64;
    let s0 = run_shard(&plan, len, 0, 1).unwrap();
    let s2 = run_shard(&plan, len, 2, 1).unwrap();
    assert!(merge(&[s0.clone(), s2])
        .unwrap_err()
        .contains("not consecutive"));
    assert!(merge(&[s0.clone(), s0.clone()]).is_err());
    assert!(run_shard(&plan, len + 1, 0, 1).is_err());
    c.link.pattern = golden::prbs::Pattern::Random;
    let e = run_shard(&c.resolve().unwrap(), len, 1, 1).unwrap_err();
    assert!(e.to_string().contains("random"), "{e}");
    let mut c = Config::default();
    c.link.model = golden::config::LinkModel::Emulator;
    let e = run_shard(&c.resolve().unwrap(), len, 1, 1).unwrap_err();
    assert!(e.to_string().contains("emulator"), "{e}");
}
