//! Litter and illegal-dumping reports on both stacks: reports with photos
//! (kept without their metadata; what is no image, or too large, refused),
//! grouped when within 50 m and 24 h of an open one, validated by the
//! council with the group's first reporter paid by the litter campaign
//! (once), or rejected; and served as Open311 GeoReport v2 service requests
//! without who reported them.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, demo_council_admin, new_council, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(reports_are_grouped_validated_paid_once_and_served_as_open311);

/// The demo town's sports hall, and 30 m and 300 m from it.
const HALL: (f64, f64) = (51.1617, 4.9896);

fn north_of(metres: f64) -> (f64, f64) {
    (HALL.0 + metres / 111_195.0, HALL.1)
}

/// A report's photo as council staff fetch it.
async fn admin_photo(app: &TestApp, admin: &str, id: &str) -> reqwest::Response {
    app.client.get(app.url(&format!("/v1/admin/litter-reports/{id}/photo"))).bearer_auth(admin).send().await.unwrap()
}

/// A JPEG photo with the kind of metadata a phone writes into one.
fn photo() -> Vec<u8> {
    common::photo_with_a_comment(b"GPS 51.1617 4.9896 taken by Ann's phone")
}

async fn report(app: &TestApp, token: &str, (lat, lon): (f64, f64), category: &str) -> reqwest::Response {
    let body = json!({"lat": lat, "lon": lon, "category": category, "note": "Bags of rubble behind the hall"});
    app.post(Some(token), "/v1/litter-reports", body).await
}

async fn put_photo(app: &TestApp, token: &str, report: &str, body: Vec<u8>) -> reqwest::Response {
    let url = app.url(&format!("/v1/litter-reports/{report}/photo"));
    app.client.put(url).bearer_auth(token).header("content-type", "image/jpeg").body(body).send().await.unwrap()
}

async fn decide(app: &TestApp, token: &str, report: &str, decision: &str) -> reqwest::Response {
    let body = json!({"decision": decision, "note": "Cleared on Tuesday"});
    app.post(Some(token), &format!("/v1/admin/litter-reports/{report}/decision"), body).await
}

