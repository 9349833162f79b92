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

/// The asset `web/static/{name}`, built in.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset { name: $name, content_type: $content_type, body: include_bytes!(concat!("../../web/static/", $name)) }
    };
}

const SCRIPT: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    asset!("web.css", "text/css; charset=utf-8"),
    asset!("counter.js", SCRIPT),
    asset!("app.js", SCRIPT),
    asset!("record.js", SCRIPT),
    // Loaded by the counter only where the browser cannot read QR codes itself (see vendor/README.md).
    asset!("vendor/jsQR.js", SCRIPT),
    asset!("icon.svg", "image/svg+xml"),
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
