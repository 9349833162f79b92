#![allow(unused_qualifications)] // utoipa's path macro spells out the query types it documents
//! Uploading rides and reading decisions.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use smartville_engine::ingest::{Submitted, TraceFormat, Upload};
use smartville_scoring::{Effect, ReasonCode};
use smartville_store::ids::{TenantId, TripId};
use smartville_store::lifecycle::TripStatus;
use smartville_store::now_ms;
use smartville_store::reviews::{self, ReviewKind, ReviewRecord};
use smartville_store::trips::{self, Trip};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Participant;
use crate::limits::Limit;
use crate::problem::Problem;
use crate::{ApiState, input};

/// A ride as the app shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TripView {
    /// Public id.
    #[schema(value_type = String, format = Uuid)]
    pub trip_id: TripId,
    /// `pending`, `accepted`, `rejected` or `review`.
    #[schema(value_type = String)]
    pub status: TripStatus,
    /// Points earned: what the ledger paid once `credited_at` is set, what was decided before.
    pub points: i64,
    /// Distance ridden, metres (once decided).
    pub distance_m: Option<i64>,
    /// Duration, seconds (once decided).
    pub duration_s: Option<i64>,
    /// Why the decision is what it is.
    pub reasons: Vec<ReasonView>,
    /// When the upload was received (RFC 3339, UTC).
    pub submitted_at: String,
    /// When it was decided.
    pub decided_at: Option<String>,
    /// When the points reached the wallet.
    pub credited_at: Option<String>,
    /// The version of the campaign's rules the decision used (the one in force when the ride started).
    pub campaign_version: Option<i64>,
    /// A person's word on the ride: the review scoring asked for, the
    /// student's appeal, and what the reviewer decided and wrote.
    pub reviews: Vec<ReviewView>,
}

/// A person's word on a ride.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewView {
    /// `review` (the engine asked a person) or `appeal` (the student contested a rejection).
    pub kind: ReviewKind,
    /// The student's message (an appeal).
    pub message: Option<String>,
    /// When it was opened.
    pub opened_at: String,
    /// `accepted` or `rejected`, once a reviewer decided.
    pub outcome: Option<String>,
    /// The reviewer's note to the student.
    pub note: Option<String>,
    /// When a reviewer decided.
    pub decided_at: Option<String>,
}

impl From<ReviewRecord> for ReviewView {
    fn from(record: ReviewRecord) -> Self {
        Self {
            kind: record.kind,
            message: record.message,
            opened_at: rfc3339(record.opened_at),
            outcome: record.outcome,
            note: record.note.filter(|note| !note.is_empty()),
            decided_at: record.decided_at.map(rfc3339),
        }
    }
}

/// One reason of a decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReasonView {
    /// Stable code, e.g. `TOO_FAST`.
    #[schema(value_type = String)]
    pub code: ReasonCode,
    /// `reject`, `review` or `reduce`.
    #[schema(value_type = String)]
    pub effect: Effect,
    /// Explanation for the student.
    pub message: String,
}

/// The answer to an upload that is not decided yet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    /// Public id, to poll `GET /v1/trips/{trip_id}`.
    #[schema(value_type = String, format = Uuid)]
    pub trip_id: TripId,
    /// Always `pending`.
    #[schema(value_type = String)]
    pub status: TripStatus,
}

/// A page of rides.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TripPage {
    /// Newest first.
    pub trips: Vec<TripView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub next_cursor: Option<TripId>,
}

/// RFC 3339 in UTC with milliseconds, the API's time format.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl TripView {
    /// The app's view of a stored trip: scoring's decision, and what the
    /// ledger paid. When the budget ran short while the ride was credited, the
    /// shortfall is shown as one more reason, `BUDGET_EXHAUSTED`.
    pub(crate) fn from_trip(trip: &Trip) -> Self {
        let mut reasons: Vec<ReasonView> = trip
            .decision
            .iter()
            .flat_map(|decision| &decision.reasons)
            .map(|r| ReasonView { code: r.code, effect: r.effect, message: r.message.clone() })
            .collect();
        let points = match trip.paid_points {
            Some(paid) if paid < trip.points => {
                reasons.push(ReasonView {
                    code: ReasonCode::BudgetExhausted,
                    effect: if paid == 0 { Effect::Reject } else { Effect::Reduce },
                    message: format!(
                        "The campaign budget ran out while this ride was credited: {paid} of its {} points were left for it.",
                        trip.points
                    ),
                });
                paid
            }
            _ => trip.points,
        };
        Self {
            trip_id: trip.id.clone(),
            status: trip.status,
            points,
            distance_m: trip.distance_m,
            duration_s: trip.duration_s,
            reasons,
            submitted_at: rfc3339(trip.submitted_at),
            decided_at: trip.decided_at.map(rfc3339),
            credited_at: trip.credited_at.map(rfc3339),
            campaign_version: trip.campaign_version,
            reviews: Vec::new(),
        }
    }
}

