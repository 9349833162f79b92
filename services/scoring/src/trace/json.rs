//! The JSON upload format: `{"points": [{"t", "lat", "lon", "acc"?, "speed"?}], "mock_location"?,
//! "activities"?: [{"t", "type", "confidence"}]}`.

use std::borrow::Cow;

use chrono::DateTime;
use serde::Deserialize;

use super::{Activity, RawActivity, RawFix, RawTrace, TraceError};

#[derive(Deserialize)]
struct JsonTrace<'a> {
    #[serde(borrow)]
    points: Vec<JsonFix<'a>>,
    #[serde(default)]
    mock_location: bool,
    #[serde(default, borrow)]
    activities: Vec<JsonActivity<'a>>,
}

#[derive(Deserialize)]
struct JsonActivity<'a> {
    #[serde(borrow)]
    t: Option<JsonTime<'a>>,
    #[serde(rename = "type")]
    activity: Activity,
    confidence: u8,
}

#[derive(Deserialize)]
struct JsonFix<'a> {
    #[serde(borrow)]
    t: Option<JsonTime<'a>>,
    lat: f64,
    lon: f64,
    acc: Option<f32>,
    speed: Option<f32>,
}

/// `t` is either RFC 3339 text or epoch milliseconds. Deserialised by hand:
/// serde's untagged enums buffer every value, which made `t` the most
/// expensive field of an upload.
enum JsonTime<'a> {
    Millis(f64),
    Text(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonTime<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;
        impl<'de> serde::de::Visitor<'de> for TimeVisitor {
            type Value = JsonTime<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("RFC 3339 text or epoch milliseconds")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<JsonTime<'de>, E> {
                Ok(JsonTime::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<JsonTime<'de>, E> {
                Ok(JsonTime::Text(Cow::Owned(text.to_owned())))
            }
            fn visit_i64<E: serde::de::Error>(self, ms: i64) -> Result<JsonTime<'de>, E> {
                Ok(JsonTime::Millis(ms as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, ms: u64) -> Result<JsonTime<'de>, E> {
                Ok(JsonTime::Millis(ms as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, ms: f64) -> Result<JsonTime<'de>, E> {
                Ok(JsonTime::Millis(ms))
            }
        }
        deserializer.deserialize_any(TimeVisitor)
    }
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
    let activities = trace
        .activities
        .into_iter()
        .enumerate()
        .map(|(index, report)| {
            let t_ms = report
                .t
                .map(|t| parse_time(index, t))
                .transpose()
                .map_err(|_| TraceError::InvalidActivity { index, why: "has an unreadable time" })?;
            Ok(RawActivity { t_ms, activity: report.activity, confidence: report.confidence })
        })
        .collect::<Result<_, TraceError>>()?;
    Ok(RawTrace { fixes, mock_location: trace.mock_location, activities })
}

fn parse_time(index: usize, time: JsonTime) -> Result<i64, TraceError> {
    match time {
        // Epoch milliseconds: whole numbers well inside i64 (±292 million years).
        JsonTime::Millis(ms) if ms.is_finite() && ms.fract() == 0.0 && ms.abs() < 1e17 => Ok(ms as i64),
        JsonTime::Millis(ms) => Err(TraceError::BadTimestamp { index, value: ms.to_string() }),
        JsonTime::Text(text) => DateTime::parse_from_rfc3339(&text)
            .map(|t| t.timestamp_millis())
            .map_err(|_| TraceError::BadTimestamp { index, value: text.into_owned() }),
    }
}
