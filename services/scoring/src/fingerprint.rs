//! Trace fingerprints: what the caller stores so later uploads can be compared
//! with earlier ones, without keeping the trace itself.
//!
//! A replayed ride keeps its *shape in time*: where the rider was 10 s, 20 s,
//! 30 s … after a given point, even when the whole trace is shifted to another
//! day or every fix is jittered by a few metres. Two honest rides of the same
//! commute do not: traffic lights, wind and mood move the rider tens of metres
//! within a minute. So the fingerprint samples the position every
//! [`SAMPLE_STEP_MS`] and two fingerprints match when those positions stay
//! within [`MATCH_RMS_M`] of each other.
//!
//! Friends riding side by side share that shape *and* the time. They are told
//! apart from a copy by the exact sampling instants: two phones never take
//! their fixes at the same milliseconds, a copied file does (`timing_hash`).
//!
//! Privacy: the first and last [`TRIM_M`] of the ride (home, and the exact
//! spot a child leaves the bike) are never sampled.

use h3o::{LatLng, Resolution};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::trace::Trace;
use crate::track::{Ruler, Track, TrackPoint};

/// Time between two fingerprint samples.
pub const SAMPLE_STEP_MS: i64 = 10_000;
/// Most samples kept (two hours of riding).
pub const MAX_SAMPLES: usize = 720;
/// Fewest samples (one minute of riding) needed to call two rides the same.
pub const MIN_SAMPLES: usize = 6;
/// Distance never sampled at either end of a ride.
pub const TRIM_M: f64 = 200.0;
/// Root-mean-square distance (metres) under which two sample sequences match.
pub const MATCH_RMS_M: f64 = 25.0;
/// Fixes hashed per buffer fill.
const HASH_CHUNK: usize = 128;
/// Fixed-point scale of stored coordinates (1e-5° ≈ 1.1 m).
const SCALE: f64 = 1e5;

/// A compact, privacy-trimmed summary of one trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// First fix time (ms since epoch).
    pub started_at_ms: i64,
    /// Last fix time (ms since epoch).
    pub ended_at_ms: i64,
    /// Hash of every fix's exact time and position: equal for a byte-identical resubmission.
    pub content_hash: u64,
    /// Hash of the exact fix times only: equal for a copy, different for another phone.
    pub timing_hash: u64,
    /// H3 resolution-7 cell (≈ 5 km²) of the first sample: a coarse key the
    /// caller can index to find candidate earlier traces; `None` for rides
    /// too short to sample.
    pub area_cell: Option<u64>,
    /// Positions every [`SAMPLE_STEP_MS`] after the trimmed start, as
    /// `[lat, lon]` in units of 1e-5 degree.
    pub samples: Vec<[i32; 2]>,
}

impl Fingerprint {
    pub(crate) fn compute(trace: &Trace, track: &Track) -> Self {
        // Hash through a stack buffer: a few large updates are far cheaper
        // than three tiny ones per fix.
        let mut content = Xxh3::new();
        let mut timing = Xxh3::new();
        for chunk in trace.fixes().chunks(HASH_CHUNK) {
            let mut times = [0u8; HASH_CHUNK * 8];
            let mut positions = [0u8; HASH_CHUNK * 16];
            for (i, fix) in chunk.iter().enumerate() {
                times[i * 8..i * 8 + 8].copy_from_slice(&fix.t_ms.to_le_bytes());
                positions[i * 16..i * 16 + 8].copy_from_slice(&fix.lat.to_le_bytes());
                positions[i * 16 + 8..i * 16 + 16].copy_from_slice(&fix.lon.to_le_bytes());
            }
            timing.update(&times[..chunk.len() * 8]);
            content.update(&times[..chunk.len() * 8]);
            content.update(&positions[..chunk.len() * 16]);
        }
        let samples = trimmed_samples(track);
        let area_cell = samples.first().and_then(|&[lat, lon]| {
            let point = LatLng::new(f64::from(lat) / SCALE, f64::from(lon) / SCALE).ok()?;
            Some(u64::from(point.to_cell(Resolution::Seven)))
        });
        Self {
            started_at_ms: trace.started_at_ms(),
            ended_at_ms: trace.ended_at_ms(),
            content_hash: content.digest(),
            timing_hash: timing.digest(),
            area_cell,
            samples,
        }
    }

    /// Whether `other` has the same shape in time (see the module docs).
    pub fn same_shape(&self, other: &Self) -> bool {
        let n = self.samples.len().min(other.samples.len());
        let longest = self.samples.len().max(other.samples.len());
        if n < MIN_SAMPLES || longest - n > (longest / 10).max(2) {
            return false;
        }
        let ruler = Ruler::new(f64::from(self.samples[0][0]) / SCALE);
        let sum_sq: f64 = self.samples[..n]
            .iter()
            .zip(&other.samples[..n])
            .map(|(a, b)| {
                let d = ruler.distance(to_degrees(*a), to_degrees(*b));
                d * d
            })
            .sum();
        (sum_sq / n as f64).sqrt() <= MATCH_RMS_M
    }
}

fn to_degrees([lat, lon]: [i32; 2]) -> (f64, f64) {
    (f64::from(lat) / SCALE, f64::from(lon) / SCALE)
}

/// Linear interpolation of the kept fixes at fixed time steps, between the
/// first fix [`TRIM_M`] (straight line) away from the start and the last fix
/// [`TRIM_M`] away from the end. Straight-line distance, unlike distance
/// ridden, is not inflated by jitter, so a jittered replay is cut at the same
/// moment as its original.
fn trimmed_samples(track: &Track) -> Vec<[i32; 2]> {
    let points = &track.points;
    let (Some(start), Some(end)) = (points.first(), points.last()) else { return Vec::new() };
    let away = |from: (f64, f64)| move |p: &&TrackPoint<'_>| track.ruler.distance(from, p.position()) >= TRIM_M;
    let Some(first) = points.iter().position(|p| away(start.position())(&p)) else { return Vec::new() };
    let Some(last) = points.iter().rposition(|p| away(end.position())(&p)) else { return Vec::new() };
    if last <= first {
        return Vec::new();
    }
    let span = &points[first..=last];
    let (t_first, t_last) = (span[0].t_ms, span[span.len() - 1].t_ms);
    let mut samples = Vec::with_capacity((((t_last - t_first) / SAMPLE_STEP_MS + 1) as usize).min(MAX_SAMPLES));
    let mut at = t_first;
    let mut i = 0;
    while samples.len() < MAX_SAMPLES && at <= t_last {
        while span[i + 1].t_ms < at {
            i += 1;
        }
        let (a, b) = (span[i], span[i + 1]);
        let f = (at - a.t_ms) as f64 / (b.t_ms - a.t_ms) as f64;
        let lat = a.lat + (b.lat - a.lat) * f;
        let lon = a.lon + (b.lon - a.lon) * f;
        samples.push([(lat * SCALE).round() as i32, (lon * SCALE).round() as i32]);
        at += SAMPLE_STEP_MS;
    }
    samples
}
