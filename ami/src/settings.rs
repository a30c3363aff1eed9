//! The model's parameters: what the `.ami` file declares, what `AMI_Init` reads from the
//! parameter string, and the config hash that ties the two to one resolved configuration.

use crate::tree::{self, Node, TreeError};
use golden::config::{EqMethod, LinkPlan};
use golden::numeric::{RxCoeffs, RxFormat};
use std::fmt::Write as _;
use std::hash::Hasher;
use thiserror::Error;

/// The model name: the root of every parameter string and of the `.ami` file.
pub const MODEL_NAME: &str = "rxdsp_rx";

/// Version of the hashed text below; bump it when its meaning changes.
const HASH_SCHEME: &str = "rxdsp-ami/1";

/// A parameter string the model cannot use.
#[derive(Debug, Error, PartialEq)]
pub enum ParamError {
    /// Not a parameter tree.
    #[error("malformed AMI parameter string: {0}")]
    Syntax(#[from] TreeError),
    /// A value of the wrong type or out of range.
    #[error("AMI parameter {name} = {value:?}: {why}")]
    Value {
        /// the parameter
        name: &'static str,
        /// its text
        value: String,
        /// what is wrong
        why: String,
    },
    /// The structural parameters do not give the hash the `.ami` file was written with.
    #[error("config_hash {given} does not match the receiver these parameters describe ({computed}): the .ami file was edited or comes from another rxdsp config; regenerate it with `rxdsp ami`")]
    Hash {
        /// `config_hash` as given
        given: String,
        /// the hash of the given structural parameters
        computed: String,
    },
}

/// Everything the model reads from its parameter string.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// the receiver's numeric format (hashed)
    pub format: RxFormat,
    /// coefficient source: zf, mmse, manual, none, lms, sign-sign
    pub method: EqMethod,
    /// manual coefficients (`ffe_coeffs`, `dfe_coeffs`, `threshold`)
    pub manual: Option<RxCoeffs>,
    /// channel SNR in dB for the MMSE design (as `channel.snr_db`)
    pub snr_db: f64,
    /// ADC full scale in volts; 0 = from the impulse (noiseless peak plus 3 sigma)
    pub adc_full_scale: f64,
    /// sampling phase in UI (0..1) from the start of each UI; -1 = at the pulse peak
    pub phase: f64,
    /// adaptation step as a right shift (as `adapt.mu_shift`)
    pub mu_shift: u32,
    /// UIs at the start of GetWave that the adaptation learns from (lms, sign-sign)
    pub adapt_bits: u64,
    /// GetWave's output parameters carry the coefficients in use when true
    pub report_out: bool,
    /// `config_hash` as given (checked when present)
    pub config_hash: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            format: RxFormat::default(),
            method: EqMethod::Mmse,
            manual: None,
            snr_db: 30.0,
            adc_full_scale: 0.0,
            phase: -1.0,
            mu_shift: 14,
            adapt_bits: 20_000,
            report_out: false,
            config_hash: None,
        }
    }
}

/// FNV-1a 64 of the structural parameters: `fnv1a-` and 16 hex digits (the prefix keeps
/// tools that turn numeric-looking strings into numbers, as pyibis-ami does, away from it).
pub fn config_hash(f: &RxFormat) -> String {
    let text = format!(
        "{HASH_SCHEME} adc_bits={} ffe_taps={} ffe_main={} ffe_coef_bits={} ffe_coef_frac={} \
         ffe_out_bits={} ffe_out_frac={} dfe_taps={} dfe_coef_bits={} precode={}",
        f.adc_bits,
        f.ffe_taps,
        f.ffe_main,
        f.ffe_coef_bits,
        f.ffe_coef_frac,
        f.ffe_out_bits,
        f.ffe_out_frac,
        f.dfe_taps,
        f.dfe_coef_bits,
        f.precode
    );
    let mut h = fnv::FnvHasher::default();
    h.write(text.as_bytes());
    format!("fnv1a-{:016x}", h.finish())
}

fn method_of(s: &str) -> Option<EqMethod> {
    [
        EqMethod::None,
        EqMethod::Manual,
        EqMethod::Zf,
        EqMethod::Mmse,
        EqMethod::Lms,
        EqMethod::SignSign,
    ]
    .into_iter()
    .find(|m| m.name().eq_ignore_ascii_case(s))
}

fn bad(name: &'static str, value: &str, why: impl Into<String>) -> ParamError {
    ParamError::Value {
        name,
        value: value.to_string(),
        why: why.into(),
    }
}

fn int(name: &'static str, v: &str, lo: i64, hi: i64) -> Result<i64, ParamError> {
    // simulators may write integers as 16.0
    let x: f64 = v.parse().map_err(|_| bad(name, v, "not a number"))?;
    if x.fract() != 0.0 || !(lo as f64..=hi as f64).contains(&x) {
        return Err(bad(name, v, format!("an integer in {lo}..={hi}")));
    }
    Ok(x as i64)
}

fn float(name: &'static str, v: &str) -> Result<f64, ParamError> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(bad(name, v, "not a finite number")),
    }
}

