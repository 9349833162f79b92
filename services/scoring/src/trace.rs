//! Traces as they arrive from phones, and the input limits that turn them into a
//! [`Trace`] the checks can trust.
//!
//! Parsing (`json`, `gpx`) produces a [`RawTrace`]: whatever the file said, with
//! timestamps that may be missing. [`RawTrace::validate`] applies [`TraceLimits`]
//! and returns a [`Trace`] whose invariants every later stage relies on: at least
//! two fixes, strictly increasing timestamps, finite in-range coordinates, no
//! (0, 0) fixes, a bounded span and a recording time that is neither in the
//! future nor older than the campaign accepts. Anything else is a [`TraceError`]
//! with a stable code and a message a student can act on: never a panic. The
//! stored form of a trace (compact, [`RawTrace::from_stored`]) is owned here
//! too: the engine stores and reads traces only through it.

mod activity;
mod compact;
mod gpx;
mod json;

pub use activity::{Activity, ActivityReport, ActivityShares, MIN_CONFIDENCE, RawActivity};
pub use compact::STORED_FORMAT;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One validated GPS fix as recorded by the phone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// When the fix was taken, in milliseconds since the Unix epoch (UTC).
    pub t_ms: i64,
    /// Latitude in WGS 84 degrees.
    pub lat: f64,
    /// Longitude in WGS 84 degrees.
    pub lon: f64,
    /// Horizontal accuracy reported by the phone (a 68 % radius, in metres), when known.
    pub accuracy_m: Option<f32>,
    /// Speed reported by the phone in metres per second, when known. Kept for
    /// the audit trail; the checks derive speed from positions, which a
    /// tampered app cannot fake as easily as one field.
    pub speed_mps: Option<f32>,
}

/// A fix straight from the uploaded file, before validation: the timestamp may
/// be missing and nothing has been range-checked yet. Serialises to the JSON
/// upload format, so simulated traces can be written as files.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RawFix {
    /// Milliseconds since the Unix epoch, if the file gave a time.
    #[serde(rename = "t", serialize_with = "serialize_rfc3339")]
    pub t_ms: Option<i64>,
    /// Latitude in degrees, as written in the file.
    pub lat: f64,
    /// Longitude in degrees, as written in the file.
    pub lon: f64,
    /// Reported horizontal accuracy in metres.
    #[serde(rename = "acc", skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f32>,
    /// Reported speed in metres per second.
    #[serde(rename = "speed", skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f32>,
}

fn serialize_rfc3339<S: serde::Serializer>(t_ms: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
    match t_ms.and_then(DateTime::<Utc>::from_timestamp_millis) {
        Some(t) => serializer.collect_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        None => serializer.serialize_none(),
    }
}

/// An uploaded trace before validation.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RawTrace {
    /// The fixes in file order.
    #[serde(rename = "points")]
    pub fixes: Vec<RawFix>,
    /// Whether the phone flagged the fixes as coming from a mock-location provider.
    pub mock_location: bool,
    /// The phone's own activity recognition during the ride, if it sent any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<RawActivity>,
}

/// The bounds an upload must respect before any check runs.
///
/// They protect the engine (size, span) and the campaign (uploads from the
/// future or from long ago). The upload-age bound is campaign policy and comes
/// from [`crate::Thresholds::max_upload_age_h`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceLimits {
    /// Most fixes one upload may hold: 4 h at 1 Hz plus room for faster loggers.
    pub max_points: usize,
    /// Longest time between first and last fix.
    pub max_span_ms: i64,
    /// How far in the future (phone clock ahead of ours) a fix may lie.
    pub max_clock_skew_ms: i64,
    /// How long after the ride ends it may still be uploaded; `None` accepts any age.
    pub max_age_ms: Option<i64>,
}

impl Default for TraceLimits {
    fn default() -> Self {
        Self {
            max_points: 20_000,
            max_span_ms: 4 * 3_600_000,
            max_clock_skew_ms: 5 * 60_000,
            max_age_ms: Some(7 * 24 * 3_600_000),
        }
    }
}

