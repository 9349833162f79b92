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

use std::f64::consts::FRAC_1_SQRT_2;

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
/// How far from its first sample a copy of a ride may start (jitter, and the
/// trim landing on a neighbouring fix): the cells within this distance are
/// searched for earlier copies.
pub const AREA_SEARCH_M: f64 = 100.0;
/// Stored layout: postcard of the fingerprint as it is (written before 2026-11-29, still read).
const STORED_PLAIN: u8 = 1;
/// Stored layout of [`Fingerprint::to_bytes`]: the same, with every sample but
/// the first stored as its difference from the previous one.
const STORED_DELTAS: u8 = 2;
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

    /// The coarse cells an earlier copy of this ride would be indexed under
    /// (its [`Fingerprint::area_cell`]): the cell of the first sample and those
    /// of the points [`AREA_SEARCH_M`] around it. Usually one cell, two or
    /// three near a cell edge; empty for a ride too short to sample.
    pub fn candidate_cells(&self) -> Vec<u64> {
        let Some(&first) = self.samples.first() else { return Vec::new() };
        let (lat, lon) = to_degrees(first);
        let metres_per_degree_lat = 111_320.0;
        let metres_per_degree_lon = metres_per_degree_lat * lat.to_radians().cos().max(1e-6);
        let mut cells: Vec<u64> = [(0.0, 0.0), (1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)]
            .into_iter()
            .chain(
                [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)]
                    .map(|(n, e)| (n * FRAC_1_SQRT_2, e * FRAC_1_SQRT_2)),
            )
            .filter_map(|(north, east)| {
                let point = LatLng::new(
                    lat + north * AREA_SEARCH_M / metres_per_degree_lat,
                    lon + east * AREA_SEARCH_M / metres_per_degree_lon,
                )
                .ok()?;
                Some(u64::from(point.to_cell(Resolution::Seven)))
            })
            .collect();
        cells.sort_unstable();
        cells.dedup();
        cells
    }

    /// The fingerprint as stored by the engine: [postcard](https://docs.rs/postcard)
    /// behind a layout byte, each sample as its step from the previous one. A
    /// step of 10 s is tens of metres: one or two bytes a coordinate instead of
    /// four, so the hundreds of candidates a ride is compared with (read from
    /// the database for every decision) take about a third of the bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut stored = self.clone();
        let mut previous = [0, 0];
        for sample in &mut stored.samples {
            let here = *sample;
            *sample = [here[0].wrapping_sub(previous[0]), here[1].wrapping_sub(previous[1])];
            previous = here;
        }
        let mut bytes = vec![STORED_DELTAS];
        // Encoding into a Vec cannot fail: every field has a fixed serde shape.
        bytes.extend(postcard::to_stdvec(&stored).unwrap_or_default());
        bytes
    }

    /// Reads a fingerprint written by [`Fingerprint::to_bytes`] (or by its
    /// earlier, plain layout); `None` when the bytes are damaged or of an
    /// unknown layout (the caller skips that candidate).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (&layout, body) = bytes.split_first()?;
        let mut fingerprint: Self = postcard::from_bytes(body).ok()?;
        match layout {
            STORED_PLAIN => {}
            STORED_DELTAS => {
                let mut previous = [0i32, 0];
                for sample in &mut fingerprint.samples {
                    previous = [previous[0].wrapping_add(sample[0]), previous[1].wrapping_add(sample[1])];
                    *sample = previous;
                }
            }
            _ => return None,
        }
        Some(fingerprint)
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
    let span = without_ends(track);
    if span.len() < 2 {
        return Vec::new();
    }
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

