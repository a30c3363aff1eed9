//! Byte transports to a device: `sim:` (the Verilated top in this process),
//! `tcp://HOST:PORT` (`rxdsp serve`, or a board bridge) and
//! `serial:///dev/ttyUSB0?baud=N` (a board's UART). `sim:` needs the `sim`
//! feature (it links the Verilated device, so the generator); `serial://`
//! the `serial` feature.

use super::DeviceError;
#[cfg(feature = "sim")]
use golden::numeric::RxFormat;
#[cfg(feature = "sim")]
use sim::device::DeviceSim;
#[cfg(feature = "sim")]
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;
#[cfg(feature = "sim")]
use std::time::Instant;

/// A byte pipe to a device. Implementations never block longer than the
/// timeout they are given.
pub trait Transport {
    /// Sends every byte of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError>;
    /// Appends received bytes to `buf`, waiting at most `timeout`; `Ok(0)`
    /// when nothing came in time. A closed connection is an error.
    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize, DeviceError>;
    /// What this is connected to, for messages.
    fn describe(&self) -> String;
    /// Lets the device run with nothing sent for about `cycles` clock cycles
    /// (a simulated device) or `wall` (a device with its own clock: sleeps).
    fn idle(&mut self, cycles: u64, wall: Duration) -> Result<(), DeviceError> {
        let _ = cycles;
        std::thread::sleep(wall);
        Ok(())
    }
}

/// Where a device is, parsed from a URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uri {
    /// `sim:`: the Verilated device in this process
    Sim,
    /// `tcp://HOST:PORT`
    Tcp(String),
    /// `serial:///dev/ttyUSB0?baud=115200`
    Serial {
        /// device path
        path: String,
        /// baud rate (default 115200)
        baud: u32,
    },
}

impl std::str::FromStr for Uri {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Uri, DeviceError> {
        let bad = |why: &str| DeviceError::Uri {
            uri: s.to_string(),
            why: why.to_string(),
        };
        if s == "sim:" || s == "sim://" {
            return Ok(Uri::Sim);
        }
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            if !rest.contains(':') {
                return Err(bad("expected tcp://HOST:PORT"));
            }
            return Ok(Uri::Tcp(rest.to_string()));
        }
        if let Some(rest) = s.strip_prefix("serial://") {
            let (path, query) = match rest.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (rest, None),
            };
            if path.is_empty() {
                return Err(bad("expected serial:///dev/ttyUSB0?baud=N"));
            }
            let mut baud = 115_200;
            if let Some(q) = query {
                for kv in q.split('&') {
                    match kv.split_once('=') {
                        Some(("baud", v)) => {
                            baud = v.parse().map_err(|_| bad("baud is not a number"))?;
                        }
                        _ => return Err(bad(&format!("unknown parameter '{kv}'"))),
                    }
                }
            }
            return Ok(Uri::Serial {
                path: path.to_string(),
                baud,
            });
        }
        Err(bad(
            "expected sim:, tcp://HOST:PORT or serial:///dev/PORT?baud=N",
        ))
    }
}

/// The Verilated device in this process, driven through its byte interface.
#[cfg(feature = "sim")]
pub struct SimTransport {
    dev: DeviceSim,
    rx: VecDeque<u8>,
    tx: Vec<u8>,
}

#[cfg(feature = "sim")]
impl SimTransport {
    /// Builds (or takes from the cache) the device for `fmt` at `parallel`.
    pub fn new(fmt: &RxFormat, parallel: usize) -> Result<SimTransport, DeviceError> {
        SimTransport::new_build(&super::DeviceBuild::new(fmt, parallel))
    }

    /// Builds (or takes from the cache) the device `b`.
    pub fn new_build(b: &super::DeviceBuild) -> Result<SimTransport, DeviceError> {
        let (dev, _) =
            DeviceSim::new_device(&b.format, b.parallel, b.adapt.as_ref(), b.bert, b.fec)?;
        Ok(SimTransport {
            dev,
            rx: VecDeque::new(),
            tx: Vec::new(),
        })
    }
    /// Clock cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.dev.cycles()
    }
}

