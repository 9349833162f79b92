//! Joining, tokens, and the bearer-token extractor.
//!
//! A student joins a class with its code and gets a short-lived access token
//! (an EdDSA JWT) and a long-lived refresh token (a random secret stored
//! hashed). Refreshing rotates the refresh token: a used one is dead, and
//! presenting a used one again revokes every token rotated from the same
//! join (its family), so a stolen copy ends the session for thief and owner
//! alike instead of living on for the token's 30 days.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use smartville_auth::{Claims, Grant, Role, refresh};
use smartville_store::ids::{ParticipantId, TenantId};
use smartville_store::schools::{self, JoinRefusal};
use smartville_store::sessions::{self, Holder};
use smartville_store::{StoreError, participants};
use utoipa::ToSchema;

use crate::input::JsonObject;
use crate::limits::{ClientAddress, Limit};
use crate::problem::Problem;
use crate::{ApiState, input};

/// `POST /v1/auth/join`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The class's join code, as given by the teacher.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub join_code: String,
    /// An optional nickname (never a real name), up to 40 visible characters.
    #[schema(
        max_length = 40,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*$"
    )]
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
    #[schema(value_type = String, format = Uuid)]
    pub participant_id: ParticipantId,
    /// Bearer token for every other call.
    pub access_token: String,
    /// Use once with `/v1/auth/refresh` for new tokens.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Join a class.
#[utoipa::path(post, path = "/v1/auth/join", tag = "auth", request_body = JoinRequest,
    responses((status = 201, body = Session), (status = 404, body = Problem, description = "No class has this join code"),
        (status = 410, body = Problem, description = "The code was revoked (`JOIN_CODE_REVOKED`), has expired (`JOIN_CODE_EXPIRED`) or was used as often as it allows (`JOIN_CODE_EXHAUSTED`)"),
        (status = 429, body = Problem, description = "Too many joins or wrong codes from this address, or joins with this code")))]
pub async fn join(
    State(state): State<ApiState>,
    ClientAddress(address): ClientAddress,
    JsonObject(request): JsonObject<JoinRequest>,
) -> Result<(StatusCode, Json<Session>), Problem> {
    let code = input::plain_text(&request.join_code, 64, "INVALID_JOIN_CODE", "join_code")?;
    let nickname = input::nickname(request.nickname.as_deref().unwrap_or_default())?;
    let limiter = &state.limiter;
    limiter.penalty(&address).await?;
    limiter.check(Limit::JoinsPerAddress, &address).await?;
    let store = &state.engine.store;
    let mut tx = store.begin().await?;
    let target = match schools::use_join_code(&mut tx, code).await? {
        Ok(target) => target,
        Err(refusal) => {
            drop(tx);
            return Err(match refusal {
                JoinRefusal::Unknown => {
                    limiter.wrong_code(&address).await?;
                    Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_JOIN_CODE", "no class has this join code")
                }
                JoinRefusal::Revoked => Problem::new(
                    StatusCode::GONE,
                    "JOIN_CODE_REVOKED",
                    "this join code was withdrawn; ask your teacher for the new one",
                ),
                JoinRefusal::Expired => Problem::new(
                    StatusCode::GONE,
                    "JOIN_CODE_EXPIRED",
                    "this join code has expired; ask your teacher for a new one",
                ),
                JoinRefusal::Exhausted => Problem::new(
                    StatusCode::GONE,
                    "JOIN_CODE_EXHAUSTED",
                    "as many students joined with this code as it allows; ask your teacher for a new one",
                ),
            });
        }
    };
    limiter.check(Limit::JoinsPerCode, code).await?;
    let participant_id = participants::create_participant(&mut tx, &target, nickname.as_deref()).await?;
    let session = participant_session(&state, &mut tx, &target.tenant_id, participant_id, None).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Exchange a refresh token for new tokens.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = Session), (status = 401, body = Problem, description = "Invalid, expired or used refresh token"),
        (status = 429, body = Problem, description = "Too many refreshes of this session")))]
pub async fn refresh(
    State(state): State<ApiState>,
    JsonObject(request): JsonObject<RefreshRequest>,
) -> Result<Json<Session>, Problem> {
    let (tenant_id, stored, mut tx) = rotate(&state, &request.refresh_token).await?;
    let Holder::Participant(participant_id) = stored.holder else {
        return Err(invalid_refresh_token());
    };
    let session = participant_session(&state, &mut tx, &tenant_id, participant_id, Some(&stored.family_id)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(session))
}

pub(crate) fn invalid_refresh_token() -> Problem {
    Problem::unauthorized("the refresh token is invalid, expired or already used")
}

