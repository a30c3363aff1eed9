//! The run configuration: the TOML keys users write, their defaults, their
//! legal ranges, and [`Config::resolve`] which turns them into a checked
//! [`LinkPlan`]. Parsing TOML is the caller's job (the host crate); every
//! section refuses unknown keys.
//!
//! Integer keys are read as signed so that a negative value gets a range
//! message naming the key rather than a type error.

use crate::adapt::{BlockRule, HwAdaptParams};
use crate::channel::{self, Adc, Pulse};
use crate::coeffs::AdaptAlgo;
use crate::numeric::{FormatError, RxCoeffs, RxFormat};
use crate::prbs::Pattern;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The embedded default configuration, with comments: `rxdsp config --print-default`.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// Errors in a configuration.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// A value is out of range.
    #[error("{key} = {value} is out of range ({range})")]
    Range {
        /// the TOML key
        key: &'static str,
        /// the value as written
        value: String,
        /// what is legal
        range: String,
    },
    /// Keys that exclude each other, or an impossible combination.
    #[error("{0}")]
    Conflict(String),
    /// From the numeric contract.
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// Forward error correction on the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FecKind {
    /// no FEC
    #[default]
    None,
    /// RS(544,514), t = 15
    Kp4,
    /// RS(528,514), t = 7
    Kr4,
}

/// Where the equalizer coefficients come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EqMethod {
    /// no equalization: pass-through FFE, no DFE, threshold from the signal
    None,
    /// `ffe.coeffs`, `dfe.coeffs` and `slicer.threshold` as given
    Manual,
    /// zero-forcing from the channel
    Zf,
    /// MMSE from the channel and noise
    #[default]
    Mmse,
    /// fixed-point LMS adaptation
    Lms,
    /// fixed-point sign-sign LMS adaptation
    SignSign,
}

impl EqMethod {
    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            EqMethod::None => "none",
            EqMethod::Manual => "manual",
            EqMethod::Zf => "zf",
            EqMethod::Mmse => "mmse",
            EqMethod::Lms => "lms",
            EqMethod::SignSign => "sign-sign",
        }
    }
}

/// `[link]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkCfg {
    /// symbols to simulate
    pub symbols: i64,
    /// seed of every random draw
    pub seed: u64,
    /// data pattern
    pub pattern: Pattern,
    /// the channel, noise and ADC arithmetic
    pub model: LinkModel,
    /// the emulator's error injector: every symbol `n` with
    /// `n mod K == K - 1` enters the channel at the adjacent level (level
    /// index XOR 1); 0 = off (`golden::emu::injected`)
    #[serde(skip_serializing_if = "is_default")]
    pub inject_every: i64,
}

impl Default for LinkCfg {
    fn default() -> Self {
        LinkCfg {
            symbols: 1_000_000,
            seed: 1,
            pattern: Pattern::Prbs31,
            model: LinkModel::Reference,
            inject_every: 0,
        }
    }
}

/// How the channel, the noise and the ADC are computed (`link.model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LinkModel {
    /// floating-point channel, ziggurat Gaussian noise, rounding ADC
    #[default]
    Reference,
    /// the on-chip emulator's integers: quantized channel taps, table noise
    /// per lane, integer ADC (`golden::emu`, docs/emulator.md)
    Emulator,
}

impl LinkModel {
    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            LinkModel::Reference => "reference",
            LinkModel::Emulator => "emulator",
        }
    }
}

/// `[tx]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TxCfg {
    /// FEC code
    pub fec: FecKind,
    /// 1/(1+D) mod 4 precoding
    pub precode: bool,
    /// 2-way codeword symbol interleave (with FEC)
    pub interleave: bool,
    /// transmit FFE `[c(-1), c(0), c(1)]` at UI spacing, magnitudes summing
    /// to 1 (802.3ck style); absent = none
    pub ffe: Option<Vec<f64>>,
    /// transmitter bandwidth: a one-pole low-pass with this -3 dB frequency,
    /// GHz, on the oversampled waveform (needs `channel.samples_per_ui` >= 8); absent = none
    pub bw_ghz: Option<f64>,
}

/// `[channel]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelCfg {
    /// named preset (see [`channel::PRESETS`])
    pub preset: Option<String>,
    /// explicit pulse response at one sample per UI
    pub taps: Option<Vec<f64>>,
    /// main-cursor index in `taps` (default: the largest tap)
    pub main: Option<i64>,
    /// mean PAM4 symbol power over noise variance, dB
    pub snr_db: f64,
    /// Touchstone file (.s2p or .s4p) of the through channel, instead of a preset
    pub touchstone: Option<String>,
    /// how the Touchstone ports form the through channel: "1,3->2,4", "1,2->3,4" (4-port) or "s21"
    pub port_map: Option<String>,
    /// symbol rate the Touchstone channel is sampled at, in baud (also the
    /// time scale of the CTLE's frequencies and of the SJ frequency)
    pub baud: f64,
    /// samples per UI of the waveform (1 = the baud-rate model; a power of
    /// two up to 64). With more than one, `taps` are at this rate.
    #[serde(skip_serializing_if = "is_one")]
    pub samples_per_ui: i64,
}

