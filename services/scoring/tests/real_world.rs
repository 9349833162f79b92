//! Traces recorded by other people (see `tests/data/real/README.md` for their
//! sources and licences), judged against campaigns drawn around them.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use smartville_scoring::{
    CampaignSpec, History, Mode, RawTrace, ReasonCode, Status, TraceError, TraceLimits, assess, calendar::Schedule,
};

fn read(name: &str) -> RawTrace {
    let path = format!("{}/tests/data/real/{name}", env!("CARGO_MANIFEST_DIR"));
    RawTrace::from_gpx(&std::fs::read(path).unwrap()).unwrap()
}

fn lenient_limits() -> TraceLimits {
    TraceLimits { max_age_ms: None, ..TraceLimits::default() }
}

fn polygon(min_lat: f64, min_lon: f64, max_lat: f64, max_lon: f64) -> serde_json::Value {
    serde_json::json!({"type": "Polygon", "coordinates": [[
        [min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]
    ]]})
}

/// A bike-to-school campaign in `time_zone` whose area covers the whole trace
/// (with a margin) and whose school is a 200 m square around its last fix,
/// with a to-school window all day, every day.
fn campaign_around(raw: &RawTrace, time_zone: &str) -> CampaignSpec {
    let lats = raw.fixes.iter().map(|f| f.lat);
    let lons = raw.fixes.iter().map(|f| f.lon);
    let (min_lat, max_lat) = (lats.clone().fold(90.0, f64::min), lats.fold(-90.0, f64::max));
    let (min_lon, max_lon) = (lons.clone().fold(180.0, f64::min), lons.fold(-180.0, f64::max));
    let end = raw.fixes.last().unwrap();
    let all_day = serde_json::json!([{"from": "00:00", "until": "24:00", "direction": "to_school"}]);
    let windows: serde_json::Map<_, _> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), all_day.clone())).collect();
    let schedule: Schedule = serde_json::from_value(serde_json::json!({ "windows": windows })).unwrap();
    let zones = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"role": "campaign_area"},
         "geometry": polygon(min_lat - 0.01, min_lon - 0.01, max_lat + 0.01, max_lon + 0.01)},
        {"type": "Feature", "properties": {"role": "school", "name": "school"},
         "geometry": polygon(end.lat - 0.0009, end.lon - 0.0012, end.lat + 0.0009, end.lon + 0.0012)}
    ]});
    CampaignSpec {
        id: "real-world".into(),
        name: "Real-world check".into(),
        description: String::new(),
        time_zone: time_zone.into(),
        valid_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        valid_until: NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
        budget_points: 1_000,
        schedule,
        zones: serde_json::from_value(zones).unwrap(),
        modes: vec![Mode::Bike],
        thresholds: Default::default(),
        reward: smartville_scoring::Reward { points_per_ride: 10, points_per_km: 5, max_km_per_ride: None },
        caps: Default::default(),
        multipliers: Vec::new(),
        appeal_days: 14,
        co2_g_per_km: smartville_scoring::DEFAULT_CO2_G_PER_KM,
        trace_retention_days: 30,
        strictness: Default::default(),
    }
}

fn judge(raw: RawTrace, time_zone: &str) -> smartville_scoring::Decision {
    let campaign = campaign_around(&raw, time_zone).compile().unwrap();
    let trace = raw.validate(&lenient_limits(), 2_000_000_000_000).unwrap();
    assess(&trace, &campaign, &History::fresh(1_000)).decision
}

#[test]
fn a_recorded_car_drive_is_rejected_as_motorised() {
    let decision = judge(read("car.gpx"), "America/Los_Angeles");
    assert_eq!(decision.status, Status::Rejected, "{decision:#?}");
    assert!(decision.has(ReasonCode::TooFast), "{decision:#?}");
    assert!(decision.average_speed_kmh > 60.0);
}

#[test]
fn a_recorded_walk_is_rejected_as_too_slow_for_a_bike() {
    let decision = judge(read("walk.gpx"), "Europe/Berlin");
    assert_eq!(decision.status, Status::Rejected, "{decision:#?}");
    assert!(decision.has(ReasonCode::TooSlow), "{decision:#?}");
    assert!(!decision.has(ReasonCode::TooFast));
}

#[test]
fn a_recorded_city_bike_ride_is_accepted() {
    // The first track segment of the Melbourne ride: 13.5 minutes, 352 fixes,
    // mostly at 1 Hz, as recorded (the later segments follow long pauses).
    let mut ride = read("bike_commute.gpx");
    ride.fixes.truncate(352);
    let decision = judge(ride, "Australia/Melbourne");
    assert_eq!(decision.status, Status::Accepted, "{decision:#?}");
    assert!(decision.points > 10 && decision.distance_m > 2_000, "{decision:#?}");
    assert!((10.0..30.0).contains(&decision.average_speed_kmh), "{decision:#?}");
}

#[test]
fn the_whole_recorded_ride_with_repeated_timestamps_is_an_input_error() {
    // The logger wrote two fixes with the same second and different positions.
    let error = read("bike_commute.gpx").validate(&lenient_limits(), 2_000_000_000_000).unwrap_err();
    assert!(matches!(error, TraceError::NonIncreasingTimestamps { .. }), "{error}");
}

#[test]
fn gpx_without_timestamps_is_an_input_error() {
    let error = read("no_time.gpx").validate(&lenient_limits(), 2_000_000_000_000).unwrap_err();
    assert_eq!(error, TraceError::MissingTimestamp { index: 0 });
    assert_eq!(error.code(), "MISSING_TIMESTAMP");
}

#[test]
fn gpx_with_all_equal_timestamps_is_an_input_error() {
    let raw = read("equal_time.gpx");
    assert!(raw.fixes.len() > 100);
    let error = raw.validate(&lenient_limits(), 2_000_000_000_000).unwrap_err();
    assert_eq!(error, TraceError::NonIncreasingTimestamps { index: 1 });
}
