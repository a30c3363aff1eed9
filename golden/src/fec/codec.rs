//! The codec: tables, encoders and the two decoder engines.

use super::code::{Code, MAX_T};
use super::gf::{gf, MulConst, ORDER};
use super::{gfni, simd};

/// Which implementation does the work. All engines give identical results on every input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Engine {
    /// Straightforward reference: log/antilog multiplies, Horner syndromes, plain riBM,
    /// Chien search over all 1023 field elements, syndromes recomputed after correction,
    /// encoding by long division.
    Naive,
    /// Fast path: AVX-512 GFNI kernels (syndromes eight constants per instruction, Chien
    /// search 64 positions per step, riBM in two 512-bit registers, encoding from the
    /// message's syndromes) when the CPU has `avx512f`, `avx512bw` and `gfni`; the
    /// [`Engine::FastAvx2`] kernels otherwise, or the [`Engine::FastScalar`] ones without
    /// AVX2. Chien only over the n positions of the shortened code, stopping at the last
    /// root; see the module documentation.
    #[default]
    Fast,
    /// The fast engine with AVX2 `vpshufb` syndromes and Chien search (32 symbols per step),
    /// log-domain riBM and the SSE2 LFSR encoder, even where AVX-512 GFNI is present (what
    /// `Fast` uses on CPUs without it; selectable to test and benchmark that path); the
    /// scalar kernels when the CPU lacks AVX2.
    FastAvx2,
    /// The fast engine without SIMD (what `Fast` falls back to on CPUs without AVX2;
    /// selectable to test and benchmark that path anywhere): syndromes from the remainder of
    /// a u64-word LFSR division by g(x), scalar Chien search.
    FastScalar,
}

/// Result of decoding one codeword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeOutcome {
    /// The word was a codeword after correcting `symbols` symbols (0 for a clean word).
    Corrected {
        /// Number of symbols corrected (message and parity symbols alike).
        symbols: usize,
    },
    /// More errors than the decoder can correct were detected; the message is passed through.
    Uncorrectable,
}

/// Why a word was declared uncorrectable: the first check that failed, in the order of the
/// decision rule (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The error locator has degree `degree` but `roots` roots at positions `0..n`
    /// (a root beyond the shortened code, a repeated root or a locator that does not split).
    RootCount {
        /// Degree of the riBM locator (highest non-zero coefficient among `lambda_0..=lambda_t`).
        degree: usize,
        /// Roots found at positions `0..n` (for the fast engine: counting stops at `degree`).
        roots: usize,
    },
    /// Forney's formula gives a zero error value (or a zero denominator) at `position`.
    ErrorValue {
        /// Codeword index of the symbol.
        position: usize,
    },
    /// The syndromes of the corrected word are not all zero.
    ResidualSyndrome,
}

/// The error pattern the decoder found: up to t `(position, value)` pairs, positions
/// ascending (position = index in the codeword array, 0 = first symbol sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPattern {
    len: usize,
    positions: [u16; MAX_T],
    values: [u16; MAX_T],
}

impl ErrorPattern {
    const EMPTY: ErrorPattern = ErrorPattern {
        len: 0,
        positions: [0; MAX_T],
        values: [0; MAX_T],
    };

    /// Number of corrected symbols.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a clean word.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `(position, error value)` pairs, positions ascending. XOR the value into the received
    /// symbol to correct it.
    pub fn iter(&self) -> impl Iterator<Item = (usize, u16)> + '_ {
        (0..self.len).map(|i| (self.positions[i] as usize, self.values[i]))
    }

    fn push(&mut self, position: usize, value: u16) {
        self.positions[self.len] = position as u16;
        self.values[self.len] = value;
        self.len += 1;
    }
}

/// What the riBM key-equation solver returns after its 2t iterations (step 2 of the decision
/// rule): the error locator and error evaluator as an RTL decoder should produce them, for
/// bit-exact comparison of intermediate values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEquation {
    /// `lambda_0 ..= lambda_t` (`delta_t ..= delta_2t`).
    pub lambda: Vec<u16>,
    /// `omega_0 .. omega_(t-1)` (`delta_0 .. delta_(t-1)`).
    pub omega: Vec<u16>,
}

