#![allow(unused_qualifications)] // utoipa's path macro spells out the query types it documents
//! Litter and illegal-dumping reports: a participant reports a place, a
//! category and a note (`POST /v1/litter-reports`), then its photo
//! (`PUT /v1/litter-reports/{id}/photo`, JPEG or PNG, re-encoded without its
//! metadata); council staff validate or reject a report's group
//! (`/v1/admin/litter-reports`); and council back-offices read them as
//! Open311 GeoReport v2 service requests (`GET /v1/open311/requests.json`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use smartville_engine::litter::{self as reports, LitterRefusal, Sent, Verdict};
use smartville_store::ids::{LitterReportId, TenantId};
use smartville_store::litter::{self, LitterCategory, LitterReport, LitterStatus};
use smartville_store::{StoreError, now_ms, tenancy};
use utoipa::{IntoParams, ToSchema};

use crate::admin::access::{ReadCampaigns, ReviewLitter, Staff};
use crate::auth::Participant;
use crate::input::{self, JsonObject};
use crate::problem::Problem;
use crate::trips::rfc3339;
use crate::{ApiState, pictures};

/// `POST /v1/litter-reports`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Where (WGS84 latitude).
    #[schema(example = 51.1617, minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Where (WGS84 longitude).
    #[schema(example = 4.9896, minimum = -180, maximum = 180)]
    pub lon: f64,
    /// `illegal_dumping`, `litter`, `overflowing_bin` or `hazardous`.
    #[schema(example = "illegal_dumping")]
    pub category: String,
    /// A few words (at most 500 characters).
    #[schema(example = "Bags of building rubble behind the sports hall", max_length = 500)]
    pub note: Option<String>,
}

/// A litter report as its reporter and the council see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub report_id: LitterReportId,
    /// What was found.
    pub category: LitterCategory,
    /// Where (WGS84).
    pub lat: f64,
    /// Where (WGS84).
    pub lon: f64,
    /// What the reporter wrote.
    pub note: Option<String>,
    /// When it was reported (RFC 3339, UTC).
    pub reported_at: String,
    /// The first report of its group (reports within 50 m and 24 h of an open one join its group):
    /// its own id when it is the first.
    #[schema(value_type = String, format = Uuid)]
    pub group_id: LitterReportId,
    /// Whether its photo was given.
    pub has_photo: bool,
    /// `open`, `validated` or `rejected`.
    pub status: LitterStatus,
    /// What the council wrote with its decision.
    pub decision_note: Option<String>,
    /// Points it earned (the first report of a validated group, when a litter campaign runs).
    pub points: i64,
}

impl From<LitterReport> for ReportView {
    fn from(report: LitterReport) -> Self {
        Self {
            report_id: report.id,
            category: report.category,
            lat: report.lat,
            lon: report.lon,
            note: report.note,
            reported_at: rfc3339(report.created_at),
            group_id: report.group_id,
            has_photo: report.photo_key.is_some(),
            status: report.status,
            decision_note: report.decision_note,
            points: report.points,
        }
    }
}

impl From<LitterRefusal> for Problem {
    fn from(refusal: LitterRefusal) -> Self {
        if let LitterRefusal::Engine(error) = refusal {
            return error.into();
        }
        let status = match &refusal {
            LitterRefusal::Engine(_) | LitterRefusal::NotFound => return Problem::not_found("report"),
            LitterRefusal::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            LitterRefusal::Decided => StatusCode::CONFLICT,
        };
        Problem::new(status, refusal.code(), refusal.to_string())
    }
}

/// Report litter or illegal dumping: the place, what it is and a few words;
/// then its photo. A report within 50 m and 24 h of an open one joins its group.
#[utoipa::path(post, path = "/v1/litter-reports", tag = "litter", request_body = ReportRequest, security(("bearer" = [])),
    responses((status = 201, body = ReportView),
        (status = 422, body = Problem, description = "A place that cannot be, an unknown category or a note over 500 characters (`INVALID_REPORT`)")))]
