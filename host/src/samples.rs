//! Sample files: `.npy` (int8, int16, float32) and raw `ri8` / `ri16_le` /
//! `rf32_le` with an optional SigMF `.sigmf-meta` beside them.
//!
//! The format comes from the extension (`.npy`, `.ri8`, `.ri16`, `.ri16_le`,
//! `.rf32`, `.rf32_le`, or `.sigmf-data` whose meta file names it) unless the
//! caller overrides it. Files are checked whole: a truncated file, a wrong
//! type, or a NaN is an error naming the file and the offset.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use thiserror::Error;

/// Errors reading or writing sample files.
#[derive(Debug, Error)]
pub enum SampleError {
    /// I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// file
        path: PathBuf,
        /// cause
        source: std::io::Error,
    },
    /// The content is not what the format says.
    #[error("{path}: {msg}")]
    Format {
        /// file
        path: PathBuf,
        /// what is wrong
        msg: String,
    },
    /// The format cannot be told.
    #[error("cannot tell the sample format of {0} from its extension: use --format npy|ri8|ri16_le|rf32_le")]
    UnknownFormat(PathBuf),
    /// An unknown `--format` name.
    #[error("unknown sample format '{0}' (expected npy, ri8, ri16_le or rf32_le)")]
    BadFormatName(String),
}

/// A sample file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// NumPy `.npy`, 1-D int8, int16 or float32, little-endian
    Npy,
    /// raw signed 8-bit
    Ri8,
    /// raw signed 16-bit little-endian
    Ri16Le,
    /// raw 32-bit float little-endian
    Rf32Le,
}

impl FromStr for SampleFormat {
    type Err = SampleError;
    fn from_str(s: &str) -> Result<Self, SampleError> {
        match s {
            "npy" => Ok(SampleFormat::Npy),
            "ri8" => Ok(SampleFormat::Ri8),
            "ri16_le" | "ri16" => Ok(SampleFormat::Ri16Le),
            "rf32_le" | "rf32" => Ok(SampleFormat::Rf32Le),
            _ => Err(SampleError::BadFormatName(s.to_string())),
        }
    }
}

impl SampleFormat {
    /// SigMF `core:datatype` name.
    pub fn sigmf_name(self) -> &'static str {
        match self {
            SampleFormat::Npy => "npy",
            SampleFormat::Ri8 => "ri8",
            SampleFormat::Ri16Le => "ri16_le",
            SampleFormat::Rf32Le => "rf32_le",
        }
    }
}

