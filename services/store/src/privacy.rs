//! How long the engine keeps a participant's rides, and what it holds about
//! a participant when a family asks (DESIGN §6: minors' location data).
//!
//! A raw trace is kept only for the campaign's dispute window after its
//! decision; then [`forget_traces`] deletes it. What the replay check needs
//! stays as the trip's fingerprint, which never contains the first and last
//! 200 m of the ride (the home end). [`participant`] is what the export reads
//! besides the trips and the wallet; [`erase`] forgets a participant on
//! request while the ledger stays balanced and the council's counts stay right.

use crate::ids::{CampaignId, ClassId, ParticipantId, TenantId};
use crate::ledger::{self, Owner, Transfer};
use crate::reports;
use crate::{Store, StoreError, Tx, litter, new_id, now_ms};

/// Deletes the raw traces of a campaign's trips decided before
/// `decided_before` (ms since epoch), at most `limit` of them, and returns
/// how many. Driven from the traces still held (a few weeks' worth), so the
/// cost does not grow with the rides ever made.
pub async fn forget_traces(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
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
    .execute(store.writer())
    .await?
    .rows_affected())
}

/// What the engine holds on a participant besides trips and wallet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ParticipantRecord {
    /// Pseudonymous id.
    pub id: ParticipantId,
    /// The class joined.
    pub class_id: ClassId,
    /// The nickname chosen, if any.
    pub nickname: Option<String>,
    /// When they joined (ms since epoch).
    pub created_at: i64,
    /// Sessions (refresh-token families) that can still be refreshed.
    pub live_sessions: i64,
}

/// A participant of a tenant, with the number of live sessions.
pub async fn participant(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    now: i64,
) -> Result<Option<ParticipantRecord>, StoreError> {
    Ok(sqlx::query_as(
        "select p.id, p.class_id, p.nickname, p.created_at, \
             (select count(distinct r.family_id) from refresh_tokens as r \
              where r.tenant_id = p.tenant_id and r.holder = 'participant' and r.holder_id = p.id and r.revoked_at is null and r.expires_at > $3) \
             as live_sessions \
         from participants as p where p.tenant_id = $1 and p.id = $2",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .bind(now)
    .fetch_optional(store.reader())
    .await?)
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// Points returned from the wallet, per coin.
    pub returned: Vec<(String, i64)>,
    /// Trips kept as anonymous counts (their traces and fingerprints deleted).
    pub trips: u64,
    /// The keys of the photos of the participant's litter reports: the caller deletes the files
    /// once the erasure is committed.
    pub photos: Vec<String>,
}

/// Erases a participant in the caller's transaction: nickname, sessions,
/// enrolments, household links, raw traces and fingerprints are deleted, and
/// their litter reports lose their notes, photos and reporter; the trips stay for
/// the council's counts under a new id that belongs to nobody (their
/// idempotency keys and body hashes cleared); whatever the wallet holds goes
/// back to `return_to(coin)` (the campaign budget) by a transfer, so the
/// ledger stays balanced. `None` when there is no such participant or it was
/// erased already.
pub async fn erase(
    tx: &mut Tx,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    return_to: impl Fn(&str) -> String,
) -> Result<Option<Erased>, StoreError> {
    let marked = sqlx::query(
        "update participants set nickname = null, erased_at = $1 where tenant_id = $2 and id = $3 and erased_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(participant_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if marked == 0 {
        return Ok(None);
    }
    let mut returned = Vec::new();
    for balance in ledger::balances_of_with(&mut **tx, tenant_id, Owner::Participant(participant_id)).await? {
        if balance.amount <= 0 {
            continue;
        }
        let transfer = Transfer {
            id: format!("erasure:{participant_id}:{}", balance.coin),
            debit_account: ledger::account_id(Owner::Participant(participant_id), &balance.coin),
            credit_account: return_to(&balance.coin),
            amount: balance.amount,
            kind: "erasure".into(),
            reference: participant_id.to_string(),
        };
        ledger::post(tx, tenant_id, &transfer).await?;
        returned.push((balance.coin, balance.amount));
    }
    for statement in [
        "delete from trip_traces where tenant_id = $1 and trip_id in \
             (select id from trips where tenant_id = $1 and participant_id = $2)",
        "delete from trip_fingerprints where tenant_id = $1 and participant_id = $2",
        "delete from refresh_tokens where tenant_id = $1 and holder = 'participant' and holder_id = $2",
        "delete from enrollments where tenant_id = $1 and participant_id = $2",
        "delete from household_members where tenant_id = $1 and participant_id = $2",
        "update household_codes set used_by = null where tenant_id = $1 and used_by = $2",
    ] {
        sqlx::query(statement).bind(tenant_id).bind(participant_id).execute(&mut **tx).await?;
    }
    reports::forget_rider(tx, tenant_id, participant_id).await?;
    let photos = litter::forget_participant(tx, tenant_id, participant_id).await?;
    let trips = sqlx::query(
        "update trips set participant_id = $1, idempotency_key = id, body_hash = '', route_cells = null \
         where tenant_id = $2 and participant_id = $3",
    )
    .bind(format!("erased:{}", new_id()))
    .bind(tenant_id)
    .bind(participant_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(Some(Erased { returned, trips, photos }))
}
