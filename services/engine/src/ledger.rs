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
/// enough, else one by one for what it holds.
#[tracing::instrument(name = "ledger", skip_all, fields(tenant = %event.tenant_id, trips = ?event.trip_ids))]
pub async fn credit(engine: &Engine, event: &TripEvent) -> Result<(), EngineError> {
    let claimed = pay::<TripRewards>(engine, &event.tenant_id, &event.trip_ids).await?;
    metrics::histogram!("smartville_batch_trips", "step" => "ledger").record(claimed as f64);
    Ok(())
}

/// Posts the credits of one savings event (idempotent: credits posted before
/// are skipped), all in one transaction while every account holds enough,
/// else one by one for what each holds.
#[tracing::instrument(name = "ledger.savings", skip_all, fields(tenant = %event.tenant_id, credits = event.credit_ids.len()))]
pub async fn credit_savings(engine: &Engine, event: &CreditsEvent) -> Result<(), EngineError> {
    pay::<SavingsCredits>(engine, &event.tenant_id, &event.credit_ids).await.map(drop)
}

/// What the ledger pays out: trips' rewards and savings credits. Each is
/// claimed once (the claim marks it paid in full), and moves points between
/// a campaign budget and a wallet; when the paying account holds less, what
/// moved instead is recorded beside the claim.
trait Payouts {
    /// What names one payout.
    type Id: Clone + Send + Sync + std::fmt::Display;
    /// A payout claimed.
    type Claim: Send + Sync;
    /// What the log says of a payout made, beside its id (the logs follow a trip by its id).
    const PAID: &'static str;
    /// Claims the payouts of `ids` not paid yet.
    fn claim(
        tx: &mut Tx,
        tenant_id: &TenantId,
        ids: &[Self::Id],
    ) -> impl Future<Output = Result<Vec<Self::Claim>, StoreError>> + Send;
    /// The claim's id.
    fn id(claim: &Self::Claim) -> Self::Id;
    /// Points the claim moves (never negative: a taking back moves the other way).
    fn wanted(claim: &Self::Claim) -> i64;
    /// The transfer that moves `amount` of the claim.
    fn transfer(
        engine: &Engine,
        tenant_id: &TenantId,
        claim: &Self::Claim,
        amount: i64,
    ) -> impl Future<Output = Result<Transfer, EngineError>> + Send;
    /// Records that only `moved` of the claim moved.
    fn moved_less(
        tx: &mut Tx,
        tenant_id: &TenantId,
        claim: &Self::Claim,
        moved: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Pays the payouts of `ids` in one transaction; when an account holds too
/// little for all of them, rolls back and pays them one by one ([`pay_one`]).
/// How many were claimed (those paid before are not).
async fn pay<P: Payouts>(engine: &Engine, tenant_id: &TenantId, ids: &[P::Id]) -> Result<usize, EngineError> {
    let mut tx = engine.store.begin().await?;
    let claims = P::claim(&mut tx, tenant_id, ids).await?;
    let mut transfers = Vec::with_capacity(claims.len());
    for claim in claims.iter().filter(|claim| P::wanted(claim) > 0) {
        transfers.push(P::transfer(engine, tenant_id, claim, P::wanted(claim)).await?);
    }
    match accounts::post_all(&mut tx, tenant_id, &transfers).await {
        Ok(_) => {
            tx.commit().await.map_err(StoreError::from)?;
            for claim in &claims {
                tracing::info!(id = %P::id(claim), paid = P::wanted(claim), "{}", P::PAID);
            }
            Ok(claims.len())
        }
        Err(StoreError::InsufficientFunds { .. }) => {
            drop(tx); // rolled back: every claim is made again, one by one
            for claim in &claims {
                pay_one::<P>(engine, tenant_id, P::id(claim)).await?;
            }
            Ok(claims.len())
        }
        Err(error) => Err(error.into()),
    }
}

/// Pays one payout with what the paying account holds: first in full; when
/// it holds less, the attempt is rolled back and made again for what it held
/// (which may change between attempts).
async fn pay_one<P: Payouts>(engine: &Engine, tenant_id: &TenantId, id: P::Id) -> Result<(), EngineError> {
    let mut held = i64::MAX;
    let ids = [id];
    let mut attempt = 1;
    loop {
        let mut tx = engine.store.begin().await?;
        let Some(claim) = P::claim(&mut tx, tenant_id, &ids).await?.pop() else {
            return Ok(()); // paid by an earlier delivery
        };
        let moved = P::wanted(&claim).min(held).max(0);
        if moved < P::wanted(&claim) {
            P::moved_less(&mut tx, tenant_id, &claim, moved).await?;
        }
        let posted = match moved {
            0 => Ok(()),
            _ => accounts::post(&mut tx, tenant_id, &P::transfer(engine, tenant_id, &claim, moved).await?)
                .await
                .map(drop),
        };
        match posted {
            Ok(()) => {
                tx.commit().await.map_err(StoreError::from)?;
                tracing::info!(id = %P::id(&claim), paid = moved, "{}", P::PAID);
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

/// Trips' rewards: `reward:<trip id>` from the campaign budget to the wallet.
struct TripRewards;

impl Payouts for TripRewards {
    type Id = TripId;
    type Claim = Claim;
    const PAID: &'static str = "trip credited";

    async fn claim(tx: &mut Tx, tenant_id: &TenantId, ids: &[TripId]) -> Result<Vec<Claim>, StoreError> {
        trips::claim_credits(tx, tenant_id, ids, now_ms()).await
    }

    fn id(claim: &Claim) -> TripId {
        claim.id.clone()
    }

    fn wanted(claim: &Claim) -> i64 {
        claim.points
    }

    async fn transfer(
        engine: &Engine,
        tenant_id: &TenantId,
        claim: &Claim,
        amount: i64,
    ) -> Result<Transfer, EngineError> {
        let coin = &engine.campaigns.coin(&engine.store, tenant_id, &claim.campaign_id).await?;
        Ok(Transfer {
            id: format!("reward:{}", claim.id),
            debit_account: accounts::account_id(Owner::Campaign(&claim.campaign_id), coin),
            credit_account: accounts::account_id(Owner::Participant(&claim.participant_id), coin),
            amount,
            kind: "reward".into(),
            reference: claim.id.to_string(),
        })
    }

    async fn moved_less(tx: &mut Tx, tenant_id: &TenantId, claim: &Claim, moved: i64) -> Result<(), StoreError> {
        trips::pay_less(tx, tenant_id, claim, moved).await
    }
}

/// Savings credits: from the campaign budget to a member's wallet, or back
/// when a correction lowered the household's decision.
struct SavingsCredits;

impl Payouts for SavingsCredits {
    type Id = String;
    type Claim = CreditClaim;
    const PAID: &'static str = "savings credit posted";

    async fn claim(tx: &mut Tx, tenant_id: &TenantId, ids: &[String]) -> Result<Vec<CreditClaim>, StoreError> {
        savings::claim(tx, tenant_id, ids, now_ms()).await
    }

    fn id(claim: &CreditClaim) -> String {
        claim.id.clone()
    }

    fn wanted(claim: &CreditClaim) -> i64 {
        claim.points.abs()
    }

    async fn transfer(
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

    async fn moved_less(tx: &mut Tx, tenant_id: &TenantId, claim: &CreditClaim, moved: i64) -> Result<(), StoreError> {
        savings::pay_less(tx, tenant_id, &claim.id, moved * claim.points.signum()).await
    }
}
