//! What the participant's app shows: one trip, a page of trips, the settled ones among a few.

use super::{Trip, select_trips};
use crate::ids::{ParticipantId, TenantId, TripId};
use crate::sql::{self, BindAll};
use crate::{Store, StoreError};

/// One trip of a tenant.
pub async fn get(store: &Store, tenant_id: &TenantId, id: &TripId) -> Result<Option<Trip>, StoreError> {
    Ok(sqlx::query_as(select_trips!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}

/// The trips among `ids` of a tenant that are settled ([`Trip::is_settled`];
/// unknown and unsettled ids are left out, in no particular order).
pub async fn settled_among(store: &Store, tenant_id: &TenantId, ids: &[TripId]) -> Result<Vec<Trip>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(select_trips!("where tenant_id = $1 and id in ({})"), sql::list(2, ids.len()));
    let trips = sql::query_as::<Trip>(sql).bind(tenant_id).bind_all(ids).fetch_all(store.reader()).await?;
    Ok(trips.into_iter().filter(Trip::is_settled).collect())
}

/// A participant's trips, newest first, strictly older than `before_id` when given.
pub async fn list(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    before_id: Option<&TripId>,
    limit: i64,
) -> Result<Vec<Trip>, StoreError> {
    Ok(sqlx::query_as(select_trips!(
        "where tenant_id = $1 and participant_id = $2 and ($3 is null or id < $3) \
         order by id desc limit $4"
    ))
    .bind(tenant_id)
    .bind(participant_id)
    .bind(before_id)
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}
