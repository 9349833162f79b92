#![allow(unused_qualifications)] // utoipa's path macro spells out the query types it documents
//! The shop's routes, `/v1/merchant/...`, for a merchant's staff (signed in
//! at `/v1/admin/auth/login` like every staff member): redeeming a voucher
//! at the counter, the day's redemptions, the shop's offers (proposed by its
//! merchant admin, approved by the council) and its settlements, with the
//! same figures and CSV as the council sees. A merchant's staff see only
//! their own shop: the shop comes from their account, never from the request.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smartville_engine::DAY_MS;
use smartville_engine::settlements::{self as settling, Statement};
use smartville_engine::vouchers::{self as voucher_steps, Counter, VoucherRefusal};
use smartville_store::ids::{MerchantId, OfferId, SettlementId, TenantId, VoucherId};
use smartville_store::ledger::Posting;
use smartville_store::offers::{self, NewOffer, Offer, OfferStatus};
use smartville_store::settlements::{self, Line, Settlement, Unsettled};
use smartville_store::vouchers::{self, Described};
use smartville_store::{StoreError, merchants, now_ms};
use utoipa::{IntoParams, ToSchema};

use crate::admin::access::{ManageOffers, Redeem, Staff};
use crate::admin::coins;
use crate::input::{self, JsonObject};
use crate::problem::Problem;
use crate::trips::rfc3339;
use crate::{ApiState, pictures};

/// The shop of a merchant's staff member (their account names it).
fn shop<P>(staff: &Staff<P>) -> Result<&MerchantId, Problem> {
    staff.merchant_id().ok_or_else(|| Problem::new(StatusCode::FORBIDDEN, "FORBIDDEN", "this is for a shop's staff"))
}

/// `POST /v1/merchant/redemptions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionRequest {
    /// The voucher's code as typed (case, dashes and spaces do not matter) or scanned from its QR code.
    #[schema(example = "7KQ2-M9XD-4HRT-0B8C", max_length = 64)]
    pub code: String,
}

/// A voucher redeemed at the shop.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RedemptionView {
    /// The voucher.
    #[schema(value_type = String, format = Uuid)]
    pub voucher_id: VoucherId,
    /// What to hand over.
    pub offer_title: String,
    /// Its points.
    pub price_points: i64,
    /// Their coin.
    pub coin: String,
    /// What the council owes the shop for it, in euro cents.
    pub value_cents: i64,
    /// When it was redeemed (RFC 3339, UTC).
    pub redeemed_at: String,
}

impl From<Described> for RedemptionView {
    fn from(described: Described) -> Self {
        let v = described.voucher;
        Self {
            voucher_id: v.id,
            offer_title: described.offer_title,
            price_points: v.price_points,
            coin: v.coin,
            value_cents: v.value_cents.unwrap_or(0),
            redeemed_at: v.redeemed_at.map(rfc3339).unwrap_or_default(),
        }
    }
}

/// Redeem a voucher at the counter: the student's held points go to the
/// shop. Wrong codes are limited per login (429 once out of attempts).
#[utoipa::path(post, path = "/v1/merchant/redemptions", tag = "merchant", request_body = RedemptionRequest, security(("bearer" = [])),
    responses((status = 200, body = RedemptionView, description = "Redeemed: hand over the offer"),
        (status = 404, body = Problem, description = "An unknown, mistyped or forged code, or another shop's voucher (`VOUCHER_NOT_FOUND`), told apart from none"),
        (status = 409, body = Problem, description = "Redeemed before (`ALREADY_REDEEMED`, with `redeemed_at` and `redeemed_where`)"),
        (status = 410, body = Problem, description = "Cancelled by the student (`VOUCHER_CANCELLED`) or expired (`VOUCHER_EXPIRED`)"),
        (status = 429, body = Problem, description = "Too many wrong codes from this login")))]
