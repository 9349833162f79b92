//! A campaign's budget as its council reads it — funded, paid, held for
//! rides in review, remaining, and the points in wallets — all from the
//! ledger and the trips, and the date it runs out at the pace of the last
//! [`PACE_DAYS`] days. When that date falls before the campaign's end, the
//! budget carries a warning, and the relay's process writes it to the audit
//! log (at most once every [`WARN_AGAIN_AFTER_DAYS`] days per campaign), so
//! the council sees it coming before students ride for nothing.

use std::time::Duration;

use chrono::NaiveDate;
use serde::Serialize;
use smartville_store::audit::{self, Actor};
use smartville_store::campaigns::{self, Campaign, CampaignKind, CampaignStatus};
use smartville_store::{StoreError, tenancy};

use crate::campaigns::{CampaignFile, newest_file};
use crate::{DAY_MS, Engine, EngineError, Shutdown, now_ms};

/// The days whose payouts set the pace of the forecast.
pub const PACE_DAYS: i64 = 14;
/// A warning already in the audit log is not repeated for this many days.
pub const WARN_AGAIN_AFTER_DAYS: i64 = 7;
/// How often the forecasts are checked for warnings (and once at start).
pub const EVERY: Duration = Duration::from_secs(3600);

/// A campaign's budget and its forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Budget {
    /// Points moved into the budget from the council's issuing account (less what was taken back).
    pub funded: i64,
    /// Points paid to rides (what the budget account gave out).
    pub paid: i64,
    /// Points decided for rides in review: paid if a reviewer accepts them.
    pub held: i64,
    /// Points the budget account holds.
    pub remaining: i64,
    /// Points in the wallets of the council's participants (in its coin, all campaigns together).
    pub outstanding_in_wallets: i64,
    /// Points paid in the last [`PACE_DAYS`] days.
    pub paid_last_14_days: i64,
    /// The pace: points paid per day over the last [`PACE_DAYS`] days.
    pub paid_per_day: f64,
    /// The local date the budget runs out at that pace (none while nothing is paid).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub runs_out_on: Option<NaiveDate>,
    /// The campaign's last day (`valid_until` of its newest rules).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub ends_on: NaiveDate,
    /// Set when a running campaign's budget runs out before its end (also written to the audit log).
    pub warning: Option<String>,
}

/// The budget of `campaign` as of `now` (ms since epoch).
pub async fn budget(engine: &Engine, campaign: &Campaign, now: i64) -> Result<Budget, EngineError> {
    let (store, tenant_id) = (&engine.store, &campaign.tenant_id);
    let since = now - PACE_DAYS * DAY_MS;
    let figures = campaigns::budget_figures(store, tenant_id, &campaign.id, &campaign.coin, since).await?;
    let (today, ends_on) = match campaign.kind {
        CampaignKind::Rides => {
            let rules = engine.campaigns.get(store, tenant_id, &campaign.id).await?;
            let newest = &rules.newest().compiled;
            (newest.local_time(now).date(), newest.spec().valid_until)
        }
        CampaignKind::Savings | CampaignKind::Litter => match newest_file(engine, campaign).await? {
            CampaignFile::Savings(rules) => (rules.local_date(now), rules.spec().valid_until),
            CampaignFile::Litter(rules) => (rules.local_date(now), rules.spec().valid_until),
            // A campaign keeps its kind: its newest file is of it.
            CampaignFile::Rides(_) => return Err(StoreError::NotFound("the campaign's savings or litter rules").into()),
        },
    };
    let paid_per_day = figures.paid_since as f64 / PACE_DAYS as f64;
    let runs_out_on = (paid_per_day > 0.0)
        .then(|| today + chrono::Days::new((figures.remaining as f64 / paid_per_day).ceil() as u64))
        .filter(|_| figures.remaining >= 0);
    let warning = runs_out_on.filter(|day| *day < ends_on && campaign.status == CampaignStatus::Active).map(|day| {
        format!(
            "at the pace of the last {PACE_DAYS} days ({paid_per_day:.0} points a day) the budget runs out on \
             {day}, before the campaign ends on {ends_on}"
        )
    });
    Ok(Budget {
        funded: campaign.budget_funded,
        paid: (campaign.budget_funded - figures.remaining).max(0),
        held: figures.held,
        remaining: figures.remaining,
        outstanding_in_wallets: figures.outstanding,
        paid_last_14_days: figures.paid_since,
        paid_per_day,
        runs_out_on,
        ends_on,
        warning,
    })
}

/// Writes `campaign.budget_warning` to the audit log of each running
/// campaign whose budget runs out before its end, unless it was written in
/// the last [`WARN_AGAIN_AFTER_DAYS`] days; returns how many it wrote.
pub async fn warn_on_forecasts(engine: &Engine, now: i64) -> Result<usize, EngineError> {
    let store = &engine.store;
    let mut written = 0;
    for tenant in tenancy::tenants(store).await? {
        for campaign in campaigns::campaigns(store, &tenant.id).await? {
            if campaign.status != CampaignStatus::Active {
                continue;
            }
            let budget = budget(engine, &campaign, now).await?;
            if budget.warning.is_none() {
                continue;
            }
            let last = audit::last_recorded(store, &tenant.id, "campaign.budget_warning", campaign.id.as_str()).await?;
            if last.is_some_and(|at| at > now - WARN_AGAIN_AFTER_DAYS * DAY_MS) {
                continue;
            }
            let mut tx = store.begin().await?;
            let subject = campaign.id.as_str();
            audit::record(&mut tx, &tenant.id, Actor::System, "campaign.budget_warning", subject, None, Some(&budget))
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
            tracing::warn!(campaign = %campaign.id, warning = budget.warning.as_deref(), "budget runs out early");
            written += 1;
        }
    }
    Ok(written)
}

/// Checks the forecasts every [`EVERY`] until shutdown.
pub async fn run(engine: Engine, shutdown: Shutdown) -> Result<(), EngineError> {
    crate::every(EVERY, shutdown, "checking budget forecasts", || async {
        warn_on_forecasts(&engine, now_ms()).await.map(drop)
    })
    .await
}
