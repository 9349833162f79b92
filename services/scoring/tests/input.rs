//! Reading uploads: JSON and GPX variants, and every input limit.
#![allow(clippy::unwrap_used)]

use smartville_scoring::{Activity, ActivityReport, RawTrace, TraceError, TraceLimits};

/// 2026-11-24T07:00:00Z in epoch milliseconds.
const T0: i64 = 1_795_503_600_000;
const HOUR: i64 = 3_600_000;

fn limits() -> TraceLimits {
    TraceLimits::default()
}

fn json_ok(text: &str) -> RawTrace {
    RawTrace::from_json(text.as_bytes()).unwrap()
}

#[test]
fn json_with_rfc3339_and_epoch_times() {
    let raw = json_ok(
        r#"{"points":[
            {"t":"2026-11-24T07:00:00Z","lat":51.15,"lon":4.97,"acc":6.5,"speed":4.2},
            {"t":1795503601000,"lat":51.1501,"lon":4.9701},
            {"t":"2026-11-24T08:00:02+01:00","lat":51.1502,"lon":4.9702}
        ],"mock_location":true}"#,
    );
    assert!(raw.mock_location);
    let times: Vec<_> = raw.fixes.iter().map(|f| f.t_ms.unwrap()).collect();
    assert_eq!(times, [T0, T0 + 1000, T0 + 2000]);
    assert_eq!((raw.fixes[0].accuracy_m, raw.fixes[0].speed_mps), (Some(6.5), Some(4.2)));
    let trace = raw.validate(&limits(), T0 + HOUR).unwrap();
    assert_eq!((trace.started_at_ms(), trace.ended_at_ms()), (T0, T0 + 2000));
    assert!(trace.mock_location());
}

#[test]
fn the_phones_activity_reports_read_from_json_and_gpx_in_time_order() {
    let json = json_ok(
        r#"{"points":[{"t":1795503600000,"lat":51.15,"lon":4.97},{"t":1795503660000,"lat":51.152,"lon":4.972}],
            "activities":[{"t":"2026-11-24T07:00:30Z","type":"in_vehicle","confidence":40},
                          {"t":1795503600000,"type":"on_bicycle","confidence":90}]}"#,
    );
    let gpx = RawTrace::from_gpx(
        br#"<?xml version="1.0"?>
        <gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1" xmlns:sv="https://smartville.example/gpx/1">
          <trk><extensions>
            <sv:activity time="2026-11-24T07:00:30Z" type="in_vehicle" confidence="40"/>
            <sv:activity time="2026-11-24T07:00:00Z" type="on_bicycle" confidence="90"/>
          </extensions>
          <trkseg><trkpt lat="51.15" lon="4.97"><time>2026-11-24T07:00:00Z</time></trkpt>
                  <trkpt lat="51.152" lon="4.972"><time>2026-11-24T07:01:00Z</time></trkpt></trkseg></trk>
        </gpx>"#,
    )
    .unwrap();
    let expected = [
        ActivityReport { t_ms: T0, activity: Activity::OnBicycle, confidence: 90 },
        ActivityReport { t_ms: T0 + 30_000, activity: Activity::InVehicle, confidence: 40 },
    ];
    for raw in [json, gpx] {
        let trace = raw.validate(&limits(), T0 + HOUR).unwrap();
        assert_eq!(trace.activities(), expected);
        // The vehicle report is not confident enough to count: the phone saw cycling half the ride.
        let shares = trace.activity_shares();
        assert_eq!((shares.of(Activity::OnBicycle), shares.of(Activity::InVehicle)), (0.5, 0.0));
    }
}

