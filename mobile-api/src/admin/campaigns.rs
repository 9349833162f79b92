//! Campaigns through the administration API. So far: the stored campaigns,
//! the H3 coverage of their zones to check on a map, and checking a campaign
//! file before it is used, with every problem named at its field.

use axum::Json;
use serde::{Deserialize, Serialize};
use smartville_scoring::CampaignSpec;
use utoipa::ToSchema;

use axum::extract::{Path, State};
use smartville_store::ids::CampaignId;
use smartville_store::tenancy;

use super::access::{ManageCampaigns, ReadCampaigns, Staff};
use crate::ApiState;
use crate::input::{self, JsonObject};
use crate::problem::Problem;

/// One problem of a campaign file.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignProblem {
    /// The path of the field (`thresholds.max_gap_s`, `zones.features[2]`), empty for the whole file.
    #[schema(example = "zones.features[1]")]
    pub field: String,
    /// What is wrong, with the measured value and the rule.
    #[schema(example = "zones.features[1] (\"Sint-Jan\"): exterior ring has a self-intersection")]
    pub problem: String,
}

/// What a check of a campaign file found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignCheck {
    /// Whether the file can be used as it is.
    pub valid: bool,
    /// Every problem, in the order of the file's parts (empty when valid).
    pub problems: Vec<CampaignProblem>,
}

/// Check a campaign file (the format of `examples/campaign.json`) without storing it (council admins).
#[utoipa::path(post, path = "/v1/admin/campaigns/validate", tag = "admin", security(("bearer" = [])),
    request_body(description = "A campaign file", content((Object = "application/json"))),
    responses((status = 200, body = CampaignCheck, description = "The file's problems, if any")))]
pub async fn validate(
    _staff: Staff<ManageCampaigns>,
    JsonObject(file): JsonObject<serde_json::Value>,
) -> Json<CampaignCheck> {
    let problems: Vec<CampaignProblem> = CampaignSpec::problems_of(file.to_string().as_bytes())
        .into_iter()
        .map(|problem| CampaignProblem { field: problem.field(), problem: problem.to_string() })
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
    /// Display name.
    pub name: String,
    /// Points moved into the campaign's budget so far.
    pub budget_funded: i64,
    /// Last change of its rules (ms since the epoch).
    pub updated_at: i64,
}

/// The council's campaigns.
#[utoipa::path(get, path = "/v1/admin/campaigns", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<CampaignView>)))]
pub async fn list(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
) -> Result<Json<Vec<CampaignView>>, Problem> {
    let campaigns = tenancy::campaigns(&state.engine.store, staff.tenant_id()).await?;
    Ok(Json(
        campaigns
            .into_iter()
            .map(|c| CampaignView {
                id: c.id,
                slug: c.slug,
                name: c.name,
                budget_funded: c.budget_funded,
                updated_at: c.updated_at,
            })
            .collect(),
    ))
}

/// The H3 cells that decide what is inside each zone of a campaign, as a
/// GeoJSON FeatureCollection (one Feature per zone, a polygon per cell).
#[utoipa::path(get, path = "/v1/admin/campaigns/{campaign_id}/coverage", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Object, description = "A GeoJSON FeatureCollection"),
        (status = 404, body = Problem, description = "No such campaign of this council")))]
pub async fn coverage(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
    Path(campaign_id): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    let campaign_id: CampaignId = input::public_id(&campaign_id).ok_or_else(|| Problem::not_found("campaign"))?;
    let engine = &state.engine;
    tenancy::campaign(&engine.store, staff.tenant_id(), &campaign_id).await.map_err(|error| match error {
        smartville_store::StoreError::NotFound(_) => Problem::not_found("campaign"),
        other => other.into(),
    })?;
    let compiled = engine.campaigns.get(&engine.store, staff.tenant_id(), &campaign_id).await?;
    Ok(Json(compiled.coverage()))
}
