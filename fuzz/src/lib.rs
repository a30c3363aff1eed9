//! The bodies of the afl fuzz targets, one function per parser; the
//! `fuzz_targets/*.rs` binaries only hand afl's input to them. Run by
//! `scripts/fuzz.sh` (docs/fuzzing.md).
//!
//! Each function takes any bytes and must return without panicking; where a
//! parser accepts its input, the function also checks a property of the
//! result (a round trip through the project's own writer, or the decoder's
//! own guarantee), so a wrong answer is a crash too.

use std::path::PathBuf;

/// The parsers under test, named in one place: the integrator changes these
/// lines when the frame codec moves to its own crate.
mod api {
    pub use golden::config::Config;
    pub use golden::fec::{decode_bytes, encode_bytes, Code, Codec, DecodeOutcome};
    pub use golden::touchstone::{parse as parse_touchstone, PortMap};
    pub use proto::{Decoder, Frame};
    pub use rxdsp::cfgload::load as load_config;
    pub use rxdsp::fecfile::{code_file, FecOp, StreamOptions};
    pub use rxdsp::samples::{npy_i16_bytes, read_samples, SampleFormat, Samples};
}

use api::*;

/// A scratch file name unique to this process, in `RXDSP_FUZZ_TMP`, or
/// `/dev/shm` when it exists (no disk writes per execution), or the system
/// temporary folder. The readers under test take paths, so the targets write
/// their input there first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::var_os("RXDSP_FUZZ_TMP")
        .map(PathBuf::from)
        .or_else(|| {
            let shm = PathBuf::from("/dev/shm");
            shm.is_dir().then_some(shm)
        })
        .unwrap_or_else(std::env::temp_dir);
    dir.join(format!("rxdsp-fuzz-{}-{name}", std::process::id()))
}

/// Scratch files removed when dropped, so that the many processes of a
/// campaign (afl forks a new one now and then) leave nothing behind.
struct Scratch(Vec<PathBuf>);

