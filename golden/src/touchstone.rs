//! Touchstone channel files: parsing, the differential through response, and
//! the pulse response at one sample per UI.
//!
//! No I/O: the host reads the file and passes its text to [`parse`], with the
//! port count from the file name's `.sNp` extension ([`ports_from_extension`]).
//!
//! ## Files
//! * **Version 1** (`.sNp`): `!` comments, one option line
//!   `# <unit> S <format> R <z0>` (defaults `GHz S MA R 50`; only the first
//!   option line counts), then one record per frequency: the frequency and
//!   `N^2` complex values. Records may wrap over several lines (they do for
//!   N >= 3, at most four values per line); the parser reads a stream of
//!   numbers, so any wrapping is accepted. **Order**: row-major
//!   (`S11 S12 .. S1N S21 ..`) except for 2-ports, whose order is
//!   `S11 S21 S12 S22`. The noise parameters that may follow a 2-port's
//!   network data (their first frequency is not above the last one) are
//!   skipped.
//! * **Version 2** (`[Version] 2.0` or `2.1`): the same option line, then
//!   `[Number of Ports]`, for 2-ports `[Two-Port Data Order]` `12_21`
//!   (row-major) or `21_12` (the version 1 order), optional
//!   `[Number of Frequencies]` (checked), `[Reference]` (per-port reference
//!   impedances), `[Matrix Format]` `Full`, `Lower` or `Upper` (the missing
//!   triangle is filled by symmetry), `[Network Data]` and `[End]`. Noise data
//!   and information blocks are skipped; `[Mixed-Mode Order]` is refused.
//!
//! Units `Hz`, `kHz`, `MHz`, `GHz`; formats `MA` (magnitude, angle in
//! degrees), `DB` (20 log10 magnitude, angle in degrees), `RI` (real,
//! imaginary). Only scattering (`S`) parameters are accepted.
//!
//! ## Through response
//! [`Network::through`] gives `S21` of a 2-port, or the mixed-mode
//! differential insertion loss `SDD21` of a 4-port. With the differential
//! input on ports `(p, n)` (`+`, `-`) and the output on ports `(q, m)`:
//!
//! `SDD21 = (S_qp - S_qn - S_mp + S_mn) / 2`
//!
//! (`S_ij` is the wave out of port `i` for a wave into port `j`). The two
//! common port numberings are [`PortMap::ODD_IN_EVEN_OUT`] ("1,3 -> 2,4":
//! lines 1->2 and 3->4, `SDD21 = (S21 - S23 - S41 + S43) / 2`) and
//! [`PortMap::PAIRS_IN_OUT`] ("1,2 -> 3,4": lines 1->3 and 2->4,
//! `SDD21 = (S31 - S32 - S41 + S42) / 2`).
//!
//! ## Pulse response
//! [`pulse_response`] turns `H(f)` into the response to a 1-UI rectangular
//! pulse of unit amplitude, sampled at `samples_per_ui` per UI, and keeps the
//! phase with the largest main cursor, as [`Pulse`] at one sample per UI:
//! 0. the data must reach the Nyquist frequency `baud / 2` (an error
//!    otherwise: the pulse would be made of the extrapolation);
//! 1. the time window `N dt` (a power of two times `samples_per_ui` samples of
//!    `dt = 1 / (baud samples_per_ui)`) covers at least 256 UI and the
//!    `1 / df` of the file's finest frequency step (beyond which the file
//!    cannot resolve the impulse response anyway), up to 2^22 samples;
//! 2. `H` is interpolated linearly in magnitude and unwrapped phase onto the
//!    grid `k / (N dt)`; below the first file frequency the magnitude is held
//!    and the phase goes linearly to 0 at DC (so `H(0)` is real); above the
//!    last one the magnitude is rolled off to zero with a raised cosine over a
//!    quarter of the last frequency, the phase continuing with the last group
//!    delay; nothing above the simulation Nyquist `samples_per_ui baud / 2`
//!    is kept;
//! 3. times the spectrum of the pulse, `T sinc(f T) e^{-j pi f T}`, and an
//!    inverse FFT (`rustfft`) gives `p(n dt) = df sum_k X(f_k) e^{j 2 pi k n / N}`
//!    over positive and negative frequencies;
//! 4. the largest sample sets the phase and the main cursor; the taps around
//!    it (up to a quarter of the window before it, the rest after it,
//!    circularly) are trimmed from both ends to the outermost taps of at
//!    least [`TRIM`] times the main cursor.

use crate::channel::Pulse;
use std::f64::consts::PI;
use thiserror::Error;

/// Taps smaller than this fraction of the main cursor are trimmed from both
/// ends of a pulse response.
pub const TRIM: f64 = 0.002;

/// The largest FFT [`pulse_response`] uses, in samples.
pub const MAX_FFT: usize = 1 << 22;

/// What can go wrong reading a Touchstone file or making a pulse from it.
#[derive(Debug, Error, PartialEq)]
pub enum TouchstoneError {
    /// malformed text, with the 1-based line number
    #[error("line {line}: {msg}")]
    Syntax {
        /// 1-based line number
        line: usize,
        /// what is wrong
        msg: String,
    },
    /// a valid feature this reader does not support
    #[error("line {line}: unsupported: {msg}")]
    Unsupported {
        /// 1-based line number
        line: usize,
        /// what
        msg: String,
    },
    /// the port count is unknown or inconsistent
    #[error("ports: {0}")]
    Ports(String),
    /// the file has no network data
    #[error("no network data")]
    NoData,
    /// the transfer function or the pulse parameters cannot make a pulse
    #[error("pulse response: {0}")]
    Pulse(String),
}

fn syntax(line: usize, msg: impl Into<String>) -> TouchstoneError {
    TouchstoneError::Syntax {
        line,
        msg: msg.into(),
    }
}

/// A complex number (`num_complex::Complex64`: `re`, `im`).
pub type Complex = num_complex::Complex64;

/// An N-port network's scattering parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// number of ports
    pub ports: usize,
    /// reference impedance of each port, ohms
    pub z0: Vec<f64>,
    /// frequencies in Hz, increasing
    pub freqs: Vec<f64>,
    /// per frequency, the `ports x ports` matrix, row-major: `S_ij` (1-based
    /// `i`, `j`) at index `(i - 1) * ports + (j - 1)`
    pub s: Vec<Vec<Complex>>,
}

/// The ports of a differential through: input `(+, -)` and output `(+, -)`,
/// 1-based, or the single-ended `S21`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortMap {
    /// `S21` (a 2-port, or ports 1 -> 2 of any network)
    SingleEnded,
    /// `SDD21` with the differential input on ports `inp` and the output on
    /// ports `out`, each `(positive, negative)`
    Differential {
        /// input pair (+, -)
        inp: (usize, usize),
        /// output pair (+, -)
        out: (usize, usize),
    },
}

impl PortMap {
    /// "1,3 -> 2,4": odd ports in, even ports out; lines 1->2 and 3->4.
    pub const ODD_IN_EVEN_OUT: PortMap = PortMap::Differential {
        inp: (1, 3),
        out: (2, 4),
    };
    /// "1,2 -> 3,4": ports 1 and 2 in, 3 and 4 out; lines 1->3 and 2->4.
    pub const PAIRS_IN_OUT: PortMap = PortMap::Differential {
        inp: (1, 2),
        out: (3, 4),
    };

