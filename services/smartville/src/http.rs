//! The HTTP server: connections, their time limits, and the layers every
//! request passes through.
//!
//! `axum::serve` offers no header read timeout (hyper enforces one only when
//! given a timer), so a client that opens connections and never finishes its
//! headers held them open forever. This is the same accept loop with hyper's
//! HTTP/1 builder configured: headers must arrive within
//! [`HttpLimits::header_read_timeout`], and each request carries its peer
//! address (`ConnectInfo`) for the rate limits. Shutdown is graceful: the
//! listener closes, requests in flight finish.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use smartville_engine::Shutdown;
use smartville_mobile_api::problem::Problem;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

/// The time limits of a connection and a request.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Longest a request may take from its first byte to its answer (503 after).
    pub request_timeout: Duration,
    /// Longest a client may take to send its request headers (the connection is closed after).
    pub header_read_timeout: Duration,
    /// Longest a client may pause while sending a body (408 after).
    pub body_idle_timeout: Duration,
}

/// The header that carries a request's id, set when the client sent none and
/// returned in the answer, so a report from a phone can be found in the logs.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `router` wrapped in the layers every request passes through, outermost first:
/// a request id, the `Authorization` header hidden from logs, one log span per
/// request, metrics, the time limits, and problem+json for the bare error
/// answers of those layers.
pub fn with_layers(router: Router, limits: HttpLimits) -> Router {
    router
        .layer(RequestBodyTimeoutLayer::new(limits.body_idle_timeout))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.request_timeout))
        .layer(axum::middleware::map_response(problem_for_bare_errors))
        .layer(axum::middleware::from_fn(crate::ops::record_request))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = request.uri().path(), request_id = id)
        }))
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Layers outside the handlers (the request time limit) answer errors without a
/// body; clients are promised problem+json for every error.
async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let problem = match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            Problem::new(status, "TIMEOUT", "the request took too long; please retry").retry_after(1)
        }
        _ => {
            let reason = status.canonical_reason().unwrap_or("Error");
            Problem::new(status, reason.to_ascii_uppercase().replace([' ', '-'], "_"), reason)
        }
    };
    problem.into_response()
}

/// Serves `router` on `listener` until `shutdown`, then waits for the requests in flight.
pub async fn serve(listener: TcpListener, router: Router, limits: HttpLimits, shutdown: Shutdown) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let stop = shutdown.requested();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service = router.clone().map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
