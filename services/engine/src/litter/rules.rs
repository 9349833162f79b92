//! A litter campaign's rules (the campaign file of `"kind": "litter"`): what
//! a report the council validates earns, within which dates, for which categories.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use smartville_scoring::CampaignError;
use smartville_store::litter::LitterCategory;

use crate::campaigns::{fields_of, invalid};

/// A litter campaign's rules (OSLO *Stimulansaanbod* whose *Bewijs* is a photo report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LitterSpec {
    /// Always `litter`: what tells this file from the other kinds.
    pub kind: LitterKind,
    /// Stable identifier chosen by the council, e.g. `mol-clean-streets-2027`.
    pub id: String,
    /// Name shown to participants.
    pub name: String,
    /// Free text for people reading the file.
    #[serde(default)]
    pub description: String,
    /// IANA time zone in which the dates are counted (e.g. `Europe/Brussels`).
    pub time_zone: String,
    /// First local date on which a report counts.
    pub valid_from: NaiveDate,
    /// Last local date on which a report counts (inclusive).
    pub valid_until: NaiveDate,
    /// Total budget in points.
    pub budget_points: u64,
    /// Points for a report the council validates (the first of its group).
    pub points_per_report: u64,
    /// The categories it rewards (every one when left out).
    #[serde(default)]
    pub categories: Vec<LitterCategory>,
}

/// The one value of a litter file's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LitterKind {
    /// A litter campaign.
    Litter,
}

/// A litter campaign ready to pay validated reports.
#[derive(Debug, Clone)]
pub struct LitterRules {
    spec: LitterSpec,
    zone: Tz,
}

impl LitterSpec {
    /// Reads a litter campaign file and names every problem it has, each
    /// with its field's path; the rules when it has none.
    pub fn check(value: serde_json::Value) -> Result<LitterRules, Vec<CampaignError>> {
        let spec: Self = fields_of(value)?;
        let mut problems = Vec::new();
        let zone =
            spec.time_zone.parse::<Tz>().map_err(|_| problems.push(CampaignError::TimeZone(spec.time_zone.clone())));
        if spec.valid_from > spec.valid_until {
            problems.push(invalid("valid_until", "must not be before valid_from"));
        }
        if spec.points_per_report == 0 {
            problems.push(invalid("points_per_report", "a validated report earns at least a point"));
        }
        match zone {
            Ok(zone) if problems.is_empty() => Ok(LitterRules { spec, zone }),
            _ => Err(problems),
        }
    }
}

impl LitterRules {
    /// The rules as written.
    pub fn spec(&self) -> &LitterSpec {
        &self.spec
    }

    /// The local date of an instant.
    pub fn local_date(&self, at_ms: i64) -> NaiveDate {
        self.zone.timestamp_millis_opt(at_ms).single().map_or(NaiveDate::MIN, |t| t.date_naive())
    }

    /// What a validated report of `category` made at `at_ms` earns.
    pub fn points_for(&self, category: LitterCategory, at_ms: i64) -> u64 {
        let day = self.local_date(at_ms);
        let covered = self.spec.categories.is_empty() || self.spec.categories.contains(&category);
        let within = self.spec.valid_from <= day && day <= self.spec.valid_until;
        if covered && within { self.spec.points_per_report } else { 0 }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn file(extra: serde_json::Value) -> serde_json::Value {
        let mut file = serde_json::json!({
            "kind": "litter", "id": "clean", "name": "Clean streets", "time_zone": "Europe/Brussels",
            "valid_from": "2026-01-01", "valid_until": "2026-12-31", "budget_points": 1000,
            "points_per_report": 20, "categories": ["illegal_dumping"]
        });
        file.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        file
    }

    #[test]
    fn a_report_earns_within_its_dates_and_categories() {
        let rules = LitterSpec::check(file(serde_json::json!({}))).unwrap();
        let june = 1_781_000_000_000; // 2026-06-09
        assert_eq!(rules.points_for(LitterCategory::IllegalDumping, june), 20);
        assert_eq!(rules.points_for(LitterCategory::Litter, june), 0, "not a category of the campaign");
        assert_eq!(rules.points_for(LitterCategory::IllegalDumping, 1_800_000_000_000), 0, "after its end");
    }

    #[test]
    fn problems_are_named_with_their_field() {
        let problems =
            LitterSpec::check(file(serde_json::json!({"points_per_report": 0, "valid_until": "2025-01-01"})))
                .unwrap_err();
        let fields: Vec<String> = problems.iter().map(CampaignError::field).collect();
        assert_eq!(fields, ["valid_until", "points_per_report"]);
        let unknown = LitterSpec::check(file(serde_json::json!({"categories": ["graffiti"]}))).unwrap_err();
        assert_eq!(unknown[0].field(), "categories[0]");
    }
}