    /// Parses `s21`, `1,3->2,4` (or `13-24`, `odd-even`) and `1,2->3,4` (or
    /// `12-34`, `pairs`), ignoring spaces and case.
    pub fn parse(s: &str) -> Option<PortMap> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        match t.as_str() {
            "s21" | "single" | "single-ended" => Some(PortMap::SingleEnded),
            "1,3->2,4" | "13-24" | "13->24" | "odd-even" => Some(PortMap::ODD_IN_EVEN_OUT),
            "1,2->3,4" | "12-34" | "12->34" | "pairs" => Some(PortMap::PAIRS_IN_OUT),
            _ => None,
        }
    }
}

impl Network {
    /// `S_ij` (1-based ports) at frequency index `k`.
    pub fn get(&self, k: usize, i: usize, j: usize) -> Complex {
        self.s[k][(i - 1) * self.ports + (j - 1)]
    }

    /// The through transfer function `(Hz, H)` for `map` (see the module
    /// docs for the formula). Errors when a port of `map` does not exist or
    /// the pairs share a port.
    pub fn through(&self, map: PortMap) -> Result<Vec<(f64, Complex)>, TouchstoneError> {
        match map {
            PortMap::SingleEnded => {
                if self.ports < 2 {
                    return Err(TouchstoneError::Ports(format!(
                        "S21 needs 2 ports, the network has {}",
                        self.ports
                    )));
                }
                Ok((0..self.freqs.len())
                    .map(|k| (self.freqs[k], self.get(k, 2, 1)))
                    .collect())
            }
            PortMap::Differential {
                inp: (p, n),
                out: (q, m),
            } => {
                let all = [p, n, q, m];
                if all.iter().any(|&x| x == 0 || x > self.ports) {
                    return Err(TouchstoneError::Ports(format!(
                        "port map {p},{n}->{q},{m} on a {}-port network",
                        self.ports
                    )));
                }
                for a in 0..4 {
                    for b in a + 1..4 {
                        if all[a] == all[b] {
                            return Err(TouchstoneError::Ports(format!(
                                "port map {p},{n}->{q},{m} uses port {} twice",
                                all[a]
                            )));
                        }
                    }
                }
                Ok((0..self.freqs.len())
                    .map(|k| {
                        let (a, b, c, d) = (
                            self.get(k, q, p),
                            self.get(k, q, n),
                            self.get(k, m, p),
                            self.get(k, m, n),
                        );
                        (self.freqs[k], 0.5 * (a - b - c + d))
                    })
                    .collect())
            }
        }
    }
}

/// The port count of a `.sNp` file name (`x.s2p` -> 2, `x.S4P` -> 4), or
/// `None`.
pub fn ports_from_extension(name: &str) -> Option<usize> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let n = ext.strip_prefix('s')?.strip_suffix('p')?;
    n.parse().ok().filter(|&n| n > 0)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Ma,
    Db,
    Ri,
}

#[derive(Clone, Copy, Debug, PartialEq, Default)]
enum MatrixFormat {
    #[default]
    Full,
    Lower,
    Upper,
}

struct Options {
    unit: f64,
    format: Format,
    z0: f64,
}

fn parse_option_line(line: usize, rest: &str) -> Result<Options, TouchstoneError> {
    let mut o = Options {
        unit: 1e9,
        format: Format::Ma,
        z0: 50.0,
    };
    let mut toks = rest.split_whitespace();
    while let Some(t) = toks.next() {
        match t.to_ascii_uppercase().as_str() {
            "HZ" => o.unit = 1.0,
            "KHZ" => o.unit = 1e3,
            "MHZ" => o.unit = 1e6,
            "GHZ" => o.unit = 1e9,
            "THZ" => o.unit = 1e12,
            "S" => {}
            "Y" | "Z" | "H" | "G" => {
                return Err(TouchstoneError::Unsupported {
                    line,
                    msg: format!("{t} parameters (only S)"),
                })
            }
            "MA" => o.format = Format::Ma,
            "DB" => o.format = Format::Db,
            "RI" => o.format = Format::Ri,
            "R" => {
                let v = toks
                    .next()
                    .ok_or_else(|| syntax(line, "R without a value"))?;
                o.z0 = num(line, v)?;
            }
            _ => return Err(syntax(line, format!("unknown option `{t}`"))),
        }
    }
    Ok(o)
}

fn num(line: usize, t: &str) -> Result<f64, TouchstoneError> {
    let v: f64 = t
        .parse()
        .map_err(|_| syntax(line, format!("`{t}` is not a number")))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(syntax(line, format!("`{t}` is not finite")))
    }
}

fn to_complex(f: Format, a: f64, b: f64) -> Complex {
    match f {
        Format::Ri => Complex::new(a, b),
        Format::Ma => Complex::from_polar(a, b.to_radians()),
        Format::Db => Complex::from_polar(10f64.powf(a / 20.0), b.to_radians()),
    }
}

/// Parses a Touchstone file (version 1 or 2, see the module docs).
///
/// `ports` is the port count from the file name ([`ports_from_extension`]):
/// required for version 1 files except when the record length leaves no
/// doubt, checked against `[Number of Ports]` in version 2 files.
pub fn parse(text: &str, ports: Option<usize>) -> Result<Network, TouchstoneError> {
    let mut scan = Scan::default();
    for (i, raw) in text.lines().enumerate() {
        scan.line(i + 1, raw)?;
    }
    scan.finish(ports)
}

/// What [`parse`] gathers line by line: the keywords and options seen, and
/// every number of the network data; the records are cut at the end
/// ([`Scan::finish`]), once the port count is known.
#[derive(Default)]
struct Scan {
    opts: Option<Options>,
    version2: bool,
    v2_ports: Option<usize>,
    order_21_12: Option<bool>,
    /// `[Number of Frequencies]` and its line
    nfreq: Option<(usize, usize)>,
    matrix: MatrixFormat,
    reference: Option<Vec<f64>>,
    /// `[Reference]` values continue on the next line
    reading_reference: bool,
    in_data: bool,
    /// in noise data or an information block
    skipping: bool,
    ended: bool,
    /// (value, line) of every number of the network data
    tokens: Vec<(f64, usize)>,
    /// index in `tokens` where each data line starts (records start lines;
    /// version 1 2-port noise detection)
    line_starts: Vec<usize>,
    first_line: Option<usize>,
}

impl Scan {
    /// One line of the file (1-based `line`).
    fn line(&mut self, line: usize, raw: &str) -> Result<(), TouchstoneError> {
        let body = raw.split('!').next().unwrap_or("").trim();
        if body.is_empty() || self.ended {
            return Ok(());
        }
        if self.first_line.is_none() {
            self.first_line = Some(line);
        }
        if let Some(kw) = body.strip_prefix('[') {
            return self.keyword_line(line, kw);
        }
        if self.skipping {
            return Ok(());
        }
        if let Some(rest) = body.strip_prefix('#') {
            // only the first option line counts
            if self.opts.is_none() {
                self.opts = Some(parse_option_line(line, rest)?);
            }
            return Ok(());
        }
        if self.reading_reference {
            return self.reference_values(line, body);
        }
        self.data_line(line, body)
    }

    /// A `[Keyword] rest` line (`kw` is the text after `[`).
    fn keyword_line(&mut self, line: usize, kw: &str) -> Result<(), TouchstoneError> {
        let (name, rest) = kw
            .split_once(']')
            .ok_or_else(|| syntax(line, "keyword without `]`"))?;
        let name = name.trim().to_ascii_lowercase();
        self.reading_reference = false;
        if self.skipping && name != "end information" && name != "end" {
            return Ok(());
        }
        self.keyword(line, &name, rest.trim())
    }

