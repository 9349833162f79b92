//! The engine as separate operating-system processes: components in three
//! processes on PostgreSQL and Redis, and processes killed with SIGKILL while
//! trips are pending, on both stacks.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use smartville_simulator::{Profile, Simulator, demo, to_gpx};
use smartville_store::testing::TestDatabase;
use smartville_store::{Store, ledger};

/// One `smartville serve` process.
struct Process {
    child: Child,
    base: String,
}

/// What every process of one deployment shares.
struct Deployment {
    database: TestDatabase,
    redis: Option<String>,
    namespace: String,
    data_dir: std::path::PathBuf,
}

impl Deployment {
    fn new(database: TestDatabase, redis: bool) -> Self {
        let unique = format!("{}-{}", std::process::id(), smartville_store::new_id());
        Self {
            database,
            redis: redis.then(common::redis_url),
            namespace: format!("proc-{unique}."),
            data_dir: std::env::temp_dir().join(format!("smartville-proc-{unique}")),
        }
    }

    /// Starts `smartville serve --target <targets>` and waits until it is ready.
    async fn start(&self, targets: &str) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_smartville"));
        command
            .args(["serve", "--target", targets])
            .env("DATABASE_URL", &self.database.url)
            .env("SMARTVILLE_LISTEN", format!("127.0.0.1:{port}"))
            .env("SMARTVILLE_DATA_DIR", &self.data_dir)
            .env("SMARTVILLE_BUS_NAMESPACE", &self.namespace)
            .env("SMARTVILLE_BUS_RECLAIM_IDLE_MS", "1500")
            .env("SMARTVILLE_LOG_FORMAT", "json")
            // Everything the engine logs, requests included: the privacy test reads it all.
            .env(
                "RUST_LOG",
                "info,smartville=debug,smartville_engine=debug,smartville_mobile_api=debug,tower_http=debug",
            )
            .stdout(Stdio::null())
            .stderr(self.log_file(targets));
        match &self.redis {
            Some(url) => command.env("REDIS_URL", url),
            None => command.env_remove("REDIS_URL"),
        };
        let child = command.spawn().unwrap();
        let process = Process { child, base: format!("http://127.0.0.1:{port}") };
        for _ in 0..300 {
            if let Ok(response) = Client::new().get(format!("{}/readyz", process.base)).send().await
                && response.status() == StatusCode::OK
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("smartville serve --target {targets} did not become ready");
    }

    /// Where the process running `targets` writes its log.
    fn log_file(&self, targets: &str) -> std::fs::File {
        std::fs::create_dir_all(&self.data_dir).unwrap();
        let path = self.data_dir.join(format!("{}.log", targets.replace(',', "+")));
        std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap()
    }

