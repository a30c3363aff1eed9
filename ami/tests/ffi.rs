//! The built `librxdsp_rx.so` through its C ABI (dlopen), as a simulator loads it:
//! exports, chunk invariance, equality with the golden receiver, independent handles,
//! failures as return 0 plus a message.

use golden::channel::{preset, Pulse};
use golden::config::Config;
use golden::eq::{Engine, Equalizer};
use golden::link::choose_coeffs;
use golden::numeric::RxFormat;
use libloading::{Library, Symbol};
use rxdsp_rx::model::{init, samples_per_ui};
use rxdsp_rx::testvec::{golden_z, held_wave, random_levels, sample, Channel};
use rxdsp_rx::Settings;
use std::ffi::{c_char, c_long, c_void, CStr, CString};
use std::path::PathBuf;
use std::ptr;

type InitFn = unsafe extern "C" fn(
    *mut f64,
    c_long,
    c_long,
    f64,
    f64,
    *const c_char,
    *mut *mut c_char,
    *mut *mut c_void,
    *mut *mut c_char,
) -> c_long;
type GetWaveFn =
    unsafe extern "C" fn(*mut f64, c_long, *mut f64, *mut *mut c_char, *mut c_void) -> c_long;
type CloseFn = unsafe extern "C" fn(*mut c_void) -> c_long;

const SPUI: usize = 16;
const DT: f64 = 1.0 / 53.125e9 / SPUI as f64;

/// The library cargo built for this test run: target/<profile>/deps/librxdsp_rx.so, beside
/// this test binary (`cargo test` builds it there and copies it up only on `cargo build`).
fn so_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().join("librxdsp_rx.so");
    assert!(p.exists(), "{} is not built", p.display());
    p
}

struct Lib {
    lib: Library,
}

struct Inst<'l> {
    l: &'l Lib,
    h: *mut c_void,
}

impl Lib {
    fn load() -> Lib {
        // SAFETY: our own library; its initialisers are Rust's
        Lib {
            lib: unsafe { Library::new(so_path()).unwrap() },
        }
    }

    /// AMI_Init: (return value, impulse out, params_out, msg, handle)
    fn init(
        &self,
        h: &[f64],
        aggr: usize,
        params: &str,
    ) -> (c_long, Vec<f64>, String, String, Inst<'_>) {
        let f: Symbol<InitFn> = unsafe { self.lib.get(b"AMI_Init").unwrap() };
        let mut imp = h.to_vec();
        let rows = h.len() / (aggr + 1);
        let p = CString::new(params).unwrap();
        let (mut out, mut handle, mut msg) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        let r = unsafe {
            f(
                imp.as_mut_ptr(),
                rows as c_long,
                aggr as c_long,
                DT,
                DT * SPUI as f64,
                p.as_ptr(),
                &mut out,
                &mut handle,
                &mut msg,
            )
        };
        assert!(!out.is_null() && !msg.is_null() && !handle.is_null());
        let s = |c: *mut c_char| unsafe { CStr::from_ptr(c) }.to_str().unwrap().to_string();
        (r, imp, s(out), s(msg), Inst { l: self, h: handle })
    }
}

impl Inst<'_> {
    /// One AMI_GetWave call: (return, params_out, clock times before the -1).
    fn get_wave(&self, w: &mut [f64]) -> (c_long, String, Vec<f64>) {
        let f: Symbol<GetWaveFn> = unsafe { self.l.lib.get(b"AMI_GetWave").unwrap() };
        let mut clocks = vec![-2.0; w.len() / SPUI + 9];
        let mut out = ptr::null_mut();
        let r = unsafe {
            f(
                w.as_mut_ptr(),
                w.len() as c_long,
                clocks.as_mut_ptr(),
                &mut out,
                self.h,
            )
        };
        assert!(!out.is_null());
        let end = clocks
            .iter()
            .position(|&t| t == -1.0)
            .expect("a -1 terminator");
        clocks.truncate(end);
        let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
        (r, s, clocks)
    }

    /// The whole wave in calls of `chunk` samples: (wave, clocks).
    fn run(&self, wave: &[f64], chunk: usize) -> (Vec<f64>, Vec<f64>) {
        let mut w = wave.to_vec();
        let mut clocks = Vec::new();
        for c in w.chunks_mut(chunk) {
            let (r, p, t) = self.get_wave(c);
            assert_eq!(r, 1, "{p}");
            assert_eq!(p, "(rxdsp_rx)");
            clocks.extend(t);
        }
        (w, clocks)
    }
}

