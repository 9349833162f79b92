//! Settlements: what a council owes a merchant for the vouchers it redeemed.
//!
//! A council closes a period for a merchant and a coin: every redeemed
//! voucher not yet settled, redeemed before the period's end, is counted in
//! the new settlement (each voucher in one settlement only: the claim is a
//! conditional update). A voucher redeemed at the very moment of the close
//! may miss it; it is counted in the next. Once the council has paid the
//! shop, it marks the settlement paid, and the engine moves the points from
//! the merchant's account back to the issuer in the same transaction.

use serde::Serialize;

use crate::ids::{MerchantId, SettlementId, StaffId, TenantId, VoucherId};
use crate::{Store, StoreError, Tx, now_ms};

/// A closed period of a merchant's redemptions in one coin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Settlement {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Public id (the payment's transfer id derives from it).
    pub id: SettlementId,
    /// The shop it settles with.
    pub merchant_id: MerchantId,
    /// The coin of its vouchers.
    pub coin: String,
    /// Start of the period (ms since epoch, exclusive): the end of the previous settlement (the first: the merchant's registration).
    pub period_from: i64,
    /// End of the period (ms since epoch, inclusive: a voucher redeemed in the millisecond the period is closed at is in it).
    pub period_until: i64,
    /// How many vouchers it counts.
    pub vouchers: i64,
    /// Their points.
    pub points: i64,
    /// What the council owes, in euro cents.
    pub amount_cents: i64,
    /// When it was closed.
    pub closed_at: i64,
    /// Who closed it.
    pub closed_by: StaffId,
    /// When the council marked it paid.
    pub paid_at: Option<i64>,
    /// Who marked it paid.
    pub paid_by: Option<StaffId>,
}

/// `select` of every settlement column followed by `$tail` (a literal), as a static string.
macro_rules! select_settlements {
    ($tail:literal) => {
        concat!(
            "select tenant_id, id, merchant_id, coin, period_from, period_until, vouchers, points, amount_cents, \
             closed_at, closed_by, paid_at, paid_by from settlements ",
            $tail
        )
    };
}

