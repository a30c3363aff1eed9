//! The gearbox `rxdsp_rs_gearbox` alone under Verilator, cycle by cycle
//! against a reference model of its contract (the fill count, the emit and
//! ready rules and the first-marker alignment of rtl/src/rs/gearbox.rs):
//! `s_axis_tready`, `m_axis_tvalid`, every output word, `m_axis_tlast` and
//! `aligned` compared with `assert_eq!` each cycle, on random data, markers
//! and input gaps; and a never-stalled input that must never see
//! `s_axis_tready` low (the output keeps the input's rate).

use golden::fec::Code;
use golden::rng::Xoshiro256pp;
use sim::verilator::{build_library_with, get_bits, BuildOpts, Model};
use std::collections::VecDeque;

/// The gearbox's contract, one clock at a time.
struct Reference {
    s: usize,
    p: usize,
    b: usize,
    pad: usize,
    cap: usize,
    buf: VecDeque<u8>,
    aligned: bool,
    ob: usize,
    /// the registered outputs: valid, lanes, last
    out: (bool, Vec<u16>, bool),
}

/// Pre-edge outputs of one cycle.
#[derive(Debug, PartialEq)]
struct Outs {
    ready: bool,
    valid: bool,
    data: Option<(Vec<u16>, bool)>,
    aligned: bool,
}

impl Reference {
    fn new(code: Code, s: usize, p: usize) -> Self {
        let b = code.n().div_ceil(s);
        Reference {
            s,
            p,
            b,
            pad: b * s - code.n(),
            cap: rtl::rs::gearbox::capacity(s, p),
            buf: VecDeque::new(),
            aligned: false,
            ob: 0,
            out: (false, Vec::new(), false),
        }
    }

    /// Outputs before the edge, then the edge with inputs `din`, `sof`, `vin`.
    fn cycle(&mut self, din: &[u8], sof: u64, vin: bool) -> Outs {
        let olast = self.ob == self.b - 1;
        let need = 5 * if olast { self.s - self.pad } else { self.s };
        let emit = self.aligned && self.buf.len() >= need;
        let rem = self.buf.len() - if emit { need } else { 0 };
        let ready = rem < self.cap - self.p + 1;
        let outs = Outs {
            ready,
            valid: self.out.0,
            data: self.out.0.then(|| (self.out.1.clone(), self.out.2)),
            aligned: self.aligned,
        };
        if emit {
            let lanes = (0..self.s)
                .map(|l| {
                    if olast && l >= self.s - self.pad {
                        return 0;
                    }
                    (0..5).fold(0u16, |a, u| (a << 2) | self.buf[5 * l + u] as u16)
                })
                .collect();
            self.out = (true, lanes, olast);
            self.buf.drain(..need);
            self.ob = if olast { 0 } else { self.ob + 1 };
        } else {
            self.out.0 = false;
        }
        let acc = vin && ready;
        if acc && !self.aligned && sof != 0 {
            let lane = sof.trailing_zeros() as usize;
            self.buf = din[lane..].iter().copied().collect();
            self.aligned = true;
        } else if acc && self.aligned {
            self.buf.extend(din.iter().copied());
        }
        outs
    }
}

/// The Verilated gearbox and its port indices.
struct Dut {
    m: Model,
    din: usize,
    sof: usize,
    vin: usize,
    ready: usize,
    valid: usize,
    data: usize,
    last: usize,
    aligned: usize,
    s: usize,
}

impl Dut {
    fn new(code: Code, s: usize, p: usize) -> Dut {
        let d = rtl::rs::design_gearbox(code, s, p).expect("builds");
        let top = rtl::rs::gearbox::GEARBOX;
        let info =
            build_library_with(&d.files, top, &d.ports, BuildOpts::LIGHT).expect("verilates");
        let m = Model::load(&info.library, &d.ports).expect("loads");
        let i = |n: &str| m.input(n).expect(n);
        let o = |n: &str| m.output(n).expect(n);
        let mut dut = Dut {
            din: i("s_axis_tdata"),
            sof: i("s_axis_tuser"),
            vin: i("s_axis_tvalid"),
            ready: o("s_axis_tready"),
            valid: o("m_axis_tvalid"),
            data: o("m_axis_tdata"),
            last: o("m_axis_tlast"),
            aligned: o("aligned"),
            s,
            m,
        };
        let rst = dut.m.input("rst").expect("rst");
        dut.m.set(rst, 1);
        dut.m.cycle();
        dut.m.cycle();
        dut.m.set(rst, 0);
        dut
    }

