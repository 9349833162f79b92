//! The hot path: a 30-minute, 1 Hz ride (1,800 fixes) validated and scored
//! end to end, next to a naive geofence that indexes every fix with
//! `LatLng::to_cell` and looks it up in hash sets, measured in the same run.
//!
//! Run with `cargo bench -p smartville-scoring --bench hot_path`. Criterion
//! prints time per ride; the throughput line (elements = fixes) gives the
//! cost per fix. The parse group reads the same ride as GPX and JSON, with
//! and without the phone's activity reports.
#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use geo::{Distance, Haversine, Point};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use smartville_scoring::{Activity, CampaignSpec, History, RawActivity, RawTrace, Ride, Status, assess};
use smartville_simulator::{Profile, Simulator, demo};

const FIXES: usize = 1_800;

fn campaign_spec() -> CampaignSpec {
    CampaignSpec::from_json(include_bytes!("../../../examples/campaign.json")).unwrap()
}

/// The last 30 minutes (1,800 fixes at exactly 1 Hz) of a realistic ride
/// through town that ends at the school.
fn ride() -> RawTrace {
    let profile = Profile { interval_jitter_s: 0.0, dropout: 0.0, ..Profile::bike() };
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-24T07:30:00+01:00").unwrap().to_utc();
    let mut trace = Simulator::new(42).ride(&demo::long_ride_to_school(), start, &profile);
    assert!(trace.fixes.len() >= FIXES, "route too short: {} fixes", trace.fixes.len());
    trace.fixes.drain(..trace.fixes.len() - FIXES);
    trace
}

/// Every zone of the campaign as a flat, uncompacted set of resolution-10 cells.
fn naive_zone_sets(spec: &CampaignSpec) -> Vec<HashSet<CellIndex>> {
    spec.zones
        .features
        .iter()
        .map(|feature| {
            let geometry = geo::Geometry::<f64>::try_from(&feature.geometry.as_ref().unwrap().value).unwrap();
            let geo::Geometry::Polygon(polygon) = geometry else { panic!("example zones are polygons") };
            let mut tiler = TilerBuilder::new(Resolution::Ten).containment_mode(ContainmentMode::Covers).build();
            tiler.add(polygon).unwrap();
            tiler.into_coverage().collect()
        })
        .collect()
}

/// The naive geofence: index every fix, look it up in every zone, and add up haversine distances.
fn naive_geofence(trace: &RawTrace, zones: &[HashSet<CellIndex>]) -> (usize, f64) {
    let mut hits = 0;
    let mut distance = 0.0;
    let mut previous: Option<Point> = None;
    for fix in &trace.fixes {
        let cell = LatLng::new(fix.lat, fix.lon).unwrap().to_cell(Resolution::Ten);
        hits += zones.iter().filter(|zone| zone.contains(&cell)).count();
        let point = Point::new(fix.lon, fix.lat);
        if let Some(previous) = previous {
            distance += Haversine.distance(previous, point);
        }
        previous = Some(point);
    }
    (hits, distance)
}

fn hot_path(c: &mut Criterion) {
    let spec = campaign_spec();
    let zones = naive_zone_sets(&spec);
    let campaign = spec.compile().unwrap();
    let raw = ride();
    let limits = campaign.trace_limits();
    let now = raw.fixes[FIXES - 1].t_ms.unwrap() + 60_000;
    let history = History::fresh(campaign.spec().budget_points);
    let check = assess(&raw.clone().validate(&limits, now).unwrap(), &campaign, &history).decision;
    assert_eq!(check.status, Status::Accepted, "the benchmark ride must take the full path: {check:#?}");

    let mut group = c.benchmark_group("ride_1800_fixes");
    group.throughput(Throughput::Elements(FIXES as u64));
    group.bench_function("validate_and_score", |b| {
        b.iter_batched(
            || raw.clone(),
            |raw| assess(&raw.validate(&limits, now).unwrap(), &campaign, black_box(&history)),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("naive_baseline_to_cell_every_fix", |b| b.iter(|| naive_geofence(black_box(&raw), &zones)));
    // What the scoring component adds for an accepted ride: its cells for the public heat map.
    let trace = raw.clone().validate(&limits, now).unwrap();
    let prepared = Ride::prepare(&trace, &campaign);
    group.bench_function("heat_map_cells", |b| b.iter(|| black_box(&prepared).cells_without_ends()));
    group.finish();

    // The same ride with the phone's activity recognition, a report every 10 s (Android
    // delivers one every 10–60 s while moving): what reading them adds to a parse.
    let reported = RawTrace {
        activities: raw
            .fixes
            .iter()
            .step_by(10)
            .map(|fix| RawActivity { t_ms: fix.t_ms, activity: Activity::OnBicycle, confidence: 80 })
            .collect(),
        ..raw.clone()
    };
    let mut group = c.benchmark_group("parse_1800_fixes");
    group.throughput(Throughput::Elements(FIXES as u64));
    for (name, trace) in [("", &raw), ("_with_activities", &reported)] {
        let gpx = smartville_simulator::to_gpx(trace);
        group.bench_function(format!("gpx{name}"), |b| {
            b.iter(|| RawTrace::from_gpx(black_box(gpx.as_bytes())).unwrap())
        });
        let json = serde_json::to_vec(trace).unwrap();
        group.bench_function(format!("json{name}"), |b| b.iter(|| RawTrace::from_json(black_box(&json)).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
