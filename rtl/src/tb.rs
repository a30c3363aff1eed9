//! Icarus Verilog testbenches, built with [`crate::hdl`] as testbench
//! modules ([`Module::testbench`]).
//!
//! Both are synchronous: the simulation clock's power-on reset starts the
//! testbench's own registers, which drive the inputs of the device under
//! test; its outputs are sampled on the rising edge (before the edge's
//! updates), exactly where Verilator's `rxsim_cycle` copies them. So a
//! testbench here runs the same protocol as its Verilator driver, cycle for
//! cycle:
//!
//! - [`eq_testbench`] (`rxsim_tb`): the equalizer `rxdsp_eq` under the
//!   protocol of `sim::run_model` (reset, register writes, streaming under
//!   repeating valid/ready patterns); used by `sim::icarus::run_icarus`.
//! - [`device_testbench`] (`rxdsp_top_tb`): the device top `rxdsp_top` fed
//!   one byte a cycle, as `sim::device::DeviceSim::run` does.
//!
//! The stimulus comes from text files next to the compiled testbench (one
//! word a line, `$readmemh`/`$readmemb`), the results go to a text file.

use crate::hdl::{Expr, Header, LogFile, Mem, Module, Port, Radix, Ty};
use crate::RtlError;
use golden::numeric::RxFormat;

/// The equalizer testbench's module name.
pub const EQ_TB: &str = "rxsim_tb";
/// The device testbench's module name.
pub const DEVICE_TB: &str = "rxdsp_top_tb";
/// Equalizer input words, one `s_axis_tdata` word a line in hex.
pub const WORDS_FILE: &str = "words.hex";
/// The repeating "source offers a word" pattern, one bit a line.
pub const VALID_FILE: &str = "vpat.txt";
/// The repeating `m_axis_tready` pattern, one bit a line.
pub const READY_FILE: &str = "rpat.txt";
/// Register writes, one `{cfg_addr, cfg_wdata}` a line in hex.
pub const CFG_FILE: &str = "cfg.hex";
/// The equalizer testbench's output: one line `<m_axis_tdata> <m_slicer_level>
/// <m_ffe_out>` (hex) per word taken, then `cycles <n>` (the streaming
/// cycles), or `stalled <n>` when the stall limit was passed.
pub const OUT_FILE: &str = "out.txt";
/// The bytes the device receives, one a line in hex.
pub const RX_FILE: &str = "rx.hex";
/// The bytes the device sends, one a line in hex (`%02x`).
pub const TX_FILE: &str = "tx.hex";

/// Clock half period in the testbenches' time units.
const HALF_PERIOD: u32 = 5;

use crate::regen::TB as REGEN;

/// The sizes of the equalizer testbench's stimulus files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EqStimulus {
    /// input words in [`WORDS_FILE`] (= output words expected)
    pub words: usize,
    /// length of the valid pattern in [`VALID_FILE`]
    pub valid_len: usize,
    /// length of the ready pattern in [`READY_FILE`]
    pub ready_len: usize,
    /// register writes in [`CFG_FILE`]
    pub cfg_writes: usize,
}

impl EqStimulus {
    /// The stall limit in streaming cycles (the one of `sim::run_model`).
    pub fn limit(&self) -> u64 {
        let l = 1000 + 200 * self.words as u128 * (self.valid_len as u128 + self.ready_len as u128);
        l.min(u64::MAX as u128) as u64
    }
}

fn k(v: i128, ty: Ty) -> Result<Expr, RtlError> {
    Expr::konst(v, ty)
}

/// Counters and indices of the testbenches.
const COUNT: Ty = Ty::u(32);

/// A count that fits [`COUNT`] with room for one more, as a constant.
fn count(name: &'static str, n: usize) -> Result<Expr, RtlError> {
    if n >= 1 << 31 {
        return Err(RtlError::Param {
            name,
            value: n as i64,
            why: "must be below 2^31".into(),
        });
    }
    k(n as i128, COUNT)
}

/// The word of `mem` at counter `ctr` (a named register, the low bits index).
fn read_at(ctr: &Expr, mem: &Mem) -> Result<Expr, RtlError> {
    mem.read(&ctr.slice(mem.addr_bits() - 1, 0)?)
}

