//! Deterministic random numbers: xoshiro256++ seeded through splitmix64, and a
//! ziggurat sampler for the standard normal distribution.
//!
//! Written here (not taken from `rand`) so that the streams never change with a
//! dependency upgrade: a seed recorded in a report reproduces the same run forever.

use std::sync::OnceLock;

/// One step of splitmix64; used to expand seeds.
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives an independent 64-bit seed for sub-stream `index` of `seed`
/// (used to give every chunk of a run its own deterministic noise).
pub fn derive_seed(seed: u64, stream: u64, index: u64) -> u64 {
    let mut s = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    let a = splitmix64(&mut s);
    let mut t = a ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    splitmix64(&mut t)
}

/// The xoshiro256++ generator (Blackman and Vigna).
#[derive(Clone, Debug)]
pub struct Xoshiro256pp {
    s: [u64; 4],
}

impl Xoshiro256pp {
    /// Seeds the generator from one 64-bit value through splitmix64.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s }
    }

    /// Next 64 uniformly distributed bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal deviate (ziggurat method, 256 layers).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let z = ziggurat();
        loop {
            let bits = self.next_u64();
            let i = (bits & 0xff) as usize;
            // signed uniform in (-1, 1) from the top 53 bits
            let u = ((bits >> 11) as f64 * (1.0 / (1u64 << 52) as f64)) - 1.0;
            let x = u * z.x[i];
            if x.abs() < z.x[i + 1] {
                return x;
            }
            if i == 0 {
                // the tail beyond r (Marsaglia's method)
                loop {
                    let a = -(1.0 - self.next_f64()).ln() / z.r;
                    let b = -(1.0 - self.next_f64()).ln();
                    if 2.0 * b > a * a {
                        return if u < 0.0 { -(z.r + a) } else { z.r + a };
                    }
                }
            }
            let fx = (-0.5 * x * x).exp();
            if z.f[i + 1] + self.next_f64() * (z.f[i] - z.f[i + 1]) < fx {
                return x;
            }
        }
    }
}

/// Ziggurat tables: `x[0]` is the pseudo-width of the base strip (which
/// includes the tail), `x[1] = r`, decreasing to `x[256] = 0`.
struct Ziggurat {
    x: [f64; 257],
    f: [f64; 257],
    r: f64,
}

fn ziggurat() -> &'static Ziggurat {
    static Z: OnceLock<Ziggurat> = OnceLock::new();
    Z.get_or_init(|| {
        // Marsaglia & Tsang's constants for 256 strips of the unnormalised
        // density f(x) = exp(-x^2/2).
        let r = 3.654_152_885_361_009_f64;
        let v = 0.004_928_673_233_974_655_f64;
        let f = |x: f64| (-0.5 * x * x).exp();
        let mut x = [0.0f64; 257];
        x[0] = v / f(r);
        x[1] = r;
        for i in 2..256 {
            x[i] = (-2.0 * (v / x[i - 1] + f(x[i - 1])).ln()).sqrt();
        }
        x[256] = 0.0;
        let mut fv = [0.0f64; 257];
        for i in 0..257 {
            fv[i] = f(x[i]);
        }
        Ziggurat { x, f: fv, r }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_is_deterministic_and_seed_sensitive() {
        let mut a = Xoshiro256pp::new(1);
        let mut b = Xoshiro256pp::new(1);
        let mut c = Xoshiro256pp::new(2);
        for _ in 0..100 {
            let x = a.next_u64();
            assert_eq!(x, b.next_u64());
            assert_ne!(x, c.next_u64());
        }
    }

    #[test]
    fn normal_moments_and_tail() {
        let mut g = Xoshiro256pp::new(12345);
        let n = 2_000_000;
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        let mut beyond2 = 0usize;
        let mut beyond4 = 0usize;
        for _ in 0..n {
            let x = g.normal();
            s1 += x;
            s2 += x * x;
            s4 += x * x * x * x;
            if x.abs() > 2.0 {
                beyond2 += 1;
            }
            if x > 4.0 {
                beyond4 += 1;
            }
        }
        let nf = n as f64;
        let mean = s1 / nf;
        let var = s2 / nf - mean * mean;
        let kurt = s4 / nf / (var * var);
        assert!(mean.abs() < 0.003, "mean {mean}");
        assert!((var - 1.0).abs() < 0.005, "var {var}");
        assert!((kurt - 3.0).abs() < 0.03, "kurtosis {kurt}");
        // P(|x|>2) = 0.0455003; P(x>4) = 3.167e-5
        let p2 = beyond2 as f64 / nf;
        assert!(
            (p2 - 0.0455003).abs() < 5.0 * (0.0455 * 0.9545 / nf).sqrt(),
            "p2 {p2}"
        );
        let expect4 = 3.167e-5 * nf;
        assert!(
            (beyond4 as f64 - expect4).abs() < 5.0 * expect4.sqrt(),
            "tail {beyond4} vs {expect4}"
        );
    }
}
