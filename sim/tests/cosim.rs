//! Co-simulation tests: the RTL against the golden model over a parameter
//! matrix with random coefficients, stimulus and backpressure; one million
//! symbols of the default configuration; Icarus and Verilator agreeing.
//! Verilator builds are cached (see `sim::verilator::cache_root`).

use golden::eq::{Engine, EqOutput, Equalizer};
use golden::numeric::{smax, smin, RxCoeffs, RxFormat};
use golden::rng::Xoshiro256pp;
use sim::{Backpressure, RtlOutput};

fn pick(r: &mut Xoshiro256pp, bits: u32) -> i32 {
    let span = (smax(bits) - smin(bits) + 1) as u64;
    (smin(bits) + (r.next_u64() % span) as i64) as i32
}

/// Random coefficients and samples; the threshold is kept in the lower half
/// of the output range so that every level occurs.
fn random_case(seed: u64, fmt: &RxFormat, len: usize) -> (RxCoeffs, Vec<i16>) {
    let mut r = Xoshiro256pp::new(seed);
    let ffe = (0..fmt.ffe_taps)
        .map(|_| pick(&mut r, fmt.ffe_coef_bits))
        .collect();
    let dfe = (0..fmt.dfe_taps)
        .map(|_| pick(&mut r, fmt.dfe_coef_bits))
        .collect();
    let half = (smax(fmt.ffe_out_bits) / 2).max(1) as u64;
    let threshold = 1 + (r.next_u64() % half) as i32;
    let x = (0..len)
        .map(|_| pick(&mut r, fmt.adc_bits) as i16)
        .collect();
    (
        RxCoeffs {
            ffe,
            dfe,
            threshold,
        },
        x,
    )
}

fn golden(fmt: &RxFormat, c: &RxCoeffs, x: &[i16]) -> EqOutput {
    Equalizer::new(fmt, c, Engine::Fast).unwrap().process_all(x)
}

