//! Spending points over HTTP, on both stacks: the whole flow from a ride to
//! a shop paid by the council with every figure agreeing, and who may do
//! what (a shop sees only itself, a participant only their own vouchers,
//! guessing codes at a counter is stopped).
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, demo_council_admin, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(
    a_ride_buys_a_voucher_the_shop_redeems_and_the_council_settles,
    a_shop_sees_only_itself_and_a_student_only_their_own_vouchers,
    guessing_codes_at_a_counter_is_stopped,
);

/// A shop registered by the council, taking Geelcoins at 10 cents a point; its id.
async fn register_shop(app: &TestApp, admin: &str, name: &str) -> String {
    let body = json!({"name": name, "address": "Markt 5, 2440 Geel", "latitude": 51.16, "longitude": 4.99,
        "category": "food", "coins": [{"coin": "Geelcoins", "point_value_cents": 10}]});
    let response = app.post(Some(admin), "/v1/admin/merchants", body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let shop: Value = response.json().await.unwrap();
    shop["merchant_id"].as_str().unwrap().to_owned()
}

/// A member of a shop's staff, signed in; their access token.
async fn shop_staff(app: &TestApp, admin: &str, shop: &str, email: &str, role: &str) -> String {
    let body = json!({"email": email, "role": role, "merchant_id": shop});
    let invited = app.post(Some(admin), "/v1/admin/staff", body).await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let invitation: Value = invited.json().await.unwrap();
    assert_eq!(invitation["staff"]["merchant_id"], shop);
    app.set_up(invitation["setup_token"].as_str().unwrap()).await["access_token"].as_str().unwrap().to_owned()
}

/// An offer proposed by the shop and approved by the council; its id.
async fn approved_offer(app: &TestApp, admin: &str, shop_admin: &str, title: &str, price: i64) -> String {
    let proposal = json!({"title": title, "price_points": price, "stock": 10, "valid_until": "2031-01-01T00:00:00Z"});
    let response = app.post(Some(shop_admin), "/v1/merchant/offers", proposal).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let offer: Value = response.json().await.unwrap();
    assert_eq!(offer["status"], "proposed");
    let id = offer["offer_id"].as_str().unwrap().to_owned();
    let decision =
        app.post(Some(admin), &format!("/v1/admin/offers/{id}/decision"), json!({"status": "approved"})).await;
    assert_eq!(decision.status(), StatusCode::OK);
    id
}

async fn buy(app: &TestApp, student: &str, offer: &str, key: &str) -> reqwest::Response {
    let path = app.url(&format!("/v1/rewards/{offer}/vouchers"));
    app.client.post(path).bearer_auth(student).header("idempotency-key", key).send().await.unwrap()
}

async fn redeem(app: &TestApp, counter: &str, code: &str) -> reqwest::Response {
    app.post(Some(counter), "/v1/merchant/redemptions", json!({"code": code})).await
}

async fn a_ride_buys_a_voucher_the_shop_redeems_and_the_council_settles(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, student, _) = app.join().await;
    let ride: Value = app.upload_example(&student, "to-school").await.json().await.unwrap();
    let trip = common::wait_settled(app, &student, ride["trip_id"].as_str().unwrap()).await;
    assert_eq!(trip["status"], "accepted", "{trip:#}");
    let earned = trip["points"].as_i64().unwrap();
    assert!(earned >= 10, "the ride earns enough for a voucher: {earned}");
    assert_eq!(app.balance(&student).await, earned);

    let shop = register_shop(app, &admin, "Bakkerij Peeters").await;
    let shop_admin = shop_staff(app, &admin, &shop, "bakker@peeters.be", "merchant_admin").await;
    let counter = shop_staff(app, &admin, &shop, "toonbank@peeters.be", "merchant_staff").await;
    let price = earned - 3;
    let offer = approved_offer(app, &admin, &shop_admin, "Croissant", price).await;

    // The student sees it, affordable, and buys it once whatever the retries.
    let (status, rewards) = app.get_json(&student, "/v1/rewards").await;
    assert_eq!(status, StatusCode::OK);
    let listed = rewards.as_array().unwrap().iter().find(|r| r["offer_id"] == offer.as_str()).unwrap();
    assert_eq!(
        (listed["affordable"].as_bool(), listed["merchant_name"].as_str()),
        (Some(true), Some("Bakkerij Peeters"))
    );
    let first = buy(app, &student, &offer, "croissant-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let voucher: Value = first.json().await.unwrap();
    let again = buy(app, &student, &offer, "croissant-1").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["voucher_id"], voucher["voucher_id"]);
    assert_eq!(app.balance(&student).await, 3, "the price is held from the wallet");
    let code = voucher["code"].as_str().unwrap();

    // Its QR code, as SVG and PNG.
    for (format, media) in [("", "image/svg+xml"), ("?format=png", "image/png")] {
        let qr = app.url(&format!("{}{format}", voucher["qr"].as_str().unwrap()));
        let response = app.client.get(qr).bearer_auth(&student).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], media);
        assert!(response.bytes().await.unwrap().len() > 200);
    }

    // The counter redeems it once; the second time is told when and where.
    let redeemed = redeem(app, &counter, &code.to_lowercase()).await;
    assert_eq!(redeemed.status(), StatusCode::OK);
    let redeemed: Value = redeemed.json().await.unwrap();
    assert_eq!(redeemed["value_cents"], price * 10);
    let twice = redeem(app, &counter, code).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    let problem: Value = twice.json().await.unwrap();
    assert_eq!(
        (problem["code"].as_str(), problem["redeemed_where"].as_str()),
        (Some("ALREADY_REDEEMED"), Some("Bakkerij Peeters"))
    );
    assert_eq!(problem["redeemed_at"], redeemed["redeemed_at"]);
    let (_, mine) = app.get_json(&student, &format!("/v1/vouchers/{}", voucher["voucher_id"].as_str().unwrap())).await;
    assert_eq!(mine["status"], "redeemed", "the student sees it used at once");
    let (_, today) = app.get_json(&counter, "/v1/merchant/redemptions").await;
    assert_eq!(today.as_array().unwrap().len(), 1);

    // The council settles: the same figures for the council, the shop and the CSV.
    let close = app.post(Some(&admin), &format!("/v1/admin/merchants/{shop}/settlements"), json!({})).await;
    assert_eq!(close.status(), StatusCode::CREATED);
    let settlement: Value = close.json().await.unwrap();
    assert_eq!((settlement["vouchers"].as_i64(), settlement["points"].as_i64()), (Some(1), Some(price)));
    assert_eq!(settlement["amount_cents"], price * 10);
    let id = settlement["settlement_id"].as_str().unwrap();
    // Another shop is told no such settlement exists.
    let other = register_shop(app, &admin, "Slagerij").await;
    let other_counter = shop_staff(app, &admin, &other, "toonbank@slagerij.be", "merchant_staff").await;
    let (status, _) = app.get_json(&other_counter, &format!("/v1/merchant/settlements/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, shop_view) = app.get_json(&counter, "/v1/merchant/settlements").await;
    assert_eq!(shop_view["settlements"][0], settlement);
    assert_eq!(shop_view["unsettled"], json!([]));
    let csv = app.client.get(app.url(&format!("/v1/merchant/settlements/{id}"))).bearer_auth(&counter);
    let csv = csv.header("accept", "text/csv").send().await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with(voucher["voucher_id"].as_str().unwrap())
            && lines[1].ends_with(&format!(",{price},{}", price * 10))
    );
    assert_eq!(lines[2], format!("total,,,{price},{}", price * 10));
    let (_, audit) = app.get_json(&admin, &format!("/v1/admin/settlements/{id}")).await;
    let kinds: Vec<&str> = audit["transfers"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["voucher_reserve", "redemption"]);

    let paid = app.post(Some(&admin), &format!("/v1/admin/settlements/{id}/paid"), json!({})).await;
    assert_eq!(paid.status(), StatusCode::OK);
    let twice = app.post(Some(&admin), &format!("/v1/admin/settlements/{id}/paid"), json!({})).await;
    assert_eq!(problem_code(twice).await, "ALREADY_PAID");
    let (_, audit) = app.get_json(&admin, &format!("/v1/admin/settlements/{id}")).await;
    assert_eq!(audit["transfers"].as_array().unwrap().last().unwrap()["kind"], "settlement");
    assert_eq!(app.balance(&student).await, 3);
    let violations = smartville_store::ledger::check(&app.app_engine.store).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
}

