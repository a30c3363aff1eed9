//! Property tests of the frame decoder: arbitrary bytes never panic and never
//! grow its memory without bound; intact frames always come back exactly;
//! a corrupted frame is never returned as a different intact frame.

use proptest::prelude::*;
use proto::{Decoder, Frame, FrameError};

const MAX: usize = 600;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let mut d = Decoder::new(MAX);
        let mut out = Vec::new();
        // in two pieces, to cross a push boundary
        let cut = bytes.len() / 3;
        d.push(&bytes[..cut], &mut out);
        d.push(&bytes[cut..], &mut out);
        prop_assert!(out.len() <= bytes.iter().filter(|&&b| b == 0).count());
        for f in out.iter().flatten() {
            prop_assert!(f.payload.len() <= MAX);
        }
    }

    #[test]
    fn frames_survive_and_corruption_is_caught(
        kind in any::<u8>(),
        seq in any::<u8>(),
        payload in proptest::collection::vec(any::<u8>(), 0..520),
        flip in any::<prop::sample::Index>(),
        bit in 0u32..8,
        junk in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let f = Frame { kind, seq, payload };
        let wire = f.encode();
        let mut d = Decoder::new(MAX);
        let mut out = Vec::new();
        d.push(&junk, &mut out);
        d.push(&[0], &mut out);
        out.clear();
        d.push(&wire, &mut out);
        prop_assert_eq!(out, vec![Ok(f.clone())]);
        // one flipped bit (not the delimiter): refused, or (COBS code byte
        // changes) split, but never a different frame accepted
        let i = flip.index(wire.len() - 1);
        let mut bad = wire.clone();
        bad[i] ^= 1 << bit;
        let mut out = Vec::new();
        d.push(&bad, &mut out);
        d.push(&[0], &mut out);
        for r in out {
            match r {
                Ok(g) => prop_assert_eq!(g, f.clone()),
                Err(FrameError::Cobs | FrameError::Short(_) | FrameError::TooLong(_)
                    | FrameError::Length { .. } | FrameError::Crc) => {}
            }
        }
    }
}