fn is_one(v: &i64) -> bool {
    *v == 1
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl Default for ChannelCfg {
    fn default() -> Self {
        ChannelCfg {
            preset: None,
            taps: None,
            main: None,
            snr_db: 30.0,
            touchstone: None,
            port_map: None,
            baud: channel::PRESET_BAUD,
            samples_per_ui: 1,
        }
    }
}

/// `[adc]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdcCfg {
    /// width in bits
    pub bits: i64,
    /// input amplitude of the top code; absent = the noiseless peak plus 3 sigma of noise
    pub full_scale: Option<f64>,
    /// sampling instant, UI, from the nominal one (the pulse's peak; with a
    /// CDR, its lock point, and this is the loop's starting phase)
    #[serde(skip_serializing_if = "is_zero")]
    pub phase: f64,
}

impl Default for AdcCfg {
    fn default() -> Self {
        AdcCfg {
            bits: 8,
            full_scale: None,
            phase: 0.0,
        }
    }
}

/// `[ctle]`: the COM continuous-time linear equalizer ([`crate::wave::Ctle`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CtleCfg {
    /// a standard family ([`crate::wave::CTLE_PRESETS`]): sets f_z, f_p1, f_p2, f_lf from the baud rate
    pub preset: Option<String>,
    /// DC gain, dB (-30..=0; default 0)
    pub g_dc: Option<f64>,
    /// low-frequency stage DC gain, dB (-30..=0; default 0), with f_lf
    pub g_dc2: Option<f64>,
    /// zero, Hz
    pub f_z: Option<f64>,
    /// first pole, Hz
    pub f_p1: Option<f64>,
    /// second pole, Hz
    pub f_p2: Option<f64>,
    /// low-frequency pole-zero pair, Hz
    pub f_lf: Option<f64>,
    /// choose g_dc (and g_dc2) on the preset's grid for the best MMSE figure of the equalizer
    pub search: bool,
}

/// `[jitter]`: on the sampling instants ([`crate::wave::Jitter`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct JitterCfg {
    /// random jitter, RMS, UI
    pub rj_ui: f64,
    /// dual-Dirac deterministic jitter, peak to peak, UI
    pub dj_ui: f64,
    /// sinusoidal jitter amplitude, UI
    pub sj_ui: f64,
    /// sinusoidal jitter frequency, Hz
    pub sj_freq: f64,
}

/// `[cdr]`: the clock recovery loop ([`crate::cdr`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CdrCfg {
    /// "none" (fixed phase) | "mm" (Mueller-Muller)
    pub kind: CdrKind,
    /// proportional gain 2^-kp_shift
    pub kp_shift: i64,
    /// integral gain 2^-ki_shift
    pub ki_shift: i64,
    /// phase register resolution: 2^-phase_bits UI
    pub phase_bits: i64,
    /// UI between loop updates
    pub update: i64,
    /// integer subtracted from every phase-detector output: moves the lock
    /// point; absent = the value that locks at the pulse's peak
    pub bias: Option<i64>,
}

impl Default for CdrCfg {
    fn default() -> Self {
        CdrCfg {
            kind: CdrKind::None,
            kp_shift: crate::cdr::DEFAULT_KP_SHIFT,
            ki_shift: crate::cdr::DEFAULT_KI_SHIFT,
            phase_bits: crate::cdr::DEFAULT_PHASE_BITS,
            update: crate::cdr::DEFAULT_UPDATE,
            bias: None,
        }
    }
}

/// `cdr.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CdrKind {
    /// the sampling phase is fixed (`adc.phase`)
    #[default]
    None,
    /// Mueller-Muller baud-rate phase detector, second-order loop
    Mm,
}

/// `[ffe]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FfeCfg {
    /// taps
    pub taps: i64,
    /// main-cursor tap index; absent = [`default_ffe_main`] of `taps`
    pub main: Option<i64>,
    /// coefficient width
    pub coef_bits: i64,
    /// coefficient fractional bits
    pub coef_frac: i64,
    /// output width
    pub out_bits: i64,
    /// output fractional bits
    pub out_frac: i64,
    /// manual coefficients (with `eq.method = "manual"`)
    pub coeffs: Option<Vec<i64>>,
}

impl Default for FfeCfg {
    fn default() -> Self {
        let f = RxFormat::default();
        FfeCfg {
            taps: f.ffe_taps as i64,
            main: None,
            coef_bits: f.ffe_coef_bits as i64,
            coef_frac: f.ffe_coef_frac as i64,
            out_bits: f.ffe_out_bits as i64,
            out_frac: f.ffe_out_frac as i64,
            coeffs: None,
        }
    }
}

/// `[dfe]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DfeCfg {
    /// taps (0 = off)
    pub taps: i64,
    /// coefficient width
    pub coef_bits: i64,
    /// manual coefficients
    pub coeffs: Option<Vec<i64>>,
}

impl Default for DfeCfg {
    fn default() -> Self {
        let f = RxFormat::default();
        DfeCfg {
            taps: f.dfe_taps as i64,
            coef_bits: f.dfe_coef_bits as i64,
            coeffs: None,
        }
    }
}

/// `[slicer]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SlicerCfg {
    /// outer threshold (manual method)
    pub threshold: Option<i64>,
}

