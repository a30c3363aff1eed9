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
//!
//! [`read_twice`] is the same pair of forms for a memory read every clock
//! (the link emulator's channel tables and noise thresholds): its ECP5 form
//! is the 36-bit pseudo-dual-port mode Yosys itself picks for them, with
//! the output register.

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
/// Words of a `DP16KD` in its 36-bit-wide pseudo-dual-port mode.
pub const DEPTH_X36: usize = 512;

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

/// The parameters every `DP16KD` here takes: the data width `width` and
/// the register mode of each side (`(name, REGMODE)`), synchronous resets,
/// no chip-select decode, normal write mode.
fn block_params(width: u32, sides: &[(&str, &str)]) -> Vec<(String, Param)> {
    let mut params: Vec<(String, Param)> = Vec::new();
    for (n, _) in sides {
        params.push((format!("DATA_WIDTH_{n}"), Param::Int(width as i64)));
    }
    for (n, mode) in sides {
        params.push((format!("REGMODE_{n}"), Param::str(mode)));
    }
    for (k, v) in [
        ("RESETMODE", "SYNC"),
        ("ASYNC_RESET_RELEASE", "SYNC"),
        ("GSR", "AUTO"),
    ] {
        params.push((k.into(), Param::str(v)));
    }
    for (n, _) in sides {
        params.push((format!("CSDECODE_{n}"), Param::str("0b000")));
        params.push((format!("WRITEMODE_{n}"), Param::str("NORMAL")));
    }
    params
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
    let modes: Vec<(&str, &str)> = sides
        .iter()
        .map(|s| (s.name, if s.dout.is_some() { "OUTREG" } else { "NOREG" }))
        .collect();
    let mut params = block_params(width, &modes);
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

/// A memory read every clock through two registers (see [`read_twice`]):
/// written at `wa` with `wd` on `we`, read at `ra`. A read of the address
/// being written on that clock may differ between the forms; its word must
/// not be used (the caller's contract: the emulator's tables are written
/// before `run`, and what is read meanwhile is not part of the stream).
pub struct TwiceRead<'a> {
    /// the memory's name (generic form; the ECP5 blocks are `u_{name}_ram{k}`)
    pub name: &'a str,
    /// the word type
    pub ty: Ty,
    /// words (at most [`DEPTH_X36`])
    pub depth: usize,
    /// the write strobe
    pub we: &'a Expr,
    /// the write address
    pub wa: &'a Expr,
    /// the write data
    pub wd: &'a Expr,
    /// the read address (every clock)
    pub ra: &'a Expr,
}

/// The word of `mem` at its read address two clocks later, through two
/// registers named `regs` (generic form: a behavioural memory read into
/// `regs[0]`, which Yosys merges into the block RAM, then the fabric
/// register `regs[1]`; ECP5: `DP16KD`s side by side in their 36-bit
/// pseudo-dual-port mode, written on side A, read on side B, both halves of
/// the word through the block's output register, `regs[1]` the wire of
/// their outputs). No enable: both registers load every clock.
pub fn read_twice(
    m: &mut Module,
    form: MemForm,
    clk: &Expr,
    mem: &TwiceRead,
    regs: [&str; 2],
) -> Result<Expr, RtlError> {
    if mem.depth > DEPTH_X36 || !mem.depth.is_power_of_two() {
        return Err(RtlError::Param {
            name: "block RAM read twice, depth",
            value: mem.depth as i64,
            why: format!("a power of two, at most {DEPTH_X36} words (one 36-bit-wide DP16KD)"),
        });
    }
    let ab = mem.depth.trailing_zeros();
    if mem.wd.width() != mem.ty.width || mem.wa.width() != ab || mem.ra.width() != ab {
        return Err(RtlError::Param {
            name: "block RAM read twice, port widths",
            value: mem.wd.width() as i64,
            why: format!(
                "data of {} bits and addresses of {ab} bits (got {}, {}, {})",
                mem.ty.width,
                mem.wd.width(),
                mem.wa.width(),
                mem.ra.width()
            ),
        });
    }
    match form {
        MemForm::Generic => {
            let r = m.memory(mem.name, mem.ty, mem.depth)?;
            m.mem_write(&r, mem.we, mem.wa, mem.wd)?;
            m.mem_no_collision(&r)?;
            let q = m.reg_d(regs[0], &r.read(mem.ra)?, None, None)?;
            m.reg_d(regs[1], &q, None, None)
        }
        MemForm::Ecp5 => {
            let q = m.wire_decl(regs[1], mem.ty)?;
            let w = mem.ty.width;
            // the data and the addresses named, so their slices and bits are
            let wd = m.wire(&format!("{}_wd", mem.name), mem.wd)?;
            let wa = m.wire(&format!("{}_wa", mem.name), mem.wa)?;
            let ra = m.wire(&format!("{}_ra", mem.name), mem.ra)?;
            for (k, lo) in (0..w).step_by(36).enumerate() {
                let hi = (lo + 35).min(w - 1);
                let din = m.wire(&format!("{}_di{k}", mem.name), &wd.slice(hi, lo)?)?;
                let x36 = X36 {
                    clk,
                    we: mem.we,
                    wa: &wa,
                    din: &din,
                    ra: &ra,
                    q: &q,
                    lo,
                };
                dp16kd_x36(m, &format!("u_{}_ram{k}", mem.name), &x36)?;
            }
            Ok(q)
        }
    }
}