/// Idle cycles after which a quiet simulated device is considered to have
/// nothing more to say (longer than executing every receive slot).
pub const SIM_IDLE_CYCLES: u64 = 4096;

#[cfg(feature = "sim")]
impl Transport for SimTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.rx.extend(bytes);
        Ok(())
    }
    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize, DeviceError> {
        let t0 = Instant::now();
        loop {
            self.dev
                .run(&mut self.rx, &mut self.tx, 1 << 20, SIM_IDLE_CYCLES, true);
            if !self.tx.is_empty() {
                let n = self.tx.len();
                buf.append(&mut self.tx);
                return Ok(n);
            }
            if self.rx.is_empty() || t0.elapsed() >= timeout {
                return Ok(0);
            }
        }
    }
    fn describe(&self) -> String {
        "sim: (Verilated rxdsp_top in process)".into()
    }
    fn idle(&mut self, cycles: u64, _wall: Duration) -> Result<(), DeviceError> {
        self.dev.run_idle(cycles, &mut self.tx);
        Ok(())
    }
}

/// A TCP connection (to `rxdsp serve`).
pub struct TcpTransport {
    s: TcpStream,
    addr: String,
    buf: Vec<u8>,
}

impl TcpTransport {
    /// Connects to `addr` (`HOST:PORT`) within `timeout`.
    pub fn connect(addr: &str, timeout: Duration) -> Result<TcpTransport, DeviceError> {
        let io = |e: std::io::Error| DeviceError::Io {
            what: format!("connecting to tcp://{addr}"),
            source: e,
        };
        let mut last = None;
        for a in addr.to_socket_addrs().map_err(io)? {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    s.set_nodelay(true).map_err(io)?;
                    s.set_write_timeout(Some(timeout.max(Duration::from_secs(1))))
                        .map_err(io)?;
                    return Ok(TcpTransport {
                        s,
                        addr: addr.to_string(),
                        buf: vec![0; 1 << 16],
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(io(last.unwrap_or_else(|| {
            std::io::Error::new(ErrorKind::NotFound, "no address")
        })))
    }
}

impl Transport for TcpTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.s.write_all(bytes).map_err(|e| match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => DeviceError::Timeout {
                what: format!("sending to tcp://{}", self.addr),
            },
            _ => DeviceError::Io {
                what: format!("sending to tcp://{}", self.addr),
                source: e,
            },
        })
    }
    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize, DeviceError> {
        let t = timeout.max(Duration::from_millis(1));
        self.s
            .set_read_timeout(Some(t))
            .map_err(|e| DeviceError::Io {
                what: "setting a read timeout".into(),
                source: e,
            })?;
        match self.s.read(&mut self.buf) {
            Ok(0) => Err(DeviceError::Closed(format!("tcp://{}", self.addr))),
            Ok(n) => {
                buf.extend_from_slice(&self.buf[..n]);
                Ok(n)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(DeviceError::Io {
                what: format!("receiving from tcp://{}", self.addr),
                source: e,
            }),
        }
    }
    fn describe(&self) -> String {
        format!("tcp://{}", self.addr)
    }
}

/// A serial port (a board's UART), 8N1, no flow control.
#[cfg(feature = "serial")]
pub struct SerialTransport {
    p: Box<dyn serialport::SerialPort>,
    path: String,
    buf: Vec<u8>,
}

#[cfg(feature = "serial")]
impl SerialTransport {
    /// Opens `path` at `baud`.
    pub fn open(path: &str, baud: u32) -> Result<SerialTransport, DeviceError> {
        let p = serialport::new(path, baud)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| DeviceError::Io {
                what: format!("opening serial port {path}"),
                source: std::io::Error::other(e.to_string()),
            })?;
        Ok(SerialTransport {
            p,
            path: path.to_string(),
            buf: vec![0; 1 << 12],
        })
    }
}

