//! The device register map, defined once.
//!
//! [`regmap`] describes every block and register for the build parameters of
//! a device ([`MapParams`]: the numeric format, the parallelism, the latency,
//! the generator version, all of which the `id` block reports). From it come
//! the Verilog CSR decoder (`rtl::csr::build_csr`, module `rxdsp_csr`), the
//! host's accessors ([`RegMap::reg`], [`RegMap::addr`], used by the host
//! driver by name) and the markdown page ([`RegMap::markdown`],
//! `docs/registers.md`).
//!
//! Registers are 32-bit words at 16-bit word addresses; a 64-bit register
//! takes two consecutive words, low word first (a read-write one takes its
//! new value when the high word is written). Each block starts with an
//! `id` word: `block id << 16 | version`. Counters in the `stats` block are
//! read through a snapshot: writing `stats.snapshot` latches every counter at
//! once, so multi-word values are consistent.

use crate::VERSION;

/// Magic value of `id.magic`: "RXDS".
pub const MAGIC: u32 = 0x5258_4453;

/// `adapt.mode`: the engine computes no update (the coefficients stay).
pub const ADAPT_MODE_OFF: u32 = 0;
/// `adapt.mode`: training on known levels (the bridge carries none, so over
/// the bridge it acts as decision-directed).
pub const ADAPT_MODE_TRAIN: u32 = 1;
/// `adapt.mode`: decision-directed (the error against the decision).
pub const ADAPT_MODE_DD: u32 = 2;

/// Bit 0 of `ctrl.control`: hold the equalizer, its coefficients, the sample
/// packer, the output packer and the stream counters in reset.
pub const CTRL_EQ_RESET: u32 = 1;

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
    /// Write-only command: a write pulses `s_<reg>` for one cycle and, for
    /// registers wider than one bit, presents the written value on `c_<reg>`
    /// in that cycle (nothing is stored).
    Strobe,
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
        !matches!(self.kind, Kind::SnapshotTrigger | Kind::Strobe)
    }
    /// Writable by the host.
    pub fn writable(&self) -> bool {
        matches!(
            self.kind,
            Kind::Rw { .. } | Kind::SnapshotTrigger | Kind::Strobe
        )
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
    /// adaptation engine ("AD"), in builds with `adapt.in_rtl`
    pub const ADAPT: u16 = 0x4144;
    /// link emulator ("EM"), in BER-tester builds
    pub const EMU: u16 = 0x454D;
    /// BER checker ("CK"), in BER-tester builds
    pub const CHECK: u16 = 0x434B;
    /// a reserved block (no adaptation engine, BER tester or FEC decoder in
    /// this build): every word reads 0
    pub const RESERVED: u16 = 0;
    /// RS FEC decoder ("FC"), in builds with `tx.fec`
    pub const FEC: u16 = 0x4643;
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
    /// adaptation engine (reserved without one)
    pub const ADAPT: u16 = 0x180;
    /// FEC decoder (reserved)
    pub const FEC: u16 = 0x200;
    /// link emulator (reserved without one)
    pub const EMU: u16 = 0x300;
    /// BER checker (reserved without one)
    pub const CHECK: u16 = 0x340;
}

/// Bits of `check.status`.
pub mod check_status {
    /// every symbol before `check.limit` counted (sticky until `check.clear`)
    pub const DONE: u32 = 1;
    /// a transmitted word was lost: the checker's FIFO was full (sticky)
    pub const OVERFLOW: u32 = 2;
    /// a received word found no transmitted word waiting (sticky)
    pub const UNDERFLOW: u32 = 4;
}

/// Bits of `fec.status` (the device's decoder chain places them here).
pub mod fec_status {
    /// the gearbox saw the first codeword's start
    pub const ALIGNED: u32 = 1;
    /// sticky: a decided word came while the gearbox was full
    pub const LOST: u32 = 2;
    /// sticky: the decoder's alignment error
    pub const ALIGN_ERR: u32 = 4;
    /// sticky: the BER tester's reference out of step with the decoder
    pub const REF_ERR: u32 = 8;
    /// `fec.limit`'s codewords are all out and counted
    pub const DONE: u32 = 16;
    /// every bit, lowest first (they are consecutive: the register's width
    /// is their count)
    pub const ALL: [u32; 5] = [ALIGNED, LOST, ALIGN_ERR, REF_ERR, DONE];
    const _: () = {
        let mut i = 0;
        while i < ALL.len() {
            assert!(
                ALL[i] == 1 << i,
                "fec.status bits must be consecutive from bit 0"
            );
            i += 1;
        }
    };
}

/// The equalizer's register port (`eq_cfg_addr`): where each coefficient
/// register of the `eq` block writes through to. The FFE taps first, then the
/// DFE taps, then the slicer threshold.
pub mod eq_port {
    /// Address of FFE tap `k`.
    pub fn ffe(k: usize) -> usize {
        k
    }
    /// Address of DFE tap `j` (0 = first post-cursor) with `ffe_taps` FFE taps.
    pub fn dfe(ffe_taps: usize, j: usize) -> usize {
        ffe_taps + j
    }
    /// Address of the slicer threshold.
    pub fn threshold(ffe_taps: usize, dfe_taps: usize) -> usize {
        ffe_taps + dfe_taps
    }
}

