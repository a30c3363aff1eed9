//! The public FEC API as a user outside the crate sees it: file-level byte functions,
//! code names, engines, statistics and the prediction.

use golden::fec::{
    decode_bytes, encode_bytes, predict_iid, Code, Codec, DecodeOutcome, Engine, FecError, FecStats,
};

fn le(symbols: &[u16]) -> Vec<u8> {
    symbols.iter().flat_map(|s| s.to_le_bytes()).collect()
}

#[test]
fn file_level_round_trip_with_errors() {
    for name in ["kp4", "kr4"] {
        let code: Code = name.parse().unwrap();
        let (n, k, t) = (code.n(), code.k(), code.t());
        let msgs: Vec<u16> = (0..4 * k).map(|i| (i * 7919 % 1024) as u16).collect();
        let enc = encode_bytes(code, &le(&msgs)).unwrap();
        let mut cws: Vec<u16> = enc
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        // Codeword c gets c * t / 3 errors spread over the word (0, t/3, 2t/3, t).
        for c in 0..4 {
            for e in 0..c * t / 3 {
                cws[c * n + e * (n / t)] ^= 0x2a5;
            }
        }
        let (dec, stats) = decode_bytes(code, &le(&cws)).unwrap();
        assert_eq!(dec, le(&msgs), "{name}");
        assert_eq!(stats.codewords, 4);
        assert_eq!(stats.uncorrectable_codewords, 0);
        assert_eq!(
            stats.corrected_symbols,
            (0..4).map(|c| (c * t / 3) as u64).sum::<u64>()
        );
        assert_eq!(stats.histogram.len(), t + 2);
    }
}

#[test]
fn refusals_name_the_offset() {
    let err = decode_bytes(Code::Kp4, &vec![0u8; 2 * 544 + 2]).unwrap_err();
    assert_eq!(
        err,
        FecError::PartialBlock {
            symbols: 545,
            block: 544
        }
    );
    assert!(err.to_string().contains("byte offset 1088"), "{err}");
    let mut bytes = vec![0u8; 2 * 544];
    bytes[2 * 10 + 1] = 0x04;
    let err = decode_bytes(Code::Kp4, &bytes).unwrap_err();
    assert!(err.to_string().contains("byte offset 20"), "{err}");
}

#[test]
fn engines_and_stats_from_outside() {
    let code = Code::Kr4;
    let msg = vec![5u16; code.k()];
    let mut cw = vec![0u16; code.n()];
    let mut merged = FecStats::default();
    for engine in [
        Engine::Naive,
        Engine::Fast,
        Engine::FastAvx2,
        Engine::FastScalar,
    ] {
        let codec = Codec::with_engine(code, engine);
        codec.encode(&msg, &mut cw);
        cw[3] ^= 1;
        let mut out = vec![0u16; code.k()];
        assert_eq!(
            codec.decode(&cw, &mut out),
            DecodeOutcome::Corrected { symbols: 1 }
        );
        assert_eq!(out, msg);
        let stats = codec.decode_many(&cw, &mut out).unwrap();
        merged.merge(&stats);
    }
    assert_eq!(merged.codewords, 4);
    assert_eq!(merged.histogram[1], 4);
    let p = predict_iid(code, 1e-3);
    assert!(p.frame_loss_ratio > 0.0 && p.frame_loss_ratio < 1e-6);
}
