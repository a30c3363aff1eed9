//! A small typed Verilog generator.
//!
//! Every expression carries an explicit width and signedness ([`Ty`]). The
//! operators refuse operands whose types differ, so the emitted Verilog never
//! relies on Verilog's context-determined widths or mixed-sign rules: what the
//! Rust program built is exactly what a simulator computes, and Verilator's
//! `-Wall` lint has nothing to complain about. Errors name the offending
//! expression in Verilog syntax.
//!
//! Slicing and extension need a named signal (Verilog cannot index an
//! expression): name intermediate results with [`Module::wire`].

use crate::RtlError;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

/// Width and signedness of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ty {
    /// width in bits, >= 1
    pub width: u32,
    /// two's complement signed when true
    pub signed: bool,
}

impl Ty {
    /// A signed type of `width` bits.
    pub const fn s(width: u32) -> Ty {
        Ty {
            width,
            signed: true,
        }
    }
    /// An unsigned type of `width` bits.
    pub const fn u(width: u32) -> Ty {
        Ty {
            width,
            signed: false,
        }
    }
    /// One unsigned bit.
    pub const BIT: Ty = Ty::u(1);

    fn decl(&self) -> String {
        let s = if self.signed { "signed " } else { "" };
        if self.width == 1 {
            s.trim_end().to_string()
        } else {
            format!("{s}[{}:0]", self.width - 1)
        }
    }
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            if self.signed { "signed" } else { "unsigned" },
            self.width
        )
    }
}

#[derive(Debug)]
enum Node {
    Sig(String),
    Const(i128),
    Bin(&'static str, Expr, Expr),
    Not(Expr),
    Shift(&'static str, Expr, u32),
    Mux(Expr, Expr, Expr),
    Slice(Expr, u32, u32),
    Concat(Vec<Expr>),
    Ext(Expr, u32),
    Cast(Expr, bool),
    Index(String, Expr),
    Reduce(&'static str, Expr),
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    ty: Ty,
    node: Rc<Node>,
}

fn mismatch(op: &'static str, a: &Expr, b: &Expr) -> RtlError {
    RtlError::TypeMismatch {
        op,
        expr: format!("{} {op} {}", a.verilog(), b.verilog()),
        left: a.ty,
        right: b.ty,
    }
}

impl Expr {
    fn new(ty: Ty, node: Node) -> Expr {
        Expr {
            ty,
            node: Rc::new(node),
        }
    }

    /// A reference to a signal (normally obtained from a [`Module`]).
    fn sig(name: &str, ty: Ty) -> Expr {
        Expr::new(ty, Node::Sig(name.to_string()))
    }

    /// A constant of type `ty`; refused if `value` does not fit.
    pub fn konst(value: i128, ty: Ty) -> Result<Expr, RtlError> {
        if ty.width == 0 {
            return Err(RtlError::ConstRange { value, ty });
        }
        // any i128 fits a signed type of 128 bits or more, any non-negative
        // one an unsigned type of 127 bits or more (wide registers reset to 0)
        let (lo, hi) = match (ty.signed, ty.width) {
            (true, w) if w >= 128 => (i128::MIN, i128::MAX),
            (true, w) => (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1),
            (false, w) if w >= 127 => (0, i128::MAX),
            (false, w) => (0, (1i128 << w) - 1),
        };
        if value < lo || value > hi {
            return Err(RtlError::ConstRange { value, ty });
        }
        Ok(Expr::new(ty, Node::Const(value)))
    }

    /// The type of this expression.
    pub fn ty(&self) -> Ty {
        self.ty
    }

    /// Width in bits.
    pub fn width(&self) -> u32 {
        self.ty.width
    }

    fn same(&self, op: &'static str, o: &Expr) -> Result<(), RtlError> {
        if self.ty == o.ty {
            Ok(())
        } else {
            Err(mismatch(op, self, o))
        }
    }

    fn bin(&self, op: &'static str, o: &Expr, ty: Option<Ty>) -> Result<Expr, RtlError> {
        self.same(op, o)?;
        Ok(Expr::new(
            ty.unwrap_or(self.ty),
            Node::Bin(op, self.clone(), o.clone()),
        ))
    }

    /// `self + other`, same type, result wraps at the same width.
    pub fn add(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("+", o, None)
    }
    /// `self - other`, same type, result wraps at the same width.
    pub fn sub(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("-", o, None)
    }
    /// `self * other`, same type; keeps the low `width` bits (extend first for an exact product).
    pub fn mul(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("*", o, None)
    }
    /// Bitwise and.
    pub fn and(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("&", o, None)
    }
    /// Bitwise or.
    pub fn or(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("|", o, None)
    }
    /// Bitwise xor.
    pub fn xor(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("^", o, None)
    }
    /// Bitwise not.
    pub fn not(&self) -> Expr {
        Expr::new(self.ty, Node::Not(self.clone()))
    }
    /// `self == other` (one unsigned bit).
    pub fn eq(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("==", o, Some(Ty::BIT))
    }
    /// `self < other`, signed or unsigned by the operands' type.
    pub fn lt(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin("<", o, Some(Ty::BIT))
    }
    /// `self > other`.
    pub fn gt(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin(">", o, Some(Ty::BIT))
    }
    /// `self >= other`.
    pub fn ge(&self, o: &Expr) -> Result<Expr, RtlError> {
        self.bin(">=", o, Some(Ty::BIT))
    }
    /// Right shift by a constant: arithmetic for signed, logical for unsigned.
    pub fn shr(&self, k: u32) -> Expr {
        let op = if self.ty.signed { ">>>" } else { ">>" };
        Expr::new(self.ty, Node::Shift(op, self.clone(), k))
    }
    /// Left shift by a constant, same width.
    pub fn shl(&self, k: u32) -> Expr {
        let op = if self.ty.signed { "<<<" } else { "<<" };
        Expr::new(self.ty, Node::Shift(op, self.clone(), k))
    }
    /// An unsigned zero of any width (a constant is limited to 100 bits, so
    /// wide zeros are concatenated).
    pub fn zeros(width: u32) -> Result<Expr, RtlError> {
        let mut parts = Vec::new();
        let mut left = width;
        while left > 0 {
            let c = left.min(64);
            parts.push(Expr::konst(0, Ty::u(c))?);
            left -= c;
        }
        Expr::concat(&parts)
    }

    /// Packs values, element 0 in the least significant bits; unsigned.
    pub fn pack_lsb_first(v: &[Expr]) -> Result<Expr, RtlError> {
        let rev: Vec<Expr> = v.iter().rev().map(|e| e.as_unsigned()).collect();
        Expr::concat(&rev)
    }

    /// `v[sel]`, a 4-to-1 selection by the 2-bit named `sel`.
    pub fn select4(sel: &Expr, v: &[Expr; 4]) -> Result<Expr, RtlError> {
        let s1 = sel.bit(1)?;
        let s0 = sel.bit(0)?;
        Expr::mux(
            &s1,
            &Expr::mux(&s0, &v[3], &v[2])?,
            &Expr::mux(&s0, &v[1], &v[0])?,
        )
    }

    /// `sel ? a : b` with `sel` one bit and `a`, `b` of one type.
    pub fn mux(sel: &Expr, a: &Expr, b: &Expr) -> Result<Expr, RtlError> {
        if sel.ty != Ty::BIT {
            return Err(RtlError::TypeMismatch {
                op: "?:",
                expr: format!("{} ? ...", sel.verilog()),
                left: sel.ty,
                right: Ty::BIT,
            });
        }
        a.same("?:", b)?;
        Ok(Expr::new(
            a.ty,
            Node::Mux(sel.clone(), a.clone(), b.clone()),
        ))
    }

    /// A signal, or a slice of one (what an instance output may drive).
    fn need_lvalue(&self, what: &'static str) -> Result<(), RtlError> {
        match &*self.node {
            Node::Slice(a, _, _) => a.need_signal(what),
            _ => self.need_signal(what),
        }
    }

    fn need_signal(&self, what: &'static str) -> Result<(), RtlError> {
        match &*self.node {
            Node::Sig(_) => Ok(()),
            _ => Err(RtlError::NotASignal {
                what,
                expr: self.verilog(),
            }),
        }
    }

    /// Bits `hi..=lo` of a named signal, unsigned.
    pub fn slice(&self, hi: u32, lo: u32) -> Result<Expr, RtlError> {
        self.need_signal("slice")?;
        if hi < lo || hi >= self.ty.width {
            return Err(RtlError::SliceRange {
                expr: self.verilog(),
                hi,
                lo,
                width: self.ty.width,
            });
        }
        if self.ty.width == 1 {
            // a 1-bit signal is declared without a range: `x[0]` is not Verilog
            return Ok(self.as_unsigned());
        }
        Ok(Expr::new(
            Ty::u(hi - lo + 1),
            Node::Slice(self.clone(), hi, lo),
        ))
    }

    /// One bit of a named signal.
    pub fn bit(&self, i: u32) -> Result<Expr, RtlError> {
        self.slice(i, i)
    }

    /// Concatenation, first element in the most significant bits; unsigned.
    pub fn concat(parts: &[Expr]) -> Result<Expr, RtlError> {
        if parts.is_empty() {
            return Err(RtlError::Empty("concatenation"));
        }
        let w = parts.iter().map(|p| p.ty.width).sum();
        Ok(Expr::new(Ty::u(w), Node::Concat(parts.to_vec())))
    }

    /// Extends a named signal to `width` bits: sign extension for signed, zeros for unsigned.
    pub fn ext(&self, width: u32) -> Result<Expr, RtlError> {
        if width < self.ty.width {
            return Err(RtlError::Narrowing {
                expr: self.verilog(),
                from: self.ty.width,
                to: width,
            });
        }
        if width == self.ty.width {
            return Ok(self.clone());
        }
        self.need_signal("extend")?;
        Ok(Expr::new(
            Ty {
                width,
                signed: self.ty.signed,
            },
            Node::Ext(self.clone(), width),
        ))
    }

    /// The XOR of all bits (one unsigned bit): the parity.
    pub fn reduce_xor(&self) -> Expr {
        Expr::new(Ty::BIT, Node::Reduce("^", self.clone()))
    }

    /// Reinterprets the bits as signed.
    pub fn as_signed(&self) -> Expr {
        if self.ty.signed {
            return self.clone();
        }
        Expr::new(Ty::s(self.ty.width), Node::Cast(self.clone(), true))
    }

    /// Reinterprets the bits as unsigned.
    pub fn as_unsigned(&self) -> Expr {
        if !self.ty.signed {
            return self.clone();
        }
        Expr::new(Ty::u(self.ty.width), Node::Cast(self.clone(), false))
    }

    /// The Verilog text of this expression.
    pub fn verilog(&self) -> String {
        match &*self.node {
            Node::Sig(n) => n.clone(),
            Node::Const(v) => {
                let w = self.ty.width;
                let bits = (*v as u128) & (u128::MAX >> 128u32.saturating_sub(w));
                if w == 1 {
                    format!("1'b{bits}")
                } else if self.ty.signed {
                    // negative numbers as a negated decimal: -8'sd5 is the
                    // 8-bit signed -5 (for the most negative value the
                    // negation wraps to the same bits, as it must)
                    if *v < 0 {
                        format!("-{w}'sd{}", v.unsigned_abs())
                    } else {
                        format!("{w}'sd{v}")
                    }
                } else if *v < 10 {
                    format!("{w}'d{bits}")
                } else {
                    format!("{w}'h{bits:x}")
                }
            }
            Node::Bin(op, a, b) => format!("({} {op} {})", a.verilog(), b.verilog()),
            Node::Not(a) => format!("(~{})", a.verilog()),
            Node::Shift(op, a, k) => format!("({} {op} {k})", a.verilog()),
            Node::Mux(s, a, b) => format!("({} ? {} : {})", s.verilog(), a.verilog(), b.verilog()),
            Node::Slice(a, hi, lo) => {
                if hi == lo {
                    format!("{}[{hi}]", a.verilog())
                } else {
                    format!("{}[{hi}:{lo}]", a.verilog())
                }
            }
            Node::Concat(p) => {
                let v: Vec<String> = p.iter().map(|e| e.verilog()).collect();
                format!("{{{}}}", v.join(", "))
            }
            Node::Ext(a, w) => {
                let k = w - a.ty.width;
                let n = a.verilog();
                if a.ty.signed {
                    format!("$signed({{{{{k}{{{n}[{}]}}}}, {n}}})", a.ty.width - 1)
                } else {
                    format!("{{{k}'d0, {n}}}")
                }
            }
            Node::Cast(a, true) => format!("$signed({})", a.verilog()),
            Node::Cast(a, false) => format!("$unsigned({})", a.verilog()),
            Node::Index(m, a) => format!("{m}[{}]", a.verilog()),
            Node::Reduce(op, a) => format!("({op}{})", a.verilog()),
        }
    }
}

/// The comment header of a generated file, in one structured form
/// (formatted by [`Module::emit`], the only place that formats it):
///
/// ```text
/// // <module>: <title>
/// // Generated by rxdsp-rtl <version>. Do not edit.
/// // Regenerate: <regenerate>
/// // Parameters:
/// //   <name> = <value>          one a line, names aligned
/// // Latency: <n> cycles         where the block has one
/// // <note>                      further lines, e.g. where the protocol is described
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// what the module is (the first line is `<module>: <title>`)
    pub title: String,
    /// the command that really regenerates the file
    pub regenerate: String,
    /// generation parameters `(name, value)`, in order
    pub params: Vec<(String, String)>,
    /// latency in clock cycles, where the block has one
    pub latency: Option<usize>,
    /// further lines
    pub notes: Vec<String>,
}

impl Header {
    /// A header with a title and the command that regenerates the file.
    pub fn new(title: impl Into<String>, regenerate: &str) -> Header {
        Header {
            title: title.into(),
            regenerate: regenerate.to_string(),
            ..Header::default()
        }
    }

    /// Adds a parameter line `name = value`.
    pub fn param(mut self, name: &str, value: impl std::fmt::Display) -> Header {
        self.params.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the latency in clock cycles.
    pub fn latency(mut self, cycles: usize) -> Header {
        self.latency = Some(cycles);
        self
    }

    /// Adds a further line.
    pub fn note(mut self, text: impl Into<String>) -> Header {
        self.notes.push(text.into());
        self
    }

    /// The header's comment lines (without the `// ` prefix) for `module`.
    pub fn lines(&self, module: &str) -> Vec<String> {
        let mut v = vec![
            format!("{module}: {}", self.title),
            format!("Generated by rxdsp-rtl {}. Do not edit.", crate::VERSION),
            format!("Regenerate: {}", self.regenerate),
        ];
        if !self.params.is_empty() {
            v.push("Parameters:".into());
            let w = self.params.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (n, x) in &self.params {
                v.push(format!("  {n:<w$} = {x}"));
            }
        }
        if let Some(l) = self.latency {
            v.push(format!(
                "Latency: {l} clock cycle{}",
                if l == 1 { "" } else { "s" }
            ));
        }
        v.extend(self.notes.iter().cloned());
        v
    }
}

/// A parameter value of an instance (`#(.NAME(value))`), for vendor
/// primitives and other black boxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// a string parameter, printed quoted
    Str(String),
    /// an integer parameter, printed in decimal
    Int(i64),
    /// a bit vector of the given width, printed as a sized hexadecimal
    /// literal (`320'h...`): the block RAM's `INITVAL_xx`; built with
    /// [`Param::bits`]
    Bits(u32, String),
}

impl Param {
    /// A string parameter.
    pub fn str(s: &str) -> Param {
        Param::Str(s.to_string())
    }

    /// A `width`-bit vector from its bits, least significant first (bits
    /// past `bits.len()` are zero; `bits` no longer than `width`).
    pub fn bits(width: u32, bits: &[bool]) -> Result<Param, RtlError> {
        if width == 0 || bits.len() > width as usize {
            return Err(RtlError::Param {
                name: "bit-vector parameter width",
                value: width as i64,
                why: format!("must be at least 1 and hold the {} bits given", bits.len()),
            });
        }
        let digits = (width as usize).div_ceil(4);
        let hex: String = (0..digits)
            .rev()
            .map(|d| {
                let v = (0..4).fold(0u32, |acc, k| {
                    acc | (u32::from(bits.get(4 * d + k).copied().unwrap_or(false)) << k)
                });
                char::from_digit(v, 16).expect("a nibble")
            })
            .collect();
        Ok(Param::Bits(width, hex))
    }

    fn verilog(&self) -> String {
        match self {
            Param::Str(s) => format!("\"{s}\""),
            Param::Int(v) => v.to_string(),
            Param::Bits(w, hex) => format!("{w}'h{hex}"),
        }
    }
}

/// Port direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// an input
    In,
    /// an output
    Out,
}

/// A module port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// port name
    pub name: String,
    /// direction
    pub dir: Dir,
    /// type
    pub ty: Ty,
    /// one-line description, emitted as a comment
    pub doc: String,
}

