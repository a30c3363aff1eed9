//! # rxdsp host
//!
//! The host side of rxdsp: configuration loading, sample files, the receive
//! input shared by `rxdsp rx` and `rxdsp stream`, and the driver that streams
//! samples to a simulated or real device ([`device`]). The `rxdsp` program is
//! built on this library.

pub mod bert_progress;
pub mod cfgload;
pub mod confidence;
pub mod device;
pub mod fecfile;
pub mod rxinput;
pub mod samples;
pub mod simulate;
pub mod sweep;
