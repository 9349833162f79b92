//! Spending points: vouchers, two-phase in the ledger (DESIGN §5).
//!
//! ```text
//! buy:     wallet ──(voucher_reserve)──► voucher's account      stock − 1
//! redeem:  voucher's account ──(redemption)──► merchant
//! cancel, expire:  voucher's account ──(voucher_void)──► wallet  stock + 1
//! ```
//!
//! Each step is one transaction that moves the voucher out of its state with
//! a conditional update and posts the matching transfer, whose id derives
//! from the voucher (`voucher:<id>:reserve|redeem|void`): a wallet is never
//! short (the ledger's conditional debit), a voucher is redeemed or voided
//! once (the conditional update), and a retry posts nothing twice. Expiry is
//! a sweep ([`expire_due`], run by [`run_expiry`]), so points come back even
//! when nobody looks at the voucher.
//!
//! A voucher's code is one of [`codes`](crate::codes): short enough to type
//! at a counter, too many to guess (the redemption route limits attempts per
//! login as well).

use std::time::Duration;

use smartville_store::ids::{MerchantId, OfferId, ParticipantId, StaffId, TenantId, VoucherId};
use smartville_store::ledger::{self, Owner, Transfer};
use smartville_store::offers::{self, NotSold};
use smartville_store::vouchers::{self, Described, NewVoucher, Voucher, VoucherStatus};
use smartville_store::{StoreError, Tx, merchants};

use crate::codes::{canonical_code, new_code};
use crate::{DAY_MS, Engine, EngineError, Shutdown, now_ms};

/// Why a purchase, a cancellation or a redemption is refused; each has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
pub enum VoucherRefusal {
    /// No such offer.
    #[error("no such offer")]
    UnknownOffer,
    /// Not approved, withdrawn, or outside its validity period.
    #[error("this offer is not on sale")]
    NotOnSale,
    /// None left.
    #[error("this offer is sold out")]
    SoldOut,
    /// The participant holds as many of its vouchers as one may.
    #[error("you hold as many vouchers of this offer as one may")]
    LimitReached,
    /// The wallet holds too few points.
    #[error("this costs {price} points and your wallet holds {balance}")]
    InsufficientPoints {
        /// What is in the wallet.
        balance: i64,
        /// What it costs.
        price: i64,
    },
    /// The idempotency key was used for another purchase.
    #[error("this idempotency key was used for another purchase")]
    KeyReused,
    /// No such voucher (for this participant), or a code this shop cannot redeem:
    /// unknown, forged, or another shop's, without telling which.
    #[error("no such voucher")]
    NotFound,
    /// Redeemed before.
    #[error("this voucher was redeemed already")]
    AlreadyRedeemed(Box<Described>),
    /// Cancelled or expired: its points went back to the student.
    #[error("this voucher is {}", .0.as_str())]
    Gone(VoucherStatus),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl VoucherRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnknownOffer => "UNKNOWN_OFFER",
            Self::NotOnSale => "NOT_ON_SALE",
            Self::SoldOut => "SOLD_OUT",
            Self::LimitReached => "LIMIT_REACHED",
            Self::InsufficientPoints { .. } => "INSUFFICIENT_POINTS",
            Self::KeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::NotFound => "VOUCHER_NOT_FOUND",
            Self::AlreadyRedeemed(_) => "ALREADY_REDEEMED",
            Self::Gone(VoucherStatus::Cancelled) => "VOUCHER_CANCELLED",
            Self::Gone(_) => "VOUCHER_EXPIRED",
            Self::Engine(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for VoucherRefusal {
    fn from(error: StoreError) -> Self {
        Self::Engine(error.into())
    }
}

impl From<NotSold> for VoucherRefusal {
    fn from(not_sold: NotSold) -> Self {
        match not_sold {
            NotSold::Unknown => Self::UnknownOffer,
            NotSold::NotOnSale => Self::NotOnSale,
            NotSold::SoldOut => Self::SoldOut,
            NotSold::LimitReached => Self::LimitReached,
        }
    }
}

/// A step of a voucher's life that moves its points (see the module's diagram).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Bought: the wallet pays the voucher's account.
    Reserve,
    /// Redeemed: the voucher's account pays the shop.
    Redeem,
    /// Cancelled or expired: the voucher's account pays the wallet back.
    Void,
}

impl Step {
    /// The ledger's kind of the step's transfer (the names `smartville_store::ledger::check` reads).
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Reserve => "voucher_reserve",
            Self::Redeem => "redemption",
            Self::Void => "voucher_void",
        }
    }

    /// The id of a voucher's transfer for this step: one per voucher and step.
    pub fn transfer_id(self, voucher_id: &VoucherId) -> String {
        let step = match self {
            Self::Reserve => "reserve",
            Self::Redeem => "redeem",
            Self::Void => "void",
        };
        format!("voucher:{voucher_id}:{step}")
    }

    /// The step's transfer for `voucher`, from `debit` to `credit`.
    fn transfer(self, voucher: &Voucher, debit: Owner<'_>, credit: Owner<'_>) -> Transfer {
        Transfer {
            id: self.transfer_id(&voucher.id),
            debit_account: ledger::account_id(debit, &voucher.coin),
            credit_account: ledger::account_id(credit, &voucher.coin),
            amount: voucher.price_points,
            kind: self.kind().to_owned(),
            reference: voucher.id.to_string(),
        }
    }
}

