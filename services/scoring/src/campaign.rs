//! Campaign rules as data, and their compiled form used for every ride.
//!
//! A [`CampaignSpec`] is what a council writes (JSON, kept in version control);
//! [`CampaignSpec::compile`] checks it once and builds what the hot path needs:
//! the time zone and calendar, zones as H3 cell sets with a raster prefilter,
//! and speed limits resolved from the allowed modes. Compiling is slow (tens of
//! milliseconds for a town); a [`CompiledCampaign`] is immutable and meant to be
//! cached and shared between threads.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, Schedule};
use crate::campaign_error::CampaignError;
use crate::decision::{Effect, ReasonCode};
use crate::trace::{Activity, TraceLimits};
use crate::zones::{ZoneRole, Zones};

/// A campaign's rules as configured by a council (OSLO: *Stimulansaanbod* with
/// its *CriteriumVereiste* and *Beloning*).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// Stable identifier chosen by the council, e.g. `geel-bike-to-school-2026`.
    pub id: String,
    /// Name shown to students.
    pub name: String,
    /// Free text for people reading the file.
    #[serde(default)]
    pub description: String,
    /// IANA time zone in which windows, days and weeks are counted (e.g. `Europe/Brussels`).
    pub time_zone: String,
    /// First local date on which rides count.
    pub valid_from: NaiveDate,
    /// Last local date on which rides count (inclusive).
    pub valid_until: NaiveDate,
    /// Total budget in points (OSLO *totaalWaarde*).
    pub budget_points: u64,
    /// When rides count: windows per weekday, non-school days and holidays.
    pub schedule: Schedule,
    /// GeoJSON FeatureCollection; each feature has `properties.role` of
    /// `school`, `campaign_area` or `excluded`, and optionally `properties.name`.
    pub zones: geojson::FeatureCollection,
    /// Modes of travel that earn points. Speed limits follow from them.
    #[serde(default = "default_modes")]
    pub modes: Vec<Mode>,
    /// Numeric thresholds of the checks.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// How points are earned.
    pub reward: Reward,
    /// Limits on what one participant may earn.
    #[serde(default)]
    pub caps: Caps,
    /// Bonuses (or maluses) the council declares for given hours or days:
    /// a mobility week, a rainy morning.
    #[serde(default)]
    pub multipliers: Vec<Multiplier>,
    /// Days a ride's raw GPS trace is kept after its decision, for disputes
    /// and review; afterwards only its fingerprint (without the ride's ends) remains.
    #[serde(default = "default_trace_retention_days")]
    pub trace_retention_days: u32,
    /// How much doubt goes to a person rather than to a verdict (see [`Strictness`]).
    #[serde(default)]
    pub strictness: Strictness,
    /// Days after its decision within which a student may appeal a rejected
    /// ride, once (0: no appeals).
    #[serde(default = "default_appeal_days")]
    pub appeal_days: u32,
    /// Grams of CO2 avoided per kilometre ridden instead of driven, for the
    /// reports (default [`DEFAULT_CO2_G_PER_KM`]; a council with its own figure sets it).
    #[serde(default = "default_co2_g_per_km")]
    pub co2_g_per_km: u32,
}

/// How strict a campaign is with rides the checks find doubtful. What is
/// clearly a ride of the campaign's modes is accepted and what clearly is not
/// is rejected at every level; the level moves the band in between, which
/// goes to review: a lenient campaign gives more rides the benefit of the
/// doubt (and its reviewers more work), a strict one rejects sooner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strictness {
    /// Doubtful rides are reviewed, and only strong doubt is doubtful.
    Lenient,
    /// The defaults of the reason-code table.
    #[default]
    Normal,
    /// Doubt rejects sooner and reaches review sooner.
    Strict,
}

impl Strictness {
    /// Time over the modes' top speed, as a multiple of the allowed time,
    /// up to which a ride goes to review instead of being rejected as
    /// motorised (1: none does; the allowance itself is the campaign's
    /// `fast_tolerance_s` and `fast_tolerance_share`).
    pub fn fast_review_up_to(self) -> f64 {
        match self {
            Self::Lenient => 2.0,
            Self::Normal | Self::Strict => 1.0,
        }
    }

