//! The host driver: a [`Device`] reached through a [`Transport`] chosen by
//! URI, with discovery, CSR access by name, statistics and sample streaming.
//!
//! Every wait has a deadline; every failure is an error, never a silent zero:
//! a read that gets no intact response is retried (with a new sequence number
//! when the device already executed it) and then fails with
//! [`DeviceError::RetriesExhausted`]. See `docs/device.md` for the protocol.
//!
//! The frame codec and the register map come from the protocol crate
//! (`proto`) alone; the in-process `sim:` transport and [`serve`] (the
//! Verilated device, so the generator) are behind the `sim` feature.

pub mod adapt;
pub mod bert;
pub mod fec;
#[cfg(feature = "sim")]
pub mod serve;
pub mod transport;

use golden::config::LinkPlan;
#[cfg(feature = "sim")]
use golden::eq::{Engine, Equalizer};
use golden::numeric::{RxCoeffs, RxFormat};
use proto::regmap::{self, Kind, MapParams, RegMap};
use proto::{Decoder, Frame};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use thiserror::Error;
pub use transport::{Transport, Uri};

/// Errors of the host driver.
#[derive(Debug, Error)]
pub enum DeviceError {
    /// The device URI is not understood.
    #[error("bad device URI '{uri}': {why}")]
    Uri {
        /// the URI
        uri: String,
        /// what is wrong
        why: String,
    },
    /// An I/O error on the transport.
    #[error("{what}: {source}")]
    Io {
        /// what was being done
        what: String,
        /// the cause
        source: std::io::Error,
    },
    /// The peer closed the connection.
    #[error("{0}: connection closed by the device")]
    Closed(String),
    /// Nothing arrived in time.
    #[error("timed out {what}")]
    Timeout {
        /// what was being waited for
        what: String,
    },
    /// The simulated device could not be built or run.
    #[cfg(feature = "sim")]
    #[error(transparent)]
    Sim(#[from] sim::SimError),
    /// The device is not what the host expects.
    #[error("device identity: {0}")]
    Identity(String),
    /// The device cannot do what was asked (no adaptation engine, another
    /// engine than the configuration's, a schedule it cannot follow).
    #[error("{0}")]
    Unsupported(String),
    /// No such register.
    #[error("no register named '{0}'")]
    NoRegister(String),
    /// A write to a read-only register, or a value that does not fit.
    #[error("register {name}: {why}")]
    Register {
        /// the register
        name: String,
        /// what is wrong
        why: String,
    },
    /// The device answered something the protocol does not allow.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// Retries did not get an intact, in-sequence response.
    #[error("{what}: no intact response after {tries} attempts (last problem: {last})")]
    RetriesExhausted {
        /// what was being done
        what: String,
        /// attempts made
        tries: u32,
        /// the last problem seen
        last: String,
    },
    /// Output symbols were lost on the way back (a corrupted or missing
    /// OUTPUT frame); nothing after the gap is used.
    #[error("output lost: expected symbol {expected}, the next OUTPUT frame starts at {got}")]
    OutputLost {
        /// the next symbol expected
        expected: u64,
        /// where the frame that came starts
        got: u64,
    },
    /// The stream ended without every output symbol.
    #[error("stream incomplete: {got} of {want} output symbols after the device went quiet")]
    Incomplete {
        /// symbols received
        got: u64,
        /// symbols expected
        want: u64,
    },
    /// The device's counters disagree with what the host sent or received.
    #[error("counter check failed: {0}")]
    Counters(String),
}

/// Driver settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// how long to wait for a response before retransmitting
    pub timeout: Duration,
    /// retransmissions of one command (or go-backs without progress) before failing
    pub retries: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_millis(1500),
            retries: 8,
        }
    }
}

/// What the host counted on its side of the link.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LinkCounters {
    /// frames sent (retransmissions included)
    pub frames_sent: u64,
    /// retransmitted frames
    pub retransmits: u64,
    /// frames received intact
    pub frames_received: u64,
    /// received frames refused (COBS, length or CRC)
    pub bad_frames: u64,
    /// ERROR frames from the device
    pub device_errors: u64,
    /// waits that ended without progress
    pub timeouts: u64,
    /// stale frames ignored (earlier outputs, duplicate responses)
    pub stale: u64,
}