/// The counters of the byte-stream bridge, in the order of the `bridge`
/// register block. The bridge exports each as `cnt_<name>`; the register is
/// `bridge.<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BridgeCounter {
    /// bytes received
    RxBytes,
    /// frames accepted
    RxFrames,
    /// frames refused: COBS or CRC-32
    RxCorrupt,
    /// frames refused: length
    RxLength,
    /// frames refused: unknown type
    RxType,
    /// frames refused: out of sequence
    RxSeq,
    /// frames refused: no free slot
    RxFull,
    /// frames sent
    TxFrames,
    /// OUTPUT frames sent
    OutFrames,
}

impl BridgeCounter {
    /// Every counter, in register order.
    pub const ALL: [BridgeCounter; 9] = [
        BridgeCounter::RxBytes,
        BridgeCounter::RxFrames,
        BridgeCounter::RxCorrupt,
        BridgeCounter::RxLength,
        BridgeCounter::RxType,
        BridgeCounter::RxSeq,
        BridgeCounter::RxFull,
        BridgeCounter::TxFrames,
        BridgeCounter::OutFrames,
    ];

    /// The counter's name (`bridge.<name>`, `cnt_<name>`).
    pub const fn name(self) -> &'static str {
        match self {
            BridgeCounter::RxBytes => "rx_bytes",
            BridgeCounter::RxFrames => "rx_frames",
            BridgeCounter::RxCorrupt => "rx_corrupt",
            BridgeCounter::RxLength => "rx_length",
            BridgeCounter::RxType => "rx_type",
            BridgeCounter::RxSeq => "rx_seq",
            BridgeCounter::RxFull => "rx_full",
            BridgeCounter::TxFrames => "tx_frames",
            BridgeCounter::OutFrames => "out_frames",
        }
    }

    /// What it counts (the register's description).
    pub const fn doc(self) -> &'static str {
        match self {
            BridgeCounter::RxBytes => "bytes received",
            BridgeCounter::RxFrames => "frames accepted (intact, in sequence, with a free slot)",
            BridgeCounter::RxCorrupt => "frames refused: COBS or CRC-32",
            BridgeCounter::RxLength => "frames refused: length",
            BridgeCounter::RxType => "frames refused: unknown type",
            BridgeCounter::RxSeq => "frames refused: out of sequence",
            BridgeCounter::RxFull => "frames refused: no free slot",
            BridgeCounter::TxFrames => "frames sent",
            BridgeCounter::OutFrames => "OUTPUT frames sent",
        }
    }
}

impl std::fmt::Display for BridgeCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The names of [`BridgeCounter::ALL`], in order.
pub const BRIDGE_COUNTER_NAMES: [&str; 9] = {
    let mut n = [""; 9];
    let mut i = 0;
    while i < 9 {
        n[i] = BridgeCounter::ALL[i].name();
        i += 1;
    }
    n
};

/// The build parameters a register map depends on: what the `id` block
/// reports. The generator fills them in from its format and parallelism; the
/// host reads them from a device ([`MapParams::from_id_words`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapParams {
    /// P, samples per clock
    pub parallel: usize,
    /// ADC sample width
    pub adc_bits: u32,
    /// N, FFE taps
    pub ffe_taps: usize,
    /// FFE main-cursor tap
    pub ffe_main: usize,
    /// FFE coefficient width
    pub ffe_coef_bits: u32,
    /// FFE coefficient fraction bits
    pub ffe_coef_frac: u32,
    /// FFE output width (and slicer threshold width)
    pub ffe_out_bits: u32,
    /// FFE output fraction bits
    pub ffe_out_frac: u32,
    /// M, DFE taps
    pub dfe_taps: usize,
    /// DFE coefficient width
    pub dfe_coef_bits: u32,
    /// 1/(1+D) precoding decoded
    pub precode: bool,
    /// equalizer latency, cycles
    pub latency: u32,
    /// generator version word ([`version_word`])
    pub gen_version: u32,
    /// the adaptation engine's generation parameters, in builds with one
    pub adapt: Option<AdaptMap>,
    /// the BER tester's generation parameters, in builds with one
    pub bert: Option<BertMap>,
    /// the Reed-Solomon decoder chain's parameters, in builds with one
    pub fec: Option<FecMap>,
}

/// The Reed-Solomon decoder chain behind the equalizer (gearbox and
/// `rxdsp_rs_dec`), as `id.fec_code` reports it: `code | symbols << 8 | t << 16
/// | interleave << 24` (0: no decoder).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FecMap {
    /// [`FEC_CODE_KP4`] or [`FEC_CODE_KR4`]
    pub code: u32,
    /// S, FEC symbols per beat
    pub symbols: u32,
    /// t, the symbols the code corrects (the histogram has `t + 2` bins)
    pub t: u32,
    /// the chain de-interleaves 2-way interleaved codewords (`tx.interleave`)
    pub interleave: bool,
}

