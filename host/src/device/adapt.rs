//! The device's adaptation engine (`adapt.in_rtl`) driven from the host:
//! start it from given coefficients, stream, stop at exact word boundaries
//! to read the coefficients it holds, freeze it where the schedule says.
//!
//! The schedule is the golden one of [`golden::adapt_link::receive`]: the
//! engine adapts decision-directed until
//! [`golden::adapt_link::received_freeze_word`] and the coefficients are
//! read every [`golden::adapt_link::received_every`] samples and at the
//! end. The host streams up to each such boundary, waits for every symbol
//! of it to come back (so every word before it has passed the engine's
//! error stage and no later word has been taken), then latches the
//! engine's coefficients with the stream counters (`stats.snapshot`) or
//! writes the mode. So the device's trajectory is the model's, point for
//! point, whatever the transport's timing.

use super::{Device, DeviceError, DeviceStats, StreamOutput};
use golden::adapt_link::{
    received_every, received_freeze_word, received_gear_word, TrajectoryPoint,
};
use golden::config::{HwAdaptPlan, LinkPlan};
use golden::numeric::RxCoeffs;
use proto::regmap::{self, AdaptMap};

/// The engine's coefficients at one instant, with the counters latched in
/// the same cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdaptSnapshot {
    /// updates the engine had applied
    pub updates: u64,
    /// samples the equalizer had taken
    pub samples_in: u64,
    /// symbols out of the equalizer
    pub symbols_out: u64,
    /// the coefficients it held (the main FFE tap is the written one)
    pub coeffs: RxCoeffs,
}

/// What [`Device::run_adaptive`] gives.
#[derive(Clone, Debug)]
pub struct AdaptiveRun {
    /// the data symbols
    pub out: StreamOutput,
    /// the device's counters at the end
    pub stats: DeviceStats,
    /// the snapshot at every trajectory point (symbol index, snapshot)
    pub points: Vec<(u64, AdaptSnapshot)>,
}

impl AdaptiveRun {
    /// The trajectory in the report's form (no bit counts: what was sent is
    /// not known).
    pub fn trajectory(&self) -> Vec<TrajectoryPoint> {
        self.points
            .iter()
            .map(|(s, a)| TrajectoryPoint {
                symbol: *s,
                ffe: a.coeffs.ffe.clone(),
                dfe: a.coeffs.dfe.clone(),
                threshold: a.coeffs.threshold,
                bits: 0,
                bit_errors: 0,
                ber: None,
            })
            .collect()
    }
}

/// The register value `v` of a `width`-bit two's complement register.
fn sign_extend(v: u64, width: u32) -> i32 {
    let s = 64 - width;
    ((v << s) as i64 >> s) as i32
}

impl Device {
    /// Checks that the device has the adaptation engine `hw` describes
    /// (same generation parameters): otherwise its trajectory could not be
    /// the model's.
    pub fn check_adapt(&self, hw: &HwAdaptPlan) -> Result<(), DeviceError> {
        let Some(have) = self.info.adapt else {
            return Err(DeviceError::Unsupported(
                "the device has no adaptation engine (built without adapt.in_rtl; `rxdsp serve --set adapt.in_rtl=true` or a bitstream generated with it has one)".into(),
            ));
        };
        let p = &hw.params;
        let want = AdaptMap {
            mu_shift: p.mu_shift,
            delay: p.delay as u32,
            leak_shift: p.leak_shift,
            round_robin: p.block == golden::adapt::BlockRule::RoundRobin,
        };
        if have != want {
            return Err(DeviceError::Unsupported(format!(
                "the device's adaptation engine was built with mu_shift {}, delay {}, leak_shift {}, round-robin {}; the configuration asks for mu_shift {}, delay {}, leak_shift {}, round-robin {}",
                have.mu_shift, have.delay, have.leak_shift, have.round_robin,
                want.mu_shift, want.delay, want.leak_shift, want.round_robin
            )));
        }
        Ok(())
    }

    /// Latches and reads the engine's coefficients and the stream counters.
    pub fn adapt_snapshot(&mut self) -> Result<AdaptSnapshot, DeviceError> {
        if self.info.adapt.is_none() {
            return Err(DeviceError::Unsupported(
                "the device has no adaptation engine".into(),
            ));
        }
        self.write("stats.snapshot", 1)?;
        let st = self.latched_stats()?;
        let a = self.latched_block("adapt")?;
        let get = |n: &str| -> Result<(u64, u32), DeviceError> {
            let v = a
                .iter()
                .find(|x| x.0 == n)
                .map(|x| x.1)
                .ok_or_else(|| DeviceError::NoRegister(n.into()))?;
            Ok((v, self.map.reg(n).map_or(32, |r| r.width)))
        };
        let f = &self.info.format;
        let coef = |n: &str| get(n).map(|(v, w)| sign_extend(v, w));
        let coeffs = RxCoeffs {
            ffe: (0..f.ffe_taps)
                .map(|k| coef(&format!("adapt.ffe{k}")))
                .collect::<Result<_, _>>()?,
            dfe: (1..=f.dfe_taps)
                .map(|j| coef(&format!("adapt.dfe{j}")))
                .collect::<Result<_, _>>()?,
            threshold: coef("adapt.threshold")?,
        };
        Ok(AdaptSnapshot {
            updates: get("adapt.updates")?.0,
            samples_in: st.samples_in,
            symbols_out: st.symbols_out,
            coeffs,
        })
    }

