//! Every reason code, probed on both sides of its threshold.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::*;
use smartville_scoring::{
    Activity, Effect, History, Mode, PriorRide, PriorTrace, RawActivity, RawFix, RawTrace, ReasonCode as Code, Status,
    Strictness,
};
use smartville_simulator::phone::{self, PhoneSampling};
use smartville_simulator::{Profile, Route, Simulator, demo, mock_location, offset, replay, teleport};

const BIKE_KMH: f64 = 16.0;

fn honest() -> RawTrace {
    exact_ride(BIKE_KMH, school_morning())
}

#[track_caller]
fn assert_accepted(decision: &smartville_scoring::Decision) {
    assert_eq!(decision.status, Status::Accepted, "{decision:#?}");
    assert!(decision.points > 0);
}

#[track_caller]
fn assert_rejected_for(decision: &smartville_scoring::Decision, code: Code) {
    assert_eq!(decision.status, Status::Rejected, "{decision:#?}");
    assert!(decision.has(code), "expected {code:?}: {decision:#?}");
    assert_eq!(decision.points, 0);
}

#[test]
fn the_honest_baseline_is_accepted_with_reward_points() {
    let decision = judge(&honest(), &compile(bike_campaign())).decision;
    assert_accepted(&decision);
    assert!(decision.reasons.is_empty(), "{decision:#?}");
    // 10 per ride + 5 per km, prorated to the metre.
    assert_eq!(decision.points, 10 + 5 * decision.distance_m / 1000);
    let route_m = demo::home_to_school().length_m();
    assert!((decision.distance_m as f64 - route_m).abs() < 15.0, "{} vs {route_m}", decision.distance_m);
}

#[test]
fn mock_location_is_rejected() {
    let campaign = compile(bike_campaign());
    assert_accepted(&judge(&honest(), &campaign).decision);
    assert_rejected_for(&judge(&mock_location(&honest()), &campaign).decision, Code::MockLocation);
}

#[test]
fn too_short_by_distance_and_by_duration() {
    let baseline = judge(&honest(), &compile(bike_campaign())).decision;
    let with = |distance_m: f64, duration_s: i64| {
        let mut spec = bike_campaign();
        spec.thresholds.min_distance_m = distance_m;
        spec.thresholds.min_duration_s = duration_s;
        judge(&honest(), &compile(spec)).decision
    };
    let (d, t) = (baseline.distance_m as f64, baseline.duration_s as i64);
    assert_accepted(&with(d - 20.0, t - 5));
    assert_rejected_for(&with(d + 20.0, t - 5), Code::TooShort);
    assert_rejected_for(&with(d - 20.0, t + 5), Code::TooShort);
}

#[test]
fn too_fast_at_the_speed_limit() {
    let campaign = compile(bike_campaign());
    assert_accepted(&judge(&exact_ride(29.0, school_morning()), &campaign).decision);
    assert_rejected_for(&judge(&exact_ride(31.0, school_morning()), &campaign).decision, Code::TooFast);
    // A pedelec campaign allows a little more.
    let mut spec = bike_campaign();
    spec.modes = vec![Mode::Pedelec];
    assert_accepted(&judge(&exact_ride(31.0, school_morning()), &compile(spec)).decision);
}

#[test]
fn too_fast_only_after_the_tolerance() {
    let fast = exact_ride(35.0, school_morning());
    let with_tolerance = |seconds: i64, share: f64| {
        let mut spec = bike_campaign();
        spec.thresholds.fast_tolerance_s = seconds;
        spec.thresholds.fast_tolerance_share = share;
        judge(&fast, &compile(spec)).decision
    };
    // Over the limit from the first full 30 s window to the end.
    let decision = with_tolerance(0, 0.0);
    let over_s = decision.duration_s as i64 - 30;
    assert!(!with_tolerance(over_s + 5, 0.0).has(Code::TooFast));
    assert_rejected_for(&with_tolerance(over_s - 5, 0.0), Code::TooFast);
    // The share of moving time: the larger allowance applies.
    let share = over_s as f64 / decision.moving_time_s as f64;
    assert!(!with_tolerance(0, share + 0.03).has(Code::TooFast));
    assert_rejected_for(&with_tolerance(0, share - 0.03), Code::TooFast);
    assert!(!with_tolerance(over_s + 5, share - 0.03).has(Code::TooFast));
}

#[test]
fn a_car_ride_is_motorised() {
    let car = Simulator::new(3).ride(&demo::home_to_school(), school_morning(), &Profile::car());
    assert_rejected_for(&judge(&car, &compile(example_campaign())).decision, Code::TooFast);
}

/// `trace` with its fixes swinging `metres` east and west every `every_s`
/// seconds: a path much longer than the way it gets ahead.
fn wandering(trace: &RawTrace, every_s: i64, metres: f64) -> RawTrace {
    let mut out = trace.clone();
    for fix in &mut out.fixes {
        let side = if (fix.t_ms.unwrap() / 1000 / every_s) % 2 == 0 { metres } else { -metres };
        (fix.lat, fix.lon) = offset((fix.lat, fix.lon), 0.0, side);
    }
    out
}

