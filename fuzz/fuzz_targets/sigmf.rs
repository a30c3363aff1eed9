//! afl target: see [`rxdsp_fuzz::sigmf`] for what it feeds and checks.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        rxdsp_fuzz::sigmf(data);
    });
}
