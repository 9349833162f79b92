//! A family's view of the data: the export holds everything the engine keeps
//! about the participant and nothing of anyone else, and an erasure forgets
//! them while the ledger stays balanced (both stacks).
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, client_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(
    the_export_holds_everything_about_the_participant_and_only_them,
    an_erased_participant_is_forgotten_and_the_ledger_stays_balanced,
);

async fn the_export_holds_everything_about_the_participant_and_only_them(app: &TestApp) {
    let joined = common::join_demo_class_as(&app.client, &app.base, Some("ann")).await;
    let token = joined["access_token"].as_str().unwrap();
    let trip: Value = app.upload_example(token, "ride-1").await.json().await.unwrap();
    assert_eq!(trip["status"], "accepted");
    let (_, bob, _) = app.join().await;
    let admin = common::demo_council_admin(app).await;
    let letter = json!({"households": [{"reference": "HH-ANN", "size": 4}]});
    let letter: Value = app.post(Some(&admin), "/v1/admin/households", letter).await.json().await.unwrap();
    let code = json!({"code": letter["households"][0]["link_code"]});
    assert_eq!(app.post(Some(token), "/v1/households/link", code).await.status(), StatusCode::CREATED);

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
    assert_eq!(
        (export["households"][0]["reference"].as_str(), export["households"][0]["size"].as_i64()),
        (Some("HH-ANN"), Some(4))
    );

    let (_, theirs) = app.get_json(&bob, "/v1/me/export").await;
    assert_eq!(theirs["trips"], json!([]), "another participant sees only their own");
    assert_eq!(theirs["households"], json!([]));
    assert!(theirs["participant"]["nickname"].is_null());
    let anonymous = app.client.get(app.url("/v1/me/export")).send().await.unwrap();
    assert_eq!(client_error(anonymous).await, "UNAUTHORIZED");
}

/// One number from the engine's database.
async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(bind)
        .fetch_one(app.app_engine.store.pool_for_tests())
        .await
        .unwrap()
}

async fn an_erased_participant_is_forgotten_and_the_ledger_stays_balanced(app: &TestApp) {
    let joined = common::join_demo_class_as(&app.client, &app.base, Some("ann")).await;
    let (id, token) = (joined["participant_id"].as_str().unwrap(), joined["access_token"].as_str().unwrap());
    let trip: Value = app.upload_example(token, "ride-1").await.json().await.unwrap();
    let points = trip["points"].as_i64().unwrap();
    assert!(points > 0);
    let streets = "select count(*) from report_cells where participant_id = $1";
    assert!(count(app, streets, id).await > 0, "the ride's streets are marked for the heat map");
    let budget = "select balance from accounts where kind = 'campaign'";
    let budget_before: i64 = sqlx::query_scalar(budget).fetch_one(app.app_engine.store.pool_for_tests()).await.unwrap();

    let erase = || app.client.delete(app.url("/v1/me")).bearer_auth(token).send();
    let response = erase().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let erasure: Value = response.json().await.unwrap();
    assert_eq!(erasure, json!({"points_returned": points, "trips_kept_anonymously": 1}));

    // The ledger: the points went back to the budget, and every tenant still sums to zero.
    let budget_after: i64 = sqlx::query_scalar(budget).fetch_one(app.app_engine.store.pool_for_tests()).await.unwrap();
    assert_eq!(budget_after, budget_before + points);
    let unbalanced: i64 = sqlx::query_scalar(
        "select count(*) from (select tenant_id from accounts group by tenant_id having sum(balance) <> 0) as t",
    )
    .fetch_one(app.app_engine.store.pool_for_tests())
    .await
    .unwrap();
    assert_eq!(unbalanced, 0);
    assert_eq!(app.balance(token).await, 0);
    // Nothing personal is left; the trip stays as an anonymous count.
    assert_eq!(count(app, "select count(*) from participants where id = $1 and nickname is not null", id).await, 0);
    assert_eq!(count(app, "select count(*) from refresh_tokens where holder_id = $1", id).await, 0);
    assert_eq!(count(app, "select count(*) from trip_fingerprints where participant_id = $1", id).await, 0);
    assert_eq!(count(app, "select count(*) from trips where participant_id = $1", id).await, 0);
    assert_eq!(count(app, streets, id).await, 0);
    let trip_id = trip["trip_id"].as_str().unwrap();
    assert_eq!(count(app, "select count(*) from trips where id = $1 and route_cells is not null", trip_id).await, 0);
    assert_eq!(count(app, "select count(*) from trip_traces where trip_id = $1", trip_id).await, 0);
    assert_eq!(
        count(app, "select count(*) from trips where id = $1 and participant_id like 'erased:%'", trip_id).await,
        1
    );
    // The old tokens are no good for anything that stores: uploads, refreshes, a second erasure.
    let upload = app.upload_example(token, "ride-after-erasure").await;
    assert_eq!(client_error(upload).await, "ERASED");
    let refresh = app.client.post(app.url("/v1/auth/refresh")).json(&json!({"refresh_token": joined["refresh_token"]}));
    assert_eq!(client_error(refresh.send().await.unwrap()).await, "UNAUTHORIZED");
    assert_eq!(client_error(erase().await.unwrap()).await, "ERASED");
    let (_, export) = app.get_json(token, "/v1/me/export").await;
    assert_eq!((export["trips"].clone(), export["participant"]["nickname"].clone()), (json!([]), Value::Null));
}
