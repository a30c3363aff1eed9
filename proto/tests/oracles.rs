//! CRC-32 and COBS checked against independent crates (`crc32fast`, `cobs`)
//! on random data, and the frame codec against a frame assembled with them.

use proptest::prelude::*;
use proto::{cobs_encode, crc32, crc_update, crc_update_equations, Decoder, Frame, CRC_RESIDUE};

/// The bare register update by `crc32fast`: it keeps the CRC in its final
/// (inverted) form, so the register `reg` is `!initial` and comes back inverted.
fn oracle_update(reg: u32, byte: u8) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(!reg);
    h.update(&[byte]);
    !h.finalize()
}

/// A frame before COBS, assembled with `crc32fast`.
fn raw_frame(kind: u8, seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut raw = vec![kind, seq];
    raw.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    raw.extend_from_slice(payload);
    let c = crc32fast::hash(&raw);
    raw.extend_from_slice(&c.to_le_bytes());
    raw
}

/// Data with long zero-free runs and zeros, to reach COBS's 254-byte blocks.
fn cobs_data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1200),
        proptest::collection::vec(1u8..=255, 0..1200),
        (0usize..3, 250usize..260).prop_map(|(z, n)| {
            let mut v = vec![0x5a; n];
            v.extend(std::iter::repeat_n(0, z));
            v
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn crc32_is_zlibs(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        prop_assert_eq!(crc32(&data), crc32fast::hash(&data));
        // message + CRC (LE) leaves the register at the residue
        let mut m = data.clone();
        m.extend_from_slice(&crc32fast::hash(&data).to_le_bytes());
        prop_assert_eq!(m.iter().fold(!0, |r, &b| crc_update(r, b)), CRC_RESIDUE);
    }

    #[test]
    fn crc_register_update_and_its_equations(reg in any::<u32>(), byte in any::<u8>()) {
        let want = oracle_update(reg, byte);
        prop_assert_eq!(crc_update(reg, byte), want);
        let x = reg as u64 | (byte as u64) << 32;
        let mut r = 0u32;
        for (i, m) in crc_update_equations().iter().enumerate() {
            r |= ((m & x).count_ones() & 1) << i;
        }
        prop_assert_eq!(r, want);
    }

    #[test]
    fn cobs_encoding_is_the_cobs_crates(data in cobs_data()) {
        let mut ours = Vec::new();
        cobs_encode(&data, &mut ours);
        prop_assert_eq!(ours.last(), Some(&0));
        prop_assert_eq!(ours.iter().filter(|&&b| b == 0).count(), 1);
        let body = &ours[..ours.len() - 1];
        prop_assert_eq!(cobs::decode_vec(body).ok(), Some(data.clone()));
        // byte for byte, but for one legal variant: when the data ends with a
        // full 254-byte zero-free block, or is empty, ours closes with an empty
        // block (code 0x01, canonical COBS) where the crate writes nothing; both
        // decode to the same data
        let mut want = cobs::encode_vec(&data);
        let run = data.iter().rev().take_while(|&&b| b != 0).count();
        if data.is_empty() || (run > 0 && run % 254 == 0) {
            want.push(1);
        }
        prop_assert_eq!(body, &want[..]);
    }

    #[test]
    fn frames_match_the_oracles_both_ways(
        kind in any::<u8>(),
        seq in any::<u8>(),
        payload in cobs_data().prop_map(|mut v| { v.truncate(600); v }),
    ) {
        let raw = raw_frame(kind, seq, &payload);
        let f = Frame { kind, seq, payload };
        // ours -> the crates
        let wire = f.encode();
        prop_assert_eq!(cobs::decode_vec(&wire[..wire.len() - 1]).ok(), Some(raw.clone()));
        // the crates -> ours
        let mut theirs = cobs::encode_vec(&raw);
        theirs.push(0);
        let mut d = Decoder::new(1024);
        let mut out = Vec::new();
        d.push(&theirs, &mut out);
        prop_assert_eq!(out, vec![Ok(f)]);
    }
}

/// The empty frame body (found by the oracle test): one empty block, then the delimiter;
/// the `cobs` crate writes nothing for it, and decodes our bytes back to nothing.
#[test]
fn cobs_of_nothing_is_one_empty_block() {
    let mut ours = Vec::new();
    cobs_encode(&[], &mut ours);
    assert_eq!(ours, [1, 0]);
    assert_eq!(cobs::decode_vec(&ours[..1]).ok(), Some(vec![]));
}