pub async fn report(
    State(state): State<ApiState>,
    participant: Participant,
    JsonObject(request): JsonObject<ReportRequest>,
) -> Result<(StatusCode, Json<ReportView>), Problem> {
    let sent = Sent { lat: request.lat, lon: request.lon, category: &request.category, note: request.note.as_deref() };
    let stored = reports::report(&state.engine, participant.tenant_id(), participant.id(), &sent, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// Give an open report of one's own its photo (JPEG or PNG, at most 5 MiB):
/// it is kept re-encoded, without what the camera wrote into it (where, when,
/// which phone), at most 1,600 pixels a side.
#[utoipa::path(put, path = "/v1/litter-reports/{report_id}/photo", tag = "litter", security(("bearer" = [])),
    params(("report_id" = String, Path, format = Uuid)),
    request_body(description = "The photo", content(
        (Vec<u8> = "image/jpeg", example = "(a JPEG photo of at most 5 MiB)"),
        (Vec<u8> = "image/png", example = "(a PNG picture of at most 5 MiB)"))),
    responses((status = 200, body = ReportView),
        (status = 404, body = Problem, description = "No such open report of the participant's"),
        (status = 413, body = Problem, description = "More than 5 MiB (`PICTURE_TOO_LARGE`)"),
        (status = 422, body = Problem, description = "Not a readable JPEG or PNG (`INVALID_PICTURE`)")))]
pub async fn put_photo(
    State(state): State<ApiState>,
    participant: Participant,
    Path(report_id): Path<String>,
    upload: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportView>, Problem> {
    let not_found = || Problem::not_found("open report");
    let report_id: LitterReportId = input::public_id(&report_id).ok_or_else(not_found)?;
    let tenant_id = participant.tenant_id();
    let report = litter::get(&state.engine.store, tenant_id, &report_id).await?;
    let report = report.filter(|r| &r.participant_id == participant.id() && r.status == LitterStatus::Open);
    let report = report.ok_or_else(not_found)?;
    let (key, media_type) = pictures::keep(&state, upload, "litter", report.id.as_str()).await?;
    let mut tx = state.engine.store.begin().await?;
    if !litter::set_photo(&mut tx, tenant_id, &report.id, participant.id(), (&key, media_type)).await? {
        pictures::forget(&state, &key).await; // decided meanwhile
        return Err(not_found());
    }
    tx.commit().await.map_err(StoreError::from)?;
    if let Some(replaced) = report.photo_key.as_deref().filter(|old| *old != key) {
        pictures::forget(&state, replaced).await;
    }
    let report = LitterReport { photo_key: Some(key), photo_type: Some(media_type.into()), ..report };
    Ok(Json(report.into()))
}

/// One's own litter reports, newest first.
#[utoipa::path(get, path = "/v1/litter-reports", tag = "litter", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReportView>)))]
pub async fn mine(State(state): State<ApiState>, participant: Participant) -> Result<Json<Vec<ReportView>>, Problem> {
    let mine = litter::of_participant(&state.engine.store, participant.tenant_id(), participant.id()).await?;
    Ok(Json(mine.into_iter().map(ReportView::from).collect()))
}

/// `GET /v1/admin/litter-reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffQuery {
    /// `open` (the default), `validated` or `rejected`.
    pub status: Option<LitterStatus>,
}

/// The council's litter reports of one status, newest first (at most 500).
#[utoipa::path(get, path = "/v1/admin/litter-reports", tag = "admin", params(StaffQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ReportView>),
        (status = 400, body = Problem, description = "A status that is none (`INVALID_QUERY`)")))]
pub async fn list(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
    query: Result<Query<StaffQuery>, QueryRejection>,
) -> Result<Json<Vec<ReportView>>, Problem> {
    let Query(query) = query?;
    let status = query.status.unwrap_or(LitterStatus::Open);
    let reports = litter::list(&state.engine.store, staff.tenant_id(), status, 500).await?;
    Ok(Json(reports.into_iter().map(ReportView::from).collect()))
}

/// A report's photo, for council staff.
#[utoipa::path(get, path = "/v1/admin/litter-reports/{report_id}/photo", tag = "admin", security(("bearer" = [])),
    params(("report_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The photo", content(
            (Vec<u8> = "image/jpeg", example = "(a JPEG photo, at most 1,600 pixels a side)"),
            (Vec<u8> = "image/png", example = "(a PNG picture, at most 1,600 pixels a side)"))),
        (status = 404, body = Problem, description = "No such report of this council, or it has no photo")))]