/// Query of `POST /v1/trips`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// Wait up to this many seconds (at most 10) for the decision.
    #[param(minimum = 0, maximum = 10)]
    pub wait: Option<u64>,
}

/// A JSON trace, as the scoring library reads it (`RawTrace::from_json`):
/// described here for clients; the library is its one reader.
#[derive(ToSchema)]
#[allow(dead_code)] // read by the scoring library, not through this type
pub struct TraceUpload {
    /// The fixes, oldest first.
    #[schema(min_items = 2)]
    points: Vec<TracePoint>,
    /// Whether the phone reported a mock-location provider (default false).
    #[schema(required = false)]
    mock_location: bool,
    /// The phone's own activity recognition during the ride (Android Activity
    /// Recognition, iOS Core Motion), if the app has it: evidence weighed with
    /// the motion, never alone. In GPX: `<activity time="…" type="…"
    /// confidence="…"/>` elements in an `<extensions>` outside the points.
    #[schema(required = false)]
    activities: Vec<TraceActivity>,
}

/// One report of the phone's activity recognition; it holds until the next.
#[derive(ToSchema)]
#[allow(dead_code)] // read by the scoring library, not through this type
pub struct TraceActivity {
    /// When: RFC 3339 (or milliseconds since the epoch).
    #[schema(format = DateTime, example = "2026-11-24T07:42:00Z")]
    t: String,
    /// What the phone recognised.
    #[schema(rename = "type", value_type = String, pattern = "^(on_bicycle|on_foot|running|in_vehicle|still|unknown)$")]
    activity: String,
    /// How sure the phone was; reports below 50 are not counted.
    #[schema(minimum = 0, maximum = 100)]
    confidence: u8,
}

/// One fix of a JSON trace.
#[derive(ToSchema)]
#[allow(dead_code)] // read by the scoring library, not through this type
pub struct TracePoint {
    /// When: RFC 3339 (or milliseconds since the epoch); increasing from fix to fix.
    #[schema(format = DateTime, example = "2026-11-24T07:42:00Z")]
    t: String,
    /// Latitude, degrees (WGS 84).
    #[schema(minimum = -90, maximum = 90)]
    lat: f64,
    /// Longitude, degrees (WGS 84).
    #[schema(minimum = -180, maximum = 180)]
    lon: f64,
    /// Horizontal accuracy, metres (68 % radius).
    #[schema(minimum = 0)]
    acc: Option<f64>,
    /// Speed reported by the phone, m/s.
    #[schema(minimum = 0)]
    speed: Option<f64>,
}

/// Upload a ride.
///
/// The body is the trace: `application/json` (`{"points": [...]}`) or
/// `application/gpx+xml`. Retrying with the same `Idempotency-Key` and
/// the same body returns the same trip; the same key with another body is a 409.
#[utoipa::path(post, path = "/v1/trips", tag = "trips", params(SubmitQuery,
        ("Idempotency-Key" = String, Header, description = "Unique per ride: the same key with the same trace returns the same trip",
            min_length = 1, max_length = 200, pattern = "^[!-~]+$")),
    request_body(description = "The trace: JSON or GPX 1.0/1.1",
        content((TraceUpload = "application/json"), (String = "application/gpx+xml", example = "<?xml version=\"1.0\"?>\n\
<gpx version=\"1.1\" creator=\"a phone app\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n\
<trkpt lat=\"51.1449781\" lon=\"4.9650472\"><time>2026-11-24T06:48:00Z</time></trkpt>\n\
<trkpt lat=\"51.1450074\" lon=\"4.9650920\"><time>2026-11-24T06:48:02Z</time></trkpt>\n\
</trkseg></trk></gpx>"))),
    security(("bearer" = [])),
    responses((status = 202, body = Accepted), (status = 200, body = TripView, description = "Decided within ?wait"),
        (status = 409, body = Problem, description = "Not enrolled in a campaign, or the idempotency key was used for another trace"),
        (status = 422, body = Problem, description = "The trace breaks an input limit (too few points, out-of-range coordinates …)"),
        (status = 429, body = Problem, description = "Too many uploads by this participant")))]