fn boolean(name: &'static str, v: &str) -> Result<bool, ParamError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad(name, v, "True or False")),
    }
}

fn int_list(name: &'static str, v: &str) -> Result<Vec<i32>, ParamError> {
    v.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| Ok(int(name, s, i32::MIN as i64, i32::MAX as i64)? as i32))
        .collect()
}

/// The leaves of a tree, flattened: `(name value)` pairs at any depth (a simulator may
/// keep the `.ami` file's branches).
fn leaves<'a>(n: &'a Node, out: &mut Vec<(&'a str, String)>) {
    if let Node::List(name, items) = n {
        if !items.is_empty() && items.iter().all(|i| matches!(i, Node::List(..))) {
            for i in items {
                leaves(i, out);
            }
        } else {
            // empty strings are dropped: pyibis-ami's check-ami quotes an already quoted
            // string, so `"mmse"` arrives as `""mmse""` (an empty string, an atom, another)
            let vals: Vec<&str> = items
                .iter()
                .filter_map(Node::text)
                .filter(|t| !t.is_empty())
                .collect();
            out.push((name, vals.join(" ")));
        }
    }
}

impl Settings {
    /// Reads a parameter string: missing parameters keep their defaults, unknown ones are
    /// ignored, a malformed string or value is an error, and a given `config_hash` must
    /// match the structural parameters.
    pub fn parse(text: &str) -> Result<Settings, ParamError> {
        let root = tree::parse(text)?;
        let mut flat = Vec::new();
        if let Node::List(_, items) = &root {
            for i in items {
                leaves(i, &mut flat);
            }
        }
        let mut s = Settings::default();
        let (mut ffe, mut dfe, mut thr) = (None, None, None);
        let f = &mut s.format;
        for (name, v) in &flat {
            let v = v.as_str();
            match *name {
                "adc_bits" => f.adc_bits = int("adc_bits", v, 4, 16)? as u32,
                "ffe_taps" => f.ffe_taps = int("ffe_taps", v, 1, 64)? as usize,
                "ffe_main" => f.ffe_main = int("ffe_main", v, 0, 63)? as usize,
                "ffe_coef_bits" => f.ffe_coef_bits = int("ffe_coef_bits", v, 2, 18)? as u32,
                "ffe_coef_frac" => f.ffe_coef_frac = int("ffe_coef_frac", v, 0, 25)? as u32,
                "ffe_out_bits" => f.ffe_out_bits = int("ffe_out_bits", v, 4, 24)? as u32,
                "ffe_out_frac" => f.ffe_out_frac = int("ffe_out_frac", v, 0, 25)? as u32,
                "dfe_taps" => f.dfe_taps = int("dfe_taps", v, 0, 4)? as usize,
                "dfe_coef_bits" => f.dfe_coef_bits = int("dfe_coef_bits", v, 2, 16)? as u32,
                "precode" => f.precode = boolean("precode", v)?,
                "method" => {
                    s.method = method_of(v).ok_or_else(|| {
                        bad("method", v, "one of mmse, zf, manual, none, lms, sign-sign")
                    })?
                }
                "ffe_coeffs" => ffe = Some(int_list("ffe_coeffs", v)?),
                "dfe_coeffs" => dfe = Some(int_list("dfe_coeffs", v)?),
                "threshold" => thr = Some(int("threshold", v, 0, i32::MAX as i64)? as i32),
                "snr_db" => s.snr_db = float("snr_db", v)?,
                "adc_full_scale" => {
                    s.adc_full_scale = float("adc_full_scale", v)?;
                    if s.adc_full_scale < 0.0 {
                        return Err(bad("adc_full_scale", v, "0 (auto) or a positive voltage"));
                    }
                }
                "phase" => {
                    s.phase = float("phase", v)?;
                    if s.phase != -1.0 && !(0.0..1.0).contains(&s.phase) {
                        return Err(bad("phase", v, "-1 (auto) or 0 <= phase < 1 UI"));
                    }
                }
                "mu_shift" => s.mu_shift = int("mu_shift", v, 0, 40)? as u32,
                "adapt_bits" => s.adapt_bits = int("adapt_bits", v, 0, 1 << 40)? as u64,
                "report_out" => s.report_out = boolean("report_out", v)?,
                "config_hash" => s.config_hash = Some(v.to_string()),
                _ => {} // unknown or reserved: ignored, as the IBIS committee advises
            }
        }
        s.format
            .validate()
            .map_err(|e| bad("ffe_main/ffe_coef_frac/ffe_out_frac", "", e.to_string()))?;
        if s.method == EqMethod::Manual {
            let ffe = ffe.ok_or_else(|| bad("ffe_coeffs", "", "method manual needs ffe_coeffs"))?;
            let thr = thr.ok_or_else(|| bad("threshold", "", "method manual needs threshold"))?;
            let c = RxCoeffs {
                ffe,
                dfe: dfe.unwrap_or_else(|| vec![0; s.format.dfe_taps]),
                threshold: thr,
            };
            c.validate(&s.format)
                .map_err(|e| bad("ffe_coeffs/dfe_coeffs/threshold", "", e.to_string()))?;
            s.manual = Some(c);
        }
        if let Some(given) = &s.config_hash {
            let computed = config_hash(&s.format);
            if !given.eq_ignore_ascii_case(&computed) {
                return Err(ParamError::Hash {
                    given: given.clone(),
                    computed,
                });
            }
        }
        Ok(s)
    }

