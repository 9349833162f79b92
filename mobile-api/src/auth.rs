//! Joining, tokens, and the bearer-token extractor.
//!
//! A student joins a class with its code and gets a short-lived access token
//! (an EdDSA JWT) and a long-lived refresh token (a random secret stored
//! hashed). Refreshing rotates the refresh token: a used one is dead, so a
//! stolen copy works at most once.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use smartville_auth::{Claims, Role, refresh};
use smartville_store::{StoreError, participants};
use utoipa::ToSchema;

use crate::ApiState;
use crate::problem::Problem;

/// `POST /v1/auth/join`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The class's join code, as given by the teacher.
    pub join_code: String,
    /// An optional nickname (never a real name), up to 40 characters.
    pub nickname: Option<String>,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last join or refresh.
    pub refresh_token: String,
}

/// Tokens for a participant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// The participant's id (pseudonymous).
    pub participant_id: String,
    /// Bearer token for every other call.
    pub access_token: String,
    /// Use once with `/v1/auth/refresh` for new tokens.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Join a class.
#[utoipa::path(post, path = "/v1/auth/join", tag = "auth", request_body = JoinRequest,
    responses((status = 201, body = Session), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn join(
    State(state): State<ApiState>,
    request: Result<Json<JoinRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Session>), Problem> {
    let Json(request) = request?;
    let code = request.join_code.trim();
    if code.is_empty() || code.len() > 64 {
        return Err(Problem::bad_request("INVALID_JOIN_CODE", "join_code must be 1 to 64 characters"));
    }
    let nickname = request.nickname.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if let Some(nickname) = nickname
        && (nickname.chars().count() > 40 || nickname.chars().any(char::is_control))
    {
        return Err(Problem::bad_request("INVALID_NICKNAME", "nickname must be at most 40 printable characters"));
    }
    let store = &state.engine.store;
    let target = participants::find_join_code(store.pool(), code)
        .await?
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_JOIN_CODE", "no class has this join code"))?;
    let mut tx = store.begin().await?;
    let participant_id = participants::create_participant(&mut tx, &target, nickname).await?;
    let session = new_session(&state, &mut tx, &target.tenant_id, participant_id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Exchange a refresh token for new tokens.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = Session), (status = 401, body = Problem)))]
pub async fn refresh(
    State(state): State<ApiState>,
    request: Result<Json<RefreshRequest>, JsonRejection>,
) -> Result<Json<Session>, Problem> {
    let Json(request) = request?;
    let invalid = || Problem::unauthorized("the refresh token is invalid, expired or already used");
    let (tenant_id, token_id, secret) = refresh::parse(&request.refresh_token).ok_or_else(invalid)?;
    let store = &state.engine.store;
    let stored = participants::refresh_token(store.pool(), tenant_id, token_id).await?.ok_or_else(invalid)?;
    if !refresh::matches(secret, &stored.secret_hash) || stored.expires_at < smartville_store::now_ms() {
        return Err(invalid());
    }
    let mut tx = store.begin().await?;
    if !participants::revoke_refresh_token(&mut tx, tenant_id, token_id).await? {
        tracing::warn!(participant = %stored.participant_id, "a used refresh token was presented again");
        return Err(invalid());
    }
    let session = new_session(&state, &mut tx, tenant_id, stored.participant_id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(session))
}

async fn new_session(
    state: &ApiState,
    tx: &mut smartville_store::Tx,
    tenant_id: &str,
    participant_id: String,
) -> Result<Session, Problem> {
    let settings = &state.settings;
    let minted = refresh::mint().map_err(|e| Problem::internal(&e))?;
    let now_ms = smartville_store::now_ms();
    let refresh_ttl_ms = i64::try_from(settings.refresh_token_ttl.as_millis()).unwrap_or(i64::MAX);
    let token_id = participants::create_refresh_token(
        tx,
        tenant_id,
        &participant_id,
        &minted.secret_hash,
        now_ms + refresh_ttl_ms,
    )
    .await?;
    let expires_in = settings.access_token_ttl.as_secs();
    let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
    let access_token = state
        .signer
        .issue(&participant_id, tenant_id, Role::Student, now_s, expires_in)
        .map_err(|e| Problem::internal(&e))?;
    Ok(Session {
        access_token,
        refresh_token: refresh::compose(tenant_id, &token_id, &minted.secret),
        expires_in,
        participant_id,
    })
}

/// A signed-in participant, from the `Authorization: Bearer` header.
#[derive(Debug, Clone)]
pub struct Participant(pub Claims);

impl Participant {
    /// The tenant, from the token.
    pub fn tenant_id(&self) -> &str {
        &self.0.tid
    }

    /// The participant id, from the token.
    pub fn id(&self) -> &str {
        &self.0.sub
    }
}

impl FromRequestParts<ApiState> for Participant {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Problem::unauthorized("send Authorization: Bearer <access token>"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| Problem::unauthorized("the Authorization header must use the Bearer scheme"))?;
        let claims = state.verifier.verify(token.trim()).map_err(|e| Problem::unauthorized(e.to_string()))?;
        if claims.role != Role::Student {
            return Err(Problem::new(StatusCode::FORBIDDEN, "FORBIDDEN", "this endpoint is for participants"));
        }
        Ok(Self(claims))
    }
}
