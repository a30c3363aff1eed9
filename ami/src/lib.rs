//! # rxdsp IBIS-AMI receiver
//!
//! `librxdsp_rx.so` exports exactly `AMI_Init`, `AMI_GetWave` and `AMI_Close`: the rxdsp
//! golden receiver (ADC, fixed-point FFE/DFE/slicer, MMSE/ZF design, LMS/sign-sign
//! adaptation) as an IBIS-AMI Rx model. `rxdsp ami` writes it with its `.ami` and `.ibs`
//! files (docs/ibis-ami.md).
//!
//! Robustness: all state lives in the handle, so handles are independent; every entry
//! point runs under `catch_unwind` (a panic becomes return 0 and a message); `msg` and the
//! output parameter strings are never null and stay valid until the next call on the
//! handle or `AMI_Close`.

pub mod export;
pub mod model;
pub mod settings;
pub mod testvec;
pub mod tree;

use model::{equalize_impulse, init, samples_per_ui, Stream};
pub use settings::{config_hash, ParamError, Settings, MODEL_NAME};
use std::ffi::{c_char, c_long, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// One model instance: what `AMI_memory_handle` points to.
pub struct Handle {
    settings: Option<Settings>,
    stream: Option<Stream>,
    msg: CString,
    params_out: CString,
    clocks: Vec<f64>,
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).expect("NULs replaced")
}

/// The output parameters that say nothing: `(rxdsp_rx)`.
fn empty_params() -> CString {
    cstring(&format!("({MODEL_NAME})"))
}

/// The message for a panic payload.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error (a bug in rxdsp_rx, please report it): {what}")
}

/// Runs `f`, turning a panic into an error with [`panic_text`]: what every entry point
/// does so that a bug returns 0 and a message instead of unwinding into the simulator.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(panic_text(&*p)),
    }
}

/// The inputs of `AMI_Init` after the pointer checks.
pub struct InitArgs<'a> {
    /// the victim impulse response, then the aggressors' (row_size each)
    pub impulse: &'a mut [f64],
    /// samples per impulse
    pub row_size: usize,
    /// the parameter string
    pub params: &'a str,
    /// sample interval, s
    pub sample_interval: f64,
    /// bit time, s
    pub bit_time: f64,
}

impl Handle {
    fn new() -> Handle {
        Handle {
            settings: None,
            stream: None,
            msg: cstring(""),
            params_out: empty_params(),
            clocks: Vec::new(),
        }
    }

    /// `AMI_Init` on checked arguments: returns the message of success.
    pub fn init(&mut self, a: InitArgs) -> Result<String, String> {
        let s = Settings::parse(a.params).map_err(|e| e.to_string())?;
        let spui = samples_per_ui(a.sample_interval, a.bit_time).map_err(|e| e.to_string())?;
        let dt = a.sample_interval;
        let (victim, aggressors) = a.impulse.split_at_mut(a.row_size);
        let r = init(&s, victim, spui, dt).map_err(|e| e.to_string())?;
        let f = &s.format;
        let out = equalize_impulse(&r, f, victim, dt, true);
        victim.copy_from_slice(&out);
        for col in aggressors.chunks_mut(a.row_size) {
            let out = equalize_impulse(&r, f, col, dt, false);
            col.copy_from_slice(&out);
        }
        let t = r.threshold_volts(f);
        self.params_out = cstring(&format!(
            "({MODEL_NAME} (PAM4_UpperThreshold {t:?}) (PAM4_CenterThreshold 0.0) (PAM4_LowerThreshold {:?}))",
            -t
        ));
        let msg = format!(
            "rxdsp_rx {}: {} coefficients, ffe {:?}, dfe {:?}, threshold {} LSB ({t:.6} V), ADC {} bits full scale {:.6} V, {spui} samples/UI, sampling phase {}/{spui}",
            env!("CARGO_PKG_VERSION"),
            s.method.name(),
            r.coeffs.ffe,
            r.coeffs.dfe,
            r.coeffs.threshold,
            f.adc_bits,
            r.adc.full_scale,
            r.offset
        );
        self.stream = Some(Stream::new(&s, r, dt).map_err(|e| e.to_string())?);
        self.settings = Some(s);
        Ok(msg)
    }

