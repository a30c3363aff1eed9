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
}

fn plan(symbols: i64) -> golden::config::LinkPlan {
    let sets = ["rtl.parallel=2".to_string()];
    let mut cfg = rxdsp::cfgload::load(None, &sets).unwrap();
    cfg.link.symbols = symbols;
    cfg.resolve().unwrap()
}

fn board(plan: &golden::config::LinkPlan, host_rate: f64) -> (UartSim, u64) {
    // 8 MHz / 1 Mbaud: 8 cycles per bit keeps the simulation short
    let bp = BoardParams {
        uart: UartParams {
            clk_hz: 8_000_000,
            baud: 1_000_000,
        },
        leds_active_low: false,
    };
    let (b, info) = BoardSim::new(&plan.format, plan.parallel, &bp, host_rate).unwrap();
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
    // the host exact, 2 % fast and 2 % slow against the board
    for rate in [1.0, 1.02, 0.98] {
        let (t, _) = board(&plan, rate);
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
        assert_eq!(out.data, gold.data, "host at {rate} x baud");
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