/// Compares word by word so that a failure names the first bad word.
fn assert_words(tag: &str, p: usize, rtl: &RtlOutput, g: &EqOutput) {
    assert_eq!(rtl.data.len(), g.data.len(), "{tag}: output length");
    for (w, ((d, l), y)) in rtl
        .data
        .chunks(p)
        .zip(rtl.levels.chunks(p))
        .zip(rtl.y.chunks(p))
        .enumerate()
    {
        let r = w * p..(w * p + d.len());
        assert_eq!(
            (d, l, y),
            (&g.data[r.clone()], &g.levels[r.clone()], &g.y[r]),
            "{tag}: word {w} (data, levels, y) differ"
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn f(
    adc: u32,
    n: usize,
    main: usize,
    cb: u32,
    cf: u32,
    ob: u32,
    of: u32,
    m: usize,
    db: u32,
    pre: bool,
) -> RxFormat {
    RxFormat {
        adc_bits: adc,
        ffe_taps: n,
        ffe_main: main,
        ffe_coef_bits: cb,
        ffe_coef_frac: cf,
        ffe_out_bits: ob,
        ffe_out_frac: of,
        dfe_taps: m,
        dfe_coef_bits: db,
        precode: pre,
    }
}

fn matrix() -> Vec<(usize, RxFormat)> {
    vec![
        (1, f(8, 1, 0, 10, 7, 10, 0, 0, 8, false)), // P=1, N=1, no DFE
        (1, f(6, 5, 2, 8, 6, 8, 1, 1, 6, true)),    // P=1, odd N, precode
        (1, f(8, 4, 0, 10, 7, 10, 0, 4, 8, true)),  // P=1 < M=4
        (2, f(8, 7, 3, 10, 7, 10, 0, 2, 8, false)), // odd N, M=2
        (2, f(4, 2, 0, 2, 8, 4, 0, 1, 2, true)),    // narrowest widths, big shift
        (2, f(8, 3, 1, 10, 7, 10, 0, 3, 8, false)), // P=2 < M=3
        (4, f(10, 3, 1, 12, 9, 12, 2, 3, 10, true)), // N < P
        (4, f(16, 33, 10, 18, 0, 24, 0, 2, 16, false)), // S=0, widest, 40-bit accumulator
        (8, f(8, 16, 3, 10, 7, 10, 0, 1, 8, true)), // default + precode
        (8, f(8, 9, 4, 10, 7, 10, 0, 4, 8, false)), // odd N, M=4
        (16, f(12, 11, 5, 14, 12, 16, 3, 1, 12, false)), // 192-bit input, 256-bit y
        (32, f(6, 5, 1, 8, 5, 8, 0, 1, 6, true)),   // P=32: 5-level prefix
        (32, f(8, 3, 0, 10, 7, 10, 0, 2, 8, false)), // P=32, M=2 serial
    ]
}

/// P x N x M x widths, random coefficients, stimulus and backpressure on both sides.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn parameter_matrix_is_bit_exact_under_random_backpressure() {
    for (i, (p, fmt)) in matrix().into_iter().enumerate() {
        let len = 4000 * p.min(4) + 3; // not a multiple of P: exercises padding
        let (c, x) = random_case(1000 + i as u64, &fmt, len);
        let (mut model, _) = sim::build_model(&fmt, p).unwrap();
        let bp = Backpressure::Random {
            seed: 77 + i as u64,
            p_valid: 0.7,
            p_ready: 0.6,
        };
        let out = sim::run_model(&mut model, &fmt, &c, p, &x, &bp).unwrap();
        let tag = format!("case {i}: P={p} {fmt:?}");
        assert_words(&tag, p, &out, &golden(&fmt, &c, &x));
    }
}

/// One million symbols of the default configuration (P=8, N=16, M=1), with
/// the fixed [1,1,1,0] pattern then random backpressure.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn default_config_one_million_symbols() {
    let fmt = RxFormat::default();
    let (c, x) = random_case(42, &fmt, 1_000_000);
    let rep = sim::cosim(&fmt, &c, 8, &x, Backpressure::None).unwrap();
    assert_eq!(rep.mismatches, 0, "{:?}", rep.first_mismatch);
    assert_eq!(rep.symbols, 1_000_000);
    assert_eq!(rep.first_latency, Some(rtl::latency(&fmt, 8) as u64));
    assert_eq!(rep.cycles, 125_000 + rtl::latency(&fmt, 8) as u64);
    eprintln!(
        "default 1M symbols: {:.2} M symbols/s, build {:?} (cached {})",
        rep.symbols_per_sec / 1e6,
        rep.build_time,
        rep.cached
    );
    let (c2, x2) = random_case(43, &fmt, 300_000);
    for bp in [
        Backpressure::cycle_1110(),
        Backpressure::Random {
            seed: 5,
            p_valid: 0.9,
            p_ready: 0.5,
        },
    ] {
        let rep = sim::cosim(&fmt, &c2, 8, &x2, bp.clone()).unwrap();
        assert_eq!(rep.mismatches, 0, "{bp:?}: {:?}", rep.first_mismatch);
        assert!(rep.cycles > 300_000 / 8);
    }
}

/// The fast path (the streaming loop in the shim, many cycles per call) is
/// the one-cycle-per-call reference, cycle for cycle: the same words, cycle
/// counts and first latency, each on a fresh model, for narrow and wide
/// ports under every kind of backpressure; both match the golden model.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn streaming_shim_matches_the_stepwise_reference() {
    let cases = [
        (8, RxFormat::default()),
        (1, f(8, 4, 0, 10, 7, 10, 0, 4, 8, true)),
        // 192-bit input, 256-bit y: VlWide ports in the streaming loop
        (16, f(12, 11, 5, 14, 12, 16, 3, 1, 12, false)),
    ];
    for (i, (p, fmt)) in cases.into_iter().enumerate() {
        // more than one chunk of output words, not a multiple of P
        let (c, x) = random_case(700 + i as u64, &fmt, 2500 * p + 5);
        let g = golden(&fmt, &c, &x);
        for bp in [
            Backpressure::None,
            Backpressure::cycle_1110(),
            Backpressure::Random {
                seed: 31 + i as u64,
                p_valid: 0.8,
                p_ready: 0.4,
            },
        ] {
            let tag = format!("case {i} P={p} {bp:?}");
            let (mut fast_model, _) = sim::build_model(&fmt, p).unwrap();
            assert!(fast_model.can_stream(), "{tag}: no streaming entry");
            let fast = sim::run_model(&mut fast_model, &fmt, &c, p, &x, &bp).unwrap();
            let (mut step_model, _) = sim::build_model(&fmt, p).unwrap();
            let step = sim::run_model_stepwise(&mut step_model, &fmt, &c, p, &x, &bp).unwrap();
            assert_eq!(fast.cycles, step.cycles, "{tag}: cycles");
            assert_eq!(fast.first_latency, step.first_latency, "{tag}: latency");
            assert_words(&format!("{tag} fast"), p, &fast, &g);
            assert_words(&format!("{tag} stepwise"), p, &step, &g);
            assert!(fast == step, "{tag}: outputs differ");
        }
    }
    // a wrong RTL (precoder flipped): the comparison done chunk by chunk
    // beside the RTL finds what the whole-output comparison finds
    let fmt = RxFormat::default();
    let wrong = RxFormat {
        precode: true,
        ..fmt.clone()
    };
    let (c, x) = random_case(800, &fmt, 40_003);
    let bp = Backpressure::cycle_1110();
    let rep = sim::cosim_against(&wrong, &fmt, &c, 8, &x, bp.clone()).unwrap();
    let (mut model, _) = sim::build_model(&wrong, 8).unwrap();
    let step = sim::run_model_stepwise(&mut model, &wrong, &c, 8, &x, &bp).unwrap();
    let (count, first) = sim::compare(&step, &golden(&fmt, &c, &x));
    assert!(count > 0 && first.is_some(), "the mutation is not seen");
    assert_eq!((rep.mismatches, rep.first_mismatch), (count, first));
    assert_eq!(rep.cycles, step.cycles);

    // buffers that do not fit the state are refused, not overrun
    let (mut model, _) = sim::build_model(&fmt, 8).unwrap();
    let mut st = sim::verilator::StreamState::new(4, 1000);
    st.out_stop = 4;
    let mut words = vec![0u32; 4 * model.output_len()];
    let e = model
        .stream(&mut st, &[0; 7], &[1], &[1], &mut words)
        .unwrap_err();
    assert!(e.to_string().contains("do not fit"), "{e}");
    let e = model
        .stream(&mut st, &[0; 8], &[1], &[1], &mut words[1..])
        .unwrap_err();
    assert!(e.to_string().contains("do not fit"), "{e}");
    model
        .stream(&mut st, &[0; 8], &[1], &[1], &mut words)
        .unwrap();
}

