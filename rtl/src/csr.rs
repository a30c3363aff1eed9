//! The device register map, defined once.
//!
//! [`regmap`] describes every block and register for a format and a
//! parallelism. From it come the Verilog CSR decoder ([`build_csr`], module
//! `rxdsp_csr`), the host's accessors ([`RegMap::reg`], [`RegMap::addr`], used
//! by the host driver by name) and the markdown page ([`RegMap::markdown`],
//! `docs/registers.md`).
//!
//! Registers are 32-bit words at 16-bit word addresses; a 64-bit register
//! takes two consecutive words, low word first. Each block starts with an
//! `id` word: `block id << 16 | version`. Counters in the `stats` block are
//! read through a snapshot: writing `stats.snapshot` latches every counter at
//! once, so multi-word values are consistent.

use crate::hdl::{Expr, Module, Ty};
use crate::proto;
use crate::{RtlError, VERSION};
use golden::numeric::RxFormat;

/// Magic value of `id.magic`: "RXDS".
pub const MAGIC: u32 = 0x5258_4453;

/// What a register is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A constant (identity, build parameters).
    Const(u64),
    /// Read-write storage.
    Rw {
        /// value after reset
        reset: u64,
        /// reads back sign-extended
        signed: bool,
        /// the equalizer register port address this register writes through to
        eq_addr: Option<usize>,
        /// also cleared by `ctrl.control.eq_reset`
        soft_reset: bool,
        /// its value is an output of the CSR module (`q_<reg>`) for the datapath
        export: bool,
    },
    /// A live value from the datapath, read only.
    Status,
    /// A counter, read as it was at the last write to the snapshot trigger.
    Snapshot,
    /// Write-only: any write latches every [`Kind::Snapshot`] register.
    SnapshotTrigger,
}

/// One register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reg {
    /// full name, `block.register`
    pub name: String,
    /// word address (the low word for 64-bit registers)
    pub addr: u16,
    /// width in bits, 1..=64
    pub width: u32,
    /// what it is
    pub kind: Kind,
    /// description
    pub doc: String,
}

impl Reg {
    /// 32-bit words it takes.
    pub fn words(&self) -> u16 {
        if self.width > 32 {
            2
        } else {
            1
        }
    }
    /// Readable (everything but the snapshot trigger).
    pub fn readable(&self) -> bool {
        self.kind != Kind::SnapshotTrigger
    }
    /// Writable by the host.
    pub fn writable(&self) -> bool {
        matches!(self.kind, Kind::Rw { .. } | Kind::SnapshotTrigger)
    }
    /// The Verilog-safe name (`block_register`).
    pub fn ident(&self) -> String {
        self.name.replace('.', "_")
    }
}

/// One block of registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// name
    pub name: &'static str,
    /// block ID (0: reserved, nothing implemented)
    pub id: u16,
    /// block version
    pub version: u16,
    /// first word address
    pub base: u16,
    /// words reserved for the block
    pub size: u16,
    /// description
    pub doc: String,
    /// the registers, the `id` word first
    pub regs: Vec<Reg>,
}

/// The whole map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegMap {
    /// the blocks in address order
    pub blocks: Vec<Block>,
}

/// Block IDs.
pub mod ids {
    /// identity and build parameters ("ID")
    pub const ID: u16 = 0x4944;
    /// control ("CT")
    pub const CTRL: u16 = 0x4354;
    /// equalizer coefficients ("EQ")
    pub const EQ: u16 = 0x4551;
    /// statistics ("ST")
    pub const STATS: u16 = 0x5354;
    /// bridge counters ("BR")
    pub const BRIDGE: u16 = 0x4252;
    /// FEC decoder: reserved, reads 0 until the decoder lands
    pub const FEC_RESERVED: u16 = 0;
}

/// Base addresses of the blocks (fixed, whatever the format).
pub mod base {
    /// identity
    pub const ID: u16 = 0x000;
    /// control
    pub const CTRL: u16 = 0x040;
    /// equalizer
    pub const EQ: u16 = 0x080;
    /// statistics
    pub const STATS: u16 = 0x100;
    /// bridge counters
    pub const BRIDGE: u16 = 0x140;
    /// FEC decoder (reserved)
    pub const FEC: u16 = 0x200;
}

/// Bit 0 of `ctrl.control`: hold the equalizer, its coefficients, the sample
/// packer, the output packer and the stream counters in reset.
pub const CTRL_EQ_RESET: u32 = 1;

