//! How long the engine keeps a participant's rides, and what it holds about
//! a participant when a family asks (DESIGN §6: minors' location data).
//!
//! A raw trace is kept only for the campaign's dispute window after its
//! decision; then [`forget_traces`] deletes it. What the replay check needs
//! stays as the trip's fingerprint, which never contains the first and last
//! 200 m of the ride (the home end). [`participant`] is what the export reads
//! besides the trips and the wallet.

use crate::StoreError;

/// Deletes the raw traces of a campaign's trips decided before
/// `decided_before` (ms since epoch), at most `limit` of them, and returns
/// how many. Driven from the traces still held (a few weeks' worth), so the
/// cost does not grow with the rides ever made.
pub async fn forget_traces(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    campaign_id: &str,
    decided_before: i64,
    limit: i64,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "delete from trip_traces where tenant_id = $1 and trip_id in ( \
             select t.id from trip_traces as held join trips as t on t.tenant_id = held.tenant_id and t.id = held.trip_id \
             where held.tenant_id = $1 and t.campaign_id = $2 and t.decided_at < $3 limit $4)",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .bind(decided_before)
    .bind(limit)
    .execute(executor)
    .await?
    .rows_affected())
}

/// What the engine holds on a participant besides trips and wallet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ParticipantRecord {
    /// Pseudonymous id.
    pub id: String,
    /// The class joined.
    pub class_id: String,
    /// The nickname chosen, if any.
    pub nickname: Option<String>,
    /// When they joined (ms since epoch).
    pub created_at: i64,
    /// Sessions (refresh-token families) that can still be refreshed.
    pub live_sessions: i64,
}

/// A participant of a tenant, with the number of live sessions.
pub async fn participant(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    participant_id: &str,
    now: i64,
) -> Result<Option<ParticipantRecord>, StoreError> {
    Ok(sqlx::query_as(
        "select p.id, p.class_id, p.nickname, p.created_at, \
             (select count(distinct r.family_id) from refresh_tokens as r \
              where r.tenant_id = p.tenant_id and r.participant_id = p.id and r.revoked_at is null and r.expires_at > $3) \
             as live_sessions \
         from participants as p where p.tenant_id = $1 and p.id = $2",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .bind(now)
    .fetch_optional(executor)
    .await?)
}
