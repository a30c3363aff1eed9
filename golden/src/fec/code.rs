//! The two codes and their generator polynomials.

use std::fmt;
use std::str::FromStr;

use super::gf::gf;

/// Largest t of the supported codes (KP4).
pub const MAX_T: usize = 15;
/// Largest n of the supported codes (KP4).
pub const MAX_N: usize = 544;

/// Which Reed-Solomon code of IEEE 802.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Code {
    /// RS(544,514), t = 15: clause 91 / 119 "KP4" (100G/200G/400G PAM4 links).
    Kp4,
    /// RS(528,514), t = 7: clause 91 "KR4" (100GBASE-KR4/CR4).
    Kr4,
}

impl Code {
    /// Codeword length in 10-bit symbols.
    pub const fn n(self) -> usize {
        match self {
            Code::Kp4 => 544,
            Code::Kr4 => 528,
        }
    }

    /// Message length in 10-bit symbols.
    pub const fn k(self) -> usize {
        514
    }

    /// Number of correctable symbol errors per codeword.
    pub const fn t(self) -> usize {
        match self {
            Code::Kp4 => 15,
            Code::Kr4 => 7,
        }
    }

    /// Number of parity symbols, `n - k = 2t`.
    pub const fn parity(self) -> usize {
        2 * self.t()
    }

    /// Lower-case name as accepted by `FromStr`: "kp4" or "kr4".
    pub const fn name(self) -> &'static str {
        match self {
            Code::Kp4 => "kp4",
            Code::Kr4 => "kr4",
        }
    }

    /// Generator polynomial coefficients `g_0 ..= g_2t` (`g_i` multiplies `x^i`; monic):
    /// `g(x) = prod_{j=0}^{2t-1} (x - alpha^j)`.
    pub fn generator(self) -> Vec<u16> {
        let f = gf();
        let mut g = vec![1u16];
        for j in 0..self.parity() {
            let root = f.pow(j);
            let mut next = vec![0u16; g.len() + 1];
            for (i, &c) in g.iter().enumerate() {
                next[i + 1] ^= c;
                next[i] ^= f.mul(c, root);
            }
            g = next;
        }
        g
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given to `Code::from_str` is neither "kp4" nor "kr4".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown FEC code {0:?} (expected \"kp4\" or \"kr4\")")]
pub struct UnknownCode(pub String);

impl FromStr for Code {
    type Err = UnknownCode;

    /// Parses "kp4" or "kr4" (case-insensitive).
    fn from_str(s: &str) -> Result<Code, UnknownCode> {
        match s.to_ascii_lowercase().as_str() {
            "kp4" => Ok(Code::Kp4),
            "kr4" => Ok(Code::Kr4),
            _ => Err(UnknownCode(s.to_string())),
        }
    }
}
