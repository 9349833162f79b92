//! The pages people use in a browser (DESIGN §11), served by the engine
//! itself: HTML written on the server from the same functions as the `/v1`
//! routes (maud templates, checked when the engine is compiled), in Dutch
//! and English, with the few files they load built into the binary.
//!
//! - [`i18n`]: the request's language, the catalogues, numbers and dates.
//! - [`layout`]: the frame every page shares.
//! - [`assets`]: style sheets and scripts under `/static/`.
//! - [`docs`]: the API reference at `/docs`.

pub mod assets;
pub mod docs;
pub mod i18n;
pub mod layout;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;

use i18n::Lang;

/// The pages' routes.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/docs", get(docs::page))
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
