//! Who runs campaigns: tenants (councils) with the coins they issue (schools and
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
    /// Its first coin: what a campaign, offer or cause pays in unless it names another.
    pub coin: String,
}

/// Creates a tenant issuing its first coin.
pub async fn create_tenant(tx: &mut Tx, name: &str, coin: &str) -> Result<Tenant, StoreError> {
    let tenant = Tenant { id: TenantId::new(), name: name.to_owned(), coin: coin.to_owned() };
    sqlx::query("insert into tenants (id, name, coin, created_at) values ($1, $2, $3, $4)")
        .bind(&tenant.id)
        .bind(name)
        .bind(coin)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    issue_coin(tx, &tenant.id, coin).await?;
    Ok(tenant)
}

/// A coin a tenant issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Coin {
    /// Its name, e.g. "Geelcoins": unique in the tenant, part of every account id in it.
    pub name: String,
    /// When the tenant began issuing it (ms since epoch).
    pub created_at: i64,
    /// Points of it in participants' wallets: what the council may still have to honour.
    pub in_wallets: i64,
}

/// Makes the tenant an issuer of one more coin: its mint account, and a
/// wallet in it for every participant (a participant holds a wallet in each
/// coin of their council, so crediting a ride never has to open one). A
/// coin the tenant issues already is a [`StoreError::Conflict`].
pub async fn issue_coin(tx: &mut Tx, tenant_id: &TenantId, name: &str) -> Result<Coin, StoreError> {
    let coin = Coin { name: name.to_owned(), created_at: now_ms(), in_wallets: 0 };
    let inserted = sqlx::query(
        "insert into coins (tenant_id, name, created_at) values ($1, $2, $3) on conflict (tenant_id, name) do nothing",
    )
    .bind(tenant_id)
    .bind(name)
    .bind(coin.created_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("the council issues {name} already")));
    }
    ledger::open_account(tx, tenant_id, Owner::Issuer(tenant_id), name).await?;
    ledger::open_wallets(tx, tenant_id, ledger::Wallets::InCoin(name)).await?;
    Ok(coin)
}

/// The coins a tenant issues, oldest first.
pub async fn coins(store: &Store, tenant_id: &TenantId) -> Result<Vec<Coin>, StoreError> {
    Ok(sqlx::query_as(
        "select c.name, c.created_at, cast(coalesce((select sum(a.balance) from accounts a \
           where a.tenant_id = c.tenant_id and a.kind = 'participant' and a.coin = c.name), 0) as bigint) as in_wallets \
         from coins c where c.tenant_id = $1 order by c.created_at, c.name",
    )
    .bind(tenant_id)
    .fetch_all(store.reader())
    .await?)
}

/// The coin a campaign, offer, cause or settlement pays in: `named` when
/// the tenant issues it, the tenant's first coin when it names none; `None`
/// when the tenant does not issue `named`.
pub async fn coin_or_first(
    store: &Store,
    tenant_id: &TenantId,
    named: Option<&str>,
) -> Result<Option<String>, StoreError> {
    coin_or_first_with(&mut *store.reader().acquire().await?, tenant_id, named).await
}

/// [`coin_or_first`], read by `executor` (a transaction of the store's own writes).
pub(crate) async fn coin_or_first_with(
    executor: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    named: Option<&str>,
) -> Result<Option<String>, StoreError> {
    Ok(match named {
        Some(name) => {
            sqlx::query_scalar("select name from coins where tenant_id = $1 and name = $2")
                .bind(tenant_id)
                .bind(name)
                .fetch_optional(executor)
                .await?
        }
        None => Some(tenant_with(executor, tenant_id).await?.coin),
    })
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
