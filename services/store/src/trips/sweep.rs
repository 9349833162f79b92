//! Trips stuck before their next step, for the relay's sweep.

use crate::ids::{TenantId, TripId};
use crate::lifecycle::TripStatus;
use crate::{Store, StoreError, status_sql};

/// A trip stuck before its next step: still `pending` (waiting for a
/// decision), or `accepted` without its credit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StuckTrip {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The trip.
    pub id: TripId,
    /// `Pending` (waiting for scoring) or `Accepted` (waiting for the ledger).
    pub status: TripStatus,
}

/// Trips that reached their current step before `cutoff` and have not moved
/// on: their event may have been lost (e.g. a Redis restart) and is
/// published again. Both halves read a partial index of waiting trips only.
pub async fn stuck(store: &Store, cutoff: i64, limit: i64) -> Result<Vec<StuckTrip>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "select tenant_id, id, status from trips where status = ",
        status_sql!(pending),
        " and submitted_at < $1 union all select tenant_id, id, status from trips where status = ",
        status_sql!(accepted),
        " and credited_at is null and decided_at < $1 limit $2"
    ))
    .bind(cutoff)
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}
