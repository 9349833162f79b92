//! What-if simulations on both stacks: a stricter draft of a campaign's rules
//! re-judges its recent rides in the background and reports exactly the
//! rides it rejects, without touching any wallet; and who may run one.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{TestApp, client_error, demo_council_admin, new_council, ride_seen_in_a_vehicle};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(a_stricter_draft_reports_exactly_the_rides_it_rejects);

/// `time` in Geel (UTC+1) on a day of November 2026.
fn at(day: u32, time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T{time}:00+01:00")).unwrap().to_utc()
}

/// The example campaign with its morning windows opening at 07:30 instead of 07:00.
fn later_mornings() -> Value {
    let mut rules: Value = serde_json::from_str(smartville_engine::demo::CAMPAIGN).unwrap();
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        rules["schedule"]["windows"][day][0]["from"] = json!("07:30");
    }
    rules
}

/// Polls a simulation until it no longer runs.
async fn finished(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..200 {
        let (_, simulation) = app.get_json(token, location).await;
        if simulation["status"] != "running" {
            return simulation;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the simulation at {location} did not finish in time");
}

async fn a_stricter_draft_reports_exactly_the_rides_it_rejects(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    let campaign = campaigns[0]["id"].as_str().unwrap().to_owned();
    let (_, ann, _) = app.join().await;
    let (_, bob, _) = app.join().await;
    // Two rides at 07:10 (inside today's 07:00 window, outside the draft's), two at 07:40.
    let mut early = Vec::new();
    for (token, key, day, time, seed) in [
        (&ann, "a", 24, "07:10", 1),
        (&bob, "b", 25, "07:10", 2),
        (&ann, "c", 26, "07:40", 3),
        (&bob, "d", 27, "07:40", 4),
    ] {
        let trip = app.upload_gpx(token, key, ride_seen_in_a_vehicle(at(day, time), seed, 0.0)).await.unwrap();
        assert_eq!(trip["status"], "accepted", "{trip:#}");
        if time == "07:10" {
            early.push(trip["trip_id"].as_str().unwrap().to_owned());
        }
    }
    let balances = (app.balance(&ann).await, app.balance(&bob).await);
    // Days enough to reach back to these rides whenever the test runs.
    let days = (Utc::now() - at(23, "00:00")).num_days() + 1;

    let path = format!("/v1/admin/campaigns/{campaign}/simulations");
    let started = app.post(Some(&admin), &path, json!({"rules": later_mornings(), "days": days})).await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let started: Value = started.json().await.unwrap();
    assert_eq!((started["status"].as_str(), started["total"].as_i64()), (Some("running"), Some(4)));
    let simulation = finished(app, &admin, &location).await;
    assert_eq!(simulation["status"], "done", "{simulation:#}");
    assert_eq!((simulation["done"].as_i64(), simulation["total"].as_i64()), (Some(4), Some(4)));
    let result = &simulation["result"];

    // Exactly the early rides change, to OUTSIDE_TIME_WINDOW, and nothing else.
    let mut changed: Vec<&str> =
        result["changed_rides"].as_array().unwrap().iter().map(|r| r["trip_id"].as_str().unwrap()).collect();
    changed.sort();
    early.sort();
    assert_eq!(changed, early, "{result:#}");
    for ride in result["changed_rides"].as_array().unwrap() {
        assert_eq!((ride["old_status"].as_str(), ride["new_status"].as_str()), (Some("accepted"), Some("rejected")));
        assert_eq!(ride["new_points"], 0);
        assert!(ride["new_reasons"].as_array().unwrap().contains(&json!("OUTSIDE_TIME_WINDOW")), "{ride:#}");
    }
    let (old, new) = (&result["totals"]["old"], &result["totals"]["new"]);
    assert_eq!((old["rides_accepted"].as_i64(), new["rides_accepted"].as_i64()), (Some(4), Some(2)));
    assert_eq!((new["rides_rejected"].as_i64(), &new["rejections"]), (Some(2), &json!({"OUTSIDE_TIME_WINDOW": 2})));
    assert_eq!(old["points"].as_i64(), Some(balances.0 + balances.1), "the old side is what was paid");
    assert!(new["points"].as_i64().unwrap() < old["points"].as_i64().unwrap());
    assert_eq!(result["schools"].as_array().unwrap().len(), 1, "one school: the demo school");
    assert_eq!(result["schools"][0]["new"], *new);
    // Nothing moved: the wallets are as they were, and the rides still accepted.
    assert_eq!((app.balance(&ann).await, app.balance(&bob).await), balances);
    let (_, trips) = app.get_json(&ann, "/v1/trips").await;
    assert!(trips["trips"].as_array().unwrap().iter().all(|t| t["status"] == "accepted"), "{trips:#}");

    // The same rules as today change nothing.
    let same: Value = serde_json::from_str(smartville_engine::demo::CAMPAIGN).unwrap();
    let started = app.post(Some(&admin), &path, json!({"rules": same, "days": days})).await;
    let simulation = finished(app, &admin, started.headers()["location"].to_str().unwrap()).await;
    assert_eq!(simulation["result"]["changed"], 0, "{simulation:#}");
    assert_eq!(simulation["result"]["totals"]["old"], simulation["result"]["totals"]["new"]);

    // A draft with problems, or days out of range, is refused; only a council admin starts one.
    let mut broken = later_mornings();
    broken["reward"]["points_per_km"] = json!(-5);
    assert_eq!(client_error(app.post(Some(&admin), &path, json!({"rules": broken})).await).await, "CAMPAIGN_INVALID");
    let too_long = json!({"rules": later_mornings(), "days": 400});
    assert_eq!(client_error(app.post(Some(&admin), &path, too_long).await).await, "INVALID_DAYS");
    let auditor = app.staff_member(&admin, "controle@geel.be", "auditor", None).await;
    let refused = app.post(Some(&auditor), &path, json!({"rules": later_mornings()})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_json(&auditor, &location).await.0, StatusCode::OK, "an auditor reads it");
    assert_eq!(app.post(Some(&ann), &path, json!({"rules": later_mornings()})).await.status(), StatusCode::FORBIDDEN);
    let (_, setup) = new_council(app, "Stad Mol", "admin@mol.be").await;
    let outsider = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_json(&outsider, &location).await.0, StatusCode::NOT_FOUND);
    let theirs = app.post(Some(&outsider), &path, json!({"rules": later_mornings()})).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
}
