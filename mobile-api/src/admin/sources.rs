//! Data sources as the council runs them: it registers a system that sends
//! readings (the waste collector's weighing system, a meter-data platform, a
//! sensor gateway) with the kinds of readings it may send, and gets its API
//! key, shown once and stored hashed. A source may hold several keys, so a
//! key is replaced without a gap (a new one made, the old one revoked once
//! the source uses the new); a revoked key signs nothing in from then on.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use smartville_auth::api_key;
use smartville_store::ids::{DeviceKeyId, SourceId, TenantId};
use smartville_store::sources::{self, DataSource, DeviceKey, Kinds, ReadingKind};
use smartville_store::{StoreError, Tx};
use utoipa::ToSchema;

use super::access::{ManageSources, ReadSources, Staff};
use crate::ApiState;
use crate::input::{self, JsonObject};
use crate::problem::Problem;
use crate::trips::rfc3339;

/// `POST /v1/admin/sources`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRequest {
    /// What the council calls it, 1 to 120 characters.
    #[schema(
        example = "IOK Afvalbeheer weighing system",
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// The kinds of readings it may send (at least one).
    #[schema(min_items = 1, example = json!(["waste"]))]
    pub kinds: Vec<ReadingKind>,
}

/// A key of a data source, without its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    /// Its id (the middle part of the key).
    #[schema(value_type = String, format = Uuid)]
    pub key_id: DeviceKeyId,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// When it was last used, within a minute.
    pub last_used_at: Option<String>,
}

impl From<DeviceKey> for KeyView {
    fn from(key: DeviceKey) -> Self {
        Self {
            key_id: key.id,
            created_at: rfc3339(key.created_at),
            revoked_at: key.revoked_at.map(rfc3339),
            last_used_at: key.last_used_at.map(rfc3339),
        }
    }
}

/// A data source with its keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SourceView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub source_id: SourceId,
    /// What the council calls it.
    pub name: String,
    /// The kinds of readings it may send.
    pub kinds: Vec<ReadingKind>,
    /// When it was registered (RFC 3339, UTC).
    pub created_at: String,
    /// Its keys, oldest first (revoked ones too).
    pub keys: Vec<KeyView>,
}

/// A new key, shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewKey {
    /// The source it signs in.
    #[schema(value_type = String, format = Uuid)]
    pub source_id: SourceId,
    /// The key's id.
    #[schema(value_type = String, format = Uuid)]
    pub key_id: DeviceKeyId,
    /// The key, to send as `Authorization: Bearer <key>`: it is not stored and never shown again.
    pub key: String,
}

/// The council's data sources with their keys.
#[utoipa::path(get, path = "/v1/admin/sources", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<SourceView>)))]
pub async fn list(State(state): State<ApiState>, staff: Staff<ReadSources>) -> Result<Json<Vec<SourceView>>, Problem> {
    let store = &state.engine.store;
    let keys = sources::keys(store, staff.tenant_id()).await?;
    let views = sources::list(store, staff.tenant_id())
        .await?
        .into_iter()
        .map(|source| {
            let own = keys.iter().filter(|key| key.source_id == source.id).cloned().collect();
            view(source, own)
        })
        .collect();
    Ok(Json(views))
}

/// Register a data source (council admins): the answer holds its first API key, shown this once.
#[utoipa::path(post, path = "/v1/admin/sources", tag = "admin", request_body = SourceRequest, security(("bearer" = [])),
    responses((status = 201, body = NewKey),
        (status = 400, body = Problem, description = "A name that is empty, too long or has control characters, or no kind (`INVALID_SOURCE`)")))]
