//! `rxdsp ami`: the receiver as an IBIS-AMI Rx model. Writes the library
//! (`rxdsp_rx.so`, copied from beside the running program), `rxdsp_rx.ami` and
//! `rxdsp_rx.ibs` generated from the resolved config, and the data of the `.ibs` file's
//! `[AMI Test Configuration]` blocks (expected outputs from the golden model); then loads
//! the written library and runs those blocks itself (exit 1 on any difference).

use super::args::ConfigArgs;
use super::{write_file, Mismatch};
use anyhow::{bail, Context, Result};
use clap::Args;
use rxdsp_rx::export::{self, TestConfig, AMI_NAME, IBS_NAME, SO_NAME};
use rxdsp_rx::Settings;
use std::ffi::{c_char, c_long, c_void, CStr, CString};
use std::path::{Path, PathBuf};

/// `rxdsp ami`.
#[derive(Args)]
pub struct AmiArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    /// output folder
    #[arg(long)]
    out: PathBuf,
    /// UIs of the time-domain test configuration (default: the Ignore_Bits window plus
    /// 2000, at most 20000)
    #[arg(long)]
    uis: Option<usize>,
}

/// The cdylib cargo builds beside the running program (`target/<profile>/`), or in its
/// `deps/` folder when cargo built it only as a dependency.
fn find_library() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the rxdsp program")?;
    let dir = exe.parent().context("the rxdsp program has no folder")?;
    // `cargo build -p rxdsp` refreshes only deps/ (the library is a dependency there), and
    // `cargo build -p rxdsp-ami` only the top one: the newer is the one built with this code
    let newest = [dir.join("librxdsp_rx.so"), dir.join("deps/librxdsp_rx.so")]
        .into_iter()
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .max_by_key(|(t, _)| *t);
    if let Some((_, p)) = newest {
        return Ok(p);
    }
    let profile = if dir.ends_with("release") {
        " --release"
    } else {
        ""
    };
    bail!(
        "librxdsp_rx.so is not beside {}: build it with `cargo build{profile} -p rxdsp-ami`",
        exe.display()
    )
}

/// Runs `rxdsp ami`.
pub fn run(a: AmiArgs) -> Result<()> {
    let cfg = a.cfg.load()?;
    if cfg.adapt.training.is_some_and(|t| t > 0) {
        bail!("adapt.training needs the transmitted symbols, which an AMI simulation does not give the model: set adapt.training = 0 (the model adapts decision-directed)");
    }
    let plan = a.cfg.plan_for_received(None)?;
    super::args::sim_only_adaptation(&plan, "the IBIS-AMI model")?;
    let lib = find_library()?;
    let so = std::fs::read(&lib).with_context(|| format!("reading {}", lib.display()))?;
    let s = Settings::from_plan(&plan, cfg.adc.full_scale.is_some());
    let ignore = export::ignore_bits(&s) as usize;
    let uis = a.uis.unwrap_or_else(|| (ignore + 2000).min(20_000));
    if !(1..=1_000_000).contains(&uis) {
        bail!("--uis {uis} is out of range (1..=1000000)");
    }
    let tests = export::test_configs(&s, &plan.pulse, cfg.channel.baud, uis, 40, plan.seed)
        .context("the test configurations")?;
    let out = &a.out;
    for t in &tests {
        for (name, text) in &t.files {
            write_file(&out.join(name), text.as_bytes())?;
        }
    }
    write_file(&out.join(AMI_NAME), export::ami_file(&s).as_bytes())?;
    write_file(&out.join(SO_NAME), &so)?;
    // the written library runs the test configurations before the .ibs is written: a
    // folder without the .ibs is not a model
    verify(out, &tests)?;
    let ibs = export::ibs_file(&tests, "none: a function of the config");
    write_file(&out.join(IBS_NAME), ibs.as_bytes())?;
    println!(
        "ami        {} (from {})",
        out.join(SO_NAME).display(),
        lib.display()
    );
    println!(
        "ami        {}: {} coefficients, {} FFE taps, {} DFE taps, {}-bit ADC, config_hash {}",
        out.join(AMI_NAME).display(),
        s.method.name(),
        s.format.ffe_taps,
        s.format.dfe_taps,
        s.format.adc_bits,
        s.config_hash.as_deref().unwrap_or("")
    );
    if ignore > uis {
        println!("note       the time-domain test ({uis} UIs) ends inside the adaptation window ({ignore} UIs): set adapt.symbols lower or --uis higher to test the adapted equalizer");
    }
    println!(
        "ami        {}: {} test configurations pass at zero tolerance",
        out.join(IBS_NAME).display(),
        tests.len()
    );
    Ok(())
}

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