#[cfg(feature = "serial")]
impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.p.write_all(bytes).map_err(|e| DeviceError::Io {
            what: format!("writing {}", self.path),
            source: e,
        })
    }
    fn recv(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize, DeviceError> {
        self.p
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| DeviceError::Io {
                what: format!("configuring {}", self.path),
                source: std::io::Error::other(e.to_string()),
            })?;
        match self.p.read(&mut self.buf) {
            Ok(n) => {
                buf.extend_from_slice(&self.buf[..n]);
                Ok(n)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(DeviceError::Io {
                what: format!("reading {}", self.path),
                source: e,
            }),
        }
    }
    fn describe(&self) -> String {
        format!("serial://{}", self.path)
    }
}

/// Opens the transport for `uri`; `sim:` builds the device `build`.
pub fn open(
    uri: &Uri,
    build: &super::DeviceBuild,
    timeout: Duration,
) -> Result<Box<dyn Transport>, DeviceError> {
    Ok(match uri {
        #[cfg(feature = "sim")]
        Uri::Sim => Box::new(SimTransport::new_build(build)?),
        #[cfg(not(feature = "sim"))]
        Uri::Sim => {
            let _ = build;
            return Err(DeviceError::Uri {
                uri: "sim:".into(),
                why: "this rxdsp was built without the `sim` feature (the simulated device)".into(),
            });
        }
        Uri::Tcp(a) => Box::new(TcpTransport::connect(a, timeout)?),
        #[cfg(feature = "serial")]
        Uri::Serial { path, baud } => Box::new(SerialTransport::open(path, *baud)?),
        #[cfg(not(feature = "serial"))]
        Uri::Serial { .. } => {
            return Err(DeviceError::Uri {
                uri: format!("{uri:?}"),
                why: "this rxdsp was built without the `serial` feature".into(),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse_or_are_refused_clearly() {
        assert_eq!("sim:".parse::<Uri>().unwrap(), Uri::Sim);
        assert_eq!(
            "tcp://127.0.0.1:7000".parse::<Uri>().unwrap(),
            Uri::Tcp("127.0.0.1:7000".into())
        );
        assert_eq!(
            "serial:///dev/ttyUSB0?baud=921600".parse::<Uri>().unwrap(),
            Uri::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 921_600
            }
        );
        assert_eq!(
            "serial:///dev/ttyACM1".parse::<Uri>().unwrap(),
            Uri::Serial {
                path: "/dev/ttyACM1".into(),
                baud: 115_200
            }
        );
        for bad in [
            "tcp://nohost",
            "serial://",
            "serial:///dev/x?speed=1",
            "udp://a:1",
            "",
        ] {
            let e = bad.parse::<Uri>().unwrap_err().to_string();
            assert!(e.starts_with("bad device URI"), "{bad}: {e}");
        }
    }

    #[cfg(not(feature = "sim"))]
    #[test]
    fn sim_without_its_feature_is_one_clear_error() {
        let b = crate::device::DeviceBuild::new(&golden::numeric::RxFormat::default(), 8);
        let e = open(&Uri::Sim, &b, Duration::from_millis(100))
            .err()
            .expect("no simulated device in this build")
            .to_string();
        assert!(e.contains("without the `sim` feature"), "{e}");
    }

    #[cfg(feature = "serial")]
    #[test]
    fn a_missing_serial_port_is_an_error() {
        let u: Uri = "serial:///dev/rxdsp-no-such-port?baud=115200"
            .parse()
            .unwrap();
        let b = crate::device::DeviceBuild::new(&golden::numeric::RxFormat::default(), 8);
        let e = open(&u, &b, Duration::from_millis(100))
            .err()
            .expect("no such port")
            .to_string();
        assert!(e.contains("/dev/rxdsp-no-such-port"), "{e}");
    }
}
