//! Settling with shops, and giving to causes: the ledger's other ways out of a wallet.
//!
//! A council closes a period of a merchant's redemptions (see
//! [`smartville_store::settlements`]), pays the shop in euro outside the
//! engine, and marks the settlement paid: the points the shop took in move
//! from its account back to the issuer (`settlement:<id>`), so the coin keeps
//! balancing and the shop's account shows what is still to be paid. The
//! statement lists every voucher behind the figures with the transfers that
//! moved its points.

use smartville_store::audit::{self, Actor};
use smartville_store::causes;
use smartville_store::ids::{CauseId, MerchantId, ParticipantId, SettlementId, StaffId, TenantId};
use smartville_store::ledger::{self, Owner, Posted, Posting, Transfer};
use smartville_store::settlements::{self, Line, Settlement};
use smartville_store::{Store, StoreError};

use crate::vouchers::Step;
use crate::{Engine, EngineError};

/// Closes the period of a merchant's redemptions in `coin` that ends at `until`, as `staff_id`'s doing.
pub async fn close(
    engine: &Engine,
    tenant_id: &TenantId,
    staff_id: &StaffId,
    merchant_id: &MerchantId,
    coin: &str,
    until: i64,
) -> Result<Settlement, EngineError> {
    let mut tx = engine.store.begin().await?;
    let settlement = settlements::close(&mut tx, tenant_id, merchant_id, coin, until, staff_id).await?;
    let subject = settlement.id.as_str();
    audit::record(&mut tx, tenant_id, Actor::Staff(staff_id), "settlement.close", subject, None, Some(&settlement))
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(settlement)
}

/// The id of the transfer that pays a settlement.
pub fn payment_id(settlement_id: &SettlementId) -> String {
    format!("settlement:{settlement_id}")
}

/// Marks a settlement paid and moves its points from the shop's account to
/// the issuer; `None` when it was paid before (nothing moves twice).
pub async fn mark_paid(
    engine: &Engine,
    tenant_id: &TenantId,
    staff_id: &StaffId,
    settlement_id: &SettlementId,
) -> Result<Option<Settlement>, EngineError> {
    let mut tx = engine.store.begin().await?;
    let Some(paid) = settlements::mark_paid(&mut tx, tenant_id, settlement_id, staff_id).await? else {
        return Ok(None);
    };
    if paid.points > 0 {
        let payment = Transfer {
            id: payment_id(&paid.id),
            debit_account: ledger::account_id(Owner::Merchant(&paid.merchant_id), &paid.coin),
            credit_account: ledger::account_id(Owner::Issuer(tenant_id), &paid.coin),
            amount: paid.points,
            kind: "settlement".to_owned(),
            reference: paid.id.to_string(),
        };
        ledger::post(&mut tx, tenant_id, &payment).await?;
    }
    audit::record(&mut tx, tenant_id, Actor::Staff(staff_id), "settlement.paid", paid.id.as_str(), None, Some(&paid))
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(paid))
}

/// A settlement with the vouchers behind it and every transfer that moved their points.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Statement {
    /// The figures.
    pub settlement: Settlement,
    /// One line per voucher.
    pub lines: Vec<Line>,
    /// The transfers: each voucher's reserve and redemption, and the payment once paid.
    pub transfers: Vec<Posting>,
}

/// The statement of a settlement of a tenant (`None`: no such settlement).
pub async fn statement(
    store: &Store,
    tenant_id: &TenantId,
    settlement_id: &SettlementId,
) -> Result<Option<Statement>, EngineError> {
    let Some(settlement) = settlements::get(store, tenant_id, settlement_id).await? else {
        return Ok(None);
    };
    let lines = settlements::lines(store, tenant_id, settlement_id).await?;
    let ids: Vec<String> = lines
        .iter()
        .flat_map(|line| [Step::Reserve.transfer_id(&line.voucher_id), Step::Redeem.transfer_id(&line.voucher_id)])
        .chain([payment_id(settlement_id)])
        .collect();
    let transfers = ledger::postings(store, tenant_id, &ids).await?;
    Ok(Some(Statement { settlement, lines, transfers }))
}

/// Why a donation is refused.
#[derive(Debug, thiserror::Error)]
pub enum DonationRefusal {
    /// No such cause.
    #[error("no such cause")]
    UnknownCause,
    /// The wallet holds too few points.
    #[error("your wallet holds {balance} points")]
    InsufficientPoints {
        /// What is in the wallet.
        balance: i64,
    },
    /// The idempotency key was used for another donation.
    #[error("this idempotency key was used for another donation")]
    KeyReused,
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl DonationRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnknownCause => "UNKNOWN_CAUSE",
            Self::InsufficientPoints { .. } => "INSUFFICIENT_POINTS",
            Self::KeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::Engine(_) => "INTERNAL",
        }
    }
}

/// A participant gives `points` to a cause: one transfer from the wallet,
/// whose id derives from the participant's idempotency key, so a retry
/// gives nothing twice. Answers whether this call gave them.
pub async fn donate(
    engine: &Engine,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    cause_id: &CauseId,
    points: i64,
    idempotency_key: &str,
) -> Result<Posted, DonationRefusal> {
    let cause = causes::get(&engine.store, tenant_id, cause_id).await.map_err(EngineError::from)?;
    let cause = cause.ok_or(DonationRefusal::UnknownCause)?;
    let donation = Transfer {
        id: format!("donation:{participant_id}:{idempotency_key}"),
        debit_account: ledger::account_id(Owner::Participant(participant_id), &cause.coin),
        credit_account: ledger::account_id(Owner::Cause(&cause.id), &cause.coin),
        amount: points,
        kind: "donation".to_owned(),
        reference: cause.id.to_string(),
    };
    let mut tx = engine.store.begin().await.map_err(EngineError::from)?;
    let posted = ledger::post(&mut tx, tenant_id, &donation).await.map_err(|error| match error {
        StoreError::InsufficientFunds { balance, .. } => DonationRefusal::InsufficientPoints { balance },
        StoreError::Conflict(_) => DonationRefusal::KeyReused,
        other => EngineError::from(other).into(),
    })?;
    tx.commit().await.map_err(|e| EngineError::from(StoreError::from(e)))?;
    Ok(posted)
}
