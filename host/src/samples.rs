//! Sample files: `.npy` (int8, int16, float32) and raw `ri8` / `ri16_le` /
//! `rf32_le` with an optional SigMF `.sigmf-meta` beside them.
//!
//! The format comes from the extension (`.npy`, `.ri8`, `.ri16`, `.ri16_le`,
//! `.rf32`, `.rf32_le`, or `.sigmf-data` whose meta file names it) unless the
//! caller overrides it. Files are checked whole: a truncated file, a wrong
//! type, or a NaN is an error naming the file and the offset.
//!
//! `.npy` headers are read and written by `npyz`; the data itself is read
//! straight into the sample vector and written from it, cast to bytes by
//! `bytemuck` (no intermediate copy on little-endian machines).

use std::borrow::Cow;
use std::fs;
use std::io::{Read, Write};
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

/// Reads a sample file. The data is read straight into the sample buffer (cast
/// to bytes with `bytemuck`): no intermediate copy of the file.
pub fn read_samples(path: &Path, format: Option<SampleFormat>) -> Result<Samples, SampleError> {
    let format = match format {
        Some(f) => f,
        None => infer_format(path)?,
    };
    let io = |e| SampleError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let file = fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
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
    read_samples_from(path, file, len, format)
}

/// Reads samples of `format` from `src`, which holds exactly `len` bytes (a
/// file's content); `path` only names the source in errors. The checks of
/// [`read_samples`] apply (header, truncation, trailing data, NaN), the SigMF
/// meta file aside.
pub fn read_samples_from(
    path: &Path,
    mut src: impl Read,
    len: u64,
    format: SampleFormat,
) -> Result<Samples, SampleError> {
    let dtype = match format {
        SampleFormat::Npy => return read_npy(path, src, len),
        SampleFormat::Ri8 => Dtype::I8,
        SampleFormat::Ri16Le => Dtype::I16Le,
        SampleFormat::Rf32Le => Dtype::F32Le,
    };
    let size = dtype.size() as u64;
    if !len.is_multiple_of(size) {
        return Err(fmt_err(
            path,
            format!("truncated: {len} bytes is not a whole number of {size}-byte samples"),
        ));
    }
    read_data(path, &mut src, (len / size) as usize, dtype)
}

/// The element types a sample file may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    I8,
    I16Le,
    F32Le,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::I8 => 1,
            Dtype::I16Le => 2,
            Dtype::F32Le => 4,
        }
    }
}

/// Reads `count` samples into a buffer of their own type (no byte buffer in between).
fn read_data(
    path: &Path,
    src: &mut impl Read,
    count: usize,
    dtype: Dtype,
) -> Result<Samples, SampleError> {
    let io = |e| SampleError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    match dtype {
        Dtype::I8 => {
            let mut v = vec![0i8; count];
            src.read_exact(bytemuck::cast_slice_mut(&mut v))
                .map_err(io)?;
            Ok(Samples::Int(v.into_iter().map(i16::from).collect()))
        }
        Dtype::I16Le => {
            let mut v = vec![0i16; count];
            src.read_exact(bytemuck::cast_slice_mut(&mut v))
                .map_err(io)?;
            if cfg!(target_endian = "big") {
                v.iter_mut().for_each(|x| *x = i16::from_le(*x));
            }
            Ok(Samples::Int(v))
        }
        Dtype::F32Le => {
            let mut v = vec![0f32; count];
            src.read_exact(bytemuck::cast_slice_mut(&mut v))
                .map_err(io)?;
            if cfg!(target_endian = "big") {
                v.iter_mut()
                    .for_each(|x| *x = f32::from_bits(u32::from_le(x.to_bits())));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(fmt_err(
                    path,
                    format!("sample {i} is {} (not a finite number)", v[i]),
                ));
            }
            Ok(Samples::Float(v))
        }
    }
}

/// numpy's own limit on the `.npy` header it parses (`max_header_size`, numpy >= 1.24).
const NPY_MAX_HEADER: usize = 10_000;

/// The opening brackets a 1-D numeric `.npy` header has: the dict, and the shape
/// tuple inside it.
const NPY_MAX_BRACKETS: usize = 2;

/// The opening brackets of a Python literal: `{` (written 0x7b so that brace-counting
/// tools do not read it as a block), `(` and `[`.
const NPY_OPENING: [u8; 3] = [0x7b, b'(', b'['];

