//! The ledger worker: credits accepted trips, a batch at a time.
//!
//! For each `trips.decided` event it claims the event's accepted, uncredited
//! trips and posts their reward transfers `reward:<trip id>` from the
//! campaign budget to the participants' wallets, in one transaction: one
//! update of the budget for the whole batch. The transfer ids and the claim
//! make a redelivered event harmless. The budget is the final word: when it
//! holds less than the batch earned, the trips are credited one by one, and
//! a ride gets what is left: the ledger records what it paid beside the
//! decision (which stays scoring's), and the app shows the shortfall as
//! `BUDGET_EXHAUSTED`.
//!
//! For each `savings.credits` event it does the same with the credits of a
//! savings close ([`credit_savings`]): a positive credit moves points from
//! the campaign budget to a member's wallet, a negative one (a correction
//! lowered the household's decision) takes them back, as far as the wallet
//! still holds them; what moved is recorded beside the credit.

use smartville_store::ids::{TenantId, TripId};
use smartville_store::ledger::{self as accounts, Owner, Transfer};
use smartville_store::savings::{self, CreditClaim};
use smartville_store::trips::{self, Claim};
use smartville_store::{StoreError, Tx};

use crate::savings::CreditsEvent;
use crate::{Engine, EngineError, Shutdown, TripEvent, now_ms};

/// Bus group of the ledger workers.
pub const GROUP: &str = "ledger";
/// Attempts when the budget held less than a ride earned (it may change between attempts).
const ATTEMPTS: usize = 3;

/// Consumes `trips.decided` until shutdown.
pub async fn run(engine: Engine, consumer: String, shutdown: Shutdown) -> Result<(), EngineError> {
    let topic = engine.topics.decided.clone();
    crate::consume_events(engine, &topic, GROUP, &consumer, shutdown, |engine, event: TripEvent| async move {
        credit(&engine, &event).await
    })
    .await
}

/// Consumes `savings.credits` until shutdown.
pub async fn run_savings(engine: Engine, consumer: String, shutdown: Shutdown) -> Result<(), EngineError> {
    let topic = engine.topics.savings.clone();
    crate::consume_events(engine, &topic, GROUP, &consumer, shutdown, |engine, event: CreditsEvent| async move {
        credit_savings(&engine, &event).await
    })
    .await
}

/// Credits the decided trips of one event (idempotent; trips that are not
/// accepted are skipped): all in one transaction while the budget holds
/// enough, else one by one ([`credit_one`]).
#[tracing::instrument(name = "ledger", skip_all, fields(tenant = %event.tenant_id, trips = ?event.trip_ids))]
pub async fn credit(engine: &Engine, event: &TripEvent) -> Result<(), EngineError> {
    let tenant_id = &event.tenant_id;
    let mut tx = engine.store.begin().await?;
    let claims = trips::claim_credits(&mut tx, tenant_id, &event.trip_ids, now_ms()).await?;
    metrics::histogram!("smartville_batch_trips", "step" => "ledger").record(claims.len() as f64);
    let mut transfers: Vec<Transfer> = Vec::with_capacity(claims.len());
    for claim in claims.iter().filter(|claim| claim.points > 0) {
        transfers.push(reward(engine, tenant_id, claim, claim.points).await?);
    }
    match accounts::post_all(&mut tx, tenant_id, &transfers).await {
        Ok(_) => {}
        Err(StoreError::InsufficientFunds { .. }) => {
            drop(tx); // rolled back: every claim of the batch is made again, one by one
            for claim in &claims {
                credit_one(engine, tenant_id, &claim.id).await?;
            }
            return Ok(());
        }
        Err(error) => return Err(error.into()),
    }
    tx.commit().await.map_err(StoreError::from)?;
    for claim in &claims {
        tracing::info!(trip = %claim.id, paid = claim.points, "trip credited");
    }
    Ok(())
}

