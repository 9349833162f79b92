//! The engine's components and the data flow between them (DESIGN §3):
//!
//! ```text
//! mobile API ─► ingest ─(trip + outbox row, one transaction)─► relay ─► bus
//!   bus "trips.submitted" ─► scoring ─(decision + outbox row)─► relay ─► bus
//!   bus "trips.decided"   ─► ledger  ─(reward transfer + credited mark)
//!
//! device ─► readings ─► savings close (per period: decisions + credits + outbox rows) ─► relay ─► bus
//!   bus "savings.credits" ─► ledger  ─(reward transfer per member + credited mark)
//! ```
//!
//! - [`ingest`]: reads an upload, applies the input limits and stores the
//!   trip together with its `trips.submitted` event. Once it returns, the
//!   trip survives any crash.
//! - [`relay`]: publishes outbox events on the bus, and publishes again the
//!   events of trips that stay undecided or uncredited too long (an event lost
//!   with a Redis restart, say).
//! - [`scoring`]: judges a submitted trip with the scoring library against
//!   its history and records the decision with a `trips.decided` event.
//! - [`ledger`]: credits an accepted trip's points from the campaign budget to
//!   the participant's wallet, never beyond the budget.
//! - [`retention`]: deletes raw traces once their campaign's dispute window
//!   is over (run by the relay's process).
//!
//! Trips travel in batches: ingest stores the uploads that arrive together in
//! one transaction with one event listing them, scoring decides the trips of
//! an event together and announces them in one event, and the ledger credits
//! them together. A batch costs about as many statements and commits as a
//! single trip did, so a morning rush costs far fewer of both per ride.
//!
//! Each step logs the trips it handles by id (`trip stored`, `trip decided`,
//! `trip credited`, in spans named after the step), so one trip can be
//! followed through the logs of all the processes by its id.
//!
//! Every consumer is idempotent by construction — a decision is only written
//! to a pending trip, a reward transfer's id is the trip's — so the bus's
//! at-least-once delivery yields exactly-once effects. [`campaigns`] holds
//! what may change in a campaign when (drafts, audience, lifecycle, versions
//! of the rules, funding) and caches every version compiled; [`demo`] seeds
//! the demo town; [`staff`] creates councils and invites their staff;
//! [`reviews`] records reviewers' decisions and students' appeals; [`budget`]
//! reads a campaign's budget and warns when it will run out before the end;
//! [`pictures`] makes uploaded pictures safe to keep, and [`files`] keeps
//! them outside the database; [`households`] registers the households the
//! council's [`readings`] are about, which a [`savings`] campaign's period
//! close judges; [`codes`] makes the codes people type.

pub mod budget;
pub mod campaigns;
pub mod codes;
pub mod demo;
pub mod files;
pub mod households;
pub mod ingest;
pub mod ledger;
pub mod litter;
pub mod pictures;
pub mod readings;
pub mod relay;
pub mod reports;
pub mod retention;
pub mod reviews;
pub mod savings;
pub mod scoring;
pub mod settlements;
pub mod simulations;
pub mod staff;
pub mod vouchers;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smartville_bus::Bus;
use smartville_store::Store;
use smartville_store::ids::{TenantId, TripId};
use tokio::sync::{Notify, watch};

pub use campaigns::CampaignCache;

/// The bus topics of one deployment. A namespace prefix lets several
/// deployments (or test runs) share one Redis without seeing each other's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// Stored submissions waiting for a decision (`trips.submitted`).
    pub submitted: String,
    /// Decided trips; the ledger credits the accepted ones (`trips.decided`).
    pub decided: String,
    /// Credits of closed savings periods, for the ledger to post (`savings.credits`).
    pub savings: String,
}

impl Topics {
    /// The topics under `namespace` (empty for none).
    pub fn new(namespace: &str) -> Self {
        Self {
            submitted: format!("{namespace}trips.submitted"),
            decided: format!("{namespace}trips.decided"),
            savings: format!("{namespace}savings.credits"),
        }
    }
}

/// A day in milliseconds: the engine's windows (appeals, retention, budget pace) count whole days.
pub const DAY_MS: i64 = 24 * 3_600_000;

