//! From fixes to a cleaned track and its motion figures, in linear passes.
//!
//! Distances use a local flat-earth approximation with a first-order
//! correction of the longitude scale (`cos φ ≈ cos φ₀ − sin φ₀·Δφ`): a few
//! multiplications per segment instead of a haversine's trigonometry, with a
//! relative error far below GPS noise over any ride's extent.
//!
//! *Distance* only grows when the position has moved [`STEP_M`] (or the two
//! fixes' reported accuracy, if larger) from the last counted position (the
//! anchor), so GPS jitter while waiting at a traffic light does not add
//! metres. *Moving time* is the time between anchors that were reached faster
//! than [`STOP_SPEED_MPS`]. *Sustained speed* is the speed over the trailing
//! [`SUSTAINED_WINDOW_MS`] at each anchor. *Pace* is the straight-line speed
//! over spans of [`PACE_SPAN_MS`], long enough for any phone's sampling: its
//! brisk (90th percentile) and typical (median while moving) values.
//! *Gaps* are silences longer than the campaign's `max_gap_s`.

use crate::trace::{Fix, Trace};

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Movement smaller than this (metres) from the last anchor is treated as jitter.
pub const STEP_M: f64 = 10.0;
/// Anchor-to-anchor speeds below this (m/s) count as standing still.
pub const STOP_SPEED_MPS: f64 = 0.8;
/// Window over which sustained speed is measured.
pub const SUSTAINED_WINDOW_MS: i64 = 30_000;
/// Span over which a ride's pace is measured: long enough that the error of
/// a phone's fixes (tens of metres) is small next to the distance covered,
/// whatever the sampling.
pub const PACE_SPAN_MS: i64 = 60_000;
/// A single fix that jumps away and back further than this is a spike.
pub const SPIKE_MIN_M: f64 = 30.0;
/// A jump between consecutive fixes shorter than this is never a teleport.
pub const TELEPORT_MIN_M: f64 = 250.0;

/// Cheap distances around a reference latitude.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ruler {
    lat0_deg: f64,
    cos0: f64,
    /// `sin φ₀` per degree, for the first-order correction of the longitude scale.
    sin0_per_deg: f64,
}

impl Ruler {
    /// Metres per degree of arc on the mean sphere.
    const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

    pub(crate) fn new(lat0_deg: f64) -> Self {
        let lat0 = lat0_deg.to_radians();
        Self { lat0_deg, cos0: lat0.cos(), sin0_per_deg: lat0.sin() * std::f64::consts::PI / 180.0 }
    }

    /// Metres between two points given in degrees.
    #[inline]
    pub(crate) fn distance(&self, (lat_a, lon_a): (f64, f64), (lat_b, lon_b): (f64, f64)) -> f64 {
        let scale = self.cos0 - self.sin0_per_deg * ((lat_a + lat_b) * 0.5 - self.lat0_deg);
        let dy = lat_b - lat_a;
        let dx = (lon_b - lon_a) * scale;
        Self::M_PER_DEG * (dx * dx + dy * dy).sqrt()
    }
}

/// A kept fix with its position along the ride. Dereferences to the fix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrackPoint<'a> {
    fix: &'a Fix,
    /// Distance counted so far (metres), at the last anchor.
    pub(crate) along_m: f64,
}

impl std::ops::Deref for TrackPoint<'_> {
    type Target = Fix;

    fn deref(&self) -> &Fix {
        self.fix
    }
}

impl TrackPoint<'_> {
    pub(crate) fn position(&self) -> (f64, f64) {
        (self.fix.lat, self.fix.lon)
    }
}

/// A silence in the recording: longer than the campaign expects between two
/// fixes, with how far the position moved meanwhile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Gap {
    pub(crate) duration_ms: i64,
    pub(crate) distance_m: f64,
}

impl Gap {
    /// The straight-line speed across the gap: the least the rider went.
    pub(crate) fn speed_mps(&self) -> f64 {
        self.distance_m * 1000.0 / self.duration_ms as f64
    }
}

/// The largest jump between consecutive kept fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Jump {
    pub(crate) distance_m: f64,
    pub(crate) speed_mps: f64,
}

/// What the motion checks need, computed once per ride.
#[derive(Debug)]
pub(crate) struct Track<'a> {
    pub(crate) ruler: Ruler,
    pub(crate) points: Vec<TrackPoint<'a>>,
    pub(crate) dropped: usize,
    pub(crate) distance_m: f64,
    pub(crate) moving_ms: i64,
    /// Time spent in gaps longer than the campaign's maximum.
    pub(crate) unobserved_ms: i64,
    /// Of the gaps longer than the campaign's maximum, the one crossed fastest.
    pub(crate) fastest_gap: Option<Gap>,
    pub(crate) teleport: Option<Jump>,
    /// Total time the sustained speed exceeded the limit.
    pub(crate) over_speed_ms: i64,
    pub(crate) top_sustained_mps: f64,
    /// The pace (straight-line speed over [`PACE_SPAN_MS`] spans) the ride
    /// held for its fastest tenth of spans: a walk never reaches a bike's.
    pub(crate) brisk_pace_mps: f64,
    /// The median pace of the spans in which the ride moved: with the brisk
    /// pace, how even the ride was (a bus or a car in town goes in bursts
    /// between stops; a rider keeps a pace).
    pub(crate) typical_pace_mps: f64,
}

