//! The text table of a report and the PAM4 throughput helper.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::SynthReport;

/// Throughput of a PAM4 receiver taking `parallel` samples (symbols) per clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Symbols per second: P x Fmax.
    pub symbols_per_s: f64,
    /// Gigabits per second: 2 bits x P x Fmax (PAM4).
    pub gbps: f64,
}

/// Throughput of a PAM4 datapath with `parallel` symbols per clock at `fmax_mhz`.
pub fn throughput(parallel: u32, fmax_mhz: f64) -> Throughput {
    let symbols_per_s = parallel as f64 * fmax_mhz * 1e6;
    Throughput {
        symbols_per_s,
        gbps: 2.0 * symbols_per_s / 1e9,
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let head: String = s.chars().take(n.saturating_sub(3)).collect();
        format!("{head}...")
    }
}

impl SynthReport {
    /// Throughput at the reported Fmax with `parallel` symbols per clock.
    pub fn throughput(&self, parallel: u32) -> Option<Throughput> {
        self.fmax_mhz.map(|f| throughput(parallel, f))
    }

    /// A human-readable summary: resources, utilization, Fmax, blocks, critical path.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "target       {} ({}), top `{}`",
            self.target, self.device, self.top
        );
        let _ = writeln!(
            s,
            "resources    {} LUT4, {} carry, {} FF, {} DSP, {} BRAM",
            self.luts, self.carry, self.ffs, self.dsp, self.bram
        );
        if !self.utilization.is_empty() {
            let u: Vec<String> = self
                .utilization
                .iter()
                .map(|(k, u)| {
                    let pct = if u.available > 0 {
                        100.0 * u.used as f64 / u.available as f64
                    } else {
                        0.0
                    };
                    format!("{k} {}/{} ({pct:.1}%)", u.used, u.available)
                })
                .collect();
            let _ = writeln!(s, "utilization  {}", u.join(", "));
        }
        match self.fmax_mhz {
            Some(f) => {
                let verdict = if f >= self.freq_target_mhz {
                    "met"
                } else {
                    "missed"
                };
                let trust = if self.fmax_trustworthy {
                    ""
                } else {
                    " NOT TRUSTWORTHY"
                };
                let _ = writeln!(
                    s,
                    "fmax         {f:.2} MHz (target {} MHz, {verdict}){trust}",
                    self.freq_target_mhz
                );
            }
            None => {
                let _ = writeln!(s, "fmax         none (target {} MHz)", self.freq_target_mhz);
            }
        }
        if self.seed_runs.len() > 1 {
            let runs: Vec<String> = self
                .seed_runs
                .iter()
                .map(|r| match r.fmax_mhz {
                    Some(f) => format!("{}: {f:.2}", r.seed),
                    None => format!("{}: none", r.seed),
                })
                .collect();
            let _ = writeln!(s, "seeds        {} (MHz)", runs.join(", "));
        }
        for n in &self.fmax_notes {
            let _ = writeln!(s, "             note: {n}");
        }
        if self.clocks.len() > 1 {
            for c in &self.clocks {
                let _ = writeln!(s, "  clock {}: {:.2} MHz", c.name, c.achieved_mhz);
            }
        }
        if !self.per_block.is_empty() {
            let w = self
                .per_block
                .iter()
                .map(|b| b.name.len())
                .max()
                .unwrap_or(5)
                .max(5);
            let _ = writeln!(
                s,
                "{:<w$}  {:>6}  {:>6}  {:>6}  {:>4}  {:>4}  {:>4}",
                "block", "LUT4", "carry", "FF", "DSP", "BRAM", "inst"
            );
            for b in &self.per_block {
                let _ = writeln!(
                    s,
                    "{:<w$}  {:>6}  {:>6}  {:>6}  {:>4}  {:>4}  {:>4}",
                    b.name, b.luts, b.carry, b.ffs, b.dsp, b.bram, b.instances
                );
            }
        }
        if let Some(ns) = self.critical_path_ns {
            let _ = writeln!(
                s,
                "critical path {ns:.3} ns, {} segments:",
                self.critical_path.len()
            );
            for seg in &self.critical_path {
                let _ = writeln!(s, "  {}", clip(seg, 150));
            }
        }
        let tools: Vec<String> = self.tool_versions.values().cloned().collect();
        let _ = writeln!(s, "tools        {}", tools.join("; "));
        let _ = writeln!(
            s,
            "time         {:.1} s (yosys {:.1} s, nextpnr {:.1} s{})",
            self.seconds,
            self.yosys_seconds,
            self.nextpnr_seconds,
            self.router.map(|r| format!(", {r}")).unwrap_or_default()
        );
        s
    }
}
