//! Accepting a trip: read, check, store durably, announce.
//!
//! Everything a client can get wrong is found here, synchronously, and
//! reported as an [`IngestError`] (a 4xx for the API): an unreadable body, a
//! trace outside the input limits, a participant without a campaign, an
//! idempotency key reused for another body. What passes is stored with its
//! `trips.submitted` event in one transaction before the caller answers, so
//! an acknowledged trip is never lost. The trace is stored in the scoring
//! library's compact form (a third of the JSON, read back without parsing);
//! the body hash keeps idempotency exact to the byte.
//!
//! Storing is a group commit: a writer takes the first upload waiting, lets
//! the uploads of the next [`LINGER`] join it (up to [`MAX_BATCH`]), and
//! stores them in one transaction with one event for the batch; scoring and
//! the ledger then take the batch as a whole. A lone upload waits [`LINGER`]
//! longer; in the morning rush a commit serves a dozen uploads.
//!
//! The writers are tasks of the process that takes uploads, so ingest is a
//! handle of its own, [`Ingest`], started when that process builds its app.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use smartville_scoring::trace::STORED_FORMAT;
use smartville_scoring::{RawTrace, TraceError};
use smartville_store::ids::{CampaignId, ParticipantId, TenantId, TripId};
use smartville_store::trips::{self, Inserted, NewTrip, Trip};
use smartville_store::{Backend, Store, StoreError, campaigns, outbox};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::time::Instant;

use crate::{Engine, EngineError, MAX_BATCH, TripEvent, now_ms};

/// How the trace is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// `{"points": [...]}`.
    Json,
    /// GPX 1.0 or 1.1.
    Gpx,
}

impl TraceFormat {
    /// Reads a trace in this format.
    pub fn parse(self, body: &[u8]) -> Result<RawTrace, TraceError> {
        match self {
            Self::Json => RawTrace::from_json(body),
            Self::Gpx => RawTrace::from_gpx(body),
        }
    }
}

/// One upload.
pub struct Upload<'a> {
    /// Owning tenant (from the token).
    pub tenant_id: &'a TenantId,
    /// Who uploads (from the token).
    pub participant_id: &'a ParticipantId,
    /// The client's idempotency key.
    pub idempotency_key: &'a str,
    /// The trace as sent.
    pub body: &'a [u8],
    /// Its encoding.
    pub format: TraceFormat,
}

/// What ingest did with an upload.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// A new trip, stored and announced.
    New(Trip),
    /// The same upload again (same key, same body): the trip stored the first time.
    Repeat(Trip),
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body is not a usable trace.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// No campaign the participant is in is running (none covers their class, or it is paused or over).
    #[error("none of your class's campaigns is running now")]
    NotEnrolled,
    /// The idempotency key was used before with another body.
    #[error("this idempotency key was already used for a different trip")]
    KeyReused,
    /// The participant was erased on request; their old access token is no longer welcome.
    #[error("this participant was erased; join again to take part")]
    Erased,
    /// The engine failed (a 5xx).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for IngestError {
    fn from(error: StoreError) -> Self {
        Self::Engine(error.into())
    }
}

/// Ingest in one process: the queue to the tasks that store uploads in
/// batches, and each participant's campaign once known. Cheap to clone; the
/// writers stop once every clone is dropped.
#[derive(Clone)]
pub struct Ingest {
    engine: Engine,
    queue: mpsc::Sender<Queued>,
    /// Each participant's campaign, see [`Ingest::campaign_of`].
    campaigns_of: Arc<RwLock<HashMap<ParticipantId, Remembered>>>,
}

/// A participant's tenant and campaign, and when they were looked up.
type Remembered = (TenantId, CampaignId, Instant);

/// Most participants [`Ingest::campaign_of`] remembers (about 150 bytes
/// each); when full, it forgets them all at once and starts again.
const CAMPAIGNS_REMEMBERED: usize = 200_000;
/// How long [`Ingest::campaign_of`] trusts what it looked up: a campaign
/// paused, closed or activated reaches uploads within this time.
const CAMPAIGN_REMEMBERED_FOR: Duration = Duration::from_secs(5);