    /// Share of the ride the phone recognised as another way of travelling that rejects it.
    pub fn activity_reject_share(self) -> f64 {
        match self {
            Self::Lenient => 0.6,
            Self::Normal => 0.5,
            Self::Strict => 0.4,
        }
    }

    /// Share of the ride the phone recognised as another way of travelling that sends it to review.
    pub fn activity_review_share(self) -> f64 {
        match self {
            Self::Lenient => 0.35,
            Self::Normal => 0.25,
            Self::Strict => 0.15,
        }
    }

    /// Whether a ride that goes in bursts like a vehicle between stops
    /// (`STOP_AND_GO`) is rejected rather than reviewed.
    pub fn rejects_stop_and_go(self) -> bool {
        self == Self::Strict
    }

    /// Share of the ride's time in gaps beyond which it goes to review.
    pub fn unobserved_review_share(self) -> f64 {
        match self {
            Self::Lenient => 0.6,
            Self::Normal => 0.5,
            Self::Strict => 0.35,
        }
    }
}

fn default_modes() -> Vec<Mode> {
    vec![Mode::Bike]
}

/// Two weeks to appeal a rejection: long enough for a holiday, short enough to remember the ride.
fn default_appeal_days() -> u32 {
    14
}

/// The CO2 a kilometre by bike or on foot avoids when a campaign names no
/// figure of its own: a cautious round figure for the tailpipe emissions of a
/// passenger car in real traffic (new cars are type-approved near 110–120 g/km
/// and emit more on the road; short, cold trips like school runs more still).
pub const DEFAULT_CO2_G_PER_KM: u32 = 150;

/// Most grams per kilometre a campaign may count (a heavy van emits about 300).
const MAX_CO2_G_PER_KM: u32 = 1000;

fn default_co2_g_per_km() -> u32 {
    DEFAULT_CO2_G_PER_KM
}

/// The dispute window when a campaign names none (DESIGN §6).
fn default_trace_retention_days() -> u32 {
    30
}

/// A mode of travel a campaign may reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// On foot.
    Walk,
    /// Ordinary bicycle.
    Bike,
    /// Electrically assisted bicycle, assistance up to 25 km/h.
    Pedelec,
    /// Speed pedelec, assistance up to 45 km/h.
    SpeedPedelec,
}

impl Mode {
    /// What a phone's activity recognition reports for a trip in this mode.
    pub fn recognised_as(self) -> &'static [Activity] {
        match self {
            Self::Walk => &[Activity::OnFoot, Activity::Running],
            Self::Bike | Self::Pedelec | Self::SpeedPedelec => &[Activity::OnBicycle],
        }
    }

    /// Average moving speed (km/h) below which a ride is too slow for this mode.
    pub fn min_speed_kmh(self) -> f64 {
        match self {
            Self::Walk => 2.0,
            Self::Bike => 8.0,
            Self::Pedelec => 10.0,
            Self::SpeedPedelec => 15.0,
        }
    }

    /// Highest speed (km/h) the mode sustains. Bike: e-mission's 8.5 m/s
    /// rounded down to 30 km/h; pedelec: 25 km/h assistance plus pedalling
    /// margin; speed pedelec: 45 km/h assistance plus margin.
    pub fn max_speed_kmh(self) -> f64 {
        match self {
            Self::Walk => 10.0,
            Self::Bike => 30.0,
            Self::Pedelec => 32.0,
            Self::SpeedPedelec => 50.0,
        }
    }
}

