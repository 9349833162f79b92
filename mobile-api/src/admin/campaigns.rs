//! Campaigns through the administration API. So far: checking a campaign
//! file before it is used, with every problem named at its field.

use axum::Json;
use serde::{Deserialize, Serialize};
use smartville_scoring::CampaignSpec;
use utoipa::ToSchema;

use super::access::{ManageCampaigns, Staff};
use crate::input::JsonObject;

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
