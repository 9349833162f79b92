//! The files the pages load (style sheets, scripts), built into the binary:
//! nothing is fetched from elsewhere at run time (DESIGN §11). Each is linked
//! with a hash of its content, so browsers keep it until it changes.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A file served under `/static/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "web.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../web/static/web.css"),
    },
    Asset {
        name: "counter.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/static/counter.js"),
    },
];

/// Each asset's content hash, in the order of [`ASSETS`].
static VERSIONS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|asset| format!("{:016x}", xxhash_rust::xxh3::xxh3_64(asset.body))).collect());

/// The URL that loads the asset `name`, with its version.
pub fn path(name: &str) -> String {
    match ASSETS.iter().position(|asset| asset.name == name) {
        Some(index) => format!("/static/{name}?v={}", VERSIONS[index]),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{name}`: an asset, cached for a year (its URL changes with it).
pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
