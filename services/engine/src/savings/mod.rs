//! Savings campaigns (DESIGN §10): their rules ([`rules`]), the judgement of
//! one household's period ([`assess`]) and the period close, which judges
//! every household with linked members and sends what it earned through the
//! bus to the ledger, like a ride.
//!
//! A close can run any number of times: a household whose decision comes
//! out as stored is left alone; one that comes out otherwise (a reading was
//! corrected, or came late) gets a new revision, and its members are
//! credited (or debited) the difference, split as the first decision was:
//! in whole points, the remainder to the member linked longest. The credits
//! are written with their outbox events in the same transaction, so a
//! crash loses nothing and a second close pays nothing twice.

pub mod assess;
pub mod rules;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smartville_store::campaigns::{self, Campaign, CampaignKind, CampaignStatus};
use smartville_store::ids::{CampaignId, HouseholdId, TenantId};
use smartville_store::ledger::{self as accounts, Owner};
use smartville_store::readings::Measured;
use smartville_store::savings::{self, Close, LinkedHousehold, NewCredit, NewDecision};
use smartville_store::{StoreError, outbox, tenancy};

pub use assess::{BaselineSource, Figures, MeasureFigures, SavingsDecision, Total, Totals, assess};
pub use rules::{BaselineRule, Period, PeriodError, PeriodLength, SavingsRules, SavingsSpec};

use crate::{Engine, EngineError, Shutdown, now_ms};

/// Households judged per transaction of a close.
const HOUSEHOLDS_PER_TX: usize = 2_000;
/// Credits per bus event (one ledger transaction each).
pub const CREDITS_PER_EVENT: usize = 64;

/// The payload of a `savings.credits` event: credits of one tenant for the ledger to post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditsEvent {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The credits' ids, at most [`CREDITS_PER_EVENT`].
    pub credit_ids: Vec<String>,
}

