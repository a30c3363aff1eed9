//! The synthesis harness `rxdsp_synth_top`: a pin-light wrapper that lets
//! `rxdsp synth` place a core whose ports are wider than a package has pins.
//!
//! The core's one-bit inputs (but `clk` and `rst`) and the wide inputs named
//! as pins become pins of the same name; the other wide inputs are filled
//! from one serial pin `s_in` through a shift register; every output bit is
//! registered and the registers are XOR-reduced into the registered pin
//! `m_out`, so no logic of the core can be optimised away. The outputs are
//! registered before the XOR tree, and the tree is registered after every
//! 16:1 level, so it is not charged to the core's paths. The harness costs one flip-flop per
//! serially-filled input bit and per output bit, plus the XOR tree.

use crate::hdl::{Dir, Expr, Header, Module, Port, Ty};
use crate::{regen, RtlError};
use golden::numeric::RxFormat;

/// The harness top's name.
pub const HARNESS_TOP: &str = "rxdsp_synth_top";

/// The harness around a core named `core` with the ports `ports`: the wide
/// inputs listed in `wide_pins` stay pins, the other wide inputs fill from
/// `s_in`. `header` is the file's header (see [`header`]).
pub fn build(
    core: &str,
    ports: &[Port],
    wide_pins: &[&str],
    header: Header,
) -> Result<Module, RtlError> {
    for n in wide_pins {
        if !ports.iter().any(|p| p.name == *n && p.dir == Dir::In) {
            return Err(RtlError::Port {
                inst: "u_core".into(),
                port: n.to_string(),
                why: format!("is not an input of {core}"),
            });
        }
    }
    let is_clock = |p: &Port| p.name == "clk" || p.name == "rst";
    let is_pin =
        |p: &Port| p.dir == Dir::In && (p.ty.width == 1 || wide_pins.contains(&p.name.as_str()));
    let serial: Vec<&Port> = ports
        .iter()
        .filter(|p| p.dir == Dir::In && !is_clock(p) && !is_pin(p))
        .collect();
    let sr_bits: u32 = serial.iter().map(|p| p.ty.width).sum();

    let mut m = Module::new(HARNESS_TOP, header);
    let (clk, rst) = m.clock()?;
    let s_in = if sr_bits > 0 {
        Some(m.input(
            "s_in",
            Ty::BIT,
            "serial bits, shifted into the core's wide inputs",
        )?)
    } else {
        None
    };
    let mut conns: Vec<(String, Expr)> = vec![("clk".into(), clk), ("rst".into(), rst)];
    for p in ports.iter().filter(|p| !is_clock(p) && is_pin(p)) {
        conns.push((p.name.clone(), m.input(&p.name, p.ty, &p.doc)?));
    }
    if let Some(s_in) = &s_in {
        let sr = m.reg("in_sr", Ty::u(sr_bits), None)?;
        let shifted = if sr_bits == 1 {
            s_in.clone()
        } else {
            Expr::concat(&[sr.slice(sr_bits - 2, 0)?, s_in.clone()])?
        };
        m.next(&sr, &shifted, None)?;
        let mut lo = 0;
        for p in &serial {
            let bits = sr.slice(lo + p.ty.width - 1, lo)?;
            let v = if p.ty.signed { bits.as_signed() } else { bits };
            conns.push((p.name.clone(), v));
            lo += p.ty.width;
        }
    }
    let mut outs = Vec::new();
    for p in ports.iter().filter(|p| p.dir == Dir::Out) {
        let w = m.wire_decl(&format!("o_{}", p.name), p.ty)?;
        conns.push((p.name.clone(), w.clone()));
        outs.push(w);
    }
    if outs.is_empty() {
        return Err(RtlError::Empty("outputs of the harnessed core"));
    }
    let core_box = Module::black_box(core, ports.to_vec())?;
    let c: Vec<(&str, &Expr)> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance(&core_box, "u_core", &c)?;
    m.comment("outputs registered before the XOR tree, which is not charged to the core");
    let out_q = m.reg_d("out_q", &Expr::concat(&outs)?, None, None)?;
    // the tree is registered after every 16:1 level (two LUT4 levels), so
    // at the core's clock it is never the critical path
    let mut level = out_q;
    let mut l = 0;
    while level.width() > 16 {
        let w = level.width();
        let mut parts = Vec::new();
        for lo in (0..w).step_by(16) {
            let hi = (lo + 16).min(w) - 1;
            parts.push(level.slice(hi, lo)?.reduce_xor());
        }
        parts.reverse();
        level = m.reg_d(&format!("xor_q{l}"), &Expr::concat(&parts)?, None, None)?;
        l += 1;
    }
    let m_out = m.reg_d("m_out_q", &level.reduce_xor(), None, None)?;
    m.output("m_out", &m_out, "registered XOR of every output bit")?;
    Ok(m)
}

/// The header of a harness around `core`, without parameters.
pub fn header(core: &str) -> Header {
    Header::new(
        format!("synthesis harness around {core} (pins: serial bits in, XOR of all outputs out)"),
        regen::HARNESS,
    )
}

/// The harness around the equalizer `rxdsp_eq` for `fmt` at `p` samples per
/// clock: the sample word fills from `s_in`, the configuration port
/// (`cfg_we`, `cfg_addr`, `cfg_wdata`) and the handshakes are pins.
pub fn eq_harness(fmt: &RxFormat, p: usize) -> Result<Module, RtlError> {
    let d = crate::design(fmt, p)?;
    build(
        crate::TOP,
        &d.ports,
        &["cfg_addr", "cfg_wdata"],
        eq_header(fmt, p),
    )
}

/// The harness around the adaptive equalizer (`rxdsp_eq` with the engine
/// [`crate::adapt::ENGINE`], `adapt.in_rtl`): as [`eq_harness`], and the
/// engine's sidebands (mode, known levels) fill from `s_in` too.
pub fn adapt_eq_harness(
    fmt: &RxFormat,
    p: usize,
    params: &golden::adapt::HwAdaptParams,
) -> Result<Module, RtlError> {
    let d = crate::adapt::design(fmt, p, params)?;
    build(
        crate::TOP,
        &d.ports,
        &["cfg_addr", "cfg_wdata"],
        eq_header(fmt, p)
            .param("adapt.mu_shift", params.mu_shift)
            .param("adapt.delay (D)", params.delay)
            .param("adapt.leak_shift", params.leak_shift)
            .param("adapt.block", params.block.name()),
    )
}

fn eq_header(fmt: &RxFormat, p: usize) -> Header {
    header(crate::TOP)
        .param("rtl.parallel (P)", p)
        .param("adc.bits", fmt.adc_bits)
        .param("ffe.taps (N)", fmt.ffe_taps)
        .param("dfe.taps (M)", fmt.dfe_taps)
}