pub async fn redeem(
    State(state): State<ApiState>,
    staff: Staff<Redeem>,
    JsonObject(request): JsonObject<RedemptionRequest>,
) -> Result<Json<RedemptionView>, Problem> {
    let merchant_id = shop(&staff)?;
    let guesser = format!("counter:{}", staff.id());
    state.limiter.penalty(&guesser).await?;
    let counter = Counter { tenant_id: staff.tenant_id(), merchant_id, staff_id: staff.id() };
    match voucher_steps::redeem(&state.engine, counter, &request.code).await {
        Ok(redeemed) => Ok(Json(redeemed.into())),
        Err(VoucherRefusal::NotFound) => {
            state.limiter.wrong_code(&guesser).await?;
            Err(VoucherRefusal::NotFound.into())
        }
        Err(other) => Err(other.into()),
    }
}

/// Since when.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedemptionParams {
    /// From this moment (RFC 3339; default: 24 hours ago).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<DateTime<Utc>>,
}

/// Most redemptions one answer lists.
const MAX_REDEMPTIONS: i64 = 500;

/// The shop's redemptions since a moment (default the last 24 hours), newest first.
#[utoipa::path(get, path = "/v1/merchant/redemptions", tag = "merchant", params(RedemptionParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<RedemptionView>), (status = 400, body = Problem, description = "A `since` that is not RFC 3339")))]
pub async fn redemptions(
    State(state): State<ApiState>,
    staff: Staff<Redeem>,
    query: Result<Query<RedemptionParams>, QueryRejection>,
) -> Result<Json<Vec<RedemptionView>>, Problem> {
    let Query(params) = query?;
    let since = params.since.map_or(now_ms() - DAY_MS, |t| t.timestamp_millis());
    let store = &state.engine.store;
    let list = vouchers::redeemed_at_merchant(store, staff.tenant_id(), shop(&staff)?, since, MAX_REDEMPTIONS).await?;
    Ok(Json(list.into_iter().map(RedemptionView::from).collect()))
}

/// An offer, as its shop and the council see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub offer_id: OfferId,
    /// Who sells it.
    #[schema(value_type = String, format = Uuid)]
    pub merchant_id: MerchantId,
    /// What it is.
    pub title: String,
    /// What the student gets.
    pub description: String,
    /// The coin of its price.
    pub coin: String,
    /// Its price in points.
    pub price_points: i64,
    /// How many were put on sale.
    pub stock_total: i64,
    /// How many are left.
    pub stock_left: i64,
    /// On sale from (RFC 3339, UTC).
    pub valid_from: String,
    /// On sale until (RFC 3339, UTC).
    pub valid_until: String,
    /// Vouchers one participant may hold.
    pub per_participant_limit: i64,
    /// Days a voucher is good for.
    pub voucher_days: i64,
    /// `proposed`, `approved`, `rejected` or `withdrawn`.
    pub status: OfferStatus,
    /// The council's note on its decision.
    pub review_note: Option<String>,
    /// Whether it has a picture (`GET …/offers/{offer_id}/picture` under `/v1/merchant` or `/v1/admin`).
    pub has_picture: bool,
}

impl From<Offer> for OfferView {
    fn from(offer: Offer) -> Self {
        Self {
            offer_id: offer.id,
            merchant_id: offer.merchant_id,
            title: offer.title,
            description: offer.description,
            coin: offer.coin,
            price_points: offer.price_points,
            stock_total: offer.stock_total,
            stock_left: offer.stock_left,
            valid_from: rfc3339(offer.valid_from),
            valid_until: rfc3339(offer.valid_until),
            per_participant_limit: offer.per_participant_limit,
            voucher_days: offer.voucher_days,
            status: offer.status,
            review_note: offer.review_note,
            has_picture: offer.picture_key.is_some(),
        }
    }
}

