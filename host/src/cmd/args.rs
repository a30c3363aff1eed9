//! Argument groups shared by several commands (`#[command(flatten)]`) and
//! the closed sets of values (`clap::ValueEnum`: clap refuses anything else
//! and lists the legal values in `--help`).

use anyhow::Result;
use clap::{Args, ValueEnum};
use golden::config::{Config, LinkPlan};
use rxdsp::cfgload;
use rxdsp::samples::SampleFormat;
use std::path::PathBuf;

/// `--config` and `--set`: the configuration of every command that has one.
#[derive(Args, Clone, Debug, Default)]
pub struct ConfigArgs {
    /// configuration file (TOML); the embedded default when absent
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// override any key: --set section.key=value (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl ConfigArgs {
    /// The configuration file (or the embedded default) with the overrides applied.
    pub fn load(&self) -> Result<Config> {
        Ok(cfgload::load(self.config.as_deref(), &self.set)?)
    }

    /// `cfg` resolved into a checked plan (a Touchstone path is taken
    /// relative to the configuration file).
    pub fn plan_of(&self, cfg: &Config) -> Result<LinkPlan> {
        Ok(cfgload::plan(cfg, self.config.as_deref())?)
    }

    /// [`ConfigArgs::load`] then [`ConfigArgs::plan_of`].
    pub fn plan(&self) -> Result<LinkPlan> {
        self.plan_of(&self.load()?)
    }

    /// The plan of a command that receives a sample file (`rx`, `stream`,
    /// `ami`): no transmitted symbols are known there, so `adapt.training`
    /// defaults to 0 (decision-directed adaptation) instead of the
    /// simulator's default. `adapt` (`--adapt`) turns the hardware engine on.
    pub fn plan_for_received(&self, adapt: Option<AdaptStart>) -> Result<LinkPlan> {
        let mut cfg = self.load()?;
        cfg.adapt.training.get_or_insert(0);
        if let Some(a) = adapt {
            cfg.adapt.in_rtl = true;
            cfg.eq.method = golden::config::EqMethod::SignSign;
            cfg.adapt.init = match a {
                AdaptStart::Zero => golden::config::AdaptInit::Zero,
                AdaptStart::Mmse => golden::config::AdaptInit::Mmse,
            };
        }
        if cfg.adapt.in_rtl && cfg.adapt.training.is_some_and(|t| t > 0) {
            anyhow::bail!("adapt.training needs the transmitted symbols, which a received sample file does not give: set adapt.training = 0 (the engine adapts decision-directed)");
        }
        self.plan_of(&cfg)
    }
}

/// `--adapt`: where the hardware adaptation engine starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AdaptStart {
    /// zero taps, the main FFE tap at its fixed value (`adapt.init = "zero"`)
    Zero,
    /// the MMSE taps for the configured channel (`adapt.init = "mmse"`)
    Mmse,
}

/// `--adapt` and `--plots` of the commands that receive a sample file.
#[derive(Args, Clone, Debug, Default)]
pub struct RxAdaptArgs {
    /// let the hardware adaptation engine adapt (decision-directed until
    /// adapt.symbols), starting from zero taps or the MMSE taps: sets
    /// adapt.in_rtl = true, eq.method = "sign-sign" and adapt.init
    #[arg(long, value_enum)]
    pub adapt: Option<AdaptStart>,
    /// write the adaptation plot (taps and threshold against time) into this folder
    #[arg(long)]
    pub plots: Option<PathBuf>,
}

/// Refuses `adapt.in_rtl` in the commands (`what`) that do not run the
/// hardware adaptation engine.
pub fn sim_only_adaptation(plan: &LinkPlan, what: &str) -> Result<()> {
    if plan.hw_adapt.is_some() {
        anyhow::bail!(
            "adapt.in_rtl = true is not modelled by {what} (it adapts in software: set adapt.in_rtl = false)"
        );
    }
    Ok(())
}

/// `--symbols` and `--seed`: the length and seed of a simulated run.
#[derive(Args, Clone, Debug, Default)]
pub struct RunArgs {
    /// symbols to simulate (overrides link.symbols)
    #[arg(long, allow_negative_numbers = true)]
    pub symbols: Option<i64>,
    /// seed (overrides link.seed)
    #[arg(long)]
    pub seed: Option<u64>,
}

impl RunArgs {
    /// The configuration of `c` with `--symbols` and `--seed` applied, resolved.
    pub fn plan(&self, c: &ConfigArgs) -> Result<LinkPlan> {
        let mut cfg = c.load()?;
        if let Some(n) = self.symbols {
            cfg.link.symbols = n;
        }
        if let Some(s) = self.seed {
            cfg.link.seed = s;
        }
        c.plan_of(&cfg)
    }
}

/// `--in`, `--format`, `--out` and `--report` of the commands that turn a
/// sample file into decoded bits (`rx`, `stream`).
#[derive(Args, Clone, Debug)]
pub struct SampleIoArgs {
    /// input samples (.npy, .ri8, .ri16, .rf32, .sigmf-data)
    #[arg(long = "in")]
    pub input: PathBuf,
    /// sample format, overriding the extension
    #[arg(long, value_enum)]
    pub format: Option<SampleFormatArg>,
    /// output: decoded bits, packed MSB first, two per input sample
    #[arg(long)]
    pub out: PathBuf,
    /// write a JSON report here
    #[arg(long)]
    pub report: Option<PathBuf>,
}

