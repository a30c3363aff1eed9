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

    /// The generator's four state words `s[0..4]` (what the hardware's
    /// per-lane xoshiro256++ registers are loaded with: `rxdsp_emu`).
    pub fn state(&self) -> [u64; 4] {
        self.s
    }

    /// A generator continuing from the state words of [`Xoshiro256pp::state`].
    pub fn from_state(s: [u64; 4]) -> Self {
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
        unit_f64(self.next_u64())
    }

    /// A standard normal deviate (ziggurat method, 256 layers).
    ///
    /// One call at a time; [`Normals::fill`] gives the same values in blocks, faster.
    #[inline]
    pub fn normal(&mut self) -> f64 {
        normal_from(ziggurat(), || self.next_u64())
    }

    /// A block generator of the standard normal deviates this generator would give.
    pub fn normals(self) -> Normals {
        Normals {
            rng: self,
            buf: [0; NBUF],
            pos: NBUF,
        }
    }
}

/// One ziggurat draw: the candidate from `bits` (strip `i`, signed uniform `u`) and
/// whether it lies inside the strip's rectangle (the fast path: about 98.8 % of draws).
#[inline(always)]
fn zig_candidate(z: &Ziggurat, bits: u64) -> (f64, f64, usize, bool) {
    let i = (bits & 0xff) as usize;
    // signed uniform in (-1, 1) from the top 53 bits
    let u = ((bits >> 11) as f64 * (1.0 / (1u64 << 52) as f64)) - 1.0;
    let x = u * z.x[i];
    (x, u, i, x.abs() < z.x[i + 1])
}