/// `POST /v1/merchant/offers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferProposal {
    /// What it is, 1 to 120 characters.
    #[schema(
        example = "Bike bell",
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub title: String,
    /// What the student gets and how, up to 2,000 characters.
    #[serde(default)]
    #[schema(
        example = "A loud, bright bike bell, fitted while you wait.",
        max_length = 2000,
        pattern = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*$"
    )]
    pub description: String,
    /// The coin of its price, one the shop takes (default: the council's first coin).
    pub coin: Option<String>,
    /// Its price in points, 1 to 1,000,000.
    #[serde(deserialize_with = "input::required_whole_number")]
    #[schema(value_type = i64, minimum = 1, maximum = 1_000_000, example = 50)]
    pub price_points: i64,
    /// How many to sell, 1 to 1,000,000.
    #[serde(deserialize_with = "input::required_whole_number")]
    #[schema(value_type = i64, minimum = 1, maximum = 1_000_000, example = 100)]
    pub stock: i64,
    /// On sale from (RFC 3339; default: once approved, now).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_from: Option<DateTime<Utc>>,
    /// On sale until (RFC 3339), after `valid_from` and in the future; no voucher is good after it.
    #[schema(value_type = String, format = DateTime, example = "2027-06-30T22:00:00Z")]
    pub valid_until: DateTime<Utc>,
    /// Vouchers one participant may hold at once, 1 to 100 (default 1).
    #[serde(default, deserialize_with = "input::whole_number")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub per_participant_limit: Option<i64>,
    /// Days a voucher is good for after purchase, 1 to 365 (default 30).
    #[serde(default, deserialize_with = "input::whole_number")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 365)]
    pub voucher_days: Option<i64>,
}

/// Propose an offer (a shop's merchant admin): the council approves it before it is on sale.
#[utoipa::path(post, path = "/v1/merchant/offers", tag = "merchant", request_body = OfferProposal, security(("bearer" = [])),
    responses((status = 201, body = OfferView, description = "Proposed"),
        (status = 422, body = Problem, description = "A field out of its range (`INVALID_OFFER`, each field in `problems`), or a coin the shop does not take (`COIN_NOT_ACCEPTED`)")))]
pub async fn propose(
    State(state): State<ApiState>,
    staff: Staff<ManageOffers>,
    JsonObject(proposal): JsonObject<OfferProposal>,
) -> Result<(StatusCode, Json<OfferView>), Problem> {
    let merchant_id = shop(&staff)?;
    let store = &state.engine.store;
    let coin = coins::named_or_first(store, staff.tenant_id(), proposal.coin.as_deref(), "COIN_NOT_ACCEPTED").await?;
    let new = checked_offer(&proposal, &coin)?;
    if !merchants::takes(store, staff.tenant_id(), merchant_id, &coin).await? {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "COIN_NOT_ACCEPTED",
            format!("this shop does not take {coin}; the council decides which coins it takes"),
        ));
    }
    let mut tx = store.begin().await?;
    let offer = offers::propose(&mut tx, staff.tenant_id(), merchant_id, &new).await?;
    staff.record(&mut tx, "offer.propose", offer.id.as_str(), None, Some(&offer)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(offer.into())))
}

/// The proposal as the store takes it, or every field out of range at once.
fn checked_offer<'a>(proposal: &'a OfferProposal, coin: &'a str) -> Result<NewOffer<'a>, Problem> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, field: &str, problem: &str| {
        if !ok {
            problems.push(crate::problem::FieldProblem { field: field.to_owned(), problem: problem.to_owned() });
        }
    };
    let title = proposal.title.trim();
    let visible = |text: &str| !text.chars().any(|c| c.is_control() && c != '\n');
    check(!title.is_empty() && title.chars().count() <= 120 && visible(title), "title", "1 to 120 visible characters");
    check(
        proposal.description.chars().count() <= 2000 && visible(&proposal.description),
        "description",
        "at most 2,000 visible characters",
    );
    check((1..=1_000_000).contains(&proposal.price_points), "price_points", "1 to 1,000,000 points");
    check((1..=1_000_000).contains(&proposal.stock), "stock", "1 to 1,000,000");
    let limit = proposal.per_participant_limit.unwrap_or(1);
    check((1..=100).contains(&limit), "per_participant_limit", "1 to 100");
    let voucher_days = proposal.voucher_days.unwrap_or(30);
    check((1..=365).contains(&voucher_days), "voucher_days", "1 to 365 days");
    let now = now_ms();
    let valid_from = proposal.valid_from.map_or(now, |t| t.timestamp_millis());
    let valid_until = proposal.valid_until.timestamp_millis();
    check(valid_until > valid_from && valid_until > now, "valid_until", "after valid_from, and in the future");
    if !problems.is_empty() {
        let detail = "the offer has fields out of range; each is listed in `problems`";
        return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_OFFER", detail).with_problems(problems));
    }
    Ok(NewOffer {
        title,
        description: proposal.description.trim(),
        coin,
        price_points: proposal.price_points,
        stock: proposal.stock,
        valid_from,
        valid_until,
        per_participant_limit: limit,
        voucher_days,
    })
}