#[derive(Debug)]
struct Reg {
    name: String,
    ty: Ty,
    reset: Option<i128>,
    next: Option<(Expr, Option<Expr>)>,
    /// The signal that resets it: `rst`, or one of the copies made by
    /// [`Module::split_reset`].
    rst: String,
    /// Emitted alone in an always block marked `(* keep *)`, so that
    /// synthesis does not merge it with a register of the same next state.
    keep: bool,
}

/// The name of the register `r` refers to (an error for any other
/// expression).
fn reg_name(r: &Expr) -> Result<String, RtlError> {
    match &*r.node {
        Node::Sig(n) => Ok(n.clone()),
        _ => Err(RtlError::NotASignal {
            what: "register",
            expr: r.verilog(),
        }),
    }
}

/// The registers that share one always block: same enable, same reset
/// signal (or none), and, for a kept register, only itself.
struct RegGroup {
    enable: String,
    rst: Option<String>,
    keep: bool,
    regs: Vec<usize>,
}

/// A memory (array of registers): one synchronous write port, any number of
/// asynchronous reads. Declare it with [`Module::memory`], give it its write
/// port with [`Module::mem_write`].
#[derive(Clone, Debug)]
pub struct Mem {
    name: String,
    ty: Ty,
    abits: u32,
}

impl Mem {
    /// The word type.
    pub fn ty(&self) -> Ty {
        self.ty
    }
    /// Address width in bits (`log2(depth)`).
    pub fn addr_bits(&self) -> u32 {
        self.abits
    }
    /// An asynchronous read of the word at `addr` (unsigned, exactly `addr_bits` wide).
    pub fn read(&self, addr: &Expr) -> Result<Expr, RtlError> {
        if addr.ty != Ty::u(self.abits) {
            return Err(RtlError::TypeMismatch {
                op: "memory index",
                expr: format!("{}[{}]", self.name, addr.verilog()),
                left: Ty::u(self.abits),
                right: addr.ty,
            });
        }
        Ok(Expr::new(
            self.ty,
            Node::Index(self.name.clone(), addr.clone()),
        ))
    }
}

