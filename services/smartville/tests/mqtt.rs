//! The MQTT bridge with the Mosquitto broker of this machine, on both
//! stacks: a batch published with a source's key is stored (the bad item
//! refused by index, the answer on the publisher's response topic), what
//! carries no key of the topic's tenant is stored nowhere, and readings are
//! stored exactly once when the bridge process is killed between receiving
//! a batch and acknowledging it, and again while batches keep coming.
//! The batches are published with `mosquitto_pub`, as the README does.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{TestApp, demo_council_admin};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(batches_published_to_the_broker_are_stored_once_through_kills);

/// The bridge as its own process, on the test's database, with a fixed session.
struct Bridge {
    child: Child,
}

impl Bridge {
    fn start(app: &TestApp, client_id: &str) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_smartville"));
        command
            .args(["serve", "--target", "mqtt-bridge"])
            .env("DATABASE_URL", &app.database.url)
            .env("SMARTVILLE_DATA_DIR", app.data_dir.join("bridge"))
            .env("SMARTVILLE_LISTEN", "127.0.0.1:0")
            .env("SMARTVILLE_MQTT_CLIENT_ID", client_id)
            .env("SMARTVILLE_SEED_DEMO", "false")
            .env("SMARTVILLE_LOG_FORMAT", "text")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if app.database.url.starts_with("postgres") {
            command.env("REDIS_URL", common::redis_url());
        }
        Self { child: command.spawn().unwrap() }
    }

    /// SIGKILL: no goodbye to the broker, nothing acknowledged that was not yet.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Publishes `readings` as one batch to the tenant's topic with QoS 1, signed with `key`.
fn publish(tenant: &str, key: &str, readings: &Value, response_topic: Option<&str>) {
    let topic = format!("smartville/{tenant}/readings");
    let authorization = format!("Bearer {key}");
    let mut args = vec!["-V", "mqttv5", "-q", "1", "-t", &topic, "-D", "publish", "user-property", "authorization"];
    args.push(&authorization);
    if let Some(response) = response_topic {
        args.extend(["-D", "publish", "response-topic", response]);
    }
    let payload = json!({ "readings": readings }).to_string();
    args.extend(["-m", &payload]);
    let published = Command::new("mosquitto_pub").args(&args).output().unwrap();
    assert!(published.status.success(), "{}", String::from_utf8_lossy(&published.stderr));
}

/// Waits for the next message on `topic` (subscribed before the publication it answers).
fn answer_on(topic: &str) -> Child {
    Command::new("mosquitto_sub")
        .args(["-V", "mqttv5", "-q", "1", "-t", topic, "-C", "1", "-W", "30"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn answer(subscriber: Child) -> Value {
    let output = subscriber.wait_with_output().unwrap();
    serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
}

fn weighing(id: &str, household: &str) -> Value {
    json!({"id": id, "household_ref": household, "kind": "waste", "fraction": "residual",
           "observed_at": "2026-11-30T07:41:00Z", "value": 12.4, "unit": "kg"})
}

/// A connection of the test's own to the engine's database.
async fn database(app: &TestApp) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::AnyConnection::connect(&app.database.url).await.unwrap()
}

/// How many readings are stored.
async fn stored(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("select count(*) from readings").fetch_one(&mut database(app).await).await.unwrap()
}

async fn until_stored(app: &TestApp, expected: i64) {
    for _ in 0..300 {
        if stored(app).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} readings stored, not {expected}", stored(app).await);
}

async fn batches_published_to_the_broker_are_stored_once_through_kills(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let source = app.post(Some(&admin), "/v1/admin/sources", json!({"name": "LoRa gateway", "kinds": ["waste"]})).await;
    let key = source.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_owned();
    let households = json!({"households": [{"reference": "HH-1"}, {"reference": "HH-2"}]});
    assert_eq!(app.post(Some(&admin), "/v1/admin/households", households).await.status(), StatusCode::OK);
    let (_, me) = app.get_json(&key, "/v1/devices/me").await;
    let topic = me["mqtt_topic"].as_str().unwrap();
    let tenant = topic.trim_start_matches("smartville/").trim_end_matches("/readings").to_owned();
    let client_id = format!("smartville-test-bridge-{}", uuid_like());
    let answers = format!("test/{client_id}/answers");

    // A first batch: the good readings stored, the bad one refused by index, told on the response topic.
    let bridge = Bridge::start(app, &client_id);
    let first = json!([weighing("m-1", "HH-1"), weighing("m-2", "HH-2"), weighing("m-3", "NOBODY")]);
    let mut told = Value::Null;
    for _ in 0..50 {
        // Until the bridge has subscribed, a publication reaches nobody: publish again (ids make it harmless).
        let subscriber = answer_on(&answers);
        tokio::time::sleep(Duration::from_millis(200)).await;
        publish(&tenant, &key, &first, Some(&answers));
        let mut subscriber = subscriber;
        for _ in 0..20 {
            if subscriber.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if subscriber.try_wait().unwrap().is_some() {
            told = answer(subscriber);
            break;
        }
        subscriber.kill().unwrap();
        subscriber.wait().unwrap();
    }
    assert_eq!(
        (told["received"].as_i64(), told["errors"][0]["code"].as_str()),
        (Some(3), Some("UNKNOWN_HOUSEHOLD")),
        "{told}"
    );
    assert_eq!(stored(app).await, 2);

    // A key on another council's topic, or no key: nothing is stored (and a topic of a council this
    // engine does not have gets no answer: engines may share a broker).
    publish("another-tenant", &key, &json!([weighing("x-1", "HH-1")]), Some(&answers));
    let subscriber = answer_on(&answers);
    tokio::time::sleep(Duration::from_millis(200)).await;
    publish(&tenant, "svk_not_a_key", &json!([weighing("x-2", "HH-1")]), Some(&answers));
    assert_eq!(answer(subscriber)["code"], "UNAUTHORIZED");
    assert_eq!(stored(app).await, 2);

    // Killed between receiving and acknowledging: the database holds the bridge up, the process is
    // killed, and the broker hands the batch to the bridge's next life.
    let mut blocker = database(app).await;
    let postgres = app.database.url.starts_with("postgres");
    let hold = if postgres { "begin; lock table readings in share mode" } else { "begin immediate" };
    for statement in hold.split("; ") {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut blocker).await.unwrap();
    }
    publish(&tenant, &key, &json!([weighing("k-1", "HH-1"), weighing("k-2", "HH-2")]), None);
    tokio::time::sleep(Duration::from_millis(1500)).await; // received, waiting on the database
    bridge.kill();
    sqlx::query("rollback").execute(&mut blocker).await.unwrap();
    drop(blocker);
    assert_eq!(stored(app).await, 2, "the killed bridge stored nothing of it");
    let bridge = Bridge::start(app, &client_id);
    until_stored(app, 4).await;

    // Batches keep coming while the bridge is killed and started again: each reading once.
    for round in 0..20 {
        let batch: Vec<Value> = (0..25).map(|i| weighing(&format!("r-{round}-{i}"), "HH-1")).collect();
        publish(&tenant, &key, &Value::from(batch), None);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    bridge.kill();
    for round in 0..10 {
        let batch: Vec<Value> = (0..25).map(|i| weighing(&format!("s-{round}-{i}"), "HH-2")).collect();
        publish(&tenant, &key, &Value::from(batch), None);
    }
    let bridge = Bridge::start(app, &client_id);
    until_stored(app, 4 + 30 * 25).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stored(app).await, 4 + 30 * 25, "nothing stored twice, nothing more");
    bridge.kill();
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{}-{nanos}", std::process::id())
}
