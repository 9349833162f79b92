//! Operations endpoints every process serves: `/healthz`, `/readyz`, `/metrics`,
//! and the request metrics every route goes through.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use smartville_engine::{Engine, scoring};

use crate::component::Component;

/// The process-wide Prometheus recorder (installed once, shared by every app in the process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only when another recorder is installed; the handle still renders ours.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// What `/readyz` checks.
#[derive(Clone)]
pub struct Readiness {
    /// The engine's connections.
    pub engine: Engine,
    /// The components this process runs.
    pub components: Vec<Component>,
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for each dependency. A load balancer polls it to
/// take a process out of rotation: a dependency that does not answer within
/// this time is as good as down, and the probe must not hang on it (a
/// PostgreSQL or Redis outage made it hang for 7 to 10 s).
const READINESS_TIMEOUT: Duration = Duration::from_millis(800);

/// Readiness: the database and the bus answer (checked together, each within
/// [`READINESS_TIMEOUT`]); 503 names the dependency that does not. Lists this
/// process's components.
pub async fn readyz(State(readiness): State<Readiness>) -> Response {
    let checked = |result: Option<Result<(), String>>| match result {
        Some(Ok(())) => Ok(()),
        Some(Err(error)) => Err(error),
        None => Err(format!("no answer within {} ms", READINESS_TIMEOUT.as_millis())),
    };
    let (store, bus) = tokio::join!(
        tokio::time::timeout(READINESS_TIMEOUT, readiness.engine.store.ping()),
        tokio::time::timeout(READINESS_TIMEOUT, readiness.engine.bus.ping()),
    );
    let store = checked(store.ok().map(|r| r.map_err(|e| e.to_string())));
    let bus = checked(bus.ok().map(|r| r.map_err(|e| e.to_string())));
    let down: Vec<&str> = [("store", &store), ("bus", &bus)]
        .into_iter()
        .filter_map(|(name, result)| result.is_err().then_some(name))
        .collect();
    let body = json!({
        "status": if down.is_empty() { "ready" } else { "not ready" },
        "down": down,
        "store": store.map_or_else(|e| e, |()| "ok".into()),
        "bus": bus.map_or_else(|e| e, |()| "ok".into()),
        "components": readiness.components.iter().map(|c| c.name()).collect::<Vec<_>>(),
    });
    (if down.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body)).into_response()
}

/// Prometheus text exposition.
pub async fn metrics() -> String {
    metrics_handle().render()
}

/// Counts and times every request by route and status.
pub async fn record_request(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("smartville_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("smartville_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Samples the outbox depth and the bus lag every few seconds.
pub async fn sample_backlogs(engine: Engine, shutdown: smartville_engine::Shutdown) {
    while !shutdown.is_requested() {
        if let Ok(depth) = smartville_store::outbox::depth(&engine.store).await {
            metrics::gauge!("smartville_outbox_depth").set(depth as f64);
        }
        let topics =
            [(&engine.topics.submitted, scoring::GROUP), (&engine.topics.decided, smartville_engine::ledger::GROUP)];
        for (topic, group) in topics {
            if let Ok(lag) = engine.bus.lag(topic, group).await {
                metrics::gauge!("smartville_bus_lag", "topic" => topic.clone(), "group" => group).set(lag as f64);
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
            () = shutdown.clone().requested() => {}
        }
    }
}