#[test]
fn a_ride_that_never_gets_ahead_at_a_bikes_pace_is_too_slow() {
    let campaign = compile(bike_campaign());
    // A walker's pace, its path stretched by wandering fixes to a bike's moving average.
    let walk = wandering(&exact_ride(6.5, school_morning()), 6, 7.0);
    let decision = judge(&walk, &campaign).decision;
    assert!(decision.average_speed_kmh >= 8.0, "{decision:#?}");
    assert_rejected_for(&decision, Code::TooSlow);
    assert!(decision.reasons.iter().any(|r| r.message.contains("fastest minutes")), "{decision:#?}");
    // Wandering fixes do not slow an honest ride down.
    assert_accepted(&judge(&wandering(&exact_ride(12.0, school_morning()), 6, 5.0), &campaign).decision);
}

/// `trace` with the phone reporting `activity` (80 % sure) for the first
/// `share` of the ride, and not knowing after that.
fn saying(trace: &RawTrace, activity: Activity, share: f64) -> RawTrace {
    let (start, end) = (trace.fixes[0].t_ms.unwrap(), trace.fixes.last().unwrap().t_ms.unwrap());
    let switch = start + ((end - start) as f64 * share) as i64;
    let report = |t_ms, activity| RawActivity { t_ms: Some(t_ms), activity, confidence: 80 };
    RawTrace { activities: vec![report(start, activity), report(switch, Activity::Unknown)], ..trace.clone() }
}

#[test]
fn the_phones_activity_recognition_helps_an_honest_slow_ride() {
    let campaign = compile(bike_campaign());
    let slow = exact_ride(7.0, school_morning());
    assert_rejected_for(&judge(&slow, &campaign).decision, Code::TooSlow);
    assert_accepted(&judge(&saying(&slow, Activity::OnBicycle, 0.8), &campaign).decision);
    // Never on its own: a walk that claims to be cycling is still a walk.
    let walk = exact_ride(5.0, school_morning());
    assert_rejected_for(&judge(&saying(&walk, Activity::OnBicycle, 1.0), &campaign).decision, Code::TooSlow);
}

#[test]
fn the_phones_activity_recognition_sinks_a_car_that_moves_like_a_bike() {
    let campaign = compile(bike_campaign());
    // A car in town traffic, at a bike's pace all the way: the motion alone accepts it.
    let car = honest();
    assert_accepted(&judge(&car, &campaign).decision);
    assert_rejected_for(&judge(&saying(&car, Activity::InVehicle, 0.8), &campaign).decision, Code::ActivityMismatch);
    // A third of the ride in a vehicle is doubtful: a person decides.
    let part = judge(&saying(&car, Activity::InVehicle, 0.35), &campaign).decision;
    assert_eq!(part.status, Status::Review, "{part:#?}");
    assert!(part.has(Code::ActivityMismatch));
    // Walking is not a mode of a bike campaign either.
    assert_rejected_for(&judge(&saying(&car, Activity::OnFoot, 0.8), &campaign).decision, Code::ActivityMismatch);
}

#[test]
fn a_forged_cycling_stream_does_not_carry_a_car() {
    let car = Simulator::new(3).ride(&demo::home_to_school(), school_morning(), &Profile::car());
    let decision = judge(&saying(&car, Activity::OnBicycle, 1.0), &compile(example_campaign())).decision;
    assert_rejected_for(&decision, Code::TooFast);
}

#[test]
fn strictness_moves_only_the_doubtful_band() {
    let at = |strictness: Strictness, tolerance_s: i64| {
        let mut spec = bike_campaign();
        spec.strictness = strictness;
        spec.thresholds.fast_tolerance_s = tolerance_s;
        spec.thresholds.fast_tolerance_share = 0.0;
        compile(spec)
    };
    let status = |trace: &RawTrace, campaign| judge(trace, &campaign).decision.status;
    // Over a bike's speed a quarter longer than allowed: a lenient campaign asks a person.
    let fast = exact_ride(35.0, school_morning());
    let over_s = judge(&fast, &at(Strictness::Normal, 0)).decision.duration_s as i64 - 30;
    let allowance_s = over_s * 4 / 5;
    assert_eq!(status(&fast, at(Strictness::Lenient, allowance_s)), Status::Review);
    assert_eq!(status(&fast, at(Strictness::Normal, allowance_s)), Status::Rejected);
    assert_eq!(status(&fast, at(Strictness::Strict, allowance_s)), Status::Rejected);
    // A phone that saw a vehicle for 30 % or 45 % of the ride.
    let honest = honest();
    let third = saying(&honest, Activity::InVehicle, 0.3);
    let close_to_half = saying(&honest, Activity::InVehicle, 0.45);
    assert_eq!(status(&third, at(Strictness::Lenient, 60)), Status::Accepted);
    assert_eq!(status(&third, at(Strictness::Normal, 60)), Status::Review);
    assert_eq!(status(&close_to_half, at(Strictness::Normal, 60)), Status::Review);
    assert_eq!(status(&close_to_half, at(Strictness::Strict, 60)), Status::Rejected);
    // Four minutes of a ten-minute ride unrecorded, at a bike's pace.
    let quiet = with_gap(240, 240);
    assert_eq!(status(&quiet, at(Strictness::Normal, 60)), Status::Accepted);
    assert_eq!(status(&quiet, at(Strictness::Strict, 60)), Status::Review);
    // What is clear stays clear at every level.
    for strictness in [Strictness::Lenient, Strictness::Normal, Strictness::Strict] {
        assert_eq!(status(&honest, at(strictness, 60)), Status::Accepted);
        assert_eq!(status(&exact_ride(60.0, school_morning()), at(strictness, 60)), Status::Rejected);
        assert_eq!(status(&saying(&honest, Activity::InVehicle, 0.9), at(strictness, 60)), Status::Rejected);
    }
}

