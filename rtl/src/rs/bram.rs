//! The decoder's block RAMs (inverse table, delay lines) in two forms with
//! the same timing: every read goes through two registers, the read
//! register and an output register ([`READ_LATENCY`] clocks).
//!
//! * [`MemForm::Generic`] (simulation, iCE40, `rxdsp gen`): a behavioural
//!   memory read into a register, then a second register. Yosys merges the
//!   first into the memory's read port (block RAM); the second stays a
//!   fabric register.
//! * [`MemForm::Ecp5`] (the ECP5 synthesis build, `rxdsp synth --target
//!   ecp5-85k`): `DP16KD` instances with `REGMODE = "OUTREG"`, so the second
//!   register is the block RAM's own output register. Yosys never infers it
//!   (its ECP5 memory library maps every memory with `NOREG`), and without it
//!   nextpnr times the read at 5.83 ns from the clock to the data.
//!
//! Both forms advance only on the enable (`CE` for the read register, `OCE`
//! for the output register), so the decoder pipeline is the same in both.

use crate::hdl::{Dir, Expr, Module, Param, Port, Ty};
use crate::RtlError;

/// How the decoder's memories are written (a generator option: the ECP5
/// synthesis flow asks for [`MemForm::Ecp5`], everything else uses the
/// default [`MemForm::Generic`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MemForm {
    /// behavioural memories (any simulator, any synthesis target)
    #[default]
    Generic,
    /// ECP5 `DP16KD` primitives with their output register
    Ecp5,
}

/// Clocks from an address to its data: the read register and the output
/// register.
pub const READ_LATENCY: usize = 2;

/// Words of a `DP16KD` in its 18-bit-wide mode.
const DEPTH_X18: usize = 1024;
/// Words of a `DP16KD` in its 9-bit-wide mode.
const DEPTH_X9: usize = 2048;

/// One side (`A` or `B`) of a `DP16KD` as the decoder uses it.
pub(crate) struct Side<'a> {
    /// `"A"` or `"B"`
    pub name: &'static str,
    /// the clock
    pub clk: &'a Expr,
    /// the clock enable (read register, and write)
    pub ce: &'a Expr,
    /// the word address (at most 10 bits at 18 wide, 11 at 9 wide)
    pub addr: &'a Expr,
    /// write data (a write port, `WE` = `ce`) or `None` (a read port)
    pub din: Option<&'a Expr>,
    /// read data `(wire, lo, bits)`: `DO0..` drive bits `lo..lo + bits` of
    /// the wire (at most the mode's width), through the output register
    /// enabled by `ce`; `None` for a write port
    pub dout: Option<(&'a Expr, u32, u32)>,
}

/// The `DP16KD` black box with the ports `sides` connect.
fn dp16kd_box(sides: &[&Side]) -> Result<Module, RtlError> {
    let port = |name: String, dir: Dir| Port {
        name,
        dir,
        ty: Ty::BIT,
        doc: String::new(),
    };
    let mut ports = Vec::new();
    for s in sides {
        let x = s.name;
        for n in ["CLK", "CE", "OCE", "WE", "RST"] {
            ports.push(port(format!("{n}{x}"), Dir::In));
        }
        for i in 0..3 {
            ports.push(port(format!("CS{x}{i}"), Dir::In));
        }
        for i in 0..14 {
            ports.push(port(format!("AD{x}{i}"), Dir::In));
        }
        for i in 0..18 {
            ports.push(port(format!("DI{x}{i}"), Dir::In));
        }
        if let Some((_, _, bits)) = s.dout {
            for i in 0..bits {
                ports.push(port(format!("DO{x}{i}"), Dir::Out));
            }
        }
    }
    Module::black_box("DP16KD", ports)
}

/// The data width mode (18 or 9) for a memory of `depth` words; an error
/// past 2048 words.
pub(crate) fn mode_width(depth: usize) -> Result<u32, RtlError> {
    match depth {
        0..=DEPTH_X18 => Ok(18),
        d if d <= DEPTH_X9 => Ok(9),
        d => Err(RtlError::Param {
            name: "DP16KD memory depth",
            value: d as i64,
            why: "one block holds at most 2048 words (9 bits wide)".into(),
        }),
    }
}

