//! Properties over random input, in process: the parameter parser never panics and says
//! what is wrong, and the streaming equalizer's output does not depend on how the wave is cut.

use golden::channel::{preset, Pulse};
use proptest::prelude::*;
use rxdsp_rx::model::{init, Stream};
use rxdsp_rx::testvec::{random_levels, Channel};
use rxdsp_rx::Settings;

const SPUI: usize = 8;
const DT: f64 = 1e-12;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text, including tree-like noise: an Ok or an Err with a message, never a panic.
    #[test]
    fn the_parser_never_panics(text in "[()\" a-z_0-9.\\-]{0,80}") {
        if let Err(e) = Settings::parse(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// Random chunk lengths (0 included) give the whole-wave output and clocks.
    #[test]
    fn any_chunking_gives_the_same_output(
        cuts in proptest::collection::vec(0usize..100, 1..40)
            .prop_filter("a non-zero cut", |v| v.iter().any(|&x| x > 0)),
        method in prop_oneof![Just("mmse"), Just("lms"), Just("sign-sign"), Just("none")],
        seed in 0u64..1000,
    ) {
        let p = Pulse::from_preset(preset("lpo-host-16db").unwrap());
        let ch = Channel::from_pulse(&p, SPUI, DT, 4);
        let wave = ch.wave(&random_levels(600, seed), 0.02, seed + 1);
        let s = Settings::parse(&format!("(rx (method \"{method}\") (adapt_bits 150))")).unwrap();
        let r = init(&s, &ch.impulse(), SPUI, DT).unwrap();
        let mut whole = wave.clone();
        let mut clocks_whole = Vec::new();
        Stream::new(&s, r.clone(), DT).unwrap().get_wave(&mut whole, &mut clocks_whole).unwrap();
        let mut st = Stream::new(&s, r, DT).unwrap();
        let mut out = wave.clone();
        let mut clocks = Vec::new();
        let mut at = 0;
        for c in cuts.iter().cycle() {
            if at >= out.len() {
                break;
            }
            let end = (at + c).min(out.len());
            st.get_wave(&mut out[at..end], &mut clocks).unwrap();
            at = end;
        }
        prop_assert!(out == whole);
        prop_assert!(clocks == clocks_whole);
    }
}
