//! Campaigns run through the administration API, on both stacks: drafts,
//! audiences, the lifecycle, and versions of the rules that judge each ride
//! by the version in force when it started.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{TestApp, client_error, demo_council_admin, new_council, ride_seen_in_a_vehicle};
use reqwest::StatusCode;
use serde_json::{Value, json};
use smartville_engine::campaigns as lifecycle;
use smartville_store::audit::Actor;
use smartville_store::schools;

on_both_stacks!(
    a_rule_change_judges_each_ride_by_the_version_in_force_when_it_started,
    a_campaign_goes_from_draft_to_closed_for_the_classes_it_covers,
    campaign_files_and_versions_are_refused_with_precise_problems,
    a_campaigns_budget_is_read_from_the_ledger_and_warns_before_it_runs_out,
);

/// The demo campaign file with `change` applied.
fn demo_file(change: impl FnOnce(&mut Value)) -> Value {
    let mut file: Value = serde_json::from_str(smartville_engine::demo::CAMPAIGN).unwrap();
    change(&mut file);
    file
}

/// A bike ride home to school starting at `start`, as GPX (`seed` varies the noise).
fn ride(start: DateTime<Utc>, seed: u64) -> String {
    ride_seen_in_a_vehicle(start, seed, 0.0)
}

/// 07:35 in Geel (UTC+1 in November) on a day of November 2026.
fn school_morning(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 6, 35, 0).unwrap()
}

