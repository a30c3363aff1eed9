//! The ECP5 PLL (`EHXPLLL`) that lets a board run the device faster than its
//! oscillator: the settings search ([`Pll::for_clock`]) and the board top's
//! wrapper ([`pll_top`]): the oscillator into the PLL, its output `clk_core`
//! clocking the core, the core's active-low reset held while the PLL has
//! not locked.
//!
//! ```text
//!   clk (oscillator) -> EHXPLLL -> CLKOP = clk_core -> core.clk
//!                          ^            |
//!                          +-- CLKFB <--+           (feedback from CLKOP)
//!   rst_n & LOCK ----------------------------------> core.rst_n
//! ```
//!
//! The frequencies, with feedback from `CLKOP` (Lattice FPGA-TN-02200, "ECP5
//! and ECP5-5G sysCLOCK PLL/DLL Design and Usage Guide"):
//! `f_PFD = f_IN / CLKI_DIV`, `f_CLKOP = f_PFD * CLKFB_DIV`,
//! `f_VCO = f_CLKOP * CLKOP_DIV`, each within [`LIMITS`]. The output phase is
//! 0 degrees: `CLKOP_CPHASE = CLKOP_DIV - 1`, `CLKOP_FPHASE = 0`, as Lattice's
//! tools set it. The loop-filter attributes are the ones the open ECP5 flow
//! uses for every setting (`ICP_CURRENT` 12, `LPF_RESISTOR` 8,
//! `MFG_ENABLE_FILTEROPAMP` 1, `MFG_GMCREF_SEL` 2, as nextpnr's `ecppll` emits
//! them). nextpnr derives the `clk_core` constraint from the oscillator pin's
//! `FREQUENCY` and the dividers; the `FREQUENCY_PIN_*` attributes are for
//! Lattice's tools.

use crate::hdl::{Dir, Expr, Header, Module, Param, Port, Ty};
use crate::RtlError;

/// Name of the PLL primitive.
pub const EHXPLLL: &str = "EHXPLLL";

/// Name of the PLL's output net in the wrapper: the core's clock.
pub const CORE_CLOCK: &str = "clk_core";

/// The operating ranges of the ECP5 PLL, in Hz (FPGA-TN-02200 and the ECP5
/// data sheet, FPGA-DS-02012, "sysCLOCK PLL Timing").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// input clock `f_IN`
    pub input: (f64, f64),
    /// phase detector input `f_PFD`
    pub pfd: (f64, f64),
    /// oscillator `f_VCO`
    pub vco: (f64, f64),
    /// output `f_CLKOP`
    pub output: (f64, f64),
    /// `CLKI_DIV`, `CLKFB_DIV`, `CLKOP_DIV` maxima (each from 1)
    pub max_div: (u32, u32, u32),
}

/// The ECP5 PLL's ranges.
pub const LIMITS: Limits = Limits {
    input: (8e6, 400e6),
    pfd: (3.125e6, 400e6),
    vco: (400e6, 800e6),
    output: (3.125e6, 400e6),
    max_div: (128, 80, 128),
};

/// One setting of the PLL: the dividers for an input of `in_hz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pll {
    /// the oscillator's frequency, Hz
    pub in_hz: u64,
    /// input divider `CLKI_DIV`
    pub clki_div: u32,
    /// feedback divider `CLKFB_DIV` (feedback from `CLKOP`)
    pub clkfb_div: u32,
    /// output divider `CLKOP_DIV`
    pub clkop_div: u32,
}

fn within(v: f64, (lo, hi): (f64, f64)) -> bool {
    v >= lo && v <= hi
}

