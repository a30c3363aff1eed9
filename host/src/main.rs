//! The `rxdsp` command-line program: one module per command in [`cmd`].
//!
//! Exit codes, the same in every command: 0 success, 1 a verification
//! mismatch ([`cmd::Mismatch`]), 2 bad input or any other failure; every
//! error is one line on stderr.

use clap::{Parser, Subcommand};

mod cmd;

use cmd::{ami, bert, config, cosim, demo, device, fec, gen, jtol, rx, sim, sweep, synth};

#[derive(Parser)]
#[command(
    name = "rxdsp",
    version,
    about = "Bit-exact PAM4 receive DSP: golden model, RTL and host driver",
    after_help = "Exit codes: 0 success, 1 a verification mismatch (RTL or device vs golden model, board timing), 2 bad input or any other failure."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the main job on the embedded default config, end to end
    Demo(demo::DemoArgs),
    /// Simulate a link: a config file plus overrides
    Sim(sim::SimArgs),
    /// Run the golden receiver on a sample file
    Rx(rx::RxArgs),
    /// Emit the Verilog of the receiver, its file list and register map
    Gen(gen::GenArgs),
    /// Co-simulate the RTL (Verilator) against the golden receiver; exit 1 on any mismatch
    Cosim(cosim::CosimArgs),
    /// Synthesize the receiver with Yosys and nextpnr: resources, Fmax, throughput
    Synth(synth::SynthArgs),
    /// Reed-Solomon encode or decode a file of u16 little-endian symbols
    Fec(fec::FecArgs),
    /// Serve the simulated device (Verilated RTL) over TCP
    Serve(device::ServeArgs),
    /// Stream a sample file through a device with the host driver
    Stream(device::StreamArgs),
    /// BER run on the device's own link emulator and checker (only counters cross the link)
    Bert(bert::BertArgs),
    /// Configuration helpers
    Config(config::ConfigCmdArgs),
    /// Export the receiver as an IBIS-AMI Rx model: rxdsp_rx.so, .ami, .ibs
    Ami(ami::AmiArgs),
    /// Sweep keys over a grid in exact shards: BER with intervals per point, resumable
    Sweep(sweep::SweepArgs),
    /// Merge sweep folders: shard records summed over unique (point, shard) keys
    Merge(sweep::MergeArgs),
    /// Jitter tolerance: the largest SJ meeting a BER target per frequency, against a mask
    Jtol(jtol::JtolArgs),
}

/// A clap error as one line (`--help` and `--version` print as clap prints them).
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    parts.join(" ").trim_start_matches("error: ").to_string()
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprintln!("rxdsp: error: {}", one_line(&e));
            std::process::exit(cmd::EXIT_ERROR);
        }
    };
    let r = match cli.cmd {
        Cmd::Demo(a) => demo::run(a),
        Cmd::Sim(a) => sim::run(a),
        Cmd::Rx(a) => rx::run(a),
        Cmd::Fec(a) => fec::fec_cmd(a),
        Cmd::Synth(a) => synth::run(a),
        Cmd::Gen(a) => gen::run(a),
        Cmd::Cosim(a) => cosim::run(a),
        Cmd::Serve(a) => device::serve(a),
        Cmd::Stream(a) => device::stream(a),
        Cmd::Bert(a) => bert::run(a),
        Cmd::Config(a) => config::run(a),
        Cmd::Ami(a) => ami::run(a),
        Cmd::Sweep(a) => sweep::run(a),
        Cmd::Merge(a) => sweep::merge(a),
        Cmd::Jtol(a) => jtol::run(a),
    };
    if let Err(e) = r {
        // one line: the chain of causes joined
        let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("rxdsp: error: {}", msg.join(": "));
        std::process::exit(cmd::exit_code(&e));
    }
}