impl Drop for Inst<'_> {
    fn drop(&mut self) {
        let f: Symbol<CloseFn> = unsafe { self.l.lib.get(b"AMI_Close").unwrap() };
        assert_eq!(unsafe { f(self.h) }, 1);
    }
}

fn channel() -> Channel {
    let p = Pulse::from_preset(preset("lpo-host-16db").unwrap());
    Channel::from_pulse(&p, SPUI, DT, 8)
}

fn noisy_wave(ch: &Channel, uis: usize, seed: u64) -> Vec<f64> {
    ch.wave(&random_levels(uis, seed), 0.02, seed + 1)
}

#[test]
fn exports_only_the_three_ami_functions() {
    if !testkit::have_tool("nm", "apt-get install binutils") {
        return;
    }
    let out = std::process::Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(so_path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["AMI_Close", "AMI_GetWave", "AMI_Init"], "{text}");
}

#[test]
fn output_is_the_same_whatever_the_chunking() {
    let lib = Lib::load();
    let ch = channel();
    let wave = noisy_wave(&ch, 3000, 7);
    for params in [
        "(rxdsp_rx (method \"mmse\"))",
        "(rxdsp_rx (method \"lms\") (adapt_bits 1000) (mu_shift 12))",
        "(rxdsp_rx (method \"sign-sign\") (adapt_bits 777) (mu_shift 5) (dfe_taps 2))",
    ] {
        let (r, _, _, msg, a) = lib.init(&ch.impulse(), 0, params);
        assert_eq!(r, 1, "{msg}");
        let whole = a.run(&wave, wave.len());
        drop(a);
        for chunk in [SPUI, 7 * SPUI, 40 * SPUI, 13, 1] {
            let (_, _, _, _, b) = lib.init(&ch.impulse(), 0, params);
            let got = b.run(&wave, chunk);
            assert!(got.0 == whole.0, "{params}: chunk {chunk} differs");
            assert!(got.1 == whole.1, "{params}: clocks of chunk {chunk} differ");
        }
        assert_eq!(whole.1.len(), 3000);
        assert_eq!(whole.1[1] - whole.1[0], DT * SPUI as f64);
    }
}

