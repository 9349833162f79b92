//! The mobile API end to end, on SQLite with the in-process bus and on
//! PostgreSQL with Redis Streams: the same scenarios on both stacks.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, client_error, wait_settled};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(
    the_walkthrough_credits_points,
    the_same_trip_posted_100_times_concurrently_is_credited_once,
    a_reused_idempotency_key_with_another_body_is_a_conflict,
    bad_uploads_are_4xx_problems_and_change_nothing,
    bad_tokens_are_refused,
    another_participants_trip_is_not_found,
    refresh_tokens_rotate,
    a_car_ride_is_rejected_and_pays_nothing,
    a_ride_the_phone_saw_in_a_vehicle_is_rejected,
    trips_are_listed_with_a_cursor,
);

async fn the_walkthrough_credits_points(app: &TestApp) {
    let (_, token, _) = app.join().await;
    let response = app.upload_example(&token, "ride-1").await;
    assert_eq!(response.status(), StatusCode::OK);
    let trip: Value = response.json().await.unwrap();
    assert_eq!(trip["status"], "accepted", "{trip:#}");
    let points = trip["points"].as_i64().unwrap();
    assert!(points > 0);
    assert!(trip["credited_at"].is_string());
    let (status, again) = app.get_json(&token, &format!("/v1/trips/{}", trip["trip_id"].as_str().unwrap())).await;
    assert_eq!((status, &again["trip_id"]), (StatusCode::OK, &trip["trip_id"]));
    let (_, wallet) = app.get_json(&token, "/v1/wallet").await;
    assert_eq!(wallet["balances"], json!([{"coin": "Geelcoins", "amount": points}]));
    assert_eq!(wallet["transfers"][0]["reference"], trip["trip_id"]);
    // The OpenAPI document and the operations endpoints are served too.
    let openapi: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(openapi["paths"]["/v1/trips"]["post"].is_object());
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::OK);
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("smartville_decisions_total"), "{metrics}");
}

