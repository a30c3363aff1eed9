//! Reed-Solomon encoding and decoding of symbol files, streamed in chunks over
//! all cores with constant memory (what `rxdsp fec encode|decode` runs).
//!
//! A file holds u16 little-endian symbols, codewords (or messages) back to
//! back, as [`golden::fec::encode_bytes`] and [`golden::fec::decode_bytes`]
//! take them; this module gives the same output, the same statistics and the
//! same errors (with the same byte offsets) as those whole-buffer functions,
//! without holding the file in memory.
//!
//! # How it streams
//! Each worker thread owns one input and one output buffer of
//! [`StreamOptions::chunk_codewords`] blocks. In turn (under a lock) a worker
//! reads the next chunk straight into its `u16` buffer (cast to bytes with
//! `bytemuck`, so the kernel's copy is the only one), then codes it while the
//! other workers read or code theirs, then waits until the chunks before its
//! own are written and writes its output buffer, again cast to bytes. Memory is
//! `workers x chunk` whatever the file size; chunks are written in file order.
//! The output goes to `OUT.partial`, renamed to `OUT` only when every chunk
//! was written; on any error the partial file is removed.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

use golden::fec::{Code, Codec, FecError, FecStats};
use thiserror::Error;

/// Encode (k message symbols in, n out per block) or decode (n in, k out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FecOp {
    /// messages to codewords
    Encode,
    /// received words to messages, with statistics
    Decode,
}

impl FecOp {
    /// Symbols per input block.
    fn in_block(self, code: Code) -> usize {
        match self {
            FecOp::Encode => code.k(),
            FecOp::Decode => code.n(),
        }
    }

    /// Symbols per output block.
    fn out_block(self, code: Code) -> usize {
        match self {
            FecOp::Encode => code.n(),
            FecOp::Decode => code.k(),
        }
    }
}

/// How a stream is cut and spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOptions {
    /// Blocks (codewords or messages) per chunk; each worker holds one chunk in and one out.
    pub chunk_codewords: usize,
    /// Worker threads (each reads, codes and writes its own chunks).
    pub workers: usize,
}

