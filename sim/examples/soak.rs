//! The co-simulation soak (`scripts/soak.sh`): every output word of the
//! Verilated RTL compared with the golden model over a matrix of
//! configurations, far longer than the test suites run.
//!
//! * Equalizer configurations (`rxdsp_eq`): P in 1..32, FFE taps, DFE taps
//!   0..4, precoding, coefficient, output and ADC widths, with no, periodic
//!   and random backpressure; random coefficients; samples alternate between
//!   full-range random words (saturation, rounding at every width) and noisy
//!   PAM4 levels (the decisions a link makes). Compared: data, level and FFE
//!   output of every symbol ([`sim::cosim`]).
//! * FEC chain configurations (`rxdsp_eq_fec`: equalizer -> gearbox -> RS
//!   decoder) at S = 1..16 FEC symbols per clock, KP4 and KR4, with and
//!   without input gaps: framed PRBS31 data on PAM4 levels with 0..t+several
//!   decision errors per codeword; compared: every decoded message, the
//!   uncorrectable flag of every codeword and the decoder's counters, against
//!   the golden equalizer followed by `golden::fec::Codec::decode`.
//!
//! ```text
//! cargo run --release -p rxdsp-sim --example soak -- [--total N] [--seed S] [--only I,J,...] [--list]
//! ```
//! `--total` (default 10^8) is split over the configurations (FEC ones
//! rounded to whole codewords). Prints one row per configuration as it
//! finishes, then a markdown table; exits 1 on any mismatch, 2 on bad
//! arguments or a build/simulation error.

use std::process::ExitCode;
use std::time::Instant;

use golden::eq::{Engine, Equalizer};
use golden::fec::{Code, Codec, DecodeOutcome, FecStats};
use golden::framing::Framer;
use golden::numeric::{smax, smin, RxCoeffs, RxFormat};
use golden::prbs::Pattern;
use golden::rng::Xoshiro256pp;
use sim::Backpressure;

/// Flow control of an equalizer run.
#[derive(Clone, Copy, Debug)]
enum Bp {
    None,
    Cycle1110,
    Random,
}

/// One configuration of the soak.
#[derive(Clone, Debug)]
enum Case {
    Eq {
        p: usize,
        fmt: RxFormat,
        bp: Bp,
    },
    Fec {
        p: usize,
        code: Code,
        s: usize,
        gaps: bool,
    },
}

#[allow(clippy::too_many_arguments)]
fn fmt(
    adc: u32,
    n: usize,
    main: usize,
    cb: u32,
    cf: u32,
    ob: u32,
    m: usize,
    pre: bool,
) -> RxFormat {
    RxFormat {
        adc_bits: adc,
        ffe_taps: n,
        ffe_main: main,
        ffe_coef_bits: cb,
        ffe_coef_frac: cf,
        ffe_out_bits: ob,
        ffe_out_frac: 0,
        dfe_taps: m,
        dfe_coef_bits: 8,
        precode: pre,
    }
}