/// An index into a repeating pattern of `len` entries: steps when `en`,
/// wraps to 0 after the last.
fn pattern_index(m: &mut Module, name: &str, len: usize, en: &Expr) -> Result<Expr, RtlError> {
    let i = m.reg(name, COUNT, Some(0))?;
    let last = i.eq(&count("pattern length", len - 1)?)?;
    let d = Expr::mux(&last, &k(0, COUNT)?, &i.add(&k(1, COUNT)?)?)?;
    m.next(&i, &d, Some(en))?;
    Ok(i)
}

/// `value` when `valid`, else the value last offered (0 before any, also
/// during the power-on reset `por`, before the register has its reset
/// value): a data input held between valid cycles, as the Verilator
/// drivers leave it.
fn held(
    m: &mut Module,
    name: &str,
    por: &Expr,
    valid: &Expr,
    value: &Expr,
) -> Result<Expr, RtlError> {
    let q = m.reg(&format!("{name}_q"), value.ty(), Some(0))?;
    let last = Expr::mux(por, &k(0, value.ty())?, &q)?;
    let d = m.wire(name, &Expr::mux(valid, value, &last)?)?;
    m.next(&q, &d, None)?;
    Ok(d)
}

/// The device under test's reset: high on the power-on edge and the next
/// one (two reset cycles, as the Verilator drivers give).
fn dut_reset(m: &mut Module, por: &Expr) -> Result<Expr, RtlError> {
    let rst_q = m.reg("rst_q", Ty::BIT, Some(1))?;
    m.next(&rst_q, &k(0, Ty::BIT)?, None)?;
    m.wire("dut_rst", &por.or(&rst_q)?)
}

/// Instantiates the black box `top` with `ports` as `dut`: the inputs from
/// `inputs` (by port name, every input needed), every output onto a wire
/// of the port's name, returned in port order.
fn instance_dut(
    m: &mut Module,
    top: &str,
    ports: &[Port],
    inputs: &[(&str, Expr)],
) -> Result<Vec<Expr>, RtlError> {
    let mut conns: Vec<(String, Expr)> = inputs
        .iter()
        .map(|(n, e)| (n.to_string(), e.clone()))
        .collect();
    let mut outs = Vec::new();
    for p in ports.iter().filter(|p| p.dir == crate::hdl::Dir::Out) {
        let w = m.wire_decl(&p.name, p.ty)?;
        conns.push((p.name.clone(), w.clone()));
        outs.push(w);
    }
    let dut = Module::black_box(top, ports.to_vec())?;
    let c: Vec<(&str, &Expr)> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance(&dut, "dut", &c)?;
    Ok(outs)
}

fn output(ports: &[Port], outs: &[Expr], name: &str) -> Result<Expr, RtlError> {
    ports
        .iter()
        .filter(|p| p.dir == crate::hdl::Dir::Out)
        .zip(outs)
        .find(|(p, _)| p.name == name)
        .map(|(_, e)| e.clone())
        .ok_or_else(|| RtlError::Port {
            inst: "dut".into(),
            port: name.into(),
            why: "is not an output of the device under test".into(),
        })
}

/// The register writes after reset: `{cfg_addr, cfg_wdata}` from
/// [`CFG_FILE`], one a cycle. Returns `(cfg_we, cfg_addr, cfg_wdata,
/// done)`, `done` high from the cycle the last write has landed in (the
/// equalizer's `WRITE_EDGES`-th edge after it).
fn cfg_writes(
    m: &mut Module,
    dut_rst: &Expr,
    n: usize,
    aw: u32,
    dw: u32,
) -> Result<[Expr; 4], RtlError> {
    m.comment("register writes, one a cycle after reset");
    let cfg = m.rom_file("cfg", Ty::u(aw + dw), n, CFG_FILE, Radix::Hex)?;
    let ci = m.reg("ci", COUNT, Some(0))?;
    let nc = count("register writes", n)?;
    let end = count("register writes", n + crate::eq::WRITE_EDGES - 1)?;
    let we = m.wire("cfg_we", &dut_rst.not().and(&ci.lt(&nc)?)?)?;
    let step = dut_rst.not().and(&ci.lt(&end)?)?;
    m.next(&ci, &ci.add(&k(1, COUNT)?)?, Some(&step))?;
    let word = m.wire("cfg_word", &read_at(&ci, &cfg)?)?;
    let addr = Expr::mux(&we, &word.slice(aw + dw - 1, dw)?, &k(0, Ty::u(aw))?)?;
    let data = Expr::mux(&we, &word.slice(dw - 1, 0)?, &k(0, Ty::u(dw))?)?;
    let done = m.wire("cfg_done", &dut_rst.not().and(&ci.eq(&end)?)?)?;
    Ok([
        we,
        m.wire("cfg_addr", &addr)?,
        m.wire("cfg_wdata", &data)?,
        done,
    ])
}

