//! The outbox relay: from the database to the bus.
//!
//! It publishes waiting outbox events in id order, a batch per round trip,
//! and deletes them, woken by writers in the same process and polling for
//! writers in other processes. A crash between publishing and deleting
//! publishes an event twice, which consumers tolerate. Because the bus may still lose an event (the
//! in-process bus dies with its process, Redis may restart without
//! persistence), the relay also sweeps: at start, and within a second of
//! the bus restarting (a new [`Bus::incarnation`]: whatever it held may be
//! gone), it publishes again the events of trips still undecided or
//! uncredited, and afterwards of those stuck for [`STALE_AFTER_MS`], up to
//! 200 trips per sweep (a longer backlog is worked off sweep by sweep, every
//! [`SWEEP_EVERY`]); and the same for savings credits the ledger has not posted.
//!
//! [`Bus::incarnation`]: smartville_bus::Bus::incarnation

use std::collections::BTreeMap;
use std::time::Duration;

use smartville_store::ids::{TenantId, TripId};
use smartville_store::{outbox, savings, trips};

use crate::savings::{CREDITS_PER_EVENT, CreditsEvent};
use crate::{Engine, EngineError, MAX_BATCH, Shutdown, TripEvent, now_ms};

/// How often the relay looks for events written by other processes.
pub const POLL: Duration = Duration::from_millis(50);
/// Events published per database round trip.
const BATCH: i64 = 200;
/// How long a trip may wait for its decision or credit before its event is published again.
pub const STALE_AFTER_MS: i64 = 60_000;
/// How often the sweep runs.
const SWEEP_EVERY: Duration = Duration::from_secs(15);
/// How often the relay asks whether the bus restarted.
const RESTART_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Relays until shutdown.
pub async fn run(engine: Engine, shutdown: Shutdown) -> Result<(), EngineError> {
    if let Err(error) = sweep(&engine, now_ms()).await {
        tracing::warn!(%error, "relay: start-up sweep failed");
    }
    let mut last_sweep = tokio::time::Instant::now();
    let mut incarnation = engine.bus.incarnation().await.ok();
    let mut last_restart_check = tokio::time::Instant::now();
    while !shutdown.is_requested() {
        let published = match publish_pending(&engine).await {
            Ok(published) => published,
            Err(error) => {
                tracing::warn!(%error, "relay: publishing failed, retrying");
                0
            }
        };
        if last_restart_check.elapsed() >= RESTART_CHECK_EVERY {
            last_restart_check = tokio::time::Instant::now();
            if let Ok(current) = engine.bus.incarnation().await {
                if incarnation.as_ref().is_some_and(|known| *known != current) {
                    // The bus restarted, perhaps without what it held: as at start, every
                    // trip still waiting has its event published again.
                    tracing::warn!("relay: the bus restarted; publishing the events of waiting trips again");
                    match sweep(&engine, now_ms()).await {
                        Ok(()) => incarnation = Some(current),
                        Err(error) => tracing::warn!(%error, "relay: sweep after the bus restarted failed"),
                    }
                } else {
                    incarnation = Some(current);
                }
            }
        }
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = tokio::time::Instant::now();
            if let Err(error) = sweep(&engine, now_ms() - STALE_AFTER_MS).await {
                tracing::warn!(%error, "relay: sweep failed");
            }
        }
        if published < BATCH as usize {
            tokio::select! {
                () = engine.outbox_written.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                () = shutdown.clone().requested() => {}
            }
        }
    }
    Ok(())
}

/// Publishes one batch of outbox events; returns how many.
pub async fn publish_pending(engine: &Engine) -> Result<usize, EngineError> {
    let events = outbox::waiting(&engine.store, BATCH).await?;
    let messages: Vec<(&str, &[u8])> = events.iter().map(|e| (e.topic.as_str(), e.payload.as_bytes())).collect();
    engine.bus.publish_all(&messages).await?;
    outbox::remove(&engine.store, &events).await?;
    Ok(events.len())
}

/// Publishes again the events of trips that were submitted (or decided)
/// before `cutoff` and still wait for their decision (or credit), and of
/// savings credits written before `cutoff` and not yet posted.
pub async fn sweep(engine: &Engine, cutoff: i64) -> Result<(), EngineError> {
    // One event per topic and tenant, at most a batch each.
    let mut stuck: BTreeMap<(&str, TenantId), Vec<TripId>> = BTreeMap::new();
    for trip in trips::stuck(&engine.store, cutoff, BATCH).await? {
        let topic = if trip.status.awaits_decision() { &engine.topics.submitted } else { &engine.topics.decided };
        tracing::info!(trip = %trip.id, topic, "publishing the event of a stuck trip again");
        stuck.entry((topic, trip.tenant_id)).or_default().push(trip.id);
    }
    for ((topic, tenant_id), mut trip_ids) in stuck {
        trip_ids.sort();
        for trip_ids in trip_ids.chunks(MAX_BATCH) {
            let event = TripEvent { tenant_id: tenant_id.clone(), trip_ids: trip_ids.to_vec() };
            engine.bus.publish(topic, &serde_json::to_vec(&event)?).await?;
        }
    }
    let mut credits: BTreeMap<TenantId, Vec<String>> = BTreeMap::new();
    for (tenant_id, credit_id) in savings::waiting(&engine.store, cutoff, BATCH).await? {
        tracing::info!(credit = %credit_id, "publishing the event of a waiting savings credit again");
        credits.entry(tenant_id).or_default().push(credit_id);
    }
    for (tenant_id, credit_ids) in credits {
        for credit_ids in credit_ids.chunks(CREDITS_PER_EVENT) {
            let event = CreditsEvent { tenant_id: tenant_id.clone(), credit_ids: credit_ids.to_vec() };
            engine.bus.publish(&engine.topics.savings, &serde_json::to_vec(&event)?).await?;
        }
    }
    Ok(())
}