/// `[eq]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct EqCfg {
    /// coefficient source
    pub method: EqMethod,
}

/// `[adapt]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdaptCfg {
    /// samples the adaptation runs over before the coefficients freeze
    pub symbols: i64,
    /// step size as a right shift (absent = 14 for lms, 5 for sign-sign)
    pub mu_shift: Option<i64>,
    /// leading symbols adapted with known transmitted levels (sim only);
    /// absent = [`default_training`] of `symbols`
    pub training: Option<i64>,
    /// adapt with the hardware engine's arithmetic ([`crate::adapt`]) during
    /// the whole run instead of computing coefficients before it
    pub in_rtl: bool,
    /// words between computing an update and applying it (delayed LMS)
    pub delay: i64,
    /// leakage shift (0 = none)
    pub leak_shift: i64,
    /// lane rule of the hardware engine: "sum" | "round-robin"
    pub block: BlockRule,
    /// starting coefficients of the hardware engine: "zero" | "mmse"
    pub init: AdaptInit,
    /// symbols between two points of the reported tap trajectory (0 = symbols / 100)
    pub report_every: i64,
    /// the hardware engine's coarse step for acquisition: the first
    /// `gear_symbols` adapt with each word's update counted 2^gear_shift times
    /// (0..=mu_shift), the rest at the finest step
    pub gear_shift: i64,
    /// symbols adapted at the coarse step `gear_shift` (0 = none)
    pub gear_symbols: i64,
}

/// Where the hardware engine starts (`adapt.init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdaptInit {
    /// pass-through FFE (main tap fixed at unity), no DFE, threshold from the mean |x|
    #[default]
    Zero,
    /// the MMSE design for the configured channel and noise
    Mmse,
}

impl AdaptInit {
    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            AdaptInit::Zero => "zero",
            AdaptInit::Mmse => "mmse",
        }
    }
}

/// The hardware adaptation of a plan (`adapt.in_rtl = true`).
#[derive(Clone, Debug, PartialEq)]
pub struct HwAdaptPlan {
    /// the engine's parameters
    pub params: HwAdaptParams,
    /// starting coefficients
    pub init: AdaptInit,
    /// symbols between trajectory points
    pub report_every: u64,
    /// `(adapt.gear_shift, adapt.gear_symbols)`: the step of the words whose
    /// first sample is before `gear_symbols` (0 after)
    pub gear: (u32, u64),
}

impl HwAdaptPlan {
    /// The step of word `w` (`P` samples per word): `gear_shift` while the
    /// word's first sample is before `gear_symbols`, else 0.
    pub fn step_of(&self, w: u64) -> u32 {
        if w * (self.params.parallel as u64) < self.gear.1 {
            self.gear.0
        } else {
            0
        }
    }
}

impl Default for AdaptCfg {
    fn default() -> Self {
        AdaptCfg {
            symbols: 200_000,
            mu_shift: None,
            training: None,
            in_rtl: false,
            delay: 16,
            leak_shift: 0,
            block: BlockRule::Sum,
            init: AdaptInit::Zero,
            report_every: 0,
            gear_shift: 0,
            gear_symbols: 0,
        }
    }
}

/// `[rtl]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RtlCfg {
    /// samples per clock
    pub parallel: i64,
}

impl Default for RtlCfg {
    fn default() -> Self {
        RtlCfg { parallel: 8 }
    }
}

/// A whole configuration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[link]`
    pub link: LinkCfg,
    /// `[tx]`
    pub tx: TxCfg,
    /// `[channel]`
    pub channel: ChannelCfg,
    /// `[adc]`
    pub adc: AdcCfg,
    /// `[ffe]`
    pub ffe: FfeCfg,
    /// `[dfe]`
    pub dfe: DfeCfg,
    /// `[slicer]`
    pub slicer: SlicerCfg,
    /// `[eq]`
    pub eq: EqCfg,
    /// `[adapt]`
    pub adapt: AdaptCfg,
    /// `[rtl]`
    pub rtl: RtlCfg,
    /// `[ctle]`
    #[serde(skip_serializing_if = "is_default")]
    pub ctle: CtleCfg,
    /// `[jitter]`
    #[serde(skip_serializing_if = "is_default")]
    pub jitter: JitterCfg,
    /// `[cdr]`
    #[serde(skip_serializing_if = "is_default")]
    pub cdr: CdrCfg,
}

/// The preset used when neither `channel.taps` nor `channel.preset` is given.
pub const DEFAULT_PRESET: &str = "lpo-host-16db";

/// Legal values of `rtl.parallel`.
pub const PARALLEL_VALUES: [i64; 6] = [1, 2, 4, 8, 16, 32];

