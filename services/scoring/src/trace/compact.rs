//! The compact binary form in which the engine stores an upload between
//! ingest and scoring.
//!
//! A 10-minute JSON upload is some 50 kB of text that costs a JSON parse each
//! time it is read; stored this way it is about 15 kB that decodes in
//! microseconds. The encoding is lossless for everything the checks read:
//! coordinates keep every bit of their `f64` (the content hash depends on
//! them), times are exact milliseconds stored as differences from the
//! previous timed fix (small numbers, one or two bytes as varints). It is
//! [postcard](https://docs.rs/postcard) behind a version byte: version 2 adds
//! the phone's activity reports; version 1 (without them) still reads.

use serde::{Deserialize, Serialize};

use super::{Activity, RawActivity, RawFix, RawTrace, TraceError};

/// Layout version written first.
const VERSION: u8 = 2;
/// The layout before activity reports, still read.
const VERSION_WITHOUT_ACTIVITIES: u8 = 1;

#[derive(Serialize, Deserialize)]
struct Compact {
    mock_location: bool,
    fixes: Vec<CompactFix>,
    activities: Vec<CompactActivity>,
}

#[derive(Deserialize)]
struct CompactWithoutActivities {
    mock_location: bool,
    fixes: Vec<CompactFix>,
}

#[derive(Serialize, Deserialize)]
struct CompactActivity {
    t_ms: Option<i64>,
    activity: Activity,
    confidence: u8,
}

#[derive(Serialize, Deserialize)]
struct CompactFix {
    /// Milliseconds after the previous fix that had a time (after the epoch for the first).
    dt_ms: Option<i64>,
    lat: f64,
    lon: f64,
    accuracy_m: Option<f32>,
    speed_mps: Option<f32>,
}

/// The name of the compact form, stored beside a trace so that it reads back
/// with [`RawTrace::from_stored`] whatever form later versions write.
pub const STORED_FORMAT: &str = "compact";

impl RawTrace {
    /// Reads a stored trace: the compact form, or the upload itself (`json`,
    /// `gpx`) for trips stored before traces were compacted.
    pub fn from_stored(format: &str, bytes: &[u8]) -> Result<Self, TraceError> {
        match format {
            "json" => Self::from_json(bytes),
            "gpx" => Self::from_gpx(bytes),
            _ => Self::from_compact(bytes),
        }
    }

    /// The trace in its compact stored form (see [`RawTrace::from_compact`]).
    pub fn to_compact(&self) -> Vec<u8> {
        let mut previous_t = 0i64;
        let fixes = self
            .fixes
            .iter()
            .map(|fix| CompactFix {
                dt_ms: fix.t_ms.map(|t| {
                    let dt = t.wrapping_sub(previous_t);
                    previous_t = t;
                    dt
                }),
                lat: fix.lat,
                lon: fix.lon,
                accuracy_m: fix.accuracy_m,
                speed_mps: fix.speed_mps,
            })
            .collect();
        let activities = self
            .activities
            .iter()
            .map(|a| CompactActivity { t_ms: a.t_ms, activity: a.activity, confidence: a.confidence })
            .collect();
        let compact = Compact { mock_location: self.mock_location, fixes, activities };
        let mut bytes = vec![VERSION];
        // Encoding into a Vec cannot fail: every field has a fixed serde shape.
        bytes.extend(postcard::to_stdvec(&compact).unwrap_or_default());
        bytes
    }