/// Why an upload is not a usable trace. Each variant has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TraceError {
    /// The JSON body could not be read.
    #[error("the trace is not valid JSON of the expected shape: {0}")]
    Json(String),
    /// The GPX document could not be read.
    #[error("the GPX file could not be read: {0}")]
    Gpx(String),
    /// The GPX document parsed but holds no track points.
    #[error("the GPX file holds no track points (trk/trkseg/trkpt)")]
    NoTrackPoints,
    /// Fewer than two fixes: there is no ride to judge.
    #[error("a trace needs at least 2 points, this one has {count}")]
    TooFewPoints {
        /// Number of fixes received.
        count: usize,
    },
    /// More fixes than [`TraceLimits::max_points`].
    #[error("a trace may hold at most {max} points, this one has {count}")]
    TooManyPoints {
        /// Number of fixes received.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A fix has no timestamp.
    #[error("point {index} has no timestamp; every point needs a time")]
    MissingTimestamp {
        /// Zero-based position of the fix in the upload.
        index: usize,
    },
    /// A timestamp could not be parsed.
    #[error("point {index} has an unreadable timestamp {value:?}: use RFC 3339 or epoch milliseconds")]
    BadTimestamp {
        /// Zero-based position of the fix in the upload.
        index: usize,
        /// The offending text.
        value: String,
    },
    /// Timestamps must strictly increase.
    #[error("point {index} is not later than the point before it; timestamps must strictly increase")]
    NonIncreasingTimestamps {
        /// Zero-based position of the first fix out of order.
        index: usize,
    },
    /// A coordinate or reported value is NaN or infinite.
    #[error("point {index} has a {field} that is not a finite number")]
    NotFinite {
        /// Zero-based position of the fix.
        index: usize,
        /// Which field.
        field: &'static str,
    },
    /// Latitude outside [-90, 90] or longitude outside [-180, 180].
    #[error("point {index} is outside the valid coordinate range (lat {lat}, lon {lon})")]
    CoordinateOutOfRange {
        /// Zero-based position of the fix.
        index: usize,
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
    },
    /// A fix at exactly (0, 0), the classic "no fix yet" placeholder.
    #[error("point {index} is at (0, 0), which phones report when they have no fix")]
    NullIsland {
        /// Zero-based position of the fix.
        index: usize,
    },
    /// Accuracy or speed below zero.
    #[error("point {index} has a negative {field}")]
    Negative {
        /// Zero-based position of the fix.
        index: usize,
        /// Which field.
        field: &'static str,
    },
    /// The trace spans more than [`TraceLimits::max_span_ms`].
    #[error("the trace spans {span_s} s; at most {max_s} s is accepted")]
    SpanTooLong {
        /// Span of the upload in seconds.
        span_s: i64,
        /// The limit in seconds.
        max_s: i64,
    },
    /// A fix lies in the future (beyond the allowed clock skew).
    #[error("point {index} lies {ahead_s} s in the future; check the phone's clock")]
    InFuture {
        /// Zero-based position of the fix.
        index: usize,
        /// How far ahead of the server clock it is.
        ahead_s: i64,
    },
    /// A trace stored by the engine in compact form could not be read back (damaged storage).
    #[error("the stored trace could not be read: {0}")]
    Stored(String),
    /// An activity report without a time, or with a confidence above 100.
    #[error("activity report {index} {why}")]
    InvalidActivity {
        /// Zero-based position of the report in the upload.
        index: usize,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The ride ended longer ago than the campaign accepts.
    #[error("the ride ended {age_h} h ago; rides must be uploaded within {max_h} h")]
    TooOld {
        /// Age of the ride's end, in whole hours.
        age_h: i64,
        /// The limit in hours.
        max_h: i64,
    },
}

impl TraceError {
    /// A stable machine-readable code, for API clients and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json(_) => "MALFORMED_JSON",
            Self::Gpx(_) => "MALFORMED_GPX",
            Self::NoTrackPoints => "NO_TRACK_POINTS",
            Self::TooFewPoints { .. } => "TOO_FEW_POINTS",
            Self::TooManyPoints { .. } => "TOO_MANY_POINTS",
            Self::MissingTimestamp { .. } => "MISSING_TIMESTAMP",
            Self::BadTimestamp { .. } => "BAD_TIMESTAMP",
            Self::NonIncreasingTimestamps { .. } => "NON_INCREASING_TIMESTAMPS",
            Self::NotFinite { .. } => "NOT_FINITE",
            Self::CoordinateOutOfRange { .. } => "COORDINATE_OUT_OF_RANGE",
            Self::NullIsland { .. } => "NULL_ISLAND",
            Self::Negative { .. } => "NEGATIVE_VALUE",
            Self::SpanTooLong { .. } => "SPAN_TOO_LONG",
            Self::InFuture { .. } => "IN_FUTURE",
            Self::TooOld { .. } => "TOO_OLD",
            Self::InvalidActivity { .. } => "INVALID_ACTIVITY",
            Self::Stored(_) => "UNREADABLE_STORED_TRACE",
        }
    }
}