/// Credits one trip with what the budget holds: the transfer is first tried
/// for the full points; when the budget holds less, the attempt is rolled
/// back and made again for what it held.
async fn credit_one(engine: &Engine, tenant_id: &TenantId, trip_id: &TripId) -> Result<(), EngineError> {
    let mut budget_left = i64::MAX;
    let ids = [trip_id.clone()];
    let mut attempt = 1;
    loop {
        let mut tx = engine.store.begin().await?;
        let Some(claim) = trips::claim_credits(&mut tx, tenant_id, &ids, now_ms()).await?.pop() else {
            return Ok(()); // not accepted, or credited by an earlier delivery
        };
        let paid = claim.points.min(budget_left).max(0);
        match pay(engine, &mut tx, tenant_id, &claim, paid).await {
            Ok(()) => {
                tx.commit().await.map_err(StoreError::from)?;
                tracing::info!(trip = %trip_id, paid, "trip credited");
                return Ok(());
            }
            // The budget holds less than the ride earned (or another payout took it since):
            // roll back and pay what is left.
            Err(EngineError::Store(StoreError::InsufficientFunds { balance, .. })) if attempt < ATTEMPTS => {
                budget_left = balance;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Pays `paid` of a claimed trip's points, recording the shortfall when that is less.
async fn pay(engine: &Engine, tx: &mut Tx, tenant_id: &TenantId, claim: &Claim, paid: i64) -> Result<(), EngineError> {
    if paid < claim.points {
        trips::pay_less(tx, tenant_id, claim, paid).await?;
    }
    if paid > 0 {
        accounts::post(tx, tenant_id, &reward(engine, tenant_id, claim, paid).await?).await?;
    }
    Ok(())
}

/// The reward transfer of `paid` points for a claimed trip, in its campaign's coin.
async fn reward(engine: &Engine, tenant_id: &TenantId, claim: &Claim, paid: i64) -> Result<Transfer, EngineError> {
    let coin = &engine.campaigns.coin(&engine.store, tenant_id, &claim.campaign_id).await?;
    Ok(Transfer {
        id: format!("reward:{}", claim.id),
        debit_account: accounts::account_id(Owner::Campaign(&claim.campaign_id), coin),
        credit_account: accounts::account_id(Owner::Participant(&claim.participant_id), coin),
        amount: paid,
        kind: "reward".into(),
        reference: claim.id.to_string(),
    })
}

/// Posts the credits of one savings event (idempotent: credits posted before
/// are skipped), all in one transaction while every account holds enough,
/// else one by one ([`credit_savings_one`]).
#[tracing::instrument(name = "ledger.savings", skip_all, fields(tenant = %event.tenant_id, credits = event.credit_ids.len()))]
pub async fn credit_savings(engine: &Engine, event: &CreditsEvent) -> Result<(), EngineError> {
    let tenant_id = &event.tenant_id;
    let mut tx = engine.store.begin().await?;
    let claims = savings::claim(&mut tx, tenant_id, &event.credit_ids, now_ms()).await?;
    let mut transfers = Vec::with_capacity(claims.len());
    for claim in &claims {
        transfers.push(savings_transfer(engine, tenant_id, claim, claim.points.abs()).await?);
    }
    match accounts::post_all(&mut tx, tenant_id, &transfers).await {
        Ok(_) => tx.commit().await.map_err(StoreError::from)?,
        Err(StoreError::InsufficientFunds { .. }) => {
            drop(tx); // rolled back: every claim is made again, one by one
            for claim in &claims {
                credit_savings_one(engine, tenant_id, &claim.id).await?;
            }
        }
        Err(error) => return Err(error.into()),
    }
    Ok(())
}

/// Posts one credit for what the paying account holds: first in full; when
/// it holds less, the attempt is rolled back and made again for what it held.
async fn credit_savings_one(engine: &Engine, tenant_id: &TenantId, id: &str) -> Result<(), EngineError> {
    let mut held = i64::MAX;
    let ids = [id.to_owned()];
    let mut attempt = 1;
    loop {
        let mut tx = engine.store.begin().await?;
        let Some(claim) = savings::claim(&mut tx, tenant_id, &ids, now_ms()).await?.pop() else {
            return Ok(()); // posted by an earlier delivery
        };
        let moved = claim.points.abs().min(held).max(0);
        if moved < claim.points.abs() {
            savings::pay_less(&mut tx, tenant_id, &claim.id, moved * claim.points.signum()).await?;
        }
        let posted = match moved {
            0 => Ok(()),
            _ => accounts::post(&mut tx, tenant_id, &savings_transfer(engine, tenant_id, &claim, moved).await?)
                .await
                .map(drop),
        };
        match posted {
            Ok(()) => {
                tx.commit().await.map_err(StoreError::from)?;
                tracing::info!(credit = id, moved, "savings credit posted");
                return Ok(());
            }
            Err(StoreError::InsufficientFunds { balance, .. }) if attempt < ATTEMPTS => {
                held = balance;
                attempt += 1;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// The transfer of `amount` points for a savings credit: from the campaign
/// budget to the member's wallet, or back when the credit is negative.
async fn savings_transfer(
    engine: &Engine,
    tenant_id: &TenantId,
    claim: &CreditClaim,
    amount: i64,
) -> Result<Transfer, EngineError> {
    let coin = &engine.campaigns.coin(&engine.store, tenant_id, &claim.campaign_id).await?;
    let budget = accounts::account_id(Owner::Campaign(&claim.campaign_id), coin);
    let wallet = accounts::account_id(Owner::Participant(&claim.participant_id), coin);
    let (debit_account, credit_account, kind) =
        if claim.points > 0 { (budget, wallet, "savings_reward") } else { (wallet, budget, "savings_correction") };
    Ok(Transfer {
        id: claim.id.clone(),
        debit_account,
        credit_account,
        amount,
        kind: kind.into(),
        reference: claim.id.clone(),
    })
}
