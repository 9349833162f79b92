//! The checks, in the order a ride flows through them, and the points.
//!
//! Every check that can run does run, so a student sees all that was wrong
//! with a ride at once; points are only computed for a ride nothing rejected.

use chrono::{Datelike, IsoWeek, NaiveDateTime};
use h3o::{CellIndex, LatLng, Resolution};

use crate::calendar::{CalendarVerdict, Direction, Window};
use crate::campaign::{CompiledCampaign, Strictness};
use crate::decision::{Decision, Effect, Reason, ReasonCode, Status};
use crate::fingerprint::Fingerprint;
use crate::history::History;
use crate::trace::{Activity, Trace};
use crate::track::{Track, TrackLimits, TrackPoint};
use crate::zones::ZoneRole;

/// Spacing (metres) of the fixes the area checks look at: below GPS error,
/// so nothing that matters is skipped.
pub const AREA_SAMPLE_M: f64 = 25.0;
/// How close to its end (or start) a school run must touch the school zone.
pub const SCHOOL_REACH_M: f64 = 150.0;
/// Two traces starting within this time of each other were recorded together.
pub const SAME_TIME_MS: i64 = 120_000;

/// The full result: the decision, and the fingerprint the caller stores.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// What happened to the ride and why.
    pub decision: Decision,
    /// To be stored and passed back in later [`History::earlier_traces`].
    pub fingerprint: Fingerprint,
}

/// Judges one ride. Pure and deterministic: the same inputs give the same result.
///
/// Shorthand for [`Ride::prepare`] then [`Ride::decide`], for callers that
/// know the history up front.
pub fn assess(trace: &Trace, campaign: &CompiledCampaign, history: &History) -> Assessment {
    let ride = Ride::prepare(trace, campaign);
    Assessment { decision: ride.decide(history), fingerprint: ride.fingerprint }
}

/// Resolution of the cells [`Ride::cells_without_ends`] names: about 0.1 km²,
/// a few streets.
pub const HEAT_MAP_RESOLUTION: Resolution = Resolution::Nine;
/// Spacing along the ride of the positions whose cells are taken: under a
/// cell's edge (about 174 m), so a street through a cell is not missed (a
/// corner clipped for a few metres may be: no matter on a heat map). A cell
/// costs about half a microsecond to find: this keeps a 7 km ride's cells
/// near 40 µs.
const CELL_SAMPLE_M: f64 = 100.0;

/// A ride cleaned and measured, waiting for its history.
///
/// A service needs the fingerprint (its area cell) to look up the earlier
/// traces it must be compared with; preparing first means that lookup costs
/// no second pass over the fixes.
pub struct Ride<'a> {
    trace: &'a Trace,
    campaign: &'a CompiledCampaign,
    track: Track<'a>,
    fingerprint: Fingerprint,
}

impl<'a> Ride<'a> {
    /// Cleans and measures the ride and computes its fingerprint.
    pub fn prepare(trace: &'a Trace, campaign: &'a CompiledCampaign) -> Self {
        let thresholds = &campaign.spec.thresholds;
        let track = Track::build(
            trace,
            &TrackLimits {
                max_accuracy_m: thresholds.max_accuracy_m,
                teleport_speed_mps: thresholds.teleport_speed_kmh / 3.6,
                max_speed_mps: campaign.max_speed_mps,
                max_gap_ms: thresholds.max_gap_s * 1000,
            },
        );
        let fingerprint = Fingerprint::compute(trace, &track);
        Self { trace, campaign, track, fingerprint }
    }

    /// The fingerprint to store, and to find earlier traces by.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The ride's path as `[lon, lat]` positions (GeoJSON order) of its kept
    /// fixes, without its first and last [`TRIM_M`](crate::fingerprint::TRIM_M)
    /// (straight line): what a reviewer is shown, never where a child lives.
    pub fn path_without_ends(&self) -> Vec<[f64; 2]> {
        crate::fingerprint::without_ends(&self.track).iter().map(|p| [p.lon, p.lat]).collect()
    }