impl SampleIoArgs {
    /// The `--format` as the library's type.
    pub fn format(&self) -> Option<SampleFormat> {
        self.format.map(SampleFormat::from)
    }
}

/// `--format`: the sample file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SampleFormatArg {
    /// NumPy .npy (1-D int8, int16 or float32)
    Npy,
    /// raw signed 8-bit
    Ri8,
    /// raw signed 16-bit little-endian
    #[value(name = "ri16_le", alias = "ri16")]
    Ri16Le,
    /// raw 32-bit float little-endian
    #[value(name = "rf32_le", alias = "rf32")]
    Rf32Le,
}

impl From<SampleFormatArg> for SampleFormat {
    fn from(f: SampleFormatArg) -> Self {
        match f {
            SampleFormatArg::Npy => SampleFormat::Npy,
            SampleFormatArg::Ri8 => SampleFormat::Ri8,
            SampleFormatArg::Ri16Le => SampleFormat::Ri16Le,
            SampleFormatArg::Rf32Le => SampleFormat::Rf32Le,
        }
    }
}

/// `rxdsp synth --target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// Lattice ECP5 LFE5UM-85F, speed 6 (YoWASP tools)
    #[value(name = "ecp5-85k")]
    Ecp5_85k,
    /// Lattice iCE40 HX8K (Debian's tools)
    #[value(name = "ice40-hx8k")]
    Ice40Hx8k,
}

impl From<TargetArg> for synth::Target {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Ecp5_85k => synth::Target::Ecp5_85k,
            TargetArg::Ice40Hx8k => synth::Target::Ice40Hx8k,
        }
    }
}

/// `rxdsp synth --board`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BoardArg {
    /// Radiona ULX3S with an LFE5U-85F
    #[value(name = "ulx3s-85f")]
    Ulx3s85f,
    /// Lattice ECP5-5G evaluation board
    #[value(name = "ecp5-evn")]
    Ecp5Evn,
}

impl From<BoardArg> for synth::bitstream::Board {
    fn from(b: BoardArg) -> Self {
        match b {
            BoardArg::Ulx3s85f => synth::bitstream::Board::Ulx3s85f,
            BoardArg::Ecp5Evn => synth::bitstream::Board::Ecp5Evn,
        }
    }
}

/// `rxdsp synth --router`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RouterArg {
    /// nextpnr's default: rips up and reroutes arc by arc; slow on a congested
    /// design, but it completes the BER tester's board build where router2 diverges
    #[value(name = "router1")]
    Router1,
    /// negotiated congestion, all nets at once (diverges on the BER tester's board build)
    #[value(name = "router2")]
    Router2,
}

impl From<RouterArg> for synth::Router {
    fn from(r: RouterArg) -> Self {
        match r {
            RouterArg::Router1 => synth::Router::Router1,
            RouterArg::Router2 => synth::Router::Router2,
        }
    }
}

/// `rxdsp fec --code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CodeArg {
    /// RS(544,514), t = 15
    Kp4,
    /// RS(528,514), t = 7
    Kr4,
}

impl From<CodeArg> for golden::fec::Code {
    fn from(c: CodeArg) -> Self {
        match c {
            CodeArg::Kp4 => golden::fec::Code::Kp4,
            CodeArg::Kr4 => golden::fec::Code::Kr4,
        }
    }
}

/// `rxdsp fec encode|decode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FecOp {
    /// k message symbols per codeword in, n out
    Encode,
    /// n received symbols per codeword in, k out
    Decode,
}

/// `rxdsp cosim --backpressure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackpressureArg {
    /// valid and ready always high
    None,
    /// valid and ready high 3 cycles of 4
    #[value(name = "1110")]
    Cycle1110,
    /// valid and ready each high with probability 0.7 (seeded by link.seed)
    Random,
}

impl BackpressureArg {
    /// The simulator's flow-control pattern (`seed` for the random one).
    pub fn pattern(self, seed: u64) -> sim::Backpressure {
        match self {
            BackpressureArg::None => sim::Backpressure::None,
            BackpressureArg::Cycle1110 => sim::Backpressure::cycle_1110(),
            BackpressureArg::Random => sim::Backpressure::Random {
                seed,
                p_valid: 0.7,
                p_ready: 0.7,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: ValueEnum>() -> Vec<(T, String)> {
        T::value_variants()
            .iter()
            .map(|v| {
                let name = v
                    .to_possible_value()
                    .expect("visible")
                    .get_name()
                    .to_string();
                (v.clone(), name)
            })
            .collect()
    }

    /// The command line's names are the libraries' own names for the same values.
    #[test]
    fn value_names_match_the_libraries() {
        for (t, n) in names::<TargetArg>() {
            assert_eq!(n.parse::<synth::Target>().unwrap(), synth::Target::from(t));
        }
        for (b, n) in names::<BoardArg>() {
            let lib: synth::bitstream::Board = n.parse().unwrap();
            assert_eq!(lib, synth::bitstream::Board::from(b));
        }
        for (c, n) in names::<CodeArg>() {
            let lib: golden::fec::Code = n.parse().unwrap();
            assert_eq!(lib, golden::fec::Code::from(c));
        }
        for (f, n) in names::<SampleFormatArg>() {
            assert_eq!(n.parse::<SampleFormat>().unwrap(), SampleFormat::from(f));
        }
        assert_eq!(names::<TargetArg>().len(), synth::Target::ALL.len());
        assert_eq!(
            names::<BoardArg>().len(),
            synth::bitstream::Board::ALL.len()
        );
    }
}
