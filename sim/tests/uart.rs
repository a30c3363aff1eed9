//! The UART PHY alone under Verilator, against the host-side line models of
//! `sim::board`: random bytes both ways at once (back to back), baud rates
//! ±2 % off the divisor, framing errors and a break.

use golden::rng::Xoshiro256pp;
use rtl::uart::{build_uart, UartParams, UART_MODULE};
use sim::board::{LineRx, LineTx, RxEvent};
use sim::verilator::{build_library, Model};

struct Uart {
    m: Model,
    rst: usize,
    rxd: usize,
    txd_in: usize,
    txv: usize,
    txd: usize,
    txr: usize,
    rxdata: usize,
    rxv: usize,
    ferr: usize,
    errs: usize,
}

impl Uart {
    fn new(p: &UartParams) -> Uart {
        let m = build_uart(p).unwrap();
        let files = vec![(format!("{UART_MODULE}.v"), m.emit().unwrap())];
        let info = build_library(&files, UART_MODULE, m.ports()).unwrap();
        let model = Model::load(&info.library, m.ports()).unwrap();
        let mut u = Uart {
            rst: model.input("rst").unwrap(),
            rxd: model.input("rxd").unwrap(),
            txd_in: model.input("tx_data").unwrap(),
            txv: model.input("tx_valid").unwrap(),
            txd: model.output("txd").unwrap(),
            txr: model.output("tx_ready").unwrap(),
            rxdata: model.output("rx_data").unwrap(),
            rxv: model.output("rx_valid").unwrap(),
            ferr: model.output("rx_frame_err").unwrap(),
            errs: model.output("rx_errors").unwrap(),
            m: model,
        };
        u.m.set(u.rst, 1);
        u.m.set(u.rxd, 1);
        u.m.cycle();
        u.m.cycle();
        u.m.set(u.rst, 0);
        u
    }
}

#[derive(Default, Debug)]
struct Outcome {
    /// bytes the UART received from the host line
    rx: Vec<u8>,
    /// framing-error pulses
    ferr: u64,
    /// bytes the host line model received from the UART
    tx: Vec<RxEvent>,
    /// cycles from the first tx byte taken to the last one taken
    tx_cycles: u64,
    /// rx_errors at the end
    errors: u64,
}

/// Runs both directions at once: `host` frames onto rxd at `rate` times the
/// UART's baud rate, `send` into tx_data back to back (tx_valid held high).
/// A frame with a low stop bit is followed by one idle bit time (a UART
/// needs the line high to find the next start bit); `low_cycles` of low
/// line (a break) and one idle bit time come first.
fn run(
    u: &mut Uart,
    div: u64,
    rate: f64,
    host: &[(u8, bool)],
    send: &[u8],
    low_cycles: u64,
) -> Outcome {
    let cpb = div as f64 / rate;
    let mut lt = LineTx::new(cpb);
    if low_cycles > 0 {
        lt.idle(1);
    }
    for &(b, stop) in host {
        lt.send_frame(b, stop);
        if !stop {
            lt.idle(1);
        }
    }
    let mut lr = LineRx::new(cpb);
    let mut o = Outcome::default();
    let mut next = 0usize;
    let (mut first, mut last) = (None, 0u64);
    let budget = ((host.len() + send.len() + 4) as f64 * 10.5 * div as f64) as u64 + low_cycles;
    for c in 0..budget {
        let level = if c < low_cycles {
            false
        } else {
            lt.next_level()
        };
        u.m.set(u.rxd, level as u64);
        if next < send.len() {
            u.m.set(u.txd_in, send[next] as u64);
            u.m.set(u.txv, 1);
        } else {
            u.m.set(u.txv, 0);
        }
        u.m.cycle();
        if next < send.len() && u.m.get(u.txr) == 1 {
            first.get_or_insert(c);
            last = c;
            next += 1;
        }
        if u.m.get(u.rxv) == 1 {
            o.rx.push(u.m.get(u.rxdata) as u8);
        }
        o.ferr += u.m.get(u.ferr);
        if let Some(e) = lr.step(u.m.get(u.txd) == 1) {
            o.tx.push(e);
        }
    }
    o.tx_cycles = last - first.unwrap_or(0);
    o.errors = u.m.get(u.errs);
    o
}

fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Xoshiro256pp::new(seed);
    (0..n).map(|_| r.next_u64() as u8).collect()
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn random_bytes_both_ways_back_to_back_within_two_percent() {
    for (clk, baud) in [
        (8_000_000, 1_000_000),
        (12_000_000, 921_600),
        (25_000_000, 115_200),
    ] {
        let p = UartParams { clk_hz: clk, baud };
        let div = p.divisor().unwrap();
        for rate in [0.98, 1.0, 1.02] {
            let mut u = Uart::new(&p);
            let n = if div > 100 { 40 } else { 300 };
            let host = random_bytes(n, div ^ (rate * 100.0) as u64);
            let send = random_bytes(n, 7 + div);
            let frames: Vec<(u8, bool)> = host.iter().map(|&b| (b, true)).collect();
            let o = run(&mut u, div, rate, &frames, &send, 0);
            assert_eq!(o.rx, host, "rx: div {div}, host at {rate} x baud");
            let want: Vec<RxEvent> = send.iter().map(|&b| RxEvent::Byte(b)).collect();
            assert_eq!(o.tx, want, "tx: div {div}, host at {rate} x baud");
            assert_eq!((o.ferr, o.errors), (0, 0));
            // back to back: one byte every 10 bit times exactly
            assert_eq!(o.tx_cycles, (n as u64 - 1) * 10 * div, "div {div}");
        }
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn smallest_divisor_works_at_the_exact_rate() {
    let p = UartParams {
        clk_hz: 12_000_000,
        baud: 3_000_000,
    };
    assert_eq!(p.divisor().unwrap(), 4);
    let mut u = Uart::new(&p);
    let host = random_bytes(200, 4);
    let frames: Vec<(u8, bool)> = host.iter().map(|&b| (b, true)).collect();
    let o = run(&mut u, 4, 1.0, &frames, &host, 0);
    assert_eq!(o.rx, host);
    assert_eq!(
        o.tx,
        host.iter().map(|&b| RxEvent::Byte(b)).collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn a_bad_stop_bit_drops_the_byte_and_is_counted() {
    let p = UartParams {
        clk_hz: 8_000_000,
        baud: 500_000,
    };
    let div = p.divisor().unwrap();
    let mut u = Uart::new(&p);
    // 0x00 with a low stop bit is ten low bits; 0xff with a low stop bit
    // ends on a single low bit: both must be dropped
    let frames = [
        (0x11, true),
        (0x00, false),
        (0x22, true),
        (0xff, false),
        (0x33, true),
        (0x5a, false),
        (0x44, true),
    ];
    let o = run(&mut u, div, 1.0, &frames, &[], 0);
    assert_eq!(o.rx, [0x11, 0x22, 0x33, 0x44]);
    assert_eq!((o.ferr, o.errors), (3, 3));
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn a_break_is_one_framing_error_then_the_line_recovers() {
    let p = UartParams {
        clk_hz: 8_000_000,
        baud: 500_000,
    };
    let div = p.divisor().unwrap();
    let mut u = Uart::new(&p);
    // the line held low for 50 bit times, then good bytes
    let frames = [(0xa5, true), (0x00, true), (0x5a, true)];
    let o = run(&mut u, div, 1.0, &frames, &[], 50 * div);
    assert_eq!(o.rx, [0xa5, 0x00, 0x5a]);
    assert_eq!((o.ferr, o.errors), (1, 1));
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn a_glitch_shorter_than_half_a_bit_is_not_a_start_bit() {
    let p = UartParams {
        clk_hz: 8_000_000,
        baud: 500_000,
    };
    let div = p.divisor().unwrap();
    let mut u = Uart::new(&p);
    for c in 0..200 {
        // a 3-cycle low pulse (of a 16-cycle bit) every 40 cycles
        u.m.set(u.rxd, (c % 40 >= 3) as u64);
        u.m.cycle();
        assert_eq!(u.m.get(u.rxv) + u.m.get(u.ferr), 0, "cycle {c}");
    }
    let o = run(&mut u, div, 1.0, &[(0x3c, true)], &[], 0);
    assert_eq!(o.rx, [0x3c]);
    assert_eq!(o.errors, 0);
}
