//! # rxdsp host
//!
//! The host side of rxdsp: configuration loading, sample files, and (as the
//! device lands) the driver that streams samples to a simulated or real
//! device. The `rxdsp` program is built on this library.

pub mod cfgload;
pub mod samples;