#[derive(Debug)]
struct MemDecl {
    name: String,
    ty: Ty,
    depth: usize,
    write: Option<(Expr, Expr, Expr)>,
    /// testbench only: `$readmem<radix>(file, name, 0, words - 1)` at time 0
    load: Option<(String, Radix, usize)>,
    /// a constant table ([`Module::rom`]): one `initial` assignment per word
    init: Option<Vec<Expr>>,
    /// `(* no_rw_check *)`: [`Module::mem_no_collision`]
    no_rw_check: bool,
}

/// The number format of a memory image file read by [`Module::rom_file`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Radix {
    /// one hexadecimal word a line (`$readmemh`)
    Hex,
    /// one binary word a line (`$readmemb`)
    Bin,
}

/// A text file a testbench writes, opened once at time 0 (see
/// [`Module::log_file`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFile {
    var: String,
}

/// A `$fwrite` of a testbench: file, format and arguments.
#[derive(Debug)]
struct Fwrite {
    file: String,
    fmt: String,
    args: Vec<Expr>,
}

impl Fwrite {
    fn verilog(&self) -> String {
        let mut s = format!("$fwrite({}, \"{}\"", self.file, self.fmt);
        for a in &self.args {
            let _ = write!(s, ", {}", a.verilog());
        }
        s.push_str(");");
        s
    }
}

/// Simulation-only items of a testbench module.
#[derive(Debug)]
enum Sim {
    /// `clk` toggling every `half` time units and the power-on reset `rst`
    Clock(u32),
    /// `integer var; initial var = $fopen(path, "w");`
    Open(String, String),
    /// `always @(posedge clk) if (cond) $fwrite(...)`
    Log(Expr, Fwrite),
    /// `always @(posedge clk) if (cond) begin [$fwrite] $fclose(all) $finish end`
    Finish(Expr, Option<Fwrite>),
}

#[derive(Debug)]
enum Item {
    Mem(usize),
    Comment(String),
    Wire(String, Ty, Option<Expr>),
    Reg(usize),
    Assign(String, Expr),
    Sim(Sim),
    Inst {
        module: String,
        name: String,
        /// synthesis attributes `(* NAME = "value" *)` on the instance
        attrs: Vec<(String, String)>,
        params: Vec<(String, String)>,
        conns: Vec<(String, String)>,
    },
}

/// The register bits one copy of a wide-fan-out control register drives
/// ([`Module::reg_for_loads`], [`Module::split_reset`]): 32 ECP5 logic tiles
/// of flip-flops, a neighbourhood the placer can keep around the copy.
pub const FANOUT_BITS: u32 = 256;

/// The clocks a module whose reset is split ([`Module::split_reset`])
/// stays in reset after `rst` falls: inputs offered in them are lost.
pub const SPLIT_RESET_CYCLES: usize = 1;

/// Shares loads of the given widths out among copies of a driver, in order:
/// a new copy starts when the next load would take the current one past
/// `max_bits` (a load wider than that has a copy of its own). The copy
/// index of each load.
pub fn fanout_groups(widths: &[u32], max_bits: u32) -> Vec<usize> {
    let mut copy = 0usize;
    let mut bits = 0u32;
    let mut out = Vec::with_capacity(widths.len());
    for (i, &w) in widths.iter().enumerate() {
        if i > 0 && bits + w > max_bits {
            copy += 1;
            bits = 0;
        }
        bits += w;
        out.push(copy);
    }
    out
}

/// A module under construction.
#[derive(Debug)]
pub struct Module {
    name: String,
    header: Header,
    ports: Vec<Port>,
    items: Vec<Item>,
    regs: Vec<Reg>,
    names: HashMap<String, Ty>,
    out_driven: HashMap<String, bool>,
    clocked: bool,
    has_rst: bool,
    /// [`Module::split_reset`] has run: no register with a reset after it
    reset_split: bool,
    mems: Vec<MemDecl>,
    black_box: bool,
    testbench: bool,
    files: Vec<String>,
}

impl Module {
    /// An empty module with the file's comment `header`.
    pub fn new(name: &str, header: Header) -> Module {
        Module {
            name: name.to_string(),
            header,
            ports: Vec::new(),
            items: Vec::new(),
            regs: Vec::new(),
            names: HashMap::new(),
            out_driven: HashMap::new(),
            clocked: false,
            has_rst: false,
            reset_split: false,
            mems: Vec::new(),
            black_box: false,
            testbench: false,
            files: Vec::new(),
        }
    }

    /// An empty testbench module: a simulation top without ports, which
    /// may use the simulation-only constructs ([`Module::sim_clock`],
    /// [`Module::rom_file`], [`Module::log_file`], [`Module::log`],
    /// [`Module::finish`]) that design modules refuse. Everything else
    /// (registers, wires, memories, the instance of the device under test)
    /// is the ordinary synchronous logic of [`Module`]. Its Verilog compiles
    /// under `iverilog -g2005 -Wall` without warnings; it is not meant for
    /// Verilator's lint (it has delays) nor for synthesis.
    pub fn testbench(name: &str, header: Header) -> Module {
        let mut m = Module::new(name, header);
        m.testbench = true;
        m
    }

    /// Whether this is a testbench module ([`Module::testbench`]).
    pub fn is_testbench(&self) -> bool {
        self.testbench
    }

    fn need_testbench(&self, what: &str) -> Result<(), RtlError> {
        if self.testbench {
            Ok(())
        } else {
            Err(self.tb_error(format!(
                "{what} is simulation-only: build the module with Module::testbench"
            )))
        }
    }

    fn tb_error(&self, why: String) -> RtlError {
        RtlError::Testbench {
            module: self.name.clone(),
            why,
        }
    }

    /// The text of a Verilog string literal (without quotes): a newline or
    /// a tab becomes its escape; quotes, backslashes, other control
    /// characters and non-ASCII are refused.
    fn string_literal(&self, what: &str, text: &str) -> Result<String, RtlError> {
        if text.is_empty() {
            return Err(self.tb_error(format!("empty {what}")));
        }
        let mut s = String::new();
        for c in text.chars() {
            match c {
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '"' | '\\' => return Err(self.tb_error(format!("{what} {text:?} contains {c:?}"))),
                c if c.is_ascii() && !c.is_ascii_control() => s.push(c),
                c => return Err(self.tb_error(format!("{what} {text:?} contains {c:?}"))),
            }
        }
        Ok(s)
    }

    /// Checks a `$fwrite` format against its arguments: each conversion
    /// `%[0-9]*[hHxXdDbBoOcs]` takes one argument, `%%` none.
    fn fwrite(&self, file: &LogFile, fmt: &str, args: &[Expr]) -> Result<Fwrite, RtlError> {
        if !self.files.contains(&file.var) {
            return Err(self.tb_error(format!("log file {} is not opened here", file.var)));
        }
        let text = self.string_literal("format", fmt)?;
        let mut conversions = 0;
        let mut it = fmt.chars().peekable();
        while let Some(c) = it.next() {
            if c != '%' {
                continue;
            }
            while it.peek().is_some_and(|d| d.is_ascii_digit()) {
                it.next();
            }
            match it.next() {
                Some('%') => {}
                Some(x) if "hHxXdDbBoOcs".contains(x) => conversions += 1,
                x => {
                    return Err(self.tb_error(format!(
                        "format {fmt:?} has an unsupported conversion %{}",
                        x.map(String::from).unwrap_or_default()
                    )))
                }
            }
        }
        if conversions != args.len() {
            return Err(self.tb_error(format!(
                "format {fmt:?} has {conversions} conversions for {} arguments",
                args.len()
            )));
        }
        Ok(Fwrite {
            file: file.var.clone(),
            fmt: text,
            args: args.to_vec(),
        })
    }

    fn need_bit(&self, what: &'static str, cond: &Expr) -> Result<(), RtlError> {
        if !self.clocked {
            return Err(RtlError::NoClock(self.name.clone()));
        }
        if cond.ty != Ty::BIT {
            return Err(RtlError::TypeMismatch {
                op: what,
                expr: cond.verilog(),
                left: Ty::BIT,
                right: cond.ty,
            });
        }
        Ok(())
    }

    /// Testbench only: the clock `clk` (low at time 0, toggling every
    /// `half_period` time units: `always #half_period clk = ~clk`) and the
    /// power-on reset `rst`, high until the first rising edge of `clk`.
    /// Registers may then be declared, with reset values: they take them at
    /// the first rising edge. Returns `(clk, rst)`.
    pub fn sim_clock(&mut self, half_period: u32) -> Result<(Expr, Expr), RtlError> {
        self.need_testbench("a clock generator")?;
        if half_period == 0 {
            return Err(self.tb_error("the clock's half period must be at least 1".into()));
        }
        self.declare("clk", Ty::BIT)?;
        self.declare("rst", Ty::BIT)?;
        self.items.push(Item::Sim(Sim::Clock(half_period)));
        self.clocked = true;
        self.has_rst = true;
        Ok((Expr::sig("clk", Ty::BIT), Expr::sig("rst", Ty::BIT)))
    }

    /// Testbench only: a read-only memory of `words` words of type `ty`,
    /// loaded at time 0 from the text file `file` (one word a line in
    /// `radix`, `$readmemh`/`$readmemb`, exactly `words` words). Its depth is
    /// `words` rounded up to a power of two (at least 2), so that
    /// [`Mem::read`] takes an address of `addr_bits` bits; the words past
    /// the file are undefined.
    pub fn rom_file(
        &mut self,
        name: &str,
        ty: Ty,
        words: usize,
        file: &str,
        radix: Radix,
    ) -> Result<Mem, RtlError> {
        self.need_testbench("a memory loaded from a file")?;
        if words == 0 {
            return Err(self.tb_error(format!("memory {name} loads no words from {file}")));
        }
        let file = self.string_literal("file name", file)?;
        let m = self.memory(name, ty, words.next_power_of_two().max(2))?;
        let d = self.mems.last_mut().expect("just declared");
        d.load = Some((file, radix, words));
        Ok(m)
    }

