//! The register slice (`rtl::fifo::reg_slice`, the two-word skid buffer
//! between the equalizer and the bridge) alone under Verilator, cycle by
//! cycle against a reference model of its contract: `s_axis_tready` is low
//! exactly while a word waits in the skid register, every word comes out in
//! order, once, and `m_axis_tvalid` / `m_axis_tdata` are compared with
//! `assert_eq!` each cycle, on random data, random input gaps and random
//! consumer stalls; and a stream that is never stalled must never see
//! `s_axis_tready` low.

use golden::rng::Xoshiro256pp;
use sim::verilator::{build_library_with, BuildOpts, Model};

/// The slice's contract, one clock at a time: the output word and the skid word.
#[derive(Default)]
struct Reference {
    out: Option<u64>,
    skid: Option<u64>,
}

impl Reference {
    /// `s_axis_tready` before the edge.
    fn ready(&self) -> bool {
        self.skid.is_none()
    }

    /// The edge with input `din` (when `vin`) and the consumer's `rdy`.
    fn edge(&mut self, din: u64, vin: bool, rdy: bool) {
        let take = vin && self.ready();
        if self.out.is_none() || rdy {
            self.out = self.skid.take().or(if take { Some(din) } else { None });
        } else if take {
            self.skid = Some(din);
        }
    }
}

struct Dut {
    m: Model,
    din: usize,
    vin: usize,
    rdy: usize,
    s_ready: usize,
    m_data: usize,
    m_valid: usize,
}

impl Dut {
    fn new(width: u32) -> Dut {
        let d = rtl::fifo::design_slice(width).expect("builds");
        let info = build_library_with(&d.files, rtl::fifo::SLICE, &d.ports, BuildOpts::LIGHT)
            .expect("verilates");
        let m = Model::load(&info.library, &d.ports).expect("loads");
        let i = |n: &str| m.input(n).expect(n);
        let o = |n: &str| m.output(n).expect(n);
        let mut dut = Dut {
            din: i("s_axis_tdata"),
            vin: i("s_axis_tvalid"),
            rdy: i("m_axis_tready"),
            s_ready: o("s_axis_tready"),
            m_data: o("m_axis_tdata"),
            m_valid: o("m_axis_tvalid"),
            m,
        };
        let rst = dut.m.input("rst").expect("rst");
        for x in [dut.din, dut.vin, dut.rdy] {
            dut.m.set(x, 0);
        }
        dut.m.set(rst, 1);
        dut.m.cycle();
        dut.m.cycle();
        dut.m.set(rst, 0);
        dut
    }
}

/// Runs `cycles` clocks with input gaps (`gap` in 1/256) and consumer
/// stalls (`stall` in 1/256); returns the words the consumer took.
fn run(width: u32, cycles: usize, gap: u8, stall: u8, seed: u64) -> (Vec<u64>, Vec<u64>) {
    let mut dut = Dut::new(width);
    let mut r = Reference::default();
    let mut g = Xoshiro256pp::new(seed);
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    let (mut sent, mut got) = (Vec::new(), Vec::new());
    let mut next = g.next_u64() & mask;
    for c in 0..cycles {
        let x = g.next_u64();
        let vin = (x & 0xff) as u8 >= gap;
        let rdy = ((x >> 8) & 0xff) as u8 >= stall;
        dut.m.set(dut.din, next);
        dut.m.set(dut.vin, vin as u64);
        dut.m.set(dut.rdy, rdy as u64);
        // the outputs sampled before this cycle's edge (all registers)
        dut.m.cycle();
        let ready = dut.m.get(dut.s_ready) != 0;
        assert_eq!(ready, r.ready(), "s_axis_tready, cycle {c}");
        let valid = dut.m.get(dut.m_valid) != 0;
        assert_eq!(valid, r.out.is_some(), "m_axis_tvalid, cycle {c}");
        if let Some(w) = r.out {
            assert_eq!(dut.m.get(dut.m_data), w, "m_axis_tdata, cycle {c}");
            if rdy {
                got.push(w);
            }
        }
        r.edge(next, vin, rdy);
        if vin && ready {
            sent.push(next);
            next = g.next_u64() & mask;
        }
    }
    (sent, got)
}

#[test]
fn every_word_passes_in_order_under_gaps_and_stalls() {
    for (width, gap, stall, seed) in [
        (1, 64, 64, 1),
        (16, 128, 32, 2),
        (37, 16, 200, 3),
        (64, 100, 100, 4),
    ] {
        let (sent, got) = run(width, 20_000, gap, stall, seed);
        assert!(got.len() > 1000, "width {width}: only {} words", got.len());
        // the words in flight at the end (at most two) are not yet out
        assert!(sent.len() - got.len() <= 2, "width {width}");
        assert_eq!(got[..], sent[..got.len()], "width {width}");
    }
}

#[test]
fn an_unstalled_stream_is_never_throttled() {
    let mut dut = Dut::new(8);
    for c in 0..1000u64 {
        dut.m.set(dut.din, c & 0xff);
        dut.m.set(dut.vin, 1);
        dut.m.set(dut.rdy, 1);
        dut.m.cycle();
        assert_eq!(dut.m.get(dut.s_ready), 1, "cycle {c}");
        if c > 0 {
            assert_eq!(dut.m.get(dut.m_valid), 1, "cycle {c}");
            assert_eq!(
                dut.m.get(dut.m_data),
                (c - 1) & 0xff,
                "cycle {c}: a clock later"
            );
        }
    }
}

#[test]
fn a_bad_width_is_refused() {
    for w in [0, 65] {
        let e = rtl::fifo::design_slice(w).unwrap_err().to_string();
        assert!(e.contains("1..64"), "{e}");
    }
}
