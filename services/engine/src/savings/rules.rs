//! A savings campaign's rules as a council writes them (the campaign file of
//! `"kind": "savings"`), checked once, and the periods they count in.
//!
//! A period is a calendar month or quarter in the campaign's time zone; its
//! bounds in UTC follow from local midnights, so a household's January is the
//! January of the town it lives in.

use std::fmt;

use chrono::{Datelike, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use smartville_scoring::CampaignError;
use smartville_store::readings::{Carrier, Fraction, Measured};

use crate::campaigns::{fields_of, invalid};

/// A savings campaign's rules (OSLO *Stimulansaanbod* whose *Bewijs* is a reading).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavingsSpec {
    /// Always `savings`: what tells this file from a rides campaign.
    pub kind: SavingsKind,
    /// Stable identifier chosen by the council, e.g. `geel-less-residual-2027`.
    pub id: String,
    /// Name shown to households.
    pub name: String,
    /// Free text for people reading the file.
    #[serde(default)]
    pub description: String,
    /// IANA time zone in which periods begin and end (e.g. `Europe/Brussels`).
    pub time_zone: String,
    /// First local date of the first period that counts.
    pub valid_from: NaiveDate,
    /// Last local date that counts (inclusive): a period ending later is not assessed.
    pub valid_until: NaiveDate,
    /// Total budget in points (OSLO *totaalWaarde*).
    pub budget_points: u64,
    /// The waste fractions and energy carriers whose savings earn points
    /// (`residual`, `electricity`, …).
    pub covers: Vec<String>,
    /// How long a period is.
    pub period: PeriodLength,
    /// What a household's period is compared with.
    pub baseline: BaselineRule,
    /// Readings of a covered fraction or carrier a period needs before it is
    /// judged (missing readings are never zero).
    #[serde(default = "default_min_readings")]
    pub min_readings: u32,
    /// A saving below this share of the baseline (percent) earns nothing: it is noise.
    #[serde(default = "default_threshold_percent")]
    pub threshold_percent: f64,
    /// Points per kilogram of waste, kWh of electricity and m³ of gas or water saved.
    pub points: PointsPerUnit,
    /// Limits on what one household may earn.
    #[serde(default)]
    pub caps: SavingsCaps,
    /// Households of the same size a tenant average needs before it stands in
    /// for a household without history (fewer say too little, and too much about each).
    #[serde(default = "default_min_peers")]
    pub min_peers: u32,
}

/// The one value of a savings file's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavingsKind {
    /// A savings campaign.
    Savings,
}

fn default_min_readings() -> u32 {
    1
}

fn default_threshold_percent() -> f64 {
    5.0
}

fn default_min_peers() -> u32 {
    5
}

/// How long a savings period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodLength {
    /// A calendar month (`2027-01`).
    Month,
    /// A calendar quarter (`2027-Q1`).
    Quarter,
}

impl PeriodLength {
    const fn months(self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
        }
    }
}

/// What a household's period is compared with. When the household has no
/// usable history, the average of the tenant's households of its size in
/// the same period stands in (see [`SavingsSpec::min_peers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum BaselineRule {
    /// The same period a year earlier: seasons compare with themselves.
    SamePeriodLastYear,
    /// The mean of the last `periods` periods that have enough readings.
    MeanOfLast {
        /// How many periods back (1 to [`MAX_BASELINE_PERIODS`]).
        periods: u32,
    },
}

/// The most periods a mean baseline may reach back.
pub const MAX_BASELINE_PERIODS: u32 = 12;

/// Points per unit saved; a unit a campaign does not pay for is 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PointsPerUnit {
    /// Per kilogram of waste.
    pub per_kg: u64,
    /// Per kWh of electricity.
    pub per_kwh: u64,
    /// Per m³ of gas or water.
    pub per_m3: u64,
}

impl PointsPerUnit {
    /// Points per 1,000 base units of `measured` (g, Wh and l are all thousandths of what is paid for).
    pub const fn per_thousand(&self, measured: Measured) -> u64 {
        match measured {
            Measured::Waste(_) => self.per_kg,
            Measured::Energy(Carrier::Electricity) => self.per_kwh,
            Measured::Energy(Carrier::Gas | Carrier::Water) => self.per_m3,
        }
    }
}

/// Limits on one household's earnings; `None` means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SavingsCaps {
    /// Points per period.
    pub points_per_period: Option<u64>,
    /// Points over the whole campaign.
    pub points_per_household: Option<u64>,
}

/// A savings campaign ready to assess periods: its rules, time zone and what it covers.
#[derive(Debug, Clone)]
pub struct SavingsRules {
    spec: SavingsSpec,
    zone: Tz,
    covers: Vec<Measured>,
}

impl SavingsSpec {
    /// Reads a savings campaign file and names every problem it has, each
    /// with its field's path; the rules when it has none.
    pub fn check(value: serde_json::Value) -> Result<SavingsRules, Vec<CampaignError>> {
        let spec: Self = fields_of(value)?;
        spec.compile()
    }

