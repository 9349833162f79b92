//! Campaigns through the administration API: a council creates a campaign
//! as a draft from a campaign file (the format of `examples/campaign.json`),
//! says which schools and classes it is for, activates, pauses and closes
//! it, and changes its rules, which, once it runs, adds a version taking
//! effect at a given time. The rules are in `smartville_engine::campaigns`;
//! every problem of a file is named at its field, and the H3 coverage of
//! the zones can be fetched back to check on a map.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use smartville_engine::budget::{self, Budget};
use smartville_engine::campaigns::{self as lifecycle, Setting, VersionView};
use smartville_engine::savings::{self, CloseSummary};
use smartville_store::audit::Actor;
use smartville_store::campaigns::{self, Audience, Campaign, CampaignKind, CampaignStatus};
use smartville_store::ids::CampaignId;
use smartville_store::{StoreError, now_ms};
use utoipa::ToSchema;

use super::access::{ManageCampaigns, ReadCampaigns, Staff};
use crate::ApiState;
use crate::input::{self, JsonObject};
use crate::problem::{FieldProblem, Problem};

/// What a check of a campaign file found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignCheck {
    /// Whether the file can be used as it is.
    pub valid: bool,
    /// Every problem, in the order of the file's parts (empty when valid).
    pub problems: Vec<FieldProblem>,
}

/// Check a campaign file (the format of `examples/campaign.json`) without storing it (council admins).
#[utoipa::path(post, path = "/v1/admin/campaigns/validate", tag = "admin", security(("bearer" = [])),
    request_body(description = "A campaign file", content((Object = "application/json", example = json!({
        "id": "mol-bike-to-school-2026", "name": "Met de fiets naar school", "time_zone": "Europe/Brussels",
        "valid_from": "2026-09-01", "valid_until": "2027-06-30", "budget_points": 100000,
        "schedule": {"windows": {"mon": [{"from": "07:00", "until": "09:00", "direction": "to_school"}]}},
        "zones": {"type": "FeatureCollection", "features": []}, "reward": {"points_per_ride": 10, "points_per_km": 5}})))),
    responses((status = 200, body = CampaignCheck, description = "The file's problems, if any")))]
pub async fn validate(
    _staff: Staff<ManageCampaigns>,
    JsonObject(file): JsonObject<serde_json::Value>,
) -> Json<CampaignCheck> {
    let problems: Vec<FieldProblem> = lifecycle::CampaignFile::read(file.to_string().as_bytes())
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|problem| FieldProblem { field: problem.field(), problem: problem.to_string() })
        .collect();
    Json(CampaignCheck { valid: problems.is_empty(), problems })
}

/// A stored campaign.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    /// Engine id.
    #[schema(value_type = String, format = Uuid)]
    pub id: CampaignId,
    /// The council's own identifier from the campaign file.
    pub slug: String,
    /// Display name (of the newest version).
    pub name: String,
    /// What it rewards: `rides` or `savings` (its file's `kind`).
    pub kind: CampaignKind,
    /// `draft`, `active`, `paused` or `closed`.
    pub status: CampaignStatus,
    /// The coin it pays in.
    pub coin: String,
    /// Points moved into the campaign's budget so far.
    pub budget_funded: i64,
    /// Last change of any kind (ms since the epoch).
    pub updated_at: i64,
}

impl From<Campaign> for CampaignView {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id,
            slug: c.slug,
            name: c.name,
            kind: c.kind,
            status: c.status,
            coin: c.coin,
            budget_funded: c.budget_funded,
            updated_at: c.updated_at,
        }
    }
}

/// A campaign with whom it is for and every version of its rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignDetail {
    /// The campaign.
    pub campaign: CampaignView,
    /// Which schools and classes it is for.
    pub audience: Audience,
    /// Its rules over time, oldest first.
    pub versions: Vec<VersionView>,
}

