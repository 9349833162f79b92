//! Data sources and their API keys over HTTP, on both stacks: a council
//! registers a source and gets its key once, a key signs the source in
//! until it is revoked (a second key keeps it going meanwhile), and a key
//! works on the routes of data sources only, a person's token never there;
//! a source's batches of readings are stored once, the good readings of a
//! batch whatever is wrong with the others, each bad one reported by index;
//! residents link to their household with the code from its letter.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, demo_council_admin, new_council, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(
    a_source_signs_in_with_its_key_until_the_council_revokes_it,
    a_key_opens_the_routes_of_data_sources_only,
    a_council_registers_households_with_a_link_code_for_each_letter,
    readings_are_stored_once_each_bad_one_refused_by_its_index,
    csv_batches_oversized_batches_and_revoked_keys,
    residents_link_with_their_letters_code_and_see_their_households_readings,
    a_batch_sent_again_while_the_first_is_in_flight_is_stored_once,
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
        assert_eq!(send(app, token, json!([weighing("r1", "HH-1", 1.0)])).await.0, StatusCode::UNAUTHORIZED);
    }
    let bare = app.client.get(app.url("/v1/devices/me")).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(app, "svk_not-a-key").await.0, StatusCode::UNAUTHORIZED);
}

/// Registers households `(reference, size)` in the council of `admin`; the answer.
async fn households(app: &TestApp, admin: &str, entries: Value) -> Value {
    let response = app.post(Some(admin), "/v1/admin/households", json!({"households": entries})).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Sends a JSON batch of readings with `key`: the status and the answer.
async fn send(app: &TestApp, key: &str, readings: Value) -> (StatusCode, Value) {
    let response = app.post(Some(key), "/v1/devices/readings", json!({"readings": readings})).await;
    (response.status(), response.json().await.unwrap())
}

/// A waste reading of `household` sent as a source sends one.
fn weighing(id: &str, household: &str, kg: f64) -> Value {
    json!({"id": id, "household_ref": household, "kind": "waste", "fraction": "residual",
           "observed_at": "2026-11-30T07:41:00Z", "value": kg, "unit": "kg"})
}

/// The amounts in force of a household, by reading id.
async fn amounts(app: &TestApp, household_id: &str) -> Vec<(String, i64)> {
    let store = &app.app_engine.store;
    let tenant = smartville_store::schools::find_join_code(store, "GEEL-5A").await.unwrap().unwrap().tenant_id;
    let readings =
        smartville_store::readings::of_household(store, &tenant, &household_id.into(), 0, i64::MAX).await.unwrap();
    readings.into_iter().map(|reading| (reading.id, reading.amount)).collect()
}

async fn a_council_registers_households_with_a_link_code_for_each_letter(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let first = households(app, &admin, json!([{"reference": "HH-1", "size": 2}, {"reference": "HH-2"}])).await;
    let registered = first["households"].as_array().unwrap();
    assert_eq!((registered[0]["reference"].as_str(), registered[0]["size"].as_i64()), (Some("HH-1"), Some(2)));
    assert!(registered[1]["size"].is_null());
    let code = registered[0]["link_code"].as_str().unwrap();
    assert_eq!(code.len(), 19, "{code}");
    // Registered again: the same household, its size kept, one more code for one more letter.
    let again = households(app, &admin, json!([{"reference": "HH-1"}])).await;
    assert_eq!(again["households"][0]["household_id"], registered[0]["household_id"]);
    assert_eq!(again["households"][0]["size"], 2);
    assert_ne!(again["households"][0]["link_code"].as_str(), Some(code));

    for bad in [
        json!([]),
        json!([{"reference": "HH-3"}, {"reference": "HH-3"}]),
        json!([{"reference": " "}]),
        json!([{"reference": "HH-4", "size": 0}]),
        json!([{"reference": "x".repeat(101)}]),
    ] {
        let response = app.post(Some(&admin), "/v1/admin/households", json!({"households": bad})).await;
        assert_eq!(problem_code(response).await, "INVALID_HOUSEHOLD", "{bad}");
    }
    let auditor = app.staff_member(&admin, "audit@geel.be", "auditor", None).await;
    let asked = app.post(Some(&auditor), "/v1/admin/households", json!({"households": [{"reference": "HH-5"}]})).await;
    assert_eq!(asked.status(), StatusCode::FORBIDDEN);
    let (_, audit) = app.get_json(&admin, "/v1/admin/audit?limit=10").await;
    assert!(audit.to_string().contains("households.register"), "{audit}");
}

async fn readings_are_stored_once_each_bad_one_refused_by_its_index(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let key =
        register(app, &admin, "IOK weighing", json!(["waste", "energy"])).await["key"].as_str().unwrap().to_owned();
    let registered = households(app, &admin, json!([{"reference": "HH-1"}, {"reference": "HH-2"}])).await;
    let hh1 = registered["households"][0]["household_id"].as_str().unwrap().to_owned();
    // A household of another council is no household of this one.
    let (_, setup) = new_council(app, "Mol", "admin@mol.be").await;
    let other = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    households(app, &other, json!([{"reference": "MOL-1"}])).await;

    let mut wrong_unit = weighing("r3", "HH-1", 1.0);
    wrong_unit["unit"] = json!("l");
    let mut future = weighing("r6", "HH-1", 1.0);
    future["observed_at"] = json!("2099-01-01T00:00:00Z");
    let batch = json!([
        weighing("r1", "HH-1", 12.4),
        {"id": "r2", "household_ref": "HH-2", "kind": "energy", "carrier": "electricity",
         "observed_at": "2026-11-30T23:00:00Z", "value": 212.5, "unit": "kWh"},
        wrong_unit,
        weighing("r4", "HH-1", -3.0),
        weighing("r5", "MOL-1", 5.0),
        future,
        weighing("r7", "HH-1", 1e9),
        {"id": "r8", "household_ref": "HH-1"},
        "not a reading",
    ]);
    let (status, answer) = send(app, &key, batch.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["code"], "READINGS_REJECTED");
    assert_eq!(
        (answer["received"].as_i64(), answer["stored"].as_i64(), answer["rejected"].as_i64()),
        (Some(9), Some(2), Some(7))
    );
    let codes: Vec<(i64, &str)> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_i64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    let expected = [
        (2, "UNKNOWN_UNIT"),
        (3, "NEGATIVE_VALUE"),
        (4, "UNKNOWN_HOUSEHOLD"),
        (5, "IN_THE_FUTURE"),
        (6, "VALUE_TOO_LARGE"),
        (7, "INVALID_READING"),
        (8, "INVALID_READING"),
    ];
    assert_eq!(codes, expected);
    assert_eq!(answer["errors"][5]["id"], "r8", "an unreadable reading is named by its id when it has one");
    assert_eq!(amounts(app, &hh1).await, [("r1".to_owned(), 12_400)]);

    // The same batch again (its answer was lost, say): nothing changes.
    let (_, again) = send(app, &key, batch).await;
    assert_eq!(
        (again["stored"].as_i64(), again["duplicates"].as_i64(), again["rejected"].as_i64()),
        (Some(0), Some(2), Some(7))
    );

    // A correction replaces the reading it names; a reading is corrected once, by a reading sent for it.
    let mut correction = weighing("r1-fix", "HH-1", 10.0);
    correction["correction_of"] = json!("r1");
    let (status, fixed) = send(app, &key, json!([correction.clone()])).await;
    assert_eq!((status, fixed["corrections"].as_i64()), (StatusCode::OK, Some(1)), "{fixed}");
    assert_eq!(amounts(app, &hh1).await, [("r1-fix".to_owned(), 10_000)]);
    assert_eq!(send(app, &key, json!([correction])).await.1["duplicates"], 1, "a correction sent again");
    let mut late = weighing("r1-fix-2", "HH-1", 9.0);
    late["correction_of"] = json!("r1");
    let mut nowhere = weighing("r9", "HH-1", 9.0);
    nowhere["correction_of"] = json!("never-sent");
    let (status, refused) = send(app, &key, json!([late, nowhere, weighing("r1", "HH-1", 99.0)])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes: Vec<&str> = refused["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["ALREADY_CORRECTED", "UNKNOWN_READING", "READING_CONFLICT"]);
    assert_eq!(amounts(app, &hh1).await, [("r1-fix".to_owned(), 10_000)], "nothing refused is stored");

    // A source sends the kinds it was registered for only.
    let waste_only =
        register(app, &admin, "Container park", json!(["waste"])).await["key"].as_str().unwrap().to_owned();
    let gas = json!({"id": "g1", "household_ref": "HH-2", "kind": "energy", "carrier": "gas",
                     "observed_at": "2026-11-30T23:00:00Z", "value": 40, "unit": "m3"});
    let (status, answer) = send(app, &waste_only, json!([gas])).await;
    assert_eq!(
        (status, answer["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("KIND_NOT_ALLOWED"))
    );
}

async fn csv_batches_oversized_batches_and_revoked_keys(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let source = register(app, &admin, "IOK weighing", json!(["waste"])).await;
    let key = source["key"].as_str().unwrap().to_owned();
    let registered = households(app, &admin, json!([{"reference": "HH-1"}])).await;
    let hh1 = registered["households"][0]["household_id"].as_str().unwrap().to_owned();
    let post_raw = |content_type: &'static str, body: String| {
        app.client
            .post(app.url("/v1/devices/readings"))
            .bearer_auth(&key)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    // CSV as waste companies export it: a header naming the columns, any order.
    let csv = "household_ref,id,kind,fraction,observed_at,value,unit\n\
               HH-1,c1,waste,residual,2026-11-28T07:00:00Z,8.5,kg\n\
               HH-1,c2,waste,pmd,2026-11-28T07:00:00Z,1200,g\n";
    let answer: Value = post_raw("text/csv; charset=utf-8", csv.into()).await.unwrap().json().await.unwrap();
    assert_eq!((answer["stored"].as_i64(), answer["rejected"].as_i64()), (Some(2), Some(0)), "{answer}");
    assert_eq!(amounts(app, &hh1).await, [("c1".to_owned(), 8_500), ("c2".to_owned(), 1_200)]);
    let bad_row =
        "id,household_ref,kind,fraction,observed_at,value,unit\nc3,HH-1,waste,residual,2026-11-28T07:00:00Z,heavy,kg\n";
    let answer: Value = post_raw("text/csv", bad_row.into()).await.unwrap().json().await.unwrap();
    assert_eq!(
        (answer["errors"][0]["code"].as_str(), answer["errors"][0]["id"].as_str()),
        (Some("INVALID_READING"), Some("c3"))
    );
    assert_eq!(problem_code(post_raw("text/csv", "who,what\nme,this\n".into()).await.unwrap()).await, "INVALID_BATCH");
    assert_eq!(problem_code(post_raw("application/json", "[1, 2]".into()).await.unwrap()).await, "INVALID_BATCH");
    let unsupported = post_raw("application/xml", "<readings/>".into()).await.unwrap();
    assert_eq!(unsupported.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Too many readings, or too many bytes: refused whole, nothing stored.
    let row = "HH-1,x,waste,residual,2026-11-28T07:00:00Z,1,kg\n";
    let too_many = format!("household_ref,id,kind,fraction,observed_at,value,unit\n{}", row.repeat(10_001));
    let refused = post_raw("text/csv", too_many).await.unwrap();
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem_code(refused).await, "TOO_MANY_READINGS");
    let too_big = format!("{{\"readings\": [], \"padding\": \"{}\"}}", "x".repeat((8 << 20) + 1024));
    let refused = post_raw("application/json", too_big).await.unwrap();
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(amounts(app, &hh1).await.len(), 2);

    // A batch of the most readings a batch may hold is taken whole.
    let full: Vec<Value> = (0..10_000).map(|n| weighing(&format!("full-{n}"), "HH-1", 0.5)).collect();
    let (status, answer) = send(app, &key, json!(full)).await;
    assert_eq!((status, answer["stored"].as_i64()), (StatusCode::OK, Some(10_000)));

    // A revoked key sends nothing.
    let url = app.url(&format!(
        "/v1/admin/sources/{}/keys/{}",
        source["source_id"].as_str().unwrap(),
        source["key_id"].as_str().unwrap()
    ));
    app.client.delete(url).bearer_auth(&admin).send().await.unwrap();
    let (status, answer) = send(app, &key, json!([weighing("late", "HH-1", 1.0)])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
}

/// Links the participant of `token` with a letter's `code`.
async fn link(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post(Some(token), "/v1/households/link", json!({"code": code})).await
}

async fn residents_link_with_their_letters_code_and_see_their_households_readings(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let key = register(app, &admin, "IOK weighing", json!(["waste"])).await["key"].as_str().unwrap().to_owned();
    let first = households(app, &admin, json!([{"reference": "HH-1", "size": 3}])).await;
    let second = households(app, &admin, json!([{"reference": "HH-1"}])).await;
    let household = first["households"][0]["household_id"].as_str().unwrap().to_owned();
    let (first_code, second_code) = (
        first["households"][0]["link_code"].as_str().unwrap().to_owned(),
        second["households"][0]["link_code"].as_str().unwrap().to_owned(),
    );
    send(app, &key, json!([weighing("w1", "HH-1", 12.4)])).await;
    let (_, parent, _) = app.join().await;
    let (_, child, _) = app.join().await;

    // Typed as people type: lower case, spaces for dashes.
    let typed = first_code.to_lowercase().replace('-', " ");
    let linked = link(app, &parent, &typed).await;
    assert_eq!(linked.status(), StatusCode::CREATED);
    let linked: Value = linked.json().await.unwrap();
    assert_eq!((linked["household_id"].as_str(), linked["members"].as_i64()), (Some(household.as_str()), Some(1)));
    assert_eq!(linked["readings"][0]["amount"], 12_400);
    assert_eq!(linked["readings"][0]["unit"], "g");
    // A letter's code links once; the second letter links the second member.
    assert_eq!(problem_code(link(app, &child, &first_code).await).await, "CODE_USED");
    assert_eq!(problem_code(link(app, &parent, &second_code).await).await, "ALREADY_LINKED");
    assert_eq!(link(app, &child, &second_code).await.status(), StatusCode::CREATED);
    let (status, mine) = app.get_json(&parent, "/v1/households/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((mine["households"][0]["members"].as_i64(), mine["households"][0]["size"].as_i64()), (Some(2), Some(3)));
    assert_eq!(mine["households"][0]["readings"].as_array().unwrap().len(), 1);

    // Codes of another council, and what is no code, link nobody.
    let (_, setup) = new_council(app, "Mol", "admin@mol.be").await;
    let other = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    let theirs = households(app, &other, json!([{"reference": "MOL-1"}])).await;
    let (_, stranger, _) = app.join().await;
    assert_eq!(
        problem_code(link(app, &stranger, theirs["households"][0]["link_code"].as_str().unwrap()).await).await,
        "UNKNOWN_CODE"
    );
    assert_eq!(problem_code(link(app, &stranger, "not a code").await).await, "UNKNOWN_CODE");
    assert_eq!(app.get_json(&stranger, "/v1/households/me").await.1, json!({"households": []}));
    // Staff and keys have no household.
    assert_eq!(app.get_json(&admin, "/v1/households/me").await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get_json(&key, "/v1/households/me").await.0, StatusCode::UNAUTHORIZED);

    // Unlinking, and erasure, take a member away; another's household is not theirs to unlink.
    let unlink = |token: &str, household: &str| {
        app.client.delete(app.url(&format!("/v1/households/{household}/link"))).bearer_auth(token).send()
    };
    assert_eq!(unlink(&stranger, &household).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(unlink(&child, &household).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(unlink(&child, &household).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get_json(&child, "/v1/households/me").await.1, json!({"households": []}));
    assert_eq!(app.get_json(&parent, "/v1/households/me").await.1["households"][0]["members"], 1);
    let third = households(app, &admin, json!([{"reference": "HH-1"}])).await;
    let third_code = third["households"][0]["link_code"].as_str().unwrap();
    assert_eq!(link(app, &child, third_code).await.status(), StatusCode::CREATED, "linking again after unlinking");
    let erased = app.client.delete(app.url("/v1/me")).bearer_auth(&child).send().await.unwrap();
    assert!(erased.status().is_success(), "{}", erased.status());
    assert_eq!(app.get_json(&parent, "/v1/households/me").await.1["households"][0]["members"], 1);
}

async fn a_batch_sent_again_while_the_first_is_in_flight_is_stored_once(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let key = register(app, &admin, "Gateway", json!(["waste"])).await["key"].as_str().unwrap().to_owned();
    households(app, &admin, json!([{"reference": "HH-1"}, {"reference": "HH-2"}])).await;
    let batch: Vec<Value> =
        (0..2_000).map(|i| weighing(&format!("w-{i}"), if i % 2 == 0 { "HH-1" } else { "HH-2" }, 1.0)).collect();
    let batch = Value::from(batch);
    // A source that timed out and sent again, three times, while the first try was still being stored.
    let tries = send_at_once(app, &key, &batch, 4).await;
    let mut stored = 0;
    for (status, answer) in tries {
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["stored"].as_i64().unwrap() + answer["duplicates"].as_i64().unwrap(), 2_000, "{answer}");
        stored += answer["stored"].as_i64().unwrap();
    }
    assert_eq!(stored, 2_000, "each reading stored by exactly one of the tries");
}

/// Sends `batch` `times` times at once.
async fn send_at_once(app: &TestApp, key: &str, batch: &Value, times: usize) -> Vec<(StatusCode, Value)> {
    let tries: Vec<_> = (0..times)
        .map(|_| {
            let (client, url, key, body) =
                (app.client.clone(), app.url("/v1/devices/readings"), key.to_owned(), json!({"readings": batch}));
            tokio::spawn(async move {
                let response = client.post(url).bearer_auth(key).json(&body).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(times);
    for answer in tries {
        answers.push(answer.await.unwrap());
    }
    answers
}