impl Ingest {
    /// Starts the writer tasks on the current runtime. SQLite has one writer
    /// at a time, so one task; on PostgreSQL a second one gathers the next
    /// batch while the first writes.
    pub fn start(engine: &Engine) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        let writers = if engine.store.backend() == Backend::Sqlite { 1 } else { 2 };
        for _ in 0..writers {
            let (engine, receiver) = (engine.clone(), receiver.clone());
            tokio::spawn(async move {
                // Concurrency: a writer holds the queue only while it gathers a batch, so the
                // other writer gathers the next batch while this one's transaction is written.
                while let Some(batch) = gather(&receiver).await {
                    write_batch(&engine.store, &engine.topics.submitted, batch).await;
                    engine.outbox_written.notify_one();
                }
            });
        }
        Self { engine: engine.clone(), queue, campaigns_of: Arc::default() }
    }

    /// Validates and stores an upload (see the module docs).
    #[tracing::instrument(name = "ingest", skip_all, fields(tenant = %upload.tenant_id, participant = %upload.participant_id))]
    pub async fn submit(&self, upload: &Upload<'_>) -> Result<Submitted, IngestError> {
        let raw = upload.format.parse(upload.body)?;
        let campaign_id =
            self.campaign_of(upload.tenant_id, upload.participant_id).await?.ok_or(IngestError::NotEnrolled)?;
        let rules = self.engine.campaigns.get(&self.engine.store, upload.tenant_id, &campaign_id).await?;
        let now = now_ms();
        let stored_trace = raw.to_compact();
        let trace = raw.validate(&rules.in_force_at(now).compiled.trace_limits(), now)?;
        let body_hash: String = Sha256::digest(upload.body).iter().map(|b| format!("{b:02x}")).collect();
        let trip = NewTrip {
            id: TripId::new(),
            tenant_id: upload.tenant_id.clone(),
            participant_id: upload.participant_id.clone(),
            campaign_id,
            idempotency_key: upload.idempotency_key.to_owned(),
            body_hash,
            trace: stored_trace,
            trace_format: STORED_FORMAT.to_owned(),
            submitted_at: now,
            started_at: trace.started_at_ms(),
            ended_at: trace.ended_at_ms(),
        };
        let body_hash = trip.body_hash.clone();
        let (answer, stored) = oneshot::channel();
        let stopped = || EngineError::Task("the trip writers have stopped".into());
        self.queue.send(Queued { trip, answer }).await.map_err(|_| stopped())?;
        match stored.await.map_err(|_| stopped())?? {
            Inserted::Existing(stored) if stored.body_hash == body_hash => Ok(Submitted::Repeat(stored)),
            Inserted::Existing(_) => Err(IngestError::KeyReused),
            Inserted::New(stored) => {
                tracing::info!(trip = %stored.id, "trip stored");
                Ok(Submitted::New(stored))
            }
            Inserted::Erased => Err(IngestError::Erased),
        }
    }

    /// The campaign a participant's rides go to: of the running campaigns
    /// they are enrolled in, the earliest enrolment (see
    /// `smartville_store::campaigns::running_for`); `None` when none runs.
    /// Remembered for [`CAMPAIGN_REMEMBERED_FOR`] (a query less per upload in
    /// a rush). An erasure removes enrolments, and then storing refuses the
    /// participant's uploads whatever is remembered here.
    pub async fn campaign_of(
        &self,
        tenant_id: &TenantId,
        participant_id: &ParticipantId,
    ) -> Result<Option<CampaignId>, EngineError> {
        let remembered = {
            let remembered = self.campaigns_of.read().unwrap_or_else(PoisonError::into_inner);
            remembered
                .get(participant_id)
                .filter(|(tenant, _, at)| tenant == tenant_id && at.elapsed() < CAMPAIGN_REMEMBERED_FOR)
                .map(|(_, campaign, _)| campaign.clone())
        };
        if remembered.is_some() {
            return Ok(remembered);
        }
        let Some(campaign) = campaigns::running_for(&self.engine.store, tenant_id, participant_id).await? else {
            return Ok(None);
        };
        let mut remembered = self.campaigns_of.write().unwrap_or_else(PoisonError::into_inner);
        if remembered.len() >= CAMPAIGNS_REMEMBERED {
            remembered.clear();
        }
        remembered.insert(participant_id.clone(), (tenant_id.clone(), campaign.clone(), Instant::now()));
        Ok(Some(campaign))
    }
}

