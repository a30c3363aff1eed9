//! The device top (bridge + CSR + equalizer): lint with Verilator `-Wall`
//! (no waivers) and compile with Icarus over a few configurations; the
//! register map page in docs/ is up to date.

mod common;

use golden::adapt::{BlockRule, HwAdaptParams};
use golden::numeric::RxFormat;
use rtl::bert::BertParams;
use rtl::rs::FecParams;
use rtl::top::DeviceBlocks;
use std::path::{Path, PathBuf};

fn blocks<'a>(adapt: Option<&'a HwAdaptParams>, bert: Option<&'a BertParams>) -> DeviceBlocks<'a> {
    DeviceBlocks {
        adapt,
        bert,
        fec: None,
    }
}

fn write(
    fmt: &RxFormat,
    p: usize,
    adapt: Option<&HwAdaptParams>,
    bert: Option<&BertParams>,
    tag: &str,
) -> (PathBuf, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("rxdsp-dev-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = rtl::top::design_device(fmt, p, blocks(adapt, bert)).unwrap();
    let mut names = Vec::new();
    for (n, t) in &d.files {
        std::fs::write(dir.join(n), t).unwrap();
        names.push(n.clone());
    }
    (dir, names)
}

fn check(fmt: &RxFormat, p: usize, tag: &str) {
    check_with(fmt, p, None, tag)
}

fn check_with(fmt: &RxFormat, p: usize, adapt: Option<&HwAdaptParams>, tag: &str) {
    check_device(fmt, p, adapt, None, tag)
}

fn check_device(
    fmt: &RxFormat,
    p: usize,
    adapt: Option<&HwAdaptParams>,
    bert: Option<&BertParams>,
    tag: &str,
) {
    let (dir, _) = write(fmt, p, adapt, bert, tag);
    lint_written(fmt, p, blocks(adapt, bert), &dir, tag);
}

/// Writes the device through the public writer, as `rxdsp gen` would, into
/// `dir` and lints it.
fn lint_written(fmt: &RxFormat, p: usize, b: DeviceBlocks, dir: &Path, tag: &str) {
    let files = rtl::top::generate_device(fmt, p, b, dir).unwrap();
    assert!(files.iter().any(|f| f.ends_with("registers.md")));
    let names: Vec<String> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "v"))
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    common::lint_dir(dir, &names, rtl::top::DEVICE_TOP, tag);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn device_lints_clean_and_compiles_in_icarus() {
    check(&RxFormat::default(), 8, "default");
    let f = RxFormat {
        adc_bits: 12,
        ffe_taps: 5,
        ffe_main: 1,
        dfe_taps: 0,
        ..RxFormat::default()
    };
    check(&f, 1, "p1-adc12-m0");
    let f = RxFormat {
        dfe_taps: 2,
        ..RxFormat::default()
    };
    check(&f, 4, "p4-m2");
}

/// The device with the adaptation engine: its `adapt` block is wired to the
/// engine's mode and readback ports (every snapshot register has a source,
/// or the build fails), and it lints clean.
#[test]
fn adaptive_device_lints_clean_and_compiles_in_icarus() {
    for (p, m, rule) in [(8, 1, BlockRule::Sum), (4, 2, BlockRule::RoundRobin)] {
        let f = RxFormat {
            dfe_taps: m,
            ..RxFormat::default()
        };
        let a = HwAdaptParams {
            parallel: p,
            mu_shift: 7,
            delay: 16,
            leak_shift: 4,
            block: rule,
        };
        let map = rtl::csr::regmap_with(&f, p, Some(&a));
        assert_eq!(map.block("adapt").unwrap().id, rtl::csr::ids::ADAPT);
        assert!(map.reg(&format!("adapt.dfe{m}")).is_some());
        check_with(&f, p, Some(&a), &format!("adapt-p{p}-m{m}"));
    }
}

