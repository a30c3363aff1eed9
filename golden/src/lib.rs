//! # rxdsp golden model
//!
//! Bit-exact fixed-point models of a PAM4 receive chain and the link around it:
//! PRBS and payload sources ([`prbs`]), PAM4 mapping and precoding ([`pam4`]),
//! the channel and ADC ([`channel`]), the numeric contract ([`numeric`]), the
//! equalizer ([`eq`]), coefficient computation and adaptation ([`coeffs`]),
//! statistics ([`stats`]), the KP4/KR4 Reed-Solomon codec ([`fec`]) and the
//! whole link simulation ([`link`]).
//!
//! No I/O, no command line: the `rxdsp` program lives in the host crate.

pub mod adapt;
pub mod adapt_link;
pub mod cdr;
pub mod channel;
pub mod check;
pub mod coeffs;
pub mod config;
pub mod emu;
pub mod eq;
pub mod fec;
pub mod framing;
pub mod jtol;
pub mod link;
pub mod numeric;
pub mod pam4;
pub mod prbs;
pub mod realism;
pub mod rng;
pub mod shard;
pub mod stats;
pub mod touchstone;
pub mod wave;
pub mod wave_link;