/// A Reed-Solomon encoder/decoder for one [`Code`], with its precomputed tables.
pub struct Codec {
    code: Code,
    engine: Engine,
    n: usize,
    k: usize,
    t: usize,
    /// `g_0 ..= g_2t`.
    generator: Vec<u16>,
    /// Encoder LFSR rows, split on the feedback symbol f: `row(f) = enc_lo[f & 31] ^
    /// enc_hi[f >> 5]`, `row(f)[l] = f * g_(2t-1-l)` for `l < 2t`, zero above; symbol l in
    /// bits `16 (l % 4)..` of word `l / 4` (so on x86-64 a row's bytes are its 32 u16
    /// symbols in order, 64 bytes, four SSE2 vectors).
    enc_lo: Box<[[u64; 8]; 32]>,
    enc_hi: Box<[[u64; 8]; 32]>,
    /// `f * g_(2t-1)` for every f: the first element of `row(f)`, for the LFSR look-ahead
    /// (a full table: one load on the feedback's critical path).
    enc_top: Box<[u16; 1024]>,
    /// Multiply by `alpha^j`, `j < 2t` (syndromes from the LFSR remainder).
    syn_mul: Vec<MulConst>,
    /// Multiply by `alpha^-i`, `i <= t` (scalar Chien search steps).
    chien_mul: Vec<MulConst>,
    /// The syndrome and Chien kernels chosen for the engine and the CPU.
    kernels: Kernels,
}

/// Syndrome and Chien kernels with their tables.
enum Kernels {
    /// AVX-512 GFNI (`gfni.rs`), tables shared per code.
    Gfni(&'static gfni::Tables),
    /// AVX2 `vpshufb` (`simd.rs`).
    Avx2(simd::Tables),
    /// Portable code.
    Scalar,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("code", &self.code)
            .field("engine", &self.engine)
            .field("kernels", &self.kernels())
            .finish()
    }
}

impl Codec {
    /// A codec for `code` with the [`Engine::Fast`] engine.
    pub fn new(code: Code) -> Codec {
        Codec::with_engine(code, Engine::Fast)
    }

    /// A codec for `code` with the given engine.
    pub fn with_engine(code: Code, engine: Engine) -> Codec {
        let f = gf();
        let (n, k, t) = (code.n(), code.k(), code.t());
        let p = 2 * t;
        let generator = code.generator();
        let mut rows_lo = [[0u16; 32]; 32];
        let mut rows_hi = [[0u16; 32]; 32];
        for v in 0..32u16 {
            for l in 0..p {
                let g = generator[p - 1 - l];
                rows_lo[v as usize][l] = f.mul(v, g);
                rows_hi[v as usize][l] = f.mul(v << 5, g);
            }
        }
        let syn_mul = (0..p).map(|j| MulConst::new(f.pow(j))).collect();
        let chien_mul = (0..=t).map(|i| MulConst::new(f.pow_neg(i))).collect();
        let kernels = match engine {
            Engine::Fast if gfni::available() => Kernels::Gfni(gfni::tables(code)),
            Engine::Fast | Engine::FastAvx2 if simd::available() => {
                Kernels::Avx2(simd::Tables::new(t))
            }
            _ => Kernels::Scalar,
        };
        let pack = |rows: &[[u16; 32]; 32]| -> Box<[[u64; 8]; 32]> {
            Box::new(std::array::from_fn(|v| {
                std::array::from_fn(|q| {
                    (0..4).fold(0u64, |w, m| w | (rows[v][4 * q + m] as u64) << (16 * m))
                })
            }))
        };
        Codec {
            enc_lo: pack(&rows_lo),
            enc_hi: pack(&rows_hi),
            code,
            engine,
            n,
            k,
            t,
            enc_top: Box::new(std::array::from_fn(|x| f.mul(x as u16, generator[p - 1]))),
            syn_mul,
            chien_mul,
            kernels,
            generator,
        }
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// True when SIMD syndrome and Chien kernels (AVX-512 GFNI or AVX2) are in use.
    pub fn uses_simd(&self) -> bool {
        !matches!(self.kernels, Kernels::Scalar)
    }

    /// Name of the syndrome and Chien kernels in use: "gfni", "avx2" or "scalar".
    pub fn kernels(&self) -> &'static str {
        match self.kernels {
            Kernels::Gfni(_) => "gfni",
            Kernels::Avx2(_) => "avx2",
            Kernels::Scalar => "scalar",
        }
    }