    fn keyword(&mut self, line: usize, name: &str, rest: &str) -> Result<(), TouchstoneError> {
        match name {
            "version" => self.version(line, rest)?,
            "number of ports" => self.v2_ports = Some(port_count(line, rest)?),
            "two-port data order" => self.order_21_12 = Some(data_order_21_12(line, rest)?),
            "number of frequencies" => {
                let n: usize = rest
                    .parse()
                    .map_err(|_| syntax(line, format!("frequency count `{rest}`")))?;
                self.nfreq = Some((n, line));
            }
            "number of noise frequencies" => {}
            "reference" => {
                self.reference = Some(Vec::new());
                self.reference_values(line, rest)?;
            }
            "matrix format" => self.matrix = matrix_format(line, rest)?,
            "mixed-mode order" => {
                return Err(TouchstoneError::Unsupported {
                    line,
                    msg: "mixed-mode data".into(),
                })
            }
            "network data" => self.network_data(line)?,
            "noise data" => {
                self.in_data = false;
                self.skipping = true;
            }
            "begin information" => self.skipping = true,
            "end information" => self.skipping = false,
            "end" => self.ended = true,
            _ => return Err(syntax(line, format!("unknown keyword `[{name}]`"))),
        }
        Ok(())
    }

    fn version(&mut self, line: usize, rest: &str) -> Result<(), TouchstoneError> {
        if self.first_line != Some(line) {
            return Err(syntax(line, "[Version] must be the first line"));
        }
        if !rest.starts_with('2') {
            return Err(TouchstoneError::Unsupported {
                line,
                msg: format!("version `{rest}`"),
            });
        }
        self.version2 = true;
        Ok(())
    }

    /// `[Reference]` values, on its line or the following ones, until there
    /// is one per port (as far as the port count is known).
    fn reference_values(&mut self, line: usize, text: &str) -> Result<(), TouchstoneError> {
        let r = self.reference.get_or_insert_with(Vec::new);
        for t in text.split_whitespace() {
            r.push(num(line, t)?);
        }
        self.reading_reference = r.len() < self.v2_ports.unwrap_or(usize::MAX);
        Ok(())
    }

    fn network_data(&mut self, line: usize) -> Result<(), TouchstoneError> {
        if !self.version2 {
            return Err(syntax(line, "[Network Data] without [Version] 2.0"));
        }
        if self.opts.is_none() {
            return Err(syntax(line, "[Network Data] before the option line"));
        }
        self.in_data = true;
        Ok(())
    }

    /// A line of numbers of the network data.
    fn data_line(&mut self, line: usize, body: &str) -> Result<(), TouchstoneError> {
        if self.version2 && !self.in_data {
            return Err(syntax(line, "data outside [Network Data]"));
        }
        if self.opts.is_none() {
            // version 1 files without an option line use the defaults
            self.opts = Some(parse_option_line(line, "")?);
        }
        self.line_starts.push(self.tokens.len());
        for t in body.split_whitespace() {
            self.tokens.push((num(line, t)?, line));
        }
        Ok(())
    }

    /// The network, from everything read.
    fn finish(self, ports: Option<usize>) -> Result<Network, TouchstoneError> {
        let opts = self.opts.as_ref().ok_or(TouchstoneError::NoData)?;
        if self.tokens.is_empty() {
            return Err(TouchstoneError::NoData);
        }
        let n = self.port_count(ports)?;
        let (freqs, s) = self.records(n, opts)?;
        if let Some((want, line)) = self.nfreq {
            if want != freqs.len() {
                return Err(syntax(
                    line,
                    format!(
                        "[Number of Frequencies] {want} but {} in the data",
                        freqs.len()
                    ),
                ));
            }
        }
        let z0 = self.impedances(n, opts.z0)?;
        Ok(Network {
            ports: n,
            z0,
            freqs,
            s,
        })
    }

    /// The port count: `[Number of Ports]` (version 2, checked against the
    /// file name's), the file name's, or the one the layout implies.
    fn port_count(&self, ports: Option<usize>) -> Result<usize, TouchstoneError> {
        if !self.version2 {
            return match ports {
                Some(n) => Ok(n),
                None => infer_ports(&self.tokens, &self.line_starts),
            };
        }
        let n = self.v2_ports.ok_or_else(|| {
            TouchstoneError::Ports("version 2 file without [Number of Ports]".into())
        })?;
        if let Some(h) = ports {
            if h != n {
                return Err(TouchstoneError::Ports(format!(
                    "[Number of Ports] {n} but the file name says {h}"
                )));
            }
        }
        if n == 2 && self.order_21_12.is_none() {
            return Err(TouchstoneError::Ports(
                "2-port version 2 file without [Two-Port Data Order]".into(),
            ));
        }
        Ok(n)
    }

    /// Cuts the numbers into records of an `n`-port: frequencies in Hz and
    /// the row-major matrices.
    #[allow(clippy::type_complexity)]
    fn records(
        &self,
        n: usize,
        opts: &Options,
    ) -> Result<(Vec<f64>, Vec<Vec<Complex>>), TouchstoneError> {
        let tokens = &self.tokens;
        let last_line = tokens.last().map(|t| t.1).unwrap_or(0);
        let triangle = self.version2 && self.matrix != MatrixFormat::Full;
        // values per record after the frequency (checked: a port count whose record
        // length overflows was found while writing the fuzz target; it panicked, or
        // wrapped to empty records)
        let per = if triangle {
            n.checked_add(1).and_then(|m| m.checked_mul(n))
        } else {
            n.checked_mul(n).and_then(|nn| nn.checked_mul(2))
        }
        .ok_or_else(|| TouchstoneError::Ports(format!("{n} ports is too many for any file")))?;
        let mut freqs: Vec<f64> = Vec::new();
        let mut s = Vec::new();
        let mut pos = 0;
        while pos < tokens.len() {
            let (f, fline) = tokens[pos];
            let Ok(li) = self.line_starts.binary_search(&pos) else {
                return Err(syntax(
                    fline,
                    format!("a frequency record must start a line (is the port count {n} right?)"),
                ));
            };
            if let Some(&prev) = freqs.last() {
                if f * opts.unit <= prev {
                    if !self.version2 && n == 2 && self.noise_from(li) {
                        break;
                    }
                    return Err(syntax(fline, "frequencies must increase"));
                }
            }
            if f < 0.0 {
                return Err(syntax(fline, "negative frequency"));
            }
            if pos + 1 + per > tokens.len() {
                return Err(syntax(
                    last_line,
                    format!(
                        "incomplete record at {f}: {} of {per} values (is the port count {n} right?)",
                        tokens.len() - pos - 1
                    ),
                ));
            }
            let vals = &tokens[pos + 1..pos + 1 + per];
            s.push(if triangle {
                triangle_matrix(vals, n, self.matrix, opts.format)
            } else {
                self.full_matrix(vals, n, opts.format)
            });
            freqs.push(f * opts.unit);
            pos += 1 + per;
        }
        Ok((freqs, s))
    }

    /// True when the data lines from the `li`-th on are version 1 noise
    /// parameters: five numbers a line.
    fn noise_from(&self, li: usize) -> bool {
        let starts = &self.line_starts;
        starts[li..]
            .iter()
            .enumerate()
            .all(|(i, &s)| starts.get(li + i + 1).copied().unwrap_or(self.tokens.len()) - s == 5)
    }

