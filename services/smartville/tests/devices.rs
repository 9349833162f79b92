//! Data sources and their API keys over HTTP, on both stacks: a council
//! registers a source and gets its key once, a key signs the source in
//! until it is revoked (a second key keeps it going meanwhile), and a key
//! works on the routes of data sources only, a person's token never there.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, demo_council_admin, new_council, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(
    a_source_signs_in_with_its_key_until_the_council_revokes_it,
    a_key_opens_the_routes_of_data_sources_only,
);

/// Registers a data source sending `kinds`; its first key.
async fn register(app: &TestApp, admin: &str, name: &str, kinds: Value) -> Value {
    let response = app.post(Some(admin), "/v1/admin/sources", json!({"name": name, "kinds": kinds})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// `GET /v1/devices/me` with `key`: the status and the answer.
async fn whoami(app: &TestApp, key: &str) -> (StatusCode, Value) {
    app.get_json(key, "/v1/devices/me").await
}

async fn a_source_signs_in_with_its_key_until_the_council_revokes_it(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let first = register(app, &admin, "IOK weighing system", json!(["waste", "waste"])).await;
    let (source, first_key) = (first["source_id"].as_str().unwrap(), first["key"].as_str().unwrap());
    assert!(first_key.starts_with("svk_"), "{first}");
    let (status, me) = whoami(app, first_key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((me["name"].as_str(), &me["kinds"]), (Some("IOK weighing system"), &json!(["waste"])));
    for bad in [json!({"name": "No kinds", "kinds": []}), json!({"name": " ", "kinds": ["energy"]})] {
        assert_eq!(problem_code(app.post(Some(&admin), "/v1/admin/sources", bad).await).await, "INVALID_SOURCE");
    }
    let unknown_kind = app.post(Some(&admin), "/v1/admin/sources", json!({"name": "x", "kinds": ["plastic"]})).await;
    assert!(unknown_kind.status().is_client_error());

    // A second key, then the first revoked: the source keeps going on the second.
    let second: Value =
        app.post(Some(&admin), &format!("/v1/admin/sources/{source}/keys"), json!({})).await.json().await.unwrap();
    let second_key = second["key"].as_str().unwrap();
    assert_eq!(whoami(app, second_key).await.0, StatusCode::OK);
    let revoke = |key_id: &str| {
        let url = app.url(&format!("/v1/admin/sources/{source}/keys/{key_id}"));
        app.client.delete(url).bearer_auth(&admin).send()
    };
    let revoked: Value = revoke(first["key_id"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let again: Value = revoke(first["key_id"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    assert_eq!(again["revoked_at"], revoked["revoked_at"], "revoking twice keeps the first time");
    assert_eq!(revoke("019ad3a4-5271-7434-9091-9d1b18e773d7").await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(whoami(app, first_key).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(app, second_key).await.0, StatusCode::OK);
    // The right key id with another secret is no key.
    let forged = format!("{}{}", &second_key[..second_key.len() - 64], "0".repeat(64));
    assert_eq!(whoami(app, &forged).await.0, StatusCode::UNAUTHORIZED);

    // The council sees its sources and keys, never a secret; the audit log says who did what.
    let (_, listed) = app.get_json(&admin, "/v1/admin/sources").await;
    let text = listed.to_string();
    assert!(!text.contains(&first_key[first_key.len() - 64..]) && !text.contains(&second_key[second_key.len() - 64..]));
    let keys = listed[0]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0]["revoked_at"].is_string() && keys[1]["revoked_at"].is_null());
    assert!(keys[1]["last_used_at"].is_string(), "{listed}");
    let (_, audit) = app.get_json(&admin, "/v1/admin/audit?limit=50").await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["source.register", "source.add_key", "source.revoke_key"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    // Another council sees none of it; an auditor reads but does not register.
    let (_, setup) = new_council(app, "Mol", "admin@mol.be").await;
    let other = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_json(&other, "/v1/admin/sources").await.1, json!([]));
    assert_eq!(revoke_as(app, &other, source, second["key_id"].as_str().unwrap()).await, StatusCode::NOT_FOUND);
    assert_eq!(whoami(app, second_key).await.0, StatusCode::OK);
    let auditor = app.staff_member(&admin, "audit@geel.be", "auditor", None).await;
    assert_eq!(app.get_json(&auditor, "/v1/admin/sources").await.0, StatusCode::OK);
    let body = json!({"name": "Meter platform", "kinds": ["energy"]});
    assert_eq!(app.post(Some(&auditor), "/v1/admin/sources", body).await.status(), StatusCode::FORBIDDEN);
}

async fn revoke_as(app: &TestApp, token: &str, source: &str, key_id: &str) -> StatusCode {
    let url = app.url(&format!("/v1/admin/sources/{source}/keys/{key_id}"));
    app.client.delete(url).bearer_auth(token).send().await.unwrap().status()
}

async fn a_key_opens_the_routes_of_data_sources_only(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let key = register(app, &admin, "Fluvius meter data", json!(["energy"])).await["key"].as_str().unwrap().to_owned();
    let (_, student, _) = app.join().await;
    for path in ["/v1/wallet", "/v1/trips", "/v1/rewards", "/v1/admin/me", "/v1/admin/sources", "/v1/merchant/offers"] {
        assert_eq!(app.get_json(&key, path).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
    for token in [&student, &admin] {
        assert_eq!(whoami(app, token).await.0, StatusCode::UNAUTHORIZED);
    }
    let bare = app.client.get(app.url("/v1/devices/me")).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(app, "svk_not-a-key").await.0, StatusCode::UNAUTHORIZED);
}