    /// `AMI_GetWave` on a checked wave; the clock times are in `self.clocks` after.
    pub fn get_wave(&mut self, wave: &mut [f64]) -> Result<(), String> {
        let st = self
            .stream
            .as_mut()
            .ok_or("AMI_GetWave called on a model whose AMI_Init failed")?;
        self.clocks.clear();
        st.get_wave(wave, &mut self.clocks)
            .map_err(|e| e.to_string())?;
        let report = self.settings.as_ref().is_some_and(|s| s.report_out);
        if report {
            let c = st.coeffs();
            let j = |v: &[i32]| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            self.params_out = cstring(&format!(
                "({MODEL_NAME} (adapted {}) (ffe_coeffs \"{}\") (dfe_coeffs \"{}\") (threshold {}))",
                if st.adapted() { "True" } else { "False" },
                j(&c.ffe),
                j(&c.dfe),
                c.threshold
            ));
        } else {
            self.params_out = empty_params();
        }
        Ok(())
    }

    /// The clock times of the last `get_wave`.
    pub fn clocks(&self) -> &[f64] {
        &self.clocks
    }

    /// The message of the last call.
    pub fn msg(&self) -> &CStr {
        &self.msg
    }

    /// The output parameters of the last call.
    pub fn params_out(&self) -> &CStr {
        &self.params_out
    }
}

/// What `AMI_Init` returns when the simulator gives no place for the handle.
static NO_HANDLE: &CStr = c"rxdsp_rx: AMI_memory_handle is null: no model can be created";
/// What `AMI_GetWave` returns as output parameters without a handle.
static NO_HANDLE_PARAMS: &CStr = c"(rxdsp_rx (error \"AMI_GetWave: null AMI_memory handle\"))";

/// Checks `AMI_Init`'s pointers and runs [`Handle::init`].
///
/// # Safety
/// The pointers are as IBIS specifies them.
unsafe fn init_checked(
    h: &mut Handle,
    impulse_matrix: *mut f64,
    row_size: c_long,
    aggressors: c_long,
    sample_interval: f64,
    bit_time: f64,
    params_in: *const c_char,
) -> Result<String, String> {
    if row_size < 1 || aggressors < 0 {
        return Err(format!(
            "row_size = {row_size} and aggressors = {aggressors}: need row_size >= 1 and aggressors >= 0"
        ));
    }
    if impulse_matrix.is_null() {
        return Err("impulse_matrix is null".into());
    }
    let n = (row_size as usize)
        .checked_mul(aggressors as usize + 1)
        .ok_or("row_size * (aggressors + 1) overflows")?;
    let params = if params_in.is_null() {
        format!("({MODEL_NAME})")
    } else {
        // SAFETY: a NUL-terminated string, per IBIS
        CStr::from_ptr(params_in).to_string_lossy().into_owned()
    };
    // SAFETY: IBIS gives row_size * (aggressors + 1) doubles
    let impulse = std::slice::from_raw_parts_mut(impulse_matrix, n);
    h.init(InitArgs {
        impulse,
        row_size: row_size as usize,
        params: &params,
        sample_interval,
        bit_time,
    })
}

/// IBIS-AMI `AMI_Init`: returns 1 on success, 0 with a message in `*msg` on failure.
///
/// # Safety
/// The pointers are as the IBIS specification gives them: `impulse_matrix` holds
/// `row_size * (aggressors + 1)` doubles, `AMI_parameters_in` is NUL-terminated, and the
/// three out-pointers are writable (or null).
#[no_mangle]
pub unsafe extern "C" fn AMI_Init(
    impulse_matrix: *mut f64,
    row_size: c_long,
    aggressors: c_long,
    sample_interval: f64,
    bit_time: f64,
    ami_parameters_in: *const c_char,
    ami_parameters_out: *mut *mut c_char,
    ami_memory_handle: *mut *mut c_void,
    msg: *mut *mut c_char,
) -> c_long {
    if ami_memory_handle.is_null() {
        if !msg.is_null() {
            *msg = NO_HANDLE.as_ptr() as *mut c_char;
        }
        if !ami_parameters_out.is_null() {
            *ami_parameters_out = NO_HANDLE_PARAMS.as_ptr() as *mut c_char;
        }
        return 0;
    }
    let mut h = Box::new(Handle::new());
    let r = guarded(|| {
        init_checked(
            &mut h,
            impulse_matrix,
            row_size,
            aggressors,
            sample_interval,
            bit_time,
            ami_parameters_in,
        )
    });
    let ok = match r {
        Ok(m) => {
            h.msg = cstring(&m);
            1
        }
        Err(e) => {
            h.msg = cstring(&format!("rxdsp_rx: AMI_Init failed: {e}"));
            h.stream = None;
            h.params_out = empty_params();
            0
        }
    };
    if !msg.is_null() {
        *msg = h.msg.as_ptr() as *mut c_char;
    }
    if !ami_parameters_out.is_null() {
        *ami_parameters_out = h.params_out.as_ptr() as *mut c_char;
    }
    // the handle is returned even on failure: it owns the message until AMI_Close
    *ami_memory_handle = Box::into_raw(h) as *mut c_void;
    ok
}