/// The equalizer's streaming signals the testbench drives and counts.
struct Stream {
    run: Expr,
    valid: Expr,
    ready: Expr,
    inw: Expr,
    outw: Expr,
    hold: Expr,
    outw_left: Expr,
    in_time: Expr,
    cyc: Expr,
}

/// The streaming phase's sources: while `run` (after the register writes,
/// words still expected, under the stall limit), the source offers the
/// next word when it holds one or the valid pattern says so, and
/// `m_axis_tready` follows the ready pattern.
fn stream(m: &mut Module, done: &Expr, st: &EqStimulus) -> Result<Stream, RtlError> {
    m.comment("streaming: valid/ready patterns, AXI source holding an offered word");
    let vpat = m.rom_file("vpat", Ty::BIT, st.valid_len, VALID_FILE, Radix::Bin)?;
    let rpat = m.rom_file("rpat", Ty::BIT, st.ready_len, READY_FILE, Radix::Bin)?;
    let n = count("words", st.words)?;
    let inw = m.reg("inw", COUNT, Some(0))?;
    let outw = m.reg("outw", COUNT, Some(0))?;
    let cyc = m.reg("cyc", Ty::u(64), Some(0))?;
    let hold = m.reg("hold", Ty::BIT, Some(0))?;
    let outw_left = m.wire("outw_left", &outw.lt(&n)?)?;
    let limit = k(st.limit() as i128, Ty::u(64))?;
    let in_time = m.wire("in_time", &cyc.gt(&limit)?.not())?;
    let run = m.wire("run", &done.and(&outw_left)?.and(&in_time)?)?;
    let vi = pattern_index(m, "vi", st.valid_len, &run)?;
    let ri = pattern_index(m, "ri", st.ready_len, &run)?;
    let offer = hold.or(&read_at(&vi, &vpat)?)?;
    let valid = m.wire("valid", &run.and(&inw.lt(&n)?)?.and(&offer)?)?;
    let ready = m.wire("ready", &run.and(&read_at(&ri, &rpat)?)?)?;
    m.next(&cyc, &cyc.add(&k(1, Ty::u(64))?)?, Some(&run))?;
    Ok(Stream {
        run,
        valid,
        ready,
        inw,
        outw,
        hold,
        outw_left,
        in_time,
        cyc,
    })
}

/// The Icarus testbench `rxsim_tb` of the equalizer `rxdsp_eq` for `fmt` at
/// `p` samples per clock, running the protocol of `sim::run_model` cycle
/// for cycle: two reset cycles, one register write a cycle from
/// [`CFG_FILE`], then streaming: a word from [`WORDS_FILE`] is offered when
/// the source still holds an unaccepted one or [`VALID_FILE`] says so and
/// is accepted when `s_axis_tvalid && s_axis_tready`; `m_axis_tready`
/// follows [`READY_FILE`]; a word is taken (logged to [`OUT_FILE`]) when
/// `m_axis_tready && m_axis_tvalid`. Ends with `cycles <n>` once every word
/// came out, or `stalled <n>` past [`EqStimulus::limit`].
pub fn eq_testbench(fmt: &RxFormat, p: usize, st: &EqStimulus) -> Result<Module, RtlError> {
    let d = crate::design(fmt, p)?;
    let aw = crate::eq::cfg_addr_bits(fmt);
    let dw = crate::eq::cfg_data_bits(fmt);
    let iw = p as u32 * fmt.adc_bits;
    let header = Header::new(
        format!(
            "Icarus testbench of {}, the protocol of sim::run_model",
            crate::TOP
        ),
        REGEN,
    )
    .param("rtl.parallel (P)", p)
    .param("words", st.words)
    .param("valid pattern", st.valid_len)
    .param("ready pattern", st.ready_len)
    .param("register writes", st.cfg_writes);
    let mut m = Module::testbench(EQ_TB, header);
    let (clk, por) = m.sim_clock(HALF_PERIOD)?;
    let out = m.log_file("f_out", OUT_FILE)?;
    let dut_rst = dut_reset(&mut m, &por)?;
    let [cfg_we, cfg_addr, cfg_wdata, done] = cfg_writes(&mut m, &dut_rst, st.cfg_writes, aw, dw)?;
    let s = stream(&mut m, &done, st)?;
    let words = m.rom_file("words", Ty::u(iw), st.words, WORDS_FILE, Radix::Hex)?;
    let tdata = held(&mut m, "tdata", &por, &s.valid, &read_at(&s.inw, &words)?)?;
    let outs = instance_dut(
        &mut m,
        crate::TOP,
        &d.ports,
        &[
            ("clk", clk),
            ("rst", dut_rst),
            ("cfg_we", cfg_we),
            ("cfg_addr", cfg_addr),
            ("cfg_wdata", cfg_wdata),
            ("s_axis_tdata", tdata),
            ("s_axis_tvalid", s.valid.clone()),
            ("m_axis_tready", s.ready.clone()),
        ],
    )?;
    let o = |n: &str| output(&d.ports, &outs, n);
    let accepted = m.wire("accepted", &s.valid.and(&o("s_axis_tready")?)?)?;
    let taken = m.wire("taken", &s.ready.and(&o("m_axis_tvalid")?)?)?;
    m.next(&s.inw, &s.inw.add(&k(1, COUNT)?)?, Some(&accepted))?;
    m.next(&s.outw, &s.outw.add(&k(1, COUNT)?)?, Some(&taken))?;
    m.next(&s.hold, &s.valid.and(&accepted.not())?, Some(&s.run))?;
    let fields = [o("m_axis_tdata")?, o("m_slicer_level")?, o("m_ffe_out")?];
    m.log(&out, &taken, "%h %h %h\n", &fields)?;
    finish_stream(&mut m, &out, &done, &s)?;
    Ok(m)
}