    /// The H3 cells (resolution 9, about 0.1 km² each) the ride passed
    /// through, sorted: what a public heat map may count. Neither end shows:
    /// positions within [`TRIM_M`](crate::fingerprint::TRIM_M) of the start or
    /// the end are left out, and so are the cells of the first and last fix
    /// and the cells around them (about 500 m across), so a home or a school
    /// is never one of them.
    pub fn cells_without_ends(&self) -> Vec<u64> {
        let cell_of = |lat: f64, lon: f64| LatLng::new(lat, lon).ok().map(|at| at.to_cell(HEAT_MAP_RESOLUTION));
        let (Some(first), Some(last)) = (self.track.points.first(), self.track.points.last()) else {
            return Vec::new();
        };
        let spared: Vec<CellIndex> = [first, last]
            .into_iter()
            .filter_map(|end| cell_of(end.lat, end.lon))
            .flat_map(|end| end.grid_disk::<Vec<_>>(1))
            .collect();
        let mut next_along = f64::NEG_INFINITY;
        let mut cells: Vec<u64> = Vec::new();
        for point in crate::fingerprint::without_ends(&self.track) {
            if point.along_m < next_along {
                continue;
            }
            next_along = point.along_m + CELL_SAMPLE_M;
            if let Some(cell) = cell_of(point.lat, point.lon).filter(|cell| !spared.contains(cell)) {
                cells.push(u64::from(cell));
            }
        }
        cells.sort_unstable();
        cells.dedup();
        cells
    }

    /// Runs every check and computes the points against `history`.
    pub fn decide(&self, history: &History) -> Decision {
        let (trace, campaign, track) = (self.trace, self.campaign, &self.track);
        let mut reasons = Reasons::default();
        if trace.mock_location() {
            reasons.reject(ReasonCode::MockLocation, "The phone reported simulated (mock) locations.".into());
        }
        check_motion(track, campaign, &Evidence::of(trace, campaign), &mut reasons);
        let start = check_calendar_and_places(trace, track, campaign, &mut reasons);
        check_history(trace, &self.fingerprint, history, &mut reasons);

        let points = if reasons.rejected() { 0 } else { pay(track, campaign, history, start, &mut reasons) };
        let status = if reasons.rejected() {
            Status::Rejected
        } else if reasons.0.iter().any(|r| r.effect == Effect::Review) {
            Status::Review
        } else {
            Status::Accepted
        };
        let mut reasons = reasons.0;
        reasons.sort_by_key(|r| r.effect as u8);
        Decision {
            status,
            points,
            distance_m: track.distance_m.round() as u64,
            duration_s: ((track.ended_at_ms() - track.started_at_ms()) / 1000) as u64,
            moving_time_s: (track.moving_ms / 1000) as u64,
            average_speed_kmh: (track.moving_speed_mps() * 36.0).round() / 10.0,
            fixes_received: trace.fixes().len(),
            fixes_dropped: track.dropped,
            reasons,
        }
    }
}

#[derive(Default)]
struct Reasons(Vec<Reason>);

impl Reasons {
    fn push(&mut self, code: ReasonCode, effect: Effect, message: String) {
        self.0.push(Reason { code, effect, message });
    }
    fn reject(&mut self, code: ReasonCode, message: String) {
        self.push(code, Effect::Reject, message);
    }
    fn rejected(&self) -> bool {
        self.0.iter().any(|r| r.effect == Effect::Reject)
    }
}

fn kmh(mps: f64) -> f64 {
    (mps * 36.0).round() / 10.0
}

/// What the phone's activity recognition says about the ride, for the
/// campaign's modes (see `trace::activity`).
struct Evidence {
    /// Share of the ride recognised as one of the campaign's modes.
    supports: f64,
    /// Share of the ride recognised as something else, and the commonest such activity.
    against: f64,
    against_activity: Activity,
}

impl Evidence {
    fn of(trace: &Trace, campaign: &CompiledCampaign) -> Self {
        let shares = trace.activity_shares();
        let fits = |activity: Activity| campaign.spec.modes.iter().any(|m| m.recognised_as().contains(&activity));
        let moving = [Activity::OnBicycle, Activity::OnFoot, Activity::Running, Activity::InVehicle];
        let supports = moving.iter().filter(|a| fits(**a)).map(|a| shares.of(*a)).sum();
        let against_each = moving.iter().filter(|a| !fits(**a)).map(|a| (*a, shares.of(*a)));
        let against = against_each.clone().map(|(_, share)| share).sum();
        let against_activity =
            against_each.max_by(|a, b| a.1.total_cmp(&b.1)).map_or(Activity::Unknown, |(activity, _)| activity);
        Self { supports, against, against_activity }
    }

