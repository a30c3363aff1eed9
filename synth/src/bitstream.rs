//! ECP5 bitstreams for a named board: nextpnr with the board's `.lpf` and
//! `--textcfg`, then `ecppack`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::{tools, PnrExtra, SynthError, SynthReport, SynthRequest, Target};

/// A board with an ECP5 85F whose pin constraints ship with this crate
/// (`synth/boards/*.lpf`, for the ports of the board top `rxdsp_board_top` and of
/// `tests/data/counter.v`: `clk`, `rst_n`, `uart_rx`, `uart_tx`, `led[3:0]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Board {
    /// Radiona ULX3S with an LFE5U-85F (`ulx3s-85f`).
    #[serde(rename = "ulx3s-85f")]
    Ulx3s85f,
    /// Lattice ECP5-5G evaluation board, LFE5UM5G-85F-EVN (`ecp5-evn`).
    #[serde(rename = "ecp5-evn")]
    Ecp5Evn,
}

impl Board {
    /// Every board.
    pub const ALL: [Board; 2] = [Board::Ulx3s85f, Board::Ecp5Evn];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Board::Ulx3s85f => "ulx3s-85f",
            Board::Ecp5Evn => "ecp5-evn",
        }
    }

    /// The board's FPGA part.
    pub fn device(self) -> &'static str {
        match self {
            Board::Ulx3s85f => "LFE5U-85F-6BG381C",
            Board::Ecp5Evn => "LFE5UM5G-85F-8BG381",
        }
    }

    /// nextpnr-ecp5's device arguments for the board's part.
    pub fn nextpnr_args(self) -> &'static [&'static str] {
        match self {
            Board::Ulx3s85f => &["--85k", "--package", "CABGA381", "--speed", "6"],
            Board::Ecp5Evn => &["--um5g-85k", "--package", "CABGA381", "--speed", "8"],
        }
    }

    /// The board clock on the `clk` pin, Hz (the `.lpf`'s `FREQUENCY`).
    pub fn clock_hz(self) -> u64 {
        match self {
            Board::Ulx3s85f => 25_000_000,
            Board::Ecp5Evn => 12_000_000,
        }
    }

    /// Whether the four LEDs of the `.lpf` light when driven low.
    pub fn leds_active_low(self) -> bool {
        match self {
            Board::Ulx3s85f => false,
            Board::Ecp5Evn => true,
        }
    }

    /// openFPGALoader's name for the board (`openFPGALoader -b NAME file.bit`).
    pub fn loader_name(self) -> &'static str {
        match self {
            Board::Ulx3s85f => "ulx3s",
            Board::Ecp5Evn => "ecp5_evn",
        }
    }

    /// The command that loads `bit` into the board's FPGA (SRAM, lost at power-off).
    pub fn load_command(self, bit: &Path) -> String {
        format!("openFPGALoader -b {} {}", self.loader_name(), bit.display())
    }

    /// The pin constraints shipped for the board (the text of `boards/<name>.lpf`).
    pub fn lpf(self) -> &'static str {
        match self {
            Board::Ulx3s85f => include_str!("../boards/ulx3s-85f.lpf"),
            Board::Ecp5Evn => include_str!("../boards/ecp5-evn.lpf"),
        }
    }
}

impl fmt::Display for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Board {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::parse_named(s, &Board::ALL, Board::name, "board")
    }
}

/// A bitstream and the synthesis report of the run that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BitstreamReport {
    /// The board.
    pub board: Board,
    /// The `.bit` file.
    pub bitstream: PathBuf,
    /// The `.lpf` used.
    pub lpf: PathBuf,
    /// Resources and timing of the placed and routed design.
    pub synth: SynthReport,
    /// Wall time of `ecppack`, seconds.
    pub ecppack_seconds: f64,
}

