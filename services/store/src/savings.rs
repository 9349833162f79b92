//! Savings closes (DESIGN §10): the sums a close judges households by, the
//! decision of each household and period, and the credits that carry its
//! points to the ledger.
//!
//! A decision has a `revision`, moved each time a close comes out otherwise
//! (a reading was corrected). Its points travel as credits, one per linked
//! member and revision, each the member's share of the difference from the
//! revision before: a credit id names campaign, period, household, revision
//! and member, so a close run twice at once fails on the second instead of
//! paying twice, and the ledger posts each credit once.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;

use crate::ids::{CampaignId, HouseholdId, ParticipantId, TenantId};
use crate::readings::Measured;
use crate::sources::ReadingKind;
use crate::sql::{self, BindAll};
use crate::{Backend, Store, StoreError, Tx};

/// What one household's readings of one fraction or carrier add up to in a span of time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    /// The household.
    pub household_id: HouseholdId,
    /// What was measured.
    pub measured: Measured,
    /// The sum of the amounts in force, in the base unit.
    pub amount: i64,
    /// How many readings made it.
    pub readings: u32,
}

/// The sums of every household's readings in force observed in `[from, until)` (ms since epoch).
pub async fn sums(store: &Store, tenant_id: &TenantId, from: i64, until: i64) -> Result<Vec<Sum>, StoreError> {
    let rows = sqlx::query(
        "select household_id, kind, measured, cast(sum(amount) as bigint) as amount, count(*) as readings \
         from readings where tenant_id = $1 and observed_at >= $2 and observed_at < $3 and replaced_by is null \
         group by household_id, kind, measured",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(until)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|row| {
            let (kind, name): (String, String) = (row.try_get("kind")?, row.try_get("measured")?);
            let measured =
                ReadingKind::from_name(&kind).and_then(|kind| Measured::of(kind, &name)).ok_or_else(|| {
                    sqlx::Error::Decode(format!("{kind:?} / {name:?} is not something a reading measures").into())
                })?;
            Ok(Sum {
                household_id: row.try_get("household_id")?,
                measured,
                amount: row.try_get("amount")?,
                readings: u32::try_from(row.try_get::<i64, _>("readings")?).unwrap_or(u32::MAX),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Whether a reading observed in `[from, until)` arrived (or was corrected) after `since`.
pub async fn received_since(
    store: &Store,
    tenant_id: &TenantId,
    from: i64,
    until: i64,
    since: i64,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "select 1 from readings where tenant_id = $1 and observed_at >= $2 and observed_at < $3 \
         and received_at > $4 limit 1",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(until)
    .bind(since)
    .fetch_optional(store.reader())
    .await?;
    Ok(found.is_some())
}

/// A household with at least one linked member, as a close splits its points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedHousehold {
    /// The household.
    pub id: HouseholdId,
    /// Its linked members, longest linked first.
    pub members: Vec<ParticipantId>,
}

/// The tenant's households with linked members, by id.
pub async fn linked_households(store: &Store, tenant_id: &TenantId) -> Result<Vec<LinkedHousehold>, StoreError> {
    let rows: Vec<(HouseholdId, ParticipantId)> = sqlx::query_as(
        "select household_id, participant_id from household_members where tenant_id = $1 and unlinked_at is null \
         order by household_id, linked_at, participant_id",
    )
    .bind(tenant_id)
    .fetch_all(store.reader())
    .await?;
    let mut linked: Vec<LinkedHousehold> = Vec::new();
    for (household_id, participant_id) in rows {
        match linked.last_mut() {
            Some(last) if last.id == household_id => last.members.push(participant_id),
            _ => linked.push(LinkedHousehold { id: household_id, members: vec![participant_id] }),
        }
    }
    Ok(linked)
}

/// The size of every household of the tenant whose size is known.
pub async fn household_sizes(store: &Store, tenant_id: &TenantId) -> Result<HashMap<HouseholdId, i32>, StoreError> {
    let rows: Vec<(HouseholdId, i32)> =
        sqlx::query_as("select id, size from households where tenant_id = $1 and size is not null")
            .bind(tenant_id)
            .fetch_all(store.reader())
            .await?;
    Ok(rows.into_iter().collect())
}

/// The points each household earned in each period of a campaign: `(household, period, points)`.
pub async fn earned(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
) -> Result<Vec<(HouseholdId, String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "select household_id, period, points from savings_decisions \
         where tenant_id = $1 and campaign_id = $2 and points <> 0",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .fetch_all(store.reader())
    .await?)
}

/// A stored decision of one period.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Decided {
    /// The household.
    pub household_id: HouseholdId,
    /// How many times it was decided (1 for the first close).
    pub revision: i64,
    /// The points it gave the household.
    pub points: i64,
    /// The decision (JSON), as the close wrote it.
    pub decision: String,
}

/// The decisions of one period of a campaign, by household.
pub async fn of_period(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    period: &str,
) -> Result<HashMap<HouseholdId, Decided>, StoreError> {
    let rows: Vec<Decided> = sqlx::query_as(
        "select household_id, revision, points, decision from savings_decisions \
         where tenant_id = $1 and campaign_id = $2 and period = $3",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .bind(period)
    .fetch_all(store.reader())
    .await?;
    Ok(rows.into_iter().map(|decided| (decided.household_id.clone(), decided)).collect())
}

/// A household's decision for a period, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    /// The household.
    pub household_id: HouseholdId,
    /// 1 for the first, one more than the stored one after.
    pub revision: i64,
    /// `accepted` or `rejected`.
    pub status: &'static str,
    /// Points for the household.
    pub points: i64,
    /// The decision with its reasons and figures (JSON).
    pub decision: String,
}

/// A member's share of a decision's difference, for the ledger to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredit {
    /// The transfer's id too: names campaign, period, household, revision and member.
    pub id: String,
    /// The household.
    pub household_id: HouseholdId,
    /// The member credited (or, when negative, debited).
    pub participant_id: ParticipantId,
    /// Points, never 0: negative when a correction lowered the decision.
    pub points: i64,
}

/// What one run of a close writes.
#[derive(Debug, Clone, Copy)]
pub struct Close<'a> {
    /// The campaign.
    pub campaign_id: &'a CampaignId,
    /// The period's label (`2027-01`).
    pub period: &'a str,
    /// The version of the campaign's rules that judged it.
    pub version: i64,
    /// When (ms since epoch).
    pub at: i64,
}