fn numbers(text: &str) -> Result<Vec<f64>> {
    text.lines()
        .map(|l| l.trim().parse::<f64>().context("a test data file"))
        .collect()
}

fn file<'a>(t: &'a TestConfig, suffix: &str) -> Result<&'a str> {
    t.files
        .iter()
        .find(|(n, _)| n.ends_with(suffix))
        .map(|(_, c)| c.as_str())
        .context("a test configuration without its files")
}

/// A simulator's run of each test configuration on the written library: `AMI_Init` on
/// the input impulse, `AMI_GetWave` in calls of the configuration's `Wave_size`.
fn verify(dir: &Path, tests: &[TestConfig]) -> Result<()> {
    let so = dir.join(SO_NAME);
    // SAFETY: our own library, just written; its initialisers are Rust's
    let lib = unsafe { libloading::Library::new(&so) }
        .with_context(|| format!("loading {}", so.display()))?;
    let (init, get_wave, close) = unsafe {
        (
            *lib.get::<InitFn>(b"AMI_Init")?,
            *lib.get::<GetWaveFn>(b"AMI_GetWave")?,
            *lib.get::<CloseFn>(b"AMI_Close")?,
        )
    };
    // every configuration's Input_IR_file is the statistical one's
    let ir_in = tests
        .iter()
        .flat_map(|t| t.files.iter())
        .find(|(n, _)| n.ends_with("stat_ir_in.txt"))
        .map(|(_, c)| c.as_str())
        .context("no input impulse among the test files")?;
    for t in tests {
        let params = file(t, "params.txt")?;
        let sim = |key: &str| -> Result<f64> {
            let l = params
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("({key} ")))
                .with_context(|| format!("{key} in the test parameters"))?;
            Ok(l.trim()
                .trim_start_matches(&format!("({key} "))
                .trim_end_matches(')')
                .parse()?)
        };
        let (dt, ui) = (sim("Sample_interval")?, sim("Symbol_time")?);
        let model = params
            .split("(Model_parameters")
            .nth(1)
            .context("Model_parameters")?
            .trim()
            .strip_suffix(')')
            .context("Model_parameters")?
            .trim();
        let p = CString::new(model)?;
        let mut h = numbers(ir_in)?;
        let (mut out, mut handle, mut msg) = (
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        // SAFETY: the IBIS calling convention with buffers of the stated sizes
        let r = unsafe {
            init(
                h.as_mut_ptr(),
                h.len() as c_long,
                0,
                dt,
                ui,
                p.as_ptr(),
                &mut out,
                &mut handle,
                &mut msg,
            )
        };
        let text = |c: *mut c_char| unsafe { CStr::from_ptr(c) }.to_string_lossy().into_owned();
        let result = (|| -> Result<()> {
            if r != 1 {
                return Err(
                    Mismatch(format!("{}: AMI_Init returned {r}: {}", t.name, text(msg))).into(),
                );
            }
            if t.kind == "Statistical" {
                let want = numbers(file(t, "ir_golden.txt")?)?;
                if h != want {
                    return Err(Mismatch(format!(
                        "{}: the equalized impulse differs from the golden model's",
                        t.name
                    ))
                    .into());
                }
                if text(out) != file(t, "params_out.txt")? {
                    return Err(Mismatch(format!(
                        "{}: output parameters {} differ",
                        t.name,
                        text(out)
                    ))
                    .into());
                }
                return Ok(());
            }
            let mut w = numbers(file(t, "wave_in.txt")?)?;
            let chunk = sim("Wave_size")? as usize;
            let mut clocks = vec![0.0; chunk + 2];
            for c in w.chunks_mut(chunk.max(1)) {
                let mut po = std::ptr::null_mut();
                // SAFETY: as above
                let r = unsafe {
                    get_wave(
                        c.as_mut_ptr(),
                        c.len() as c_long,
                        clocks.as_mut_ptr(),
                        &mut po,
                        handle,
                    )
                };
                if r != 1 {
                    return Err(Mismatch(format!(
                        "{}: AMI_GetWave returned {r}: {}",
                        t.name,
                        text(po)
                    ))
                    .into());
                }
            }
            let want = numbers(file(t, "wave_golden.txt")?)?;
            if let Some(i) = (0..w.len()).find(|&i| w[i] != want[i]) {
                return Err(Mismatch(format!(
                    "{}: sample {i}: the library wrote {} and the golden model {}",
                    t.name, w[i], want[i]
                ))
                .into());
            }
            Ok(())
        })();
        // SAFETY: the handle from AMI_Init
        unsafe { close(handle) };
        result?;
    }
    Ok(())
}
