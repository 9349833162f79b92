#![allow(unused_qualifications)] // utoipa's path macro spells out the query types it documents
//! Spending points, as a participant: the offers on sale with whether one
//! can afford each, buying a voucher (idempotent), one's vouchers with their
//! code and QR code, cancelling one, and giving points to a cause.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use smartville_engine::settlements as spending;
use smartville_engine::vouchers::{self as voucher_steps, VoucherRefusal};
use smartville_store::causes::{self, Cause};
use smartville_store::ids::{CauseId, MerchantId, OfferId, VoucherId};
use smartville_store::ledger::{self, Owner, Posted};
use smartville_store::now_ms;
use smartville_store::offers::{self, OfferStatus, OnSale};
use smartville_store::vouchers::{self, Described, VoucherStatus};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::auth::Participant;
use crate::input::{self, JsonObject};
use crate::merchant;
use crate::problem::Problem;
use crate::trips::rfc3339;

/// An offer on sale, as a participant sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RewardView {
    /// Buy it with `POST /v1/rewards/{offer_id}/vouchers`.
    #[schema(value_type = String, format = Uuid)]
    pub offer_id: OfferId,
    /// What it is.
    pub title: String,
    /// What you get, and how.
    pub description: String,
    /// Where to get it.
    #[schema(value_type = String, format = Uuid)]
    pub merchant_id: MerchantId,
    /// The shop's name.
    pub merchant_name: String,
    /// The coin it costs.
    pub coin: String,
    /// Its price in points.
    pub price_points: i64,
    /// How many are left.
    pub stock_left: i64,
    /// On sale until (RFC 3339, UTC).
    pub valid_until: String,
    /// How many of its vouchers one may hold.
    pub per_participant_limit: i64,
    /// How many you hold.
    pub you_hold: i64,
    /// Whether you can buy one now: enough points, one left, and below your limit.
    pub affordable: bool,
    /// Its picture (`GET` this path), if it has one.
    pub picture: Option<String>,
}

/// The offers on sale to the participant, cheapest first, with whether they can buy each now.
#[utoipa::path(get, path = "/v1/rewards", tag = "rewards", security(("bearer" = [])),
    responses((status = 200, body = Vec<RewardView>)))]
pub async fn list(State(state): State<ApiState>, participant: Participant) -> Result<Json<Vec<RewardView>>, Problem> {
    let store = &state.engine.store;
    let (tenant, id) = (participant.tenant_id(), participant.id());
    let on_sale = offers::on_sale(store, tenant, id, now_ms()).await?;
    let balances = ledger::balances_of(store, tenant, Owner::Participant(id)).await?;
    let balance = |coin: &str| balances.iter().find(|b| b.coin == coin).map_or(0, |b| b.amount);
    Ok(Json(
        on_sale
            .into_iter()
            .map(|OnSale { offer, merchant_name, held }| RewardView {
                picture: offer.picture_key.is_some().then(|| format!("/v1/rewards/{}/picture", offer.id)),
                affordable: balance(&offer.coin) >= offer.price_points
                    && offer.stock_left > 0
                    && held < offer.per_participant_limit,
                offer_id: offer.id,
                title: offer.title,
                description: offer.description,
                merchant_id: offer.merchant_id,
                merchant_name,
                coin: offer.coin,
                price_points: offer.price_points,
                stock_left: offer.stock_left,
                valid_until: rfc3339(offer.valid_until),
                per_participant_limit: offer.per_participant_limit,
                you_hold: held,
            })
            .collect(),
    ))
}

/// The picture of an offer the council approved.
#[utoipa::path(get, path = "/v1/rewards/{offer_id}/picture", tag = "rewards", security(("bearer" = [])),
    params(("offer_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The picture", content(
        (Vec<u8> = "image/jpeg", example = "(a JPEG picture, at most 1,600 pixels a side)"),
        (Vec<u8> = "image/png", example = "(a PNG picture, at most 1,600 pixels a side)"))),
        (status = 404, body = Problem, description = "No such approved offer of this council, or it has no picture")))]
