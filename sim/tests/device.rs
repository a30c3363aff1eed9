//! The Verilated device top driven through its byte interface with the
//! protocol of `rtl::proto`: CSR writes and reads, errors, sample bursts
//! compared with the golden equalizer.

use golden::eq::{Engine, Equalizer};
use golden::numeric::{RxCoeffs, RxFormat};
use proto::*;
use rtl::csr::regmap;
use sim::device::DeviceSim;
use std::collections::VecDeque;

struct Dev {
    d: DeviceSim,
    dec: Decoder,
    seq: u8,
}

impl Dev {
    fn new(fmt: &RxFormat, p: usize) -> Dev {
        let (d, _) = DeviceSim::new(fmt, p).unwrap();
        Dev {
            d,
            dec: Decoder::new(4096),
            seq: 0,
        }
    }
    /// Runs at most `cycles` cycles feeding `rx` (returning early once it is
    /// empty and the device has been silent `idle` cycles), and decodes what
    /// the device sent.
    fn exchange(&mut self, rx: &mut VecDeque<u8>, cycles: u64, idle: u64) -> Vec<Frame> {
        let mut tx = Vec::new();
        self.d.run(rx, &mut tx, cycles, idle, false);
        let mut out = Vec::new();
        self.dec.push(&tx, &mut out);
        out.into_iter()
            .map(|r| r.expect("device frame intact"))
            .collect()
    }
    fn xfer(&mut self, wire: &[u8], cycles: u64) -> Vec<Frame> {
        let mut rx: VecDeque<u8> = wire.iter().copied().collect();
        self.exchange(&mut rx, cycles, 2000)
    }
    /// Runs `cycles` cycles feeding `rx`, and decodes what the device sent.
    fn pump(&mut self, rx: &mut VecDeque<u8>, cycles: u64) -> Vec<Frame> {
        self.exchange(rx, cycles, u64::MAX)
    }
    /// Writes the FFE and DFE taps and the threshold of `c`.
    fn program(&mut self, map: &proto::regmap::RegMap, c: &RxCoeffs) {
        let words = |v: &[i32]| v.iter().map(|&x| x as u32).collect::<Vec<u32>>();
        self.write(map.addr("eq.ffe0").unwrap(), &words(&c.ffe));
        if !c.dfe.is_empty() {
            self.write(map.addr("eq.dfe1").unwrap(), &words(&c.dfe));
        }
        self.write(map.addr("eq.threshold").unwrap(), &[c.threshold as u32]);
    }
    fn cmd(&mut self, kind: u8, payload: Vec<u8>) -> Vec<Frame> {
        let f = Frame {
            kind,
            seq: self.seq,
            payload,
        };
        self.seq = self.seq.wrapping_add(1);
        self.xfer(&f.encode(), 200_000)
    }
    fn write(&mut self, addr: u16, words: &[u32]) {
        let mut p = addr.to_le_bytes().to_vec();
        for w in words {
            p.extend_from_slice(&w.to_le_bytes());
        }
        let r = self.cmd(CMD_WRITE, p);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].kind, CMD_WRITE | RESP);
    }
    fn read(&mut self, addr: u16, n: u16) -> Vec<u32> {
        let mut p = addr.to_le_bytes().to_vec();
        p.extend_from_slice(&n.to_le_bytes());
        let r = self.cmd(CMD_READ, p);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].kind, CMD_READ | RESP);
        r[0].payload[4..]
            .chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
}

/// The 16-tap FFE and 1-tap DFE the default format's streams use.
fn lpo16_coeffs() -> RxCoeffs {
    RxCoeffs {
        ffe: vec![
            -8, 36, -138, 511, 69, -159, 9, -12, -6, -4, -3, -3, -2, -2, -1, -3,
        ],
        dfe: vec![33],
        threshold: 104,
    }
}

