//! Outages of PostgreSQL and Redis, made by cutting the engine's link to them
//! (see `common::link`): the engine says at once what is down, refuses
//! uploads with a 503 it can be retried after, and answers waiting uploads as
//! soon as their decision is made once the database is back.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use common::link::Link;
use reqwest::StatusCode;
use serde_json::Value;
use smartville::component::Component;
use smartville_bus::{Bus, BusConfig};
use smartville_engine::{Engine, TripEvent, ledger, scoring};
use smartville_store::Store;
use smartville_store::ids::{TenantId, TripId};
use smartville_store::testing::TestDatabase;

/// How long a dependency stays down in these tests (the chaos run's PostgreSQL stop).
const OUTAGE: Duration = Duration::from_secs(5);

/// `/readyz` as (status, body, how long it took).
async fn readyz(app: &TestApp) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap(), started.elapsed())
}

/// Polls `/readyz` until it answers 200 (after a dependency came back).
async fn until_ready(app: &TestApp) {
    for _ in 0..100 {
        if readyz(app).await.0 == StatusCode::OK {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the engine did not become ready again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_names_the_dependency_that_is_down_within_a_second() {
    let database = TestDatabase::postgres().await;
    let (mut postgres, database_url) = Link::in_front_of(&database.url).await;
    let (mut redis, redis_url) = Link::in_front_of(&common::redis_url()).await;
    let config = common::config(&database_url, Some(redis_url));
    let app = TestApp::start_with(database, config, &Component::DEFAULT).await;
    assert_eq!(readyz(&app).await.0, StatusCode::OK);

    for (link, name) in [(&mut postgres, "store"), (&mut redis, "bus")] {
        link.cut();
        let (status, body, took) = readyz(&app).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["down"], serde_json::json!([name]), "{body}");
        assert!(took < Duration::from_secs(1), "/readyz took {took:?} with the {name} down");
        link.restore().await;
        until_ready(&app).await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_database_outage_waiting_uploads_are_answered_at_once_in_process() {
    waiting_uploads_survive_a_database_outage(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_database_outage_waiting_uploads_are_answered_at_once_redis() {
    waiting_uploads_survive_a_database_outage(true).await;
}

/// The API and relay run behind a cuttable database link; the test decides
/// and credits the trips itself (as the scoring and ledger processes would)
/// right after the outage, and measures how long the waiting uploads take to
/// hear of it.
async fn waiting_uploads_survive_a_database_outage(redis: bool) {
    let database = TestDatabase::postgres().await;
    let direct = Store::connect(&database.url).await.unwrap();
    let (mut postgres, database_url) = Link::in_front_of(&database.url).await;
    let config = common::config(&database_url, redis.then(common::redis_url));
    let app = TestApp::start_with(database, config, &[Component::MobileApi, Component::Relay]).await;
    let (participant, token, _) = app.join().await;
    let upload = |key: &'static str| {
        let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
        tokio::spawn(async move { common::upload_example(&client, &base, &token, key, 10).await })
    };

    let pending = || async {
        let pending: Vec<(TenantId, TripId)> = sqlx::query_as(
            "select tenant_id, id from trips where participant_id = $1 and status = 'pending' order by id",
        )
        .bind(&participant)
        .fetch_all(direct.pool_for_tests())
        .await
        .unwrap();
        pending
    };
    let stored = |count: usize| async move {
        for _ in 0..500 {
            let trips = pending().await;
            if trips.len() == count {
                return trips;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the upload was not stored");
    };

    // An upload waits for its decision when the database goes away.
    let before = upload("before-the-outage");
    stored(1).await;
    postgres.cut();
    let cut_at = Instant::now();
    // Uploads during the outage get a 503 problem to retry after, not a reset or a 500.
    let during = common::upload_example(&app.client, &app.base, &token, "during-the-outage", 0).await;
    assert_eq!(during.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(during.headers().get("retry-after").is_some(), "{:?}", during.headers());
    assert_eq!(common::problem_code(during).await, "UNAVAILABLE");
    tokio::time::sleep(OUTAGE.saturating_sub(cut_at.elapsed())).await;
    postgres.restore().await;
    let after = upload("after-the-outage");

    // Decide and credit both as soon as the second one is stored.
    let pending = stored(2).await;
    let engine = Engine::new(direct, Bus::connect(None, BusConfig::default()).await.unwrap(), "recovery-test.");
    let event =
        TripEvent { tenant_id: pending[0].0.clone(), trip_ids: pending.into_iter().map(|(_, id)| id).collect() };
    scoring::decide(&engine, &event).await.unwrap();
    ledger::credit(&engine, &event).await.unwrap();
    let settled_at = Instant::now();

    // The first is accepted; the second, the same ride again, is not. Both are settled.
    for (waiting, status) in [(before, "accepted"), (after, "rejected")] {
        let response = waiting.await.unwrap();
        let heard = settled_at.elapsed();
        assert_eq!(response.status(), StatusCode::OK, "answered with the decision");
        let trip: Value = response.json().await.unwrap();
        assert_eq!(trip["status"], status, "{trip}");
        assert!(heard < Duration::from_secs(1), "answered {heard:?} after the decision");
    }
    app.stop().await;
}

/// A Redis server of the test's own, on a free port, restarted the way a
/// crash or an operator restarts it: without persistence, so what it held is gone.
struct OwnRedis {
    port: u16,
    server: std::process::Child,
}

impl OwnRedis {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Self::spawn(port).await;
        Self { port, server }
    }

    async fn spawn(port: u16) -> std::process::Child {
        let mut server = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
        for _ in 0..100 {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = server.kill();
        let _ = server.wait();
        panic!("redis-server did not start on port {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn restart(&mut self) {
        self.server.kill().unwrap();
        self.server.wait().unwrap();
        self.server = Self::spawn(self.port).await;
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Redis restarted without persistence forgets the events it held. Within a
/// second of the restart the relay publishes the events of every waiting
/// trip again, not a minute later with the sweep of stale trips.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_lost_with_a_redis_restart_are_published_again_at_once() {
    let mut redis = OwnRedis::start().await;
    let database = TestDatabase::postgres().await;
    let config = common::config(&database.url, Some(redis.url()));
    let stream = smartville_bus::stream_key(&format!("{}trips.submitted", config.bus_namespace));
    // No scoring: the trip's event stays in the stream.
    let app = TestApp::start_with(database, config, &[Component::MobileApi, Component::Relay]).await;
    let (_, token, _) = app.join().await;
    let response = common::upload_example(&app.client, &app.base, &token, "before-the-restart", 0).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let trip = response.json::<Value>().await.unwrap()["trip_id"].as_str().unwrap().to_owned();
    // Whether an event in the stream lists the trip, within `within`.
    let url = redis.url();
    let announced = async |within: Duration| {
        let client = redis::Client::open(url.as_str()).unwrap();
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                let entries: Vec<(String, Vec<(String, String)>)> =
                    redis::cmd("XRANGE").arg(&stream).arg("-").arg("+").query_async(&mut conn).await.unwrap();
                let mut payloads = entries.into_iter().flat_map(|(_, fields)| fields).map(|(_, payload)| payload);
                if payloads.any(|payload| {
                    serde_json::from_str::<TripEvent>(&payload).unwrap().trip_ids.contains(&trip.as_str().into())
                }) {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    assert!(announced(Duration::from_secs(5)).await, "the trip's event was published");

    redis.restart().await;
    assert!(announced(Duration::from_secs(5)).await, "the lost event was published again within 5 s of the restart");
    app.stop().await;
}
