//! COBS (Consistent Overhead Byte Stuffing) encoding with a `0x00` delimiter.
//!
//! Our own rather than the `cobs` crate's: the decoder is fused into the
//! streaming frame decoder ([`crate::Decoder`], bounded memory, one byte at a
//! time like the bridge's hardware), and the encoder is ten lines. The tests
//! check both against the `cobs` crate.

/// COBS-encodes `data` and appends it, then the `0x00` delimiter, to `out`.
pub fn cobs_encode(data: &[u8], out: &mut Vec<u8>) {
    let mut code_at = out.len();
    out.push(0);
    let mut code: u8 = 1;
    for &b in data {
        if b == 0 {
            out[code_at] = code;
            code_at = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(b);
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out.push(0);
}
