//! The compact binary form in which the engine stores an upload between
//! ingest and scoring.
//!
//! A 10-minute JSON upload is some 50 kB of text that costs a JSON parse each
//! time it is read; stored this way it is about 15 kB that decodes in
//! microseconds. The encoding is lossless for everything the checks read:
//! coordinates keep every bit of their `f64` (the content hash depends on
//! them), times are exact milliseconds stored as differences from the
//! previous timed fix (small numbers, one or two bytes as varints). It is
//! [postcard](https://docs.rs/postcard) behind a version byte, so a later
//! layout can be added next to this one.

use serde::{Deserialize, Serialize};

use super::{RawFix, RawTrace, TraceError};

/// Layout version written first.
const VERSION: u8 = 1;

#[derive(Serialize, Deserialize)]
struct Compact {
    mock_location: bool,
    fixes: Vec<CompactFix>,
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
        let compact = Compact { mock_location: self.mock_location, fixes };
        let mut bytes = vec![VERSION];
        // Encoding into a Vec cannot fail: every field has a fixed serde shape.
        bytes.extend(postcard::to_stdvec(&compact).unwrap_or_default());
        bytes
    }

    /// Reads a trace written by [`RawTrace::to_compact`].
    pub fn from_compact(bytes: &[u8]) -> Result<Self, TraceError> {
        let unreadable = |why: String| TraceError::Stored(why);
        let (&version, body) = bytes.split_first().ok_or_else(|| unreadable("empty".into()))?;
        if version != VERSION {
            return Err(unreadable(format!("unknown layout version {version}")));
        }
        let compact: Compact = postcard::from_bytes(body).map_err(|e| unreadable(e.to_string()))?;
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
        Ok(Self { fixes, mock_location: compact.mock_location })
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
    }

    #[test]
    fn a_one_hertz_ride_takes_about_a_third_of_its_json() {
        let fixes = (0..600)
            .map(|i| fix(Some(1_764_000_000_000 + i * 1000), 51.16 + i as f64 * 1e-5, 4.99 + i as f64 * 1e-5))
            .collect();
        let trace = RawTrace { fixes, mock_location: false };
        let json = serde_json::to_vec(&trace).expect("serialises");
        let compact = trace.to_compact();
        assert!(compact.len() * 3 < json.len(), "compact {} bytes, JSON {} bytes", compact.len(), json.len());
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let bytes = RawTrace { fixes: vec![fix(Some(1), 1.0, 1.0)], mock_location: false }.to_compact();
        for cut in 0..bytes.len() {
            assert!(RawTrace::from_compact(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(RawTrace::from_compact(&[9, 0]).is_err());
    }
}
