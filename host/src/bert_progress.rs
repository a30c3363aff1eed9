//! The progress line of `rxdsp bert`: counts so far, the error ratio, the
//! rate, and the projected time to the run's goal (N symbols, E errors,
//! S seconds, or a verdict on `--target-ber`). Pure formatting, so the
//! command only reads the counters and prints.

use crate::confidence::{BerTarget, Verdict};

/// What ends a `rxdsp bert` run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// `--symbols N`: this many symbols counted
    Symbols(u64),
    /// `--errors E`: this many bit errors counted
    Errors(u64),
    /// `--seconds S`: this long
    Seconds(f64),
    /// `--target-ber B --confidence C`: a PASS or FAIL verdict
    Target(BerTarget),
}

/// Where a run is: the checker's counts and the time since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// symbols counted
    pub symbols: u64,
    /// bits counted
    pub bits: u64,
    /// wrong bits
    pub bit_errors: u64,
    /// seconds since the run started
    pub seconds: f64,
}

/// `x` with an SI prefix and three significant digits (`999`, `1.25 k`,
/// `812 M`); integers below 1000 as they are.
pub fn si(x: f64) -> String {
    const PREFIX: [&str; 7] = ["", " k", " M", " G", " T", " P", " E"];
    if !x.is_finite() || x.abs() < 1000.0 {
        return format!("{}", x.round());
    }
    let mut e = 0;
    let mut v = x;
    while v.abs() >= 999.5 && e + 1 < PREFIX.len() {
        v /= 1000.0;
        e += 1;
    }
    let digits = if v.abs() >= 99.95 {
        0
    } else if v.abs() >= 9.995 {
        1
    } else {
        2
    };
    format!("{v:.digits$}{}", PREFIX[e])
}

/// A duration: `42s`, `12m05s`, `3h04m`, `2d05h`, `3.2 years`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "forever".into();
    }
    let s = seconds.max(0.0).round() as u64;
    const YEAR: u64 = 365 * 86_400;
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m{:02}s", s / 60, s % 60),
        3_600..=86_399 => format!("{}h{:02}m", s / 3_600, s % 3_600 / 60),
        86_400..=YEAR => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3_600),
        _ => format!("{:.2} years", seconds / YEAR as f64),
    }
}

/// The error ratio as the line shows it: `0` or three significant digits.
fn ratio(num: u64, den: u64) -> String {
    if num == 0 || den == 0 {
        "0".into()
    } else {
        format!("{:.2e}", num as f64 / den as f64)
    }
}

/// The seconds left until `goal` at the rates so far (`None`: no estimate
/// yet, e.g. no error counted towards `--errors`; 0 when reached).
pub fn seconds_to_goal(p: &Progress, goal: &Goal) -> Option<f64> {
    let per = |done: u64, left: u64| -> Option<f64> {
        (done > 0 && p.seconds > 0.0).then(|| left as f64 * p.seconds / done as f64)
    };
    match goal {
        Goal::Symbols(n) => per(p.symbols, n.saturating_sub(p.symbols)),
        Goal::Errors(e) if p.bit_errors >= *e => Some(0.0),
        Goal::Errors(e) => per(p.bit_errors, e - p.bit_errors),
        Goal::Seconds(s) => Some((s - p.seconds).max(0.0)),
        Goal::Target(t) => per(p.bits, t.projected_bits_to_verdict(p.bit_errors, p.bits)?),
    }
}

/// The progress line, e.g.
/// `1.25 Gsym, 17 errors in 2.50 Gb, BER 6.80e-9, 812 Msym/s, 11s to 10.0 Gsym`
/// or with a target
/// `..., BER 0 (< 1.20e-9 at 95 %), 812 Msym/s, 1m12s to a verdict on 1.00e-12`,
/// and once decided `..., PASS: BER < 9.98e-13 at 95 %`.
pub fn progress_line(p: &Progress, goal: &Goal) -> String {
    let rate = if p.seconds > 0.0 {
        format!("{}sym/s", si_unit(p.symbols as f64 / p.seconds))
    } else {
        "- sym/s".into()
    };
    let counts = format!(
        "{}sym, {} errors in {}b, BER {}",
        si_unit(p.symbols as f64),
        p.bit_errors,
        si_unit(p.bits as f64),
        ratio(p.bit_errors, p.bits)
    );
    let eta = |what: String| match seconds_to_goal(p, goal) {
        Some(s) => format!("{} to {what}", duration(s)),
        None => format!("? to {what}"),
    };
    match goal {
        Goal::Symbols(n) => format!(
            "{counts}, {rate}, {}",
            eta(format!("{}sym", si_unit(*n as f64)))
        ),
        Goal::Errors(e) => format!("{counts}, {rate}, {}", eta(format!("{e} errors"))),
        Goal::Seconds(_) => format!("{counts}, {rate}, {}", eta("the end".into())),
        Goal::Target(t) => {
            let pct = percent(t.confidence());
            match t.verdict(p.bit_errors, p.bits) {
                Verdict::Pass { upper } => {
                    format!("{counts}, {rate}, PASS: BER < {upper:.2e} at {pct}")
                }
                Verdict::Fail { lower } => {
                    format!("{counts}, {rate}, FAIL: BER > {lower:.2e} at {pct}")
                }
                Verdict::Undecided { upper, .. } => format!(
                    "{counts} (< {upper:.2e} at {pct}), {rate}, {}",
                    eta(format!("a verdict on {:.2e}", t.ber()))
                ),
            }
        }
    }
}