/// The shop's offers, newest first, in every state.
#[utoipa::path(get, path = "/v1/merchant/offers", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = Vec<OfferView>)))]
pub async fn offers(State(state): State<ApiState>, staff: Staff<Redeem>) -> Result<Json<Vec<OfferView>>, Problem> {
    let list = offers::list(&state.engine.store, staff.tenant_id(), Some(shop(&staff)?), None).await?;
    Ok(Json(list.into_iter().map(OfferView::from).collect()))
}

/// Take one of the shop's offers off sale (a shop's merchant admin); vouchers sold stay good.
#[utoipa::path(post, path = "/v1/merchant/offers/{offer_id}/withdraw", tag = "merchant", security(("bearer" = [])),
    params(("offer_id" = String, Path, format = Uuid)),
    responses((status = 200, body = OfferView, description = "Withdrawn"),
        (status = 404, body = Problem, description = "No such offer of this shop"),
        (status = 409, body = Problem, description = "Rejected or withdrawn before (`OFFER_STATE`)")))]
pub async fn withdraw(
    State(state): State<ApiState>,
    staff: Staff<ManageOffers>,
    Path(offer_id): Path<String>,
) -> Result<Json<OfferView>, Problem> {
    let merchant_id = shop(&staff)?.clone();
    let offer = change_offer(&state, &staff, &offer_id, Some(&merchant_id), OfferStatus::Withdrawn, None).await?;
    Ok(Json(offer.into()))
}

/// Give a proposed offer of the shop its picture (a shop's merchant admin):
/// a JPEG or PNG of at most 5 MiB, kept re-encoded without its metadata
/// (where a phone took it, say), at most 1,600 pixels a side. The council
/// sees it with the proposal; once decided, the picture stays as approved.
#[utoipa::path(put, path = "/v1/merchant/offers/{offer_id}/picture", tag = "merchant", security(("bearer" = [])),
    params(("offer_id" = String, Path, format = Uuid)),
    request_body(description = "The picture", content(
        (Vec<u8> = "image/jpeg", example = "(a JPEG photo of at most 5 MiB)"),
        (Vec<u8> = "image/png", example = "(a PNG picture of at most 5 MiB)"))),
    responses((status = 200, body = OfferView, description = "The offer with its picture"),
        (status = 404, body = Problem, description = "No such offer of this shop"),
        (status = 409, body = Problem, description = "The council decided on the offer already (`OFFER_STATE`)"),
        (status = 413, body = Problem, description = "More than 5 MiB (`PICTURE_TOO_LARGE`)"),
        (status = 422, body = Problem, description = "Not a readable JPEG or PNG (`INVALID_PICTURE`)")))]
