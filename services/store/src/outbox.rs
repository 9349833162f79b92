//! The transactional outbox.
//!
//! A change and the event announcing it are written in one transaction
//! ([`enqueue`]); the relay publishes the waiting events and then deletes them
//! ([`waiting`], [`remove`]), so the table only ever holds what still has to
//! go out. Publishing can happen twice (a crash between publish and delete),
//! so consumers are idempotent: their effects are
//! keyed by the trip (a decision only for a pending trip, one reward transfer
//! per trip id).

use crate::ids::TenantId;
use crate::sql::{self, BindAll};
use crate::{Store, StoreError, Tx, new_id, now_ms};

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxEvent {
    /// Tenant the event belongs to.
    pub tenant_id: TenantId,
    /// Event id (UUIDv7, so ids are in creation order).
    pub id: String,
    /// Bus topic.
    pub topic: String,
    /// JSON payload.
    pub payload: String,
}

/// Writes an event in the caller's transaction and returns its id.
pub async fn enqueue(tx: &mut Tx, tenant_id: &TenantId, topic: &str, payload: &str) -> Result<String, StoreError> {
    let id = new_id();
    sqlx::query("insert into outbox (tenant_id, id, topic, payload, created_at) values ($1, $2, $3, $4, $5)")
        .bind(tenant_id)
        .bind(&id)
        .bind(topic)
        .bind(payload)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// The oldest waiting events, at most `limit`.
pub async fn waiting(store: &Store, limit: i64) -> Result<Vec<OutboxEvent>, StoreError> {
    Ok(sqlx::query_as("select tenant_id, id, topic, payload from outbox order by id limit $1")
        .bind(limit)
        .fetch_all(store.reader())
        .await?)
}

/// Deletes published events (one statement for the whole batch).
pub async fn remove(store: &Store, events: &[OutboxEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!("delete from outbox where id in ({})", sql::list(1, events.len()));
    sql::query(sql).bind_all(events.iter().map(|event| &event.id)).execute(store.writer()).await?;
    Ok(())
}

/// How many events wait to be published (a metric: the relay's backlog).
pub async fn depth(store: &Store) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("select count(*) from outbox").fetch_one(store.reader()).await?)
}
