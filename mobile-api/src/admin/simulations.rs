//! What-if simulations: a council admin tries a draft of a campaign's rules
//! on its rides of the last days (`POST …/simulations`, answered at once) and
//! follows it (`GET …/simulations/{id}`: done of total, then the old and new
//! outcomes side by side, per school, and the rides decided otherwise).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use smartville_engine::campaigns as lifecycle;
use smartville_engine::simulations::{self, SimulationRefusal, SimulationResult};
use smartville_store::campaigns;
use smartville_store::ids::SimulationId;
use smartville_store::now_ms;
use smartville_store::simulations::{Simulation, SimulationStatus};
use utoipa::ToSchema;

use super::access::{ManageCampaigns, ReadCampaigns, Staff};
use super::campaigns::{campaign_path, not_found};
use crate::problem::Problem;
use crate::{ApiState, input};

/// A running simulation that has not moved for this long lost its process.
const STALLED_AFTER_MS: i64 = 60_000;

/// `POST /v1/admin/campaigns/{campaign_id}/simulations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationRequest {
    /// The draft rules: a campaign file (the format of `examples/campaign.json`), checked as for a new version.
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
    /// Days of rides to re-judge, up to now (1 to 366; 30 when left out). Only rides whose traces are still kept
    /// (the campaign's `trace_retention_days` after their decision) can be re-judged.
    #[serde(default, deserialize_with = "input::whole_number")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 366)]
    pub days: Option<i64>,
}

/// A simulation and, once done, what it found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimulationView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: SimulationId,
    /// `running`, `done` or `failed` (also when its process stopped: start it again).
    pub status: SimulationStatus,
    /// Rides re-judged so far.
    pub done: i64,
    /// Rides to re-judge.
    pub total: i64,
    /// Days of rides.
    pub days: i64,
    /// Rides started from this time on (ms since epoch) are re-judged.
    pub since: i64,
    /// When it was asked for (ms since epoch).
    pub created_at: i64,
    /// When it ended (ms since epoch).
    pub finished_at: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// What it found, once done.
    pub result: Option<SimulationResult>,
}

impl From<Simulation> for SimulationView {
    fn from(s: Simulation) -> Self {
        let stalled = s.status == SimulationStatus::Running && s.heartbeat_at < now_ms() - STALLED_AFTER_MS;
        let (status, error) = if stalled {
            (SimulationStatus::Failed, Some("it stopped with its process; start it again".to_owned()))
        } else {
            (s.status, s.error)
        };
        Self {
            id: s.id,
            status,
            done: s.done,
            total: s.total,
            days: s.days,
            since: s.since,
            created_at: s.created_at,
            finished_at: s.finished_at,
            error,
            result: s.result.and_then(|json| serde_json::from_str(&json).ok()),
        }
    }
}

/// Start a what-if simulation of draft rules on the campaign's recent rides
/// (council admins): answered at once with its id; it runs in the background.
#[utoipa::path(post, path = "/v1/admin/campaigns/{campaign_id}/simulations", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    request_body(content = SimulationRequest, example = json!({"rules": {"id": "…", "…": "a campaign file"}, "days": 30})),
    responses((status = 202, body = SimulationView, description = "Started; follow it at the `location` given",
            headers(("location" = String, description = "Where to follow it"))),
        (status = 404, body = Problem, description = "No such campaign of this council"),
        (status = 422, body = Problem, description = "The draft has problems (CAMPAIGN_INVALID, with every problem \
            in `problems`), or `days` is out of range (INVALID_DAYS)")))]
pub async fn start(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    Path(campaign_id): Path<String>,
    input::JsonObject(request): input::JsonObject<SimulationRequest>,
) -> Result<Response, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    let engine = &state.engine;
    let campaign = campaigns::campaign(&engine.store, staff.tenant_id(), &campaign_id).await.map_err(not_found)?;
    let draft = lifecycle::check(request.rules.to_string().into_bytes()).await?;
    let days = u32::try_from(request.days.unwrap_or(30)).unwrap_or(0);
    let simulation = simulations::start(engine, &campaign, staff.id(), draft, days, now_ms()).await.map_err(
        |refusal| match refusal {
            SimulationRefusal::Days => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_DAYS", refusal.to_string())
            }
            SimulationRefusal::NotRides => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "NOT_A_RIDES_CAMPAIGN", refusal.to_string())
            }
            SimulationRefusal::Engine(error) => error.into(),
        },
    )?;
    let location = format!("/v1/admin/campaigns/{campaign_id}/simulations/{}", simulation.id);
    let view = SimulationView::from(simulation);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(view)).into_response())
}

/// A simulation's progress and, once done, what it found.
#[utoipa::path(get, path = "/v1/admin/campaigns/{campaign_id}/simulations/{simulation_id}", tag = "admin",
    security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid), ("simulation_id" = String, Path, format = Uuid)),
    responses((status = 200, body = SimulationView, example = json!({
            "id": "019ae3a4-5559-726f-8de9-87310e8c9693", "status": "done", "done": 2, "total": 2, "days": 30,
            "since": 1_764_665_314_458_i64, "created_at": 1_767_257_314_458_i64, "finished_at": 1_767_257_314_656_i64,
            "error": null,
            "result": {"rides": 2, "unreadable": 0, "budget_before": 100_000, "changed": 1,
                "totals": {
                    "old": {"rides_accepted": 2, "rides_rejected": 0, "rides_in_review": 0, "points": 48,
                        "rejections": {}, "reviews": {}},
                    "new": {"rides_accepted": 1, "rides_rejected": 1, "rides_in_review": 0, "points": 24,
                        "rejections": {"OUTSIDE_TIME_WINDOW": 1}, "reviews": {}}},
                "schools": [{"school_id": "019ae3a4-50a7-76c0-b612-204ff82c6b7d",
                    "old": {"rides_accepted": 2, "rides_rejected": 0, "rides_in_review": 0, "points": 48,
                        "rejections": {}, "reviews": {}},
                    "new": {"rides_accepted": 1, "rides_rejected": 1, "rides_in_review": 0, "points": 24,
                        "rejections": {"OUTSIDE_TIME_WINDOW": 1}, "reviews": {}}}],
                "changed_rides": [{"trip_id": "019ae3a4-5363-70dc-b8a2-7b367c4699da", "started_at": 1_764_657_000_000_i64,
                    "old_status": "accepted", "old_points": 24, "new_status": "rejected", "new_points": 0,
                    "new_reasons": ["OUTSIDE_TIME_WINDOW"]}]}})),
        (status = 404, body = Problem, description = "No such simulation of this council's campaign")))]
pub async fn get(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
    Path((campaign_id, simulation_id)): Path<(String, String)>,
) -> Result<Json<SimulationView>, Problem> {
    let campaign_id = campaign_path(&campaign_id)?;
    let simulation_id: SimulationId =
        input::public_id(&simulation_id).ok_or_else(|| Problem::not_found("simulation"))?;
    let store = &state.engine.store;
    let simulation = smartville_store::simulations::get(store, staff.tenant_id(), &campaign_id, &simulation_id)
        .await?
        .ok_or_else(|| Problem::not_found("simulation"))?;
    Ok(Json(simulation.into()))
}