impl RawTrace {
    /// Reads a JSON trace: `{"points": [{"t", "lat", "lon", "acc"?, "speed"?}], "mock_location"?}`
    /// where `t` is RFC 3339 text or epoch milliseconds.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TraceError> {
        json::parse(bytes)
    }

    /// Reads a GPX 1.0 or 1.1 document: every `trkpt` of every track and
    /// segment, in document order. A UTF-8 byte-order mark and unknown
    /// extensions are accepted.
    pub fn from_gpx(bytes: &[u8]) -> Result<Self, TraceError> {
        gpx::parse(bytes)
    }

    /// Applies the input limits at server time `now_ms` and returns a trace the
    /// checks can rely on. A fix sent twice (the same time and place, as a
    /// location provider handing out its cached fix again does) is kept once;
    /// two different places at the same time are an error.
    pub fn validate(self, limits: &TraceLimits, now_ms: i64) -> Result<Trace, TraceError> {
        let count = self.fixes.len();
        if count < 2 {
            return Err(TraceError::TooFewPoints { count });
        }
        if count > limits.max_points {
            return Err(TraceError::TooManyPoints { count, max: limits.max_points });
        }
        let mut previous = (i64::MIN, f64::NAN, f64::NAN);
        // Collected in place: the raw fixes' buffer is reused for the valid ones.
        let fixes: Vec<Fix> = self
            .fixes
            .into_iter()
            .enumerate()
            .filter_map(|(index, raw)| {
                let fix = match validate_fix(index, raw) {
                    Ok(fix) => fix,
                    Err(error) => return Some(Err(error)),
                };
                if (fix.t_ms, fix.lat, fix.lon) == previous {
                    return None;
                }
                if fix.t_ms <= previous.0 {
                    return Some(Err(TraceError::NonIncreasingTimestamps { index }));
                }
                if fix.t_ms > now_ms + limits.max_clock_skew_ms {
                    return Some(Err(TraceError::InFuture { index, ahead_s: (fix.t_ms - now_ms) / 1000 }));
                }
                previous = (fix.t_ms, fix.lat, fix.lon);
                Some(Ok(fix))
            })
            .collect::<Result<_, _>>()?;
        if fixes.len() < 2 {
            return Err(TraceError::TooFewPoints { count: fixes.len() });
        }
        let (start, end) = (fixes[0].t_ms, previous.0);
        if end - start > limits.max_span_ms {
            return Err(TraceError::SpanTooLong { span_s: (end - start) / 1000, max_s: limits.max_span_ms / 1000 });
        }
        if let Some(max_age) = limits.max_age_ms
            && now_ms - end > max_age
        {
            return Err(TraceError::TooOld { age_h: (now_ms - end) / 3_600_000, max_h: max_age / 3_600_000 });
        }
        Ok(Trace {
            fixes,
            mock_location: self.mock_location,
            activities: validate_activities(self.activities, limits)?,
        })
    }
}

/// Activity reports in time order (phones may deliver them late, so their
/// order is not an error), each with a time and a confidence of at most 100.
fn validate_activities(raw: Vec<RawActivity>, limits: &TraceLimits) -> Result<Vec<ActivityReport>, TraceError> {
    if raw.len() > limits.max_points {
        return Err(TraceError::TooManyPoints { count: raw.len(), max: limits.max_points });
    }
    let mut reports = raw
        .into_iter()
        .enumerate()
        .map(|(index, report)| {
            let t_ms = report.t_ms.ok_or(TraceError::InvalidActivity { index, why: "has no time" })?;
            if report.confidence > 100 {
                return Err(TraceError::InvalidActivity { index, why: "has a confidence above 100" });
            }
            Ok(ActivityReport { t_ms, activity: report.activity, confidence: report.confidence })
        })
        .collect::<Result<Vec<_>, _>>()?;
    reports.sort_by_key(|report| report.t_ms);
    Ok(reports)
}

fn validate_fix(index: usize, raw: RawFix) -> Result<Fix, TraceError> {
    let t_ms = raw.t_ms.ok_or(TraceError::MissingTimestamp { index })?;
    for (field, value) in [("latitude", raw.lat), ("longitude", raw.lon)] {
        if !value.is_finite() {
            return Err(TraceError::NotFinite { index, field });
        }
    }
    for (field, value) in [("accuracy", raw.accuracy_m), ("speed", raw.speed_mps)] {
        match value {
            Some(v) if !v.is_finite() => return Err(TraceError::NotFinite { index, field }),
            Some(v) if v < 0.0 => return Err(TraceError::Negative { index, field }),
            _ => {}
        }
    }
    if !(-90.0..=90.0).contains(&raw.lat) || !(-180.0..=180.0).contains(&raw.lon) {
        return Err(TraceError::CoordinateOutOfRange { index, lat: raw.lat, lon: raw.lon });
    }
    if raw.lat == 0.0 && raw.lon == 0.0 {
        return Err(TraceError::NullIsland { index });
    }
    Ok(Fix { t_ms, lat: raw.lat, lon: raw.lon, accuracy_m: raw.accuracy_m, speed_mps: raw.speed_mps })
}

/// A validated trace: at least two fixes with strictly increasing timestamps,
/// finite in-range coordinates, within the span and age limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    fixes: Vec<Fix>,
    mock_location: bool,
    activities: Vec<ActivityReport>,
}

impl Trace {
    /// The fixes, oldest first.
    pub fn fixes(&self) -> &[Fix] {
        &self.fixes
    }

    /// Whether the phone reported a mock-location provider.
    pub fn mock_location(&self) -> bool {
        self.mock_location
    }

    /// The phone's activity reports, in time order (empty when it sent none).
    pub fn activities(&self) -> &[ActivityReport] {
        &self.activities
    }

    /// How much of the ride the phone recognised each activity.
    pub fn activity_shares(&self) -> ActivityShares {
        ActivityShares::over(&self.activities, self.started_at_ms(), self.ended_at_ms())
    }

    /// Time of the first fix (ms since epoch).
    pub fn started_at_ms(&self) -> i64 {
        self.fixes[0].t_ms
    }

    /// Time of the last fix (ms since epoch).
    pub fn ended_at_ms(&self) -> i64 {
        self.fixes[self.fixes.len() - 1].t_ms
    }
}
