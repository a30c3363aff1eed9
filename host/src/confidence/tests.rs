use super::*;
use statrs::function::beta::beta_reg;
use statrs::function::gamma::{gamma_lr, gamma_ur};

fn rel(a: f64, b: f64) -> f64 {
    (a / b - 1.0).abs()
}

/// P(X = i) for i = 0..=k by the plain recurrence from (1 - p)^n (small n only).
fn pmfs(k: u64, n: u64, p: f64) -> Vec<f64> {
    let mut t = (1.0 - p).powi(n as i32);
    let mut v = Vec::new();
    for i in 0..=k {
        v.push(t);
        t *= (n - i) as f64 / (i + 1) as f64 * p / (1.0 - p);
    }
    v
}

/// k = 0: the closed forms, and the bits to prove B are -ln(1 - C) / B (the
/// "3 / B" rule at 95 %), to the bit.
#[test]
fn zero_errors() {
    for (n, c) in [(1u64, 0.95f64), (1000, 0.5), (1_000_000, 0.99)] {
        let want = 1.0 - (1.0 - c).powf(1.0 / n as f64);
        assert!(rel(upper_bound(0, n, c), want) < 1e-9, "n {n}");
        assert_eq!(lower_bound(0, n, c), 0.0);
    }
    // 1 - 0.05^(1/n) -> 2.9957 / n
    assert!(rel(upper_bound(0, 10u64.pow(16), 0.95) * 1e16, -(0.05f64.ln())) < 1e-12);
    for (b, c) in [(1e-12, 0.95), (1e-15, 0.99), (1e-3, 0.9), (0.25, 0.95)] {
        let t = BerTarget::new(b, c).unwrap();
        let m = t.error_free_bits_to_pass(0, 0).unwrap();
        // (1 - B)^m < 1 - C <= (1 - B)^(m - 1)
        let exact = (1.0 - c).ln() / (-b).ln_1p();
        assert!(
            (m as f64 - exact).abs() <= 1.0 + 1e-15 * exact,
            "{b} {c}: {m} vs {exact}"
        );
        assert!(matches!(t.verdict(0, m), Verdict::Pass { .. }), "{b} {c}");
        assert!(
            matches!(t.verdict(0, m - 1), Verdict::Undecided { .. }),
            "{b} {c}"
        );
        if b == 1e-12 {
            assert!(rel(m as f64, 2.995_732e12) < 1e-6, "{m}");
        }
    }
}

/// n = 10^16 at ratios near 10^-15 (the binomial is the Poisson law there, to
/// 1e-15): the bounds are the tabulated Poisson limits and the regularized
/// incomplete gamma (statrs) is 1 - C at them.
#[test]
fn poisson_limit_at_1e16() {
    let n = 10u64.pow(16);
    let nf = n as f64;
    // one-sided 95 % Poisson limits (lower, upper) on the mean for k events
    // (mpmath, 40 digits)
    let table = [
        (1u64, 0.051_293_294_387_6, 4.743_864_518_39),
        (2, 0.355_361_510_699, 6.295_793_621_87),
        (3, 0.817_691_447_164, 7.753_656_527_93),
        (5, 1.970_149_568_06, 10.513_034_908_7),
        (10, 5.425_405_697_09, 16.962_219_235_7),
    ];
    for (k, lo, hi) in table {
        let (l, u) = (lower_bound(k, n, 0.95) * nf, upper_bound(k, n, 0.95) * nf);
        assert!(rel(l, lo) < 1e-10 && rel(u, hi) < 1e-10, "k {k}: {l} {u}");
    }
    for k in [1u64, 4, 17, 300, 10_000] {
        for c in [0.5, 0.9, 0.95, 0.999_999] {
            let (l, u) = (lower_bound(k, n, c) * nf, upper_bound(k, n, c) * nf);
            // P(X <= k) = Q(k + 1, lambda), P(X >= k) = P(k, lambda)
            assert!(
                rel(gamma_ur(k as f64 + 1.0, u), 1.0 - c) < 1e-8,
                "k {k} c {c}"
            );
            assert!(rel(gamma_lr(k as f64, l), 1.0 - c) < 1e-8, "k {k} c {c}");
        }
    }
}