    /// Testbench only: the text file `path`, opened for writing once at
    /// time 0 through the integer variable `name`, closed by
    /// [`Module::finish`]. Write to it with [`Module::log`].
    pub fn log_file(&mut self, name: &str, path: &str) -> Result<LogFile, RtlError> {
        self.need_testbench("a log file")?;
        let path = self.string_literal("file name", path)?;
        self.declare(name, Ty::s(32))?;
        self.files.push(name.to_string());
        self.items
            .push(Item::Sim(Sim::Open(name.to_string(), path)));
        Ok(LogFile {
            var: name.to_string(),
        })
    }

    /// Testbench only: on every rising edge of `clk` where `cond` (one bit)
    /// holds, `$fwrite(file, fmt, args...)`. `fmt` is the text as Rust
    /// writes it (a `\n` is a newline); each `%h`, `%0d`, `%02x`, ... takes
    /// one argument, printed as its value before the edge.
    pub fn log(
        &mut self,
        file: &LogFile,
        cond: &Expr,
        fmt: &str,
        args: &[Expr],
    ) -> Result<(), RtlError> {
        self.need_testbench("a log statement")?;
        self.need_bit("log condition", cond)?;
        let w = self.fwrite(file, fmt, args)?;
        self.items.push(Item::Sim(Sim::Log(cond.clone(), w)));
        Ok(())
    }

    /// Testbench only: at the first rising edge of `clk` where `cond` (one
    /// bit) holds, writes the final line `last` (file, format, arguments as
    /// [`Module::log`]) if given, closes every log file and ends the
    /// simulation (`$finish`).
    pub fn finish(
        &mut self,
        cond: &Expr,
        last: Option<(&LogFile, &str, &[Expr])>,
    ) -> Result<(), RtlError> {
        self.need_testbench("$finish")?;
        self.need_bit("finish condition", cond)?;
        let w = match last {
            Some((f, fmt, args)) => Some(self.fwrite(f, fmt, args)?),
            None => None,
        };
        self.items.push(Item::Sim(Sim::Finish(cond.clone(), w)));
        Ok(())
    }

    /// A black box: a module known only by its ports (a vendor primitive,
    /// or a module generated elsewhere), to be instantiated with
    /// [`Module::instance`] or [`Module::instance_with_params`]; it has no
    /// body and [`Module::emit`] refuses it. List only the ports an
    /// instance connects: the others stay unconnected.
    pub fn black_box(name: &str, ports: Vec<Port>) -> Result<Module, RtlError> {
        let mut m = Module::new(name, Header::default());
        for p in &ports {
            m.declare(&p.name, p.ty)?;
        }
        m.ports = ports;
        m.black_box = true;
        Ok(m)
    }

    /// The module name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file header, e.g. to set the latency once the builder has counted it.
    pub fn header_mut(&mut self) -> &mut Header {
        &mut self.header
    }

    /// The ports, in declaration order.
    pub fn ports(&self) -> &[Port] {
        &self.ports
    }

    fn declare(&mut self, name: &str, ty: Ty) -> Result<(), RtlError> {
        if ty.width == 0 {
            return Err(RtlError::ZeroWidth(name.to_string()));
        }
        if self.names.insert(name.to_string(), ty).is_some() {
            return Err(RtlError::Duplicate {
                module: self.name.clone(),
                name: name.to_string(),
            });
        }
        Ok(())
    }

    /// Adds `clk` and `rst` (synchronous, active high) inputs; needed before registers.
    pub fn clock(&mut self) -> Result<(Expr, Expr), RtlError> {
        let c = self.input("clk", Ty::BIT, "clock, all registers on the rising edge")?;
        let r = self.input("rst", Ty::BIT, "synchronous reset, active high")?;
        self.clocked = true;
        self.has_rst = true;
        Ok((c, r))
    }

    /// Adds a `clk` input without a reset, for pure datapath modules: their
    /// registers must then be declared without a reset value.
    pub fn clock_only(&mut self) -> Result<Expr, RtlError> {
        let c = self.input("clk", Ty::BIT, "clock, all registers on the rising edge")?;
        self.clocked = true;
        Ok(c)
    }

    /// Declares an input port and returns a reference to it.
    pub fn input(&mut self, name: &str, ty: Ty, doc: &str) -> Result<Expr, RtlError> {
        self.no_ports_on_testbench(name)?;
        self.declare(name, ty)?;
        self.ports.push(Port {
            name: name.into(),
            dir: Dir::In,
            ty,
            doc: doc.into(),
        });
        Ok(Expr::sig(name, ty))
    }

    /// Declares an output port driven by `value` (types must match).
    pub fn output(&mut self, name: &str, value: &Expr, doc: &str) -> Result<(), RtlError> {
        self.no_ports_on_testbench(name)?;
        self.declare(name, value.ty)?;
        self.ports.push(Port {
            name: name.into(),
            dir: Dir::Out,
            ty: value.ty,
            doc: doc.into(),
        });
        self.items.push(Item::Assign(name.into(), value.clone()));
        self.out_driven.insert(name.into(), true);
        Ok(())
    }

    fn no_ports_on_testbench(&self, name: &str) -> Result<(), RtlError> {
        if self.testbench {
            return Err(self.tb_error(format!(
                "a testbench has no ports (port {name}; its clock is Module::sim_clock)"
            )));
        }
        Ok(())
    }

    /// A comment line in the body.
    pub fn comment(&mut self, text: &str) {
        self.items.push(Item::Comment(text.to_string()));
    }

    /// A named wire carrying `value`.
    pub fn wire(&mut self, name: &str, value: &Expr) -> Result<Expr, RtlError> {
        self.declare(name, value.ty)?;
        self.items
            .push(Item::Wire(name.into(), value.ty, Some(value.clone())));
        Ok(Expr::sig(name, value.ty))
    }

    /// A wire driven by an instance output (connect it with [`Module::instance`]).
    pub fn wire_decl(&mut self, name: &str, ty: Ty) -> Result<Expr, RtlError> {
        self.declare(name, ty)?;
        self.items.push(Item::Wire(name.into(), ty, None));
        Ok(Expr::sig(name, ty))
    }

    /// Drives a wire declared with [`Module::wire_decl`] from `value`, for
    /// signals used before they can be computed (forward references).
    pub fn assign(&mut self, target: &Expr, value: &Expr) -> Result<(), RtlError> {
        target.need_signal("assign")?;
        if target.ty != value.ty {
            return Err(mismatch("assign", target, value));
        }
        let name = target.verilog();
        self.items.push(Item::Assign(name, value.clone()));
        Ok(())
    }

    /// Declares the synchronous reset `rst` of a module clocked with
    /// [`Module::clock_only`] as a wire carrying `value` (a top that makes
    /// its own reset, e.g. from a synchronized button). Registers declared
    /// after it may have reset values.
    pub fn reset_wire(&mut self, value: &Expr) -> Result<Expr, RtlError> {
        if value.ty != Ty::BIT {
            return Err(RtlError::TypeMismatch {
                op: "reset",
                expr: value.verilog(),
                left: Ty::BIT,
                right: value.ty,
            });
        }
        let r = self.wire("rst", value)?;
        self.has_rst = true;
        Ok(r)
    }

    /// A log shifter: `x` shifted by `unit * amt` bits (`amt` a named
    /// unsigned signal), left or right (arithmetic for a signed `x`), one
    /// mux level per bit of `amt`, each level a wire `{name}_s{k}`. An
    /// unsigned level that shifts by the whole width or more gives zeros.
    pub fn shift_by(
        &mut self,
        name: &str,
        x: &Expr,
        amt: &Expr,
        unit: u32,
        left: bool,
    ) -> Result<Expr, RtlError> {
        let mut v = x.clone();
        for k in 0..amt.width() {
            let sh = unit << k;
            let shifted = if sh >= x.width() && !x.ty().signed {
                Expr::zeros(x.width())?
            } else if left {
                v.shl(sh)
            } else {
                v.shr(sh)
            };
            v = self.wire(
                &format!("{name}_s{k}"),
                &Expr::mux(&amt.bit(k)?, &shifted, &v)?,
            )?;
        }
        Ok(v)
    }

    /// A register with an optional synchronous reset value; give it a next
    /// state with [`Module::next`].
    pub fn reg(&mut self, name: &str, ty: Ty, reset: Option<i128>) -> Result<Expr, RtlError> {
        if !self.clocked {
            return Err(RtlError::NoClock(self.name.clone()));
        }
        if let Some(v) = reset {
            if !self.has_rst {
                return Err(RtlError::Param {
                    name: "register reset",
                    value: v as i64,
                    why: format!(
                        "register `{name}` of module {} has a reset value but the module has no reset (Module::clock_only)",
                        self.name
                    ),
                });
            }
            if self.reset_split {
                return Err(RtlError::Param {
                    name: "register reset",
                    value: v as i64,
                    why: format!(
                        "register `{name}` of module {} has a reset value but is declared after Module::split_reset",
                        self.name
                    ),
                });
            }
            Expr::konst(v, ty)?;
        }
        self.declare(name, ty)?;
        self.regs.push(Reg {
            name: name.into(),
            ty,
            reset,
            next: None,
            rst: "rst".into(),
            keep: false,
        });
        self.items.push(Item::Reg(self.regs.len() - 1));
        Ok(Expr::sig(name, ty))
    }

