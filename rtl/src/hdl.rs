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
}

impl Param {
    /// A string parameter.
    pub fn str(s: &str) -> Param {
        Param::Str(s.to_string())
    }

    fn verilog(&self) -> String {
        match self {
            Param::Str(s) => format!("\"{s}\""),
            Param::Int(v) => v.to_string(),
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
}

#[derive(Debug)]
enum Item {
    Mem(usize),
    Comment(String),
    Wire(String, Ty, Option<Expr>),
    Reg(usize),
    Assign(String, Expr),
    Inst {
        module: String,
        name: String,
        params: Vec<(String, String)>,
        conns: Vec<(String, String)>,
    },
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
    mems: Vec<MemDecl>,
    black_box: bool,
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
            mems: Vec::new(),
            black_box: false,
        }
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
            Expr::konst(v, ty)?;
        }
        self.declare(name, ty)?;
        self.regs.push(Reg {
            name: name.into(),
            ty,
            reset,
            next: None,
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
        });
        self.items.push(Item::Mem(self.mems.len() - 1));
        Ok(Mem {
            name: name.into(),
            ty,
            abits: depth.trailing_zeros(),
        })
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
        let d = self
            .mems
            .iter_mut()
            .find(|x| x.name == m.name)
            .ok_or_else(|| RtlError::NotASignal {
                what: "memory",
                expr: m.name.clone(),
            })?;
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
        let name = match &*r.node {
            Node::Sig(n) => n.clone(),
            _ => {
                return Err(RtlError::NotASignal {
                    what: "register",
                    expr: r.verilog(),
                })
            }
        };
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
            if m.write.is_none() {
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
        // group the register updates by (enable, reset) into always blocks,
        // in order of first appearance
        let mut groups: Vec<(String, bool, Vec<usize>)> = Vec::new();
        for (i, r) in self.regs.iter().enumerate() {
            let en = r
                .next
                .as_ref()
                .and_then(|n| n.1.as_ref())
                .map(|e| e.verilog());
            let key = en.unwrap_or_default();
            let has_rst = r.reset.is_some();
            match groups.iter_mut().find(|g| g.0 == key && g.1 == has_rst) {
                Some(g) => g.2.push(i),
                None => groups.push((key, has_rst, vec![i])),
            }
        }
        for it in &self.items {
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
                    let _ = writeln!(s, "    reg{sep}{decl} {} [0:{}];", m.name, m.depth - 1);
                }
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
                    params,
                    conns,
                } => {
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
        for (en, has_rst, regs) in &groups {
            let _ = writeln!(s, "\n    always @(posedge clk) begin");
            let mut ind = "        ";
            if *has_rst {
                let _ = writeln!(s, "        if (rst) begin");
                for &i in regs {
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
            for &i in regs {
                let r = &self.regs[i];
                let d = &r.next.as_ref().expect("checked above").0;
                let _ = writeln!(s, "{ind}{} <= {};", r.name, d.verilog());
            }
            if *has_rst || !en.is_empty() {
                let _ = writeln!(s, "        end");
            }
            let _ = writeln!(s, "    end");
        }
        for m in &self.mems {
            let (we, a, d) = m.write.as_ref().expect("checked above");
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
}
