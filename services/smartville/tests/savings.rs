//! A savings campaign from readings to wallets, on both stacks: a year of
//! weighings comes in (in batches, with a correction, a duplicate and a bad
//! item), a period is closed, the household that saved is credited once,
//! split between its members, the others get their reason codes, a second
//! close changes nothing, a correction after the close pays the difference,
//! and the members see it all in `GET /v1/households/me`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Datelike;
use common::{TestApp, demo_council_admin, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use smartville_engine::savings::{Period, PeriodLength, SavingsSpec};

on_both_stacks!(a_period_close_pays_savers_once_and_tells_everyone_why, savings_campaigns_refuse_what_does_not_fit);

/// The campaign file: residual waste, monthly, against the same month a year
/// earlier, from the month before this one to the end of this one.
fn campaign_file(last_month: Period) -> Value {
    json!({
        "kind": "savings", "id": "geel-less-residual", "name": "Minder restafval",
        "time_zone": "Europe/Brussels", "valid_from": last_month.first_day(),
        "valid_until": last_month.next().last_day(), "budget_points": 10_000,
        "covers": ["residual"], "period": "month", "baseline": {"rule": "same_period_last_year"},
        "min_readings": 2, "threshold_percent": 10, "points": {"per_kg": 10},
        "caps": {"points_per_period": 500}
    })
}

/// The month before the current one, in the campaign's time zone.
fn last_month() -> Period {
    let rules = SavingsSpec::check(campaign_file(Period::parse(PeriodLength::Month, "2026-01").unwrap())).unwrap();
    rules.period_at(smartville_engine::now_ms()).back(1)
}

/// A residual-waste weighing of `household` on `day` of `month`.
fn weighing(id: &str, household: &str, month: Period, day: u32, kg: f64) -> Value {
    let observed_at = format!("{}T08:00:00Z", month.first_day().with_day(day).unwrap());
    json!({"id": id, "household_ref": household, "kind": "waste", "fraction": "residual",
           "observed_at": observed_at, "value": kg, "unit": "kg"})
}

async fn send(app: &TestApp, key: &str, readings: Value) -> (StatusCode, Value) {
    let response = app.post(Some(key), "/v1/devices/readings", json!({"readings": readings})).await;
    (response.status(), response.json().await.unwrap())
}

/// Creates, funds and starts the savings campaign; its id.
async fn start_campaign(app: &TestApp, admin: &str, file: Value) -> String {
    let created = app.post(Some(admin), "/v1/admin/campaigns", json!({"rules": file})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["campaign"]["kind"], "savings");
    let id = created["campaign"]["id"].as_str().unwrap().to_owned();
    let funded = app.post(Some(admin), &format!("/v1/admin/campaigns/{id}/funding"), json!({"points": 10_000})).await;
    assert_eq!(funded.status(), StatusCode::OK);
    let activated = app.post(Some(admin), &format!("/v1/admin/campaigns/{id}/activate"), json!({})).await;
    assert_eq!(activated.status(), StatusCode::OK, "a savings campaign runs without schools");
    id
}

async fn close(app: &TestApp, admin: &str, campaign: &str, period: &str) -> reqwest::Response {
    app.post(Some(admin), &format!("/v1/admin/campaigns/{campaign}/periods/{period}/close"), json!({})).await
}

/// Links a new participant to a household with the code from its letter; their token.
async fn resident(app: &TestApp, code: &str) -> String {
    let (_, token, _) = app.join().await;
    let linked = app.post(Some(&token), "/v1/households/link", json!({"code": code})).await;
    assert_eq!(linked.status(), StatusCode::CREATED);
    token
}

/// Waits until the wallet of `token` holds `expected` Geelcoins.
async fn wallet_reaches(app: &TestApp, token: &str, expected: i64) {
    let mut balance = 0;
    for _ in 0..200 {
        balance = app.balance(token).await;
        if balance == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the wallet holds {balance}, not {expected}");
}

async fn a_period_close_pays_savers_once_and_tells_everyone_why(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let source = app.post(Some(&admin), "/v1/admin/sources", json!({"name": "IOK weighing", "kinds": ["waste"]})).await;
    let key = source.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_owned();
    let households = json!({"households": [
        {"reference": "SAVER", "size": 2}, {"reference": "SPENDER", "size": 3},
        {"reference": "NEWCOMER", "size": 4}, {"reference": "SPARSE", "size": 2}, {"reference": "UNLINKED", "size": 2}
    ]});
    let registered: Value = app.post(Some(&admin), "/v1/admin/households", households).await.json().await.unwrap();
    let code = |i: usize| registered["households"][i]["link_code"].as_str().unwrap().to_owned();
    // A second letter for the saver's second resident.
    let again = json!({"households": [{"reference": "SAVER"}]});
    let again: Value = app.post(Some(&admin), "/v1/admin/households", again).await.json().await.unwrap();
    let second_letter = again["households"][0]["link_code"].as_str().unwrap().to_owned();

    // A year of weighings, two a month, a batch a month; the newcomer only has the last month.
    let month = last_month();
    let a_year_ago = month.back(12);
    let mut m = a_year_ago;
    while m != month {
        let (kg_saver, kg_spender) = if m == a_year_ago { (20.0, 15.0) } else { (18.0, 14.0) };
        let batch = json!([
            weighing(&format!("{m}-s1"), "SAVER", m, 5, kg_saver),
            weighing(&format!("{m}-s2"), "SAVER", m, 19, kg_saver),
            weighing(&format!("{m}-p1"), "SPENDER", m, 5, kg_spender),
            weighing(&format!("{m}-p2"), "SPENDER", m, 19, kg_spender),
            weighing(&format!("{m}-q1"), "SPARSE", m, 6, 10.0),
            weighing(&format!("{m}-q2"), "SPARSE", m, 20, 10.0),
            weighing(&format!("{m}-u1"), "UNLINKED", m, 6, 10.0),
        ]);
        let (status, answer) = send(app, &key, batch).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        m = m.next();
    }
    // The last month: a bad item beside the good ones, a reading sent twice, a correction.
    let last = json!([
        weighing("last-s1", "SAVER", month, 5, 13.0),
        weighing("last-s2", "SAVER", month, 19, 15.0),
        weighing("last-p1", "SPENDER", month, 5, 14.0),
        weighing("last-p2", "SPENDER", month, 19, 14.5),
        weighing("last-n1", "NEWCOMER", month, 5, 9.0),
        weighing("last-n2", "NEWCOMER", month, 19, 9.0),
        weighing("last-q1", "SPARSE", month, 6, 4.0),
        json!({"id": "last-bad", "household_ref": "SAVER", "kind": "waste", "fraction": "residual",
               "observed_at": "2026-01-01T00:00:00Z", "value": 3, "unit": "stones"}),
    ]);
    let (status, answer) = send(app, &key, last.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!((answer["stored"].as_i64(), answer["errors"][0]["code"].as_str()), (Some(7), Some("UNKNOWN_UNIT")));
    assert_eq!(send(app, &key, last).await.1["duplicates"], 7, "sent again, nothing changes");
    let mut correction = weighing("last-s2-fix", "SAVER", month, 19, 11.9);
    correction["correction_of"] = json!("last-s2");
    assert_eq!(send(app, &key, json!([correction])).await.1["corrections"], 1);

    let (parent, child) = (resident(app, &code(0)).await, resident(app, &second_letter).await);
    let spender = resident(app, &code(1)).await;
    let _newcomer = resident(app, &code(2)).await;
    let _sparse = resident(app, &code(3)).await;

    let campaign = start_campaign(app, &admin, campaign_file(month)).await;
    let label = month.to_string();
    let first: Value = close(app, &admin, &campaign, &label).await.json().await.unwrap();
    // The saver: 24.9 kg against 40 kg a year earlier, 15.1 kg × 10 points, split 76 / 75.
    assert_eq!((first["households"].as_i64(), first["changed"].as_i64()), (Some(4), Some(4)), "{first}");
    assert_eq!(
        (first["accepted"].as_i64(), first["points"].as_i64(), first["credited"].as_i64()),
        (Some(1), Some(151), Some(151))
    );
    assert_eq!(first["reasons"], json!({"BELOW_THRESHOLD": 1, "INSUFFICIENT_DATA": 1, "NO_BASELINE": 1}));
    wallet_reaches(app, &parent, 76).await;
    wallet_reaches(app, &child, 75).await;

    // Closing again changes nothing and pays nothing.
    let second: Value = close(app, &admin, &campaign, &label).await.json().await.unwrap();
    assert_eq!(
        (second["changed"].as_i64(), second["credited"].as_i64(), second["points"].as_i64()),
        (Some(0), Some(0), Some(151))
    );

    // A correction after the close: the job closes the period again, the difference is taken back.
    let mut late = weighing("last-s2-fix2", "SAVER", month, 19, 13.9);
    late["correction_of"] = json!("last-s2-fix");
    assert_eq!(send(app, &key, json!([late])).await.1["corrections"], 1);
    let closed = smartville_engine::savings::close_due(&app.app_engine, smartville_engine::now_ms()).await.unwrap();
    assert_eq!(closed.iter().map(|s| (s.changed, s.credited)).collect::<Vec<_>>(), [(1, -20)]);
    wallet_reaches(app, &parent, 66).await;
    wallet_reaches(app, &child, 65).await;
    assert!(
        smartville_engine::savings::close_due(&app.app_engine, smartville_engine::now_ms()).await.unwrap().is_empty()
    );

    // Members see the decision with its figures; the others see why they earned nothing.
    let (_, mine) = app.get_json(&parent, "/v1/households/me").await;
    let decision = &mine["households"][0]["decisions"][0];
    assert_eq!((decision["period"].as_str(), decision["revision"].as_i64()), (Some(label.as_str()), Some(2)), "{mine}");
    assert_eq!(
        (decision["decision"]["status"].as_str(), decision["decision"]["points"].as_i64()),
        (Some("accepted"), Some(131))
    );
    let figures = &decision["decision"]["measures"][0];
    assert_eq!((figures["actual"].as_i64(), figures["baseline"].as_i64()), (Some(26_900), Some(40_000)));
    assert_eq!(figures["baseline_source"], "own_history");
    let (_, theirs) = app.get_json(&spender, "/v1/households/me").await;
    let decision = &theirs["households"][0]["decisions"][0]["decision"];
    assert_eq!(
        (decision["status"].as_str(), decision["reasons"][0]["code"].as_str()),
        (Some("rejected"), Some("BELOW_THRESHOLD"))
    );
    assert_eq!(app.balance(&spender).await, 0);

    // The ledger balances, and the budget paid what the wallets hold.
    let (_, budget) = app.get_json(&admin, &format!("/v1/admin/campaigns/{campaign}/budget")).await;
    assert_eq!((budget["paid"].as_i64(), budget["remaining"].as_i64()), (Some(131), Some(10_000 - 131)), "{budget}");
    assert_eq!(budget["paid_last_14_days"], 131, "the pace counts what households were paid");
    let violations = smartville_store::ledger::check(&app.app_engine.store).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");

    // A correction of the baseline month a year back: the period it judged is closed again (42 kg).
    let mut baseline = weighing(&format!("{a_year_ago}-s2-fix"), "SAVER", a_year_ago, 19, 22.0);
    baseline["correction_of"] = json!(format!("{a_year_ago}-s2"));
    assert_eq!(send(app, &key, json!([baseline])).await.1["corrections"], 1);
    let closed = smartville_engine::savings::close_due(&app.app_engine, smartville_engine::now_ms()).await.unwrap();
    assert_eq!(closed.iter().map(|s| (s.changed, s.credited)).collect::<Vec<_>>(), [(1, 20)]);
    wallet_reaches(app, &parent, 76).await;
    wallet_reaches(app, &child, 75).await;
}

async fn savings_campaigns_refuse_what_does_not_fit(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let month = last_month();
    let mut bad = campaign_file(month);
    bad["covers"] = json!(["residual", "plutonium"]);
    bad["baseline"] = json!({"rule": "mean_of_last", "periods": 0});
    let refused = app.post(Some(&admin), "/v1/admin/campaigns", json!({"rules": bad})).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = refused.json().await.unwrap();
    let fields: Vec<&str> =
        refused["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["covers[1]", "baseline.periods"], "{refused}");
    let checked: Value =
        app.post(Some(&admin), "/v1/admin/campaigns/validate", campaign_file(month)).await.json().await.unwrap();
    assert_eq!(checked["valid"], true, "{checked}");
    let schools = json!({"rules": campaign_file(month), "audience": {"all_schools": true}});
    assert_eq!(problem_code(app.post(Some(&admin), "/v1/admin/campaigns", schools).await).await, "AUDIENCE_NOT_TAKEN");

    let created: Value = app
        .post(Some(&admin), "/v1/admin/campaigns", json!({"rules": campaign_file(month)}))
        .await
        .json()
        .await
        .unwrap();
    let campaign = created["campaign"]["id"].as_str().unwrap().to_owned();
    let label = month.to_string();
    assert_eq!(
        problem_code(close(app, &admin, &campaign, &label).await).await,
        "CAMPAIGN_STATE",
        "a draft closes nothing"
    );
    app.post(Some(&admin), &format!("/v1/admin/campaigns/{campaign}/activate"), json!({})).await;
    for (period, code) in [
        (month.next().to_string(), "PERIOD_NOT_OVER"),
        (month.back(1).to_string(), "OUTSIDE_CAMPAIGN"),
        ("2026-13".to_owned(), "INVALID_PERIOD"),
        ("2026-Q1".to_owned(), "INVALID_PERIOD"),
    ] {
        assert_eq!(problem_code(close(app, &admin, &campaign, &period).await).await, code, "{period}");
    }
    let (_, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    let rides = campaigns.as_array().unwrap().iter().find(|c| c["kind"] == "rides").unwrap()["id"].as_str().unwrap();
    assert_eq!(problem_code(close(app, &admin, rides, &label).await).await, "NOT_A_SAVINGS_CAMPAIGN");
    // A campaign keeps its kind: a rides file (no `kind`) with its id is refused.
    let mut rides_file: Value = serde_json::from_str(include_str!("../../../examples/campaign.json")).unwrap();
    rides_file["id"] = json!("geel-less-residual");
    let changed = app.put(&admin, &format!("/v1/admin/campaigns/{campaign}/rules"), json!({"rules": rides_file})).await;
    assert_eq!(problem_code(changed).await, "CAMPAIGN_KIND_CHANGED");
    let (status, budget) = app.get_json(&admin, &format!("/v1/admin/campaigns/{campaign}/budget")).await;
    assert_eq!(
        (status, budget["paid"].as_i64(), budget["ends_on"].as_str()),
        (StatusCode::OK, Some(0), Some(month.next().last_day().to_string().as_str()))
    );
    // Another council cannot close this council's periods.
    let (_, setup) = common::new_council(app, "Mol", "admin@mol.be").await;
    let other = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(close(app, &other, &campaign, &label).await.status(), StatusCode::NOT_FOUND);
}
