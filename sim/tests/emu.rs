//! The link emulator `rxdsp_emu` under Verilator against
//! `golden::emu::EmuStream`: every ADC sample and every transmitted data
//! symbol of at least 50k symbols per configuration, `assert_eq!`, over
//! P = 1, 2, 4, 8, 16, 32, three presets, precode on and off, PRBS31, PRBS13Q and
//! PRBS7, ADC widths 6, 8 and 10, with and without random stalls.

use golden::config::{Config, LinkModel};
use golden::emu::{EmuStream, EMU_TAPS};
use golden::link::Batch;
use golden::prbs::Pattern;
use rtl::emu::EmuParams;
use sim::emu::{build, run, Stalls};

struct Case {
    preset: &'static str,
    snr_db: f64,
    parallel: usize,
    adc_bits: u32,
    pattern: Pattern,
    precode: bool,
    /// channel taps of the design: `None` = the plan's own count
    taps: Option<usize>,
    stalls: Option<Stalls>,
    symbols: usize,
}

fn check(c: &Case) {
    let mut cfg = Config::default();
    cfg.channel.preset = Some(c.preset.into());
    cfg.channel.snr_db = c.snr_db;
    cfg.link.model = LinkModel::Emulator;
    cfg.link.pattern = c.pattern;
    cfg.link.seed = 0x5EED ^ c.parallel as u64;
    cfg.tx.precode = c.precode;
    cfg.rtl.parallel = c.parallel as i64;
    cfg.adc.bits = c.adc_bits as i64;
    let plan = cfg.resolve().unwrap();
    let mut golden = EmuStream::new(&plan).unwrap();
    let emu = golden.plan().clone();
    let p = EmuParams {
        parallel: c.parallel,
        taps: c.taps.unwrap_or(emu.taps.len()),
        adc_bits: c.adc_bits,
    };
    let writes = rtl::emu::config_writes(&p, &emu, c.pattern, c.precode, plan.seed).unwrap();
    let words = c.symbols.div_ceil(c.parallel);
    let mut b = Batch::default();
    golden.next_batch(words * c.parallel, &mut b);
    let (mut model, _info) = build(&p).unwrap();
    let got = run(&mut model, &p, &writes, words, c.stalls).unwrap();
    let tag = format!(
        "{} snr {} P {} T {} adc {} {} precode {} stalls {:?}",
        c.preset, c.snr_db, c.parallel, p.taps, c.adc_bits, c.pattern, c.precode, c.stalls
    );
    assert_eq!(got.symbols.len(), b.data.len(), "{tag}");
    assert_eq!(got.samples.len(), b.samples.len(), "{tag}");
    for (k, (g, w)) in got.symbols.iter().zip(&b.data).enumerate() {
        assert_eq!(g, w, "{tag}: data symbol {k}");
    }
    for (k, (g, w)) in got.samples.iter().zip(&b.samples).enumerate() {
        assert_eq!(g, w, "{tag}: sample {k}");
    }
    if c.stalls.is_none() {
        assert_eq!(
            got.first_latency,
            Some(rtl::emu::latency(&p) as u64),
            "{tag}"
        );
    }
    // the noise and the channel are there: samples vary beyond the four levels
    let distinct: std::collections::BTreeSet<i16> = got.samples.iter().copied().collect();
    assert!(
        distinct.len() > 8,
        "{tag}: {} distinct samples",
        distinct.len()
    );
}

fn stalls(seed: u64) -> Option<Stalls> {
    Some(Stalls {
        ready_low: 80,
        run_low: 40,
        seed,
    })
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p1_lpo16_prbs31() {
    check(&Case {
        preset: "lpo-host-16db",
        snr_db: 22.0,
        parallel: 1,
        adc_bits: 8,
        pattern: Pattern::Prbs31,
        precode: false,
        taps: Some(EMU_TAPS),
        stalls: None,
        symbols: 50_000,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p4_lpo8_prbs13q_precoded_stalled() {
    check(&Case {
        preset: "lpo-host-8db",
        snr_db: 20.0,
        parallel: 4,
        adc_bits: 6,
        pattern: Pattern::Prbs13q,
        precode: true,
        taps: None,
        stalls: stalls(1),
        symbols: 60_000,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p8_ideal_prbs31_precoded_stalled() {
    check(&Case {
        preset: "ideal",
        snr_db: 14.0,
        parallel: 8,
        adc_bits: 10,
        pattern: Pattern::Prbs31,
        precode: true,
        taps: Some(3),
        stalls: stalls(2),
        symbols: 80_000,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p16_lpo16_prbs13q() {
    check(&Case {
        preset: "lpo-host-16db",
        snr_db: 26.0,
        parallel: 16,
        adc_bits: 8,
        pattern: Pattern::Prbs13q,
        precode: false,
        taps: None,
        stalls: stalls(3),
        symbols: 96_000,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p2_lpo8_prbs7() {
    check(&Case {
        preset: "lpo-host-8db",
        snr_db: 24.0,
        parallel: 2,
        adc_bits: 8,
        pattern: Pattern::Prbs7,
        precode: true,
        taps: None,
        stalls: None,
        symbols: 50_000,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p32_lpo16_prbs31_precoded_stalled() {
    check(&Case {
        preset: "lpo-host-16db",
        snr_db: 24.0,
        parallel: 32,
        adc_bits: 8,
        pattern: Pattern::Prbs31,
        precode: true,
        taps: None,
        stalls: stalls(4),
        symbols: 64_000,
    });
}