/// The device's statistics (one snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeviceStats {
    /// samples given to the equalizer (padding included)
    pub samples_in: u64,
    /// symbols out of the equalizer
    pub symbols_out: u64,
    /// decisions per level index
    pub levels: [u64; 4],
    /// FFE outputs at a saturation limit
    pub ffe_saturated: u64,
    /// the bridge counters, by name
    pub bridge: Vec<(String, u64)>,
}

/// What the host learnt from the identity block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// the numeric format the device was built for
    pub format: RxFormat,
    /// samples per clock
    pub parallel: usize,
    /// generator version word
    pub gen_version: u32,
    /// FEC code (0: none)
    pub fec_code: u32,
    /// equalizer latency, cycles
    pub latency: u32,
    /// the adaptation engine's generation parameters, when it has one
    pub adapt: Option<regmap::AdaptMap>,
    /// the BER tester's generation parameters, when it has one
    pub bert: Option<regmap::BertMap>,
    /// the RS decoder chain's parameters, when it has one (`id.fec_code`)
    pub fec: Option<regmap::FecMap>,
}

/// What a simulated device (`sim:`, `rxdsp serve`) is built for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceBuild {
    /// the numeric format
    pub format: RxFormat,
    /// samples per clock
    pub parallel: usize,
    /// the adaptation engine's parameters (`adapt.in_rtl`), or none
    pub adapt: Option<golden::adapt::HwAdaptParams>,
    /// with the BER tester (`rxdsp bert`: the link emulator and the checker
    /// at their default parameters)
    pub bert: bool,
    /// the RS decoder chain behind the equalizer (`tx.fec`): the code, S
    /// (the FEC symbols per beat) and the 2-way de-interleave
    pub fec: Option<(golden::fec::Code, usize, bool)>,
}

impl DeviceBuild {
    /// A device without the adaptation engine.
    pub fn new(fmt: &RxFormat, parallel: usize) -> DeviceBuild {
        DeviceBuild {
            format: fmt.clone(),
            parallel,
            adapt: None,
            bert: false,
            fec: None,
        }
    }

    /// The device a plan asks for (with the engine when `adapt.in_rtl`, with
    /// the RS decoder chain at the default S when `tx.fec` names a code,
    /// de-interleaving when `tx.interleave`).
    pub fn of_plan(plan: &LinkPlan) -> DeviceBuild {
        DeviceBuild {
            format: plan.format.clone(),
            parallel: plan.parallel,
            adapt: plan.hw_adapt.as_ref().map(|h| h.params.clone()),
            bert: false,
            fec: golden::link::fec_code(plan.fec).map(|c| {
                (
                    c,
                    regmap::default_fec_symbols(plan.parallel),
                    plan.interleave,
                )
            }),
        }
    }

    /// The device `rxdsp bert` needs for a plan: [`DeviceBuild::of_plan`]
    /// with the BER tester (whose emulator frames the pattern into the
    /// decoder's codewords when `tx.fec` names a code).
    pub fn bert_of_plan(plan: &LinkPlan) -> DeviceBuild {
        DeviceBuild {
            bert: true,
            ..DeviceBuild::of_plan(plan)
        }
    }
}

/// A device, opened and identified.
pub struct Device {
    t: Box<dyn Transport>,
    dec: Decoder,
    rxbuf: Vec<u8>,
    frames: VecDeque<Frame>,
    seq: u8,
    synced: bool,
    opts: Options,
    map: RegMap,
    info: DeviceInfo,
    /// the host-side counters
    pub counters: LinkCounters,
}

/// Output of [`Device::stream`].
#[derive(Clone, Debug, Default)]
pub struct StreamOutput {
    /// decoded data symbols (0..3), one per input sample
    pub data: Vec<u8>,
    /// sample frames sent (first transmissions)
    pub frames: u64,
}

/// What [`demo_stream`] and `rxdsp stream` report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StreamSummary {
    /// the transport
    pub device: String,
    /// samples streamed
    pub samples: u64,
    /// symbols received back
    pub symbols: u64,
    /// symbols differing from the golden receiver (when compared)
    pub mismatches: Option<u64>,
    /// seconds of the stream (configuration excluded)
    pub seconds: f64,
    /// samples per second over the stream
    pub samples_per_second: f64,
    /// the device's statistics after the stream
    pub device_stats: DeviceStats,
    /// the host's link counters
    pub link: LinkCounters,
}