/// The matrix: 20 equalizer and 8 FEC chain configurations.
fn cases() -> Vec<Case> {
    use Bp::*;
    let eq = |p, fmt, bp| Case::Eq { p, fmt, bp };
    let mut v = vec![
        eq(8, RxFormat::default(), None),
        eq(8, RxFormat::default(), Random),
        eq(1, fmt(8, 16, 3, 10, 7, 10, 1, false), Random),
        eq(1, fmt(6, 3, 1, 6, 4, 8, 0, true), Cycle1110),
        eq(2, fmt(8, 8, 2, 10, 7, 10, 2, false), Random),
        eq(2, fmt(10, 5, 4, 12, 9, 12, 4, true), None),
        eq(4, fmt(8, 7, 2, 10, 7, 10, 1, true), Random),
        eq(4, fmt(4, 2, 0, 4, 2, 6, 3, false), Cycle1110),
        eq(4, fmt(12, 16, 5, 14, 11, 14, 2, false), Random),
        eq(8, fmt(8, 16, 3, 10, 7, 10, 0, false), Cycle1110),
        eq(8, fmt(8, 24, 6, 10, 7, 10, 3, true), Random),
        eq(8, fmt(6, 1, 0, 8, 6, 8, 4, false), Random),
        eq(8, fmt(16, 8, 3, 18, 15, 20, 2, true), None),
        eq(16, fmt(8, 8, 3, 10, 7, 10, 1, false), Random),
        eq(16, fmt(8, 16, 3, 10, 7, 10, 1, true), Cycle1110),
        eq(16, fmt(10, 12, 4, 12, 9, 12, 2, false), Random),
        eq(32, fmt(8, 4, 1, 10, 7, 10, 1, false), Random),
        eq(32, fmt(6, 8, 2, 8, 5, 9, 0, true), None),
        eq(32, fmt(8, 16, 3, 10, 7, 10, 4, false), Random),
        eq(2, fmt(8, 32, 8, 10, 7, 10, 1, false), Random),
    ];
    let fec = |p, code, s, gaps| Case::Fec { p, code, s, gaps };
    v.extend([
        fec(1, Code::Kr4, 1, true),
        fec(4, Code::Kp4, 1, false),
        fec(8, Code::Kp4, 2, true),
        fec(8, Code::Kr4, 4, false),
        fec(8, Code::Kr4, 3, true),
        fec(16, Code::Kp4, 8, true),
        fec(16, Code::Kr4, 8, false),
        fec(32, Code::Kp4, 16, true),
    ]);
    v
}

impl Case {
    fn describe(&self) -> String {
        match self {
            Case::Eq { p, fmt: f, bp } => format!(
                "eq P={p} N={} main={} M={} adc={} coef={}.{} out={} precode={} bp={bp:?}",
                f.ffe_taps,
                f.ffe_main,
                f.dfe_taps,
                f.adc_bits,
                f.ffe_coef_bits,
                f.ffe_coef_frac,
                f.ffe_out_bits,
                f.precode
            ),
            Case::Fec { p, code, s, gaps } => format!(
                "eq+fec {} P={p} S={s} (default eq) gaps={}",
                code.name(),
                if *gaps { "random 0.7" } else { "none" }
            ),
        }
    }
}

/// What one configuration gave.
struct Outcome {
    symbols: u64,
    mismatches: u64,
    first: Option<String>,
    seconds: f64,
}

fn pick(r: &mut Xoshiro256pp, bits: u32) -> i64 {
    let span = (smax(bits) - smin(bits) + 1) as u64;
    smin(bits) + (r.next_u64() % span) as i64
}

