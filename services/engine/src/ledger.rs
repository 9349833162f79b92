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
/// The transfer is first tried for the full points; when the budget holds
/// less, the attempt is rolled back and made again for what the budget held.
pub async fn credit(engine: &Engine, event: &TripEvent) -> Result<(), EngineError> {
    let store = &engine.store;
    let mut budget_left = i64::MAX;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let Some(trip) = trips::get(store.pool(), &event.tenant_id, &event.trip_id).await? else { return Ok(()) };
        if trip.status != "accepted" || trip.credited_at.is_some() {
            return Ok(());
        }
        let coin = engine.coin(&trip.tenant_id).await?;
        let budget = accounts::account_id(AccountKind::Campaign, &trip.campaign_id, &coin);
        let mut tx = store.begin().await?;
        let wallet =
            accounts::open_account(&mut tx, &trip.tenant_id, AccountKind::Participant, &trip.participant_id, &coin)
                .await?;
        let paid = trip.points.min(budget_left).max(0);
        let decision = trip.decision.as_deref().unwrap_or("{}");
        let decision = if paid < trip.points { shortened(decision, paid)? } else { decision.to_owned() };
        if !trips::mark_credited(&mut tx, &trip.tenant_id, &trip.id, paid, &decision, now_ms()).await? {
            return Ok(()); // credited by a concurrent delivery
        }
        // The transfer last: it locks the campaign budget, which every ride's credit shares.
        if paid > 0 {
            let transfer = Transfer {
                id: format!("reward:{}", trip.id),
                debit_account: budget,
                credit_account: wallet,
                amount: paid,
                kind: "reward".into(),
                reference: trip.id.clone(),
            };
            match accounts::post(&mut tx, &trip.tenant_id, &transfer).await {
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
        tracing::info!(trip = %trip.id, paid, "trip credited");
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
