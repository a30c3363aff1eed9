//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the synthesis flow.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A tool is not installed and the flow may not (or could not) install it.
    #[error("{tool} not found; install it with: {install}")]
    ToolMissing {
        /// The tool's name (`yosys`, `nextpnr-ecp5`, ...).
        tool: String,
        /// The command that installs it.
        install: String,
    },
    /// Creating the YoWASP virtual environment failed.
    #[error("could not set up the YoWASP tools in {venv}: `{command}` failed: {detail}")]
    Install {
        /// The venv folder.
        venv: PathBuf,
        /// The command that failed.
        command: String,
        /// Its exit status and last output lines.
        detail: String,
    },
    /// A tool ran and failed.
    #[error("{tool} failed ({status}); log {log}:\n{tail}")]
    ToolFailed {
        /// The tool's name.
        tool: String,
        /// Its exit status, as text.
        status: String,
        /// The full log.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// A file could not be read, written or a program could not be started.
    #[error("{context} {path}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The file or program.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The design needs more of some resource than the device has (nextpnr's
    /// utilization over 100%).
    #[error("design does not fit {device}: {over}; log {log}")]
    DoesNotFit {
        /// The part.
        device: String,
        /// The over-used resources, as `SB_IO 301/256, ...`.
        over: String,
        /// nextpnr's log.
        log: PathBuf,
    },
    /// A tool's output could not be understood.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// What was being parsed (file name or description).
        what: String,
        /// Why it failed.
        detail: String,
    },
    /// The request itself is invalid (unknown target, bad sweep spec, missing file...).
    #[error("{0}")]
    BadRequest(String),
}

impl SynthError {
    pub(crate) fn io(
        context: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        SynthError::Io {
            context,
            path: path.into(),
            source,
        }
    }
}