    /// The speed below which a ride is too slow: the modes' minimum, or less
    /// when the phone recognised the campaign's mode for most of the ride (a
    /// child pushing uphill). The motion still has to show a ride.
    fn slowest_mps(&self, campaign: &CompiledCampaign) -> f64 {
        if self.supports >= MOST_OF_THE_RIDE {
            SUPPORTED_SLOW_FACTOR * campaign.min_speed_mps
        } else {
            campaign.min_speed_mps
        }
    }
}

/// Share of a ride that is "most of it" for the phone's activity recognition.
pub const MOST_OF_THE_RIDE: f64 = 0.5;
/// How much slower than the modes' minimum a ride may be when the phone
/// recognised the campaign's mode for most of it.
pub const SUPPORTED_SLOW_FACTOR: f64 = 0.75;

fn activity_name(activity: Activity) -> &'static str {
    match activity {
        Activity::OnBicycle => "cycling",
        Activity::OnFoot => "walking",
        Activity::Running => "running",
        Activity::InVehicle => "travel in a vehicle",
        Activity::Still => "standing still",
        Activity::Unknown => "unknown",
    }
}

/// The phone's activity recognition against the campaign's modes: most of
/// the ride recognised as something else rejects it, a good part sends it to
/// review. Evidence that can only hurt its sender is safe to trust; evidence
/// that helps (see [`Evidence::slowest_mps`]) only ever relaxes a limit.
fn check_activity(evidence: &Evidence, strictness: Strictness, reasons: &mut Reasons) {
    let message = |verdict: &str| {
        format!(
            "The phone recognised {} for {:.0} % of the ride, not a mode of this campaign; {verdict}",
            activity_name(evidence.against_activity),
            evidence.against * 100.0
        )
    };
    if evidence.against >= strictness.activity_reject_share() {
        reasons.reject(ReasonCode::ActivityMismatch, message("the ride does not count."));
    } else if evidence.against >= strictness.activity_review_share() {
        reasons.push(ReasonCode::ActivityMismatch, Effect::Review, message("the ride will be checked by hand."));
    }
}

fn check_motion(track: &Track, campaign: &CompiledCampaign, evidence: &Evidence, reasons: &mut Reasons) {
    let (t, strictness) = (&campaign.spec.thresholds, campaign.spec.strictness);
    check_activity(evidence, strictness, reasons);
    if track.points.len() < 2 {
        reasons.reject(
            ReasonCode::TooShort,
            format!(
                "Only {} usable GPS fixes remain after dropping inaccurate ones: location accuracy was poor. \
                 Next time keep the phone where it sees the sky, not deep in a bag.",
                track.points.len()
            ),
        );
        return;
    }
    let duration_s = (track.ended_at_ms() - track.started_at_ms()) / 1000;
    if track.distance_m < t.min_distance_m {
        reasons.reject(
            ReasonCode::TooShort,
            format!("The ride covers {:.0} m; at least {:.0} m is needed.", track.distance_m, t.min_distance_m),
        );
    } else if duration_s < t.min_duration_s {
        reasons.reject(
            ReasonCode::TooShort,
            format!("The ride lasts {duration_s} s; at least {} s is needed.", t.min_duration_s),
        );
    }
    if let Some(jump) = track.teleport {
        reasons.reject(
            ReasonCode::Teleport,
            format!(
                "The position jumped {:.0} m at {:.0} km/h between two fixes.",
                jump.distance_m,
                kmh(jump.speed_mps)
            ),
        );
    }
    let allowed_fast_ms = (t.fast_tolerance_s * 1000).max((t.fast_tolerance_share * track.moving_ms as f64) as i64);
    if track.over_speed_ms > allowed_fast_ms {
        let figures = format!(
            "The ride went faster than {} km/h for {} s of {} s moving (up to {} km/h); at most {} s or {:.0} % \
             is expected of a bike",
            kmh(campaign.max_speed_mps),
            track.over_speed_ms / 1000,
            track.moving_ms / 1000,
            kmh(track.top_sustained_mps),
            t.fast_tolerance_s,
            t.fast_tolerance_share * 100.0
        );
        // A little over the allowance is ambiguous (a long descent, a fast rider); far over it is not.
        if (track.over_speed_ms as f64) <= strictness.fast_review_up_to() * allowed_fast_ms as f64 {
            reasons.push(
                ReasonCode::TooFast,
                Effect::Review,
                format!("{figures}: a little more, so a person will check whether it was a bike."),
            );
        } else {
            reasons.reject(ReasonCode::TooFast, format!("{figures}: that is a motorised trip."));
        }
    }
    if track.over_speed_ms <= allowed_fast_ms {
        check_stop_and_go(track, campaign, strictness, reasons);
    }
    let speed = track.moving_speed_mps();
    let slowest = evidence.slowest_mps(campaign);
    if speed < slowest && track.distance_m > 0.0 {
        reasons.reject(
            ReasonCode::TooSlow,
            format!(
                "The average moving speed is {} km/h; at least {} km/h is expected for this campaign's modes.",
                kmh(speed),
                kmh(slowest)
            ),
        );
    } else if track.brisk_pace_mps > 0.0 && track.brisk_pace_mps < slowest {
        // A brisk walk that stops often, or whose fixes wander, can have a moving average
        // above a slow bike's, but it never gets anywhere at a bike's pace: on the labelled
        // set, walks keep their fastest minutes below 9 km/h whatever the sampling.
        reasons.reject(
            ReasonCode::TooSlow,
            format!(
                "The ride's fastest minutes got ahead at {} km/h; at least {} km/h is expected for this campaign's modes.",
                kmh(track.brisk_pace_mps),
                kmh(slowest)
            ),
        );
    }
    check_gaps(track, campaign, reasons);
}

