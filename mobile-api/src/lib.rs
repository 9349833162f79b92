//! The participants' HTTP API, `/v1/...` (DESIGN §7), used by the phone app.
//!
//! - [`auth`]: joining a class with its code, refreshing tokens, and the
//!   bearer-token extractor every other route uses. The tenant and the
//!   participant always come from the token, never from the URL or body.
//! - [`trips`]: uploading a ride (JSON or GPX, idempotent, optionally waiting
//!   for the decision), listing and reading one's own rides.
//! - [`wallet`]: balances per coin and the latest transfers.
//! - [`rewards`]: offers on sale, vouchers bought, cancelled and shown as QR codes, donations to causes.
//! - [`me`]: everything the engine holds about the participant (export), and erasure.
//! - [`settled`]: uploads waiting for their decision, woken by one shared lookup.
//! - [`limits`]: rate limits (429) against enumeration, farming and floods.
//! - [`input`]: the checks every text from a client passes before storage.
//! - [`problem`]: every error as `application/problem+json` (RFC 9457) with a
//!   stable `code`; client mistakes are 4xx, never 5xx.
//!
//! - [`devices`]: the routes of data sources (`/v1/devices/...`), signed in with an API key.
//! - [`households`]: a participant's households: linking with a letter's code, their readings.
//! - [`merchant`]: the shop's routes (`/v1/merchant/...`): redemption at the counter, its offers and settlements.
//! - [`admin`]: the administration API (`/v1/admin/...`) for councils and
//!   schools, with its own sign-in and one place that decides who may do what.
//!
//! [`openapi`] describes all of it (OpenAPI 3.1); [`web`] holds the pages
//! people use in a browser.

pub mod admin;
pub mod auth;
pub mod devices;
pub mod households;
pub mod input;
pub mod limits;
pub mod litter;
pub mod me;
pub mod merchant;
mod pictures;
pub mod problem;
pub mod rewards;
pub mod settled;
pub mod trips;
pub mod wallet;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post, put};
use smartville_auth::{Signer, Verifier};
use smartville_engine::Engine;
use smartville_engine::files::FileStore;
use smartville_engine::ingest::Ingest;
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
    /// The rate limits.
    pub limits: limits::LimitSettings,
    /// Behind a load balancer, the header in which it appends the client's
    /// address (e.g. `x-forwarded-for`); the peer address is used otherwise.
    pub client_address_header: Option<axum::http::HeaderName>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            max_wait: Duration::from_secs(10),
            limits: limits::LimitSettings::default(),
            client_address_header: None,
        }
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    /// The engine's shared handles.
    pub engine: Engine,
    /// Where uploads are stored (this API takes them).
    pub ingest: Ingest,
    /// Signs access tokens (this API signs people in).
    pub signer: Arc<Signer>,
    /// Verifies access tokens.
    pub verifier: Arc<Verifier>,
    /// Limits and lifetimes.
    pub settings: Arc<ApiSettings>,
    /// Uploads waiting for their decision.
    pub settled: settled::SettledWatch,
    /// The rate limits' buckets.
    pub limiter: Arc<limits::Limiter>,
    /// Where pictures are kept (never in a row).
    pub files: Arc<dyn FileStore>,
}

