//! afl target: see [`rxdsp_fuzz::config`] for what it feeds and checks.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        rxdsp_fuzz::config(data);
    });
}