pub async fn put_picture(
    State(state): State<ApiState>,
    staff: Staff<ManageOffers>,
    Path(offer_id): Path<String>,
    upload: Result<Bytes, BytesRejection>,
) -> Result<Json<OfferView>, Problem> {
    let merchant_id = shop(&staff)?;
    let offer = offer_of(&state, staff.tenant_id(), &offer_id, |o| &o.merchant_id == merchant_id).await?;
    let not_waiting = || {
        let detail = "a picture is given while the offer waits for the council's decision; propose a new offer";
        Problem::new(StatusCode::CONFLICT, "OFFER_STATE", detail)
    };
    if offer.status != OfferStatus::Proposed {
        return Err(not_waiting());
    }
    let (key, media_type) = pictures::keep(&state, upload, "offers", offer.id.as_str()).await?;
    let mut tx = state.engine.store.begin().await?;
    if !offers::set_picture(&mut tx, staff.tenant_id(), &offer.id, &key, media_type).await? {
        // Decided while the picture was stored: the file just written belongs to nothing.
        if offer.picture_key.as_deref() != Some(&key) {
            pictures::forget(&state, &key).await;
        }
        return Err(not_waiting());
    }
    let after = Offer { picture_key: Some(key.clone()), picture_type: Some(media_type.into()), ..offer.clone() };
    staff.record(&mut tx, "offer.picture", offer.id.as_str(), Some(&offer), Some(&after)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if let Some(replaced) = offer.picture_key.filter(|old| *old != key) {
        pictures::forget(&state, &replaced).await;
    }
    Ok(Json(after.into()))
}

/// The picture of one of the shop's offers.
#[utoipa::path(get, path = "/v1/merchant/offers/{offer_id}/picture", tag = "merchant", security(("bearer" = [])),
    params(("offer_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The picture", content(
        (Vec<u8> = "image/jpeg", example = "(a JPEG picture, at most 1,600 pixels a side)"),
        (Vec<u8> = "image/png", example = "(a PNG picture, at most 1,600 pixels a side)"))),
        (status = 404, body = Problem, description = "No such offer of this shop, or it has no picture")))]
pub async fn shop_picture(
    State(state): State<ApiState>,
    staff: Staff<Redeem>,
    Path(offer_id): Path<String>,
) -> Result<Response, Problem> {
    let merchant_id = shop(&staff)?;
    let offer = offer_of(&state, staff.tenant_id(), &offer_id, |o| &o.merchant_id == merchant_id).await?;
    picture_answer(&state, &offer).await
}

/// The tenant's offer `offer_id` when `visible` says the asker may see it, else 404.
pub(crate) async fn offer_of(
    state: &ApiState,
    tenant_id: &TenantId,
    offer_id: &str,
    visible: impl FnOnce(&Offer) -> bool,
) -> Result<Offer, Problem> {
    let not_found = || Problem::not_found("offer");
    let id: OfferId = input::public_id(offer_id).ok_or_else(not_found)?;
    offers::get(&state.engine.store, tenant_id, &id).await?.filter(visible).ok_or_else(not_found)
}

/// An offer's picture as an answer, from the file store; 404 when it has none.
pub(crate) async fn picture_answer(state: &ApiState, offer: &Offer) -> Result<Response, Problem> {
    pictures::answer(state, offer.picture_key.as_deref(), offer.picture_type.as_deref()).await
}