    /// A memory of `depth` words (a power of two, at least 2) of type `ty`,
    /// not reset. Its write port is set with [`Module::mem_write`].
    pub fn memory(&mut self, name: &str, ty: Ty, depth: usize) -> Result<Mem, RtlError> {
        if !self.clocked {
            return Err(RtlError::NoClock(self.name.clone()));
        }
        if depth < 2 || !depth.is_power_of_two() {
            return Err(RtlError::Param {
                name: "memory depth",
                value: depth as i64,
                why: "must be a power of two >= 2".into(),
            });
        }
        self.declare(name, ty)?;
        self.mems.push(MemDecl {
            name: name.into(),
            ty,
            depth,
            write: None,
            load: None,
            init: None,
            no_rw_check: false,
        });
        self.items.push(Item::Mem(self.mems.len() - 1));
        Ok(Mem {
            name: name.into(),
            ty,
            abits: depth.trailing_zeros(),
        })
    }

    /// A read-only memory holding the constant table `words` (at most
    /// `depth` = its length rounded up to a power of two, at least 2; the
    /// words past the table are zero), written as one `initial` assignment
    /// per word. Read it through a register ([`Mem::read`] into
    /// [`Module::reg_d`]): that synchronous read is what Yosys maps to block
    /// RAM (ECP5 `DP16KD`, iCE40 `SB_RAM40_4K`); each read is one port.
    pub fn rom(&mut self, name: &str, ty: Ty, words: &[i128]) -> Result<Mem, RtlError> {
        let depth = words.len().next_power_of_two().max(2);
        let mut init = Vec::with_capacity(depth);
        for i in 0..depth {
            init.push(Expr::konst(words.get(i).copied().unwrap_or(0), ty)?);
        }
        let m = self.memory(name, ty, depth)?;
        let d = self.mems.last_mut().expect("just declared");
        d.init = Some(init);
        Ok(m)
    }

    /// The declaration of memory `m`, which must be this module's.
    fn mem_decl(&mut self, m: &Mem) -> Result<&mut MemDecl, RtlError> {
        self.mems
            .iter_mut()
            .find(|x| x.name == m.name)
            .ok_or_else(|| RtlError::NotASignal {
                what: "memory",
                expr: m.name.clone(),
            })
    }

    /// Declares that the design never uses a read of memory `m` that
    /// returns the word written at the same address in the same clock (the
    /// emitted declaration carries Yosys's `(* no_rw_check *)`). Without it
    /// Yosys keeps the Verilog's read-old-data behaviour on block RAM by
    /// registering the write data and an address-compare flag and muxing them
    /// after the block's output: a compare on the read address's path and a
    /// mux after the block RAM's slow clock-to-data. Simulators ignore the
    /// attribute, so a design that does use such a read still simulates the
    /// old data: say it only where the design's own invariant rules it out.
    pub fn mem_no_collision(&mut self, m: &Mem) -> Result<(), RtlError> {
        let d = self.mem_decl(m)?;
        d.no_rw_check = true;
        Ok(())
    }

    /// The write port of memory `m`: `m[addr] <= data` on the rising edge when `we`.
    pub fn mem_write(
        &mut self,
        m: &Mem,
        we: &Expr,
        addr: &Expr,
        data: &Expr,
    ) -> Result<(), RtlError> {
        m.read(addr)?;
        if we.ty != Ty::BIT || data.ty != m.ty {
            return Err(RtlError::TypeMismatch {
                op: "memory write",
                expr: format!("{}[{}] <= {}", m.name, addr.verilog(), data.verilog()),
                left: m.ty,
                right: data.ty,
            });
        }
        let d = self.mem_decl(m)?;
        if d.write.is_some() {
            return Err(RtlError::Duplicate {
                module: self.name.clone(),
                name: format!("write port of {}", m.name),
            });
        }
        d.write = Some((we.clone(), addr.clone(), data.clone()));
        Ok(())
    }

    /// Sets the next state of register `r`, loaded when `enable` (one bit) is high.
    pub fn next(&mut self, r: &Expr, d: &Expr, enable: Option<&Expr>) -> Result<(), RtlError> {
        let name = reg_name(r)?;
        if let Some(e) = enable {
            if e.ty != Ty::BIT {
                return Err(RtlError::TypeMismatch {
                    op: "enable",
                    expr: e.verilog(),
                    left: e.ty,
                    right: Ty::BIT,
                });
            }
        }
        let reg = self
            .regs
            .iter_mut()
            .find(|x| x.name == name)
            .ok_or_else(|| RtlError::NotASignal {
                what: "register",
                expr: name.clone(),
            })?;
        if reg.ty != d.ty {
            return Err(RtlError::TypeMismatch {
                op: "<=",
                expr: format!("{name} <= {}", d.verilog()),
                left: reg.ty,
                right: d.ty,
            });
        }
        if reg.next.is_some() {
            return Err(RtlError::Duplicate {
                module: self.name.clone(),
                name: format!("next state of {name}"),
            });
        }
        reg.next = Some((d.clone(), enable.cloned()));
        Ok(())
    }

    /// A register loaded with `d` when `enable` is high (declare + next in one).
    pub fn reg_d(
        &mut self,
        name: &str,
        d: &Expr,
        enable: Option<&Expr>,
        reset: Option<i128>,
    ) -> Result<Expr, RtlError> {
        let r = self.reg(name, d.ty, reset)?;
        self.next(&r, d, enable)?;
        Ok(r)
    }

    /// Marks the register `r` of this module kept, as [`Module::kept_reg`]
    /// would have made it: for a register that gets kept copies of its own
    /// next state later, which Yosys would otherwise merge it into.
    pub fn keep(&mut self, r: &Expr) -> Result<(), RtlError> {
        let name = reg_name(r)?;
        match self.regs.iter_mut().find(|x| x.name == name) {
            Some(x) => {
                x.keep = true;
                Ok(())
            }
            None => Err(RtlError::NotASignal {
                what: "register",
                expr: name,
            }),
        }
    }

    /// A register like [`Module::reg`], emitted alone in an always block
    /// marked `(* keep *)` (see [`Module::reg_copies`]): for copies whose
    /// next state the caller builds, such as a chain of copies that Yosys
    /// would merge with another chain of the same structure.
    pub fn kept_reg(&mut self, name: &str, ty: Ty, reset: Option<i128>) -> Result<Expr, RtlError> {
        let r = self.reg(name, ty, reset)?;
        if let Some(x) = self.regs.last_mut() {
            x.keep = true;
        }
        Ok(r)
    }

    /// `n` copies of one register, `{name}_k0` .. `{name}_k{n-1}`, all
    /// loaded with `d` when `enable` is high and reset to `reset`: the same
    /// value on every clock. Each is emitted alone in an always block marked
    /// `(* keep *)`, which stops synthesis from merging them back into one
    /// register (Yosys's `opt_merge` merges registers of the same next state,
    /// and a `keep` on the `reg` declaration does not stop it). Give each
    /// copy a share of a wide fan-out, so that the placer puts it beside its
    /// loads instead of stretching one net across the die.
    pub fn reg_copies(
        &mut self,
        name: &str,
        d: &Expr,
        enable: Option<&Expr>,
        reset: Option<i128>,
        n: usize,
    ) -> Result<Vec<Expr>, RtlError> {
        if n == 0 {
            return Err(RtlError::Param {
                name: "register copies",
                value: 0,
                why: format!("`{name}` needs at least one copy"),
            });
        }
        (0..n)
            .map(|i| {
                let r = self.reg_d(&format!("{name}_k{i}"), d, enable, reset)?;
                if let Some(x) = self.regs.last_mut() {
                    x.keep = true;
                }
                Ok(r)
            })
            .collect()
    }

    /// A register that drives loads of the given widths (in bits, in the
    /// order the caller will use them), as copies made by
    /// [`Module::reg_copies`], each serving at most [`FANOUT_BITS`] bits of
    /// consecutive loads: the copy for each load, in order (none for no
    /// loads).
    pub fn reg_for_loads(
        &mut self,
        name: &str,
        d: &Expr,
        enable: Option<&Expr>,
        reset: Option<i128>,
        loads: &[u32],
    ) -> Result<Vec<Expr>, RtlError> {
        let share = fanout_groups(loads, FANOUT_BITS);
        let Some(&last) = share.last() else {
            // no loads: no copy (a copy nothing reads would be a lint warning)
            return Ok(Vec::new());
        };
        let copies = self.reg_copies(name, d, enable, reset, last + 1)?;
        Ok(share.iter().map(|&c| copies[c].clone()).collect())
    }

