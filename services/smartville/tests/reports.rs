//! Campaign reports on both stacks: every ride counted once as it is
//! decided, reviewed and paid, per day and per week, as JSON and CSV; and
//! each kind of staff member reads only the schools and classes in reach.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Utc};
use common::{TestApp, client_error, demo_council_admin, new_council, ride_seen_in_a_vehicle, wait_settled};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(
    the_report_counts_rides_as_they_are_decided_reviewed_and_paid,
    staff_read_the_reports_of_their_own_school_and_classes_only,
    rides_decided_before_reports_existed_are_counted_once_later,
);

/// 07:40 in Geel (UTC+1) on a day of November 2026.
fn morning(day: u32) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T07:40:00+01:00")).unwrap().to_utc()
}

/// The demo town's campaign id.
async fn demo_campaign(app: &TestApp, admin: &str) -> String {
    let (_, campaigns) = app.get_json(admin, "/v1/admin/campaigns").await;
    campaigns[0]["id"].as_str().unwrap().to_owned()
}

/// Figures of a report row or its totals: participants, accepted, rejected, in review, points issued, paid.
fn counts(figures: &Value) -> [i64; 6] {
    ["participants", "rides_accepted", "rides_rejected", "rides_in_review", "points_issued", "points_paid"]
        .map(|name| figures[name].as_i64().unwrap())
}

async fn the_report_counts_rides_as_they_are_decided_reviewed_and_paid(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let campaign = demo_campaign(app, &admin).await;
    let report = |query: &'static str| {
        let path = format!("/v1/admin/campaigns/{campaign}/report?{query}");
        let admin = admin.clone();
        async move {
            let (status, report) = app.get_json(&admin, &path).await;
            assert_eq!(status, StatusCode::OK, "{report:#}");
            report
        }
    };
    let (_, ann, _) = app.join().await;
    let (_, bob, _) = app.join().await;
    let ride = |token: &String, key: &'static str, day, seed, vehicle_share| {
        let (token, gpx) = (token.clone(), ride_seen_in_a_vehicle(morning(day), seed, vehicle_share));
        async move { app.upload_gpx(&token, key, gpx).await }
    };
    // Tuesday: two bike rides. Wednesday: one rejected, one held for review.
    let first = ride(&ann, "a1", 24, 1, 0.0).await.unwrap();
    let second = ride(&bob, "b1", 24, 2, 0.0).await.unwrap();
    let rejected = ride(&ann, "a2", 25, 3, 0.8).await.unwrap();
    let held = ride(&bob, "b2", 25, 4, 0.3).await.unwrap();
    let statuses = [&first, &second, &rejected, &held].map(|t| t["status"].as_str().unwrap());
    assert_eq!(statuses, ["accepted", "accepted", "rejected", "review"]);
    let points = |t: &Value| t["points"].as_i64().unwrap();
    let metres = |t: &Value| t["distance_m"].as_i64().unwrap();
    let tuesday_points = points(&first) + points(&second);

    let by_day = report("from=2026-11-23&until=2026-11-29").await;
    let rows = by_day["rows"].as_array().unwrap();
    let days: Vec<&str> = rows.iter().map(|r| r["starts"].as_str().unwrap()).collect();
    assert_eq!(days, ["2026-11-24", "2026-11-25"], "only days with rides");
    assert_eq!(counts(&rows[0]), [2, 2, 0, 0, tuesday_points, tuesday_points]);
    let km = (metres(&first) + metres(&second)) as f64 / 1000.0;
    assert!((rows[0]["km"].as_f64().unwrap() - km).abs() < 1e-9, "{:#}", rows[0]);
    assert!((rows[0]["co2_kg"].as_f64().unwrap() - km * 0.15).abs() < 1e-3, "150 g/km by default");
    assert_eq!(counts(&rows[1]), [0, 0, 1, 1, 0, 0], "nothing accepted on Wednesday yet");
    assert_eq!(rows[1]["rejections"], json!({"ACTIVITY_MISMATCH": 1}));
    assert_eq!(rows[1]["reviews"], json!({"ACTIVITY_MISMATCH": 1}));
    assert_eq!(counts(&by_day["totals"]), [2, 2, 1, 1, tuesday_points, tuesday_points]);
    assert_eq!(by_day["budget"]["paid"].as_i64(), Some(tuesday_points), "the budget moved by what was paid");

    // A reviewer accepts the held ride: it moves from review to accepted, and is paid.
    let path = format!("/v1/admin/reviews/{}", held["trip_id"].as_str().unwrap());
    assert_eq!(app.post(Some(&admin), &path, json!({"outcome": "accepted"})).await.status(), StatusCode::OK);
    wait_settled(app, &bob, held["trip_id"].as_str().unwrap()).await;
    let by_week = report("from=2026-11-23&until=2026-11-29&by=week").await;
    let week = &by_week["rows"][0];
    assert_eq!(week["starts"], "2026-11-23", "weeks start on Monday");
    let all_points = tuesday_points + points(&held);
    assert_eq!(counts(week), [2, 3, 1, 0, all_points, all_points], "each rider once in the week");
    assert_eq!((&week["rejections"], &week["reviews"]), (&json!({"ACTIVITY_MISMATCH": 1}), &json!({})));
    let wednesday = &report("from=2026-11-25&until=2026-11-25").await["rows"][0];
    assert_eq!(counts(wednesday), [1, 1, 1, 0, points(&held), points(&held)], "Bob rode on Wednesday too");
    let later = report("from=2026-11-25&until=2026-11-30").await;
    assert_eq!(later["totals"]["participants"], 0, "both riders' first ride was before the range");

    // As CSV: a row per period, a column per reason, a total.
    let csv = app
        .client
        .get(app.url(&format!("/v1/admin/campaigns/{campaign}/report?from=2026-11-23&until=2026-11-29")))
        .bearer_auth(&admin)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "period,participants,rides_accepted,rides_rejected,rides_in_review,km,co2_kg,points_issued,points_paid,\
         rejected ACTIVITY_MISMATCH"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[2].starts_with("2026-11-25,1,1,1,0,"), "{csv}");
    assert!(lines[3].starts_with("total,2,3,1,0,"), "{csv}");
    assert!(lines[3].ends_with(&format!(",{all_points},{all_points},1")), "{csv}");

    // What does not read, or is not a range, is refused with the reason.
    for (query, code) in [
        ("from=2026-11-29&until=2026-11-23", "INVALID_RANGE"),
        ("from=2024-01-01&until=2026-11-23", "INVALID_RANGE"),
        ("by=month", "INVALID_QUERY"),
        ("from=yesterday", "INVALID_QUERY"),
    ] {
        let path = format!("/v1/admin/campaigns/{campaign}/report?{query}");
        let response = app.client.get(app.url(&path)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(client_error(response).await, code, "{query}");
    }
}