    /// Reads a trace written by [`RawTrace::to_compact`].
    pub fn from_compact(bytes: &[u8]) -> Result<Self, TraceError> {
        let unreadable = |why: String| TraceError::Stored(why);
        let (&version, body) = bytes.split_first().ok_or_else(|| unreadable("empty".into()))?;
        let compact: Compact = match version {
            VERSION => postcard::from_bytes(body).map_err(|e| unreadable(e.to_string()))?,
            VERSION_WITHOUT_ACTIVITIES => {
                let old: CompactWithoutActivities =
                    postcard::from_bytes(body).map_err(|e| unreadable(e.to_string()))?;
                Compact { mock_location: old.mock_location, fixes: old.fixes, activities: Vec::new() }
            }
            _ => return Err(unreadable(format!("unknown layout version {version}"))),
        };
        let mut previous_t = 0i64;
        let fixes = compact
            .fixes
            .into_iter()
            .map(|fix| RawFix {
                t_ms: fix.dt_ms.map(|dt| {
                    previous_t = previous_t.wrapping_add(dt);
                    previous_t
                }),
                lat: fix.lat,
                lon: fix.lon,
                accuracy_m: fix.accuracy_m,
                speed_mps: fix.speed_mps,
            })
            .collect();
        let activities = compact
            .activities
            .into_iter()
            .map(|a| RawActivity { t_ms: a.t_ms, activity: a.activity, confidence: a.confidence })
            .collect();
        Ok(Self { fixes, mock_location: compact.mock_location, activities })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(t_ms: Option<i64>, lat: f64, lon: f64) -> RawFix {
        RawFix { t_ms, lat, lon, accuracy_m: Some(4.5), speed_mps: None }
    }

    #[test]
    fn round_trips_every_field_exactly() {
        let trace = RawTrace {
            fixes: vec![
                fix(Some(1_764_000_000_123), 51.162_512_345_678_9, 4.990_512_345_678_9),
                fix(None, -0.1, f64::MIN_POSITIVE),
                fix(Some(1_764_000_001_124), 51.0, 4.0),
                fix(Some(5), 90.0, -180.0),
                RawFix { t_ms: Some(i64::MIN), lat: f64::NAN, lon: 0.0, accuracy_m: None, speed_mps: Some(7.25) },
            ],
            mock_location: true,
            activities: vec![
                RawActivity { t_ms: Some(1_764_000_000_000), activity: Activity::OnBicycle, confidence: 90 },
                RawActivity { t_ms: None, activity: Activity::InVehicle, confidence: 0 },
            ],
        };
        let decoded = RawTrace::from_compact(&trace.to_compact()).expect("decodes");
        assert_eq!(decoded.mock_location, trace.mock_location);
        assert_eq!(decoded.fixes.len(), trace.fixes.len());
        for (a, b) in decoded.fixes.iter().zip(&trace.fixes) {
            assert_eq!(a.t_ms, b.t_ms);
            assert_eq!(a.lat.to_bits(), b.lat.to_bits());
            assert_eq!(a.lon.to_bits(), b.lon.to_bits());
            assert_eq!(a.accuracy_m, b.accuracy_m);
            assert_eq!(a.speed_mps, b.speed_mps);
        }
        assert_eq!(decoded.activities, trace.activities);
    }

    #[test]
    fn traces_stored_before_activity_reports_still_read() {
        #[derive(Serialize)]
        struct Version1 {
            mock_location: bool,
            fixes: Vec<CompactFix>,
        }
        let fix = CompactFix { dt_ms: Some(1_000), lat: 51.0, lon: 4.0, accuracy_m: None, speed_mps: None };
        let mut bytes = vec![VERSION_WITHOUT_ACTIVITIES];
        bytes.extend(postcard::to_stdvec(&Version1 { mock_location: true, fixes: vec![fix] }).expect("encodes"));
        let decoded = RawTrace::from_compact(&bytes).expect("decodes");
        assert_eq!((decoded.fixes.len(), decoded.fixes[0].t_ms, decoded.mock_location), (1, Some(1_000), true));
        assert!(decoded.activities.is_empty());
    }

    #[test]
    fn a_one_hertz_ride_takes_about_a_third_of_its_json() {
        let fixes = (0..600)
            .map(|i| fix(Some(1_764_000_000_000 + i * 1000), 51.16 + i as f64 * 1e-5, 4.99 + i as f64 * 1e-5))
            .collect();
        let trace = RawTrace { fixes, ..RawTrace::default() };
        let json = serde_json::to_vec(&trace).expect("serialises");
        let compact = trace.to_compact();
        assert!(compact.len() * 3 < json.len(), "compact {} bytes, JSON {} bytes", compact.len(), json.len());
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let bytes = RawTrace { fixes: vec![fix(Some(1), 1.0, 1.0)], ..RawTrace::default() }.to_compact();
        for cut in 0..bytes.len() {
            assert!(RawTrace::from_compact(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(RawTrace::from_compact(&[9, 0]).is_err());
    }
}
