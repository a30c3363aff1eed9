//! The whole receive chain in RTL: ADC samples -> `rxdsp_eq` -> marker ->
//! gearbox -> decoder (`rxdsp_eq_fec`), against the golden equalizer followed
//! by the golden decoder.

use golden::eq::{Engine, Equalizer};
use golden::fec::{Code, Codec, DecodeOutcome, FecStats};
use golden::framing::Framer;
use golden::numeric::{RxCoeffs, RxFormat};
use golden::prbs::Pattern;
use golden::rng::Xoshiro256pp;

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn equalizer_into_decoder_kr4_p8_s4() {
    // the first codeword in the third output word, and in the first (the
    // registered start-of-codeword flag right after reset)
    for junk in [13, 2] {
        chain_case(junk, false);
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn equalizer_into_deinterleave_and_decoder_kr4_p8_s4() {
    // tx.interleave: frames of two codewords whose symbols alternate on the
    // line, de-interleaved before the decoder (A, then B)
    chain_case(13, true);
}

/// `junk` random symbols, then 10 KR4 frames (of two interleaved codewords
/// with `interleave`) with decision errors.
fn chain_case(junk: usize, interleave: bool) {
    let (code, p, s) = (Code::Kr4, 8, 4);
    let fmt = RxFormat::default();
    // FFE = a delay of ffe_main, DFE tap 0, levels at +-20, +-60, threshold 40
    let mut ffe = vec![0; fmt.ffe_taps];
    ffe[fmt.ffe_main] = 1 << fmt.ffe_coef_frac;
    let coeffs = RxCoeffs {
        ffe,
        dfe: vec![0; fmt.dfe_taps],
        threshold: 40,
    };
    let frames = 10;
    let mut framer = Framer::new(code, Pattern::Prbs31, 9, interleave);
    let ways = framer.ways();
    let mut rng = Xoshiro256pp::new(9);
    let mut data: Vec<u8> = (0..junk).map(|_| (rng.next_u64() & 3) as u8).collect();
    for _ in 0..frames {
        framer.next_frame(&mut data);
    }
    let gray = [0u8, 1, 3, 2];
    let mut samples: Vec<i16> = data
        .iter()
        .map(|&d| (2 * gray[d as usize] as i16 - 3) * 20)
        .collect();
    // decision errors: move samples to another level (0, few, many per frame)
    let fsym = code.n() * 5 * ways;
    for f in 0..frames {
        let count = [0, 3, 12, 80][f % 4];
        for _ in 0..count {
            let i = junk + f * fsym + (rng.next_u64() % fsym as u64) as usize;
            samples[i] = -samples[i];
        }
    }
    // tail: the decision delay pushes the last frame ffe_main symbols later
    samples.resize(samples.len() + 64, -60);
    let mut eq = Equalizer::new(&fmt, &coeffs, Engine::Fast).unwrap();
    let gold = eq.process_all(&samples);
    let delay = fmt.ffe_main;
    let sof = junk + delay;
    // each frame's 10-bit symbols, then its codewords: frame symbol j is
    // codeword (j mod ways)'s symbol j / ways
    let received: Vec<Vec<u16>> = (0..frames)
        .flat_map(|f| {
            let syms: Vec<u16> = gold.data[sof + f * fsym..sof + (f + 1) * fsym]
                .chunks_exact(5)
                .map(|c| c.iter().fold(0u16, |a, &x| (a << 2) | x as u16))
                .collect();
            (0..ways)
                .map(|w| syms.iter().skip(w).step_by(ways).copied().collect())
                .collect::<Vec<Vec<u16>>>()
        })
        .collect();
    let words = frames * ways;
    let (mut model, _) = sim::rs::build_eq_fec(&fmt, p, code, s, interleave).expect("builds");
    let run = sim::rs::run_eq_fec(
        &mut model, &fmt, &coeffs, p, code, s, &samples, sof as u64, words, None,
    )
    .expect("runs");
    assert_eq!(received.len(), words);
    let codec = Codec::new(code);
    let mut stats = FecStats::new(code);
    for (i, r) in received.iter().enumerate() {
        let mut msg = vec![0u16; code.k()];
        let outcome = codec.decode(r, &mut msg);
        stats.record(outcome);
        assert_eq!(run.words[i][..code.k()], msg[..], "frame {i}");
        assert_eq!(
            run.uncorrectable[i],
            outcome == DecodeOutcome::Uncorrectable
        );
        if (i / ways).is_multiple_of(4) {
            // an error-free frame decodes to the framer's message
            assert_eq!(outcome, DecodeOutcome::Corrected { symbols: 0 });
        }
    }
    assert_eq!(run.stats, stats);
    assert!(
        stats.corrected_codewords > 0 && stats.uncorrectable_codewords > 0,
        "{stats:?}"
    );
    assert!(!run.err_align);
}