impl Pll {
    /// The setting whose output is closest to `want_hz` without exceeding
    /// it (a faster clock than asked could fail timing), from an input of
    /// `in_hz`; among equal outputs the one whose VCO is nearest the middle
    /// of its range, then the smallest dividers. Refuses an input or an
    /// output outside the PLL's ranges.
    pub fn for_clock(in_hz: u64, want_hz: f64) -> Result<Pll, RtlError> {
        let l = LIMITS;
        let mhz = |r: (f64, f64)| format!("{}..{} MHz", r.0 / 1e6, r.1 / 1e6);
        if !within(in_hz as f64, l.input) {
            return Err(RtlError::Param {
                name: "PLL input clock (Hz)",
                value: in_hz as i64,
                why: format!("the ECP5 PLL takes {}", mhz(l.input)),
            });
        }
        if !(want_hz.is_finite() && within(want_hz, l.output)) {
            return Err(RtlError::Param {
                name: "PLL output clock (Hz)",
                value: if want_hz.is_finite() {
                    want_hz as i64
                } else {
                    -1
                },
                why: format!("the ECP5 PLL's output runs at {}", mhz(l.output)),
            });
        }
        let mid = (l.vco.0 + l.vco.1) / 2.0;
        let mut best: Option<(Pll, f64, f64)> = None;
        for clki_div in 1..=l.max_div.0 {
            let pfd = in_hz as f64 / clki_div as f64;
            if !within(pfd, l.pfd) {
                continue;
            }
            for clkfb_div in 1..=l.max_div.1 {
                let p0 = Pll {
                    in_hz,
                    clki_div,
                    clkfb_div,
                    clkop_div: 1,
                };
                let out = p0.out_hz();
                if out > want_hz || !within(out, l.output) {
                    continue;
                }
                for clkop_div in 1..=l.max_div.2 {
                    let p = Pll { clkop_div, ..p0 };
                    let vco = p.vco_hz();
                    if !within(vco, l.vco) {
                        continue;
                    }
                    let better = match &best {
                        None => true,
                        Some((_, bo, bv)) => {
                            out > *bo || (out == *bo && (vco - mid).abs() < (bv - mid).abs())
                        }
                    };
                    if better {
                        best = Some((p, out, vco));
                    }
                }
            }
        }
        best.map(|(p, _, _)| p).ok_or_else(|| RtlError::Param {
            name: "PLL output clock (Hz)",
            value: want_hz as i64,
            why: format!(
                "no ECP5 PLL setting from {} MHz reaches it (VCO {})",
                in_hz as f64 / 1e6,
                mhz(l.vco)
            ),
        })
    }

    /// The output frequency `f_IN * CLKFB_DIV / CLKI_DIV`, Hz.
    pub fn out_hz(&self) -> f64 {
        (self.in_hz as f64 * self.clkfb_div as f64) / self.clki_div as f64
    }

    /// The request, in MHz, that gives this setting back from
    /// [`Pll::for_clock`]: the output rounded up to 1 kHz (rounding down
    /// could fall below the setting and pick the one under it; no other
    /// output lies within 1 kHz above, as outputs differ by at least
    /// `f_IN / CLKI_DIV^2 >= 3.125 MHz^2 / f_IN`).
    pub fn request_mhz(&self) -> f64 {
        (self.out_hz() / 1e3).ceil() / 1e3
    }

    /// The output frequency rounded to a whole Hz (what the UART divides).
    pub fn out_hz_round(&self) -> u64 {
        self.out_hz().round() as u64
    }

    /// The oscillator's frequency `f_CLKOP * CLKOP_DIV`, Hz.
    pub fn vco_hz(&self) -> f64 {
        self.out_hz() * self.clkop_div as f64
    }

    /// The phase detector's input `f_IN / CLKI_DIV`, Hz.
    pub fn pfd_hz(&self) -> f64 {
        self.in_hz as f64 / self.clki_div as f64
    }

    /// Whether every frequency and divider is within the PLL's ranges.
    pub fn is_valid(&self) -> bool {
        let l = LIMITS;
        (1..=l.max_div.0).contains(&self.clki_div)
            && (1..=l.max_div.1).contains(&self.clkfb_div)
            && (1..=l.max_div.2).contains(&self.clkop_div)
            && within(self.in_hz as f64, l.input)
            && within(self.pfd_hz(), l.pfd)
            && within(self.vco_hz(), l.vco)
            && within(self.out_hz(), l.output)
    }

