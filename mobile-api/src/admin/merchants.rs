#![allow(unused_qualifications)] // utoipa's path macro spells out the query types it documents
//! Where points are spent, as the council runs it: merchants and the coins
//! they take (with a point's value in euro cents), the offers merchants
//! propose and the council approves or rejects, settlements closed and paid,
//! and the causes students give to. Every change is in the audit log.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smartville_engine::settlements as settling;
use smartville_store::causes;
use smartville_store::ids::{MerchantId, SettlementId, TenantId};
use smartville_store::merchants::{self, AcceptedCoin, Merchant, MerchantCategory, NewMerchant};
use smartville_store::offers::{self, OfferStatus};
use smartville_store::{Store, StoreError, now_ms};
use utoipa::{IntoParams, ToSchema};

use super::access::{ManageMerchants, ReadMerchants, Staff};
use super::coins;
use crate::ApiState;
use crate::input::{self, JsonObject};
use crate::merchant::{
    OfferView, SettlementView, SettlementsView, change_offer, offer_of, picture_answer, settlements_of,
    statement_answer,
};
use crate::problem::Problem;
use crate::rewards::CauseView;

/// A coin a merchant takes, and what one point of it is worth.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoinView {
    /// The coin.
    pub coin: String,
    /// Euro cents per point, for the vouchers redeemed from now on.
    pub point_value_cents: i64,
}

/// A merchant, as the council sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MerchantView {
    /// Its id: invite its staff with it (`POST /v1/admin/staff`, role `merchant_admin` or `merchant_staff`).
    #[schema(value_type = String, format = Uuid)]
    pub merchant_id: MerchantId,
    /// The name on the shop front.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Latitude (WGS84).
    pub latitude: Option<f64>,
    /// Longitude (WGS84).
    pub longitude: Option<f64>,
    /// `shop`, `food`, `sport`, `culture`, `mobility` or `city_services` (the council's own).
    pub category: MerchantCategory,
    /// The coins it takes.
    pub coins: Vec<CoinView>,
}

async fn view(state: &ApiState, merchant: Merchant) -> Result<MerchantView, Problem> {
    let coins = merchants::accepted_coins(&state.engine.store, &merchant.tenant_id, &merchant.id).await?;
    Ok(MerchantView {
        merchant_id: merchant.id,
        name: merchant.name,
        address: merchant.address,
        latitude: merchant.latitude,
        longitude: merchant.longitude,
        category: merchant.category,
        coins: coins.into_iter().map(|c| CoinView { coin: c.coin, point_value_cents: c.point_value_cents }).collect(),
    })
}

/// The merchant of a path, of the staff member's council.
async fn merchant_of<P>(state: &ApiState, staff: &Staff<P>, merchant_id: &str) -> Result<Merchant, Problem> {
    let not_found = || Problem::not_found("merchant");
    let id: MerchantId = input::public_id(merchant_id).ok_or_else(not_found)?;
    merchants::get(&state.engine.store, staff.tenant_id(), &id).await?.ok_or_else(not_found)
}

/// The council's merchants, by name.
#[utoipa::path(get, path = "/v1/admin/merchants", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<MerchantView>)))]
pub async fn list(
    State(state): State<ApiState>,
    staff: Staff<ReadMerchants>,
) -> Result<Json<Vec<MerchantView>>, Problem> {
    let mut views = Vec::new();
    for merchant in merchants::list(&state.engine.store, staff.tenant_id()).await? {
        views.push(view(&state, merchant).await?);
    }
    Ok(Json(views))
}

/// One merchant of the council.
#[utoipa::path(get, path = "/v1/admin/merchants/{merchant_id}", tag = "admin", security(("bearer" = [])),
    params(("merchant_id" = String, Path, format = Uuid)),
    responses((status = 200, body = MerchantView), (status = 404, body = Problem, description = "No such merchant of this council")))]
pub async fn get(
    State(state): State<ApiState>,
    staff: Staff<ReadMerchants>,
    Path(merchant_id): Path<String>,
) -> Result<Json<MerchantView>, Problem> {
    let merchant = merchant_of(&state, &staff, &merchant_id).await?;
    Ok(Json(view(&state, merchant).await?))
}