/// A fix a second along the demo route, moving at each `(seconds, km/h)`
/// leg of `legs` in turn and repeating them to the school.
fn paced(legs: &[(i64, f64)]) -> RawTrace {
    let route = demo::home_to_school();
    let mut trace = exact_ride(BIKE_KMH, school_morning());
    let start_ms = trace.fixes[0].t_ms.unwrap();
    trace.fixes.clear();
    let mut along = 0.0_f64;
    for (second, kmh) in legs.iter().flat_map(|&(seconds, kmh)| (0..seconds).map(move |_| kmh)).cycle().enumerate() {
        let (lat, lon) = route.at(along.min(route.length_m()));
        let t_ms = Some(start_ms + second as i64 * 1000);
        trace.fixes.push(RawFix { t_ms, lat, lon, accuracy_m: Some(5.0), speed_mps: None });
        if along >= route.length_m() {
            return trace;
        }
        along += kmh / 3.6;
    }
    unreachable!("the legs cover the route")
}

#[test]
fn a_ride_in_bursts_between_stops_goes_to_review() {
    let campaign = compile(bike_campaign());
    // A bus in town: half a minute at a stop, a burst of a minute and a half to near a bike's top speed,
    // two and a half minutes in traffic.
    let bus = paced(&[(30, 0.0), (90, 28.0), (150, 12.0)]);
    let decision = judge(&bus, &campaign).decision;
    assert!(decision.average_speed_kmh < 30.0, "{decision:#?}");
    assert_eq!(decision.status, Status::Review, "{decision:#?}");
    assert!(decision.has(Code::StopAndGo), "{decision:#?}");
    // A rider keeps a pace: the same stops, a brisk minute and an even ride pass.
    assert_accepted(&judge(&paced(&[(30, 0.0), (90, 24.0), (150, 16.0)]), &campaign).decision);
    assert_accepted(&judge(&paced(&[(20, 0.0), (180, 18.0)]), &campaign).decision);
    // A strict campaign rejects the bursts.
    let mut strict = bike_campaign();
    strict.strictness = Strictness::Strict;
    assert_rejected_for(&judge(&bus, &compile(strict)).decision, Code::StopAndGo);
}

#[test]
fn at_a_phones_sampling_one_bad_fix_makes_no_car_and_a_car_stays_a_car() {
    let campaign = compile(bike_campaign());
    let every_30_s = PhoneSampling::steady(30.0);
    let mut bike = phone::sample(&honest(), &every_30_s, 1);
    assert_accepted(&judge(&bike, &campaign).decision);
    // One fix 250 m off the road (as a phone between tall buildings reports it), within the accuracy filter.
    let middle = &mut bike.fixes[10];
    (middle.lat, middle.lon) = offset((middle.lat, middle.lon), 250.0, 0.0);
    middle.accuracy_m = Some(45.0);
    assert_accepted(&judge(&bike, &campaign).decision);
    let car = Simulator::new(3).ride(&demo::home_to_school(), school_morning(), &Profile::car());
    assert_rejected_for(&judge(&phone::sample(&car, &every_30_s, 1), &campaign).decision, Code::TooFast);
}

#[test]
fn too_slow_for_a_bike() {
    let campaign = compile(bike_campaign());
    assert_accepted(&judge(&exact_ride(8.5, school_morning()), &campaign).decision);
    assert_rejected_for(&judge(&exact_ride(7.5, school_morning()), &campaign).decision, Code::TooSlow);
    let walk = Simulator::new(4).ride(&demo::home_to_school(), school_morning(), &Profile::walk());
    let decision = judge(&ending_at(&walk, at("2026-11-24T08:30:00+01:00")), &campaign).decision;
    assert_rejected_for(&decision, Code::TooSlow);
    // The same walk counts in a campaign that rewards walking.
    let mut spec = bike_campaign();
    spec.modes = vec![Mode::Walk];
    assert_accepted(&judge(&ending_at(&walk, at("2026-11-24T08:30:00+01:00")), &compile(spec)).decision);
}