/// Reads the `.npy` preamble (magic, version, header length, header) into memory and
/// checks it before `npyz` parses it: `npyz`'s header parser backtracks exponentially
/// on nested brackets (a 200-byte header of 30 `{` ran for minutes: found by the npy
/// fuzz target), so a header longer than numpy's own limit, or with more brackets than
/// a numeric array's header ever has, is refused here.
fn npy_preamble(path: &Path, src: &mut impl Read) -> Result<Vec<u8>, SampleError> {
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            fmt_err(path, "truncated .npy header")
        } else {
            SampleError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    };
    let mut pre = vec![0u8; 8];
    src.read_exact(&mut pre).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            fmt_err(path, "not a .npy file (bad magic)")
        } else {
            io(e)
        }
    })?;
    if &pre[..6] != b"\x93NUMPY" {
        return Err(fmt_err(path, "not a .npy file (bad magic)"));
    }
    let len_bytes = match pre[6] {
        1 => 2,
        2 | 3 => 4,
        v => return Err(fmt_err(path, format!("unsupported .npy version {v}"))),
    };
    let mut l = [0u8; 4];
    src.read_exact(&mut l[..len_bytes]).map_err(io)?;
    pre.extend_from_slice(&l[..len_bytes]);
    let hlen = u32::from_le_bytes(l) as usize;
    if hlen > NPY_MAX_HEADER {
        return Err(fmt_err(
            path,
            format!("the .npy header is {hlen} bytes, more than numpy's limit of {NPY_MAX_HEADER}"),
        ));
    }
    let start = pre.len();
    pre.resize(start + hlen, 0);
    src.read_exact(&mut pre[start..]).map_err(io)?;
    // counted anywhere, strings included: a bracket inside a string cannot hide
    // nesting that way (afl found headers whose `]` in strings did exactly that)
    let opening = pre[start..]
        .iter()
        .filter(|c| NPY_OPENING.contains(c))
        .count();
    if opening > NPY_MAX_BRACKETS {
        return Err(fmt_err(
            path,
            format!("bad .npy header: {opening} opening brackets (a 1-D numeric array's header has {NPY_MAX_BRACKETS}: the dict and the shape)"),
        ));
    }
    Ok(pre)
}

/// Reads a 1-D `.npy` array: the header is checked by [`npy_preamble`] and parsed
/// by `npyz`, the data read into a buffer of its own type.
/// The shape of a `.npy` header (`pre`: magic, version, length, the
/// dictionary) when the product of its non-zero dimensions overflows u64 or
/// a dimension is not a plain decimal integer.
/// npyz 0.9.1 multiplies the dimensions to compute strides without checking
/// (a panic in debug builds, found by fuzzing: `(0, 11100000000000000, 11,
/// 11100)`), so such a header is refused before it reaches npyz.
fn npy_shape_overflows(pre: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(pre);
    let at = text.find("'shape'")?;
    let open = at + text[at..].find('(')?;
    let close = open + text[open..].find(')')?;
    let inner = &text[open + 1..close];
    let tokens: Vec<&str> = inner
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    // npyz evaluates Python literals, so `1000+11` is a dimension to it: a
    // token that is not a plain integer is refused here too (found by
    // fuzzing: `(0, 11100000000000000+11, 11100)` overflowed the same way)
    let Some(dims) = tokens
        .iter()
        .map(|t| t.parse::<u64>().ok())
        .collect::<Option<Vec<u64>>>()
    else {
        return Some(tokens.join(", "));
    };
    let overflows = dims
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .is_none();
    overflows.then(|| {
        dims.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn read_npy(path: &Path, mut src: impl Read, len: u64) -> Result<Samples, SampleError> {
    let pre = npy_preamble(path, &mut src)?;
    if let Some(dims) = npy_shape_overflows(&pre) {
        return Err(fmt_err(
            path,
            format!("shape ({dims}) is not a tuple of plain integers or is too large: its element count overflows 64 bits"),
        ));
    }
    let header = npyz::NpyHeader::from_reader(&mut &pre[..]).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("magic not found") {
            fmt_err(path, "not a .npy file (bad magic)")
        } else if e.kind() == std::io::ErrorKind::UnexpectedEof {
            fmt_err(path, "truncated .npy header")
        } else {
            fmt_err(path, format!("bad .npy header: {msg}"))
        }
    })?;
    let descr = match header.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => other.descr(),
    };
    let dtype = npy_dtype(&header.dtype()).ok_or_else(|| {
        fmt_err(
            path,
            format!("unsupported dtype '{descr}' (expected int8, int16 or float32, little-endian)"),
        )
    })?;
    // 1-D data is the same in C and Fortran order; only the shape matters
    let count = match header.shape() {
        [n] | [1, n] | [n, 1] => *n,
        dims => {
            let shape: Vec<String> = dims.iter().map(u64::to_string).collect();
            return Err(fmt_err(
                path,
                format!("shape ({}) is not one-dimensional", shape.join(", ")),
            ));
        }
    };
    let item = dtype.size() as u64;
    let data = len.saturating_sub(pre.len() as u64);
    let want = count.checked_mul(item).ok_or_else(|| {
        fmt_err(
            path,
            format!("shape ({count},) is too large: {count} samples of {item} bytes overflow a byte count"),
        )
    })?;
    if data < want {
        return Err(fmt_err(
            path,
            format!(
                "truncated: the header promises {count} samples ({want} bytes) but {data} bytes follow"
            ),
        ));
    }
    if data > want {
        return Err(fmt_err(
            path,
            format!(
                "{} bytes of trailing data after {count} samples",
                data - want
            ),
        ));
    }
    read_data(path, &mut src, count as usize, dtype)
}