impl DeviceStats {
    /// Checks the counters after a stream of `padded` samples (whole words):
    /// that many in and out, and the level counters summing to it.
    pub fn check_stream(&self, padded: u64) -> Result<(), DeviceError> {
        if self.samples_in != padded || self.symbols_out != padded {
            return Err(DeviceError::Counters(format!(
                "sent {padded} samples, the device counted {} in and {} out",
                self.samples_in, self.symbols_out
            )));
        }
        let lv: u64 = self.levels.iter().sum();
        if lv != padded {
            return Err(DeviceError::Counters(format!(
                "level counters sum to {lv}, not {padded}"
            )));
        }
        Ok(())
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

impl Device {
    /// Opens `uri` and identifies the device. `sim:` builds the device for
    /// `fmt` at `parallel`; other transports report their own format.
    pub fn open(
        uri: &str,
        fmt: &RxFormat,
        parallel: usize,
        opts: Options,
    ) -> Result<Device, DeviceError> {
        Device::open_build(uri, &DeviceBuild::new(fmt, parallel), opts)
    }

    /// [`Device::open`]; `sim:` builds the device `build` (with the
    /// adaptation engine when `build.adapt` is set).
    pub fn open_build(
        uri: &str,
        build: &DeviceBuild,
        opts: Options,
    ) -> Result<Device, DeviceError> {
        let u: Uri = uri.parse()?;
        let t = transport::open(&u, build, opts.timeout)?;
        Device::with_transport(t, opts)
    }

    /// Identifies the device behind `t` (reads and checks every block header).
    pub fn with_transport(mut t: Box<dyn Transport>, opts: Options) -> Result<Device, DeviceError> {
        // a delimiter first: ends any partial frame left in the device's decoder
        t.send(&[0])?;
        let mut d = Device {
            t,
            dec: Decoder::new(proto::HEADER_LEN + proto::MAX_DEVICE_PAYLOAD + proto::CRC_LEN),
            rxbuf: Vec::new(),
            frames: VecDeque::new(),
            seq: 0,
            synced: false,
            opts,
            // enough to find the identity block; discover() builds the real map
            map: regmap::regmap(&MapParams::default()),
            info: DeviceInfo {
                format: RxFormat::default(),
                parallel: 1,
                gen_version: 0,
                fec_code: 0,
                latency: 0,
                adapt: None,
                bert: None,
                fec: None,
            },
            counters: LinkCounters::default(),
        };
        d.discover()?;
        Ok(d)
    }

    fn discover(&mut self) -> Result<(), DeviceError> {
        let idb = self.map.blocks[0].clone();
        let n = idb.regs.len() as u16;
        let w = self.read_words(regmap::base::ID, n)?;
        let get = |name: &str| -> u32 {
            let r = idb
                .regs
                .iter()
                .find(|r| r.name == name)
                .expect("id register");
            w[(r.addr - regmap::base::ID) as usize]
        };
        let header = (regmap::ids::ID as u32) << 16 | 1;
        if get("id.id") != header {
            return Err(DeviceError::Identity(format!(
                "identity block header 0x{:08x}, expected 0x{header:08x}",
                get("id.id"),
            )));
        }
        if get("id.magic") != regmap::MAGIC {
            return Err(DeviceError::Identity(format!(
                "magic 0x{:08x} is not rxdsp's 0x{:08x}",
                get("id.magic"),
                regmap::MAGIC
            )));
        }
        for (name, want) in [
            ("id.sample_bytes", proto::sample_bytes(get("id.adc_bits"))),
            ("id.rx_slots", proto::RX_SLOTS),
            ("id.max_payload", proto::MAX_PAYLOAD),
            ("id.out_chunk", proto::OUT_CHUNK),
        ] {
            if get(name) as usize != want {
                return Err(DeviceError::Identity(format!(
                    "{name} = {}, this host speaks {want}",
                    get(name)
                )));
            }
        }
        let params = MapParams::from_id_words(&w)
            .ok_or_else(|| DeviceError::Identity("identity block too short".into()))?;
        let fmt = RxFormat {
            adc_bits: params.adc_bits,
            ffe_taps: params.ffe_taps,
            ffe_main: params.ffe_main,
            ffe_coef_bits: params.ffe_coef_bits,
            ffe_coef_frac: params.ffe_coef_frac,
            ffe_out_bits: params.ffe_out_bits,
            ffe_out_frac: params.ffe_out_frac,
            dfe_taps: params.dfe_taps,
            dfe_coef_bits: params.dfe_coef_bits,
            precode: params.precode,
        };
        fmt.validate()
            .map_err(|e| DeviceError::Identity(format!("device reports an illegal format: {e}")))?;
        let parallel = params.parallel;
        if !golden::config::PARALLEL_VALUES.contains(&(parallel as i64)) {
            return Err(DeviceError::Identity(format!("parallel = {parallel}")));
        }
        let map = regmap::regmap(&params);
        for b in &map.blocks {
            let got = self.read_words(b.base, 1)?[0];
            let want = (b.id as u32) << 16 | b.version as u32;
            if got != want {
                return Err(DeviceError::Identity(format!(
                    "block {} at 0x{:03x}: header 0x{got:08x}, expected 0x{want:08x}",
                    b.name, b.base
                )));
            }
        }
        self.info = DeviceInfo {
            format: fmt,
            parallel,
            gen_version: params.gen_version,
            fec_code: get("id.fec_code"),
            latency: params.latency,
            adapt: params.adapt,
            bert: params.bert,
            fec: params.fec,
        };
        self.map = map;
        Ok(())
    }

    /// What the device reported about itself.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The register map of this device.
    pub fn map(&self) -> &RegMap {
        &self.map
    }

    /// What the transport is.
    pub fn describe(&self) -> String {
        self.t.describe()
    }

    fn send_frame(&mut self, kind: u8, seq: u8, payload: &[u8]) -> Result<(), DeviceError> {
        let f = Frame {
            kind,
            seq,
            payload: payload.to_vec(),
        };
        self.counters.frames_sent += 1;
        self.t.send(&f.encode())
    }

    /// The next intact frame, or `None` at `deadline`.
    fn next_frame(&mut self, deadline: Instant) -> Result<Option<Frame>, DeviceError> {
        loop {
            if let Some(f) = self.frames.pop_front() {
                return Ok(Some(f));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            self.rxbuf.clear();
            let n = self.t.recv(&mut self.rxbuf, deadline - now)?;
            if n == 0 {
                if Instant::now() >= deadline {
                    return Ok(None);
                }
                continue;
            }
            let mut out = Vec::new();
            self.dec.push(&self.rxbuf, &mut out);
            for r in out {
                match r {
                    Ok(f) => {
                        self.counters.frames_received += 1;
                        self.frames.push_back(f);
                    }
                    Err(_) => self.counters.bad_frames += 1,
                }
            }
        }
    }

    /// One command, stop-and-wait. `Ok(None)`: the device executed it but
    /// its response was lost (only possible for retransmissions).
    fn transact(&mut self, kind: u8, payload: &[u8]) -> Result<Option<Frame>, DeviceError> {
        let mut last = String::from("none");
        let tries = self.opts.retries + 1;
        let mut attempt = 0;
        while attempt < tries {
            attempt += 1;
            let seq = self.seq;
            if attempt > 1 {
                self.counters.retransmits += 1;
            }
            self.send_frame(kind, seq, payload)?;
            let deadline = Instant::now() + self.opts.timeout;
            loop {
                let Some(f) = self.next_frame(deadline)? else {
                    self.counters.timeouts += 1;
                    last = "timeout".into();
                    break;
                };
                if f.kind == kind | proto::RESP && f.payload.first() == Some(&seq) {
                    self.seq = seq.wrapping_add(1);
                    self.synced = true;
                    return Ok(Some(f));
                }
                if f.kind == proto::ERROR && f.payload.len() >= 4 {
                    self.counters.device_errors += 1;
                    let (code, e) = (f.payload[0], f.payload[1]);
                    last = format!("device error code {code} (expected seq {e})");
                    if code == proto::ERR_SEQ {
                        if f.payload[3] != seq {
                            // about an older transmission
                            self.counters.stale += 1;
                            continue;
                        }
                        if self.synced && e == seq.wrapping_add(1) {
                            // executed before; its response was lost
                            self.seq = e;
                            return Ok(None);
                        }
                        self.seq = e;
                        if !self.synced {
                            // first contact: adopt the device's sequence number
                            self.synced = true;
                            attempt -= 1;
                        }
                        break;
                    }
                    break;
                }
                self.counters.stale += 1;
            }
        }
        Err(DeviceError::RetriesExhausted {
            what: format!("command 0x{kind:02x}"),
            tries,
            last,
        })
    }

    /// Reads `n` words from `addr` (bursts of up to 64).
    pub fn read_words(&mut self, addr: u16, n: u16) -> Result<Vec<u32>, DeviceError> {
        let mut out = Vec::with_capacity(n as usize);
        let mut a = addr;
        let mut left = n;
        while left > 0 {
            let k = left.min(proto::MAX_READ_WORDS as u16);
            let mut p = a.to_le_bytes().to_vec();
            p.extend_from_slice(&k.to_le_bytes());
            let mut got = None;
            for _ in 0..=self.opts.retries {
                if let Some(f) = self.transact(proto::CMD_READ, &p)? {
                    got = Some(f);
                    break;
                }
            }
            let f = got.ok_or_else(|| DeviceError::RetriesExhausted {
                what: format!("reading 0x{a:03x}"),
                tries: self.opts.retries + 1,
                last: "responses lost".into(),
            })?;
            if f.payload.len() != 4 + 4 * k as usize {
                return Err(DeviceError::Protocol(format!(
                    "read of {k} words answered with {} payload bytes",
                    f.payload.len()
                )));
            }
            out.extend(f.payload[4..].chunks(4).map(le32));
            a = a.wrapping_add(k);
            left -= k;
        }
        Ok(out)
    }

    /// Writes `words` from `addr` on (bursts of up to 127 words).
    pub fn write_words(&mut self, addr: u16, words: &[u32]) -> Result<(), DeviceError> {
        let per = (proto::MAX_PAYLOAD - 2) / 4;
        for (i, chunk) in words.chunks(per).enumerate() {
            let mut p = addr.wrapping_add((i * per) as u16).to_le_bytes().to_vec();
            for w in chunk {
                p.extend_from_slice(&w.to_le_bytes());
            }
            self.transact(proto::CMD_WRITE, &p)?;
        }
        Ok(())
    }

    /// The device's register map has `name` (`block.register`).
    pub fn has_register(&self, name: &str) -> bool {
        self.map.reg(name).is_some()
    }

    fn reg(&self, name: &str) -> Result<regmap::Reg, DeviceError> {
        self.map
            .reg(name)
            .cloned()
            .ok_or_else(|| DeviceError::NoRegister(name.to_string()))
    }

    /// Reads register `name` (64-bit registers in one burst; signed ones sign-extended).
    pub fn read(&mut self, name: &str) -> Result<i64, DeviceError> {
        let r = self.reg(name)?;
        if !r.readable() {
            return Err(DeviceError::Register {
                name: name.into(),
                why: "is write-only".into(),
            });
        }
        let w = self.read_words(r.addr, r.words())?;
        let v = if r.words() == 2 {
            (w[0] as u64 | (w[1] as u64) << 32) as i64
        } else {
            match r.kind {
                Kind::Rw { signed: true, .. } => w[0] as i32 as i64,
                _ => w[0] as i64,
            }
        };
        Ok(v)
    }

    /// Writes register `name`; refuses values that do not fit its width.
    pub fn write(&mut self, name: &str, value: i64) -> Result<(), DeviceError> {
        let r = self.reg(name)?;
        let signed = match r.kind {
            Kind::Rw { signed, .. } => signed,
            Kind::SnapshotTrigger => false,
            _ => {
                return Err(DeviceError::Register {
                    name: name.into(),
                    why: "is read-only".into(),
                })
            }
        };
        let w = r.width.min(32);
        let (lo, hi) = if signed {
            (-(1i64 << (w - 1)), (1i64 << (w - 1)) - 1)
        } else {
            (0, (1i64 << w) - 1)
        };
        if value < lo || value > hi {
            return Err(DeviceError::Register {
                name: name.into(),
                why: format!("{value} does not fit {lo}..={hi}"),
            });
        }
        self.write_words(r.addr, &[value as u32])
    }

    /// Latches and reads every counter.
    pub fn stats(&mut self) -> Result<DeviceStats, DeviceError> {
        self.write("stats.snapshot", 1)?;
        self.latched_stats()
    }

    /// Reads the snapshot registers of block `name` as they were latched by
    /// the last write to `stats.snapshot` (raw words: 64-bit registers
    /// joined, narrower ones not sign-extended).
    fn latched_block(&mut self, name: &str) -> Result<Vec<(String, u64)>, DeviceError> {
        let b = self
            .map
            .block(name)
            .cloned()
            .ok_or_else(|| DeviceError::NoRegister(format!("{name} block")))?;
        let Some(first) = b.regs.get(1).map(|r| r.addr) else {
            return Ok(Vec::new());
        };
        let last = b.regs.last().expect("regs");
        let n = last.addr + last.words() - first;
        let w = self.read_words(first, n)?;
        let mut v = Vec::new();
        for r in b.regs.iter().skip(1).filter(|r| r.kind == Kind::Snapshot) {
            let o = (r.addr - first) as usize;
            let x = if r.words() == 2 {
                w[o] as u64 | (w[o + 1] as u64) << 32
            } else {
                w[o] as u64
            };
            v.push((r.name.clone(), x));
        }
        Ok(v)
    }

    /// The counters as the last write to `stats.snapshot` latched them.
    fn latched_stats(&mut self) -> Result<DeviceStats, DeviceError> {
        let s = self.latched_block("stats")?;
        let b = self.latched_block("bridge")?;
        let get = |n: &str| s.iter().find(|x| x.0 == n).map(|x| x.1).unwrap_or(0);
        Ok(DeviceStats {
            samples_in: get("stats.samples_in"),
            symbols_out: get("stats.symbols_out"),
            levels: [
                get("stats.level0"),
                get("stats.level1"),
                get("stats.level2"),
                get("stats.level3"),
            ],
            ffe_saturated: get("stats.ffe_saturated"),
            bridge: b
                .into_iter()
                .map(|(n, v)| (n.trim_start_matches("bridge.").to_string(), v))
                .collect(),
        })
    }

    /// Resets the stream state (equalizer, packers, stream counters), then
    /// writes the coefficients and reads them back.
    pub fn configure(&mut self, coeffs: &RxCoeffs) -> Result<(), DeviceError> {
        let f = self.info.format.clone();
        coeffs.validate(&f).map_err(|e| DeviceError::Register {
            name: "eq".into(),
            why: e.to_string(),
        })?;
        self.write("ctrl.control", regmap::CTRL_EQ_RESET as i64)?;
        self.write("ctrl.control", 0)?;
        if self.info.adapt.is_some() {
            // fixed coefficients until the host starts the engine
            self.write("adapt.mode", regmap::ADAPT_MODE_OFF as i64)?;
            self.write("adapt.freeze", 0)?;
            if self.map.reg("adapt.step").is_some() {
                self.write("adapt.step", 0)?;
            }
        }
        let ffe0 = self.reg("eq.ffe0")?.addr;
        let w: Vec<u32> = coeffs.ffe.iter().map(|&c| c as u32).collect();
        self.write_words(ffe0, &w)?;
        for (j, &b) in coeffs.dfe.iter().enumerate() {
            self.write(&format!("eq.dfe{}", j + 1), b as i64)?;
        }
        self.write("eq.threshold", coeffs.threshold as i64)?;
        let back: Vec<i32> = self
            .read_words(ffe0, f.ffe_taps as u16)?
            .iter()
            .map(|&x| x as i32)
            .collect();
        let mut ok = back == coeffs.ffe;
        for (j, &b) in coeffs.dfe.iter().enumerate() {
            ok &= self.read(&format!("eq.dfe{}", j + 1))? == b as i64;
        }
        ok &= self.read("eq.threshold")? == coeffs.threshold as i64;
        if !ok {
            return Err(DeviceError::Register {
                name: "eq".into(),
                why: "coefficients read back differ from those written".into(),
            });
        }
        Ok(())
    }

    /// Streams `samples` (after [`Device::configure`]) and collects one data
    /// symbol per sample. Samples go in frames of up to 256, at most
    /// `RX_SLOTS` frames unacknowledged (the credit); refused or lost frames
    /// are resent from the device's next expected sequence number (go-back-N).
    /// Output frames must arrive contiguous (checked by symbol index).
    pub fn stream(&mut self, samples: &[i16]) -> Result<StreamOutput, DeviceError> {
        self.stream_from(samples, 0)
    }

    /// [`Device::stream`] of a stream's continuation: `first` symbols have
    /// already come back since the last [`Device::configure`] (a multiple of
    /// four and of P, so no output byte or word was padded).
    pub fn stream_from(
        &mut self,
        samples: &[i16],
        first: u64,
    ) -> Result<StreamOutput, DeviceError> {
        let seq0 = self.seq;
        let mut sent = 0usize;
        let r = self.stream_frames(samples, first, &mut sent);
        if r.is_err() {
            // frames up to `sent` may or may not have been accepted: take the
            // device's expected sequence number from its next answer
            self.seq = seq0.wrapping_add(sent as u8);
            self.synced = false;
        }
        r
    }

    fn stream_frames(
        &mut self,
        samples: &[i16],
        first: u64,
        sent: &mut usize,
    ) -> Result<StreamOutput, DeviceError> {
        let p = self.info.parallel;
        let mut padded = samples.to_vec();
        padded.resize(samples.len().div_ceil(p) * p, 0);
        let sb = proto::sample_bytes(self.info.format.adc_bits);
        let per = proto::MAX_PAYLOAD / sb;
        let mut frames: Vec<(u8, Vec<u8>)> = padded
            .chunks(per)
            .map(|c| {
                let b: Vec<u8> = if sb == 1 {
                    c.iter().map(|&s| s as u8).collect()
                } else {
                    c.iter().flat_map(|s| s.to_le_bytes()).collect()
                };
                (proto::CMD_SAMPLES, b)
            })
            .collect();
        frames.push((proto::CMD_FLUSH, Vec::new()));
        let nf = frames.len();
        let want = padded.len() as u64;
        let seq0 = self.seq;
        let seq_of = |i: usize| seq0.wrapping_add(i as u8);
        let w = proto::RX_SLOTS;
        let (mut base, mut next) = (0usize, 0usize);
        let mut sent_once = 0usize;
        let mut data: Vec<u8> = Vec::with_capacity(padded.len());
        let mut stuck = 0u32;
        let mut last_goback: Option<(usize, Instant)> = None;
        let timeout = self.opts.timeout;
        let mut deadline = Instant::now() + timeout;
        while base < nf || (data.len() as u64) < want {
            while next < nf && next - base < w {
                let (k, ref pl) = frames[next];
                if next < sent_once {
                    self.counters.retransmits += 1;
                }
                let pl = pl.clone();
                self.send_frame(k, seq_of(next), &pl)?;
                next += 1;
                sent_once = sent_once.max(next);
                *sent = sent_once;
            }
            let f = match self.next_frame(deadline)? {
                Some(f) => f,
                None => {
                    self.counters.timeouts += 1;
                    if base == nf {
                        return Err(DeviceError::Incomplete {
                            got: data.len() as u64,
                            want,
                        });
                    }
                    stuck += 1;
                    if stuck > self.opts.retries {
                        return Err(DeviceError::RetriesExhausted {
                            what: format!("streaming frame {base} of {nf}"),
                            tries: stuck,
                            last: "timeout".into(),
                        });
                    }
                    next = base;
                    deadline = Instant::now() + timeout;
                    continue;
                }
            };
            // index (in base..=next) of a sequence number, if in the window
            let index_of = |s: u8, base: usize, next: usize| -> Option<usize> {
                let d = s.wrapping_sub(seq_of(base)) as usize;
                (d <= next - base).then_some(base + d)
            };
            match f.kind {
                proto::OUTPUT => {
                    if f.payload.len() < 4 {
                        return Err(DeviceError::Protocol("short OUTPUT frame".into()));
                    }
                    let idx = le32(&f.payload) as u64;
                    let have = first + data.len() as u64;
                    if idx != have & 0xFFFF_FFFF {
                        return Err(DeviceError::OutputLost {
                            expected: have,
                            got: idx,
                        });
                    }
                    for &b in &f.payload[4..] {
                        for s in 0..4 {
                            data.push((b >> (6 - 2 * s)) & 3);
                        }
                    }
                    deadline = Instant::now() + timeout;
                }
                k if k == proto::CMD_SAMPLES | proto::RESP
                    || k == proto::CMD_FLUSH | proto::RESP =>
                {
                    match f.payload.first().and_then(|&s| index_of(s, base, next)) {
                        Some(i) if i < next => {
                            base = i + 1;
                            stuck = 0;
                            deadline = Instant::now() + timeout;
                        }
                        _ => self.counters.stale += 1,
                    }
                }
                proto::ERROR if f.payload.len() >= 4 => {
                    self.counters.device_errors += 1;
                    let e = f.payload[1];
                    match index_of(e, base, next) {
                        Some(i) => {
                            // everything before the expected seq was accepted
                            if i > base {
                                base = i;
                                stuck = 0;
                            }
                            let recent = matches!(last_goback, Some((j, t)) if j == i && t.elapsed() < timeout / 4);
                            if !recent && i < next {
                                next = i;
                                stuck += 1;
                                last_goback = Some((i, Instant::now()));
                                if stuck > self.opts.retries * w as u32 {
                                    return Err(DeviceError::RetriesExhausted {
                                        what: format!("streaming frame {base} of {nf}"),
                                        tries: stuck,
                                        last: format!("device error code {}", f.payload[0]),
                                    });
                                }
                            }
                        }
                        None => self.counters.stale += 1,
                    }
                }
                _ => self.counters.stale += 1,
            }
        }
        self.seq = seq_of(nf);
        if data.len() as u64 > want {
            // a partial last byte is padded with zero symbols
            data.truncate(want as usize);
        }
        data.truncate(samples.len());
        Ok(StreamOutput {
            data,
            frames: nf as u64,
        })
    }

    /// Configures, streams and checks the device's counters against what was
    /// sent and received; repeats the whole stream (at most `attempts` times)
    /// when output was lost on the way back.
    pub fn run_stream(
        &mut self,
        coeffs: &RxCoeffs,
        samples: &[i16],
        attempts: u32,
    ) -> Result<(StreamOutput, DeviceStats), DeviceError> {
        let p = self.info.parallel as u64;
        let padded = (samples.len() as u64).div_ceil(p) * p;
        let mut last = None;
        for _ in 0..attempts.max(1) {
            self.configure(coeffs)?;
            match self.stream(samples) {
                Ok(out) => {
                    let st = self.stats()?;
                    st.check_stream(padded)?;
                    return Ok((out, st));
                }
                Err(e @ (DeviceError::OutputLost { .. } | DeviceError::Incomplete { .. })) => {
                    last = Some(e);
                    // let stale output drain before the next attempt
                    let _ = self.next_frame(Instant::now() + self.opts.timeout / 4);
                    self.frames.clear();
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("at least one attempt"))
    }
}

/// Streams `samples` through the simulated device (`sim:`) with the host
/// driver and compares every symbol with the golden receiver.
#[cfg(feature = "sim")]
pub fn demo_stream(
    plan: &LinkPlan,
    coeffs: &RxCoeffs,
    samples: &[i16],
) -> Result<StreamSummary, DeviceError> {
    let mut dev = Device::open("sim:", &plan.format, plan.parallel, Options::default())?;
    let t0 = Instant::now();
    let (out, st) = dev.run_stream(coeffs, samples, 1)?;
    let secs = t0.elapsed().as_secs_f64();
    let mut eq = Equalizer::new(&plan.format, coeffs, Engine::Fast)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    let gold = eq.process_all(samples);
    let mismatches = out
        .data
        .iter()
        .zip(&gold.data)
        .filter(|(a, b)| a != b)
        .count() as u64
        + (out.data.len() as i64 - gold.data.len() as i64).unsigned_abs();
    Ok(StreamSummary {
        device: dev.describe(),
        samples: samples.len() as u64,
        symbols: out.data.len() as u64,
        mismatches: Some(mismatches),
        seconds: secs,
        samples_per_second: samples.len() as f64 / secs.max(1e-9),
        device_stats: st,
        link: dev.counters.clone(),
    })
}