async fn a_shop_sees_only_itself_and_a_student_only_their_own_vouchers(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    // Merchants without a place, then with one (a prepared statement once kept the types of a
    // location-less first one on each connection, and refused coordinates after it on PostgreSQL).
    for n in 0..40 {
        let mut body = json!({"name": format!("Stand {n}")});
        if n >= 20 {
            body["latitude"] = json!(51.1);
            body["longitude"] = json!(4.9);
        }
        assert_eq!(app.post(Some(&admin), "/v1/admin/merchants", body).await.status(), StatusCode::CREATED, "{n}");
    }
    let (baker, florist) = (register_shop(app, &admin, "Bakker").await, register_shop(app, &admin, "Bloemist").await);
    let baker_admin = shop_staff(app, &admin, &baker, "b@bakker.be", "merchant_admin").await;
    let baker_counter = shop_staff(app, &admin, &baker, "t@bakker.be", "merchant_staff").await;
    let florist_admin = shop_staff(app, &admin, &florist, "b@bloemist.be", "merchant_admin").await;
    let offer = approved_offer(app, &admin, &baker_admin, "Bread", 5).await;

    // Counter staff redeem but do not propose; a shop cannot touch another's offers or the council's routes.
    let proposal = json!({"title": "Cake", "price_points": 5, "stock": 1, "valid_until": "2031-01-01T00:00:00Z"});
    assert_eq!(app.post(Some(&baker_counter), "/v1/merchant/offers", proposal).await.status(), StatusCode::FORBIDDEN);
    let withdraw = format!("/v1/merchant/offers/{offer}/withdraw");
    assert_eq!(app.post(Some(&florist_admin), &withdraw, json!({})).await.status(), StatusCode::NOT_FOUND);
    for path in ["/v1/admin/merchants", "/v1/admin/offers", "/v1/admin/schools", "/v1/admin/campaigns"] {
        assert_eq!(app.get_json(&baker_admin, path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, florist_offers) = app.get_json(&florist_admin, "/v1/merchant/offers").await;
    assert_eq!(florist_offers, json!([]));
    // A shop's staff cannot buy, and a student cannot redeem.
    let (_, student, _) = app.join().await;
    assert_eq!(buy(app, &baker_counter, &offer, "k").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(redeem(app, &student, "AAAA-AAAA-AAAA-AAAA").await.status(), StatusCode::FORBIDDEN);

    // Another student's voucher is nobody else's business, nor another shop's to redeem.
    let ride: Value = app.upload_example(&student, "ride").await.json().await.unwrap();
    common::wait_settled(app, &student, ride["trip_id"].as_str().unwrap()).await;
    let voucher: Value = buy(app, &student, &offer, "bread").await.json().await.unwrap();
    let (_, other, _) = app.join().await;
    let path = format!("/v1/vouchers/{}", voucher["voucher_id"].as_str().unwrap());
    assert_eq!(app.get_json(&other, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get_json(&other, &format!("{path}/qr")).await.0, StatusCode::NOT_FOUND);
    let cancel = app.post(Some(&other), &format!("{path}/cancel"), json!({})).await;
    assert_eq!(problem_code(cancel).await, "VOUCHER_NOT_FOUND");
    let florist_counter = shop_staff(app, &admin, &florist, "t@bloemist.be", "merchant_staff").await;
    let elsewhere = redeem(app, &florist_counter, voucher["code"].as_str().unwrap()).await;
    assert_eq!(problem_code(elsewhere).await, "VOUCHER_NOT_FOUND");

    // The student cancels it: the points come back, and the counter hears it is gone.
    let cancelled = app.post(Some(&student), &format!("{path}/cancel"), json!({})).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let gone = redeem(app, &baker_counter, voucher["code"].as_str().unwrap()).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    assert_eq!(problem_code(gone).await, "VOUCHER_CANCELLED");
}

async fn guessing_codes_at_a_counter_is_stopped(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let shop = register_shop(app, &admin, "Kiosk").await;
    let counter = shop_staff(app, &admin, &shop, "k@kiosk.be", "merchant_staff").await;
    let mut statuses = Vec::new();
    for n in 0..12 {
        statuses.push(redeem(app, &counter, &format!("AAAA-AAAA-AAAA-{n:04}")).await.status());
    }
    assert!(statuses[..10].iter().all(|s| *s == StatusCode::NOT_FOUND), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}
