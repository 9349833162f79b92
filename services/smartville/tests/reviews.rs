//! The review queue and appeals, on both stacks: a ride in review decided by
//! exactly one of two reviewers and credited once, a rejected ride appealed
//! once and answered, and who may see and decide what.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Utc};
use common::{TestApp, client_error, demo_council_admin, new_council, ride_seen_in_a_vehicle, wait_settled};
use reqwest::StatusCode;
use serde_json::{Value, json};
use smartville_simulator::demo;

on_both_stacks!(
    a_ride_in_review_is_decided_by_one_of_two_reviewers_and_credited_once,
    a_rejected_ride_is_appealed_once_and_the_answer_shows_on_the_trip,
);

/// 07:40 in Geel (UTC+1) on a day of November 2026.
fn morning(day: u32) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T07:40:00+01:00")).unwrap().to_utc()
}

async fn a_ride_in_review_is_decided_by_one_of_two_reviewers_and_credited_once(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let colleague = app.staff_member(&admin, "tweede@geel.be", "council_admin", None).await;
    let auditor = app.staff_member(&admin, "controle@geel.be", "auditor", None).await;
    let (_, token, _) = app.join().await;
    let trip = app.upload_gpx(&token, "doubtful", ride_seen_in_a_vehicle(morning(24), 21, 0.3)).await.unwrap();
    assert_eq!(trip["status"], "review", "{trip:#}");
    let held = trip["points"].as_i64().unwrap();
    assert!(held > 0);
    assert_eq!(app.balance(&token).await, 0, "held, not paid");
    let id = trip["trip_id"].as_str().unwrap();
    let path = format!("/v1/admin/reviews/{id}");

    // The queue shows it with its reasons; the detail draws it without its ends.
    let (status, queue) = app.get_json(&admin, "/v1/admin/reviews").await;
    assert_eq!(status, StatusCode::OK);
    let waiting = &queue["rides"][0];
    assert_eq!((waiting["trip_id"].as_str(), waiting["kind"].as_str()), (Some(id), Some("review")));
    assert_eq!(waiting["reasons"][0]["code"], "ACTIVITY_MISMATCH");
    let (status, detail) = app.get_json(&auditor, &path).await;
    assert_eq!(status, StatusCode::OK);
    let line = detail["path"]["geometry"]["coordinates"].as_array().unwrap();
    assert!(line.len() > 10);
    let home = demo::home_to_school().at(0.0);
    let (lon, lat) = (line[0][0].as_f64().unwrap(), line[0][1].as_f64().unwrap());
    let metres = ((lat - home.0) * 111_000.0).hypot((lon - home.1) * 111_000.0 * home.0.to_radians().cos());
    assert!(metres > 150.0, "the path starts {metres} m from home");

    // Nobody else decides it: a participant, an auditor, another council.
    let decide = |token: String, outcome: &'static str| {
        let request = app.client.post(app.url(&path)).bearer_auth(token);
        async move { request.json(&json!({"outcome": outcome, "note": "Clearly a bike ride."})).send().await.unwrap() }
    };
    assert_eq!(decide(token.clone(), "accepted").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_json(&token, "/v1/admin/reviews").await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get_json(&token, &path).await.0, StatusCode::FORBIDDEN);
    assert_eq!(decide(auditor.clone(), "accepted").await.status(), StatusCode::FORBIDDEN);
    let (_, setup) = new_council(app, "Stad Mol", "admin@mol.be").await;
    let outsider = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(decide(outsider.clone(), "accepted").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get_json(&outsider, &path).await.0, StatusCode::NOT_FOUND);
    let (_, their_queue) = app.get_json(&outsider, "/v1/admin/reviews").await;
    assert_eq!(their_queue["rides"].as_array().unwrap().len(), 0);

    // Two reviewers at once: one wins, the other is told.
    let (first, second) = tokio::join!(decide(admin.clone(), "accepted"), decide(colleague.clone(), "rejected"));
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let winner: Value = if first.status() == StatusCode::OK { first } else { second }.json().await.unwrap();
    assert_eq!(client_error(decide(admin.clone(), "rejected").await).await, "ALREADY_DECIDED");

    // What the winner decided is what happened, once.
    let decided = wait_settled(app, &token, id).await;
    assert_eq!(decided["status"], winner["outcome"]);
    let expected = if winner["outcome"] == "accepted" { held } else { 0 };
    assert_eq!((decided["points"].as_i64(), winner["points"].as_i64()), (Some(expected), Some(expected)));
    assert_eq!(app.balance(&token).await, expected);
    let review = &decided["reviews"][0];
    assert_eq!((review["kind"].as_str(), review["outcome"].as_str()), (Some("review"), winner["outcome"].as_str()));
    assert_eq!(review["note"], "Clearly a bike ride.");
    let (_, queue) = app.get_json(&admin, "/v1/admin/reviews").await;
    assert_eq!(queue["rides"].as_array().unwrap().len(), 0);
}

