//! The same co-simulation in Icarus Verilog: the generated testbench
//! [`rtl::tb::eq_testbench`] reads the input words, the valid/ready patterns
//! and the register writes with `$readmemh`/`$readmemb`, runs exactly the
//! protocol of [`crate::run_model`] and writes every output word with
//! `$fwrite`; Rust compares with golden.

use crate::verilator::get_bits;
use crate::{config_writes, Backpressure, CosimReport, RtlOutput, SimError};
use golden::numeric::{RxCoeffs, RxFormat};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

static RUN: AtomicUsize = AtomicUsize::new(0);

fn hex(words: &[u32], bits: u32) -> String {
    let digits = bits.div_ceil(4) as usize;
    let mut s = String::new();
    for i in (0..digits).rev() {
        let w = words[i / 8] >> ((i % 8) * 4);
        let _ = write!(s, "{:x}", w & 0xf);
    }
    s
}

fn parse_hex(s: &str) -> Result<Vec<u32>, SimError> {
    let digits: Vec<u32> = s
        .chars()
        .rev()
        .map(|c| {
            c.to_digit(16)
                .ok_or_else(|| SimError::Run(format!("bad hex output {s:?}")))
        })
        .collect::<Result<_, _>>()?;
    let mut w = vec![0u32; digits.len().div_ceil(8).max(1) + 1];
    for (i, d) in digits.iter().enumerate() {
        w[i / 8] |= d << ((i % 8) * 4);
    }
    Ok(w)
}

fn io(p: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    move |e| SimError::Io {
        path: p.to_path_buf(),
        source: e,
    }
}

/// Runs the Icarus testbench and returns the RTL outputs (cut to `samples.len()`).
pub fn run_icarus(
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    bp: &Backpressure,
) -> Result<RtlOutput, SimError> {
    let p = parallel;
    let d = rtl::design(fmt, p)?;
    if samples.is_empty() {
        return Ok(RtlOutput::default());
    }
    let dir: PathBuf = crate::verilator::cache_root().join(format!(
        "icarus-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut names = Vec::new();
    for (n, t) in &d.files {
        std::fs::write(dir.join(n), t).map_err(io(&dir))?;
        names.push(n.clone());
    }
    let a = fmt.adc_bits;
    let nwords = samples.len().div_ceil(p);
    let iw = p as u32 * a;
    let mut words_txt = String::new();
    let mut w = vec![0u32; iw.div_ceil(32) as usize + 1];
    for word in 0..nwords {
        w.iter_mut().for_each(|x| *x = 0);
        for i in 0..p {
            let v = samples.get(word * p + i).copied().unwrap_or(0) as i64 as u64 & ((1 << a) - 1);
            crate::verilator::put_bits(&mut w, i as u32 * a, a, v);
        }
        words_txt += &hex(&w, iw);
        words_txt.push('\n');
    }
    let (vpat, rpat) = bp.patterns();
    let bits = |v: &[bool]| {
        v.iter()
            .map(|&b| if b { "1\n" } else { "0\n" })
            .collect::<String>()
    };
    let writes = config_writes(fmt, coeffs);
    let dw = rtl::eq::cfg_data_bits(fmt);
    let aw = rtl::eq::cfg_addr_bits(fmt);
    let mut cfg_txt = String::new();
    for (addr, data) in &writes {
        let v = ((*addr as u128) << dw) | *data as u128;
        let ws = [v as u32, (v >> 32) as u32, (v >> 64) as u32];
        cfg_txt += &hex(&ws, aw + dw);
        cfg_txt.push('\n');
    }
    let st = rtl::tb::EqStimulus {
        words: nwords,
        valid_len: vpat.len(),
        ready_len: rpat.len(),
        cfg_writes: writes.len(),
    };
    let tb = rtl::tb::eq_testbench(fmt, p, &st)?.emit()?;
    for (n, t) in [
        (rtl::tb::WORDS_FILE, words_txt),
        (rtl::tb::VALID_FILE, bits(&vpat)),
        (rtl::tb::READY_FILE, bits(&rpat)),
        (rtl::tb::CFG_FILE, cfg_txt),
        ("tb.v", tb),
    ] {
        std::fs::write(dir.join(n), t).map_err(io(&dir))?;
    }
    let missing = |e: std::io::Error| SimError::ToolMissing {
        tool: "iverilog",
        detail: e.to_string(),
        install: "apt-get install iverilog",
    };
    let out = Command::new("iverilog")
        .current_dir(&dir)
        .args(["-g2005", "-o", "tb.vvp", "-s", rtl::tb::EQ_TB, "tb.v"])
        .args(&names)
        .output()
        .map_err(missing)?;
    if !out.status.success() {
        return Err(SimError::Build {
            dir,
            log: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let out = Command::new("vvp")
        .current_dir(&dir)
        .args(["-n", "tb.vvp"])
        .output()
        .map_err(missing)?;
    if !out.status.success() {
        return Err(SimError::Run(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    let text = std::fs::read_to_string(dir.join(rtl::tb::OUT_FILE)).map_err(io(&dir))?;
    let ob = fmt.ffe_out_bits;
    let mut r = RtlOutput::default();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["cycles", c] => r.cycles = c.parse().unwrap_or(0),
            ["stalled", c] => {
                return Err(SimError::Stalled {
                    got: r.data.len() / p,
                    want: nwords,
                    cycles: c.parse().unwrap_or(0),
                })
            }
            [dh, lh, yh] => {
                let (dw_, lw, yw) = (parse_hex(dh)?, parse_hex(lh)?, parse_hex(yh)?);
                for i in 0..p as u32 {
                    r.data.push(get_bits(&dw_, 2 * i, 2) as u8);
                    r.levels.push(get_bits(&lw, 2 * i, 2) as u8);
                    let v = get_bits(&yw, i * ob, ob);
                    r.y.push((((v << (64 - ob)) as i64) >> (64 - ob)) as i32);
                }
            }
            _ => {
                return Err(SimError::Run(format!(
                    "unexpected testbench output {line:?}"
                )))
            }
        }
    }
    if r.data.len() < samples.len() {
        return Err(SimError::Run(format!(
            "testbench wrote {} symbols, {} expected",
            r.data.len(),
            samples.len()
        )));
    }
    r.y.truncate(samples.len());
    r.levels.truncate(samples.len());
    r.data.truncate(samples.len());
    std::fs::remove_dir_all(&dir).ok();
    Ok(r)
}

/// [`crate::cosim`] with Icarus Verilog instead of Verilator.
pub fn cosim_icarus(
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    backpressure: Backpressure,
) -> Result<CosimReport, SimError> {
    crate::check_inputs(fmt, coeffs, samples)?;
    let t = Instant::now();
    let out = run_icarus(fmt, coeffs, parallel, samples, &backpressure)?;
    crate::finish(
        "icarus",
        (fmt, coeffs, parallel, samples),
        out,
        None,
        (std::time::Duration::ZERO, false),
        t,
    )
}
