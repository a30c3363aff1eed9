//! The device top in Icarus Verilog and in Verilator, fed the same byte
//! stream (identity read, CSR writes and reads, a corrupt frame, samples,
//! flush): the two simulators send the same bytes back, byte for byte.

use golden::numeric::RxFormat;
use proto::*;
use sim::device::DeviceSim;
use std::collections::VecDeque;
use std::process::Command;

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn icarus_and_verilator_send_the_same_bytes() {
    if !testkit::have_icarus() {
        return;
    }
    let fmt = RxFormat {
        ffe_taps: 4,
        ffe_main: 1,
        ..RxFormat::default()
    };
    let p = 4;
    let map = rtl::csr::regmap(&fmt, p);
    let mut wire = vec![0u8];
    let mut seq = 0u8;
    let mut push = |kind: u8, payload: Vec<u8>, corrupt: bool| {
        let mut f = Frame { kind, seq, payload }.encode();
        if corrupt {
            f[2] ^= 0x10;
        } else {
            seq = seq.wrapping_add(1);
        }
        wire.extend(f);
    };
    push(CMD_READ, vec![0, 0, 20, 0], false);
    let ffe0 = map.addr("eq.ffe0").unwrap().to_le_bytes();
    let mut w = ffe0.to_vec();
    for c in [-10i32, 200, 40, -7] {
        w.extend((c as u32).to_le_bytes());
    }
    push(CMD_WRITE, w, false);
    let t = map.addr("eq.threshold").unwrap().to_le_bytes();
    push(
        CMD_WRITE,
        [t.to_vec(), 100u32.to_le_bytes().to_vec()].concat(),
        false,
    );
    push(
        CMD_WRITE,
        [t.to_vec(), 5u32.to_le_bytes().to_vec()].concat(),
        true,
    );
    push(CMD_READ, [ffe0.to_vec(), vec![4, 0]].concat(), false);
    let samples: Vec<u8> = (0..500u32).map(|i| ((i * 37) % 200) as u8).collect();
    push(CMD_SAMPLES, samples, false);
    push(CMD_FLUSH, vec![], false);
    let idle = 20_000u64;

    // Verilator
    let (mut dev, _) = DeviceSim::new(&fmt, p).unwrap();
    let mut rx: VecDeque<u8> = wire.iter().copied().collect();
    let mut tx = Vec::new();
    let cycles = wire.len() as u64 + idle;
    dev.run(&mut rx, &mut tx, cycles, u64::MAX, false);

    // Icarus: the generated testbench (rtl::tb) runs the same reset, one
    // byte per cycle, the same number of cycles
    let d = rtl::top::design(&fmt, p).unwrap();
    let dir = std::env::temp_dir().join(format!("rxdsp-dev-icarus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Vec::new();
    for (n, t) in &d.files {
        std::fs::write(dir.join(n), t).unwrap();
        names.push(n.clone());
    }
    let hex: String = wire.iter().map(|b| format!("{b:02x}\n")).collect();
    std::fs::write(dir.join(rtl::tb::RX_FILE), hex).unwrap();
    let tb = rtl::tb::device_testbench(&fmt, p, wire.len(), cycles)
        .unwrap()
        .emit()
        .unwrap();
    std::fs::write(dir.join("tb.v"), tb).unwrap();
    let out = Command::new("iverilog")
        .current_dir(&dir)
        .args(["-g2005", "-o", "tb.vvp", "-s", rtl::tb::DEVICE_TB, "tb.v"])
        .args(&names)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("vvp")
        .current_dir(&dir)
        .arg("tb.vvp")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ic: Vec<u8> = std::fs::read_to_string(dir.join(rtl::tb::TX_FILE))
        .unwrap()
        .lines()
        .map(|l| u8::from_str_radix(l.trim(), 16).unwrap())
        .collect();
    // the device answered every frame: 5 responses, 1 error, outputs
    let mut dec = Decoder::new(4096);
    let mut frames = Vec::new();
    dec.push(&tx, &mut frames);
    let kinds: Vec<u8> = frames.iter().map(|f| f.as_ref().unwrap().kind).collect();
    assert!(
        kinds.contains(&ERROR) && kinds.contains(&OUTPUT),
        "{kinds:x?}"
    );
    assert_eq!(ic.len(), tx.len());
    assert!(ic == tx, "Icarus and Verilator differ");
    std::fs::remove_dir_all(&dir).ok();
}
