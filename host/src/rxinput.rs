//! The receive input shared by `rxdsp rx` (golden) and `rxdsp stream`
//! (device): the sample file read and checked against the ADC, and the
//! coefficients chosen for it exactly as the golden receiver chooses them.

use crate::samples::{self, SampleError, SampleFormat, Samples};
use golden::config::{EqMethod, LinkPlan};
use golden::eq::{check_samples, Engine, EqError, Equalizer};
use golden::link::{self, EqReport, LinkError};
use golden::numeric::RxCoeffs;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors preparing a receive input.
#[derive(Debug, Error)]
pub enum RxInputError {
    /// The file could not be read or parsed.
    #[error(transparent)]
    Samples(#[from] SampleError),
    /// The file holds no samples.
    #[error("{0}: no samples")]
    Empty(PathBuf),
    /// A sample does not fit the ADC.
    #[error("{path}: {source}")]
    Range {
        /// the file
        path: PathBuf,
        /// what is wrong
        source: EqError,
    },
    /// The coefficients could not be chosen.
    #[error(transparent)]
    Coeffs(#[from] LinkError),
    /// The receiver refused the coefficients.
    #[error(transparent)]
    Eq(#[from] EqError),
}

/// Samples and the coefficients to receive them with.
#[derive(Clone, Debug)]
pub struct RxInput {
    /// ADC codes
    pub samples: Vec<i16>,
    /// the coefficients
    pub coeffs: RxCoeffs,
    /// how they were chosen (for reports)
    pub eq: EqReport,
}

/// Reads `input` (format from the extension unless `format` is given),
/// quantizes float samples with the plan's ADC, checks integer ones against
/// `adc.bits`, and chooses the coefficients as `rxdsp rx` does (with
/// `adapt.in_rtl`, the hardware engine's starting coefficients, `adapt.init`).
pub fn load(
    plan: &LinkPlan,
    input: &Path,
    format: Option<SampleFormat>,
) -> Result<RxInput, RxInputError> {
    let s = samples::read_samples(input, format)?;
    from_samples(plan, s, input)
}

/// [`load`] of samples already in memory (`origin` names them in errors):
/// float samples quantized with the plan's ADC, integer ones checked
/// against `adc.bits`, the coefficients chosen as `rxdsp rx` does.
pub fn from_samples(plan: &LinkPlan, s: Samples, origin: &Path) -> Result<RxInput, RxInputError> {
    if s.is_empty() {
        return Err(RxInputError::Empty(origin.to_path_buf()));
    }
    let x: Vec<i16> = match s {
        Samples::Int(v) => {
            check_samples(&v, plan.format.adc_bits, 0).map_err(|e| RxInputError::Range {
                path: origin.to_path_buf(),
                source: e,
            })?;
            v
        }
        Samples::Float(v) => v.iter().map(|&f| plan.adc.quantize(f as f64)).collect(),
    };
    let learn = matches!(
        plan.method,
        EqMethod::None | EqMethod::Lms | EqMethod::SignSign
    );
    let eq = match &plan.hw_adapt {
        // the hardware engine adapts on the stream itself: its start
        Some(hw) => golden::adapt_link::initial_coeffs(plan, hw, 1)?,
        None => link::choose_coeffs(plan, 1, if learn { Some(&x) } else { None })?,
    };
    let coeffs = RxCoeffs {
        ffe: eq.ffe.clone(),
        dfe: eq.dfe.clone(),
        threshold: eq.threshold,
    };
    Ok(RxInput {
        samples: x,
        coeffs,
        eq,
    })
}

/// What [`RxInput::receive`] gives.
#[derive(Clone, Debug)]
pub struct RxOutput {
    /// the decided level (0..3) of every sample
    pub levels: Vec<u8>,
    /// the 2-bit data symbol of every sample
    pub data: Vec<u8>,
    /// with `adapt.in_rtl`: the hardware engine's trajectory
    pub adaptation: Option<golden::adapt_link::AdaptReport>,
}

impl RxInput {
    /// Runs the golden receiver over the samples: the fast engine with the
    /// chosen coefficients, or with `adapt.in_rtl` the hardware adaptation
    /// engine's model starting from them (`golden::adapt_link::receive`,
    /// what `rxdsp stream --adapt` gets from a device).
    pub fn receive(&self, plan: &LinkPlan) -> Result<RxOutput, RxInputError> {
        if let Some(hw) = &plan.hw_adapt {
            let r = golden::adapt_link::receive(plan, hw, &self.coeffs, &self.samples)?;
            return Ok(RxOutput {
                levels: r.levels,
                data: r.data,
                adaptation: Some(r.report),
            });
        }
        let mut eq = Equalizer::new(&plan.format, &self.coeffs, Engine::Fast)?;
        let mut levels = vec![0u8; self.samples.len()];
        let mut data = vec![0u8; self.samples.len()];
        eq.process(&self.samples, &mut levels, &mut data);
        Ok(RxOutput {
            levels,
            data,
            adaptation: None,
        })
    }
}

/// The FEC counts of a received stream (the `fec` object of `rxdsp rx` and
/// `rxdsp stream` reports): the decoder aligned at
/// [`golden::link::fec_sof_index`], every whole codeword decoded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FecCounts {
    /// "kp4" or "kr4"
    pub code: String,
    /// the received symbol that starts the first codeword counted
    pub sof_index: u64,
    /// the counters (`codewords`, `corrected_codewords`, `corrected_symbols`,
    /// `uncorrectable_codewords`, `histogram`)
    #[serde(flatten)]
    pub stats: golden::fec::FecStats,
}

/// Where the decoder of `plan` starts on a stream received with `eq`, when
/// the config has a code: the first whole frame (one codeword, or two
/// interleaved with `tx.interleave`) after the receiver's start-up.
pub fn fec_alignment(plan: &LinkPlan, eq: &EqReport) -> Option<(golden::fec::Code, u64)> {
    Some((
        link::fec_code(plan.fec)?,
        link::fec_sof_index(plan, eq.delay)?,
    ))
}

/// The golden decoder's counts on the decided data symbols `data` (and the
/// digest a device decoder at `s` symbols per beat gives), or `None` when
/// [`fec_alignment`] is.
pub fn fec_counts(
    plan: &LinkPlan,
    eq: &EqReport,
    data: &[u8],
    s: usize,
) -> Option<(FecCounts, u32)> {
    let (code, sof) = fec_alignment(plan, eq)?;
    let d = golden::fec::decode_aligned(code, s, data, sof as usize, plan.interleave);
    Some((
        FecCounts {
            code: code.name().into(),
            sof_index: sof,
            stats: d.stats,
        },
        d.digest,
    ))
}
