//! The scoring worker: judges submitted trips.
//!
//! For each `trips.submitted` event it loads the trip, its campaign and the
//! participant's history, runs the scoring library, and writes the decision
//! and a `trips.decided` event in one transaction. A trip that is no longer
//! pending was decided by an earlier delivery: nothing happens.

use smartville_scoring::history::RECENT_RIDES_WINDOW_MS;
use smartville_scoring::{Fingerprint, History, PriorRide, PriorTrace, Ride, Status};
use smartville_store::ledger::{self, AccountKind};
use smartville_store::trips::{self, DecisionRecord, ReplaySearch, StoredFingerprint};
use smartville_store::{StoreError, Tx, outbox, participants};

use crate::{Engine, EngineError, Shutdown, TripEvent, now_ms};

/// Bus group of the scoring workers.
pub const GROUP: &str = "scoring";
/// Most of the participant's own earlier traces a ride is compared with (two a
/// school day: about two months), wherever they were made.
const MAX_OWN_TRACES: i64 = 100;
/// Most traces of others from the same area a ride is compared with: the
/// latest ones, where a shared or copied file shows up.
const MAX_OTHERS_TRACES: i64 = 200;

/// Consumes `trips.submitted` until shutdown.
pub async fn run(engine: Engine, consumer: String, shutdown: Shutdown) -> Result<(), EngineError> {
    let topic = engine.topics.submitted.clone();
    crate::consume_trip_events(engine, &topic, GROUP, &consumer, shutdown, |engine, event| async move {
        decide(&engine, &event).await
    })
    .await
}

/// Decides one trip (idempotent).
pub async fn decide(engine: &Engine, event: &TripEvent) -> Result<(), EngineError> {
    let store = &engine.store;
    let Some(trips::TripWithTrace { trip, format, trace }) =
        trips::with_trace(store.pool(), &event.tenant_id, &event.trip_id).await?
    else {
        tracing::warn!(trip = %event.trip_id, "event for an unknown trip");
        return Ok(());
    };
    if trip.status != "pending" {
        return Ok(());
    }
    let campaign = engine.campaigns.get(store, &trip.tenant_id, &trip.campaign_id).await?;
    // The limits as they were when the trip was accepted: its age is judged at upload time.
    let trace = crate::ingest::read_stored(&format, &trace)?.validate(&campaign.trace_limits(), trip.submitted_at)?;
    let ride = Ride::prepare(&trace, &campaign);
    let coin = engine.coin(&trip.tenant_id).await?;
    let mut tx = store.begin().await?;
    participants::lock_for_decision(&mut tx, &trip.tenant_id, &trip.participant_id).await?;
    let history = history(&mut tx, &trip, &coin, ride.fingerprint()).await?;
    let decision = ride.decide(&history);
    let fingerprint = ride.fingerprint().to_bytes();
    let decision_json = serde_json::to_string(&decision)?;
    let status = match decision.status {
        Status::Accepted => "accepted",
        Status::Rejected => "rejected",
        Status::Review => "review",
    };
    let record = DecisionRecord {
        status,
        points: i64::try_from(decision.points).unwrap_or(i64::MAX),
        distance_m: i64::try_from(decision.distance_m).unwrap_or(i64::MAX),
        duration_s: i64::try_from(decision.duration_s).unwrap_or(i64::MAX),
        decision_json: &decision_json,
        fingerprint: ride
            .fingerprint()
            .area_cell
            .map(|cell| StoredFingerprint { area_cell: cell as i64, bytes: &fingerprint }),
        decided_at: now_ms(),
    };
    if !trips::record_decision(&mut tx, &trip.tenant_id, &trip.id, &record).await? {
        return Ok(()); // decided by a concurrent delivery
    }
    outbox::enqueue(&mut tx, &trip.tenant_id, &engine.topics.decided, &serde_json::to_string(event)?).await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.outbox_written.notify_one();
    metrics::counter!("smartville_decisions_total", "status" => status).increment(1);
    for reason in &decision.reasons {
        let code =
            serde_json::to_value(reason.code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        metrics::counter!("smartville_decision_reasons_total", "code" => code).increment(1);
    }
    tracing::info!(trip = %trip.id, status, points = decision.points, "trip decided");
    Ok(())
}

/// The snapshot the checks need, in two statements: recent counted rides,
/// campaign totals and the budget left; then the earlier traces near this one.
async fn history(
    tx: &mut Tx,
    trip: &trips::Trip,
    coin: &str,
    fingerprint: &Fingerprint,
) -> Result<History, EngineError> {
    let budget_account = ledger::account_id(AccountKind::Campaign, &trip.campaign_id, coin);
    let inputs =
        trips::decision_inputs(&mut **tx, trip, trip.started_at - RECENT_RIDES_WINDOW_MS, &budget_account).await?;
    let cells: Vec<i64> = fingerprint.candidate_cells().into_iter().map(|cell| cell as i64).collect();
    let search = ReplaySearch {
        tenant_id: &trip.tenant_id,
        participant_id: &trip.participant_id,
        trip_id: &trip.id,
        cells: &cells,
        own_limit: MAX_OWN_TRACES,
        others_limit: MAX_OTHERS_TRACES,
    };
    let earlier_traces = trips::earlier_fingerprints(&mut **tx, &search)
        .await?
        .into_iter()
        .filter_map(|earlier| {
            Some(PriorTrace {
                own: earlier.participant_id == trip.participant_id,
                fingerprint: Fingerprint::from_bytes(&earlier.fingerprint)?,
            })
        })
        .collect();
    Ok(History {
        recent_rides: inputs
            .recent_rides
            .into_iter()
            .map(|r| PriorRide {
                started_at_ms: r.started_at,
                ended_at_ms: r.ended_at,
                points: u64::try_from(r.points).unwrap_or(0),
            })
            .collect(),
        points_in_campaign: u64::try_from(inputs.points_in_campaign).unwrap_or(0),
        budget_remaining: u64::try_from(inputs.budget).unwrap_or(0),
        earlier_traces,
    })
}