/// An upload waiting for its batch, and where to send what became of it.
struct Queued {
    trip: NewTrip,
    answer: oneshot::Sender<Result<Inserted, EngineError>>,
}

/// Uploads that may wait for a writer; beyond that, uploads wait to be queued.
const QUEUE: usize = 16 * MAX_BATCH;
/// How long a writer waits after the first upload of a batch for more to join
/// it (Kafka's `linger.ms`). Without it, batches in the rush held two uploads
/// on average and every step paid its statements for them; with it, a batch
/// holds what arrives in this time (about ten at 500 uploads per second), at
/// the price of this much latency.
const LINGER: Duration = Duration::from_millis(20);

/// The next batch: the first upload to arrive, and those arriving within
/// [`LINGER`] after it, up to [`MAX_BATCH`]; `None` once the queue is closed.
async fn gather(receiver: &Mutex<mpsc::Receiver<Queued>>) -> Option<Vec<Queued>> {
    let mut queue = receiver.lock().await;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
        return None;
    }
    let deadline = Instant::now() + LINGER;
    while batch.len() < MAX_BATCH {
        let room = MAX_BATCH - batch.len();
        match tokio::time::timeout_at(deadline, queue.recv_many(&mut batch, room)).await {
            Ok(0) | Err(_) => break, // closed, or the time is up
            Ok(_) => {}
        }
    }
    Some(batch)
}

/// Stores a batch and answers each upload. Should the batch fail, each upload
/// is tried alone, so that one failing upload cannot fail the others.
async fn write_batch(store: &Store, topic: &str, batch: Vec<Queued>) {
    let (trips, answers): (Vec<NewTrip>, Vec<_>) = batch.into_iter().map(|queued| (queued.trip, queued.answer)).unzip();
    let stored: Vec<Result<Inserted, EngineError>> = match store_trips(store, topic, &trips).await {
        Ok(inserted) => inserted.into_iter().map(Ok).collect(),
        Err(error) if trips.len() == 1 => vec![Err(error)],
        Err(error) => {
            tracing::warn!(%error, uploads = trips.len(), "storing a batch of uploads failed; storing them one by one");
            let mut stored = Vec::with_capacity(trips.len());
            for trip in &trips {
                stored.push(match store_trips(store, topic, std::slice::from_ref(trip)).await {
                    Ok(mut one) => one.pop().ok_or(StoreError::NotFound("stored trip").into()),
                    Err(error) => Err(error),
                });
            }
            stored
        }
    };
    for (answer, stored) in answers.into_iter().zip(stored) {
        let _ = answer.send(stored); // the upload's request may have given up waiting
    }
}

/// One transaction: the trips with their traces, and one `trips.submitted`
/// event per tenant listing its new trips.
async fn store_trips(store: &Store, topic: &str, trips: &[NewTrip]) -> Result<Vec<Inserted>, EngineError> {
    metrics::histogram!("smartville_batch_trips", "step" => "ingest").record(trips.len() as f64);
    let mut tx = store.begin().await?;
    let inserted = trips::insert_all(&mut tx, trips).await?;
    let mut new: BTreeMap<&TenantId, Vec<TripId>> = BTreeMap::new();
    for trip in &inserted {
        if let Inserted::New(trip) = trip {
            new.entry(&trip.tenant_id).or_default().push(trip.id.clone());
        }
    }
    for (tenant_id, trip_ids) in new {
        let event = TripEvent { tenant_id: tenant_id.clone(), trip_ids };
        outbox::enqueue(&mut tx, tenant_id, topic, &serde_json::to_string(&event)?).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(inserted)
}
