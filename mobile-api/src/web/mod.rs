//! The pages people use in a browser (DESIGN §11), served by the engine
//! itself: HTML written on the server from the same functions as the `/v1`
//! routes (maud templates, checked when the engine is compiled), in Dutch
//! and English, with the few files they load built into the binary.
//!
//! - [`i18n`]: the request's language, the catalogues, numbers and dates.
//! - [`layout`]: the frame every page shares.
//! - [`assets`]: style sheets and scripts under `/static/`.
//! - [`docs`]: the API reference at `/docs`.
//! - [`open`]: a town's public dashboard at `/open/{town}`.

pub mod assets;
pub mod docs;
pub mod i18n;
pub mod layout;
pub mod open;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::html;

use crate::ApiState;
use crate::problem::Problem;
use i18n::Lang;

/// The pages' routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/docs", get(docs::page))
        .route("/open/{town}", get(open::page))
        .route("/static/{name}", get(assets::serve))
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
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = message(lang, status, "failed-title", "failed-text");
    if let Some(seconds) = problem.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A page that only says something, with `status`: a heading and a sentence from the catalogue.
fn message(lang: Lang, status: StatusCode, title_key: &str, text_key: &str) -> Response {
    let title = lang.t(title_key);
    let body = html! { h1 { (title) } p { (lang.t(text_key)) } };
    (status, Html(layout::page(lang, &title, body).into_string())).into_response()
}
