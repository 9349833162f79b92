//! The routes of data sources (`/v1/devices/...`): systems that send
//! readings sign in with their API key (`Authorization: Bearer svk_…`,
//! role `device`), never with a person's token, and a key works on these
//! routes only: on a participant's or staff route it is not an access token.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use smartville_auth::api_key;
use smartville_store::ids::{DeviceKeyId, SourceId};
use smartville_store::sources::{self, Kinds, ReadingKind};
use utoipa::ToSchema;

use crate::ApiState;
use crate::auth::bearer;
use crate::problem::Problem;

/// A data source signed in with one of its keys.
#[derive(Debug, Clone)]
pub struct Device {
    source_id: SourceId,
    name: String,
    kinds: Kinds,
}

impl FromRequestParts<ApiState> for Device {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let refused = || Problem::unauthorized("this key is unknown or revoked; ask the council for a key");
        let (key_id, secret) = api_key::parse(bearer(parts, "API key")?)
            .ok_or_else(|| Problem::unauthorized("these routes take a data source's API key (svk_…)"))?;
        let key_id = DeviceKeyId::from(key_id);
        let store = &state.engine.store;
        let holder = sources::holder(store, &key_id).await?.ok_or_else(refused)?;
        if !api_key::matches(secret, &holder.secret_hash) {
            return Err(refused());
        }
        sources::mark_used(store, &key_id, &holder).await?;
        Ok(Self { source_id: holder.source_id, name: holder.name, kinds: holder.kinds })
    }
}

/// The data source a key signs in, as it sees itself.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    /// The source's id.
    #[schema(value_type = String, format = Uuid)]
    pub source_id: SourceId,
    /// What the council calls it.
    pub name: String,
    /// The kinds of readings it may send.
    #[schema(example = json!(["waste"]))]
    pub kinds: Vec<ReadingKind>,
}

/// The data source this key signs in: to check a key before sending readings with it.
#[utoipa::path(get, path = "/v1/devices/me", tag = "devices", security(("api_key" = [])),
    responses((status = 200, body = DeviceView),
        (status = 401, body = Problem, description = "No key, not a key, or an unknown or revoked one")))]
pub async fn me(device: Device) -> Json<DeviceView> {
    Json(DeviceView { source_id: device.source_id, name: device.name, kinds: device.kinds.0 })
}
