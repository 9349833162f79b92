//! Who runs campaigns: tenants (councils), campaigns with their funded
//! budgets, merchants and offers (schools and classes are in [`crate::schools`]).

use serde::Serialize;

use crate::ids::{CampaignId, MerchantId, TenantId};
use crate::ledger::{self, Owner, Transfer};
use crate::{Store, StoreError, Tx, new_id, now_ms};

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

/// Creates a merchant and returns its id.
pub async fn create_merchant(tx: &mut Tx, tenant_id: &TenantId, name: &str) -> Result<MerchantId, StoreError> {
    let id = MerchantId::new();
    sqlx::query("insert into merchants (tenant_id, id, name) values ($1, $2, $3)")
        .bind(tenant_id)
        .bind(&id)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Adds an offer to a merchant's catalogue and returns its id.
pub async fn create_offer(
    tx: &mut Tx,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
    title: &str,
    price_points: i64,
) -> Result<String, StoreError> {
    let id = new_id();
    sqlx::query("insert into offers (tenant_id, id, merchant_id, title, price_points) values ($1, $2, $3, $4, $5)")
        .bind(tenant_id)
        .bind(&id)
        .bind(merchant_id)
        .bind(title)
        .bind(price_points)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Campaign {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Engine id.
    pub id: CampaignId,
    /// The council's identifier from the campaign file.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The campaign file (JSON).
    pub spec: String,
    /// Points moved into the budget account so far.
    pub budget_funded: i64,
    /// Last change (ms since epoch): compiled campaigns are cached by it.
    pub updated_at: i64,
}

/// `select` of every campaign column followed by `$tail` (a literal), as a static string.
macro_rules! select_campaigns {
    ($tail:literal) => {
        concat!("select tenant_id, id, slug, name, spec, budget_funded, updated_at from campaigns ", $tail)
    };
}

/// Creates or updates the campaign `slug` of a tenant from its file, and moves
/// the budget account to `budget_points` with a funding (or refund) transfer.
/// Lowering a budget below what was already paid out fails.
pub async fn apply_campaign(
    tx: &mut Tx,
    tenant_id: &TenantId,
    slug: &str,
    name: &str,
    spec_json: &str,
    budget_points: i64,
) -> Result<Campaign, StoreError> {
    let now = now_ms();
    sqlx::query(
        "insert into campaigns (tenant_id, id, slug, name, spec, budget_funded, updated_at) values ($1, $2, $3, $4, $5, 0, $6) \
         on conflict (tenant_id, slug) do update set name = excluded.name, spec = excluded.spec, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(CampaignId::new())
    .bind(slug)
    .bind(name)
    .bind(spec_json)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let campaign: Campaign = sqlx::query_as(select_campaigns!("where tenant_id = $1 and slug = $2"))
        .bind(tenant_id)
        .bind(slug)
        .fetch_one(&mut **tx)
        .await?;
    let change = budget_points - campaign.budget_funded;
    if change != 0 {
        let coin = tenant_with(&mut **tx, tenant_id).await?.coin;
        let issuer = ledger::open_account(tx, tenant_id, Owner::Issuer(tenant_id), &coin).await?;
        let budget = ledger::open_account(tx, tenant_id, Owner::Campaign(&campaign.id), &coin).await?;
        let (debit_account, credit_account) = if change > 0 { (issuer, budget) } else { (budget, issuer) };
        let transfer = Transfer {
            id: format!("funding:{}:{}", campaign.id, new_id()),
            debit_account,
            credit_account,
            amount: change.abs(),
            kind: "funding".into(),
            reference: campaign.id.to_string(),
        };
        ledger::post(tx, tenant_id, &transfer).await?;
        sqlx::query("update campaigns set budget_funded = $1 where tenant_id = $2 and id = $3")
            .bind(budget_points)
            .bind(tenant_id)
            .bind(&campaign.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(Campaign { budget_funded: budget_points, ..campaign })
}

/// One campaign.
pub async fn campaign(store: &Store, tenant_id: &TenantId, id: &CampaignId) -> Result<Campaign, StoreError> {
    sqlx::query_as(select_campaigns!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or(StoreError::NotFound("campaign"))
}

/// When a campaign was last changed (its `updated_at`): a cheap check of a cached copy.
pub async fn campaign_version(store: &Store, tenant_id: &TenantId, id: &CampaignId) -> Result<i64, StoreError> {
    sqlx::query_scalar("select updated_at from campaigns where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or(StoreError::NotFound("campaign"))
}

/// Every campaign of a tenant, oldest first.
pub async fn campaigns(store: &Store, tenant_id: &TenantId) -> Result<Vec<Campaign>, StoreError> {
    Ok(sqlx::query_as(select_campaigns!("where tenant_id = $1 order by id"))
        .bind(tenant_id)
        .fetch_all(store.reader())
        .await?)
}
