//! The phone's own activity recognition (Android Activity Recognition, iOS
//! Core Motion), sent beside the fixes: evidence about how the rider moved
//! that the motion alone cannot give (a bus in town rides at a bike's pace),
//! weighed with the motion and never on its own (an app can forge it, like a
//! mock location).

use serde::{Deserialize, Serialize};

/// What the phone recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Cycling.
    OnBicycle,
    /// Walking (or on foot without more detail).
    OnFoot,
    /// Running.
    Running,
    /// In a car, bus, tram or train.
    InVehicle,
    /// Not moving.
    Still,
    /// The phone could not tell.
    Unknown,
}

impl Activity {
    /// Every activity, in declaration order.
    pub const ALL: [Self; 6] =
        [Self::OnBicycle, Self::OnFoot, Self::Running, Self::InVehicle, Self::Still, Self::Unknown];

    /// The name in uploads (JSON `type`, GPX `type` attribute).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OnBicycle => "on_bicycle",
            Self::OnFoot => "on_foot",
            Self::Running => "running",
            Self::InVehicle => "in_vehicle",
            Self::Still => "still",
            Self::Unknown => "unknown",
        }
    }

    /// The activity named `name` in an upload.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|activity| activity.as_str() == name)
    }
}

/// One report of the phone's activity recognition, as uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RawActivity {
    /// Milliseconds since the epoch, if the file gave a time.
    #[serde(rename = "t", serialize_with = "super::serialize_rfc3339")]
    pub t_ms: Option<i64>,
    /// What the phone recognised.
    #[serde(rename = "type")]
    pub activity: Activity,
    /// How sure the phone was, 0 to 100.
    pub confidence: u8,
}

/// A validated report: it holds from its time until the next report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityReport {
    /// When the phone recognised it (ms since epoch).
    pub t_ms: i64,
    /// What the phone recognised.
    pub activity: Activity,
    /// How sure the phone was, 0 to 100.
    pub confidence: u8,
}

/// Reports below this confidence say nothing: phones report every guess.
pub const MIN_CONFIDENCE: u8 = 50;

/// How much of a ride's time the phone spent recognising each activity.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ActivityShares {
    /// Share of the ride (0 to 1) in each activity, in the order of [`Activity`]'s variants;
    /// time without a confident report is left out, so the shares may sum to less than 1.
    shares: [f64; 6],
}

impl ActivityShares {
    /// The share of the ride (0 to 1) the phone recognised `activity` with confidence.
    pub fn of(&self, activity: Activity) -> f64 {
        self.shares[activity as usize]
    }

    /// Shares of the ride from `start_ms` to `end_ms` given `reports` in time
    /// order: each confident report holds until the next report, the last one
    /// until the end; a report before the start holds from the start.
    pub fn over(reports: &[ActivityReport], start_ms: i64, end_ms: i64) -> Self {
        let mut shares = [0.0; 6];
        let duration = (end_ms - start_ms) as f64;
        if duration <= 0.0 {
            return Self { shares };
        }
        for (i, report) in reports.iter().enumerate() {
            let until = reports.get(i + 1).map_or(end_ms, |next| next.t_ms).min(end_ms);
            let from = report.t_ms.max(start_ms);
            if report.confidence >= MIN_CONFIDENCE && until > from {
                shares[report.activity as usize] += (until - from) as f64 / duration;
            }
        }
        Self { shares }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(t_ms: i64, activity: Activity, confidence: u8) -> ActivityReport {
        ActivityReport { t_ms, activity, confidence }
    }

    #[test]
    fn names_are_the_json_names() {
        for activity in Activity::ALL {
            assert_eq!(serde_json::to_value(activity).ok(), Some(activity.as_str().into()));
            assert_eq!(Activity::from_name(activity.as_str()), Some(activity));
        }
        assert_eq!(Activity::from_name("skateboarding"), None);
    }

    #[test]
    fn each_confident_report_holds_until_the_next_within_the_ride() {
        let reports = [
            report(-50, Activity::OnFoot, 90),     // before the start: holds from 0 until 20
            report(20, Activity::OnBicycle, 80),   // 20 to 70
            report(70, Activity::InVehicle, 30),   // not confident: 70 to 90 says nothing
            report(90, Activity::InVehicle, 75),   // 90 to the end at 100
            report(150, Activity::OnBicycle, 100), // after the end
        ];
        let shares = ActivityShares::over(&reports, 0, 100);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(shares.of(Activity::OnFoot), 0.2));
        assert!(close(shares.of(Activity::OnBicycle), 0.5));
        assert!(close(shares.of(Activity::InVehicle), 0.1));
        assert!(close(shares.of(Activity::Still), 0.0));
        assert_eq!(ActivityShares::over(&[], 0, 100), ActivityShares::default());
    }
}