    /// The primitive's parameters: `CLKOP` only, 0 degrees, fed back from
    /// `CLKOP`, no dynamic phase, standby or reset.
    pub fn params(&self) -> Vec<(&'static str, Param)> {
        let int = |v: u32| Param::Int(v as i64);
        vec![
            ("PLLRST_ENA", Param::str("DISABLED")),
            ("INTFB_WAKE", Param::str("DISABLED")),
            ("STDBY_ENABLE", Param::str("DISABLED")),
            ("DPHASE_SOURCE", Param::str("DISABLED")),
            ("OUTDIVIDER_MUXA", Param::str("DIVA")),
            ("CLKOP_ENABLE", Param::str("ENABLED")),
            ("CLKI_DIV", int(self.clki_div)),
            ("CLKFB_DIV", int(self.clkfb_div)),
            ("CLKOP_DIV", int(self.clkop_div)),
            ("CLKOP_CPHASE", int(self.clkop_div - 1)),
            ("CLKOP_FPHASE", int(0)),
            ("FEEDBK_PATH", Param::str("CLKOP")),
        ]
    }

    /// The instance's attributes: the pin frequencies (MHz) and the loop
    /// filter.
    pub fn attrs(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "FREQUENCY_PIN_CLKI",
                format!("{:.6}", self.in_hz as f64 / 1e6),
            ),
            ("FREQUENCY_PIN_CLKOP", format!("{:.6}", self.out_hz() / 1e6)),
            ("ICP_CURRENT", "12".into()),
            ("LPF_RESISTOR", "8".into()),
            ("MFG_ENABLE_FILTEROPAMP", "1".into()),
            ("MFG_GMCREF_SEL", "2".into()),
        ]
    }
}

impl std::fmt::Display for Pll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} MHz x {} / {} = {:.3} MHz, CLKOP_DIV {}, VCO {:.1} MHz",
            self.in_hz as f64 / 1e6,
            self.clkfb_div,
            self.clki_div,
            self.out_hz() / 1e6,
            self.clkop_div,
            self.vco_hz() / 1e6
        )
    }
}

/// The `EHXPLLL` inputs the wrapper ties low: no reset, standby, dynamic
/// phase or wake-up, `CLKOP` always enabled.
pub const TIED_LOW: [&str; 9] = [
    "RST",
    "STDBY",
    "PHASESEL0",
    "PHASESEL1",
    "PHASEDIR",
    "PHASESTEP",
    "PHASELOADREG",
    "PLLWAKESYNC",
    "ENCLKOP",
];

/// The `EHXPLLL` black box with the ports [`pll_top`] connects: inputs
/// `CLKI`, `CLKFB` and [`TIED_LOW`], outputs `CLKOP` and `LOCK`.
pub fn ehxplll_box() -> Result<Module, RtlError> {
    let port = |name: &str, dir: Dir| Port {
        name: name.into(),
        dir,
        ty: Ty::BIT,
        doc: String::new(),
    };
    let mut ports = vec![port("CLKI", Dir::In), port("CLKFB", Dir::In)];
    ports.extend(TIED_LOW.iter().map(|n| port(n, Dir::In)));
    ports.push(port("CLKOP", Dir::Out));
    ports.push(port("LOCK", Dir::Out));
    Module::black_box(EHXPLLL, ports)
}