/// Why a period cannot be closed; each has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
pub enum CloseRefusal {
    /// The council has no such campaign.
    #[error("no such campaign")]
    NotFound,
    /// The campaign rewards rides, not savings.
    #[error("this campaign rewards rides; only a savings campaign has periods to close")]
    NotSavings,
    /// The campaign does not run.
    #[error("a campaign that is {0} closes no periods")]
    State(&'static str),
    /// The period label does not read.
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// The period has not ended yet.
    #[error("{period} ends at {ends_at} (ms since the epoch); it can be closed after that")]
    NotOver {
        /// The period.
        period: String,
        /// When it ends.
        ends_at: i64,
    },
    /// The period is not wholly within the campaign's validity.
    #[error("{0} is not within the campaign's valid_from and valid_until")]
    OutsideCampaign(String),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl CloseRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::NotSavings => "NOT_A_SAVINGS_CAMPAIGN",
            Self::State(_) => "CAMPAIGN_STATE",
            Self::Period(_) => "INVALID_PERIOD",
            Self::NotOver { .. } => "PERIOD_NOT_OVER",
            Self::OutsideCampaign(_) => "OUTSIDE_CAMPAIGN",
            Self::Engine(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for CloseRefusal {
    fn from(error: StoreError) -> Self {
        Self::Engine(error.into())
    }
}

impl From<serde_json::Error> for CloseRefusal {
    fn from(error: serde_json::Error) -> Self {
        Self::Engine(error.into())
    }
}

/// What a close did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloseSummary {
    /// The period closed (`2027-01`).
    pub period: String,
    /// The version of the campaign's rules that judged it.
    pub version: i64,
    /// Households with linked members judged.
    pub households: usize,
    /// Of them, those whose decision is new or came out otherwise than stored.
    pub changed: usize,
    /// Of them, those that earn points.
    pub accepted: usize,
    /// The points of every household's decision together.
    pub points: u64,
    /// Points this run sent to (or, when negative, took back from) members' wallets.
    pub credited: i64,
    /// How many households each reason code was given to.
    pub reasons: BTreeMap<String, usize>,
}

/// Closes `period` (a label such as `2027-01`) of a savings campaign at
/// `now`: judges every household with linked members, stores what changed
/// and sends the differences to the ledger.
#[tracing::instrument(name = "savings.close", skip(engine), fields(tenant = %tenant_id, campaign = %campaign_id))]
pub async fn close(
    engine: &Engine,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    period: &str,
    now: i64,
) -> Result<CloseSummary, CloseRefusal> {
    let store = &engine.store;
    let campaign = match campaigns::campaign(store, tenant_id, campaign_id).await {
        Err(StoreError::NotFound(_)) => return Err(CloseRefusal::NotFound),
        other => other?,
    };
    if campaign.kind != CampaignKind::Savings {
        return Err(CloseRefusal::NotSavings);
    }
    if campaign.status != CampaignStatus::Active {
        return Err(CloseRefusal::State(campaign.status.as_str()));
    }
    let versions = versions_of(engine, &campaign).await?;
    let newest = &versions[versions.len() - 1].rules;
    let until = newest.bounds(newest.period(period)?).1;
    // The version in force when the period ended judges it.
    let in_force = versions.iter().rev().find(|v| v.effective_from < until).unwrap_or(&versions[0]);
    let (version, rules) = (in_force.number, &in_force.rules);
    let period = rules.period(period)?;
    let (from, until) = rules.bounds(period);
    if until > now {
        return Err(CloseRefusal::NotOver { period: period.to_string(), ends_at: until });
    }
    if !rules.counts(period) {
        return Err(CloseRefusal::OutsideCampaign(period.to_string()));
    }
    let label = period.to_string();

    let current = totals_by_household(engine, tenant_id, from, until).await?;
    let mut history = Vec::new();
    for earlier in rules.baseline_periods(period) {
        let (from, until) = rules.bounds(earlier);
        history.push(totals_by_household(engine, tenant_id, from, until).await?);
    }
    let sizes = savings::household_sizes(store, tenant_id).await?;
    let peers = PeerSums::of(rules, &current, &sizes);
    let mut earned_elsewhere: HashMap<HouseholdId, u64> = HashMap::new();
    for (household, other, points) in savings::earned(store, tenant_id, campaign_id).await? {
        if other != label {
            *earned_elsewhere.entry(household).or_default() += u64::try_from(points).unwrap_or(0);
        }
    }
    let stored = savings::of_period(store, tenant_id, campaign_id, &label).await?;
    let account = accounts::account_id(Owner::Campaign(campaign_id), &campaign.coin);
    let mut budget_left =
        accounts::balance(store, tenant_id, &account).await? - savings::owed(store, tenant_id, campaign_id).await?;

    let linked = savings::linked_households(store, tenant_id).await?;
    let mut summary = CloseSummary {
        period: label.clone(),
        version,
        households: linked.len(),
        changed: 0,
        accepted: 0,
        points: 0,
        credited: 0,
        reasons: BTreeMap::new(),
    };
    let empty = Totals::new();
    let write = Close { campaign_id, period: &label, version, at: now };
    for chunk in linked.chunks(HOUSEHOLDS_PER_TX) {
        let mut decisions = Vec::new();
        let mut credits = Vec::new();
        for household in chunk {
            let before = stored.get(&household.id);
            let history: Vec<&Totals> = history.iter().map(|h| h.get(&household.id).unwrap_or(&empty)).collect();
            let own = current.get(&household.id).unwrap_or(&empty);
            let figures = Figures {
                current: own,
                history: &history,
                peers: &sizes.get(&household.id).map(|size| peers.without(rules, *size, own)).unwrap_or_default(),
                earned_elsewhere: earned_elsewhere.get(&household.id).copied().unwrap_or(0),
            };
            let mut decision = assess(rules, figures);
            let paid_before = before.map_or(0, |b| b.points);
            decision.limit_to(u64::try_from(budget_left + paid_before).unwrap_or(0));
            let points = i64::try_from(decision.points).unwrap_or(i64::MAX);
            budget_left += paid_before - points;

            summary.points += decision.points;
            summary.accepted += usize::from(decision.points > 0);
            for reason in &decision.reasons {
                *summary.reasons.entry(reason.code.as_str().to_owned()).or_default() += 1;
            }
            let json = serde_json::to_string(&decision)?;
            if before.is_some_and(|b| b.decision == json) {
                continue;
            }
            let revision = before.map_or(1, |b| b.revision + 1);
            credits.extend(shares(campaign_id, &label, household, revision, points - paid_before));
            summary.credited += points - paid_before;
            let status = if decision.points > 0 { "accepted" } else { "rejected" };
            decisions.push(NewDecision {
                household_id: household.id.clone(),
                revision,
                status,
                points,
                decision: json,
            });
        }
        summary.changed += decisions.len();
        let mut tx = store.begin().await?;
        savings::write(&mut tx, tenant_id, write, &decisions, &credits).await?;
        for batch in credits.chunks(CREDITS_PER_EVENT) {
            let event = CreditsEvent {
                tenant_id: tenant_id.clone(),
                credit_ids: batch.iter().map(|credit| credit.id.clone()).collect(),
            };
            outbox::enqueue(&mut tx, tenant_id, &engine.topics.savings, &serde_json::to_string(&event)?).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        engine.outbox_written.notify_one();
    }
    let mut tx = store.begin().await?;
    savings::record_close(&mut tx, tenant_id, write, linked.len() as i64).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(period = %label, households = summary.households, changed = summary.changed, points = summary.points, "period closed");
    Ok(summary)
}

/// One version of a savings campaign's rules.
#[derive(Debug, Clone)]
pub struct SavingsVersion {
    /// Its number (1, 2, …), recorded with every decision made by it.
    pub number: i64,
    /// From when it is in force (ms since epoch).
    pub effective_from: i64,
    /// The rules.
    pub rules: SavingsRules,
}

/// Every version of a savings campaign's rules, oldest first (never empty).
pub async fn versions_of(engine: &Engine, campaign: &Campaign) -> Result<Vec<SavingsVersion>, EngineError> {
    let mut versions = Vec::new();
    for version in campaigns::versions(&engine.store, &campaign.tenant_id, &campaign.id).await? {
        let value: serde_json::Value = serde_json::from_str(&version.spec)?;
        let rules = SavingsSpec::check(value).map_err(|mut problems| EngineError::Campaign(problems.swap_remove(0)))?;
        versions.push(SavingsVersion { number: version.version, effective_from: version.effective_from, rules });
    }
    if versions.is_empty() {
        return Err(StoreError::NotFound("campaign version").into());
    }
    Ok(versions)
}

/// Every household's totals of `[from, until)`.
async fn totals_by_household(
    engine: &Engine,
    tenant_id: &TenantId,
    from: i64,
    until: i64,
) -> Result<HashMap<HouseholdId, Totals>, EngineError> {
    let mut totals: HashMap<HouseholdId, Totals> = HashMap::new();
    for sum in savings::sums(&engine.store, tenant_id, from, until).await? {
        let total = Total { amount: sum.amount, readings: sum.readings };
        totals.entry(sum.household_id).or_default().insert(sum.measured, total);
    }
    Ok(totals)
}

/// For each household size and covered fraction or carrier, the sum of the
/// period's totals of the households of that size with enough readings, and
/// how many they are: what a household without history is compared with.
struct PeerSums(HashMap<(i32, Measured), (i64, u32)>);

impl PeerSums {
    fn of(rules: &SavingsRules, current: &HashMap<HouseholdId, Totals>, sizes: &HashMap<HouseholdId, i32>) -> Self {
        let mut sums: HashMap<(i32, Measured), (i64, u32)> = HashMap::new();
        for (household, totals) in current {
            let Some(size) = sizes.get(household) else { continue };
            for (measured, total) in totals {
                if counts_as_peer(rules, *measured, total) {
                    let (sum, count) = sums.entry((*size, *measured)).or_default();
                    (*sum, *count) = (*sum + total.amount, *count + 1);
                }
            }
        }
        Self(sums)
    }

    /// The average of the other households of `size`, leaving out the one
    /// judged (whose period is `own`), where at least `min_peers` others have
    /// enough readings: a household's own saving does not lower the
    /// baseline it is judged against.
    fn without(&self, rules: &SavingsRules, size: i32, own: &Totals) -> HashMap<Measured, i64> {
        let mut averages = HashMap::new();
        for &measured in rules.covers() {
            let Some(&(mut sum, mut count)) = self.0.get(&(size, measured)) else { continue };
            if let Some(total) = own.get(&measured).filter(|total| counts_as_peer(rules, measured, total)) {
                (sum, count) = (sum - total.amount, count - 1);
            }
            if count > 0 && count >= rules.spec().min_peers {
                averages.insert(measured, sum / i64::from(count));
            }
        }
        averages
    }
}

/// Whether a household's total of `measured` joins its peers' average.
fn counts_as_peer(rules: &SavingsRules, measured: Measured, total: &Total) -> bool {
    rules.covers().contains(&measured) && total.readings >= rules.spec().min_readings
}

/// A difference of `points` split over a household's members: whole points
/// each, the remainder to the member linked longest; no credit of 0.
fn shares(
    campaign_id: &CampaignId,
    period: &str,
    household: &LinkedHousehold,
    revision: i64,
    points: i64,
) -> Vec<NewCredit> {
    let members = household.members.len() as i64;
    if points == 0 || members == 0 {
        return Vec::new();
    }
    let (each, remainder) = (points / members, points % members);
    household
        .members
        .iter()
        .enumerate()
        .map(|(i, participant)| (participant, if i == 0 { each + remainder } else { each }))
        .filter(|(_, share)| *share != 0)
        .map(|(participant, share)| NewCredit {
            id: format!("savings:{campaign_id}:{period}:{}:{revision}:{participant}", household.id),
            household_id: household.id.clone(),
            participant_id: participant.clone(),
            points: share,
        })
        .collect()
}

/// How often the scoring component looks for periods to close.
pub const CLOSE_EVERY: Duration = Duration::from_secs(600);

/// Closes, for every running savings campaign, the period that ended last
/// when it was never closed, and every closed period again when readings of
/// it or of its baseline periods arrived since (a correction, a late batch);
/// returns the periods it closed.
pub async fn close_due(engine: &Engine, now: i64) -> Result<Vec<CloseSummary>, EngineError> {
    let store = &engine.store;
    let mut closed = Vec::new();
    for tenant in tenancy::tenants(store).await? {
        for campaign in campaigns::campaigns(store, &tenant.id).await? {
            if campaign.kind != CampaignKind::Savings || campaign.status != CampaignStatus::Active {
                continue;
            }
            let versions = versions_of(engine, &campaign).await?;
            let Some(SavingsVersion { rules, .. }) = versions.last() else { continue };
            let mut due = Vec::new();
            let last = rules.period_at(now).back(1);
            let closes = savings::closes(store, &tenant.id, &campaign.id).await?;
            if rules.counts(last) && !closes.iter().any(|(label, _)| *label == last.to_string()) {
                due.push(last.to_string());
            }
            for (label, closed_at) in closes {
                let Ok(period) = rules.period(&label) else { continue };
                for judged_by in std::iter::once(period).chain(rules.baseline_periods(period)) {
                    let (from, until) = rules.bounds(judged_by);
                    if savings::received_since(store, &tenant.id, from, until, closed_at).await? {
                        due.push(label);
                        break;
                    }
                }
            }
            for label in due {
                match close(engine, &tenant.id, &campaign.id, &label, now).await {
                    Ok(summary) => closed.push(summary),
                    Err(CloseRefusal::Engine(error)) => return Err(error),
                    Err(refusal) => tracing::warn!(campaign = %campaign.id, %refusal, "period not closed"),
                }
            }
        }
    }
    Ok(closed)
}

/// Closes due periods every [`CLOSE_EVERY`] until shutdown.
pub async fn run(engine: Engine, shutdown: Shutdown) -> Result<(), EngineError> {
    crate::every(CLOSE_EVERY, shutdown, "closing savings periods", || async {
        close_due(&engine, now_ms()).await.map(drop)
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use smartville_store::ids::ParticipantId;
    use smartville_store::readings::Fraction;

    use super::*;
    use crate::savings::rules::SavingsSpec;

    #[test]
    fn a_household_without_history_is_compared_with_the_others_of_its_size() {
        let residual = Measured::Waste(Fraction::Residual);
        let rules = SavingsSpec::check(serde_json::json!({
            "kind": "savings", "id": "less", "name": "Less", "time_zone": "Europe/Brussels",
            "valid_from": "2027-01-01", "valid_until": "2027-12-31", "budget_points": 1000,
            "covers": ["residual"], "period": "month", "baseline": {"rule": "same_period_last_year"},
            "min_readings": 2, "min_peers": 2, "points": {"per_kg": 2}
        }))
        .unwrap();
        let period = |amount, readings| Totals::from([(residual, Total { amount, readings })]);
        // Three households of two: 10, 20 and 60 kg (the last with too few readings to count);
        // one household of one.
        let current = HashMap::from([
            (HouseholdId::from("a"), period(10_000, 2)),
            (HouseholdId::from("b"), period(20_000, 2)),
            (HouseholdId::from("c"), period(60_000, 1)),
            (HouseholdId::from("single"), period(5_000, 2)),
        ]);
        let sizes = HashMap::from([
            (HouseholdId::from("a"), 2),
            (HouseholdId::from("b"), 2),
            (HouseholdId::from("c"), 2),
            (HouseholdId::from("single"), 1),
        ]);
        let peers = PeerSums::of(&rules, &current, &sizes);
        // c is compared with a and b; a has only b beside it, fewer than min_peers.
        assert_eq!(peers.without(&rules, 2, &current[&HouseholdId::from("c")]), HashMap::from([(residual, 15_000)]));
        assert!(peers.without(&rules, 2, &current[&HouseholdId::from("a")]).is_empty());
        assert!(peers.without(&rules, 1, &current[&HouseholdId::from("single")]).is_empty());
    }

    #[test]
    fn a_difference_is_split_in_whole_points_with_the_remainder_to_the_longest_linked() {
        let household = LinkedHousehold {
            id: HouseholdId::from("h"),
            members: vec![ParticipantId::from("first"), ParticipantId::from("second"), ParticipantId::from("third")],
        };
        let campaign = CampaignId::from("c");
        let points = |credits: Vec<NewCredit>| credits.iter().map(|c| c.points).collect::<Vec<_>>();
        assert_eq!(points(shares(&campaign, "2027-01", &household, 1, 100)), [34, 33, 33]);
        assert_eq!(points(shares(&campaign, "2027-01", &household, 2, -7)), [-3, -2, -2]);
        assert_eq!(points(shares(&campaign, "2027-01", &household, 3, 2)), [2]);
        assert!(shares(&campaign, "2027-01", &household, 4, 0).is_empty());
        let ids = shares(&campaign, "2027-01", &household, 1, 3);
        assert_eq!(ids[0].id, "savings:c:2027-01:h:1:first");
    }
}