/// IBIS-AMI `AMI_GetWave`: the waveform at the slicer replaces `wave`; `clock_times` gets
/// this call's sampling instants then -1. Returns 1, or 0 with the reason in the output
/// parameters as `(rxdsp_rx (error "..."))`.
///
/// # Safety
/// `wave` holds `wave_size` doubles, `clock_times` room for `wave_size / samples_per_ui + 2`
/// (or is null), `AMI_memory` comes from `AMI_Init`.
#[no_mangle]
pub unsafe extern "C" fn AMI_GetWave(
    wave: *mut f64,
    wave_size: c_long,
    clock_times: *mut f64,
    ami_parameters_out: *mut *mut c_char,
    ami_memory: *mut c_void,
) -> c_long {
    if ami_memory.is_null() {
        if !ami_parameters_out.is_null() {
            *ami_parameters_out = NO_HANDLE_PARAMS.as_ptr() as *mut c_char;
        }
        return 0;
    }
    // SAFETY: the pointer AMI_Init returned
    let h = &mut *(ami_memory as *mut Handle);
    let r = guarded(|| {
        if wave_size < 0 || (wave.is_null() && wave_size > 0) {
            return Err(format!("wave is null or wave_size = {wave_size} < 0"));
        }
        let w: &mut [f64] = if wave_size == 0 {
            &mut []
        } else {
            // SAFETY: wave holds wave_size doubles
            std::slice::from_raw_parts_mut(wave, wave_size as usize)
        };
        h.get_wave(w)
    });
    let err = r.err();
    let ok = match err {
        None => {
            if !clock_times.is_null() {
                for (i, &t) in h.clocks.iter().enumerate() {
                    *clock_times.add(i) = t;
                }
                *clock_times.add(h.clocks.len()) = -1.0;
            }
            1
        }
        Some(e) => {
            let e = e.replace('"', "'");
            h.msg = cstring(&format!("rxdsp_rx: AMI_GetWave failed: {e}"));
            h.params_out = cstring(&format!("({MODEL_NAME} (error \"{e}\"))"));
            if !clock_times.is_null() {
                *clock_times = -1.0;
            }
            0
        }
    };
    if !ami_parameters_out.is_null() {
        *ami_parameters_out = h.params_out.as_ptr() as *mut c_char;
    }
    ok
}

/// IBIS-AMI `AMI_Close`: frees the handle (null is accepted). Returns 1.
///
/// # Safety
/// `AMI_memory` comes from `AMI_Init` and is not used after.
#[no_mangle]
pub unsafe extern "C" fn AMI_Close(ami_memory: *mut c_void) -> c_long {
    if ami_memory.is_null() {
        return 1;
    }
    let r = guarded(|| {
        // SAFETY: from Box::into_raw in AMI_Init
        drop(Box::from_raw(ami_memory as *mut Handle));
        Ok(())
    });
    r.map(|_| 1).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        let r: Result<(), String> = guarded(|| panic!("slice index 7 out of range"));
        let e = r.unwrap_err();
        assert!(e.starts_with("internal error (a bug in rxdsp_rx"), "{e}");
        assert!(e.contains("slice index 7 out of range"), "{e}");
        let r: Result<(), String> = guarded(|| panic!("{}", String::from("owned")));
        assert!(r.unwrap_err().contains("owned"));
        assert_eq!(guarded(|| Ok(3)), Ok(3));
    }
}
