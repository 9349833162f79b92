//! Judging one household's period: pure, like a ride's judgement, so that a
//! decision can be replayed from its figures.
//!
//! Each covered fraction or carrier is judged on its own: its total over the
//! period (from at least `min_readings` readings: a missing reading is not
//! zero) against its baseline (the household's own history, else the average
//! of the tenant's households of its size), and the saving above the noise
//! threshold earns points per unit. The household's points are their sum,
//! capped per period and over the campaign; the budget is applied by the
//! close, which knows what is left ([`SavingsDecision::limit_to`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use smartville_scoring::{Effect, Reason, ReasonCode, Status};
use smartville_store::readings::Measured;

use super::rules::{BaselineRule, SavingsRules};

/// What a household's readings of one fraction or carrier add up to in one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Total {
    /// The sum, in the base unit (g, Wh, l).
    pub amount: i64,
    /// How many readings made it.
    pub readings: u32,
}

/// A household's totals of one period, by what was measured.
pub type Totals = HashMap<Measured, Total>;

/// Everything a household's decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct Figures<'a> {
    /// The period judged.
    pub current: &'a Totals,
    /// The baseline periods' totals, in the order of
    /// [`SavingsRules::baseline_periods`] (an empty map for a period without readings).
    pub history: &'a [&'a Totals],
    /// The average total of the tenant's other households of the same size
    /// in the period judged, where enough of them have enough readings.
    pub peers: &'a HashMap<Measured, i64>,
    /// Points the household earned in the campaign's other periods.
    pub earned_elsewhere: u64,
}

/// Where a baseline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    /// The household's own earlier periods.
    OwnHistory,
    /// The average of the tenant's households of the same size.
    HouseholdsOfSameSize,
}

/// How one fraction or carrier fared: the figures a household sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureFigures {
    /// `residual`, `electricity`, …
    pub measured: String,
    /// The base unit of `actual` and `baseline`: `g`, `Wh` or `l`.
    pub unit: String,
    /// The period's total, when it had enough readings.
    pub actual: Option<i64>,
    /// How many readings the period had.
    pub readings: u32,
    /// What the period was compared with, when there was a baseline.
    pub baseline: Option<i64>,
    /// Where the baseline came from.
    pub baseline_source: Option<BaselineSource>,
    /// Baseline less actual (negative: more than the baseline).
    pub saved: Option<i64>,
    /// Points this fraction or carrier earned before caps.
    pub points: u64,
}

/// A household's decision for one period: the same shape as a ride's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavingsDecision {
    /// Accepted when it earns points, rejected otherwise.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "accepted"))]
    pub status: Status,
    /// Points for the household, after caps and budget.
    pub points: u64,
    /// Why it came out so, each with a stable code.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub reasons: Vec<Reason>,
    /// The figures of every covered fraction or carrier.
    pub measures: Vec<MeasureFigures>,
}

