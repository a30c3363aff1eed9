//! The files `rxdsp ami` writes beside the library: the `.ami` parameter file, the `.ibs`
//! file with its `[AMI Test Configuration]` blocks, and the blocks' data files, whose
//! expected outputs come from the golden model ([`crate::testvec`]).

use crate::model::{equalize_impulse, init, samples_per_ui, InitResult, ModelError};
use crate::settings::{Settings, MODEL_NAME};
use crate::testvec::{golden_z, held_wave, random_levels, sample, Channel};
use golden::channel::{noise_sigma, Pulse};
use golden::coeffs::{self, AdaptAlgo, AdaptParams};
use golden::config::EqMethod;
use golden::link::{adapt_amplitude, none_coeffs};
use std::fmt::Write as _;

/// The library file name the `.ibs` names.
pub const SO_NAME: &str = "rxdsp_rx.so";
/// The parameter file name.
pub const AMI_NAME: &str = "rxdsp_rx.ami";
/// The IBIS file name.
pub const IBS_NAME: &str = "rxdsp_rx.ibs";

/// Samples per UI of the shipped test configurations.
pub const TEST_SPUI: usize = 32;

/// `Ignore_Bits` for these settings: the adaptation window of a learning method, else
/// the equalizer's own start-up (its taps filling).
pub fn ignore_bits(s: &Settings) -> u64 {
    match s.method {
        EqMethod::None | EqMethod::Lms | EqMethod::SignSign => s.adapt_bits,
        _ => (s.format.ffe_taps + s.format.dfe_taps) as u64 + 16,
    }
}