/// Numeric thresholds; every field has a field-tested default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Shortest ride (metres) that earns points.
    pub min_distance_m: f64,
    /// Shortest ride (seconds) that earns points.
    pub min_duration_s: i64,
    /// Overrides the modes' lowest average moving speed (km/h).
    pub min_speed_kmh: Option<f64>,
    /// Overrides the modes' highest sustained speed (km/h).
    pub max_speed_kmh: Option<f64>,
    /// How long (seconds, in total) the sustained speed may exceed the maximum
    /// before the ride counts as motorised: covers a downhill sprint.
    pub fast_tolerance_s: i64,
    /// The same allowance as a share of the moving time, for long rides; the
    /// larger of the two applies. A car in town spends most of its moving
    /// time above a bike's speed, a fast cyclist a small part of it.
    pub fast_tolerance_share: f64,
    /// Longest silence (seconds) between two fixes before the ride goes to review.
    pub max_gap_s: i64,
    /// Fixes whose reported accuracy is worse than this (metres) are dropped.
    pub max_accuracy_m: f64,
    /// A jump between consecutive fixes faster than this (km/h) over more than
    /// [`TELEPORT_MIN_M`](crate::TELEPORT_MIN_M) is a teleport.
    pub teleport_speed_kmh: f64,
    /// Share of the ride (by sampled distance) that may lie outside the campaign area.
    pub max_outside_fraction: f64,
    /// A school run may be at most this many times the straight-line distance.
    pub max_detour_ratio: f64,
    /// How many hours after it ends a ride may be uploaded; `null` accepts any age.
    pub max_upload_age_h: Option<i64>,
    /// H3 resolution zones are compiled at; its edge must exceed `max_accuracy_m`.
    pub h3_resolution: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_distance_m: 500.0,
            min_duration_s: 120,
            min_speed_kmh: None,
            max_speed_kmh: None,
            fast_tolerance_s: 60,
            fast_tolerance_share: 0.15,
            max_gap_s: 120,
            max_accuracy_m: 50.0,
            teleport_speed_kmh: 120.0,
            max_outside_fraction: 0.1,
            max_detour_ratio: 3.0,
            max_upload_age_h: Some(7 * 24),
            h3_resolution: 10,
        }
    }
}

/// How a ride earns points (OSLO *Beloning*).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reward {
    /// Points for every accepted ride.
    #[serde(default)]
    pub points_per_ride: u64,
    /// Points per whole kilometre ridden.
    #[serde(default)]
    pub points_per_km: u64,
    /// Kilometres beyond this do not earn more.
    pub max_km_per_ride: Option<f64>,
}

/// Limits on one participant's earnings; `None` means no limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Caps {
    /// Rides per local day that earn points.
    pub rides_per_day: Option<u32>,
    /// Points per local day.
    pub points_per_day: Option<u64>,
    /// Points per ISO week (Monday to Sunday, local time).
    pub points_per_week: Option<u64>,
    /// Points per calendar month (local time).
    pub points_per_month: Option<u64>,
    /// Points over the whole campaign.
    pub points_per_campaign: Option<u64>,
}

/// Rides that start between `from` and `until` (local time) earn `factor`
/// times their points, before the caps; of several in force, the largest
/// applies (they never stack).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Multiplier {
    /// Shown to students with the points, e.g. `Mobility week`.
    pub name: String,
    /// What the points are multiplied by (rounded down): above 0, at most [`MAX_MULTIPLIER`].
    pub factor: f64,
    /// When it starts, local time (`2026-09-16T00:00:00`), inclusive.
    pub from: NaiveDateTime,
    /// When it ends, local time, exclusive.
    pub until: NaiveDateTime,
}

/// The largest factor a [`Multiplier`] may have: a bonus, not a jackpot.
pub const MAX_MULTIPLIER: f64 = 10.0;

/// A campaign ready for the hot path. Cheap to share (`Arc`), never mutated.
#[derive(Debug)]
pub struct CompiledCampaign {
    pub(crate) spec: CampaignSpec,
    pub(crate) calendar: Calendar,
    pub(crate) zones: Zones,
    pub(crate) min_speed_mps: f64,
    pub(crate) max_speed_mps: f64,
}