/// The sample type of an `.npy` dtype, if it is one we read.
fn npy_dtype(d: &npyz::DType) -> Option<Dtype> {
    use npyz::{Endianness, TypeChar};
    let npyz::DType::Plain(t) = d else {
        return None;
    };
    let little = matches!(t.endianness(), Endianness::Little)
        || (cfg!(target_endian = "little") && matches!(t.endianness(), Endianness::Irrelevant));
    match (t.type_char(), t.size_field()) {
        (TypeChar::Int, 1) => Some(Dtype::I8),
        (TypeChar::Int, 2) if little => Some(Dtype::I16Le),
        (TypeChar::Float, 4) if little => Some(Dtype::F32Le),
        _ => None,
    }
}

/// Writes `bytes` to `path` through a temporary file renamed at the end, so a
/// failed run never leaves a file that looks complete.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SampleError> {
    write_atomic_parts(path, &[bytes])
}

/// [`write_atomic`] of the concatenation of `parts` (written one after the
/// other, never joined in memory).
pub fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> Result<(), SampleError> {
    let tmp = PathBuf::from(format!("{}.partial", path.display()));
    let io = |e| SampleError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        for p in parts {
            f.write_all(p)?;
        }
        f.sync_all().ok();
        drop(f);
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        // never leave the partial file behind
        let _ = fs::remove_file(&tmp);
        io(e)
    })
}

/// The `.npy` header (written by `npyz`) of a 1-D little-endian int16 array of `len` values.
fn npy_i16_header(len: usize) -> Vec<u8> {
    use npyz::WriterBuilder;
    let dtype = npyz::DType::new_scalar("<i2".parse().expect("a valid type string"));
    let mut out = Vec::new();
    npyz::WriteOptions::new_header_only()
        .dtype(dtype)
        .shape(&[len as u64])
        .writer(&mut out)
        .write_header_only()
        .expect("writing to memory");
    out
}

