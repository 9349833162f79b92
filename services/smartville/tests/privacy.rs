//! A family's view of the data: the export holds everything the engine keeps
//! about the participant and nothing of anyone else (both stacks).
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, client_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(the_export_holds_everything_about_the_participant_and_only_them);

async fn the_export_holds_everything_about_the_participant_and_only_them(app: &TestApp) {
    let joined: Value = app
        .client
        .post(app.url("/v1/auth/join"))
        .json(&json!({"join_code": "GEEL-5A", "nickname": "ann"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = joined["access_token"].as_str().unwrap();
    let trip: Value = app.upload_example(token, "ride-1").await.json().await.unwrap();
    assert_eq!(trip["status"], "accepted");
    let (_, bob, _) = app.join().await;

    let (status, export) = app.get_json(token, "/v1/me/export").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export["participant"]["participant_id"], joined["participant_id"]);
    assert_eq!(export["participant"]["nickname"], "ann");
    assert_eq!(export["participant"]["live_sessions"], 1);
    assert_eq!(export["campaigns"].as_array().unwrap().len(), 1);
    assert_eq!(export["trips"].as_array().unwrap().len(), 1);
    assert_eq!(export["trips"][0]["trip_id"], trip["trip_id"]);
    assert_eq!(export["trips"][0]["points"], trip["points"]);
    assert_eq!(export["wallet"]["balances"][0]["amount"], trip["points"]);
    assert_eq!(export["wallet"]["transfers"][0]["reference"], trip["trip_id"]);
    assert!(export.to_string().find("\"lat\"").is_none(), "no trace points are exported");

    let (_, theirs) = app.get_json(&bob, "/v1/me/export").await;
    assert_eq!(theirs["trips"], json!([]), "another participant sees only their own");
    assert!(theirs["participant"]["nickname"].is_null());
    let anonymous = app.client.get(app.url("/v1/me/export")).send().await.unwrap();
    assert_eq!(client_error(anonymous).await, "UNAUTHORIZED");
}