/// The wrapper `name` around `core`: the same ports as `core`, its `clk`
/// the oscillator into an `EHXPLLL` set as `pll`, whose output
/// [`CORE_CLOCK`] clocks `core`; `core`'s active-low reset input `reset_n`
/// sees the pin ANDed with the PLL's `LOCK` (the core synchronizes it), so
/// the core stays in reset until the clock is stable. No registers of its
/// own.
pub fn pll_top(
    core: &Module,
    pll: &Pll,
    reset_n: &str,
    name: &str,
    header: Header,
) -> Result<Module, RtlError> {
    if !pll.is_valid() {
        return Err(RtlError::Param {
            name: "PLL setting",
            value: pll.clkfb_div as i64,
            why: format!("{pll} is outside the ECP5 PLL's ranges"),
        });
    }
    let find = |n: &str, dir: Dir| {
        core.ports()
            .iter()
            .find(|p| p.name == n && p.dir == dir && p.ty == Ty::BIT)
            .ok_or_else(|| RtlError::Port {
                inst: core.name().into(),
                port: n.into(),
                why: "must be a one-bit input for the PLL wrapper".into(),
            })
    };
    find("clk", Dir::In)?;
    find(reset_n, Dir::In)?;
    let mut m = Module::new(name, header);
    let mut ins: Vec<(String, Expr)> = Vec::new();
    let mut outs: Vec<(Port, Expr)> = Vec::new();
    for p in core.ports() {
        match p.dir {
            Dir::In => {
                let doc = if p.name == "clk" {
                    "the board's oscillator, into the PLL"
                } else {
                    p.doc.as_str()
                };
                ins.push((p.name.clone(), m.input(&p.name, p.ty, doc)?));
            }
            Dir::Out => {
                let w = m.wire_decl(&format!("c_{}", p.name), p.ty)?;
                outs.push((p.clone(), w));
            }
        }
    }
    let osc = &ins.iter().find(|(n, _)| n == "clk").expect("checked").1;
    let clk_core = m.wire_decl(CORE_CLOCK, Ty::BIT)?;
    let lock = m.wire_decl("pll_lock", Ty::BIT)?;
    let zero = Expr::konst(0, Ty::BIT)?;
    m.comment(&format!("PLL: {pll}"));
    let attrs = pll.attrs();
    let attrs: Vec<(&str, &str)> = attrs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let mut conns: Vec<(&str, &Expr)> = vec![("CLKI", osc), ("CLKFB", &clk_core)];
    conns.extend(TIED_LOW.iter().map(|n| (*n, &zero)));
    conns.push(("CLKOP", &clk_core));
    conns.push(("LOCK", &lock));
    m.instance_with_attrs(&ehxplll_box()?, "u_pll", &attrs, &pll.params(), &conns)?;
    m.comment("the core: clocked by the PLL, in reset until it locks");
    let rst_in = &ins.iter().find(|(n, _)| n == reset_n).expect("checked").1;
    let held = m.wire("rst_n_locked", &rst_in.and(&lock)?)?;
    let mut cc: Vec<(&str, &Expr)> = Vec::new();
    for (n, e) in &ins {
        cc.push((
            n.as_str(),
            match n.as_str() {
                "clk" => &clk_core,
                x if x == reset_n => &held,
                _ => e,
            },
        ));
    }
    for (p, w) in &outs {
        cc.push((p.name.as_str(), w));
    }
    m.instance(core, "u_core", &cc)?;
    for (p, w) in &outs {
        m.output(&p.name, w, &p.doc)?;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings used on ULX3S boards with the open flow: exact outputs.
    #[test]
    fn exact_outputs_from_25_mhz() {
        for (want, fb, ki) in [(75e6, 3, 1), (100e6, 4, 1), (50e6, 2, 1), (125e6, 5, 1)] {
            let p = Pll::for_clock(25_000_000, want).unwrap();
            assert_eq!(p.out_hz(), want, "{p}");
            assert_eq!((p.clkfb_div, p.clki_div), (fb, ki), "{p}");
            assert!(p.is_valid(), "{p}");
        }
        // 75 MHz: VCO 600 MHz, the middle of the range
        assert_eq!(Pll::for_clock(25_000_000, 75e6).unwrap().clkop_div, 8);
    }

    /// Every search result is within the ranges, never above the request,
    /// and no setting is closer from below (checked by brute force).
    #[test]
    fn search_is_closest_from_below_and_valid() {
        for in_hz in [12_000_000u64, 25_000_000] {
            for want in [5e6, 33.3e6, 58.0e6, 77.7e6, 90.1e6, 133.0e6, 399.0e6] {
                let p = Pll::for_clock(in_hz, want).unwrap();
                assert!(p.is_valid() && p.out_hz() <= want, "{p}");
                let mut closest = 0.0f64;
                for clki_div in 1..=128 {
                    for clkfb_div in 1..=80 {
                        for clkop_div in 1..=128 {
                            let q = Pll {
                                in_hz,
                                clki_div,
                                clkfb_div,
                                clkop_div,
                            };
                            if q.is_valid() && q.out_hz() <= want {
                                closest = closest.max(q.out_hz());
                            }
                        }
                    }
                }
                assert_eq!(p.out_hz(), closest, "{in_hz} Hz to {want}: {p}");
            }
        }
    }

    /// Asking for `request_mhz()` gives the same setting back, for outputs
    /// that are not whole kHz too (79.1666 MHz from 25 MHz).
    #[test]
    fn a_request_gives_its_setting_back() {
        for in_hz in [12_000_000u64, 25_000_000] {
            for want in [5e6, 33.3e6, 58.4e6, 79.66e6, 95.57e6, 133.0e6, 250.0e6] {
                let p = Pll::for_clock(in_hz, want).unwrap();
                let q = Pll::for_clock(in_hz, p.request_mhz() * 1e6).unwrap();
                assert_eq!(q.out_hz(), p.out_hz(), "{p} vs {q}");
            }
        }
        let p = Pll::for_clock(25_000_000, 79.66e6).unwrap();
        assert_eq!(p.request_mhz(), 79.167, "{p}");
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        for (in_hz, want) in [
            (25_000_000u64, 500e6),
            (25_000_000, 1e6),
            (25_000_000, f64::NAN),
            (4_000_000, 50e6),
            (12_000_000, 3.2e6),
        ] {
            let e = Pll::for_clock(in_hz, want).unwrap_err().to_string();
            assert!(e.contains("ECP5 PLL"), "{e}");
        }
    }

    /// The wrapper has the core's ports, the PLL's settings and attributes,
    /// and holds the core's reset until lock.
    #[test]
    fn wrapper_ports_params_and_lock() {
        let mut core = Module::new("core", Header::new("core", "test"));
        let clk = core.clock_only().unwrap();
        let rst_n = core.input("rst_n", Ty::BIT, "reset").unwrap();
        let a = core.input("a", Ty::u(3), "a").unwrap();
        let r = core.reg_d("r", &a, None, None).unwrap();
        let _ = clk;
        core.output("y", &r, "y").unwrap();
        core.output("z", &rst_n, "z").unwrap();
        let p = Pll::for_clock(25_000_000, 75e6).unwrap();
        let top = pll_top(&core, &p, "rst_n", "top", Header::new("top", "test")).unwrap();
        let names: Vec<&str> = top.ports().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["clk", "rst_n", "a", "y", "z"]);
        let v = top.emit().unwrap();
        for s in [
            "FREQUENCY_PIN_CLKOP = \"75.000000\"",
            ".CLKFB_DIV(3)",
            ".CLKOP_DIV(8)",
            ".CLKOP_CPHASE(7)",
            ".FEEDBK_PATH(\"CLKOP\")",
            "wire rst_n_locked = (rst_n & pll_lock);",
            ".clk(clk_core)",
            ".rst_n(rst_n_locked)",
        ] {
            assert!(v.contains(s), "missing {s}:\n{v}");
        }
        let e = pll_top(&core, &p, "rst", "top", Header::new("top", "test")).unwrap_err();
        assert!(e.to_string().contains("rst"), "{e}");
    }
}
