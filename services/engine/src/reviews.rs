//! People's word on rides: a reviewer decides a ride scoring sent to review,
//! or a student's appeal of a rejection, and a student appeals once.
//!
//! An accepted ride is credited as any other: the decision announces a
//! `trips.decided` event in its transaction and the ledger pays it from the
//! campaign budget. A ride in review keeps the points scoring held for it; an
//! appeal accepted pays what the ride earns under the version of the rules
//! that judged it ([`CompiledCampaign::reward`](smartville_scoring::CompiledCampaign::reward):
//! per ride and per km, with its multiplier; the caps are not applied again).

use serde::Serialize;
use smartville_store::audit::{self, Actor};
use smartville_store::ids::{ParticipantId, StaffId, TenantId, TripId};
use smartville_store::lifecycle::TripStatus;
use smartville_store::reviews::{self, Outcome, QueueItem, ReviewKind, Verdict};
use smartville_store::{StoreError, outbox, trips};

use crate::{DAY_MS, Engine, EngineError, TripEvent, now_ms};

/// Why a review or an appeal is refused; each has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
pub enum ReviewRefusal {
    /// No such trip (of this participant, or of this council).
    #[error("no such trip")]
    NotFound,
    /// Another reviewer decided it first.
    #[error("this ride was decided already, by another reviewer")]
    AlreadyDecided,
    /// Only a rejected ride can be appealed.
    #[error("only a rejected ride can be appealed; this one is {0}")]
    NotRejected(TripStatus),
    /// A ride is appealed once.
    #[error("this ride was appealed already")]
    AlreadyAppealed,
    /// The campaign's time for appeals is over (or it takes none).
    #[error("rejections of this campaign can be appealed within {0} days of the decision; that time is over")]
    AppealWindowClosed(u32),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl ReviewRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyDecided => "ALREADY_DECIDED",
            Self::NotRejected(_) => "NOT_REJECTED",
            Self::AlreadyAppealed => "ALREADY_APPEALED",
            Self::AppealWindowClosed(_) => "APPEAL_WINDOW_CLOSED",
            Self::Engine(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for ReviewRefusal {
    fn from(error: StoreError) -> Self {
        Self::Engine(error.into())
    }
}

/// What the audit log keeps of a reviewer's decision.
#[derive(Serialize)]
struct Decided<'a> {
    kind: ReviewKind,
    outcome: Outcome,
    note: &'a str,
    points: i64,
}

/// Records a reviewer's decision on a waiting ride (found in the queue and
/// in the reviewer's scope); of two reviewers deciding at once, the second
/// gets [`ReviewRefusal::AlreadyDecided`]. Returns the points the ride earns.
pub async fn decide(
    engine: &Engine,
    tenant_id: &TenantId,
    reviewer: &StaffId,
    item: &QueueItem,
    outcome: Outcome,
    note: &str,
) -> Result<i64, ReviewRefusal> {
    let verdict = Verdict { trip_id: &item.trip_id, outcome, note, by: reviewer, at: now_ms() };
    let points = match (item.kind, outcome) {
        (_, Outcome::Rejected) => 0,
        (ReviewKind::Review, Outcome::Accepted) => item.points,
        (ReviewKind::Appeal, Outcome::Accepted) => appeal_points(engine, tenant_id, &item.trip_id).await?,
    };
    let mut tx = engine.store.begin().await?;
    let decided = match item.kind {
        ReviewKind::Review => reviews::decide_review(&mut tx, tenant_id, &verdict).await?,
        ReviewKind::Appeal => reviews::decide_appeal(&mut tx, tenant_id, &verdict, points).await?,
    };
    if !decided {
        return Err(ReviewRefusal::AlreadyDecided);
    }
    if outcome == Outcome::Accepted {
        let event = TripEvent { tenant_id: tenant_id.clone(), trip_ids: vec![item.trip_id.clone()] };
        let payload = serde_json::to_string(&event).map_err(EngineError::from)?;
        outbox::enqueue(&mut tx, tenant_id, &engine.topics.decided, &payload).await?;
    }
    let record = Decided { kind: item.kind, outcome, note, points };
    let actor = Actor::Staff(reviewer);
    audit::record(&mut tx, tenant_id, actor, "review.decide", item.trip_id.as_str(), None, Some(&record)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.outbox_written.notify_one();
    Ok(points)
}

/// What a rejected ride earns once its appeal is accepted.
async fn appeal_points(engine: &Engine, tenant_id: &TenantId, trip_id: &TripId) -> Result<i64, ReviewRefusal> {
    let trip = trips::get(&engine.store, tenant_id, trip_id).await?.ok_or(ReviewRefusal::NotFound)?;
    let rules = engine.campaigns.get(&engine.store, tenant_id, &trip.campaign_id).await?;
    let compiled = &rules.in_force_at(trip.started_at).compiled;
    let distance_m = trip.distance_m.unwrap_or(0) as f64;
    let (points, _) = compiled.reward(distance_m, compiled.local_time(trip.started_at));
    Ok(i64::try_from(points).unwrap_or(i64::MAX))
}

/// A participant appeals their rejected trip with a message, once, within
/// the campaign's `appeal_days` of its decision (as of `now`).
pub async fn appeal(
    engine: &Engine,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    trip_id: &TripId,
    message: &str,
    now: i64,
) -> Result<(), ReviewRefusal> {
    let trip = trips::get(&engine.store, tenant_id, trip_id)
        .await?
        .filter(|trip| &trip.participant_id == participant_id)
        .ok_or(ReviewRefusal::NotFound)?;
    if trip.status != TripStatus::Rejected {
        return Err(ReviewRefusal::NotRejected(trip.status));
    }
    let rules = engine.campaigns.get(&engine.store, tenant_id, &trip.campaign_id).await?;
    let days = rules.in_force_at(trip.started_at).compiled.spec().appeal_days;
    if now > trip.decided_at.unwrap_or(now) + i64::from(days) * DAY_MS || days == 0 {
        return Err(ReviewRefusal::AppealWindowClosed(days));
    }
    let mut tx = engine.store.begin().await?;
    if !reviews::open_appeal(&mut tx, tenant_id, trip_id, message, now).await? {
        return Err(ReviewRefusal::AlreadyAppealed);
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
