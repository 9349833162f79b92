//! Vouchers: the points of one purchase, held until a shop redeems them.
//!
//! ```text
//! pending ──(a shop redeems it, once)──► redeemed
//!         └─(the student cancels it)───► cancelled
//!         └─(its time runs out)────────► expired
//! ```
//!
//! Every move out of `pending` is one conditional update (`where status =
//! 'pending'`), so of two counters redeeming the same code, or a counter and
//! the expiry sweep, exactly one wins; the engine posts the matching ledger
//! transfer in the same transaction.

use serde::Serialize;

use crate::ids::{MerchantId, OfferId, ParticipantId, SettlementId, StaffId, TenantId, VoucherId};
use crate::{Store, StoreError, Tx};

stored_names!(
    /// Where a voucher is in its life (see the module's diagram).
    VoucherStatus {
        /// Bought: its points are held, a shop may redeem it.
        Pending = "pending",
        /// Used at the shop: its points went to the shop.
        Redeemed = "redeemed",
        /// Given back by the student: points and stock returned.
        Cancelled = "cancelled",
        /// Not used in time: points and stock returned.
        Expired = "expired",
    }
);

/// A voucher as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Voucher {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Public id.
    pub id: VoucherId,
    /// What it buys.
    pub offer_id: OfferId,
    /// Where it is redeemed.
    pub merchant_id: MerchantId,
    /// Whose it is.
    pub participant_id: ParticipantId,
    /// The coin it was paid in.
    pub coin: String,
    /// What it cost.
    pub price_points: i64,
    /// The code shown at the counter (a secret of its owner's).
    pub code: String,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub status: VoucherStatus,
    /// When it was bought (ms since epoch).
    pub created_at: i64,
    /// When it stops being good (ms since epoch).
    pub expires_at: i64,
    /// When a shop redeemed it.
    pub redeemed_at: Option<i64>,
    /// Which of the shop's staff redeemed it.
    pub redeemed_by: Option<StaffId>,
    /// What the council owes the shop for it, in euro cents.
    pub value_cents: Option<i64>,
    /// When it was cancelled or expired.
    pub voided_at: Option<i64>,
    /// The settlement that counts it.
    pub settlement_id: Option<SettlementId>,
}

/// The voucher columns, for statements that read or return vouchers.
macro_rules! voucher_columns {
    () => {
        "tenant_id, id, offer_id, merchant_id, participant_id, coin, price_points, code, status, created_at, \
         expires_at, redeemed_at, redeemed_by, value_cents, voided_at, settlement_id"
    };
}

/// A voucher about to be sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVoucher<'a> {
    /// Its id (the ledger's transfer ids derive from it).
    pub id: &'a VoucherId,
    /// What it buys, at what price and where.
    pub offer: &'a crate::offers::Offer,
    /// The buyer.
    pub participant_id: &'a ParticipantId,
    /// The code (80 random bits, canonical form).
    pub code: &'a str,
    /// The buyer's idempotency key.
    pub idempotency_key: &'a str,
    /// When it was bought.
    pub created_at: i64,
    /// When it stops being good.
    pub expires_at: i64,
}

/// Stores a new voucher, first thing in the purchase's transaction: `None`
/// when the participant already bought one with this idempotency key (a
/// concurrent retry waits here for the first to commit, then finds it).
pub async fn insert(tx: &mut Tx, new: &NewVoucher<'_>) -> Result<Option<Voucher>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "insert into vouchers (tenant_id, id, offer_id, merchant_id, participant_id, coin, price_points, code, \
         idempotency_key, status, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11) \
         on conflict (tenant_id, participant_id, idempotency_key) do nothing returning ",
        voucher_columns!()
    ))
    .bind(&new.offer.tenant_id)
    .bind(new.id)
    .bind(&new.offer.id)
    .bind(&new.offer.merchant_id)
    .bind(new.participant_id)
    .bind(&new.offer.coin)
    .bind(new.offer.price_points)
    .bind(new.code)
    .bind(new.idempotency_key)
    .bind(new.created_at)
    .bind(new.expires_at)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A voucher with what a person needs to recognise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Described {
    /// The voucher.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub voucher: Voucher,
    /// The offer's title.
    pub offer_title: String,
    /// The merchant's name.
    pub merchant_name: String,
}