/// The default `S` (FEC symbols per beat) of the decoder behind an
/// equalizer of `p` PAM4 symbols per clock: the smallest power of two with
/// `5S > P`, so that the gearbox keeps up. Shared by the generator and the
/// host driver (which builds simulated devices without the generator).
pub fn default_fec_symbols(p: usize) -> usize {
    let mut s = 1;
    while 5 * s <= p {
        s *= 2;
    }
    s
}

/// `id.fec_code` bits 7:0 of a KP4 RS(544,514) decoder.
pub const FEC_CODE_KP4: u32 = 1;
/// `id.fec_code` bits 7:0 of a KR4 RS(528,514) decoder.
pub const FEC_CODE_KR4: u32 = 2;

impl FecMap {
    /// The `id.fec_code` word.
    pub fn word(&self) -> u32 {
        self.code | self.symbols << 8 | self.t << 16 | (self.interleave as u32) << 24
    }
    /// The parameters an `id.fec_code` word reports (`None`: no decoder).
    pub fn from_word(w: u32) -> Option<FecMap> {
        (w & 0xff != 0).then_some(FecMap {
            code: w & 0xff,
            symbols: (w >> 8) & 0xff,
            t: (w >> 16) & 0xff,
            interleave: (w >> 24) & 1 == 1,
        })
    }
    /// Histogram bins: codewords with 0..=t corrected symbols, then the uncorrectable ones.
    pub fn bins(&self) -> usize {
        self.t as usize + 2
    }
}

/// The generation parameters of the BER tester (the link emulator
/// `rxdsp_emu` and the checker `rxdsp_check` beside the equalizer), as the
/// `id` block reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BertMap {
    /// the emulator's channel taps T
    pub emu_taps: u32,
    /// bits of the emulator's configuration address (`emu.cfg_addr`)
    pub emu_cfg_addr_bits: u32,
    /// the largest checker delay (`check.delay`), symbols
    pub check_max_delay: u32,
    /// counters in the checker's snapshot (`check.select` range)
    pub check_counters: u32,
}

/// The generation parameters of the adaptation engine (`adapt.*`), as the
/// `id` block reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdaptMap {
    /// accumulator fraction bits: the step is 2^-mu_shift coefficient LSB
    pub mu_shift: u32,
    /// update delay D, words
    pub delay: u32,
    /// leakage shift (0 = none)
    pub leak_shift: u32,
    /// lane rule: false = every lane summed, true = round-robin
    pub round_robin: bool,
}

/// Bits of the adaptation engine's step field (the `adapt.step` register and
/// the equalizer's `s_axis_tstep`): enough for `0..=mu_shift`, at least one.
pub fn step_bits(mu_shift: u32) -> u32 {
    (u32::BITS - mu_shift.leading_zeros()).max(1)
}

impl MapParams {
    /// The parameters an `id` block reports: `words` are the block's words
    /// from its base address on (at least as many as `id` has registers).
    /// `None` when `words` is too short.
    pub fn from_id_words(words: &[u32]) -> Option<MapParams> {
        let blk = id_block(&MapParams::default());
        let get = |name: &str| -> Option<u32> {
            let r = blk.regs.iter().find(|r| r.name == name)?;
            words.get((r.addr - blk.base) as usize).copied()
        };
        Some(MapParams {
            parallel: get("id.parallel")? as usize,
            adc_bits: get("id.adc_bits")?,
            ffe_taps: get("id.ffe_taps")? as usize,
            ffe_main: get("id.ffe_main")? as usize,
            ffe_coef_bits: get("id.ffe_coef_bits")?,
            ffe_coef_frac: get("id.ffe_coef_frac")?,
            ffe_out_bits: get("id.ffe_out_bits")?,
            ffe_out_frac: get("id.ffe_out_frac")?,
            dfe_taps: get("id.dfe_taps")? as usize,
            dfe_coef_bits: get("id.dfe_coef_bits")?,
            precode: get("id.precode")? != 0,
            latency: get("id.latency")?,
            gen_version: get("id.gen_version")?,
            adapt: match get("id.adapt_engine")? {
                0 => None,
                _ => Some(AdaptMap {
                    mu_shift: get("id.adapt_mu_shift")?,
                    delay: get("id.adapt_delay")?,
                    leak_shift: get("id.adapt_leak_shift")?,
                    round_robin: get("id.adapt_block")? != 0,
                }),
            },
            bert: match get("id.bert")? {
                0 => None,
                _ => Some(BertMap {
                    emu_taps: get("id.emu_taps")?,
                    emu_cfg_addr_bits: get("id.emu_cfg_addr_bits")?,
                    check_max_delay: get("id.check_max_delay")?,
                    check_counters: get("id.check_counters")?,
                }),
            },
            fec: FecMap::from_word(get("id.fec_code")?),
        })
    }
}

/// The `id.gen_version` word of a `major.minor.patch` version:
/// `major << 16 | minor << 8 | patch` (a missing or unparsable part is 0).
pub fn version_word(version: &str) -> u32 {
    let mut it = version.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    let (a, b, c) = (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    );
    a << 16 | b << 8 | c
}

/// A block under construction: registers are placed one after the other.
struct B {
    blk: Block,
    next: u16,
}