/// A checked configuration, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkPlan {
    /// symbols to simulate
    pub symbols: u64,
    /// the run's seed
    pub seed: u64,
    /// data pattern
    pub pattern: Pattern,
    /// channel, noise and ADC arithmetic
    pub model: LinkModel,
    /// `link.inject_every`: the emulator injects an error at every symbol
    /// `n` with `n mod K == K - 1` (0 = off; see `golden::emu::injected`)
    pub inject_every: u64,
    /// FEC code
    pub fec: FecKind,
    /// 2-way interleave
    pub interleave: bool,
    /// name of the channel (preset name or "taps")
    pub channel_name: String,
    /// pulse response
    pub pulse: Pulse,
    /// SNR in dB
    pub snr_db: f64,
    /// noise standard deviation
    pub sigma: f64,
    /// the ADC
    pub adc: Adc,
    /// numeric format of the receiver
    pub format: RxFormat,
    /// coefficient source
    pub method: EqMethod,
    /// manual coefficients, when the method is manual
    pub manual: Option<RxCoeffs>,
    /// adaptation algorithm, when adapting
    pub adapt_algo: Option<AdaptAlgo>,
    /// adaptation step as a shift
    pub mu_shift: u32,
    /// adaptation length
    pub adapt_symbols: u64,
    /// trained symbols
    pub training: u64,
    /// samples per clock of the RTL
    pub parallel: usize,
    /// the hardware adaptation engine, when `adapt.in_rtl`
    pub hw_adapt: Option<HwAdaptPlan>,
    /// the transmit FFE folded into `pulse`, when `tx.ffe` is given
    pub tx_ffe: Option<[f64; 3]>,
    /// the oversampled link (CTLE, jitter, phase, CDR); `None` = the baud-rate model
    pub realism: Option<crate::realism::Realism>,
}

impl LinkPlan {
    /// The noise standard deviation at the ADC (the CTLE's noise gain times `sigma`).
    pub fn sampler_sigma(&self) -> f64 {
        self.sigma * self.realism.as_ref().map_or(1.0, |r| r.noise_gain)
    }
}

fn range<T: std::fmt::Display + PartialOrd + Copy>(
    key: &'static str,
    v: T,
    lo: T,
    hi: T,
) -> Result<T, ConfigError> {
    if v < lo || v > hi {
        Err(ConfigError::Range {
            key,
            value: v.to_string(),
            range: format!("{lo}..={hi}"),
        })
    } else {
        Ok(v)
    }
}

/// Most symbols one run may simulate.
pub const MAX_SYMBOLS: i64 = 1 << 40;

/// The main-cursor index `ffe.main` takes when it is not given: 3 (three
/// pre-cursor taps), or the last tap when the FFE has fewer than four taps,
/// so that `ffe.taps` alone always gives a legal FFE.
pub fn default_ffe_main(ffe_taps: i64) -> i64 {
    DEFAULT_FFE_MAIN.min(ffe_taps - 1).max(0)
}

/// `ffe.main` of the default configuration (with enough taps).
pub const DEFAULT_FFE_MAIN: i64 = 3;

/// The trained symbols `adapt.training` takes when it is not given: 20000,
/// or all of `adapt.symbols` when fewer are adapted.
pub fn default_training(adapt_symbols: i64) -> i64 {
    DEFAULT_TRAINING.min(adapt_symbols).max(0)
}

/// `adapt.mu_shift` of the hardware engine when not given (measured on
/// lpo-host-16db at 30 dB: 1.5x the MMSE BER after 10^6 symbols, docs/adaptation.md).
pub const DEFAULT_HW_MU_SHIFT: i64 = 7;

/// `adapt.training` of the default configuration (with enough adapted symbols).
pub const DEFAULT_TRAINING: i64 = 20_000;

/// The `[channel]` part of a plan.
struct ChannelPlan {
    name: String,
    pulse: Pulse,
    snr_db: f64,
    sigma: f64,
    realism: Option<crate::realism::Realism>,
}

/// The `[eq]`/`[adapt]` part of a plan.
struct EqPlan {
    method: EqMethod,
    manual: Option<RxCoeffs>,
    adapt_algo: Option<AdaptAlgo>,
    mu_shift: u32,
    adapt_symbols: u64,
    training: u64,
}

impl Config {
    /// Checks every key and builds the plan. A configuration naming a
    /// Touchstone file needs [`Config::resolve_with`] and the file's text.
    pub fn resolve(&self) -> Result<LinkPlan, ConfigError> {
        self.resolve_with(None)
    }

    /// [`Config::resolve`] with the text of the `channel.touchstone` file
    /// (the golden model does no I/O: the caller reads it).
    pub fn resolve_with(&self, touchstone_text: Option<&str>) -> Result<LinkPlan, ConfigError> {
        let symbols = range("link.symbols", self.link.symbols, 1, MAX_SYMBOLS)? as u64;
        let ch = self.resolve_channel(touchstone_text)?;
        let adc = self.resolve_adc(&ch)?;
        let format = self.resolve_format()?;
        let eq = self.resolve_eq(&format)?;
        let parallel = self.resolve_rtl()?;
        let hw_adapt = self.resolve_hw_adapt(&eq, parallel, symbols)?;
        self.check_tx()?;
        let inject_every = self.resolve_inject(parallel)?;
        let mut plan = LinkPlan {
            symbols,
            seed: self.link.seed,
            pattern: self.link.pattern,
            model: self.link.model,
            inject_every,
            fec: self.tx.fec,
            interleave: self.tx.interleave,
            channel_name: ch.name,
            pulse: ch.pulse,
            snr_db: ch.snr_db,
            sigma: ch.sigma,
            adc,
            format,
            method: eq.method,
            manual: eq.manual,
            adapt_algo: eq.adapt_algo,
            mu_shift: eq.mu_shift,
            adapt_symbols: eq.adapt_symbols,
            training: eq.training,
            parallel,
            hw_adapt,
            tx_ffe: self.tx_ffe()?,
            realism: ch.realism,
        };
        crate::realism::finish_cdr(&mut plan)?;
        Ok(plan)
    }

