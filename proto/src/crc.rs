//! CRC-32 (IEEE 802.3, reflected, as zlib computes it).
//!
//! Our own rather than a crate's: the bridge implements the bare register
//! update (no initial or final inversion) one byte per clock, and the
//! generator needs that update as XOR equations ([`crc_update_equations`]),
//! which no CRC crate exposes. The tests check [`crc32`] against `crc32fast`.

/// The CRC-32 register after running over a message followed by its CRC (LE):
/// a frame is intact when the receiver's register ends at this value.
pub const CRC_RESIDUE: u32 = 0xDEBB_20E3;
/// The reflected CRC-32 polynomial.
pub const CRC_POLY: u32 = 0xEDB8_8320;

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ CRC_POLY
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC_TABLE: [u32; 256] = crc_table();

/// One byte of the CRC-32 register update (no initial or final inversion).
#[inline]
pub fn crc_update(reg: u32, byte: u8) -> u32 {
    CRC_TABLE[((reg ^ byte as u32) & 0xff) as usize] ^ (reg >> 8)
}

/// CRC-32 (IEEE) of `data`, as zlib computes it.
pub fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(0xFFFF_FFFF, |r, &b| crc_update(r, b))
}

/// The CRC register update as XOR equations: for each of the 32 output bits,
/// a mask over the inputs (bits 0..32: register, bits 32..40: data byte).
pub fn crc_update_equations() -> [u64; 32] {
    let mut c = [0u64; 32];
    for (i, v) in c.iter_mut().enumerate() {
        *v = 1 << i;
    }
    for (i, v) in c.iter_mut().enumerate().take(8) {
        *v ^= 1 << (32 + i);
    }
    for _ in 0..8 {
        let lsb = c[0];
        let mut n = [0u64; 32];
        n[..31].copy_from_slice(&c[1..]);
        for (i, v) in n.iter_mut().enumerate() {
            if CRC_POLY >> i & 1 != 0 {
                *v ^= lsb;
            }
        }
        c = n;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_zlib_and_residue() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let mut m = b"hello".to_vec();
        m.extend_from_slice(&crc32(b"hello").to_le_bytes());
        assert_eq!(m.iter().fold(!0, |r, &b| crc_update(r, b)), CRC_RESIDUE);
    }

    #[test]
    fn crc_equations_match_the_table() {
        let eq = crc_update_equations();
        for (reg, byte) in [
            (0u32, 0u8),
            (!0, 0x5a),
            (0x1234_5678, 0xff),
            (0xdead_beef, 1),
        ] {
            let x = reg as u64 | (byte as u64) << 32;
            let mut r = 0u32;
            for (i, m) in eq.iter().enumerate() {
                r |= ((m & x).count_ones() & 1) << i;
            }
            assert_eq!(r, crc_update(reg, byte));
        }
    }
}