#[test]
fn equals_the_golden_receiver_on_the_same_samples() {
    let lib = Lib::load();
    let ch = channel();
    let wave = noisy_wave(&ch, 4000, 11);
    let spui = samples_per_ui(DT, DT * SPUI as f64).unwrap();
    // computed coefficients: the golden equalizer from the first sample
    let s = Settings::parse("(rxdsp_rx (method \"mmse\"))").unwrap();
    let r = init(&s, &ch.impulse(), spui, DT).unwrap();
    let x = sample(&r, &wave);
    let want = held_wave(
        &r,
        &s.format,
        &golden_z(&s.format, &r.coeffs, &x),
        wave.len(),
    );
    let (ok, _, _, msg, a) = lib.init(&ch.impulse(), 0, "(rxdsp_rx (method \"mmse\"))");
    assert_eq!(ok, 1, "{msg}");
    let (got, clocks) = a.run(&wave, 40 * SPUI);
    assert!(got == want, "mmse output differs from the golden equalizer");
    assert_eq!(clocks[0], r.offset as f64 * DT);
    // the decisions as `rxdsp rx` makes them (Equalizer::process, fast engine)
    let mut eq = Equalizer::new(&s.format, &r.coeffs, Engine::Fast).unwrap();
    let (mut lv, mut data) = (vec![0; x.len()], vec![0; x.len()]);
    eq.process(&x, &mut lv, &mut data);
    let t = r.threshold_volts(&s.format);
    for (k, &a) in lv.iter().enumerate() {
        let z = got[r.offset + k * spui];
        let d = (z >= -t) as u8 + (z >= 0.0) as u8 + (z >= t) as u8;
        assert_eq!(d, a, "UI {k}");
    }

    // adapted coefficients: after adapt_bits UIs, `rxdsp rx` with eq.method = lms,
    // adapt.symbols = adapt_bits, adapt.training = 0 on the same samples
    let w = 1500;
    let p = format!("(rxdsp_rx (method \"lms\") (adapt_bits {w}) (mu_shift 12))");
    let (ok, _, _, msg, a) = lib.init(&ch.impulse(), 0, &p);
    assert_eq!(ok, 1, "{msg}");
    let (got, _) = a.run(&wave, 7 * SPUI);
    let mut cfg = Config::default();
    cfg.eq.method = golden::config::EqMethod::Lms;
    cfg.adapt.symbols = w as i64;
    cfg.adapt.training = Some(0);
    cfg.adapt.mu_shift = Some(12);
    cfg.adc.full_scale = Some(r.adc.full_scale);
    let plan = cfg.resolve().unwrap();
    let eqr = choose_coeffs(&plan, 1, Some(&x)).unwrap();
    let c = golden::numeric::RxCoeffs {
        ffe: eqr.ffe,
        dfe: eqr.dfe,
        threshold: eqr.threshold,
    };
    assert_ne!(
        c, r.coeffs,
        "the adaptation changed nothing: the test proves nothing"
    );
    let adapted = held_wave(&r, &s.format, &golden_z(&s.format, &c, &x), wave.len());
    let before = held_wave(
        &r,
        &s.format,
        &golden_z(&s.format, &r.coeffs, &x),
        wave.len(),
    );
    let cut = r.offset + w * spui;
    assert!(
        got[..cut] == before[..cut],
        "the window runs on the Init coefficients"
    );
    assert!(
        got[cut..] == adapted[cut..],
        "after the window: rxdsp rx's lms"
    );
}

#[test]
fn two_interleaved_handles_equal_each_alone() {
    let lib = Lib::load();
    let ch = channel();
    let wa = noisy_wave(&ch, 2000, 3);
    let wb = noisy_wave(&ch, 2000, 5);
    let pa = "(rxdsp_rx (method \"lms\") (adapt_bits 500))";
    let pb = "(rxdsp_rx (method \"zf\") (dfe_taps 2))";
    let alone_a = lib.init(&ch.impulse(), 0, pa).4.run(&wa, 40 * SPUI);
    let alone_b = lib.init(&ch.impulse(), 0, pb).4.run(&wb, 7 * SPUI);
    let (_, _, _, _, a) = lib.init(&ch.impulse(), 0, pa);
    let (_, _, _, _, b) = lib.init(&ch.impulse(), 0, pb);
    let (mut oa, mut ob) = (wa.clone(), wb.clone());
    let (mut ca, mut cb) = (Vec::new(), Vec::new());
    let mut ib = ob.chunks_mut(7 * SPUI);
    for c in oa.chunks_mut(40 * SPUI) {
        ca.extend(a.get_wave(c).2);
        for _ in 0..6 {
            if let Some(d) = ib.next() {
                cb.extend(b.get_wave(d).2);
            }
        }
    }
    for d in ib {
        cb.extend(b.get_wave(d).2);
    }
    assert!(oa == alone_a.0 && ca == alone_a.1);
    assert!(ob == alone_b.0 && cb == alone_b.1);
}

