//! Starts the real application in-process on port 0, on either backend pair.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses its own subset

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use smartville::component::Component;
use smartville::config::Config;
use smartville::http::HttpLimits;
use smartville::mqtt_bridge::MqttSettings;
use smartville::serve::Application;
use smartville_mobile_api::ApiSettings;
use smartville_mobile_api::limits::{LimitSettings, Rate};
use smartville_store::testing::TestDatabase;

/// The Redis used by tests.
pub fn redis_url() -> String {
    std::env::var("SMARTVILLE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The example ride of the walkthrough (GPX).
pub const EXAMPLE_RIDE: &str = include_str!("../../../../examples/ride.gpx");

/// Joins the demo class through the API at `base`; returns the answer's body.
pub async fn join_demo_class(client: &Client, base: &str) -> Value {
    join_demo_class_as(client, base, None).await
}

/// Joins the demo class with a nickname (or none); returns the answer's body.
pub async fn join_demo_class_as(client: &Client, base: &str, nickname: Option<&str>) -> Value {
    let body = json!({"join_code": "GEEL-5A", "nickname": nickname});
    let response = client.post(format!("{base}/v1/auth/join")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// Tries `count` wrong join codes at `base`; returns the statuses.
pub async fn guess_join_codes(client: &Client, base: &str, count: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::with_capacity(count);
    for guess in 0..count {
        let body = json!({"join_code": format!("GUESS-{guess}")});
        statuses.push(client.post(format!("{base}/v1/auth/join")).json(&body).send().await.unwrap().status());
    }
    statuses
}

/// Uploads the example ride to the API at `base` with an idempotency key, waiting up to `wait_s` for the decision.
pub async fn upload_example(client: &Client, base: &str, token: &str, key: &str, wait_s: u64) -> Response {
    client
        .post(format!("{base}/v1/trips?wait={wait_s}"))
        .bearer_auth(token)
        .header("content-type", "application/gpx+xml")
        .header("idempotency-key", key)
        .body(EXAMPLE_RIDE)
        .send()
        .await
        .unwrap()
}

/// A running application and what it runs on.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub app_engine: smartville_engine::Engine,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub database: TestDatabase,
    /// Holds the generated signing key.
    pub data_dir: std::path::PathBuf,
}

/// The upload limit of the test configuration.
pub const UPLOADS_PER_PARTICIPANT: Rate = Rate::new(120, Duration::from_secs(24 * 3600));

/// A configuration for tests: everything on loopback, a fresh data folder.
pub fn config(database_url: &str, redis_url: Option<String>) -> Config {
    let data_dir = std::env::temp_dir().join(format!("smartville-app-{}", uuid_like()));
    Config {
        files_dir: data_dir.join("files"),
        data_dir,
        database_url: database_url.to_owned(),
        redis_url,
        bus_namespace: format!("test-{}.", uuid_like()),
        bus_reclaim_idle: Duration::from_secs(2),
        listen: "127.0.0.1:0".parse().unwrap(),
        signing_key_pem: None,
        api: ApiSettings {
            max_body_bytes: 256 * 1024,
            // The default limits, but room for a test that retries one upload 100 times at once.
            limits: LimitSettings { uploads_per_participant: UPLOADS_PER_PARTICIPANT, ..LimitSettings::default() },
            ..ApiSettings::default()
        },
        http: HttpLimits {
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(5),
            body_idle_timeout: Duration::from_secs(3),
        },
        workers: 2,
        seed_demo: true,
        log_json: false,
        mqtt: MqttSettings {
            url: "mqtt://127.0.0.1:1883".into(),
            client_id: format!("smartville-test-{}", uuid_like()),
        },
    }
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    )
}

impl TestApp {
    /// Every component in one process on this database and bus.
    pub async fn start(database: TestDatabase, redis: bool) -> Self {
        let config = config(&database.url, redis.then(redis_url));
        Self::start_with(database, config, &Component::DEFAULT).await
    }

    /// Some components, with a custom configuration.
    pub async fn start_with(database: TestDatabase, config: Config, targets: &[Component]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = Application::build(&config, targets, listener).await.unwrap();
        let base = format!("http://{}", app.address().unwrap());
        let stop = app.stopper();
        let app_engine = app.engine.clone();
        let task = tokio::spawn(app.run_until_stopped());
        Self { base, client: Client::new(), app_engine, stop, task: Some(task), database, data_dir: config.data_dir }
    }

    /// Stops the application gracefully.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Joins the demo class; returns (participant id, access token, refresh token).
    pub async fn join(&self) -> (String, String, String) {
        let body = join_demo_class(&self.client, &self.base).await;
        (
            body["participant_id"].as_str().unwrap().to_owned(),
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Uploads the example GPX ride with an idempotency key, waiting up to 10 s.
    pub async fn upload_example(&self, token: &str, key: &str) -> Response {
        upload_example(&self.client, &self.base, token, key, 10).await
    }

    /// POSTs `body` as JSON without a token; returns the answer's body.
    pub async fn post_json(&self, path: &str, body: Value) -> Value {
        self.client.post(self.url(path)).json(&body).send().await.unwrap().json().await.unwrap()
    }

    pub async fn get_json(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The wallet's balance in Geelcoins.
    pub async fn balance(&self, token: &str) -> i64 {
        self.balance_in(token, "Geelcoins").await.unwrap_or(0)
    }

    /// What the participant's wallet holds of `coin`; `None` when they hold no wallet in it.
    pub async fn balance_in(&self, token: &str, coin: &str) -> Option<i64> {
        let (_, wallet) = self.get_json(token, "/v1/wallet").await;
        wallet["balances"].as_array().unwrap().iter().find(|b| b["coin"] == coin).map(|b| b["amount"].as_i64().unwrap())
    }
}

/// Asserts a problem+json client error and returns its code.
pub async fn client_error(response: Response) -> String {
    let status = response.status();
    assert!(status.is_client_error(), "expected a 4xx, got {status}");
    problem_code(response).await
}

/// Asserts a problem+json answer whose `status` matches the HTTP status, and returns its code.
pub async fn problem_code(response: Response) -> String {
    let status = response.status();
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"].as_u64().unwrap(), u64::from(status.as_u16()));
    body["code"].as_str().unwrap().to_owned()
}

// The staff of councils, as the administration API's tests need them.

/// A council admin of the demo town, invited the way `tenant create` invites one; their access token.
pub async fn demo_council_admin(app: &TestApp) -> String {
    let store = &app.app_engine.store;
    let class = smartville_store::schools::find_join_code(store, "GEEL-5A").await.unwrap().unwrap();
    let mut tx = store.begin().await.unwrap();
    let invitation = smartville_engine::staff::invite(
        &mut tx,
        &class.tenant_id,
        smartville_store::audit::Actor::System,
        "admin@geel.be",
        smartville_store::staff::StaffRole::CouncilAdmin,
        &smartville_store::staff::Workplace::Council,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.set_up(&invitation.setup_token).await["access_token"].as_str().unwrap().to_owned()
}

pub const PASSWORD: &str = "fietsen naar school";

/// A new council with its first admin, as `smartville tenant create` makes it; returns (tenant id, set-up token).
pub async fn new_council(app: &TestApp, name: &str, admin: &str) -> (String, String) {
    let (tenant, invitation) =
        smartville_engine::staff::create_tenant(&app.app_engine.store, name, "Testcoins", admin).await.unwrap();
    (tenant.id.to_string(), invitation.setup_token)
}

impl TestApp {
    pub async fn post(&self, token: Option<&str>, path: &str, body: Value) -> Response {
        let request = self.client.post(self.url(path)).json(&body);
        let request = if let Some(token) = token { request.bearer_auth(token) } else { request };
        request.send().await.unwrap()
    }

    /// Sets the password with a set-up token; returns the session.
    pub async fn set_up(&self, token: &str) -> Value {
        let response = self.post(None, "/v1/admin/auth/setup", json!({"token": token, "password": PASSWORD})).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Invites a staff member, sets their password; returns their access token.
    pub async fn staff_member(&self, admin: &str, email: &str, role: &str, school: Option<&str>) -> String {
        let invited =
            self.post(Some(admin), "/v1/admin/staff", json!({"email": email, "role": role, "school_id": school})).await;
        assert_eq!(invited.status(), StatusCode::CREATED);
        let invitation: Value = invited.json().await.unwrap();
        let session = self.set_up(invitation["setup_token"].as_str().unwrap()).await;
        session["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn school(&self, tenant: &str, name: &str) -> smartville_store::ids::SchoolId {
        let mut tx = self.app_engine.store.begin().await.unwrap();
        let school = smartville_store::schools::create_school(&mut tx, &tenant.into(), name, None).await.unwrap().id;
        tx.commit().await.unwrap();
        school
    }
}

/// Polls a trip until it is decided and, when accepted, credited.
pub async fn wait_settled(app: &TestApp, token: &str, trip_id: &str) -> Value {
    for _ in 0..200 {
        let (_, trip) = app.get_json(token, &format!("/v1/trips/{trip_id}")).await;
        if trip["status"] != "pending" && (trip["status"] != "accepted" || trip["credited_at"].is_string()) {
            return trip;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("trip {trip_id} was not settled in time");
}

/// A bike ride home to school from `start` (`seed` varies the noise), as GPX, whose phone saw
/// a vehicle for `vehicle_share` of it: a quarter or more goes to review, most of it is rejected.
pub fn ride_seen_in_a_vehicle(start: chrono::DateTime<chrono::Utc>, seed: u64, vehicle_share: f64) -> String {
    use smartville_scoring::{Activity, RawActivity};
    use smartville_simulator::{Profile, Simulator, demo};
    let mut ride = Simulator::new(seed).ride(&demo::home_to_school(), start, &Profile::bike());
    if vehicle_share > 0.0 {
        let (first, last) = (ride.fixes[0].t_ms.unwrap(), ride.fixes[ride.fixes.len() - 1].t_ms.unwrap());
        let switch = first + ((last - first) as f64 * vehicle_share) as i64;
        ride.activities = vec![
            RawActivity { t_ms: Some(first), activity: Activity::InVehicle, confidence: 90 },
            RawActivity { t_ms: Some(switch), activity: Activity::OnBicycle, confidence: 90 },
        ];
    }
    smartville_simulator::to_gpx(&ride)
}

impl TestApp {
    /// Uploads a GPX ride and waits for it to settle: the trip, or the refusal's code.
    pub async fn upload_gpx(&self, token: &str, key: &str, gpx: String) -> Result<Value, String> {
        let response = self
            .client
            .post(self.url("/v1/trips"))
            .bearer_auth(token)
            .header("content-type", "application/gpx+xml")
            .header("idempotency-key", key)
            .body(gpx)
            .send()
            .await
            .unwrap();
        if response.status().is_client_error() {
            return Err(client_error(response).await);
        }
        let trip: Value = response.json().await.unwrap();
        Ok(wait_settled(self, token, trip["trip_id"].as_str().unwrap()).await)
    }

    /// PUTs `body` with a token.
    pub async fn put(&self, token: &str, path: &str, body: Value) -> Response {
        self.client.put(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }
}

/// Runs each listed `async fn(TestApp)` on SQLite with the in-process bus
/// and on PostgreSQL with Redis Streams.
#[macro_export]
macro_rules! on_both_stacks {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::common::TestApp::start(smartville_store::testing::TestDatabase::sqlite(), false).await;
                super::$name(&app).await;
                app.stop().await;
            })*
        }
        mod postgres_redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::common::TestApp::start(smartville_store::testing::TestDatabase::postgres().await, true).await;
                super::$name(&app).await;
                app.stop().await;
            })*
        }
    };
}

/// A JPEG photo with a comment segment, as an editor or a phone may leave in one.
pub fn photo_with_a_comment(comment: &[u8]) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 120]));
    let mut plain = Vec::new();
    pixels.write_to(&mut std::io::Cursor::new(&mut plain), image::ImageFormat::Jpeg).unwrap();
    let length = u16::try_from(comment.len() + 2).unwrap().to_be_bytes();
    let mut photo = plain[..2].to_vec();
    photo.extend_from_slice(&[0xff, 0xfe, length[0], length[1]]);
    photo.extend_from_slice(comment);
    photo.extend_from_slice(&plain[2..]);
    photo
}

pub mod browser;
pub mod link;
pub mod shops;