    /// Generator coefficients `g_0 ..= g_2t` (`g_i` multiplies `x^i`).
    pub fn generator(&self) -> &[u16] {
        &self.generator
    }

    /// Systematic encoding: `cw_out[..k] = msg`, `cw_out[k..]` = parity.
    ///
    /// # Panics
    /// If `msg.len() != k` or `cw_out.len() != n`. Symbols must be < 1024 (only the low 10
    /// bits are used); [`Codec::encode_many`] checks them.
    pub fn encode(&self, msg: &[u16], cw_out: &mut [u16]) {
        assert_eq!(msg.len(), self.k, "message length");
        assert_eq!(cw_out.len(), self.n, "codeword length");
        cw_out[..self.k].copy_from_slice(msg);
        if let Kernels::Gfni(tables) = &self.kernels {
            // SAFETY: the tables are only built when `gfni::available()` said so; n is a
            // multiple of 8 (544, 528).
            unsafe { gfni::parity(tables, cw_out) };
            return;
        }
        let (_, parity) = cw_out.split_at_mut(self.k);
        match self.engine {
            Engine::Naive => self.parity_naive(msg, parity),
            Engine::Fast | Engine::FastAvx2 | Engine::FastScalar => self.parity_fast(msg, parity),
        }
    }

    /// Reference encoder: long division of `m(x) x^2t` by `g(x)`.
    fn parity_naive(&self, msg: &[u16], parity: &mut [u16]) {
        let f = gf();
        let p = 2 * self.t;
        let mut buf = vec![0u16; self.n];
        buf[..self.k].copy_from_slice(msg);
        for i in 0..self.k {
            let q = buf[i] & 1023;
            if q != 0 {
                for l in 0..=p {
                    buf[i + l] ^= f.mul(q, self.generator[p - l]);
                }
            }
        }
        parity.copy_from_slice(&buf[self.k..]);
    }

    /// Table-driven LFSR: `R <- (R shifted one symbol) ^ row(m_i ^ R[0])`. The next feedback
    /// symbol is computed ahead from `R[1]` and `row(f)[0] = f g_(2t-1)`, which keeps the
    /// register update off the feedback's critical path. The register lives in SSE2 vectors
    /// for [`Engine::Fast`] on x86-64, in u64 words (4 symbols each) otherwise.
    fn parity_fast(&self, msg: &[u16], parity: &mut [u16]) {
        #[cfg(target_arch = "x86_64")]
        if matches!(self.engine, Engine::Fast | Engine::FastAvx2) {
            return if 2 * self.t <= 16 {
                self.lfsr_sse2::<2>(msg, parity)
            } else {
                self.lfsr_sse2::<4>(msg, parity)
            };
        }
        self.lfsr_portable(msg, parity)
    }

    /// Runs the portable LFSR over `input` (any length): `out` (2t symbols) receives
    /// `input(x) x^2t mod g(x)`, `out[l]` multiplying `x^(2t-1-l)`.
    fn lfsr_portable(&self, input: &[u16], out: &mut [u16]) {
        if 2 * self.t <= 16 {
            self.lfsr_swar::<4>(input, out)
        } else {
            self.lfsr_swar::<8>(input, out)
        }
    }

    /// Portable LFSR of [`Codec::parity_fast`]: the register is `W` u64 words of 4 symbols
    /// (symbol l in bits `16 (l % 4)..` of word `l / 4`), `4 W >= 2t`.
    fn lfsr_swar<const W: usize>(&self, msg: &[u16], parity: &mut [u16]) {
        assert!(4 * W >= 2 * self.t && W <= 8);
        let mut r = [0u64; W];
        let mut fb = msg.first().copied().unwrap_or(0);
        for i in 0..msg.len() {
            let r1 = (r[0] >> 16) as u16;
            let next = msg.get(i + 1).copied().unwrap_or(0) ^ r1 ^ self.enc_top[fb as usize & 1023];
            let lo = &self.enc_lo[fb as usize & 31];
            let hi = &self.enc_hi[(fb as usize >> 5) & 31];
            for q in 0..W {
                let up = if q + 1 < W { r[q + 1] << 48 } else { 0 };
                r[q] = (r[q] >> 16 | up) ^ lo[q] ^ hi[q];
            }
            fb = next;
        }
        for (l, p) in parity.iter_mut().enumerate() {
            *p = (r[l / 4] >> (16 * (l % 4))) as u16;
        }
    }