impl B {
    fn new(name: &'static str, id: u16, base: u16, size: u16, doc: &str) -> B {
        let version = 1;
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
    /// A 32-bit constant.
    fn konst(&mut self, name: &str, value: u64, doc: &str) {
        self.add(name, 32, Kind::Const(value), doc);
    }
    fn at(&mut self, addr: u16) {
        self.next = addr;
    }
}

/// The register map of a device built with `p`.
pub fn regmap(p: &MapParams) -> RegMap {
    RegMap {
        blocks: vec![
            id_block(p),
            ctrl_block(),
            eq_block(p),
            stats_block(),
            bridge_block(),
            adapt_block(p),
            fec_block(p),
            emu_block(p),
            check_block(p),
        ],
    }
}

/// `id`: identity and build parameters.
fn id_block(p: &MapParams) -> Block {
    let mut id = B::new(
        "id",
        ids::ID,
        base::ID,
        0x40,
        "Identity and build parameters (constants).",
    );
    let format: [(&str, u64, &str); 11] = [
        ("adc_bits", p.adc_bits as u64, "ADC sample width"),
        ("ffe_taps", p.ffe_taps as u64, "N, FFE taps"),
        ("ffe_main", p.ffe_main as u64, "FFE main-cursor tap"),
        (
            "ffe_coef_bits",
            p.ffe_coef_bits as u64,
            "FFE coefficient width",
        ),
        (
            "ffe_coef_frac",
            p.ffe_coef_frac as u64,
            "FFE coefficient fraction bits",
        ),
        ("ffe_out_bits", p.ffe_out_bits as u64, "FFE output width"),
        (
            "ffe_out_frac",
            p.ffe_out_frac as u64,
            "FFE output fraction bits",
        ),
        ("dfe_taps", p.dfe_taps as u64, "M, DFE taps"),
        (
            "dfe_coef_bits",
            p.dfe_coef_bits as u64,
            "DFE coefficient width",
        ),
        ("precode", p.precode as u64, "1: 1/(1+D) precoding decoded"),
        (
            "fec_code",
            p.fec.map_or(0, |f| f.word()) as u64,
            "FEC decoder: 0 none; else bits 7:0 the code (1 KP4, 2 KR4), 15:8 S (FEC symbols per beat), 23:16 t, bit 24 the 2-way de-interleave (tx.interleave)",
        ),
    ];
    let protocol: [(&str, usize, &str); 4] = [
        (
            "rx_slots",
            crate::RX_SLOTS,
            "receive frame slots (the credit window)",
        ),
        (
            "sample_bytes",
            crate::sample_bytes(p.adc_bits),
            "bytes per sample in a SAMPLES payload",
        ),
        (
            "max_payload",
            crate::MAX_PAYLOAD,
            "largest host-to-device payload, bytes",
        ),
        (
            "out_chunk",
            crate::OUT_CHUNK,
            "output bytes per full OUTPUT frame",
        ),
    ];
    id.konst("magic", MAGIC as u64, "0x52584453 (\"RXDS\")");
    id.konst(
        "gen_version",
        p.gen_version as u64,
        "generator version major << 16 | minor << 8 | patch",
    );
    id.konst("parallel", p.parallel as u64, "P, samples per clock");
    for (n, v, d) in format {
        id.konst(n, v, d);
    }
    for (n, v, d) in protocol {
        id.konst(n, v as u64, d);
    }
    id.konst("latency", p.latency as u64, "equalizer latency, cycles");
    let a = p.adapt.unwrap_or_default();
    id.konst(
        "adapt_engine",
        p.adapt.is_some() as u64,
        "1: the adaptation engine is built in (the `adapt` block); 0: not",
    );
    id.konst(
        "adapt_mu_shift",
        a.mu_shift as u64,
        "adapt.mu_shift: accumulator fraction bits (the step is 2^-mu_shift LSB)",
    );
    id.konst("adapt_delay", a.delay as u64, "adapt.delay D, words");
    id.konst(
        "adapt_leak_shift",
        a.leak_shift as u64,
        "adapt.leak_shift (0: no leakage)",
    );
    id.konst(
        "adapt_block",
        a.round_robin as u64,
        "adapt.block: 0 sum, 1 round-robin",
    );
    let b = p.bert.unwrap_or_default();
    id.konst(
        "bert",
        p.bert.is_some() as u64,
        "1: the BER tester is built in (the `emu` and `check` blocks); 0: not",
    );
    id.konst(
        "emu_taps",
        b.emu_taps as u64,
        "T, the emulator's channel taps",
    );
    id.konst(
        "emu_cfg_addr_bits",
        b.emu_cfg_addr_bits as u64,
        "bits of the emulator's configuration address",
    );
    id.konst(
        "check_max_delay",
        b.check_max_delay as u64,
        "the largest `check.delay`, symbols",
    );
    id.konst(
        "check_counters",
        b.check_counters as u64,
        "counters in the checker's snapshot",
    );
    id.blk
}

/// `ctrl`: control and status.
fn ctrl_block() -> Block {
    let mut ctrl = B::new("ctrl", ids::CTRL, base::CTRL, 0x40, "Control and status.");
    let plain = |export: bool| Kind::Rw {
        reset: 0,
        signed: false,
        eq_addr: None,
        soft_reset: false,
        export,
    };
    ctrl.add(
        "control",
        1,
        plain(true),
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
        plain(false),
        "scratch register for the host's tests",
    );
    ctrl.blk
}

/// `eq`: the coefficients, written through to the equalizer's port.
fn eq_block(p: &MapParams) -> Block {
    let mut eq = B::new(
        "eq",
        ids::EQ,
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
        p.ffe_out_bits,
        rw(eq_port::threshold(p.ffe_taps, p.dfe_taps)),
        "slicer threshold t (> 0)",
    );
    eq.at(base::EQ + 0x08);
    for j in 0..p.dfe_taps {
        eq.add(
            &format!("dfe{}", j + 1),
            p.dfe_coef_bits,
            rw(eq_port::dfe(p.ffe_taps, j)),
            &format!("DFE tap b[{}]", j + 1),
        );
    }
    eq.at(base::EQ + 0x40);
    for k in 0..p.ffe_taps {
        eq.add(
            &format!("ffe{k}"),
            p.ffe_coef_bits,
            rw(eq_port::ffe(k)),
            &format!("FFE tap c[{k}]"),
        );
    }
    eq.blk
}

/// `stats`: the stream counters, latched by the snapshot trigger.
fn stats_block() -> Block {
    let mut st = B::new(
        "stats",
        ids::STATS,
        base::STATS,
        0x40,
        "Stream statistics (cleared by eq_reset). Write `stats.snapshot`, then read: all counters are latched together.",
    );
    st.add(
        "snapshot",
        1,
        Kind::SnapshotTrigger,
        "write (any value): latch every counter of this block and of `bridge`, and the `adapt` coefficients",
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
    st.blk
}

/// `bridge`: the bridge's counters ([`BridgeCounter`]).
fn bridge_block() -> Block {
    let mut br = B::new(
        "bridge",
        ids::BRIDGE,
        base::BRIDGE,
        0x40,
        "Bridge counters since reset (32-bit, wrapping; latched by `stats.snapshot`).",
    );
    for c in BridgeCounter::ALL {
        br.add(c.name(), 32, Kind::Snapshot, c.doc());
    }
    br.blk
}

/// `adapt`: the adaptation engine's mode and its live coefficients; a
/// reserved block (reads 0) in builds without the engine.
fn adapt_block(p: &MapParams) -> Block {
    let Some(ad) = p.adapt else {
        return reserved(
            "adapt",
            base::ADAPT,
            0x80,
            "Reserved: this build has no adaptation engine (`adapt.in_rtl = false`); every word reads 0.",
        );
    };
    let mut a = B::new(
        "adapt",
        ids::ADAPT,
        base::ADAPT,
        0x80,
        "The adaptation engine (docs/adaptation.md). The mode applies to every word the equalizer takes; the starting coefficients are the `eq` registers (a write loads the engine's accumulator). The coefficients the engine holds are read through `stats.snapshot`: writing it latches them with `adapt.updates` and the stream counters in one cycle. Coefficients read as two's complement of the register's width.",
    );
    let rw = Kind::Rw {
        reset: 0,
        signed: false,
        eq_addr: None,
        soft_reset: false,
        export: true,
    };
    a.add(
        "mode",
        2,
        rw.clone(),
        "0 off (coefficients stay), 1 train (no known levels over the bridge: decision-directed), 2 decision-directed",
    );
    a.add(
        "freeze",
        1,
        rw.clone(),
        "1: every word is taken as mode 0 (the mode register keeps its value)",
    );
    a.add(
        "updates",
        32,
        Kind::Snapshot,
        "updates applied (one per word once D words have passed): the coefficients below are the model's after this many",
    );
    a.add(
        "threshold",
        p.ffe_out_bits,
        Kind::Snapshot,
        "the slicer threshold the engine holds",
    );
    if ad.mu_shift > 0 {
        a.add(
            "step",
            step_bits(ad.mu_shift),
            rw,
            &format!(
                "step s of every word taken: its update counts 2^min(s, {mu}) times, a step of 2^(s - {mu}) coefficient LSB per sign (0: the finest; `adapt.gear_shift`)",
                mu = ad.mu_shift
            ),
        );
    }
    a.at(base::ADAPT + 0x08);
    for j in 0..p.dfe_taps {
        a.add(
            &format!("dfe{}", j + 1),
            p.dfe_coef_bits,
            Kind::Snapshot,
            &format!("DFE tap b[{}] the engine holds", j + 1),
        );
    }
    a.at(base::ADAPT + 0x40);
    for k in 0..p.ffe_taps {
        a.add(
            &format!("ffe{k}"),
            p.ffe_coef_bits,
            Kind::Snapshot,
            &format!("FFE tap c[{k}] the engine holds (the main tap is fixed)"),
        );
    }
    a.blk
}

/// Bits to hold `0..=v` (at least one): the exact width of a field, so the
/// datapath uses every bit of the register it takes.
pub fn bits_for(v: u64) -> u32 {
    (u64::BITS - v.leading_zeros()).max(1)
}

/// A reserved block: every word reads 0.
fn reserved(name: &'static str, base: u16, size: u16, doc: &str) -> Block {
    Block {
        name,
        id: ids::RESERVED,
        version: 0,
        base,
        size,
        doc: doc.into(),
        regs: Vec::new(),
    }
}

/// A read-write register exported to the datapath.
fn exported(reset: u64, soft_reset: bool) -> Kind {
    Kind::Rw {
        reset,
        signed: false,
        eq_addr: None,
        soft_reset,
        export: true,
    }
}

/// `emu`: the link emulator's source select, run bit and configuration port;
/// reserved in builds without the BER tester.
fn emu_block(p: &MapParams) -> Block {
    let Some(b) = p.bert else {
        return reserved(
            "emu",
            base::EMU,
            0x40,
            "Reserved: this build has no BER tester (`rxdsp synth --bert` builds one); every word reads 0.",
        );
    };
    let mut e = B::new(
        "emu",
        ids::EMU,
        base::EMU,
        0x40,
        "The on-chip link emulator (docs/emulator.md): pattern, channel, noise and ADC at P samples per clock. Configure it by writing each (address, value) of its map: `cfg_data` (both words), then `cfg_addr`; the map and the values come from `rtl::emu::config_writes`. `ctrl.control.eq_reset` also resets it.",
    );
    e.add(
        "source",
        1,
        exported(0, true),
        "the equalizer's input: 0 samples from the host (the bridge), 1 the emulator (decisions then go to the checker, not back to the host); cleared by eq_reset",
    );
    e.add(
        "run",
        1,
        exported(0, true),
        "1: the emulator starts a word every cycle the equalizer takes one (cleared by eq_reset)",
    );
    e.add(
        "cfg_data",
        64,
        exported(0, false),
        "the value the next `cfg_addr` write stores",
    );
    e.add(
        "cfg_addr",
        b.emu_cfg_addr_bits.max(1),
        Kind::Strobe,
        "write: store `cfg_data` at this emulator configuration address",
    );
    e.blk
}

/// `check`: the BER checker's alignment, run length, controls and its
/// snapshot read port; reserved in builds without the BER tester.
fn check_block(p: &MapParams) -> Block {
    let Some(b) = p.bert else {
        return reserved(
            "check",
            base::CHECK,
            0x40,
            "Reserved: this build has no BER tester; every word reads 0.",
        );
    };
    let mut c = B::new(
        "check",
        ids::CHECK,
        base::CHECK,
        0x40,
        "The BER checker (docs/checker.md): received symbol k is compared with transmitted symbol k - delay; indices in [skip, limit) are counted. Write `snap` to copy every counter at once, then read each through `select` and `value` (map: docs/check_map.md).",
    );
    c.add(
        "delay",
        bits_for(b.check_max_delay as u64),
        exported(0, false),
        &format!(
            "alignment: received symbol k against transmitted symbol k - delay (0..={})",
            b.check_max_delay
        ),
    );
    c.add(
        "skip",
        48,
        exported(0, false),
        "received symbols before this index are not counted (the equalizer's warm-up)",
    );
    c.add(
        "limit",
        64,
        exported(0, false),
        "received symbols from this index on are not counted; 0: no limit",
    );
    c.add(
        "clear",
        1,
        Kind::Strobe,
        "write: zero every counter and the sticky status, restart the symbol index (the next received word is word 0)",
    );
    c.add(
        "snap",
        1,
        Kind::Strobe,
        "write: copy every live counter to the snapshot at once (a word boundary)",
    );
    c.add(
        "select",
        bits_for(b.check_counters.saturating_sub(1) as u64),
        exported(0, false),
        &format!(
            "which snapshot counter `value` shows (0..{})",
            b.check_counters
        ),
    );
    c.add(
        "status",
        3,
        Kind::Status,
        "bit 0 done, bit 1 overflow, bit 2 underflow (`check_status`)",
    );
    c.add(
        "value",
        64,
        Kind::Status,
        "the snapshot counter `select` names",
    );
    c.blk
}

/// Word offset of the histogram in the `fec` block.
pub const FEC_HIST_OFFSET: u16 = 0x20;

/// The `fec` block's 64-bit counters before the histogram, with their docs.
pub const FEC_COUNTERS: [(&str, &str); 4] = [
    ("codewords", "codewords decoded"),
    (
        "corrected_codewords",
        "codewords with at least one corrected symbol",
    ),
    ("corrected_symbols", "symbols corrected, over all codewords"),
    (
        "uncorrectable_codewords",
        "codewords flagged uncorrectable (passed through)",
    ),
];

/// Word offset of the reference counters in the `fec` block.
pub const FEC_REF_OFFSET: u16 = 0x10;

/// The `fec` block's reference counters, in builds with the BER tester
/// (the decoder's data against the transmitted codewords the checker pairs
/// with it; counted with `emu.source = 1` only), with their docs.
pub const FEC_REF_COUNTERS: [(&str, &str); 3] = [
    (
        "symbol_errors",
        "10-bit symbols received in error (against the transmitted codeword), over the counted codewords",
    ),
    (
        "post_bit_errors",
        "message bits still wrong after decoding (post-FEC bit errors)",
    ),
    (
        "miscorrected",
        "codewords not flagged uncorrectable whose decoded message is wrong",
    ),
];

/// `fec`: the RS decoder chain's alignment and counters; reserved in builds
/// without a decoder.
fn fec_block(p: &MapParams) -> Block {
    let Some(f) = p.fec else {
        return reserved(
            "fec",
            base::FEC,
            0x100,
            "Reserved: this build has no RS FEC decoder (a config with `tx.fec` = \"kp4\" or \"kr4\" builds one); every word reads 0, so its id word reads 0 = absent.",
        );
    };
    let mut b = B::new(
        "fec",
        ids::FEC,
        base::FEC,
        0x100,
        "The Reed-Solomon decoder behind the equalizer (docs/device.md, docs/rtl-fec.md): the gearbox takes every decided word the equalizer hands on, from the symbol `sof_index` on, and the decoder counts each codeword it finishes (up to `limit`). The counters are read through `stats.snapshot`; `ctrl.control.eq_reset` clears them and realigns the gearbox.",
    );
    b.add(
        "sof_index",
        32,
        exported(0, false),
        "the equalizer output symbol (counted from 0 after eq_reset) that starts the first codeword; write it before streaming",
    );
    b.add(
        "limit",
        48,
        exported(0, false),
        "count the first `limit` codewords only (0: all): the counters and the digest then hold their values at that codeword, whatever streams after it (a stream padded to flush the decoder, whose pipeline advances only on input beats)",
    );
    b.add(
        "status",
        fec_status::ALL.len() as u32,
        Kind::Status,
        "bit 0 aligned (the first codeword has started), bit 1 lost (sticky: a decided word came while the gearbox was full; never expected), bit 2 the decoder's sticky alignment error, bit 3 the reference path out of step with the decoder (sticky; never expected; 0 without the BER tester), bit 4 done (`limit` is set and its codewords have all left the decoder and been counted)",
    );
    b.add(
        "digest",
        32,
        Kind::Snapshot,
        "digest of every decoded beat and codeword outcome (docs/device.md; `golden::fec::decode_aligned` computes the same)",
    );
    b.at(base::FEC + 0x08);
    for (name, doc) in FEC_COUNTERS {
        b.add(name, 64, Kind::Snapshot, doc);
    }
    if p.bert.is_some() {
        b.at(base::FEC + FEC_REF_OFFSET);
        for (name, doc) in FEC_REF_COUNTERS {
            b.add(name, 64, Kind::Snapshot, doc);
        }
    }
    b.at(base::FEC + FEC_HIST_OFFSET);
    for i in 0..f.bins() {
        let doc = if i + 1 < f.bins() {
            format!("codewords with {i} corrected symbols")
        } else {
            "codewords flagged uncorrectable (more than t errors)".to_string()
        };
        b.add(&format!("hist{i}"), 64, Kind::Snapshot, &doc);
    }
    b.blk
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
    /// The block called `name`.
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.name == name)
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
        let mut s = format!("# {title}\n\nGenerated by `rxdsp gen` from `proto::regmap` (rxdsp {VERSION}); do not edit. ");
        s += "32-bit words at 16-bit word addresses; 64-bit registers take two words, low first. ";
        s += "A read-write register wider than 32 bits changes at once, when its high word is written (write the low word first). ";
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
                s += &format!(
                    "| {} | `{}` | {} | {} | {} |\n",
                    r.addr_text(),
                    r.name,
                    r.width,
                    r.access_text(),
                    r.doc.replace('|', "\\|")
                );
            }
        }
        s
    }
}