/// Moves an offer of the tenant (of `merchant_id` when given) to `to`, with
/// the reviewer's note when the council decides, recorded in the audit log.
pub(crate) async fn change_offer<P>(
    state: &ApiState,
    staff: &Staff<P>,
    offer_id: &str,
    merchant_id: Option<&MerchantId>,
    to: OfferStatus,
    note: Option<&str>,
) -> Result<Offer, Problem> {
    let before =
        offer_of(state, staff.tenant_id(), offer_id, |o| merchant_id.is_none_or(|m| &o.merchant_id == m)).await?;
    let (store, id) = (&state.engine.store, &before.id);
    let state_problem = |status: OfferStatus| {
        Problem::new(
            StatusCode::CONFLICT,
            "OFFER_STATE",
            format!("this offer is {}; it cannot become {}", status.as_str(), to.as_str()),
        )
    };
    if !before.status.may_become(to) {
        return Err(state_problem(before.status));
    }
    let reviewer = (to != OfferStatus::Withdrawn).then_some((staff.id(), note));
    let mut tx = store.begin().await?;
    let after = offers::change_status(&mut tx, staff.tenant_id(), id, before.status, to, reviewer).await?;
    let after = after.ok_or_else(|| state_problem(before.status))?;
    staff.record(&mut tx, &format!("offer.{}", to.as_str()), id.as_str(), Some(&before), Some(&after)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

/// A settlement, as the shop and the council see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub settlement_id: SettlementId,
    /// The shop.
    #[schema(value_type = String, format = Uuid)]
    pub merchant_id: MerchantId,
    /// The coin of its vouchers.
    pub coin: String,
    /// Start of the period (RFC 3339, UTC).
    pub period_from: String,
    /// End of the period, exclusive (RFC 3339, UTC).
    pub period_until: String,
    /// Vouchers redeemed in it.
    pub vouchers: i64,
    /// Their points.
    pub points: i64,
    /// What the council owes the shop, in euro cents.
    pub amount_cents: i64,
    /// When the council closed it.
    pub closed_at: String,
    /// When the council marked it paid (absent while it is owed).
    pub paid_at: Option<String>,
}

impl From<Settlement> for SettlementView {
    fn from(s: Settlement) -> Self {
        Self {
            settlement_id: s.id,
            merchant_id: s.merchant_id,
            coin: s.coin,
            period_from: rfc3339(s.period_from),
            period_until: rfc3339(s.period_until),
            vouchers: s.vouchers,
            points: s.points,
            amount_cents: s.amount_cents,
            closed_at: rfc3339(s.closed_at),
            paid_at: s.paid_at.map(rfc3339),
        }
    }
}

/// What a shop redeemed that no settlement counts yet, in one coin.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnsettledView {
    /// The coin.
    pub coin: String,
    /// Vouchers redeemed.
    pub vouchers: i64,
    /// Their points.
    pub points: i64,
    /// What the council will owe, in euro cents.
    pub amount_cents: i64,
}

impl From<Unsettled> for UnsettledView {
    fn from(u: Unsettled) -> Self {
        Self { coin: u.coin, vouchers: u.vouchers, points: u.points, amount_cents: u.amount_cents }
    }
}

/// A shop's account with the council: what is not settled yet, and every settlement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementsView {
    /// Redeemed and not yet in a settlement, per coin.
    pub unsettled: Vec<UnsettledView>,
    /// The settlements, newest period first.
    pub settlements: Vec<SettlementView>,
}

/// The account of `merchant_id` with its council.
pub(crate) async fn settlements_of(
    state: &ApiState,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
) -> Result<SettlementsView, Problem> {
    let store = &state.engine.store;
    Ok(SettlementsView {
        unsettled: settlements::unsettled(store, tenant_id, merchant_id).await?.into_iter().map(Into::into).collect(),
        settlements: settlements::of_merchant(store, tenant_id, merchant_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    })
}

/// The shop's settlements and what is not settled yet.
#[utoipa::path(get, path = "/v1/merchant/settlements", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = SettlementsView)))]
pub async fn shop_settlements(
    State(state): State<ApiState>,
    staff: Staff<Redeem>,
) -> Result<Json<SettlementsView>, Problem> {
    Ok(Json(settlements_of(&state, staff.tenant_id(), shop(&staff)?).await?))
}

/// One voucher of a settlement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineView {
    /// The voucher.
    #[schema(value_type = String, format = Uuid)]
    pub voucher_id: VoucherId,
    /// What it bought.
    pub offer_title: String,
    /// When the shop redeemed it (RFC 3339, UTC).
    pub redeemed_at: String,
    /// Its points.
    pub points: i64,
    /// What the council owes for it, in euro cents.
    pub value_cents: i64,
}

impl From<Line> for LineView {
    fn from(line: Line) -> Self {
        Self {
            voucher_id: line.voucher_id,
            offer_title: line.offer_title,
            redeemed_at: rfc3339(line.redeemed_at),
            points: line.points,
            value_cents: line.value_cents,
        }
    }
}