/// `POST /v1/admin/campaigns`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignRequest {
    /// The campaign file (the format of `examples/campaign.json`).
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
    /// Which schools and classes it is for (may stay empty while it is a draft).
    #[serde(default)]
    pub audience: Audience,
    /// The coin it pays in, one the council issues (default: the council's first; never changes).
    #[schema(example = "Geelcoins")]
    pub coin: Option<String>,
}

/// `PUT /v1/admin/campaigns/{campaign_id}/rules`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesRequest {
    /// The campaign file; its `id` must stay the campaign's.
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
    /// When a running or paused campaign's new version takes effect (ms since
    /// the epoch, not in the past; now when left out). Not for a draft, whose
    /// rules are replaced.
    #[serde(default, deserialize_with = "input::whole_number")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 253_402_300_799_999_i64)]
    pub effective_from: Option<i64>,
}

/// The council's campaigns.
#[utoipa::path(get, path = "/v1/admin/campaigns", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<CampaignView>)))]
pub async fn list(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
) -> Result<Json<Vec<CampaignView>>, Problem> {
    let campaigns = campaigns::campaigns(&state.engine.store, staff.tenant_id()).await?;
    Ok(Json(campaigns.into_iter().map(CampaignView::from).collect()))
}

/// Create a campaign as a draft from a campaign file (council admins).
#[utoipa::path(post, path = "/v1/admin/campaigns", tag = "admin", security(("bearer" = [])),
    request_body = NewCampaignRequest,
    responses((status = 201, body = CampaignDetail),
        (status = 409, body = Problem, description = "The council has a campaign with this id (CAMPAIGN_EXISTS)"),
        (status = 422, body = Problem, description = "The file has problems (CAMPAIGN_INVALID, with every problem \
            in `problems`), the audience names what the council does not have, or the coin is not one it issues (`UNKNOWN_COIN`)")))]
pub async fn create(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    JsonObject(request): JsonObject<NewCampaignRequest>,
) -> Result<(StatusCode, Json<CampaignDetail>), Problem> {
    let checked = lifecycle::check(request.rules.to_string().into_bytes()).await?;
    let store = &state.engine.store;
    let mut tx = store.begin().await?;
    let setting = Setting { audience: &request.audience, status: CampaignStatus::Draft, coin: request.coin.as_deref() };
    let campaign = lifecycle::create(&mut tx, staff.tenant_id(), Actor::Staff(staff.id()), &checked, setting).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(detail(&state, staff.tenant_id(), &campaign.id).await?)))
}

/// A campaign with its audience and every version of its rules.
#[utoipa::path(get, path = "/v1/admin/campaigns/{campaign_id}", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CampaignDetail),
        (status = 404, body = Problem, description = "No such campaign of this council")))]
pub async fn get(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignDetail>, Problem> {
    Ok(Json(detail(&state, staff.tenant_id(), &campaign_path(&campaign_id)?).await?))
}

/// Change a campaign's rules: a draft's are replaced; a running or paused
/// campaign gets a new version from `effective_from` on, and every ride is
/// judged by the version in force when it started (council admins).
#[utoipa::path(put, path = "/v1/admin/campaigns/{campaign_id}/rules", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    request_body = RulesRequest,
    responses((status = 200, body = VersionView, description = "The version that holds the rules"),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 409, body = Problem, description = "The campaign is closed (CAMPAIGN_STATE), or the version \
            would not take effect after the newest one (VERSION_OVERLAP)"),
        (status = 422, body = Problem, description = "The file has problems (CAMPAIGN_INVALID), names another \
            campaign id (CAMPAIGN_ID_CHANGED), or the version would take effect in the past (VERSION_IN_THE_PAST)")))]
pub async fn change_rules(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path(campaign_id): Path<String>,
    JsonObject(request): JsonObject<RulesRequest>,
) -> Result<Json<VersionView>, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    let checked = lifecycle::check(request.rules.to_string().into_bytes()).await?;
    let mut tx = state.engine.store.begin().await?;
    let actor = Actor::Staff(staff.id());
    let version = lifecycle::change_rules(
        &mut tx,
        staff.tenant_id(),
        actor,
        &campaign_id,
        &checked,
        request.effective_from,
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(VersionView::from(&version)))
}