    /// Splits the fan-out of the reset: `rst` is registered into copies
    /// `rst_k0`, `rst_k1`, ... (kept apart as in [`Module::reg_copies`]),
    /// and the registers declared so far with a reset value are shared out
    /// among them in declaration order, at most `bits_per_copy` bits each
    /// (a register wider than that has a copy of its own). Every register
    /// then resets one clock after `rst` rises and leaves reset one clock
    /// after it falls ([`SPLIT_RESET_CYCLES`]); the header says so. Call it
    /// once, after the last register with a reset value.
    pub fn split_reset(&mut self, bits_per_copy: u32) -> Result<usize, RtlError> {
        if !self.has_rst || self.reset_split {
            return Err(RtlError::Param {
                name: "split reset",
                value: i64::from(bits_per_copy),
                why: format!(
                    "module {} {}",
                    self.name,
                    if self.has_rst {
                        "has split its reset already"
                    } else {
                        "has no reset to split"
                    }
                ),
            });
        }
        if bits_per_copy == 0 {
            return Err(RtlError::Param {
                name: "split reset",
                value: 0,
                why: "each reset copy must drive at least one bit".into(),
            });
        }
        let widths: Vec<u32> = self
            .regs
            .iter()
            .filter(|r| r.reset.is_some())
            .map(|r| r.ty.width)
            .collect();
        let share = fanout_groups(&widths, bits_per_copy);
        let copies = share.last().map_or(0, |&c| c + 1);
        for (r, c) in self
            .regs
            .iter_mut()
            .filter(|r| r.reset.is_some())
            .zip(&share)
        {
            r.rst = format!("rst_k{c}");
        }
        self.reset_split = true;
        if copies == 0 {
            return Ok(0);
        }
        self.reg_copies("rst", &Expr::sig("rst", Ty::BIT), None, None, copies)?;
        self.header.notes.push(format!(
            "Reset: `rst` registered into {copies} copies (rst_k*, at most {bits_per_copy} register bits each); the registers reset one clock after `rst`."
        ));
        Ok(copies)
    }

    /// Instantiates `sub` as `inst`, connecting every port by name. Inputs take
    /// any expression of the port's type; outputs need a wire from [`Module::wire_decl`].
    pub fn instance(
        &mut self,
        sub: &Module,
        inst: &str,
        conns: &[(&str, &Expr)],
    ) -> Result<(), RtlError> {
        self.instance_with_params(sub, inst, &[], conns)
    }

    /// Instantiates `sub` as `inst` with parameter overrides
    /// `#(.NAME(value))` (in the order given, each name once), connecting
    /// every port by name as [`Module::instance`] does. Outputs may also
    /// drive a slice of a wire.
    pub fn instance_with_params(
        &mut self,
        sub: &Module,
        inst: &str,
        params: &[(&str, Param)],
        conns: &[(&str, &Expr)],
    ) -> Result<(), RtlError> {
        self.instance_with_attrs(sub, inst, &[], params, conns)
    }

    /// [`Module::instance_with_params`] with synthesis attributes on the
    /// instance, `(* NAME = "value", ... *)`: for vendor primitives whose
    /// settings the place-and-route tool reads from attributes (the ECP5
    /// PLL's loop filter and pin frequencies). Each name is an identifier
    /// given once; a value is printable ASCII without `"` or `\`.
    pub fn instance_with_attrs(
        &mut self,
        sub: &Module,
        inst: &str,
        attrs: &[(&str, &str)],
        params: &[(&str, Param)],
        conns: &[(&str, &Expr)],
    ) -> Result<(), RtlError> {
        let mut at: Vec<(String, String)> = Vec::new();
        for (n, v) in attrs {
            let ident = n
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let printable = v
                .chars()
                .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\');
            if !ident || !printable || at.iter().any(|(a, _)| a == n) {
                return Err(RtlError::Param {
                    name: "instance attribute",
                    value: at.len() as i64,
                    why: format!(
                        "`{n}` = `{v}` on {inst}: names are identifiers given once, values printable without quotes or backslashes"
                    ),
                });
            }
            at.push((n.to_string(), v.to_string()));
        }
        self.declare(inst, Ty::BIT)?;
        let mut ps: Vec<(String, String)> = Vec::new();
        for (n, v) in params {
            if ps.iter().any(|(p, _)| p == n) {
                return Err(RtlError::Duplicate {
                    module: self.name.clone(),
                    name: format!("parameter {n} of {inst}"),
                });
            }
            ps.push((n.to_string(), v.verilog()));
        }
        let mut out = Vec::new();
        for p in &sub.ports {
            let (_, e) =
                conns
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .ok_or_else(|| RtlError::Port {
                        inst: inst.into(),
                        port: p.name.clone(),
                        why: "is not connected".into(),
                    })?;
            if e.ty != p.ty {
                return Err(RtlError::TypeMismatch {
                    op: "port connection",
                    expr: format!("{inst}.{}({})", p.name, e.verilog()),
                    left: p.ty,
                    right: e.ty,
                });
            }
            if p.dir == Dir::Out {
                e.need_lvalue("instance output")?;
            }
            out.push((p.name.clone(), e.verilog()));
        }
        for (n, _) in conns {
            if !sub.ports.iter().any(|p| p.name == *n) {
                return Err(RtlError::Port {
                    inst: inst.into(),
                    port: n.to_string(),
                    why: format!("is not a port of {}", sub.name),
                });
            }
        }
        self.items.push(Item::Inst {
            module: sub.name.clone(),
            name: inst.into(),
            attrs: at,
            params: ps,
            conns: out,
        });
        Ok(())
    }

    /// Emits the module as Verilog-2001 text.
    pub fn emit(&self) -> Result<String, RtlError> {
        if self.black_box {
            return Err(RtlError::Port {
                inst: self.name.clone(),
                port: "(all)".into(),
                why: "belong to a black box, which has no body to emit".into(),
            });
        }
        for r in &self.regs {
            if r.next.is_none() {
                return Err(RtlError::Undriven {
                    module: self.name.clone(),
                    name: r.name.clone(),
                });
            }
        }
        for m in &self.mems {
            if m.write.is_none() && m.load.is_none() && m.init.is_none() {
                return Err(RtlError::Undriven {
                    module: self.name.clone(),
                    name: m.name.clone(),
                });
            }
        }
        let mut s = String::new();
        for h in self.header.lines(&self.name) {
            let _ = writeln!(s, "// {h}");
        }
        let _ = writeln!(s, "`default_nettype none\n");
        if self.testbench {
            let _ = writeln!(s, "module {};\n", self.name);
        } else {
            self.emit_ports(&mut s);
        }
        let groups = self.reg_groups();
        for it in &self.items {
            self.emit_item(&mut s, it);
        }
        self.emit_always(&mut s, &groups)?;
        for m in &self.mems {
            let Some((we, a, d)) = m.write.as_ref() else {
                continue;
            };
            let _ = writeln!(
                s,
                "\n    always @(posedge clk) begin\n        if ({}) begin\n            {}[{}] <= {};\n        end\n    end",
                we.verilog(),
                m.name,
                a.verilog(),
                d.verilog()
            );
        }
        let _ = writeln!(s, "\nendmodule\n\n`default_nettype wire");
        Ok(s)
    }

    /// The port list of a design module.
    fn emit_ports(&self, s: &mut String) {
        let _ = writeln!(s, "module {} (", self.name);
        let n = self.ports.len();
        for (i, p) in self.ports.iter().enumerate() {
            let dir = match p.dir {
                Dir::In => "input  wire",
                Dir::Out => "output wire",
            };
            let comma = if i + 1 < n { "," } else { "" };
            let decl = p.ty.decl();
            let sep = if decl.is_empty() { "" } else { " " };
            let _ = writeln!(s, "    {dir}{sep}{decl} {}{comma} // {}", p.name, p.doc);
        }
        let _ = writeln!(s, ");\n");
    }

    /// The register updates grouped by (enable, reset signal) into always
    /// blocks, in order of first appearance; a kept register has its own.
    fn reg_groups(&self) -> Vec<RegGroup> {
        let mut groups: Vec<RegGroup> = Vec::new();
        for (i, r) in self.regs.iter().enumerate() {
            let enable = r
                .next
                .as_ref()
                .and_then(|n| n.1.as_ref())
                .map(|e| e.verilog())
                .unwrap_or_default();
            let rst = r.reset.map(|_| r.rst.clone());
            let shared = (!r.keep)
                .then(|| {
                    groups
                        .iter_mut()
                        .find(|g| !g.keep && g.enable == enable && g.rst == rst)
                })
                .flatten();
            match shared {
                Some(g) => g.regs.push(i),
                None => groups.push(RegGroup {
                    enable,
                    rst,
                    keep: r.keep,
                    regs: vec![i],
                }),
            }
        }
        groups
    }

    /// One body item, in declaration order.
    fn emit_item(&self, s: &mut String, it: &Item) {
        match it {
            Item::Comment(c) => {
                let _ = writeln!(s, "\n    // {c}");
            }
            Item::Wire(name, ty, v) => {
                let decl = ty.decl();
                let sep = if decl.is_empty() { "" } else { " " };
                match v {
                    Some(v) => {
                        let _ = writeln!(s, "    wire{sep}{decl} {name} = {};", v.verilog());
                    }
                    None => {
                        let _ = writeln!(s, "    wire{sep}{decl} {name};");
                    }
                }
            }
            Item::Mem(i) => {
                let m = &self.mems[*i];
                let decl = m.ty.decl();
                let sep = if decl.is_empty() { "" } else { " " };
                let attr = if m.no_rw_check {
                    "(* no_rw_check *) "
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    "    {attr}reg{sep}{decl} {} [0:{}];",
                    m.name,
                    m.depth - 1
                );
                if let Some((file, radix, words)) = &m.load {
                    let r = match radix {
                        Radix::Hex => 'h',
                        Radix::Bin => 'b',
                    };
                    let _ = writeln!(
                        s,
                        "    initial $readmem{r}(\"{file}\", {}, 0, {});",
                        m.name,
                        words - 1
                    );
                }
                if let Some(init) = &m.init {
                    let _ = writeln!(s, "    initial begin");
                    for (i, v) in init.iter().enumerate() {
                        let _ = writeln!(s, "        {}[{i}] = {};", m.name, v.verilog());
                    }
                    let _ = writeln!(s, "    end");
                }
            }
            Item::Sim(x) => self.emit_sim(s, x),
            Item::Reg(i) => {
                let r = &self.regs[*i];
                let decl = r.ty.decl();
                let sep = if decl.is_empty() { "" } else { " " };
                let _ = writeln!(s, "    reg{sep}{decl} {};", r.name);
            }
            Item::Assign(n, v) => {
                let _ = writeln!(s, "    assign {n} = {};", v.verilog());
            }
            Item::Inst {
                module,
                name,
                attrs,
                params,
                conns,
            } => {
                if !attrs.is_empty() {
                    let list: Vec<String> = attrs
                        .iter()
                        .map(|(n, v)| format!("{n} = \"{v}\""))
                        .collect();
                    let _ = writeln!(s, "    (* {} *)", list.join(", "));
                }
                if params.is_empty() {
                    let _ = writeln!(s, "    {module} {name} (");
                } else {
                    let _ = writeln!(s, "    {module} #(");
                    for (i, (p, v)) in params.iter().enumerate() {
                        let comma = if i + 1 < params.len() { "," } else { "" };
                        let _ = writeln!(s, "        .{p}({v}){comma}");
                    }
                    let _ = writeln!(s, "    ) {name} (");
                }
                for (i, (p, e)) in conns.iter().enumerate() {
                    let comma = if i + 1 < conns.len() { "," } else { "" };
                    let _ = writeln!(s, "        .{p}({e}){comma}");
                }
                let _ = writeln!(s, "    );");
            }
        }
    }

