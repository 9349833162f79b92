//! The pages people use in a browser (DESIGN §11), served by the engine
//! itself: HTML written on the server from the same functions as the `/v1`
//! routes (maud templates, checked when the engine is compiled), in Dutch
//! and English, with the few files they load built into the binary.
//!
//! - [`i18n`]: the request's language, the catalogues, numbers and dates.
//! - [`layout`]: the frame every page shares.
//! - [`assets`]: style sheets and scripts under `/static/`.
//! - [`chart`]: charts drawn as SVG.
//! - [`docs`]: the API reference at `/docs`.
//! - [`map`]: maps drawn as SVG, without a tile server.
//! - [`open`]: a town's public dashboard at `/open/{town}`.
//! - [`session`]: signing in with the API's tokens kept in cookies.
//! - [`sign_in`]: the staff's sign-in page at `/login`.
//! - [`shop`]: a shop's counter at `/shop`.
//! - [`app`]: the students' web app at `/app`.
//! - [`console`]: the council's console at `/admin`.

pub mod app;
pub mod assets;
pub mod chart;
pub mod console;
pub mod docs;
pub mod i18n;
pub mod layout;
pub mod map;
pub mod open;
pub mod session;
pub mod shop;
pub mod sign_in;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use fluent_bundle::FluentValue;
use maud::{Markup, html};

use crate::ApiState;
use crate::problem::Problem;
use i18n::Lang;

/// The clock the pages show times by: the engine's towns are Flemish (DESIGN §11).
pub const TOWN_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::Brussels;

/// The pages' routes; the signed-in ones read their visitor's session from
/// its cookies ([`session::from_cookies`]).
pub fn routes(state: &ApiState) -> Router<ApiState> {
    let signed_in = Router::new()
        .route("/login", get(sign_in::page).post(sign_in::submit))
        .route("/setup", get(sign_in::setup_page).post(sign_in::set_up))
        .route("/logout", post(session::sign_out))
        .route("/shop", get(shop::counter).post(shop::redeem))
        .route("/shop/settlements", get(shop::settlements))
        .route("/admin", get(console::campaigns::list))
        .route("/admin/campaigns/new", get(console::campaigns::new_page).post(console::campaigns::create))
        .route("/admin/campaigns/{campaign_id}", get(console::campaigns::detail))
        .route("/admin/campaigns/{campaign_id}/audience", post(console::campaigns::audience))
        .route("/admin/campaigns/{campaign_id}/funding", post(console::campaigns::fund))
        .route("/admin/campaigns/{campaign_id}/report", get(console::reports::report))
        .route("/admin/campaigns/{campaign_id}/report.csv", get(console::reports::csv))
        .route("/admin/campaigns/{campaign_id}/{action}", post(console::campaigns::lifecycle))
        .route("/admin/schools", get(console::schools::list).post(console::schools::create))
        .route("/admin/schools/{school_id}", get(console::schools::school))
        .route("/admin/schools/{school_id}/classes", post(console::schools::create_class))
        .route("/admin/classes/{class_id}/join-codes", post(console::schools::new_code))
        .route("/admin/classes/{class_id}/poster", get(console::schools::poster))
        .route("/admin/staff", get(console::staff::list).post(console::staff::invite))
        .route("/admin/staff/{staff_id}/remove", post(console::staff::remove))
        .route("/admin/audit", get(console::staff::log))
        .route("/admin/merchants", get(console::merchants::list).post(console::merchants::create))
        .route("/admin/merchants/{merchant_id}", get(console::merchants::merchant))
        .route("/admin/merchants/{merchant_id}/settlements", post(console::merchants::close))
        .route("/admin/merchants/{merchant_id}/staff", post(console::merchants::invite))
        .route("/admin/offers/{offer_id}", post(console::merchants::decide_offer))
        .route("/admin/settlements/{settlement_id}/paid", post(console::merchants::paid))
        .route("/admin/settlements/{settlement_id}/statement.csv", get(console::merchants::statement_csv))
        .route("/admin/reviews", get(console::reviews::queue))
        .route("/admin/reviews/{trip_id}", get(console::reviews::ride).post(console::reviews::decide))
        .route("/app", get(app::home))
        .route("/app/join", get(app::join_page).post(app::join))
        .route("/app/trips/{trip_id}", get(app::trip))
        .route("/app/trips/{trip_id}/appeal", post(app::appeal))
        .route("/app/upload", get(app::upload_page).post(app::upload))
        .route("/app/record", get(app::record_page).post(app::record))
        .route("/app/rewards", get(app::rewards_page))
        .route("/app/rewards/{offer_id}", post(app::buy))
        .route("/app/vouchers", get(app::vouchers_page))
        .route("/app/manifest.webmanifest", get(app::manifest))
        .route("/app/sw.js", get(app::service_worker))
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::from_cookies));
    Router::new()
        .route("/docs", get(docs::page))
        .route("/open/{town}", get(open::page))
        .route("/static/{*name}", get(assets::serve))
        .merge(signed_in)
        .layer(axum::middleware::from_fn(remember_language))
        // Pages are text that compresses tenfold: the API reference is 350 KB as written.
        .layer(tower_http::compression::CompressionLayer::new())
}

