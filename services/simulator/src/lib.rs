//! Realistic synthetic GPS traces for tests, benchmarks and load tests.
//!
//! A [`Simulator`] moves a rider along a [`Route`] with a [`Profile`]: speed
//! that wanders around a cruise speed, traffic-light stops, sampling jitter
//! and dropped fixes, and correlated GPS noise with matching accuracy values,
//! like a phone in a pocket. The cheats are built from the same parts: a car
//! or a walk is just another profile, and [`teleport`], [`replay`] and
//! [`mock_location`] alter an honest trace the way a cheater would.
//!
//! Everything is seeded: the same seed gives the same trace, on every machine
//! (the generator is xoshiro256++, a fixed algorithm).
//!
//! [`demo`] holds the geography of the demo town used by the examples;
//! [`phone`] thins and blurs any trace the way a phone in the background
//! sends it; [`households`] lets a town's households put out waste and use
//! energy, and sends their readings as the council's sources do.

pub mod demo;
pub mod households;
pub mod phone;

use chrono::{DateTime, Utc};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use smartville_scoring::{RawFix, RawTrace};

/// Metres per degree of latitude.
const M_PER_DEG_LAT: f64 = 111_320.0;

/// A path on the map: a polyline of `(lat, lon)` waypoints.
#[derive(Debug, Clone)]
pub struct Route {
    waypoints: Vec<(f64, f64)>,
    /// Distance from the first waypoint to each waypoint, metres.
    cumulative_m: Vec<f64>,
}

impl Route {
    /// A route through these `(lat, lon)` waypoints, in order.
    ///
    /// # Panics
    /// With fewer than two waypoints: a route needs a start and an end.
    pub fn new(waypoints: &[(f64, f64)]) -> Self {
        assert!(waypoints.len() >= 2, "a route needs at least two waypoints");
        let mut cumulative_m = vec![0.0];
        for pair in waypoints.windows(2) {
            let previous = cumulative_m[cumulative_m.len() - 1];
            cumulative_m.push(previous + metres_between(pair[0], pair[1]));
        }
        Self { waypoints: waypoints.to_vec(), cumulative_m }
    }

    /// Total length in metres.
    pub fn length_m(&self) -> f64 {
        self.cumulative_m[self.cumulative_m.len() - 1]
    }

    /// The same path travelled the other way (school → home).
    pub fn reversed(&self) -> Self {
        let mut waypoints = self.waypoints.clone();
        waypoints.reverse();
        Self::new(&waypoints)
    }

    /// The `(lat, lon)` position `distance_m` along the route (clamped to its ends).
    pub fn at(&self, distance_m: f64) -> (f64, f64) {
        let d = distance_m.clamp(0.0, self.length_m());
        let i = self.cumulative_m.partition_point(|&c| c <= d).clamp(1, self.waypoints.len() - 1);
        let (a, b) = (self.waypoints[i - 1], self.waypoints[i]);
        let leg = self.cumulative_m[i] - self.cumulative_m[i - 1];
        let f = if leg > 0.0 { (d - self.cumulative_m[i - 1]) / leg } else { 0.0 };
        (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
    }
}

/// Equirectangular distance, good to well under a metre over a town.
fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = (b.0 - a.0) * M_PER_DEG_LAT;
    let dx = (b.1 - a.1) * M_PER_DEG_LAT * ((a.0 + b.0) / 2.0).to_radians().cos();
    (dx * dx + dy * dy).sqrt()
}

/// Moves a point by `(north_m, east_m)` metres.
pub fn offset((lat, lon): (f64, f64), north_m: f64, east_m: f64) -> (f64, f64) {
    (lat + north_m / M_PER_DEG_LAT, lon + east_m / (M_PER_DEG_LAT * lat.to_radians().cos()))
}

/// How a rider moves and how the phone records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Typical speed while moving, m/s.
    pub cruise_mps: f64,
    /// Standard deviation of the wandering speed, as a fraction of cruise speed.
    pub speed_variation: f64,
    /// Traffic lights and other stops per kilometre.
    pub stops_per_km: f64,
    /// Shortest and longest stop, seconds.
    pub stop_s: (f64, f64),
    /// Acceleration when moving off, m/s².
    pub acceleration: f64,
    /// Nominal time between fixes, seconds.
    pub sample_interval_s: f64,
    /// Uniform jitter on each interval, ± seconds.
    pub interval_jitter_s: f64,
    /// Probability that a fix is missing.
    pub dropout: f64,
    /// Standard deviation of the GPS position error per axis, metres (0 for exact positions).
    pub gps_noise_m: f64,
    /// Range of reported accuracy values, metres (`None`: no accuracy reported).
    pub accuracy_m: Option<(f32, f32)>,
}