/// The one-sided 95 % bounds against the exact binomial sums in 50-digit
/// arithmetic (mpmath, bisection), n from 10 to 10^16.
#[test]
fn exact_binomial_bounds() {
    let table = [
        (
            7u64,
            2000u64,
            0.001_643_774_218_941_083,
            0.006_563_954_853_350_078,
        ),
        (3, 10, 0.087_264_433_914_150_31, 0.606_624_216_105_413_4),
        (
            40,
            100_000,
            0.000_301_970_686_286_231_3,
            0.000_520_662_267_224_694_2,
        ),
        (
            2,
            10u64.pow(16),
            3.553_615_106_986_621e-17,
            6.295_793_621_871_988e-16,
        ),
        (
            10,
            10u64.pow(16),
            5.425_405_697_091_294e-16,
            1.696_221_923_572_19e-15,
        ),
    ];
    for (k, n, lo, hi) in table {
        let (l, u) = (lower_bound(k, n, 0.95), upper_bound(k, n, 0.95));
        assert!(rel(l, lo) < 1e-11 && rel(u, hi) < 1e-11, "{k} {n}: {l} {u}");
    }
}

/// The tails against statrs' regularized incomplete beta
/// (`P(X <= k) = 1 - I_p(k + 1, n - k)`) and against the plain sum.
#[test]
fn tails_against_beta_and_sums() {
    for n in [1u64, 10, 1000, 1_000_000] {
        for k in [0u64, 1, 3, 50, 999, 400_000] {
            if k >= n {
                continue;
            }
            for p in [1e-9, 1e-4, 0.003, 0.3, 0.5, 0.9] {
                let (lo, hi) = binomial_tails(k, n, p);
                // statrs is good to ~1e-9 here (at k = 1, n = 10^6, p = 1e-9 it
                // is 2e-10 off the exact 4.996662926325899e-7; we are 2e-15 off)
                let b = beta_reg(k as f64 + 1.0, (n - k) as f64, p);
                assert!(
                    (hi - b).abs() <= 1e-8 * b + 1e-300,
                    "{k} {n} {p}: {hi} vs {b}"
                );
                assert!((lo - (1.0 - b)).abs() < 1e-12, "{k} {n} {p}");
            }
        }
    }
    for (k, n, p) in [
        (7u64, 2000u64, 0.001),
        (3, 10, 0.3),
        (0, 50, 0.02),
        (20, 500, 0.08),
    ] {
        let want: f64 = pmfs(k, n, p).iter().sum();
        assert!(rel(binomial_tails(k, n, p).0, want) < 1e-12, "{k} {n} {p}");
    }
    let exact = 4.996_662_926_325_899e-7;
    assert!(rel(binomial_tails(1, 1_000_000, 1e-9).1, exact) < 1e-13);
}

/// The two-sided 95 % interval of the sweep: the textbook values, and the
/// tails at the bounds are 2.5 %.
#[test]
fn two_sided_textbook() {
    let (lo, hi) = two_sided(3, 10, 0.95);
    assert!(
        (lo - 0.066_739).abs() < 1e-5 && (hi - 0.652_453).abs() < 1e-5,
        "{lo} {hi}"
    );
    let (k, n) = (7u64, 2000u64);
    let (lo, hi) = two_sided(k, n, 0.95);
    let below_k = |p: f64| pmfs(k - 1, n, p).iter().sum::<f64>();
    assert!((1.0 - below_k(lo) - 0.025).abs() < 1e-9);
    assert!((pmfs(k, n, hi).iter().sum::<f64>() - 0.025).abs() < 1e-9);
    assert_eq!(two_sided(0, 0, 0.95), (0.0, 1.0));
    let (lo, hi) = two_sided(5, 5, 0.95);
    assert!(rel(lo, 0.025f64.powf(0.2)) < 1e-12 && hi == 1.0);
}

/// More errors raise both bounds, more bits lower them, a higher confidence
/// widens them, and they bracket k / n.
#[test]
fn monotone() {
    for n in [20u64, 10_000, 10u64.pow(12), 10u64.pow(16)] {
        let mut last = (0.0, 0.0);
        for k in [0u64, 1, 2, 5, 19, 100, 5000] {
            if k > n {
                continue;
            }
            let (l, u) = (lower_bound(k, n, 0.95), upper_bound(k, n, 0.95));
            let r = k as f64 / n as f64;
            assert!(l <= r && r <= u && l < u, "{k} {n}: {l} {r} {u}");
            assert!(l >= last.0 && u > last.1, "{k} {n}");
            last = (l, u);
            let (l2, u2) = (lower_bound(k, n, 0.99), upper_bound(k, n, 0.99));
            assert!(l2 <= l && u2 > u, "{k} {n}");
            if k > 0 && k < n {
                assert!(lower_bound(k, n + n / 10, 0.95) < l, "{k} {n}");
                assert!(upper_bound(k, n + n / 10, 0.95) < u, "{k} {n}");
            }
        }
    }
}

