//! Participants: joining a class with its code (their sessions are in
//! [`crate::sessions`], their campaign enrolments follow [`crate::campaigns`]).

use crate::ids::{CampaignId, ClassId, ParticipantId, TenantId};
use crate::ledger::{self, Wallets};
use crate::sql::{self, BindAll};
use crate::{Store, StoreError, Tx, campaigns, now_ms};

/// Where a join code leads.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JoinTarget {
    /// The class's tenant.
    pub tenant_id: TenantId,
    /// The class.
    pub class_id: ClassId,
}

/// Creates a pseudonymous participant in a class, with an empty wallet in
/// each of the tenant's coins, enrolled in the campaigns that cover the class, and
/// returns its id.
pub async fn create_participant(
    tx: &mut Tx,
    target: &JoinTarget,
    nickname: Option<&str>,
) -> Result<ParticipantId, StoreError> {
    let id = ParticipantId::new();
    let now = now_ms();
    sqlx::query("insert into participants (tenant_id, id, class_id, nickname, created_at) values ($1, $2, $3, $4, $5)")
        .bind(&target.tenant_id)
        .bind(&id)
        .bind(&target.class_id)
        .bind(nickname)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    campaigns::enroll_joiner(tx, &target.tenant_id, &id, &target.class_id).await?;
    ledger::open_wallets(tx, &target.tenant_id, Wallets::Of(&id)).await?;
    Ok(id)
}

/// Serialises decisions about the participants of a batch: their rows stay
/// locked until the transaction ends, so two rides of the same student are
/// never judged against the same history at once (no double daily cap, no
/// missed overlap). One statement for the batch; PostgreSQL walks the key's
/// index in key order for an `in` list, so two batches lock shared
/// participants in the same order and cannot deadlock.
pub async fn lock_for_decisions(
    tx: &mut Tx,
    tenant_id: &TenantId,
    participant_ids: &[&ParticipantId],
) -> Result<(), StoreError> {
    if participant_ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "update participants set decisions = decisions + 1 where tenant_id = $1 and id in ({})",
        sql::list(2, participant_ids.len())
    );
    sql::query(sql).bind(tenant_id).bind_all(participant_ids.iter().copied()).execute(&mut **tx).await?;
    Ok(())
}

/// The campaigns a participant is enrolled in (running, paused or over), earliest enrolment first.
pub async fn enrollments(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
) -> Result<Vec<CampaignId>, StoreError> {
    Ok(sqlx::query_scalar(
        "select campaign_id from enrollments where tenant_id = $1 and participant_id = $2 order by enrolled_at, campaign_id",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .fetch_all(store.reader())
    .await?)
}
