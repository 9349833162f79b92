//! Spending during the rush: a shop set up by the council before the run,
//! students who buy a voucher with the points of the ride just credited, and
//! the shop's counter that redeems it at once, all through the HTTP API.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::report::{Metric, Recorder, Request};
use crate::scenario::{Plan, Student, send_patiently};

/// Points a voucher costs: below what every accepted ride of the demo campaign earns.
pub const PRICE: i64 = 5;

/// The shop of a run: the offer students buy and the counter that redeems.
#[derive(Debug, Clone)]
pub struct Shop {
    /// The offer on sale.
    pub offer_id: String,
    /// The counter staff's access token.
    counter_token: String,
}

/// A password for the run's staff accounts.
const PASSWORD: &str = "load test counter";

/// Sets up the shop with the council admin's one-time set-up token (from
/// `smartville tenant admin`): registers it with the demo coin, signs in its
/// admin and counter, has the offer proposed and approved.
pub async fn open(client: &Client, base: &str, council_setup_token: &str) -> Result<Shop> {
    let post = |token: Option<String>, path: String, body: Value| post(client, base, token, path, body);
    let admin = set_up(client, base, council_setup_token.to_owned()).await?;
    let coin = "Geelcoins";
    let shop = post(
        Some(admin.clone()),
        "/v1/admin/merchants".into(),
        json!({"name": "Load test shop", "category": "food",
        "coins": [{"coin": coin, "point_value_cents": 10}]}),
    )
    .await?;
    let merchant_id = shop["merchant_id"].as_str().unwrap_or_default();
    let run = std::process::id();
    let mut tokens = Vec::new();
    for role in ["merchant_admin", "merchant_staff"] {
        let email = format!("{role}.{run}@load.test");
        let invited = post(
            Some(admin.clone()),
            "/v1/admin/staff".into(),
            json!({"email": email, "role": role, "merchant_id": merchant_id}),
        )
        .await?;
        tokens.push(set_up(client, base, invited["setup_token"].as_str().unwrap_or_default().to_owned()).await?);
    }
    let offer = post(
        Some(tokens[0].clone()),
        "/v1/merchant/offers".into(),
        json!({"title": "Apple", "price_points": PRICE,
        "stock": 1_000_000, "per_participant_limit": 100, "valid_until": "2099-01-01T00:00:00Z"}),
    )
    .await?;
    let offer_id = offer["offer_id"].as_str().unwrap_or_default().to_owned();
    post(Some(admin), format!("/v1/admin/offers/{offer_id}/decision"), json!({"status": "approved"})).await?;
    Ok(Shop { offer_id, counter_token: tokens.swap_remove(1) })
}

/// Sets a staff member's password with their one-time set-up token; their access token.
pub async fn set_up(client: &Client, base: &str, setup_token: String) -> Result<String> {
    let body = json!({"token": setup_token, "password": PASSWORD});
    let session = post(client, base, None, "/v1/admin/auth/setup".into(), body).await?;
    Ok(session["access_token"].as_str().unwrap_or_default().to_owned())
}

/// POSTs `body` to `path`, with a bearer token when given; the answer's body, or an error with it.
pub async fn post(client: &Client, base: &str, token: Option<String>, path: String, body: Value) -> Result<Value> {
    let request = client.post(format!("{base}{path}")).json(&body);
    let request = if let Some(token) = token { request.bearer_auth(token) } else { request };
    let response = request.send().await.with_context(|| format!("POST {path}"))?;
    let status = response.status();
    let body: Value = response.json().await.with_context(|| format!("POST {path}: body"))?;
    if !status.is_success() {
        bail!("POST {path}: {status} {body}");
    }
    Ok(body)
}

/// The student buys a voucher (idempotency key from the upload's number)
/// and the counter redeems it; both timed. A refusal for too few points (a
/// ride paid less than the price) is counted, not an error.
pub async fn spend(
    client: &Client,
    plan: &Plan,
    recorder: &Recorder,
    shop: &Shop,
    student: &Student,
    n: u64,
) -> Result<()> {
    let started = Instant::now();
    let key = format!("voucher-{n}");
    let buy = || {
        client
            .post(format!("{}/v1/rewards/{}/vouchers", plan.base, shop.offer_id))
            .bearer_auth(student.token())
            .header("idempotency-key", &key)
    };
    let bought = send_patiently(recorder, Request::Purchase, buy).await.context("purchase_transport")?;
    match bought.status() {
        StatusCode::CREATED | StatusCode::OK => {}
        StatusCode::CONFLICT => {
            recorder.count("purchase_refused");
            return Ok(());
        }
        other => bail!("purchase_{}", other.as_u16()),
    }
    let voucher: Value = bought.json().await.context("purchase_body")?;
    recorder.time(Metric::Purchase, started.elapsed());
    student.spent(PRICE);
    let code = voucher["code"].as_str().unwrap_or_default().to_owned();
    let started = Instant::now();
    let redeem = || {
        client
            .post(format!("{}/v1/merchant/redemptions", plan.base))
            .bearer_auth(&shop.counter_token)
            .json(&json!({"code": code}))
    };
    let redeemed = send_patiently(recorder, Request::Redemption, redeem).await.context("redemption_transport")?;
    match redeemed.status() {
        // A redemption sent again after a lost answer finds its first attempt: redeemed once either way.
        StatusCode::OK | StatusCode::CONFLICT => {}
        other => bail!("redemption_{}", other.as_u16()),
    }
    recorder.time(Metric::Redemption, started.elapsed());
    recorder.count("voucher_redeemed");
    Ok(())
}