/// One `DP16KD` in the 36-bit pseudo-dual-port mode: its write and read
/// sides and the bits `lo..` of `q` its outputs drive.
struct X36<'a> {
    clk: &'a Expr,
    we: &'a Expr,
    wa: &'a Expr,
    /// at most 36 bits
    din: &'a Expr,
    ra: &'a Expr,
    q: &'a Expr,
    lo: u32,
}

/// Instantiates one `DP16KD` as `inst` in the 36-bit pseudo-dual-port mode,
/// with the data and address pins Yosys's ECP5 memory map uses for it (the
/// byte enables `ADA0..3` the write strobe, `WEA = 1`, the word address on
/// `AD13..AD5`, data bits 0..17 on side A's pins and 18..35 on side B's),
/// the clock enables high (`CEA`, `CEB`: the map's `CEA` is its write port's
/// clock enable), and `REGMODE = "OUTREG"` with the output enables high on
/// both sides (the map has `NOREG`): nextpnr times each side's outputs by
/// its own `REGMODE`, and the read data comes out of both.
fn dp16kd_x36(m: &mut Module, inst: &str, x: &X36) -> Result<(), RtlError> {
    for (what, a) in [("write", x.wa), ("read", x.ra)] {
        if a.width() > 9 {
            return Err(RtlError::Param {
                name: "DP16KD 36-bit address width",
                value: a.width() as i64,
                why: format!("the {what} address has at most 9 bits"),
            });
        }
    }
    let bits = x.din.width();
    if bits > 36 {
        return Err(RtlError::Param {
            name: "DP16KD 36-bit data width",
            value: bits as i64,
            why: "at most 36 bits".into(),
        });
    }
    let zero = Expr::konst(0, Ty::BIT)?;
    let one = Expr::konst(1, Ty::BIT)?;
    let lo_bits = bits.min(18);
    let a = Side {
        name: "A",
        clk: x.clk,
        ce: &one,
        addr: x.wa,
        din: Some(x.din),
        dout: Some((x.q, x.lo, lo_bits)),
    };
    let b = Side {
        name: "B",
        clk: x.clk,
        ce: &one,
        addr: x.ra,
        din: None,
        dout: (bits > 18).then_some((x.q, x.lo + 18, bits - 18)),
    };
    let params = block_params(36, &[("A", "OUTREG"), ("B", "OUTREG")]);
    let mut conns: Vec<(String, Expr)> = Vec::new();
    for (s, we) in [(&a, &one), (&b, &zero)] {
        let n = s.name;
        for (p, e) in [
            ("CLK", x.clk),
            ("CE", &one),
            ("OCE", &one),
            ("WE", we),
            ("RST", &zero),
        ] {
            conns.push((format!("{p}{n}"), e.clone()));
        }
        for i in 0..3 {
            conns.push((format!("CS{n}{i}"), zero.clone()));
        }
        for i in 0..14u32 {
            let e = match i {
                0..=3 if s.din.is_some() => x.we.clone(),
                5.. if i - 5 < s.addr.width() => s.addr.bit(i - 5)?,
                _ => zero.clone(),
            };
            conns.push((format!("AD{n}{i}"), e));
        }
    }
    // the write data: bits 0..17 on DIA, 18..35 on DIB
    for (n, base) in [("A", 0u32), ("B", 18)] {
        for i in 0..18u32 {
            let e = match base + i < bits {
                true => x.din.bit(base + i)?,
                false => zero.clone(),
            };
            conns.push((format!("DI{n}{i}"), e));
        }
    }
    for s in [&a, &b] {
        if let Some((q, lo, n)) = s.dout {
            for i in 0..n {
                conns.push((format!("DO{}{i}", s.name), q.bit(lo + i)?));
            }
        }
    }
    let p: Vec<(&str, Param)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    let c: Vec<(&str, &Expr)> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance_with_params(&dp16kd_box(&[&a, &b])?, inst, &p, &c)
}