/// The kept fixes between the first one [`TRIM_M`] (straight line) away
/// from the start and the last one [`TRIM_M`] away from the end: what may be
/// kept or shown of a ride without giving away a home (empty for a ride that
/// never got that far).
pub(crate) fn without_ends<'t, 'a>(track: &'t Track<'a>) -> &'t [TrackPoint<'a>] {
    let points = &track.points;
    let (Some(start), Some(end)) = (points.first(), points.last()) else { return &[] };
    let away = |from: (f64, f64)| move |p: &TrackPoint<'_>| track.ruler.distance(from, p.position()) >= TRIM_M;
    let Some(first) = points.iter().position(away(start.position())) else { return &[] };
    let Some(last) = points.iter().rposition(away(end.position())) else { return &[] };
    if last <= first { &[] } else { &points[first..=last] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_bytes_round_trip_and_stay_small() {
        let fingerprint = Fingerprint {
            started_at_ms: 1_764_000_000_000,
            ended_at_ms: 1_764_000_600_000,
            content_hash: u64::MAX,
            timing_hash: 7,
            area_cell: Some(0x0871_9a6a_ffff_ffff),
            samples: (0..60).map(|i| [5_116_250 + i * 30, 499_050 - i * 20]).collect(),
        };
        let bytes = fingerprint.to_bytes();
        assert_eq!(Fingerprint::from_bytes(&bytes), Some(fingerprint.clone()));
        let plain = [vec![STORED_PLAIN], postcard::to_stdvec(&fingerprint).expect("serialises")].concat();
        assert_eq!(Fingerprint::from_bytes(&plain), Some(fingerprint.clone()), "the earlier layout still reads");
        assert!(bytes.len() * 2 < plain.len(), "{} bytes stored, {} in the plain layout", bytes.len(), plain.len());
        let extremes =
            Fingerprint { samples: vec![[i32::MAX, i32::MIN], [i32::MIN, i32::MAX], [0, 0]], ..fingerprint.clone() };
        assert_eq!(Fingerprint::from_bytes(&extremes.to_bytes()), Some(extremes), "steps wrap without loss");
        assert_eq!(Fingerprint::from_bytes(&bytes[..bytes.len() / 2]), None);
        assert_eq!(Fingerprint::from_bytes(&[&[9], &bytes[1..]].concat()), None, "an unknown layout");
        assert_eq!(Fingerprint::from_bytes(b"{}"), None);
        assert_eq!(Fingerprint::from_bytes(&[]), None);
    }

    fn starting_at(lat: f64, lon: f64) -> Fingerprint {
        let first = [(lat * SCALE).round() as i32, (lon * SCALE).round() as i32];
        let area_cell = LatLng::new(lat, lon).ok().map(|p| u64::from(p.to_cell(Resolution::Seven)));
        Fingerprint {
            started_at_ms: 0,
            ended_at_ms: 0,
            content_hash: 0,
            timing_hash: 0,
            area_cell,
            samples: vec![first; MIN_SAMPLES],
        }
    }

    #[test]
    fn candidate_cells_hold_the_own_cell_and_reach_across_a_near_edge() {
        let centre = LatLng::new(51.1625, 4.9905).expect("valid").to_cell(Resolution::Seven);
        let here = LatLng::from(centre);
        let fingerprint = starting_at(here.lat(), here.lng());
        assert_eq!(fingerprint.candidate_cells(), fingerprint.area_cell.into_iter().collect::<Vec<_>>());
        // Walk east from the centre until the cell changes: just before the edge, both cells are searched,
        // so a copy jittered across the edge is still found.
        let mut lon = here.lng();
        while LatLng::new(here.lat(), lon + 1e-5).expect("valid").to_cell(Resolution::Seven) == centre {
            lon += 1e-5;
        }
        let near_edge = starting_at(here.lat(), lon - 0.0002);
        let beyond = LatLng::new(here.lat(), lon + 0.0005).expect("valid").to_cell(Resolution::Seven);
        let cells = near_edge.candidate_cells();
        assert!(cells.contains(&u64::from(centre)) && cells.contains(&u64::from(beyond)), "{cells:?}");
        assert!(starting_at(0.0, 0.0).candidate_cells().len() <= 3);
        let unsampled = Fingerprint { samples: Vec::new(), ..fingerprint };
        assert!(unsampled.candidate_cells().is_empty());
    }
}