/// Icarus runs the same protocol from a $readmemh testbench: both simulators
/// match golden and each other, cycle for cycle.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn icarus_and_verilator_agree() {
    if !testkit::have_icarus() {
        return;
    }
    let cases = [
        (2, f(6, 5, 2, 8, 6, 8, 1, 2, 6, true)),
        (4, f(8, 7, 3, 10, 7, 10, 0, 1, 8, false)),
        (1, f(8, 3, 1, 10, 7, 10, 0, 3, 8, false)),
        // ports wider than 64 bits: 192-bit input, 256-bit y
        (16, f(12, 11, 5, 14, 12, 16, 3, 1, 12, false)),
    ];
    for (i, (p, fmt)) in cases.into_iter().enumerate() {
        let (c, x) = random_case(500 + i as u64, &fmt, 3001);
        let bp = Backpressure::Random {
            seed: 9 + i as u64,
            p_valid: 0.6,
            p_ready: 0.7,
        };
        let g = golden(&fmt, &c, &x);
        let ica = sim::icarus::run_icarus(&fmt, &c, p, &x, &bp).unwrap();
        let (mut model, _) = sim::build_model(&fmt, p).unwrap();
        let ver = sim::run_model(&mut model, &fmt, &c, p, &x, &bp).unwrap();
        assert_words(&format!("icarus case {i}"), p, &ica, &g);
        assert_words(&format!("verilator case {i}"), p, &ver, &g);
        assert_eq!(ica.cycles, ver.cycles, "case {i}: cycle counts differ");
        let rep = sim::icarus::cosim_icarus(&fmt, &c, p, &x, Backpressure::cycle_1110()).unwrap();
        assert_eq!(rep.mismatches, 0, "{:?}", rep.first_mismatch);
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn cache_is_reused_and_errors_are_clear() {
    let fmt = f(8, 3, 1, 10, 7, 10, 0, 1, 8, false);
    let (_, first) = sim::build_model(&fmt, 2).unwrap();
    let (_, again) = sim::build_model(&fmt, 2).unwrap();
    assert!(again.cached, "second build of {first:?} not cached");
    // a bad parallelism is refused before any build
    let e = sim::cosim(
        &fmt,
        &RxCoeffs::pass_through(&fmt, 10),
        3,
        &[0; 8],
        Backpressure::None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("samples per clock"), "{e}");
    // the missing-tool message names the install command
    let e = sim::SimError::ToolMissing {
        tool: "verilator",
        detail: "No such file or directory".into(),
        install: "apt-get install verilator",
    };
    assert!(e
        .to_string()
        .ends_with("install it with `apt-get install verilator`"));
}

#[test]
fn bad_samples_are_refused_before_building() {
    let fmt = RxFormat::default();
    let c = RxCoeffs::pass_through(&fmt, 20);
    let e = sim::cosim(&fmt, &c, 8, &[0, 300], Backpressure::None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sample 1 = 300 does not fit in adc.bits = 8 signed bits"
    );
    let rep = sim::cosim(&fmt, &c, 8, &[], Backpressure::None).unwrap();
    assert_eq!((rep.symbols, rep.mismatches), (0, 0));
    let rep = sim::icarus::cosim_icarus(&fmt, &c, 8, &[], Backpressure::None).unwrap();
    assert_eq!((rep.symbols, rep.mismatches), (0, 0));
    let bad = RxCoeffs { threshold: 0, ..c };
    assert!(sim::cosim(&fmt, &bad, 8, &[0; 8], Backpressure::None).is_err());
}
