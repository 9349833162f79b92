//! The API tried as an attacker would, on SQLite with the in-process bus and
//! on PostgreSQL with Redis Streams: hostile text, stolen refresh tokens,
//! slow clients, guessing and flooding (with the default limits).
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, client_error};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_stacks!(
    control_characters_in_any_text_are_client_errors,
    nicknames_are_normalised_and_visible,
    reusing_a_rotated_refresh_token_ends_the_whole_session,
    a_stalled_body_is_a_408_and_unfinished_headers_close_the_connection,
    guessing_join_codes_is_refused_with_429,
    refreshing_and_uploading_are_limited,
);

/// PostgreSQL refuses NUL in text with an error; every field must stop it before it gets there.
async fn control_characters_in_any_text_are_client_errors(app: &TestApp) {
    let (_, token, refresh) = app.join().await;
    let post = |path: &str, body: Value| app.client.post(app.url(path)).json(&body).send();
    let join = post("/v1/auth/join", json!({"join_code": "GEEL\u{0}-5A"})).await.unwrap();
    assert_eq!(client_error(join).await, "INVALID_JOIN_CODE");
    let join = post("/v1/auth/join", json!({"join_code": "GEEL-5A", "nickname": "a\u{0}b"})).await.unwrap();
    assert_eq!(client_error(join).await, "INVALID_NICKNAME");
    let nul_refresh = refresh.replacen('.', "\u{0}.", 1);
    let refreshed = post("/v1/auth/refresh", json!({"refresh_token": nul_refresh})).await.unwrap();
    assert_eq!(client_error(refreshed).await, "UNAUTHORIZED");
    let refreshed = post("/v1/auth/refresh", json!({"refresh_token": "t.\u{0}.s"})).await.unwrap();
    assert_eq!(client_error(refreshed).await, "UNAUTHORIZED");
    // A header cannot carry NUL, but it can carry other control characters (a tab).
    let upload = common::upload_example(&app.client, &app.base, &token, "ride\t1", 0).await;
    assert_eq!(client_error(upload).await, "INVALID_IDEMPOTENCY_KEY");
    let get = |path: &str| app.client.get(app.url(path)).bearer_auth(&token).send();
    assert_eq!(client_error(get("/v1/trips/ab%00cd").await.unwrap()).await, "NOT_FOUND");
    assert_eq!(client_error(get("/v1/trips?cursor=ab%00cd").await.unwrap()).await, "INVALID_QUERY");
    assert_eq!(client_error(get("/v1/trips?cursor=%00").await.unwrap()).await, "INVALID_QUERY");
    // The participant's data is as it was, and the honest refresh token still works.
    let (_, page) = app.get_json(&token, "/v1/trips").await;
    assert_eq!(page["trips"], json!([]));
    let refreshed = post("/v1/auth/refresh", json!({"refresh_token": refresh})).await.unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
}

async fn nicknames_are_normalised_and_visible(app: &TestApp) {
    let join = |nickname: &str| {
        app.client.post(app.url("/v1/auth/join")).json(&json!({"join_code": "GEEL-5A", "nickname": nickname})).send()
    };
    for hostile in ["ann\u{202E}nna", "an\u{200B}n", "\u{2066}ann", &"x".repeat(41)] {
        assert_eq!(client_error(join(hostile).await.unwrap()).await, "INVALID_NICKNAME", "{hostile:?}");
    }
    let joined: Value = join("  Re\u{301}mi ").await.unwrap().json().await.unwrap();
    let id = joined["participant_id"].as_str().unwrap();
    let stored: Option<String> = sqlx::query_scalar("select nickname from participants where id = $1")
        .bind(id)
        .fetch_one(app.app_engine.store.pool_for_tests())
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some("R\u{e9}mi"), "stored trimmed and in NFC");
}