/// Checks a presented refresh token and marks it used, in the returned
/// transaction, in which the caller stores its successor. A token used
/// before ends its whole family (see the module's documentation).
pub(crate) async fn rotate(
    state: &ApiState,
    token: &str,
) -> Result<(TenantId, sessions::RefreshToken, smartville_store::Tx), Problem> {
    let token = input::plain_text(token, 256, "UNAUTHORIZED", "refresh_token").map_err(|_| invalid_refresh_token())?;
    let (tenant_id, token_id, secret) = refresh::parse(token).ok_or_else(invalid_refresh_token)?;
    let tenant_id: TenantId = input::public_id(tenant_id).ok_or_else(invalid_refresh_token)?;
    let token_id: &str = input::public_id(token_id).ok_or_else(invalid_refresh_token)?;
    let store = &state.engine.store;
    let stored = sessions::refresh_token(store, &tenant_id, token_id).await?.ok_or_else(invalid_refresh_token)?;
    if !refresh::matches(secret, &stored.secret_hash) || stored.expires_at < smartville_store::now_ms() {
        return Err(invalid_refresh_token());
    }
    state.limiter.check(Limit::RefreshesPerSession, &stored.family_id).await?;
    let mut tx = store.begin().await?;
    if stored.revoked_at.is_some() || !sessions::revoke_refresh_token(&mut tx, &tenant_id, token_id).await? {
        drop(tx);
        // Only the holder of the secret can present it, and it was used before: two parties hold
        // it, one of them a thief. Which one is unknown, so the whole session ends.
        let revoked = sessions::revoke_refresh_family(store, &tenant_id, &stored.family_id).await?;
        tracing::warn!(
            security_event = "refresh_token_reuse",
            holder = ?stored.holder,
            family = %stored.family_id,
            revoked,
            "a used refresh token was presented again; its whole family is revoked"
        );
        return Err(invalid_refresh_token());
    }
    Ok((tenant_id, stored, tx))
}

/// A participant's new tokens, stored in `tx`, starting a family or continuing `family_id`.
pub(crate) async fn participant_session(
    state: &ApiState,
    tx: &mut smartville_store::Tx,
    tenant_id: &TenantId,
    participant_id: ParticipantId,
    family_id: Option<&str>,
) -> Result<Session, Problem> {
    let grant = Grant {
        subject: participant_id.as_str(),
        tenant: tenant_id.as_str(),
        role: Role::Student,
        school: None,
        merchant: None,
    };
    let tokens = issue_tokens(state, tx, grant, &Holder::Participant(participant_id.clone()), family_id).await?;
    Ok(Session {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_in: tokens.expires_in,
        participant_id,
    })
}

/// A new access token and refresh token.
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: u64,
}

/// Signs an access token for `grant` and stores a refresh token for
/// `holder` in `tx`, starting a family or continuing `family_id`.
pub(crate) async fn issue_tokens(
    state: &ApiState,
    tx: &mut smartville_store::Tx,
    grant: Grant<'_>,
    holder: &Holder,
    family_id: Option<&str>,
) -> Result<Tokens, Problem> {
    let settings = &state.settings;
    let minted = refresh::mint().map_err(|e| Problem::internal(&e))?;
    let now_ms = smartville_store::now_ms();
    let refresh_ttl_ms = i64::try_from(settings.refresh_token_ttl.as_millis()).unwrap_or(i64::MAX);
    let tenant_id = TenantId::from(grant.tenant);
    let token_id =
        sessions::create_refresh_token(tx, &tenant_id, holder, family_id, &minted.secret_hash, now_ms + refresh_ttl_ms)
            .await?;
    let expires_in = settings.access_token_ttl.as_secs();
    let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
    let access_token = state.signer.issue(grant, now_s, expires_in).map_err(|e| Problem::internal(&e))?;
    Ok(Tokens { access_token, refresh_token: refresh::compose(grant.tenant, &token_id, &minted.secret), expires_in })
}

/// The claims of the `Authorization: Bearer` access token.
pub(crate) fn bearer_claims(parts: &Parts, state: &ApiState) -> Result<Claims, Problem> {
    state.verifier.verify(bearer(parts, "access token")?).map_err(|e| Problem::unauthorized(e.to_string()))
}

/// The credential of the `Authorization: Bearer` header (`what` names it in the refusal).
pub(crate) fn bearer<'a>(parts: &'a Parts, what: &str) -> Result<&'a str, Problem> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Problem::unauthorized(format!("send Authorization: Bearer <{what}>")))?;
    let credential = header
        .strip_prefix("Bearer ")
        .ok_or_else(|| Problem::unauthorized("the Authorization header must use the Bearer scheme"))?;
    Ok(credential.trim())
}

/// A signed-in participant, from the `Authorization: Bearer` header.
#[derive(Debug, Clone)]
pub struct Participant {
    tenant_id: TenantId,
    id: ParticipantId,
}

impl Participant {
    /// The tenant, from the token.
    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant_id
    }

    /// The participant id, from the token.
    pub fn id(&self) -> &ParticipantId {
        &self.id
    }
}

impl FromRequestParts<ApiState> for Participant {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let claims = bearer_claims(parts, state)?;
        if claims.role != Role::Student {
            return Err(Problem::new(StatusCode::FORBIDDEN, "FORBIDDEN", "this endpoint is for participants"));
        }
        Ok(Self { tenant_id: claims.tid.into(), id: claims.sub.into() })
    }
}