    /// Checks the rules' values and resolves the time zone and the covered names.
    pub fn compile(self) -> Result<SavingsRules, Vec<CampaignError>> {
        let mut problems = Vec::new();
        let zone =
            self.time_zone.parse::<Tz>().map_err(|_| problems.push(CampaignError::TimeZone(self.time_zone.clone())));
        let mut covers = Vec::new();
        for (i, name) in self.covers.iter().enumerate() {
            match measured_named(name) {
                Some(measured) if covers.contains(&measured) => {
                    problems.push(invalid(format!("covers[{i}]"), format!("{name:?} is named twice")));
                }
                Some(measured) => covers.push(measured),
                None => problems.push(invalid(
                    format!("covers[{i}]"),
                    format!("{name:?} is neither a waste fraction nor an energy carrier"),
                )),
            }
        }
        if self.covers.is_empty() {
            problems.push(invalid("covers", "name at least one fraction or carrier"));
        }
        for measured in &covers {
            if self.points.per_thousand(*measured) == 0 {
                let unit = match measured {
                    Measured::Waste(_) => "per_kg",
                    Measured::Energy(Carrier::Electricity) => "per_kwh",
                    Measured::Energy(_) => "per_m3",
                };
                problems.push(invalid(
                    format!("points.{unit}"),
                    format!("{} is covered but earns nothing", measured.name()),
                ));
            }
        }
        if self.valid_from > self.valid_until {
            problems.push(invalid("valid_until", "must not be before valid_from"));
        }
        if !(self.threshold_percent.is_finite() && (0.0..100.0).contains(&self.threshold_percent)) {
            problems.push(invalid("threshold_percent", "must be at least 0 and below 100"));
        }
        if self.min_readings == 0 {
            problems.push(invalid("min_readings", "a period needs at least one reading to be judged"));
        }
        if let BaselineRule::MeanOfLast { periods } = self.baseline
            && !(1..=MAX_BASELINE_PERIODS).contains(&periods)
        {
            problems.push(invalid("baseline.periods", format!("must be 1 to {MAX_BASELINE_PERIODS}")));
        }
        match zone {
            Ok(zone) if problems.is_empty() => Ok(SavingsRules { spec: self, zone, covers }),
            _ => Err(problems),
        }
    }
}

/// The fraction or carrier of a name.
fn measured_named(name: &str) -> Option<Measured> {
    Fraction::from_name(name).map(Measured::Waste).or_else(|| Carrier::from_name(name).map(Measured::Energy))
}

impl SavingsRules {
    /// The rules as written.
    pub fn spec(&self) -> &SavingsSpec {
        &self.spec
    }

    /// The fractions and carriers whose savings earn points.
    pub fn covers(&self) -> &[Measured] {
        &self.covers
    }

    /// The period a label such as `2027-01` (months) or `2027-Q1` (quarters) names.
    pub fn period(&self, label: &str) -> Result<Period, PeriodError> {
        Period::parse(self.spec.period, label)
    }

    /// When a period begins and ends (ms since epoch, end exclusive): local midnights.
    pub fn bounds(&self, period: Period) -> (i64, i64) {
        (self.midnight(period.first_day()), self.midnight(period.next().first_day()))
    }

    /// The local date of an instant.
    pub fn local_date(&self, at_ms: i64) -> NaiveDate {
        self.zone.timestamp_millis_opt(at_ms).single().map_or_else(|| NaiveDate::MIN, |t| t.date_naive())
    }

    /// The period an instant falls in.
    pub fn period_at(&self, at_ms: i64) -> Period {
        Period::containing(self.spec.period, self.local_date(at_ms))
    }

    /// Whether the whole period lies within the campaign's validity.
    pub fn counts(&self, period: Period) -> bool {
        self.spec.valid_from <= period.first_day() && period.last_day() <= self.spec.valid_until
    }

    /// The periods a baseline is taken from, most recent first.
    pub fn baseline_periods(&self, period: Period) -> Vec<Period> {
        match self.spec.baseline {
            BaselineRule::SamePeriodLastYear => vec![period.back(12 / period.length.months())],
            BaselineRule::MeanOfLast { periods } => (1..=periods).map(|n| period.back(n)).collect(),
        }
    }

    fn midnight(&self, day: NaiveDate) -> i64 {
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        // A local midnight skipped by a clock change begins at the first instant after it.
        self.zone
            .from_local_datetime(&midnight)
            .earliest()
            .or_else(|| self.zone.from_local_datetime(&(midnight + chrono::Duration::hours(1))).earliest())
            .map_or(i64::MIN, |t| t.timestamp_millis())
    }
}

/// A month or quarter of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    length: PeriodLength,
    /// Months since year 0 of the first month.
    first_month: i32,
}

/// Why a period label does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{label:?} is not a {length} of this campaign: write {example}")]
pub struct PeriodError {
    label: String,
    length: &'static str,
    example: &'static str,
}