impl Profile {
    /// A student on a city bike: about 16 km/h, a stop every 500 m, a phone at 1 Hz.
    pub fn bike() -> Self {
        Self {
            cruise_mps: 4.5,
            speed_variation: 0.12,
            stops_per_km: 2.0,
            stop_s: (5.0, 40.0),
            acceleration: 0.8,
            sample_interval_s: 1.0,
            interval_jitter_s: 0.15,
            dropout: 0.01,
            gps_noise_m: 4.0,
            accuracy_m: Some((4.0, 16.0)),
        }
    }

    /// A car in town: 50 km/h between lights.
    pub fn car() -> Self {
        Self { cruise_mps: 13.9, speed_variation: 0.1, acceleration: 2.0, stop_s: (10.0, 50.0), ..Self::bike() }
    }

    /// A walk at 5 km/h.
    pub fn walk() -> Self {
        Self { cruise_mps: 1.4, speed_variation: 0.08, stops_per_km: 1.0, acceleration: 0.5, ..Self::bike() }
    }

    /// Constant speed, no stops, no noise, exactly one fix per second: for
    /// tests that probe a threshold.
    pub fn exact(speed_mps: f64) -> Self {
        Self {
            cruise_mps: speed_mps,
            speed_variation: 0.0,
            stops_per_km: 0.0,
            stop_s: (0.0, 0.0),
            acceleration: f64::INFINITY,
            sample_interval_s: 1.0,
            interval_jitter_s: 0.0,
            dropout: 0.0,
            gps_noise_m: 0.0,
            accuracy_m: None,
        }
    }
}

/// A seeded trace generator.
pub struct Simulator {
    rng: Xoshiro256PlusPlus,
}

impl Simulator {
    /// A generator whose traces are fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { rng: Xoshiro256PlusPlus::seed_from_u64(seed) }
    }

    fn normal(&mut self) -> f64 {
        self.rng.sample(StandardNormal)
    }

    /// Rides `route` from `start` with `profile`, returning the trace the phone would upload.
    pub fn ride(&mut self, route: &Route, start: DateTime<Utc>, profile: &Profile) -> RawTrace {
        let length = route.length_m();
        let mut stops: Vec<(f64, f64)> = Vec::new(); // (position along route, wait seconds)
        if profile.stops_per_km > 0.0 {
            let mut at = 0.0;
            loop {
                let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
                at += -u.ln() * 1000.0 / profile.stops_per_km;
                if at >= length - 20.0 {
                    break;
                }
                let wait = self.rng.random_range(profile.stop_s.0..=profile.stop_s.1);
                stops.push((at, wait));
            }
        }

        // Physics in whole milliseconds, so exact profiles give exact timestamps.
        const STEP_MS: i64 = 100;
        let step_s = STEP_MS as f64 / 1000.0;
        let mut t_ms: i64 = 0;
        let mut next_fix_ms: i64 = 0;
        let mut along = 0.0;
        let mut speed = profile.cruise_mps.min(profile.acceleration);
        let mut target = profile.cruise_mps;
        let mut waiting_until_ms: Option<i64> = None;
        let mut next_stop = 0;
        let mut noise = (0.0, 0.0);
        let start_ms = start.timestamp_millis();
        let mut fixes = Vec::new();
        loop {
            if t_ms >= next_fix_ms {
                let arrived = along >= length;
                let keep = arrived || fixes.is_empty() || !self.rng.random_bool(profile.dropout);
                if keep {
                    fixes.push(self.fix(route.at(along), start_ms + t_ms, profile, &mut noise));
                }
                if arrived {
                    break;
                }
                let jitter = if profile.interval_jitter_s > 0.0 {
                    self.rng.random_range(-profile.interval_jitter_s..=profile.interval_jitter_s)
                } else {
                    0.0
                };
                next_fix_ms += ((profile.sample_interval_s + jitter).max(0.2) * 1000.0).round() as i64;
            }
            t_ms += STEP_MS;
            if let Some(until) = waiting_until_ms {
                if t_ms < until {
                    continue;
                }
                waiting_until_ms = None;
            }
            if let Some(&(at, wait_s)) = stops.get(next_stop)
                && along >= at
            {
                next_stop += 1;
                speed = 0.0;
                waiting_until_ms = Some(t_ms + (wait_s * 1000.0) as i64);
                continue;
            }
            // The target speed wanders (Ornstein–Uhlenbeck), the actual speed follows it.
            let sigma = profile.speed_variation * profile.cruise_mps;
            target += 0.05 * (profile.cruise_mps - target) * step_s + sigma * 0.3 * step_s.sqrt() * self.normal();
            target = target.clamp(0.5 * profile.cruise_mps, 1.4 * profile.cruise_mps);
            speed = (speed + profile.acceleration * step_s).min(target);
            along = (along + speed * step_s).min(length);
        }
        RawTrace { fixes, mock_location: false, activities: Vec::new() }
    }

    /// One recorded fix: the true position plus correlated GPS error.
    fn fix(&mut self, truth: (f64, f64), t_ms: i64, profile: &Profile, noise: &mut (f64, f64)) -> RawFix {
        let sigma = profile.gps_noise_m;
        // First-order autoregressive error: GPS errors drift, they do not flicker.
        let keep = 0.8_f64;
        let fresh = (1.0 - keep * keep).sqrt() * sigma;
        *noise = (keep * noise.0 + fresh * self.normal(), keep * noise.1 + fresh * self.normal());
        let (lat, lon) = offset(truth, noise.0, noise.1);
        let accuracy_m = profile.accuracy_m.map(|(low, high)| self.rng.random_range(low..=high));
        RawFix { t_ms: Some(t_ms), lat, lon, accuracy_m, speed_mps: None }
    }
}