/// Samples as read: integer ADC codes or floating-point voltages.
#[derive(Clone, Debug, PartialEq)]
pub enum Samples {
    /// integer codes (from int8 or int16 files)
    Int(Vec<i16>),
    /// floating-point values (from float32 files), to be quantized by the ADC model
    Float(Vec<f32>),
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Samples::Int(v) => v.len(),
            Samples::Float(v) => v.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn fmt_err(path: &Path, msg: impl Into<String>) -> SampleError {
    SampleError::Format {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

fn meta_path(path: &Path) -> PathBuf {
    let s = path.to_string_lossy();
    let base = s
        .strip_suffix(".sigmf-data")
        .map(str::to_string)
        .unwrap_or_else(|| path.with_extension("").to_string_lossy().into_owned());
    PathBuf::from(format!("{base}.sigmf-meta"))
}

fn sigmf_datatype(path: &Path) -> Result<Option<String>, SampleError> {
    let mp = meta_path(path);
    if !mp.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&mp).map_err(|e| SampleError::Io {
        path: mp.clone(),
        source: e,
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| fmt_err(&mp, format!("not valid JSON: {e}")))?;
    let dt = v
        .get("global")
        .and_then(|g| g.get("core:datatype"))
        .and_then(|d| d.as_str())
        .ok_or_else(|| fmt_err(&mp, "no global.core:datatype"))?;
    Ok(Some(dt.to_string()))
}

/// Tells the format of `path` from its extension (and SigMF meta).
pub fn infer_format(path: &Path) -> Result<SampleFormat, SampleError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let by_ext = [
        (".npy", SampleFormat::Npy),
        (".ri8", SampleFormat::Ri8),
        (".ri16_le", SampleFormat::Ri16Le),
        (".ri16", SampleFormat::Ri16Le),
        (".rf32_le", SampleFormat::Rf32Le),
        (".rf32", SampleFormat::Rf32Le),
    ];
    for (ext, f) in by_ext {
        if name.ends_with(ext) {
            return Ok(f);
        }
    }
    if name.ends_with(".sigmf-data") {
        if let Some(dt) = sigmf_datatype(path)? {
            return dt.parse::<SampleFormat>().map_err(|_| {
                fmt_err(
                    &meta_path(path),
                    format!("unsupported core:datatype '{dt}' (expected ri8, ri16_le or rf32_le)"),
                )
            });
        }
        return Err(fmt_err(
            path,
            "a .sigmf-data file needs its .sigmf-meta beside it",
        ));
    }
    Err(SampleError::UnknownFormat(path.to_path_buf()))
}

/// Reads a sample file.
pub fn read_samples(path: &Path, format: Option<SampleFormat>) -> Result<Samples, SampleError> {
    let format = match format {
        Some(f) => f,
        None => infer_format(path)?,
    };
    let bytes = fs::read(path).map_err(|e| SampleError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    if format != SampleFormat::Npy {
        if let Some(dt) = sigmf_datatype(path)? {
            if dt != format.sigmf_name() {
                return Err(fmt_err(
                    &meta_path(path),
                    format!(
                        "core:datatype is '{dt}' but the data is read as {}",
                        format.sigmf_name()
                    ),
                ));
            }
        }
    }
    match format {
        SampleFormat::Npy => read_npy(path, &bytes),
        SampleFormat::Ri8 => Ok(Samples::Int(
            bytes.iter().map(|&b| b as i8 as i16).collect(),
        )),
        SampleFormat::Ri16Le => decode_raw(path, &bytes, "<i2"),
        SampleFormat::Rf32Le => decode_raw(path, &bytes, "<f4"),
    }
}

fn decode_raw(path: &Path, data: &[u8], descr: &str) -> Result<Samples, SampleError> {
    match descr {
        "|i1" | "<i1" | "i1" => Ok(Samples::Int(data.iter().map(|&b| b as i8 as i16).collect())),
        "<i2" => {
            if !data.len().is_multiple_of(2) {
                return Err(fmt_err(
                    path,
                    format!(
                        "truncated: {} bytes is not a whole number of 2-byte samples",
                        data.len()
                    ),
                ));
            }
            Ok(Samples::Int(
                data.chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ))
        }
        "<f4" => {
            if !data.len().is_multiple_of(4) {
                return Err(fmt_err(
                    path,
                    format!(
                        "truncated: {} bytes is not a whole number of 4-byte samples",
                        data.len()
                    ),
                ));
            }
            let v: Vec<f32> = data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(fmt_err(
                    path,
                    format!("sample {i} is {} (not a finite number)", v[i]),
                ));
            }
            Ok(Samples::Float(v))
        }
        other => Err(fmt_err(
            path,
            format!("unsupported dtype '{other}' (expected int8, int16 or float32, little-endian)"),
        )),
    }
}

fn read_npy(path: &Path, b: &[u8]) -> Result<Samples, SampleError> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err(fmt_err(path, "not a .npy file (bad magic)"));
    }
    let major = b[6];
    let (hlen, start) = match major {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 => {
            if b.len() < 12 {
                return Err(fmt_err(path, "truncated .npy header"));
            }
            (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
        }
        v => return Err(fmt_err(path, format!("unsupported .npy version {v}"))),
    };
    if b.len() < start + hlen {
        return Err(fmt_err(path, "truncated .npy header"));
    }
    let header = String::from_utf8_lossy(&b[start..start + hlen]);
    let field = |key: &str| -> Option<String> {
        let i = header.find(&format!("'{key}'"))?;
        let rest = &header[i + key.len() + 2..];
        let rest = rest.trim_start().strip_prefix(':')?.trim_start();
        if let Some(r) = rest.strip_prefix('\'') {
            Some(r[..r.find('\'')?].to_string())
        } else if let Some(r) = rest.strip_prefix('(') {
            Some(r[..r.find(')')?].to_string())
        } else {
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            Some(rest[..end].trim().to_string())
        }
    };
    let descr = field("descr").ok_or_else(|| fmt_err(path, "no 'descr' in the .npy header"))?;
    if field("fortran_order").as_deref() == Some("True") {
        // 1-D data is the same in either order; shape is checked below
    }
    let shape = field("shape").ok_or_else(|| fmt_err(path, "no 'shape' in the .npy header"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| fmt_err(path, format!("bad shape ({shape})")))?;
    let count = match dims.as_slice() {
        [n] => *n,
        [1, n] | [n, 1] => *n,
        _ => {
            return Err(fmt_err(
                path,
                format!("shape ({shape}) is not one-dimensional"),
            ))
        }
    };
    let item = match descr.as_str() {
        "|i1" | "<i1" | "i1" => 1,
        "<i2" => 2,
        "<f4" => 4,
        other => {
            return Err(fmt_err(
                path,
                format!(
                    "unsupported dtype '{other}' (expected int8, int16 or float32, little-endian)"
                ),
            ))
        }
    };
    let data = &b[start + hlen..];
    // a shape too large to be a byte count cannot match the file (found by fuzzing:
    // the plain product overflowed)
    let Some(bytes) = count.checked_mul(item) else {
        return Err(fmt_err(
            path,
            format!("shape ({shape}) is too large for any file"),
        ));
    };
    if data.len() < bytes {
        return Err(fmt_err(
            path,
            format!(
                "truncated: the header promises {count} samples ({bytes} bytes) but {} bytes follow",
                data.len()
            ),
        ));
    }
    if data.len() > bytes {
        return Err(fmt_err(
            path,
            format!(
                "{} bytes of trailing data after {count} samples",
                data.len() - bytes
            ),
        ));
    }
    decode_raw(path, data, &descr)
}

/// Writes `bytes` to `path` through a temporary file renamed at the end, so a
/// failed run never leaves a file that looks complete.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SampleError> {
    let tmp = PathBuf::from(format!("{}.partial", path.display()));
    let io = |e| SampleError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().ok();
    drop(f);
    fs::rename(&tmp, path).map_err(io)
}

/// The bytes of a 1-D little-endian int16 `.npy` file.
pub fn npy_i16_bytes(x: &[i16]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '<i2', 'fortran_order': False, 'shape': ({},), }}",
        x.len()
    );
    // pad so that the data starts on a 64-byte boundary, header ends in \n
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 2 * x.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in x {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes ADC samples: `.npy` (int16) or raw `ri16_le` with a SigMF meta
/// file beside it, chosen by the extension.
pub fn write_samples(path: &Path, x: &[i16], adc_bits: u32) -> Result<(), SampleError> {
    match infer_format(path) {
        Ok(SampleFormat::Npy) => write_atomic(path, &npy_i16_bytes(x)),
        Ok(SampleFormat::Ri16Le) | Err(SampleError::Format { .. })
            if !path.to_string_lossy().ends_with(".npy") =>
        {
            let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
            let meta = serde_json::json!({
                "global": {
                    "core:datatype": "ri16_le",
                    "core:version": "1.0.0",
                    "core:description": format!("rxdsp ADC samples, {adc_bits}-bit codes, one sample per UI"),
                    "core:recorder": format!("rxdsp {}", env!("CARGO_PKG_VERSION")),
                },
                "captures": [{"core:sample_start": 0}],
                "annotations": [],
            });
            write_atomic(
                &meta_path(path),
                serde_json::to_string_pretty(&meta).unwrap().as_bytes(),
            )?;
            write_atomic(path, &bytes)
        }
        _ => Err(fmt_err(
            path,
            "samples are written as .npy or as .ri16 / .sigmf-data (ri16_le with SigMF meta)",
        )),
    }
}

/// Packs 2-bit data symbols into bytes, first symbol in the top bits
/// (so the bit stream reads MSB first, b1 before b0).
pub fn pack_symbols(data: &[u8]) -> Vec<u8> {
    data.chunks(4)
        .map(|c| {
            let mut b = 0u8;
            for (i, &s) in c.iter().enumerate() {
                b |= (s & 3) << (6 - 2 * i);
            }
            b
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rxdsp-samples-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    #[test]
    fn npy_round_trip() {
        let p = tmp("a.npy");
        let x: Vec<i16> = (-300..300).collect();
        write_samples(&p, &x, 10).unwrap();
        assert_eq!(read_samples(&p, None).unwrap(), Samples::Int(x));
        assert!(!PathBuf::from(format!("{}.partial", p.display())).exists());
    }

    #[test]
    fn raw_with_sigmf_round_trip() {
        let p = tmp("b.sigmf-data");
        let x: Vec<i16> = vec![1, -2, 3, -32768, 32767];
        write_samples(&p, &x, 16).unwrap();
        assert!(tmp("b.sigmf-meta").exists());
        assert_eq!(read_samples(&p, None).unwrap(), Samples::Int(x));
    }

    #[test]
    fn truncated_npy_is_refused() {
        let p = tmp("t.npy");
        let mut b = npy_i16_bytes(&[1, 2, 3, 4]);
        b.pop();
        fs::write(&p, b).unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    /// Found by fuzzing (fuzz/, npy target): a shape whose byte count overflows
    /// panicked in a debug build and, wrapped in a release build, let a 4-byte
    /// file pass for 2^62 + 1 samples.
    #[test]
    fn npy_shape_overflowing_the_byte_count_is_refused() {
        let p = tmp("o.npy");
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387905,), }";
        let h = format!("{h:<117}\n");
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&[0; 4]);
        fs::write(&p, b).unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(e.contains("too large"), "{e}");
    }

    #[test]
    fn nan_is_refused() {
        let p = tmp("n.rf32");
        let v = [0.5f32, f32::NAN];
        fs::write(
            &p,
            v.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<_>>(),
        )
        .unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(e.contains("sample 1 is NaN"), "{e}");
    }

    #[test]
    fn unknown_extension_is_refused() {
        let e = read_samples(Path::new("x.wav"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--format"), "{e}");
    }

    #[test]
    fn packing_is_msb_first() {
        assert_eq!(
            pack_symbols(&[3, 0, 1, 2, 2]),
            vec![0b1100_0110, 0b1000_0000]
        );
    }
}