/// Share of the modes' top speed from which a ride's brisk pace can be a
/// vehicle's burst between stops.
pub const BURST_SPEED_SHARE: f64 = 0.75;
/// How many times its typical pace a ride's brisk pace must be to go in bursts.
pub const BURST_RATIO: f64 = 1.6;

/// A bus or a car in town can average a bike's speed, but it gets there in
/// bursts: off from a stop or a light to near a bike's top speed and back to
/// a standstill, where a rider keeps a pace. On the labelled set, a brisk pace
/// (fastest tenth of minutes) at least [`BURST_RATIO`] times the typical
/// moving pace and near the top speed marks two in five of the motor trips
/// that pass every other check, and two bikes in 45 (mountain-bike and race
/// rides). That is doubt, not proof: a person looks, unless the campaign is strict.
fn check_stop_and_go(track: &Track, campaign: &CompiledCampaign, strictness: Strictness, reasons: &mut Reasons) {
    let (brisk, typical) = (track.brisk_pace_mps, track.typical_pace_mps);
    if typical <= 0.0 || brisk < BURST_SPEED_SHARE * campaign.max_speed_mps || brisk < BURST_RATIO * typical {
        return;
    }
    let figures = format!(
        "The ride went in bursts: its fastest minutes at {} km/h, {:.1} times its usual {} km/h, as a bus or \
         a car moves between stops",
        kmh(brisk),
        brisk / typical,
        kmh(typical)
    );
    if strictness.rejects_stop_and_go() {
        reasons.reject(ReasonCode::StopAndGo, format!("{figures}; the ride does not count."));
    } else {
        reasons.push(
            ReasonCode::StopAndGo,
            Effect::Review,
            format!("{figures}; a person will check whether it was a bike."),
        );
    }
}

/// Gaps (silences longer than the campaign's `max_gap_s`) are what a phone
/// in the background produces, so a gap alone says nothing. It goes to
/// review when the position moved across it faster than the campaign's modes
/// go (a lift in a car fits in a gap), or when most of the ride went
/// unrecorded (there is too little left to judge).
fn check_gaps(track: &Track, campaign: &CompiledCampaign, reasons: &mut Reasons) {
    let duration_ms = (track.ended_at_ms() - track.started_at_ms()).max(1);
    if let Some(gap) = track.fastest_gap.filter(|gap| gap.speed_mps() > campaign.max_speed_mps) {
        reasons.push(
            ReasonCode::Gap,
            Effect::Review,
            format!(
                "The recording stopped for {} s while the position moved {:.1} km ({} km/h, faster than a bike); \
                 the ride will be checked by hand. Keep the app open during the ride.",
                gap.duration_ms / 1000,
                gap.distance_m / 1000.0,
                kmh(gap.speed_mps())
            ),
        );
    } else if track.unobserved_ms as f64 > campaign.spec.strictness.unobserved_review_share() * duration_ms as f64 {
        reasons.push(
            ReasonCode::Gap,
            Effect::Review,
            format!(
                "The recording stopped for {} s of the ride's {} s, too much of it to judge; the ride will be \
                 checked by hand. Keep the app open during the ride.",
                track.unobserved_ms / 1000,
                duration_ms / 1000
            ),
        );
    }
}