/// Synthesize `req` (its target must be `ecp5-85k`) for `board`'s part with pin
/// constraints `lpf` (the board's shipped `.lpf` when `None`), place and route with
/// `--textcfg`, and pack `<work_dir>/<top>.bit`.
pub fn build_bitstream(
    req: &SynthRequest,
    board: Board,
    lpf: Option<&Path>,
    log: &mut dyn FnMut(&str),
) -> Result<BitstreamReport, SynthError> {
    if req.target != Target::Ecp5_85k {
        return Err(SynthError::BadRequest(format!(
            "bitstreams are for ECP5 boards; target {} has none here",
            req.target
        )));
    }
    std::fs::create_dir_all(&req.work_dir)
        .map_err(|e| SynthError::io("cannot create", &req.work_dir, e))?;
    let lpf = match lpf {
        Some(p) => std::fs::canonicalize(p).map_err(|e| SynthError::io("cannot find", p, e))?,
        None => {
            let p = std::fs::canonicalize(&req.work_dir)
                .map_err(|e| SynthError::io("cannot find", &req.work_dir, e))?
                .join(format!("{}.lpf", board.name()));
            std::fs::write(&p, board.lpf()).map_err(|e| SynthError::io("cannot write", &p, e))?;
            p
        }
    };
    let extra = PnrExtra {
        device: board.device(),
        device_args: board.nextpnr_args(),
    };
    let mut synth = crate::run_flow(req, Some(&extra), Some((&lpf, "--lpf", "--textcfg")), log)?;
    let textcfg = synth
        .artifacts
        .config
        .clone()
        .ok_or_else(|| SynthError::Parse {
            what: "nextpnr output".into(),
            detail: "no --textcfg file".into(),
        })?;
    let tc = tools::resolve(req.target, &req.venv, false, log)?;
    let pack = tc.pack.ok_or_else(|| SynthError::ToolMissing {
        tool: "ecppack".into(),
        install: tools::yowasp_install_command(&req.venv),
    })?;
    let bit = textcfg.with_file_name(format!("{}.bit", req.top));
    let t = Instant::now();
    // packed under a temporary name and renamed into place, so that a
    // failed or interrupted run never leaves a `.bit` that looks complete
    let partial = textcfg.with_file_name(format!("{}.partial.bit", req.top));
    ecppack(&pack, &textcfg, &partial, log)?;
    std::fs::rename(&partial, &bit).map_err(|e| SynthError::io("cannot rename", &partial, e))?;
    synth.tool_versions.insert("ecppack".into(), pack.version());
    Ok(BitstreamReport {
        board,
        bitstream: bit,
        lpf,
        synth,
        ecppack_seconds: t.elapsed().as_secs_f64(),
    })
}

/// Pack nextpnr's `--textcfg` output `textcfg` into the bitstream `bit` with `ecppack`
/// (`ecppack --compress --input TEXTCFG --bit BIT`), logging to `<bit>.ecppack.log`.
pub fn ecppack(
    pack: &tools::Tool,
    textcfg: &Path,
    bit: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<(), SynthError> {
    log(&format!("ecppack: {}", bit.display()));
    let dir = bit
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).map_err(|e| SynthError::io("cannot find", dir, e))?;
    let input =
        std::fs::canonicalize(textcfg).map_err(|e| SynthError::io("cannot find", textcfg, e))?;
    let name = bit
        .file_name()
        .ok_or_else(|| SynthError::BadRequest(format!("bad bitstream path {}", bit.display())))?;
    let args = [
        "--compress".to_string(),
        "--input".to_string(),
        crate::relative_path(&dir, &input).display().to_string(),
        "--bit".to_string(),
        name.to_string_lossy().into_owned(),
    ];
    let log_file = dir.join(name).with_extension("ecppack.log");
    tools::run_logged(pack, &args, &dir, &log_file)?;
    let ok = std::fs::metadata(bit).map(|m| m.len() > 0).unwrap_or(false);
    if !ok {
        return Err(SynthError::Parse {
            what: bit.display().to_string(),
            detail: "ecppack wrote no bitstream".into(),
        });
    }
    Ok(())
}