/// `POST /v1/admin/merchants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantRequest {
    /// The name on the shop front, 1 to 120 characters.
    #[schema(
        example = "Fietsen Geel",
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// Street address, up to 200 characters.
    #[serde(default)]
    #[schema(example = "Markt 1, 2440 Geel", max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub address: String,
    /// Latitude (WGS84), with `longitude`.
    #[schema(example = 51.1614, minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Longitude (WGS84), with `latitude`.
    #[schema(example = 4.9896, minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// What kind of place it is (default `shop`).
    #[serde(default)]
    pub category: Option<MerchantCategory>,
    /// The coins it takes from the start, each with a point's value in euro cents.
    #[serde(default)]
    pub coins: Vec<CoinRequest>,
}

/// A coin a new merchant takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoinRequest {
    /// The coin: one this council issues.
    #[schema(example = "Molcoins", min_length = 1, max_length = 64)]
    pub coin: String,
    /// Euro cents per point, 0 to 10,000.
    #[serde(deserialize_with = "input::required_whole_number")]
    #[schema(value_type = i64, minimum = 0, maximum = 10_000, example = 10)]
    pub point_value_cents: i64,
}

/// Register a merchant (council admins), with the coins it takes.
#[utoipa::path(post, path = "/v1/admin/merchants", tag = "admin", request_body = MerchantRequest, security(("bearer" = [])),
    responses((status = 201, body = MerchantView),
        (status = 422, body = Problem, description = "A name or address out of range, half a location (`INVALID_MERCHANT`), or a coin this council does not issue or a negative value (`INVALID_COIN`)")))]
pub async fn create(
    State(state): State<ApiState>,
    staff: Staff<ManageMerchants>,
    JsonObject(request): JsonObject<MerchantRequest>,
) -> Result<(StatusCode, Json<MerchantView>), Problem> {
    let invalid = |detail: &str| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_MERCHANT", detail);
    let name = input::plain_text(&request.name, 120, "INVALID_MERCHANT", "name")?;
    let address = request.address.trim();
    if address.chars().count() > 200 || address.chars().any(char::is_control) {
        return Err(invalid("the address is at most 200 visible characters"));
    }
    let location = match (request.latitude, request.longitude) {
        (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => Some((lat, lon)),
        (None, None) => None,
        _ => return Err(invalid("give both latitude (-90 to 90) and longitude (-180 to 180), or neither")),
    };
    let store = &state.engine.store;
    for accepted in &request.coins {
        checked_coin(store, staff.tenant_id(), &accepted.coin, accepted.point_value_cents).await?;
    }
    let new = NewMerchant { name, address, location, category: request.category.unwrap_or(MerchantCategory::Shop) };
    let mut tx = store.begin().await?;
    let merchant = merchants::create(&mut tx, staff.tenant_id(), &new).await?;
    for accepted in &request.coins {
        let accepted = AcceptedCoin { coin: accepted.coin.clone(), point_value_cents: accepted.point_value_cents };
        merchants::accept_coin(&mut tx, staff.tenant_id(), &merchant.id, &accepted).await?;
    }
    staff.record(&mut tx, "merchant.create", merchant.id.as_str(), None, Some(&merchant)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(view(&state, merchant).await?)))
}

/// Refuses a coin the council does not issue, and a value below zero or above 100 euro a point.
async fn checked_coin(store: &Store, tenant_id: &TenantId, coin: &str, point_value_cents: i64) -> Result<(), Problem> {
    coins::named_or_first(store, tenant_id, Some(coin), "INVALID_COIN").await?;
    if !(0..=10_000).contains(&point_value_cents) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_COIN",
            "a point is worth 0 to 10,000 euro cents",
        ));
    }
    Ok(())
}

/// `PUT /v1/admin/merchants/{merchant_id}/coins/{coin}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoinValue {
    /// Euro cents per point, 0 to 10,000, for the vouchers redeemed from now on.
    #[serde(deserialize_with = "input::required_whole_number")]
    #[schema(value_type = i64, minimum = 0, maximum = 10_000, example = 10)]
    pub point_value_cents: i64,
}

