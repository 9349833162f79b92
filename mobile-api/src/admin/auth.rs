//! Staff sign-in: a one-time set-up link to choose a password, e-mail and
//! password to log in, and refresh tokens that rotate as the participants' do
//! (`crate::auth`). Login attempts are limited per account and per address;
//! a wrong e-mail and a wrong password get the same answer in the same time.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use smartville_auth::{Grant, password, refresh};
use smartville_store::audit::{self, Actor};
use smartville_store::ids::TenantId;
use smartville_store::sessions::{self, Holder};
use smartville_store::staff::{self, StaffMember};
use smartville_store::{StoreError, Tx};
use utoipa::ToSchema;

use super::access::token_role;
use super::staff::StaffView;
use crate::auth::{RefreshRequest, invalid_refresh_token, issue_tokens, rotate};
use crate::input::JsonObject;
use crate::limits::{ClientAddress, Limit};
use crate::problem::Problem;
use crate::{ApiState, input};

/// `POST /v1/admin/auth/setup`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time set-up token from the invitation.
    pub token: String,
    /// The new password, 12 to 128 characters.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
}

/// `POST /v1/admin/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The e-mail address of the account.
    #[schema(example = "schepen@mol.be")]
    pub email: String,
    /// Its password.
    pub password: String,
}

/// Tokens for a staff member.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffSession {
    /// Who signed in, with their role and school.
    pub staff: StaffView,
    /// Bearer token for the administration routes.
    pub access_token: String,
    /// Use once with `/v1/admin/auth/refresh` for new tokens.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

fn invalid_setup_token() -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "INVALID_SETUP_TOKEN", "the set-up link is invalid, expired or already used")
}

/// Set a password with a one-time set-up link and sign in.
#[utoipa::path(post, path = "/v1/admin/auth/setup", tag = "admin", request_body = SetupRequest,
    responses((status = 200, body = StaffSession), (status = 400, body = Problem, description = "The password is too short or too long (`WEAK_PASSWORD`)"),
        (status = 401, body = Problem, description = "Invalid, expired or used set-up token (`INVALID_SETUP_TOKEN`)")))]
pub async fn setup(
    State(state): State<ApiState>,
    JsonObject(request): JsonObject<SetupRequest>,
) -> Result<Json<StaffSession>, Problem> {
    let token =
        input::plain_text(&request.token, 256, "INVALID_SETUP_TOKEN", "token").map_err(|_| invalid_setup_token())?;
    let (tenant_id, token_id, secret) = refresh::parse(token).ok_or_else(invalid_setup_token)?;
    let tenant_id: TenantId = input::public_id(tenant_id).ok_or_else(invalid_setup_token)?;
    let token_id: &str = input::public_id(token_id).ok_or_else(invalid_setup_token)?;
    let password = request.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(|e| match e {
            password::PasswordError::Length => Problem::bad_request("WEAK_PASSWORD", e.to_string()),
            other => Problem::internal(&other),
        })?;
    let store = &state.engine.store;
    let mut tx = store.begin().await?;
    let link = staff::use_setup_token(&mut tx, &tenant_id, token_id).await?.ok_or_else(invalid_setup_token)?;
    if !refresh::matches(secret, &link.secret_hash) || link.expires_at < smartville_store::now_ms() {
        // Dropping the transaction leaves the link unused: only its holder can spend it.
        return Err(invalid_setup_token());
    }
    staff::set_password(&mut tx, &tenant_id, &link.staff_id, &hash).await?;
    // A new password ends every other session of the account.
    sessions::revoke_all(&mut tx, &tenant_id, &Holder::Staff(link.staff_id.clone())).await?;
    let member = staff::member_in(&mut tx, &tenant_id, &link.staff_id).await?.ok_or_else(invalid_setup_token)?;
    let id = member.id.as_str();
    audit::record(&mut tx, &tenant_id, Actor::Staff(&member.id), "staff.set_password", id, None::<&()>, None).await?;
    let session = staff_session(&state, &mut tx, member, None).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(session))
}

/// Log in with e-mail and password.
#[utoipa::path(post, path = "/v1/admin/auth/login", tag = "admin", request_body = LoginRequest,
    responses((status = 200, body = StaffSession), (status = 401, body = Problem, description = "Wrong e-mail address or password (`INVALID_CREDENTIALS`)"),
        (status = 429, body = Problem, description = "Too many attempts for this account or from this address")))]
pub async fn login(
    State(state): State<ApiState>,
    ClientAddress(address): ClientAddress,
    JsonObject(request): JsonObject<LoginRequest>,
) -> Result<Json<StaffSession>, Problem> {
    let refused = || Problem::new(StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "wrong e-mail address or password");
    let email = input::email(&request.email).map_err(|_| refused())?;
    state.limiter.check(Limit::LoginsPerAddress, &address).await?;
    state.limiter.check(Limit::LoginsPerAccount, &email).await?;
    let store = &state.engine.store;
    let (member, hash) = staff::login(store, &email).await?.map_or((None, None), |(m, h)| (Some(m), h));
    let password = request.password;
    let matches = password.chars().count() <= password::MAX_CHARS
        && tokio::task::spawn_blocking(move || password::verify(&password, hash.as_deref()))
            .await
            .map_err(|e| Problem::internal(&e))?;
    let Some(member) = member.filter(|_| matches) else {
        tracing::info!(security_event = "staff_login_refused", "a staff login was refused");
        return Err(refused());
    };
    let mut tx = store.begin().await?;
    let session = staff_session(&state, &mut tx, member, None).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(session))
}

/// Exchange a staff refresh token for new tokens.
#[utoipa::path(post, path = "/v1/admin/auth/refresh", tag = "admin", request_body = RefreshRequest,
    responses((status = 200, body = StaffSession), (status = 401, body = Problem, description = "Invalid, expired or used refresh token, or a removed account"),
        (status = 429, body = Problem, description = "Too many refreshes of this session")))]
pub async fn refresh(
    State(state): State<ApiState>,
    JsonObject(request): JsonObject<RefreshRequest>,
) -> Result<Json<StaffSession>, Problem> {
    let (tenant_id, stored, mut tx) = rotate(&state, &request.refresh_token).await?;
    let Holder::Staff(staff_id) = stored.holder else {
        return Err(invalid_refresh_token());
    };
    let member = staff::member(&state.engine.store, &tenant_id, &staff_id).await?.ok_or_else(invalid_refresh_token)?;
    let session = staff_session(&state, &mut tx, member, Some(&stored.family_id)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(session))
}

/// A staff member's new tokens, stored in `tx`, starting a family or continuing `family_id`.
pub(crate) async fn staff_session(
    state: &ApiState,
    tx: &mut Tx,
    member: StaffMember,
    family_id: Option<&str>,
) -> Result<StaffSession, Problem> {
    let grant = Grant {
        subject: member.id.as_str(),
        tenant: member.tenant_id.as_str(),
        role: token_role(member.role),
        school: member.school_id.as_ref().map(|s| s.as_str()),
        merchant: member.merchant_id.as_ref().map(|m| m.as_str()),
    };
    let tokens = issue_tokens(state, tx, grant, &Holder::Staff(member.id.clone()), family_id).await?;
    Ok(StaffSession {
        staff: member.into(),
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_in: tokens.expires_in,
    })
}