    /// The log of each of the deployment's processes, by file name.
    fn logs(&self) -> Vec<(String, String)> {
        let mut logs = Vec::new();
        for entry in std::fs::read_dir(&self.data_dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "log") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                logs.push((name, std::fs::read_to_string(path).unwrap()));
            }
        }
        logs
    }

    async fn store(&self) -> Store {
        Store::connect(&self.database.url).await.unwrap()
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Process {
    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    /// SIGTERM, and the process must exit cleanly after finishing what it was doing.
    fn stop(mut self) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful shutdown ends with success, not {status}");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn join(client: &Client, api: &str) -> String {
    common::join_demo_class(client, api).await["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_passes_with_components_in_three_processes() {
    let deployment = Deployment::new(TestDatabase::postgres().await, true);
    let api = deployment.start("mobile-api,relay").await;
    let scoring = deployment.start("scoring").await;
    let ledger_process = deployment.start("ledger").await;
    let client = Client::new();
    let nickname = "Zorro-the-cyclist";
    let joined = common::join_demo_class_as(&client, &api.base, Some(nickname)).await;
    let token = joined["access_token"].as_str().unwrap().to_owned();
    let refresh = joined["refresh_token"].as_str().unwrap();
    let response = common::upload_example(&client, &api.base, &token, "ride-1", 10).await;
    assert_eq!(response.status(), StatusCode::OK);
    let trip: Value = response.json().await.unwrap();
    assert_eq!(trip["status"], "accepted", "{trip:#}");
    let wallet: Value =
        client.get(format!("{}/v1/wallet", api.base)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(wallet["balances"][0]["amount"], trip["points"]);
    // The worker processes serve their own readiness, naming their component.
    let ready: Value = client.get(format!("{}/readyz", scoring.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["components"], json!(["scoring"]));
    for process in [api, scoring, ledger_process] {
        process.stop();
    }
    // No personal data in the logs of a full run: no token, no nickname, no position of the ride.
    let logs = deployment.logs();
    assert_eq!(logs.len(), 3);
    let (secret, first_fix) = (refresh.rsplit('.').next().unwrap(), "51.1449781");
    for (process, log) in &logs {
        // One trip can be followed through every process by its id (no personal data)...
        assert!(log.contains(trip["trip_id"].as_str().unwrap()), "{process} does not name the trip");
        // ... and nothing personal is in any of them.
        for personal in [token.as_str(), secret, nickname, first_fix] {
            assert!(!log.contains(personal), "{personal:?} is in the log of {process}");
        }
    }
}

/// Uploads one honest ride per new participant, all at once, and returns the
/// (token, trip id) of every upload the engine acknowledged. Each seed is
/// another ride: reusing one would be caught as a copy. When `kill_after` is
/// given, `process` is killed (SIGKILL) as soon as that many uploads were
/// acknowledged, while the others are still in flight.
async fn upload_rides(
    client: &Client,
    api: &str,
    seeds: std::ops::Range<u64>,
    kill_after: Option<(usize, Process)>,
) -> Vec<(String, String)> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-24T07:45:00+01:00").unwrap().to_utc();
    let acknowledged = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let mut uploads = Vec::new();
    for seed in seeds {
        let (client, api, acknowledged) = (client.clone(), api.to_owned(), acknowledged.clone());
        uploads.push(tokio::spawn(async move {
            let token = join(&client, &api).await;
            let ride = Simulator::new(1_000 + seed).ride(&demo::home_to_school(), start, &Profile::bike());
            let response = client
                .post(format!("{api}/v1/trips"))
                .bearer_auth(&token)
                .header("content-type", "application/gpx+xml")
                .header("idempotency-key", format!("ride-{seed}"))
                .body(to_gpx(&ride))
                .send()
                .await
                .ok()?;
            assert!(response.status().is_success(), "{}", response.status());
            let body: Value = response.json().await.ok()?;
            acknowledged.add_permits(1);
            Some((token, body["trip_id"].as_str()?.to_owned()))
        }));
    }
    if let Some((count, process)) = kill_after {
        let _ = acknowledged.acquire_many(u32::try_from(count).unwrap()).await.unwrap();
        process.kill();
    }
    let mut trips = Vec::new();
    for upload in uploads {
        // A join or upload cut off by the kill was never acknowledged: nothing was promised.
        if let Ok(Some(trip)) = upload.await {
            trips.push(trip);
        }
    }
    trips
}

/// Waits until every trip is decided and credited, then checks each wallet
/// holds exactly its trip's points and the ledger balances.
async fn assert_all_credited_once(client: &Client, api: &str, trips: &[(String, String)], store: &Store) {
    for (token, trip_id) in trips {
        let mut settled = None;
        for _ in 0..600 {
            let trip: Value = client
                .get(format!("{api}/v1/trips/{trip_id}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if trip["status"] == "accepted" && trip["credited_at"].is_string() {
                settled = Some(trip);
                break;
            }
            assert_ne!(trip["status"], "rejected", "{trip:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let trip = settled.unwrap_or_else(|| panic!("trip {trip_id} was not credited in time"));
        let wallet: Value =
            client.get(format!("{api}/v1/wallet")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        assert_eq!(wallet["balances"][0]["amount"], trip["points"], "credited exactly once");
        assert_eq!(wallet["transfers"].as_array().unwrap().len(), 1);
    }
    let tenant = smartville_store::tenancy::tenants(store).await.unwrap().remove(0);
    assert_eq!(ledger::balance_sum(store, &tenant.id).await.unwrap(), 0);
}

/// Trips not yet decided, or accepted and not yet credited.
async fn pending_trips(store: &Store) -> usize {
    let cutoff = smartville_store::now_ms() + 1;
    smartville_store::trips::stuck(store, cutoff, 1_000).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_scoring_process_loses_nothing_on_postgres_and_redis() {
    let deployment = Deployment::new(TestDatabase::postgres().await, true);
    let api = deployment.start("mobile-api,relay,ledger").await;
    let scoring = deployment.start("scoring").await;
    let client = Client::new();
    let trips = upload_rides(&client, &api.base, 0..30, Some((15, scoring))).await;
    assert_eq!(trips.len(), 30, "the API process was not killed: every upload is acknowledged");
    let more = upload_rides(&client, &api.base, 30..40, None).await;
    let store = deployment.store().await;
    assert!(pending_trips(&store).await >= more.len(), "trips uploaded while scoring is down wait for it");
    let scoring = deployment.start("scoring").await;
    assert_all_credited_once(&client, &api.base, &[trips, more].concat(), &store).await;
    scoring.stop();
    api.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_embedded_engine_loses_nothing_on_sqlite() {
    let deployment = Deployment::new(TestDatabase::sqlite(), false);
    let engine = deployment.start("all").await;
    let client = Client::new();
    let base = engine.base.clone();
    let trips = upload_rides(&client, &base, 0..60, Some((20, engine))).await;
    assert!(trips.len() >= 20);
    let store = deployment.store().await;
    eprintln!(
        "{} of {} acknowledged trips were still pending or uncredited after the kill",
        pending_trips(&store).await,
        trips.len()
    );
    let engine = deployment.start("all").await;
    assert_all_credited_once(&client, &engine.base, &trips, &store).await;
    engine.stop();
}
