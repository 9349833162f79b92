//! Shops, their staff and offers, and vouchers bought and redeemed, through the API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::TestApp;

/// A shop registered by the council, taking Geelcoins at 10 cents a point; its id.
pub async fn register_shop(app: &TestApp, admin: &str, name: &str) -> String {
    let body = json!({"name": name, "address": "Markt 5, 2440 Geel", "latitude": 51.16, "longitude": 4.99,
        "category": "food", "coins": [{"coin": "Geelcoins", "point_value_cents": 10}]});
    let response = app.post(Some(admin), "/v1/admin/merchants", body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let shop: Value = response.json().await.unwrap();
    shop["merchant_id"].as_str().unwrap().to_owned()
}

/// A member of a shop's staff, signed in; their access token.
pub async fn shop_staff(app: &TestApp, admin: &str, shop: &str, email: &str, role: &str) -> String {
    let body = json!({"email": email, "role": role, "merchant_id": shop});
    let invited = app.post(Some(admin), "/v1/admin/staff", body).await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let invitation: Value = invited.json().await.unwrap();
    assert_eq!(invitation["staff"]["merchant_id"], shop);
    app.set_up(invitation["setup_token"].as_str().unwrap()).await["access_token"].as_str().unwrap().to_owned()
}

/// An offer in Geelcoins proposed by the shop and approved by the council; its id.
pub async fn approved_offer(app: &TestApp, admin: &str, shop_admin: &str, title: &str, price: i64) -> String {
    approved_offer_in(app, admin, shop_admin, "Geelcoins", title, price).await
}

/// An offer in `coin` proposed by the shop and approved by the council; its id.
pub async fn approved_offer_in(
    app: &TestApp,
    admin: &str,
    shop_admin: &str,
    coin: &str,
    title: &str,
    price: i64,
) -> String {
    let proposal = json!({"title": title, "coin": coin, "price_points": price, "stock": 10,
        "valid_until": "2031-01-01T00:00:00Z"});
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

pub async fn buy(app: &TestApp, student: &str, offer: &str, key: &str) -> reqwest::Response {
    let path = app.url(&format!("/v1/rewards/{offer}/vouchers"));
    app.client.post(path).bearer_auth(student).header("idempotency-key", key).send().await.unwrap()
}

pub async fn redeem(app: &TestApp, counter: &str, code: &str) -> reqwest::Response {
    app.post(Some(counter), "/v1/merchant/redemptions", json!({"code": code})).await
}