/// The device with the RS decoder chain (`tx.fec`): the `fec` block is
/// wired (every counter has a source, or the build fails), the decoder's
/// modules are in the file list, and it lints clean for both codes; a
/// gearbox that cannot keep up is refused.
#[test]
fn fec_device_lints_clean_and_compiles_in_icarus() {
    use golden::fec::Code;
    for (code, p, m) in [(Code::Kp4, 8, 1), (Code::Kr4, 4, 2)] {
        let f = RxFormat {
            dfe_taps: m,
            ..RxFormat::default()
        };
        let fec = FecParams::new(code, p);
        let b = DeviceBlocks {
            fec: Some(fec),
            ..DeviceBlocks::default()
        };
        let map = rtl::csr::regmap_device(&f, p, b);
        assert_eq!(map.block("fec").unwrap().id, rtl::csr::ids::FEC);
        assert!(map.reg(&format!("fec.hist{}", code.t() + 1)).is_some());
        let d = rtl::top::design_device(&f, p, b).unwrap();
        for n in ["rxdsp_rs_dec.v", "rxdsp_rs_gearbox.v", "rxdsp_rs_rx.v"] {
            assert!(d.files.iter().any(|(f, _)| f == n), "{n} missing");
        }
        let tag = format!("fec-{}-p{p}", code.name());
        let dir = std::env::temp_dir().join(format!("rxdsp-dev-{}-{tag}", std::process::id()));
        lint_written(&f, p, b, &dir, &tag);
    }
    // S = 1 behind P = 8: 5S <= P, the gearbox would fall behind
    let slow = DeviceBlocks {
        fec: Some(FecParams {
            code: Code::Kp4,
            symbols: 1,
            interleave: false,
        }),
        ..DeviceBlocks::default()
    };
    let e = rtl::top::design_device(&RxFormat::default(), 8, slow).unwrap_err();
    assert!(e.to_string().contains("5S"), "{e}");
}

/// The device with the BER tester (emulator and checker): every `emu` and
/// `check` register is wired (or the build fails), the tester's modules are
/// in the file list, and it lints clean, with and without the adaptation
/// engine. Parameters that do not fit the device are refused.
#[test]
fn bert_device_lints_clean_and_compiles_in_icarus() {
    let f = RxFormat::default();
    let b = BertParams::new(&f, 8);
    let map = rtl::csr::regmap_device(&f, 8, blocks(None, Some(&b)));
    assert_eq!(map.block("emu").unwrap().id, rtl::csr::ids::EMU);
    assert_eq!(map.block("check").unwrap().id, rtl::csr::ids::CHECK);
    let d = rtl::top::design_device(&f, 8, blocks(None, Some(&b))).unwrap();
    for n in ["rxdsp_emu.v", "rxdsp_check.v"] {
        assert!(d.files.iter().any(|(f, _)| f == n), "{n} missing");
    }
    check_device(&f, 8, None, Some(&b), "bert-p8");
    let f = RxFormat {
        ffe_taps: 7,
        ffe_main: 2,
        dfe_taps: 2,
        precode: true,
        ..RxFormat::default()
    };
    let a = HwAdaptParams {
        parallel: 4,
        mu_shift: 7,
        delay: 16,
        leak_shift: 0,
        block: BlockRule::Sum,
    };
    check_device(
        &f,
        4,
        Some(&a),
        Some(&BertParams::new(&f, 4)),
        "bert-adapt-p4",
    );
    let mut bad = BertParams::new(&f, 4);
    bad.check.fifo_words = 4;
    let e = rtl::top::design_device(&f, 4, blocks(None, Some(&bad))).unwrap_err();
    assert!(e.to_string().contains("in flight"), "{e}");
    let e =
        rtl::top::design_device(&f, 8, blocks(None, Some(&BertParams::new(&f, 4)))).unwrap_err();
    assert!(e.to_string().contains("P = 8"), "{e}");
}

/// The device with the BER tester and the KP4 decoder chain: the emulator
/// frames, the checker's reference reaches the decoder's reference path,
/// the reference counters are in the map and wired, and it lints clean. A
/// tester that does not frame the decoder's code is refused.
#[test]
fn bert_fec_device_lints_clean() {
    use golden::fec::Code;
    let f = RxFormat::default();
    let b = BertParams::new(&f, 8).with_fec(Some(FecParams::new(Code::Kp4, 8)));
    let blk = DeviceBlocks {
        bert: Some(&b),
        fec: Some(FecParams::new(Code::Kp4, 8)),
        ..DeviceBlocks::default()
    };
    let map = rtl::csr::regmap_device(&f, 8, blk);
    for (n, _) in proto::regmap::FEC_REF_COUNTERS {
        assert!(map.reg(&format!("fec.{n}")).is_some(), "fec.{n} missing");
    }
    let tag = "bert-fec-p8";
    let dir = std::env::temp_dir().join(format!("rxdsp-dev-{}-{tag}", std::process::id()));
    lint_written(&f, 8, blk, &dir, tag);
    // the tester without the framer, or with another code
    for bad in [
        BertParams::new(&f, 8),
        BertParams::new(&f, 8).with_fec(Some(FecParams::new(Code::Kr4, 8))),
    ] {
        let blk = DeviceBlocks {
            bert: Some(&bad),
            fec: Some(FecParams::new(Code::Kp4, 8)),
            ..DeviceBlocks::default()
        };
        let e = rtl::top::design_device(&f, 8, blk).unwrap_err();
        assert!(e.to_string().contains("with_fec"), "{e}");
    }
}