/// The mobile app's routes (`/v1/...`), their OpenAPI document at
/// `/openapi.json` with its reference page at `/docs`, the [`web`] pages, and problem+json
/// answers for unknown routes and methods.
pub fn router(state: ApiState) -> Router {
    let max_body_bytes = state.settings.max_body_bytes;
    let document = openapi();
    Router::new()
        .route("/v1/auth/join", post(auth::join))
        .route("/v1/auth/refresh", post(auth::refresh))
        .route("/v1/trips", post(trips::submit).get(trips::list))
        .route("/v1/trips/{trip_id}", get(trips::get))
        .route("/v1/trips/{trip_id}/appeal", post(trips::appeal))
        .route("/v1/wallet", get(wallet::get))
        .route("/v1/rewards", get(rewards::list))
        .route("/v1/rewards/{offer_id}/vouchers", post(rewards::buy))
        .route("/v1/rewards/{offer_id}/picture", get(rewards::picture))
        .route("/v1/vouchers", get(rewards::vouchers))
        .route("/v1/vouchers/{voucher_id}", get(rewards::voucher))
        .route("/v1/vouchers/{voucher_id}/cancel", post(rewards::cancel))
        .route("/v1/vouchers/{voucher_id}/qr", get(rewards::qr))
        .route("/v1/causes", get(rewards::causes))
        .route("/v1/causes/{cause_id}/donations", post(rewards::donate))
        .route("/v1/households/link", post(households::link))
        .route("/v1/households/{household_id}/link", axum::routing::delete(households::unlink))
        .route("/v1/households/me", get(households::mine))
        .route("/v1/litter-reports", post(litter::report).get(litter::mine))
        .route(
            "/v1/litter-reports/{report_id}/photo",
            put(litter::put_photo)
                .layer(axum::extract::DefaultBodyLimit::max(smartville_engine::pictures::MAX_PICTURE_BYTES)),
        )
        .route("/v1/open311/services.json", get(litter::services))
        .route("/v1/open311/requests.json", get(litter::requests))
        .route("/v1/me", axum::routing::delete(me::erase))
        .route("/v1/me/export", get(me::export))
        .route("/v1/merchant/redemptions", post(merchant::redeem).get(merchant::redemptions))
        .route("/v1/merchant/offers", post(merchant::propose).get(merchant::offers))
        .route("/v1/merchant/offers/{offer_id}/withdraw", post(merchant::withdraw))
        .route(
            "/v1/merchant/offers/{offer_id}/picture",
            put(merchant::put_picture)
                .get(merchant::shop_picture)
                .layer(axum::extract::DefaultBodyLimit::max(smartville_engine::pictures::MAX_PICTURE_BYTES)),
        )
        .route("/v1/devices/me", get(devices::me))
        .route(
            "/v1/devices/readings",
            post(devices::send_readings).layer(axum::extract::DefaultBodyLimit::max(devices::MAX_BATCH_BYTES)),
        )
        .route("/v1/merchant/settlements", get(merchant::shop_settlements))
        .route("/v1/merchant/settlements/{settlement_id}", get(merchant::shop_statement))
        .merge(admin::routes())
        .merge(web::routes(&state))
        .with_state(state)
        .route("/openapi.json", get(move || async move { axum::Json(document.clone()) }))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
}

/// The OpenAPI 3.1 description of the routes above.
#[derive(OpenApi)]
#[openapi(
    info(title = "Smartville API", description = "Rides to school, decisions and wallets for the participants' app; the administration of a town for its council and schools."),
    paths(auth::join, auth::refresh, trips::submit, trips::list, trips::get, wallet::get, me::export, me::erase,
        admin::auth::setup, admin::auth::login, admin::auth::refresh, admin::staff::me, admin::staff::list,
        admin::staff::invite, admin::staff::change, admin::staff::remove, admin::audit::list,
        admin::schools::list, admin::schools::create, admin::schools::update, admin::schools::classes,
        admin::schools::create_class, admin::schools::update_class, admin::schools::participants,
        admin::schools::join_codes, admin::schools::create_join_code, admin::schools::revoke_join_code,
        admin::campaigns::list, admin::campaigns::validate, admin::campaigns::coverage, admin::campaigns::create,
        admin::campaigns::get, admin::campaigns::change_rules, admin::campaigns::set_audience,
        admin::campaigns::activate, admin::campaigns::pause, admin::campaigns::close, admin::campaigns::fund, admin::campaigns::budget, admin::campaigns::close_period, admin::reports::report,
        admin::simulations::start, admin::simulations::get,
        admin::reviews::list, admin::reviews::get, admin::reviews::decide, trips::appeal,
        rewards::list, rewards::buy, rewards::picture, rewards::vouchers, rewards::voucher, rewards::cancel, rewards::qr,
        rewards::causes, rewards::donate,
        merchant::redeem, merchant::redemptions, merchant::propose, merchant::offers, merchant::withdraw,
        merchant::put_picture, merchant::shop_picture,
        merchant::shop_settlements, merchant::shop_statement, devices::me, devices::send_readings,
        admin::sources::list, admin::sources::register, admin::sources::add_key, admin::sources::revoke_key,
        admin::households::register, households::link, households::unlink, households::mine,
        litter::report, litter::put_photo, litter::mine, litter::list, litter::photo, litter::decide,
        litter::services, litter::requests,
        admin::coins::list, admin::coins::issue,
        admin::merchants::list, admin::merchants::get, admin::merchants::create, admin::merchants::set_coin,
        admin::merchants::offers, admin::merchants::decide_offer, admin::merchants::offer_picture, admin::merchants::settlements,
        admin::merchants::close, admin::merchants::statement, admin::merchants::paid, admin::merchants::causes,
        admin::merchants::create_cause),
    modifiers(&BearerAuth, &SharedAnswers, &Examples),
    tags((name = "auth", description = "Joining and tokens"), (name = "trips", description = "Rides"), (name = "wallet", description = "Points"), (name = "rewards", description = "Spending points: offers, vouchers, causes"),
        (name = "merchant", description = "A shop's counter: redemptions, offers, settlements"), (name = "me", description = "One's own data"),
        (name = "devices", description = "Data sources sending readings, signed in with an API key"),
        (name = "households", description = "A participant's households: linked with the code from a letter, their readings"),
        (name = "litter", description = "A participant's reports of litter and illegal dumping, with a photo"),
        (name = "open311", description = "The council's litter reports as Open311 GeoReport v2 service requests, for back-offices (public)"),
        (name = "admin", description = "Running a town: staff, schools, classes, join codes, campaigns, reports, reviews, merchants, offers, settlements, causes, data sources, households and the audit log"))
)]
pub struct MobileApiDoc;

