//! Errors as `application/problem+json` (RFC 9457), mapped in one place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use smartville_engine::ingest::IngestError;
use utoipa::ToSchema;

/// A problem response. `code` is stable and meant for programs; `detail` for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the `code` names the problem.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable machine-readable code, e.g. `MISSING_TIMESTAMP`.
    pub code: String,
}

impl Problem {
    /// A problem with this status, code and explanation.
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.into(),
        }
    }

    /// 400 with a code.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", detail)
    }

    /// 404: not there, or not yours (the two are not told apart).
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("{what} not found"))
    }

    /// 500: our fault. The cause is logged, not shown.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "something went wrong on our side; please retry")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<smartville_store::StoreError> for Problem {
    fn from(error: smartville_store::StoreError) -> Self {
        Self::internal(&error)
    }
}

impl From<smartville_engine::EngineError> for Problem {
    fn from(error: smartville_engine::EngineError) -> Self {
        Self::internal(&error)
    }
}

impl From<IngestError> for Problem {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Trace(trace) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, trace.code(), trace.to_string()),
            IngestError::NotEnrolled => Self::new(StatusCode::CONFLICT, "NOT_ENROLLED", error.to_string()),
            IngestError::KeyReused => Self::new(StatusCode::CONFLICT, "IDEMPOTENCY_KEY_REUSED", error.to_string()),
            IngestError::Engine(engine) => Self::internal(&engine),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for Problem {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection;
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(_) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", "the request body is too large")
            }
            other => Self::bad_request("MALFORMED_JSON", other.body_text()),
        }
    }
}

/// Fallback for unknown routes.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such endpoint")
}

/// Fallback for known routes with the wrong method.
pub async fn method_not_allowed() -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "this endpoint does not support that method")
}