/// Set which schools and classes a campaign is for; its participants'
/// enrolments follow (council admins).
#[utoipa::path(put, path = "/v1/admin/campaigns/{campaign_id}/audience", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    request_body = Audience,
    responses((status = 200, body = Audience),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 409, body = Problem, description = "The campaign is closed (CAMPAIGN_STATE)"),
        (status = 422, body = Problem, description = "AUDIENCE_AMBIGUOUS, COVERS_NOBODY (a running campaign) \
            or UNKNOWN_IN_AUDIENCE")))]
pub async fn set_audience(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path(campaign_id): Path<String>,
    JsonObject(audience): JsonObject<Audience>,
) -> Result<Json<Audience>, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    let mut tx = state.engine.store.begin().await?;
    let audience =
        lifecycle::set_audience(&mut tx, staff.tenant_id(), Actor::Staff(staff.id()), &campaign_id, &audience).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(audience))
}

/// Moves a campaign to `status` for a handler of the lifecycle routes.
async fn transition(
    state: &ApiState,
    staff: &Staff<ManageCampaigns>,
    campaign_id: &str,
    status: CampaignStatus,
) -> Result<Json<CampaignView>, Problem> {
    let campaign_id = campaign_path(campaign_id)?;
    let mut tx = state.engine.store.begin().await?;
    let campaign =
        lifecycle::set_status(&mut tx, staff.tenant_id(), Actor::Staff(staff.id()), &campaign_id, status).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(campaign.into()))
}

/// Activate a draft or a paused campaign: its participants' rides count
/// from now on (council admins; the campaign must cover someone).
#[utoipa::path(post, path = "/v1/admin/campaigns/{campaign_id}/activate", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 409, body = Problem, description = "Already active, or closed (CAMPAIGN_STATE)"),
        (status = 422, body = Problem, description = "It covers nobody yet (COVERS_NOBODY)")))]
pub async fn activate(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, Problem> {
    transition(&state, &staff, &campaign_id, CampaignStatus::Active).await
}

/// Pause a running campaign: uploads are refused until it is activated
/// again; rides already uploaded are still judged (council admins).
#[utoipa::path(post, path = "/v1/admin/campaigns/{campaign_id}/pause", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 409, body = Problem, description = "Not running (CAMPAIGN_STATE)")))]
pub async fn pause(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, Problem> {
    transition(&state, &staff, &campaign_id, CampaignStatus::Paused).await
}

/// Close a campaign for good (council admins).
#[utoipa::path(post, path = "/v1/admin/campaigns/{campaign_id}/close", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 409, body = Problem, description = "Closed already (CAMPAIGN_STATE)")))]
pub async fn close(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, Problem> {
    transition(&state, &staff, &campaign_id, CampaignStatus::Closed).await
}

/// `POST /v1/admin/campaigns/{campaign_id}/funding`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingRequest {
    /// Points moved from the council's issuing account into the campaign's budget.
    #[serde(deserialize_with = "input::required_whole_number")]
    #[schema(value_type = i64, minimum = 1, maximum = 1_000_000_000_000_i64, example = 100000)]
    pub points: i64,
}

/// Fund or top up a campaign's budget from the council's issuing account,
/// by a ledger transfer (council admins; not a closed campaign).
#[utoipa::path(post, path = "/v1/admin/campaigns/{campaign_id}/funding", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    request_body = FundingRequest,
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 409, body = Problem, description = "Closed (CAMPAIGN_STATE)"),
        (status = 422, body = Problem, description = "Not 1 to 10^12 points (FUNDING_OUT_OF_RANGE)")))]
pub async fn fund(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path(campaign_id): Path<String>,
    JsonObject(request): JsonObject<FundingRequest>,
) -> Result<Json<CampaignView>, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    let mut tx = state.engine.store.begin().await?;
    let campaign =
        lifecycle::fund(&mut tx, staff.tenant_id(), Actor::Staff(staff.id()), &campaign_id, request.points).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(campaign.into()))
}