    /// `[channel]`: the SNR and the pulse response from exactly one of
    /// `taps`, `preset` (default [`DEFAULT_PRESET`]) and `touchstone`.
    fn resolve_channel(&self, touchstone_text: Option<&str>) -> Result<ChannelPlan, ConfigError> {
        let snr_db = self.channel.snr_db;
        if !snr_db.is_finite() {
            return Err(ConfigError::Range {
                key: "channel.snr_db",
                value: snr_db.to_string(),
                range: "a finite number of dB".into(),
            });
        }
        range("channel.snr_db", snr_db, -20.0, 200.0)?;
        let given = [
            self.channel.taps.is_some(),
            self.channel.preset.is_some(),
            self.channel.touchstone.is_some(),
        ];
        if given.iter().filter(|&&g| g).count() > 1 {
            return Err(ConfigError::Conflict(
                "set one of channel.taps, channel.preset and channel.touchstone".into(),
            ));
        }
        if self.channel.touchstone.is_none() && self.channel.port_map.is_some() {
            return Err(ConfigError::Conflict(
                "channel.port_map goes with channel.touchstone".into(),
            ));
        }
        let sigma = channel::noise_sigma(snr_db);
        if self.realism_asked() {
            let (name, pulse, r) = self.resolve_realism(touchstone_text, sigma)?;
            return Ok(ChannelPlan {
                name,
                pulse,
                snr_db,
                sigma,
                realism: Some(r),
            });
        }
        let (name, pulse) = match (&self.channel.touchstone, &self.channel.taps) {
            (Some(path), _) => self.touchstone_pulse(path, touchstone_text)?,
            (None, Some(taps)) => self.taps_pulse(taps)?,
            (None, None) => self.preset_pulse()?,
        };
        let (name, pulse) = match self.tx_ffe()? {
            None => (name, pulse),
            Some(c) => (format!("{name} + tx.ffe"), channel::with_tx_ffe(&pulse, &c)),
        };
        Ok(ChannelPlan {
            name,
            pulse,
            snr_db,
            sigma,
            realism: None,
        })
    }

    /// `channel.touchstone` (with `channel.port_map` and `channel.baud`).
    fn touchstone_pulse(
        &self,
        path: &str,
        text: Option<&str>,
    ) -> Result<(String, Pulse), ConfigError> {
        let (name, d) = self.touchstone_detail(path, text, 32)?;
        Ok((name, d.pulse))
    }

    /// `channel.touchstone`'s pulse at `sps` samples per UI, with the waveform.
    pub(crate) fn touchstone_detail(
        &self,
        path: &str,
        text: Option<&str>,
        sps: usize,
    ) -> Result<(String, crate::touchstone::PulseDetail), ConfigError> {
        let baud = self.channel.baud;
        if !(baud.is_finite() && (1e6..=1e12).contains(&baud)) {
            return Err(ConfigError::Range {
                key: "channel.baud",
                value: baud.to_string(),
                range: "1e6..=1e12 baud".into(),
            });
        }
        let text = text.ok_or_else(|| {
            ConfigError::Conflict(format!(
                "channel.touchstone = \"{path}\": the file was not read"
            ))
        })?;
        let bad = |e: &dyn std::fmt::Display| {
            ConfigError::Conflict(format!("channel.touchstone {path}: {e}"))
        };
        let ports = crate::touchstone::ports_from_extension(path);
        let net = crate::touchstone::parse(text, ports).map_err(|e| bad(&e))?;
        let default_map = if net.ports == 2 { "s21" } else { "1,3->2,4" };
        let map_s = self.channel.port_map.as_deref().unwrap_or(default_map);
        let map = crate::touchstone::PortMap::parse(map_s).ok_or_else(|| {
            ConfigError::Conflict(format!(
                "channel.port_map = \"{map_s}\" is not one of \"1,3->2,4\", \"1,2->3,4\", \"s21\""
            ))
        })?;
        let h = net.through(map).map_err(|e| bad(&e))?;
        let d = crate::touchstone::pulse_response_detail(&h, baud, sps).map_err(|e| bad(&e))?;
        Ok((format!("touchstone {path} ({map_s})"), d))
    }

    /// `tx.ffe`, checked: three finite taps, the main one positive, their
    /// magnitudes summing to 1 (within 1e-6).
    pub fn tx_ffe(&self) -> Result<Option<[f64; 3]>, ConfigError> {
        let Some(c) = &self.tx.ffe else {
            return Ok(None);
        };
        let shown = format!("{c:?}");
        let c: [f64; 3] = c.as_slice().try_into().map_err(|_| ConfigError::Range {
            key: "tx.ffe",
            value: shown.clone(),
            range: "three taps [c(-1), c(0), c(1)]".into(),
        })?;
        let sum: f64 = c.iter().map(|v| v.abs()).sum();
        if c.iter().any(|v| !v.is_finite()) || c[1] <= 0.0 || (sum - 1.0).abs() > 1e-6 {
            return Err(ConfigError::Range {
                key: "tx.ffe",
                value: shown,
                range: format!(
                    "finite taps, c(0) > 0, |c(-1)| + |c(0)| + |c(1)| = 1 (these sum to {sum})"
                ),
            });
        }
        Ok(Some(c))
    }