    /// A full matrix record, row-major except for the 2-port orders `21_12`
    /// (and every version 1 2-port).
    fn full_matrix(&self, vals: &[(f64, usize)], n: usize, format: Format) -> Vec<Complex> {
        let mut m: Vec<Complex> = vals
            .chunks(2)
            .map(|c| to_complex(format, c[0].0, c[1].0))
            .collect();
        if n == 2 && (!self.version2 || self.order_21_12 == Some(true)) {
            m.swap(1, 2); // S11 S21 S12 S22 -> row-major
        }
        m
    }

    /// The reference impedance of each port.
    fn impedances(&self, n: usize, z0: f64) -> Result<Vec<f64>, TouchstoneError> {
        match &self.reference {
            Some(r) if self.version2 && !r.is_empty() => {
                if r.len() != n {
                    return Err(TouchstoneError::Ports(format!(
                        "[Reference] has {} impedances for {n} ports",
                        r.len()
                    )));
                }
                Ok(r.clone())
            }
            _ => Ok(vec![z0; n]),
        }
    }
}

fn port_count(line: usize, rest: &str) -> Result<usize, TouchstoneError> {
    let n: usize = rest
        .parse()
        .map_err(|_| syntax(line, format!("port count `{rest}`")))?;
    if n == 0 {
        return Err(syntax(line, "zero ports"));
    }
    Ok(n)
}

/// `[Two-Port Data Order]`: true for `21_12` (the version 1 order).
fn data_order_21_12(line: usize, rest: &str) -> Result<bool, TouchstoneError> {
    match rest {
        "12_21" => Ok(false),
        "21_12" => Ok(true),
        _ => Err(syntax(line, format!("data order `{rest}`"))),
    }
}

fn matrix_format(line: usize, rest: &str) -> Result<MatrixFormat, TouchstoneError> {
    match rest.to_ascii_lowercase().as_str() {
        "full" => Ok(MatrixFormat::Full),
        "lower" => Ok(MatrixFormat::Lower),
        "upper" => Ok(MatrixFormat::Upper),
        _ => Err(syntax(line, format!("matrix format `{rest}`"))),
    }
}

/// A `Lower` or `Upper` triangle record, the other triangle filled by symmetry.
fn triangle_matrix(
    vals: &[(f64, usize)],
    n: usize,
    matrix: MatrixFormat,
    format: Format,
) -> Vec<Complex> {
    let mut m = vec![Complex::new(0.0, 0.0); n * n];
    let mut it = vals.chunks(2);
    for i in 0..n {
        let js = if matrix == MatrixFormat::Lower {
            0..i + 1
        } else {
            i..n
        };
        for j in js {
            let c = it.next().expect("counted");
            let z = to_complex(format, c[0].0, c[1].0);
            m[i * n + j] = z;
            m[j * n + i] = z;
        }
    }
    m
}

/// The port count of a version 1 file without one: the `n` whose record
/// layout matches the file's lines exactly, if exactly one does. A record is
/// one line for 1- and 2-ports; for `n >= 3` each matrix row starts a new line
/// and holds at most four values per line, the first line also holding the
/// frequency (the layout the specification prescribes). A 2-port's noise
/// lines (five numbers) may follow its records.
fn infer_ports(tokens: &[(f64, usize)], line_starts: &[usize]) -> Result<usize, TouchstoneError> {
    let lens: Vec<usize> = line_starts
        .iter()
        .enumerate()
        .map(|(i, &s)| line_starts.get(i + 1).copied().unwrap_or(tokens.len()) - s)
        .collect();
    let fits = |n: usize| {
        let mut pattern = Vec::new();
        if n <= 2 {
            pattern.push(1 + 2 * n * n);
        } else {
            for row in 0..n {
                let mut left = n;
                let mut first = true;
                while left > 0 {
                    let c = left.min(4);
                    pattern.push(2 * c + usize::from(row == 0 && first));
                    left -= c;
                    first = false;
                }
            }
        }
        let mut i = 0;
        let mut records = 0;
        while i + pattern.len() <= lens.len() && lens[i..i + pattern.len()] == pattern[..] {
            i += pattern.len();
            records += 1;
        }
        let rest_is_noise = n == 2 && lens[i..].iter().all(|&l| l == 5);
        records > 0 && (i == lens.len() || rest_is_noise)
    };
    let ok: Vec<usize> = (1..=16).filter(|&n| fits(n)).collect();
    match ok.as_slice() {
        [n] => Ok(*n),
        [] => Err(TouchstoneError::Ports(
            "cannot tell the port count from the layout: give it (from the .sNp extension)".into(),
        )),
        _ => Err(TouchstoneError::Ports(format!(
            "port count ambiguous ({ok:?}): give it (from the .sNp extension)"
        ))),
    }
}

/// In-place FFT of `x` (any length, by `rustfft`); `inverse` uses `e^{+j}`
/// and does not scale.
pub fn fft(x: &mut [Complex], inverse: bool) {
    let mut planner = rustfft::FftPlanner::new();
    let plan = if inverse {
        planner.plan_fft_inverse(x.len())
    } else {
        planner.plan_fft_forward(x.len())
    };
    plan.process(x);
}

/// A pulse response with the oversampled waveform it was sampled from.
#[derive(Clone, Debug, PartialEq)]
pub struct PulseDetail {
    /// the pulse at one sample per UI
    pub pulse: Pulse,
    /// the response over the trimmed span at `samples_per_ui` per UI, with
    /// `oversampled[oversampled_main]` the main cursor
    pub oversampled: Vec<f64>,
    /// the index of the main cursor in `oversampled` (two UIs of margin
    /// before the taps' span: `(main + 2) * samples_per_ui`, unless the
    /// window leaves no room)
    pub oversampled_main: usize,
    /// samples per UI of `oversampled`
    pub samples_per_ui: usize,
}

/// The pulse response at one sample per UI of the transfer function `h`
/// (`(Hz, H)`, increasing frequencies), for `baud` symbols per second,
/// computed at `samples_per_ui` (a power of two, 1 to 256) samples per UI:
/// see the module docs.
pub fn pulse_response(
    h: &[(f64, Complex)],
    baud: f64,
    samples_per_ui: usize,
) -> Result<Pulse, TouchstoneError> {
    pulse_response_detail(h, baud, samples_per_ui).map(|d| d.pulse)
}

