//! GPX 1.0 and 1.1: every `trkpt` of every `trk`/`trkseg`, in document order.
//!
//! A streaming reader (quick-xml) rather than a full GPX object model: we need
//! four values per point and must accept what real loggers write (namespaced
//! extensions, a byte-order mark, GPX 1.0's inline `<speed>`), so elements are
//! matched by local name and everything else is skipped. The phone's activity
//! recognition travels as `<activity time="…" type="on_bicycle" confidence="80"/>`
//! elements in any `<extensions>` outside the points (any namespace prefix).

use chrono::{DateTime, NaiveDateTime};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{Activity, RawActivity, RawFix, RawTrace, TraceError};

/// The child element of a `trkpt` whose text we are reading.
#[derive(Clone, Copy)]
enum Field {
    Time,
    Speed,
    Accuracy,
}

pub(super) fn parse(bytes: &[u8]) -> Result<RawTrace, TraceError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| TraceError::Gpx(format!("not UTF-8: {e}")))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);

    let mut fixes = Vec::new();
    let mut activities = Vec::new();
    let mut current: Option<RawFix> = None;
    let mut field: Option<Field> = None;
    let mut saw_gpx_root = false;
    let mut depth = 0usize;
    loop {
        let event =
            reader.read_event().map_err(|e| TraceError::Gpx(format!("at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) if !saw_gpx_root => {
                if element.local_name().as_ref() != "gpx" {
                    return Err(TraceError::Gpx("the root element is not <gpx>".into()));
                }
                saw_gpx_root = true;
                depth += usize::from(matches!(event, Event::Start(_)));
            }
            Event::Start(element) => {
                depth += 1;
                match element.local_name().as_ref() {
                    "trkpt" => current = Some(start_point(fixes.len(), &element)?),
                    "activity" if current.is_none() => activities.push(activity(activities.len(), &element)?),
                    "time" if current.is_some() => field = Some(Field::Time),
                    "speed" if current.is_some() => field = Some(Field::Speed),
                    "accuracy" if current.is_some() => field = Some(Field::Accuracy),
                    _ => field = None,
                }
            }
            Event::Empty(element) if element.local_name().as_ref() == "trkpt" => {
                fixes.push(start_point(fixes.len(), &element)?);
            }
            Event::Empty(element) if element.local_name().as_ref() == "activity" && current.is_none() => {
                activities.push(activity(activities.len(), &element)?);
            }
            Event::Text(content) => {
                if let (Some(fix), Some(which)) = (current.as_mut(), field) {
                    let value = content.xml10_content();
                    set_field(fixes.len(), fix, which, value.trim())?;
                }
            }
            Event::End(element) => {
                depth = depth.saturating_sub(1);
                field = None;
                if element.local_name().as_ref() == "trkpt"
                    && let Some(fix) = current.take()
                {
                    fixes.push(fix);
                }
            }
            Event::Eof if depth > 0 => {
                return Err(TraceError::Gpx("the document ends before its elements are closed".into()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_gpx_root {
        return Err(TraceError::Gpx("the document is empty".into()));
    }
    if fixes.is_empty() {
        return Err(TraceError::NoTrackPoints);
    }
    Ok(RawTrace { fixes, mock_location: false, activities })
}

/// An `<activity time="…" type="…" confidence="…"/>` element.
fn activity(index: usize, element: &BytesStart<'_>) -> Result<RawActivity, TraceError> {
    let invalid = |why| TraceError::InvalidActivity { index, why };
    let (mut t_ms, mut kind, mut confidence) = (None, None, None);
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|_| invalid("has an unreadable attribute"))?;
        let value = attribute.value.trim();
        match attribute.key.local_name().as_ref() {
            "time" => t_ms = Some(parse_time(index, value).map_err(|_| invalid("has an unreadable time"))?),
            "type" => kind = Some(Activity::from_name(value).ok_or_else(|| invalid("has an unknown type"))?),
            "confidence" => confidence = Some(value.parse().map_err(|_| invalid("has an unreadable confidence"))?),
            _ => {}
        }
    }
    Ok(RawActivity {
        t_ms,
        activity: kind.ok_or_else(|| invalid("has no type"))?,
        confidence: confidence.ok_or_else(|| invalid("has no confidence"))?,
    })
}

fn start_point(index: usize, element: &BytesStart<'_>) -> Result<RawFix, TraceError> {
    let mut lat = None;
    let mut lon = None;
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| TraceError::Gpx(format!("trkpt {index}: {e}")))?;
        let target = match attribute.key.local_name().as_ref() {
            "lat" => &mut lat,
            "lon" => &mut lon,
            _ => continue,
        };
        let value = attribute
            .value
            .trim()
            .parse::<f64>()
            .ok()
            .ok_or_else(|| TraceError::Gpx(format!("trkpt {index} has an unreadable coordinate")))?;
        *target = Some(value);
    }
    match (lat, lon) {
        (Some(lat), Some(lon)) => Ok(RawFix { t_ms: None, lat, lon, accuracy_m: None, speed_mps: None }),
        _ => Err(TraceError::Gpx(format!("trkpt {index} lacks a lat or lon attribute"))),
    }
}

fn set_field(index: usize, fix: &mut RawFix, field: Field, value: &str) -> Result<(), TraceError> {
    match field {
        Field::Time => fix.t_ms = Some(parse_time(index, value)?),
        // Unreadable optional extras are dropped rather than failing the ride.
        Field::Speed => fix.speed_mps = value.parse().ok(),
        Field::Accuracy => fix.accuracy_m = value.parse().ok(),
    }
    Ok(())
}

/// GPX times are UTC (`xsd:dateTime`); loggers sometimes omit the zone
/// designator, which the schema then reads as UTC as well.
fn parse_time(index: usize, value: &str) -> Result<i64, TraceError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp_millis())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc().timestamp_millis())
        })
        .map_err(|_| TraceError::BadTimestamp { index, value: value.to_owned() })
}
