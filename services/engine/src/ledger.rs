//! The ledger worker: credits accepted trips.
//!
//! For each `trips.decided` event of an accepted trip it posts the reward
//! transfer `reward:<trip id>` from the campaign budget to the participant's
//! wallet and marks the trip credited, in one transaction. The transfer id
//! makes a redelivered event harmless. The budget is the final word: when
//! concurrent rides left less than the decision promised, the ride gets what
//! is left and its decision says so (`BUDGET_EXHAUSTED`).

use smartville_scoring::{Decision, Effect, Reason, ReasonCode};
use smartville_store::ledger::{self as accounts, AccountKind, Transfer};
use smartville_store::{StoreError, trips};

use crate::{Engine, EngineError, Shutdown, TripEvent, now_ms};

/// Bus group of the ledger workers.
pub const GROUP: &str = "ledger";
/// Attempts when the budget held less than a ride earned (it may change between attempts).
const ATTEMPTS: usize = 3;

/// Consumes `trips.decided` until shutdown.
pub async fn run(engine: Engine, consumer: String, shutdown: Shutdown) -> Result<(), EngineError> {
    let topic = engine.topics.decided.clone();
    crate::consume_trip_events(engine, &topic, GROUP, &consumer, shutdown, |engine, event| async move {
        credit(&engine, &event).await
    })
    .await
}

/// Credits one decided trip (idempotent; trips that are not accepted are skipped).
///
/// The trip is claimed and the transfer posted in one transaction. The
/// transfer is first tried for the full points; when the budget holds less,
/// the attempt is rolled back and made again for what the budget held.
pub async fn credit(engine: &Engine, event: &TripEvent) -> Result<(), EngineError> {
    let store = &engine.store;
    let (tenant_id, trip_id) = (&event.tenant_id, &event.trip_id);
    let coin = engine.coin(tenant_id).await?;
    let mut budget_left = i64::MAX;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = store.begin().await?;
        let Some(claim) = trips::claim_credit(&mut tx, tenant_id, trip_id, now_ms()).await? else {
            return Ok(()); // not accepted, or credited by an earlier delivery
        };
        let paid = claim.points.min(budget_left).max(0);
        if paid < claim.points {
            let decision = shortened(claim.decision.as_deref().unwrap_or("{}"), paid)?;
            trips::cut_reward(&mut tx, tenant_id, trip_id, paid, &decision).await?;
        }
        // The transfer last: it locks the campaign budget, which every ride's credit shares.
        if paid > 0 {
            let transfer = Transfer {
                id: format!("reward:{trip_id}"),
                debit_account: accounts::account_id(AccountKind::Campaign, &claim.campaign_id, &coin),
                credit_account: accounts::account_id(AccountKind::Participant, &claim.participant_id, &coin),
                amount: paid,
                kind: "reward".into(),
                reference: trip_id.clone(),
            };
            match accounts::post(&mut tx, tenant_id, &transfer).await {
                Ok(_) => {}
                // The budget holds less than the ride earned (or another payout took it since):
                // roll back and pay what is left.
                Err(StoreError::InsufficientFunds { balance, .. }) if attempt < ATTEMPTS => {
                    budget_left = balance;
                    continue;
                }
                Err(error) => return Err(error.into()),
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(trip = %trip_id, paid, "trip credited");
        return Ok(());
    }
}

/// The decision JSON with the points cut to what the budget still held.
fn shortened(decision_json: &str, paid: i64) -> Result<String, EngineError> {
    let mut decision: Decision = serde_json::from_str(decision_json)?;
    decision.points = u64::try_from(paid).unwrap_or(0);
    decision.reasons.push(Reason {
        code: ReasonCode::BudgetExhausted,
        effect: if paid == 0 { Effect::Reject } else { Effect::Reduce },
        message: format!("The campaign budget ran out while this ride was credited: {paid} points were left for it."),
    });
    Ok(serde_json::to_string(&decision)?)
}