#[test]
fn init_returns_the_equalized_impulse_and_thresholds() {
    let lib = Lib::load();
    let ch = channel();
    let h = ch.impulse();
    // an aggressor column is accepted and filtered by the FFE only
    let mut two = h.clone();
    two.extend(h.iter().map(|v| v * 0.1));
    let (r, out, params, msg, _i) = lib.init(&two, 1, "(rxdsp_rx)");
    assert_eq!(r, 1, "{msg}");
    assert!(msg.contains("mmse"), "{msg}");
    let s = Settings::default();
    let res = init(&s, &h, SPUI, DT).unwrap();
    let t = res.threshold_volts(&RxFormat::default());
    assert_eq!(
        params,
        format!("(rxdsp_rx (PAM4_UpperThreshold {t:?}) (PAM4_CenterThreshold 0.0) (PAM4_LowerThreshold {:?}))", -t)
    );
    // the equalized pulse at the sampling instants: main cursor near the outer level's
    // three halves of the threshold, DFE-cancelled first post-cursor near zero
    let p = rxdsp_rx::model::fine_pulse(&out[..h.len()], SPUI, DT);
    let d = res.first + res.pulse.main + s.format.ffe_main;
    let main = p[res.offset + d * SPUI];
    assert!(
        (main - 1.5 * t).abs() < 0.1 * t,
        "main {main} vs 1.5 t = {}",
        1.5 * t
    );
    assert!(p[res.offset + (d + 1) * SPUI].abs() < 0.1 * main);
    assert!(out[h.len()..]
        .iter()
        .zip(&out[..h.len()])
        .any(|(a, b)| *a != 0.0 && *a != *b));
}

#[test]
fn bad_input_returns_zero_and_a_message() {
    let lib = Lib::load();
    let ch = channel();
    for (params, needle) in [
        ("(rxdsp_rx (ffe_taps 16)", "malformed"),
        ("(rxdsp_rx (ffe_taps many))", "ffe_taps"),
        ("(rxdsp_rx (config_hash \"0123456789abcdef\"))", "rxdsp ami"),
        ("(rxdsp_rx (method \"manual\"))", "manual"),
    ] {
        let (r, _, out, msg, inst) = lib.init(&ch.impulse(), 0, params);
        assert_eq!(r, 0, "{params}");
        assert!(msg.contains(needle), "{params}: {msg}");
        assert_eq!(out, "(rxdsp_rx)");
        // GetWave on the failed handle: 0, a reason, no crash
        let f: Symbol<GetWaveFn> = unsafe { lib.lib.get(b"AMI_GetWave").unwrap() };
        let mut w = vec![0.0; 32];
        let mut clocks = vec![0.0; 10];
        let mut p = ptr::null_mut();
        let r = unsafe { f(w.as_mut_ptr(), 32, clocks.as_mut_ptr(), &mut p, inst.h) };
        assert_eq!(r, 0);
        let p = unsafe { CStr::from_ptr(p) }.to_str().unwrap();
        assert!(p.contains("AMI_Init failed"), "{p}");
    }
    // unknown parameters are ignored
    let (r, _, _, msg, _) = lib.init(&ch.impulse(), 0, "(rxdsp_rx (Vendor_Knob 3) (x \"y\"))");
    assert_eq!(r, 1, "{msg}");
    // impossible simulator arguments
    let (r, _, _, msg, _) = lib.init(&vec![0.0; 64], 0, "(rxdsp_rx)");
    assert_eq!(r, 0);
    assert!(msg.contains("all zero"), "{msg}");
    let (r, _, _, msg, _) = lib.init(&vec![1e300; 64], 0, "(rxdsp_rx)");
    assert_eq!(r, 0);
    assert!(msg.contains("not an impulse response"), "{msg}");
    // a NaN in the wave: 0 and the sample named, and the state untouched
    let (_, _, _, _, inst) = lib.init(&ch.impulse(), 0, "(rxdsp_rx)");
    let mut w = vec![0.1; 64];
    w[40] = f64::NAN;
    let (r, p, _) = inst.get_wave(&mut w);
    assert_eq!(r, 0);
    assert!(p.contains("wave[40]"), "{p}");
    // null pointers
    let init: Symbol<InitFn> = unsafe { lib.lib.get(b"AMI_Init").unwrap() };
    let (mut out, mut msg) = (ptr::null_mut(), ptr::null_mut());
    let r = unsafe {
        init(
            ptr::null_mut(),
            10,
            0,
            DT,
            DT * 16.0,
            ptr::null(),
            &mut out,
            ptr::null_mut(),
            &mut msg,
        )
    };
    assert_eq!(r, 0);
    assert!(unsafe { CStr::from_ptr(msg) }
        .to_str()
        .unwrap()
        .contains("null"));
    let close: Symbol<CloseFn> = unsafe { lib.lib.get(b"AMI_Close").unwrap() };
    assert_eq!(unsafe { close(ptr::null_mut()) }, 1);
}