/// The tester with KR4 and the 2-way interleave: the emulator interleaves,
/// the chain de-interleaves (received and transmitted beats), the id word
/// says so, and it lints clean at P = 8 (S = 2) and P = 1 (S = 1); a tester
/// that does not interleave as the chain de-interleaves is refused, and so is
/// an S the de-interleaver cannot take.
#[test]
fn bert_interleaved_fec_device_lints_clean() {
    use golden::fec::Code;
    let f = RxFormat::default();
    for p in [8, 1] {
        let chain = FecParams::new(Code::Kr4, p).interleaved(true);
        let b = BertParams::new(&f, p).with_fec(Some(chain));
        assert!(b.emu.interleave);
        let blk = DeviceBlocks {
            bert: Some(&b),
            fec: Some(chain),
            ..DeviceBlocks::default()
        };
        let map = rtl::csr::regmap_device(&f, p, blk);
        assert!(chain.map().interleave);
        assert_eq!(
            proto::regmap::FecMap::from_word(chain.map().word()),
            Some(chain.map())
        );
        assert!(map.reg("fec.codewords").is_some());
        let tag = format!("bert-fec-il-p{p}");
        let dir = std::env::temp_dir().join(format!("rxdsp-dev-{}-{tag}", std::process::id()));
        lint_written(&f, p, blk, &dir, &tag);
        let plain = BertParams::new(&f, p).with_fec(Some(FecParams::new(Code::Kr4, p)));
        let e = rtl::top::design_device(
            &f,
            p,
            DeviceBlocks {
                bert: Some(&plain),
                fec: Some(chain),
                ..DeviceBlocks::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("tx.interleave"), "{e}");
    }
    // the streaming device (no tester): the de-interleaver without reference beats
    let chain = FecParams::new(Code::Kp4, 4).interleaved(true);
    let blk = DeviceBlocks {
        fec: Some(chain),
        ..DeviceBlocks::default()
    };
    let dir = std::env::temp_dir().join(format!("rxdsp-dev-{}-fec-il-p4", std::process::id()));
    lint_written(&f, 4, blk, &dir, "fec-il-p4");
    let odd = FecParams {
        code: Code::Kr4,
        symbols: 3,
        interleave: true,
    };
    assert!(odd.check(8).is_err());
}

/// docs/registers.md (the default device) and docs/registers-adapt.md (the
/// default device with the adaptation engine at its default parameters) and
/// docs/registers-bert.md (the default device with the BER tester) are the
/// generated pages.
#[test]
fn registers_md_is_up_to_date() {
    let f = RxFormat::default();
    let title = rtl::top::registers_title(&f, 8);
    let adapt = HwAdaptParams {
        parallel: 8,
        mu_shift: golden::config::DEFAULT_HW_MU_SHIFT as u32,
        delay: 16,
        leak_shift: 0,
        block: BlockRule::Sum,
    };
    let pages = [
        ("registers.md", rtl::csr::regmap(&f, 8).markdown(&title)),
        (
            "registers-adapt.md",
            rtl::csr::regmap_with(&f, 8, Some(&adapt)).markdown(&format!(
                "{title}, with the adaptation engine (adapt.in_rtl = true, default adapt.* keys)"
            )),
        ),
        (
            "registers-bert.md",
            rtl::csr::regmap_device(&f, 8, blocks(None, Some(&BertParams::new(&f, 8)))).markdown(
                &format!("{title}, with the BER tester (`rxdsp bert`: emulator and checker)"),
            ),
        ),
        (
            "registers-fec.md",
            rtl::csr::regmap_device(
                &f,
                8,
                DeviceBlocks {
                    fec: Some(FecParams::new(golden::fec::Code::Kp4, 8)),
                    ..DeviceBlocks::default()
                },
            )
            .markdown(&format!(
                "{title}, with the KP4 RS decoder (tx.fec = \"kp4\", S = 2)"
            )),
        ),
        (
            "registers-bert-fec.md",
            rtl::csr::regmap_device(
                &f,
                8,
                DeviceBlocks {
                    bert: Some(&BertParams::new(&f, 8).with_fec(Some(FecParams::new(golden::fec::Code::Kp4, 8)))),
                    fec: Some(FecParams::new(golden::fec::Code::Kp4, 8)),
                    ..DeviceBlocks::default()
                },
            )
            .markdown(&format!(
                "{title}, with the BER tester and the KP4 RS decoder (`rxdsp bert` with tx.fec = \"kp4\")"
            )),
        ),
    ];
    for (name, want) in pages {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs")
            .join(name);
        if std::env::var_os("RXDSP_BLESS").is_some() {
            std::fs::write(&p, &want).unwrap();
        }
        let have = std::fs::read_to_string(&p).unwrap_or_default();
        assert!(
            have == want,
            "docs/{name} is stale: run `RXDSP_BLESS=1 cargo test -p rxdsp-rtl --test device registers_md`"
        );
    }
}