/// Closes the period of a merchant's redemptions in `coin` that ends at
/// `until`: every redeemed voucher not yet settled and redeemed by then.
/// Closes of the same merchant wait for each other (a lock on its row), so
/// periods follow each other without overlap.
pub async fn close(
    tx: &mut Tx,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
    coin: &str,
    until: i64,
    closed_by: &StaffId,
) -> Result<Settlement, StoreError> {
    sqlx::query("update merchants set name = name where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(merchant_id)
        .execute(&mut **tx)
        .await?;
    // The first period starts when the merchant was registered.
    let period_from: Option<i64> = sqlx::query_scalar(
        "select coalesce((select max(period_until) from settlements where tenant_id = $1 and merchant_id = $2 \
                          and coin = $3), created_at) from merchants where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(merchant_id)
    .bind(coin)
    .fetch_optional(&mut **tx)
    .await?;
    let id = SettlementId::new();
    let counted: Vec<(i64, i64)> = sqlx::query_as(
        "update vouchers set settlement_id = $1 where tenant_id = $2 and merchant_id = $3 and coin = $4 \
         and status = 'redeemed' and settlement_id is null and redeemed_at <= $5 \
         returning price_points, coalesce(value_cents, 0)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(merchant_id)
    .bind(coin)
    .bind(until)
    .fetch_all(&mut **tx)
    .await?;
    let settlement = Settlement {
        tenant_id: tenant_id.clone(),
        id,
        merchant_id: merchant_id.clone(),
        coin: coin.to_owned(),
        period_from: period_from.unwrap_or(0).min(until),
        period_until: until,
        vouchers: i64::try_from(counted.len()).unwrap_or(i64::MAX),
        points: counted.iter().map(|(points, _)| points).sum(),
        amount_cents: counted.iter().map(|(_, cents)| cents).sum(),
        closed_at: now_ms(),
        closed_by: closed_by.clone(),
        paid_at: None,
        paid_by: None,
    };
    sqlx::query(
        "insert into settlements (tenant_id, id, merchant_id, coin, period_from, period_until, vouchers, points, \
         amount_cents, closed_at, closed_by) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant_id)
    .bind(&settlement.id)
    .bind(merchant_id)
    .bind(coin)
    .bind(settlement.period_from)
    .bind(settlement.period_until)
    .bind(settlement.vouchers)
    .bind(settlement.points)
    .bind(settlement.amount_cents)
    .bind(settlement.closed_at)
    .bind(closed_by)
    .execute(&mut **tx)
    .await?;
    Ok(settlement)
}

/// Marks a settlement paid by `paid_by`; `None` when it was paid before.
pub async fn mark_paid(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &SettlementId,
    paid_by: &StaffId,
) -> Result<Option<Settlement>, StoreError> {
    Ok(sqlx::query_as(
        "update settlements set paid_at = $1, paid_by = $2 where tenant_id = $3 and id = $4 and paid_at is null \
         returning tenant_id, id, merchant_id, coin, period_from, period_until, vouchers, points, amount_cents, \
         closed_at, closed_by, paid_at, paid_by",
    )
    .bind(now_ms())
    .bind(paid_by)
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// One settlement of a tenant.
pub async fn get(store: &Store, tenant_id: &TenantId, id: &SettlementId) -> Result<Option<Settlement>, StoreError> {
    Ok(sqlx::query_as(select_settlements!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}

/// A merchant's settlements, newest period first.
pub async fn of_merchant(
    store: &Store,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
) -> Result<Vec<Settlement>, StoreError> {
    Ok(sqlx::query_as(select_settlements!(
        "where tenant_id = $1 and merchant_id = $2 order by period_until desc, id desc"
    ))
    .bind(tenant_id)
    .bind(merchant_id)
    .fetch_all(store.reader())
    .await?)
}

/// What a merchant redeemed in one coin that no settlement counts yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Unsettled {
    /// The coin.
    pub coin: String,
    /// Vouchers redeemed.
    pub vouchers: i64,
    /// Their points.
    pub points: i64,
    /// What the council will owe, in euro cents.
    pub amount_cents: i64,
}

/// What a merchant redeemed that no settlement counts yet, per coin.
pub async fn unsettled(
    store: &Store,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
) -> Result<Vec<Unsettled>, StoreError> {
    Ok(sqlx::query_as(
        "select coin, count(*) as vouchers, cast(sum(price_points) as bigint) as points, \
                cast(coalesce(sum(value_cents), 0) as bigint) as amount_cents \
         from vouchers where tenant_id = $1 and merchant_id = $2 and status = 'redeemed' and settlement_id is null \
         group by coin order by coin",
    )
    .bind(tenant_id)
    .bind(merchant_id)
    .fetch_all(store.reader())
    .await?)
}

/// One voucher counted in a settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Line {
    /// The voucher.
    pub voucher_id: VoucherId,
    /// What it bought.
    pub offer_title: String,
    /// When the shop redeemed it.
    pub redeemed_at: i64,
    /// Its points.
    pub points: i64,
    /// What the council owes for it, in euro cents.
    pub value_cents: i64,
}

/// The vouchers a settlement counts, in the order they were redeemed.
pub async fn lines(store: &Store, tenant_id: &TenantId, id: &SettlementId) -> Result<Vec<Line>, StoreError> {
    Ok(sqlx::query_as(
        "select v.id as voucher_id, o.title as offer_title, v.redeemed_at, v.price_points as points, \
                coalesce(v.value_cents, 0) as value_cents \
         from vouchers v join offers o on o.tenant_id = v.tenant_id and o.id = v.offer_id \
         where v.tenant_id = $1 and v.settlement_id = $2 order by v.redeemed_at, v.id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(store.reader())
    .await?)
}