/// Most trips in one batch: one transaction of ingest, one event, one
/// transaction of scoring or the ledger.
pub const MAX_BATCH: usize = 64;

/// The payload of both trip events: a batch of trips of one tenant.
///
/// Events written before batches (`{"tenant_id", "trip_id"}`) no longer read
/// and end among the dead letters; the relay's sweep publishes their trips
/// again, in this form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripEvent {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The trips, oldest first, at most [`MAX_BATCH`].
    pub trip_ids: Vec<TripId>,
}

/// What can go wrong inside a component.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] smartville_store::StoreError),
    /// The bus failed.
    #[error(transparent)]
    Bus(#[from] smartville_bus::BusError),
    /// A stored or supplied campaign is not valid.
    #[error("campaign: {0}")]
    Campaign(#[from] smartville_scoring::CampaignError),
    /// A stored trace no longer reads (it was valid when stored).
    #[error("stored trace: {0}")]
    Trace(#[from] smartville_scoring::TraceError),
    /// An event payload is not a trip event.
    #[error("event payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// A blocking task failed.
    #[error("background task: {0}")]
    Task(String),
}

/// The handles every component of a process shares: the database, the bus,
/// the compiled campaigns, the relay's wake-up call and the topics. Cheap to
/// clone. It holds no task and no step's own state: ingest's writers and what
/// ingest remembers are an [`ingest::Ingest`], started when the app is built.
#[derive(Clone)]
pub struct Engine {
    /// The database.
    pub store: Store,
    /// The bus.
    pub bus: Bus,
    /// Compiled campaigns and the coins their budgets are in.
    pub campaigns: Arc<CampaignCache>,
    /// Wakes the relay when an event was written in this process.
    pub outbox_written: Arc<Notify>,
    /// The bus topics.
    pub topics: Arc<Topics>,
}

impl Engine {
    /// An engine over these connections, its bus topics under `namespace`.
    pub fn new(store: Store, bus: Bus, namespace: &str) -> Self {
        Self {
            store,
            bus,
            campaigns: Arc::default(),
            outbox_written: Arc::default(),
            topics: Arc::new(Topics::new(namespace)),
        }
    }
}

/// A stop signal shared by every task of a process.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// A signal and the sender that raises it.
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (sender, receiver) = watch::channel(false);
        (sender, Self(receiver))
    }

    /// Resolves once shutdown has been requested (or the sender is gone).
    pub async fn requested(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// Whether shutdown has been requested.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }
}

/// Runs `handle` on every event of `topic` delivered to `consumer` of
/// `group`, until shutdown. An error (or a payload that is not an `E`)
/// leaves the event to be delivered again.
async fn consume_events<E, F, Fut>(
    engine: Engine,
    topic: &str,
    group: &str,
    consumer: &str,
    shutdown: Shutdown,
    handle: F,
) -> Result<(), EngineError>
where
    E: serde::de::DeserializeOwned,
    F: Fn(Engine, E) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), EngineError>> + Send,
{
    let handler = |message: smartville_bus::Message| {
        let event = serde_json::from_slice::<E>(&message.payload);
        let work = event.map(|event| handle(engine.clone(), event));
        async move {
            let work = work.map_err(smartville_bus::HandlerError::from)?;
            work.await.map_err(smartville_bus::HandlerError::from)
        }
    };
    engine.bus.consume(topic, group, consumer, handler, shutdown.requested()).await?;
    Ok(())
}

/// Runs `round` at once and then every `period` until shutdown: a
/// component's background duty (expiring vouchers, closing periods …). A
/// failed round is logged as `duty` failing and tried again at the next.
pub async fn every<F, Fut>(
    period: Duration,
    shutdown: Shutdown,
    duty: &'static str,
    round: F,
) -> Result<(), EngineError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), EngineError>>,
{
    while !shutdown.is_requested() {
        if let Err(error) = round().await {
            tracing::warn!(%error, "{duty} failed; trying again later");
        }
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = shutdown.clone().requested() => {}
        }
    }
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    smartville_store::now_ms()
}
