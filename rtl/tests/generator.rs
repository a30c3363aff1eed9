//! Generator tests: snapshots of the default design, lint with Verilator
//! `-Wall` and compile with Icarus over a parameter matrix, illegal parameters,
//! and typed errors of the expression builder.

mod common;

use golden::numeric::RxFormat;
use rtl::hdl::{Dir, Expr, Header, Module, Port, Ty};
use rtl::RtlError;
use std::path::{Path, PathBuf};
use std::process::Command;

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Set `RXDSP_BLESS=1` to rewrite the expected files.
#[test]
fn default_design_matches_snapshots() {
    let d = rtl::design(&RxFormat::default(), 8).unwrap();
    let mut files = d.files.clone();
    files.push(("rxdsp.f".into(), d.filelist()));
    common::check_snapshots(&snapshot_dir(), &files);
}

/// The device's own modules (the bridge and the device top; the equalizer's
/// are above), so a change to their builders shows in a diff.
#[test]
fn device_modules_match_snapshots() {
    let d = rtl::top::design(&RxFormat::default(), 8).unwrap();
    let files: Vec<(String, String)> = d
        .files
        .into_iter()
        .filter(|(n, _)| ["rxdsp_bridge.v", "rxdsp_csr.v", "rxdsp_top.v"].contains(&n.as_str()))
        .collect();
    assert_eq!(files.len(), 3);
    common::check_snapshots(&snapshot_dir().join("device"), &files);
}

/// The latency the equalizer reports is the number of pipeline stages its
/// builders emit (one valid-bit register each), over a parameter matrix.
#[test]
fn latency_is_the_count_of_emitted_stages() {
    for (n, mt) in [(1usize, 0usize), (3, 1), (16, 1), (7, 2), (33, 4)] {
        for p in [1usize, 2, 8, 32] {
            let fmt = RxFormat {
                ffe_taps: n,
                ffe_main: n / 2,
                dfe_taps: mt,
                ..RxFormat::default()
            };
            let stages = rtl::eq::pipeline_stages(&fmt, p).unwrap();
            assert_eq!(
                rtl::latency(&fmt, p),
                stages.len(),
                "N = {n}, M = {mt}, P = {p}: stages {:?}",
                stages.names()
            );
        }
    }
}

/// Black boxes are instantiated with typed parameter overrides, never emitted;
/// a parameter named twice and an output driving an expression are refused.
#[test]
fn black_box_instances_with_parameters() {
    use rtl::hdl::{Dir, Param, Port};
    let port = |name: &str, dir, ty| Port {
        name: name.into(),
        dir,
        ty,
        doc: String::new(),
    };
    let bb = Module::black_box(
        "PRIM",
        vec![port("I", Dir::In, Ty::BIT), port("O", Dir::Out, Ty::u(2))],
    )
    .unwrap();
    assert!(bb.emit().is_err());
    let mut m = Module::new("user", rtl::hdl::Header::default());
    let i = m.input("i", Ty::BIT, "in").unwrap();
    let o = m.wire_decl("o", Ty::u(4)).unwrap();
    let params = [("MODE", Param::str("FAST")), ("WIDTH", Param::Int(-3))];
    m.instance_with_params(
        &bb,
        "u0",
        &params,
        &[("I", &i), ("O", &o.slice(3, 2).unwrap())],
    )
    .unwrap();
    let dup = [("MODE", Param::str("A")), ("MODE", Param::str("B"))];
    let e = m
        .instance_with_params(&bb, "u1", &dup, &[("I", &i), ("O", &o)])
        .unwrap_err();
    assert!(e.to_string().contains("MODE"), "{e}");
    let e = m
        .instance(
            &bb,
            "u2",
            &[("I", &i), ("O", &o.slice(1, 0).unwrap().not())],
        )
        .unwrap_err();
    assert!(matches!(e, RtlError::NotASignal { .. }), "{e}");
    m.output("y", &o, "out").unwrap();
    let v = m.emit().unwrap();
    assert!(
        v.contains("    PRIM #(\n        .MODE(\"FAST\"),\n        .WIDTH(-3)\n    ) u0 (\n        .I(i),\n        .O(o[3:2])\n    );"),
        "{v}"
    );
}

