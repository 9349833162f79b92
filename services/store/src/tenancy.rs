//! Who runs campaigns: tenants (councils) with their coin (schools and
//! classes are in [`crate::schools`], campaigns in [`crate::campaigns`],
//! merchants in [`crate::merchants`]).

use serde::Serialize;

use crate::ids::TenantId;
use crate::ledger::{self, Owner};
use crate::{Store, StoreError, Tx, now_ms};

/// A tenant: a council or other issuer of a coin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Tenant {
    /// Public id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// The coin it pays in.
    pub coin: String,
}

/// Creates a tenant with its mint account.
pub async fn create_tenant(tx: &mut Tx, name: &str, coin: &str) -> Result<Tenant, StoreError> {
    let tenant = Tenant { id: TenantId::new(), name: name.to_owned(), coin: coin.to_owned() };
    sqlx::query("insert into tenants (id, name, coin, created_at) values ($1, $2, $3, $4)")
        .bind(&tenant.id)
        .bind(name)
        .bind(coin)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    ledger::open_account(tx, &tenant.id, Owner::Issuer(&tenant.id), coin).await?;
    Ok(tenant)
}

/// Every tenant, oldest first.
pub async fn tenants(store: &Store) -> Result<Vec<Tenant>, StoreError> {
    Ok(sqlx::query_as("select id, name, coin from tenants order by id").fetch_all(store.reader()).await?)
}

/// One tenant.
pub async fn tenant(store: &Store, id: &TenantId) -> Result<Tenant, StoreError> {
    tenant_with(store.reader(), id).await
}

/// One tenant, read by `executor` (a transaction of the store's own writes).
pub(crate) async fn tenant_with(executor: impl sqlx::AnyExecutor<'_>, id: &TenantId) -> Result<Tenant, StoreError> {
    sqlx::query_as("select id, name, coin from tenants where id = $1")
        .bind(id)
        .fetch_optional(executor)
        .await?
        .ok_or(StoreError::NotFound("tenant"))
}