/// A voucher bought, or found again for a retried purchase.
#[derive(Debug, Clone)]
pub struct Purchase {
    /// The voucher with its offer's title and merchant's name.
    pub voucher: Described,
    /// Whether this call bought it (`false`: an earlier call with the same key did).
    pub new: bool,
}

/// Buys a voucher of `offer_id` for a participant: takes one of the stock
/// and of the participant's allowance, and holds the price in the voucher's
/// account, all in one transaction. The same idempotency key answers the
/// same voucher again; for another offer it is refused.
pub async fn buy(
    engine: &Engine,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    offer_id: &OfferId,
    idempotency_key: &str,
) -> Result<Purchase, VoucherRefusal> {
    let store = &engine.store;
    if let Some(earlier) = vouchers::by_idempotency_key(store, tenant_id, participant_id, idempotency_key).await? {
        return replay(earlier, offer_id);
    }
    let now = now_ms();
    let mut tx = store.begin().await?;
    let offer = offers::for_sale(&mut tx, tenant_id, offer_id, now).await??;
    let id = VoucherId::new();
    let code = new_code()?;
    let new = NewVoucher {
        id: &id,
        offer: &offer,
        participant_id,
        code: &code,
        idempotency_key,
        created_at: now,
        expires_at: (now + offer.voucher_days * DAY_MS).min(offer.valid_until),
    };
    // First the voucher row: a concurrent retry with the same key waits on it, then finds the first.
    let Some(voucher) = vouchers::insert(&mut tx, &new).await? else {
        drop(tx);
        let earlier = vouchers::by_idempotency_key(store, tenant_id, participant_id, idempotency_key).await?;
        return replay(earlier.ok_or(StoreError::NotFound("voucher of an idempotency key"))?, offer_id);
    };
    offers::take_one(&mut tx, &offer, participant_id).await??;
    ledger::open_account(&mut tx, tenant_id, Owner::Voucher(&voucher.id), &voucher.coin).await?;
    let reserve = Step::Reserve.transfer(&voucher, Owner::Participant(participant_id), Owner::Voucher(&voucher.id));
    ledger::post(&mut tx, tenant_id, &reserve).await.map_err(|error| match error {
        StoreError::InsufficientFunds { balance, needed, .. } => {
            VoucherRefusal::InsufficientPoints { balance, price: needed }
        }
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(voucher_id = %voucher.id, offer_id = %offer.id, "voucher bought");
    let voucher = vouchers::of_participant(store, tenant_id, participant_id, &voucher.id)
        .await?
        .ok_or(StoreError::NotFound("voucher just bought"))?;
    Ok(Purchase { voucher, new: true })
}

fn replay(earlier: Described, offer_id: &OfferId) -> Result<Purchase, VoucherRefusal> {
    if &earlier.voucher.offer_id == offer_id {
        Ok(Purchase { voucher: earlier, new: false })
    } else {
        Err(VoucherRefusal::KeyReused)
    }
}

/// Moves a pending voucher to `to` (cancelled or expired) in `tx`: the
/// points back to the wallet, the stock and the allowance back to the
/// offer. `None` when it was not pending any more.
async fn void_in(
    tx: &mut Tx,
    tenant_id: &TenantId,
    voucher_id: &VoucherId,
    to: VoucherStatus,
    now: i64,
) -> Result<Option<Voucher>, StoreError> {
    let Some(voucher) = vouchers::void(tx, tenant_id, voucher_id, to, now).await? else {
        return Ok(None);
    };
    offers::give_back(tx, tenant_id, &voucher.offer_id, &voucher.participant_id).await?;
    let void = Step::Void.transfer(&voucher, Owner::Voucher(&voucher.id), Owner::Participant(&voucher.participant_id));
    ledger::post(tx, tenant_id, &void).await?;
    Ok(Some(voucher))
}

/// A participant gives a pending voucher back: its points return to the wallet.
pub async fn cancel(
    engine: &Engine,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    voucher_id: &VoucherId,
) -> Result<Described, VoucherRefusal> {
    let store = &engine.store;
    let owned = vouchers::of_participant(store, tenant_id, participant_id, voucher_id).await?;
    let owned = owned.ok_or(VoucherRefusal::NotFound)?;
    let mut tx = store.begin().await?;
    if void_in(&mut tx, tenant_id, voucher_id, VoucherStatus::Cancelled, now_ms()).await?.is_none() {
        drop(tx);
        let now = vouchers::of_participant(store, tenant_id, participant_id, voucher_id).await?;
        return Err(refusal_for(now.unwrap_or(owned)));
    }
    tx.commit().await.map_err(StoreError::from)?;
    let cancelled = vouchers::of_participant(store, tenant_id, participant_id, voucher_id).await?;
    Ok(cancelled.ok_or(StoreError::NotFound("voucher just cancelled"))?)
}

/// Why a voucher that is not pending cannot be used.
fn refusal_for(voucher: Described) -> VoucherRefusal {
    match voucher.voucher.status {
        VoucherStatus::Redeemed => VoucherRefusal::AlreadyRedeemed(Box::new(voucher)),
        other => VoucherRefusal::Gone(other),
    }
}

/// Who redeems: a merchant's staff member.
#[derive(Debug, Clone, Copy)]
pub struct Counter<'a> {
    /// The merchant's tenant.
    pub tenant_id: &'a TenantId,
    /// The shop.
    pub merchant_id: &'a MerchantId,
    /// The staff member at the counter.
    pub staff_id: &'a StaffId,
}

/// A shop redeems the voucher with `typed_code`: the held points move to
/// the shop, owed at the coin's value of this moment. Of two counters
/// redeeming at once, one succeeds and the other hears when it was redeemed.
/// A code that is unknown, malformed or another shop's is [`VoucherRefusal::NotFound`]
/// alike; a voucher whose time ran out is expired on the spot.
pub async fn redeem(engine: &Engine, counter: Counter<'_>, typed_code: &str) -> Result<Described, VoucherRefusal> {
    let code = canonical_code(typed_code).ok_or(VoucherRefusal::NotFound)?;
    let tenant_id = counter.tenant_id;
    let now = now_ms();
    let mut tx = engine.store.begin().await?;
    let found = vouchers::by_code_in(&mut tx, tenant_id, &code).await?;
    let found = found.filter(|d| &d.voucher.merchant_id == counter.merchant_id).ok_or(VoucherRefusal::NotFound)?;
    let voucher = &found.voucher;
    if voucher.status != VoucherStatus::Pending {
        return Err(refusal_for(found));
    }
    if voucher.expires_at <= now {
        void_in(&mut tx, tenant_id, &voucher.id, VoucherStatus::Expired, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        return Err(VoucherRefusal::Gone(VoucherStatus::Expired));
    }
    let value = merchants::point_value_in(&mut tx, tenant_id, counter.merchant_id, &voucher.coin)
        .await?
        .ok_or(StoreError::NotFound("the coin at this merchant"))?;
    if !vouchers::redeem(&mut tx, tenant_id, &voucher.id, counter.staff_id, value * voucher.price_points, now).await? {
        // Another counter was first: its change is committed, and this statement sees it.
        let now = vouchers::by_code_in(&mut tx, tenant_id, &code).await?.ok_or(VoucherRefusal::NotFound)?;
        return Err(refusal_for(now));
    }
    ledger::open_account(&mut tx, tenant_id, Owner::Merchant(counter.merchant_id), &voucher.coin).await?;
    let redemption = Step::Redeem.transfer(voucher, Owner::Voucher(&voucher.id), Owner::Merchant(counter.merchant_id));
    ledger::post(&mut tx, tenant_id, &redemption).await?;
    let redeemed = vouchers::by_code_in(&mut tx, tenant_id, &code).await?.ok_or(StoreError::NotFound("voucher"))?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(voucher_id = %redeemed.voucher.id, "voucher redeemed");
    Ok(redeemed)
}

/// Vouchers the sweep reads at a time.
const EXPIRY_BATCH: i64 = 256;

/// Expires every pending voucher whose time ran out by `now`, giving its
/// points and stock back, and answers how many it expired. A voucher
/// redeemed or cancelled meanwhile is left as it is. Each voucher is
/// expired in a transaction of its own: two sweeps (or a sweep and a
/// purchase) then never hold locks on two offers in opposite orders.
pub async fn expire_due(engine: &Engine, now: i64) -> Result<u64, EngineError> {
    let mut expired = 0;
    loop {
        let due = vouchers::expired_by(&engine.store, now, EXPIRY_BATCH).await?;
        for (tenant_id, voucher_id) in &due {
            let mut tx = engine.store.begin().await?;
            if void_in(&mut tx, tenant_id, voucher_id, VoucherStatus::Expired, now).await?.is_some() {
                expired += 1;
            }
            tx.commit().await.map_err(StoreError::from)?;
        }
        if due.len() < usize::try_from(EXPIRY_BATCH).unwrap_or(usize::MAX) {
            return Ok(expired);
        }
    }
}

/// How often the sweep looks for vouchers whose time ran out.
const EXPIRY_SWEEP: Duration = Duration::from_secs(30);

/// Runs the expiry sweep every [`EXPIRY_SWEEP`] until shutdown (in the
/// relay's process). Several processes may sweep at once: each voucher is
/// expired by one of them only.
pub async fn run_expiry(engine: Engine, shutdown: Shutdown) -> Result<(), EngineError> {
    crate::every(EXPIRY_SWEEP, shutdown, "the voucher expiry sweep", || async {
        let expired = expire_due(&engine, now_ms()).await?;
        if expired > 0 {
            tracing::info!(expired, "vouchers expired; their points went back to the wallets");
        }
        Ok(())
    })
    .await
}