async fn a_rejected_ride_is_appealed_once_and_the_answer_shows_on_the_trip(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, schools) = app.get_json(&admin, "/v1/admin/schools").await;
    let demo_school = schools[0]["id"].as_str().unwrap();
    let school_admin = app.staff_member(&admin, "directie@school.be", "school_admin", Some(demo_school)).await;
    let other_school: Value =
        app.post(Some(&admin), "/v1/admin/schools", json!({"name": "Sint-Dimpna"})).await.json().await.unwrap();
    let other_admin = app.staff_member(&admin, "directie@dimpna.be", "school_admin", other_school["id"].as_str()).await;
    let (participant_id, token, _) = app.join().await;

    let rejected = app.upload_gpx(&token, "vehicle", ride_seen_in_a_vehicle(morning(24), 31, 0.8)).await.unwrap();
    assert_eq!(rejected["status"], "rejected", "{rejected:#}");
    let accepted = app.upload_gpx(&token, "bike", ride_seen_in_a_vehicle(morning(25), 32, 0.0)).await.unwrap();
    assert_eq!(accepted["status"], "accepted", "{accepted:#}");
    let appeal = |trip: &Value, message: &str| {
        let path = format!("/v1/trips/{}/appeal", trip["trip_id"].as_str().unwrap());
        app.client.post(app.url(&path)).bearer_auth(&token).json(&json!({"message": message})).send()
    };

    // Only a rejected ride, with a message, once.
    assert_eq!(client_error(appeal(&accepted, "please").await.unwrap()).await, "NOT_REJECTED");
    assert_eq!(client_error(appeal(&rejected, "  ").await.unwrap()).await, "INVALID_MESSAGE");
    let opened = appeal(&rejected, "I was on my bike; my phone was in my bag.").await.unwrap();
    assert_eq!(opened.status(), StatusCode::CREATED);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(
        (opened["reviews"][0]["kind"].as_str(), &opened["reviews"][0]["outcome"]),
        (Some("appeal"), &Value::Null)
    );
    assert_eq!(client_error(appeal(&rejected, "again").await.unwrap()).await, "ALREADY_APPEALED");
    // Nor another participant's ride.
    let (_, stranger, _) = app.join().await;
    let path = format!("/v1/trips/{}/appeal", rejected["trip_id"].as_str().unwrap());
    let theirs = app.client.post(app.url(&path)).bearer_auth(&stranger).json(&json!({"message": "mine"})).send();
    assert_eq!(theirs.await.unwrap().status(), StatusCode::NOT_FOUND);

    // In the queue of the council and of the student's school, not of another school.
    let id = rejected["trip_id"].as_str().unwrap();
    for (reviewer, sees) in [(&admin, true), (&school_admin, true), (&other_admin, false)] {
        let (_, queue) = app.get_json(reviewer, "/v1/admin/reviews").await;
        let ids: Vec<&str> =
            queue["rides"].as_array().unwrap().iter().map(|r| r["trip_id"].as_str().unwrap()).collect();
        assert_eq!(ids.contains(&id), sees, "{queue:#}");
    }
    let path = format!("/v1/admin/reviews/{id}");
    let foreign = app.post(Some(&other_admin), &path, json!({"outcome": "accepted"})).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let (_, detail) = app.get_json(&school_admin, &path).await;
    assert_eq!(detail["ride"]["message"], "I was on my bike; my phone was in my bag.");
    assert_eq!(detail["ride"]["participant_id"], participant_id.as_str());

    // The school's admin accepts it: the ride earns its reward, paid through the ledger.
    let answer = app.post(Some(&school_admin), &path, json!({"outcome": "accepted", "note": "Fair enough."})).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    let earned = 10 + 5 * rejected["distance_m"].as_i64().unwrap() / 1000;
    assert_eq!(answer["points"].as_i64(), Some(earned));
    let trip = wait_settled(app, &token, id).await;
    assert_eq!((trip["status"].as_str(), trip["points"].as_i64()), (Some("accepted"), Some(earned)));
    assert_eq!(
        (trip["reviews"][0]["outcome"].as_str(), trip["reviews"][0]["note"].as_str()),
        (Some("accepted"), Some("Fair enough."))
    );
    assert_eq!(app.balance(&token).await, earned + accepted["points"].as_i64().unwrap());
    let (_, audit) = app.get_json(&admin, "/v1/admin/audit?limit=5").await;
    assert_eq!(audit["entries"][0]["action"], "review.decide");

    // After the campaign's days for appeals, a rejection stands.
    let late = app.upload_gpx(&token, "late", ride_seen_in_a_vehicle(morning(26), 33, 0.8)).await.unwrap();
    let decided_at = DateTime::parse_from_rfc3339(late["decided_at"].as_str().unwrap()).unwrap().timestamp_millis();
    let class = smartville_store::schools::find_join_code(&app.app_engine.store, "GEEL-5A").await.unwrap().unwrap();
    let refused = smartville_engine::reviews::appeal(
        &app.app_engine,
        &class.tenant_id,
        &participant_id.as_str().into(),
        &late["trip_id"].as_str().unwrap().into(),
        "too late",
        decided_at + 15 * 86_400_000,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "APPEAL_WINDOW_CLOSED");
}