/// The honest ride with the fixes between 40 % of the ride and `ridden_s`
/// later removed, and the fixes after them moved `ridden_s - silent_s`
/// earlier: the recording stops for `silent_s` while the rider covers what
/// takes `ridden_s` on a bike.
fn with_gap(ridden_s: i64, silent_s: i64) -> RawTrace {
    let mut trace = honest();
    let from = trace.fixes[trace.fixes.len() * 2 / 5].t_ms.unwrap();
    trace.fixes.retain(|f| {
        let t = f.t_ms.unwrap();
        t <= from || t >= from + ridden_s * 1000
    });
    for fix in &mut trace.fixes {
        fix.t_ms = fix.t_ms.map(|t| if t > from { t - (ridden_s - silent_s) * 1000 } else { t });
    }
    trace
}

#[test]
fn a_gap_goes_to_review_only_when_it_can_hide_a_lift_or_most_of_the_ride() {
    let campaign = compile(bike_campaign());
    // A phone in the background is silent for minutes; at a bike's pace that hides nothing.
    assert_accepted(&judge(&with_gap(130, 130), &campaign).decision);
    assert_accepted(&judge(&with_gap(200, 200), &campaign).decision);
    // Two minutes of riding crossed in 50 silent seconds, in a campaign that expects a fix every 45 s
    // and lets a bike sprint for two minutes: faster than a bike, too short to call the trip
    // motorised, and a lift would fit in it.
    let mut strict = bike_campaign();
    strict.thresholds.max_gap_s = 45;
    strict.thresholds.fast_tolerance_s = 120;
    let lifted = judge(&with_gap(120, 50), &compile(strict)).decision;
    assert_eq!(lifted.status, Status::Review, "{lifted:#?}");
    assert!(lifted.has(Code::Gap) && !lifted.has(Code::TooFast), "{lifted:#?}");
    assert!(lifted.points > 0, "points are held for the reviewer");
    // Most of the ride unrecorded leaves too little to judge.
    let duration_s = {
        let trace = honest();
        (trace.fixes.last().unwrap().t_ms.unwrap() - trace.fixes[0].t_ms.unwrap()) / 1000
    };
    let silent = judge(&with_gap(duration_s * 11 / 20, duration_s * 11 / 20), &campaign).decision;
    assert_eq!(silent.status, Status::Review, "{silent:#?}");
    assert!(silent.has(Code::Gap));
}

#[test]
fn teleport_by_distance_and_by_speed() {
    let jumped = |metres: f64| teleport(&honest(), 0.3, 0.6, metres, 0.0);
    let campaign = compile(bike_campaign());
    assert!(!judge(&jumped(230.0), &campaign).decision.has(Code::Teleport));
    assert_rejected_for(&judge(&jumped(270.0), &campaign).decision, Code::Teleport);
    // A 400 m jump within one second is ~1,440 km/h.
    let with_speed = |kmh: f64| {
        let mut spec = bike_campaign();
        spec.thresholds.teleport_speed_kmh = kmh;
        judge(&jumped(400.0), &compile(spec)).decision
    };
    assert!(!with_speed(1_600.0).has(Code::Teleport));
    assert_rejected_for(&with_speed(1_300.0), Code::Teleport);
}

#[test]
fn an_isolated_spike_is_cleaned_not_punished() {
    let mut trace = honest();
    let middle = trace.fixes.len() / 2;
    let fix = &mut trace.fixes[middle];
    (fix.lat, fix.lon) = offset((fix.lat, fix.lon), 800.0, 0.0);
    let decision = judge(&trace, &compile(bike_campaign())).decision;
    assert_accepted(&decision);
    assert_eq!(decision.fixes_dropped, 1);
}

#[test]
fn inaccurate_fixes_are_dropped_before_checking() {
    let mut trace = honest();
    for (i, fix) in trace.fixes.iter_mut().enumerate() {
        fix.accuracy_m = Some(if i % 3 == 0 { 80.0 } else { 8.0 });
    }
    let decision = judge(&trace, &compile(bike_campaign())).decision;
    assert_accepted(&decision);
    assert_eq!(decision.fixes_dropped, trace.fixes.len().div_ceil(3));
    for fix in &mut trace.fixes {
        fix.accuracy_m = Some(51.0);
    }
    assert_rejected_for(&judge(&trace, &compile(bike_campaign())).decision, Code::TooShort);
}

#[test]
fn outside_the_campaign_area() {
    // The first leg of the route (≈ 27 % of it) lies south of 51.150.
    let with = |max_fraction: f64| {
        let mut spec = bike_campaign();
        let area = spec.zones.features.iter_mut().find(|f| f.property("role").unwrap() == "campaign_area").unwrap();
        area.geometry = Some(geojson::Geometry::new(geojson::GeometryValue::new_polygon(vec![vec![
            vec![4.93, 51.150],
            vec![5.05, 51.150],
            vec![5.05, 51.20],
            vec![4.93, 51.20],
            vec![4.93, 51.150],
        ]])));
        spec.thresholds.max_outside_fraction = max_fraction;
        judge(&honest(), &compile(spec)).decision
    };
    assert_accepted(&with(0.35));
    assert_rejected_for(&with(0.10), Code::OutsideArea);
}