    /// The always blocks of the registers.
    fn emit_always(&self, s: &mut String, groups: &[RegGroup]) -> Result<(), RtlError> {
        for g in groups {
            let en = &g.enable;
            let attr = if g.keep { "(* keep *) " } else { "" };
            let _ = writeln!(s, "\n    {attr}always @(posedge clk) begin");
            let mut ind = "        ";
            if let Some(rst) = &g.rst {
                let _ = writeln!(s, "        if ({rst}) begin");
                for &i in &g.regs {
                    let r = &self.regs[i];
                    let v = Expr::konst(r.reset.unwrap_or(0), r.ty)?;
                    let _ = writeln!(s, "            {} <= {};", r.name, v.verilog());
                }
                if en.is_empty() {
                    let _ = writeln!(s, "        end else begin");
                } else {
                    let _ = writeln!(s, "        end else if ({en}) begin");
                }
                ind = "            ";
            } else if !en.is_empty() {
                let _ = writeln!(s, "        if ({en}) begin");
                ind = "            ";
            }
            for &i in &g.regs {
                let r = &self.regs[i];
                let d = &r.next.as_ref().expect("checked above").0;
                let _ = writeln!(s, "{ind}{} <= {};", r.name, d.verilog());
            }
            if g.rst.is_some() || !en.is_empty() {
                let _ = writeln!(s, "        end");
            }
            let _ = writeln!(s, "    end");
        }
        Ok(())
    }