/// The data symbols of the OUTPUT frames in `frames` (in order, their
/// indices checked), the responses and the error frames. A FLUSH is
/// acknowledged after every decided symbol has been sent: no OUTPUT frame
/// follows its response.
fn decode_output(frames: &[Frame]) -> (Vec<u8>, usize, usize) {
    let mut syms = Vec::new();
    let mut next = 0u32;
    let mut acks = 0;
    let mut errs = 0;
    let mut flushed = false;
    for f in frames {
        flushed |= f.kind == CMD_FLUSH | RESP;
        match f.kind {
            OUTPUT => {
                assert!(!flushed, "an OUTPUT frame after the FLUSH's response");
                let idx = u32::from_le_bytes(f.payload[..4].try_into().unwrap());
                assert_eq!(idx, next);
                for b in &f.payload[4..] {
                    for s in 0..4 {
                        syms.push((b >> (6 - 2 * s)) & 3);
                    }
                }
                next += 4 * (f.payload.len() as u32 - 4);
            }
            ERROR => errs += 1,
            t if t & RESP != 0 => acks += 1,
            t => panic!("unexpected frame type {t:#x}"),
        }
    }
    (syms, acks, errs)
}

/// The frames of `x` (one-byte samples, padded to a multiple of `p`) as
/// SAMPLES commands, then a FLUSH, each encoded.
fn sample_frames(d: &mut Dev, x: &[i16], p: usize) -> Vec<Vec<u8>> {
    let mut padded = x.to_vec();
    padded.resize(x.len().div_ceil(p) * p, 0);
    let mut frames: Vec<Frame> = padded
        .chunks(MAX_PAYLOAD)
        .map(|chunk| Frame {
            kind: CMD_SAMPLES,
            seq: 0,
            payload: chunk.iter().map(|&s| s as u8).collect(),
        })
        .collect();
    frames.push(Frame {
        kind: CMD_FLUSH,
        seq: 0,
        payload: vec![],
    });
    frames
        .into_iter()
        .map(|mut f| {
            f.seq = d.seq;
            d.seq = d.seq.wrapping_add(1);
            f.encode()
        })
        .collect()
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn csr_access_errors_and_streaming_match_golden() {
    let fmt = RxFormat::default();
    let p = 8;
    let map = regmap(&fmt, p);
    let mut d = Dev::new(&fmt, p);
    // identity
    let id = d.read(0, 3);
    assert_eq!(id, vec![0x4944_0001, proto::regmap::MAGIC, id[2]]);
    // scratch write and read back
    let scratch = map.addr("ctrl.scratch").unwrap();
    d.write(scratch, &[0xdead_0001]);
    assert_eq!(d.read(scratch, 1), vec![0xdead_0001]);
    // a corrupt frame: error report, nothing executed
    let mut bad = Frame {
        kind: CMD_WRITE,
        seq: d.seq,
        payload: [scratch.to_le_bytes().to_vec(), 5u32.to_le_bytes().to_vec()].concat(),
    }
    .encode();
    bad[3] ^= 0x40;
    let r = d.xfer(&bad, 10_000);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].kind, ERROR);
    assert_eq!(r[0].payload[0], ERR_CORRUPT);
    assert_eq!(r[0].payload[1], d.seq, "next expected seq");
    // garbage (no delimiter, then with delimiters): refused, then a valid
    // command still works
    let mut g = golden::rng::Xoshiro256pp::new(99);
    let junk: Vec<u8> = (0..3000).map(|_| (g.next_f64() * 256.0) as u8).collect();
    let r = d.xfer(&junk, 20_000);
    assert!(r.iter().all(|f| f.kind == ERROR), "{r:?}");
    d.xfer(&[0], 10_000);
    // wrong sequence number
    let f = Frame {
        kind: CMD_READ,
        seq: d.seq.wrapping_add(5),
        payload: vec![0, 0, 1, 0],
    };
    let r = d.xfer(&f.encode(), 10_000);
    assert_eq!(r[0].kind, ERROR);
    assert_eq!(r[0].payload[0], ERR_SEQ);
    assert_eq!(d.read(scratch, 1), vec![0xdead_0001]);
    // coefficients, read back sign-extended
    let coeffs = lpo16_coeffs();
    d.program(&map, &coeffs);
    let ffe0 = map.addr("eq.ffe0").unwrap();
    let back: Vec<i32> = d.read(ffe0, 16).iter().map(|&x| x as i32).collect();
    assert_eq!(back, coeffs.ffe);
    // samples: 3000 (not a multiple of P: padded by the host)
    let mut g = golden::rng::Xoshiro256pp::new(7);
    let n = 3000usize;
    let x: Vec<i16> = (0..n)
        .map(|_| ((g.next_f64() * 200.0) as i32 - 100) as i16)
        .collect();
    let mut padded = x.clone();
    padded.resize(n.div_ceil(p) * p, 0);
    assert_eq!(sample_bytes(fmt.adc_bits), 1);
    // more frames than slots at once: the executor keeps up with the wire
    let wire = sample_frames(&mut d, &x, p).concat();
    let frames = d.xfer(&wire, 400_000);
    let (mut syms, acks, errs) = decode_output(&frames);
    assert_eq!(errs, 0, "the host kept within the credit? {frames:?}");
    assert_eq!(acks, padded.len().div_ceil(MAX_PAYLOAD) + 1);
    syms.truncate(n);
    let mut eq = Equalizer::new(&fmt, &coeffs, Engine::Fast).unwrap();
    let gold = eq.process_all(&x);
    assert_eq!(syms.len(), n);
    assert_eq!(syms, gold.data);
    // counters
    d.write(map.addr("stats.snapshot").unwrap(), &[1]);
    let st = d.read(map.addr("stats.samples_in").unwrap(), 4);
    assert_eq!(st[0] as usize, padded.len());
    assert_eq!(st[2] as usize, padded.len());
    // the level counters: the decisions of every word out of the
    // equalizer, padding included, as the golden model makes them
    let mut eq = Equalizer::new(&fmt, &coeffs, Engine::Fast).unwrap();
    let mut want = [0u32; 4];
    for &l in &eq.process_all(&padded).levels {
        want[l as usize] += 1;
    }
    let lv = d.read(map.addr("stats.level0").unwrap(), 8);
    let got: Vec<u32> = (0..4).map(|l| lv[2 * l]).collect();
    assert_eq!(got, want, "stats.level0..3");
    assert!(lv.iter().skip(1).step_by(2).all(|&h| h == 0));
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn two_byte_samples_and_two_dfe_taps_match_golden() {
    let fmt = RxFormat {
        adc_bits: 12,
        ffe_taps: 6,
        ffe_main: 2,
        dfe_taps: 2,
        ..RxFormat::default()
    };
    let p = 4;
    let map = regmap(&fmt, p);
    let mut d = Dev::new(&fmt, p);
    let coeffs = RxCoeffs {
        ffe: vec![-20, 60, 300, -70, 25, -9],
        dfe: vec![40, -12],
        threshold: 300,
    };
    d.program(&map, &coeffs);
    let mut g = golden::rng::Xoshiro256pp::new(3);
    let x: Vec<i16> = (0..2000)
        .map(|_| ((g.next_f64() * 4000.0) as i32 - 2000) as i16)
        .collect();
    assert_eq!(sample_bytes(fmt.adc_bits), 2);
    let mut wire = Vec::new();
    for chunk in x.chunks(MAX_PAYLOAD / 2) {
        let f = Frame {
            kind: CMD_SAMPLES,
            seq: d.seq,
            payload: chunk.iter().flat_map(|s| s.to_le_bytes()).collect(),
        };
        d.seq = d.seq.wrapping_add(1);
        wire.extend(f.encode());
    }
    let f = Frame {
        kind: CMD_FLUSH,
        seq: d.seq,
        payload: vec![],
    };
    wire.extend(f.encode());
    let mut syms = Vec::new();
    for f in d.xfer(&wire, 400_000) {
        if f.kind == OUTPUT {
            for b in &f.payload[4..] {
                for s in 0..4 {
                    syms.push((b >> (6 - 2 * s)) & 3);
                }
            }
        }
    }
    let mut eq = Equalizer::new(&fmt, &coeffs, Engine::Fast).unwrap();
    assert_eq!(syms, eq.process_all(&x).data);
}