    /// `channel.taps` (with `channel.main`).
    fn taps_pulse(&self, taps: &[f64]) -> Result<(String, Pulse), ConfigError> {
        if taps.is_empty() || taps.len() > 256 {
            return Err(ConfigError::Range {
                key: "channel.taps",
                value: format!("a list of {} taps", taps.len()),
                range: "1..=256 taps".into(),
            });
        }
        if let Some(bad) = taps.iter().find(|t| !t.is_finite()) {
            return Err(ConfigError::Range {
                key: "channel.taps",
                value: bad.to_string(),
                range: "finite numbers".into(),
            });
        }
        if taps.iter().all(|&t| t == 0.0) {
            return Err(ConfigError::Conflict("channel.taps are all zero".into()));
        }
        let main = match self.channel.main {
            Some(m) => Some(range("channel.main", m, 0, taps.len() as i64 - 1)? as usize),
            None => None,
        };
        Ok(("taps".to_string(), Pulse::from_taps(taps.to_vec(), main)))
    }

    /// `channel.preset` (default [`DEFAULT_PRESET`]).
    fn preset_pulse(&self) -> Result<(String, Pulse), ConfigError> {
        let name = self.channel.preset.as_deref().unwrap_or(DEFAULT_PRESET);
        let pr = channel::preset(name).ok_or_else(|| {
            let names: Vec<_> = channel::PRESETS.iter().map(|p| p.name).collect();
            ConfigError::Conflict(format!(
                "channel.preset = \"{name}\" is unknown (presets: {})",
                names.join(", ")
            ))
        })?;
        if self.channel.main.is_some() {
            return Err(ConfigError::Conflict(
                "channel.main goes with channel.taps, not with a preset".into(),
            ));
        }
        Ok((name.to_string(), Pulse::from_preset(pr)))
    }

    /// `[adc]`: the width and the full scale (default: the channel's
    /// noiseless peak plus 3 sigma of noise).
    fn resolve_adc(&self, ch: &ChannelPlan) -> Result<Adc, ConfigError> {
        let bits = range("adc.bits", self.adc.bits, 4, 16)? as u32;
        let full_scale = match self.adc.full_scale {
            Some(fs) => {
                if !(fs.is_finite() && fs > 0.0) {
                    return Err(ConfigError::Range {
                        key: "adc.full_scale",
                        value: fs.to_string(),
                        range: "a positive number".into(),
                    });
                }
                fs
            }
            None => {
                ch.pulse.peak() + 3.0 * ch.sigma * ch.realism.as_ref().map_or(1.0, |r| r.noise_gain)
            }
        };
        Ok(Adc { bits, full_scale })
    }

    /// `[ffe]`, `[dfe]`, `adc.bits` and `tx.precode`: the receiver's numeric
    /// format (`ffe.main` defaults to [`default_ffe_main`] of `ffe.taps`).
    pub(crate) fn resolve_format(&self) -> Result<RxFormat, ConfigError> {
        let ffe_taps = range(
            "ffe.taps",
            self.ffe.taps,
            1,
            crate::numeric::MAX_FFE_TAPS as i64,
        )?;
        let main = self.ffe.main.unwrap_or_else(|| default_ffe_main(ffe_taps));
        let format = RxFormat {
            adc_bits: range("adc.bits", self.adc.bits, 4, 16)? as u32,
            ffe_taps: ffe_taps as usize,
            ffe_main: range("ffe.main", main, 0, ffe_taps - 1)? as usize,
            ffe_coef_bits: range("ffe.coef_bits", self.ffe.coef_bits, 2, 18)? as u32,
            ffe_coef_frac: range(
                "ffe.coef_frac",
                self.ffe.coef_frac,
                0,
                self.ffe.coef_bits + 7,
            )? as u32,
            ffe_out_bits: range("ffe.out_bits", self.ffe.out_bits, 4, 24)? as u32,
            ffe_out_frac: range("ffe.out_frac", self.ffe.out_frac, 0, self.ffe.coef_frac)? as u32,
            dfe_taps: range(
                "dfe.taps",
                self.dfe.taps,
                0,
                crate::numeric::MAX_DFE_TAPS as i64,
            )? as usize,
            dfe_coef_bits: range("dfe.coef_bits", self.dfe.coef_bits, 2, 16)? as u32,
            precode: self.tx.precode,
        };
        format.validate()?;
        Ok(format)
    }