#[test]
fn through_an_excluded_zone() {
    let with_excluded = |min_lat: f64| {
        let mut spec = bike_campaign();
        let excluded = spec.zones.features.iter_mut().find(|f| f.property("role").unwrap() == "excluded").unwrap();
        excluded.geometry = Some(geojson::Geometry::new(geojson::GeometryValue::new_polygon(vec![vec![
            vec![4.93, min_lat],
            vec![5.05, min_lat],
            vec![5.05, min_lat + 0.002],
            vec![4.93, min_lat + 0.002],
            vec![4.93, min_lat],
        ]])));
        judge(&honest(), &compile(spec)).decision
    };
    assert_accepted(&with_excluded(51.135)); // 1 km south of the start
    let decision = with_excluded(51.152); // across the route
    assert_rejected_for(&decision, Code::OutsideArea);
    assert!(decision.reasons[0].message.contains("E313 motorway"), "{decision:#?}");
}

#[test]
fn not_to_school() {
    let campaign = compile(bike_campaign());
    let morning = at("2026-11-24T08:30:00+01:00");
    let ride_to = |end: (f64, f64)| {
        let start = offset(end, -2000.0, -1500.0);
        let trace = Simulator::new(1).ride(&Route::new(&[start, end]), school_morning(), &Profile::exact(4.5));
        judge(&ending_at(&trace, morning), &campaign).decision
    };
    assert_accepted(&ride_to(offset(demo::SCHOOL, 60.0, 60.0)));
    assert_rejected_for(&ride_to(offset(demo::SCHOOL, 600.0, 0.0)), Code::NotToSchool);

    // Home → school in the afternoon window (from school) does not count; school → home does.
    let afternoon = at("2026-11-24T15:30:00+01:00");
    let there = exact_ride(BIKE_KMH, afternoon);
    assert_rejected_for(&judge(&there, &campaign).decision, Code::NotToSchool);
    let back = Simulator::new(1).ride(&demo::home_to_school().reversed(), afternoon, &Profile::exact(4.5));
    assert_accepted(&judge(&back, &campaign).decision);
}

#[test]
fn not_to_school_when_the_detour_is_too_long() {
    // 1 km south of school, then 1.5 km east, 1 km north and 1.5 km back west: 4 km for 1 km.
    let home = offset(demo::SCHOOL, -1000.0, 0.0);
    let detour = Route::new(&[home, offset(home, 0.0, 1500.0), offset(demo::SCHOOL, 0.0, 1500.0), demo::SCHOOL]);
    let trace = Simulator::new(1).ride(&detour, school_morning(), &Profile::exact(4.5));
    let with = |max_ratio: f64| {
        let mut spec = bike_campaign();
        spec.thresholds.max_detour_ratio = max_ratio;
        judge(&trace, &compile(spec)).decision
    };
    assert_accepted(&with(4.2));
    let decision = with(3.8);
    assert_rejected_for(&decision, Code::NotToSchool);
    assert!(decision.reasons[0].message.contains("times the direct distance"), "{decision:#?}");
}

#[test]
fn outside_the_time_window() {
    let campaign = compile(bike_campaign());
    // To-school windows are judged on the arrival time: 07:00–09:00.
    assert_accepted(&judge(&ending_at(&honest(), at("2026-11-24T08:59:00+01:00")), &campaign).decision);
    let late = judge(&ending_at(&honest(), at("2026-11-24T09:01:00+01:00")), &campaign).decision;
    assert_rejected_for(&late, Code::OutsideTimeWindow);
    assert!(late.reasons[0].message.contains("07:00–09:00"), "{late:#?}");
    let sunday = judge(&ending_at(&honest(), at("2026-11-29T08:30:00+01:00")), &campaign).decision;
    assert_rejected_for(&sunday, Code::OutsideTimeWindow);
}

#[test]
fn windows_follow_daylight_saving_time() {
    let campaign = compile(bike_campaign());
    let arriving = |utc: &str| judge(&ending_at(&honest(), at(utc)), &campaign).decision;
    // 07:30 UTC is 08:30 in winter (CET) but 09:30 in summer (CEST).
    assert_accepted(&arriving("2026-11-24T07:30:00Z"));
    assert_rejected_for(&arriving("2027-06-01T07:30:00Z"), Code::OutsideTimeWindow);
    // 06:30 UTC is 07:30 in winter and 08:30 in summer: both count.
    assert_accepted(&arriving("2026-11-24T06:30:00Z"));
    assert_accepted(&arriving("2027-06-01T06:30:00Z"));
}

#[test]
fn not_a_school_day() {
    let campaign = compile(bike_campaign());
    let on = |day: &str| judge(&ending_at(&honest(), at(&format!("{day}T08:30:00+01:00"))), &campaign).decision;
    assert_accepted(&on("2026-11-10"));
    assert_rejected_for(&on("2026-11-11"), Code::NotSchoolDay);
    assert_accepted(&on("2026-11-12"));
    assert_accepted(&on("2026-12-18")); // the Friday before the Christmas holidays
    let holiday = on("2026-12-21");
    assert_rejected_for(&holiday, Code::NotSchoolDay);
    assert!(holiday.reasons[0].message.contains("Christmas"), "{holiday:#?}");
    assert_rejected_for(&on("2027-01-01"), Code::NotSchoolDay);
    assert_accepted(&on("2027-01-04"));
}

