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

use sha2::{Digest, Sha256};
use smartville_scoring::{RawTrace, TraceError};
use smartville_store::trips::{self, Inserted, NewTrip, Trip};
use smartville_store::{StoreError, new_id};

use crate::{Engine, EngineError, TripEvent, now_ms};

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

/// How ingest stores traces (`trip_traces.format`).
const STORED_FORMAT: &str = "compact";

/// Reads a trace as ingest stored it: the compact form, or the upload itself
/// (`json`, `gpx`) for trips stored before traces were compacted.
pub fn read_stored(format: &str, bytes: &[u8]) -> Result<RawTrace, TraceError> {
    match format {
        "json" => RawTrace::from_json(bytes),
        "gpx" => RawTrace::from_gpx(bytes),
        _ => RawTrace::from_compact(bytes),
    }
}

/// One upload.
pub struct Upload<'a> {
    /// Owning tenant (from the token).
    pub tenant_id: &'a str,
    /// Who uploads (from the token).
    pub participant_id: &'a str,
    /// The client's idempotency key.
    pub idempotency_key: &'a str,
    /// The trace as sent.
    pub body: &'a [u8],
    /// Its encoding.
    pub format: TraceFormat,
}

/// What ingest did with an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The participant is in no campaign.
    #[error("you are not enrolled in any campaign")]
    NotEnrolled,
    /// The idempotency key was used before with another body.
    #[error("this idempotency key was already used for a different trip")]
    KeyReused,
    /// The engine failed (a 5xx).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for IngestError {
    fn from(error: StoreError) -> Self {
        Self::Engine(error.into())
    }
}

/// Validates and stores an upload (see the module docs).
pub async fn submit(engine: &Engine, upload: &Upload<'_>) -> Result<Submitted, IngestError> {
    let raw = upload.format.parse(upload.body)?;
    let campaign_id =
        engine.campaign_of(upload.tenant_id, upload.participant_id).await?.ok_or(IngestError::NotEnrolled)?;
    let campaign = engine.campaigns.get(&engine.store, upload.tenant_id, &campaign_id).await?;
    let now = now_ms();
    let stored_trace = raw.to_compact();
    let trace = raw.validate(&campaign.trace_limits(), now)?;
    let body_hash: String = Sha256::digest(upload.body).iter().map(|b| format!("{b:02x}")).collect();
    let trip = NewTrip {
        id: new_id(),
        tenant_id: upload.tenant_id.to_owned(),
        participant_id: upload.participant_id.to_owned(),
        campaign_id,
        idempotency_key: upload.idempotency_key.to_owned(),
        body_hash,
        trace: stored_trace,
        trace_format: STORED_FORMAT.to_owned(),
        submitted_at: now,
        started_at: trace.started_at_ms(),
        ended_at: trace.ended_at_ms(),
    };
    let event = TripEvent { tenant_id: trip.tenant_id.clone(), trip_id: trip.id.clone() };
    let payload = serde_json::to_string(&event).map_err(EngineError::from)?;
    match trips::submit(&engine.store, &trip, &engine.topics.submitted, &payload).await? {
        Inserted::Existing(stored) if stored.body_hash == trip.body_hash => Ok(Submitted::Repeat(stored)),
        Inserted::Existing(_) => Err(IngestError::KeyReused),
        Inserted::New(stored) => {
            engine.outbox_written.notify_one();
            Ok(Submitted::New(stored))
        }
    }
}
