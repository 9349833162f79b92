//! The JSON upload format: `{"points": [{"t", "lat", "lon", "acc"?, "speed"?}], "mock_location"?}`.

use chrono::DateTime;
use serde::Deserialize;

use super::{RawFix, RawTrace, TraceError};

#[derive(Deserialize)]
struct JsonTrace {
    points: Vec<JsonFix>,
    #[serde(default)]
    mock_location: bool,
}

#[derive(Deserialize)]
struct JsonFix {
    t: Option<JsonTime>,
    lat: f64,
    lon: f64,
    acc: Option<f32>,
    speed: Option<f32>,
}

/// `t` is either RFC 3339 text or epoch milliseconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonTime {
    Millis(f64),
    Text(String),
}

pub(super) fn parse(bytes: &[u8]) -> Result<RawTrace, TraceError> {
    let trace: JsonTrace = serde_json::from_slice(bytes).map_err(|e| TraceError::Json(e.to_string()))?;
    let fixes = trace
        .points
        .into_iter()
        .enumerate()
        .map(|(index, fix)| {
            let t_ms = fix.t.map(|t| parse_time(index, t)).transpose()?;
            Ok(RawFix { t_ms, lat: fix.lat, lon: fix.lon, accuracy_m: fix.acc, speed_mps: fix.speed })
        })
        .collect::<Result<_, TraceError>>()?;
    Ok(RawTrace { fixes, mock_location: trace.mock_location })
}

fn parse_time(index: usize, time: JsonTime) -> Result<i64, TraceError> {
    match time {
        // Epoch milliseconds: whole numbers well inside i64 (±292 million years).
        JsonTime::Millis(ms) if ms.is_finite() && ms.fract() == 0.0 && ms.abs() < 1e17 => Ok(ms as i64),
        JsonTime::Millis(ms) => Err(TraceError::BadTimestamp { index, value: ms.to_string() }),
        JsonTime::Text(text) => DateTime::parse_from_rfc3339(&text)
            .map(|t| t.timestamp_millis())
            .map_err(|_| TraceError::BadTimestamp { index, value: text }),
    }
}