async fn a_rule_change_judges_each_ride_by_the_version_in_force_when_it_started(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    let campaign_id = campaigns[0]["id"].as_str().unwrap().to_owned();
    let (_, token, _) = app.join().await;
    let version_1_points = |trip: &Value| 10 + 5 * trip["distance_m"].as_i64().unwrap() / 1000;

    // Monday's ride is decided under version 1.
    let monday = app.upload_gpx(&token, "mon", ride(school_morning(23), 1)).await.unwrap();
    assert_eq!((monday["status"].as_str(), monday["campaign_version"].as_i64()), (Some("accepted"), Some(1)));
    assert_eq!(monday["points"].as_i64(), Some(version_1_points(&monday)));

    // The council made version 2 (42 points a ride, none per km) on Wednesday at midnight. Through
    // the API a version never takes effect in the past; the engine is told "now" was then.
    let changed_at = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap().timestamp_millis();
    let file = demo_file(|f| f["reward"] = json!({"points_per_ride": 42, "points_per_km": 0}));
    let checked = lifecycle::check(file.to_string().into_bytes()).await.unwrap();
    let tenant = schools::find_join_code(&app.app_engine.store, "GEEL-5A").await.unwrap().unwrap().tenant_id;
    let mut tx = app.app_engine.store.begin().await.unwrap();
    let version = lifecycle::change_rules(
        &mut tx,
        &tenant,
        Actor::System,
        &campaign_id.as_str().into(),
        &checked,
        Some(changed_at),
        changed_at,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((version.version, version.effective_from), (2, changed_at));
    tokio::time::sleep(lifecycle::RECHECK_AFTER).await; // every process sees the change by then

    // Tuesday's ride, uploaded after the change, started before it: version 1 still judges it.
    let tuesday = app.upload_gpx(&token, "tue", ride(school_morning(24), 2)).await.unwrap();
    assert_eq!((tuesday["status"].as_str(), tuesday["campaign_version"].as_i64()), (Some("accepted"), Some(1)));
    assert_eq!(tuesday["points"].as_i64(), Some(version_1_points(&tuesday)));
    // Thursday's ride started after it: version 2.
    let thursday = app.upload_gpx(&token, "thu", ride(school_morning(26), 3)).await.unwrap();
    assert_eq!((thursday["status"].as_str(), thursday["campaign_version"].as_i64()), (Some("accepted"), Some(2)));
    assert_eq!(thursday["points"].as_i64(), Some(42));
    // Monday's decision stands as it was made.
    let (_, again) = app.get_json(&token, &format!("/v1/trips/{}", monday["trip_id"].as_str().unwrap())).await;
    assert_eq!((again["points"].as_i64(), again["campaign_version"].as_i64()), (monday["points"].as_i64(), Some(1)));

    // The campaign shows both versions, and the audit log the change.
    let (_, detail) = app.get_json(&admin, &format!("/v1/admin/campaigns/{campaign_id}")).await;
    let effective: Vec<i64> =
        detail["versions"].as_array().unwrap().iter().map(|v| v["effective_from"].as_i64().unwrap()).collect();
    assert_eq!(effective, [0, changed_at]);
    assert_eq!(detail["versions"][1]["rules"]["reward"]["points_per_ride"], 42);
    let (_, audit) = app.get_json(&admin, "/v1/admin/audit?limit=5").await;
    let rules_change = audit["entries"].as_array().unwrap().iter().find(|e| e["action"] == "campaign.rules").unwrap();
    assert_eq!(rules_change["before"]["version"], 1);
    assert_eq!(rules_change["after"]["version"], 2);
}

async fn a_campaign_goes_from_draft_to_closed_for_the_classes_it_covers(app: &TestApp) {
    let (tenant, setup_token) = new_council(app, "Stad Mol", "admin@mol.be").await;
    let admin_session = app.set_up(&setup_token).await;
    let admin = admin_session["access_token"].as_str().unwrap();
    let school = app.school(&tenant, "Sint-Jan").await;
    let class = |name: &'static str| {
        let path = format!("/v1/admin/schools/{school}/classes");
        async move {
            let created: Value = app.post(Some(admin), &path, json!({"name": name})).await.json().await.unwrap();
            (
                created["class"]["id"].as_str().unwrap().to_owned(),
                created["join_code"]["code"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (class_5a, code_5a) = class("5A").await;
    let (_, code_6b) = class("6B").await;
    let join = |code: String| async move {
        let joined = app.post_json("/v1/auth/join", json!({"join_code": code})).await;
        joined["access_token"].as_str().unwrap().to_owned()
    };

    // A draft: nobody rides in it yet.
    let file = demo_file(|f| f["id"] = "mol-fietst".into());
    let created = app.post(Some(admin), "/v1/admin/campaigns", json!({"rules": file})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        (created["campaign"]["status"].as_str(), created["versions"].as_array().unwrap().len()),
        (Some("draft"), 1)
    );
    let id = created["campaign"]["id"].as_str().unwrap().to_owned();
    let path = |tail: &str| format!("/v1/admin/campaigns/{id}{tail}");
    let early = join(code_5a.clone()).await;
    assert_eq!(app.upload_gpx(&early, "draft", ride(school_morning(23), 10)).await.unwrap_err(), "NOT_ENROLLED");
    // It cannot start before it covers someone.
    assert_eq!(client_error(app.post(Some(admin), &path("/activate"), json!({})).await).await, "COVERS_NOBODY");
    // A draft's rules are replaced, not versioned.
    let renamed = demo_file(|f| {
        f["id"] = "mol-fietst".into();
        f["name"] = "Mol fietst".into();
    });
    let replaced = app.put(admin, &path("/rules"), json!({"rules": renamed})).await;
    assert_eq!(replaced.status(), StatusCode::OK);
    assert_eq!(replaced.json::<Value>().await.unwrap()["version"], 1);
    let versioned = json!({"rules": renamed, "effective_from": 4_102_444_800_000_i64});
    assert_eq!(client_error(app.put(admin, &path("/rules"), versioned).await).await, "CAMPAIGN_STATE");

    // For class 5A only.
    let both = json!({"all_schools": true, "classes": [class_5a]});
    assert_eq!(client_error(app.put(admin, &path("/audience"), both).await).await, "AUDIENCE_AMBIGUOUS");
    let unknown = json!({"classes": ["0192f0c1-7a4e-7cc3-8e4f-2b9f0a6c1d2e"]});
    assert_eq!(client_error(app.put(admin, &path("/audience"), unknown).await).await, "UNKNOWN_IN_AUDIENCE");
    let audience = app.put(admin, &path("/audience"), json!({"classes": [class_5a]})).await;
    assert_eq!(audience.status(), StatusCode::OK);
    let nothing = app.post(Some(admin), &path("/funding"), json!({"points": 0})).await;
    assert_eq!(client_error(nothing).await, "FUNDING_OUT_OF_RANGE");
    let funded = app.post(Some(admin), &path("/funding"), json!({"points": 5000})).await;
    assert_eq!(funded.status(), StatusCode::OK);
    assert_eq!(funded.json::<Value>().await.unwrap()["budget_funded"], 5000);
    let activated = app.post(Some(admin), &path("/activate"), json!({})).await;
    assert_eq!(activated.status(), StatusCode::OK);
    assert_eq!(activated.json::<Value>().await.unwrap()["status"], "active");
    assert_eq!(client_error(app.post(Some(admin), &path("/activate"), json!({})).await).await, "CAMPAIGN_STATE");

    // 5A's students ride in it, those who joined before and after; 6B's do not.
    let ride_5a = app.upload_gpx(&early, "5a", ride(school_morning(23), 11)).await.unwrap();
    assert_eq!(ride_5a["status"], "accepted", "{ride_5a:#}");
    let late = join(code_5a.clone()).await;
    assert_eq!(app.upload_gpx(&late, "5a-late", ride(school_morning(23), 12)).await.unwrap()["status"], "accepted");
    let other_class = join(code_6b).await;
    assert_eq!(app.upload_gpx(&other_class, "6b", ride(school_morning(23), 13)).await.unwrap_err(), "NOT_ENROLLED");

    // Paused: a student who joins now is enrolled but cannot upload until it runs again.
    assert_eq!(app.post(Some(admin), &path("/pause"), json!({})).await.status(), StatusCode::OK);
    let during_pause = join(code_5a.clone()).await;
    assert_eq!(
        app.upload_gpx(&during_pause, "paused", ride(school_morning(24), 14)).await.unwrap_err(),
        "NOT_ENROLLED"
    );
    assert_eq!(app.post(Some(admin), &path("/activate"), json!({})).await.status(), StatusCode::OK);
    assert_eq!(
        app.upload_gpx(&during_pause, "resumed", ride(school_morning(24), 14)).await.unwrap()["status"],
        "accepted"
    );

    // Closed for good.
    assert_eq!(app.post(Some(admin), &path("/close"), json!({})).await.status(), StatusCode::OK);
    for (method, tail, body) in [
        (reqwest::Method::POST, "/activate", json!({})),
        (reqwest::Method::PUT, "/rules", json!({"rules": renamed})),
        (reqwest::Method::PUT, "/audience", json!({"all_schools": true})),
        (reqwest::Method::POST, "/funding", json!({"points": 10})),
    ] {
        let response = app.client.request(method, app.url(&path(tail))).bearer_auth(admin).json(&body).send().await;
        assert_eq!(client_error(response.unwrap()).await, "CAMPAIGN_STATE", "{tail}");
    }

    // Another council finds nothing of it; an auditor reads it and changes nothing.
    let (_, other_setup) = new_council(app, "Stad Balen", "admin@balen.be").await;
    let outsider = app.set_up(&other_setup).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_json(&outsider, &path("")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.post(Some(&outsider), &path("/pause"), json!({})).await.status(), StatusCode::NOT_FOUND);
    let outsider_audience = app.put(&outsider, &path("/audience"), json!({"all_schools": true})).await;
    assert_eq!(outsider_audience.status(), StatusCode::NOT_FOUND);
    let auditor = app.staff_member(admin, "controle@mol.be", "auditor", None).await;
    assert_eq!(app.get_json(&auditor, &path("")).await.0, StatusCode::OK);
    assert_eq!(app.post(Some(&auditor), &path("/close"), json!({})).await.status(), StatusCode::FORBIDDEN);
    // Nor do a participant or a school's admin reach the council's campaigns.
    let school_admin = app.staff_member(admin, "directie@sintjan.be", "school_admin", Some(school.as_str())).await;
    for token in [&early, &school_admin] {
        assert_eq!(app.get_json(token, &path("")).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get_json(token, &path("/budget")).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.post(Some(token), &path("/activate"), json!({})).await.status(), StatusCode::FORBIDDEN);
        let created = app.post(Some(token), "/v1/admin/campaigns", json!({"rules": renamed})).await;
        assert_eq!(created.status(), StatusCode::FORBIDDEN);
    }
    let (_, audit) = app.get_json(admin, "/v1/admin/audit?limit=50").await;
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["campaign.create", "campaign.rules", "campaign.audience", "campaign.status"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

async fn campaign_files_and_versions_are_refused_with_precise_problems(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    let path = format!("/v1/admin/campaigns/{}/rules", campaigns[0]["id"].as_str().unwrap());

    // Impossible rules: every problem named at its field.
    let impossible = demo_file(|f| {
        f["id"] = "impossible".into();
        f["thresholds"]["min_speed_kmh"] = 40.into();
        f["valid_until"] = "2026-01-01".into();
    });
    let refused = app.post(Some(&admin), "/v1/admin/campaigns", json!({"rules": impossible})).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["code"], "CAMPAIGN_INVALID");
    let fields: Vec<&str> =
        refused["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["valid_until", "thresholds"], "{refused:#}");
    let negative = demo_file(|f| f["reward"]["points_per_ride"] = (-5).into());
    let refused: Value =
        app.post(Some(&admin), "/v1/admin/campaigns", json!({"rules": negative})).await.json().await.unwrap();
    assert_eq!(refused["problems"][0]["field"], "reward.points_per_ride", "{refused:#}");
    // The same file twice is a conflict.
    let taken = app.post(Some(&admin), "/v1/admin/campaigns", json!({"rules": demo_file(|_| ())})).await;
    assert_eq!((taken.status(), client_error(taken).await.as_str()), (StatusCode::CONFLICT, "CAMPAIGN_EXISTS"));

    // Versions: not in the past, not at or before the newest, and for the same campaign id.
    let now = Utc::now().timestamp_millis();
    let file = demo_file(|_| ());
    let past = app.put(&admin, &path, json!({"rules": file, "effective_from": now - 60_000})).await;
    assert_eq!(client_error(past).await, "VERSION_IN_THE_PAST");
    let next_week = now + 7 * 86_400_000;
    let planned = app.put(&admin, &path, json!({"rules": file, "effective_from": next_week})).await;
    assert_eq!(planned.status(), StatusCode::OK);
    assert_eq!(planned.json::<Value>().await.unwrap()["version"], 2);
    let overlapping = app.put(&admin, &path, json!({"rules": file, "effective_from": next_week - 1})).await;
    assert_eq!(
        (overlapping.status(), client_error(overlapping).await.as_str()),
        (StatusCode::CONFLICT, "VERSION_OVERLAP")
    );
    let renamed = demo_file(|f| f["id"] = "another".into());
    assert_eq!(client_error(app.put(&admin, &path, json!({"rules": renamed})).await).await, "CAMPAIGN_ID_CHANGED");
}

async fn a_campaigns_budget_is_read_from_the_ledger_and_warns_before_it_runs_out(app: &TestApp) {
    let (tenant, setup_token) = new_council(app, "Stad Geel-Oost", "admin@geel-oost.be").await;
    let admin = app.set_up(&setup_token).await["access_token"].as_str().unwrap().to_owned();
    let school = app.school(&tenant, "Sint-Aloysius").await;
    let class: Value = app
        .post(Some(&admin), &format!("/v1/admin/schools/{school}/classes"), json!({"name": "6A"}))
        .await
        .json()
        .await
        .unwrap();
    let body = json!({"rules": demo_file(|_| ()), "audience": {"schools": [school]}});
    let created: Value = app.post(Some(&admin), "/v1/admin/campaigns", body).await.json().await.unwrap();
    let path = |tail: &str| format!("/v1/admin/campaigns/{}{tail}", created["campaign"]["id"].as_str().unwrap());
    app.post(Some(&admin), &path("/funding"), json!({"points": 100})).await;
    app.post(Some(&admin), &path("/activate"), json!({})).await;
    let joined = app.post_json("/v1/auth/join", json!({"join_code": class["join_code"]["code"]})).await;
    let token = joined["access_token"].as_str().unwrap();

    // Two rides paid, one held in review.
    let monday = app.upload_gpx(token, "mon", ride(school_morning(23), 41)).await.unwrap();
    let tuesday = app.upload_gpx(token, "tue", ride(school_morning(24), 42)).await.unwrap();
    let doubtful = app.upload_gpx(token, "wed", ride_seen_in_a_vehicle(school_morning(25), 43, 0.3)).await.unwrap();
    assert_eq!((monday["status"].as_str(), doubtful["status"].as_str()), (Some("accepted"), Some("review")));
    let paid = monday["points"].as_i64().unwrap() + tuesday["points"].as_i64().unwrap();

    let (status, budget) = app.get_json(&admin, &path("/budget")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(budget["funded"], 100);
    assert_eq!((budget["paid"].as_i64(), budget["remaining"].as_i64()), (Some(paid), Some(100 - paid)));
    assert_eq!(budget["held"].as_i64(), doubtful["points"].as_i64());
    assert_eq!(budget["outstanding_in_wallets"].as_i64(), Some(paid));
    assert_eq!(budget["paid_last_14_days"].as_i64(), Some(paid), "all paid just now");
    // At that pace (paid / 14 a day) the rest lasts a few weeks: long before the end of June.
    let per_day = paid as f64 / 14.0;
    let days_left = ((100 - paid) as f64 / per_day).ceil() as i64;
    let runs_out_on: chrono::NaiveDate = budget["runs_out_on"].as_str().unwrap().parse().unwrap();
    let from_today_utc = (runs_out_on - Utc::now().date_naive()).num_days();
    assert!([days_left, days_left + 1].contains(&from_today_utc), "{budget:#}"); // Geel may be a day ahead of UTC
    assert_eq!(budget["ends_on"], "2027-06-30");
    assert!(budget["warning"].as_str().unwrap().contains("before the campaign ends on 2027-06-30"), "{budget:#}");

    // The relay's process writes the warning to the audit log, once a week at most.
    let now = Utc::now().timestamp_millis();
    assert!(smartville_engine::budget::warn_on_forecasts(&app.app_engine, now).await.unwrap() >= 1);
    assert_eq!(smartville_engine::budget::warn_on_forecasts(&app.app_engine, now).await.unwrap(), 0);
    let (_, audit) = app.get_json(&admin, "/v1/admin/audit?limit=1").await;
    assert_eq!(audit["entries"][0]["action"], "campaign.budget_warning");
    assert_eq!(audit["entries"][0]["after"]["runs_out_on"], budget["runs_out_on"]);

    // Others: an auditor reads it, another council does not find it.
    let auditor = app.staff_member(&admin, "controle@geel-oost.be", "auditor", None).await;
    assert_eq!(app.get_json(&auditor, &path("/budget")).await.0, StatusCode::OK);
    let outsider = demo_council_admin(app).await;
    assert_eq!(app.get_json(&outsider, &path("/budget")).await.0, StatusCode::NOT_FOUND);
}