/// `select` of a voucher with its offer's title and its merchant's name,
/// from `vouchers v` joined to both, followed by `$tail` (a literal).
macro_rules! select_described {
    ($tail:literal) => {
        concat!(
            "select v.tenant_id, v.id, v.offer_id, v.merchant_id, v.participant_id, v.coin, v.price_points, v.code, \
             v.status, v.created_at, v.expires_at, v.redeemed_at, v.redeemed_by, v.value_cents, v.voided_at, \
             v.settlement_id, o.title as offer_title, m.name as merchant_name \
             from vouchers v join offers o on o.tenant_id = v.tenant_id and o.id = v.offer_id \
             join merchants m on m.tenant_id = v.tenant_id and m.id = v.merchant_id ",
            $tail
        )
    };
}

/// The voucher a participant bought with an idempotency key.
pub async fn by_idempotency_key(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    key: &str,
) -> Result<Option<Described>, StoreError> {
    Ok(sqlx::query_as(select_described!("where v.tenant_id = $1 and v.participant_id = $2 and v.idempotency_key = $3"))
        .bind(tenant_id)
        .bind(participant_id)
        .bind(key)
        .fetch_optional(store.reader())
        .await?)
}

/// One voucher of a participant's (`None` for anyone else's).
pub async fn of_participant(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    id: &VoucherId,
) -> Result<Option<Described>, StoreError> {
    Ok(sqlx::query_as(select_described!("where v.tenant_id = $1 and v.participant_id = $2 and v.id = $3"))
        .bind(tenant_id)
        .bind(participant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}

/// A participant's vouchers, newest first.
pub async fn list_of_participant(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    limit: i64,
) -> Result<Vec<Described>, StoreError> {
    Ok(sqlx::query_as(select_described!(
        "where v.tenant_id = $1 and v.participant_id = $2 order by v.id desc limit $3"
    ))
    .bind(tenant_id)
    .bind(participant_id)
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}

/// The vouchers a merchant redeemed from `since` on, newest first (the counter's "today").
pub async fn redeemed_at_merchant(
    store: &Store,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
    since: i64,
    limit: i64,
) -> Result<Vec<Described>, StoreError> {
    Ok(sqlx::query_as(select_described!(
        "where v.tenant_id = $1 and v.merchant_id = $2 and v.status = 'redeemed' and v.redeemed_at >= $3 \
         order by v.redeemed_at desc, v.id desc limit $4"
    ))
    .bind(tenant_id)
    .bind(merchant_id)
    .bind(since)
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}

/// The voucher with a code, read in the redeeming transaction, with its offer and merchant.
pub async fn by_code_in(tx: &mut Tx, tenant_id: &TenantId, code: &str) -> Result<Option<Described>, StoreError> {
    Ok(sqlx::query_as(select_described!("where v.tenant_id = $1 and v.code = $2"))
        .bind(tenant_id)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?)
}

/// Marks a pending voucher redeemed by `staff_id` at `now`, owing `value_cents`;
/// `false` when it was not pending any more (another counter was first) or its time ran out.
pub async fn redeem(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &VoucherId,
    staff_id: &StaffId,
    value_cents: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let redeemed = sqlx::query(
        "update vouchers set status = 'redeemed', redeemed_at = $1, redeemed_by = $2, value_cents = $3 \
         where tenant_id = $4 and id = $5 and status = 'pending' and expires_at > $1",
    )
    .bind(now)
    .bind(staff_id)
    .bind(value_cents)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(redeemed == 1)
}

/// Moves a pending voucher to `cancelled` or `expired` at `now` and answers
/// it; `None` when it was not pending (redeemed, or voided before).
pub async fn void(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &VoucherId,
    to: VoucherStatus,
    now: i64,
) -> Result<Option<Voucher>, StoreError> {
    debug_assert!(matches!(to, VoucherStatus::Cancelled | VoucherStatus::Expired));
    Ok(sqlx::query_as(concat!(
        "update vouchers set status = $1, voided_at = $2 where tenant_id = $3 and id = $4 and status = 'pending' \
         returning ",
        voucher_columns!()
    ))
    .bind(to.as_str())
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Up to `limit` pending vouchers of any tenant whose time ran out by `now`, oldest first.
pub async fn expired_by(store: &Store, now: i64, limit: i64) -> Result<Vec<(TenantId, VoucherId)>, StoreError> {
    Ok(sqlx::query_as(
        "select tenant_id, id from vouchers where status = 'pending' and expires_at <= $1 order by expires_at limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}
