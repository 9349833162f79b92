//! The participants' HTTP API, `/v1/...` (DESIGN §7), used by the phone app.
//!
//! - [`auth`]: joining a class with its code, refreshing tokens, and the
//!   bearer-token extractor every other route uses. The tenant and the
//!   participant always come from the token, never from the URL or body.
//! - [`trips`]: uploading a ride (JSON or GPX, idempotent, optionally waiting
//!   for the decision), listing and reading one's own rides.
//! - [`wallet`]: balances per coin and the latest transfers.
//! - [`settled`]: uploads waiting for their decision, woken by one shared lookup.
//! - [`problem`]: every error as `application/problem+json` (RFC 9457) with a
//!   stable `code`; client mistakes are 4xx, never 5xx.
//!
//! [`openapi`] describes all of it (OpenAPI 3.1).

pub mod auth;
pub mod problem;
pub mod settled;
pub mod trips;
pub mod wallet;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use smartville_auth::{Signer, Verifier};
use smartville_engine::Engine;
use utoipa::OpenApi;

/// Limits and lifetimes of the API.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Access-token lifetime.
    pub access_token_ttl: Duration,
    /// Refresh-token lifetime.
    pub refresh_token_ttl: Duration,
    /// Longest `?wait=` a client may ask for.
    pub max_wait: Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            max_wait: Duration::from_secs(10),
        }
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    /// The engine's components.
    pub engine: Engine,
    /// Signs access tokens (this API signs people in).
    pub signer: Arc<Signer>,
    /// Verifies access tokens.
    pub verifier: Arc<Verifier>,
    /// Limits and lifetimes.
    pub settings: Arc<ApiSettings>,
    /// Uploads waiting for their decision.
    pub settled: settled::SettledWatch,
}

/// The `/v1` routes of the mobile app.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/v1/auth/join", post(auth::join))
        .route("/v1/auth/refresh", post(auth::refresh))
        .route("/v1/trips", post(trips::submit).get(trips::list))
        .route("/v1/trips/{trip_id}", get(trips::get))
        .route("/v1/wallet", get(wallet::get))
        .with_state(state)
}

/// The OpenAPI 3.1 description of the routes above.
#[derive(OpenApi)]
#[openapi(
    info(title = "Smartville mobile API", description = "Rides to school, decisions and wallets for the participants' app."),
    paths(auth::join, auth::refresh, trips::submit, trips::list, trips::get, wallet::get),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Joining and tokens"), (name = "trips", description = "Rides"), (name = "wallet", description = "Points"))
)]
pub struct MobileApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The OpenAPI document as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    MobileApiDoc::openapi()
}
