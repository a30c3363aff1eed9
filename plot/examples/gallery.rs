//! Renders one of every chart from synthetic PAM4 link data, as SVG and PNG,
//! into the directory given as the first argument (default `/tmp/rxdsp-plots`).

use plot::{Curve, Labels};

/// A small deterministic generator (xorshift64*) with Box-Muller normals.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn binomial_pmf(n: u64, p: f64, k: u64) -> f64 {
    let mut ln = 0.0;
    for i in 0..k {
        ln += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    (ln + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/rxdsp-plots".into());
    std::fs::create_dir_all(&dir)?;
    let out = |name: &str, fig: &plot::Figure| -> Result<(), plot::PlotError> {
        fig.write_svg(format!("{dir}/{name}.svg"))?;
        fig.write_png(format!("{dir}/{name}.png"))
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // PAM4 through residual ISI after equalization, ADC codes of an 8-bit ADC
    let levels = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
    let isi = [0.04, 1.0, 0.09, -0.03];
    let sym: Vec<f64> = (0..60_000)
        .map(|_| levels[(rng.next() >> 62) as usize])
        .collect();
    let codes: Vec<i32> = (isi.len()..sym.len())
        .map(|n| {
            let v: f64 = isi.iter().enumerate().map(|(j, h)| h * sym[n - j]).sum();
            ((v + 0.035 * rng.normal()) * 100.0).round() as i32
        })
        .collect();
    let thr = [-66.7, 0.0, 66.7];
    for span in [1, 2] {
        let fig = plot::eye_diagram(
            &codes,
            span,
            &thr,
            &Labels::new(
                &format!("Equalized PAM4 eye, {span} UI (60k symbols)"),
                "time (UI)",
                "FFE output (code)",
            ),
        )?;
        out(&format!("eye{span}"), &fig)?;
    }
    // bathtubs: SER against threshold offset, Gaussian tails
    let offs: Vec<f64> = (-30..=30).map(|i| i as f64).collect();
    let q = |x: f64| 0.5 * libm_erfc(x / std::f64::consts::SQRT_2);
    let mk = |sigma: f64, skew: f64| -> Vec<f64> {
        offs.iter()
            .map(|o| {
                let v = (q((33.3 - o - skew) / sigma) + q((33.3 + o + skew) / sigma)) / 4.0;
                if v < 1e-9 {
                    0.0
                } else {
                    v
                }
            })
            .collect()
    };
    let (lo, mid, hi) = (mk(6.0, 3.0), mk(5.5, 0.0), mk(6.5, -2.0));
    let fig = plot::bathtub(
        &offs,
        &[
            Curve {
                name: "lower",
                y: &lo,
            },
            Curve {
                name: "middle",
                y: &mid,
            },
            Curve {
                name: "upper",
                y: &hi,
            },
        ],
        &Labels::new(
            "Bathtub: SER vs slicer threshold offset",
            "threshold offset (code)",
            "SER",
        ),
    )?;
    out("bathtub", &fig)?;
    // symbol errors per codeword vs binomial (KP4: 544 symbols)
    let p = 2e-4;
    let cw = 200_000u64;
    let predicted: Vec<f64> = (0..8)
        .map(|k| cw as f64 * binomial_pmf(544, p, k))
        .collect();
    let measured: Vec<u64> = vec![179_210, 19_300, 1_320, 150, 17, 3, 0];
    let fig = plot::histogram_with_prediction(
        &measured,
        &predicted,
        &Labels::new(
            "Symbol errors per RS(544,514) codeword",
            "symbol errors in codeword",
            "codewords",
        ),
    )?;
    out("fec_hist", &fig)?;
    // bursts
    let mut bursts = vec![0u64; 33];
    for (i, b) in bursts.iter_mut().enumerate().skip(1) {
        *b = (5000.0 * 0.45f64.powi(i as i32 - 1)) as u64;
    }
    bursts[32] = 1;
    let fig = plot::bars(
        &bursts,
        1,
        &Labels::new(
            "Error bursts (DFE error propagation)",
            "burst length (symbols; last bin: longer)",
            "bursts",
        ),
    )?;
    out("bursts", &fig)?;
    // taps
    let ffe = [
        -8, 36, -138, 511, 69, -159, 9, -12, -6, -4, -3, -3, -2, -2, -1, -3,
    ];
    let fig = plot::equalizer_taps(
        &ffe,
        3,
        &[33],
        &Labels::new("Equalizer taps", "cursor (UI)", "coefficient (LSB)"),
    )?;
    out("taps", &fig)?;
    // a pulse response at 16 samples per UI with its 1-UI samples
    let sps = 16;
    let t: Vec<f64> = (0..12 * sps).map(|i| i as f64 / sps as f64 - 2.0).collect();
    let p: Vec<f64> = t
        .iter()
        .map(|&x| {
            let tau = 1.2;
            let step = |u: f64| {
                if u <= 0.0 {
                    0.0
                } else {
                    1.0 - (-u / tau).exp()
                }
            };
            step(x + 0.5) - step(x - 0.5)
        })
        .collect();
    let ti: Vec<f64> = t.iter().copied().step_by(sps).map(|x| x + 0.5).collect();
    let pi: Vec<f64> = p.iter().copied().skip(sps / 2).step_by(sps).collect();
    let fig = plot::lines(
        &[
            plot::Series {
                name: "16 samples/UI",
                x: &t,
                y: &p,
            },
            plot::Series {
                name: "1 sample/UI",
                x: &ti[..pi.len()],
                y: &pi,
            },
        ],
        plot::LineOpts {
            log_y: false,
            markers: false,
        },
        &Labels::new(
            "Pulse response (RC, tau = 1.2 UI)",
            "time (UI)",
            "amplitude",
        ),
    )?;
    out("pulse", &fig)?;
    channel_from_touchstone(&dir)?;
    println!("wrote {dir}/{{eye1,eye2,bathtub,fec_hist,bursts,taps,pulse,channel_pulse,channel_loss}}.{{svg,png}}");
    Ok(())
}

/// erfc, Numerical Recipes' Chebyshev fit (relative error < 1.2e-7).
fn libm_erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// A 4-port Touchstone file of a lossy differential channel (the skin and
/// dielectric model of `golden::channel::lossy_pulse`, 16 dB at Nyquist,
/// with some crosstalk between the lines), ports 1,3 -> 2,4, through the
/// touchstone reader to SDD21 and a pulse response.
fn channel_from_touchstone(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    use golden::touchstone::{parse, pulse_response_detail, PortMap};
    use std::f64::consts::PI;
    let baud = golden::channel::PRESET_BAUD;
    let a_total = 16.0 / (20.0 / std::f64::consts::LN_10);
    let (a_s, a_d) = (0.35 * a_total, 0.65 * a_total);
    let mut text = String::from("! synthetic lossy pair\n# GHz S RI R 50\n");
    for k in 1..=1000 {
        let f_hz = k as f64 * 100e6;
        let f = f_hz / baud;
        let (u, x) = (f / 0.5, f / 0.75);
        let re = -a_s * u.sqrt() - a_d * u - (1.0 + x * x).ln();
        let im = -a_s * u.sqrt() + (2.0 * a_d / PI) * u * u.ln()
            - 2.0 * x.atan()
            - 2.0 * PI * f_hz * 0.4e-9;
        let thru = (re.exp() * im.cos(), re.exp() * im.sin());
        let xt = (0.05 * thru.0, 0.05 * thru.1);
        text.push_str(&format!("{}", f_hz / 1e9));
        for i in 1..=4usize {
            for j in 1..=4usize {
                let z = match (i.min(j), i.max(j)) {
                    (1, 2) | (3, 4) => thru,
                    (1, 4) | (2, 3) => xt,
                    _ => (0.0, 0.0),
                };
                text.push_str(&format!(" {:.9e} {:.9e}", z.0, z.1));
                if j == 4 {
                    text.push('\n');
                }
            }
        }
    }
    let net = parse(&text, Some(4))?;
    let h = net.through(PortMap::ODD_IN_EVEN_OUT)?;
    let ghz: Vec<f64> = h.iter().map(|(f, _)| f / 1e9).collect();
    let db: Vec<f64> = h.iter().map(|(_, z)| 10.0 * z.norm_sqr().log10()).collect();
    let fig = plot::lines(
        &[plot::Series {
            name: "SDD21",
            x: &ghz,
            y: &db,
        }],
        plot::LineOpts::default(),
        &Labels::new(
            "Differential insertion loss (4-port, ports 1,3 -> 2,4)",
            "frequency (GHz)",
            "|SDD21| (dB)",
        ),
    )?;
    fig.write_png(format!("{dir}/channel_loss.png"))?;
    fig.write_svg(format!("{dir}/channel_loss.svg"))?;
    let d = pulse_response_detail(&h, baud, 32)?;
    let sps = d.samples_per_ui;
    let m = d.pulse.main as f64;
    let t: Vec<f64> = (0..d.oversampled.len())
        .map(|i| i as f64 / sps as f64 - m)
        .collect();
    let tx: Vec<f64> = (0..d.pulse.taps.len()).map(|k| k as f64 - m).collect();
    let fig = plot::lines(
        &[
            plot::Series {
                name: "32 samples/UI",
                x: &t,
                y: &d.oversampled,
            },
            plot::Series {
                name: "taps (1/UI)",
                x: &tx,
                y: &d.pulse.taps,
            },
        ],
        plot::LineOpts {
            log_y: false,
            markers: false,
        },
        &Labels::new(
            "Pulse response from the Touchstone channel, 53.125 GBd",
            "time from the main cursor (UI)",
            "amplitude",
        ),
    )?;
    fig.write_png(format!("{dir}/channel_pulse.png"))?;
    fig.write_svg(format!("{dir}/channel_pulse.svg"))?;
    println!(
        "channel pulse: main {} taps {:?}",
        d.pulse.main,
        d.pulse
            .taps
            .iter()
            .map(|t| (t * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
    Ok(())
}
