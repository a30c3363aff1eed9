//! End to end at the pins: the host driver talks to the Verilated board top
//! (`rxdsp_board_top`: UART + bridge + registers + equalizer) through a
//! host-side UART that serialises every protocol byte onto `uart_rx` bit by
//! bit and deserialises `uart_tx`. Identity registers are read, a short
//! stream's output equals the golden receiver's symbol for symbol, and a
//! framing error on the line is survived and shown on led[3].

use golden::link::{self, RunOptions};
use rtl::board::BoardParams;
use rtl::uart::UartParams;
use rxdsp::device::{Device, DeviceError, Options, Transport};
use sim::board::BoardSim;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The board at the pins, as a byte transport.
struct UartSim {
    b: BoardSim,
    rx: VecDeque<u8>,
    tx: Vec<u8>,
    idle: u64,
}

impl Transport for UartSim {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.rx.extend(bytes);
        Ok(())
    }
    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize, DeviceError> {
        let t0 = Instant::now();
        loop {
            self.b
                .run(&mut self.rx, &mut self.tx, 1 << 20, self.idle, true);
            if !self.tx.is_empty() {
                let n = self.tx.len();
                buf.append(&mut self.tx);
                return Ok(n);
            }
            if !self.b.sending() || t0.elapsed() >= timeout {
                return Ok(0);
            }
        }
    }
    fn describe(&self) -> String {
        "uart-sim: (Verilated rxdsp_board_top at its pins)".into()
    }
    fn idle(&mut self, cycles: u64, _wall: Duration) -> Result<(), DeviceError> {
        let mut none = VecDeque::new();
        self.b.run(&mut none, &mut self.tx, cycles, u64::MAX, false);
        Ok(())
    }
}

fn plan(symbols: i64) -> golden::config::LinkPlan {
    let sets = ["rtl.parallel=2".to_string()];
    let mut cfg = rxdsp::cfgload::load(None, &sets).unwrap();
    cfg.link.symbols = symbols;
    cfg.resolve().unwrap()
}

fn board(plan: &golden::config::LinkPlan, host_rate: f64) -> (UartSim, u64) {
    board_device(plan, host_rate, false)
}

fn board_device(plan: &golden::config::LinkPlan, host_rate: f64, bert: bool) -> (UartSim, u64) {
    board_with(plan, host_rate, bert, None)
}

/// The simulated board: 8 MHz / 1 Mbaud (8 cycles per bit keeps the
/// simulation short), with `pll` in front when given.
fn board_params(pll: Option<rtl::pll::Pll>) -> BoardParams {
    BoardParams {
        uart: UartParams {
            clk_hz: 8_000_000,
            baud: 1_000_000,
        },
        leds_active_low: false,
        pll,
    }
}

/// The ECP5 PLL's simulation model (`rtl/tests/data/ehxplll_model.v`, whose
/// output follows its input), named after its module.
fn pll_model() -> (String, String) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../rtl/tests/data/ehxplll_model.v"
    );
    (
        "EHXPLLL.v".to_string(),
        std::fs::read_to_string(path).unwrap(),
    )
}