pub async fn photo(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
    Path(report_id): Path<String>,
) -> Result<Response, Problem> {
    let report = report_of(&state, staff.tenant_id(), &report_id).await?;
    pictures::answer(&state, report.photo_key.as_deref(), report.photo_type.as_deref()).await
}

async fn report_of(state: &ApiState, tenant_id: &TenantId, report_id: &str) -> Result<LitterReport, Problem> {
    let not_found = || Problem::not_found("report");
    let report_id: LitterReportId = input::public_id(report_id).ok_or_else(not_found)?;
    litter::get(&state.engine.store, tenant_id, &report_id).await?.ok_or_else(not_found)
}

/// `POST /v1/admin/litter-reports/{report_id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `validate` or `reject`.
    pub decision: DecisionKind,
    /// A note for the reporters (at most 500 characters).
    #[schema(example = "Cleared on Tuesday; thank you!", max_length = 500)]
    pub note: Option<String>,
}

/// What staff decide.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Found as reported: the group's first report is paid.
    Validate,
    /// Nothing there, or not what was reported.
    Reject,
}

/// Validate or reject a report's group (council admins): every open report
/// of it is decided; when validated, its first is paid by the council's
/// running litter campaign, and the others are told an earlier report came first.
#[utoipa::path(post, path = "/v1/admin/litter-reports/{report_id}/decision", tag = "admin", request_body = DecisionRequest, security(("bearer" = [])),
    params(("report_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<ReportView>, description = "The group's reports, decided"),
        (status = 404, body = Problem, description = "No such report of this council"),
        (status = 409, body = Problem, description = "Decided already (`REPORT_DECIDED`)"),
        (status = 422, body = Problem, description = "A note over 500 characters (`INVALID_REPORT`)")))]
pub async fn decide(
    State(state): State<ApiState>,
    staff: Staff<ReviewLitter>,
    Path(report_id): Path<String>,
    JsonObject(request): JsonObject<DecisionRequest>,
) -> Result<Json<Vec<ReportView>>, Problem> {
    let report = report_of(&state, staff.tenant_id(), &report_id).await?;
    let note = request.note.as_deref().map(str::trim).filter(|note| !note.is_empty());
    if note.is_some_and(|note| note.chars().count() > reports::MAX_NOTE_CHARS) {
        return Err(
            LitterRefusal::Invalid(format!("a note holds at most {} characters", reports::MAX_NOTE_CHARS)).into()
        );
    }
    let verdict = match request.decision {
        DecisionKind::Validate => Verdict::Validate,
        DecisionKind::Reject => Verdict::Reject,
    };
    let decided =
        reports::decide(&state.engine, staff.tenant_id(), staff.id(), &report.id, verdict, note, now_ms()).await?;
    Ok(Json(decided.into_iter().map(ReportView::from).collect()))
}

/// An Open311 GeoReport v2 service (`services.json`): a category of report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Service {
    /// The category's code.
    pub service_code: String,
    /// Its name.
    pub service_name: String,
    /// What it covers.
    pub description: String,
    /// Always false: reports are made in the app, not through Open311.
    pub metadata: bool,
    /// `realtime`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Keywords.
    pub keywords: String,
    /// `litter`.
    pub group: String,
}

/// The query of the Open311 routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Open311Query {
    /// The council (its id).
    pub jurisdiction_id: String,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Requests made from this time on (RFC 3339; default 90 days before `end_date`).
    pub start_date: Option<String>,
    /// Requests made before this time (RFC 3339; default now).
    pub end_date: Option<String>,
}

/// The categories of report, as Open311 GeoReport v2 services.
#[utoipa::path(get, path = "/v1/open311/services.json", tag = "open311", params(Open311Query),
    responses((status = 200, body = Vec<Service>),
        (status = 400, body = Problem, description = "No jurisdiction_id, or a query that does not read (`INVALID_QUERY`)"),
        (status = 404, body = Problem, description = "No such jurisdiction")))]
pub async fn services(
    State(state): State<ApiState>,
    query: Result<Query<Open311Query>, QueryRejection>,
) -> Result<Json<Vec<Service>>, Problem> {
    let Query(query) = query?;
    jurisdiction(&state, &query.jurisdiction_id).await?;
    Ok(Json(
        LitterCategory::ALL
            .iter()
            .map(|category| Service {
                service_code: category.as_str().into(),
                service_name: service_name(*category).into(),
                description: format!(
                    "Reports of {} made in the Smartville app",
                    service_name(*category).to_lowercase()
                ),
                metadata: false,
                kind: "realtime".into(),
                keywords: "litter, waste".into(),
                group: "litter".into(),
            })
            .collect(),
    ))
}