pub async fn picture(
    State(state): State<ApiState>,
    participant: Participant,
    Path(offer_id): Path<String>,
) -> Result<Response, Problem> {
    let offer =
        merchant::offer_of(&state, participant.tenant_id(), &offer_id, |o| o.status == OfferStatus::Approved).await?;
    merchant::picture_answer(&state, &offer).await
}

/// A voucher as its owner sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VoucherView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub voucher_id: VoucherId,
    /// What it buys.
    #[schema(value_type = String, format = Uuid)]
    pub offer_id: OfferId,
    /// The offer's title.
    pub offer_title: String,
    /// Where to use it.
    pub merchant_name: String,
    /// The coin it was paid in.
    pub coin: String,
    /// What it cost.
    pub price_points: i64,
    /// Show it at the counter (or its QR code): keep it to yourself until then.
    pub code: String,
    /// `pending` (ready to use), `redeemed`, `cancelled` or `expired`.
    pub status: VoucherStatus,
    /// When it was bought (RFC 3339, UTC).
    pub bought_at: String,
    /// Use it before this (RFC 3339, UTC).
    pub expires_at: String,
    /// When the shop redeemed it.
    pub redeemed_at: Option<String>,
    /// The QR code of `code`: `…/qr` as SVG, `…/qr?format=png` as PNG.
    pub qr: String,
}

impl From<Described> for VoucherView {
    fn from(described: Described) -> Self {
        let v = described.voucher;
        Self {
            qr: format!("/v1/vouchers/{}/qr", v.id),
            voucher_id: v.id,
            offer_id: v.offer_id,
            offer_title: described.offer_title,
            merchant_name: described.merchant_name,
            coin: v.coin,
            price_points: v.price_points,
            code: v.code,
            status: v.status,
            bought_at: rfc3339(v.created_at),
            expires_at: rfc3339(v.expires_at),
            redeemed_at: v.redeemed_at.map(rfc3339),
        }
    }
}

fn offer_path(text: &str) -> Result<OfferId, Problem> {
    input::public_id(text).ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_OFFER", "no such offer"))
}

fn voucher_path(text: &str) -> Result<VoucherId, Problem> {
    input::public_id(text).ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "VOUCHER_NOT_FOUND", "no such voucher"))
}

/// Buy a voucher: its price is held from the wallet until the shop redeems
/// it, or given back when it is cancelled or expires. Retrying with the same
/// `Idempotency-Key` answers the same voucher (200 instead of 201).
#[utoipa::path(post, path = "/v1/rewards/{offer_id}/vouchers", tag = "rewards", security(("bearer" = [])),
    params(("offer_id" = String, Path, format = Uuid),
        ("Idempotency-Key" = String, Header, description = "Unique per purchase: the same key answers the same voucher",
            min_length = 1, max_length = 200, pattern = "^[!-~]+$")),
    responses((status = 201, body = VoucherView, description = "Bought"), (status = 200, body = VoucherView, description = "Bought before with this key"),
        (status = 400, body = Problem, description = "No or an invalid Idempotency-Key"),
        (status = 404, body = Problem, description = "No such offer (`UNKNOWN_OFFER`)"),
        (status = 409, body = Problem, description = "Not on sale (`NOT_ON_SALE`), sold out (`SOLD_OUT`), as many held as one may (`LIMIT_REACHED`), too few points (`INSUFFICIENT_POINTS`, with `balance` and `price`), or the key was used for another offer (`IDEMPOTENCY_KEY_REUSED`)")))]
pub async fn buy(
    State(state): State<ApiState>,
    participant: Participant,
    Path(offer_id): Path<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<VoucherView>), Problem> {
    let offer_id = offer_path(&offer_id)?;
    let key = input::idempotency_key(&headers, "purchase")?;
    let purchase = voucher_steps::buy(&state.engine, participant.tenant_id(), participant.id(), &offer_id, key).await?;
    let status = if purchase.new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(purchase.voucher.into())))
}

/// A page of vouchers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VoucherParams {
    /// How many, newest first: 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The participant's vouchers, newest first.
#[utoipa::path(get, path = "/v1/vouchers", tag = "rewards", security(("bearer" = [])), params(VoucherParams),
    responses((status = 200, body = Vec<VoucherView>), (status = 400, body = Problem, description = "A limit outside 1 to 100")))]