fn version_word() -> u64 {
    let mut it = VERSION.split('.').map(|x| x.parse::<u64>().unwrap_or(0));
    let (a, b, c) = (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    );
    a << 16 | b << 8 | c
}

struct B {
    blk: Block,
    next: u16,
}

impl B {
    fn new(name: &'static str, id: u16, version: u16, base: u16, size: u16, doc: &str) -> B {
        let mut b = B {
            blk: Block {
                name,
                id,
                version,
                base,
                size,
                doc: doc.into(),
                regs: Vec::new(),
            },
            next: base,
        };
        b.add(
            "id",
            32,
            Kind::Const((id as u64) << 16 | version as u64),
            "block id << 16 | version",
        );
        b
    }
    fn add(&mut self, name: &str, width: u32, kind: Kind, doc: &str) {
        let r = Reg {
            name: format!("{}.{name}", self.blk.name),
            addr: self.next,
            width,
            kind,
            doc: doc.into(),
        };
        self.next += r.words();
        self.blk.regs.push(r);
    }
    fn at(&mut self, addr: u16) {
        self.next = addr;
    }
}

/// The register map of the device for `fmt` at `parallel` samples per clock.
pub fn regmap(fmt: &RxFormat, parallel: usize) -> RegMap {
    let c = |v: u64| Kind::Const(v);
    let mut id = B::new(
        "id",
        ids::ID,
        1,
        base::ID,
        0x40,
        "Identity and build parameters (constants).",
    );
    id.add("magic", 32, c(MAGIC as u64), "0x52584453 (\"RXDS\")");
    id.add(
        "gen_version",
        32,
        c(version_word()),
        "generator version major << 16 | minor << 8 | patch",
    );
    id.add("parallel", 32, c(parallel as u64), "P, samples per clock");
    id.add("adc_bits", 32, c(fmt.adc_bits as u64), "ADC sample width");
    id.add("ffe_taps", 32, c(fmt.ffe_taps as u64), "N, FFE taps");
    id.add(
        "ffe_main",
        32,
        c(fmt.ffe_main as u64),
        "FFE main-cursor tap",
    );
    id.add(
        "ffe_coef_bits",
        32,
        c(fmt.ffe_coef_bits as u64),
        "FFE coefficient width",
    );
    id.add(
        "ffe_coef_frac",
        32,
        c(fmt.ffe_coef_frac as u64),
        "FFE coefficient fraction bits",
    );
    id.add(
        "ffe_out_bits",
        32,
        c(fmt.ffe_out_bits as u64),
        "FFE output width",
    );
    id.add(
        "ffe_out_frac",
        32,
        c(fmt.ffe_out_frac as u64),
        "FFE output fraction bits",
    );
    id.add("dfe_taps", 32, c(fmt.dfe_taps as u64), "M, DFE taps");
    id.add(
        "dfe_coef_bits",
        32,
        c(fmt.dfe_coef_bits as u64),
        "DFE coefficient width",
    );
    id.add(
        "precode",
        32,
        c(fmt.precode as u64),
        "1: 1/(1+D) precoding decoded",
    );
    id.add(
        "fec_code",
        32,
        c(0),
        "FEC decoder: 0 none (this build), 1 KP4, 2 KR4",
    );
    id.add(
        "rx_slots",
        32,
        c(proto::RX_SLOTS as u64),
        "receive frame slots (the credit window)",
    );
    id.add(
        "sample_bytes",
        32,
        c(proto::sample_bytes(fmt.adc_bits) as u64),
        "bytes per sample in a SAMPLES payload",
    );
    id.add(
        "max_payload",
        32,
        c(proto::MAX_PAYLOAD as u64),
        "largest host-to-device payload, bytes",
    );
    id.add(
        "out_chunk",
        32,
        c(proto::OUT_CHUNK as u64),
        "output bytes per full OUTPUT frame",
    );
    id.add(
        "latency",
        32,
        c(crate::latency(fmt, parallel) as u64),
        "equalizer latency, cycles",
    );

    let mut ctrl = B::new(
        "ctrl",
        ids::CTRL,
        1,
        base::CTRL,
        0x40,
        "Control and status.",
    );
    ctrl.add(
        "control",
        1,
        Kind::Rw {
            reset: 0,
            signed: false,
            eq_addr: None,
            soft_reset: false,
            export: true,
        },
        "bit 0 eq_reset: while 1, the equalizer (pipeline and coefficients), the sample and output packers and the stream counters are held in reset",
    );
    ctrl.add(
        "status",
        32,
        Kind::Status,
        "bit 0: samples in flight (packer, equalizer or output packer not empty); bits 15:8: receive slots in use",
    );
    ctrl.add(
        "scratch",
        32,
        Kind::Rw {
            reset: 0,
            signed: false,
            eq_addr: None,
            soft_reset: false,
            export: false,
        },
        "scratch register for the host's tests",
    );

    let mut eq = B::new(
        "eq",
        ids::EQ,
        1,
        base::EQ,
        0x80,
        "Equalizer coefficients and slicer threshold; writes go through to the equalizer's register port. Two's complement, read back sign-extended.",
    );
    let rw = |a: usize| Kind::Rw {
        reset: 0,
        signed: true,
        eq_addr: Some(a),
        soft_reset: true,
        export: false,
    };
    eq.at(base::EQ + 1);
    eq.add(
        "threshold",
        fmt.ffe_out_bits,
        rw(crate::eq::addr_threshold(fmt)),
        "slicer threshold t (> 0)",
    );
    eq.at(base::EQ + 0x08);
    for j in 0..fmt.dfe_taps {
        eq.add(
            &format!("dfe{}", j + 1),
            fmt.dfe_coef_bits,
            rw(crate::eq::addr_dfe(fmt, j)),
            &format!("DFE tap b[{}]", j + 1),
        );
    }
    eq.at(base::EQ + 0x40);
    for k in 0..fmt.ffe_taps {
        eq.add(
            &format!("ffe{k}"),
            fmt.ffe_coef_bits,
            rw(crate::eq::addr_ffe(fmt, k)),
            &format!("FFE tap c[{k}]"),
        );
    }

    let mut st = B::new(
        "stats",
        ids::STATS,
        1,
        base::STATS,
        0x40,
        "Stream statistics (cleared by eq_reset). Write `stats.snapshot`, then read: all counters are latched together.",
    );
    st.add(
        "snapshot",
        1,
        Kind::SnapshotTrigger,
        "write (any value): latch every counter of this block and of `bridge`",
    );
    st.add(
        "samples_in",
        64,
        Kind::Snapshot,
        "samples given to the equalizer",
    );
    st.add(
        "symbols_out",
        64,
        Kind::Snapshot,
        "symbols out of the equalizer",
    );
    for l in 0..4 {
        st.add(
            &format!("level{l}"),
            64,
            Kind::Snapshot,
            &format!("decisions at level index {l}"),
        );
    }
    st.add(
        "ffe_saturated",
        64,
        Kind::Snapshot,
        "FFE outputs at a saturation limit (clipping indicator)",
    );

    let mut br = B::new(
        "bridge",
        ids::BRIDGE,
        1,
        base::BRIDGE,
        0x40,
        "Bridge counters since reset (32-bit, wrapping; latched by `stats.snapshot`).",
    );
    for (n, d) in [
        ("rx_bytes", "bytes received"),
        (
            "rx_frames",
            "frames accepted (intact, in sequence, with a free slot)",
        ),
        ("rx_corrupt", "frames refused: COBS or CRC-32"),
        ("rx_length", "frames refused: length"),
        ("rx_type", "frames refused: unknown type"),
        ("rx_seq", "frames refused: out of sequence"),
        ("rx_full", "frames refused: no free slot"),
        ("tx_frames", "frames sent"),
        ("out_frames", "OUTPUT frames sent"),
    ] {
        br.add(n, 32, Kind::Snapshot, d);
    }

    let fec = Block {
        name: "fec",
        id: ids::FEC_RESERVED,
        version: 0,
        base: base::FEC,
        size: 0x100,
        doc: "Reserved for the RS FEC decoder (not in this build): every word reads 0, so its id word reads 0 = absent. Its counters (codewords, corrected, uncorrectable, histogram) will live here.".into(),
        regs: Vec::new(),
    };
    RegMap {
        blocks: vec![id.blk, ctrl.blk, eq.blk, st.blk, br.blk, fec],
    }
}