impl CampaignSpec {
    /// Reads a campaign from JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, CampaignError> {
        serde_json::from_slice(bytes).map_err(|e| CampaignError::Json(e.to_string()))
    }

    /// Checks the rules and builds the structures every ride is judged with;
    /// the first problem when it cannot (see [`Self::compile_or_list`]).
    pub fn compile(self) -> Result<CompiledCampaign, CampaignError> {
        self.compile_or_list().map_err(|mut problems| problems.swap_remove(0))
    }

    /// As [`Self::compile`], but naming every problem, each with the path of
    /// its field (a council fixes a file in one go, not one error at a time).
    pub fn compile_or_list(self) -> Result<CompiledCampaign, Vec<CampaignError>> {
        let mut problems = self.value_problems();
        let calendar = Calendar::new(&self.time_zone, &self.schedule).map_err(|e| problems.push(e)).ok();
        let zones = Zones::compile(&self.zones, self.thresholds.h3_resolution, self.thresholds.max_accuracy_m)
            .map_err(|e| problems.extend(e))
            .ok();
        if let (Some(calendar), Some(zones)) = (&calendar, &zones)
            && calendar.requires_school()
            && zones.of(ZoneRole::School).is_empty()
        {
            problems.push(CampaignError::invalid(
                "schedule",
                "windows require a school but the zones contain no feature with role \"school\"",
            ));
        }
        let t = &self.thresholds;
        let min_speed_kmh = t
            .min_speed_kmh
            .unwrap_or_else(|| self.modes.iter().map(|m| m.min_speed_kmh()).fold(f64::INFINITY, f64::min));
        let max_speed_kmh =
            t.max_speed_kmh.unwrap_or_else(|| self.modes.iter().map(|m| m.max_speed_kmh()).fold(0.0, f64::max));
        if !self.modes.is_empty() && min_speed_kmh >= max_speed_kmh {
            problems.push(CampaignError::invalid("thresholds", "min_speed_kmh must be below max_speed_kmh"));
        }
        match (calendar, zones) {
            (Some(calendar), Some(zones)) if problems.is_empty() => Ok(CompiledCampaign {
                calendar,
                zones,
                min_speed_mps: min_speed_kmh / 3.6,
                max_speed_mps: max_speed_kmh / 3.6,
                spec: self,
            }),
            _ => Err(problems),
        }
    }

    /// Every field whose value is out of its meaningful range.
    fn value_problems(&self) -> Vec<CampaignError> {
        let t = &self.thresholds;
        let in_range = [
            ("thresholds.min_distance_m", t.min_distance_m >= 0.0),
            ("thresholds.min_duration_s", t.min_duration_s >= 0),
            ("thresholds.fast_tolerance_s", t.fast_tolerance_s >= 0),
            ("thresholds.max_gap_s", t.max_gap_s > 0),
            ("thresholds.max_accuracy_m", t.max_accuracy_m > 0.0),
            ("thresholds.teleport_speed_kmh", t.teleport_speed_kmh > 0.0),
            ("thresholds.fast_tolerance_share", (0.0..=1.0).contains(&t.fast_tolerance_share)),
            ("thresholds.max_outside_fraction", (0.0..=1.0).contains(&t.max_outside_fraction)),
            ("thresholds.max_detour_ratio", t.max_detour_ratio >= 1.0),
            ("thresholds.max_upload_age_h", t.max_upload_age_h.is_none_or(|h| h > 0)),
            ("thresholds.min_speed_kmh", t.min_speed_kmh.is_none_or(|v| v >= 0.0)),
            ("thresholds.max_speed_kmh", t.max_speed_kmh.is_none_or(|v| v > 0.0)),
            ("reward.max_km_per_ride", self.reward.max_km_per_ride.is_none_or(|km| km >= 0.0)),
            ("co2_g_per_km", self.co2_g_per_km <= MAX_CO2_G_PER_KM),
        ];
        let mut problems: Vec<CampaignError> = in_range
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(field, _)| CampaignError::invalid(*field, "value out of range"))
            .collect();
        let finite =
            [t.min_distance_m, t.max_accuracy_m, t.teleport_speed_kmh, t.max_outside_fraction, t.max_detour_ratio];
        if finite.iter().any(|v| !v.is_finite()) {
            problems.push(CampaignError::invalid("thresholds", "values must be finite numbers"));
        }
        if self.valid_from > self.valid_until {
            problems.push(CampaignError::invalid("valid_until", "must not be before valid_from"));
        }
        if self.modes.is_empty() {
            problems.push(CampaignError::invalid("modes", "at least one mode is needed"));
        }
        for (i, multiplier) in self.multipliers.iter().enumerate() {
            if !(multiplier.factor > 0.0 && multiplier.factor <= MAX_MULTIPLIER) {
                let rule = format!("must be above 0 and at most {MAX_MULTIPLIER}");
                problems.push(CampaignError::invalid(format!("multipliers[{i}].factor"), rule));
            }
            if multiplier.until <= multiplier.from {
                problems.push(CampaignError::invalid(format!("multipliers[{i}].until"), "must be after from"));
            }
        }
        problems
    }

    /// Reads a campaign file and names every problem it has, each with its
    /// field's path; empty when it compiles. A file that is not of the
    /// campaign's shape has one problem, at the path where reading stopped.
    pub fn problems_of(bytes: &[u8]) -> Vec<CampaignError> {
        let value: serde_json::Value = match serde_json::from_slice(bytes) {
            Ok(value @ serde_json::Value::Object(_)) => value,
            Ok(_) => return vec![CampaignError::Json("a campaign is a JSON object".into())],
            Err(error) => return vec![CampaignError::Json(error.to_string())],
        };
        match serde_path_to_error::deserialize::<_, Self>(value) {
            Ok(spec) => spec.compile_or_list().err().unwrap_or_default(),
            Err(error) => {
                let path = error.path().to_string();
                let problem = error.into_inner().to_string();
                vec![if path == "." { CampaignError::Json(problem) } else { CampaignError::invalid(path, problem) }]
            }
        }
    }
}