/// The board top, with the ECP5 PLL wrapper when `pll` (simulated with the
/// primitive's model, whose output follows its input).
fn board_with(
    plan: &golden::config::LinkPlan,
    host_rate: f64,
    bert: bool,
    pll: Option<rtl::pll::Pll>,
) -> (UartSim, u64) {
    let bp = board_params(pll);
    let models = if pll.is_some() {
        vec![pll_model()]
    } else {
        Vec::new()
    };
    let (b, info) =
        BoardSim::new_with_models(&plan.format, plan.parallel, &bp, host_rate, bert, &models)
            .unwrap();
    eprintln!(
        "board model: {} in {:.1} s",
        if info.cached { "cached" } else { "built" },
        info.time.as_secs_f64()
    );
    let div = b.divisor();
    (
        UartSim {
            b,
            rx: VecDeque::new(),
            tx: Vec::new(),
            idle: rxdsp::device::transport::SIM_IDLE_CYCLES + 40 * div,
        },
        div,
    )
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn registers_and_a_stream_through_the_uart_match_the_golden_receiver() {
    let plan = plan(3000);
    let r = link::run(
        &plan,
        &RunOptions {
            threads: 1,
            keep_samples: true,
            progress: None,
        },
    )
    .unwrap();
    let x = r.samples.unwrap();
    // the host exact, 2 % fast and 2 % slow against the board; then the
    // board top behind the ECP5 PLL (`rxdsp synth --board ... --freq F`),
    // whose model's output follows its input: an 8 MHz setting from 8 MHz
    let pll = rtl::pll::Pll::for_clock(8_000_000, 8e6).unwrap();
    assert_eq!(pll.out_hz_round(), 8_000_000);
    for (rate, pll) in [(1.0, None), (1.02, None), (0.98, None), (1.0, Some(pll))] {
        let (t, _) = board_with(&plan, rate, false, pll);
        let t0 = Instant::now();
        let mut dev = Device::with_transport(Box::new(t), Options::default()).unwrap();
        // discovery read the identity block; read two registers again by name
        assert_eq!(dev.read("id.magic").unwrap() as u32, proto::regmap::MAGIC);
        let v = dev.read("id.gen_version").unwrap() as u32;
        assert_eq!(v, dev.info().gen_version);
        assert!(v > 0);
        assert_eq!(dev.info().format, plan.format);
        assert_eq!(dev.info().parallel, 2);
        let (out, st) = dev.run_stream(&r.coeffs, &x, 1).unwrap();
        let mut eq =
            golden::eq::Equalizer::new(&plan.format, &r.coeffs, golden::eq::Engine::Fast).unwrap();
        let gold = eq.process_all(&x);
        assert_eq!(out.data, gold.data, "host at {rate} x baud, PLL {pll:?}");
        assert_eq!(st.samples_in, x.len() as u64);
        assert_eq!(dev.counters.retransmits, 0);
        assert_eq!(dev.counters.bad_frames, 0);
        eprintln!(
            "host at {rate} x baud: {} samples in {:.1} s wall",
            x.len(),
            t0.elapsed().as_secs_f64()
        );
    }
}

/// The core behind the PLL stays in reset until `LOCK`: with the model's
/// lock delayed to 3000 input clocks, a byte on the line before it is not
/// received (the rx LED stays dark), the same byte after it is.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn the_pll_board_core_waits_for_lock() {
    let plan = plan(300);
    let pll = rtl::pll::Pll::for_clock(8_000_000, 8e6).unwrap();
    let bp = board_params(Some(pll));
    let (name, text) = pll_model();
    let late = text.replace(
        "parameter integer LOCK_CYCLES = 16",
        "parameter integer LOCK_CYCLES = 3000",
    );
    assert_ne!(
        late, text,
        "the model's lock delay is its LOCK_CYCLES default"
    );
    let models = [(name, late)];
    let (mut b, _) =
        BoardSim::new_with_models(&plan.format, plan.parallel, &bp, 1.0, false, &models).unwrap();
    let (mut rx, mut tx) = (VecDeque::from(vec![0x55u8]), Vec::new());
    b.run(&mut rx, &mut tx, 1000, 100, false);
    assert!(b.cycles() < 2000, "still before the lock");
    assert_eq!(b.leds() & 0b0010, 0, "a byte received before the lock");
    let mut none = VecDeque::new();
    b.run(&mut none, &mut tx, 3000, u64::MAX, false);
    let mut rx = VecDeque::from(vec![0x55u8]);
    b.run(&mut rx, &mut tx, 1000, 100, false);
    assert_eq!(
        b.leds() & 0b0010,
        0b0010,
        "the byte after the lock is received"
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn a_framing_error_is_survived_and_shown_on_the_leds() {
    let plan = plan(300);
    let (mut t, _) = board(&plan, 1.0);
    // rx and tx activity after traffic, no framing error yet
    let mut rx: VecDeque<u8> = VecDeque::from(vec![0u8]);
    let mut tx = Vec::new();
    t.b.run(&mut rx, &mut tx, 1 << 16, 200, false);
    assert_eq!(t.b.leds() & 0b1010, 0b0010, "leds {:04b}", t.b.leds());
    // a byte with a low stop bit in the middle of the idle line
    t.b.send_bad_frame(0x42);
    t.b.run(&mut rx, &mut tx, 1 << 16, 200, false);
    assert_eq!(t.b.leds() & 0b1000, 0, "led[3] blinks off at the error");
    t.b.run(&mut rx, &mut tx, 600_000, 600_000, false);
    assert_eq!(t.b.leds() & 0b1000, 0b1000, "led[3] stays on afterwards");
    // the device still answers
    let mut dev = Device::with_transport(Box::new(t), Options::default()).unwrap();
    assert_eq!(dev.read("id.magic").unwrap() as u32, proto::regmap::MAGIC);
}

/// `rxdsp bert` at the pins: the board top with the BER tester, configured
/// through the UART (the emulator's ~1100 writes, the coefficients, the
/// checker), running on its own clock while the host waits, and read back as
/// counters only: the report assembled from them is `rxdsp sim`'s
/// (`link.model = "emulator"`) for the same symbols, key for key.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn a_ber_run_through_the_uart_counts_what_sim_counts() {
    let mut cfg = rxdsp::cfgload::load(
        None,
        &[
            "rtl.parallel=4".to_string(),
            "link.model=\"emulator\"".to_string(),
            "channel.snr_db=24".to_string(),
        ],
    )
    .unwrap();
    cfg.link.symbols = 30_001;
    let plan = cfg.resolve().unwrap();
    let want = link::run(&plan, &RunOptions::default()).unwrap().report;
    let (t, _) = board_device(&plan, 1.0, true);
    let mut dev = Device::with_transport(Box::new(t), Options::default()).unwrap();
    let b = dev.bert().expect("the board has the BER tester");
    let eqr = link::choose_coeffs(&plan, 1, None).unwrap();
    let coeffs = eqr.coeffs();
    let writes = rtl::emu::plan_writes(&plan, b.emu_taps as usize).unwrap();
    let t0 = Instant::now();
    dev.bert_start(&coeffs, &writes, &golden::check::regs_for(&plan, eqr.delay))
        .unwrap();
    let started = t0.elapsed().as_secs_f64();
    let poll = loop {
        dev.idle(1 << 14, Duration::ZERO).unwrap();
        let p = dev.bert_poll().unwrap();
        assert!(!p.overflow && !p.underflow);
        if p.done {
            break p;
        }
    };
    dev.bert_stop().unwrap();
    let got = link::assemble_report(
        &plan,
        eqr,
        &poll.counts.counter(),
        None,
        link::ReportExtras {
            timing: want.timing.clone(),
            adaptation: None,
            cdr: None,
            emulator: link::emu_report(&plan).unwrap(),
        },
    );
    let (g, w) = (
        serde_json::to_value(&got).unwrap(),
        serde_json::to_value(&want).unwrap(),
    );
    assert_eq!(g, w);
    assert!(
        want.pre_fec.bit_errors > 10,
        "errors to count: {}",
        want.pre_fec.bit_errors
    );
    eprintln!(
        "bert through the UART: configured in {started:.1} s, {} symbols, {} bit errors, {:.1} s wall",
        poll.counts.symbols,
        poll.counts.bit_errors,
        t0.elapsed().as_secs_f64()
    );
}