impl Reg {
    /// The access column of the markdown page.
    fn access_text(&self) -> String {
        match &self.kind {
            Kind::Const(v) if *v > 0xFFFF => format!("ro = 0x{v:08x}"),
            Kind::Const(v) => format!("ro = {v}"),
            Kind::Rw { reset, signed, .. } => {
                format!("rw{}, reset {reset}", if *signed { " signed" } else { "" })
            }
            Kind::Status => "ro live".into(),
            Kind::Snapshot => "ro snapshot".into(),
            Kind::SnapshotTrigger => "wo".into(),
            Kind::Strobe => "wo strobe".into(),
        }
    }
    /// The address column of the markdown page.
    fn addr_text(&self) -> String {
        if self.words() == 2 {
            format!("0x{:03x}-0x{:03x}", self.addr, self.addr + 1)
        } else {
            format!("0x{:03x}", self.addr)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(ffe_taps: usize, dfe_taps: usize, parallel: usize) -> MapParams {
        MapParams {
            parallel,
            adc_bits: 8,
            ffe_taps,
            ffe_main: 3,
            ffe_coef_bits: 10,
            ffe_coef_frac: 8,
            ffe_out_bits: 10,
            ffe_out_frac: 5,
            dfe_taps,
            dfe_coef_bits: 8,
            precode: false,
            latency: 14,
            gen_version: version_word(VERSION),
            adapt: None,
            bert: None,
            fec: None,
        }
    }

    #[test]
    fn fec_block_holds_the_counters_and_reads_back_from_id() {
        let mut p = params(16, 1, 8);
        p.fec = Some(FecMap {
            code: FEC_CODE_KP4,
            symbols: 2,
            t: 15,
            interleave: false,
        });
        let m = regmap(&p);
        m.check().unwrap();
        assert_eq!(m.block("fec").unwrap().id, ids::FEC);
        assert_eq!(m.addr("fec.codewords"), Some(base::FEC + 8));
        assert!(m.addr("fec.digest").unwrap() < base::FEC + 8);
        assert_eq!(m.addr("fec.hist0"), Some(base::FEC + FEC_HIST_OFFSET));
        assert_eq!(m.addr("fec.hist16"), Some(base::FEC + FEC_HIST_OFFSET + 32));
        assert!(m.reg("fec.hist17").is_none());
        // the host rebuilds the same map from the id words
        let id = m.block("id").unwrap();
        let mut words = vec![0u32; id.size as usize];
        for r in &id.regs {
            if let Kind::Const(v) = r.kind {
                words[(r.addr - id.base) as usize] = v as u32;
            }
        }
        assert_eq!(MapParams::from_id_words(&words), Some(p.clone()));
        assert_eq!(FecMap::from_word(0), None);
        // without a decoder the block stays reserved
        assert_eq!(
            regmap(&params(16, 1, 8)).block("fec").unwrap().id,
            ids::RESERVED
        );
    }

    #[test]
    fn map_is_consistent() {
        regmap(&params(64, 4, 32)).check().unwrap();
        let m = regmap(&params(16, 1, 8));
        m.check().unwrap();
        assert_eq!(m.addr("id.magic"), Some(1));
        assert_eq!(m.reg("stats.samples_in").unwrap().words(), 2);
        assert!(m.at(base::FEC).is_none());
        assert_eq!(m.addr("eq.ffe0"), Some(base::EQ + 0x40));
        assert_eq!(m.addr("eq.dfe1"), Some(base::EQ + 0x08));
        assert_eq!(m.block("adapt").unwrap().id, ids::RESERVED);
        let mut p = params(64, 4, 32);
        p.adapt = Some(AdaptMap::default());
        let m = regmap(&p);
        m.check().unwrap();
        assert_eq!(m.addr("adapt.ffe63"), Some(base::ADAPT + 0x7f));
        assert_eq!(m.addr("adapt.dfe4"), Some(base::ADAPT + 0x0b));
        assert_eq!(m.block("emu").unwrap().id, ids::RESERVED);
        assert_eq!(m.block("check").unwrap().id, ids::RESERVED);
        p.bert = Some(BertMap::default());
        let m = regmap(&p);
        m.check().unwrap();
        assert_eq!(m.block("emu").unwrap().id, ids::EMU);
        let strobe = m.reg("emu.cfg_addr").unwrap();
        assert!(strobe.writable() && !strobe.readable());
        // cfg_data's two words come right before cfg_addr: one write of three words
        assert_eq!(m.addr("emu.cfg_data").unwrap() + 2, strobe.addr);
        assert_eq!(m.reg("check.value").unwrap().words(), 2);
    }

    #[test]
    fn the_bridge_block_lists_every_counter_once() {
        let m = regmap(&params(16, 1, 8));
        let b = m.block("bridge").unwrap();
        let names: Vec<&str> = b.regs[1..]
            .iter()
            .map(|r| r.name.strip_prefix("bridge.").unwrap())
            .collect();
        assert_eq!(names, BRIDGE_COUNTER_NAMES);
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), BridgeCounter::ALL.len());
        assert_eq!(BridgeCounter::RxSeq.to_string(), "rx_seq");
    }