/// The transmitter takes a byte in one cycle of 50, so the output FIFO
/// (`OUT_FIFO` bytes, 4 symbols each) fills long before the last of 12
/// frames of samples is in: the serializer, the equalizer and the sample
/// packer stall, the later frames wait in their slots (fewer than
/// `RX_SLOTS`), and every symbol still comes out in order, as the golden
/// equalizer decides it. At P = 8 and P = 2 (the packer's accumulator is
/// one sample wide).
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn throttled_output_stalls_the_packer_and_loses_nothing() {
    let fmt = RxFormat::default();
    let coeffs = lpo16_coeffs();
    let n = 12 * MAX_PAYLOAD - 5;
    assert!(
        n > 4 * OUT_FIFO + 1000,
        "enough samples to fill the output FIFO"
    );
    for p in [8, 2] {
        let map = regmap(&fmt, p);
        let mut d = Dev::new(&fmt, p);
        d.program(&map, &coeffs);
        let mut g = golden::rng::Xoshiro256pp::new(11 + p as u64);
        let x: Vec<i16> = (0..n)
            .map(|_| ((g.next_f64() * 200.0) as i32 - 100) as i16)
            .collect();
        let cmds = sample_frames(&mut d, &x, p);
        d.d.set_tx_throttle(50);
        // within the credit: at most RX_SLOTS frames unanswered
        let (mut rx, mut frames) = (VecDeque::new(), Vec::new());
        let (mut sent, mut answered) = (0, 0);
        for _ in 0..10_000 {
            while sent < cmds.len() && sent - answered < RX_SLOTS {
                rx.extend(&cmds[sent]);
                sent += 1;
            }
            let got = d.pump(&mut rx, 1000);
            // responses (OUTPUT carries the response bit too)
            let resp = |f: &&Frame| f.kind & RESP != 0 && f.kind != OUTPUT && f.kind != ERROR;
            answered += got.iter().filter(resp).count();
            frames.extend(got);
            if answered == cmds.len() {
                break;
            }
        }
        d.d.set_tx_throttle(1);
        let (mut syms, acks, errs) = decode_output(&frames);
        assert_eq!(errs, 0, "P = {p}: a frame was refused");
        assert_eq!(acks, n.div_ceil(MAX_PAYLOAD) + 1, "P = {p}");
        syms.truncate(n);
        let mut eq = Equalizer::new(&fmt, &coeffs, Engine::Fast).unwrap();
        assert_eq!(syms, eq.process_all(&x).data, "P = {p}");
    }
}