/// Let a merchant take a coin, or change what a point of it is worth (council admins).
#[utoipa::path(put, path = "/v1/admin/merchants/{merchant_id}/coins/{coin}", tag = "admin", request_body = CoinValue, security(("bearer" = [])),
    params(("merchant_id" = String, Path, format = Uuid), ("coin" = String, Path)),
    responses((status = 200, body = MerchantView), (status = 404, body = Problem, description = "No such merchant of this council"),
        (status = 422, body = Problem, description = "A coin this council does not issue, or a value out of range (`INVALID_COIN`)")))]
pub async fn set_coin(
    State(state): State<ApiState>,
    staff: Staff<ManageMerchants>,
    Path((merchant_id, coin)): Path<(String, String)>,
    JsonObject(request): JsonObject<CoinValue>,
) -> Result<Json<MerchantView>, Problem> {
    let merchant = merchant_of(&state, &staff, &merchant_id).await?;
    let store = &state.engine.store;
    checked_coin(store, staff.tenant_id(), &coin, request.point_value_cents).await?;
    let accepted = AcceptedCoin { coin, point_value_cents: request.point_value_cents };
    let mut tx = store.begin().await?;
    merchants::accept_coin(&mut tx, staff.tenant_id(), &merchant.id, &accepted).await?;
    staff.record(&mut tx, "merchant.coin", merchant.id.as_str(), None, Some(&accepted)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(view(&state, merchant).await?))
}

/// Which offers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferParams {
    /// Only offers in this state (e.g. `proposed`: waiting for the council).
    #[param(inline)]
    pub status: Option<OfferStatus>,
}

/// The offers of the council's merchants, newest first.
#[utoipa::path(get, path = "/v1/admin/offers", tag = "admin", params(OfferParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<OfferView>), (status = 400, body = Problem, description = "An unknown status")))]
pub async fn offers(
    State(state): State<ApiState>,
    staff: Staff<ReadMerchants>,
    query: Result<Query<OfferParams>, QueryRejection>,
) -> Result<Json<Vec<OfferView>>, Problem> {
    let Query(params) = query?;
    let list = offers::list(&state.engine.store, staff.tenant_id(), None, params.status).await?;
    Ok(Json(list.into_iter().map(OfferView::from).collect()))
}

/// What the council may make of an offer.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferVerdict {
    /// On sale within its validity period.
    Approved,
    /// Refused, with a note.
    Rejected,
    /// Taken off sale.
    Withdrawn,
}

impl From<OfferVerdict> for OfferStatus {
    fn from(verdict: OfferVerdict) -> Self {
        match verdict {
            OfferVerdict::Approved => Self::Approved,
            OfferVerdict::Rejected => Self::Rejected,
            OfferVerdict::Withdrawn => Self::Withdrawn,
        }
    }
}

/// The council's word on an offer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferDecision {
    /// `approved` (on sale within its validity), `rejected`, or `withdrawn` (taken off sale).
    pub status: OfferVerdict,
    /// A note for the shop, 1 to 500 characters (why it was rejected, say).
    #[schema(
        example = "Welcome aboard!",
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub note: Option<String>,
}

/// Approve or reject a proposed offer, or withdraw an approved one (council admins).
#[utoipa::path(post, path = "/v1/admin/offers/{offer_id}/decision", tag = "admin", request_body = OfferDecision, security(("bearer" = [])),
    params(("offer_id" = String, Path, format = Uuid)),
    responses((status = 200, body = OfferView), (status = 404, body = Problem, description = "No such offer of this council"),
        (status = 409, body = Problem, description = "The offer is not in a state that may move there (`OFFER_STATE`)"),
        (status = 400, body = Problem, description = "A note with control characters or too long (`INVALID_NOTE`)")))]
pub async fn decide_offer(
    State(state): State<ApiState>,
    staff: Staff<ManageMerchants>,
    Path(offer_id): Path<String>,
    JsonObject(decision): JsonObject<OfferDecision>,
) -> Result<Json<OfferView>, Problem> {
    let note = match decision.note.as_deref() {
        Some(note) => Some(input::plain_text(note, 500, "INVALID_NOTE", "note")?),
        None => None,
    };
    Ok(Json(change_offer(&state, &staff, &offer_id, None, decision.status.into(), note).await?.into()))
}