#[test]
fn outside_the_campaign_period() {
    let campaign = compile(bike_campaign());
    let on = |day: &str| judge(&ending_at(&honest(), at(&format!("{day}T08:30:00+02:00"))), &campaign).decision;
    assert_rejected_for(&on("2026-08-31"), Code::OutsideCampaignPeriod);
    assert_accepted(&on("2026-09-01"));
    assert_accepted(&on("2027-06-30"));
    assert_rejected_for(&on("2027-07-01"), Code::OutsideCampaignPeriod);
}

fn prior(raw: &RawTrace, campaign: &smartville_scoring::CompiledCampaign, own: bool) -> PriorTrace {
    PriorTrace { own, fingerprint: judge(raw, campaign).fingerprint }
}

fn history_with(traces: Vec<PriorTrace>) -> History {
    History { earlier_traces: traces, ..History::fresh(100_000) }
}

#[test]
fn duplicate_of_ones_own_ride() {
    let campaign = compile(bike_campaign());
    let ride = realistic_ride(&demo::home_to_school(), school_morning(), 11);
    assert_accepted(&judge_with(&ride, &campaign, &history_with(vec![])).decision);
    let own = history_with(vec![prior(&ride, &campaign, true)]);
    assert_rejected_for(&judge_with(&ride, &campaign, &own).decision, Code::Duplicate);
    // The same file from someone else is a copy.
    let theirs = history_with(vec![prior(&ride, &campaign, false)]);
    assert_rejected_for(&judge_with(&ride, &campaign, &theirs).decision, Code::Replay);
}

#[test]
fn replays_are_caught_shifted_jittered_or_by_another_account() {
    let campaign = compile(bike_campaign());
    let original = realistic_ride(&demo::home_to_school(), school_morning(), 12);
    let week = Duration::days(7).num_milliseconds();
    for (own, shift_ms, jitter_m) in [(true, week, 0.0), (true, week, 8.0), (false, 86_400_000, 8.0), (false, 0, 8.0)] {
        let cheat = replay(&original, shift_ms, jitter_m, 99);
        let history = history_with(vec![prior(&original, &campaign, own)]);
        let decision = judge_with(&cheat, &campaign, &history).decision;
        assert_rejected_for(&decision, Code::Replay);
    }
}

#[test]
fn replay_matching_stops_between_same_street_and_parallel_street() {
    let campaign = compile(bike_campaign());
    let original = realistic_ride(&demo::home_to_school(), school_morning(), 13);
    let history = history_with(vec![prior(&original, &campaign, false)]);
    let moved = |metres: f64| {
        let mut trace = replay(&original, 86_400_000, 0.0, 0);
        for fix in &mut trace.fixes {
            (fix.lat, fix.lon) = offset((fix.lat, fix.lon), metres, 0.0);
        }
        judge_with(&trace, &campaign, &history).decision
    };
    assert_rejected_for(&moved(15.0), Code::Replay);
    assert!(!moved(40.0).has(Code::Replay));
}

#[test]
fn friends_riding_together_and_daily_commutes_are_not_replays() {
    let campaign = compile(bike_campaign());
    let route = demo::home_to_school();
    let mine = realistic_ride(&route, school_morning(), 21);
    let friend = realistic_ride(&route, school_morning() + Duration::milliseconds(1_300), 22);
    let history = history_with(vec![prior(&friend, &campaign, false)]);
    assert_accepted(&judge_with(&mine, &campaign, &history).decision);
    // The same student, the same route, the next school day.
    let yesterday = realistic_ride(&route, school_morning() - Duration::days(1), 23);
    let history = history_with(vec![prior(&yesterday, &campaign, true)]);
    assert_accepted(&judge_with(&mine, &campaign, &history).decision);
}

#[test]
fn overlapping_ride() {
    let campaign = compile(bike_campaign());
    let trace = validated(honest());
    let (start, end) = (trace.started_at_ms(), trace.ended_at_ms());
    let with_ride = |started_at_ms, ended_at_ms| {
        let history = History {
            recent_rides: vec![PriorRide { started_at_ms, ended_at_ms, points: 20 }],
            ..History::fresh(100_000)
        };
        judge_with(&honest(), &campaign, &history).decision
    };
    assert_accepted(&with_ride(start - 900_000, start - 1_000));
    assert_rejected_for(&with_ride(start - 900_000, start + 1_000), Code::OverlappingRide);
    assert_accepted(&with_ride(end + 1_000, end + 600_000));
    assert_rejected_for(&with_ride(end - 1_000, end + 600_000), Code::OverlappingRide);
}

/// The honest ride judged after `rides` earlier rides of `points` each, all
/// `hours_before` the ride.
fn after_rides(
    spec: smartville_scoring::CampaignSpec,
    rides: usize,
    points: u64,
    hours_before: i64,
) -> smartville_scoring::Decision {
    let start = school_morning().timestamp_millis() - hours_before * 3_600_000;
    let recent_rides = (0..rides as i64)
        .map(|i| PriorRide { started_at_ms: start + i * 60_000, ended_at_ms: start + i * 60_000 + 30_000, points })
        .collect();
    let history = History { recent_rides, ..History::fresh(100_000) };
    judge_with(&honest(), &compile(spec), &history).decision
}