/// A cheat: the fixes from `from_fraction` to `until_fraction` of the trace
/// are moved by `(north_m, east_m)`, as a location-spoofing app does while its
/// user drags the marker away and lets go.
pub fn teleport(trace: &RawTrace, from_fraction: f64, until_fraction: f64, north_m: f64, east_m: f64) -> RawTrace {
    let index = |fraction: f64| ((trace.fixes.len() as f64) * fraction) as usize;
    let mut out = trace.clone();
    for fix in &mut out.fixes[index(from_fraction)..index(until_fraction)] {
        (fix.lat, fix.lon) = offset((fix.lat, fix.lon), north_m, east_m);
    }
    out
}

/// The same trace with every timestamp moved by `shift_ms`.
pub fn shifted(trace: &RawTrace, shift_ms: i64) -> RawTrace {
    let mut out = trace.clone();
    for fix in &mut out.fixes {
        fix.t_ms = fix.t_ms.map(|t| t + shift_ms);
    }
    out
}

/// A cheat: the same trace again, every fix shifted by `shift_ms` and moved by
/// up to `jitter_m` metres (uniformly, per axis) so it is not byte-identical.
pub fn replay(trace: &RawTrace, shift_ms: i64, jitter_m: f64, seed: u64) -> RawTrace {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = shifted(trace, shift_ms);
    for fix in &mut out.fixes {
        if jitter_m > 0.0 {
            let (north, east) = (rng.random_range(-jitter_m..=jitter_m), rng.random_range(-jitter_m..=jitter_m));
            (fix.lat, fix.lon) = offset((fix.lat, fix.lon), north, east);
        }
    }
    out
}

/// A cheat: the trace as a phone with a mock-location app reports it.
pub fn mock_location(trace: &RawTrace) -> RawTrace {
    RawTrace { mock_location: true, ..trace.clone() }
}

/// The trace as a GPX 1.1 document, like a phone's export.
pub fn to_gpx(trace: &RawTrace) -> String {
    let mut gpx = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<gpx version=\"1.1\" creator=\"smartville-simulator\" xmlns=\"http://www.topografix.com/GPX/1/1\" ",
        "xmlns:sv=\"https://smartville.example/gpx/1\">\n",
        "  <trk>\n    <name>Simulated ride</name>\n"
    ));
    // The phone's activity recognition, as the engine reads it from a GPX upload.
    if !trace.activities.is_empty() {
        gpx.push_str("    <extensions>\n");
        for report in &trace.activities {
            let time = report
                .t_ms
                .and_then(DateTime::<Utc>::from_timestamp_millis)
                .map(|t| format!(" time=\"{}\"", t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
            gpx.push_str(&format!(
                "      <sv:activity{} type=\"{}\" confidence=\"{}\"/>\n",
                time.unwrap_or_default(),
                report.activity.as_str(),
                report.confidence
            ));
        }
        gpx.push_str("    </extensions>\n");
    }
    gpx.push_str("    <trkseg>\n");
    for fix in &trace.fixes {
        gpx.push_str(&format!("      <trkpt lat=\"{:.7}\" lon=\"{:.7}\">", fix.lat, fix.lon));
        if let Some(t) = fix.t_ms.and_then(DateTime::<Utc>::from_timestamp_millis) {
            gpx.push_str(&format!("<time>{}</time>", t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        }
        if let Some(accuracy) = fix.accuracy_m {
            gpx.push_str(&format!("<extensions><accuracy>{accuracy:.1}</accuracy></extensions>"));
        }
        gpx.push_str("</trkpt>\n");
    }
    gpx.push_str("    </trkseg>\n  </trk>\n</gpx>\n");
    gpx
}
