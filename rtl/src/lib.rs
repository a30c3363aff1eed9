//! rxdsp RTL: a small typed Verilog generator ([`hdl`]) and the PAM4 receive
//! equalizer datapath built with it ([`eq`]).
//!
//! [`generate`] writes the Verilog of the top module `rxdsp_eq` for a
//! [`RxFormat`] and a parallelism `P` into a directory, with a `rxdsp.f` file
//! list, and returns a [`GenReport`]. See `docs/rtl-architecture.md`.
//!
//! ```
//! use golden::numeric::RxFormat;
//! let dir = std::env::temp_dir().join(format!("rxdsp-doc-{}", std::process::id()));
//! let rep = rtl::generate(&RxFormat::default(), 8, &dir).unwrap();
//! assert_eq!(rep.top, "rxdsp_eq");
//! assert_eq!(rep.latency, rtl::latency(&RxFormat::default(), 8)); // 11 + ceil(log2 16)
//! assert!(rtl::generate(&RxFormat::default(), 3, &dir).is_err()); // P must be a power of two <= 32
//! # std::fs::remove_dir_all(&dir).ok();
//! ```

#![warn(missing_docs)]

pub mod adapt;
pub mod bert;
pub mod board;
pub mod bridge;
pub mod check;
pub mod csr;
pub mod emu;
pub mod eq;
pub mod fifo;
pub mod harness;
pub mod hdl;
pub mod pll;
pub mod rs;
pub mod tb;
pub mod top;
pub mod uart;

