#![allow(unused_qualifications)] // utoipa's path macro spells out the query types it documents
//! The review queue: rides scoring sent to review and rejected rides a
//! student appealed, for the council (and a school's admin, for their own
//! students), each with its reasons and figures and the ride drawn without
//! its first and last 200 m; and a reviewer's decision, of which exactly one
//! wins when two decide at once.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use serde_json::json;
use smartville_engine::reviews as review;
use smartville_scoring::{Decision, Ride};
use smartville_store::ids::{ClassId, ParticipantId, SchoolId, TripId};
use smartville_store::reviews::{self, Outcome, QueueItem, ReviewKind};
use smartville_store::trips;
use utoipa::{IntoParams, ToSchema};

use super::access::{DecideReviews, ReadReviews, Staff};
use crate::problem::Problem;
use crate::trips::ReasonView;
use crate::{ApiState, input};

/// A ride waiting for a reviewer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewItem {
    /// The trip.
    #[schema(value_type = String, format = Uuid)]
    pub trip_id: TripId,
    /// `review` (scoring asked a person) or `appeal` (the student contested a rejection).
    pub kind: ReviewKind,
    /// Whose ride: a pseudonym and the nickname they chose, if any.
    #[schema(value_type = String, format = Uuid)]
    pub participant_id: ParticipantId,
    /// The nickname, if chosen.
    pub nickname: Option<String>,
    /// Their class.
    #[schema(value_type = String, format = Uuid)]
    pub class_id: ClassId,
    /// Its school.
    #[schema(value_type = String, format = Uuid)]
    pub school_id: SchoolId,
    /// When the ride started (ms since the epoch).
    pub started_at: i64,
    /// The version of the campaign's rules that judged it.
    pub campaign_version: Option<i64>,
    /// Points held for it (a review; an accepted appeal earns the ride's reward).
    pub points: i64,
    /// Distance ridden, metres.
    pub distance_m: u64,
    /// First to last fix, seconds.
    pub duration_s: u64,
    /// Average moving speed, km/h.
    pub average_speed_kmh: f64,
    /// Why scoring decided as it did.
    pub reasons: Vec<ReasonView>,
    /// The student's message (an appeal).
    pub message: Option<String>,
    /// Since when it waits (ms since the epoch).
    pub waiting_since: i64,
}

impl From<QueueItem> for ReviewItem {
    fn from(item: QueueItem) -> Self {
        let decision: Option<Decision> = item.decision.as_deref().and_then(|json| serde_json::from_str(json).ok());
        let figures = decision.as_ref().map_or((0, 0, 0.0), |d| (d.distance_m, d.duration_s, d.average_speed_kmh));
        Self {
            trip_id: item.trip_id,
            kind: item.kind,
            participant_id: item.participant_id,
            nickname: item.nickname,
            class_id: item.class_id,
            school_id: item.school_id,
            started_at: item.started_at,
            campaign_version: item.campaign_version,
            points: item.points,
            distance_m: figures.0,
            duration_s: figures.1,
            average_speed_kmh: figures.2,
            reasons: decision
                .iter()
                .flat_map(|d| &d.reasons)
                .map(|r| ReasonView { code: r.code, effect: r.effect, message: r.message.clone() })
                .collect(),
            message: item.message,
            waiting_since: item.waiting_since,
        }
    }
}

/// A page of the queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewPage {
    /// Oldest ride first.
    pub rides: Vec<ReviewItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub next_cursor: Option<TripId>,
}

/// Query of `GET /v1/admin/reviews`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `next_cursor` of the previous page.
    #[param(format = Uuid)]
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The rides waiting for a reviewer (council admins and auditors: the whole
/// council; a school's admin: their school's students).
#[utoipa::path(get, path = "/v1/admin/reviews", tag = "admin", params(QueueQuery), security(("bearer" = [])),
    responses((status = 200, body = ReviewPage), (status = 400, body = Problem, description = "A bad cursor or limit")))]
pub async fn list(
    State(state): State<ApiState>,
    staff: Staff<ReadReviews>,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Json<ReviewPage>, Problem> {
    let Query(query) = query?;
    let (cursor, limit) = input::page::<TripId>(query.cursor.as_deref(), query.limit, 50)?;
    let school = staff.member().school_id.as_ref();
    let rows = reviews::queue(&state.engine.store, staff.tenant_id(), school, cursor.as_ref(), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rides: Vec<ReviewItem> = rows.into_iter().take(limit as usize).map(ReviewItem::from).collect();
    let next_cursor = if more { rides.last().map(|r| r.trip_id.clone()) } else { None };
    Ok(Json(ReviewPage { rides, next_cursor }))
}

/// A waiting ride with its path.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewDetail {
    /// The ride, its reasons and figures.
    pub ride: ReviewItem,
    /// The ride as a GeoJSON Feature (a LineString) without its first and last
    /// 200 m; absent once its trace was deleted after the dispute window.
    #[schema(value_type = Option<Object>)]
    pub path: Option<serde_json::Value>,
}

/// One waiting ride with its path, to decide it.
#[utoipa::path(get, path = "/v1/admin/reviews/{trip_id}", tag = "admin", params(("trip_id" = String, Path, format = Uuid)),
    security(("bearer" = [])),
    responses((status = 200, body = ReviewDetail),
        (status = 404, body = Problem, description = "No ride waiting for a reviewer with this id, in reach")))]
