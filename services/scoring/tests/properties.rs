//! Properties that must hold for every ride: determinism, time-shift
//! invariance, and points that respect every cap and the budget.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::LazyLock;

use common::*;
use proptest::prelude::*;
use smartville_scoring::{CompiledCampaign, Effect, History, PriorRide, RawTrace, ReasonCode, Status, assess};
use smartville_simulator::{Profile, Simulator, demo, shifted};

static CAMPAIGN: LazyLock<CompiledCampaign> = LazyLock::new(|| compile(bike_campaign()));

/// Reasons that depend on when a ride happened, not on what it was.
const TIME_CODES: [ReasonCode; 4] = [
    ReasonCode::OutsideTimeWindow,
    ReasonCode::NotSchoolDay,
    ReasonCode::OutsideCampaignPeriod,
    ReasonCode::NotToSchool,
];

/// Rides of every kind the simulator makes, on school mornings and afternoons.
fn any_ride() -> impl Strategy<Value = RawTrace> {
    (any::<u64>(), 0..3usize, any::<bool>(), 0..30 * 24 * 60i64).prop_map(|(seed, kind, back, minutes)| {
        let profile = [Profile::bike(), Profile::car(), Profile::walk()][kind].clone();
        let route = if back { demo::home_to_school().reversed() } else { demo::home_to_school() };
        let start = at("2026-11-16T06:00:00+01:00") + chrono::Duration::minutes(minutes);
        Simulator::new(seed).ride(&route, start, &profile)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn decisions_are_deterministic(ride in any_ride()) {
        let first = judge(&ride, &CAMPAIGN);
        let again = judge(&ride.clone(), &CAMPAIGN);
        prop_assert_eq!(first, again);
    }

    #[test]
    fn shifting_a_ride_in_time_changes_only_time_checks(ride in any_ride(), shift_minutes in -400 * 24 * 60..400 * 24 * 60i64) {
        let original = judge(&ride, &CAMPAIGN);
        let moved = judge(&shifted(&ride, shift_minutes * 60_000), &CAMPAIGN);
        let (a, b) = (&original.decision, &moved.decision);
        prop_assert_eq!(
            (a.distance_m, a.duration_s, a.moving_time_s, a.average_speed_kmh, a.fixes_dropped),
            (b.distance_m, b.duration_s, b.moving_time_s, b.average_speed_kmh, b.fixes_dropped)
        );
        let not_time = |d: &smartville_scoring::Decision| {
            d.reasons.iter().filter(|r| r.effect != Effect::Reduce && !TIME_CODES.contains(&r.code)).cloned().collect::<Vec<_>>()
        };
        prop_assert_eq!(not_time(a), not_time(b));
        prop_assert_eq!(&original.fingerprint.samples, &moved.fingerprint.samples);
        let timeless = |d: &smartville_scoring::Decision| !d.reasons.iter().any(|r| TIME_CODES.contains(&r.code));
        if timeless(a) && timeless(b) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn points_never_exceed_caps_or_budget(
        seed in any::<u64>(),
        caps in (proptest::option::of(0..80u64), proptest::option::of(0..300u64), proptest::option::of(0..2_000u64)),
        earlier in proptest::collection::vec((0..7 * 24i64, 0..40u64), 0..6),
        points_in_campaign in 0..2_500u64,
        budget_remaining in 0..60u64,
        max_km in proptest::option::of(0.0..5.0f64),
    ) {
        let mut spec = bike_campaign();
        spec.caps = smartville_scoring::Caps {
            rides_per_day: None,
            points_per_day: caps.0,
            points_per_week: caps.1,
            points_per_month: None,
            points_per_campaign: caps.2,
        };
        spec.reward.max_km_per_ride = max_km;
        let campaign = compile(spec);
        let ride = realistic_ride(&demo::home_to_school(), school_morning(), seed);
        let start = school_morning().timestamp_millis();
        let recent_rides: Vec<PriorRide> = earlier
            .iter()
            .map(|&(hours, points)| PriorRide { started_at_ms: start - (hours + 1) * 3_600_000, ended_at_ms: start - hours * 3_600_000 - 3_000_000, points })
            .collect();
        let history = History { recent_rides: recent_rides.clone(), points_in_campaign, budget_remaining, earlier_traces: vec![] };
        let decision = assess(&validated(ride.clone()), &campaign, &history).decision;
        let uncapped = judge(&ride, &CAMPAIGN).decision;

        prop_assert!(decision.points <= uncapped.points.max(10 + 5 * 5));
        prop_assert!(decision.points <= budget_remaining);
        if let Some(cap) = caps.2 { prop_assert!(decision.points + points_in_campaign <= cap.max(points_in_campaign)); }
        let local_day = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().with_timezone(&chrono_tz::Europe::Brussels).date_naive();
        let today = local_day(start);
        let today_points: u64 = recent_rides.iter().filter(|r| local_day(r.started_at_ms) == today).map(|r| r.points).sum();
        if let Some(cap) = caps.0 { prop_assert!(decision.points + today_points <= cap.max(today_points)); }
        let week = |ms: i64| chrono::Datelike::iso_week(&local_day(ms));
        let week_points: u64 = recent_rides.iter().filter(|r| week(r.started_at_ms) == week(start)).map(|r| r.points).sum();
        if let Some(cap) = caps.1 { prop_assert!(decision.points + week_points <= cap.max(week_points)); }
        if decision.status == Status::Rejected { prop_assert_eq!(decision.points, 0); }
    }
}