/// Puts on each schema named in `openapi-examples.json` its example: the
/// requests and answers of the README's walkthroughs, kept in one file
/// beside the types they show (a test checks that every operation has one).
struct Examples;

impl utoipa::Modify for Examples {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, schema::Schema};
        let examples: std::collections::BTreeMap<String, serde_json::Value> =
            serde_json::from_str(include_str!("../openapi-examples.json")).expect("openapi-examples.json is JSON");
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, example) in examples {
            match components.schemas.get_mut(&name) {
                Some(RefOr::T(Schema::Object(object))) => object.examples = vec![example],
                Some(RefOr::T(Schema::AllOf(all_of))) => all_of.examples = vec![example],
                _ => tracing::warn!(schema = %name, "openapi-examples.json names no object schema of the document"),
            }
        }
    }
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("svk_<key id>_<secret>")
                    .description(Some("A data source's API key, from the council (POST /v1/admin/sources)"))
                    .build(),
            ),
        );
    }
}

/// The answers every route shares, added in one place so that no route's
/// documentation can forget one: what any request can meet (time limits, the
/// database down), what every signed-in route can meet (401, 403), and what
/// every route with a body can meet (malformed, stalled, too large, wrong
/// media type). Every error is declared `application/problem+json`, as sent.
struct SharedAnswers;

impl utoipa::Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
        let problem = |description: &str, retry_after: bool| {
            let mut response = ResponseBuilder::new().description(description).content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            );
            if retry_after {
                let seconds = HeaderBuilder::new()
                    .schema(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Integer))
                    .description(Some("Seconds to wait before retrying"))
                    .build();
                response = response.header("Retry-After", seconds);
            }
            response.build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let mut shared = vec![
                    ("500", problem("Our fault; please retry", false)),
                    ("503", problem("Took too long, or the database is briefly down; retry after Retry-After", true)),
                ];
                if operation.security.is_some() {
                    shared.push(("401", problem("No, an invalid or an expired access token (or API key)", false)));
                    shared.push(("403", problem("The token is not for this route: a participant's on a staff route, staff on a participant's, or a role without the permission", false)));
                }
                if operation.request_body.is_some() {
                    shared.push(("400", problem("The body does not parse, or a field is invalid", false)));
                    shared.push(("408", problem("The body stopped arriving", false)));
                    shared.push(("413", problem("The body is too large", false)));
                    shared.push(("415", problem("Unsupported Content-Type", false)));
                }
                let responses = &mut operation.responses.responses;
                for (status, response) in shared {
                    responses.entry(status.to_owned()).or_insert(response.into());
                }
                for (status, response) in responses.iter_mut() {
                    let utoipa::openapi::RefOr::T(response) = response else { continue };
                    if (status.starts_with('4') || status.starts_with('5'))
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response.content.insert("application/problem+json".to_owned(), content);
                    }
                    if status == "429" {
                        *response = problem(&response.description, true);
                    }
                }
            }
        }
    }
}

/// The OpenAPI document as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    MobileApiDoc::openapi()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::Value;

    /// Whether a schema (followed through `$ref`s and array items) carries an example at its top.
    fn schema_shows_example(document: &Value, schema: &Value) -> bool {
        if schema.get("example").is_some() || schema.get("examples").is_some() {
            return true;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.trim_start_matches("#/components/schemas/");
            return schema_shows_example(document, &document["components"]["schemas"][name]);
        }
        schema.get("items").is_some_and(|items| schema_shows_example(document, items))
    }

    /// Whether every media type of a request body or an answer shows an example.
    fn shows_example(document: &Value, body: &Value) -> bool {
        body["content"].as_object().is_some_and(|media| {
            media.values().all(|m| {
                m.get("example").is_some()
                    || m.get("examples").is_some()
                    || schema_shows_example(document, &m["schema"])
            })
        })
    }

    #[test]
    fn every_operation_shows_an_example_of_its_request_and_of_its_answer() {
        let document = serde_json::to_value(super::openapi()).unwrap();
        let mut missing = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if let Some(body) = operation.get("requestBody")
                    && !shows_example(&document, body)
                {
                    missing.push(format!("{method} {path}: request"));
                }
                for (status, answer) in operation["responses"].as_object().unwrap() {
                    if status.starts_with('2') && answer.get("content").is_some() && !shows_example(&document, answer) {
                        missing.push(format!("{method} {path}: {status}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "operations without examples: {missing:#?}");
    }
}