fn service_name(category: LitterCategory) -> &'static str {
    match category {
        LitterCategory::IllegalDumping => "Illegal dumping",
        LitterCategory::Litter => "Litter",
        LitterCategory::OverflowingBin => "Overflowing bin",
        LitterCategory::Hazardous => "Hazardous waste",
    }
}

/// An Open311 GeoReport v2 service request: a group of reports of one place.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceRequest {
    /// The group's id (its first report's).
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The council's note with its decision.
    pub status_notes: Option<String>,
    /// The category's name.
    pub service_name: String,
    /// The category's code.
    pub service_code: String,
    /// When it was first reported (RFC 3339).
    pub requested_datetime: String,
    /// When it was decided, or first reported (RFC 3339).
    pub updated_datetime: String,
    /// Where (WGS84).
    pub lat: f64,
    /// Where (WGS84).
    pub long: f64,
}

/// The council's litter reports as Open311 GeoReport v2 service requests
/// (one per group), oldest first, at most 1,000: public, like the places
/// themselves; who reported, their notes and photos are never in them.
#[utoipa::path(get, path = "/v1/open311/requests.json", tag = "open311", params(Open311Query),
    responses((status = 200, body = Vec<ServiceRequest>),
        (status = 400, body = Problem, description = "No jurisdiction_id, or a date or status that does not read (`INVALID_QUERY`)"),
        (status = 404, body = Problem, description = "No such jurisdiction")))]
pub async fn requests(
    State(state): State<ApiState>,
    query: Result<Query<Open311Query>, QueryRejection>,
) -> Result<Json<Vec<ServiceRequest>>, Problem> {
    let Query(query) = query?;
    let tenant_id = jurisdiction(&state, &query.jurisdiction_id).await?;
    let time = |value: &Option<String>, name: &str| {
        value
            .as_deref()
            .map(|text| {
                chrono::DateTime::parse_from_rfc3339(text).map(|t| t.timestamp_millis()).map_err(|_| {
                    Problem::new(StatusCode::BAD_REQUEST, "INVALID_QUERY", format!("{name} must be an RFC 3339 time"))
                })
            })
            .transpose()
    };
    let until = time(&query.end_date, "end_date")?.unwrap_or_else(now_ms);
    let from = time(&query.start_date, "start_date")?.unwrap_or(until - 90 * smartville_engine::DAY_MS);
    let wanted = match query.status.as_deref() {
        None => None,
        Some(status @ ("open" | "closed")) => Some(status == "open"),
        Some(_) => return Err(Problem::new(StatusCode::BAD_REQUEST, "INVALID_QUERY", "status is open or closed")),
    };
    let groups = litter::groups(&state.engine.store, &tenant_id, (from, until), 1_000).await?;
    Ok(Json(
        groups
            .into_iter()
            .filter(|first| wanted.is_none_or(|open| open == (first.status == LitterStatus::Open)))
            .map(|first| ServiceRequest {
                service_request_id: first.id.to_string(),
                status: if first.status == LitterStatus::Open { "open" } else { "closed" }.into(),
                status_notes: first.decision_note,
                service_name: service_name(first.category).into(),
                service_code: first.category.as_str().into(),
                requested_datetime: rfc3339(first.created_at),
                updated_datetime: rfc3339(first.decided_at.unwrap_or(first.created_at)),
                lat: first.lat,
                long: first.lon,
            })
            .collect(),
    ))
}

/// The tenant a jurisdiction id names.
async fn jurisdiction(state: &ApiState, id: &str) -> Result<TenantId, Problem> {
    let not_found = || Problem::not_found("jurisdiction");
    let tenant_id: TenantId = input::public_id(id).ok_or_else(not_found)?;
    match tenancy::tenant(&state.engine.store, &tenant_id).await {
        Ok(_) => Ok(tenant_id),
        Err(StoreError::NotFound(_)) => Err(not_found()),
        Err(error) => Err(error.into()),
    }
}