    /// The LFSR of [`Codec::parity_fast`] with a register of `V` 8-symbol vectors (`8 V >= 2t`).
    #[cfg(target_arch = "x86_64")]
    fn lfsr_sse2<const V: usize>(&self, msg: &[u16], parity: &mut [u16]) {
        use std::arch::x86_64::*;
        assert!(8 * V >= 2 * self.t && V <= 4);
        let lo = self.enc_lo.as_ptr() as *const __m128i;
        let hi = self.enc_hi.as_ptr() as *const __m128i;
        // SAFETY: SSE2 is part of x86-64; row indices are masked to 0..32 and each row is
        // 64 bytes = four 16-byte vectors (V <= 4), read with unaligned loads; x86-64 is
        // little-endian, so vector lane l is symbol l.
        unsafe {
            let mut v = [_mm_setzero_si128(); V];
            let mut fb = msg.first().copied().unwrap_or(0);
            for i in 0..msg.len() {
                let r1 = _mm_extract_epi16::<1>(v[0]) as u16;
                let next =
                    msg.get(i + 1).copied().unwrap_or(0) ^ r1 ^ self.enc_top[fb as usize & 1023];
                let a = lo.add(4 * (fb as usize & 31));
                let b = hi.add(4 * ((fb as usize >> 5) & 31));
                for q in 0..V {
                    let up = if q + 1 < V {
                        _mm_slli_si128::<14>(v[q + 1])
                    } else {
                        _mm_setzero_si128()
                    };
                    let row = _mm_xor_si128(_mm_loadu_si128(a.add(q)), _mm_loadu_si128(b.add(q)));
                    v[q] = _mm_xor_si128(_mm_or_si128(_mm_srli_si128::<2>(v[q]), up), row);
                }
                fb = next;
            }
            let mut reg = [0u16; 32];
            for (q, x) in v.into_iter().enumerate() {
                _mm_storeu_si128(reg.as_mut_ptr().add(8 * q) as *mut __m128i, x);
            }
            parity.copy_from_slice(&reg[..2 * self.t]);
        }
    }

    /// Decodes one codeword into its message. On [`DecodeOutcome::Uncorrectable`] the
    /// received message symbols are copied unchanged.
    ///
    /// # Panics
    /// If `received.len() != n`, `msg_out.len() != k` or a symbol is >= 1024 (the fallible
    /// [`Codec::decode_many`] checks all of these and returns a [`super::FecError`]).
    pub fn decode(&self, received: &[u16], msg_out: &mut [u16]) -> DecodeOutcome {
        assert_eq!(received.len(), self.n, "codeword length");
        assert_eq!(msg_out.len(), self.k, "message length");
        msg_out.copy_from_slice(&received[..self.k]);
        match self.locate(received) {
            Ok(errors) => {
                for (pos, e) in errors.iter() {
                    if pos < self.k {
                        msg_out[pos] ^= e;
                    }
                }
                DecodeOutcome::Corrected {
                    symbols: errors.len(),
                }
            }
            Err(_) => DecodeOutcome::Uncorrectable,
        }
    }

    /// Runs the decision rule on a received word and returns the error pattern, or the first
    /// check that failed. This is what [`Codec::decode`] applies.
    ///
    /// # Panics
    /// If `received.len() != n` or a symbol is >= 1024.
    pub fn locate(&self, received: &[u16]) -> Result<ErrorPattern, Failure> {
        assert_eq!(received.len(), self.n, "codeword length");
        assert!(
            super::error::check_symbols(received).is_ok(),
            "received symbol >= 1024"
        );
        match self.engine {
            Engine::Naive => self.locate_naive(received),
            Engine::Fast | Engine::FastAvx2 | Engine::FastScalar => self.locate_fast(received),
        }
    }