#[test]
fn daily_cap_on_rides() {
    let mut spec = bike_campaign();
    spec.caps.rides_per_day = Some(2);
    spec.caps.points_per_day = None;
    assert_accepted(&after_rides(spec.clone(), 1, 10, 1));
    assert_rejected_for(&after_rides(spec.clone(), 2, 10, 1), Code::DailyCapReached);
    // Rides of yesterday evening do not count today (07:45 − 9 h = 22:45 the day before).
    assert_accepted(&after_rides(spec, 2, 10, 9));
}

#[test]
fn daily_cap_on_points() {
    let mut spec = bike_campaign();
    spec.caps.rides_per_day = None;
    spec.caps.points_per_day = Some(60);
    let earned = judge(&honest(), &compile(spec.clone())).decision.points;
    assert_eq!(after_rides(spec.clone(), 1, 60 - earned, 1).points, earned);
    let reduced = after_rides(spec.clone(), 1, 60 - earned + 5, 1);
    assert_eq!((reduced.status, reduced.points), (Status::Accepted, earned - 5));
    assert!(reduced.reasons.iter().any(|r| r.code == Code::DailyCapReached && r.effect == Effect::Reduce));
    assert_rejected_for(&after_rides(spec, 1, 60, 1), Code::DailyCapReached);
}

#[test]
fn weekly_cap() {
    let mut spec = bike_campaign();
    spec.caps = smartville_scoring::Caps { points_per_week: Some(250), ..Default::default() };
    let earned = judge(&honest(), &compile(spec.clone())).decision.points;
    // Tuesday 07:45 minus 24 h: Monday, the same ISO week.
    let reduced = after_rides(spec.clone(), 1, 250 - earned + 3, 24);
    assert_eq!(reduced.points, earned - 3);
    assert!(reduced.has(Code::WeeklyCapReached));
    assert_rejected_for(&after_rides(spec.clone(), 1, 250, 24), Code::WeeklyCapReached);
    // Minus 48 h: Sunday, the week before.
    assert_eq!(after_rides(spec, 1, 250, 48).points, earned);
}

#[test]
fn monthly_cap() {
    let mut spec = bike_campaign();
    spec.caps = smartville_scoring::Caps { points_per_month: Some(400), ..Default::default() };
    let campaign = compile(spec.clone());
    let earned = judge(&honest(), &campaign).decision.points;
    // Tuesday 24 November minus ten days: the 14th, the same month.
    let reduced = after_rides(spec.clone(), 1, 400 - earned + 3, 10 * 24);
    assert_eq!(reduced.points, earned - 3);
    assert!(reduced.has(Code::MonthlyCapReached) && !reduced.has(Code::WeeklyCapReached));
    assert_rejected_for(&after_rides(spec.clone(), 1, 400, 10 * 24), Code::MonthlyCapReached);
    // Minus thirty days: 25 October, the month before.
    assert_eq!(after_rides(spec, 1, 400, 30 * 24).points, earned);
    // The history a ride needs reaches back to the first of its month.
    let start = school_morning().timestamp_millis();
    let first_of_november = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00+01:00").unwrap();
    assert!(campaign.history_since(start) <= first_of_november.timestamp_millis());
    let without_cap = compile(bike_campaign());
    assert_eq!(without_cap.history_since(start), start - smartville_scoring::history::RECENT_RIDES_WINDOW_MS);
}

#[test]
fn multipliers_raise_points_before_the_caps() {
    let multiplier = |name: &str, factor: f64, from: &str, until: &str| smartville_scoring::Multiplier {
        name: name.into(),
        factor,
        from: from.parse().unwrap(),
        until: until.parse().unwrap(),
    };
    let with = |multipliers: Vec<smartville_scoring::Multiplier>, points_per_day: Option<u64>| {
        let mut spec = bike_campaign();
        spec.multipliers = multipliers;
        spec.caps = smartville_scoring::Caps { points_per_day, ..Default::default() };
        judge(&honest(), &compile(spec)).decision
    };
    let plain = with(vec![], None);
    // The ride starts at 07:45 local time on Tuesday 24 November.
    let week = multiplier("Mobility week", 2.0, "2026-11-23T00:00:00", "2026-11-30T00:00:00");
    let rainy = multiplier("Rainy morning", 1.5, "2026-11-24T07:00:00", "2026-11-24T09:00:00");
    let doubled = with(vec![week.clone()], None);
    assert_eq!((doubled.status, doubled.points), (Status::Accepted, 2 * plain.points));
    let bonus = doubled.reasons.iter().find(|r| r.code == Code::Multiplied).unwrap();
    assert_eq!((bonus.effect, bonus.message.as_str()), (Effect::Increase, "Mobility week: points ×2."));
    // Of two in force, the larger applies; they never stack.
    assert_eq!(with(vec![rainy.clone(), week.clone()], None).points, 2 * plain.points);
    assert_eq!(with(vec![rainy], None).points, plain.points * 3 / 2);
    // Not in force at the ride's start: nothing changes.
    let later = multiplier("Next week", 2.0, "2026-11-30T00:00:00", "2026-12-07T00:00:00");
    assert_eq!(with(vec![later], None), plain);
    // The caps come after the bonus.
    let capped = with(vec![week], Some(plain.points + 1));
    assert_eq!(capped.points, plain.points + 1);
    assert!(capped.has(Code::Multiplied) && capped.has(Code::DailyCapReached));
}