/// Samples as little-endian bytes: the samples themselves (cast) on a
/// little-endian machine, a converted copy elsewhere.
fn i16_le_bytes(x: &[i16]) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        Cow::Borrowed(bytemuck::cast_slice(x))
    } else {
        Cow::Owned(x.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

/// The bytes of a 1-D little-endian int16 `.npy` file.
pub fn npy_i16_bytes(x: &[i16]) -> Vec<u8> {
    let mut out = npy_i16_header(x.len());
    out.extend_from_slice(&i16_le_bytes(x));
    out
}

/// Writes ADC samples: `.npy` (int16) or raw `ri16_le` with a SigMF meta
/// file beside it, chosen by the extension.
pub fn write_samples(path: &Path, x: &[i16], adc_bits: u32) -> Result<(), SampleError> {
    match infer_format(path) {
        Ok(SampleFormat::Npy) => {
            write_atomic_parts(path, &[&npy_i16_header(x.len()), &i16_le_bytes(x)])
        }
        Ok(SampleFormat::Ri16Le) | Err(SampleError::Format { .. })
            if !path.to_string_lossy().ends_with(".npy") =>
        {
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
            write_atomic(path, &i16_le_bytes(x))
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

    /// File `name` in a fresh folder of its own, removed with the guard.
    fn tmp(name: &str) -> (testkit::TestDir, PathBuf) {
        let d = testkit::TestDir::new(&format!("samples-{name}"));
        let p = d.join(name);
        (d, p)
    }

    #[test]
    fn npy_round_trip() {
        let (_d, p) = tmp("a.npy");
        let x: Vec<i16> = (-300..300).collect();
        write_samples(&p, &x, 10).unwrap();
        assert_eq!(read_samples(&p, None).unwrap(), Samples::Int(x));
        assert!(!PathBuf::from(format!("{}.partial", p.display())).exists());
    }

    #[test]
    fn raw_with_sigmf_round_trip() {
        let (_d, p) = tmp("b.sigmf-data");
        let x: Vec<i16> = vec![1, -2, 3, -32768, 32767];
        write_samples(&p, &x, 16).unwrap();
        assert!(p.with_extension("sigmf-meta").exists());
        assert_eq!(read_samples(&p, None).unwrap(), Samples::Int(x));
    }

    #[test]
    fn truncated_npy_is_refused() {
        let (_d, p) = tmp("t.npy");
        let mut b = npy_i16_bytes(&[1, 2, 3, 4]);
        b.pop();
        fs::write(&p, b).unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    /// Found by the npy fuzz target: npyz's header parser backtracks exponentially on
    /// nested brackets (30 `{` ran for minutes); such a header is refused at once.
    #[test]
    fn npy_header_nested_too_deep_or_too_long_is_refused_fast() {
        let t0 = std::time::Instant::now();
        let (_d, p) = tmp("nest.npy");
        let h = format!(
            "{}'descr': '<i2', 'fortran_order': False, 'shape': (0,), }}",
            "{".repeat(30)
        );
        let h = format!("{h:<199}\n");
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        fs::write(&p, &b).unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(e.contains("31 opening brackets"), "{e}");
        let mut b = b"\x93NUMPY\x02\x00".to_vec();
        b.extend_from_slice(&20_000u32.to_le_bytes());
        b.extend_from_slice(&[b' '; 20_000]);
        fs::write(&p, &b).unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(e.contains("numpy's limit of 10000"), "{e}");
        assert!(t0.elapsed().as_secs() < 5, "{:?}", t0.elapsed());
    }

    /// Found by fuzzing (fuzz/, npy target): a shape whose byte count overflows
    /// panicked in a debug build and, wrapped in a release build, let a 4-byte
    /// file pass for 2^62 + 1 samples.
    #[test]
    fn npy_shape_overflowing_the_byte_count_is_refused() {
        let (_d, p) = tmp("o.npy");
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

    /// A dimension written as an expression (`1000+11`, which npyz
    /// evaluates): found by the afl smoke run of session 9 overflowing
    /// npyz's strides the same way; refused before npyz sees it.
    #[test]
    fn npy_shape_with_expressions_is_refused() {
        for shape in [
            "(0, 11100000000000000+11,11100    )",
            "(0, 555697,355555+5555555555555555 )",
        ] {
            let pre = format!("\u{93}NUMPY\u{1}\u{0}..{{'descr': '<i2', 'fortran_order': False, 'shape': {shape}, }}");
            assert!(npy_shape_overflows(pre.as_bytes()).is_some(), "{shape}");
        }
    }

    /// A shape whose dimensions multiply past u64 (with a zero among them,
    /// so the element count is 0) made npyz's stride computation overflow
    /// and panic: found by the afl smoke run; refused in one line now.
    #[test]
    fn npy_shape_whose_dimensions_overflow_is_refused() {
        let (_d, p) = tmp("z.npy");
        let h = "{'descr': '<i2', 'fortran_order': False, 'shape': (0, 11100000000000000,11,11100    ), }";
        let h = format!("{h:<149}\n");
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        fs::write(&p, b).unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(e.contains("overflows 64 bits"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn nan_is_refused() {
        let (_d, p) = tmp("n.rf32");
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

    /// An `.npy` file written by `npyz`'s own writer (not our header code).
    fn npyz_file<T: npyz::Serialize + npyz::AutoSerialize + Copy>(
        shape: &[u64],
        data: &[T],
        order: npyz::Order,
    ) -> Vec<u8> {
        use npyz::WriterBuilder;
        let mut out = std::io::Cursor::new(Vec::new());
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(shape)
            .order(order)
            .writer(&mut out)
            .begin_nd()
            .unwrap();
        w.extend(data.iter().copied()).unwrap();
        w.finish().unwrap();
        out.into_inner()
    }

    fn read_bytes(name: &str, bytes: &[u8]) -> Result<Samples, String> {
        let (_d, p) = tmp(name);
        fs::write(&p, bytes).unwrap();
        read_samples(&p, None).map_err(|e| e.to_string())
    }

    #[test]
    fn npy_files_of_each_type_and_layout_are_read() {
        let c = npyz::Order::C;
        let f = npyz::Order::Fortran;
        let ints: Vec<i16> = vec![-512, -1, 0, 1, 511];
        let cases = [
            (
                "i2.npy",
                npyz_file(&[5], &ints, c),
                Samples::Int(ints.clone()),
            ),
            (
                "i1.npy",
                npyz_file(&[3], &[-128i8, 0, 127], c),
                Samples::Int(vec![-128, 0, 127]),
            ),
            (
                "f4.npy",
                npyz_file(&[2], &[0.25f32, -1.5], c),
                Samples::Float(vec![0.25, -1.5]),
            ),
            (
                "col.npy",
                npyz_file(&[5, 1], &ints, f),
                Samples::Int(ints.clone()),
            ),
            (
                "row.npy",
                npyz_file(&[1, 5], &ints, c),
                Samples::Int(ints.clone()),
            ),
            (
                "empty.npy",
                npyz_file::<i16>(&[0], &[], c),
                Samples::Int(vec![]),
            ),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(read_bytes(name, &bytes).unwrap(), want, "{name}");
        }
    }

    #[test]
    fn our_npy_files_read_back_with_npyz() {
        let x: Vec<i16> = (-1000..1000).step_by(7).collect();
        let bytes = npy_i16_bytes(&x);
        let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
        assert_eq!(npy.shape(), &[x.len() as u64]);
        assert_eq!(npy.dtype().descr(), "'<i2'");
        assert_eq!(npy.into_vec::<i16>().unwrap(), x);
        // the data starts on an aligned boundary
        assert_eq!((bytes.len() - 2 * x.len()) % 16, 0);
    }

    #[test]
    fn bad_npy_files_are_refused_with_one_clear_error() {
        let c = npyz::Order::C;
        let mut trailing = npy_i16_bytes(&[1, 2]);
        trailing.extend_from_slice(&[0, 0, 0]);
        let cases: [(&str, Vec<u8>, &str); 7] = [
            ("magic.npy", b"NUMPY\x01\x00xx".to_vec(), "bad magic"),
            ("short.npy", b"\x93NUM".to_vec(), "bad magic"),
            (
                "hdr.npy",
                npy_i16_bytes(&[1; 40])[..30].to_vec(),
                "truncated .npy header",
            ),
            (
                "i8.npy",
                npyz_file(&[2], &[1i64, 2], c),
                "unsupported dtype '<i8'",
            ),
            (
                "2d.npy",
                npyz_file(&[2, 2], &[1i16, 2, 3, 4], c),
                "shape (2, 2) is not one-dimensional",
            ),
            (
                "trail.npy",
                trailing,
                "3 bytes of trailing data after 2 samples",
            ),
            (
                "nan.npy",
                npyz_file(&[3], &[0.0f32, 1.0, f32::INFINITY], c),
                "sample 2 is inf",
            ),
        ];
        for (name, bytes, want) in cases {
            let e = read_bytes(name, &bytes).unwrap_err();
            assert!(e.contains(want), "{name}: {e}");
            assert!(!e.contains('\n'), "{name}: one line: {e}");
        }
        let mut be = npy_i16_bytes(&[1, 2]);
        let at = be.windows(3).position(|w| w == b"<i2").unwrap();
        be[at] = b'>';
        let e = read_bytes("be2.npy", &be).unwrap_err();
        assert!(e.contains("unsupported dtype '>i2'"), "{e}");
    }

    #[test]
    fn raw_formats_read_with_their_checks() {
        let (_d, p) = tmp("r.ri8");
        fs::write(&p, [0x80u8, 0x7f, 0x01]).unwrap();
        assert_eq!(
            read_samples(&p, None).unwrap(),
            Samples::Int(vec![-128, 127, 1])
        );
        let (_d, p) = tmp("r.rf32");
        let bytes: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        fs::write(&p, &bytes).unwrap();
        assert_eq!(
            read_samples(&p, None).unwrap(),
            Samples::Float(vec![1.5, -2.0])
        );
        fs::write(&p, &bytes[..7]).unwrap();
        let e = read_samples(&p, None).unwrap_err().to_string();
        assert!(
            e.contains("truncated: 7 bytes is not a whole number of 4-byte samples"),
            "{e}"
        );
        let (_d, p) = tmp("r.ri16");
        fs::write(&p, [0x01u8, 0x80, 0xff, 0x7f]).unwrap();
        assert_eq!(
            read_samples(&p, None).unwrap(),
            Samples::Int(vec![-32767, 32767])
        );
    }

    #[test]
    fn packing_is_msb_first() {
        assert_eq!(
            pack_symbols(&[3, 0, 1, 2, 2]),
            vec![0b1100_0110, 0b1000_0000]
        );
    }
}
