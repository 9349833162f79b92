//! Causes: a school project, a neighbourhood fund, that students give points
//! to. A donation is a ledger transfer from the wallet to the cause's
//! account, so a cause's total is that account's balance.

use serde::Serialize;

use crate::ids::{CauseId, TenantId};
use crate::ledger::{self, Owner};
use crate::{Store, StoreError, Tx, now_ms};

/// A cause with what it has received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Cause {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Public id.
    pub id: CauseId,
    /// What it is called.
    pub name: String,
    /// What the points go to.
    pub description: String,
    /// The coin it collects.
    pub coin: String,
    /// Points received so far (its account's balance).
    pub total: i64,
    /// When the council listed it.
    pub created_at: i64,
}

/// Lists a cause and opens its account.
pub async fn create(
    tx: &mut Tx,
    tenant_id: &TenantId,
    name: &str,
    description: &str,
    coin: &str,
) -> Result<Cause, StoreError> {
    let cause = Cause {
        tenant_id: tenant_id.clone(),
        id: CauseId::new(),
        name: name.to_owned(),
        description: description.to_owned(),
        coin: coin.to_owned(),
        total: 0,
        created_at: now_ms(),
    };
    sqlx::query(
        "insert into causes (tenant_id, id, name, description, coin, created_at) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(&cause.id)
    .bind(name)
    .bind(description)
    .bind(coin)
    .bind(cause.created_at)
    .execute(&mut **tx)
    .await?;
    ledger::open_account(tx, tenant_id, Owner::Cause(&cause.id), coin).await?;
    Ok(cause)
}

/// `select` of every cause with its total (its account's balance), followed by `$tail` (a literal).
macro_rules! select_causes {
    ($tail:literal) => {
        concat!(
            "select c.tenant_id, c.id, c.name, c.description, c.coin, coalesce(a.balance, 0) as total, c.created_at \
             from causes c left join accounts a on a.tenant_id = c.tenant_id and a.kind = 'cause' \
             and a.owner_id = c.id and a.coin = c.coin ",
            $tail
        )
    };
}

/// Every cause of a tenant with its total, by name.
pub async fn list(store: &Store, tenant_id: &TenantId) -> Result<Vec<Cause>, StoreError> {
    Ok(sqlx::query_as(select_causes!("where c.tenant_id = $1 order by c.name, c.id"))
        .bind(tenant_id)
        .fetch_all(store.reader())
        .await?)
}

/// One cause of a tenant with its total.
pub async fn get(store: &Store, tenant_id: &TenantId, id: &CauseId) -> Result<Option<Cause>, StoreError> {
    Ok(sqlx::query_as(select_causes!("where c.tenant_id = $1 and c.id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}
