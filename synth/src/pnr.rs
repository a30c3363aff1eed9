//! nextpnr `--report` JSON parsing: utilization, Fmax per clock, critical paths.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::SynthError;

/// Used and available count of one kind of placement site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utilization {
    /// Sites used by the design.
    pub used: u64,
    /// Sites on the device.
    pub available: u64,
}

/// Achieved and constrained frequency of one clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockFmax {
    /// nextpnr's clock net name (for example `clk$SB_IO_IN_$glb_clk`).
    pub name: String,
    /// Achieved Fmax, MHz.
    pub achieved_mhz: f64,
    /// The `--freq` target, MHz.
    pub constraint_mhz: f64,
}

/// One timing path from the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingPath {
    /// Start point (`posedge CLK` or `<async>`).
    pub from: String,
    /// End point.
    pub to: String,
    /// Total delay, ns.
    pub delay_ns: f64,
    /// One line per segment (`type delay ns ...`; see the crate docs).
    pub segments: Vec<String>,
}

/// A parsed nextpnr report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PnrReport {
    /// Site type to utilization.
    pub utilization: BTreeMap<String, Utilization>,
    /// Fmax per clock.
    pub clocks: Vec<ClockFmax>,
    /// Critical paths, as nextpnr lists them (one per clock pair).
    pub paths: Vec<TimingPath>,
}

#[derive(Deserialize)]
struct RawReport {
    #[serde(default)]
    utilization: BTreeMap<String, Utilization>,
    #[serde(default)]
    fmax: BTreeMap<String, RawFmax>,
    #[serde(default)]
    critical_paths: Vec<RawPath>,
}

#[derive(Deserialize)]
struct RawFmax {
    achieved: f64,
    constraint: f64,
}

#[derive(Deserialize)]
struct RawPath {
    from: String,
    to: String,
    #[serde(default)]
    path: Vec<RawSegment>,
}

#[derive(Deserialize)]
struct RawSegment {
    #[serde(rename = "type")]
    ty: String,
    delay: f64,
    from: RawPin,
    to: RawPin,
    #[serde(default)]
    net: Option<String>,
}

#[derive(Deserialize)]
struct RawPin {
    cell: String,
    port: String,
}

/// One segment as a line: `routing 0.904 ns net u_mac.prod[0][10] -> CELL.D` for
/// wires, `logic 0.236 ns CELL D->F` for a path through one cell.
fn format_segment(s: &RawSegment) -> String {
    match &s.net {
        Some(net) => format!(
            "{} {:.3} ns net {} -> {}.{}",
            s.ty, s.delay, net, s.to.cell, s.to.port
        ),
        None if s.from.cell == s.to.cell => {
            format!(
                "{} {:.3} ns {} {}->{}",
                s.ty, s.delay, s.from.cell, s.from.port, s.to.port
            )
        }
        None => format!(
            "{} {:.3} ns {}.{} -> {}.{}",
            s.ty, s.delay, s.from.cell, s.from.port, s.to.cell, s.to.port
        ),
    }
}

impl PnrReport {
    /// Parse the text of nextpnr's `--report` JSON.
    pub fn parse(text: &str, what: &str) -> Result<PnrReport, SynthError> {
        let raw: RawReport = serde_json::from_str(text).map_err(|e| SynthError::Parse {
            what: what.to_string(),
            detail: e.to_string(),
        })?;
        let clocks = raw
            .fmax
            .into_iter()
            .map(|(name, f)| ClockFmax {
                name,
                achieved_mhz: f.achieved,
                constraint_mhz: f.constraint,
            })
            .collect();
        let paths = raw
            .critical_paths
            .into_iter()
            .map(|p| TimingPath {
                delay_ns: p.path.iter().map(|s| s.delay).sum(),
                segments: p.path.iter().map(format_segment).collect(),
                from: p.from,
                to: p.to,
            })
            .collect();
        Ok(PnrReport {
            utilization: raw.utilization,
            clocks,
            paths,
        })
    }

    /// The clock that belongs to the top's clock port: a clock whose `$`-separated
    /// name parts include `port` (nextpnr decorates `clk` as `clk$SB_IO_IN_$glb_clk`
    /// or `$glbnet$clk$TRELLIS_IO_IN`); else, when the design has one clock, that one.
    pub fn clock_for_port(&self, port: &str) -> Option<&ClockFmax> {
        self.clocks
            .iter()
            .find(|c| c.name == port || c.name.split('$').any(|p| p == port))
            .or(if self.clocks.len() == 1 {
                self.clocks.first()
            } else {
                None
            })
    }

    /// The register-to-register critical path of `clock` (by nextpnr name), else the
    /// longest path reported.
    pub fn critical_path(&self, clock: Option<&str>) -> Option<&TimingPath> {
        let edge = clock.map(|c| format!("posedge {c}"));
        let own = edge.as_ref().and_then(|e| {
            self.paths
                .iter()
                .find(|p| &p.from == e && &p.to == e)
                .or_else(|| {
                    self.paths
                        .iter()
                        .find(|p| p.from.ends_with(e.as_str()) && p.to.ends_with(e.as_str()))
                })
        });
        own.or_else(|| {
            self.paths
                .iter()
                .max_by(|a, b| a.delay_ns.total_cmp(&b.delay_ns))
        })
    }
}