/// The two ends of the equalizer testbench: every word out, or stalled.
fn finish_stream(m: &mut Module, out: &LogFile, done: &Expr, s: &Stream) -> Result<(), RtlError> {
    let cyc = std::slice::from_ref(&s.cyc);
    m.finish(
        &done.and(&s.outw_left.not())?,
        Some((out, "cycles %0d\n", cyc)),
    )?;
    let stalled = done.and(&s.outw_left)?.and(&s.in_time.not())?;
    m.finish(&stalled, Some((out, "stalled %0d\n", cyc)))
}

/// The Icarus testbench `rxdsp_top_tb` of the device top `rxdsp_top` for
/// `fmt` at `p` samples per clock, the protocol of
/// `sim::device::DeviceSim`: two reset cycles, then `cycles` cycles with
/// `tx_ready` high, the first `bytes` of them offering the next byte of
/// [`RX_FILE`] on `rx_data` (with `rx_valid`); every byte the device sends
/// (`tx_valid`) is logged to [`TX_FILE`].
pub fn device_testbench(
    fmt: &RxFormat,
    p: usize,
    bytes: usize,
    cycles: u64,
) -> Result<Module, RtlError> {
    let d = crate::top::design(fmt, p)?;
    let header = Header::new(
        format!(
            "Icarus testbench of {}, the protocol of sim::device::DeviceSim",
            crate::top::DEVICE_TOP
        ),
        REGEN,
    )
    .param("rtl.parallel (P)", p)
    .param("bytes", bytes)
    .param("cycles", cycles);
    let mut m = Module::testbench(DEVICE_TB, header);
    let (clk, por) = m.sim_clock(HALF_PERIOD)?;
    let tx = m.log_file("f_tx", TX_FILE)?;
    let dut_rst = dut_reset(&mut m, &por)?;
    let rx = m.rom_file("rx", Ty::u(8), bytes, RX_FILE, Radix::Hex)?;
    let i = m.reg("i", Ty::u(64), Some(0))?;
    let in_time = m.wire("in_time", &i.lt(&k(cycles as i128, Ty::u(64))?)?)?;
    let run = m.wire("run", &dut_rst.not().and(&in_time)?)?;
    m.next(&i, &i.add(&k(1, Ty::u(64))?)?, Some(&run))?;
    let n = k(bytes as i128, Ty::u(64))?;
    let rx_valid = m.wire("rx_valid", &run.and(&i.lt(&n)?)?)?;
    let rx_data = held(&mut m, "rx_data", &por, &rx_valid, &read_at(&i, &rx)?)?;
    let outs = instance_dut(
        &mut m,
        crate::top::DEVICE_TOP,
        &d.ports,
        &[
            ("clk", clk),
            ("rst", dut_rst.clone()),
            ("rx_data", rx_data),
            ("rx_valid", rx_valid),
            ("tx_ready", run.clone()),
        ],
    )?;
    let sent = run.and(&output(&d.ports, &outs, "tx_valid")?)?;
    m.log(&tx, &sent, "%02x\n", &[output(&d.ports, &outs, "tx_data")?])?;
    m.finish(&dut_rst.not().and(&in_time.not())?, None)?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    /// Compiles `tb` with the design files and `inputs` under `iverilog
    /// -g2005 -Wall` (no error, no warning) and runs it (no message on
    /// stderr); returns the folder, holding what the testbench wrote.
    fn run_clean(
        tb: &Module,
        files: &[(String, String)],
        inputs: &[(&str, String)],
        tag: &str,
    ) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rxdsp-tb-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut names = vec!["tb.v".to_string()];
        std::fs::write(dir.join("tb.v"), tb.emit().unwrap()).unwrap();
        for (n, t) in files {
            std::fs::write(dir.join(n), t).unwrap();
            names.push(n.clone());
        }
        for (n, t) in inputs {
            std::fs::write(dir.join(n), t).unwrap();
        }
        let out = Command::new("iverilog")
            .current_dir(&dir)
            .args(["-g2005", "-Wall", "-o", "tb.vvp", "-s", tb.name()])
            .args(&names)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.trim().is_empty(),
            "{tag}: {err}"
        );
        let out = Command::new("vvp")
            .current_dir(&dir)
            .args(["-n", "tb.vvp"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.trim().is_empty(),
            "{tag}: {err}"
        );
        dir
    }

    fn lines(n: usize, line: &str) -> String {
        format!("{line}\n").repeat(n)
    }

    /// Both testbenches compile without a warning and run to their end:
    /// every equalizer word comes out (under backpressure) and the device
    /// answers an identity read.
    #[test]
    fn testbenches_compile_without_warnings_and_run() {
        if !testkit::have_icarus() {
            return;
        }
        let fmt = RxFormat::default();
        let st = EqStimulus {
            words: 5,
            valid_len: 3,
            ready_len: 4,
            cfg_writes: 2,
        };
        let tb = eq_testbench(&fmt, 8, &st).unwrap();
        let hex_digits = (8 * fmt.adc_bits).div_ceil(4) as usize;
        let cfg_digits =
            (crate::eq::cfg_addr_bits(&fmt) + crate::eq::cfg_data_bits(&fmt)).div_ceil(4) as usize;
        let inputs = [
            (WORDS_FILE, lines(5, &"1".repeat(hex_digits))),
            (VALID_FILE, "1\n0\n1\n".into()),
            (READY_FILE, "1\n1\n0\n1\n".into()),
            (CFG_FILE, lines(2, &"0".repeat(cfg_digits))),
        ];
        let files = crate::design(&fmt, 8).unwrap().files;
        let dir = run_clean(&tb, &files, &inputs, "eq");
        let out = std::fs::read_to_string(dir.join(OUT_FILE)).unwrap();
        let v: Vec<&str> = out.lines().collect();
        assert_eq!(v.len(), 6, "{out}");
        assert!(v[..5].iter().all(|l| l.split(' ').count() == 3), "{out}");
        assert!(v[5].starts_with("cycles "), "{out}");
        std::fs::remove_dir_all(&dir).ok();

        let mut rx = vec![0u8];
        let read = proto::Frame {
            kind: proto::CMD_READ,
            seq: 0,
            payload: vec![0, 0, 1, 0],
        };
        rx.extend(read.encode());
        let hex: String = rx.iter().map(|b| format!("{b:02x}\n")).collect();
        let tb = device_testbench(&fmt, 4, rx.len(), 300).unwrap();
        let files = crate::top::design(&fmt, 4).unwrap().files;
        let dir = run_clean(&tb, &files, &[(RX_FILE, hex)], "dev");
        let tx = std::fs::read_to_string(dir.join(TX_FILE)).unwrap();
        assert!(tx.lines().count() > 4, "no answer: {tx}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_counts_are_refused() {
        let fmt = RxFormat::default();
        let st = EqStimulus {
            words: 0,
            valid_len: 1,
            ready_len: 1,
            cfg_writes: 1,
        };
        assert!(matches!(
            eq_testbench(&fmt, 8, &st),
            Err(RtlError::Testbench { .. })
        ));
        assert!(device_testbench(&fmt, 4, 0, 10).is_err());
        assert!(eq_testbench(&fmt, 3, &EqStimulus { words: 1, ..st }).is_err());
    }
}