/// The `INITVAL_00..3F` parameters of a `DP16KD` at 18 bits wide holding
/// `words` (at most 1024, each below 2^18): word `w` is bits
/// `20 (w % 16) + 17 .. 20 (w % 16)` of `INITVAL_(w / 16)` (16 words of 18
/// bits in 20-bit slots per 320-bit parameter).
pub(crate) fn initvals(words: &[u32]) -> Result<Vec<(String, Param)>, RtlError> {
    if words.len() > DEPTH_X18 || words.iter().any(|&w| w >= 1 << 18) {
        return Err(RtlError::Param {
            name: "DP16KD table",
            value: words.len() as i64,
            why: "at most 1024 words of at most 18 bits".into(),
        });
    }
    let mut v = Vec::with_capacity(64);
    for idx in 0..64 {
        let mut bits = vec![false; 320];
        for i in 0..16 {
            let w = words.get(idx * 16 + i).copied().unwrap_or(0);
            for b in 0..18 {
                bits[i * 20 + b] = w >> b & 1 == 1;
            }
        }
        v.push((format!("INITVAL_{idx:02X}"), Param::bits(320, &bits)?));
    }
    Ok(v)
}

/// Instantiates one `DP16KD` as `inst` at data width `width` (18 or 9) on
/// both sides, `REGMODE = "OUTREG"` on the read sides, with the table
/// `init` (18 bits wide only) or no initial contents.
pub(crate) fn dp16kd(
    m: &mut Module,
    inst: &str,
    width: u32,
    sides: &[&Side],
    init: Option<&[u32]>,
) -> Result<(), RtlError> {
    let abits = if width == 18 { 10 } else { 11 };
    let zero = Expr::konst(0, Ty::BIT)?;
    let one = Expr::konst(1, Ty::BIT)?;
    let mut params: Vec<(String, Param)> = Vec::new();
    for s in sides {
        params.push((format!("DATA_WIDTH_{}", s.name), Param::Int(width as i64)));
    }
    for s in sides {
        let mode = if s.dout.is_some() { "OUTREG" } else { "NOREG" };
        params.push((format!("REGMODE_{}", s.name), Param::str(mode)));
    }
    for (k, v) in [
        ("RESETMODE", "SYNC"),
        ("ASYNC_RESET_RELEASE", "SYNC"),
        ("GSR", "AUTO"),
    ] {
        params.push((k.into(), Param::str(v)));
    }
    for s in sides {
        params.push((format!("CSDECODE_{}", s.name), Param::str("0b000")));
        params.push((format!("WRITEMODE_{}", s.name), Param::str("NORMAL")));
    }
    if let Some(words) = init {
        if width != 18 {
            return Err(RtlError::Param {
                name: "DP16KD table width",
                value: width as i64,
                why: "a table is laid out 18 bits wide".into(),
            });
        }
        params.extend(initvals(words)?);
    }
    let mut conns: Vec<(String, Expr)> = Vec::new();
    for s in sides {
        let x = s.name;
        if s.addr.width() > abits {
            return Err(RtlError::Param {
                name: "DP16KD address width",
                value: s.addr.width() as i64,
                why: format!("at most {abits} bits at {width} bits wide"),
            });
        }
        let oce = if s.dout.is_some() { s.ce } else { &zero };
        let we = if s.din.is_some() { s.ce } else { &zero };
        for (n, e) in [
            ("CLK", s.clk),
            ("CE", s.ce),
            ("OCE", oce),
            ("WE", we),
            ("RST", &zero),
        ] {
            conns.push((format!("{n}{x}"), e.clone()));
        }
        for i in 0..3 {
            conns.push((format!("CS{x}{i}"), zero.clone()));
        }
        // the word address in AD13..AD4 (18 wide) or AD13..AD3 (9 wide);
        // at 18 wide AD1, AD0 are the byte write enables
        let low = 14 - abits;
        for i in 0..14u32 {
            let e = if i >= low && i - low < s.addr.width() {
                s.addr.bit(i - low)?
            } else if width == 18 && i < 2 && s.din.is_some() {
                one.clone()
            } else {
                zero.clone()
            };
            conns.push((format!("AD{x}{i}"), e));
        }
        for i in 0..18u32 {
            let e = match s.din {
                Some(d) if i < d.width() && i < width => d.bit(i)?,
                _ => zero.clone(),
            };
            conns.push((format!("DI{x}{i}"), e));
        }
        if let Some((d, lo, bits)) = s.dout {
            if bits > width {
                return Err(RtlError::Param {
                    name: "DP16KD read width",
                    value: bits as i64,
                    why: format!("at most {width} bits"),
                });
            }
            for i in 0..bits {
                conns.push((format!("DO{x}{i}"), d.bit(lo + i)?));
            }
        }
    }
    let p: Vec<(&str, Param)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    let c: Vec<(&str, &Expr)> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance_with_params(&dp16kd_box(sides)?, inst, &p, &c)
}