/// Judges a household's period by the campaign's rules.
pub fn assess(rules: &SavingsRules, figures: Figures<'_>) -> SavingsDecision {
    let spec = rules.spec();
    let mut reasons = Vec::new();
    let mut measures = Vec::with_capacity(rules.covers().len());
    for &measured in rules.covers() {
        let total = figures.current.get(&measured).copied().unwrap_or_default();
        let mut judged = MeasureFigures {
            measured: measured.name().to_owned(),
            unit: measured.base_unit().to_owned(),
            actual: None,
            readings: total.readings,
            baseline: None,
            baseline_source: None,
            saved: None,
            points: 0,
        };
        let name = measured.name();
        if total.readings < spec.min_readings {
            let message = format!(
                "{name}: {} reading(s) this period, {} needed; a missing reading is not counted as nothing",
                total.readings, spec.min_readings
            );
            reasons.push(reason(ReasonCode::InsufficientData, Effect::Reject, message));
            measures.push(judged);
            continue;
        }
        judged.actual = Some(total.amount);
        let Some((baseline, source)) = baseline(rules, measured, &figures) else {
            let message = format!("{name}: no earlier period with enough readings and too few households of its size");
            reasons.push(reason(ReasonCode::NoBaseline, Effect::Reject, message));
            measures.push(judged);
            continue;
        };
        let saved = baseline - total.amount;
        (judged.baseline, judged.baseline_source, judged.saved) = (Some(baseline), Some(source), Some(saved));
        let percent = if baseline > 0 { saved as f64 * 100.0 / baseline as f64 } else { 0.0 };
        if saved <= 0 || percent < spec.threshold_percent {
            let message = format!(
                "{name}: {percent:.1} % below the baseline; savings under {} % are not counted",
                spec.threshold_percent
            );
            reasons.push(reason(ReasonCode::BelowThreshold, Effect::Reject, message));
        } else {
            let per_thousand = u128::from(spec.points.per_thousand(measured));
            judged.points = u64::try_from(saved as u128 * per_thousand / 1000).unwrap_or(u64::MAX);
        }
        measures.push(judged);
    }
    let mut points = measures.iter().map(|m| m.points).fold(0u64, u64::saturating_add);
    if let Some(cap) = spec.caps.points_per_period
        && points > cap
    {
        points = cap;
        reasons.push(reason(ReasonCode::CapReached, Effect::Reduce, format!("At most {cap} points a period.")));
    }
    if let Some(cap) = spec.caps.points_per_household {
        let left = cap.saturating_sub(figures.earned_elsewhere);
        if points > left {
            points = left;
            let message = format!("At most {cap} points a household over the campaign; {left} were left.");
            reasons.push(reason(ReasonCode::CapReached, Effect::Reduce, message));
        }
    }
    let status = if points > 0 { Status::Accepted } else { Status::Rejected };
    SavingsDecision { status, points, reasons, measures }
}

impl SavingsDecision {
    /// Lowers the points to what the budget holds (`BUDGET_EXHAUSTED`); a
    /// decision left with none is rejected.
    pub fn limit_to(&mut self, budget_left: u64) {
        if self.points <= budget_left {
            return;
        }
        self.points = budget_left;
        let message = format!("The campaign's budget had {budget_left} points left.");
        self.reasons.push(reason(ReasonCode::BudgetExhausted, Effect::Reduce, message));
        if self.points == 0 {
            self.status = Status::Rejected;
        }
    }
}

/// The baseline of one fraction or carrier: the household's own history by
/// the campaign's rule, else its peers' average.
fn baseline(rules: &SavingsRules, measured: Measured, figures: &Figures<'_>) -> Option<(i64, BaselineSource)> {
    let min_readings = rules.spec().min_readings;
    let usable: Vec<i64> = figures
        .history
        .iter()
        .filter_map(|totals| totals.get(&measured))
        .filter(|total| total.readings >= min_readings)
        .map(|total| total.amount)
        .collect();
    let own = match rules.spec().baseline {
        BaselineRule::SamePeriodLastYear => usable.first().copied(),
        BaselineRule::MeanOfLast { .. } if usable.is_empty() => None,
        BaselineRule::MeanOfLast { .. } => Some(usable.iter().sum::<i64>() / usable.len() as i64),
    };
    own.map(|amount| (amount, BaselineSource::OwnHistory))
        .or_else(|| figures.peers.get(&measured).map(|amount| (*amount, BaselineSource::HouseholdsOfSameSize)))
}