fn tf(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn int_param(out: &mut String, name: &str, v: i64, lo: i64, hi: i64, what: &str) {
    let _ = writeln!(
        out,
        "        ({name} (Usage In) (Type Integer) (Range {v} {lo} {hi}) (Description \"{what}\"))"
    );
}

/// The `.ami` file: reserved parameters, then the model-specific ones with the values of
/// `s` (structural ones fixed, their hash in `config_hash`).
pub fn ami_file(s: &Settings) -> String {
    let f = &s.format;
    let hash = s.config_hash.clone().unwrap_or_default();
    let mut o = String::new();
    let _ = writeln!(o, "({MODEL_NAME}");
    let _ = writeln!(
        o,
        "    (Description \"rxdsp PAM4 receiver {}: ADC, fixed-point FFE/DFE/slicer, bit-exact with the rxdsp golden model\")",
        env!("CARGO_PKG_VERSION")
    );
    o.push_str("    (Reserved_Parameters\n");
    o.push_str("        (AMI_Version (Usage Info) (Type String) (Value \"7.0\") (Description \"IBIS-AMI version\"))\n");
    o.push_str("        (Init_Returns_Impulse (Usage Info) (Type Boolean) (Value True) (Description \"AMI_Init returns the FFE-equalized impulse with the DFE folded in\"))\n");
    o.push_str("        (GetWave_Exists (Usage Info) (Type Boolean) (Value True) (Description \"AMI_GetWave runs the bit-exact equalizer\"))\n");
    let _ = writeln!(
        o,
        "        (Ignore_Bits (Usage Info) (Type Integer) (Value {}) (Description \"UIs before the output counts: the adaptation window, or the equalizer's start-up\"))",
        ignore_bits(s)
    );
    o.push_str("        (Modulation (Usage Info) (Type String) (Value \"PAM4\") (Description \"levels -1, -1/3, 1/3, 1\"))\n");
    for t in [
        "PAM4_UpperThreshold",
        "PAM4_CenterThreshold",
        "PAM4_LowerThreshold",
    ] {
        let _ = writeln!(
            o,
            "        ({t} (Usage Out) (Type Float) (Value 0.0) (Description \"slicer threshold in volts at the model output, from AMI_Init\"))"
        );
    }
    o.push_str("    )\n    (Model_Specific\n");
    let _ = writeln!(
        o,
        "        (config_hash (Usage In) (Type String) (Value \"{hash}\") (Description \"FNV-1a 64 of the structural parameters below: AMI_Init refuses others\"))"
    );
    int_param(
        &mut o,
        "adc_bits",
        f.adc_bits as i64,
        f.adc_bits as i64,
        f.adc_bits as i64,
        "ADC width, signed bits (structural)",
    );
    int_param(
        &mut o,
        "ffe_taps",
        f.ffe_taps as i64,
        f.ffe_taps as i64,
        f.ffe_taps as i64,
        "FFE taps N (structural)",
    );
    int_param(
        &mut o,
        "ffe_main",
        f.ffe_main as i64,
        f.ffe_main as i64,
        f.ffe_main as i64,
        "FFE main-cursor tap (structural)",
    );
    int_param(
        &mut o,
        "ffe_coef_bits",
        f.ffe_coef_bits as i64,
        f.ffe_coef_bits as i64,
        f.ffe_coef_bits as i64,
        "FFE coefficient width (structural)",
    );
    int_param(
        &mut o,
        "ffe_coef_frac",
        f.ffe_coef_frac as i64,
        f.ffe_coef_frac as i64,
        f.ffe_coef_frac as i64,
        "FFE coefficient fraction bits (structural)",
    );
    int_param(
        &mut o,
        "ffe_out_bits",
        f.ffe_out_bits as i64,
        f.ffe_out_bits as i64,
        f.ffe_out_bits as i64,
        "FFE output width (structural)",
    );
    int_param(
        &mut o,
        "ffe_out_frac",
        f.ffe_out_frac as i64,
        f.ffe_out_frac as i64,
        f.ffe_out_frac as i64,
        "FFE output fraction bits (structural)",
    );
    int_param(
        &mut o,
        "dfe_taps",
        f.dfe_taps as i64,
        f.dfe_taps as i64,
        f.dfe_taps as i64,
        "DFE taps M (structural)",
    );
    int_param(
        &mut o,
        "dfe_coef_bits",
        f.dfe_coef_bits as i64,
        f.dfe_coef_bits as i64,
        f.dfe_coef_bits as i64,
        "DFE coefficient width (structural)",
    );
    let _ = writeln!(
        o,
        "        (precode (Usage In) (Type Boolean) (Value {}) (Description \"1/(1+D) mod 4 precoding on the link (structural)\"))",
        tf(f.precode)
    );
    let _ = writeln!(
        o,
        "        (method (Usage In) (Type String) (List \"mmse\" \"zf\" \"manual\" \"none\" \"lms\" \"sign-sign\") (Default \"{}\") (Description \"coefficient source: mmse/zf from the AMI_Init impulse, manual as given, none/lms/sign-sign learned over adapt_bits UIs of GetWave\"))",
        s.method.name()
    );
    let _ = writeln!(
        o,
        "        (snr_db (Usage In) (Type Float) (Range {:?} -20.0 200.0) (Description \"channel SNR (mean PAM4 symbol power over noise variance) for the MMSE design\"))",
        s.snr_db
    );
    let _ = writeln!(
        o,
        "        (adc_full_scale (Usage In) (Type Float) (Range {:?} 0.0 1000.0) (Description \"ADC full scale in volts; 0 = the impulse's noiseless peak plus 3 sigma\"))",
        s.adc_full_scale
    );
    let _ = writeln!(
        o,
        "        (phase (Usage In) (Type Float) (Range {:?} -1.0 0.999) (Description \"sampling phase in UI from the start of each UI; -1 = the pulse response's peak\"))",
        s.phase
    );
    int_param(
        &mut o,
        "mu_shift",
        s.mu_shift as i64,
        0,
        40,
        "adaptation step as a right shift (lms, sign-sign)",
    );
    int_param(
        &mut o,
        "adapt_bits",
        s.adapt_bits as i64,
        0,
        1 << 40,
        "UIs at the start of GetWave the learning methods learn from",
    );
    let _ = writeln!(
        o,
        "        (report_out (Usage In) (Type Boolean) (Value False) (Description \"GetWave's output parameters carry the coefficients in use (default: just the root)\"))"
    );
    if let Some(c) = &s.manual {
        let j = |v: &[i32]| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(
            o,
            "        (ffe_coeffs (Usage In) (Type String) (Value \"{}\") (Description \"manual FFE coefficients\"))",
            j(&c.ffe)
        );
        let _ = writeln!(
            o,
            "        (dfe_coeffs (Usage In) (Type String) (Value \"{}\") (Description \"manual DFE coefficients\"))",
            j(&c.dfe)
        );
        int_param(
            &mut o,
            "threshold",
            c.threshold as i64,
            1,
            i32::MAX as i64,
            "manual outer slicer threshold, FFE-output LSBs",
        );
    }
    o.push_str("    )\n)\n");
    o
}

/// One `[AMI Test Configuration]` and its files (name, contents).
#[derive(Clone, Debug)]
pub struct TestConfig {
    /// the block's name
    pub name: String,
    /// `Statistical` or `Time_domain`
    pub kind: &'static str,
    /// the files the block names, with their contents
    pub files: Vec<(String, String)>,
    /// the block's subparameter lines (name, value)
    pub lines: Vec<(&'static str, String)>,
}

fn column(v: &[f64]) -> String {
    let mut s = String::with_capacity(v.len() * 24);
    for x in v {
        let _ = writeln!(s, "{x:?}");
    }
    s
}

/// The coefficients the model ends with for `x`: the Init ones, or learned over the window
/// as `rxdsp rx` learns them (decision-directed), computed in one batch.
fn golden_wave(s: &Settings, r: &InitResult, wave: &[f64]) -> Vec<f64> {
    let f = &s.format;
    let x = sample(r, wave);
    let z0 = golden_z(f, &r.coeffs, &x);
    let w = match s.method {
        EqMethod::None | EqMethod::Lms | EqMethod::SignSign => s.adapt_bits as usize,
        _ => 0,
    };
    if w == 0 || w > x.len() {
        return held_wave(r, f, &z0, wave.len());
    }
    let c = match s.method {
        EqMethod::None => none_coeffs(f, &x[..w]),
        m => coeffs::adapt(
            f,
            &x[..w],
            &|_| None,
            &AdaptParams {
                algo: if m == EqMethod::SignSign {
                    AdaptAlgo::SignSign
                } else {
                    AdaptAlgo::Lms
                },
                mu_shift: s.mu_shift,
                training: 0,
                amplitude: adapt_amplitude(f),
            },
        ),
    };
    let z1 = golden_z(f, &c, &x);
    let z: Vec<i64> = z0[..w].iter().chain(&z1[w..]).copied().collect();
    held_wave(r, f, &z, wave.len())
}

/// The test configurations for `s` on the channel `pulse` at `baud` symbols/s: one
/// statistical (impulse in, equalized impulse and thresholds out) and one time-domain
/// (`uis` UIs of seeded random PAM4 with the SNR's noise, in calls of `call_uis` UIs).
pub fn test_configs(
    s: &Settings,
    pulse: &Pulse,
    baud: f64,
    uis: usize,
    call_uis: usize,
    seed: u64,
) -> Result<Vec<TestConfig>, ModelError> {
    let ui = 1.0 / baud;
    let dt = ui / TEST_SPUI as f64; // a power-of-two ratio: bit_time / dt is exactly 32
    let spui = samples_per_ui(dt, ui)?;
    let ch = Channel::from_pulse(pulse, spui, dt, 8);
    let h = ch.impulse();
    let r = init(s, &h, spui, dt)?;
    let eq = equalize_impulse(&r, &s.format, &h, dt, true);
    let t = r.threshold_volts(&s.format);
    let params_out = format!(
        "({MODEL_NAME} (PAM4_UpperThreshold {t:?}) (PAM4_CenterThreshold 0.0) (PAM4_LowerThreshold {:?}))",
        -t
    );
    let model_params = s.to_param_string();
    let sim = |rows_or_wave: &str, n: usize| {
        format!(
            "(Simulator_parameters\n    (Sample_interval {dt:?})\n    (Symbol_time {ui:?})\n    ({rows_or_wave} {n})\n    (Aggressors 0)\n)\n(Model_parameters\n    {model_params}\n)\n"
        )
    };
    let stat = TestConfig {
        name: "statistical".into(),
        kind: "Statistical",
        files: vec![
            (
                "test/stat_params.txt".into(),
                sim("Number_of_rows", h.len()),
            ),
            ("test/stat_ir_in.txt".into(), column(&h)),
            ("test/stat_ir_golden.txt".into(), column(&eq)),
            ("test/stat_params_out.txt".into(), params_out),
        ],
        lines: vec![
            ("Type", "Statistical".into()),
            ("Executable_index", "1".into()),
            ("AMI_input_parameters_file", "test/stat_params.txt".into()),
            ("Input_IR_file", "test/stat_ir_in.txt".into()),
            ("Golden_IR_file", "test/stat_ir_golden.txt".into()),
            (
                "AMI_output_parameters_file",
                "test/stat_params_out.txt".into(),
            ),
        ],
    };
    let sigma = noise_sigma(s.snr_db);
    let wave = ch.wave(&random_levels(uis, seed), sigma, seed ^ 0x5eed);
    let golden = golden_wave(s, &r, &wave);
    let td = TestConfig {
        name: "time_domain".into(),
        kind: "Time_domain",
        files: vec![
            (
                "test/td_params.txt".into(),
                sim("Wave_size", call_uis * spui),
            ),
            ("test/td_wave_in.txt".into(), column(&wave)),
            ("test/td_wave_golden.txt".into(), column(&golden)),
            ("test/td_params_out.txt".into(), format!("({MODEL_NAME})")),
        ],
        lines: vec![
            ("Type", "Time_domain".into()),
            ("Executable_index", "1".into()),
            ("AMI_input_parameters_file", "test/td_params.txt".into()),
            ("Input_IR_file", "test/stat_ir_in.txt".into()),
            ("Input_waveform_file", "test/td_wave_in.txt".into()),
            ("Golden_waveform_file", "test/td_wave_golden.txt".into()),
            (
                "AMI_output_parameters_file",
                "test/td_params_out.txt".into(),
            ),
        ],
    };
    Ok(vec![stat, td])
}

/// The `.ibs` file: one component with one Rx pin on an `Input` model whose algorithmic
/// model is the library, and the test configurations.
pub fn ibs_file(tests: &[TestConfig], date: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "[IBIS Ver]      7.0");
    let _ = writeln!(o, "[File Name]     {}", IBS_NAME);
    let _ = writeln!(o, "[File Rev]      1.0");
    let _ = writeln!(o, "[Date]          {date}");
    let _ = writeln!(
        o,
        "[Source]        rxdsp {} (rxdsp ami): the golden PAM4 receiver as an IBIS-AMI Rx",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        o,
        "[Notes]         Load {SO_NAME} with {AMI_NAME}; docs/ibis-ami.md in rxdsp."
    );
    let _ = writeln!(o, "[Disclaimer]    Behavioral model; Apache-2.0.");
    let _ = writeln!(o, "[Component]     rxdsp_rx");
    let _ = writeln!(o, "[Manufacturer]  rxdsp");
    let _ = writeln!(o, "[Package]");
    let _ = writeln!(o, "| variable       typ       min       max");
    let _ = writeln!(o, "R_pkg           0.0       0.0       0.0");
    let _ = writeln!(o, "L_pkg           0.0nH     0.0nH     0.0nH");
    let _ = writeln!(o, "C_pkg           0.0pF     0.0pF     0.0pF");
    let _ = writeln!(o, "[Pin]  signal_name  model_name  R_pin  L_pin  C_pin");
    let _ = writeln!(o, "1      rx_p         {MODEL_NAME}");
    let _ = writeln!(o, "2      GND          GND");
    let _ = writeln!(o, "[Model]         {MODEL_NAME}");
    let _ = writeln!(o, "Model_type      Input");
    let _ = writeln!(o, "C_comp          0.2pF     0.2pF     0.2pF");
    let _ = writeln!(o, "Vinl = 0.0");
    let _ = writeln!(o, "Vinh = 0.0");
    let _ = writeln!(o, "[Voltage Range] 1.0V      0.95V     1.05V");
    let _ = writeln!(o, "[GND Clamp]");
    let _ = writeln!(o, "| voltage   I(typ)    I(min)    I(max)");
    let _ = writeln!(o, "-1.0V       -20.0mA   -20.0mA   -20.0mA");
    let _ = writeln!(o, "0.0V        0.0mA     0.0mA     0.0mA");
    let _ = writeln!(o, "1.0V        20.0mA    20.0mA    20.0mA");
    let _ = writeln!(o, "[POWER Clamp]");
    let _ = writeln!(o, "| voltage   I(typ)    I(min)    I(max)");
    let _ = writeln!(o, "-1.0V       20.0mA    20.0mA    20.0mA");
    let _ = writeln!(o, "0.0V        0.0mA     0.0mA     0.0mA");
    let _ = writeln!(o, "1.0V        -20.0mA   -20.0mA   -20.0mA");
    let _ = writeln!(o, "[Algorithmic Model]");
    let _ = writeln!(o, "Executable Linux_gcc_64 {SO_NAME} {AMI_NAME}");
    for t in tests {
        let _ = writeln!(o, "[AMI Test Configuration] {}", t.name);
        for (k, v) in &t.lines {
            let _ = writeln!(o, "{k} {v}");
        }
    }
    let _ = writeln!(o, "[End Algorithmic Model]");
    let _ = writeln!(o, "[End]");
    o
}