pub async fn submit(
    State(state): State<ApiState>,
    participant: Participant,
    query: Result<Query<SubmitQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query?;
    let wait = Duration::from_secs(query.wait.unwrap_or(0));
    if wait > state.settings.max_wait {
        return Err(Problem::bad_request(
            "INVALID_QUERY",
            format!("wait is at most {} s", state.settings.max_wait.as_secs()),
        ));
    }
    let format = match input::media_type(&headers).as_str() {
        "application/json" => TraceFormat::Json,
        "application/gpx+xml" | "application/xml" | "text/xml" => TraceFormat::Gpx,
        _ => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send the trace as application/json or application/gpx+xml",
            ));
        }
    };
    let body = body?;
    let key = input::idempotency_key(&headers, "ride")?;
    let trip = submit_trace(&state, &participant, format, key, &body, wait).await?;
    Ok(if trip.is_settled() {
        (StatusCode::OK, Json(TripView::from_trip(&trip))).into_response()
    } else {
        (StatusCode::ACCEPTED, Json(Accepted { trip_id: trip.id, status: trip.status })).into_response()
    })
}

/// Stores a participant's trace once per idempotency key and waits up to
/// `wait` for its decision: the one way in for a ride, from the API and
/// from the pages.
pub(crate) async fn submit_trace(
    state: &ApiState,
    participant: &Participant,
    format: TraceFormat,
    idempotency_key: &str,
    body: &[u8],
    wait: Duration,
) -> Result<Trip, Problem> {
    state.limiter.check(Limit::UploadsPerParticipant, participant.id().as_str()).await?;
    let upload =
        Upload { tenant_id: participant.tenant_id(), participant_id: participant.id(), idempotency_key, body, format };
    let trip = match state.ingest.submit(&upload).await? {
        Submitted::New(trip) | Submitted::Repeat(trip) => trip,
    };
    Ok(state.settled.wait(trip, wait).await)
}

/// Query of `GET /v1/trips`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `next_cursor` of the previous page.
    #[param(format = Uuid)]
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// List one's own rides, newest first.
#[utoipa::path(get, path = "/v1/trips", tag = "trips", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = TripPage), (status = 400, body = Problem, description = "A bad cursor or limit")))]
pub async fn list(
    State(state): State<ApiState>,
    participant: Participant,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<TripPage>, Problem> {
    let Query(query) = query?;
    let (cursor, limit) = input::page::<TripId>(query.cursor.as_deref(), query.limit, 20)?;
    let rows =
        trips::list(&state.engine.store, participant.tenant_id(), participant.id(), cursor.as_ref(), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let mut trips: Vec<TripView> = rows.iter().take(limit as usize).map(TripView::from_trip).collect();
    with_reviews(&state, participant.tenant_id(), &mut trips).await?;
    let next_cursor = if more { trips.last().map(|t| t.trip_id.clone()) } else { None };
    Ok(Json(TripPage { trips, next_cursor }))
}

/// Read one of one's own rides.
#[utoipa::path(get, path = "/v1/trips/{trip_id}", tag = "trips", params(("trip_id" = String, Path, format = Uuid)), security(("bearer" = [])),
    responses((status = 200, body = TripView), (status = 404, body = Problem, description = "No such trip of this participant")))]
pub async fn get(
    State(state): State<ApiState>,
    participant: Participant,
    Path(trip_id): Path<String>,
) -> Result<Json<TripView>, Problem> {
    let trip_id: TripId = input::public_id(&trip_id).ok_or_else(|| Problem::not_found("trip"))?;
    Ok(Json(own_trip(&state, &participant, &trip_id).await?))
}