/// A merchant's settlements with the council, and what it redeemed that no settlement counts yet.
#[utoipa::path(get, path = "/v1/admin/merchants/{merchant_id}/settlements", tag = "admin", security(("bearer" = [])),
    params(("merchant_id" = String, Path, format = Uuid)),
    responses((status = 200, body = SettlementsView), (status = 404, body = Problem, description = "No such merchant of this council")))]
pub async fn settlements(
    State(state): State<ApiState>,
    staff: Staff<ReadMerchants>,
    Path(merchant_id): Path<String>,
) -> Result<Json<SettlementsView>, Problem> {
    let merchant = merchant_of(&state, &staff, &merchant_id).await?;
    Ok(Json(settlements_of(&state, staff.tenant_id(), &merchant.id).await?))
}

/// The picture of one of the council's offers (to judge a proposal by).
#[utoipa::path(get, path = "/v1/admin/offers/{offer_id}/picture", tag = "admin", security(("bearer" = [])),
    params(("offer_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The picture", content(
        (Vec<u8> = "image/jpeg", example = "(a JPEG picture, at most 1,600 pixels a side)"),
        (Vec<u8> = "image/png", example = "(a PNG picture, at most 1,600 pixels a side)"))),
        (status = 404, body = Problem, description = "No such offer of this council, or it has no picture")))]
pub async fn offer_picture(
    State(state): State<ApiState>,
    staff: Staff<ReadMerchants>,
    Path(offer_id): Path<String>,
) -> Result<Response, Problem> {
    let offer = offer_of(&state, staff.tenant_id(), &offer_id, |_| true).await?;
    picture_answer(&state, &offer).await
}

/// `POST /v1/admin/merchants/{merchant_id}/settlements`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// The end of the period (RFC 3339, not in the future; default now): every voucher redeemed by then and not yet settled.
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-01T00:00:00Z")]
    pub until: Option<DateTime<Utc>>,
    /// The coin (default: the council's first).
    pub coin: Option<String>,
}

/// Close a period of a merchant's redemptions (council admins): a settlement of what the council owes.
#[utoipa::path(post, path = "/v1/admin/merchants/{merchant_id}/settlements", tag = "admin", request_body = CloseRequest, security(("bearer" = [])),
    params(("merchant_id" = String, Path, format = Uuid)),
    responses((status = 201, body = SettlementView), (status = 404, body = Problem, description = "No such merchant of this council"),
        (status = 422, body = Problem, description = "An end in the future (`INVALID_PERIOD`), or a coin the merchant does not take (`INVALID_COIN`)")))]
pub async fn close(
    State(state): State<ApiState>,
    staff: Staff<ManageMerchants>,
    Path(merchant_id): Path<String>,
    JsonObject(request): JsonObject<CloseRequest>,
) -> Result<(StatusCode, Json<SettlementView>), Problem> {
    let merchant = merchant_of(&state, &staff, &merchant_id).await?;
    let now = now_ms();
    let until = request.until.map_or(now, |t| t.timestamp_millis());
    if until > now {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_PERIOD",
            "a period can be closed once it is over",
        ));
    }
    let store = &state.engine.store;
    let coin = coins::named_or_first(store, staff.tenant_id(), request.coin.as_deref(), "INVALID_COIN").await?;
    if !merchants::takes(store, staff.tenant_id(), &merchant.id, &coin).await? {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_COIN",
            format!("this merchant does not take {coin}"),
        ));
    }
    let settlement = settling::close(&state.engine, staff.tenant_id(), staff.id(), &merchant.id, &coin, until).await?;
    Ok((StatusCode::CREATED, Json(settlement.into())))
}