pub async fn vouchers(
    State(state): State<ApiState>,
    participant: Participant,
    query: Result<Query<VoucherParams>, QueryRejection>,
) -> Result<Json<Vec<VoucherView>>, Problem> {
    let Query(params) = query?;
    let (_, limit) = input::page::<VoucherId>(None, params.limit, 50)?;
    let store = &state.engine.store;
    let list = vouchers::list_of_participant(store, participant.tenant_id(), participant.id(), limit).await?;
    Ok(Json(list.into_iter().map(VoucherView::from).collect()))
}

/// One of the participant's vouchers.
#[utoipa::path(get, path = "/v1/vouchers/{voucher_id}", tag = "rewards", security(("bearer" = [])),
    params(("voucher_id" = String, Path, format = Uuid)),
    responses((status = 200, body = VoucherView), (status = 404, body = Problem, description = "No such voucher of yours (`VOUCHER_NOT_FOUND`)")))]
pub async fn voucher(
    State(state): State<ApiState>,
    participant: Participant,
    Path(voucher_id): Path<String>,
) -> Result<Json<VoucherView>, Problem> {
    Ok(Json(own_voucher(&state, &participant, &voucher_id).await?.into()))
}

async fn own_voucher(state: &ApiState, participant: &Participant, voucher_id: &str) -> Result<Described, Problem> {
    let id = voucher_path(voucher_id)?;
    let store = &state.engine.store;
    vouchers::of_participant(store, participant.tenant_id(), participant.id(), &id)
        .await?
        .ok_or_else(|| VoucherRefusal::NotFound.into())
}

/// Give a voucher back: its points return to the wallet at once.
#[utoipa::path(post, path = "/v1/vouchers/{voucher_id}/cancel", tag = "rewards", security(("bearer" = [])),
    params(("voucher_id" = String, Path, format = Uuid)),
    responses((status = 200, body = VoucherView, description = "Cancelled"),
        (status = 404, body = Problem, description = "No such voucher of yours (`VOUCHER_NOT_FOUND`)"),
        (status = 409, body = Problem, description = "Redeemed already (`ALREADY_REDEEMED`)"),
        (status = 410, body = Problem, description = "Cancelled or expired before (`VOUCHER_CANCELLED`, `VOUCHER_EXPIRED`)")))]
pub async fn cancel(
    State(state): State<ApiState>,
    participant: Participant,
    Path(voucher_id): Path<String>,
) -> Result<Json<VoucherView>, Problem> {
    let id = voucher_path(&voucher_id)?;
    let cancelled = voucher_steps::cancel(&state.engine, participant.tenant_id(), participant.id(), &id).await?;
    Ok(Json(cancelled.into()))
}

/// The picture of a voucher's QR code.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QrFormat {
    /// Scalable, for screens of any size (the default).
    #[default]
    Svg,
    /// A bitmap, for apps that cannot draw SVG.
    Png,
}

/// Which picture of a QR code.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrParams {
    /// `svg` (default) or `png`.
    #[param(inline)]
    pub format: Option<QrFormat>,
}

/// The QR code of a voucher's code, to show at the counter.
#[utoipa::path(get, path = "/v1/vouchers/{voucher_id}/qr", tag = "rewards", security(("bearer" = [])),
    params(("voucher_id" = String, Path, format = Uuid), QrParams),
    responses((status = 200, description = "The QR code", content(
            (String = "image/svg+xml", example = "<?xml version=\"1.0\" standalone=\"yes\"?><svg xmlns=\"http://www.w3.org/2000/svg\" …</svg>"),
            (Vec<u8> = "image/png", example = "(a PNG image of at least 240 × 240 pixels)"))),
        (status = 400, body = Problem, description = "A format other than svg or png"),
        (status = 404, body = Problem, description = "No such voucher of yours (`VOUCHER_NOT_FOUND`)")))]