    /// `[eq]`, `[adapt]` and the manual coefficients (`ffe.coeffs`,
    /// `dfe.coeffs`, `slicer.threshold`).
    fn resolve_eq(&self, format: &RxFormat) -> Result<EqPlan, ConfigError> {
        let method = self.eq.method;
        let manual = self.resolve_manual(format)?;
        let adapt_algo = match method {
            EqMethod::Lms => Some(AdaptAlgo::Lms),
            EqMethod::SignSign => Some(AdaptAlgo::SignSign),
            _ => None,
        };
        let default_mu = if adapt_algo == Some(AdaptAlgo::SignSign) {
            5
        } else {
            14
        };
        let mu_shift = range(
            "adapt.mu_shift",
            self.adapt.mu_shift.unwrap_or(default_mu),
            0,
            40,
        )? as u32;
        let adapt_symbols = range("adapt.symbols", self.adapt.symbols, 1, MAX_SYMBOLS)?;
        let training = self
            .adapt
            .training
            .unwrap_or_else(|| default_training(adapt_symbols));
        let training = range("adapt.training", training, 0, adapt_symbols)? as u64;
        Ok(EqPlan {
            method,
            manual,
            adapt_algo,
            mu_shift,
            adapt_symbols: adapt_symbols as u64,
            training,
        })
    }

    /// `adapt.in_rtl` and the hardware engine's keys.
    fn resolve_hw_adapt(
        &self,
        eq: &EqPlan,
        parallel: usize,
        symbols: u64,
    ) -> Result<Option<HwAdaptPlan>, ConfigError> {
        let a = &self.adapt;
        let delay = range("adapt.delay", a.delay, 0, crate::adapt::MAX_DELAY as i64)? as usize;
        let leak_shift = range(
            "adapt.leak_shift",
            a.leak_shift,
            0,
            crate::adapt::MAX_LEAK_SHIFT as i64,
        )? as u32;
        let report_every = range("adapt.report_every", a.report_every, 0, MAX_SYMBOLS)? as u64;
        if !a.in_rtl {
            return Ok(None);
        }
        if eq.method != EqMethod::SignSign {
            return Err(ConfigError::Conflict(format!(
                "adapt.in_rtl = true needs eq.method = \"sign-sign\" (the hardware engine is a sign-sign LMS), not {:?}",
                eq.method.name()
            )));
        }
        let mu_shift = range(
            "adapt.mu_shift",
            a.mu_shift.unwrap_or(DEFAULT_HW_MU_SHIFT),
            0,
            crate::adapt::MAX_MU_SHIFT as i64,
        )? as u32;
        let gear_shift = range("adapt.gear_shift", a.gear_shift, 0, mu_shift as i64)? as u32;
        let gear_symbols = range("adapt.gear_symbols", a.gear_symbols, 0, MAX_SYMBOLS)? as u64;
        Ok(Some(HwAdaptPlan {
            params: HwAdaptParams {
                parallel,
                mu_shift,
                delay,
                leak_shift,
                block: a.block,
            },
            init: a.init,
            report_every: if report_every == 0 {
                (symbols / 100).max(1)
            } else {
                report_every
            },
            gear: (gear_shift, gear_symbols),
        }))
    }