pub async fn get(
    State(state): State<ApiState>,
    staff: Staff<ReadReviews>,
    Path(trip_id): Path<String>,
) -> Result<Json<ReviewDetail>, Problem> {
    let item = waiting_in_reach(&state, &staff, &trip_id).await?;
    let path = path_of(&state, &staff, &item).await?;
    Ok(Json(ReviewDetail { ride: item.into(), path }))
}

/// `POST /v1/admin/reviews/{trip_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `accepted`: the ride earns its points (credited through the ledger); `rejected`: nothing.
    pub outcome: Outcome,
    /// A note to the student, shown on the trip (up to 500 characters).
    #[serde(default)]
    #[schema(max_length = 500, example = "The GPS was lost in the tunnel; the rest of the ride is clearly by bike.")]
    pub note: String,
}

/// What a reviewer decided.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Decided {
    /// The trip.
    #[schema(value_type = String, format = Uuid)]
    pub trip_id: TripId,
    /// Accepted or rejected.
    pub outcome: Outcome,
    /// Points the ride earns (paid from the budget, as far as it holds).
    pub points: i64,
}

/// Decide a waiting ride (council admins; a school's admin for their
/// students). Of two reviewers deciding at once, one gets 200, the other 409.
#[utoipa::path(post, path = "/v1/admin/reviews/{trip_id}", tag = "admin", params(("trip_id" = String, Path, format = Uuid)),
    security(("bearer" = [])), request_body = DecisionRequest,
    responses((status = 200, body = Decided),
        (status = 404, body = Problem, description = "No ride waiting for a reviewer with this id, in reach"),
        (status = 409, body = Problem, description = "Decided already by another reviewer (ALREADY_DECIDED)")))]
pub async fn decide(
    State(state): State<ApiState>,
    staff: Staff<DecideReviews>,
    Path(trip_id): Path<String>,
    input::JsonObject(request): input::JsonObject<DecisionRequest>,
) -> Result<Json<Decided>, Problem> {
    let note = if request.note.trim().is_empty() {
        ""
    } else {
        input::plain_text(&request.note, 500, "INVALID_NOTE", "note")?
    };
    let item = match waiting_in_reach(&state, &staff, &trip_id).await {
        Ok(item) => item,
        Err(not_waiting) => return Err(decided_already(&state, &staff, &trip_id).await?.unwrap_or(not_waiting)),
    };
    let points = review::decide(&state.engine, staff.tenant_id(), staff.id(), &item, request.outcome, note).await?;
    Ok(Json(Decided { trip_id: item.trip_id, outcome: request.outcome, points }))
}

/// The 409 for a ride in reach that a reviewer decided already (a second
/// reviewer who comes after the first), if that is what it is.
async fn decided_already<P>(state: &ApiState, staff: &Staff<P>, trip_id: &str) -> Result<Option<Problem>, Problem> {
    let Some(trip_id) = input::public_id::<TripId>(trip_id) else { return Ok(None) };
    let school = reviews::decided_school(&state.engine.store, staff.tenant_id(), &trip_id).await?;
    Ok(school.filter(|school| staff.school_scope(school).is_ok()).map(|_| review::ReviewRefusal::AlreadyDecided.into()))
}

/// The waiting ride `trip_id`, if the staff member may see it.
async fn waiting_in_reach<P>(state: &ApiState, staff: &Staff<P>, trip_id: &str) -> Result<QueueItem, Problem> {
    let not_found = || Problem::not_found("ride waiting for a reviewer");
    let trip_id: TripId = input::public_id(trip_id).ok_or_else(not_found)?;
    let item = reviews::waiting(&state.engine.store, staff.tenant_id(), &trip_id).await?.ok_or_else(not_found)?;
    staff.school_scope(&item.school_id).map_err(|_| not_found())?;
    Ok(item)
}

/// The ride's path without its ends, as a GeoJSON Feature, while its trace is kept.
async fn path_of<P>(
    state: &ApiState,
    staff: &Staff<P>,
    item: &QueueItem,
) -> Result<Option<serde_json::Value>, Problem> {
    let engine = &state.engine;
    let Some(stored) =
        trips::with_traces(&engine.store, staff.tenant_id(), std::slice::from_ref(&item.trip_id)).await?.pop()
    else {
        return Ok(None);
    };
    let rules = engine.campaigns.get(&engine.store, staff.tenant_id(), &stored.trip.campaign_id).await?;
    let compiled = &rules.in_force_at(stored.trip.started_at).compiled;
    let limits = rules.in_force_at(stored.trip.submitted_at).compiled.trace_limits();
    let trace = stored.trace(&limits).map_err(|error| Problem::internal(&error))?;
    let coordinates = Ride::prepare(&trace, compiled).path_without_ends();
    Ok(Some(json!({
        "type": "Feature",
        "properties": {"trip_id": item.trip_id, "trimmed_m": smartville_scoring::fingerprint::TRIM_M},
        "geometry": {"type": "LineString", "coordinates": coordinates},
    })))
}