impl Scratch {
    /// Writes `bytes` to the scratch file `name` and remembers it.
    fn write(&mut self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = scratch(name);
        std::fs::write(&p, bytes).expect("scratch file");
        self.0.push(p.clone());
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The streamed file path `rxdsp fec` runs ([`code_file`], one-codeword chunks over two
/// workers, so chunk boundaries fall everywhere) gives the bytes and statistics of the
/// whole-file functions, or fails where they fail.
fn fec_streamed_equals_whole(code: Code, first: u8, rest: &[u8]) {
    let mut files = Scratch(Vec::new());
    let input = files.write("fec-in", rest);
    let output = files.write("fec-out", &[]);
    let opts = StreamOptions {
        chunk_codewords: 1,
        workers: 2,
    };
    let op = if first & 2 == 0 {
        FecOp::Decode
    } else {
        FecOp::Encode
    };
    let streamed = code_file(op, code, &input, &output, opts);
    match op {
        FecOp::Decode => match (decode_bytes(code, rest), streamed) {
            (Ok((msg, stats)), Ok(sum)) => {
                assert_eq!(std::fs::read(&output).expect("output"), msg);
                assert_eq!(
                    sum.stats.as_ref(),
                    Some(&stats),
                    "streamed statistics differ"
                );
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("whole-file and streamed decode disagree: {a:?} vs {b:?}"),
        },
        FecOp::Encode => match (encode_bytes(code, rest), streamed) {
            (Ok(cw), Ok(_)) => assert_eq!(std::fs::read(&output).expect("output"), cw),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("whole-file and streamed encode disagree: {a:?} vs {b:?}"),
        },
    }
}

/// Frame decoder: the bytes split into chunks (the chunk size from the first
/// byte) and pushed through [`Decoder`]; the frames found must not depend on
/// the chunking, and every accepted frame must re-encode to a wire form that
/// decodes to itself. [`Frame::parse`] also gets the raw bytes.
pub fn frame(data: &[u8]) {
    let _ = Frame::parse(data);
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;
    let max_raw = 16 + usize::from(first) * 8;
    let mut whole = Vec::new();
    Decoder::new(max_raw).push(rest, &mut whole);
    let mut chunked = Vec::new();
    let mut d = Decoder::new(max_raw);
    for c in rest.chunks(chunk) {
        d.push(c, &mut chunked);
    }
    assert_eq!(whole, chunked, "frames depend on how the bytes are chunked");
    for f in whole.iter().flatten() {
        let wire = f.encode();
        let mut again = Vec::new();
        Decoder::new(wire.len()).push(&wire, &mut again);
        assert_eq!(again, vec![Ok(f.clone())], "frame does not round-trip");
    }
}

/// Reads `path` and, when it holds integer samples, checks that the .npy
/// writer and reader give them back unchanged.
fn read_and_check(path: &std::path::Path, format: Option<SampleFormat>) {
    if let Ok(Samples::Int(v)) = read_samples(path, format) {
        let mut files = Scratch(Vec::new());
        let p = files.write("again.npy", &npy_i16_bytes(&v));
        match read_samples(&p, Some(SampleFormat::Npy)) {
            Ok(Samples::Int(w)) => assert_eq!(v, w, ".npy round trip changed the samples"),
            other => panic!(".npy round trip gave {other:?}"),
        }
    }
}

/// `.npy` reader: the bytes as a `.npy` file, read by its extension.
pub fn npy(data: &[u8]) {
    let mut files = Scratch(Vec::new());
    let p = files.write("in.npy", data);
    read_and_check(&p, None);
}

/// SigMF and raw sample readers. Layout of the input: byte 0 picks the file
/// name and the format given to the reader; bytes 1-2 (little-endian) the
/// length of the `.sigmf-meta` text that follows (0xFFFF: no meta file);
/// the rest is the data file.
pub fn sigmf(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let (sel, meta_len) = (data[0], usize::from(u16::from_le_bytes([data[1], data[2]])));
    let rest = &data[3..];
    let (meta, body) = if meta_len == 0xFFFF {
        (None, rest)
    } else {
        let m = meta_len.min(rest.len());
        (Some(&rest[..m]), &rest[m..])
    };
    let ext = ["sigmf-data", "ri8", "ri16", "rf32_le"][usize::from(sel & 3)];
    let format = [
        None,
        Some(SampleFormat::Ri8),
        Some(SampleFormat::Ri16Le),
        Some(SampleFormat::Rf32Le),
    ][usize::from(sel >> 2 & 3)];
    let mut files = Scratch(Vec::new());
    if let Some(m) = meta {
        files.write("in.sigmf-meta", m);
    }
    let data_path = files.write(&format!("in.{ext}"), body);
    read_and_check(&data_path, format);
}

/// Touchstone parser: byte 0 is the port count from the file name (0: none),
/// the rest the file's text (lossily UTF-8, as the host reads text); an
/// accepted network goes through every port map.
pub fn touchstone(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let ports = (first != 0).then_some(usize::from(first));
    let text = String::from_utf8_lossy(rest);
    if let Ok(net) = parse_touchstone(&text, ports) {
        for map in [
            PortMap::SingleEnded,
            PortMap::ODD_IN_EVEN_OUT,
            PortMap::PAIRS_IN_OUT,
        ] {
            if let Ok(h) = net.through(map) {
                assert_eq!(h.len(), net.freqs.len());
            }
        }
    }
    let _ = PortMap::parse(&text);
}

/// TOML configuration: the text up to the first NUL byte is the file, each
/// NUL-separated piece after it one `--set` override; the file is loaded as
/// `rxdsp --config FILE --set ...` does, then resolved (a `channel.touchstone`
/// key resolves to an error here: the file is not read).
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let file = parts.next().unwrap_or("");
    let overrides: Vec<String> = parts.map(str::to_string).collect();
    if let Ok(cfg) = toml::from_str::<Config>(file) {
        let _ = cfg.resolve();
    }
    let mut files = Scratch(Vec::new());
    let p = files.write("cfg.toml", file.as_bytes());
    if let Ok(cfg) = load_config(Some(&p), &overrides) {
        let _ = cfg.resolve();
    }
}

/// FEC symbol files: byte 0 picks the code (bit 0) ; the rest is a file of
/// u16 little-endian symbols, encoded and decoded as `rxdsp fec encode` and
/// `decode` do. An encoded file must decode to its message with nothing to
/// correct, and each codeword the decoder says it corrected must be a
/// codeword at exactly that many symbols from the one received.
pub fn fec(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let code = if first & 1 == 0 { Code::Kp4 } else { Code::Kr4 };
    fec_streamed_equals_whole(code, first, rest);
    if let Ok(cw) = encode_bytes(code, rest) {
        let (msg, stats) = decode_bytes(code, &cw).expect("an encoded file decodes");
        assert_eq!(msg, rest, "encode then decode changed the message");
        assert_eq!(stats.corrected_symbols + stats.uncorrectable_codewords, 0);
    }
    if let Ok((msg, stats)) = decode_bytes(code, rest) {
        let (n, k) = (code.n(), code.k());
        assert_eq!(msg.len() / 2, rest.len() / 2 / n * k);
        assert_eq!(stats.codewords as usize, rest.len() / 2 / n);
        let codec = Codec::new(code);
        let mut m = vec![0u16; k];
        let mut c = vec![0u16; n];
        for (i, raw) in rest.chunks_exact(2 * n).enumerate() {
            let r: Vec<u16> = raw
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            if let DecodeOutcome::Corrected { symbols } = codec.decode(&r, &mut m) {
                let file_msg: Vec<u16> = msg[2 * k * i..2 * k * (i + 1)]
                    .chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
                    .collect();
                assert_eq!(m, file_msg, "file and codeword decoders disagree");
                codec.encode(&m, &mut c);
                let dist = c.iter().zip(&r).filter(|(a, b)| a != b).count();
                assert_eq!(dist, symbols, "corrected count is not the distance");
                assert!(symbols <= code.t());
            }
        }
    }
}