    /// The coefficients of `eq.method = "manual"`; refuses them with any other method.
    fn resolve_manual(&self, format: &RxFormat) -> Result<Option<RxCoeffs>, ConfigError> {
        let method = self.eq.method;
        if method != EqMethod::Manual {
            for (key, given) in [
                ("ffe.coeffs", self.ffe.coeffs.is_some()),
                ("dfe.coeffs", self.dfe.coeffs.is_some()),
                ("slicer.threshold", self.slicer.threshold.is_some()),
            ] {
                if given {
                    return Err(ConfigError::Conflict(format!(
                        "{key} is only used with eq.method = \"manual\" (method is \"{}\")",
                        method.name()
                    )));
                }
            }
            return Ok(None);
        }
        let ffe = self.ffe.coeffs.clone().ok_or_else(|| {
            ConfigError::Conflict("eq.method = \"manual\" needs ffe.coeffs".into())
        })?;
        let dfe = self
            .dfe
            .coeffs
            .clone()
            .unwrap_or_else(|| vec![0; format.dfe_taps]);
        let t = self.slicer.threshold.ok_or_else(|| {
            ConfigError::Conflict("eq.method = \"manual\" needs slicer.threshold".into())
        })?;
        let conv = |v: &[i64]| {
            v.iter()
                .map(|&x| x.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
                .collect()
        };
        let c = RxCoeffs {
            ffe: conv(&ffe),
            dfe: conv(&dfe),
            threshold: t.clamp(0, i32::MAX as i64) as i32,
        };
        c.validate(format)?;
        Ok(Some(c))
    }

    /// `[rtl]`: samples per clock.
    fn resolve_rtl(&self) -> Result<usize, ConfigError> {
        let parallel = self.rtl.parallel;
        if !PARALLEL_VALUES.contains(&parallel) {
            return Err(ConfigError::Range {
                key: "rtl.parallel",
                value: parallel.to_string(),
                range: "one of 1, 2, 4, 8, 16, 32".into(),
            });
        }
        Ok(parallel as usize)
    }

    /// `link.inject_every`: below 2^48 (the RTL register), only with the
    /// emulator model, and at least `rtl.parallel` when on (at most one
    /// injected symbol per clock word keeps the RTL injector one compare).
    fn resolve_inject(&self, parallel: usize) -> Result<u64, ConfigError> {
        let v = self.link.inject_every;
        if !(0..=crate::emu::MAX_INJECT_EVERY as i64).contains(&v) {
            return Err(ConfigError::Range {
                key: "link.inject_every",
                value: v.to_string(),
                range: format!(
                    "0..=2^{} - 1, the emulator's register",
                    crate::emu::INJECT_BITS
                ),
            });
        }
        let k = v as u64;
        if k == 0 {
            return Ok(0);
        }
        if self.link.model != LinkModel::Emulator {
            return Err(ConfigError::Conflict(format!(
                "link.inject_every = {k} needs link.model = \"emulator\" (the reference model has no error injector)"
            )));
        }
        if k < parallel as u64 {
            return Err(ConfigError::Conflict(format!(
                "link.inject_every = {k} is below rtl.parallel = {parallel}: the injector flips at most one symbol per clock word (0 = off, or at least {parallel})"
            )));
        }
        Ok(k)
    }

    /// `[tx]`: the interleave needs a code.
    fn check_tx(&self) -> Result<(), ConfigError> {
        if self.tx.interleave && self.tx.fec == FecKind::None {
            return Err(ConfigError::Conflict(
                "tx.interleave needs tx.fec = \"kp4\" or \"kr4\"".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_resolves() {
        let p = Config::default().resolve().unwrap();
        assert_eq!(p.channel_name, DEFAULT_PRESET);
        assert_eq!(p.format, RxFormat::default());
        assert_eq!(p.parallel, 8);
    }

    #[test]
    fn tx_ffe_is_checked_and_folded() {
        let mut c = Config::default();
        c.tx.ffe = Some(vec![-0.1, 0.8, -0.1]);
        let p = c.resolve().unwrap();
        let base = Config::default().resolve().unwrap();
        assert_eq!(p.tx_ffe, Some([-0.1, 0.8, -0.1]));
        assert_eq!(
            p.pulse,
            channel::with_tx_ffe(&base.pulse, &[-0.1, 0.8, -0.1])
        );
        assert!(p.channel_name.ends_with("+ tx.ffe"));
        for bad in [
            vec![0.1, 0.8],
            vec![-0.1, 0.9, -0.1],
            vec![0.5, -0.5, 0.0],
            vec![f64::NAN, 1.0, 0.0],
        ] {
            c.tx.ffe = Some(bad.clone());
            let e = c.resolve().unwrap_err().to_string();
            assert!(e.starts_with("tx.ffe = "), "{bad:?}: {e}");
        }
    }

    #[test]
    fn impossible_values_name_their_key() {
        let mut c = Config::default();
        c.ffe.taps = 0;
        assert_eq!(
            c.resolve().unwrap_err().to_string(),
            "ffe.taps = 0 is out of range (1..=64)"
        );
        let mut c = Config::default();
        c.adc.bits = 40;
        assert_eq!(
            c.resolve().unwrap_err().to_string(),
            "adc.bits = 40 is out of range (4..=16)"
        );
        let mut c = Config::default();
        c.link.symbols = -5;
        assert!(c
            .resolve()
            .unwrap_err()
            .to_string()
            .starts_with("link.symbols = -5 is out of range"));
        let mut c = Config::default();
        c.channel.taps = Some(vec![1.0]);
        c.channel.preset = Some("ideal".into());
        assert!(c
            .resolve()
            .unwrap_err()
            .to_string()
            .contains("set one of channel.taps"));
        let mut c = Config::default();
        c.channel.preset = Some("nope".into());
        assert!(c.resolve().unwrap_err().to_string().contains("unknown"));
        let mut c = Config::default();
        c.rtl.parallel = 3;
        assert!(c
            .resolve()
            .unwrap_err()
            .to_string()
            .starts_with("rtl.parallel = 3"));
    }

    #[test]
    fn dependent_defaults_follow_their_key() {
        let mut c = Config::default();
        c.ffe.taps = 1;
        c.dfe.taps = 0;
        assert_eq!(c.resolve().unwrap().format.ffe_main, 0);
        for (taps, main) in [(2, 1), (3, 2), (4, 3), (5, 3), (64, 3)] {
            c.ffe.taps = taps;
            assert_eq!(c.resolve().unwrap().format.ffe_main, main, "taps {taps}");
        }
        // a given ffe.main is checked, never replaced
        c.ffe.taps = 2;
        c.ffe.main = Some(3);
        assert_eq!(
            c.resolve().unwrap_err().to_string(),
            "ffe.main = 3 is out of range (0..=1)"
        );
        let mut c = Config::default();
        c.adapt.symbols = 1000;
        assert_eq!(c.resolve().unwrap().training, 1000);
        c.adapt.symbols = 50_000;
        assert_eq!(c.resolve().unwrap().training, DEFAULT_TRAINING as u64);
        c.adapt.training = Some(60_000);
        assert!(c
            .resolve()
            .unwrap_err()
            .to_string()
            .starts_with("adapt.training = 60000 is out of range (0..=50000)"));
    }

    #[test]
    fn default_plan_is_unchanged() {
        let p = Config::default().resolve().unwrap();
        assert_eq!(p.format.ffe_main, 3);
        assert_eq!(p.training, 20_000);
        assert_eq!(p.mu_shift, 14);
        assert_eq!(p.adapt_symbols, 200_000);
        assert_eq!(p.symbols, 1_000_000);
    }
}