/// The campaign values the track is built against.
pub(crate) struct TrackLimits {
    pub(crate) max_accuracy_m: f64,
    pub(crate) teleport_speed_mps: f64,
    pub(crate) max_speed_mps: f64,
    /// Silences longer than this are gaps (see [`Gap`]).
    pub(crate) max_gap_ms: i64,
}

impl<'a> Track<'a> {
    /// Cleans and measures in one pass over the fixes. A fix is dropped when
    /// its accuracy is too poor, or when it is an isolated spike: far and fast
    /// from its predecessor and straight back to the next accurate fix (only
    /// such a fix costs a look ahead).
    pub(crate) fn build(trace: &'a Trace, limits: &TrackLimits) -> Self {
        let fixes = trace.fixes();
        let ruler = Ruler::new(fixes[0].lat);
        let accurate = |f: &&Fix| f.accuracy_m.is_none_or(|a| f64::from(a) <= limits.max_accuracy_m);
        let mut track = Self {
            ruler,
            points: Vec::with_capacity(fixes.len()),
            dropped: 0,
            distance_m: 0.0,
            moving_ms: 0,
            unobserved_ms: 0,
            fastest_gap: None,
            teleport: None,
            over_speed_ms: 0,
            top_sustained_mps: 0.0,
            brisk_pace_mps: 0.0,
            typical_pace_mps: 0.0,
        };
        let mut anchors: Vec<(i64, f64)> = Vec::new();
        let mut anchor = &fixes[0];
        // An upper bound of the distance from the anchor (triangle inequality):
        // below the step there is no need to measure it.
        let mut since_anchor_m = 0.0;
        let mut window_start = 0;
        for (i, fix) in fixes.iter().enumerate().filter(|(_, f)| accurate(f)) {
            let Some(prev) = track.points.last().map(|p| p.fix) else {
                anchor = fix;
                anchors.push((fix.t_ms, 0.0));
                track.points.push(TrackPoint { fix, along_m: 0.0 });
                continue;
            };
            let hop = ruler.distance((prev.lat, prev.lon), (fix.lat, fix.lon));
            let dt = fix.t_ms - prev.t_ms;
            let hop_speed = hop * 1000.0 / dt as f64;
            if hop > SPIKE_MIN_M
                && hop_speed > limits.teleport_speed_mps
                && let Some(next) = fixes[i + 1..].iter().find(accurate)
            {
                let back = ruler.distance((fix.lat, fix.lon), (next.lat, next.lon));
                let returns = ruler.distance((prev.lat, prev.lon), (next.lat, next.lon)) < 0.5 * hop.min(back);
                if back > SPIKE_MIN_M
                    && returns
                    && back * 1000.0 > limits.teleport_speed_mps * (next.t_ms - fix.t_ms) as f64
                {
                    continue;
                }
            }

            if dt > limits.max_gap_ms {
                track.unobserved_ms += dt;
                let gap = Gap { duration_ms: dt, distance_m: hop };
                if track.fastest_gap.is_none_or(|fastest| gap.speed_mps() > fastest.speed_mps()) {
                    track.fastest_gap = Some(gap);
                }
            }
            if hop > TELEPORT_MIN_M
                && hop_speed > limits.teleport_speed_mps
                && track.teleport.is_none_or(|j| hop > j.distance_m)
            {
                track.teleport = Some(Jump { distance_m: hop, speed_mps: hop_speed });
            }
            since_anchor_m += hop;
            // A move counts once it exceeds what the two fixes' reported errors could make up.
            let step_m = STEP_M.max(0.5 * f64::from(anchor.accuracy_m.unwrap_or(0.0) + fix.accuracy_m.unwrap_or(0.0)));
            if since_anchor_m >= step_m {
                let moved = ruler.distance((anchor.lat, anchor.lon), (fix.lat, fix.lon));
                since_anchor_m = moved;
                if moved >= step_m {
                    let interval = fix.t_ms - anchor.t_ms;
                    if moved * 1000.0 >= STOP_SPEED_MPS * interval as f64 {
                        track.moving_ms += interval;
                    }
                    track.distance_m += moved;
                    anchor = fix;
                    since_anchor_m = 0.0;
                    anchors.push((fix.t_ms, track.distance_m));
                    track.note_sustained_speed(&anchors, &mut window_start, limits.max_speed_mps);
                }
            }
            track.points.push(TrackPoint { fix, along_m: track.distance_m });
        }
        track.dropped = fixes.len() - track.points.len();
        (track.brisk_pace_mps, track.typical_pace_mps) = track.paces();
        track
    }