/// Stores decisions (new or revised) and their credits.
pub async fn write(
    tx: &mut Tx,
    tenant_id: &TenantId,
    close: Close<'_>,
    decisions: &[NewDecision],
    credits: &[NewCredit],
) -> Result<(), StoreError> {
    for chunk in decisions.chunks(sql::per_statement(Backend::of(tx), 0, 10)) {
        let statement = format!(
            "insert into savings_decisions (tenant_id, campaign_id, period, household_id, revision, version, status, \
             points, decision, decided_at) values {} on conflict (tenant_id, campaign_id, period, household_id) do update \
             set revision = excluded.revision, version = excluded.version, status = excluded.status, \
             points = excluded.points, decision = excluded.decision, decided_at = excluded.decided_at",
            sql::rows(1, chunk.len(), 10)
        );
        let mut query = sql::query(statement);
        for decision in chunk {
            query = query
                .bind(tenant_id)
                .bind(close.campaign_id)
                .bind(close.period)
                .bind(&decision.household_id)
                .bind(decision.revision)
                .bind(close.version)
                .bind(decision.status)
                .bind(decision.points)
                .bind(decision.decision.as_str())
                .bind(close.at);
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in credits.chunks(sql::per_statement(Backend::of(tx), 0, 8)) {
        let statement = format!(
            "insert into savings_credits (tenant_id, id, campaign_id, period, household_id, participant_id, points, \
             created_at) values {}",
            sql::rows(1, chunk.len(), 8)
        );
        let mut query = sql::query(statement);
        for credit in chunk {
            query = query
                .bind(tenant_id)
                .bind(credit.id.as_str())
                .bind(close.campaign_id)
                .bind(close.period)
                .bind(&credit.household_id)
                .bind(&credit.participant_id)
                .bind(credit.points)
                .bind(close.at);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records that a close ran to its end, with how many households it judged.
pub async fn record_close(
    tx: &mut Tx,
    tenant_id: &TenantId,
    close: Close<'_>,
    households: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into savings_closes (tenant_id, campaign_id, period, closed_at, households) values ($1, $2, $3, $4, $5) \
         on conflict (tenant_id, campaign_id, period) do update set closed_at = excluded.closed_at, \
         households = excluded.households",
    )
    .bind(tenant_id)
    .bind(close.campaign_id)
    .bind(close.period)
    .bind(close.at)
    .bind(households)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The periods of a campaign closed so far, with when each was last closed (ms since epoch).
pub async fn closes(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "select period, closed_at from savings_closes where tenant_id = $1 and campaign_id = $2 order by period",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .fetch_all(store.reader())
    .await?)
}

/// Points not yet posted by the ledger that a campaign's credits still owe (positive ones only).
pub async fn owed(store: &Store, tenant_id: &TenantId, campaign_id: &CampaignId) -> Result<i64, StoreError> {
    let owed: Option<i64> = sqlx::query_scalar(
        "select cast(sum(points) as bigint) from savings_credits \
         where tenant_id = $1 and campaign_id = $2 and credited_at is null and points > 0",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .fetch_one(store.reader())
    .await?;
    Ok(owed.unwrap_or(0))
}

/// A credit the ledger took to post.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CreditClaim {
    /// Also the transfer's id.
    pub id: String,
    /// The campaign whose budget pays (or takes back).
    pub campaign_id: CampaignId,
    /// The member.
    pub participant_id: ParticipantId,
    /// Points: credited when positive, taken back when negative.
    pub points: i64,
}

/// Claims the credits of `ids` not yet posted, marking them posted in full
/// at `at`; credits posted before are left out (so a redelivered event is harmless).
pub async fn claim(tx: &mut Tx, tenant_id: &TenantId, ids: &[String], at: i64) -> Result<Vec<CreditClaim>, StoreError> {
    let mut claimed = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(sql::per_statement(Backend::of(tx), 2, 1)) {
        let statement = format!(
            "update savings_credits set credited_at = $1, paid = points \
             where tenant_id = $2 and id in ({}) and credited_at is null \
             returning id, campaign_id, participant_id, points",
            sql::list(3, chunk.len())
        );
        let rows: Vec<CreditClaim> =
            sql::query_as(statement).bind(at).bind(tenant_id).bind_all(chunk.iter()).fetch_all(&mut **tx).await?;
        claimed.extend(rows);
    }
    claimed.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(claimed)
}

/// Records that the ledger moved only `paid` points of a claimed credit
/// (the budget, or the wallet a correction takes back from, held less).
pub async fn pay_less(tx: &mut Tx, tenant_id: &TenantId, id: &str, paid: i64) -> Result<(), StoreError> {
    sqlx::query("update savings_credits set paid = $1 where tenant_id = $2 and id = $3")
        .bind(paid)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Credits created before `cutoff` and not yet posted, oldest first: the
/// relay publishes them again (the bus may have lost their event).
pub async fn waiting(store: &Store, cutoff: i64, limit: i64) -> Result<Vec<(TenantId, String)>, StoreError> {
    Ok(sqlx::query_as(
        "select tenant_id, id from savings_credits where credited_at is null and created_at < $1 \
         order by created_at, id limit $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}

/// A household's decision for one period of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HouseholdDecision {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its name.
    pub campaign_name: String,
    /// The period (`2027-01`).
    pub period: String,
    /// How many times it was decided.
    pub revision: i64,
    /// The decision (JSON, with status, points, reasons and figures).
    pub decision: String,
    /// When it was last decided (ms since epoch).
    pub decided_at: i64,
}

/// A household's decisions, newest period first.
pub async fn of_household(
    store: &Store,
    tenant_id: &TenantId,
    household_id: &HouseholdId,
) -> Result<Vec<HouseholdDecision>, StoreError> {
    Ok(sqlx::query_as(
        "select d.campaign_id, c.name as campaign_name, d.period, d.revision, d.decision, d.decided_at from savings_decisions d \
         join campaigns c on c.tenant_id = d.tenant_id and c.id = d.campaign_id \
         where d.tenant_id = $1 and d.household_id = $2 order by d.period desc, c.name",
    )
    .bind(tenant_id)
    .bind(household_id)
    .fetch_all(store.reader())
    .await?)
}
