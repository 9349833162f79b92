//! The outcome of judging a ride: a status, points, figures and reasons.

use serde::{Deserialize, Serialize};

/// The verdict on a ride.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Valid: the points are credited.
    Accepted,
    /// Not valid: no points.
    Rejected,
    /// Doubtful: a person at the council decides; the points are paid if approved.
    Review,
}

/// Stable reason codes. The API, the app and the council's reports key on
/// these names; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// The phone reported a mock-location provider.
    MockLocation,
    /// Too little distance or time.
    TooShort,
    /// Sustained speed above the allowed modes: motorised.
    TooFast,
    /// Average moving speed below the allowed modes (e.g. walking in a bike campaign).
    TooSlow,
    /// The recording stopped for too long.
    Gap,
    /// The position jumped further and faster than any vehicle.
    Teleport,
    /// The ride left the campaign area or entered an excluded zone.
    OutsideArea,
    /// The ride does not go to or from school as the time window requires.
    NotToSchool,
    /// The ride is outside every time window of that weekday.
    OutsideTimeWindow,
    /// The ride is on a non-school day or in a holiday.
    NotSchoolDay,
    /// The ride is before or after the campaign's validity period.
    OutsideCampaignPeriod,
    /// The same participant already submitted this exact trace.
    Duplicate,
    /// The trace repeats an earlier one (shifted in time, jittered or copied from someone else).
    Replay,
    /// The participant has another ride at the same time.
    OverlappingRide,
    /// The daily ride or points cap is reached.
    DailyCapReached,
    /// The weekly points cap is reached.
    WeeklyCapReached,
    /// The monthly points cap is reached.
    MonthlyCapReached,
    /// The participant's campaign points cap is reached.
    CampaignCapReached,
    /// The campaign budget is used up.
    BudgetExhausted,
    /// Only part of the distance earns points (`max_km_per_ride`).
    DistanceCapped,
    /// The phone's own activity recognition saw another way of travelling
    /// (a vehicle, or walking in a bike campaign) for a good part of the ride.
    ActivityMismatch,
    /// The ride went in bursts well above its usual pace, reaching a bike's
    /// top speed: how a bus or a car moves between stops and lights.
    StopAndGo,
    /// A multiplier the council declared (a mobility week, a rainy day) changed the ride's points.
    Multiplied,
    /// Savings: a period had fewer readings than the campaign needs (a missing reading is not zero).
    InsufficientData,
    /// Savings: neither the household's history nor households of its size give a baseline.
    NoBaseline,
    /// Savings: the saving was below the campaign's noise threshold (or there was none).
    BelowThreshold,
    /// Savings: a cap per period or per household lowered the points.
    CapReached,
}

impl ReasonCode {
    /// Every code, for what must cover each one (the pages' plain words for
    /// them). A test's exhaustive `match` stops a new code from being left out.
    pub const ALL: [Self; 27] = [
        Self::MockLocation,
        Self::TooShort,
        Self::TooFast,
        Self::TooSlow,
        Self::Gap,
        Self::Teleport,
        Self::OutsideArea,
        Self::NotToSchool,
        Self::OutsideTimeWindow,
        Self::NotSchoolDay,
        Self::OutsideCampaignPeriod,
        Self::Duplicate,
        Self::Replay,
        Self::OverlappingRide,
        Self::DailyCapReached,
        Self::WeeklyCapReached,
        Self::MonthlyCapReached,
        Self::CampaignCapReached,
        Self::BudgetExhausted,
        Self::DistanceCapped,
        Self::ActivityMismatch,
        Self::StopAndGo,
        Self::Multiplied,
        Self::InsufficientData,
        Self::NoBaseline,
        Self::BelowThreshold,
        Self::CapReached,
    ];