/// [`pulse_response`] with the oversampled waveform, for plots.
pub fn pulse_response_detail(
    h: &[(f64, Complex)],
    baud: f64,
    samples_per_ui: usize,
) -> Result<PulseDetail, TouchstoneError> {
    let bad = |m: String| Err(TouchstoneError::Pulse(m));
    if !(baud.is_finite() && baud > 0.0) {
        return bad(format!("baud {baud}"));
    }
    let sps = samples_per_ui;
    if !(sps.is_power_of_two() && sps <= 256) {
        return bad(format!("{sps} samples per UI (a power of two up to 256)"));
    }
    if h.is_empty() {
        return bad("no frequencies".into());
    }
    for w in h.windows(2) {
        if w[1].0 <= w[0].0 {
            return bad(format!("frequencies not increasing at {} Hz", w[1].0));
        }
    }
    if h.iter()
        .any(|(f, z)| !(f.is_finite() && *f >= 0.0 && z.is_finite()))
    {
        return bad("non-finite or negative value".into());
    }
    let f_end = h[h.len() - 1].0;
    if f_end < 0.5 * baud {
        return bad(format!(
            "the data stop at {} GHz, below the Nyquist frequency {} GHz of {} GBd",
            f_end / 1e9,
            0.5 * baud / 1e9,
            baud / 1e9
        ));
    }
    // magnitude and unwrapped phase at the file's frequencies
    let mut mag = Vec::with_capacity(h.len());
    let mut ph = Vec::with_capacity(h.len());
    for (i, (_, z)) in h.iter().enumerate() {
        mag.push(z.norm());
        let p = z.arg();
        if i == 0 {
            ph.push(p);
        } else {
            let prev: f64 = ph[i - 1];
            let d = (p - prev + PI).rem_euclid(2.0 * PI) - PI;
            ph.push(prev + d);
        }
    }
    let dt = 1.0 / (baud * sps as f64);
    let min_step = h
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .fold(f64::INFINITY, f64::min);
    let window = if min_step.is_finite() {
        1.0 / min_step
    } else {
        0.0
    };
    let uis = (window * baud).ceil().max(256.0) as usize;
    let n = (uis.next_power_of_two() * sps).min(MAX_FFT);
    let df = 1.0 / (n as f64 * dt);
    let t = 1.0 / baud;
    let (f_first, f_last) = (h[0].0, h[h.len() - 1].0);
    let last_delay = if h.len() >= 2 {
        let k = h.len() - 1;
        (ph[k] - ph[k - 1]) / (h[k].0 - h[k - 1].0)
    } else {
        0.0
    };
    let roll = 0.25 * f_last;
    let interp = |f: f64| -> Complex {
        let (m, p) = if f <= f_first {
            let p = if f_first > 0.0 {
                ph[0] * f / f_first
            } else {
                ph[0]
            };
            (mag[0], p)
        } else if f >= f_last {
            let x = (f - f_last) / roll;
            if x >= 1.0 {
                return Complex::new(0.0, 0.0);
            }
            (
                mag[mag.len() - 1] * 0.5 * (1.0 + (PI * x).cos()),
                ph[ph.len() - 1] + last_delay * (f - f_last),
            )
        } else {
            let i = h.partition_point(|(fi, _)| *fi <= f) - 1;
            let a = (f - h[i].0) / (h[i + 1].0 - h[i].0);
            (
                mag[i] + a * (mag[i + 1] - mag[i]),
                ph[i] + a * (ph[i + 1] - ph[i]),
            )
        };
        Complex::from_polar(m, p)
    };
    let mut x = vec![Complex::new(0.0, 0.0); n];
    for k in 0..=n / 2 {
        let f = k as f64 * df;
        let hz = interp(f);
        // 1-UI rectangular pulse: T sinc(fT) e^{-j pi f T}
        let s = if k == 0 {
            t
        } else {
            (PI * f * t).sin() / (PI * f)
        };
        let v = hz * Complex::from_polar(s, -PI * f * t);
        if k == 0 || k == n / 2 {
            // DC and the Nyquist bin (its own conjugate partner) are real
            x[k] = Complex::new(v.re, 0.0);
        } else {
            x[k] = v;
            x[n - k] = v.conj();
        }
    }
    fft(&mut x, true);
    let p: Vec<f64> = x.iter().map(|z| z.re * df).collect();
    let peak = (0..n)
        .max_by(|&a, &b| p[a].total_cmp(&p[b]))
        .expect("n > 0");
    if p[peak] <= 0.0 {
        return bad("the response has no positive peak".into());
    }
    let uis = n / sps;
    let phase = peak % sps;
    let main_ui = peak / sps;
    // taps circularly around the main cursor: a quarter before, the rest after
    let pre = uis / 4;
    let tap =
        |k: isize| p[(((main_ui as isize + k).rem_euclid(uis as isize)) as usize) * sps + phase];
    let taps_all: Vec<f64> = (-(pre as isize)..(uis - pre) as isize).map(tap).collect();
    let main = pre;
    let thr = TRIM * taps_all[main];
    let first = (0..=main)
        .find(|&i| taps_all[i].abs() >= thr)
        .unwrap_or(main);
    let last = (main..taps_all.len())
        .rev()
        .find(|&i| taps_all[i].abs() >= thr)
        .unwrap_or(main);
    let taps = taps_all[first..=last].to_vec();
    let main = main - first;
    // the oversampled waveform over the same span and two UIs more on each
    // side (within the window): the taps are trimmed at the peak's phase
    // only, and the waveform between two taps under the trim level can be
    // above it (the leading edge the PyBERT comparison found cut,
    // docs/link-model.md); the realistic link trims it sample by sample
    let pad = ((uis - taps.len()) / 2).min(2);
    let start = (peak as isize) - ((main + pad) * sps) as isize;
    let oversampled: Vec<f64> = (0..(taps.len() + 2 * pad) * sps)
        .map(|i| p[((start + i as isize).rem_euclid(n as isize)) as usize])
        .collect();
    Ok(PulseDetail {
        oversampled_main: (main + pad) * sps,
        pulse: Pulse { taps, main },
        oversampled,
        samples_per_ui: sps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> Complex {
        Complex::new(re, im)
    }

    /// Formats one complex value in `fmt` ("MA", "DB" or "RI").
    fn fmt_val(fmt: &str, z: Complex) -> String {
        let m = z.norm();
        let a = z.arg().to_degrees();
        match fmt {
            "MA" => format!("{m:.15e} {a:.15e}"),
            "DB" => format!("{:.15e} {a:.15e}", 20.0 * m.log10()),
            _ => format!("{:.15e} {:.15e}", z.re, z.im),
        }
    }

    /// A version 1 file of `ports` ports: 2-ports in the S11 S21 S12 S22
    /// order on one line, larger networks row-major, four values per line.
    fn v1(
        ports: usize,
        unit: (&str, f64),
        fmt: &str,
        freqs: &[f64],
        s: &dyn Fn(f64, usize, usize) -> Complex,
    ) -> String {
        let mut t = format!("! generated\n# {} S {fmt} R 50\n", unit.0);
        for &f in freqs {
            let order: Vec<(usize, usize)> = if ports == 2 {
                vec![(1, 1), (2, 1), (1, 2), (2, 2)]
            } else {
                (1..=ports)
                    .flat_map(|i| (1..=ports).map(move |j| (i, j)))
                    .collect()
            };
            t.push_str(&format!("{:.12e}", f / unit.1));
            for (c, (i, j)) in order.iter().enumerate() {
                if ports > 2 && c % 4 == 0 && c > 0 {
                    t.push('\n');
                }
                t.push(' ');
                t.push_str(&fmt_val(fmt, s(f, *i, *j)));
            }
            t.push_str("  ! comment after data\n");
        }
        t
    }

    /// A version 2 file, row-major data (or 21_12 for a 2-port when asked).
    fn v2(
        ports: usize,
        order_21_12: bool,
        fmt: &str,
        freqs: &[f64],
        s: &dyn Fn(f64, usize, usize) -> Complex,
    ) -> String {
        let mut t = format!("[Version] 2.0\n# MHz S {fmt} R 50\n[Number of Ports] {ports}\n");
        if ports == 2 {
            t.push_str(if order_21_12 {
                "[Two-Port Data Order] 21_12\n"
            } else {
                "[Two-Port Data Order] 12_21\n"
            });
        }
        t.push_str(&format!(
            "[Number of Frequencies] {}\n[Reference]\n{}\n[Network Data]\n",
            freqs.len(),
            vec!["50"; ports].join(" ")
        ));
        for &f in freqs {
            let mut order: Vec<(usize, usize)> = (1..=ports)
                .flat_map(|i| (1..=ports).map(move |j| (i, j)))
                .collect();
            if ports == 2 && order_21_12 {
                order.swap(1, 2);
            }
            t.push_str(&format!("{:.12e}", f / 1e6));
            for (i, j) in order {
                t.push(' ');
                t.push_str(&fmt_val(fmt, s(f, i, j)));
            }
            t.push('\n');
        }
        t.push_str("[End]\n");
        t
    }

    fn close(a: Complex, b: Complex, tol: f64) -> bool {
        (a.re - b.re).abs() <= tol && (a.im - b.im).abs() <= tol
    }

    /// Every S_ij distinct and frequency dependent.
    fn distinct(f: f64, i: usize, j: usize) -> Complex {
        let m = 0.05 + (i * 10 + j) as f64 / 100.0;
        let a = -(f / 1e9) * (i + 2 * j) as f64 * 0.3;
        c(m * a.cos(), m * a.sin())
    }

    fn check_distinct(net: &Network, freqs: &[f64], tol: f64) {
        assert_eq!(net.freqs.len(), freqs.len());
        for (k, &f) in freqs.iter().enumerate() {
            assert!(
                (net.freqs[k] - f).abs() <= 1e-6 * f,
                "{} vs {f}",
                net.freqs[k]
            );
            for i in 1..=net.ports {
                for j in 1..=net.ports {
                    assert!(
                        close(net.get(k, i, j), distinct(f, i, j), tol),
                        "S{i}{j} at {f}: {:?} vs {:?}",
                        net.get(k, i, j),
                        distinct(f, i, j)
                    );
                }
            }
        }
    }

    #[test]
    fn version1_formats_and_units_agree() {
        let freqs = [1e8, 5e8, 1.5e9, 7.25e9];
        for unit in [("Hz", 1.0), ("kHz", 1e3), ("MHz", 1e6), ("GHz", 1e9)] {
            for fmt in ["MA", "DB", "RI"] {
                let text = v1(2, unit, fmt, &freqs, &distinct);
                let net = parse(&text, Some(2)).unwrap();
                check_distinct(&net, &freqs, 1e-9);
                assert_eq!(net.z0, vec![50.0, 50.0]);
                // and without the port count: a 9-number record is a 2-port
                assert_eq!(parse(&text, None).unwrap(), net);
            }
        }
    }

    #[test]
    fn two_port_order_trap() {
        // S11 = 0.1, S21 = 0.9, S12 = 0.2, S22 = 0.3 in each file's order
        let v1 = "# GHz S RI R 50\n1 0.1 0 0.9 0 0.2 0 0.3 0\n";
        let v2_12 = "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 2\n\
                     [Two-Port Data Order] 12_21\n[Network Data]\n1 0.1 0 0.2 0 0.9 0 0.3 0\n[End]\n";
        let v2_21 = "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 2\n\
                     [Two-Port Data Order] 21_12\n[Network Data]\n1 0.1 0 0.9 0 0.2 0 0.3 0\n[End]\n";
        for text in [v1, v2_12, v2_21] {
            let net = parse(text, Some(2)).unwrap();
            assert_eq!(net.get(0, 2, 1), c(0.9, 0.0), "{text}");
            assert_eq!(net.get(0, 1, 2), c(0.2, 0.0), "{text}");
            assert_eq!(net.get(0, 2, 2), c(0.3, 0.0));
            let h = net.through(PortMap::SingleEnded).unwrap();
            assert_eq!(h, vec![(1e9, c(0.9, 0.0))]);
        }
        // generated: the same network in every layout
        let freqs = [1e9, 2e9, 3e9];
        for fmt in ["MA", "DB", "RI"] {
            check_distinct(
                &parse(&v2(2, false, fmt, &freqs, &distinct), None).unwrap(),
                &freqs,
                1e-9,
            );
            check_distinct(
                &parse(&v2(2, true, fmt, &freqs, &distinct), Some(2)).unwrap(),
                &freqs,
                1e-9,
            );
        }
        // a 2-port version 2 file must state its order
        let no_order = "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 2\n[Network Data]\n1 0.1 0 0.9 0 0.2 0 0.3 0\n";
        assert!(matches!(
            parse(no_order, None),
            Err(TouchstoneError::Ports(_))
        ));
    }

    #[test]
    fn four_port_row_major_over_several_lines() {
        let freqs = [1e9, 2e9, 4e9];
        for fmt in ["MA", "DB", "RI"] {
            let t1 = v1(4, ("GHz", 1e9), fmt, &freqs, &distinct);
            assert!(t1.lines().count() > 4 * freqs.len());
            check_distinct(&parse(&t1, Some(4)).unwrap(), &freqs, 1e-9);
            // inferred from the record length and line starts
            assert_eq!(parse(&t1, None).unwrap().ports, 4);
            check_distinct(
                &parse(&v2(4, false, fmt, &freqs, &distinct), Some(4)).unwrap(),
                &freqs,
                1e-9,
            );
        }
        // the wrong port count is refused, not misread
        let t1 = v1(4, ("GHz", 1e9), "RI", &freqs, &distinct);
        assert!(parse(&t1, Some(2)).is_err());
        assert!(matches!(
            parse(&v2(4, false, "RI", &freqs, &distinct), Some(2)),
            Err(TouchstoneError::Ports(_))
        ));
    }

    #[test]
    fn sdd21_with_both_port_maps() {
        let (a, x, r) = (c(0.8, -0.3), c(0.05, 0.02), c(0.1, 0.0));
        // lines 1->2 and 3->4 (odd in, even out), coupling 1->4 and 3->2
        let odd = move |_f: f64, i: usize, j: usize| -> Complex {
            match (i.min(j), i.max(j)) {
                (1, 2) | (3, 4) => a,
                (1, 4) | (2, 3) => x,
                _ if i == j => r,
                _ => c(0.0, 0.0),
            }
        };
        // lines 1->3 and 2->4 (pairs), coupling 1->4 and 2->3
        let pairs = move |_f: f64, i: usize, j: usize| -> Complex {
            match (i.min(j), i.max(j)) {
                (1, 3) | (2, 4) => a,
                (1, 4) | (2, 3) => x,
                _ if i == j => r,
                _ => c(0.0, 0.0),
            }
        };
        let want = a - x;
        // the other map reads the couplings as the through: -x
        let wrong = -x;
        for (s, right, other) in [
            (
                &odd as &dyn Fn(f64, usize, usize) -> Complex,
                PortMap::ODD_IN_EVEN_OUT,
                PortMap::PAIRS_IN_OUT,
            ),
            (&pairs, PortMap::PAIRS_IN_OUT, PortMap::ODD_IN_EVEN_OUT),
        ] {
            for text in [
                v1(4, ("GHz", 1e9), "RI", &[1e9, 2e9], s),
                v2(4, false, "MA", &[1e9, 2e9], s),
            ] {
                let net = parse(&text, Some(4)).unwrap();
                for (_, h) in net.through(right).unwrap() {
                    assert!(close(h, want, 1e-12), "{h:?} vs {want:?}");
                }
                for (_, h) in net.through(other).unwrap() {
                    assert!(close(h, wrong, 1e-12), "{h:?} vs {wrong:?}");
                }
            }
        }
        // the general formula on a network with every S_ij distinct
        let net = parse(&v1(4, ("GHz", 1e9), "RI", &[1e9], &distinct), Some(4)).unwrap();
        let g = |i, j| distinct(1e9, i, j);
        let h = net.through(PortMap::ODD_IN_EVEN_OUT).unwrap()[0].1;
        let e = 0.5 * (g(2, 1).re - g(2, 3).re - g(4, 1).re + g(4, 3).re);
        assert!((h.re - e).abs() < 1e-12);
        let h = net.through(PortMap::PAIRS_IN_OUT).unwrap()[0].1;
        let e = 0.5 * (g(3, 1).im - g(3, 2).im - g(4, 1).im + g(4, 2).im);
        assert!((h.im - e).abs() < 1e-12);
        // bad maps
        let two = parse("# GHz S RI\n1 0 0 1 0 1 0 0 0\n", Some(2)).unwrap();
        assert!(two.through(PortMap::PAIRS_IN_OUT).is_err());
        let dup = PortMap::Differential {
            inp: (1, 1),
            out: (2, 3),
        };
        assert!(net.through(dup).is_err());
        assert_eq!(PortMap::parse("1,3 -> 2,4"), Some(PortMap::ODD_IN_EVEN_OUT));
        assert_eq!(PortMap::parse("12-34"), Some(PortMap::PAIRS_IN_OUT));
        assert_eq!(PortMap::parse("S21"), Some(PortMap::SingleEnded));
        assert_eq!(PortMap::parse("1,4->2,3"), None);
    }

    #[test]
    fn version2_details() {
        // lower-triangular matrix, reference per port on the next line,
        // information and noise blocks skipped, keywords in any case
        let text = "[Version] 2.0\n# Hz S RI R 50\n[Number of Ports] 3\n[number of frequencies] 1\n\
                    [Reference]\n50 75\n100\n[Matrix Format] Lower\n[Begin Information]\nanything\n\
                    [End Information]\n[Network Data]\n10 0.11 0 0.21 0 0.22 0\n0.31 0 0.32 0 0.33 0\n\
                    [Noise Data]\n10 1 2 3 4\n[End]\ntrailing text is ignored\n";
        let net = parse(text, Some(3)).unwrap();
        assert_eq!(net.z0, vec![50.0, 75.0, 100.0]);
        assert_eq!(net.freqs, vec![10.0]);
        assert_eq!(net.get(0, 1, 3), c(0.31, 0.0));
        assert_eq!(net.get(0, 3, 1), c(0.31, 0.0));
        assert_eq!(net.get(0, 2, 3), c(0.32, 0.0));
        // frequency count mismatch, with its line
        let bad = text.replace("frequencies] 1", "frequencies] 2");
        assert_eq!(
            parse(&bad, None),
            Err(TouchstoneError::Syntax {
                line: 4,
                msg: "[Number of Frequencies] 2 but 1 in the data".into()
            })
        );
        let mm =
            "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 4\n[Mixed-Mode Order] D2,1 D4,3\n";
        assert!(matches!(
            parse(mm, None),
            Err(TouchstoneError::Unsupported { line: 4, .. })
        ));
        let np = "[Version] 2.0\n# GHz S RI R 50\n[Network Data]\n1 0 0\n";
        assert!(matches!(parse(np, None), Err(TouchstoneError::Ports(_))));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(
            "! c\n# GHz S MA R 50\n1 0.5 0 0.5 0 0.5 0 0.5 0\n2 0.5 x 0.5 0 0.5 0 0.5 0\n",
            Some(2),
        );
        assert_eq!(
            e,
            Err(TouchstoneError::Syntax {
                line: 4,
                msg: "`x` is not a number".into()
            })
        );
        let e = parse("# GHz S MA R 50\n1 0.5 0 0.5 0 0.5 0\n", Some(2)).unwrap_err();
        assert!(matches!(e, TouchstoneError::Syntax { line: 2, .. }), "{e}");
        let e = parse("# GHz Z MA R 50\n1 0.5 0 0.5 0 0.5 0 1 0\n", Some(2)).unwrap_err();
        assert!(matches!(e, TouchstoneError::Unsupported { line: 1, .. }));
        let e = parse("# GHz S MQ R 50\n", Some(2)).unwrap_err();
        assert!(matches!(e, TouchstoneError::Syntax { line: 1, .. }));
        let e = parse("! only comments\n\n", Some(2)).unwrap_err();
        assert_eq!(e, TouchstoneError::NoData);
        // 4-port frequencies must increase
        let t = v1(4, ("GHz", 1e9), "RI", &[2e9, 1e9], &distinct);
        assert!(
            matches!(parse(&t, Some(4)), Err(TouchstoneError::Syntax { msg, .. }) if msg.contains("increase"))
        );
        assert!(e.to_string().contains("no network data"));
    }

    #[test]
    fn version1_two_port_noise_block_is_skipped() {
        let text = "# GHz S MA R 50\n1 0.1 0 0.9 -10 0.2 0 0.3 0\n2 0.1 0 0.8 -20 0.2 0 0.3 0\n\
                    ! noise parameters\n1 1.2 0.5 30 0.4\n2 1.3 0.5 40 0.4\n";
        let net = parse(text, Some(2)).unwrap();
        assert_eq!(net.freqs, vec![1e9, 2e9]);
    }

    /// Found by fuzzing (fuzz/, touchstone target): a port count whose record
    /// length overflows panicked in a debug build and, wrapped to 0 in a release
    /// build, made a network of empty matrices that `through` indexed out of bounds.
    #[test]
    fn port_count_overflowing_the_record_length_is_refused() {
        for (text, ports) in [
            ("[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 4294967296\n[Network Data]\n1 0 0\n[End]\n", None),
            ("[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 4294967296\n[Matrix Format] Lower\n[Network Data]\n1 0 0\n[End]\n", None),
            ("# GHz S RI R 50\n1 0 0\n", Some(1 << 32)),
            ("# GHz S RI R 50\n1 0 0\n", Some(usize::MAX)),
        ] {
            let e = parse(text, ports).unwrap_err();
            assert!(matches!(e, TouchstoneError::Ports(ref m) if m.contains("too many")), "{e}");
        }
    }

    #[test]
    fn extension_and_defaults() {
        assert_eq!(ports_from_extension("chan.s4p"), Some(4));
        assert_eq!(ports_from_extension("dir.v/CHAN.S2P"), Some(2));
        assert_eq!(ports_from_extension("x.s12p"), Some(12));
        assert_eq!(ports_from_extension("x.txt"), None);
        assert_eq!(ports_from_extension("s2p"), None);
        // no option line: GHz, MA
        let net = parse("1 0.1 0 0.5 90 0.2 0 0.3 0\n", Some(2)).unwrap();
        assert_eq!(net.freqs, vec![1e9]);
        assert!(close(net.get(0, 2, 1), c(0.0, 0.5), 1e-15));
    }

    #[test]
    fn fft_matches_naive_dft() {
        let n = 64;
        let x: Vec<Complex> = (0..n)
            .map(|i| c(((i * 37) % 11) as f64 - 5.0, ((i * 13) % 7) as f64 * 0.5))
            .collect();
        for inverse in [false, true] {
            let mut y = x.clone();
            fft(&mut y, inverse);
            let sign = if inverse { 1.0 } else { -1.0 };
            for (k, yk) in y.iter().enumerate() {
                let mut e = c(0.0, 0.0);
                for (i, xi) in x.iter().enumerate() {
                    let a = sign * 2.0 * PI * (i * k) as f64 / n as f64;
                    e.re += xi.re * a.cos() - xi.im * a.sin();
                    e.im += xi.re * a.sin() + xi.im * a.cos();
                }
                assert!(close(*yk, e, 1e-9), "k {k}: {yk:?} vs {e:?}");
            }
        }
    }

    const BAUD: f64 = 25e9;

    /// Frequencies 50 MHz to 4 baud.
    fn grid() -> Vec<f64> {
        (1..=2000).map(|k| k as f64 * 50e6).collect()
    }

    /// A Gaussian roll-off times a delay: |S21| = 0.5 exp(-(f/f0)^2) with
    /// f0 = 1.5 baud, an impulse response of standard deviation
    /// sigma = 1 / (pi sqrt(2) f0) = 0.15 UI, so that the pulse is
    /// `0.5 [Phi((t + T/2)/sigma) - Phi((t - T/2)/sigma)]`: 0.49957 at the
    /// centre, 2.1e-4 one UI away, less beyond. (A flat |S21| up to the last
    /// frequency would instead ring at the pulse edges, Gibbs, by some 8 %.)
    fn gauss_delay(tau: f64) -> impl Fn(f64, usize, usize) -> Complex {
        move |f: f64, i: usize, j: usize| -> Complex {
            let a = -2.0 * PI * f * tau;
            let m = 0.5 * (-(f / (1.5 * BAUD)).powi(2)).exp();
            match (i, j) {
                (2, 1) => c(m * a.cos(), m * a.sin()),
                (1, 2) => c(0.9, 0.0), // S12 != S21: the order trap
                _ => c(0.01, 0.0),
            }
        }
    }

    #[test]
    fn delayed_gaussian_channel_is_one_cursor() {
        let sigma = 0.15; // UI
        let phi = |x: f64| 1.0 - crate::stats::q(x);
        let at = |t: f64| 0.5 * (phi((t + 0.5) / sigma) - phi((t - 0.5) / sigma));
        let mut taps = Vec::new();
        // 0.37 ns and 2 UI later: the same taps
        for tau in [0.37e-9, 0.37e-9 + 2.0 / BAUD] {
            let s = gauss_delay(tau);
            for text in [
                v1(2, ("GHz", 1e9), "MA", &grid(), &s),
                v2(2, false, "DB", &grid(), &s),
            ] {
                let net = parse(&text, Some(2)).unwrap();
                let h = net.through(PortMap::SingleEnded).unwrap();
                let d = pulse_response_detail(&h, BAUD, 16).unwrap();
                let p = &d.pulse;
                let m = p.taps[p.main];
                assert!((m - at(0.0)).abs() < 2e-3, "main {m} {:?}", p.taps);
                for (i, t) in p.taps.iter().enumerate() {
                    let k = i as f64 - p.main as f64;
                    if k != 0.0 {
                        assert!((t - at(k)).abs() < 2e-3, "tap {k}: {t} in {:?}", p.taps);
                    }
                }
                assert_eq!(d.oversampled_main, (p.main + 2) * 16);
                assert_eq!(d.oversampled[d.oversampled_main], m);
                assert_eq!(d.oversampled.len(), (p.taps.len() + 4) * 16);
                taps.push(p.taps.clone());
            }
        }
        for t in &taps[1..] {
            assert_eq!(t.len(), taps[0].len());
            for (a, b) in t.iter().zip(&taps[0]) {
                assert!((a - b).abs() < 1e-3, "{t:?} vs {:?}", taps[0]);
            }
        }
    }

    #[test]
    fn rc_lowpass_has_exponential_taps() {
        // H = 1 / (1 + j 2 pi f tau), tau = 1.5 UI: taps (1 - e^{-T/tau}) e^{-kT/tau}
        let tau = 1.5 / BAUD;
        let h: Vec<(f64, Complex)> = grid()
            .into_iter()
            .map(|f| {
                let w = 2.0 * PI * f * tau;
                let d = 1.0 + w * w;
                (f, c(1.0 / d, -w / d))
            })
            .collect();
        let p = pulse_response(&h, BAUD, 32).unwrap();
        let r = (-1.0f64 / 1.5).exp();
        for k in 0..8 {
            let want = (1.0 - r) * r.powi(k as i32);
            let got = p.taps[p.main + k];
            assert!(
                (got - want).abs() < 0.01,
                "k {k}: {got} vs {want}; {:?}",
                p.taps
            );
        }
        // causal: the cursor before the main one is the rising edge, not more
        assert!(p.main <= 1, "{:?}", p);
        // DC gain one: the taps sum to about one
        let sum: f64 = p.taps.iter().sum();
        assert!((sum - 1.0).abs() < 0.02, "sum {sum}");
    }

    /// The host-channel model of `channel::lossy_pulse` (16 dB preset),
    /// written as an s2p file, gives the preset's taps.
    #[test]
    fn lossy_preset_model_through_a_file_matches_the_preset() {
        use crate::channel::{lossy_pulse, PRESET_BAUD};
        let loss_db = 16.0;
        let a_total = loss_db / (20.0 / std::f64::consts::LN_10);
        let (a_s, a_d) = (0.35 * a_total, 0.65 * a_total);
        let s = move |f_hz: f64, i: usize, j: usize| -> Complex {
            if (i, j) != (2, 1) {
                return c(0.0, 0.0);
            }
            let f = f_hz / PRESET_BAUD;
            let u = f / 0.5;
            let x = f / 0.75;
            let re = -a_s * u.sqrt() - a_d * u - (1.0 + x * x).ln();
            let im = -a_s * u.sqrt() + (2.0 * a_d / PI) * u * u.ln() - 2.0 * x.atan();
            let m = re.exp();
            c(m * im.cos(), m * im.sin())
        };
        let freqs: Vec<f64> = (1..=2125).map(|k| k as f64 * 100e6).collect();
        let net = parse(&v1(2, ("GHz", 1e9), "RI", &freqs, &s), None).unwrap();
        let ours =
            pulse_response(&net.through(PortMap::SingleEnded).unwrap(), PRESET_BAUD, 32).unwrap();
        let want = lossy_pulse(loss_db);
        assert_eq!(ours.main, want.main, "{ours:?} vs {want:?}");
        for (k, w) in want.taps.iter().enumerate() {
            let o = ours.taps.get(k).copied().unwrap_or(0.0);
            assert!(
                (o - w).abs() < 1e-3,
                "tap {k}: {o} vs {w}\n{ours:?}\n{want:?}"
            );
        }
    }

    #[test]
    fn pulse_response_refuses_bad_input() {
        let ok = vec![(1e9, c(1.0, 0.0)), (20e9, c(1.0, 0.0))];
        assert!(pulse_response(&ok, BAUD, 8).is_ok());
        assert!(pulse_response(&ok, BAUD, 512).is_err());
        let h = vec![(1e9, c(1.0, 0.0)), (2e9, c(1.0, 0.0))];
        assert!(pulse_response(&h, BAUD, 3).is_err());
        assert!(pulse_response(&h, BAUD, 0).is_err());
        assert!(pulse_response(&h, 0.0, 8).is_err());
        assert!(pulse_response(&[], BAUD, 8).is_err());
        let back = vec![(2e9, c(1.0, 0.0)), (1e9, c(1.0, 0.0))];
        assert!(pulse_response(&back, BAUD, 8).is_err());
        // data below Nyquist: refused, naming the frequencies
        let e = pulse_response(&h, BAUD, 8).unwrap_err();
        assert!(
            e.to_string()
                .contains("below the Nyquist frequency 12.5 GHz"),
            "{e}"
        );
        let nan = vec![(1e9, c(f64::NAN, 0.0)), (20e9, c(1.0, 0.0))];
        assert!(pulse_response(&nan, BAUD, 8).is_err());
    }
}
