//! The two forms of the RS decoder's block RAMs (`rtl::rs::bram`) give the
//! same words at the same clocks: the behavioural form (simulation, iCE40)
//! and the ECP5 form (`DP16KD` with its output register), simulated under
//! Icarus against a model of the primitive (`tests/data/dp16kd_model.v`;
//! Yosys ships `DP16KD` only as a black box).

use rtl::hdl::{Dir, Expr, Header, Module, Port, Ty};
use rtl::rs::{bram, gf, MemForm};
use rtl::RtlError;
use std::path::{Path, PathBuf};
use std::process::Command;

fn model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dp16kd_model.v")
}

fn port(name: &str, dir: Dir, ty: Ty) -> Port {
    Port {
        name: name.into(),
        dir,
        ty,
        doc: String::new(),
    }
}

/// A testbench around `dut` (a black box of `ports`): a 64-bit xorshift
/// state `x` steps every clock; `stim` gives the inputs after `clk` from
/// it and the registers it declares (`rst`, when the DUT has it, is the
/// power-on reset); every clock from 1 to `cycles` logs
/// `fields` in decimal, one line a clock.
fn testbench(
    dut: &str,
    ports: Vec<Port>,
    cycles: usize,
    stim: impl Fn(&mut Module, &Expr) -> Result<Vec<(String, Expr)>, RtlError>,
    logged: &[&str],
) -> Result<Module, RtlError> {
    let k = |v: i128, ty: Ty| Expr::konst(v, ty);
    let mut m = Module::testbench("bram_tb", Header::new("block RAM testbench", "tests"));
    let (clk, rst) = m.sim_clock(5)?;
    let log = m.log_file("f_log", "log.txt")?;
    let x = m.reg("x", Ty::u(64), Some(0x2545_f491_4f6c_dd1d))?;
    let w1 = m.wire("w1", &x.xor(&x.shl(13))?)?;
    let w2 = m.wire("w2", &w1.xor(&w1.shr(7))?)?;
    m.next(&x, &w2.xor(&w2.shl(17))?, None)?;
    let mut conns = stim(&mut m, &x)?;
    conns.push(("clk".into(), clk.clone()));
    if ports.iter().any(|p| p.name == "rst") {
        conns.push(("rst".into(), rst));
    }
    for p in &ports {
        if p.dir == Dir::Out {
            let w = m.wire_decl(&format!("o_{}", p.name), p.ty)?;
            conns.push((p.name.clone(), w));
        }
    }
    let bb = Module::black_box(dut, ports)?;
    let c: Vec<(&str, &Expr)> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance(&bb, "dut", &c)?;
    let cyc = m.reg("cyc", Ty::u(32), Some(0))?;
    m.next(&cyc, &cyc.add(&k(1, Ty::u(32))?)?, None)?;
    let on = cyc
        .ge(&k(1, Ty::u(32))?)?
        .and(&k(cycles as i128, Ty::u(32))?.ge(&cyc)?)?;
    let args: Vec<Expr> = logged
        .iter()
        .map(|n| {
            conns
                .iter()
                .find(|(p, _)| p == n)
                .expect("a port")
                .1
                .clone()
        })
        .collect();
    let fmt = vec!["%0d"; args.len()].join(" ") + "\n";
    m.log(&log, &on, &fmt, &args)?;
    m.finish(&cyc.eq(&k(cycles as i128 + 1, Ty::u(32))?)?, None)?;
    Ok(m)
}