impl CompiledCampaign {
    /// The H3 coverage of every zone as GeoJSON (see `Zones::coverage`): what
    /// the engine counts as inside, to check on a map.
    pub fn coverage(&self) -> serde_json::Value {
        self.zones.coverage()
    }

    /// The rules this campaign was compiled from.
    pub fn spec(&self) -> &CampaignSpec {
        &self.spec
    }

    /// What a ride of `distance_m` started at `start` (local time) earns
    /// before caps and budget: points per ride plus points per km (prorated
    /// to the metre, up to `max_km_per_ride`), times the largest multiplier in
    /// force at the start (rounded down); with the reasons that shaped it
    /// (`DISTANCE_CAPPED`, `MULTIPLIED`). Also what an appeal accepted by a
    /// reviewer pays.
    pub fn reward(&self, distance_m: f64, start: NaiveDateTime) -> (u64, Vec<(ReasonCode, Effect, String)>) {
        let reward = &self.spec.reward;
        let mut shaping = Vec::new();
        let mut paid_m = distance_m;
        if let Some(max_km) = reward.max_km_per_ride
            && paid_m > max_km * 1000.0
        {
            paid_m = max_km * 1000.0;
            shaping.push((
                ReasonCode::DistanceCapped,
                Effect::Reduce,
                format!("Only the first {max_km} km of a ride earn points."),
            ));
        }
        let mut earned = reward.points_per_ride + reward.points_per_km * (paid_m as u64) / 1000;
        let multiplier = self
            .spec
            .multipliers
            .iter()
            .filter(|m| m.from <= start && start < m.until)
            .max_by(|a, b| a.factor.total_cmp(&b.factor));
        if let Some(multiplier) = multiplier {
            earned = (earned as f64 * multiplier.factor).floor() as u64;
            let effect = if multiplier.factor >= 1.0 { Effect::Increase } else { Effect::Reduce };
            shaping.push((
                ReasonCode::Multiplied,
                effect,
                format!("{}: points ×{}.", multiplier.name, multiplier.factor),
            ));
        }
        (earned, shaping)
    }

    /// The local time of an instant (ms since epoch) in the campaign's time zone.
    pub fn local_time(&self, t_ms: i64) -> NaiveDateTime {
        self.calendar.local(t_ms)
    }

    /// From when (ms since epoch) the participant's earlier rides must be in
    /// the [`History`](crate::History) of a ride started at `started_at_ms`:
    /// the last [`RECENT_RIDES_WINDOW_MS`](crate::history::RECENT_RIDES_WINDOW_MS),
    /// and the ride's whole local month when a monthly cap applies.
    pub fn history_since(&self, started_at_ms: i64) -> i64 {
        const DAY_MS: i64 = 24 * 3_600_000;
        let recent = started_at_ms - crate::history::RECENT_RIDES_WINDOW_MS;
        if self.spec.caps.points_per_month.is_none() {
            return recent;
        }
        // The first of the month began less than (day of the month + 1) days ago, whatever the time zone.
        let day_of_month = i64::from(self.calendar.local(started_at_ms).day());
        recent.min(started_at_ms - (day_of_month + 1) * DAY_MS)
    }

    /// The input limits for uploads to this campaign (the upload-age bound is campaign policy).
    pub fn trace_limits(&self) -> TraceLimits {
        TraceLimits {
            max_age_ms: self.spec.thresholds.max_upload_age_h.map(|h| h * 3_600_000),
            ..TraceLimits::default()
        }
    }
}