/// A word as uniform in [0, 1) with 53 bits of precision (as [`Xoshiro256pp::next_f64`]).
#[inline(always)]
fn unit_f64(w: u64) -> f64 {
    (w >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The ziggurat sampler over any source of 64-bit words (the definition of the stream:
/// [`Xoshiro256pp::normal`] and [`Normals`] both call it).
#[inline(always)]
fn normal_from(z: &Ziggurat, mut next_u64: impl FnMut() -> u64) -> f64 {
    loop {
        let (x, u, i, inside) = zig_candidate(z, next_u64());
        if inside {
            return x;
        }
        if i == 0 {
            // the tail beyond r (Marsaglia's method)
            loop {
                let a = -(1.0 - unit_f64(next_u64())).ln() / z.r;
                let b = -(1.0 - unit_f64(next_u64())).ln();
                if 2.0 * b > a * a {
                    return if u < 0.0 { -(z.r + a) } else { z.r + a };
                }
            }
        }
        let fx = (-0.5 * x * x).exp();
        if z.f[i + 1] + unit_f64(next_u64()) * (z.f[i] - z.f[i + 1]) < fx {
            return x;
        }
    }
}

/// 64-bit words [`Normals`] draws ahead.
const NBUF: usize = 512;

/// Standard normal deviates in blocks: [`Normals::fill`] writes exactly the values that
/// successive [`Xoshiro256pp::normal`] calls on the same generator return, in order, at
/// about 1.5 times the speed (`benches/stages.rs`, `noise_normal`: 236 against 161 M deviates/s
/// on one shared core, 2026-12-02; the xoshiro words themselves, ~1 ns each, are the floor).
///
/// Why faster with the same numbers: the generator's words are drawn ahead into a buffer
/// (a tight serial loop), and the ziggurat's fast path (strip index, uniform, one compare)
/// is evaluated on four words at once with AVX2 where the CPU has it; a block where any
/// of the four falls outside its rectangle is redone one draw at a time by the scalar
/// definition [`normal_from`], so rejections consume the same words as the scalar sampler.
/// The arithmetic is the same IEEE double operations in the same order, so the values are
/// equal bit for bit (tested against [`Xoshiro256pp::normal`]).
pub struct Normals {
    rng: Xoshiro256pp,
    buf: [u64; NBUF],
    pos: usize,
}

impl Normals {
    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        if self.pos == NBUF {
            self.refill();
        }
        let v = self.buf[self.pos];
        self.pos += 1;
        v
    }

    #[inline(never)]
    fn refill(&mut self) {
        // the state in a local: it stays in registers (through `self` the stores to the
        // buffer could alias it, and every step would go through memory)
        let mut r = self.rng.clone();
        for b in self.buf.iter_mut() {
            *b = r.next_u64();
        }
        self.rng = r;
        self.pos = 0;
    }

    /// The next deviate (the scalar path).
    #[inline]
    pub fn draw(&mut self) -> f64 {
        let z = ziggurat();
        normal_from(z, || self.next_u64())
    }

    /// Fills `out` with the next `out.len()` deviates.
    pub fn fill(&mut self, out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 is present (checked just above).
                unsafe { self.fill_avx2(out) };
                return;
            }
        }
        self.fill_scalar(out);
    }

    /// [`Normals::fill`] one draw at a time (the reference, and the path without AVX2).
    pub fn fill_scalar(&mut self, out: &mut [f64]) {
        for o in out.iter_mut() {
            *o = self.draw();
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fill_avx2(&mut self, out: &mut [f64]) {
        use std::arch::x86_64::*;
        let z = ziggurat();
        let exp52 = _mm256_set1_epi64x(0x4330_0000_0000_0000);
        let two52 = _mm256_set1_pd((1u64 << 52) as f64);
        let two32 = _mm256_set1_pd((1u64 << 32) as f64);
        let inv52 = _mm256_set1_pd(1.0 / (1u64 << 52) as f64);
        let one = _mm256_set1_pd(1.0);
        let abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let low32 = _mm256_set1_epi64x(0xffff_ffff);
        let mut k = 0;
        while k < out.len() {
            if self.pos + 4 > NBUF || k + 4 > out.len() {
                out[k] = self.draw();
                k += 1;
                continue;
            }
            // SAFETY: pos + 4 <= NBUF, so the four words are inside `buf`.
            let bits = _mm256_loadu_si256(self.buf.as_ptr().add(self.pos) as *const __m256i);
            // (bits >> 11) as f64, exactly: its high 21 and low 32 bits each through the
            // 2^52 exponent trick, then one exact sum (< 2^53)
            let m = _mm256_srli_epi64::<11>(bits);
            let hi = _mm256_sub_pd(
                _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64::<32>(m), exp52)),
                two52,
            );
            let lo = _mm256_sub_pd(
                _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(m, low32), exp52)),
                two52,
            );
            let mf = _mm256_add_pd(_mm256_mul_pd(hi, two32), lo);
            let u = _mm256_sub_pd(_mm256_mul_pd(mf, inv52), one);
            // the strip widths by four scalar loads (a gather is slower on AMD Zen)
            let w = &self.buf[self.pos..self.pos + 4];
            let i = [
                w[0] as u8 as usize,
                w[1] as u8 as usize,
                w[2] as u8 as usize,
                w[3] as u8 as usize,
            ];
            let xi = _mm256_set_pd(z.x[i[3]], z.x[i[2]], z.x[i[1]], z.x[i[0]]);
            let xi1 = _mm256_set_pd(z.x[i[3] + 1], z.x[i[2] + 1], z.x[i[1] + 1], z.x[i[0] + 1]);
            let x = _mm256_mul_pd(u, xi);
            let inside = _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_and_pd(x, abs_mask), xi1);
            if _mm256_movemask_pd(inside) == 0xf {
                _mm256_storeu_pd(out.as_mut_ptr().add(k), x);
                self.pos += 4;
                k += 4;
            } else {
                // a rejection among the four: the scalar definition, one draw
                out[k] = self.draw();
                k += 1;
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
    fn state_round_trips_and_continues_the_stream() {
        let mut a = Xoshiro256pp::new(77);
        a.next_u64();
        let mut b = Xoshiro256pp::from_state(a.state());
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_eq!(a.state(), b.state());
        // the splitmix64 expansion of the seed is the state
        let mut sm = 77u64;
        let first = splitmix64(&mut sm);
        assert_eq!(Xoshiro256pp::new(77).state()[0], first);
    }

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

    /// The block generator gives the scalar sampler's values bit for bit, over block
    /// sizes that cut the word buffer and the four-wide fast path anywhere, tails included.
    #[test]
    fn normals_fill_equals_scalar_normal() {
        for seed in [1u64, 7, 0xDEAD_BEEF] {
            let mut scalar = Xoshiro256pp::new(seed);
            let mut fast = Xoshiro256pp::new(seed).normals();
            let mut reference = Xoshiro256pp::new(seed).normals();
            let mut n = 0usize;
            let mut tails = 0usize;
            for len in (0..400).chain([1, 3, 4, 5, 511, 512, 513, 4096, 100_000]) {
                let mut a = vec![0.0; len];
                let mut b = vec![0.0; len];
                fast.fill(&mut a);
                reference.fill_scalar(&mut b);
                for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
                    let s = scalar.normal();
                    assert_eq!(x.to_bits(), s.to_bits(), "seed {seed} draw {}", n + i);
                    assert_eq!(y.to_bits(), s.to_bits(), "seed {seed} draw {}", n + i);
                    tails += (s.abs() > ziggurat().r) as usize;
                }
                n += len;
            }
            // the slow paths were exercised: wedges are ~1.2 % of draws, the tail ~0.03 %
            assert!(tails > 20, "only {tails} tail draws in {n}");
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