/// A ledger transfer behind a settlement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostingView {
    /// The transfer's id (derived from its voucher or settlement).
    pub transfer_id: String,
    /// `voucher_reserve` (bought), `redemption` (redeemed) or `settlement` (paid).
    pub kind: String,
    /// The account that paid.
    pub debit_account: String,
    /// The account that received.
    pub credit_account: String,
    /// Points moved.
    pub amount: i64,
    /// The voucher or settlement it belongs to.
    pub reference: String,
    /// When it was posted (RFC 3339, UTC).
    pub posted_at: String,
}

impl From<Posting> for PostingView {
    fn from(p: Posting) -> Self {
        Self {
            transfer_id: p.transfer.id,
            kind: p.transfer.kind,
            debit_account: p.transfer.debit_account,
            credit_account: p.transfer.credit_account,
            amount: p.transfer.amount,
            reference: p.transfer.reference,
            posted_at: rfc3339(p.created_at),
        }
    }
}

/// A settlement with every voucher and every ledger transfer behind it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatementView {
    /// The figures.
    pub settlement: SettlementView,
    /// One line per voucher, in the order redeemed.
    pub lines: Vec<LineView>,
    /// The transfers: each voucher's purchase and redemption, and the payment once paid.
    pub transfers: Vec<PostingView>,
}

/// The CSV of a statement: one row per voucher, then the total of points and cents.
fn statement_csv(statement: &Statement) -> String {
    let mut out = String::from("voucher_id,offer,redeemed_at,points,value_cents\n");
    for line in &statement.lines {
        let title = line.offer_title.replace('"', "\"\"");
        out.push_str(&format!(
            "{},\"{title}\",{},{},{}\n",
            line.voucher_id,
            rfc3339(line.redeemed_at),
            line.points,
            line.value_cents
        ));
    }
    let s = &statement.settlement;
    out.push_str(&format!("total,,,{},{}\n", s.points, s.amount_cents));
    out
}

/// A settlement's statement as JSON, or as CSV with `Accept: text/csv`;
/// `None` when the tenant has no such settlement (of `merchant_id`, when given).
pub(crate) async fn statement_answer(
    state: &ApiState,
    tenant_id: &TenantId,
    merchant_id: Option<&MerchantId>,
    settlement_id: &str,
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    let not_found = || Problem::not_found("settlement");
    let id: SettlementId = input::public_id(settlement_id).ok_or_else(not_found)?;
    let statement = settling::statement(&state.engine.store, tenant_id, &id).await?;
    let statement =
        statement.filter(|s| merchant_id.is_none_or(|m| &s.settlement.merchant_id == m)).ok_or_else(not_found)?;
    if input::accepts_csv(headers) {
        let headers = [(header::CONTENT_TYPE, "text/csv; charset=utf-8")];
        return Ok((StatusCode::OK, headers, statement_csv(&statement)).into_response());
    }
    Ok(Json(StatementView {
        settlement: statement.settlement.into(),
        lines: statement.lines.into_iter().map(Into::into).collect(),
        transfers: statement.transfers.into_iter().map(Into::into).collect(),
    })
    .into_response())
}

/// One of the shop's settlements with its vouchers and transfers, as JSON or CSV (`Accept: text/csv`).
#[utoipa::path(get, path = "/v1/merchant/settlements/{settlement_id}", tag = "merchant", security(("bearer" = [])),
    params(("settlement_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The statement", content(
            (StatementView = "application/json"),
            (String = "text/csv", example = "voucher_id,offer,redeemed_at,points,value_cents\n0192f0c1-7a4e-7cc3-8e4f-2b9f0a6c1d2e,\"Bike bell\",2026-12-03T09:12:00.000Z,50,500\ntotal,,,50,500\n"))),
        (status = 404, body = Problem, description = "No such settlement of this shop")))]
pub async fn shop_statement(
    State(state): State<ApiState>,
    staff: Staff<Redeem>,
    Path(settlement_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    statement_answer(&state, staff.tenant_id(), Some(shop(&staff)?), &settlement_id, &headers).await
}
