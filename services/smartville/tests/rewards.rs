//! Spending points over HTTP, on both stacks: the whole flow from a ride to
//! a shop paid by the council with every figure agreeing, and who may do
//! what (a shop sees only itself, a participant only their own vouchers,
//! guessing codes at a counter is stopped).
#![allow(clippy::unwrap_used)]

mod common;

use common::shops::{approved_offer, approved_offer_in, buy, redeem, register_shop, shop_staff};
use common::{TestApp, demo_council_admin, new_council, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_stacks!(
    a_ride_buys_a_voucher_the_shop_redeems_and_the_council_settles,
    a_shop_sees_only_itself_and_a_student_only_their_own_vouchers,
    guessing_codes_at_a_counter_is_stopped,
    a_second_coin_pays_its_own_campaign_and_is_spent_only_where_taken,
    an_offers_picture_keeps_only_its_pixels_and_shows_to_whom_may_see_it,
);

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

async fn a_second_coin_pays_its_own_campaign_and_is_spent_only_where_taken(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, student, _) = app.join().await; // joined before the coin existed

    let issued = app.post(Some(&admin), "/v1/admin/coins", json!({"name": "Fietsmunten"})).await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let again = app.post(Some(&admin), "/v1/admin/coins", json!({"name": "Fietsmunten"})).await;
    assert_eq!(problem_code(again).await, "COIN_EXISTS");
    let (_, coins) = app.get_json(&admin, "/v1/admin/coins").await;
    let coins: Vec<(&str, bool)> =
        coins.as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap(), c["first"] == true)).collect();
    assert_eq!(coins, [("Geelcoins", true), ("Fietsmunten", false)]);
    let (_, later, _) = app.join().await;
    for student in [&student, &later] {
        assert_eq!(app.balance_in(student, "Fietsmunten").await, Some(0), "every student holds a wallet in it");
    }

    // A campaign paying in it replaces the demo's for this student's rides.
    let mut file: Value = serde_json::from_str(smartville_engine::demo::CAMPAIGN).unwrap();
    file["id"] = "fietsmunten-2026".into();
    let unknown = json!({"rules": file, "audience": {"all_schools": true}, "coin": "Nope"});
    assert_eq!(problem_code(app.post(Some(&admin), "/v1/admin/campaigns", unknown).await).await, "UNKNOWN_COIN");
    let body = json!({"rules": file, "audience": {"all_schools": true}, "coin": "Fietsmunten"});
    let created: Value = app.post(Some(&admin), "/v1/admin/campaigns", body).await.json().await.unwrap();
    assert_eq!(created["campaign"]["coin"], "Fietsmunten");
    let (_, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    for campaign in campaigns.as_array().unwrap() {
        let (id, coin) = (campaign["id"].as_str().unwrap(), campaign["coin"].as_str().unwrap());
        let (action, body) =
            if coin == "Fietsmunten" { ("funding", json!({"points": 1000})) } else { ("pause", json!({})) };
        let response = app.post(Some(&admin), &format!("/v1/admin/campaigns/{id}/{action}"), body).await;
        assert_eq!(response.status(), StatusCode::OK, "{action}");
    }
    let new_campaign = created["campaign"]["id"].as_str().unwrap();
    let activated = app.post(Some(&admin), &format!("/v1/admin/campaigns/{new_campaign}/activate"), json!({})).await;
    assert_eq!(activated.status(), StatusCode::OK);

    let ride: Value = app.upload_example(&student, "in-fietsmunten").await.json().await.unwrap();
    let trip = common::wait_settled(app, &student, ride["trip_id"].as_str().unwrap()).await;
    assert_eq!(trip["status"], "accepted", "{trip:#}");
    let earned = trip["points"].as_i64().unwrap();
    assert_eq!(app.balance_in(&student, "Fietsmunten").await, Some(earned));
    assert_eq!(app.balance_in(&student, "Geelcoins").await, Some(0));

    // A shop takes it only once the council says so, at its own value.
    let shop = register_shop(app, &admin, "Fietsen Mol").await;
    let shop_admin = shop_staff(app, &admin, &shop, "mol@fietsen.be", "merchant_admin").await;
    let counter = shop_staff(app, &admin, &shop, "toonbank@fietsen.be", "merchant_staff").await;
    let proposal = json!({"title": "Lamp", "coin": "Fietsmunten", "price_points": earned, "stock": 5,
        "valid_until": "2031-01-01T00:00:00Z"});
    let refused = app.post(Some(&shop_admin), "/v1/merchant/offers", proposal).await;
    assert_eq!(problem_code(refused).await, "COIN_NOT_ACCEPTED");
    let value = json!({"point_value_cents": 5});
    let unknown = app.put(&admin, &format!("/v1/admin/merchants/{shop}/coins/Nope"), value.clone()).await;
    assert_eq!(problem_code(unknown).await, "INVALID_COIN");
    // A name no coin can have (a NUL, which PostgreSQL cannot even be asked about): refused alike.
    let merchant = json!({"name": "Sint-Jan", "coins": [{"coin": "Geel\u{0}coins", "point_value_cents": 10}]});
    let refused = app.post(Some(&admin), "/v1/admin/merchants", merchant).await;
    assert_eq!(problem_code(refused).await, "INVALID_COIN");
    let taken = app.put(&admin, &format!("/v1/admin/merchants/{shop}/coins/Fietsmunten"), value).await;
    assert_eq!(taken.status(), StatusCode::OK);
    let offer = approved_offer_in(app, &admin, &shop_admin, "Fietsmunten", "Lamp", earned).await;
    let bell = approved_offer(app, &admin, &shop_admin, "Bel", 1).await;
    let (_, rewards) = app.get_json(&student, "/v1/rewards").await;
    let affordable =
        |id: &str| rewards.as_array().unwrap().iter().find(|r| r["offer_id"] == id).unwrap()["affordable"] == true;
    assert!(affordable(&offer) && !affordable(&bell), "points of one coin do not buy in another: {rewards:#}");

    let bought = buy(app, &student, &offer, "lamp").await;
    assert_eq!(bought.status(), StatusCode::CREATED);
    let voucher: Value = bought.json().await.unwrap();
    assert_eq!(app.balance_in(&student, "Fietsmunten").await, Some(0));
    let redeemed: Value = redeem(app, &counter, voucher["code"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(redeemed["value_cents"], earned * 5);
    let close = json!({"coin": "Fietsmunten"});
    let settlement: Value =
        app.post(Some(&admin), &format!("/v1/admin/merchants/{shop}/settlements"), close).await.json().await.unwrap();
    assert_eq!(
        (settlement["coin"].as_str(), settlement["amount_cents"].as_i64()),
        (Some("Fietsmunten"), Some(earned * 5))
    );
    let violations = smartville_store::ledger::check(&app.app_engine.store).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
}

async fn put_picture(app: &TestApp, token: &str, offer: &str, body: Vec<u8>) -> reqwest::Response {
    let path = app.url(&format!("/v1/merchant/offers/{offer}/picture"));
    app.client.put(path).bearer_auth(token).header("content-type", "image/jpeg").body(body).send().await.unwrap()
}

/// The picture at `path` as `token` sees it: the status, and the bytes when there are some.
async fn picture_at(app: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(response.headers()["content-type"], "image/jpeg");
    }
    (status, response.bytes().await.unwrap().to_vec())
}

async fn an_offers_picture_keeps_only_its_pixels_and_shows_to_whom_may_see_it(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, student, _) = app.join().await;
    let shop = register_shop(app, &admin, "Fietsen Geel-Oost").await;
    let shop_admin = shop_staff(app, &admin, &shop, "oost@fietsen.be", "merchant_admin").await;
    let counter = shop_staff(app, &admin, &shop, "kassa@fietsen.be", "merchant_staff").await;
    let other = register_shop(app, &admin, "Fietsen Geel-West").await;
    let other_admin = shop_staff(app, &admin, &other, "west@fietsen.be", "merchant_admin").await;
    let proposal = json!({"title": "Helmet", "price_points": 5, "stock": 3, "valid_until": "2031-01-01T00:00:00Z"});
    let offer: Value = app.post(Some(&shop_admin), "/v1/merchant/offers", proposal).await.json().await.unwrap();
    let offer = offer["offer_id"].as_str().unwrap().to_owned();

    let given = put_picture(app, &shop_admin, &offer, common::photo_with_a_comment(b"Kerkstraat 12, Geel")).await;
    assert_eq!(given.status(), StatusCode::OK);
    assert_eq!(given.json::<Value>().await.unwrap()["has_picture"], true);
    assert_eq!(problem_code(put_picture(app, &shop_admin, &offer, b"GIF89a".to_vec()).await).await, "INVALID_PICTURE");
    let huge = put_picture(app, &shop_admin, &offer, vec![0xff; 5 * 1024 * 1024 + 1024]).await;
    assert_eq!(problem_code(huge).await, "PICTURE_TOO_LARGE");
    let photo = common::photo_with_a_comment(b"-");
    assert_eq!(put_picture(app, &other_admin, &offer, photo.clone()).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(put_picture(app, &counter, &offer, photo.clone()).await.status(), StatusCode::FORBIDDEN);

    // The council judges the proposal by it; the student sees it once the offer is on sale.
    let (status, seen) = picture_at(app, &admin, &format!("/v1/admin/offers/{offer}/picture")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!seen.windows(9).any(|w| w == b"Kerkstraa"), "the comment is not kept");
    assert_eq!(image::load_from_memory(&seen).unwrap().to_rgb8().dimensions(), (64, 48));
    let students_path = format!("/v1/rewards/{offer}/picture");
    assert_eq!(picture_at(app, &student, &students_path).await.0, StatusCode::NOT_FOUND);
    let decision = json!({"status": "approved"});
    assert_eq!(
        app.post(Some(&admin), &format!("/v1/admin/offers/{offer}/decision"), decision).await.status(),
        StatusCode::OK
    );
    let (_, rewards) = app.get_json(&student, "/v1/rewards").await;
    let listed = rewards.as_array().unwrap().iter().find(|r| r["offer_id"] == offer.as_str()).unwrap();
    assert_eq!(listed["picture"], students_path.as_str());
    assert_eq!(picture_at(app, &student, &students_path).await, (StatusCode::OK, seen.clone()));
    let (tenant, setup) = new_council(app, "Stad Mol", "admin@mol.be").await;
    let mol_admin = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    let school = app.school(&tenant, "Sint-Jan").await;
    let class: Value = app
        .post(Some(&mol_admin), &format!("/v1/admin/schools/{school}/classes"), json!({"name": "5A"}))
        .await
        .json()
        .await
        .unwrap();
    let joined = app.post_json("/v1/auth/join", json!({"join_code": class["join_code"]["code"]})).await;
    let outsider = joined["access_token"].as_str().unwrap();
    assert_eq!(picture_at(app, outsider, &students_path).await.0, StatusCode::NOT_FOUND, "another council's student");
    let council_path = format!("/v1/admin/offers/{offer}/picture");
    assert_eq!(picture_at(app, &mol_admin, &council_path).await.0, StatusCode::NOT_FOUND, "another council");
    assert_eq!(picture_at(app, &counter, &format!("/v1/merchant/offers/{offer}/picture")).await.1, seen);
    assert_eq!(
        picture_at(app, &other_admin, &format!("/v1/merchant/offers/{offer}/picture")).await.0,
        StatusCode::NOT_FOUND
    );
    // Approved as it was: the picture no longer changes.
    assert_eq!(problem_code(put_picture(app, &shop_admin, &offer, photo).await).await, "OFFER_STATE");
}
