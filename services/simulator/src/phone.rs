//! What a phone app in the background sends: a trace thinned and blurred the
//! way the operating system and the GPS chip do it.
//!
//! A backgrounded app is duty-cycled: it gets a fix every 5–30 s, not every
//! second; now and then the system suspends it for minutes; sometimes it
//! wakes for a burst of fixes a second apart; and a fix's reported accuracy
//! ranges from 5 m in the open to 100 m between buildings (or from a
//! cell-tower fix), its error growing with it. [`sample`] turns any trace,
//! simulated or recorded at 1 Hz, into such an upload, seeded: the same
//! trace, sampling and seed give the same result.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use smartville_scoring::{RawFix, RawTrace};

use crate::offset;

/// How a phone samples its location in the background.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhoneSampling {
    /// Typical seconds between fixes; each interval varies by ±30 %.
    pub interval_s: f64,
    /// Chance, after each fix, that the app is suspended for a while.
    pub gap_chance: f64,
    /// How long a suspension lasts, seconds (uniform in the range).
    pub gap_s: (f64, f64),
    /// Chance, after each fix, of a burst of fixes a second apart.
    pub burst_chance: f64,
    /// Chance that a fix is sent twice with the same timestamp (a known
    /// habit of some location providers when they hand out a cached fix).
    pub duplicate_chance: f64,
    /// Whether positions get the error their accuracy reports (on top of the
    /// trace's own) and fixes carry that accuracy.
    pub accuracy_noise: bool,
}

impl PhoneSampling {
    /// A backgrounded phone asked for a fix every `interval_s` seconds: a
    /// suspension of 1–5 minutes after about one fix in 40 (and at least one
    /// every 20 minutes), a 1 Hz burst after one in 50, a duplicate in 100,
    /// and accuracy noise.
    pub fn every(interval_s: f64) -> Self {
        Self {
            interval_s,
            gap_chance: (interval_s / 1200.0).max(1.0 / 40.0),
            gap_s: (60.0, 300.0),
            burst_chance: 0.02,
            duplicate_chance: 0.01,
            accuracy_noise: true,
        }
    }

    /// A fix every `interval_s` seconds (±30 %) and nothing else: no
    /// suspensions, bursts, duplicates or added noise, for tests that probe
    /// one effect of sparse sampling at a time.
    pub fn steady(interval_s: f64) -> Self {
        Self {
            gap_chance: 0.0,
            burst_chance: 0.0,
            duplicate_chance: 0.0,
            accuracy_noise: false,
            ..Self::every(interval_s)
        }
    }
}

/// How long GPS error stays correlated: fixes this far apart have nearly independent errors.
const ERROR_CORRELATION_S: f64 = 30.0;
/// Fixes in a burst, one a second apart.
const BURST_FIXES: (u32, u32) = (5, 20);

/// The upload a phone sampling `trace` as `sampling` would send. The first and
/// last fix are always kept (the app is started and stopped by the rider).
/// Fixes without a timestamp are left out.
pub fn sample(trace: &RawTrace, sampling: &PhoneSampling, seed: u64) -> RawTrace {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let timed: Vec<&RawFix> = trace.fixes.iter().filter(|f| f.t_ms.is_some()).collect();
    let mut fixes: Vec<RawFix> = Vec::new();
    let mut next_ms = i64::MIN;
    let mut burst_left = 0;
    let mut error = Blur::default();
    for (index, fix) in timed.iter().enumerate() {
        let t_ms = fix.t_ms.unwrap_or_default();
        let last = index + 1 == timed.len();
        if t_ms < next_ms && !last {
            continue;
        }
        let sent = if sampling.accuracy_noise { error.apply(fix, t_ms, &mut rng) } else { **fix };
        fixes.push(sent);
        if rng.random_bool(sampling.duplicate_chance) {
            fixes.push(sent);
        }
        next_ms = if burst_left > 0 {
            burst_left -= 1;
            t_ms + 1_000
        } else if rng.random_bool(sampling.burst_chance) {
            burst_left = rng.random_range(BURST_FIXES.0..=BURST_FIXES.1);
            t_ms + 1_000
        } else {
            let interval_s = sampling.interval_s * rng.random_range(0.7..=1.3);
            let gap_s = if rng.random_bool(sampling.gap_chance) {
                rng.random_range(sampling.gap_s.0..=sampling.gap_s.1)
            } else {
                0.0
            };
            t_ms + ((interval_s + gap_s) * 1000.0) as i64
        };
    }
    RawTrace { fixes, mock_location: trace.mock_location, activities: trace.activities.clone() }
}