    /// Syndromes `S_j = r(alpha^j)`, `j < 2t`, computed by the engine's syndrome kernel.
    ///
    /// # Panics
    /// If `received.len() != n` or a symbol is >= 1024.
    pub fn syndromes(&self, received: &[u16]) -> Vec<u16> {
        assert_eq!(received.len(), self.n, "codeword length");
        assert!(
            super::error::check_symbols(received).is_ok(),
            "received symbol >= 1024"
        );
        let mut s = [0u16; 2 * MAX_T];
        match self.engine {
            Engine::Naive => self.syndromes_naive(received, &mut s[..2 * self.t]),
            _ => self.syndromes_fast(received, &mut s[..2 * self.t]),
        }
        s[..2 * self.t].to_vec()
    }

    /// Runs the riBM solver (2t iterations) on `syndromes` (`S_0 .. S_(2t-1)`, any values
    /// < 1024, including all zero) with the engine's implementation.
    ///
    /// # Panics
    /// If `syndromes.len() != 2t`.
    pub fn key_equation(&self, syndromes: &[u16]) -> KeyEquation {
        assert_eq!(syndromes.len(), 2 * self.t, "syndrome count");
        match self.engine {
            Engine::Naive => {
                let (lambda, omega) = ribm_naive(syndromes, self.t);
                KeyEquation { lambda, omega }
            }
            _ => {
                let (lambda, omega) = self.ribm(syndromes);
                KeyEquation {
                    lambda: lambda[..=self.t].to_vec(),
                    omega: omega[..self.t].to_vec(),
                }
            }
        }
    }

    // ---------------------------------------------------------------- naive engine

    fn syndromes_naive(&self, r: &[u16], s: &mut [u16]) {
        let f = gf();
        for (j, sj) in s.iter_mut().enumerate() {
            let a = f.pow(j);
            *sj = r.iter().fold(0, |acc, &x| f.mul(acc, a) ^ x);
        }
    }

    fn locate_naive(&self, r: &[u16]) -> Result<ErrorPattern, Failure> {
        let f = gf();
        let (n, t) = (self.n, self.t);
        let mut s = vec![0u16; 2 * t];
        self.syndromes_naive(r, &mut s);
        if s.iter().all(|&x| x == 0) {
            return Ok(ErrorPattern::EMPTY);
        }
        let (lambda, omega) = ribm_naive(&s, t);
        let degree = (0..=t).rev().find(|&i| lambda[i] != 0).unwrap_or(0);
        let eval = |p: &[u16], x: u16| p.iter().rev().fold(0, |acc, &c| f.mul(acc, x) ^ c);
        // Chien search over every non-zero field element alpha^-d, d = 0..1022; position
        // n-1-d holds the coefficient of x^d, so roots with d >= n are outside the code.
        let mut in_range = Vec::new();
        let mut outside = 0;
        for d in 0..ORDER {
            if eval(&lambda, f.pow_neg(d)) == 0 {
                if d < n {
                    in_range.push(n - 1 - d);
                } else {
                    outside += 1;
                }
            }
        }
        if outside > 0 || in_range.len() != degree {
            return Err(Failure::RootCount {
                degree,
                roots: in_range.len(),
            });
        }
        in_range.sort_unstable();
        let lambda_odd: Vec<u16> = lambda
            .iter()
            .enumerate()
            .map(|(i, &c)| if i % 2 == 1 { c } else { 0 })
            .collect();
        let mut errors = ErrorPattern::EMPTY;
        for &pos in &in_range {
            let d = n - 1 - pos;
            let xinv = f.pow_neg(d);
            let num = eval(&omega, xinv);
            let den = eval(&lambda_odd, xinv);
            if den == 0 {
                return Err(Failure::ErrorValue { position: pos });
            }
            // e = X^-2t * omega(X^-1) / (X^-1 lambda'(X^-1)),  X = alpha^d
            let e = f.mul(f.mul(num, f.pow_neg(2 * t * d)), f.inv(den));
            if e == 0 {
                return Err(Failure::ErrorValue { position: pos });
            }
            errors.push(pos, e);
        }
        let mut c = r.to_vec();
        for (pos, e) in errors.iter() {
            c[pos] ^= e;
        }
        self.syndromes_naive(&c, &mut s);
        if s.iter().any(|&x| x != 0) {
            return Err(Failure::ResidualSyndrome);
        }
        Ok(errors)
    }

    // ---------------------------------------------------------------- fast engine