    /// Streams `samples` through the adaptation engine on the schedule of
    /// [`golden::adapt_link::receive`], starting from `init`, and reads
    /// the coefficients at every trajectory point. Each snapshot is checked
    /// against the stream position (symbols out, updates applied = words -
    /// D): a device that disagrees is an error, not a report.
    pub fn run_adaptive(
        &mut self,
        plan: &LinkPlan,
        hw: &HwAdaptPlan,
        init: &RxCoeffs,
        samples: &[i16],
    ) -> Result<AdaptiveRun, DeviceError> {
        self.check_adapt(hw)?;
        let p = self.info.parallel;
        let mut padded = samples.to_vec();
        padded.resize(samples.len().div_ceil(p) * p, 0);
        let n = padded.len() as u64;
        let every = received_every(hw);
        let freeze = received_freeze_word(plan, hw) * p as u64;
        let gear = received_gear_word(hw) * p as u64;
        for (at, key, value) in [
            (freeze, "adapt.symbols", plan.adapt_symbols),
            (gear, "adapt.gear_symbols", hw.gear.1),
        ] {
            if at < n && at & 3 != 0 {
                return Err(DeviceError::Unsupported(format!(
                    "the device can change the engine's mode or step only on a multiple of 4 symbols: {key} = {value} ends at symbol {at} at P = {p} (choose a multiple of 4)"
                )));
            }
        }
        let mut cuts: Vec<(u64, Cut)> = (0..)
            .map(|k| k * every)
            .take_while(|&b| b < n)
            .map(|b| (b, Cut::Point))
            .collect();
        cuts.push((n, Cut::Point));
        if freeze < n {
            cuts.push((freeze, Cut::Freeze));
        }
        let coarse = hw.gear.0 > 0 && gear > 0;
        if coarse && gear < n {
            cuts.push((gear, Cut::FineStep));
        }
        cuts.sort_unstable();
        self.configure(init)?;
        if coarse {
            self.write("adapt.step", hw.gear.0 as i64)?;
        }
        if freeze > 0 {
            self.write("adapt.mode", regmap::ADAPT_MODE_DD as i64)?;
        }
        let mut data = Vec::with_capacity(padded.len());
        let mut frames = 0;
        let mut points = Vec::new();
        let mut at = 0u64;
        for (b, cut) in cuts {
            if b > at {
                // every symbol before b back: no later word taken yet
                let o = self.stream_from(&padded[at as usize..b as usize], at)?;
                data.extend_from_slice(&o.data);
                frames += o.frames;
                at = b;
            }
            if cut == Cut::Point {
                let s = self.adapt_snapshot()?;
                let want = (b / p as u64).saturating_sub(hw.params.delay as u64);
                if s.symbols_out != b || s.updates != want {
                    return Err(DeviceError::Counters(format!(
                        "at symbol {b} the device had put out {} symbols and applied {} updates (expected {b} and {want})",
                        s.symbols_out, s.updates
                    )));
                }
                points.push((b, s));
            } else if cut == Cut::Freeze {
                self.write("adapt.mode", regmap::ADAPT_MODE_OFF as i64)?;
            } else {
                self.write("adapt.step", 0)?;
            }
        }
        let stats = self.stats()?;
        stats.check_stream(n)?;
        data.truncate(samples.len());
        Ok(AdaptiveRun {
            out: StreamOutput { data, frames },
            stats,
            points,
        })
    }
}

/// What happens at a cut of an adaptive stream (at one position: the
/// register writes before the snapshot, as the order here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cut {
    /// the engine stops: mode off from here on
    Freeze,
    /// the coarse acquisition step ends: step 0 from here on
    FineStep,
    /// a trajectory point: the coefficients are read
    Point,
}

#[cfg(test)]
mod tests {
    use super::sign_extend;

    #[test]
    fn registers_sign_extend_by_width() {
        assert_eq!(sign_extend(0x3ff, 10), -1);
        assert_eq!(sign_extend(0x200, 10), -512);
        assert_eq!(sign_extend(0x1ff, 10), 511);
        assert_eq!(sign_extend(0xffff_ffff, 32), -1);
        assert_eq!(sign_extend(5, 8), 5);
    }
}