    #[test]
    fn id_words_give_back_the_parameters() {
        let adaptive = MapParams {
            adapt: Some(AdaptMap {
                mu_shift: 7,
                delay: 16,
                leak_shift: 3,
                round_robin: true,
            }),
            ..params(16, 2, 8)
        };
        let bert = MapParams {
            bert: Some(BertMap {
                emu_taps: 48,
                emu_cfg_addr_bits: 11,
                check_max_delay: 127,
                check_counters: 42,
            }),
            ..params(16, 1, 8)
        };
        for p in [
            params(16, 1, 8),
            params(64, 4, 32),
            params(3, 0, 1),
            adaptive,
            bert,
        ] {
            let m = regmap(&p);
            let idb = m.block("id").unwrap();
            let mut words = vec![0u32; idb.size as usize];
            for r in &idb.regs {
                let Kind::Const(v) = r.kind else {
                    panic!("{} is not a constant", r.name)
                };
                words[(r.addr - idb.base) as usize] = v as u32;
            }
            assert_eq!(MapParams::from_id_words(&words), Some(p));
            assert_eq!(MapParams::from_id_words(&words[..4]), None);
        }
    }

    #[test]
    fn version_words() {
        assert_eq!(version_word("1.2.3"), 0x01_02_03);
        assert_eq!(version_word("0.1.0"), 0x00_01_00);
        assert_eq!(version_word("2.x"), 0x02_00_00);
    }
}