    fn cycle(&mut self, din: &[u8], sof: u64, vin: bool) -> Outs {
        let word = din
            .iter()
            .enumerate()
            .fold(0u64, |a, (i, &x)| a | (x as u64) << (2 * i));
        self.m.set(self.din, word);
        self.m.set(self.sof, sof);
        self.m.set(self.vin, vin as u64);
        self.m.cycle();
        let valid = self.m.get(self.valid) != 0;
        let words = self.m.output_words(self.data);
        let lanes = (0..self.s)
            .map(|l| get_bits(words, 10 * l as u32, 10) as u16)
            .collect();
        Outs {
            ready: self.m.get(self.ready) != 0,
            valid,
            data: valid.then(|| (lanes, self.m.get(self.last) != 0)),
            aligned: self.m.get(self.aligned) != 0,
        }
    }
}

/// Random stimulus: `valid_pct` % input beats valid, a marker on a random
/// symbol of beat `first`, stray markers later (ignored after alignment).
fn random_run(code: Code, s: usize, p: usize, cycles: usize, valid_pct: u64, seed: u64) {
    let mut dut = Dut::new(code, s, p);
    let mut r = Reference::new(code, s, p);
    let mut rng = Xoshiro256pp::new(seed);
    let first = 3 + (rng.next_u64() % 5) as usize;
    let (mut beats, mut emitted) = (0usize, 0usize);
    for cyc in 0..cycles {
        let din: Vec<u8> = (0..p).map(|_| (rng.next_u64() & 3) as u8).collect();
        let vin = rng.next_u64() % 100 < valid_pct;
        let sof = if beats == first || (beats > first && rng.next_u64() % 50 < 1) {
            1u64 << (rng.next_u64() % p as u64)
        } else {
            0
        };
        let want = r.cycle(&din, sof, vin);
        let got = dut.cycle(&din, sof, vin);
        assert_eq!(got, want, "{code} S={s} P={p} cycle {cyc}");
        beats += (vin && want.ready) as usize;
        emitted += want.valid as usize;
    }
    assert!(
        emitted > 100,
        "{code} S={s} P={p}: only {emitted} beats out"
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn gearbox_matches_its_reference_cycle_by_cycle() {
    // KP4 S = 8 P = 8: the chain's default; S = 3: a padded last beat
    // (5(S - pad) = 5 < P); P = 1: one-bit marker; KR4 at 5S = P + 4
    for (code, s, p) in [
        (Code::Kp4, 8, 8),
        (Code::Kp4, 3, 8),
        (Code::Kp4, 1, 1),
        (Code::Kr4, 4, 16),
        (Code::Kr4, 16, 32),
    ] {
        for (pct, seed) in [(100, 1), (70, 2), (30, 3)] {
            random_run(code, s, p, 6000, pct, seed);
        }
    }
}

/// A never-stalled input at P symbols a clock: `s_axis_tready` never drops
/// and the output carries every input symbol (within the buffer's capacity).
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn continuous_input_is_never_stalled() {
    for (code, s, p) in [(Code::Kp4, 8, 8), (Code::Kp4, 3, 8), (Code::Kr4, 4, 16)] {
        let mut dut = Dut::new(code, s, p);
        let r = Reference::new(code, s, p);
        let mut rng = Xoshiro256pp::new(9);
        let (mut sym_in, mut sym_out, mut ob) = (0i64, 0i64, 0usize);
        for cyc in 0..20_000 {
            let din: Vec<u8> = (0..p).map(|_| (rng.next_u64() & 3) as u8).collect();
            let sof = if cyc == 2 { 1u64 << (p / 2) } else { 0 };
            let o = dut.cycle(&din, sof, true);
            assert!(o.ready, "{code} S={s} P={p}: tready low at cycle {cyc}");
            // the marker is sampled at cycle 2; alignment must follow within a few cycles
            assert!(
                o.aligned || cyc < 8,
                "{code} S={s} P={p}: not aligned at cycle {cyc}"
            );
            if o.aligned {
                sym_in += p as i64;
            }
            if let Some((_, last)) = o.data {
                sym_out += 5 * if last { s - r.pad } else { s } as i64;
                assert_eq!(last, ob == r.b - 1);
                ob = if last { 0 } else { ob + 1 };
            }
        }
        // nearly every cycle's P symbols came out (not 0 = 0 from a gearbox that never ran)
        assert!(
            sym_out >= 19_900 * p as i64,
            "{code} S={s} P={p}: only {sym_out} symbols out"
        );
        assert!(
            (sym_in - sym_out).abs() <= (r.cap + p) as i64,
            "{code} S={s} P={p}: {sym_in} symbols in, {sym_out} out"
        );
    }
}