/// Runs `tb` with the DUT's text (and the primitive model for the ECP5
/// form) under Icarus; returns the log, one vector of fields a line
/// (`x`, an unloaded register, as `i64::MIN`).
fn run(dir: &Path, tb: &Module, dut: &str, with_model: bool) -> Vec<Vec<i64>> {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("dut.v"), dut).unwrap();
    std::fs::write(dir.join("tb.v"), tb.emit().unwrap()).unwrap();
    let mut cmd = Command::new("iverilog");
    cmd.current_dir(dir)
        .args(["-g2005", "-o", "tb.vvp", "-s", tb.name(), "tb.v", "dut.v"]);
    if with_model {
        cmd.arg(model());
    }
    let out = cmd.output().expect("iverilog runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("vvp")
        .current_dir(dir)
        .arg("tb.vvp")
        .output()
        .expect("vvp runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("MODEL:"), "primitive model refused: {text}");
    std::fs::read_to_string(dir.join("log.txt"))
        .expect("the testbench wrote log.txt")
        .lines()
        .map(|l| {
            l.split_whitespace()
                .map(|v| v.parse().unwrap_or(i64::MIN))
                .collect()
        })
        .collect()
}

fn tmp(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rxdsp-bram-{tag}-{}", std::process::id()))
}

/// The inverse table, one and two ports: both forms read every one of the
/// 1024 addresses on every port, word for word equal, each `1/a` two
/// enabled clocks after `a`; the enable is random (3 clocks in 4), and the
/// outputs hold without it.
#[test]
#[ignore = "full tier: simulates the ECP5 block RAM under Icarus (scripts/test.sh runs it)"]
fn ecp5_inverse_table_equals_the_behavioural_one() {
    if !testkit::have_icarus() {
        return;
    }
    let gf = gf::Gf::new();
    for ports in [2usize, 1] {
        let forms = [MemForm::Generic, MemForm::Ecp5].map(|f| {
            gf::build_inv(Header::new("inverse table", "tests"), ports, f)
                .unwrap()
                .emit()
                .unwrap()
        });
        assert!(forms[1].contains("DP16KD") && forms[1].contains("\"OUTREG\""));
        assert!(!forms[0].contains("DP16KD"));
        let mut ps = vec![port("clk", Dir::In, Ty::BIT), port("en", Dir::In, Ty::BIT)];
        for i in 0..ports {
            ps.push(port(&format!("a{i}"), Dir::In, Ty::u(10)));
        }
        for i in 0..ports {
            ps.push(port(&format!("y{i}"), Dir::Out, Ty::u(10)));
        }
        // the address counter steps on enabled clocks: port 0 reads 0, 1, ..,
        // port 1 reads 1023, 1022, .. (`~n`)
        let stim = |m: &mut Module, x: &Expr| {
            let en = m.wire("en", &x.slice(1, 0)?.eq(&Expr::konst(0, Ty::u(2))?)?.not())?;
            let n = m.reg("n", Ty::u(10), Some(0))?;
            m.next(&n, &n.add(&Expr::konst(1, Ty::u(10))?)?, Some(&en))?;
            let mut v = vec![("en".to_string(), en), ("a0".to_string(), n.clone())];
            if ports == 2 {
                v.push(("a1".to_string(), m.wire("a1", &n.not())?));
            }
            Ok(v)
        };
        let mut logged = vec!["en", "a0", "y0"];
        if ports == 2 {
            logged.extend(["a1", "y1"]);
        }
        let cycles = 1600;
        let name = if ports == 2 { gf::INV } else { gf::INV1 };
        let tb = testbench(name, ps, cycles, stim, &logged).unwrap();
        let dir = tmp(&format!("inv{ports}"));
        let g = run(&dir.join("generic"), &tb, &forms[0], false);
        let e = run(&dir.join("ecp5"), &tb, &forms[1], true);
        assert_eq!(g.len(), cycles);
        for (i, (a, b)) in g.iter().zip(&e).enumerate() {
            assert_eq!(a, b, "{ports}-port table, clock {}: generic vs ECP5", i + 1);
        }
        // reference: a line holds the values before its clock edge; the
        // address of an enabled line is read out after the second enabled
        // edge from it
        let enabled: Vec<&Vec<i64>> = g.iter().filter(|l| l[0] == 1).collect();
        let mut seen = vec![[false; 2]; 1024];
        for w in enabled.windows(3) {
            for p in 0..ports {
                let (a, y) = (w[0][1 + 2 * p], w[2][2 + 2 * p]);
                assert_eq!(y, gf::inv(&gf, a as u16) as i64, "1/{a}, port {p}");
                seen[a as usize][p] = true;
            }
        }
        for (a, s) in seen.iter().enumerate() {
            assert!(s[..ports].iter().all(|&b| b), "address {a} not read");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// The delay lines: a `len`-beat delay of a `width`-bit word, both forms,
/// random data and enable: the same output on every clock, equal to a chain
/// of `len` enabled registers. 18 bits wide over two blocks (depth 32) and
/// 9 bits wide (depth 2048, two blocks for 10 bits).
#[test]
#[ignore = "full tier: simulates the ECP5 block RAM under Icarus (scripts/test.sh runs it)"]
fn ecp5_delay_line_equals_the_behavioural_one() {
    if !testkit::have_icarus() {
        return;
    }
    for (width, len) in [(30u32, 20usize), (10, 1100)] {
        let forms = [MemForm::Generic, MemForm::Ecp5].map(|f| {
            let mut m = Module::new("dl", Header::new("delay line", "tests"));
            let (clk, _) = m.clock().unwrap();
            let en = m.input("en", Ty::BIT, "beat").unwrap();
            let d = m.input("d", Ty::u(width), "data").unwrap();
            let q = bram::delay_line(&mut m, f, &clk, "x", &d, &en, len).unwrap();
            m.output("q", &q, "delayed").unwrap();
            m.emit().unwrap()
        });
        assert!(forms[1].contains("DP16KD") && !forms[0].contains("DP16KD"));
        let ps = vec![
            port("clk", Dir::In, Ty::BIT),
            port("rst", Dir::In, Ty::BIT),
            port("en", Dir::In, Ty::BIT),
            port("d", Dir::In, Ty::u(width)),
            port("q", Dir::Out, Ty::u(width)),
        ];
        let stim = |m: &mut Module, x: &Expr| {
            let en = m.wire("en", &x.slice(1, 0)?.eq(&Expr::konst(0, Ty::u(2))?)?.not())?;
            let d = m.wire("d", &x.slice(width + 9, 10)?)?;
            Ok(vec![("en".to_string(), en), ("d".to_string(), d)])
        };
        let cycles = len * 2 + 1000;
        let tb = testbench("dl", ps, cycles, stim, &["en", "d", "q"]).unwrap();
        let dir = tmp(&format!("dl{width}-{len}"));
        let g = run(&dir.join("generic"), &tb, &forms[0], false);
        let e = run(&dir.join("ecp5"), &tb, &forms[1], true);
        assert_eq!(g.len(), cycles);
        // the generic memory starts unknown (x), the DP16KD at zero: equal
        // from the first word out of the line on
        let mut beats = 0;
        for (i, (a, b)) in g.iter().zip(&e).enumerate() {
            if a[2] == i64::MIN {
                assert!(beats <= len, "{width} x {len}: x after {beats} beats");
            } else {
                assert_eq!(a, b, "{width} x {len}, clock {}: generic vs ECP5", i + 1);
            }
            beats += a[0] as usize;
        }
        // reference: after the k-th enabled edge, q is d of enabled edge k - len + 1
        let mut ds = Vec::new();
        let mut checked = 0;
        for (i, l) in g.iter().enumerate() {
            if i > 0 && g[i - 1][0] == 1 && ds.len() >= len {
                assert_eq!(l[2], ds[ds.len() - len], "{width} x {len}, clock {}", i + 1);
                checked += 1;
            }
            if l[0] == 1 {
                ds.push(l[1]);
            }
        }
        assert!(checked > 500, "too few checked words: {checked}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// The emulator's memories read every clock through two registers
/// (`bram::read_twice`), both forms, the ECP5 one in the `DP16KD`'s 36-bit
/// pseudo-dual-port mode: the channel tables' shape (256 x 22, one block),
/// the noise thresholds' (512 and 64 x 64, two blocks side by side).
/// Every word is written, then rewritten at random while the reads go on
/// at random addresses (never the one being written, as the emulator's
/// contract): every clock's output equal in both forms, and equal to the
/// word written last at the address read two clocks before.
#[test]
#[ignore = "full tier: simulates the ECP5 block RAM under Icarus (scripts/test.sh runs it)"]
fn ecp5_read_twice_equals_the_behavioural_one() {
    if !testkit::have_icarus() {
        return;
    }
    for (width, depth) in [(22u32, 256usize), (64, 512), (64, 64)] {
        let ab = depth.trailing_zeros();
        let half = width.div_ceil(2);
        let forms = [MemForm::Generic, MemForm::Ecp5].map(|f| {
            let mut m = Module::new("rt", Header::new("read twice", "tests"));
            let (clk, _) = m.clock().unwrap();
            let we = m.input("we", Ty::BIT, "write").unwrap();
            let wa = m.input("wa", Ty::u(ab), "write address").unwrap();
            let d_lo = m.input("d_lo", Ty::u(half), "data, low half").unwrap();
            let d_hi = m
                .input("d_hi", Ty::u(width - half), "data, high half")
                .unwrap();
            let ra = m.input("ra", Ty::u(ab), "read address").unwrap();
            let wd = m.wire("wd", &Expr::concat(&[d_hi, d_lo]).unwrap()).unwrap();
            let mem = bram::TwiceRead {
                name: "x",
                ty: Ty::u(width),
                depth,
                we: &we,
                wa: &wa,
                wd: &wd,
                ra: &ra,
            };
            let q = bram::read_twice(&mut m, f, &clk, &mem, ["x_r", "x_o"]).unwrap();
            m.output("q_lo", &q.slice(half - 1, 0).unwrap(), "low half")
                .unwrap();
            m.output("q_hi", &q.slice(width - 1, half).unwrap(), "high half")
                .unwrap();
            m.emit().unwrap()
        });
        assert!(forms[1].contains("DP16KD") && !forms[0].contains("DP16KD"));
        assert_eq!(
            forms[1].matches("DP16KD #").count(),
            width.div_ceil(36) as usize
        );
        let mut ps = vec![port("clk", Dir::In, Ty::BIT), port("rst", Dir::In, Ty::BIT)];
        for (n, d, w) in [
            ("we", Dir::In, 1),
            ("wa", Dir::In, ab),
            ("d_lo", Dir::In, half),
            ("d_hi", Dir::In, width - half),
            ("ra", Dir::In, ab),
            ("q_lo", Dir::Out, half),
            ("q_hi", Dir::Out, width - half),
        ] {
            ps.push(port(n, d, Ty::u(w)));
        }
        // the first `depth` clocks write every word in turn, then a write in
        // two clocks at random; reads at random, never at the write's address
        let stim = |m: &mut Module, x: &Expr| {
            let k = |v: i128, w: u32| Expr::konst(v, Ty::u(w));
            let n = m.reg("n", Ty::u(32), Some(0))?;
            m.next(&n, &n.add(&k(1, 32)?)?, None)?;
            let filling = m.wire("filling", &k(depth as i128, 32)?.gt(&n)?)?;
            let rnd_we = m.wire("rnd_we", &x.bit(63)?)?;
            let we = m.wire("we", &filling.or(&rnd_we)?)?;
            let wa_r = m.wire("wa_r", &x.slice(ab + 39, 40)?)?;
            let wa = m.wire("wa", &Expr::mux(&filling, &n.slice(ab - 1, 0)?, &wa_r)?)?;
            let off = m.wire("off", &x.slice(ab + 19, 20)?)?;
            // ra = wa + off, off != 0
            let off = m.wire("off_nz", &off.or(&k(1, ab)?)?)?;
            let ra = m.wire("ra", &wa.add(&off)?)?;
            let d_lo = m.wire("d_lo", &x.slice(half - 1, 0)?)?;
            let d_hi = m.wire("d_hi", &x.slice(63, 64 - (width - half))?)?;
            Ok(vec![
                ("we".to_string(), we),
                ("wa".to_string(), wa),
                ("d_lo".to_string(), d_lo),
                ("d_hi".to_string(), d_hi),
                ("ra".to_string(), ra),
            ])
        };
        let cycles = depth + 3000;
        let logged = ["we", "wa", "d_lo", "d_hi", "ra", "q_lo", "q_hi"];
        let tb = testbench("rt", ps, cycles, stim, &logged).unwrap();
        let dir = tmp(&format!("rt{width}-{depth}"));
        let g = run(&dir.join("generic"), &tb, &forms[0], false);
        let e = run(&dir.join("ecp5"), &tb, &forms[1], true);
        assert_eq!(g.len(), cycles);
        let mut mem: Vec<Option<(i64, i64)>> = vec![None; depth];
        let mut checked = 0;
        // a line holds the values before its clock edge: the read at line
        // i is out at line i + 2, and sees the writes of lines before i
        for i in 0..cycles {
            if i + 2 < cycles {
                let ra = g[i][4] as usize;
                if let Some((lo, hi)) = mem[ra] {
                    let at = format!("{width} x {depth}, line {}", i + 3);
                    assert_eq!((g[i + 2][5], g[i + 2][6]), (lo, hi), "{at}");
                    assert_eq!(g[i + 2], e[i + 2], "{at}: generic vs ECP5");
                    checked += 1;
                }
            }
            if g[i][0] == 1 {
                mem[g[i][1] as usize] = Some((g[i][2], g[i][3]));
            }
        }
        assert!(checked > 2000, "too few checked words: {checked}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// The whole link emulator in both forms of its block RAMs
/// (`rtl::emu::build_form`): every threshold and channel table word written
/// at random, `frac` and `noise_shift` set, then `run` with a random
/// `m_axis_tready`: the two forms give the same output on every clock
/// (data, transmitted symbols and levels, valid), at P = 4 with 9 taps.
#[test]
#[ignore = "full tier: simulates the ECP5 block RAM under Icarus (scripts/test.sh runs it)"]
fn ecp5_emulator_equals_the_behavioural_one() {
    use rtl::emu::{addr, EmuParams, CFG_ADDR_BITS, CFG_DATA_BITS};
    if !testkit::have_icarus() {
        return;
    }
    let p = EmuParams {
        parallel: 4,
        taps: 9,
        adc_bits: 8,
        fec: None,
        interleave: false,
    };
    let forms = [MemForm::Generic, MemForm::Ecp5]
        .map(|f| rtl::emu::build_form(&p, f).unwrap().emit().unwrap());
    // 3 tables and the 4 block-RAM threshold levels, one block each per
    // lane and 64 bits wide (two blocks)
    assert_eq!(forms[1].matches("DP16KD #").count(), 4 * (3 + 4 * 2));
    assert!(!forms[0].contains("DP16KD"));
    let m0 = rtl::emu::build(&p).unwrap();
    let ps = m0.ports().to_vec();
    let (thr_n, tab_n) = (1025usize, 256 * rtl::emu::groups(&p));
    let run_at = thr_n + tab_n + 20;
    let stim = |m: &mut Module, x: &Expr| {
        let k = |v: i128, w: u32| Expr::konst(v, Ty::u(w));
        let n = m.reg("n", Ty::u(32), Some(0))?;
        m.next(&n, &n.add(&k(1, 32)?)?, None)?;
        let in_thr = m.wire("in_thr", &k(thr_n as i128, 32)?.gt(&n)?)?;
        let in_tab = m.wire("in_tab", &k((thr_n + tab_n) as i128, 32)?.gt(&n)?)?;
        let at = |v: usize| n.eq(&k(v as i128, 32)?);
        let set_frac = m.wire("set_frac", &at(thr_n + tab_n + 2)?)?;
        let set_shift = m.wire("set_shift", &at(thr_n + tab_n + 4)?)?;
        let ab = CFG_ADDR_BITS;
        let a_thr = k(addr::THRESHOLD_BASE as i128, ab)?.add(&n.slice(ab - 1, 0)?)?;
        let a_tab = k((addr::TABLE_BASE - thr_n) as i128, ab)?.add(&n.slice(ab - 1, 0)?)?;
        let a = Expr::mux(
            &in_thr,
            &a_thr,
            &Expr::mux(
                &in_tab,
                &a_tab,
                &Expr::mux(
                    &set_frac,
                    &k(addr::FRAC as i128, ab)?,
                    &k(addr::NOISE_SHIFT as i128, ab)?,
                )?,
            )?,
        )?;
        let we = in_tab.or(&set_frac)?.or(&set_shift)?;
        let d = Expr::mux(
            &in_tab,
            x,
            &Expr::mux(&set_frac, &k(12, CFG_DATA_BITS)?, &k(3, CFG_DATA_BITS)?)?,
        )?;
        let run = k(run_at as i128, 32)?.gt(&n)?.not();
        Ok(vec![
            ("cfg_we".to_string(), m.wire("cfg_we", &we)?),
            ("cfg_addr".to_string(), m.wire("cfg_addr", &a)?),
            ("cfg_wdata".to_string(), m.wire("cfg_wdata", &d)?),
            ("run".to_string(), m.wire("run", &run)?),
            ("m_axis_tready".to_string(), m.wire("ready", &x.bit(5)?)?),
        ])
    };
    let cycles = run_at + 4000;
    let logged = [
        "m_axis_tvalid",
        "m_axis_tdata",
        "m_axis_tuser",
        "m_axis_tlevel",
    ];
    let tb = testbench(rtl::emu::TOP, ps, cycles, stim, &logged).unwrap();
    let dir = tmp("emu");
    let g = run(&dir.join("generic"), &tb, &forms[0], false);
    let e = run(&dir.join("ecp5"), &tb, &forms[1], true);
    assert_eq!(g.len(), cycles);
    let mut words = 0;
    for (i, (a, b)) in g.iter().zip(&e).enumerate() {
        if a[0] == 1 {
            assert_eq!(a, b, "clock {}: generic vs ECP5", i + 1);
            words += 1;
        } else {
            assert_eq!(b[0], 0, "clock {}: valid only in the ECP5 form", i + 1);
        }
    }
    // half the clocks are ready; the data spread over the codes, the
    // symbols (hence the tables' addresses) over their values
    assert!(words > 1500, "too few words: {words}");
    let codes: std::collections::HashSet<i64> =
        g.iter().filter(|l| l[0] == 1).map(|l| l[1]).collect();
    assert!(
        codes.len() > 100,
        "the data barely moves: {} words",
        codes.len()
    );
    let users: std::collections::HashSet<i64> =
        g.iter().filter(|l| l[0] == 1).map(|l| l[2]).collect();
    assert!(
        users.len() > 100,
        "the pattern barely moves: {}",
        users.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}