async fn reports_are_grouped_validated_paid_once_and_served_as_open311(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let tenant = smartville_store::tenancy::tenants(&app.app_engine.store).await.unwrap()[0].id.to_string();
    let litter = json!({"rules": {"kind": "litter", "id": "geel-clean-streets", "name": "Proper streets",
        "time_zone": "Europe/Brussels", "valid_from": "2026-01-01", "valid_until": "2099-12-31",
        "budget_points": 1000, "points_per_report": 25, "categories": ["illegal_dumping", "hazardous"]}});
    let created: Value = app.post(Some(&admin), "/v1/admin/campaigns", litter).await.json().await.unwrap();
    assert_eq!(created["campaign"]["kind"], "litter", "{created}");
    let campaign = created["campaign"]["id"].as_str().unwrap().to_owned();
    app.post(Some(&admin), &format!("/v1/admin/campaigns/{campaign}/funding"), json!({"points": 1000})).await;
    let activated = app.post(Some(&admin), &format!("/v1/admin/campaigns/{campaign}/activate"), json!({})).await;
    assert_eq!(activated.status(), StatusCode::OK);

    let (_, ann, _) = app.join().await;
    let (_, bob, _) = app.join().await;
    let first = report(app, &ann, HALL, "illegal_dumping").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let id = first["report_id"].as_str().unwrap().to_owned();
    assert_eq!((first["group_id"].as_str(), first["status"].as_str()), (Some(id.as_str()), Some("open")));

    // The photo is kept re-encoded, without what the camera wrote; what is no image, or too large, is refused.
    let given = put_photo(app, &ann, &id, photo()).await;
    assert_eq!(given.status(), StatusCode::OK);
    assert_eq!(given.json::<Value>().await.unwrap()["has_photo"], true);
    assert_eq!(problem_code(put_photo(app, &ann, &id, b"GIF89a not really".to_vec()).await).await, "INVALID_PICTURE");
    let huge = put_photo(app, &ann, &id, vec![0xff; 5 * 1024 * 1024 + 1024]).await;
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(put_photo(app, &bob, &id, photo()).await.status(), StatusCode::NOT_FOUND, "not Bob's report");
    let seen = admin_photo(app, &admin, &id).await;
    assert_eq!(seen.status(), StatusCode::OK);
    let seen = seen.bytes().await.unwrap();
    assert!(!seen.windows(9).any(|w| w == b"Ann's pho"), "the photo's metadata is gone");
    assert_eq!(image::load_from_memory(&seen).unwrap().to_rgb8().dimensions(), (64, 48));

    // Bob, 30 m away the same day, joins Ann's group; 300 m away is another place.
    let second: Value = report(app, &bob, north_of(30.0), "illegal_dumping").await.json().await.unwrap();
    assert_eq!(second["group_id"].as_str(), Some(id.as_str()));
    let elsewhere: Value = report(app, &bob, north_of(300.0), "litter").await.json().await.unwrap();
    assert_ne!(elsewhere["group_id"].as_str(), Some(id.as_str()));

    // Bad reports: a place that cannot be, an unknown category, a note too long.
    for bad in [
        json!({"lat": 91.0, "lon": 4.9, "category": "litter"}),
        json!({"lat": 51.1, "lon": 4.9, "category": "graffiti"}),
        json!({"lat": 51.1, "lon": 4.9, "category": "litter", "note": "x".repeat(501)}),
    ] {
        assert_eq!(problem_code(app.post(Some(&ann), "/v1/litter-reports", bad).await).await, "INVALID_REPORT");
    }

    // The council validates Bob's report: the whole group is decided, Ann (first) is paid once.
    let (_, open) = app.get_json(&admin, "/v1/admin/litter-reports").await;
    assert_eq!(open.as_array().unwrap().len(), 3);
    let (_, setup) = new_council(app, "Mol", "admin@mol.be").await;
    let other = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(decide(app, &other, &id, "validate").await.status(), StatusCode::NOT_FOUND, "another council's");
    assert_eq!(decide(app, &ann, &id, "validate").await.status(), StatusCode::FORBIDDEN);
    let decided = decide(app, &admin, second["report_id"].as_str().unwrap(), "validate").await;
    assert_eq!(decided.status(), StatusCode::OK);
    let decided: Value = decided.json().await.unwrap();
    let points: Vec<i64> = decided.as_array().unwrap().iter().map(|r| r["points"].as_i64().unwrap()).collect();
    assert_eq!(points, [25, 0]);
    assert_eq!(problem_code(decide(app, &admin, &id, "validate").await).await, "REPORT_DECIDED");
    assert_eq!((app.balance(&ann).await, app.balance(&bob).await), (25, 0));
    assert_eq!(problem_code(put_photo(app, &ann, &id, photo()).await).await, "NOT_FOUND", "decided: no new photo");
    // A rejected group pays nothing.
    let other_place = elsewhere["report_id"].as_str().unwrap();
    assert_eq!(decide(app, &admin, other_place, "reject").await.status(), StatusCode::OK);
    let (_, mine) = app.get_json(&bob, "/v1/litter-reports").await;
    let statuses: Vec<&str> = mine.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["rejected", "validated"]);

    // Open311: one request per group, public, without who reported or what they wrote.
    let response = public(app, &format!("/v1/open311/requests.json?jurisdiction_id={tenant}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let requests: Value = response.json().await.unwrap();
    assert_eq!(requests.as_array().unwrap().len(), 2, "{requests}");
    assert_eq!(
        (requests[0]["service_request_id"].as_str(), requests[0]["status"].as_str()),
        (Some(id.as_str()), Some("closed"))
    );
    assert_eq!(
        (requests[0]["service_code"].as_str(), requests[0]["status_notes"].as_str()),
        (Some("illegal_dumping"), Some("Cleared on Tuesday"))
    );
    let text = requests.to_string();
    assert!(!text.contains("rubble") && !text.contains(&bob_id(app, &bob).await), "{text}");
    let open = public(app, &format!("/v1/open311/requests.json?jurisdiction_id={tenant}&status=open")).await;
    assert_eq!(open.json::<Value>().await.unwrap(), json!([]));
    let nowhere = "/v1/open311/requests.json?jurisdiction_id=019ad3a4-0000-7000-8000-000000000000";
    assert_eq!(public(app, nowhere).await.status(), StatusCode::NOT_FOUND);
    let services = public(app, &format!("/v1/open311/services.json?jurisdiction_id={tenant}")).await;
    assert_eq!(services.json::<Value>().await.unwrap().as_array().unwrap().len(), 4);

    // Ann erases herself: her report keeps its place for the council, not her words or her photo.
    let erased = app.client.delete(app.url("/v1/me")).bearer_auth(&ann).send().await.unwrap();
    assert!(erased.status().is_success());
    let (_, validated) = app.get_json(&admin, "/v1/admin/litter-reports?status=validated").await;
    let hers = validated.as_array().unwrap().iter().find(|r| r["report_id"] == id.as_str()).unwrap();
    assert_eq!(
        (hers["note"].clone(), hers["has_photo"].clone(), hers["lat"].clone()),
        (Value::Null, json!(false), json!(HALL.0))
    );
    let photo = admin_photo(app, &admin, &id).await;
    assert_eq!(photo.status(), StatusCode::NOT_FOUND);

    let violations = smartville_store::ledger::check(&app.app_engine.store).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

async fn bob_id(app: &TestApp, token: &str) -> String {
    let (_, export) = app.get_json(token, "/v1/me/export").await;
    export["participant"]["participant_id"].as_str().unwrap().to_owned()
}

/// A GET without a token, as a back-office reads Open311.
async fn public(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}