/// One of the participant's own rides with its reviews; 404 for anyone else's.
async fn own_trip(state: &ApiState, participant: &Participant, trip_id: &TripId) -> Result<TripView, Problem> {
    let trip = trips::get(&state.engine.store, participant.tenant_id(), trip_id)
        .await?
        .filter(|trip| &trip.participant_id == participant.id())
        .ok_or_else(|| Problem::not_found("trip"))?;
    let mut view = [TripView::from_trip(&trip)];
    with_reviews(state, participant.tenant_id(), &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// Adds to each ride its reviews and appeals.
pub(crate) async fn with_reviews(
    state: &ApiState,
    tenant_id: &TenantId,
    views: &mut [TripView],
) -> Result<(), Problem> {
    let ids: Vec<TripId> = views.iter().map(|v| v.trip_id.clone()).collect();
    for record in reviews::of_trips(&state.engine.store, tenant_id, &ids).await? {
        if let Some(view) = views.iter_mut().find(|v| v.trip_id == record.trip_id) {
            view.reviews.push(record.into());
        }
    }
    Ok(())
}

/// `POST /v1/trips/{trip_id}/appeal`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// Why the ride should count, for the reviewer: 1 to 500 characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "My phone lost GPS in the tunnel under the station; I rode the whole way.",
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub message: String,
}

/// Appeal a rejected ride, once, within the campaign's days for appeals
/// (14 unless it says otherwise). A reviewer of the council or the school
/// answers; the answer shows on the trip.
#[utoipa::path(post, path = "/v1/trips/{trip_id}/appeal", tag = "trips", params(("trip_id" = String, Path, format = Uuid)),
    security(("bearer" = [])), request_body = AppealRequest,
    responses((status = 201, body = TripView, description = "The ride with its open appeal"),
        (status = 404, body = Problem, description = "No such trip of this participant"),
        (status = 409, body = Problem, description = "Not rejected (NOT_REJECTED), or appealed already (ALREADY_APPEALED)"),
        (status = 422, body = Problem, description = "The time for appeals is over (APPEAL_WINDOW_CLOSED)")))]
pub async fn appeal(
    State(state): State<ApiState>,
    participant: Participant,
    Path(trip_id): Path<String>,
    input::JsonObject(request): input::JsonObject<AppealRequest>,
) -> Result<(StatusCode, Json<TripView>), Problem> {
    let trip_id: TripId = input::public_id(&trip_id).ok_or_else(|| Problem::not_found("trip"))?;
    let message = input::plain_text(&request.message, 500, "INVALID_MESSAGE", "message")?;
    let (engine, tenant_id) = (&state.engine, participant.tenant_id());
    smartville_engine::reviews::appeal(engine, tenant_id, participant.id(), &trip_id, message, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(own_trip(&state, &participant, &trip_id).await?)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn credited(points: i64, paid: i64) -> Trip {
        Trip {
            tenant_id: "t".into(),
            id: "0192f0c1-7a4e-7cc3-8e4f-2b9f0a6c1d2e".into(),
            participant_id: "p".into(),
            campaign_id: "c".into(),
            body_hash: String::new(),
            status: TripStatus::Accepted,
            points,
            distance_m: Some(2_000),
            duration_s: Some(600),
            decision: Some(serde_json::from_str(r#"{"status":"accepted","points":24,"distance_m":2000,"duration_s":600,"moving_time_s":590,"average_speed_kmh":16.0,"fixes_received":600,"fixes_dropped":0,"reasons":[]}"#).unwrap()),
            submitted_at: 0,
            started_at: 0,
            ended_at: 0,
            decided_at: Some(1),
            credited_at: Some(2),
            paid_points: Some(paid),
            campaign_version: Some(1),
        }
    }

    #[test]
    fn the_upload_schema_describes_the_phones_activity_reports() {
        let document = serde_json::to_value(crate::openapi()).unwrap();
        let schemas = &document["components"]["schemas"];
        assert_eq!(
            schemas["TraceUpload"]["properties"]["activities"]["items"]["$ref"],
            "#/components/schemas/TraceActivity"
        );
        let kinds = schemas["TraceActivity"]["properties"]["type"]["pattern"].as_str().unwrap();
        for kind in ["on_bicycle", "on_foot", "running", "in_vehicle", "still", "unknown"] {
            let named: smartville_scoring::Activity = serde_json::from_value(kind.into()).unwrap();
            assert!(kinds.contains(kind), "{kind} ({named:?}) in {kinds}");
        }
    }

    #[test]
    fn a_budget_shortfall_shows_as_what_was_paid_and_why() {
        let full = TripView::from_trip(&credited(24, 24));
        assert_eq!((full.points, full.reasons.len()), (24, 0));
        let short = TripView::from_trip(&credited(24, 6));
        assert_eq!(short.points, 6);
        assert_eq!((short.reasons[0].code, short.reasons[0].effect), (ReasonCode::BudgetExhausted, Effect::Reduce));
        let nothing = TripView::from_trip(&credited(24, 0));
        assert_eq!((nothing.points, nothing.reasons[0].effect), (0, Effect::Reject));
    }
}