impl Period {
    /// The period a label names: `YYYY-MM` for months, `YYYY-Qn` for quarters.
    pub fn parse(length: PeriodLength, label: &str) -> Result<Self, PeriodError> {
        let refuse = || match length {
            PeriodLength::Month => PeriodError { label: label.into(), length: "month", example: "2027-01" },
            PeriodLength::Quarter => PeriodError { label: label.into(), length: "quarter", example: "2027-Q1" },
        };
        let (year, rest) = label.split_once('-').ok_or_else(refuse)?;
        let year: i32 = year.parse().ok().filter(|y| (1970..=9999).contains(y)).ok_or_else(refuse)?;
        let month = match length {
            PeriodLength::Month if rest.len() == 2 => rest.parse::<u32>().ok().filter(|m| (1..=12).contains(m)),
            PeriodLength::Quarter => rest
                .strip_prefix('Q')
                .and_then(|q| q.parse::<u32>().ok())
                .filter(|q| (1..=4).contains(q))
                .map(|q| (q - 1) * 3 + 1),
            PeriodLength::Month => None,
        }
        .ok_or_else(refuse)?;
        Ok(Self { length, first_month: year * 12 + month as i32 - 1 })
    }

    /// The period of `length` a local date falls in.
    pub fn containing(length: PeriodLength, day: NaiveDate) -> Self {
        let month0 = day.month0() as i32;
        let months = length.months() as i32;
        Self { length, first_month: day.year() * 12 + month0 - month0 % months }
    }

    /// Its first local date.
    pub fn first_day(self) -> NaiveDate {
        let (year, month0) = (self.first_month.div_euclid(12), self.first_month.rem_euclid(12) as u32);
        NaiveDate::from_ymd_opt(year, month0 + 1, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last local date.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// The period after it.
    pub fn next(self) -> Self {
        Self { first_month: self.first_month + self.length.months() as i32, ..self }
    }

    /// The period `n` periods before it.
    pub fn back(self, n: u32) -> Self {
        Self { first_month: self.first_month - (n * self.length.months()) as i32, ..self }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = self.first_day();
        match self.length {
            PeriodLength::Month => write!(f, "{}-{:02}", day.year(), day.month()),
            PeriodLength::Quarter => write!(f, "{}-Q{}", day.year(), day.month0() / 3 + 1),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rules(extra: serde_json::Value) -> Result<SavingsRules, Vec<CampaignError>> {
        let mut file = serde_json::json!({
            "kind": "savings", "id": "less-waste", "name": "Less waste", "time_zone": "Europe/Brussels",
            "valid_from": "2027-01-01", "valid_until": "2027-12-31", "budget_points": 1000,
            "covers": ["residual"], "period": "month", "baseline": {"rule": "same_period_last_year"},
            "points": {"per_kg": 2}
        });
        file.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        SavingsSpec::check(file)
    }

    #[test]
    fn periods_read_print_and_count_in_local_time() {
        let rules = rules(serde_json::json!({})).unwrap();
        let january = rules.period("2027-01").unwrap();
        assert_eq!(january.to_string(), "2027-01");
        // Brussels is UTC+1 in winter: January begins at 23:00 UTC on 31 December.
        assert_eq!(rules.bounds(january).0, 1_798_758_000_000);
        assert_eq!(rules.period_at(1_798_758_000_000), january);
        assert_eq!(rules.period_at(1_798_758_000_000 - 1).to_string(), "2026-12");
        assert_eq!(rules.baseline_periods(january), [rules.period("2026-01").unwrap()]);
        assert!(rules.counts(january) && !rules.counts(january.back(1)));
        for bad in ["2027-1", "2027-13", "27-01", "2027-Q1", "January"] {
            assert!(rules.period(bad).is_err(), "{bad}");
        }

        let quarter = Period::parse(PeriodLength::Quarter, "2027-Q2").unwrap();
        assert_eq!(
            (quarter.first_day().to_string(), quarter.last_day().to_string()),
            ("2027-04-01".into(), "2027-06-30".into())
        );
        assert_eq!(quarter.back(4).to_string(), "2026-Q2");
        assert_eq!(Period::containing(PeriodLength::Quarter, NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()), quarter);
    }

    #[test]
    fn every_problem_of_a_file_is_named_with_its_field() {
        let problems = rules(serde_json::json!({
            "covers": ["residual", "plutonium", "residual", "gas"], "threshold_percent": 120,
            "baseline": {"rule": "mean_of_last", "periods": 40}, "valid_until": "2026-01-01", "time_zone": "Mars/Olympus"
        }))
        .unwrap_err();
        let fields: Vec<String> = problems.iter().map(CampaignError::field).collect();
        for field in [
            "covers[1]",
            "covers[2]",
            "points.per_m3",
            "valid_until",
            "threshold_percent",
            "baseline.periods",
            "time_zone",
        ] {
            assert!(fields.iter().any(|f| f == field), "{field} missing from {fields:?}");
        }
        let unknown = rules(serde_json::json!({"schedule": {}})).unwrap_err();
        assert!(unknown[0].to_string().contains("schedule"), "{unknown:?}");
    }
}