#[test]
fn a_bad_activity_report_is_a_typed_error() {
    let with = |activities: &str| {
        let text = format!(
            r#"{{"points":[{{"t":1795503600000,"lat":51,"lon":4}},{{"t":1795503601000,"lat":51.001,"lon":4}}],"activities":[{activities}]}}"#
        );
        RawTrace::from_json(text.as_bytes()).and_then(|r| r.validate(&limits(), T0 + HOUR))
    };
    assert!(with(r#"{"t":1795503600000,"type":"on_bicycle","confidence":100}"#).is_ok());
    let too_sure = with(r#"{"t":1795503600000,"type":"on_bicycle","confidence":101}"#).unwrap_err();
    assert_eq!(too_sure, TraceError::InvalidActivity { index: 0, why: "has a confidence above 100" });
    assert_eq!(too_sure.code(), "INVALID_ACTIVITY");
    let untimed = with(r#"{"t":1795503600000,"type":"still","confidence":9},{"type":"still","confidence":9}"#);
    assert_eq!(untimed.unwrap_err(), TraceError::InvalidActivity { index: 1, why: "has no time" });
    let unknown = with(r#"{"t":1795503600000,"type":"skateboarding","confidence":9}"#).unwrap_err();
    assert!(matches!(unknown, TraceError::Json(_)), "{unknown}");
    let gpx = |activity: &str| {
        let text = format!(
            r#"<gpx><trk><extensions>{activity}</extensions><trkseg><trkpt lat="51" lon="4"/></trkseg></trk></gpx>"#
        );
        RawTrace::from_gpx(text.as_bytes()).unwrap_err()
    };
    let unknown_gpx = gpx(r#"<activity time="2026-11-24T07:00:00Z" type="skateboarding" confidence="9"/>"#);
    assert_eq!(unknown_gpx, TraceError::InvalidActivity { index: 0, why: "has an unknown type" });
    let no_confidence = gpx(r#"<activity time="2026-11-24T07:00:00Z" type="still"/>"#);
    assert_eq!(no_confidence, TraceError::InvalidActivity { index: 0, why: "has no confidence" });
}

#[test]
fn json_errors_are_typed() {
    let err =
        |text: &str| RawTrace::from_json(text.as_bytes()).and_then(|r| r.validate(&limits(), T0 + HOUR)).unwrap_err();
    assert!(matches!(err("{"), TraceError::Json(_)));
    assert!(matches!(err(r#"{"pts":[]}"#), TraceError::Json(_)));
    assert!(matches!(err(r#"{"points":[{"t":1,"lat":"x","lon":2}]}"#), TraceError::Json(_)));
    let missing = r#"{"points":[{"t":1795503600000,"lat":51,"lon":4},{"lat":51.001,"lon":4}]}"#;
    assert_eq!(err(missing), TraceError::MissingTimestamp { index: 1 });
    let bad = r#"{"points":[{"t":"yesterday","lat":51,"lon":4},{"t":1795503601000,"lat":51,"lon":4}]}"#;
    assert_eq!(err(bad), TraceError::BadTimestamp { index: 0, value: "yesterday".into() });
    let fractional = r#"{"points":[{"t":1795503600000.5,"lat":51,"lon":4},{"t":1795503601000,"lat":51,"lon":4}]}"#;
    assert!(matches!(err(fractional), TraceError::BadTimestamp { index: 0, .. }));
}

fn points(fixes: &[(i64, f64, f64)]) -> RawTrace {
    RawTrace {
        fixes: fixes
            .iter()
            .map(|&(t, lat, lon)| smartville_scoring::RawFix {
                t_ms: Some(t),
                lat,
                lon,
                accuracy_m: None,
                speed_mps: None,
            })
            .collect(),
        ..RawTrace::default()
    }
}

#[test]
fn every_input_limit_gives_a_typed_error() {
    let now = T0 + HOUR;
    let check = |raw: RawTrace, limits: &TraceLimits| raw.validate(limits, now);
    let ok = points(&[(T0, 51.0, 4.0), (T0 + 1000, 51.0001, 4.0)]);
    assert!(check(ok.clone(), &limits()).is_ok());

    assert_eq!(check(points(&[(T0, 51.0, 4.0)]), &limits()).unwrap_err(), TraceError::TooFewPoints { count: 1 });
    let small = TraceLimits { max_points: 1, ..limits() };
    assert_eq!(check(ok.clone(), &small).unwrap_err(), TraceError::TooManyPoints { count: 2, max: 1 });
    let cases = [
        (points(&[(T0, 51.0, 4.0), (T0, 51.0001, 4.0)]), TraceError::NonIncreasingTimestamps { index: 1 }),
        (points(&[(T0, 51.0, 4.0), (T0 - 1, 51.0001, 4.0)]), TraceError::NonIncreasingTimestamps { index: 1 }),
        (
            points(&[(T0, 91.0, 4.0), (T0 + 1, 51.0, 4.0)]),
            TraceError::CoordinateOutOfRange { index: 0, lat: 91.0, lon: 4.0 },
        ),
        (
            points(&[(T0, 51.0, 4.0), (T0 + 1, 51.0, -180.5)]),
            TraceError::CoordinateOutOfRange { index: 1, lat: 51.0, lon: -180.5 },
        ),
        (points(&[(T0, f64::NAN, 4.0), (T0 + 1, 51.0, 4.0)]), TraceError::NotFinite { index: 0, field: "latitude" }),
        (
            points(&[(T0, 51.0, f64::INFINITY), (T0 + 1, 51.0, 4.0)]),
            TraceError::NotFinite { index: 0, field: "longitude" },
        ),
        (points(&[(T0, 51.0, 4.0), (T0 + 1, 0.0, 0.0)]), TraceError::NullIsland { index: 1 }),
        (points(&[(T0, 51.0, 4.0), (T0 + 5 * HOUR, 51.1, 4.0)]), TraceError::InFuture { index: 1, ahead_s: 4 * 3600 }),
        (
            points(&[(T0 - 5 * HOUR, 51.0, 4.0), (T0, 51.1, 4.0)]),
            TraceError::SpanTooLong { span_s: 5 * 3600, max_s: 4 * 3600 },
        ),
    ];
    for (raw, expected) in cases {
        assert_eq!(check(raw, &limits()).unwrap_err(), expected);
    }
    // Clock skew up to five minutes is tolerated.
    assert!(check(points(&[(T0, 51.0, 4.0), (now + 4 * 60_000, 51.1, 4.0)]), &limits()).is_ok());

    let mut negative = ok.clone();
    negative.fixes[1].accuracy_m = Some(-1.0);
    assert_eq!(check(negative, &limits()).unwrap_err(), TraceError::Negative { index: 1, field: "accuracy" });
    let mut nan_speed = ok.clone();
    nan_speed.fixes[0].speed_mps = Some(f32::NAN);
    assert_eq!(check(nan_speed, &limits()).unwrap_err(), TraceError::NotFinite { index: 0, field: "speed" });

    // Upload age: the default is a week; `None` accepts any age.
    let old = points(&[(T0 - 200 * HOUR, 51.0, 4.0), (T0 - 199 * HOUR, 51.1, 4.0)]);
    assert_eq!(check(old.clone(), &limits()).unwrap_err(), TraceError::TooOld { age_h: 200, max_h: 168 });
    assert!(check(old, &TraceLimits { max_age_ms: None, ..limits() }).is_ok());
}

#[test]
fn a_fix_sent_twice_is_kept_once() {
    // Location providers hand out a cached fix again: the same time and place.
    let twice =
        points(&[(T0, 51.0, 4.0), (T0 + 1000, 51.0001, 4.0), (T0 + 1000, 51.0001, 4.0), (T0 + 2000, 51.0002, 4.0)]);
    let trace = twice.validate(&limits(), T0 + HOUR).unwrap();
    assert_eq!(trace.fixes().iter().map(|f| f.t_ms - T0).collect::<Vec<_>>(), [0, 1000, 2000]);
    // Two places at one time are not a repeat, and a trace that is one fix sent twice is too short.
    let moved = points(&[(T0, 51.0, 4.0), (T0, 51.0001, 4.0)]);
    assert_eq!(moved.validate(&limits(), T0 + HOUR).unwrap_err(), TraceError::NonIncreasingTimestamps { index: 1 });
    let once = points(&[(T0, 51.0, 4.0), (T0, 51.0, 4.0)]);
    assert_eq!(once.validate(&limits(), T0 + HOUR).unwrap_err(), TraceError::TooFewPoints { count: 1 });
}

#[test]
fn error_codes_are_distinct_and_messages_name_the_point() {
    let errors = [
        TraceError::Json("x".into()),
        TraceError::Gpx("x".into()),
        TraceError::NoTrackPoints,
        TraceError::TooFewPoints { count: 0 },
        TraceError::TooManyPoints { count: 2, max: 1 },
        TraceError::MissingTimestamp { index: 3 },
        TraceError::BadTimestamp { index: 0, value: String::new() },
        TraceError::NonIncreasingTimestamps { index: 0 },
        TraceError::NotFinite { index: 0, field: "latitude" },
        TraceError::CoordinateOutOfRange { index: 0, lat: 0.0, lon: 0.0 },
        TraceError::NullIsland { index: 0 },
        TraceError::Negative { index: 0, field: "speed" },
        TraceError::SpanTooLong { span_s: 0, max_s: 0 },
        TraceError::InFuture { index: 0, ahead_s: 0 },
        TraceError::TooOld { age_h: 0, max_h: 0 },
        TraceError::InvalidActivity { index: 0, why: "has no time" },
    ];
    let mut codes: Vec<_> = errors.iter().map(TraceError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(
        TraceError::MissingTimestamp { index: 3 }.to_string(),
        "point 3 has no timestamp; every point needs a time"
    );
}

const GPX11: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
  <metadata><time>2020-01-01T00:00:00Z</time></metadata>
  <wpt lat="1.0" lon="1.0"><time>2020-01-01T00:00:00Z</time></wpt>
  <trk><name>one</name>
    <trkseg>
      <trkpt lat="51.15" lon="4.97"><ele>20</ele><time>2026-11-24T07:00:00Z</time>
        <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>120</gpxtpx:hr></gpxtpx:TrackPointExtension><accuracy>7.5</accuracy></extensions>
      </trkpt>
      <trkpt lat="51.1501" lon="4.9701"><time>2026-11-24T07:00:01.500Z</time></trkpt>
    </trkseg>
    <trkseg>
      <trkpt lat="51.1502" lon="4.9702"><time>2026-11-24T07:00:03</time></trkpt>
    </trkseg>
  </trk>
  <trk><trkseg><trkpt lat="51.1503" lon="4.9703"><time>2026-11-24T08:00:04+01:00</time></trkpt></trkseg></trk>
</gpx>"#;

#[test]
fn gpx_11_with_extensions_several_tracks_and_segments() {
    let raw = RawTrace::from_gpx(GPX11.as_bytes()).unwrap();
    let times: Vec<_> = raw.fixes.iter().map(|f| f.t_ms.unwrap() - T0).collect();
    assert_eq!(times, [0, 1500, 3000, 4000], "waypoints and metadata times are not track points");
    assert_eq!(raw.fixes[0].accuracy_m, Some(7.5));
    assert_eq!((raw.fixes[3].lat, raw.fixes[3].lon), (51.1503, 4.9703));
    assert!(raw.validate(&limits(), T0 + HOUR).is_ok());
}

#[test]
fn gpx_with_a_byte_order_mark_reads_the_same() {
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), GPX11.as_bytes()].concat();
    assert_eq!(RawTrace::from_gpx(&with_bom).unwrap(), RawTrace::from_gpx(GPX11.as_bytes()).unwrap());
}

#[test]
fn gpx_10_with_inline_speed() {
    let gpx = r#"<?xml version="1.0"?>
<gpx version="1.0" creator="old logger" xmlns="http://www.topografix.com/GPX/1/0">
<trk><trkseg>
<trkpt lat="51.15" lon="4.97"><time>2026-11-24T07:00:00Z</time><speed>4.5</speed><course>90</course></trkpt>
<trkpt lat="51.1501" lon="4.9701"><time>2026-11-24T07:00:01Z</time><speed>4.6</speed></trkpt>
</trkseg></trk></gpx>"#;
    let raw = RawTrace::from_gpx(gpx.as_bytes()).unwrap();
    assert_eq!(raw.fixes.iter().map(|f| f.speed_mps).collect::<Vec<_>>(), [Some(4.5), Some(4.6)]);
    assert!(raw.validate(&limits(), T0 + HOUR).is_ok());
}

#[test]
fn gpx_errors_are_typed() {
    let err =
        |text: &str| RawTrace::from_gpx(text.as_bytes()).and_then(|r| r.validate(&limits(), T0 + HOUR)).unwrap_err();
    let wrap = |body: &str| {
        format!(
            r#"<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{body}</trkseg></trk></gpx>"#
        )
    };
    assert!(matches!(err(""), TraceError::Gpx(_)));
    assert!(matches!(err("<kml></kml>"), TraceError::Gpx(_)));
    assert!(matches!(err("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\">"), TraceError::Gpx(_)));
    assert_eq!(err(r#"<gpx version="1.1"><rte><rtept lat="1" lon="2"/></rte></gpx>"#), TraceError::NoTrackPoints);
    assert!(matches!(err(&wrap(r#"<trkpt lat="north" lon="2"/>"#)), TraceError::Gpx(_)));
    assert!(matches!(err(&wrap(r#"<trkpt lon="2"/>"#)), TraceError::Gpx(_)));
    let two = |a: &str, b: &str| {
        wrap(&format!(
            "<trkpt {a}><time>2026-11-24T07:00:00Z</time></trkpt><trkpt {b}><time>2026-11-24T07:00:01Z</time></trkpt>"
        ))
    };
    assert_eq!(
        err(&two(r#"lat="NaN" lon="4""#, r#"lat="51" lon="4""#)),
        TraceError::NotFinite { index: 0, field: "latitude" }
    );
    assert_eq!(
        err(&two(r#"lat="51" lon="4""#, r#"lat="-95" lon="4""#)),
        TraceError::CoordinateOutOfRange { index: 1, lat: -95.0, lon: 4.0 }
    );
    assert_eq!(err(&two(r#"lat="0" lon="0""#, r#"lat="51" lon="4""#)), TraceError::NullIsland { index: 0 });
    assert_eq!(
        err(&wrap(r#"<trkpt lat="51" lon="4"/><trkpt lat="51.1" lon="4"/>"#)),
        TraceError::MissingTimestamp { index: 0 }
    );
    assert!(matches!(
        err(&wrap(r#"<trkpt lat="51" lon="4"><time>soon</time></trkpt>"#)),
        TraceError::BadTimestamp { index: 0, .. }
    ));
}

#[test]
fn simulated_gpx_and_json_round_trip() {
    use smartville_simulator::{Profile, Simulator, demo, to_gpx};
    let start = chrono::DateTime::from_timestamp_millis(T0).unwrap();
    let raw = Simulator::new(5).ride(&demo::home_to_school(), start, &Profile::bike());
    let from_gpx = RawTrace::from_gpx(to_gpx(&raw).as_bytes()).unwrap();
    let from_json = RawTrace::from_json(serde_json::to_string(&raw).unwrap().as_bytes()).unwrap();
    for (read, written) in from_json.fixes.iter().zip(&raw.fixes) {
        assert_eq!(read, written);
    }
    assert_eq!(from_json, raw);
    assert_eq!(from_gpx.fixes.len(), raw.fixes.len());
    for (read, written) in from_gpx.fixes.iter().zip(&raw.fixes) {
        assert_eq!(read.t_ms, written.t_ms);
        assert!((read.lat - written.lat).abs() < 1e-7 && (read.lon - written.lon).abs() < 1e-7);
    }
}