pub async fn register(
    State(state): State<ApiState>,
    staff: Staff<ManageSources>,
    JsonObject(request): JsonObject<SourceRequest>,
) -> Result<(StatusCode, Json<NewKey>), Problem> {
    let name = input::plain_text(&request.name, 120, "INVALID_SOURCE", "name")?;
    let mut kinds = request.kinds;
    kinds.sort_by_key(|kind| kind.as_str());
    kinds.dedup();
    if kinds.is_empty() {
        return Err(Problem::bad_request("INVALID_SOURCE", "name at least one kind of readings: waste, energy"));
    }
    let mut tx = state.engine.store.begin().await?;
    let source = sources::create(&mut tx, staff.tenant_id(), name, Kinds(kinds)).await?;
    staff.record(&mut tx, "source.register", source.id.as_str(), None, Some(&source)).await?;
    let key = new_key(&mut tx, &staff, &source.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// Make one more key for a data source (council admins), shown this once;
/// its other keys keep working until revoked.
#[utoipa::path(post, path = "/v1/admin/sources/{source_id}/keys", tag = "admin", security(("bearer" = [])),
    params(("source_id" = String, Path, format = Uuid)),
    responses((status = 201, body = NewKey), (status = 404, body = Problem, description = "No such data source of this council")))]
pub async fn add_key(
    State(state): State<ApiState>,
    staff: Staff<ManageSources>,
    Path(source_id): Path<String>,
) -> Result<(StatusCode, Json<NewKey>), Problem> {
    let source = source_of(&state, staff.tenant_id(), &source_id).await?;
    let mut tx = state.engine.store.begin().await?;
    let key = new_key(&mut tx, &staff, &source.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// Revoke a key of a data source (council admins): it signs nothing in from now on.
#[utoipa::path(delete, path = "/v1/admin/sources/{source_id}/keys/{key_id}", tag = "admin", security(("bearer" = [])),
    params(("source_id" = String, Path, format = Uuid), ("key_id" = String, Path, format = Uuid)),
    responses((status = 200, body = KeyView, description = "Revoked (revoking again keeps the first time)"),
        (status = 404, body = Problem, description = "No such key of this data source")))]
pub async fn revoke_key(
    State(state): State<ApiState>,
    staff: Staff<ManageSources>,
    Path((source_id, key_id)): Path<(String, String)>,
) -> Result<Json<KeyView>, Problem> {
    let source = source_of(&state, staff.tenant_id(), &source_id).await?;
    let key_id: DeviceKeyId = input::public_id(&key_id).ok_or_else(|| Problem::not_found("key"))?;
    let mut tx = state.engine.store.begin().await?;
    let key = sources::revoke_key(&mut tx, staff.tenant_id(), &source.id, &key_id)
        .await?
        .ok_or_else(|| Problem::not_found("key"))?;
    staff.record(&mut tx, "source.revoke_key", key.id.as_str(), None, Some(&key)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(key.into()))
}

/// Mints a key for a source, keeps its hash, and records it (never the secret) in the audit log.
async fn new_key(tx: &mut Tx, staff: &Staff<ManageSources>, source_id: &SourceId) -> Result<NewKey, Problem> {
    let key_id = DeviceKeyId::new();
    let minted = api_key::mint(key_id.as_str()).map_err(|e| Problem::internal(&e))?;
    let key = sources::add_key(tx, staff.tenant_id(), source_id, &key_id, &minted.secret_hash).await?;
    staff.record(tx, "source.add_key", key.id.as_str(), None, Some(&key)).await?;
    Ok(NewKey { source_id: source_id.clone(), key_id, key: minted.key })
}

/// The council's data source `source_id`, or 404.
async fn source_of(state: &ApiState, tenant_id: &TenantId, source_id: &str) -> Result<DataSource, Problem> {
    let not_found = || Problem::not_found("data source");
    let id: SourceId = input::public_id(source_id).ok_or_else(not_found)?;
    sources::get(&state.engine.store, tenant_id, &id).await?.ok_or_else(not_found)
}

fn view(source: DataSource, keys: Vec<DeviceKey>) -> SourceView {
    SourceView {
        source_id: source.id,
        name: source.name,
        kinds: source.kinds.0,
        created_at: rfc3339(source.created_at),
        keys: keys.into_iter().map(KeyView::from).collect(),
    }
}