    /// Updates the over-speed time with the newest anchor's trailing-window speed.
    fn note_sustained_speed(&mut self, anchors: &[(i64, f64)], window_start: &mut usize, max_speed_mps: f64) {
        let last = anchors.len() - 1;
        let (t, along) = anchors[last];
        while *window_start + 1 < last && t - anchors[*window_start + 1].0 >= SUSTAINED_WINDOW_MS {
            *window_start += 1;
        }
        let (t0, along0) = anchors[*window_start];
        if t - t0 < SUSTAINED_WINDOW_MS {
            return;
        }
        let speed = (along - along0) * 1000.0 / (t - t0) as f64;
        self.top_sustained_mps = self.top_sustained_mps.max(speed);
        if speed > max_speed_mps {
            self.over_speed_ms += t - anchors[last - 1].0;
        }
    }

    /// The brisk and the typical pace: the 90th percentile of the
    /// straight-line speeds over consecutive spans of at least
    /// [`PACE_SPAN_MS`], and the median of those faster than
    /// [`STOP_SPEED_MPS`] (spans across a gap longer than three of them say
    /// nothing about pace and are left out); 0 when the ride is shorter than a span.
    fn paces(&self) -> (f64, f64) {
        let mut paces: Vec<f64> = Vec::with_capacity(self.points.len().min(256));
        let mut from = 0;
        for (i, point) in self.points.iter().enumerate() {
            let start = &self.points[from];
            let span = point.t_ms - start.t_ms;
            if span < PACE_SPAN_MS {
                continue;
            }
            if span <= 3 * PACE_SPAN_MS {
                paces.push(self.ruler.distance(start.position(), point.position()) * 1000.0 / span as f64);
            }
            from = i;
        }
        if paces.is_empty() {
            return (0.0, 0.0);
        }
        paces.sort_unstable_by(f64::total_cmp);
        let percentile = |paces: &[f64], share: f64| paces[((paces.len() - 1) as f64 * share).round() as usize];
        let brisk = percentile(&paces, 0.9);
        let moving = &paces[paces.partition_point(|&pace| pace <= STOP_SPEED_MPS)..];
        let typical = if moving.is_empty() { 0.0 } else { percentile(moving, 0.5) };
        (brisk, typical)
    }

    /// Start of the cleaned ride (ms since epoch).
    pub(crate) fn started_at_ms(&self) -> i64 {
        self.points.first().map_or(0, |p| p.t_ms)
    }

    /// End of the cleaned ride (ms since epoch).
    pub(crate) fn ended_at_ms(&self) -> i64 {
        self.points.last().map_or(0, |p| p.t_ms)
    }

    /// Average speed while moving (m/s).
    pub(crate) fn moving_speed_mps(&self) -> f64 {
        if self.moving_ms == 0 { 0.0 } else { self.distance_m * 1000.0 / self.moving_ms as f64 }
    }

    /// Straight-line distance from first to last kept fix.
    pub(crate) fn displacement_m(&self) -> f64 {
        match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) => self.ruler.distance(a.position(), b.position()),
            _ => 0.0,
        }
    }

    /// Kept fixes spaced at least `spacing_m` apart along the ride, always
    /// including the first and the last: enough to judge where a ride went
    /// without looking at every fix.
    pub(crate) fn samples(&self, spacing_m: f64) -> impl Iterator<Item = &TrackPoint<'a>> {
        let mut next_along = 0.0;
        let last = self.points.len().saturating_sub(1);
        self.points
            .iter()
            .enumerate()
            .filter(move |&(i, p)| {
                let take = p.along_m >= next_along || i == last;
                if take {
                    next_along = p.along_m + spacing_m;
                }
                take
            })
            .map(|(_, p)| p)
    }

    /// Kept fixes within `reach_m` of the start, spaced `spacing_m` apart.
    pub(crate) fn near_start(&self, reach_m: f64, spacing_m: f64) -> impl Iterator<Item = &TrackPoint<'a>> {
        self.samples(spacing_m).take_while(move |p| p.along_m <= reach_m)
    }

    /// Kept fixes within `reach_m` of the end, spaced about `spacing_m` apart, last first.
    pub(crate) fn near_end(&self, reach_m: f64, spacing_m: f64) -> impl Iterator<Item = &TrackPoint<'a>> {
        let from = self.distance_m - reach_m;
        let mut next_along = f64::INFINITY;
        self.points.iter().rev().take_while(move |p| p.along_m >= from).filter(move |p| {
            let take = p.along_m <= next_along;
            if take {
                next_along = p.along_m - spacing_m;
            }
            take
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruler_matches_haversine_within_a_thousandth() {
        use geo::{Distance, Haversine, Point};
        let ruler = Ruler::new(51.0);
        for (a, b) in [((51.0, 4.0), (51.1, 4.2)), ((51.0, 4.0), (50.7, 3.6)), ((51.0, 4.0), (51.0001, 4.0001))] {
            let exact = Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0));
            let fast = ruler.distance(a, b);
            assert!((fast - exact).abs() / exact < 1e-3, "{fast} vs {exact}");
        }
    }
}