/// The calendar, the area and the school checks. Returns the local day of the
/// ride for the caps.
fn check_calendar_and_places(
    trace: &Trace,
    track: &Track,
    campaign: &CompiledCampaign,
    reasons: &mut Reasons,
) -> NaiveDateTime {
    let spec = &campaign.spec;
    let start = campaign.calendar.local(trace.started_at_ms());
    let end = campaign.calendar.local(trace.ended_at_ms());
    let day = start.date();
    if day < spec.valid_from || day > spec.valid_until {
        reasons.reject(
            ReasonCode::OutsideCampaignPeriod,
            format!("The campaign runs from {} to {}; this ride is on {day}.", spec.valid_from, spec.valid_until),
        );
    }
    let zones = &campaign.zones;
    let mut samples = 0usize;
    let mut outside = 0usize;
    let mut excluded = None;
    let restricted = !zones.of(ZoneRole::CampaignArea).is_empty();
    for point in track.samples(AREA_SAMPLE_M) {
        samples += 1;
        if restricted && zones.find(ZoneRole::CampaignArea, point.lat, point.lon).is_none() {
            outside += 1;
        }
        if excluded.is_none() {
            excluded = zones.find(ZoneRole::Excluded, point.lat, point.lon);
        }
    }
    if let Some(zone) = excluded {
        reasons
            .reject(ReasonCode::OutsideArea, format!("The ride passes through the excluded zone \"{}\".", zone.name));
    }
    let outside_fraction = outside as f64 / samples.max(1) as f64;
    if outside_fraction > spec.thresholds.max_outside_fraction {
        reasons.reject(
            ReasonCode::OutsideArea,
            format!(
                "{:.0} % of the ride is outside the campaign area; at most {:.0} % may be.",
                outside_fraction * 100.0,
                spec.thresholds.max_outside_fraction * 100.0
            ),
        );
    }

    match campaign.calendar.place(start, end) {
        CalendarVerdict::NotSchoolDay(why) => {
            reasons.reject(ReasonCode::NotSchoolDay, format!("No rides count on this day: {why}."));
        }
        CalendarVerdict::OutsideWindows { weekday, windows } => {
            let list = windows.iter().map(|w| format!("{}–{}", w.from, w.until)).collect::<Vec<_>>().join(", ");
            let message = if list.is_empty() {
                format!("No rides count on {weekday}.")
            } else {
                format!(
                    "On {weekday} rides count {list}; this ride ran {}–{}.",
                    start.format("%H:%M"),
                    end.format("%H:%M")
                )
            };
            reasons.reject(ReasonCode::OutsideTimeWindow, message);
        }
        CalendarVerdict::InWindows(windows) => check_school_run(track, campaign, &windows, reasons),
    }
    start
}

/// A ride in a school window must end (to school) or start (from school) at a
/// school, and go there reasonably directly.
fn check_school_run(track: &Track, campaign: &CompiledCampaign, windows: &[&Window], reasons: &mut Reasons) {
    if windows.iter().any(|w| w.direction == Direction::Free) {
        return;
    }
    let wants = |direction| windows.iter().any(|w| w.direction == direction);
    let ends_at_school =
        wants(Direction::ToSchool) && touches_school(campaign, track.near_end(SCHOOL_REACH_M, AREA_SAMPLE_M));
    let starts_at_school =
        wants(Direction::FromSchool) && touches_school(campaign, track.near_start(SCHOOL_REACH_M, AREA_SAMPLE_M));
    if !ends_at_school && !starts_at_school {
        let message = match (wants(Direction::ToSchool), wants(Direction::FromSchool)) {
            (true, false) => "The ride does not end at a school, as rides in this time window must.",
            (false, true) => "The ride does not start at a school, as rides in this time window must.",
            _ => "The ride neither starts nor ends at a school, as rides in this time window must.",
        };
        reasons.reject(ReasonCode::NotToSchool, message.into());
        return;
    }
    let ratio = track.distance_m / track.displacement_m().max(1.0);
    let max_ratio = campaign.spec.thresholds.max_detour_ratio;
    if ratio > max_ratio {
        reasons.reject(
            ReasonCode::NotToSchool,
            format!("The ride is {ratio:.1} times the direct distance (at most {max_ratio:.1}): not a trip to or from school."),
        );
    }
}