#[test]
fn impossible_multipliers_are_named_at_their_field() {
    let mut file: serde_json::Value = serde_json::to_value(bike_campaign()).unwrap();
    file["multipliers"] = serde_json::json!([
        {"name": "Free points", "factor": 0.0, "from": "2026-11-23T00:00:00", "until": "2026-11-24T00:00:00"},
        {"name": "Backwards", "factor": 2.0, "from": "2026-11-24T00:00:00", "until": "2026-11-23T00:00:00"},
        {"name": "Jackpot", "factor": 11.0, "from": "2026-11-23T00:00:00", "until": "2026-11-24T00:00:00"}
    ]);
    let fields: Vec<String> = smartville_scoring::CampaignSpec::problems_of(file.to_string().as_bytes())
        .iter()
        .map(smartville_scoring::CampaignError::field)
        .collect();
    assert_eq!(fields, ["multipliers[0].factor", "multipliers[1].until", "multipliers[2].factor"]);
}

#[test]
fn campaign_cap_and_budget() {
    let mut spec = bike_campaign();
    spec.caps.points_per_campaign = Some(5_000);
    let campaign = compile(spec);
    let earned = judge(&honest(), &campaign).decision.points;
    let with = |points_in_campaign: u64, budget_remaining: u64| {
        judge_with(&honest(), &campaign, &History { points_in_campaign, budget_remaining, ..History::default() })
            .decision
    };
    assert_eq!(with(5_000 - earned, 100_000).points, earned);
    let reduced = with(5_000 - earned + 4, 100_000);
    assert!(reduced.has(Code::CampaignCapReached) && reduced.points == earned - 4);
    assert_rejected_for(&with(5_000, 100_000), Code::CampaignCapReached);

    assert_eq!(with(0, earned).points, earned);
    let reduced = with(0, earned - 1);
    assert!(reduced.has(Code::BudgetExhausted) && reduced.points == earned - 1);
    assert_rejected_for(&with(0, 0), Code::BudgetExhausted);
}

#[test]
fn distance_cap() {
    let with = |max_km: f64| {
        let mut spec = bike_campaign();
        spec.reward.max_km_per_ride = Some(max_km);
        judge(&honest(), &compile(spec)).decision
    };
    let uncapped = with(3.0);
    assert!(!uncapped.has(Code::DistanceCapped));
    let capped = with(2.0);
    assert!(capped.has(Code::DistanceCapped), "{capped:#?}");
    assert_eq!((capped.status, capped.points), (Status::Accepted, 10 + 5 * 2));
}

#[test]
fn a_reviewer_sees_the_path_without_its_first_and_last_200_m() {
    use geo::{Distance, Haversine, Point};
    let trace = validated(honest());
    let campaign = compile(bike_campaign());
    let path = smartville_scoring::Ride::prepare(&trace, &campaign).path_without_ends();
    let (first, last) = (trace.fixes().first().unwrap(), trace.fixes().last().unwrap());
    assert!(path.len() > 10, "most of a 3 km ride is shown");
    for [lon, lat] in &path {
        let at = Point::new(*lon, *lat);
        assert!(Haversine.distance(Point::new(first.lon, first.lat), at) >= 195.0);
        assert!(Haversine.distance(Point::new(last.lon, last.lat), at) >= 195.0);
    }
}

#[test]
fn a_heat_map_counts_the_cells_ridden_through_but_neither_end() {
    use h3o::{CellIndex, LatLng};
    let trace = validated(honest());
    let campaign = compile(bike_campaign());
    let cells = smartville_scoring::Ride::prepare(&trace, &campaign).cells_without_ends();
    let (first, last) = (trace.fixes().first().unwrap(), trace.fixes().last().unwrap());
    let end_cell = |lat, lon| LatLng::new(lat, lon).unwrap().to_cell(smartville_scoring::HEAT_MAP_RESOLUTION);
    let spared: Vec<u64> = [end_cell(first.lat, first.lon), end_cell(last.lat, last.lon)]
        .into_iter()
        .flat_map(|end| end.grid_disk::<Vec<CellIndex>>(1))
        .map(u64::from)
        .collect();
    assert!(cells.len() >= 3, "a 3 km ride crosses several cells beyond its ends: {cells:?}");
    assert!(cells.iter().all(|cell| !spared.contains(cell)), "an end's cell or its neighbours shown");
    assert!(cells.windows(2).all(|pair| pair[0] < pair[1]), "sorted, each once");
}