/// A settlement with its vouchers and every ledger transfer behind them, as JSON or CSV (`Accept: text/csv`).
#[utoipa::path(get, path = "/v1/admin/settlements/{settlement_id}", tag = "admin", security(("bearer" = [])),
    params(("settlement_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The statement", content(
            (crate::merchant::StatementView = "application/json"),
            (String = "text/csv", example = "voucher_id,offer,redeemed_at,points,value_cents\n0192f0c1-7a4e-7cc3-8e4f-2b9f0a6c1d2e,\"Bike bell\",2026-12-03T09:12:00.000Z,50,500\ntotal,,,50,500\n"))),
        (status = 404, body = Problem, description = "No such settlement of this council")))]
pub async fn statement(
    State(state): State<ApiState>,
    staff: Staff<ReadMerchants>,
    Path(settlement_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    statement_answer(&state, staff.tenant_id(), None, &settlement_id, &headers).await
}

/// Mark a settlement paid (council admins, once the shop has its money): its points leave the shop's account.
#[utoipa::path(post, path = "/v1/admin/settlements/{settlement_id}/paid", tag = "admin", security(("bearer" = [])),
    params(("settlement_id" = String, Path, format = Uuid)),
    responses((status = 200, body = SettlementView), (status = 404, body = Problem, description = "No such settlement of this council"),
        (status = 409, body = Problem, description = "Marked paid before (`ALREADY_PAID`)")))]
pub async fn paid(
    State(state): State<ApiState>,
    staff: Staff<ManageMerchants>,
    Path(settlement_id): Path<String>,
) -> Result<Json<SettlementView>, Problem> {
    let not_found = || Problem::not_found("settlement");
    let id: SettlementId = input::public_id(&settlement_id).ok_or_else(not_found)?;
    let store = &state.engine.store;
    smartville_store::settlements::get(store, staff.tenant_id(), &id).await?.ok_or_else(not_found)?;
    let paid = settling::mark_paid(&state.engine, staff.tenant_id(), staff.id(), &id).await?;
    let paid = paid
        .ok_or_else(|| Problem::new(StatusCode::CONFLICT, "ALREADY_PAID", "this settlement was marked paid before"))?;
    Ok(Json(paid.into()))
}

/// The council's causes with what each has received.
#[utoipa::path(get, path = "/v1/admin/causes", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<CauseView>)))]
pub async fn causes(
    State(state): State<ApiState>,
    staff: Staff<ReadMerchants>,
) -> Result<Json<Vec<CauseView>>, Problem> {
    let list = causes::list(&state.engine.store, staff.tenant_id()).await?;
    Ok(Json(list.into_iter().map(CauseView::from).collect()))
}

/// `POST /v1/admin/causes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CauseRequest {
    /// What it is called, 1 to 120 characters.
    #[schema(
        example = "Trees for the schoolyard",
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// What the points go to, up to 2,000 characters.
    #[serde(default)]
    #[schema(
        example = "Every 500 points plant a tree at Demo school.",
        max_length = 2000,
        pattern = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*$"
    )]
    pub description: String,
    /// The coin it collects, one the council issues (default: the council's first).
    pub coin: Option<String>,
}

/// List a cause students can give points to (council admins).
#[utoipa::path(post, path = "/v1/admin/causes", tag = "admin", request_body = CauseRequest, security(("bearer" = [])),
    responses((status = 201, body = CauseView), (status = 422, body = Problem, description = "A name or description out of range (`INVALID_CAUSE`), or a coin the council does not issue (`INVALID_COIN`)")))]
pub async fn create_cause(
    State(state): State<ApiState>,
    staff: Staff<ManageMerchants>,
    JsonObject(request): JsonObject<CauseRequest>,
) -> Result<(StatusCode, Json<CauseView>), Problem> {
    let name = input::plain_text(&request.name, 120, "INVALID_CAUSE", "name")?;
    let description = request.description.trim();
    if description.chars().count() > 2000 || description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_CAUSE",
            "the description is at most 2,000 visible characters",
        ));
    }
    let store = &state.engine.store;
    let coin = coins::named_or_first(store, staff.tenant_id(), request.coin.as_deref(), "INVALID_COIN").await?;
    let mut tx = store.begin().await?;
    let cause = causes::create(&mut tx, staff.tenant_id(), name, description, &coin).await?;
    staff.record(&mut tx, "cause.create", cause.id.as_str(), None, Some(&cause)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(cause.into())))
}