fn lint_one(fmt: &RxFormat, p: usize) {
    let dir = std::env::temp_dir().join(format!(
        "rxdsp-lint-{}-{p}-{}-{}-{}",
        std::process::id(),
        fmt.ffe_taps,
        fmt.dfe_taps,
        fmt.adc_bits
    ));
    let rep = rtl::generate(fmt, p, &dir).unwrap();
    let files: Vec<String> = rep
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let out = Command::new("verilator")
        .current_dir(&dir)
        .args([
            "--lint-only",
            "-Wall",
            "--top-module",
            "rxdsp_eq",
            "-f",
            "rxdsp.f",
        ])
        .output()
        .expect("verilator runs");
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && msg.trim().is_empty(),
        "verilator lint for {fmt:?} P={p}:\n{msg}"
    );
    if testkit::have_icarus() {
        let out = Command::new("iverilog")
            .current_dir(&dir)
            .args(["-g2005", "-Wall", "-o", "/dev/null", "-s", "rxdsp_eq"])
            .args(&files)
            .output()
            .expect("iverilog runs");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "iverilog for {fmt:?} P={p}:\n{msg}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Every output passes `verilator --lint-only -Wall` with no waiver.
#[test]
fn lint_clean_over_a_parameter_matrix() {
    if !testkit::have_verilator() {
        return;
    }
    let base = RxFormat::default();
    let cases: Vec<(RxFormat, usize)> = vec![
        (base.clone(), 8),
        (
            RxFormat {
                ffe_taps: 1,
                ffe_main: 0,
                dfe_taps: 0,
                ..base.clone()
            },
            1,
        ),
        (
            RxFormat {
                ffe_taps: 5,
                ffe_main: 1,
                dfe_taps: 2,
                precode: true,
                ..base.clone()
            },
            1,
        ),
        (
            RxFormat {
                ffe_taps: 7,
                dfe_taps: 4,
                ..base.clone()
            },
            2,
        ),
        (
            RxFormat {
                ffe_taps: 3,
                ffe_main: 1,
                dfe_taps: 3,
                ..base.clone()
            },
            4,
        ),
        (
            RxFormat {
                ffe_taps: 64,
                dfe_taps: 4,
                ..base.clone()
            },
            16,
        ),
        (
            RxFormat {
                ffe_taps: 9,
                dfe_taps: 1,
                precode: true,
                ..base.clone()
            },
            32,
        ),
        // extreme widths: S = 0, wide everything, narrow everything, big shift
        (
            RxFormat {
                adc_bits: 16,
                ffe_taps: 33,
                ffe_main: 3,
                ffe_coef_bits: 18,
                ffe_coef_frac: 0,
                ffe_out_bits: 24,
                ffe_out_frac: 0,
                dfe_taps: 2,
                dfe_coef_bits: 16,
                precode: false,
            },
            4,
        ),
        (
            RxFormat {
                adc_bits: 4,
                ffe_taps: 2,
                ffe_main: 0,
                ffe_coef_bits: 2,
                ffe_coef_frac: 8,
                ffe_out_bits: 4,
                ffe_out_frac: 0,
                dfe_taps: 1,
                dfe_coef_bits: 2,
                precode: true,
            },
            2,
        ),
        (
            RxFormat {
                adc_bits: 4,
                ffe_taps: 1,
                ffe_main: 0,
                ffe_coef_bits: 18,
                ffe_coef_frac: 25,
                ffe_out_bits: 24,
                ffe_out_frac: 3,
                dfe_taps: 3,
                dfe_coef_bits: 16,
                precode: false,
            },
            8,
        ),
    ];
    for (f, p) in &cases {
        lint_one(f, *p);
    }
}

#[test]
fn illegal_parameters_are_refused_with_a_message() {
    let f = RxFormat::default();
    let e = rtl::design(&f, 3).unwrap_err();
    assert_eq!(
        e.to_string(),
        "illegal parameter parallel = 3: samples per clock must be one of 1, 2, 4, 8, 16, 32"
    );
    assert!(rtl::design(&f, 64).is_err());
    let bad = RxFormat {
        dfe_taps: 5,
        ..f.clone()
    };
    assert_eq!(
        rtl::design(&bad, 8).unwrap_err().to_string(),
        "illegal format: dfe.taps = 5 is out of range (0..=4)"
    );
    let bad = RxFormat { ffe_main: 16, ..f };
    assert!(rtl::design(&bad, 8)
        .unwrap_err()
        .to_string()
        .contains("ffe.main"));
}

/// Constants print in a readable radix: signed ones as (negated) decimals,
/// small unsigned ones in decimal, larger unsigned ones (masks) in hex; wide
/// types take any value that fits, without overflow.
#[test]
fn constants_print_in_a_readable_radix() {
    let v = |x: i128, ty: Ty| Expr::konst(x, ty).unwrap().verilog();
    assert_eq!(v(-5, Ty::s(8)), "-8'sd5");
    assert_eq!(v(-128, Ty::s(8)), "-8'sd128");
    assert_eq!(v(127, Ty::s(8)), "8'sd127");
    assert_eq!(v(0, Ty::s(10)), "10'sd0");
    assert_eq!(v(7, Ty::u(8)), "8'd7");
    assert_eq!(v(0xFF, Ty::u(8)), "8'hff");
    assert_eq!(v(1, Ty::BIT), "1'b1");
    // wide constants (a P = 32 sample word's reset value), no overflow
    assert_eq!(v(0, Ty::u(256)), "256'd0");
    assert_eq!(v(-1, Ty::s(200)), "-200'sd1");
    assert!(matches!(
        Expr::konst(-1, Ty::u(256)),
        Err(RtlError::ConstRange { .. })
    ));
    assert!(matches!(
        Expr::konst(4, Ty::u(2)),
        Err(RtlError::ConstRange { .. })
    ));
}

/// Every generated file's header has one form: title, generator, the command
/// that regenerates it, the parameters one a line, the latency if any.
#[test]
fn headers_have_one_structured_form() {
    use rtl::hdl::Header;
    let h = Header::new("a block", "rxdsp gen --out <dir>")
        .param("rtl.parallel (P)", 8)
        .param("adc.bits", 8)
        .latency(3)
        .note("see docs");
    let lines = h.lines("blk");
    assert_eq!(lines[0], "blk: a block");
    assert!(lines[1].starts_with("Generated by rxdsp-rtl "));
    assert_eq!(lines[2], "Regenerate: rxdsp gen --out <dir>");
    assert_eq!(lines[3], "Parameters:");
    assert_eq!(lines[4], "  rtl.parallel (P) = 8");
    assert_eq!(lines[5], "  adc.bits         = 8");
    assert_eq!(lines[6], "Latency: 3 clock cycles");
    assert_eq!(lines[7], "see docs");
    // the equalizer's files: rxdsp gen writes them; their latencies are the
    // stages each builder emitted, the top's their sum
    let d = rtl::design(&RxFormat::default(), 8).unwrap();
    let lat = |name: &str| -> usize {
        let text = &d.files.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(text.contains("// Regenerate: rxdsp gen --out"), "{name}");
        let l = text
            .lines()
            .find(|l| l.starts_with("// Latency: "))
            .unwrap();
        l["// Latency: ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(lat("rxdsp_eq_mul.v"), 2);
    // the output FIFO's write is the last stage, in rxdsp_eq itself
    assert_eq!(
        lat("rxdsp_eq_ffe.v") + lat("rxdsp_eq_dfe.v") + 1,
        lat("rxdsp_eq.v")
    );
    assert_eq!(lat("rxdsp_eq.v"), d.latency);
    // files rxdsp gen does not write do not claim it
    let mut files = d.files.clone();
    rtl::eq::use_ecp5_dsp(&mut files, &RxFormat::default(), 8).unwrap();
    let ecp5 = &files.iter().find(|(n, _)| n == "rxdsp_eq_mul.v").unwrap().1;
    assert!(ecp5.contains("// Regenerate: rxdsp synth --target ecp5-85k"));
    for (n, text) in rtl::rs::design_dec(golden::fec::Code::Kp4, 2)
        .unwrap()
        .files
    {
        assert!(text.contains("// Regenerate: rxdsp synth"), "{n}");
    }
}

#[test]
fn type_errors_name_the_expression() {
    let mut m = Module::new("t", rtl::hdl::Header::default());
    let a = m.input("a", Ty::s(8), "").unwrap();
    let b = m.input("b", Ty::s(9), "").unwrap();
    let u = m.input("u", Ty::u(8), "").unwrap();
    let e = a.add(&b).unwrap_err();
    assert!(matches!(e, RtlError::TypeMismatch { .. }));
    assert_eq!(
        e.to_string(),
        "type mismatch in `+` at `a + b`: signed 8 vs signed 9"
    );
    assert!(a
        .sub(&u)
        .unwrap_err()
        .to_string()
        .contains("signed 8 vs unsigned 8"));
    let sum = a.add(&a).unwrap();
    assert!(matches!(sum.slice(3, 0), Err(RtlError::NotASignal { .. })));
    assert!(matches!(a.slice(8, 0), Err(RtlError::SliceRange { .. })));
    assert!(matches!(b.ext(4), Err(RtlError::Narrowing { .. })));
    assert!(matches!(
        Expr::konst(128, Ty::s(8)),
        Err(RtlError::ConstRange { .. })
    ));
    assert!(matches!(
        m.reg("r", Ty::s(8), None),
        Err(RtlError::NoClock(_))
    ));
    m.clock().unwrap();
    let r = m.reg("r", Ty::s(8), Some(0)).unwrap();
    assert!(matches!(m.emit(), Err(RtlError::Undriven { .. })));
    assert!(matches!(
        m.next(&r, &b, None),
        Err(RtlError::TypeMismatch { .. })
    ));
    m.next(&r, &a.ext(8).unwrap(), None).unwrap();
    assert!(matches!(m.wire("a", &a), Err(RtlError::Duplicate { .. })));
    let v = m.emit().unwrap();
    assert!(v.contains("r <= a;"));
}

#[test]
fn generate_writes_files_and_reports() {
    let dir = std::env::temp_dir().join(format!("rxdsp-gen-{}", std::process::id()));
    let r = rtl::generate(&RxFormat::default(), 8, &dir).unwrap();
    assert_eq!(r.top, "rxdsp_eq");
    assert_eq!(r.latency, 15); // 11 + ceil(log2 16)
    assert_eq!(r.files.len(), 4);
    assert!(r.filelist.ends_with("rxdsp.f"));
    let top = std::fs::read_to_string(dir.join("rxdsp_eq.v")).unwrap();
    assert!(top.contains(&format!("Generated by rxdsp-rtl {}", rtl::VERSION)));
    assert!(top.contains(
        "//   rtl.parallel (P) = 8\n//   adc.bits         = 8\n//   ffe.taps (N)     = 16\n"
    ));
    let names: Vec<&str> = r.ports.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"s_axis_tdata") && names.contains(&"m_axis_tready"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Testbench for `rxdsp_eq_mul` (an `hdl` testbench module): operands from
/// a xorshift64 generator for `cycles` clocks; after every edge logs `a b p`
/// (decimal, signed: the inputs of that edge and the product after it) to
/// `mul.txt`.
fn mul_testbench(a: u32, b: u32, cycles: usize) -> Result<Module, RtlError> {
    let k = |v: i128, ty: Ty| Expr::konst(v, ty);
    let u64t = Ty::u(64);
    let mut m = Module::testbench("mul_tb", Header::new("multiplier testbench", "tests"));
    let (clk, _) = m.sim_clock(5)?;
    let log = m.log_file("f_mul", "mul.txt")?;
    let x = m.reg("x", u64t, Some(0x2545_f491_4f6c_dd1d))?;
    let w1 = m.wire("w1", &x.xor(&x.shl(13))?)?;
    let w2 = m.wire("w2", &w1.xor(&w1.shr(7))?)?;
    m.next(&x, &w2.xor(&w2.shl(17))?, None)?;
    let xa = m.wire("a", &x.slice(a - 1, 0)?.as_signed())?;
    let xb = m.wire("b", &x.slice(a + b - 1, a)?.as_signed())?;
    let p = m.wire_decl("p", Ty::s(a + b))?;
    let port = |name: &str, dir, ty| Port {
        name: name.into(),
        dir,
        ty,
        doc: String::new(),
    };
    let dut = Module::black_box(
        "rxdsp_eq_mul",
        vec![
            port("clk", Dir::In, Ty::BIT),
            port("a", Dir::In, Ty::s(a)),
            port("b", Dir::In, Ty::s(b)),
            port("p", Dir::Out, Ty::s(a + b)),
        ],
    )?;
    m.instance(
        &dut,
        "dut",
        &[("clk", &clk), ("a", &xa), ("b", &xb), ("p", &p)],
    )?;
    let ins = [
        m.reg_d("a_q", &xa, None, Some(0))?,
        m.reg_d("b_q", &xb, None, Some(0))?,
    ];
    // c edges since the power-on edge: the first stimulus edge makes c = 1
    let c = m.reg("c", Ty::u(32), Some(0))?;
    m.next(&c, &c.add(&k(1, Ty::u(32))?)?, None)?;
    let logging = c
        .ge(&k(1, Ty::u(32))?)?
        .and(&k(cycles as i128, Ty::u(32))?.ge(&c)?)?;
    m.log(
        &log,
        &logging,
        "%0d %0d %0d\n",
        &[ins[0].clone(), ins[1].clone(), p],
    )?;
    m.finish(&c.eq(&k(cycles as i128 + 1, Ty::u(32))?)?, None)?;
    Ok(m)
}

/// Runs the multiplier testbench under Icarus with `mul` (and `extra` files).
fn run_mul(dir: &Path, mul: &str, extra: &[&Path], a: u32, b: u32) -> Vec<[i64; 3]> {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("mul.v"), mul).unwrap();
    let tb = mul_testbench(a, b, 400).unwrap();
    std::fs::write(dir.join("tb.v"), tb.emit().unwrap()).unwrap();
    let out = Command::new("iverilog")
        .current_dir(dir)
        .args(["-g2005", "-o", "tb.vvp", "-s", tb.name(), "tb.v", "mul.v"])
        .args(extra)
        .output()
        .expect("iverilog runs");
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
    std::fs::read_to_string(dir.join("mul.txt"))
        .expect("the testbench wrote mul.txt")
        .lines()
        .map(|l| {
            // `x` (registers not yet loaded: the multiplier has no reset) reads as i64::MIN
            let v: Vec<i64> = l
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(i64::MIN))
                .collect();
            [v[0], v[1], v[2]]
        })
        .collect()
}

/// The ECP5 variant of the FFE multiplier (one `MULT18X18D` with its
/// registers) behaves like the generic one, against a model of the primitive
/// in the configuration used; both equal `a * b` two clocks later.
#[test]
fn ecp5_multiplier_matches_the_generic_one() {
    if !testkit::have_icarus() {
        return;
    }
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mult18x18d_model.v");
    for (adc, cb) in [(8u32, 8u32), (4, 2), (16, 18), (10, 12)] {
        let fmt = RxFormat {
            adc_bits: adc,
            ffe_coef_bits: cb,
            ..RxFormat::default()
        };
        fmt.validate().unwrap();
        let d = rtl::design(&fmt, 4).unwrap();
        let generic = &d
            .files
            .iter()
            .find(|(n, _)| n == "rxdsp_eq_mul.v")
            .unwrap()
            .1;
        let mut files = d.files.clone();
        assert!(rtl::eq::use_ecp5_dsp(&mut files, &fmt, 4).unwrap());
        let ecp5 = &files.iter().find(|(n, _)| n == "rxdsp_eq_mul.v").unwrap().1;
        assert!(ecp5.contains("MULT18X18D") && !generic.contains("MULT18X18D"));
        let dir = std::env::temp_dir().join(format!("rxdsp-mul-{}-{adc}-{cb}", std::process::id()));
        let g = run_mul(&dir.join("generic"), generic, &[], adc, cb);
        let e = run_mul(&dir.join("ecp5"), ecp5, &[&model], adc, cb);
        assert_eq!(g.len(), 400);
        assert_eq!(
            g, e,
            "ECP5 multiplier differs from the generic one for {adc}x{cb} bits"
        );
        // reference: after the edge of row i, p is the product of the
        // operands presented at the edge of row i - 1 (operand register,
        // then product register)
        let mut seen = 0;
        for (i, row) in g.iter().enumerate().skip(1) {
            let [x, y, _] = g[i - 1];
            assert_eq!(row[2], x * y, "{adc}x{cb}: p after edge {}", i + 1);
            seen += 1;
        }
        assert!(seen > 200, "too few checked products: {seen}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