/// Random coefficients and a threshold inside the output range; samples in
/// blocks of 4096, alternately full-range random and PAM4 levels at a
/// quarter of the ADC range with noise.
fn eq_stimulus(seed: u64, f: &RxFormat, len: usize) -> (RxCoeffs, Vec<i16>) {
    let mut r = Xoshiro256pp::new(seed);
    let ffe = (0..f.ffe_taps)
        .map(|_| pick(&mut r, f.ffe_coef_bits) as i32)
        .collect();
    let dfe = (0..f.dfe_taps)
        .map(|_| pick(&mut r, f.dfe_coef_bits) as i32)
        .collect();
    let half = (smax(f.ffe_out_bits) / 2).max(1) as u64;
    let threshold = 1 + (r.next_u64() % half) as i32;
    let step = (smax(f.adc_bits) / 4).max(1);
    let noise = (step / 3).max(1) as u64;
    let x = (0..len)
        .map(|i| {
            if (i / 4096) % 2 == 0 {
                pick(&mut r, f.adc_bits) as i16
            } else {
                let lvl = (2 * (r.next_u64() % 4) as i64 - 3) * step / 2;
                let e = (r.next_u64() % (2 * noise + 1)) as i64 - noise as i64;
                (lvl + e).clamp(smin(f.adc_bits), smax(f.adc_bits)) as i16
            }
        })
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

fn run_eq(p: usize, f: &RxFormat, bp: Bp, seed: u64, symbols: usize) -> Result<Outcome, String> {
    let t = Instant::now();
    let (c, x) = eq_stimulus(seed, f, symbols);
    let bp = match bp {
        Bp::None => Backpressure::None,
        Bp::Cycle1110 => Backpressure::cycle_1110(),
        Bp::Random => Backpressure::Random {
            seed,
            p_valid: 0.7,
            p_ready: 0.7,
        },
    };
    let rep = sim::cosim(f, &c, p, &x, bp).map_err(|e| e.to_string())?;
    Ok(Outcome {
        symbols: rep.symbols as u64,
        mismatches: rep.mismatches as u64,
        first: rep.first_mismatch.map(|m| {
            format!(
                "symbol {}: {} rtl {} golden {}",
                m.index, m.field, m.rtl, m.golden
            )
        }),
        seconds: t.elapsed().as_secs_f64(),
    })
}

fn run_fec(
    p: usize,
    code: Code,
    s: usize,
    gaps: bool,
    seed: u64,
    frames: usize,
) -> Result<Outcome, String> {
    let t = Instant::now();
    let f = RxFormat::default();
    // FFE = a delay of ffe_main, DFE taps 0, levels at +-20, +-60, threshold 40:
    // the decisions are the transmitted symbols but for the injected errors
    let mut ffe = vec![0; f.ffe_taps];
    ffe[f.ffe_main] = 1 << f.ffe_coef_frac;
    let coeffs = RxCoeffs {
        ffe,
        dfe: vec![0; f.dfe_taps],
        threshold: 40,
    };
    let mut framer = Framer::new(code, Pattern::Prbs31, seed, false);
    let mut rng = Xoshiro256pp::new(seed ^ 0x5eed);
    let junk = 1 + (rng.next_u64() % 40) as usize;
    let mut data: Vec<u8> = (0..junk).map(|_| (rng.next_u64() & 3) as u8).collect();
    for _ in 0..frames {
        framer.next_frame(&mut data);
    }
    let gray = [0i16, 1, 3, 2];
    let mut x: Vec<i16> = data
        .iter()
        .map(|&d| (2 * gray[d as usize] - 3) * 20 + (rng.next_u64() % 11) as i16 - 5)
        .collect();
    // decision errors per codeword: none, a few, up to t + 8 symbols' worth
    let fsym = code.n() * 5;
    for fr in 0..frames {
        let count = match rng.next_u64() % 4 {
            0 => 0,
            1 => 1 + (rng.next_u64() % 4) as usize,
            _ => (rng.next_u64() % (5 * (code.t() as u64 + 8))) as usize,
        };
        for _ in 0..count {
            let i = junk + fr * fsym + (rng.next_u64() % fsym as u64) as usize;
            x[i] = -x[i];
        }
    }
    x.resize(x.len() + 64, -60);
    let gold = Equalizer::new(&f, &coeffs, Engine::Fast)
        .map_err(|e| e.to_string())?
        .process_all(&x);
    let sof = junk + f.ffe_main;
    let (mut model, _) = sim::rs::build_eq_fec(&f, p, code, s, false).map_err(|e| e.to_string())?;
    let g = gaps.then_some((seed, 0.7));
    let run = sim::rs::run_eq_fec(
        &mut model, &f, &coeffs, p, code, s, &x, sof as u64, frames, g,
    )
    .map_err(|e| e.to_string())?;
    let codec = Codec::new(code);
    let mut stats = FecStats::new(code);
    let (mut mismatches, mut first) = (0u64, None);
    for fr in 0..frames {
        let r: Vec<u16> = gold.data[sof + fr * fsym..sof + (fr + 1) * fsym]
            .chunks_exact(5)
            .map(|c| c.iter().fold(0u16, |a, &d| (a << 2) | d as u16))
            .collect();
        let mut msg = vec![0u16; code.k()];
        let outcome = codec.decode(&r, &mut msg);
        stats.record(outcome);
        let unc = outcome == DecodeOutcome::Uncorrectable;
        if run.words[fr][..code.k()] != msg[..] || run.uncorrectable[fr] != unc {
            mismatches += 1;
            first.get_or_insert_with(|| format!("codeword {fr}: message or flag ({outcome:?})"));
        }
    }
    if run.stats != stats {
        mismatches += 1;
        first.get_or_insert_with(|| format!("counters: rtl {:?} golden {stats:?}", run.stats));
    }
    if run.err_align {
        mismatches += 1;
        first.get_or_insert_with(|| "err_align raised".into());
    }
    Ok(Outcome {
        symbols: (frames * fsym) as u64,
        mismatches,
        first,
        seconds: t.elapsed().as_secs_f64(),
    })
}

struct Args {
    total: u64,
    seed: u64,
    only: Option<Vec<usize>>,
    list: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        total: 100_000_000,
        seed: 1,
        only: None,
        list: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--total" => {
                let v = val()?;
                a.total = v
                    .parse::<f64>()
                    .ok()
                    .filter(|t| *t >= 1.0 && *t <= 1e12)
                    .ok_or(format!("--total {v}: a symbol count in 1..1e12"))?
                    as u64
            }
            "--seed" => {
                let v = val()?;
                a.seed = v.parse().map_err(|_| format!("--seed {v}: an integer"))?
            }
            "--only" => {
                let v = val()?;
                let ids = v
                    .split(',')
                    .map(|s| s.trim().parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| format!("--only {v}: configuration numbers, e.g. 0,3,7"))?;
                a.only = Some(ids);
            }
            "--list" => a.list = true,
            _ => {
                return Err(format!(
                    "unknown argument {k} (--total N --seed S --only I,J --list)"
                ))
            }
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::from(2);
        }
    };
    let all = cases();
    if args.list {
        for (i, c) in all.iter().enumerate() {
            println!("{i:2}  {}", c.describe());
        }
        return ExitCode::SUCCESS;
    }
    let chosen: Vec<usize> = match &args.only {
        Some(ids) => {
            if let Some(bad) = ids.iter().find(|&&i| i >= all.len()) {
                eprintln!(
                    "soak: --only {bad}: there are {} configurations (--list)",
                    all.len()
                );
                return ExitCode::from(2);
            }
            ids.clone()
        }
        None => (0..all.len()).collect(),
    };
    let per = (args.total / chosen.len() as u64).max(1);
    println!(
        "soak: {} configurations, {} symbols each (seed {})",
        chosen.len(),
        per,
        args.seed
    );
    let start = Instant::now();
    let mut rows = Vec::new();
    let mut failed = false;
    for &i in &chosen {
        let case = &all[i];
        let seed = args.seed.wrapping_mul(1000).wrapping_add(i as u64);
        let out = match case {
            Case::Eq { p, fmt, bp } => {
                // whole words, so the run ends on a word boundary
                let n = (per as usize).div_ceil(*p) * p;
                run_eq(*p, fmt, *bp, seed, n)
            }
            Case::Fec { p, code, s, gaps } => {
                let frames = (per as usize).div_ceil(code.n() * 5).max(1);
                run_fec(*p, *code, *s, *gaps, seed, frames)
            }
        };
        let line = match &out {
            Ok(o) => format!(
                "{i:2}  {:<70} {:>11} symbols  {:>3} mismatches  {:6.1} s{}",
                case.describe(),
                o.symbols,
                o.mismatches,
                o.seconds,
                o.first
                    .as_ref()
                    .map(|f| format!("  first: {f}"))
                    .unwrap_or_default()
            ),
            Err(e) => format!("{i:2}  {:<70} ERROR {e}", case.describe()),
        };
        println!("{line}");
        failed |= !matches!(&out, Ok(o) if o.mismatches == 0);
        rows.push((i, case.describe(), out));
    }
    let (mut sym, mut mis) = (0u64, 0u64);
    println!("\n| # | configuration | symbols | mismatches | seconds |\n|---|---|---|---|---|");
    for (i, d, o) in &rows {
        match o {
            Ok(o) => {
                sym += o.symbols;
                mis += o.mismatches;
                println!(
                    "| {i} | {d} | {} | {} | {:.1} |",
                    o.symbols, o.mismatches, o.seconds
                );
            }
            Err(e) => println!("| {i} | {d} | error: {e} | | |"),
        }
    }
    println!(
        "| | **total: {} configurations** | **{sym}** | **{mis}** | {:.0} |",
        rows.len(),
        start.elapsed().as_secs_f64()
    );
    if failed {
        eprintln!("soak: FAILED ({mis} mismatches; errors above)");
        // a mismatch is a verification failure (1); only errors: 2
        return ExitCode::from(if mis > 0 { 1 } else { 2 });
    }
    println!(
        "soak: {sym} symbols over {} configurations, 0 mismatches",
        rows.len()
    );
    ExitCode::SUCCESS
}
