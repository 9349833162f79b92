//! A campaign's report for its council and schools: per day or week, the
//! participants, rides accepted, rejected (by reason) and in review,
//! kilometres, CO2 avoided and points issued and paid, with the budget as
//! the ledger holds it now.
//!
//! It reads the per-day aggregates the store keeps up to date as rides are
//! decided, reviewed and paid ([`smartville_store::reports`]), never the
//! trips: a school year of a town answers from a few thousand rows.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use smartville_scoring::CompiledCampaign;
use smartville_store::campaigns::Campaign;
use smartville_store::ids::{ClassId, SchoolId, TenantId, TripId};
use smartville_store::ledger::{self, Owner};
use smartville_store::reports::{self, DayFigures, Reach, Scope};

use crate::{Engine, EngineError};

/// Most days one report covers (two school years).
pub const MAX_DAYS: i64 = 731;

/// How a report's figures are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// One row per local day.
    #[default]
    Day,
    /// One row per week, Monday to Sunday.
    Week,
}

/// What a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    /// First local day (default: the campaign's first day).
    pub from: Option<NaiveDate>,
    /// Last local day, inclusive (default: the campaign's last day).
    pub until: Option<NaiveDate>,
    /// Day or week rows.
    pub by: Period,
    /// Whose rides: the campaign's, a school's, some classes'.
    pub reach: Reach,
}

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportRefusal {
    /// `until` is before `from`, or the range is longer than [`MAX_DAYS`].
    #[error("{0}")]
    Range(String),
    /// Reading failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// What the rides of a period (or the whole report) add up to.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Participants with an accepted ride: in a day's row those who rode
    /// that day, in a week's row that week; in the totals, those whose first
    /// accepted ride of the campaign falls in the report's range (so every
    /// rider, when the range starts with the campaign).
    pub participants: i64,
    /// Rides accepted.
    pub rides_accepted: i64,
    /// Rides rejected (by scoring, a reviewer or not overturned on appeal).
    pub rides_rejected: i64,
    /// Rides waiting for a reviewer.
    pub rides_in_review: i64,
    /// Kilometres ridden on accepted rides.
    pub km: f64,
    /// CO2 those kilometres avoided, kg (at the campaign's `co2_g_per_km`).
    pub co2_kg: f64,
    /// Points decided for accepted rides.
    pub points_issued: i64,
    /// Points the ledger paid out (less than issued when the budget ran short, or not paid yet).
    pub points_paid: i64,
    /// Rejected rides per reason code (a ride rejected for two reasons counts under both).
    pub rejections: BTreeMap<String, i64>,
    /// Rides in review per reason code.
    pub reviews: BTreeMap<String, i64>,
}

/// One row of a report: a day or a week.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Row {
    /// The day, or the Monday of the week.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub starts: NaiveDate,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// A campaign's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// First day covered.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    /// Last day covered.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub until: NaiveDate,
    /// How rows are grouped.
    pub by: Period,
    /// The school it is limited to.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub school_id: Option<SchoolId>,
    /// The classes it is limited to.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub class_ids: Option<Vec<ClassId>>,
    /// The CO2 factor used, grams per km (the campaign's newest rules).
    pub co2_g_per_km: u32,
    /// The whole range.
    pub totals: Figures,
    /// The days or weeks with any rides, in order.
    pub rows: Vec<Row>,
    /// The campaign's budget now, from the ledger (the whole campaign,
    /// whatever the scope; left out for readers who may not see the campaign's money).
    pub budget: Option<BudgetLeft>,
}

/// What a campaign's budget holds now (its forecast is the budget view's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetLeft {
    /// Points moved into the budget.
    pub funded: i64,
    /// Points paid out of it.
    pub paid: i64,
    /// Points it holds.
    pub remaining: i64,
}

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const CE_TO_1970: i32 = 719_163;

/// The number of a local date: days since 1970-01-01, as the store counts days.
pub fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce() - CE_TO_1970)
}

/// The day number of the local date an instant (ms since epoch) falls on
/// under a campaign's rules: the day its reports count a ride started then on.
pub fn local_day(rules: &CompiledCampaign, t_ms: i64) -> i64 {
    day_number(rules.local_time(t_ms).date())
}

/// The local date of a day number (days the calendar cannot hold read as its last or first date).
pub fn date_of(day: i64) -> NaiveDate {
    let ce = i32::try_from(day).unwrap_or(i32::MAX).saturating_add(CE_TO_1970);
    NaiveDate::from_num_days_from_ce_opt(ce).unwrap_or(if day < 0 { NaiveDate::MIN } else { NaiveDate::MAX })
}

impl Figures {
    /// Adds a day's aggregates, counting its participants as the row of `by` does.
    fn add_day(&mut self, day: &DayFigures, participants: impl Fn(&DayFigures) -> i64, co2_g_per_km: u32) {
        self.participants += participants(day);
        self.rides_accepted += day.accepted;
        self.rides_rejected += day.rejected;
        self.rides_in_review += day.review;
        let km = day.distance_m as f64 / 1000.0;
        self.km = round3(self.km + km);
        self.co2_kg = round3(self.km * f64::from(co2_g_per_km) / 1000.0);
        self.points_issued += day.points;
        self.points_paid += day.paid_points;
    }
}

/// Rounds to three decimals (metres, grams): what a report shows.
fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// What `campaign`'s budget account holds and has paid, from the ledger.
async fn budget_left(engine: &Engine, campaign: &Campaign) -> Result<BudgetLeft, EngineError> {
    let account = ledger::account_id(Owner::Campaign(&campaign.id), &campaign.coin);
    let remaining = ledger::balance(&engine.store, &campaign.tenant_id, &account).await?;
    Ok(BudgetLeft { funded: campaign.budget_funded, paid: (campaign.budget_funded - remaining).max(0), remaining })
}