async fn staff_read_the_reports_of_their_own_school_and_classes_only(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let campaign = demo_campaign(app, &admin).await;
    let (_, schools) = app.get_json(&admin, "/v1/admin/schools").await;
    let school = schools[0]["id"].as_str().unwrap().to_owned();
    let (_, classes) = app.get_json(&admin, &format!("/v1/admin/schools/{school}/classes")).await;
    let class = classes[0]["id"].as_str().unwrap().to_owned();
    let other: Value =
        app.post(Some(&admin), "/v1/admin/schools", json!({"name": "Sint-Dimpna"})).await.json().await.unwrap();
    let other_school = other["id"].as_str().unwrap();
    let school_admin = app.staff_member(&admin, "directie@school.be", "school_admin", Some(&school)).await;
    let other_admin = app.staff_member(&admin, "directie@dimpna.be", "school_admin", Some(other_school)).await;
    let teacher = app.staff_member(&admin, "juf@school.be", "teacher", Some(&school)).await;
    let auditor = app.staff_member(&admin, "controle@geel.be", "auditor", None).await;
    let (_, participant, _) = app.join().await;
    let ride = app.upload_gpx(&participant, "bike", ride_seen_in_a_vehicle(morning(24), 5, 0.0)).await.unwrap();
    assert_eq!(ride["status"], "accepted");

    let report = |token: &str, query: String| {
        let path = format!("/v1/admin/campaigns/{campaign}/report?from=2026-11-24&until=2026-11-24{query}");
        let token = token.to_owned();
        async move { app.get_json(&token, &path).await }
    };
    let accepted = |report: &Value| report["totals"]["rides_accepted"].as_i64().unwrap();
    // The council and its auditor read everything, with the budget.
    for reader in [&admin, &auditor] {
        let (status, all) = report(reader, String::new()).await;
        assert_eq!((status, accepted(&all)), (StatusCode::OK, 1));
        assert!(all["budget"]["funded"].as_i64().unwrap() > 0);
        let (_, by_school) = report(reader, format!("&school={other_school}")).await;
        assert_eq!(accepted(&by_school), 0, "the other school's students did not ride");
    }
    // A school's admin reads their own school, without the council's money, and no other school.
    let (status, own) = report(&school_admin, String::new()).await;
    assert_eq!((status, accepted(&own), &own["budget"]), (StatusCode::OK, 1, &Value::Null));
    assert_eq!(own["school_id"], school.as_str(), "limited to their school without asking");
    let (_, theirs) = report(&other_admin, String::new()).await;
    assert_eq!(accepted(&theirs), 0);
    assert_eq!(report(&other_admin, format!("&school={school}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(report(&other_admin, format!("&class={class}")).await.0, StatusCode::FORBIDDEN);
    // A teacher reads their own classes only: none until the class is theirs.
    let (_, none) = report(&teacher, String::new()).await;
    assert_eq!((accepted(&none), &none["class_ids"]), (0, &json!([])));
    assert_eq!(report(&teacher, format!("&class={class}")).await.0, StatusCode::FORBIDDEN);
    let (_, me) = app.get_json(&teacher, "/v1/admin/me").await;
    let change = json!({"name": classes[0]["name"], "teacher_ids": [me["id"]]});
    let response =
        app.client.patch(app.url(&format!("/v1/admin/classes/{class}"))).bearer_auth(&admin).json(&change).send();
    assert_eq!(response.await.unwrap().status(), StatusCode::OK);
    let (_, own) = report(&teacher, String::new()).await;
    assert_eq!((accepted(&own), &own["class_ids"]), (1, &json!([class])));
    assert_eq!(accepted(&report(&teacher, format!("&class={class}")).await.1), 1);
    // Nobody else: a participant, another council.
    assert_eq!(report(&participant, String::new()).await.0, StatusCode::FORBIDDEN);
    let (_, setup) = new_council(app, "Stad Mol", "admin@mol.be").await;
    let outsider = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(report(&outsider, String::new()).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        report(&admin, "&school=0190a000-0000-7000-8000-000000000000".to_owned()).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn rides_decided_before_reports_existed_are_counted_once_later(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let campaign = demo_campaign(app, &admin).await;
    let (_, token, _) = app.join().await;
    for (key, day, seed, vehicle_share) in [("a", 24, 11, 0.0), ("b", 25, 12, 0.8), ("c", 26, 13, 0.3)] {
        app.upload_gpx(&token, key, ride_seen_in_a_vehicle(morning(day), seed, vehicle_share)).await.unwrap();
    }
    let path = format!("/v1/admin/campaigns/{campaign}/report?from=2026-11-23&until=2026-11-29");
    let (_, counted) = app.get_json(&admin, &path).await;
    assert_eq!(counts(&counted["totals"])[1..4], [1, 1, 1], "{counted:#}");

    // As an engine from before reports left them: no local day on the trips, no sums.
    let pool = app.app_engine.store.pool_for_tests();
    for statement in [
        "update trips set local_day = null, class_id = null, school_id = null",
        "delete from report_days",
        "delete from report_day_reasons",
        "delete from report_riders",
    ] {
        sqlx::query(statement).execute(pool).await.unwrap();
    }
    let (_, empty) = app.get_json(&admin, &path).await;
    assert_eq!(counts(&empty["totals"]), [0; 6]);

    // Counted when the relay's process starts: the same report as before, and only once.
    assert_eq!(smartville_engine::reports::count_earlier_rides(&app.app_engine).await.unwrap(), 3);
    assert_eq!(smartville_engine::reports::count_earlier_rides(&app.app_engine).await.unwrap(), 0);
    let (_, recounted) = app.get_json(&admin, &path).await;
    assert_eq!(recounted, counted);
}