/// The error a phone adds to a fix: an accuracy drawn as phones report it,
/// and a position error of that size, correlated in time.
#[derive(Default)]
struct Blur {
    /// Current error, metres north and east.
    north_east: (f64, f64),
    /// When the error was last drawn.
    at_ms: Option<i64>,
}

impl Blur {
    fn apply(&mut self, fix: &RawFix, t_ms: i64, rng: &mut Xoshiro256PlusPlus) -> RawFix {
        // Mostly open sky, sometimes between buildings, rarely a coarse network fix.
        let accuracy_m: f64 = match rng.random_range(0.0..1.0) {
            share if share < 0.70 => rng.random_range(4.0..15.0),
            share if share < 0.95 => rng.random_range(15.0..40.0),
            _ => rng.random_range(40.0..100.0),
        };
        // The reported accuracy is a 68 % radius: about 1.5 σ of a 2-D normal error.
        let sigma = accuracy_m / 1.5;
        let elapsed_s = self.at_ms.map_or(f64::INFINITY, |at| (t_ms - at) as f64 / 1000.0);
        let keep = (-elapsed_s / ERROR_CORRELATION_S).exp();
        let fresh = (1.0 - keep * keep).sqrt() * sigma;
        let (north, east) = self.north_east;
        let normal = |rng: &mut Xoshiro256PlusPlus| -> f64 { rng.sample(StandardNormal) };
        self.north_east = (keep * north + fresh * normal(rng), keep * east + fresh * normal(rng));
        self.at_ms = Some(t_ms);
        let (lat, lon) = offset((fix.lat, fix.lon), self.north_east.0, self.north_east.1);
        RawFix { lat, lon, accuracy_m: Some(accuracy_m as f32), ..*fix }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A straight 1 Hz trace of `seconds` fixes going north at 5 m/s.
    fn one_hertz(seconds: i64) -> RawTrace {
        let fixes = (0..seconds)
            .map(|s| {
                let (lat, lon) = offset((51.16, 4.99), 5.0 * s as f64, 0.0);
                RawFix { t_ms: Some(1_000 * s), lat, lon, accuracy_m: Some(5.0), speed_mps: None }
            })
            .collect();
        RawTrace { fixes, ..RawTrace::default() }
    }

    fn intervals_s(trace: &RawTrace) -> Vec<i64> {
        trace.fixes.windows(2).map(|w| (w[1].t_ms.unwrap() - w[0].t_ms.unwrap()) / 1000).collect()
    }

    #[test]
    fn a_phone_sends_a_fix_every_interval_with_its_first_and_last() {
        let trace = one_hertz(1_800);
        let sent = sample(&trace, &PhoneSampling::steady(30.0), 7);
        assert_eq!(sent.fixes.first(), trace.fixes.first());
        assert_eq!(sent.fixes.last(), trace.fixes.last());
        let intervals = intervals_s(&sent);
        assert!(intervals[..intervals.len() - 1].iter().all(|s| (21..=39).contains(s)), "{intervals:?}");
        assert!((50..=80).contains(&sent.fixes.len()), "{}", sent.fixes.len());
        assert!(sent.fixes.iter().all(|f| trace.fixes.contains(f)), "without noise, fixes are the trace's own");
    }

    #[test]
    fn gaps_bursts_duplicates_and_noise_come_as_asked_and_seeded() {
        let trace = one_hertz(3_600);
        let phone = PhoneSampling::every(15.0);
        let sent = sample(&trace, &phone, 11);
        assert_eq!(sent, sample(&trace, &phone, 11), "the same seed gives the same upload");
        assert_ne!(sent, sample(&trace, &phone, 12));
        let intervals = intervals_s(&sent);
        assert!(intervals.iter().any(|&s| s >= 60), "a suspension of a minute or more: {intervals:?}");
        assert!(intervals.contains(&1), "a burst a second apart");
        assert!(intervals.contains(&0), "a duplicated timestamp");
        let accuracies: Vec<f32> = sent.fixes.iter().map(|f| f.accuracy_m.unwrap()).collect();
        assert!(accuracies.iter().all(|a| (4.0..=100.0).contains(a)));
        assert!(accuracies.iter().any(|&a| a > 15.0), "some fixes are poor");
        assert!(sent.fixes.iter().any(|f| !trace.fixes.iter().any(|t| (t.lat, t.lon) == (f.lat, f.lon))));
    }
}
