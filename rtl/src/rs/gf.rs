//! GF(2^10) arithmetic at generation time (p(x) = x^10 + x^3 + 1, alpha = 2,
//! the field of `golden::fec`) and the hardware it turns into: constant
//! multipliers and other GF(2)-linear maps as flat XOR networks ([`Lin`]),
//! the general multiplier module and the inverse table.

use super::bram::{dp16kd, MemForm, Side};
use crate::hdl::{Expr, Header, Module, Ty};
use crate::RtlError;

/// Order of the multiplicative group.
pub const ORDER: i64 = golden::fec::gf::ORDER as i64;
/// The field polynomial x^10 + x^3 + 1.
const POLY: u16 = golden::fec::gf::POLY;

/// The field, at generation time: the tables of `golden::fec` (built once,
/// shared with the codec), with exponents of either sign.
pub struct Gf(&'static golden::fec::gf::Gf);

impl Gf {
    /// The shared tables.
    pub fn new() -> Gf {
        Gf(golden::fec::gf::gf())
    }
    /// alpha^e for any (also negative) e.
    pub fn pow(&self, e: i64) -> u16 {
        self.0.pow(e.rem_euclid(ORDER) as usize)
    }
    /// a * b.
    pub fn mul(&self, a: u16, b: u16) -> u16 {
        self.0.mul(a, b)
    }
}

impl Default for Gf {
    fn default() -> Self {
        Gf::new()
    }
}

/// A 10-bit symbol as a GF(2)-linear function of input bits: bit `i` of the
/// symbol is the XOR of the input bits in `self.0[i]` (a bit set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lin(pub [Vec<u64>; 10]);

fn set_xor(a: &mut Vec<u64>, b: &[u64]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

impl Lin {
    /// The zero symbol.
    pub fn zero() -> Lin {
        Lin(Default::default())
    }
    /// `self ^= o`.
    pub fn xor_in(&mut self, o: &Lin) {
        for i in 0..10 {
            set_xor(&mut self.0[i], &o.0[i]);
        }
    }
    /// `self * c` for a field constant `c`.
    pub fn mul(&self, gf: &Gf, c: u16) -> Lin {
        let mut out = Lin::zero();
        for j in 0..10 {
            // input bit j is alpha^j; alpha^j * c spreads it over the output bits
            let v = gf.mul(c, 1 << j);
            for k in 0..10 {
                if v >> k & 1 == 1 {
                    set_xor(&mut out.0[k], &self.0[j]);
                }
            }
        }
        out
    }
}

/// Input bits of a linear network: named signals, bit by bit.
#[derive(Default)]
pub struct LinSpace {
    bits: Vec<Expr>,
}

impl LinSpace {
    /// An empty space.
    pub fn new() -> LinSpace {
        LinSpace::default()
    }
    /// Adds the 10 bits of a named 10-bit signal; returns it as a [`Lin`].
    pub fn symbol(&mut self, sig: &Expr) -> Result<Lin, RtlError> {
        let mut l = Lin::zero();
        for i in 0..10u32 {
            let idx = self.bits.len();
            self.bits.push(sig.bit(i)?);
            let mut v = vec![0u64; idx / 64 + 1];
            v[idx / 64] |= 1 << (idx % 64);
            l.0[i as usize] = v;
        }
        Ok(l)
    }
    /// The 10-bit expression of `l`, as a named wire. Emitted column-wise
    /// (word-level, compact in Verilator's C++): the XOR over the input bits
    /// of `bit ? column : 0`, `column` = the output bits that input bit feeds.
    pub fn emit(&self, m: &mut Module, name: &str, l: &Lin) -> Result<Expr, RtlError> {
        let mut cols: std::collections::BTreeMap<usize, i128> = Default::default();
        for (k, set) in l.0.iter().enumerate() {
            for (w, &word) in set.iter().enumerate() {
                let mut x = word;
                while x != 0 {
                    let b = x.trailing_zeros() as usize;
                    x &= x - 1;
                    *cols.entry(w * 64 + b).or_default() |= 1 << k;
                }
            }
        }
        let z = Expr::konst(0, Ty::u(10))?;
        let mut terms = Vec::new();
        for (idx, col) in cols {
            let bit = &self.bits[idx];
            let c = Expr::konst(col, Ty::u(10))?;
            terms.push(Expr::mux(bit, &c, &z)?);
        }
        let v = if terms.is_empty() { z } else { xor_all(terms)? };
        m.wire(name, &v)
    }
}

/// The balanced reduction of `v` by the binary operator `op` (the pairs of
/// each level in order, an odd last term passed up); `1'b0` when empty.
pub fn reduce_tree(
    mut v: Vec<Expr>,
    op: impl Fn(&Expr, &Expr) -> Result<Expr, RtlError>,
) -> Result<Expr, RtlError> {
    if v.is_empty() {
        return Expr::konst(0, Ty::BIT);
    }
    while v.len() > 1 {
        let mut n = Vec::with_capacity(v.len().div_ceil(2));
        for c in v.chunks(2) {
            n.push(match c {
                [a, b] => op(a, b)?,
                _ => c[0].clone(),
            });
        }
        v = n;
    }
    Ok(v.pop().expect("one left"))
}

/// Balanced XOR of one-bit (or same-typed) expressions; `1'b0` when empty.
pub fn xor_all(v: Vec<Expr>) -> Result<Expr, RtlError> {
    reduce_tree(v, |a, b| a.xor(b))
}

/// Balanced OR of one-bit expressions; `1'b0` when empty.
pub fn or_all(v: Vec<Expr>) -> Result<Expr, RtlError> {
    reduce_tree(v, |a, b| a.or(b))
}

/// `x * c` for a named 10-bit signal `x` and a field constant `c`, as a wire.
pub fn cmul(m: &mut Module, gf: &Gf, name: &str, x: &Expr, c: u16) -> Result<Expr, RtlError> {
    let mut sp = LinSpace::new();
    let l = sp.symbol(x)?;
    sp.emit(m, name, &l.mul(gf, c))
}

/// Name of the general multiplier module.
pub const MUL: &str = "rxdsp_rs_gfmul";
/// Name of the inverse table (two ports).
pub const INV: &str = "rxdsp_rs_gfinv";
/// Name of the inverse table with one port (the last lane of an odd `S`).
pub const INV1: &str = "rxdsp_rs_gfinv1";

/// `rxdsp_rs_gfmul`: combinational `y = a * b` in GF(2^10):
/// `y = sum_i a_i (b alpha^i)`, each `b alpha^i` a linear map of `b`.
pub fn build_mul(header: Header) -> Result<Module, RtlError> {
    let mut m = Module::new(MUL, header);
    let a = m.input("a", Ty::u(10), "operand")?;
    let b = m.input("b", Ty::u(10), "operand")?;
    // rows b alpha^i, word-level: b alpha^(i+1) = (b alpha^i << 1) ^ (msb ? 0x009 : 0)
    let z = Expr::konst(0, Ty::u(10))?;
    let red = Expr::konst((POLY & 0x3ff) as i128, Ty::u(10))?;
    let mut row = b.clone();
    let mut terms = Vec::new();
    for i in 0..10u32 {
        if i > 0 {
            let fb = Expr::mux(&row.bit(9)?, &red, &z)?;
            row = m.wire(&format!("b_a{i}"), &row.shl(1).xor(&fb)?)?;
        }
        terms.push(Expr::mux(&a.bit(i)?, &row, &z)?);
    }
    let y = m.wire("y_w", &xor_all(terms)?)?;
    m.output("y", &y, "a * b")?;
    Ok(m)
}

/// Instantiates a multiplier: returns a wire `name` = `a * b`.
pub fn gmul(
    m: &mut Module,
    mul: &Module,
    name: &str,
    a: &Expr,
    b: &Expr,
) -> Result<Expr, RtlError> {
    let y = m.wire_decl(name, Ty::u(10))?;
    m.instance(mul, &format!("u_{name}"), &[("a", a), ("b", b), ("y", &y)])?;
    Ok(y)
}

/// `rxdsp_rs_gfinv` (`ports = 2`) / `rxdsp_rs_gfinv1` (`ports = 1`): the
/// inverse table, `y = 1/x` (`0` for `x = 0`), a 1024 x 10 read-only memory
/// with synchronous read ports of [`super::bram::READ_LATENCY`] clocks (`yi = 1/ai` two
/// clocks with `en` high after `ai` was presented, held otherwise: the read
/// register, then the output register): one ECP5 `DP16KD` serves two lanes.
/// `form` picks the behavioural table or the `DP16KD` with its output
/// register (see [`super::bram`]). The table is computed here from the
/// field (`x^1022`, Fermat), checked against the definition in the tests.
pub fn build_inv(header: Header, ports: usize, form: MemForm) -> Result<Module, RtlError> {
    if !(1..=2).contains(&ports) {
        return Err(RtlError::Param {
            name: "inverse table ports",
            value: ports as i64,
            why: "a block RAM has one or two ports".into(),
        });
    }
    let gf = Gf::new();
    let mut m = Module::new(if ports == 2 { INV } else { INV1 }, header);
    let clk = m.clock_only()?;
    let en = m.input("en", Ty::BIT, "read enable (the outputs hold without it)")?;
    let a: Vec<Expr> = (0..ports)
        .map(|i| m.input(&format!("a{i}"), Ty::u(10), "operand"))
        .collect::<Result<_, _>>()?;
    let table: Vec<u32> = (0..1024u16).map(|x| inv(&gf, x) as u32).collect();
    let doc = "1 / a (0 for a = 0), two clocks of en after a";
    match form {
        MemForm::Generic => {
            let words: Vec<i128> = table.iter().map(|&w| w as i128).collect();
            let rom = m.rom("inv_rom", Ty::u(10), &words)?;
            for (i, ai) in a.iter().enumerate() {
                let r = m.reg_d(&format!("y{i}_r"), &rom.read(ai)?, Some(&en), None)?;
                let y = m.reg_d(&format!("y{i}_q"), &r, Some(&en), None)?;
                m.output(&format!("y{i}"), &y, doc)?;
            }
        }
        MemForm::Ecp5 => {
            m.comment("one DP16KD, 1024 x 18, read register and output register (REGMODE OUTREG) on each side");
            let ys: Vec<Expr> = (0..ports)
                .map(|i| m.wire_decl(&format!("y{i}_q"), Ty::u(10)))
                .collect::<Result<_, _>>()?;
            let sides: Vec<Side> = a
                .iter()
                .zip(&ys)
                .zip(["A", "B"])
                .map(|((ai, y), name)| Side {
                    name,
                    clk: &clk,
                    ce: &en,
                    addr: ai,
                    din: None,
                    dout: Some((y, 0, 10)),
                })
                .collect();
            let refs: Vec<&Side> = sides.iter().collect();
            dp16kd(&mut m, "u_rom", 18, &refs, Some(&table))?;
            for (i, y) in ys.iter().enumerate() {
                m.output(&format!("y{i}"), y, doc)?;
            }
        }
    }
    Ok(m)
}

/// `x^1022` (= 1/x for x != 0, 0 for x = 0) by square-and-multiply.
pub fn inv(gf: &Gf, x: u16) -> u16 {
    let (mut acc, mut sq, mut e) = (1u16, x, 1022u32);
    while e > 0 {
        if e & 1 == 1 {
            acc = gf.mul(acc, sq);
        }
        sq = gf.mul(sq, sq);
        e >>= 1;
    }
    if x == 0 {
        0
    } else {
        acc
    }
}

/// `y = x * b` for a register `x` and the ten rows `rows[k] = b alpha^k`
/// (registers kept by the caller): `XOR_k (x_k ? rows[k] : 0)`, an AND-XOR
/// network of depth ~3 LUT4 whose rows can be shared by many products.
pub fn row_mul(rows: &[Expr], x: &Expr) -> Result<Expr, RtlError> {
    let z = Expr::konst(0, Ty::u(10))?;
    let mut terms = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        terms.push(Expr::mux(&x.bit(k as u32)?, r, &z)?);
    }
    xor_all(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shift-and-add multiplication, reducing by x^10 + x^3 + 1 at every
    /// shift: the definition of the field, independent of any table.
    fn mul_slow(mut a: u16, mut b: u16) -> u16 {
        let mut p = 0;
        while b != 0 {
            if b & 1 == 1 {
                p ^= a;
            }
            b >>= 1;
            a <<= 1;
            if a & 0x400 != 0 {
                a ^= 0x409;
            }
        }
        p
    }

    /// Evaluates a [`Lin`] over one 10-bit input symbol (input bit j = bit j of `x`).
    fn eval(l: &Lin, x: u16) -> u16 {
        let mut y = 0;
        for (k, set) in l.0.iter().enumerate() {
            let mask = set.first().copied().unwrap_or(0);
            y |= (((mask & x as u64).count_ones() & 1) as u16) << k;
        }
        y
    }

    #[test]
    fn field_matches_definition() {
        let gf = Gf::new();
        // powers by repeated multiplication by alpha = x, from the definition
        let mut x = 1u16;
        for e in 0..ORDER {
            assert_eq!(gf.pow(e), x, "alpha^{e}");
            assert_eq!(gf.pow(e - ORDER), x, "alpha^{}", e - ORDER);
            x = mul_slow(x, 2);
        }
        assert_eq!(x, 1, "alpha has order 1023");
        assert_eq!(gf.pow(10), 0x009); // x^10 = x^3 + 1
        for a in (0..1024u16).step_by(5) {
            for b in 0..1024u16 {
                assert_eq!(gf.mul(a, b), mul_slow(a, b), "{a} * {b}");
            }
        }
        for a in 1..1024u16 {
            // a * a^1022 = 1 (Fermat), computed by square-and-multiply on mul_slow
            let (mut acc, mut sq, mut e) = (1u16, a, 1022u32);
            while e > 0 {
                if e & 1 == 1 {
                    acc = mul_slow(acc, sq);
                }
                sq = mul_slow(sq, sq);
                e >>= 1;
            }
            assert_eq!(mul_slow(a, acc), 1);
            assert_eq!(gf.mul(a, acc), 1);
            assert_eq!(inv(&gf, a), acc);
        }
    }

    #[test]
    fn inverse_of_zero_is_zero() {
        assert_eq!(inv(&Gf::new(), 0), 0);
    }

    #[test]
    fn constant_multipliers_are_the_field_product() {
        let gf = Gf::new();
        let mut l = Lin::zero();
        for (j, set) in l.0.iter_mut().enumerate() {
            *set = vec![1 << j];
        }
        for c in [0u16, 1, 2, 0x009, 0x155, 0x3ff, gf.pow(-1), gf.pow(517)] {
            let m = l.mul(&gf, c);
            for x in 0..1024u16 {
                assert_eq!(eval(&m, x), mul_slow(x, c), "{x} * {c}");
            }
        }
    }
}
