//! Errors as `application/problem+json` (RFC 9457), mapped in one place.

use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use smartville_engine::campaigns::CampaignRefusal;
use smartville_engine::ingest::IngestError;
use smartville_engine::reviews::ReviewRefusal;
use smartville_engine::savings::CloseRefusal;
use smartville_engine::settlements::DonationRefusal;
use smartville_engine::vouchers::VoucherRefusal;
use smartville_scoring::TraceError;
use tower_http::timeout::TimeoutError;
use utoipa::ToSchema;

/// How long clients are asked to wait when the database is down: a restart
/// or fail-over of PostgreSQL takes seconds.
const UNAVAILABLE_RETRY_AFTER_S: u64 = 5;

/// A problem response. `code` is stable and meant for programs; `detail` for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the `code` names the problem.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The HTTP status phrase.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable machine-readable code, e.g. `MISSING_TIMESTAMP`.
    pub code: String,
    /// Every problem of the input, each at its field, when there are several
    /// to fix at once (a campaign file).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Option<Vec<FieldProblem>>)]
    pub problems: Box<[FieldProblem]>,
    /// Seconds after which a retry may succeed, sent as the `Retry-After`
    /// header (429 and 503 answers).
    #[serde(skip)]
    pub retry_after: Option<u32>,
    /// Members a problem adds about itself (RFC 9457 §3.2), e.g. when and
    /// where a voucher was redeemed.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: Box<serde_json::Map<String, serde_json::Value>>,
}

/// One problem of an input, at its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The path of the field (`thresholds.max_gap_s`, `zones.features[2]`), empty for the whole input.
    #[schema(example = "zones.features[1]")]
    pub field: String,
    /// What is wrong, with the measured value and the rule.
    #[schema(example = "zones.features[1] (\"Sint-Jan\"): exterior ring has a self-intersection")]
    pub problem: String,
}

impl Problem {
    /// A problem with this status, code and explanation.
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.into(),
            problems: Box::default(),
            retry_after: None,
            extensions: Box::default(),
        }
    }

    /// This problem with an extension member `name` (RFC 9457 §3.2).
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extensions.insert(name.to_owned(), value.into());
        self
    }

    /// This problem with the list of every problem of the input.
    pub fn with_problems(mut self, problems: Vec<FieldProblem>) -> Self {
        self.problems = problems.into_boxed_slice();
        self
    }

    /// This problem with a `Retry-After` of `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(u32::try_from(seconds).unwrap_or(u32::MAX).max(1));
        self
    }

    /// 503: a dependency is down; the client should retry after a few seconds.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the service is briefly unavailable; nothing was lost, please retry shortly",
        )
        .retry_after(UNAVAILABLE_RETRY_AFTER_S)
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

impl Problem {
    /// The HTTP status, as a status code.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<smartville_store::StoreError> for Problem {
    fn from(error: smartville_store::StoreError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "the database is unavailable");
            return Self::unavailable();
        }
        Self::internal(&error)
    }
}

