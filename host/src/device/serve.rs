//! `rxdsp serve`: the Verilated device behind a TCP socket. Bytes move between
//! the socket and the device's byte interface as a board's UART would move
//! them: the device takes one byte per clock and never pushes back, so the
//! host must respect the credit. The device keeps its state across
//! connections, like a board.

use super::DeviceError;
use golden::numeric::RxFormat;
use sim::device::DeviceSim;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// What a serve session did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServeReport {
    /// connections served
    pub sessions: u64,
    /// bytes received from hosts
    pub bytes_in: u64,
    /// bytes sent to hosts
    pub bytes_out: u64,
    /// clock cycles simulated
    pub cycles: u64,
}

/// Cycles of silence after which the device is idle (longer than executing
/// every receive slot); the server then blocks on the socket.
const IDLE_CYCLES: u64 = 4096;

/// Cycles a free-running device (one with the BER tester) runs between two
/// looks at an idle socket.
const FREE_RUN_CYCLES: u64 = 1 << 14;

fn io(what: &str) -> impl Fn(std::io::Error) -> DeviceError + '_ {
    move |e| DeviceError::Io {
        what: what.to_string(),
        source: e,
    }
}

/// Serves connections on `listener` one at a time with a device built for
/// `fmt` at `parallel`, until `max_sessions` connections have ended (forever
/// when `None`).
pub fn serve(
    listener: &TcpListener,
    fmt: &RxFormat,
    parallel: usize,
    max_sessions: Option<u64>,
) -> Result<ServeReport, DeviceError> {
    serve_build(
        listener,
        &super::DeviceBuild::new(fmt, parallel),
        max_sessions,
    )
}

/// [`serve`] with the device `build` (with the adaptation engine when
/// `build.adapt` is set).
pub fn serve_build(
    listener: &TcpListener,
    build: &super::DeviceBuild,
    max_sessions: Option<u64>,
) -> Result<ServeReport, DeviceError> {
    let (mut dev, _) = DeviceSim::new_device(
        &build.format,
        build.parallel,
        build.adapt.as_ref(),
        build.bert,
        build.fec,
    )?;
    let mut rep = ServeReport::default();
    while max_sessions.is_none_or(|m| rep.sessions < m) {
        let (s, _) = listener.accept().map_err(io("accepting a connection"))?;
        session(&mut dev, s, &mut rep, build.bert)?;
        rep.sessions += 1;
    }
    rep.cycles = dev.cycles();
    Ok(rep)
}

/// Serves one connection. With `free_run` (a device with the BER tester,
/// whose emulator works between the host's polls) the clock runs all the
/// time, as a board's does, in chunks of [`FREE_RUN_CYCLES`] between checks
/// of the socket; otherwise the device is clocked only while it has bytes to
/// take or to send.
fn session(
    dev: &mut DeviceSim,
    mut s: TcpStream,
    rep: &mut ServeReport,
    free_run: bool,
) -> Result<(), DeviceError> {
    s.set_nodelay(true).map_err(io("configuring the socket"))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))
        .map_err(io("configuring the socket"))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut rx: VecDeque<u8> = VecDeque::new();
    let mut tx: Vec<u8> = Vec::new();
    let mut quiet = true;
    loop {
        // block (briefly) only when the device has nothing to do
        let block = rx.is_empty() && quiet && !free_run;
        s.set_nonblocking(!block)
            .map_err(io("configuring the socket"))?;
        if block {
            s.set_read_timeout(Some(Duration::from_millis(20)))
                .map_err(io("configuring the socket"))?;
        }
        match s.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                rx.extend(&buf[..n]);
                rep.bytes_in += n as u64;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                ) =>
            {
                return Ok(())
            }
            Err(e) => return Err(io("reading the socket")(e)),
        }
        if rx.is_empty() && quiet {
            if !free_run {
                continue;
            }
            // the clock runs on; whatever the device says goes out at once
            dev.run_idle(FREE_RUN_CYCLES, &mut tx);
            if tx.is_empty() {
                continue;
            }
            quiet = false;
        } else {
            let before = rx.len();
            dev.run(&mut rx, &mut tx, 1 << 16, IDLE_CYCLES, true);
            quiet = tx.is_empty() && rx.is_empty() && before == 0;
        }
        if !tx.is_empty() {
            s.set_nonblocking(false)
                .map_err(io("configuring the socket"))?;
            if let Err(e) = s.write_all(&tx) {
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::BrokenPipe
                        | ErrorKind::ConnectionAborted
                ) {
                    return Ok(());
                }
                return Err(io("writing the socket")(e));
            }
            rep.bytes_out += tx.len() as u64;
            tx.clear();
        }
    }
}