    /// The stable name, as serialised (`TOO_FAST`): for metrics and logs without a serializer.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MockLocation => "MOCK_LOCATION",
            Self::TooShort => "TOO_SHORT",
            Self::TooFast => "TOO_FAST",
            Self::TooSlow => "TOO_SLOW",
            Self::Gap => "GAP",
            Self::Teleport => "TELEPORT",
            Self::OutsideArea => "OUTSIDE_AREA",
            Self::NotToSchool => "NOT_TO_SCHOOL",
            Self::OutsideTimeWindow => "OUTSIDE_TIME_WINDOW",
            Self::NotSchoolDay => "NOT_SCHOOL_DAY",
            Self::OutsideCampaignPeriod => "OUTSIDE_CAMPAIGN_PERIOD",
            Self::Duplicate => "DUPLICATE",
            Self::Replay => "REPLAY",
            Self::OverlappingRide => "OVERLAPPING_RIDE",
            Self::DailyCapReached => "DAILY_CAP_REACHED",
            Self::WeeklyCapReached => "WEEKLY_CAP_REACHED",
            Self::MonthlyCapReached => "MONTHLY_CAP_REACHED",
            Self::CampaignCapReached => "CAMPAIGN_CAP_REACHED",
            Self::BudgetExhausted => "BUDGET_EXHAUSTED",
            Self::DistanceCapped => "DISTANCE_CAPPED",
            Self::ActivityMismatch => "ACTIVITY_MISMATCH",
            Self::StopAndGo => "STOP_AND_GO",
            Self::Multiplied => "MULTIPLIED",
            Self::InsufficientData => "INSUFFICIENT_DATA",
            Self::NoBaseline => "NO_BASELINE",
            Self::BelowThreshold => "BELOW_THRESHOLD",
            Self::CapReached => "CAP_REACHED",
        }
    }
}

/// What a reason does to the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The ride earns nothing.
    Reject,
    /// A person must look at the ride.
    Review,
    /// The ride counts but earns fewer points.
    Reduce,
    /// The ride earns more points.
    Increase,
}

/// One explained reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable code.
    pub code: ReasonCode,
    /// What it did to the decision.
    pub effect: Effect,
    /// A sentence for the student and the council, with the measured figure and the limit.
    pub message: String,
}

/// The decision on one ride.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The verdict.
    pub status: Status,
    /// Points earned (0 unless accepted or under review).
    pub points: u64,
    /// Distance ridden, metres (after cleaning).
    pub distance_m: u64,
    /// First to last kept fix, seconds.
    pub duration_s: u64,
    /// Time spent moving, seconds.
    pub moving_time_s: u64,
    /// Average moving speed, km/h, one decimal.
    pub average_speed_kmh: f64,
    /// Fixes received.
    pub fixes_received: usize,
    /// Fixes dropped as inaccurate or as spikes.
    pub fixes_dropped: usize,
    /// Every reason that shaped the decision, most serious first.
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// Whether a reason with this code is present.
    pub fn has(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ReasonCode::{self, *};

    /// Where a code stands in [`ReasonCode::ALL`]. The `match` has to name
    /// every code, so a new one does not compile until it has its place.
    fn place(code: ReasonCode) -> usize {
        match code {
            MockLocation => 0,
            TooShort => 1,
            TooFast => 2,
            TooSlow => 3,
            Gap => 4,
            Teleport => 5,
            OutsideArea => 6,
            NotToSchool => 7,
            OutsideTimeWindow => 8,
            NotSchoolDay => 9,
            OutsideCampaignPeriod => 10,
            Duplicate => 11,
            Replay => 12,
            OverlappingRide => 13,
            DailyCapReached => 14,
            WeeklyCapReached => 15,
            MonthlyCapReached => 16,
            CampaignCapReached => 17,
            BudgetExhausted => 18,
            DistanceCapped => 19,
            ActivityMismatch => 20,
            StopAndGo => 21,
            Multiplied => 22,
            InsufficientData => 23,
            NoBaseline => 24,
            BelowThreshold => 25,
            CapReached => 26,
        }
    }

    #[test]
    fn all_holds_every_code_once() {
        for (index, code) in ReasonCode::ALL.into_iter().enumerate() {
            assert_eq!(place(code), index, "{code:?}");
        }
    }

    #[test]
    fn reason_names_are_their_serialised_names() {
        for code in ReasonCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