    fn syndromes_fast(&self, r: &[u16], s: &mut [u16]) {
        if let Kernels::Gfni(tables) = &self.kernels {
            // SAFETY: the tables are only built when `gfni::available()` said so.
            unsafe { gfni::syndromes(tables, r, s) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if let Kernels::Avx2(tables) = &self.kernels {
            let padded = self.n.div_ceil(32) * 32;
            let pad = padded - self.n;
            const PLANE: usize = super::code::MAX_N.div_ceil(32) * 32;
            let mut lo = [0u8; PLANE];
            let mut hi = [0u8; PLANE];
            for ((l, h), &x) in lo[pad..padded].iter_mut().zip(&mut hi[pad..padded]).zip(r) {
                *l = x as u8;
                *h = (x >> 8) as u8;
            }
            // SAFETY: `simd` is only built when `simd::available()` said AVX2 is present.
            unsafe { simd::syndromes(tables, &lo[..padded], &hi[..padded], s) };
            return;
        }
        // Portable path: the encoder's LFSR over the whole word gives
        // rem(x) = r(x) x^2t mod g(x), zero exactly for codewords (the clean-word test at LFSR
        // speed). Since g(alpha^j) = 0, rem(alpha^j) = S_j alpha^(2t j).
        let p = s.len();
        let mut rem = [0u16; 2 * MAX_T];
        self.lfsr_portable(r, &mut rem[..p]);
        if rem[..p].iter().all(|&x| x == 0) {
            s.fill(0);
            return;
        }
        // Horner over rem (rem[l] multiplies x^(2t-1-l)), the 2t chains interleaved.
        s.fill(0);
        for &x in &rem[..p] {
            for (sj, m) in s.iter_mut().zip(&self.syn_mul) {
                *sj = m.mul(*sj) ^ x;
            }
        }
        let f = gf();
        for (j, sj) in s.iter_mut().enumerate() {
            *sj = f.mul_log(f.log(*sj), ((ORDER - (p * j) % ORDER) % ORDER) as u16);
        }
    }

    /// Degrees d < n (position n-1-d) with `lambda(alpha^-d) = 0`, ascending, into `roots`;
    /// returns the count. `lambda` = `lambda_0..=lambda_nu`, `nu >= 1`, `lambda_nu != 0`: it
    /// has at most nu roots, so the search stops at the nu-th.
    /// With the GFNI kernels, `dens[r]` also receives Forney's denominator of root r
    /// (`lambda_odd(alpha^-d)`); the other kernels leave `dens` alone.
    fn chien_fast(
        &self,
        lambda: &[u16],
        roots: &mut [usize; MAX_T],
        dens: &mut [u16; MAX_T],
    ) -> usize {
        if let Kernels::Gfni(tables) = &self.kernels {
            // SAFETY: the tables are only built when `gfni::available()` said so.
            return unsafe { gfni::chien(tables, lambda, self.n, roots, dens) };
        }
        #[cfg(target_arch = "x86_64")]
        if let Kernels::Avx2(tables) = &self.kernels {
            // SAFETY: these tables are only built when `simd::available()` said AVX2 is present.
            return unsafe { simd::chien(tables, lambda, self.n, roots) };
        }
        let nu = lambda.len() - 1;
        // terms[i] = lambda_i alpha^(-i d)
        let mut terms = [0u16; MAX_T + 1];
        terms[..=nu].copy_from_slice(lambda);
        let mut found = 0;
        for d in 0..self.n {
            if terms[..=nu].iter().fold(0, |a, &x| a ^ x) == 0 {
                roots[found] = d;
                found += 1;
                if found == nu {
                    break;
                }
            }
            for (term, m) in terms[1..=nu].iter_mut().zip(&self.chien_mul[1..]) {
                *term = m.mul(*term);
            }
        }
        found
    }

    /// The engine's riBM: AVX-512 with the GFNI kernels, [`ribm_fast`] otherwise.
    fn ribm(&self, s: &[u16]) -> ([u16; MAX_T + 1], [u16; MAX_T]) {
        if let Kernels::Gfni(tables) = &self.kernels {
            // SAFETY: the tables are only built when `gfni::available()` said so.
            return unsafe { gfni::ribm(tables, s) };
        }
        ribm_fast(s, self.t)
    }

    /// Step 6: the syndromes `s` of the received word with the errors `(d, log e)` removed
    /// are all zero (`S_j = sum e alpha^(j d)`, every j).
    fn residual_is_zero(&self, s: &[u16], errors: &[(usize, usize)]) -> bool {
        let f = gf();
        if let Kernels::Gfni(tables) = &self.kernels {
            let mut pairs = [(0usize, 0u16); MAX_T];
            for (p, &(d, le)) in pairs.iter_mut().zip(errors) {
                *p = (d, f.exp(le));
            }
            // SAFETY: the tables are only built when `gfni::available()` said so.
            return unsafe { gfni::residual_is_zero(tables, s, &pairs[..errors.len()]) };
        }
        let mut buf = [0u16; 2 * MAX_T];
        let rest = &mut buf[..s.len()];
        rest.copy_from_slice(s);
        for &(d, le) in errors {
            // S_j ^= e alpha^(j d); `exp` covers exponents < 2046, so a single fold of
            // `le + j d` (< 1023 * 2t) is enough.
            for (j, sj) in rest.iter_mut().enumerate() {
                let x = le + j * d;
                *sj ^= f.exp((x & 1023) + (x >> 10));
            }
        }
        rest.iter().all(|&x| x == 0)
    }

    /// Forney's sums `(omega(X^-1), lambda_odd(X^-1))`, `X^-1 = alpha^-d`, for each root
    /// degree d (< n < 1023); `dens` holds the denominators [`Codec::chien_fast`] gave with
    /// the GFNI kernels.
    fn forney_sums(
        &self,
        omega: &[u16],
        lambda: &[u16],
        dens: &[u16],
        roots: &[usize],
        out: &mut [(u16, u16)],
    ) {
        if let Kernels::Gfni(tables) = &self.kernels {
            // SAFETY: the tables are only built when `gfni::available()` said so.
            return unsafe { gfni::forney_sums(tables, omega, dens, roots, out) };
        }
        let f = gf();
        let t = self.t;
        let log_omega: [u16; MAX_T] =
            std::array::from_fn(|i| omega.get(i).map_or(0, |&x| f.log(x)));
        let log_lambda: [u16; MAX_T + 1] =
            std::array::from_fn(|i| lambda.get(i).map_or(0, |&x| f.log(x)));
        // Every exponent is computed from scratch (`i * step` reduced by `mod1023`) rather
        // than stepped, so the lookups carry no dependency chain.
        for (o, &d) in out.iter_mut().zip(roots) {
            let step = ORDER - d;
            let mut num = 0;
            let mut den = 0;
            for i in 0..t {
                let e = mod1023(i * step);
                num ^= f.mul_log(log_omega[i], e);
                if i % 2 == 1 {
                    den ^= f.mul_log(log_lambda[i], e);
                }
            }
            if t % 2 == 1 {
                den ^= f.mul_log(log_lambda[t], mod1023(t * step));
            }
            *o = (num, den);
        }
    }

    fn locate_fast(&self, r: &[u16]) -> Result<ErrorPattern, Failure> {
        let f = gf();
        let (n, t) = (self.n, self.t);
        let p = 2 * t;
        let mut s = [0u16; 2 * MAX_T];
        self.syndromes_fast(r, &mut s[..p]);
        if s[..p].iter().all(|&x| x == 0) {
            return Ok(ErrorPattern::EMPTY);
        }
        let (lambda, omega) = self.ribm(&s[..p]);
        let degree = (0..=t).rev().find(|&i| lambda[i] != 0).unwrap_or(0);
        if degree == 0 {
            // A constant locator: no roots, so nothing is corrected and the (non-zero)
            // syndromes remain; an all-zero locator has every position as a root.
            return Err(if lambda[0] != 0 {
                Failure::ResidualSyndrome
            } else {
                Failure::RootCount {
                    degree: 0,
                    roots: n,
                }
            });
        }
        let mut roots = [0usize; MAX_T];
        let mut dens = [0u16; MAX_T];
        let found = self.chien_fast(&lambda[..=degree], &mut roots, &mut dens);
        if found != degree {
            return Err(Failure::RootCount {
                degree,
                roots: found,
            });
        }
        let mut sums = [(0u16, 0u16); MAX_T];
        self.forney_sums(
            &omega[..t],
            &lambda[..=t],
            &dens[..found],
            &roots[..found],
            &mut sums[..found],
        );
        let mut errors = ErrorPattern::EMPTY;
        // (degree, log of the error value) of each error, for the residual check.
        let mut found_errors = [(0usize, 0usize); MAX_T];
        // Positions ascending = d descending.
        for (&d, &(num, den)) in roots[..found].iter().zip(&sums[..found]).rev() {
            let pos = n - 1 - d;
            if den == 0 || num == 0 {
                return Err(Failure::ErrorValue { position: pos });
            }
            // log e = log num - log den - 2t d  (mod 1023)
            let le =
                mod1023(f.log(num) as usize + 2 * ORDER - f.log(den) as usize + ORDER * p - p * d)
                    as usize;
            errors.push(pos, f.exp(le));
            found_errors[errors.len() - 1] = (d, le);
        }
        if !self.residual_is_zero(&s[..p], &found_errors[..errors.len()]) {
            return Err(Failure::ResidualSyndrome);
        }
        Ok(errors)
    }
}

/// `x mod 1023` for `x < 1023 * 1024`, by `2^10 = 1 (mod 1023)`: no division.
#[inline(always)]
fn mod1023(x: usize) -> u16 {
    let r = (x & 1023) + (x >> 10);
    (if r >= ORDER { r - ORDER } else { r }) as u16
}

/// Reformulated inversionless Berlekamp-Massey (Sarwate & Shanbhag 2001), written out
/// plainly. Exactly 2t iterations, no early exit. Returns (lambda_0..=lambda_t,
/// omega_0..omega_(t-1)).
fn ribm_naive(s: &[u16], t: usize) -> (Vec<u16>, Vec<u16>) {
    let f = gf();
    let mut delta = vec![0u16; 3 * t + 1];
    delta[..2 * t].copy_from_slice(s);
    delta[3 * t] = 1;
    let mut theta = delta.clone();
    let mut gamma: u16 = 1;
    let mut k: i32 = 0;
    for _r in 0..2 * t {
        let d0 = delta[0];
        let next: Vec<u16> = (0..=3 * t)
            .map(|i| {
                let up = if i < 3 * t { delta[i + 1] } else { 0 };
                f.mul(gamma, up) ^ f.mul(d0, theta[i])
            })
            .collect();
        if d0 != 0 && k >= 0 {
            for i in 0..=3 * t {
                theta[i] = if i < 3 * t { delta[i + 1] } else { 0 };
            }
            gamma = d0;
            k = -k - 1;
        } else {
            k += 1;
        }
        delta = next;
    }
    (delta[t..=2 * t].to_vec(), delta[..t].to_vec())
}

/// riBM with fixed arrays and multiplications by the two per-iteration constants done in the
/// log domain. Same arithmetic and decisions as [`ribm_naive`].
fn ribm_fast(s: &[u16], t: usize) -> ([u16; MAX_T + 1], [u16; MAX_T]) {
    let f = gf();
    const W: usize = 3 * MAX_T + 2;
    let m = 3 * t; // highest index
    let mut delta = [0u16; W];
    delta[..2 * t].copy_from_slice(s);
    delta[m] = 1;
    // theta is only ever a multiplicand: keep its logs.
    let mut log_theta = [0u16; W];
    for (lt, &x) in log_theta.iter_mut().zip(&delta) {
        *lt = f.log(x);
    }
    let mut gamma: u16 = 1;
    let mut k: i32 = 0;
    for _r in 0..2 * t {
        let d0 = delta[0];
        let lg = f.log(gamma);
        let ld = f.log(d0);
        // delta[m + 1] is always 0.
        if d0 != 0 && k >= 0 {
            for i in 0..=m {
                let lu = f.log(delta[i + 1]);
                delta[i] = f.mul_log(lu, lg) ^ f.mul_log(log_theta[i], ld);
                log_theta[i] = lu;
            }
            gamma = d0;
            k = -k - 1;
        } else {
            for i in 0..=m {
                let lu = f.log(delta[i + 1]);
                delta[i] = f.mul_log(lu, lg) ^ f.mul_log(log_theta[i], ld);
            }
            k += 1;
        }
    }
    let mut lambda = [0u16; MAX_T + 1];
    let mut omega = [0u16; MAX_T];
    lambda[..=t].copy_from_slice(&delta[t..=2 * t]);
    omega[..t].copy_from_slice(&delta[..t]);
    (lambda, omega)
}