fn touches_school<'a: 'b, 'b>(
    campaign: &CompiledCampaign,
    mut points: impl Iterator<Item = &'b TrackPoint<'a>>,
) -> bool {
    points.any(|p| campaign.zones.find(ZoneRole::School, p.lat, p.lon).is_some())
}

fn check_history(trace: &Trace, fingerprint: &Fingerprint, history: &History, reasons: &mut Reasons) {
    let (start, end) = (trace.started_at_ms(), trace.ended_at_ms());
    for prior in &history.earlier_traces {
        let earlier = &prior.fingerprint;
        if prior.own && earlier.content_hash == fingerprint.content_hash {
            reasons.reject(ReasonCode::Duplicate, "You already submitted this exact ride.".into());
            return;
        }
        let same_time = (earlier.started_at_ms - fingerprint.started_at_ms).abs() <= SAME_TIME_MS;
        let copied = earlier.content_hash == fingerprint.content_hash || earlier.timing_hash == fingerprint.timing_hash;
        if same_time && !prior.own && copied {
            reasons.reject(ReasonCode::Replay, "This trace is a copy of another participant's ride.".into());
            return;
        }
        if !same_time && (copied || fingerprint.same_shape(earlier)) {
            let when = chrono::DateTime::from_timestamp_millis(earlier.started_at_ms).unwrap_or_default();
            reasons.reject(
                ReasonCode::Replay,
                format!("This trace repeats a ride recorded on {}.", when.format("%Y-%m-%d %H:%M UTC")),
            );
            return;
        }
    }
    if history.recent_rides.iter().any(|r| r.started_at_ms < end && start < r.ended_at_ms) {
        reasons.reject(ReasonCode::OverlappingRide, "You have another ride at the same time.".into());
    }
}

/// Points for a valid ride started at `start` (local time), in this order:
/// the reward (per ride and per km, up to `max_km_per_ride`), times the
/// largest multiplier in force at the start (rounded down), then the caps —
/// rides per day, points per day, week, month and campaign — and the budget,
/// each lowering what is left.
fn pay(
    track: &Track,
    campaign: &CompiledCampaign,
    history: &History,
    start: NaiveDateTime,
    reasons: &mut Reasons,
) -> u64 {
    let spec = &campaign.spec;
    let (earned, shaping) = campaign.reward(track.distance_m, start);
    for (code, effect, message) in shaping {
        reasons.push(code, effect, message);
    }

    let day = start.date();
    let week: IsoWeek = day.iso_week();
    let (mut rides_today, mut points_today, mut points_this_week, mut points_this_month) = (0u32, 0u64, 0u64, 0u64);
    for ride in &history.recent_rides {
        let ride_day = campaign.calendar.local(ride.started_at_ms).date();
        if ride_day == day {
            rides_today += 1;
            points_today += ride.points;
        }
        if ride_day.iso_week() == week {
            points_this_week += ride.points;
        }
        if (ride_day.year(), ride_day.month()) == (day.year(), day.month()) {
            points_this_month += ride.points;
        }
    }
    let caps = &spec.caps;
    if let Some(max_rides) = caps.rides_per_day
        && rides_today >= max_rides
    {
        reasons.reject(
            ReasonCode::DailyCapReached,
            format!("You already have {rides_today} rides today; {max_rides} per day earn points."),
        );
        return 0;
    }
    let left = |cap: Option<u64>, used: u64| cap.map(|c| c.saturating_sub(used));
    let limits = [
        (left(caps.points_per_day, points_today), ReasonCode::DailyCapReached, "today's"),
        (left(caps.points_per_week, points_this_week), ReasonCode::WeeklyCapReached, "this week's"),
        (left(caps.points_per_month, points_this_month), ReasonCode::MonthlyCapReached, "this month's"),
        (left(caps.points_per_campaign, history.points_in_campaign), ReasonCode::CampaignCapReached, "the campaign's"),
        (Some(history.budget_remaining), ReasonCode::BudgetExhausted, "the campaign budget's"),
    ];
    let mut points = earned;
    for (remaining, code, which) in limits {
        let Some(remaining) = remaining else { continue };
        if points > remaining {
            points = remaining;
            if remaining == 0 {
                reasons.reject(code, format!("No points left under {which} limit."));
            } else {
                reasons.push(code, Effect::Reduce, format!("Points reduced to {remaining} by {which} limit."));
            }
        }
    }
    points
}