async fn reusing_a_rotated_refresh_token_ends_the_whole_session(app: &TestApp) {
    let refresh =
        |token: &str| app.client.post(app.url("/v1/auth/refresh")).json(&json!({"refresh_token": token})).send();
    let (_, _, stolen) = app.join().await;
    // The owner rotates twice; the thief then presents the first token.
    let second: Value = refresh(&stolen).await.unwrap().json().await.unwrap();
    let third: Value = refresh(second["refresh_token"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    let live = third["refresh_token"].as_str().unwrap();
    assert_eq!(client_error(refresh(&stolen).await.unwrap()).await, "UNAUTHORIZED");
    // The family's live token is dead too: whoever holds it may be the thief.
    assert_eq!(client_error(refresh(live).await.unwrap()).await, "UNAUTHORIZED");
    // Another session of another participant is untouched.
    let (_, _, other) = app.join().await;
    assert_eq!(refresh(&other).await.unwrap().status(), StatusCode::OK);
}

/// Slow clients hold connections; they get a time limit, and a stalled body is their fault (408).
async fn a_stalled_body_is_a_408_and_unfinished_headers_close_the_connection(app: &TestApp) {
    let (_, token, _) = app.join().await;
    let address = app.base.trim_start_matches("http://");
    let mut stalled = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /v1/trips HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nIdempotency-Key: slow\r\nContent-Length: 1000\r\n\r\n{{\"points\": ["
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stalled, Some("BODY_TIMEOUT")).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains("BODY_TIMEOUT"), "{answer}");

    let mut unfinished = TcpStream::connect(address).await.unwrap();
    unfinished.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n").as_bytes()).await.unwrap();
    // The server closes the connection instead of holding it open for ever.
    read_answer(&mut unfinished, None).await;
    // Nothing was stored from the stalled upload.
    let (_, page) = app.get_json(&token, "/v1/trips").await;
    assert_eq!(page["trips"], json!([]));
}

/// What the server sends until it closes the connection or, with `until`, sends that text
/// (waiting at most 30 s).
async fn read_answer(stream: &mut TcpStream, until: Option<&str>) -> String {
    let mut answer = Vec::new();
    let reading = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
            if until.is_some_and(|text| String::from_utf8_lossy(&answer).contains(text)) {
                return;
            }
        }
    };
    let finished = tokio::time::timeout(std::time::Duration::from_secs(30), reading).await;
    assert!(finished.is_ok(), "the server kept the connection open and silent");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Asserts a 429 problem with a `Retry-After` header and returns its seconds.
async fn rate_limited(response: reqwest::Response) -> u64 {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = response.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert_eq!(client_error(response).await, "RATE_LIMITED");
    retry_after
}

async fn guessing_join_codes_is_refused_with_429(app: &TestApp) {
    let guesses = common::guess_join_codes(&app.client, &app.base, 10).await;
    assert_eq!(guesses, vec![StatusCode::NOT_FOUND; 10], "the default allows ten wrong codes");
    let join = |code: &str| app.client.post(app.url("/v1/auth/join")).json(&json!({"join_code": code})).send();
    let first = rate_limited(join("GEEL-5B").await.unwrap()).await;
    // Locked out: the right code does not get through either, so a hit cannot be told from a miss.
    assert!(rate_limited(join("GEEL-5A").await.unwrap()).await <= first);
    // Each further guess after the lock-out doubles it (checked in the limiter's unit tests);
    // while locked, guesses do not even reach the database.
}

async fn refreshing_and_uploading_are_limited(app: &TestApp) {
    let (_, token, mut refresh) = app.join().await;
    for _ in 0..20 {
        let session = app.post_json("/v1/auth/refresh", json!({"refresh_token": refresh})).await;
        refresh = session["refresh_token"].as_str().unwrap().to_owned();
    }
    let over = app.client.post(app.url("/v1/auth/refresh")).json(&json!({"refresh_token": refresh})).send().await;
    rate_limited(over.unwrap()).await;
    let upload = |i: i64| {
        let body = json!({"points": [
            {"t": 1_795_503_600_000_i64 + i * 10_000, "lat": 51.15, "lon": 4.97},
            {"t": 1_795_503_601_000_i64 + i * 10_000, "lat": 51.1501, "lon": 4.9701}
        ]});
        let key = format!("flood-{i}");
        app.client.post(app.url("/v1/trips")).bearer_auth(&token).header("idempotency-key", key).json(&body).send()
    };
    let allowed = i64::from(common::UPLOADS_PER_PARTICIPANT.count);
    for i in 0..allowed {
        assert!(upload(i).await.unwrap().status().is_success());
    }
    rate_limited(upload(allowed).await.unwrap()).await;
    // Another participant is not held back by this one.
    let (_, other, _) = app.join().await;
    let response = app.client.get(app.url("/v1/trips")).bearer_auth(&other).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// Two `mobile-api` processes behind one load balancer share their limits through Redis:
/// guesses spread over both are counted together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_across_two_api_processes_on_redis() {
    use smartville::component::Component;
    use smartville::serve::Application;
    let database = smartville_store::testing::TestDatabase::postgres().await;
    let config = common::config(&database.url, Some(common::redis_url()));
    let first = TestApp::start_with(database, config.clone(), &Component::DEFAULT).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = Application::build(&config, &[Component::MobileApi], listener).await.unwrap();
    let second_base = format!("http://{}", second.address().unwrap());
    let stop_second = second.stopper();
    let second = tokio::spawn(second.run_until_stopped());

    let on_first = common::guess_join_codes(&first.client, &first.base, 5).await;
    let on_second = common::guess_join_codes(&first.client, &second_base, 5).await;
    assert!([on_first, on_second].concat().iter().all(|s| *s == StatusCode::NOT_FOUND));
    let join = |base: &str, code: &str| {
        first.client.post(format!("{base}/v1/auth/join")).json(&json!({"join_code": code})).send()
    };
    // The eleventh wrong code, the sixth on this process, is one too many: the count is shared...
    rate_limited(join(&second_base, "GUESS-X").await.unwrap()).await;
    // ... and so is the lock-out.
    rate_limited(join(&first.base, "GEEL-5A").await.unwrap()).await;
    stop_second.send(true).unwrap();
    second.await.unwrap().unwrap();
    first.stop().await;
}