    /// A simulation-only item of a testbench.
    fn emit_sim(&self, s: &mut String, x: &Sim) {
        match x {
            Sim::Clock(h) => {
                let _ = writeln!(
                    s,
                    "    reg clk = 1'b0;\n    always #{h} clk = ~clk;\n    \
                     // power-on reset, high until the first rising edge of clk\n    \
                     reg rst = 1'b1;\n    always @(posedge clk) rst <= 1'b0;"
                );
            }
            Sim::Open(var, path) => {
                let _ = writeln!(
                    s,
                    "    integer {var};\n    initial {var} = $fopen(\"{path}\", \"w\");"
                );
            }
            Sim::Log(cond, w) => {
                let _ = writeln!(
                    s,
                    "\n    always @(posedge clk) begin\n        if ({}) begin\n            {}\n        end\n    end",
                    cond.verilog(),
                    w.verilog()
                );
            }
            Sim::Finish(cond, w) => {
                let _ = writeln!(
                    s,
                    "\n    always @(posedge clk) begin\n        if ({}) begin",
                    cond.verilog()
                );
                if let Some(w) = w {
                    let _ = writeln!(s, "            {}", w.verilog());
                }
                for f in &self.files {
                    let _ = writeln!(s, "            $fclose({f});");
                }
                let _ = writeln!(s, "            $finish;\n        end\n    end");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tb() -> Module {
        Module::testbench("t_tb", Header::new("test", "none"))
    }

    fn design() -> Module {
        let mut m = Module::new("d", Header::new("test", "none"));
        m.clock().unwrap();
        m
    }

    fn is_tb_error(r: Result<impl std::fmt::Debug, RtlError>, says: &str) {
        match r {
            Err(e @ RtlError::Testbench { .. }) => {
                assert!(e.to_string().contains(says), "{e}")
            }
            other => panic!("expected a testbench error saying {says:?}, got {other:?}"),
        }
    }

    /// Loads are shared out in order; a load that would take a copy past
    /// the limit starts the next one, and a wider load has one to itself.
    #[test]
    fn fanout_groups_share_loads_in_order() {
        assert_eq!(fanout_groups(&[], 8), Vec::<usize>::new());
        assert_eq!(fanout_groups(&[4, 4, 1], 8), vec![0, 0, 1]);
        assert_eq!(fanout_groups(&[3, 20, 2, 6, 1], 8), vec![0, 1, 2, 2, 3]);
        assert_eq!(fanout_groups(&[20], 8), vec![0]);
    }

    /// Copies of a register each get an always block of their own marked
    /// `(* keep *)`, with the same next state, enable and reset.
    #[test]
    fn register_copies_are_kept_apart() {
        let mut m = design();
        let a = m.input("a", Ty::u(4), "data").unwrap();
        let e = m.input("e", Ty::BIT, "enable").unwrap();
        let c = m.reg_copies("q", &a, Some(&e), Some(3), 3).unwrap();
        assert_eq!(c.len(), 3);
        m.output("y", &c[0].xor(&c[1]).unwrap().xor(&c[2]).unwrap(), "y")
            .unwrap();
        let v = m.emit().unwrap();
        assert_eq!(
            v.matches("(* keep *) always @(posedge clk) begin").count(),
            3
        );
        for i in 0..3 {
            assert!(
                v.contains(&format!(
                    "(* keep *) always @(posedge clk) begin\n        if (rst) begin\n            q_k{i} <= 4'd3;\n        end else if (e) begin\n            q_k{i} <= a;\n"
                )),
                "{v}"
            );
        }
        assert!(m.reg_copies("z", &a, None, None, 0).is_err());
        // no loads, no copy: nothing named `w_k0` is declared
        assert!(m
            .reg_for_loads("w", &a, None, None, &[])
            .unwrap()
            .is_empty());
        assert!(!m.emit().unwrap().contains("w_k0"));
    }

    /// `split_reset` shares the reset registers out among copies of `rst`
    /// in declaration order, at most the given bits each, and refuses a
    /// second split, a register with a reset after it, and a module without
    /// a reset.
    #[test]
    fn split_reset_shares_registers_among_reset_copies() {
        let mut m = design();
        let a = m.input("a", Ty::u(8), "data").unwrap();
        let r0 = m.reg_d("r0", &a, None, Some(0)).unwrap();
        let r1 = m
            .reg_d("r1", &a.slice(3, 0).unwrap(), None, Some(1))
            .unwrap();
        let n = m.reg_d("n", &a, None, None).unwrap();
        let r2 = m
            .reg_d("r2", &a.slice(5, 0).unwrap(), None, Some(2))
            .unwrap();
        let r3 = m
            .reg_d("r3", &a.slice(1, 0).unwrap(), None, Some(0))
            .unwrap();
        // 8 | 4 (8 + 4 > 10) | 6 (4 + 6 <= 10), 2 (10 + 2 > 10)
        assert_eq!(m.split_reset(10).unwrap(), 3);
        assert!(m.split_reset(10).is_err());
        assert!(m.reg("late", Ty::BIT, Some(0)).is_err());
        let y = Expr::concat(&[r0, r1, n, r2, r3]).unwrap();
        m.output("y", &y, "y").unwrap();
        let v = m.emit().unwrap();
        for (reg, copy) in [("r0", 0), ("r1", 1), ("r2", 1), ("r3", 2)] {
            let block = v
                .split("always @(posedge clk)")
                .find(|b| b.contains(&format!("{reg} <= a")))
                .unwrap();
            assert!(
                block.contains(&format!("if (rst_k{copy}) begin")),
                "{reg}: {block}"
            );
        }
        for k in 0..3 {
            assert!(
                v.contains(&format!(
                    "(* keep *) always @(posedge clk) begin\n        rst_k{k} <= rst;\n    end"
                )),
                "{v}"
            );
        }
        assert!(v.contains("Reset: `rst` registered into 3 copies"), "{v}");
        let mut bare = Module::new("b", Header::new("test", "none"));
        bare.clock_only().unwrap();
        assert!(bare.split_reset(10).is_err());
        assert!(design().split_reset(0).is_err());
    }

    /// A 1-bit signal is declared without a range, so its bit 0 is the
    /// signal itself (`x[0]` does not compile: the soak found it at P = 1).
    #[test]
    fn bit_of_a_one_bit_signal_is_the_signal() {
        let mut m = design();
        let x = m.input("x", Ty::u(1), "one bit").unwrap();
        let y = m.input("y", Ty::u(3), "three bits").unwrap();
        assert_eq!(x.bit(0).unwrap().verilog(), "x");
        assert_eq!(x.slice(0, 0).unwrap().verilog(), "x");
        assert!(x.bit(1).is_err());
        assert_eq!(y.bit(0).unwrap().verilog(), "y[0]");
    }

    #[test]
    fn sim_clock_toggles_and_gives_a_power_on_reset() {
        let mut m = tb();
        let (clk, rst) = m.sim_clock(7).unwrap();
        assert_eq!((clk.verilog(), rst.verilog()), ("clk".into(), "rst".into()));
        // registers with reset values are now legal
        let r = m.reg("r", Ty::u(4), Some(3)).unwrap();
        m.next(
            &r,
            &r.add(&Expr::konst(1, Ty::u(4)).unwrap()).unwrap(),
            None,
        )
        .unwrap();
        let v = m.emit().unwrap();
        assert!(v.contains("\nmodule t_tb;\n"), "{v}");
        assert!(
            v.contains("    reg clk = 1'b0;\n    always #7 clk = ~clk;\n"),
            "{v}"
        );
        assert!(v.contains("    reg rst = 1'b1;\n    always @(posedge clk) rst <= 1'b0;\n"));
        assert!(v.contains("if (rst) begin\n            r <= 4'd3;"), "{v}");
        // refused: on a design module, twice, a zero half period
        is_tb_error(design().sim_clock(5), "simulation-only");
        is_tb_error(tb().sim_clock(0), "half period");
        assert!(matches!(m.sim_clock(5), Err(RtlError::Duplicate { .. })));
    }

    #[test]
    fn testbench_has_no_ports() {
        let mut m = tb();
        is_tb_error(m.input("a", Ty::BIT, "x"), "no ports");
        let one = Expr::konst(1, Ty::BIT).unwrap();
        is_tb_error(m.output("b", &one, "x"), "no ports");
        is_tb_error(m.clock(), "no ports");
        assert!(!design().is_testbench() && tb().is_testbench());
    }

    #[test]
    fn rom_is_a_constant_table_read_through_a_register() {
        let mut m = design();
        let r = m.rom("t", Ty::u(4), &[3, 15, 7]).unwrap();
        assert_eq!(r.addr_bits(), 2);
        let a = m.input("a", Ty::u(2), "address").unwrap();
        let q = m.reg_d("q", &r.read(&a).unwrap(), None, None).unwrap();
        m.output("y", &q, "word").unwrap();
        let v = m.emit().unwrap();
        assert!(v.contains("    reg [3:0] t [0:3];\n    initial begin\n        t[0] = 4'd3;\n        t[1] = 4'hf;\n        t[2] = 4'd7;\n        t[3] = 4'd0;\n    end\n"), "{v}");
        assert!(v.contains("q <= t[a];"), "{v}");
        assert!(design().rom("t", Ty::u(4), &[16]).is_err());
    }

    #[test]
    fn a_memory_without_collisions_carries_no_rw_check() {
        let mut m = design();
        let mem = m.memory("buf", Ty::u(8), 4).unwrap();
        let other = m.memory("kept", Ty::u(8), 4).unwrap();
        let a = m.input("a", Ty::u(2), "address").unwrap();
        let d = m.input("d", Ty::u(8), "data").unwrap();
        let we = m.input("we", Ty::BIT, "write").unwrap();
        m.mem_write(&mem, &we, &a, &d).unwrap();
        m.mem_write(&other, &we, &a, &d).unwrap();
        m.mem_no_collision(&mem).unwrap();
        let q = m.reg_d("q", &mem.read(&a).unwrap(), None, None).unwrap();
        let r = m.reg_d("r", &other.read(&a).unwrap(), None, None).unwrap();
        m.output("y", &q.xor(&r).unwrap(), "word").unwrap();
        let v = m.emit().unwrap();
        assert!(
            v.contains("    (* no_rw_check *) reg [7:0] buf [0:3];\n"),
            "{v}"
        );
        assert!(v.contains("    reg [7:0] kept [0:3];\n"), "{v}");
        // a memory the module does not hold is refused
        let mut n = design();
        assert!(matches!(
            n.mem_no_collision(&mem),
            Err(RtlError::NotASignal { .. })
        ));
    }

    #[test]
    fn rom_file_is_loaded_once_with_its_word_count() {
        let mut m = tb();
        m.sim_clock(5).unwrap();
        let w = m.rom_file("w", Ty::u(12), 5, "w.hex", Radix::Hex).unwrap();
        assert_eq!(w.addr_bits(), 3);
        let b = m.rom_file("b", Ty::BIT, 2, "b.txt", Radix::Bin).unwrap();
        let a = m.reg("a", Ty::u(3), Some(0)).unwrap();
        m.next(&a, &a, None).unwrap();
        m.wire("x", &w.read(&a).unwrap()).unwrap();
        m.wire("y", &b.read(&a.bit(0).unwrap()).unwrap()).unwrap();
        // a loaded memory needs no write port
        let v = m.emit().unwrap();
        assert!(v.contains("    reg [11:0] w [0:7];\n    initial $readmemh(\"w.hex\", w, 0, 4);\n"));
        assert!(v.contains("    reg b [0:1];\n    initial $readmemb(\"b.txt\", b, 0, 1);\n"));
        assert!(!v.contains("w[a] <="), "{v}");
        // refused: on a design module, no words, a bad file name
        is_tb_error(
            design().rom_file("w", Ty::BIT, 2, "f", Radix::Hex),
            "simulation-only",
        );
        is_tb_error(m.rom_file("z", Ty::BIT, 0, "f", Radix::Hex), "no words");
        is_tb_error(m.rom_file("z", Ty::BIT, 2, "a\"b", Radix::Hex), "contains");
        is_tb_error(
            m.rom_file("z", Ty::BIT, 2, "", Radix::Hex),
            "empty file name",
        );
        // a memory neither written nor loaded is still refused
        let mut m = tb();
        m.sim_clock(5).unwrap();
        m.memory("u", Ty::BIT, 2).unwrap();
        assert!(matches!(m.emit(), Err(RtlError::Undriven { .. })));
    }

    #[test]
    fn log_writes_a_checked_format_to_a_file_opened_once() {
        let mut m = tb();
        m.sim_clock(5).unwrap();
        let f = m.log_file("f_out", "out.txt").unwrap();
        let a = m.reg("a", Ty::u(8), Some(0)).unwrap();
        m.next(&a, &a, None).unwrap();
        let c = m.wire("c", &a.bit(0).unwrap()).unwrap();
        m.log(&f, &c, "%h and %0d%%\n", &[a.clone(), c.clone()])
            .unwrap();
        let v = m.emit().unwrap();
        assert!(v.contains("    integer f_out;\n    initial f_out = $fopen(\"out.txt\", \"w\");\n"));
        assert_eq!(v.matches("$fopen").count(), 1);
        assert!(
            v.contains("always @(posedge clk) begin\n        if (c) begin\n            $fwrite(f_out, \"%h and %0d%%\\n\", a, c);\n        end\n    end"),
            "{v}"
        );
        // refused: empty format, wrong argument count, unknown conversion,
        // a quote, a wide condition, on a design module, a foreign file
        is_tb_error(m.log(&f, &c, "", &[]), "empty format");
        is_tb_error(
            m.log(&f, &c, "%h %h\n", std::slice::from_ref(&a)),
            "2 conversions for 1",
        );
        is_tb_error(
            m.log(&f, &c, "%q\n", std::slice::from_ref(&a)),
            "unsupported conversion",
        );
        is_tb_error(m.log(&f, &c, "say \"hi\"", &[]), "contains");
        assert!(matches!(
            m.log(&f, &a, "x", &[]),
            Err(RtlError::TypeMismatch { .. })
        ));
        is_tb_error(design().log_file("f", "o.txt"), "simulation-only");
        let mut d = design();
        is_tb_error(d.log(&f, &c, "x", &[]), "simulation-only");
        let mut other = tb();
        other.sim_clock(5).unwrap();
        is_tb_error(
            other.log(&f, &Expr::sig("clk", Ty::BIT), "x", &[]),
            "not opened",
        );
        // a log needs the clock
        let mut m = tb();
        let f = m.log_file("f", "o.txt").unwrap();
        let one = Expr::konst(1, Ty::BIT).unwrap();
        assert!(matches!(
            m.log(&f, &one, "x", &[]),
            Err(RtlError::NoClock(_))
        ));
    }

    #[test]
    fn finish_writes_the_last_line_closes_every_file_and_stops() {
        let mut m = tb();
        let (clk, _) = m.sim_clock(5).unwrap();
        let f = m.log_file("f_a", "a.txt").unwrap();
        m.log_file("f_b", "b.txt").unwrap();
        let n = m.reg("n", Ty::u(8), Some(0)).unwrap();
        m.next(
            &n,
            &n.add(&Expr::konst(1, Ty::u(8)).unwrap()).unwrap(),
            None,
        )
        .unwrap();
        let end = n.eq(&Expr::konst(9, Ty::u(8)).unwrap()).unwrap();
        m.finish(&end, Some((&f, "cycles %0d\n", std::slice::from_ref(&n))))
            .unwrap();
        m.finish(&clk, None).unwrap();
        let v = m.emit().unwrap();
        assert!(
            v.contains("        if ((n == 8'd9)) begin\n            $fwrite(f_a, \"cycles %0d\\n\", n);\n            $fclose(f_a);\n            $fclose(f_b);\n            $finish;\n        end\n"),
            "{v}"
        );
        assert!(v.contains("        if (clk) begin\n            $fclose(f_a);\n            $fclose(f_b);\n            $finish;\n"));
        is_tb_error(design().finish(&clk, None), "simulation-only");
        is_tb_error(m.finish(&end, Some((&f, "%d", &[]))), "1 conversions for 0");
        assert!(matches!(
            m.finish(&n, None),
            Err(RtlError::TypeMismatch { .. })
        ));
    }
}