/// Close a period of a savings campaign by hand — again after a reading was
/// corrected, say (the engine closes each period once it ended): every
/// household with linked members is judged, and what changed is paid.
#[utoipa::path(post, path = "/v1/admin/campaigns/{campaign_id}/periods/{period}/close", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid), ("period" = String, Path, example = "2027-01")),
    responses((status = 200, body = CloseSummary),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 409, body = Problem, description = "Not a savings campaign (`NOT_A_SAVINGS_CAMPAIGN`), not running (`CAMPAIGN_STATE`), or the period has not ended (`PERIOD_NOT_OVER`)"),
        (status = 422, body = Problem, description = "Not a period of the campaign (`INVALID_PERIOD`, `OUTSIDE_CAMPAIGN`)")))]
pub async fn close_period(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path((campaign_id, period)): Path<(String, String)>,
) -> Result<Json<CloseSummary>, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    Ok(Json(savings::close(&state.engine, staff.tenant_id(), &campaign_id, &period, now_ms()).await?))
}

/// A campaign's budget — funded, paid, held for rides in review, remaining,
/// points in wallets — and the date it runs out at the pace of the last 14
/// days, with a warning when that is before the campaign's end.
#[utoipa::path(get, path = "/v1/admin/campaigns/{campaign_id}/budget", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Budget),
        (status = 404, body = Problem, description = "No such campaign of this council")))]
pub async fn budget(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
    Path(campaign_id): Path<String>,
) -> Result<Json<Budget>, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    let campaign =
        campaigns::campaign(&state.engine.store, staff.tenant_id(), &campaign_id).await.map_err(not_found)?;
    Ok(Json(budget::budget(&state.engine, &campaign, now_ms()).await?))
}

/// The H3 cells that decide what is inside each zone of a campaign's newest
/// rules, as a GeoJSON FeatureCollection (one Feature per zone, a polygon per cell).
#[utoipa::path(get, path = "/v1/admin/campaigns/{campaign_id}/coverage", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Object, description = "A GeoJSON FeatureCollection", example = json!({
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"name": "Sint-Jan", "role": "school", "cells": 1},
                "geometry": {"type": "MultiPolygon", "coordinates": [[[[4.9671, 51.1452], [4.9684, 51.1447],
                    [4.9697, 51.1452], [4.9697, 51.1462], [4.9684, 51.1467], [4.9671, 51.1462], [4.9671, 51.1452]]]]}}]})),
        (status = 404, body = Problem, description = "No such campaign of this council")))]
pub async fn coverage(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
    Path(campaign_id): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    let engine = &state.engine;
    campaigns::campaign(&engine.store, staff.tenant_id(), &campaign_id).await.map_err(not_found)?;
    let rules = engine.campaigns.get(&engine.store, staff.tenant_id(), &campaign_id).await?;
    Ok(Json(rules.newest().compiled.coverage()))
}

/// The campaign id of a path: one of ours is a UUID.
pub(crate) fn campaign_path(campaign_id: &str) -> Result<CampaignId, Problem> {
    input::public_id(campaign_id).ok_or_else(|| Problem::not_found("campaign"))
}

/// A campaign that is not found is a 404.
pub(crate) fn not_found(error: StoreError) -> Problem {
    match error {
        StoreError::NotFound(_) => Problem::not_found("campaign"),
        other => other.into(),
    }
}

async fn detail(
    state: &ApiState,
    tenant_id: &smartville_store::ids::TenantId,
    campaign_id: &CampaignId,
) -> Result<CampaignDetail, Problem> {
    let store = &state.engine.store;
    let campaign = campaigns::campaign(store, tenant_id, campaign_id).await.map_err(not_found)?;
    let audience = campaigns::audience(store, tenant_id, campaign_id).await?;
    let versions = campaigns::versions(store, tenant_id, campaign_id).await?;
    Ok(CampaignDetail {
        campaign: campaign.into(),
        audience,
        versions: versions.iter().map(VersionView::from).collect(),
    })
}
