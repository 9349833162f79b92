//! Waiting for decisions (`POST /v1/trips?wait=`) without a query per waiting request.
//!
//! During the morning rush hundreds of uploads wait for their decision at any
//! moment. Each asking the database every few milliseconds would make the
//! waiting itself the main load. Instead every waiting request registers here
//! and one task per process reads the state of all waiting trips in one query
//! per tick, waking the requests whose trip is settled. It reads the database,
//! not the bus, so it works the same whether scoring and the ledger run in
//! this process or in others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use smartville_store::Store;
use smartville_store::ids::{TenantId, TripId};
use smartville_store::trips::{self, Trip};
use tokio::sync::{Notify, oneshot};

/// How often the waiting trips are looked up: the most a settled trip's answer is delayed.
const TICK: Duration = Duration::from_millis(50);
/// Most trip ids per lookup query.
const IDS_PER_QUERY: usize = 200;
/// The pause after a round of lookups is at least this many times the round's
/// own length, so the lookups keep one database connection busy a quarter of
/// the time at most. When the engine falls behind, thousands of uploads wait;
/// looking them all up every tick took most of a PostgreSQL core from the
/// engine that had to catch up.
const PAUSE_PER_LOOKUP_TIME: u32 = 3;
/// ... but never longer than this: a waiting upload is answered within about
/// this long of its decision. Without the cap, a round that blocked through a
/// database outage (6.8 s) made the task sleep 20 s after the database was
/// back, and every `?wait` upload of that time went unanswered.
const MAX_PAUSE: Duration = Duration::from_millis(500);
/// A lookup that takes longer is abandoned (the database is down or
/// overloaded) and the round tried again after the pause.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the idle task sleeps before checking that the API still exists.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Waiting requests by (tenant id, trip id).
type Waiting = HashMap<(TenantId, TripId), Vec<oneshot::Sender<Trip>>>;

/// Wakes waiting requests when their trip is settled. Cheap to clone; the
/// lookup task ends when the last clone is dropped.
#[derive(Clone)]
pub struct SettledWatch {
    waiting: Arc<Mutex<Waiting>>,
    someone_waits: Arc<Notify>,
}

impl SettledWatch {
    /// A watch reading trips from `store`, with its lookup task running on the current runtime.
    pub fn start(store: Store) -> Self {
        let watch = Self { waiting: Arc::default(), someone_waits: Arc::default() };
        tokio::spawn(look_up(Arc::downgrade(&watch.waiting), watch.someone_waits.clone(), store));
        watch
    }

    /// The trip once settled, or as it stands after `patience`.
    pub async fn wait(&self, trip: Trip, patience: Duration) -> Trip {
        if trip.is_settled() || patience.is_zero() {
            return trip;
        }
        let (sender, settled) = oneshot::channel();
        lock(&self.waiting).entry((trip.tenant_id.clone(), trip.id.clone())).or_default().push(sender);
        self.someone_waits.notify_one();
        match tokio::time::timeout(patience, settled).await {
            Ok(Ok(settled)) => settled,
            // Out of patience (the registration is pruned on the next tick), or the task is gone.
            _ => trip,
        }
    }
}

fn lock(waiting: &Mutex<Waiting>) -> MutexGuard<'_, Waiting> {
    waiting.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The lookup loop: every [`TICK`] while anyone waits (less often when a round
/// of lookups is slow, but at least every [`MAX_PAUSE`]), one query per tenant
/// and [`IDS_PER_QUERY`] trips, answering only the settled ones.
async fn look_up(waiting: Weak<Mutex<Waiting>>, someone_waits: Arc<Notify>, store: Store) {
    loop {
        let Some(waiting) = waiting.upgrade() else { return };
        let by_tenant = {
            let mut waiting = lock(&waiting);
            waiting.retain(|_, senders| {
                senders.retain(|sender| !sender.is_closed());
                !senders.is_empty()
            });
            let mut by_tenant: HashMap<TenantId, Vec<TripId>> = HashMap::new();
            for (tenant_id, trip_id) in waiting.keys() {
                by_tenant.entry(tenant_id.clone()).or_default().push(trip_id.clone());
            }
            by_tenant
        };
        if by_tenant.is_empty() {
            drop(waiting);
            // Sleep until someone waits, waking now and then to notice that the API is gone.
            let _ = tokio::time::timeout(IDLE_CHECK, someone_waits.notified()).await;
            continue;
        }
        let round = Instant::now();
        for (tenant_id, ids) in &by_tenant {
            for chunk in ids.chunks(IDS_PER_QUERY) {
                match tokio::time::timeout(LOOKUP_TIMEOUT, trips::settled_among(&store, tenant_id, chunk)).await {
                    Ok(Ok(settled)) => wake(&waiting, settled),
                    Ok(Err(error)) => tracing::warn!(%error, "looking up waiting trips failed; trying again"),
                    Err(_) => tracing::warn!("looking up waiting trips timed out; trying again"),
                }
            }
        }
        drop(waiting);
        tokio::time::sleep(pause_after(round.elapsed())).await;
    }
}

/// The pause after a round of lookups that took `round`.
fn pause_after(round: Duration) -> Duration {
    (round * PAUSE_PER_LOOKUP_TIME).clamp(TICK, MAX_PAUSE)
}

fn wake(waiting: &Mutex<Waiting>, settled: Vec<Trip>) {
    let mut waiting = lock(waiting);
    for trip in settled {
        for sender in waiting.remove(&(trip.tenant_id.clone(), trip.id.clone())).unwrap_or_default() {
            let _ = sender.send(trip.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_lookups_are_made_less_often() {
        assert_eq!(pause_after(Duration::from_millis(2)), TICK, "a quick round waits one tick");
        let slow = Duration::from_millis(100);
        assert_eq!(pause_after(slow), slow * 3, "a slow round keeps the connection busy a quarter of the time");
        let blocked = Duration::from_millis(6_800);
        assert_eq!(
            pause_after(blocked),
            MAX_PAUSE,
            "a round that blocked in an outage is not followed by a long sleep"
        );
    }
}