impl From<CampaignRefusal> for Problem {
    fn from(refusal: CampaignRefusal) -> Self {
        if let CampaignRefusal::Engine(error) = refusal {
            return error.into();
        }
        let status = match &refusal {
            CampaignRefusal::NotFound => return Self::not_found("campaign"),
            CampaignRefusal::SlugTaken(_) | CampaignRefusal::State { .. } | CampaignRefusal::VersionOverlap { .. } => {
                StatusCode::CONFLICT
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let problem = Self::new(status, refusal.code(), refusal.to_string());
        match refusal {
            CampaignRefusal::Invalid(problems) => problem.with_problems(
                problems.iter().map(|p| FieldProblem { field: p.field(), problem: p.to_string() }).collect(),
            ),
            _ => problem,
        }
    }
}

impl From<CloseRefusal> for Problem {
    fn from(refusal: CloseRefusal) -> Self {
        if let CloseRefusal::Engine(error) = refusal {
            return error.into();
        }
        let status = match &refusal {
            CloseRefusal::Engine(_) | CloseRefusal::NotFound => return Self::not_found("campaign"),
            CloseRefusal::NotSavings | CloseRefusal::State(_) | CloseRefusal::NotOver { .. } => StatusCode::CONFLICT,
            CloseRefusal::Period(_) | CloseRefusal::OutsideCampaign(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, refusal.code(), refusal.to_string())
    }
}

impl From<ReviewRefusal> for Problem {
    fn from(refusal: ReviewRefusal) -> Self {
        if let ReviewRefusal::Engine(error) = refusal {
            return error.into();
        }
        let status = match &refusal {
            ReviewRefusal::Engine(_) | ReviewRefusal::NotFound => return Self::not_found("trip"),
            ReviewRefusal::AlreadyDecided | ReviewRefusal::NotRejected(_) | ReviewRefusal::AlreadyAppealed => {
                StatusCode::CONFLICT
            }
            ReviewRefusal::AppealWindowClosed(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, refusal.code(), refusal.to_string())
    }
}

impl From<VoucherRefusal> for Problem {
    fn from(refusal: VoucherRefusal) -> Self {
        if let VoucherRefusal::Engine(error) = refusal {
            return error.into();
        }
        let status = match &refusal {
            VoucherRefusal::UnknownOffer | VoucherRefusal::NotFound => StatusCode::NOT_FOUND,
            VoucherRefusal::Gone(_) => StatusCode::GONE,
            _ => StatusCode::CONFLICT,
        };
        let problem = Self::new(status, refusal.code(), refusal.to_string());
        match refusal {
            VoucherRefusal::InsufficientPoints { balance, price } => {
                problem.with("balance", balance).with("price", price)
            }
            VoucherRefusal::AlreadyRedeemed(voucher) => {
                let redeemed_at = voucher.voucher.redeemed_at.map(crate::trips::rfc3339).unwrap_or_default();
                Self::new(
                    status,
                    "ALREADY_REDEEMED",
                    format!("this voucher was redeemed at {} on {redeemed_at}", voucher.merchant_name),
                )
                .with("redeemed_at", redeemed_at)
                .with("redeemed_where", voucher.merchant_name)
            }
            _ => problem,
        }
    }
}

impl From<DonationRefusal> for Problem {
    fn from(refusal: DonationRefusal) -> Self {
        if let DonationRefusal::Engine(error) = refusal {
            return error.into();
        }
        let status = match &refusal {
            DonationRefusal::UnknownCause => StatusCode::NOT_FOUND,
            _ => StatusCode::CONFLICT,
        };
        let problem = Self::new(status, refusal.code(), refusal.to_string());
        match refusal {
            DonationRefusal::InsufficientPoints { balance } => problem.with("balance", balance),
            _ => problem,
        }
    }
}

impl From<smartville_engine::EngineError> for Problem {
    fn from(error: smartville_engine::EngineError) -> Self {
        match error {
            smartville_engine::EngineError::Store(store) => store.into(),
            other => Self::internal(&other),
        }
    }
}

impl From<IngestError> for Problem {
    fn from(error: IngestError) -> Self {
        match error {
            // A body that does not parse is a 400 on every route (as for `Json` bodies); a trace
            // that parses but breaks the input limits is a 422.
            IngestError::Trace(trace @ (TraceError::Json(_) | TraceError::Gpx(_))) => {
                Self::bad_request(trace.code(), trace.to_string())
            }
            IngestError::Trace(trace) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, trace.code(), trace.to_string()),
            IngestError::NotEnrolled => Self::new(StatusCode::CONFLICT, "NOT_ENROLLED", error.to_string()),
            IngestError::KeyReused => Self::new(StatusCode::CONFLICT, "IDEMPOTENCY_KEY_REUSED", error.to_string()),
            IngestError::Erased => Self::new(StatusCode::UNAUTHORIZED, "ERASED", error.to_string()),
            IngestError::Engine(engine) => engine.into(),
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(rejection) => rejection.into(),
            other => Self::bad_request("MALFORMED_JSON", other.body_text()),
        }
    }
}

impl From<QueryRejection> for Problem {
    /// A query string that does not read as the route's parameters.
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request("INVALID_QUERY", rejection.body_text())
    }
}

impl From<BytesRejection> for Problem {
    /// A body that could not be read: too large (413), or stalled by the
    /// client past the body time limit (408), or broken off (400).
    fn from(rejection: BytesRejection) -> Self {
        let BytesRejection::FailedToBufferBody(failure) = &rejection else {
            return Self::bad_request("UNREADABLE_BODY", rejection.body_text());
        };
        match failure {
            FailedToBufferBody::LengthLimitError(_) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", "the request body is too large")
            }
            FailedToBufferBody::UnknownBodyError(error) if caused_by::<TimeoutError>(error) => Self::new(
                StatusCode::REQUEST_TIMEOUT,
                "BODY_TIMEOUT",
                "the request body stopped arriving; send it again in one go",
            ),
            _ => Self::bad_request("UNREADABLE_BODY", "the request body could not be read"),
        }
    }
}

/// Whether `error` or anything in its chain of causes is an `E`.
fn caused_by<E: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| e.is::<E>())
}

/// Fallback for unknown routes.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such endpoint")
}

/// Fallback for known routes with the wrong method.
pub async fn method_not_allowed() -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "this endpoint does not support that method")
}