/// The extremes: n at 10^16 and u64::MAX, k past the exact limit (the normal
/// approximation agrees with the exact sum there to 1e-7), all quick.
#[test]
fn extremes() {
    let t0 = std::time::Instant::now();
    let n = 10u64.pow(16);
    let k = EXACT_LIMIT + 2;
    let p = k as f64 / n as f64;
    let s = (p * n as f64).sqrt() / n as f64;
    for x in [-5.0, -3.0, -1.0, 0.0, 2.0, 5.0] {
        let (e, a) = (tails_exact(k, n, p + x * s), tails_normal(k, n, p + x * s));
        assert!(
            rel(e.0, a.0) < 1e-4 && rel(e.1, a.1) < 1e-4,
            "{x}: {e:?} {a:?}"
        );
    }
    // the bounds where the approximation takes over, against the exact sums
    for c in [0.5, 0.95, 0.999_999] {
        let hi = solve(|q| tails_exact(k, n, q).0, 1.0 - c, false);
        let lo = solve(|q| tails_exact(k - 1, n, q).1, 1.0 - c, true);
        let (l, u) = (lower_bound(k, n, c), upper_bound(k, n, c));
        assert!(
            rel(u, hi) < 1e-9 && rel(l, lo) < 1e-9,
            "{c}: {l} {lo} {u} {hi}"
        );
    }
    for (k, n) in [
        (1u64, u64::MAX),
        (10u64.pow(9), 10u64.pow(16)),
        (10u64.pow(15), u64::MAX),
    ] {
        let (l, u) = (lower_bound(k, n, 0.95), upper_bound(k, n, 0.95));
        let r = k as f64 / n as f64;
        assert!(
            l.is_finite() && 0.0 < l && l < r && r < u && u < 1.0,
            "{k} {n}: {l} {u}"
        );
    }
    // a deep sweep point
    let (lo, hi) = two_sided(10_000, 134_217_728, 0.95);
    let r = 10_000.0 / 134_217_728.0;
    assert!(lo < r && r < hi && hi / lo < 1.1);
    // not a speed figure (the machines are shared: 3.1 s in a debug build
    // beside a synthesis run against 0.3 s alone), only a guard against a
    // bound that sums k or n terms, which would take hours at these sizes
    assert!(t0.elapsed().as_secs_f64() < 60.0, "{:?}", t0.elapsed());
}

#[test]
fn verdicts() {
    let t = BerTarget::new(1e-12, 0.95).unwrap();
    assert!(matches!(
        t.verdict(0, 2_900_000_000_000),
        Verdict::Undecided { .. }
    ));
    assert!(matches!(t.verdict(0, 3_000_000_000_000), Verdict::Pass { upper } if upper < 1e-12));
    // 100 errors in 10^12 bits: BER 1e-10, far above
    assert!(matches!(t.verdict(100, 1_000_000_000_000), Verdict::Fail { lower } if lower > 1e-12));
    // 1 error: the bound is the Poisson 4.74 / n
    let m = t.error_free_bits_to_pass(1, 10).unwrap();
    assert!(rel((m + 10) as f64, 4.743_865e12) < 1e-5, "{m}");
    assert!(matches!(t.verdict(1, 10 + m), Verdict::Pass { .. }));
    assert!(matches!(t.verdict(1, 9 + m), Verdict::Undecided { .. }));
    assert_eq!(t.error_free_bits_to_pass(1, 10 + m), Some(0));
    assert_eq!(t.projected_bits_to_verdict(1, 10 + m), Some(0));
    // at 0.8 of the target the verdict needs more bits than error-free, and
    // that many bits at that ratio do pass
    let (k, n) = (10u64, 125 * 10u64.pow(11));
    assert!(matches!(t.verdict(k, n), Verdict::Undecided { .. }));
    let more = t.projected_bits_to_verdict(k, n).unwrap();
    let free = t.error_free_bits_to_pass(k, n).unwrap();
    assert!(more > free && free > 0, "{more} {free}");
    let total = n + more;
    let k_then = (k as f64 * total as f64 / n as f64).ceil() as u64;
    assert!(matches!(t.verdict(k_then, total), Verdict::Pass { .. }));
    // at twice the target: FAIL after a while
    let (k, n) = (4u64, 2 * 10u64.pow(12));
    assert!(matches!(t.verdict(k, n), Verdict::Undecided { .. }));
    let more = t.projected_bits_to_verdict(k, n).unwrap();
    let total = n + more;
    let k_then = (k as f64 * total as f64 / n as f64).floor() as u64;
    assert!(matches!(t.verdict(k_then, total), Verdict::Fail { .. }));
    // exactly at the target: never
    assert_eq!(t.projected_bits_to_verdict(1, 10u64.pow(12)), None);
    assert!(BerTarget::new(0.0, 0.95).is_err());
    assert!(BerTarget::new(1e-12, 1.0).is_err());
    assert!(BerTarget::new(f64::NAN, 0.95).is_err());
    assert_eq!(check_confidence(0.0), Err(ConfidenceError::Confidence(0.0)));
}