impl RegMap {
    /// Every register, in address order.
    pub fn regs(&self) -> impl Iterator<Item = &Reg> {
        self.blocks.iter().flat_map(|b| b.regs.iter())
    }
    /// The register called `name` (`block.register`).
    pub fn reg(&self, name: &str) -> Option<&Reg> {
        self.regs().find(|r| r.name == name)
    }
    /// Address of `name`.
    pub fn addr(&self, name: &str) -> Option<u16> {
        self.reg(name).map(|r| r.addr)
    }
    /// The register whose (low or high) word is at `addr`.
    pub fn at(&self, addr: u16) -> Option<&Reg> {
        self.regs()
            .find(|r| addr >= r.addr && addr < r.addr + r.words())
    }
    /// Checks that blocks do not overlap and registers stay inside their block.
    pub fn check(&self) -> Result<(), String> {
        let mut end = 0u16;
        for b in &self.blocks {
            if b.base < end {
                return Err(format!("block {} overlaps the previous one", b.name));
            }
            end = b.base + b.size;
            let mut last = b.base;
            for r in &b.regs {
                if r.addr < last || r.addr + r.words() > end {
                    return Err(format!("register {} is misplaced", r.name));
                }
                last = r.addr + r.words();
            }
        }
        Ok(())
    }
    /// A 64-bit hash of the map (names, addresses, widths, kinds).
    pub fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let text = format!("{:?}", self.blocks);
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        h
    }

    /// The markdown page (`docs/registers.md`).
    pub fn markdown(&self, title: &str) -> String {
        let mut s = format!("# {title}\n\nGenerated by `rxdsp gen` from `rtl::csr::regmap` (rxdsp {VERSION}); do not edit. ");
        s += "32-bit words at 16-bit word addresses; 64-bit registers take two words, low first. ";
        s += "Every block begins with `id` = block id << 16 | version. Unmapped addresses read 0; writes to them are ignored.\n\n";
        s += "| block | id | version | base | words |\n|---|---|---|---|---|\n";
        for b in &self.blocks {
            s += &format!(
                "| `{}` | 0x{:04x} | {} | 0x{:03x} | 0x{:x} |\n",
                b.name, b.id, b.version, b.base, b.size
            );
        }
        for b in &self.blocks {
            s += &format!("\n## `{}` (0x{:03x})\n\n{}\n\n", b.name, b.base, b.doc);
            if b.regs.is_empty() {
                continue;
            }
            s += "| address | register | bits | access | description |\n|---|---|---|---|---|\n";
            for r in &b.regs {
                let acc = match &r.kind {
                    Kind::Const(v) if *v > 0xFFFF => format!("ro = 0x{v:08x}"),
                    Kind::Const(v) => format!("ro = {v}"),
                    Kind::Rw { reset, signed, .. } => {
                        format!("rw{}, reset {reset}", if *signed { " signed" } else { "" })
                    }
                    Kind::Status => "ro live".into(),
                    Kind::Snapshot => "ro snapshot".into(),
                    Kind::SnapshotTrigger => "wo".into(),
                };
                let addr = if r.words() == 2 {
                    format!("0x{:03x}-0x{:03x}", r.addr, r.addr + 1)
                } else {
                    format!("0x{:03x}", r.addr)
                };
                s += &format!(
                    "| {addr} | `{}` | {} | {acc} | {} |\n",
                    r.name,
                    r.width,
                    r.doc.replace('|', "\\|")
                );
            }
        }
        s
    }
}