/// A stream whose symbols end in a partial byte: FLUSH pads it, and its
/// response comes after the padded byte's OUTPUT frame (the byte reaches
/// the output FIFO a clock after the serializer's push, and FLUSH waits for
/// it). At P = 2, six samples are one whole byte and one of two symbols and
/// two zero pads; then two samples, the pad byte alone.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn flush_pads_the_last_byte_and_answers_after_it() {
    let fmt = RxFormat::default();
    let p = 2;
    let map = regmap(&fmt, p);
    let coeffs = lpo16_coeffs();
    let mut g = golden::rng::Xoshiro256pp::new(11);
    for n in [6usize, 2] {
        // a device fresh from reset for each (its output index from 0)
        let mut d = Dev::new(&fmt, p);
        d.program(&map, &coeffs);
        let x: Vec<i16> = (0..n)
            .map(|_| ((g.next_f64() * 200.0) as i32 - 100) as i16)
            .collect();
        let wire = sample_frames(&mut d, &x, p).concat();
        let frames = d.xfer(&wire, 100_000);
        let last = frames.last().expect("frames").kind;
        assert_eq!(last, CMD_FLUSH | RESP, "{frames:?}");
        let (syms, acks, errs) = decode_output(&frames);
        assert_eq!((acks, errs), (2, 0), "{frames:?}");
        // whole bytes: the last padded with zero symbols
        assert_eq!(syms.len(), n.div_ceil(4) * 4, "{syms:?}");
        assert!(syms[n..].iter().all(|&s| s == 0), "{syms:?}");
        let mut eq = Equalizer::new(&fmt, &coeffs, Engine::Fast).unwrap();
        assert_eq!(syms[..n], eq.process_all(&x).data[..], "n = {n}");
    }
}
