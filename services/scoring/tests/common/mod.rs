//! Shared fixtures: the example campaign, exact and realistic rides in the demo town.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses its own subset

pub mod labelled;

use chrono::{DateTime, Utc};
use smartville_scoring::{Assessment, CampaignSpec, CompiledCampaign, History, RawTrace, Trace, TraceLimits, assess};
use smartville_simulator::{Profile, Route, Simulator, demo, shifted};

/// The campaign shipped in `examples/`.
pub fn example_campaign() -> CampaignSpec {
    CampaignSpec::from_json(include_bytes!("../../../../examples/campaign.json")).unwrap()
}

/// The example campaign with only the bike mode, so limits are the bike's.
pub fn bike_campaign() -> CampaignSpec {
    let mut spec = example_campaign();
    spec.modes = vec![smartville_scoring::Mode::Bike];
    spec
}

pub fn compile(spec: CampaignSpec) -> CompiledCampaign {
    spec.compile().unwrap()
}

/// An instant from RFC 3339 text.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Tuesday 24 November 2026, 07:45 in Brussels: a school morning.
pub fn school_morning() -> DateTime<Utc> {
    at("2026-11-24T07:45:00+01:00")
}

/// A noise-free ride at constant speed along the demo home → school route.
pub fn exact_ride(speed_kmh: f64, start: DateTime<Utc>) -> RawTrace {
    Simulator::new(1).ride(&demo::home_to_school(), start, &Profile::exact(speed_kmh / 3.6))
}

/// The same ride moved in time so that its last fix is at `end`.
pub fn ending_at(trace: &RawTrace, end: DateTime<Utc>) -> RawTrace {
    let last = trace.fixes.last().and_then(|f| f.t_ms).unwrap();
    shifted(trace, end.timestamp_millis() - last)
}

/// A realistic bike ride (noise, stops, jitter) along `route`.
pub fn realistic_ride(route: &Route, start: DateTime<Utc>, seed: u64) -> RawTrace {
    Simulator::new(seed).ride(route, start, &Profile::bike())
}

/// Validation with the default limits, judged one hour after the ride ended.
pub fn validated(raw: RawTrace) -> Trace {
    let end = raw.fixes.last().and_then(|f| f.t_ms).unwrap();
    raw.validate(&TraceLimits::default(), end + 3_600_000).unwrap()
}

/// Judges a ride for a new participant with the campaign's full budget.
pub fn judge(raw: &RawTrace, campaign: &CompiledCampaign) -> Assessment {
    judge_with(raw, campaign, &History::fresh(campaign.spec().budget_points))
}

pub fn judge_with(raw: &RawTrace, campaign: &CompiledCampaign, history: &History) -> Assessment {
    assess(&validated(raw.clone()), campaign, history)
}