/// `d` (a named signal) delayed by `len >= 8` beats of `en` (as a chain of `len` enabled
/// registers would give) through a ring buffer with a [`READ_LATENCY`]-clock
/// read: `len.next_power_of_two()` words, a write pointer and a read
/// pointer `len - 2` words behind it, the read register and the output
/// register. Generic: a behavioural memory; ECP5: `DP16KD`s side by side
/// (18 bits wide up to 1024 words, 9 bits up to 2048), written on side A,
/// read on side B through its output register.
pub fn delay_line(
    m: &mut Module,
    form: MemForm,
    clk: &Expr,
    name: &str,
    d: &Expr,
    en: &Expr,
    len: usize,
) -> Result<Expr, RtlError> {
    if len < 8 {
        return Err(RtlError::Param {
            name: "block RAM delay length",
            value: len as i64,
            why: "must be at least 8".into(),
        });
    }
    let depth = len.next_power_of_two();
    let ab = depth.trailing_zeros();
    let one = Expr::konst(1, Ty::u(ab))?;
    let wa = m.reg(&format!("{name}_wa"), Ty::u(ab), Some(0))?;
    let behind = (depth - (len - READ_LATENCY)) % depth;
    let ra = m.reg(&format!("{name}_ra"), Ty::u(ab), Some(behind as i128))?;
    m.next(&wa, &wa.add(&one)?, Some(en))?;
    m.next(&ra, &ra.add(&one)?, Some(en))?;
    match form {
        MemForm::Generic => {
            let mem = m.memory(&format!("{name}_mem"), d.ty(), depth)?;
            m.mem_write(&mem, en, &wa, d)?;
            let r = m.reg_d(&format!("{name}_rd"), &mem.read(&ra)?, Some(en), None)?;
            m.reg_d(&format!("{name}_q"), &r, Some(en), None)
        }
        MemForm::Ecp5 => {
            let width = mode_width(depth)?;
            let w = d.width();
            let q = m.wire_decl(&format!("{name}_q"), d.ty())?;
            for (k, lo) in (0..w).step_by(width as usize).enumerate() {
                let hi = (lo + width - 1).min(w - 1);
                let din = m.wire(&format!("{name}_di{k}"), &d.slice(hi, lo)?)?;
                let a = Side {
                    name: "A",
                    clk,
                    ce: en,
                    addr: &wa,
                    din: Some(&din),
                    dout: None,
                };
                let b = Side {
                    name: "B",
                    clk,
                    ce: en,
                    addr: &ra,
                    din: None,
                    dout: Some((&q, lo, hi - lo + 1)),
                };
                dp16kd(m, &format!("u_{name}_ram{k}"), width, &[&a, &b], None)?;
            }
            Ok(q)
        }
    }
}