async fn the_same_trip_posted_100_times_concurrently_is_credited_once(app: &TestApp) {
    let (_, token, _) = app.join().await;
    let uploads: Vec<_> = (0..100)
        .map(|_| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
            tokio::spawn(async move {
                let response = common::upload_example(&client, &base, &token, "same-ride", 0).await;
                assert!(
                    response.status() == StatusCode::OK || response.status() == StatusCode::ACCEPTED,
                    "{}",
                    response.status()
                );
                let body: Value = response.json().await.unwrap();
                body["trip_id"].as_str().unwrap().to_owned()
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for upload in uploads {
        ids.insert(upload.await.unwrap());
    }
    assert_eq!(ids.len(), 1, "every retry returns the same trip");
    let trip = wait_settled(app, &token, ids.iter().next().unwrap()).await;
    assert_eq!(trip["status"], "accepted");
    assert_eq!(app.balance(&token).await, trip["points"].as_i64().unwrap());
    let (_, wallet) = app.get_json(&token, "/v1/wallet").await;
    assert_eq!(wallet["transfers"].as_array().unwrap().len(), 1);
}

async fn a_reused_idempotency_key_with_another_body_is_a_conflict(app: &TestApp) {
    let (_, token, _) = app.join().await;
    assert_eq!(app.upload_example(&token, "k").await.status(), StatusCode::OK);
    let other = json!({"points": [
        {"t": "2026-11-24T07:00:00Z", "lat": 51.15, "lon": 4.97},
        {"t": "2026-11-24T07:00:01Z", "lat": 51.1501, "lon": 4.9701}
    ]});
    let response = app
        .client
        .post(app.url("/v1/trips"))
        .bearer_auth(&token)
        .header("idempotency-key", "k")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(client_error(response).await, "IDEMPOTENCY_KEY_REUSED");
}

async fn bad_uploads_are_4xx_problems_and_change_nothing(app: &TestApp) {
    let (_, token, _) = app.join().await;
    let post = |content_type: &'static str, body: Vec<u8>, key: Option<&'static str>| {
        let mut request =
            app.client.post(app.url("/v1/trips")).bearer_auth(&token).header("content-type", content_type).body(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send()
    };
    let cases: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
        ("application/json", b"{not json".to_vec(), Some("a"), "MALFORMED_JSON"),
        ("application/gpx+xml", b"<gpx><trk><trkseg><trkpt lat=".to_vec(), Some("b"), "MALFORMED_GPX"),
        ("application/gpx+xml", std::fs::read("../scoring/tests/data/real/no_time.gpx").unwrap(), Some("c"), "MISSING_TIMESTAMP"),
        (
            "application/json",
            br#"{"points":[{"t":"2026-11-24T07:00:00Z","lat":95,"lon":4},{"t":"2026-11-24T07:00:01Z","lat":51,"lon":4}]}"#.to_vec(),
            Some("d"),
            "COORDINATE_OUT_OF_RANGE",
        ),
        ("application/json", vec![b' '; 300 * 1024], Some("e"), "BODY_TOO_LARGE"),
        ("text/plain", b"hello".to_vec(), Some("f"), "UNSUPPORTED_MEDIA_TYPE"),
        ("application/gpx+xml", common::EXAMPLE_RIDE.as_bytes().to_vec(), None, "MISSING_IDEMPOTENCY_KEY"),
    ];
    for (content_type, body, key, code) in cases {
        let response = post(content_type, body, key).await.unwrap();
        assert_eq!(client_error(response).await, code);
    }
    let response = app.client.post(app.url("/v1/trips?wait=99")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(client_error(response).await, "INVALID_QUERY");
    let response = app
        .client
        .post(app.url("/v1/auth/join"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(client_error(response).await, "MALFORMED_JSON");
    // A body must be an object, not the fields in a list (which serde would read as the struct).
    let response = app.client.post(app.url("/v1/auth/join")).json(&json!(["GEEL-5A", "ann"])).send().await.unwrap();
    assert_eq!(client_error(response).await, "MALFORMED_JSON");
    let response = app.client.post(app.url("/v1/auth/join")).json(&json!({"join_code": "NOPE"})).send().await.unwrap();
    assert_eq!(client_error(response).await, "UNKNOWN_JOIN_CODE");
    assert_eq!(
        client_error(app.client.delete(app.url("/v1/wallet")).send().await.unwrap()).await,
        "METHOD_NOT_ALLOWED"
    );
    // Nothing was stored.
    let (_, page) = app.get_json(&token, "/v1/trips").await;
    assert_eq!(page["trips"], json!([]));
    assert_eq!(app.balance(&token).await, 0);
}

async fn bad_tokens_are_refused(app: &TestApp) {
    let (_, token, _) = app.join().await;
    let wallet = |authorization: Option<String>| {
        let mut request = app.client.get(app.url("/v1/wallet"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send()
    };
    assert_eq!(wallet(Some(format!("Bearer {token}"))).await.unwrap().status(), StatusCode::OK);
    // Missing, wrong scheme, forged signature, another key, another algorithm, expired.
    let forged = {
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[2] = parts[2].chars().rev().collect();
        parts.join(".")
    };
    let other_key =
        smartville_auth::Signer::from_private_pem(&smartville_auth::Signer::generate_pem().unwrap()).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let grant = smartville_auth::Grant {
        subject: "someone",
        tenant: "tenant",
        role: smartville_auth::Role::Student,
        school: None,
        merchant: None,
    };
    let foreign = other_key.issue(grant, now, 600).unwrap();
    let expired = other_key.issue(grant, now - 7_200, 600).unwrap();
    let claims = json!({"sub": "x", "tid": "y", "role": "student", "iss": "smartville", "aud": "smartville-api", "exp": now + 600, "iat": now, "jti": "j"});
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"secret").unwrap(),
    )
    .unwrap();
    for authorization in [
        None,
        Some(format!("Basic {token}")),
        Some(format!("Bearer {forged}")),
        Some(format!("Bearer {foreign}")),
        Some(format!("Bearer {expired}")),
        Some(format!("Bearer {hs256}")),
        Some("Bearer nonsense".into()),
    ] {
        let response = wallet(authorization).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(client_error(response).await, "UNAUTHORIZED");
    }
}

async fn another_participants_trip_is_not_found(app: &TestApp) {
    let (_, ann, _) = app.join().await;
    let (_, bob, _) = app.join().await;
    let trip: Value = app.upload_example(&ann, "r").await.json().await.unwrap();
    let path = format!("/v1/trips/{}", trip["trip_id"].as_str().unwrap());
    let response = app.client.get(app.url(&path)).bearer_auth(&bob).send().await.unwrap();
    assert_eq!(client_error(response).await, "NOT_FOUND");
    let (_, page) = app.get_json(&bob, "/v1/trips").await;
    assert_eq!(page["trips"], json!([]));
    assert_eq!(app.balance(&bob).await, 0);
}

async fn refresh_tokens_rotate(app: &TestApp) {
    let (participant, _, refresh) = app.join().await;
    let refreshed = app.post_json("/v1/auth/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(refreshed["participant_id"], participant.as_str());
    assert_eq!(app.get_json(refreshed["access_token"].as_str().unwrap(), "/v1/wallet").await.0, StatusCode::OK);
    let reused =
        app.client.post(app.url("/v1/auth/refresh")).json(&json!({"refresh_token": refresh})).send().await.unwrap();
    assert_eq!(client_error(reused).await, "UNAUTHORIZED");
    let forged =
        app.client.post(app.url("/v1/auth/refresh")).json(&json!({"refresh_token": "a.b.c"})).send().await.unwrap();
    assert_eq!(client_error(forged).await, "UNAUTHORIZED");
}

async fn a_car_ride_is_rejected_and_pays_nothing(app: &TestApp) {
    use smartville_simulator::{Profile, Simulator, demo};
    let (_, token, _) = app.join().await;
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-24T07:50:00+01:00").unwrap().to_utc();
    let car = Simulator::new(9).ride(&demo::home_to_school(), start, &Profile::car());
    let response = app
        .client
        .post(app.url("/v1/trips?wait=10"))
        .bearer_auth(&token)
        .header("idempotency-key", "car")
        .json(&car)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let trip: Value = response.json().await.unwrap();
    assert_eq!((trip["status"].as_str(), trip["points"].as_i64()), (Some("rejected"), Some(0)));
    assert_eq!(trip["reasons"][0]["code"], "TOO_FAST");
    assert_eq!(app.balance(&token).await, 0);
}

/// The phone's activity reports travel with a GPX upload, through storage, to scoring.
async fn a_ride_the_phone_saw_in_a_vehicle_is_rejected(app: &TestApp) {
    use smartville_scoring::{Activity, RawActivity};
    use smartville_simulator::{Profile, Simulator, demo, to_gpx};
    let (_, token, _) = app.join().await;
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-24T07:50:00+01:00").unwrap().to_utc();
    let mut ride = Simulator::new(11).ride(&demo::home_to_school(), start, &Profile::bike());
    let report = RawActivity { t_ms: ride.fixes[0].t_ms, activity: Activity::InVehicle, confidence: 90 };
    ride.activities = vec![report];
    let response = app
        .client
        .post(app.url("/v1/trips?wait=10"))
        .bearer_auth(&token)
        .header("content-type", "application/gpx+xml")
        .header("idempotency-key", "in-a-vehicle")
        .body(to_gpx(&ride))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let trip: Value = response.json().await.unwrap();
    assert_eq!((trip["status"].as_str(), trip["points"].as_i64()), (Some("rejected"), Some(0)), "{trip}");
    assert_eq!(trip["reasons"][0]["code"], "ACTIVITY_MISMATCH", "{trip}");
}

async fn trips_are_listed_with_a_cursor(app: &TestApp) {
    let (_, token, _) = app.join().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = json!({"points": [
            {"t": 1_795_503_600_000_i64 + i * 10_000, "lat": 51.15, "lon": 4.97},
            {"t": 1_795_503_601_000_i64 + i * 10_000, "lat": 51.1501, "lon": 4.9701}
        ]});
        let request =
            app.client.post(app.url("/v1/trips")).bearer_auth(&token).header("idempotency-key", format!("c{i}"));
        let response = request.json(&body).send().await.unwrap();
        assert!(response.status().is_success());
        let trip: Value = response.json().await.unwrap();
        ids.push(trip["trip_id"].as_str().unwrap().to_owned());
    }
    let (_, first) = app.get_json(&token, "/v1/trips?limit=2").await;
    let listed: Vec<_> =
        first["trips"].as_array().unwrap().iter().map(|t| t["trip_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(listed, [ids[2].clone(), ids[1].clone()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app.get_json(&token, &format!("/v1/trips?limit=2&cursor={cursor}")).await;
    assert_eq!(second["trips"][0]["trip_id"].as_str().unwrap(), ids[0]);
    assert!(second["next_cursor"].is_null());
    let response = app.client.get(app.url("/v1/trips?limit=0")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(client_error(response).await, "INVALID_QUERY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_time_limit_ends_with_a_problem() {
    use smartville::component::Component;
    let database = smartville_store::testing::TestDatabase::sqlite();
    let mut config = common::config(&database.url, None);
    config.http.request_timeout = std::time::Duration::from_secs(3);
    // No scoring component: the decision never comes, so the upload waits past the limit.
    let app = TestApp::start_with(database, config, &[Component::MobileApi]).await;
    let (_, token, _) = app.join().await;
    let started = std::time::Instant::now();
    let response = app.upload_example(&token, "slow").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "TIMEOUT");
    // The upload itself was stored before the wait: the retry finds it.
    let retry = common::upload_example(&app.client, &app.base, &token, "slow", 0).await;
    assert_eq!(retry.status(), StatusCode::ACCEPTED);
    app.stop().await;
}