fn reason(code: ReasonCode, effect: Effect, message: String) -> Reason {
    Reason { code, effect, message }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use smartville_store::readings::{Carrier, Fraction};

    use super::*;
    use crate::savings::rules::SavingsSpec;

    const RESIDUAL: Measured = Measured::Waste(Fraction::Residual);
    const ELECTRICITY: Measured = Measured::Energy(Carrier::Electricity);

    fn rules(extra: serde_json::Value) -> SavingsRules {
        let mut file = serde_json::json!({
            "kind": "savings", "id": "less", "name": "Less", "time_zone": "Europe/Brussels",
            "valid_from": "2027-01-01", "valid_until": "2027-12-31", "budget_points": 1000,
            "covers": ["residual", "electricity"], "period": "month", "baseline": {"rule": "same_period_last_year"},
            "min_readings": 2, "threshold_percent": 5, "points": {"per_kg": 2, "per_kwh": 1}
        });
        file.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        SavingsSpec::check(file).unwrap()
    }

    fn totals(entries: &[(Measured, i64, u32)]) -> Totals {
        entries.iter().map(|&(m, amount, readings)| (m, Total { amount, readings })).collect()
    }

    fn judge(
        rules: &SavingsRules,
        current: &Totals,
        history: &[&Totals],
        peers: &[(Measured, i64)],
    ) -> SavingsDecision {
        let peers = peers.iter().copied().collect();
        assess(rules, Figures { current, history, peers: &peers, earned_elsewhere: 0 })
    }

    fn codes(decision: &SavingsDecision) -> Vec<&'static str> {
        decision.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn a_saving_above_the_threshold_earns_per_unit_and_the_rest_says_why_not() {
        let rules = rules(serde_json::json!({}));
        let last_year = totals(&[(RESIDUAL, 40_000, 4), (ELECTRICITY, 300_000, 2)]);
        // 30 kg instead of 40: 10 kg × 2 points; electricity 290 kWh instead of 300 is 3.3 %: noise.
        let current = totals(&[(RESIDUAL, 30_000, 4), (ELECTRICITY, 290_000, 2)]);
        let decision = judge(&rules, &current, &[&last_year], &[]);
        assert_eq!((decision.status, decision.points), (Status::Accepted, 20));
        assert_eq!(codes(&decision), ["BELOW_THRESHOLD"]);
        assert_eq!(decision.measures[0].saved, Some(10_000));
        assert_eq!(decision.measures[0].baseline_source, Some(BaselineSource::OwnHistory));
    }

    #[test]
    fn missing_readings_are_not_zero_and_without_history_the_peers_stand_in() {
        let rules = rules(serde_json::json!({}));
        // One residual reading where two are needed; no electricity history, peers use 400 kWh.
        let current = totals(&[(RESIDUAL, 1_000, 1), (ELECTRICITY, 300_000, 3)]);
        let decision = judge(&rules, &current, &[&Totals::new()], &[(ELECTRICITY, 400_000)]);
        assert_eq!(codes(&decision), ["INSUFFICIENT_DATA"]);
        assert_eq!(decision.points, 100);
        assert_eq!(decision.measures[1].baseline_source, Some(BaselineSource::HouseholdsOfSameSize));

        let alone = judge(&rules, &current, &[&Totals::new()], &[]);
        assert_eq!((alone.status, alone.points), (Status::Rejected, 0));
        assert_eq!(codes(&alone), ["INSUFFICIENT_DATA", "NO_BASELINE"]);
    }

    #[test]
    fn the_mean_of_the_last_periods_skips_periods_without_enough_readings() {
        let rules = rules(serde_json::json!({"baseline": {"rule": "mean_of_last", "periods": 3}}));
        let history = [
            totals(&[(RESIDUAL, 40_000, 2)]),
            totals(&[(RESIDUAL, 1, 1)]), // too few readings: left out, not counted as 1 g
            totals(&[(RESIDUAL, 20_000, 2)]),
        ];
        let history: Vec<&Totals> = history.iter().collect();
        let decision = judge(&rules, &totals(&[(RESIDUAL, 27_000, 2)]), &history, &[]);
        assert_eq!(decision.measures[0].baseline, Some(30_000));
        assert_eq!(decision.measures[0].points, 6);
    }

    #[test]
    fn caps_and_budget_reduce_and_say_so() {
        let rules = rules(serde_json::json!({"caps": {"points_per_period": 50, "points_per_household": 80}}));
        let (last_year, current) = (totals(&[(RESIDUAL, 100_000, 2)]), totals(&[(RESIDUAL, 10_000, 2)]));
        let peers = HashMap::new();
        let figures = Figures { current: &current, history: &[&last_year], peers: &peers, earned_elsewhere: 40 };
        let mut decision = assess(&rules, figures);
        assert_eq!(decision.points, 40);
        assert_eq!(codes(&decision), ["INSUFFICIENT_DATA", "CAP_REACHED", "CAP_REACHED"]);
        decision.limit_to(15);
        assert_eq!((decision.status, decision.points), (Status::Accepted, 15));
        decision.limit_to(0);
        assert_eq!((decision.status, decision.points), (Status::Rejected, 0));
        assert_eq!(codes(&decision).last(), Some(&"BUDGET_EXHAUSTED"));
    }
}