/// [`si`] with a space before the unit when there is no prefix (`17 sym`,
/// `1.25 Gsym`).
fn si_unit(x: f64) -> String {
    let s = si(x);
    if s.ends_with(|c: char| c.is_ascii_digit()) {
        format!("{s} ")
    } else {
        s
    }
}

/// A confidence level as a percentage: `95 %`, `99.9 %`.
fn percent(c: f64) -> String {
    let v = format!("{:.4}", c * 100.0);
    let v = v.trim_end_matches('0').trim_end_matches('.');
    format!("{v} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations() {
        assert_eq!(si(0.0), "0");
        assert_eq!(si(999.0), "999");
        assert_eq!(si(1000.0), "1.00 k");
        assert_eq!(si(1250.0), "1.25 k");
        assert_eq!(si(812.4e6), "812 M");
        assert_eq!(si(999.6e6), "1.00 G");
        assert_eq!(si(12.34e9), "12.3 G");
        assert_eq!(si(3e21), "3000 E");
        assert_eq!(duration(0.4), "0s");
        assert_eq!(duration(59.0), "59s");
        assert_eq!(duration(65.0), "1m05s");
        assert_eq!(duration(3_725.0), "1h02m");
        assert_eq!(duration(2.0 * 86_400.0 + 5.0 * 3_600.0), "2d05h");
        assert_eq!(duration(3.0 * 365.0 * 86_400.0), "3.00 years");
        assert_eq!(duration(f64::INFINITY), "forever");
        assert_eq!(percent(0.95), "95 %");
        assert_eq!(percent(0.999), "99.9 %");
    }

    fn at(symbols: u64, errors: u64, seconds: f64) -> Progress {
        Progress {
            symbols,
            bits: 2 * symbols,
            bit_errors: errors,
            seconds,
        }
    }

    #[test]
    fn goals_of_counts_and_time() {
        let p = at(1_250_000_000, 17, 10.0);
        assert_eq!(
            progress_line(&p, &Goal::Symbols(10_000_000_000)),
            "1.25 Gsym, 17 errors in 2.50 Gb, BER 6.80e-9, 125 Msym/s, 1m10s to 10.0 Gsym"
        );
        // 17 errors in 10 s: 83 more take 49 s
        assert_eq!(
            progress_line(&p, &Goal::Errors(100)),
            "1.25 Gsym, 17 errors in 2.50 Gb, BER 6.80e-9, 125 Msym/s, 49s to 100 errors"
        );
        assert_eq!(seconds_to_goal(&p, &Goal::Errors(10)), Some(0.0));
        assert_eq!(seconds_to_goal(&at(5, 0, 1.0), &Goal::Errors(10)), None);
        assert!(progress_line(&at(5, 0, 1.0), &Goal::Errors(10)).ends_with("? to 10 errors"));
        assert_eq!(
            progress_line(&at(0, 0, 0.0), &Goal::Seconds(60.0)),
            "0 sym, 0 errors in 0 b, BER 0, - sym/s, 1m00s to the end"
        );
    }

    #[test]
    fn goal_of_a_verdict() {
        let t = BerTarget::new(1e-12, 0.95).unwrap();
        // 10^11 bits in 10 s, none wrong: ~3.0e12 bits in all, 29 s more
        let p = at(50_000_000_000, 0, 10.0);
        let want = t.error_free_bits_to_pass(0, p.bits).unwrap() as f64 / 1e10;
        let s = seconds_to_goal(&p, &Goal::Target(t)).unwrap();
        assert!((s - want).abs() < 1e-9 && (s - 289.6).abs() < 0.1, "{s}");
        assert_eq!(
            progress_line(&p, &Goal::Target(t)),
            "50.0 Gsym, 0 errors in 100 Gb, BER 0 (< 3.00e-11 at 95 %), 5.00 Gsym/s, 4m50s to a verdict on 1.00e-12"
        );
        let p = at(1_500_000_000_000, 0, 300.0);
        assert_eq!(
            progress_line(&p, &Goal::Target(t)),
            "1.50 Tsym, 0 errors in 3.00 Tb, BER 0, 5.00 Gsym/s, PASS: BER < 9.99e-13 at 95 %"
        );
        // 40 errors: the Poisson lower limit chi2(0.05; 80) / 2 = 30.2
        let p = at(500_000_000_000, 40, 100.0);
        let line = progress_line(&p, &Goal::Target(t));
        assert!(line.ends_with("FAIL: BER > 3.02e-11 at 95 %"), "{line}");
    }
}
