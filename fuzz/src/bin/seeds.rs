//! Writes the seed corpora (`fuzz/corpus/<target>/`) with the project's own
//! writers: frames from `Frame::encode`, `.npy` from the sample writer, FEC
//! files from `encode_bytes`, the embedded default configuration, and small
//! Touchstone files. `scripts/fuzz.sh seeds` runs it (the committed corpora
//! are these, minimized with afl-cmin, plus the `rxdsp sim --dump-samples`
//! files the script adds).
//!
//! Usage: `seeds <corpus folder> [<x.sigmf-data>]`; each file name says what
//! the seed is. The optional SigMF recording (from `rxdsp sim --dump-samples
//! x.sigmf-data`) becomes a `sigmf` seed, its data cut to 512 bytes.

use golden::config::DEFAULT_TOML;
use golden::fec::{encode_bytes, Code};
use proto::Frame;
use rxdsp::samples::npy_i16_bytes;
use std::path::Path;

fn put(root: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).expect("corpus folder");
    std::fs::write(dir.join(name), bytes).expect("seed file");
}

/// `[selector byte]` + the layout `rxdsp_fuzz::sigmf` expects.
fn sigmf_seed(sel: u8, meta: Option<&str>, data: &[u8]) -> Vec<u8> {
    let mut v = vec![sel];
    match meta {
        Some(m) => {
            v.extend_from_slice(&(m.len() as u16).to_le_bytes());
            v.extend_from_slice(m.as_bytes());
        }
        None => v.extend_from_slice(&[0xFF, 0xFF]),
    }
    v.extend_from_slice(data);
    v
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = Path::new(
        args.get(1)
            .expect("usage: seeds <corpus folder> [x.sigmf-data]"),
    );
    if let Some(data) = args.get(2).map(Path::new) {
        let meta = std::fs::read_to_string(data.with_extension("sigmf-meta")).expect("its meta");
        let bytes = std::fs::read(data).expect("a SigMF recording");
        let cut = &bytes[..bytes.len().min(512)];
        put(root, "sigmf", "sim.bin", &sigmf_seed(0, Some(&meta), cut));
    }

    // frames: a read, a write with payload, an empty payload, two frames back to back
    let read = Frame {
        kind: 1,
        seq: 0,
        payload: vec![0x10, 0, 0, 0],
    };
    let write = Frame {
        kind: 2,
        seq: 7,
        payload: vec![0x14, 0, 0, 0, 0xEF, 0xBE, 0, 0],
    };
    let empty = Frame {
        kind: 3,
        seq: 255,
        payload: vec![],
    };
    let long = Frame {
        kind: 4,
        seq: 1,
        payload: (0..=255u8).chain(0..40).collect(),
    };
    for (name, frames) in [
        ("read", vec![&read]),
        ("write", vec![&write]),
        ("empty", vec![&empty]),
        ("two", vec![&read, &write]),
        ("long", vec![&long]),
    ] {
        let mut b = vec![0u8]; // chunking / size-limit selector
        for f in frames {
            b.extend(f.encode());
        }
        put(root, "frame", &format!("{name}.bin"), &b);
    }

    // .npy from the sample writer
    let ramp: Vec<i16> = (-8..8).map(|x| x * 1000).collect();
    put(root, "npy", "ramp-i16.npy", &npy_i16_bytes(&ramp));
    put(root, "npy", "empty-i16.npy", &npy_i16_bytes(&[]));

    // SigMF / raw
    let meta = |dt: &str| {
        format!(
            "{{\"global\": {{\"core:datatype\": \"{dt}\", \"core:sample_rate\": 1e9, \"core:version\": \"1.0.0\"}}, \"captures\": [], \"annotations\": []}}"
        )
    };
    let i16s: Vec<u8> = ramp.iter().flat_map(|x| x.to_le_bytes()).collect();
    let f32s: Vec<u8> = [0.5f32, -0.25, 1.0, -1.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    put(
        root,
        "sigmf",
        "ri16.bin",
        &sigmf_seed(0, Some(&meta("ri16_le")), &i16s),
    );
    put(
        root,
        "sigmf",
        "rf32.bin",
        &sigmf_seed(0, Some(&meta("rf32_le")), &f32s),
    );
    put(
        root,
        "sigmf",
        "ri8.bin",
        &sigmf_seed(0, Some(&meta("ri8")), &[1, 255, 3, 128]),
    );
    put(root, "sigmf", "raw-ri16.bin", &sigmf_seed(2, None, &i16s));

    // Touchstone: v1 2-port (MA), v1 4-port (RI), v2 2-port (DB)
    let s2p = "! through\n# GHz S MA R 50\n0.1 0.01 0 0.99 -10 0.99 -10 0.01 0\n10 0.05 20 0.7 -170 0.7 -170 0.05 20\n30 0.1 40 0.3 -500 0.3 -500 0.1 40\n";
    let mut s4p = String::from("# GHz S RI R 50\n");
    for (f, a) in [(0.1, 0.99), (15.0, 0.6), (30.0, 0.2)] {
        s4p.push_str(&format!("{f} 0 0 {a} 0 0 0 0 0\n"));
        s4p.push_str(&format!(
            "{a} 0 0 0 0 0 0 0\n0 0 0 0 0 0 {a} 0\n0 0 0 0 {a} 0 0 0\n"
        ));
    }
    let v2 = "[Version] 2.0\n# Hz S DB R 50\n[Number of Ports] 2\n[Two-Port Data Order] 12_21\n[Number of Frequencies] 2\n[Reference] 50 50\n[Matrix Format] Full\n[Network Data]\n1e8 -40 0 -0.1 -5 -0.1 -5 -40 0\n3e10 -30 0 -12 -300 -12 -300 -30 0\n[End]\n";
    let v2_lower = "[Version] 2.1\n# GHz S RI R 50\n[Number of Ports] 2\n[Matrix Format] Lower\n[Network Data]\n0.1 0 0 0.9 0 0 0\n40 0 0 0.1 0.1 0 0\n[End]\n";
    let ts = |ports: u8, t: &str| [&[ports][..], t.as_bytes()].concat();
    put(root, "touchstone", "v1.s2p", &ts(2, s2p));
    put(root, "touchstone", "v1.s4p", &ts(4, &s4p));
    put(root, "touchstone", "v2.s2p", &ts(0, v2));
    put(root, "touchstone", "v2-lower.s2p", &ts(2, v2_lower));

    // configuration: the embedded default, and with overrides
    put(root, "config", "default.toml", DEFAULT_TOML.as_bytes());
    put(
        root,
        "config",
        "overrides.toml",
        format!("{DEFAULT_TOML}\0ffe.taps=8\0channel.taps=[1.0, 0.5]\0link.pattern=prbs7")
            .as_bytes(),
    );
    put(
        root,
        "config",
        "taps.toml",
        b"[channel]\ntaps = [1.0, 0.4, 0.1]\n[link]\nsymbols = 1000\n",
    );

    // FEC: one KP4 and one KR4 message, encoded
    for (sel, code) in [(0u8, Code::Kp4), (1, Code::Kr4)] {
        let msg: Vec<u8> = (0..code.k() as u16)
            .flat_map(|i| (i * 7 % 1024).to_le_bytes())
            .collect();
        put(
            root,
            "fec",
            &format!("{}-msg.bin", code.name()),
            &[&[sel][..], &msg].concat(),
        );
        let cw = encode_bytes(code, &msg).expect("a whole message");
        put(
            root,
            "fec",
            &format!("{}-codeword.bin", code.name()),
            &[&[sel][..], &cw].concat(),
        );
        let mut bad = cw.clone();
        for i in 0..code.t() {
            bad[i * 66] ^= 0x5A; // t symbol errors
        }
        put(
            root,
            "fec",
            &format!("{}-errors.bin", code.name()),
            &[&[sel][..], &bad].concat(),
        );
    }
}
