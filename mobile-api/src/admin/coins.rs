//! The coins a council issues: its first, named when it was created, and
//! more when it wants them (one per campaign, say). Each campaign, offer and
//! cause is in one coin; a merchant takes the coins the council lets it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use smartville_store::ids::TenantId;
use smartville_store::tenancy::{self, Coin};
use smartville_store::{Store, StoreError};
use utoipa::ToSchema;

use super::access::{ManageCampaigns, ReadCampaigns, Staff};
use crate::ApiState;
use crate::input::{self, JsonObject};
use crate::problem::Problem;

/// A coin the council issues.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CouncilCoin {
    /// Its name, as campaigns, offers, causes and wallets name it.
    pub name: String,
    /// Whether it is the council's first coin: what a campaign, offer or cause pays in unless it names another.
    pub first: bool,
    /// When the council began issuing it (ms since the epoch).
    pub created_at: i64,
    /// Points of it in participants' wallets.
    pub in_wallets: i64,
}

/// `POST /v1/admin/coins`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCoin {
    /// Its name, unique in the council.
    #[schema(
        example = "Fietsmunten",
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

/// The coins the council issues, the first first.
#[utoipa::path(get, path = "/v1/admin/coins", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<CouncilCoin>)))]
pub async fn list(
    State(state): State<ApiState>,
    staff: Staff<ReadCampaigns>,
) -> Result<Json<Vec<CouncilCoin>>, Problem> {
    let store = &state.engine.store;
    let first = tenancy::tenant(store, staff.tenant_id()).await?.coin;
    let coins = tenancy::coins(store, staff.tenant_id()).await?;
    Ok(Json(coins.into_iter().map(|coin| view(coin, &first)).collect()))
}

/// Issue one more coin (council admins): every participant gets an empty wallet in it.
#[utoipa::path(post, path = "/v1/admin/coins", tag = "admin", request_body = NewCoin, security(("bearer" = [])),
    responses((status = 201, body = CouncilCoin),
        (status = 400, body = Problem, description = "A name that is empty, too long or has control characters (`INVALID_COIN`)"),
        (status = 409, body = Problem, description = "The council issues a coin of this name already (`COIN_EXISTS`)")))]
pub async fn issue(
    State(state): State<ApiState>,
    staff: Staff<ManageCampaigns>,
    JsonObject(request): JsonObject<NewCoin>,
) -> Result<(StatusCode, Json<CouncilCoin>), Problem> {
    let name = input::plain_text(&request.name, 64, "INVALID_COIN", "name")?;
    let store = &state.engine.store;
    let first = tenancy::tenant(store, staff.tenant_id()).await?.coin;
    let mut tx = store.begin().await?;
    let coin = tenancy::issue_coin(&mut tx, staff.tenant_id(), name).await.map_err(|error| match error {
        StoreError::Conflict(detail) => Problem::new(StatusCode::CONFLICT, "COIN_EXISTS", detail),
        other => other.into(),
    })?;
    staff.record(&mut tx, "coin.issue", &coin.name, None, Some(&coin)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(view(coin, &first))))
}

fn view(coin: Coin, first: &str) -> CouncilCoin {
    CouncilCoin { first: coin.name == first, name: coin.name, created_at: coin.created_at, in_wallets: coin.in_wallets }
}

/// The coin a request names, or the council's first when it names none; a
/// coin the council does not issue is refused with `code`.
pub async fn named_or_first(
    store: &Store,
    tenant_id: &TenantId,
    named: Option<&str>,
    code: &str,
) -> Result<String, Problem> {
    let refused = || {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            format!(
                "this council does not issue {:?}; it issues the coins of GET /v1/admin/coins",
                named.unwrap_or_default()
            ),
        )
    };
    // No coin's name holds a control character (they are refused when a coin is issued), and
    // PostgreSQL cannot even be asked about one with a NUL in it.
    if named.is_some_and(|name| name.chars().any(char::is_control)) {
        return Err(refused());
    }
    tenancy::coin_or_first(store, tenant_id, named).await?.ok_or_else(refused)
}