impl Default for StreamOptions {
    /// 2048 blocks per chunk (about 2 MB of KP4 codewords: large enough that a chunk's
    /// read and write are one system call each, small enough to stay in L3 on most
    /// machines) and one worker per core.
    fn default() -> Self {
        StreamOptions {
            chunk_codewords: 2048,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// What a stream did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Blocks coded (messages encoded or codewords decoded).
    pub codewords: u64,
    /// Decoder statistics, summed over all chunks (`None` when encoding).
    pub stats: Option<FecStats>,
}

/// Why a stream failed.
#[derive(Debug, Error)]
pub enum StreamError {
    /// The input could not be read (or ended before its announced length).
    #[error("{0}")]
    Read(#[source] io::Error),
    /// The output could not be written.
    #[error("{0}")]
    Write(#[source] io::Error),
    /// The input is not a valid symbol stream (offsets are from the start of the input).
    #[error("{0}")]
    Fec(#[source] FecError),
}

/// Why a file could not be coded; each names the file concerned.
#[derive(Debug, Error)]
pub enum FecFileError {
    /// Reading the input failed.
    #[error("reading {path}: {source}")]
    Read {
        /// input file
        path: PathBuf,
        /// cause
        source: io::Error,
    },
    /// Writing the output failed.
    #[error("writing {path}: {source}")]
    Write {
        /// output file
        path: PathBuf,
        /// cause
        source: io::Error,
    },
    /// The input is not a valid symbol file.
    #[error("{path}: {source}")]
    Fec {
        /// input file
        path: PathBuf,
        /// what is wrong, with its byte offset
        source: FecError,
    },
}

/// Codes the file `input` into `output` (written as `output.partial`, then renamed).
/// The input's length is checked first (odd byte count, partial block), as the
/// whole-buffer functions do, so a bad file is refused before any output is made.
pub fn code_file(
    op: FecOp,
    code: Code,
    input: &Path,
    output: &Path,
    opts: StreamOptions,
) -> Result<Summary, FecFileError> {
    let read_err = |source| FecFileError::Read {
        path: input.to_path_buf(),
        source,
    };
    let src = File::open(input).map_err(read_err)?;
    let len = src.metadata().map_err(read_err)?.len();
    check_length(op, code, len).map_err(|source| FecFileError::Fec {
        path: input.to_path_buf(),
        source,
    })?;
    let partial = PathBuf::from(format!("{}.partial", output.display()));
    let write_err = |source| FecFileError::Write {
        path: output.to_path_buf(),
        source,
    };
    let dst = File::create(&partial).map_err(write_err)?;
    let result = code_stream(op, code, src, len, &dst, opts);
    let result = result.and_then(|s| {
        // the data must be on disk before the name says the file is complete
        dst.sync_all().map_err(StreamError::Write)?;
        Ok(s)
    });
    drop(dst);
    match result {
        Ok(summary) => {
            fs::rename(&partial, output).map_err(write_err)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(match e {
                StreamError::Read(source) => read_err(source),
                StreamError::Write(source) => write_err(source),
                StreamError::Fec(source) => FecFileError::Fec {
                    path: input.to_path_buf(),
                    source,
                },
            })
        }
    }
}

/// The length checks of the whole-buffer functions, in their order.
fn check_length(op: FecOp, code: Code, len: u64) -> Result<(), FecError> {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if !len.is_multiple_of(2) {
        return Err(FecError::OddByteLength { len });
    }
    let (symbols, block) = (len / 2, op.in_block(code));
    if !symbols.is_multiple_of(block) {
        return Err(FecError::PartialBlock { symbols, block });
    }
    Ok(())
}

/// Codes `len` bytes of `input` into `output`, in chunks over `opts.workers` threads,
/// writing the output in input order. Gives the output, statistics and errors of
/// [`golden::fec::encode_bytes`] / [`golden::fec::decode_bytes`] on the same bytes
/// (if several chunks are bad, the error of the first one in the file).
/// `input` must hold at least `len` bytes; bytes after them are not read.
pub fn code_stream<R: Read + Send, W: Write + Send>(
    op: FecOp,
    code: Code,
    input: R,
    len: u64,
    output: W,
    opts: StreamOptions,
) -> Result<Summary, StreamError> {
    check_length(op, code, len).map_err(StreamError::Fec)?;
    let shared = Shared {
        reader: Mutex::new(ReadSide {
            src: input,
            remaining: len,
            next: 0,
        }),
        writer: Mutex::new(WriteSide {
            dst: output,
            next: 0,
        }),
        written: Condvar::new(),
        failed: AtomicBool::new(false),
        first_error: Mutex::new(None),
    };
    let job = Job {
        op,
        codec: Codec::new(code),
        chunk: opts.chunk_codewords.max(1),
    };
    let stats = std::thread::scope(|s| {
        let handles: Vec<_> = (0..opts.workers.max(1))
            .map(|_| s.spawn(|| job.work(&shared)))
            .collect();
        let mut total = FecStats::new(code);
        for h in handles {
            total.merge(&h.join().expect("FEC worker panicked"));
        }
        total
    });
    if let Some((_, e)) = shared.first_error.into_inner().expect("poisoned") {
        return Err(e);
    }
    let mut w = shared.writer.into_inner().expect("poisoned");
    w.dst.flush().map_err(StreamError::Write)?;
    let codewords = len / 2 / op.in_block(code) as u64;
    Ok(Summary {
        codewords,
        stats: (op == FecOp::Decode).then_some(stats),
    })
}

struct ReadSide<R> {
    src: R,
    remaining: u64,
    /// index of the next chunk to read
    next: usize,
}

struct WriteSide<W> {
    dst: W,
    /// index of the next chunk to write
    next: usize,
}

struct Shared<R, W> {
    reader: Mutex<ReadSide<R>>,
    writer: Mutex<WriteSide<W>>,
    /// signalled when a chunk was written or a worker failed
    written: Condvar,
    failed: AtomicBool,
    /// the failure of the lowest-numbered chunk
    first_error: Mutex<Option<(usize, StreamError)>>,
}

impl<R, W> Shared<R, W> {
    fn fail(&self, chunk: usize, e: StreamError) {
        {
            let mut first = self.first_error.lock().expect("poisoned");
            let earlier = match first.as_ref() {
                Some((c, _)) => chunk < *c,
                None => true,
            };
            if earlier {
                *first = Some((chunk, e));
            }
        }
        // set under the writer lock so that no waiter misses the wake-up
        let _w = self.writer.lock().expect("poisoned");
        self.failed.store(true, Ordering::SeqCst);
        self.written.notify_all();
    }
}

struct Job {
    op: FecOp,
    codec: Codec,
    /// blocks per chunk
    chunk: usize,
}

impl Job {
    /// One worker: read a chunk, code it, write it in turn, until the input ends or
    /// some worker fails. Returns the statistics of the chunks it decoded.
    fn work<R: Read, W: Write>(&self, sh: &Shared<R, W>) -> FecStats {
        let code = self.codec.code();
        let (in_block, out_block) = (self.op.in_block(code), self.op.out_block(code));
        let mut inp = vec![0u16; self.chunk * in_block];
        let mut out = vec![0u16; self.chunk * out_block];
        let mut stats = FecStats::new(code);
        while !sh.failed.load(Ordering::SeqCst) {
            let (index, blocks) = match read_chunk(sh, &mut inp, in_block) {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err((index, e)) => {
                    sh.fail(index, StreamError::Read(e));
                    break;
                }
            };
            let syms = &mut inp[..blocks * in_block];
            from_le_in_place(syms);
            let o = &mut out[..blocks * out_block];
            if let Err(e) = self.code_chunk(syms, o, &mut stats) {
                let base = index * self.chunk * in_block;
                sh.fail(index, StreamError::Fec(shift(e, base)));
                break;
            }
            to_le_in_place(o);
            if let Err(e) = write_in_turn(sh, index, o) {
                sh.fail(index, StreamError::Write(e));
                break;
            }
        }
        stats
    }

    fn code_chunk(
        &self,
        syms: &[u16],
        out: &mut [u16],
        stats: &mut FecStats,
    ) -> Result<(), FecError> {
        match self.op {
            FecOp::Encode => self.codec.encode_many(syms, out).map(|_| ()),
            FecOp::Decode => {
                stats.merge(&self.codec.decode_many(syms, out)?);
                Ok(())
            }
        }
    }
}

/// Reads the next chunk into `buf`; returns its index and block count, `None` at the end.
fn read_chunk<R: Read, W>(
    sh: &Shared<R, W>,
    buf: &mut [u16],
    in_block: usize,
) -> Result<Option<(usize, usize)>, (usize, io::Error)> {
    let mut r = sh.reader.lock().expect("poisoned");
    if r.remaining == 0 {
        return Ok(None);
    }
    let index = r.next;
    let bytes = (2 * buf.len() as u64).min(r.remaining) as usize;
    let dst: &mut [u8] = bytemuck::cast_slice_mut(buf);
    r.src.read_exact(&mut dst[..bytes]).map_err(|e| {
        let e = if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(
                e.kind(),
                "the input ended early (changed while being read?)",
            )
        } else {
            e
        };
        (index, e)
    })?;
    r.remaining -= bytes as u64;
    r.next += 1;
    Ok(Some((index, bytes / 2 / in_block)))
}

/// Waits until the chunks before `index` are written, then writes `out`.
fn write_in_turn<R, W: Write>(sh: &Shared<R, W>, index: usize, out: &[u16]) -> io::Result<()> {
    let mut w = sh.writer.lock().expect("poisoned");
    while w.next != index {
        if sh.failed.load(Ordering::SeqCst) {
            return Ok(()); // the output is discarded anyway
        }
        w = sh.written.wait(w).expect("poisoned");
    }
    w.dst.write_all(bytemuck::cast_slice(out))?;
    w.next += 1;
    sh.written.notify_all();
    Ok(())
}

/// A chunk's error with its offsets counted from the start of the stream.
fn shift(e: FecError, base_symbols: usize) -> FecError {
    match e {
        FecError::SymbolOutOfRange { index, value, .. } => FecError::SymbolOutOfRange {
            index: index + base_symbols,
            byte_offset: 2 * (index + base_symbols),
            value,
        },
        other => other,
    }
}

/// Little-endian file symbols to native (a no-op on little-endian machines).
fn from_le_in_place(s: &mut [u16]) {
    if cfg!(target_endian = "big") {
        for v in s {
            *v = u16::from_le(*v);
        }
    }
}

/// Native symbols to little-endian file order (a no-op on little-endian machines).
fn to_le_in_place(s: &mut [u16]) {
    if cfg!(target_endian = "big") {
        for v in s {
            *v = v.to_le();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    fn le(s: &[u16]) -> Vec<u8> {
        s.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// `words` random codewords with 0..=t+3 random symbol errors each.
    fn noisy_codewords(code: Code, words: usize, seed: u64) -> Vec<u8> {
        let mut rng = Rng(seed);
        let msgs: Vec<u16> = (0..words * code.k())
            .map(|_| (rng.next() & 1023) as u16)
            .collect();
        let mut cws = vec![0u16; words * code.n()];
        Codec::new(code).encode_many(&msgs, &mut cws).unwrap();
        for cw in cws.chunks_exact_mut(code.n()) {
            for _ in 0..rng.next() % (code.t() as u64 + 4) {
                cw[(rng.next() % code.n() as u64) as usize] ^= 1 + (rng.next() % 1023) as u16;
            }
        }
        le(&cws)
    }

    fn run(
        op: FecOp,
        code: Code,
        input: &[u8],
        opts: StreamOptions,
    ) -> Result<(Vec<u8>, Summary), String> {
        let mut out = Vec::new();
        code_stream(op, code, input, input.len() as u64, &mut out, opts)
            .map(|s| (out, s))
            .map_err(|e| e.to_string())
    }

    const SHAPES: [StreamOptions; 4] = [
        StreamOptions {
            chunk_codewords: 1,
            workers: 1,
        },
        StreamOptions {
            chunk_codewords: 3,
            workers: 2,
        },
        StreamOptions {
            chunk_codewords: 7,
            workers: 3,
        },
        StreamOptions {
            chunk_codewords: 2048,
            workers: 2,
        },
    ];

    #[test]
    fn decode_matches_the_whole_buffer_path() {
        for (code, seed) in [(Code::Kp4, 1), (Code::Kr4, 2)] {
            let input = noisy_codewords(code, 61, seed);
            let (want, want_stats) = golden::fec::decode_bytes(code, &input).unwrap();
            assert!(want_stats.uncorrectable_codewords > 0 && want_stats.corrected_codewords > 0);
            for opts in SHAPES {
                let (got, s) = run(FecOp::Decode, code, &input, opts).unwrap();
                assert!(got == want, "{code} {opts:?}: output differs");
                assert_eq!(s.stats.as_ref(), Some(&want_stats), "{code} {opts:?}");
                assert_eq!(s.codewords, 61);
            }
        }
    }

    #[test]
    fn encode_matches_the_whole_buffer_path() {
        let mut rng = Rng(5);
        for code in [Code::Kp4, Code::Kr4] {
            let msgs: Vec<u16> = (0..40 * code.k())
                .map(|_| (rng.next() & 1023) as u16)
                .collect();
            let input = le(&msgs);
            let want = golden::fec::encode_bytes(code, &input).unwrap();
            for opts in SHAPES {
                let (got, s) = run(FecOp::Encode, code, &input, opts).unwrap();
                assert!(got == want, "{code} {opts:?}: output differs");
                assert_eq!((s.codewords, s.stats), (40, None));
            }
        }
    }

    #[test]
    fn errors_match_the_whole_buffer_path() {
        let code = Code::Kr4;
        let good = noisy_codewords(code, 20, 9);
        // symbols >= 1024 in chunks 5 and 2 (chunk = 3 codewords): the first in the file wins
        let mut bad = good.clone();
        for sym in [5 * 3 * 528 + 100, 2 * 3 * 528 + 17] {
            bad[2 * sym + 1] = 0x04;
        }
        let cases: [(&[u8], FecOp); 4] = [
            (&bad, FecOp::Decode),
            (&good[..good.len() - 2], FecOp::Decode),
            (&good[..good.len() - 1], FecOp::Decode),
            (&good[..2 * 514 * 3 + 2], FecOp::Encode),
        ];
        for (input, op) in cases {
            let want = match op {
                FecOp::Decode => golden::fec::decode_bytes(code, input).map(|_| ()),
                FecOp::Encode => golden::fec::encode_bytes(code, input).map(|_| ()),
            }
            .unwrap_err()
            .to_string();
            for opts in SHAPES {
                let got = run(op, code, input, opts).unwrap_err();
                assert_eq!(got, want, "{opts:?}");
            }
        }
        assert!(run(FecOp::Decode, code, &bad, SHAPES[1])
            .unwrap_err()
            .contains(&format!("byte offset {}", 2 * (2 * 3 * 528 + 17))));
    }

    #[test]
    fn an_input_shorter_than_announced_is_a_read_error() {
        let input = noisy_codewords(Code::Kp4, 4, 3);
        let mut out = Vec::new();
        let e = code_stream(
            FecOp::Decode,
            Code::Kp4,
            &input[..],
            input.len() as u64 + 2 * 544,
            &mut out,
            SHAPES[1],
        )
        .unwrap_err();
        assert!(matches!(e, StreamError::Read(_)), "{e}");
    }

    #[test]
    fn files_are_written_whole_or_not_at_all() {
        let d = std::env::temp_dir().join(format!("rxdsp-fecfile-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        let (inp, out) = (d.join("in.u16"), d.join("out.u16"));
        let partial = d.join("out.u16.partial");
        let input = noisy_codewords(Code::Kp4, 9, 4);
        fs::write(&inp, &input).unwrap();
        let s = code_file(FecOp::Decode, Code::Kp4, &inp, &out, SHAPES[1]).unwrap();
        let (want, want_stats) = golden::fec::decode_bytes(Code::Kp4, &input).unwrap();
        assert_eq!(fs::read(&out).unwrap(), want);
        assert_eq!(s.stats, Some(want_stats));
        assert!(!partial.exists());
        // a bad symbol in the last chunk: no output, no partial file left behind
        fs::remove_file(&out).unwrap();
        let mut bad = input.clone();
        let n = bad.len();
        bad[n - 2] = 0x00;
        bad[n - 1] = 0x80;
        fs::write(&inp, &bad).unwrap();
        let e = code_file(FecOp::Decode, Code::Kp4, &inp, &out, SHAPES[1]).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "{}: symbol 32768 at byte offset {}",
                inp.display(),
                n - 2
            )),
            "{e}"
        );
        assert!(!out.exists() && !partial.exists());
        let e = code_file(FecOp::Decode, Code::Kp4, &d.join("none"), &out, SHAPES[1]).unwrap_err();
        assert!(e.to_string().starts_with("reading "), "{e}");
        fs::remove_dir_all(&d).ok();
    }
}