    /// The settings of a resolved configuration, as `rxdsp ami` exports them.
    pub fn from_plan(plan: &LinkPlan, full_scale_given: bool) -> Settings {
        Settings {
            format: plan.format.clone(),
            method: plan.method,
            manual: plan.manual.clone(),
            snr_db: plan.snr_db,
            adc_full_scale: if full_scale_given {
                plan.adc.full_scale
            } else {
                0.0
            },
            phase: -1.0,
            mu_shift: plan.mu_shift,
            adapt_bits: plan.adapt_symbols,
            report_out: false,
            config_hash: Some(config_hash(&plan.format)),
        }
    }

    /// The parameter string a simulator would pass for these settings.
    pub fn to_param_string(&self) -> String {
        let f = &self.format;
        let mut s = format!(
            "({MODEL_NAME} (adc_bits {}) (ffe_taps {}) (ffe_main {}) (ffe_coef_bits {}) (ffe_coef_frac {}) \
             (ffe_out_bits {}) (ffe_out_frac {}) (dfe_taps {}) (dfe_coef_bits {}) (precode {}) \
             (method \"{}\") (snr_db {:?}) (adc_full_scale {:?}) (phase {:?}) (mu_shift {}) (adapt_bits {}) \
             (report_out {})",
            f.adc_bits,
            f.ffe_taps,
            f.ffe_main,
            f.ffe_coef_bits,
            f.ffe_coef_frac,
            f.ffe_out_bits,
            f.ffe_out_frac,
            f.dfe_taps,
            f.dfe_coef_bits,
            tf(f.precode),
            self.method.name(),
            self.snr_db,
            self.adc_full_scale,
            self.phase,
            self.mu_shift,
            self.adapt_bits,
            tf(self.report_out)
        );
        if let Some(c) = &self.manual {
            let _ = write!(
                s,
                " (ffe_coeffs \"{}\") (dfe_coeffs \"{}\") (threshold {})",
                join(&c.ffe),
                join(&c.dfe),
                c.threshold
            );
        }
        if let Some(h) = &self.config_hash {
            let _ = write!(s, " (config_hash \"{h}\")");
        }
        s.push(')');
        s
    }
}

fn tf(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn join(v: &[i32]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_parameter_string() {
        let mut s = Settings {
            method: EqMethod::Manual,
            phase: 0.25,
            ..Default::default()
        };
        s.format.dfe_taps = 2;
        s.manual = Some(RxCoeffs {
            ffe: {
                let mut v = vec![0; 16];
                v[3] = 128;
                v
            },
            dfe: vec![5, -2],
            threshold: 40,
        });
        s.config_hash = Some(config_hash(&s.format));
        assert_eq!(Settings::parse(&s.to_param_string()).unwrap(), s);
    }

    #[test]
    fn missing_is_default_unknown_is_ignored_bad_is_an_error() {
        assert_eq!(Settings::parse("(rxdsp_rx)").unwrap(), Settings::default());
        assert_eq!(
            Settings::parse("(x (nonsense 3) (Model_Specific (foo \"bar\")))").unwrap(),
            Settings::default()
        );
        let e = Settings::parse("(rx (ffe_taps sixteen))").unwrap_err();
        assert!(e.to_string().contains("ffe_taps"), "{e}");
        assert!(Settings::parse("(rx (ffe_taps 16)").is_err());
        assert!(Settings::parse("(rx (phase 1.5))").is_err());
        assert!(Settings::parse("(rx (method \"magic\"))").is_err());
        assert!(Settings::parse("(rx (method \"manual\"))").is_err());
        // a doubly quoted string as pyibis-ami's check-ami sends it
        let s = Settings::parse("(rx (method \"\"zf\"\"))").unwrap();
        assert_eq!(s.method, EqMethod::Zf);
        // nested branches as in the .ami file are read too
        let s = Settings::parse("(rx (Model_Specific (ffe_taps 8) (dfe_taps 0)))").unwrap();
        assert_eq!((s.format.ffe_taps, s.format.dfe_taps), (8, 0));
    }

    #[test]
    fn the_hash_ties_the_structure() {
        let f = RxFormat::default();
        let h = config_hash(&f);
        assert_eq!(h.len(), 22);
        assert!(h.starts_with("fnv1a-"));
        let ok = format!("(rx (config_hash \"{h}\"))");
        assert!(Settings::parse(&ok).is_ok());
        let edited = format!("(rx (ffe_taps 12) (config_hash \"{h}\"))");
        let e = Settings::parse(&edited).unwrap_err();
        assert!(matches!(e, ParamError::Hash { .. }), "{e}");
        assert!(e.to_string().contains("rxdsp ami"));
        let mut g = f.clone();
        g.precode = true;
        assert_ne!(config_hash(&g), h);
    }
}