pub async fn qr(
    State(state): State<ApiState>,
    participant: Participant,
    Path(voucher_id): Path<String>,
    query: Result<Query<QrParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(params) = query?;
    let described = own_voucher(&state, &participant, &voucher_id).await?;
    let code = qrcode::QrCode::new(described.voucher.code.as_bytes()).map_err(|e| Problem::internal(&e))?;
    let private = (header::CACHE_CONTROL, "private, no-store");
    Ok(match params.format.unwrap_or_default() {
        QrFormat::Svg => {
            let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).build();
            ([(header::CONTENT_TYPE, "image/svg+xml"), private], svg).into_response()
        }
        QrFormat::Png => {
            let picture = code.render::<image::Luma<u8>>().min_dimensions(240, 240).build();
            let mut png = std::io::Cursor::new(Vec::new());
            picture.write_to(&mut png, image::ImageFormat::Png).map_err(|e| Problem::internal(&e))?;
            ([(header::CONTENT_TYPE, "image/png"), private], png.into_inner()).into_response()
        }
    })
}

/// A cause, as participants and staff see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CauseView {
    /// Give to it with `POST /v1/causes/{cause_id}/donations`.
    #[schema(value_type = String, format = Uuid)]
    pub cause_id: CauseId,
    /// What it is called.
    pub name: String,
    /// What the points go to.
    pub description: String,
    /// The coin it collects.
    pub coin: String,
    /// Points given so far, by everyone.
    pub total: i64,
}

impl From<Cause> for CauseView {
    fn from(cause: Cause) -> Self {
        Self {
            cause_id: cause.id,
            name: cause.name,
            description: cause.description,
            coin: cause.coin,
            total: cause.total,
        }
    }
}

/// The causes of the participant's town, with what each has received.
#[utoipa::path(get, path = "/v1/causes", tag = "rewards", security(("bearer" = [])),
    responses((status = 200, body = Vec<CauseView>)))]
pub async fn causes(State(state): State<ApiState>, participant: Participant) -> Result<Json<Vec<CauseView>>, Problem> {
    let list = causes::list(&state.engine.store, participant.tenant_id()).await?;
    Ok(Json(list.into_iter().map(CauseView::from).collect()))
}

/// `POST /v1/causes/{cause_id}/donations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonationRequest {
    /// Points to give, 1 to 1,000,000.
    #[serde(deserialize_with = "input::required_whole_number")]
    #[schema(value_type = i64, minimum = 1, maximum = 1_000_000)]
    pub points: i64,
}

/// Give points to a cause. Retrying with the same `Idempotency-Key` gives nothing twice (200 instead of 201).
#[utoipa::path(post, path = "/v1/causes/{cause_id}/donations", tag = "rewards", security(("bearer" = [])),
    params(("cause_id" = String, Path, format = Uuid),
        ("Idempotency-Key" = String, Header, description = "Unique per donation",
            min_length = 1, max_length = 200, pattern = "^[!-~]+$")),
    request_body = DonationRequest,
    responses((status = 201, body = CauseView, description = "Given; the cause with its new total"),
        (status = 200, body = CauseView, description = "Given before with this key"),
        (status = 404, body = Problem, description = "No such cause (`UNKNOWN_CAUSE`)"),
        (status = 409, body = Problem, description = "Too few points (`INSUFFICIENT_POINTS`), or the key was used for another donation (`IDEMPOTENCY_KEY_REUSED`)"),
        (status = 422, body = Problem, description = "Fewer than 1 point or more than 1,000,000 (`INVALID_POINTS`)")))]
pub async fn donate(
    State(state): State<ApiState>,
    participant: Participant,
    Path(cause_id): Path<String>,
    headers: HeaderMap,
    JsonObject(request): JsonObject<DonationRequest>,
) -> Result<(StatusCode, Json<CauseView>), Problem> {
    let unknown = || Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_CAUSE", "no such cause");
    let cause_id: CauseId = input::public_id(&cause_id).ok_or_else(unknown)?;
    let key = input::idempotency_key(&headers, "donation")?;
    if !(1..=1_000_000).contains(&request.points) {
        return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_POINTS", "give 1 to 1,000,000 points"));
    }
    let (tenant, id) = (participant.tenant_id(), participant.id());
    let posted = spending::donate(&state.engine, tenant, id, &cause_id, request.points, key).await?;
    let cause = causes::get(&state.engine.store, tenant, &cause_id).await?.ok_or_else(unknown)?;
    let status = if posted == Posted::New { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(cause.into())))
}