/// The report of `campaign` for `query`.
pub async fn report(engine: &Engine, campaign: &Campaign, query: &ReportQuery) -> Result<Report, ReportRefusal> {
    let (store, tenant_id) = (&engine.store, &campaign.tenant_id);
    let rules = engine.campaigns.get(store, tenant_id, &campaign.id).await?;
    let spec = rules.newest().compiled.spec();
    let from = query.from.unwrap_or(spec.valid_from);
    let until = query.until.unwrap_or(spec.valid_until);
    if until < from {
        return Err(ReportRefusal::Range(format!("until ({until}) is before from ({from})")));
    }
    if day_number(until) - day_number(from) >= MAX_DAYS {
        return Err(ReportRefusal::Range(format!("a report covers at most {MAX_DAYS} days")));
    }
    let scope = Scope {
        campaign_id: &campaign.id,
        from_day: day_number(from),
        until_day: day_number(until),
        reach: &query.reach,
    };
    let (days, reasons) = reports::read(store, tenant_id, &scope).await.map_err(EngineError::from)?;
    let co2 = spec.co2_g_per_km;
    let row_of = |day: i64| match query.by {
        Period::Day => day,
        Period::Week => reports::week_of(day),
    };
    let participants = |f: &DayFigures| match query.by {
        Period::Day => f.riders_new_in_day,
        Period::Week => f.riders_new_in_week,
    };
    let mut totals = Figures::default();
    let mut rows: BTreeMap<i64, Figures> = BTreeMap::new();
    for day in &days {
        totals.add_day(&day.figures, |f| f.riders_new_in_campaign, co2);
        rows.entry(row_of(day.day)).or_default().add_day(&day.figures, participants, co2);
    }
    for reason in &reasons {
        let row = rows.entry(row_of(reason.day)).or_default();
        for figures in [&mut totals, row] {
            for (counts, n) in [(&mut figures.rejections, reason.rejected), (&mut figures.reviews, reason.review)] {
                if n != 0 {
                    *counts.entry(reason.reason.clone()).or_default() += n;
                }
            }
        }
    }
    Ok(Report {
        from,
        until,
        by: query.by,
        school_id: match &query.reach {
            Reach::Campaign => None,
            Reach::School(school) | Reach::Classes(school, _) => Some(school.clone()),
        },
        class_ids: match &query.reach {
            Reach::Classes(_, classes) => Some(classes.clone()),
            Reach::Campaign | Reach::School(_) => None,
        },
        co2_g_per_km: co2,
        totals,
        rows: rows.into_iter().map(|(day, figures)| Row { starts: date_of(day), figures }).collect(),
        budget: Some(budget_left(engine, campaign).await?),
    })
}

/// Fewest distinct participants a cell of the public heat map needs before
/// it is shown (k-anonymity): a street a handful of children ride would
/// point at where they live.
pub const HEAT_MAP_MIN_RIDERS: i64 = 10;

/// A campaign's heat map: the cells that at least [`HEAT_MAP_MIN_RIDERS`]
/// distinct participants rode an earning ride through (never a ride's ends,
/// see the scoring library's `Ride::cells_without_ends`), with how many did.
pub async fn heat_map(engine: &Engine, campaign: &Campaign) -> Result<Vec<(h3o::CellIndex, i64)>, EngineError> {
    let cells = reports::ridden_cells(&engine.store, &campaign.tenant_id, &campaign.id, HEAT_MAP_MIN_RIDERS).await?;
    Ok(cells
        .into_iter()
        .filter_map(|(cell, riders)| Some((h3o::CellIndex::try_from(u64::try_from(cell).ok()?).ok()?, riders)))
        .collect())
}

/// Trips counted late per transaction.
const LATE_BATCH: i64 = 500;

/// Counts into the reports the rides decided before they existed (each on
/// the local day of its campaign's rules), a batch at a time until none is
/// left: run once when the relay's process starts, so an engine upgraded
/// with rides behind it reports them too. Returns how many it counted.
pub async fn count_earlier_rides(engine: &Engine) -> Result<usize, EngineError> {
    let store = &engine.store;
    let mut counted = 0;
    loop {
        let batch = reports::uncounted(store, LATE_BATCH).await?;
        if batch.is_empty() {
            break;
        }
        let mut by_tenant: BTreeMap<&TenantId, Vec<(TripId, i64)>> = BTreeMap::new();
        for trip in &batch {
            let rules = engine.campaigns.get(store, &trip.tenant_id, &trip.campaign_id).await?;
            let day = local_day(&rules.in_force_at(trip.started_at).compiled, trip.started_at);
            by_tenant.entry(&trip.tenant_id).or_default().push((trip.id.clone(), day));
        }
        for (tenant_id, days) in by_tenant {
            reports::count_late(store, tenant_id, &days).await?;
        }
        counted += batch.len();
    }
    if counted > 0 {
        tracing::info!(rides = counted, "rides decided before reports existed are now counted in them");
    }
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_count_from_1970() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(day_number(date(1970, 1, 1)), 0);
        assert_eq!(day_number(date(2026, 12, 7)), 20_794);
        assert_eq!(date_of(20_794), date(2026, 12, 7));
        assert_eq!(reports::week_of(day_number(date(2026, 12, 13))), day_number(date(2026, 12, 7)));
    }
}