/// Name of the CSR decoder module.
pub const CSR_MODULE: &str = "rxdsp_csr";

fn k(v: u64, w: u32) -> Result<Expr, RtlError> {
    Expr::konst(v as i128, Ty::u(w))
}

/// Builds `rxdsp_csr`: a write port (`wr_en`, `wr_addr`, `wr_data`), a
/// combinational read port (`rd_addr` -> `rd_data`), one `in_<reg>` input per
/// status or snapshot register, one `q_<reg>` output per read-write register,
/// the equalizer's register-port signals (`eq_cfg_*`) and `soft_rst`.
pub fn build_csr(map: &RegMap, fmt: &RxFormat) -> Result<Module, RtlError> {
    let mut m = Module::new(
        CSR_MODULE,
        crate::hdl::Header::new("register block (CSR decoder)", crate::regen::DEVICE)
            .param("register map hash", format!("0x{:016x}", map.hash()))
            .note("Registers: docs/registers.md"),
    );
    m.clock()?;
    let we = m.input("wr_en", Ty::BIT, "register write strobe")?;
    let wa = m.input("wr_addr", Ty::u(16), "write word address")?;
    let wd = m.input("wr_data", Ty::u(32), "write data")?;
    let ra = m.input("rd_addr", Ty::u(16), "read word address")?;
    let soft = m.input(
        "soft_rst",
        Ty::BIT,
        "clears the registers marked soft_reset",
    )?;
    let mut inputs = Vec::new();
    for r in map.regs() {
        if matches!(r.kind, Kind::Status | Kind::Snapshot) {
            let e = m.input(&format!("in_{}", r.ident()), Ty::u(r.width), &r.doc)?;
            inputs.push((r.name.clone(), e));
        }
    }
    let hit_w = |m: &mut Module, r: &Reg| -> Result<Expr, RtlError> {
        let h = wa.eq(&k(r.addr as u64, 16)?)?;
        m.wire(&format!("wr_{}", r.ident()), &we.and(&h)?)
    };
    // snapshot trigger
    let mut snap = k(0, 1)?;
    for r in map.regs() {
        if r.kind == Kind::SnapshotTrigger {
            snap = hit_w(&mut m, r)?;
        }
    }
    // per-register values as seen by reads (one or two 32-bit words)
    let mut words: Vec<(u16, Expr)> = Vec::new();
    let mut eq_we = k(0, 1)?;
    let aw = crate::eq::cfg_addr_bits(fmt);
    let mut eq_addr = k(0, aw)?;
    for r in map.regs() {
        let id = r.ident();
        let val: Option<Expr> = match &r.kind {
            Kind::Const(v) => Some(k(*v, r.width.min(32))?),
            Kind::SnapshotTrigger => None,
            Kind::Status => Some(
                inputs
                    .iter()
                    .find(|x| x.0 == r.name)
                    .expect("declared")
                    .1
                    .clone(),
            ),
            Kind::Snapshot => {
                let src = inputs
                    .iter()
                    .find(|x| x.0 == r.name)
                    .expect("declared")
                    .1
                    .clone();
                Some(m.reg_d(&format!("snap_{id}"), &src, Some(&snap), Some(0))?)
            }
            Kind::Rw {
                reset,
                signed,
                eq_addr: ea,
                soft_reset,
                export,
            } => {
                let hit = hit_w(&mut m, r)?;
                let q = m.reg(&format!("r_{id}"), Ty::u(r.width), Some(*reset as i128))?;
                let d = wd.slice(r.width - 1, 0)?;
                let mut next = Expr::mux(&hit, &d, &q)?;
                if *soft_reset {
                    next = Expr::mux(&soft, &k(*reset, r.width)?, &next)?;
                }
                m.next(&q, &next, None)?;
                if *export {
                    m.output(&format!("q_{id}"), &q, &r.doc)?;
                }
                if let Some(a) = ea {
                    eq_we = eq_we.or(&hit)?;
                    eq_addr = Expr::mux(&hit, &k(*a as u64, aw)?, &eq_addr)?;
                }
                if *signed && r.width < 32 {
                    let s = m.wire(&format!("rs_{id}"), &q.as_signed())?;
                    Some(s.ext(32)?.as_unsigned())
                } else {
                    Some(q)
                }
            }
        };
        let Some(v) = val else { continue };
        let v = if v.width() < 32 {
            let n = m.wire(&format!("v_{id}"), &v)?;
            n.ext(32)?
        } else {
            m.wire(&format!("v_{id}"), &v)?
        };
        if r.width > 32 {
            words.push((r.addr, v.slice(31, 0)?));
            words.push((r.addr + 1, v.slice(63, 32)?));
        } else {
            words.push((r.addr, v));
        }
    }
    let dw = crate::eq::cfg_data_bits(fmt);
    m.output("eq_cfg_we", &eq_we, "equalizer register write strobe")?;
    m.output("eq_cfg_addr", &eq_addr, "equalizer register address")?;
    m.output(
        "eq_cfg_wdata",
        &wd.slice(dw - 1, 0)?,
        "equalizer register data",
    )?;
    let mut rd = k(0, 32)?;
    for (a, v) in words.iter().rev() {
        rd = Expr::mux(&ra.eq(&k(*a as u64, 16)?)?, v, &rd)?;
    }
    m.output(
        "rd_data",
        &rd,
        "read data (combinational; unmapped addresses read 0)",
    )?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_is_consistent() {
        let f = RxFormat {
            ffe_taps: 64,
            dfe_taps: 4,
            ..RxFormat::default()
        };
        regmap(&f, 32).check().unwrap();
        let m = regmap(&RxFormat::default(), 8);
        m.check().unwrap();
        assert_eq!(m.addr("id.magic"), Some(1));
        assert_eq!(m.reg("stats.samples_in").unwrap().words(), 2);
        assert!(m.at(base::FEC).is_none());
    }
}