/// A page asked for in a language (`?lang=en`) keeps that language for the
/// visitor's next pages, in a cookie.
async fn remember_language(request: Request, next: Next) -> Response {
    let asked = Lang::asked_in(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = asked {
        let cookie = format!("{}={}; Path=/; Max-Age=31536000; SameSite=Lax", i18n::COOKIE, lang.tag());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The page of an address that names nothing (a town the engine does not have).
pub fn not_found(lang: Lang) -> Response {
    message(lang, StatusCode::NOT_FOUND, "not-found-title", "not-found-text")
}

/// The page of a request that failed on the engine's side: 503 with
/// `Retry-After` while the database is unreachable, else 500 (the cause is
/// logged, not shown), as the API answers.
pub fn failed(lang: Lang, error: impl Into<Problem>) -> Response {
    let problem: Problem = error.into();
    let mut response = message(lang, problem.status_code(), "failed-title", "failed-text");
    if let Some(seconds) = problem.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A page, answered with the status of the refusal it explains (200 without one).
pub fn answer(page: Markup, refused: Option<&Problem>) -> Response {
    (refused.map_or(StatusCode::OK, Problem::status_code), Html(page.into_string())).into_response()
}

/// A page's answer to a refusal of the API: the engine's failures as the
/// failure page, a visitor's mistake (`4xx`) as the page `again` makes with
/// the refusal explained.
pub fn refused(lang: Lang, problem: Problem, again: impl FnOnce(&Problem) -> Markup) -> Response {
    if problem.status >= 500 {
        return failed(lang, problem);
    }
    answer(again(&problem), Some(&problem))
}

/// A refusal of the API, explained where a page shows it (nothing without one).
pub fn refusal(lang: Lang, problem: Option<&Problem>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            p.refusal role="alert" { (explain(lang, problem)) }
        }
    }
}

/// A page that only says something, with `status`: a heading and a sentence from the catalogue.
fn message(lang: Lang, status: StatusCode, title_key: &str, text_key: &str) -> Response {
    let title = lang.t(title_key);
    let body = html! { h1 { (title) } p { (lang.t(text_key)) } };
    (status, Html(layout::page(lang, &title, body).into_string())).into_response()
}

/// What a refusal of the API means, in the visitor's language: the
/// catalogue's text for its code (`problem-already-redeemed` for
/// `ALREADY_REDEEMED`), filled in with the problem's own members (a moment
/// written as the town's clock showed it), else the API's own words.
pub fn explain(lang: Lang, problem: &Problem) -> String {
    let key = i18n::key("problem", &problem.code);
    if !lang.has(&key) {
        return if problem.status >= 500 { lang.t("failed-text") } else { problem.detail.clone() };
    }
    let args: Vec<(&str, FluentValue<'_>)> = problem
        .extensions
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                serde_json::Value::String(text) => match DateTime::parse_from_rfc3339(text) {
                    Ok(at) => FluentValue::from(lang.moment(at.with_timezone(&Utc))),
                    Err(_) => FluentValue::from(text.as_str()),
                },
                serde_json::Value::Number(number) => FluentValue::from(lang.number(number.as_i64()?)),
                _ => return None,
            };
            Some((name.as_str(), value))
        })
        .collect();
    lang.text(&key, &args)
}

/// A reason of a decision in words a 12-year-old understands, with what to
/// do next time (`reason-too-fast` for `TOO_FAST`), else the engine's own message.
pub fn reason_words(lang: Lang, reason: &crate::trips::ReasonView) -> String {
    let key = i18n::key("reason", reason.code.as_str());
    if lang.has(&key) { lang.t(&key) } else { reason.message.clone() }
}

/// An RFC 3339 moment of the API's answers, as the town's clock showed it.
pub fn moment(lang: Lang, rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(|_| rfc3339.to_owned(), |t| lang.moment(t.with_timezone(&Utc)))
}

/// The time of day of an RFC 3339 moment on the town's clock: `08:15`.
pub fn clock(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map_or_else(|_| rfc3339.to_owned(), |t| t.with_timezone(&TOWN_TIME_ZONE).format("%H:%M").to_string())
}

/// Midnight today on the town's clock.
pub fn start_of_today() -> DateTime<Utc> {
    let today = Utc::now().with_timezone(&TOWN_TIME_ZONE).date_naive();
    today
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.and_local_timezone(TOWN_TIME_ZONE).earliest())
        .map_or_else(Utc::now, |midnight| midnight.with_timezone(&Utc))
}