use golden::numeric::{FormatError, RxFormat};
use hdl::{Port, Ty};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The host-device protocol and the register map data (the `rxdsp-proto`
/// crate), re-exported for the generator's users.
pub use ::proto;
pub use eq::{latency, TOP};

/// The commands that really regenerate each generated file, as its header
/// names them (see [`hdl::Header`]).
pub mod regen {
    /// The equalizer's files (`rxdsp_eq*.v`, generic multiplier).
    pub const EQ: &str = "rxdsp gen --out <dir> (rxdsp synth also writes it into <out>/rtl/)";
    /// The ECP5 variant of the FFE multiplier.
    pub const ECP5_MUL: &str =
        "rxdsp synth --target ecp5-85k (into <out>/rtl/; rxdsp gen writes the generic variant)";
    /// The device's own files (CSR block, bridge, device top).
    pub const DEVICE: &str =
        "rxdsp gen --out <dir> (rxdsp synth --board <board> also writes it into <out>/rtl/)";
    /// The board top and the UART.
    pub const BOARD: &str = "rxdsp synth --board ulx3s-85f|ecp5-evn (into <out>/rtl/)";
    /// The board top with the ECP5 PLL and its core.
    pub const BOARD_PLL: &str =
        "rxdsp synth --board ulx3s-85f|ecp5-evn --freq MHZ (into <out>/rtl/)";
    /// The synthesis harness.
    pub const HARNESS: &str = "rxdsp synth (into <out>/rtl/)";
    /// The Reed-Solomon decoder and its GF(2^10) arithmetic.
    pub const RS_DEC: &str =
        "rxdsp synth --set tx.fec=kp4|kr4 [--fec-only] (into <out>/rtl/); library: rtl::rs::generate_rs";
    /// The gearbox, the gearbox-decoder pair and the equalizer -> FEC chain.
    pub const RS_CHAIN: &str = "rxdsp synth --set tx.fec=kp4|kr4 (into <out>/rtl/)";
    /// The Icarus testbenches ([`crate::tb`]).
    pub const TB: &str = "no rxdsp command writes it: built in memory by rxdsp-sim (rtl::tb)";
    /// The register slice alone ([`crate::fifo::design_slice`]), for its test.
    pub const SLICE: &str =
        "no rxdsp command writes it: built in memory by rxdsp-sim's reg_slice test";
    /// The link emulator `rxdsp_emu` ([`crate::emu`]).
    pub const EMU: &str = "rxdsp gen --out <dir> (P from rtl.parallel, T = 48, adc.bits)";
    /// The BER checker `rxdsp_check` ([`crate::check`]).
    pub const CHECK: &str =
        "rxdsp gen --out <dir> (P from rtl.parallel, max_delay 127, fifo_words 128)";
    /// The Reed-Solomon encoder: no `rxdsp` command writes it.
    pub const RS_ENC: &str =
        "no rxdsp command writes it: rtl::rs::generate_rs (the co-simulation builds it in memory)";
}

/// Generator version written into every file header.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Errors of the generator: illegal parameters, or a design error caught
/// while the design is built (before any Verilog is written).
#[derive(Debug, Error)]
pub enum RtlError {
    /// The numeric format is illegal.
    #[error("illegal format: {0}")]
    Format(#[from] FormatError),
    /// A generator parameter is illegal.
    #[error("illegal parameter {name} = {value}: {why}")]
    Param {
        /// parameter name
        name: &'static str,
        /// its value
        value: i64,
        /// what is allowed
        why: String,
    },
    /// Operand types differ.
    #[error("type mismatch in `{op}` at `{expr}`: {left} vs {right}")]
    TypeMismatch {
        /// the operator
        op: &'static str,
        /// the expression, in Verilog
        expr: String,
        /// left operand type
        left: Ty,
        /// right operand type
        right: Ty,
    },
    /// A constant does not fit its type.
    #[error("constant {value} does not fit {ty}")]
    ConstRange {
        /// the value
        value: i128,
        /// the type
        ty: Ty,
    },
    /// Slice bounds are outside the operand.
    #[error("slice [{hi}:{lo}] of `{expr}` is outside its {width} bits")]
    SliceRange {
        /// the operand
        expr: String,
        /// high bit
        hi: u32,
        /// low bit
        lo: u32,
        /// operand width
        width: u32,
    },
    /// An extension to fewer bits.
    #[error("cannot extend `{expr}` from {from} to {to} bits (narrowing)")]
    Narrowing {
        /// the operand
        expr: String,
        /// its width
        from: u32,
        /// the requested width
        to: u32,
    },
    /// An operation that needs a named signal got a compound expression.
    #[error("{what} needs a named signal, got `{expr}` (name it with a wire first)")]
    NotASignal {
        /// the operation
        what: &'static str,
        /// the expression
        expr: String,
    },
    /// An empty list where one element at least is needed.
    #[error("empty {0}")]
    Empty(&'static str),
    /// A zero-width signal.
    #[error("signal `{0}` has zero width")]
    ZeroWidth(String),
    /// A name is declared twice.
    #[error("`{name}` is declared twice in module {module}")]
    Duplicate {
        /// the module
        module: String,
        /// the name
        name: String,
    },
    /// A register without a next state.
    #[error("register `{name}` in module {module} has no next state")]
    Undriven {
        /// the module
        module: String,
        /// the register
        name: String,
    },
    /// A register in a module without a clock.
    #[error("module {0} declares a register but has no clock (call Module::clock first)")]
    NoClock(String),
    /// A port connection problem.
    #[error("instance {inst}: port {port} {why}")]
    Port {
        /// instance name
        inst: String,
        /// port name
        port: String,
        /// what is wrong
        why: String,
    },
    /// A simulation-only construct misused: on a design module, or with an
    /// illegal argument (see [`hdl::Module::testbench`]).
    #[error("testbench {module}: {why}")]
    Testbench {
        /// the module
        module: String,
        /// what is wrong
        why: String,
    },
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
}

/// What [`generate`] wrote.
#[derive(Clone, Debug)]
pub struct GenReport {
    /// the Verilog files, submodules first, top last
    pub files: Vec<PathBuf>,
    /// the file list (`rxdsp.f`, bare file names relative to its directory)
    pub filelist: PathBuf,
    /// the top module name (`rxdsp_eq`)
    pub top: String,
    /// samples per clock
    pub parallel: usize,
    /// latency in clock cycles from the input handshake to the output word (no stalls)
    pub latency: usize,
    /// the top module's ports
    pub ports: Vec<Port>,
}

/// The generated design in memory: `(file name, contents)` pairs plus the top's ports.
#[derive(Clone, Debug)]
pub struct Design {
    /// `(file name, Verilog text)`, submodules first, top last
    pub files: Vec<(String, String)>,
    /// the top module's ports
    pub ports: Vec<Port>,
    /// latency in cycles
    pub latency: usize,
}

impl Design {
    /// The `rxdsp.f` contents: one file name per line.
    pub fn filelist(&self) -> String {
        let mut s = String::new();
        for (n, _) in &self.files {
            s.push_str(n);
            s.push('\n');
        }
        s
    }
}

/// Builds the equalizer for `fmt` at `parallel` samples per clock, in memory.
/// Its latency is the number of pipeline stages the builders emitted.
pub fn design(fmt: &RxFormat, parallel: usize) -> Result<Design, RtlError> {
    let (mods, stages) = eq::build_with_stages(fmt, parallel)?;
    let mut files = Vec::new();
    for m in &mods {
        files.push((format!("{}.v", m.name()), m.emit()?));
    }
    Ok(Design {
        files,
        ports: mods.last().expect("top is built").ports().to_vec(),
        latency: stages.len(),
    })
}

/// Writes the Verilog of `rxdsp_eq` for `fmt` at `parallel` samples per clock
/// into `out_dir` (created if missing): one `.v` file per module and `rxdsp.f`.
pub fn generate(fmt: &RxFormat, parallel: usize, out_dir: &Path) -> Result<GenReport, RtlError> {
    let d = design(fmt, parallel)?;
    let io = |path: &Path, e| RtlError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    std::fs::create_dir_all(out_dir).map_err(|e| io(out_dir, e))?;
    let mut files = Vec::new();
    for (n, text) in &d.files {
        let p = out_dir.join(n);
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
        files.push(p);
    }
    let filelist = out_dir.join("rxdsp.f");
    std::fs::write(&filelist, d.filelist()).map_err(|e| io(&filelist, e))?;
    Ok(GenReport {
        files,
        filelist,
        top: TOP.to_string(),
        parallel,
        latency: d.latency,
        ports: d.ports,
    })
}
