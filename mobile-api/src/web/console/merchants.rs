//! The console's merchants: the shops that take the council's coins, a new
//! one, the offers waiting for the council's approval (approved or rejected
//! with a note), and a shop's page with its staff invitations and its
//! settlements: what is owed, closing a period, marking a statement paid,
//! and each statement as CSV.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use maud::{Markup, html};
use serde::Deserialize;
use smartville_store::offers::OfferStatus;
use smartville_store::staff::StaffRole;

use super::super::i18n::Lang;
use super::super::session::{PageForm, SignedIn};
use super::super::{answer, refusal};
use super::page;
use crate::ApiState;
use crate::admin::access::{ManageMerchants, ManageStaff, Permission, ReadMerchants, Staff};
use crate::admin::merchants::{
    self as api, CloseRequest, CoinRequest, MerchantRequest, MerchantView, OfferDecision, OfferParams, OfferVerdict,
};
use crate::admin::staff::{self as staff_api, InviteRequest};
use crate::input::JsonObject;
use crate::merchant::{OfferView, SettlementsView};
use crate::problem::Problem;

/// `GET /admin/merchants`: the shops, the offers waiting, a new shop.
pub async fn list(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadMerchants>>,
) -> Response {
    list_page(&state, lang, staff, None).await
}

async fn list_page(state: &ApiState, lang: Lang, staff: Staff<ReadMerchants>, refused: Option<Problem>) -> Response {
    let role = staff.member().role;
    let waiting = OfferParams { status: Some(OfferStatus::Proposed) };
    let offers = api::offers(State(state.clone()), staff.clone(), Ok(Query(waiting))).await;
    let merchants = api::list(State(state.clone()), staff).await;
    let (merchants, offers) = match (merchants, offers) {
        (Ok(Json(merchants)), Ok(Json(offers))) => (merchants, offers),
        (Err(problem), _) | (_, Err(problem)) => return super::super::failed(lang, problem),
    };
    answer(list_markup(lang, role, &merchants, &offers, refused.as_ref()), refused.as_ref())
}

fn list_markup(
    lang: Lang,
    role: StaffRole,
    merchants: &[MerchantView],
    offers: &[OfferView],
    refused: Option<&Problem>,
) -> Markup {
    let title = lang.t("console-merchants");
    let manages = ManageMerchants::allows(role);
    let shop_of = |offer: &OfferView| {
        merchants.iter().find(|m| m.merchant_id == offer.merchant_id).map_or("", |m| m.name.as_str())
    };
    let body = html! {
        h1 { (title) }
        (refusal(lang, refused))
        h2 { (lang.t("console-offers-waiting")) }
        @if offers.is_empty() { p { (lang.t("console-no-offers-waiting")) } }
        ul.cards.offers { @for offer in offers {
            li {
                h3 { (offer.title) }
                p { (shop_of(offer)) " · " (lang.text("app-price", &[
                    ("points", FluentValue::from(lang.number(offer.price_points))), ("coin", FluentValue::from(offer.coin.as_str()))])) }
                @if !offer.description.is_empty() { p { (offer.description) } }
                @if manages {
                    form.stacked method="post" action={ "/admin/offers/" (offer.offer_id) } {
                        label for={ "note-" (offer.offer_id) } { (lang.t("console-offer-note")) }
                        input id={ "note-" (offer.offer_id) } type="text" name="note" maxlength="500";
                        div.buttons {
                            button type="submit" name="status" value="approved" { (lang.t("console-approve")) }
                            button type="submit" name="status" value="rejected" { (lang.t("console-reject-offer")) }
                        }
                    }
                }
            }
        } }
        h2 { (lang.t("console-shops")) }
        @if merchants.is_empty() { p { (lang.t("console-no-shops")) } }
        ul.cards.shops { @for merchant in merchants {
            li { a href={ "/admin/merchants/" (merchant.merchant_id) } { (merchant.name) } " · " (merchant.address) }
        } }
        @if manages {
            h2 { (lang.t("console-new-shop")) }
            form.stacked method="post" action="/admin/merchants" {
                label for="name" { (lang.t("console-name")) }
                input #name type="text" name="name" required maxlength="120";
                label for="address" { (lang.t("console-address")) }
                input #address type="text" name="address" maxlength="200";
                label for="point_value_cents" { (lang.t("console-point-value")) }
                input #point_value_cents type="number" name="point_value_cents" min="0" max="10000" value="10" required;
                button type="submit" { (lang.t("console-add")) }
            }
        }
    };
    page(lang, role, &title, "/admin/merchants", body)
}

/// The new shop's fields.
#[derive(Debug, Deserialize)]
pub struct ShopForm {
    name: String,
    #[serde(default)]
    address: String,
    point_value_cents: String,
}

/// `POST /admin/merchants`: registers a shop taking the council's coin.
pub async fn create(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageMerchants>>,
    SignedIn(reader): SignedIn<Staff<ReadMerchants>>,
    PageForm(form): PageForm<ShopForm>,
) -> Response {
    let coin = state_coin(&state, &staff).await;
    let Ok(cents) = form.point_value_cents.trim().parse() else {
        let problem = Problem::bad_request("INVALID_POINT_VALUE", "a point's value is a whole number of cents");
        return list_page(&state, lang, reader, Some(problem)).await;
    };
    let request = MerchantRequest {
        name: form.name,
        address: form.address,
        latitude: None,
        longitude: None,
        category: None,
        coins: coin.map(|coin| vec![CoinRequest { coin, point_value_cents: cents }]).unwrap_or_default(),
    };
    match api::create(State(state.clone()), staff, JsonObject(request)).await {
        Ok((_, Json(shop))) => Redirect::to(&format!("/admin/merchants/{}", shop.merchant_id)).into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => list_page(&state, lang, reader, Some(problem)).await,
    }
}

/// The coin the council issues first, which a new shop takes.
async fn state_coin(state: &ApiState, staff: &Staff<ManageMerchants>) -> Option<String> {
    smartville_store::tenancy::tenant(&state.engine.store, staff.tenant_id()).await.ok().map(|tenant| tenant.coin)
}

/// The decision form's fields.
#[derive(Debug, Deserialize)]
pub struct OfferForm {
    status: OfferVerdict,
    #[serde(default)]
    note: String,
}

/// `POST /admin/offers/{offer_id}`: approves or rejects an offer.
pub async fn decide_offer(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageMerchants>>,
    SignedIn(reader): SignedIn<Staff<ReadMerchants>>,
    Path(offer_id): Path<String>,
    PageForm(form): PageForm<OfferForm>,
) -> Response {
    let note = (!form.note.trim().is_empty()).then_some(form.note);
    let decision = OfferDecision { status: form.status, note };
    match api::decide_offer(State(state.clone()), staff, Path(offer_id), JsonObject(decision)).await {
        Ok(_) => Redirect::to("/admin/merchants").into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => list_page(&state, lang, reader, Some(problem)).await,
    }
}

/// `GET /admin/merchants/{merchant_id}`: a shop, its staff invitations and its settlements.
pub async fn merchant(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadMerchants>>,
    Path(merchant_id): Path<String>,
) -> Response {
    merchant_page(&state, lang, staff, merchant_id, Shown::Nothing).await
}

/// What a shop's page shows besides the shop: a refusal, a new invitation's link, or nothing.
enum Shown {
    Nothing,
    Refused(Problem),
    Invited(String, String),
}

async fn merchant_page(
    state: &ApiState,
    lang: Lang,
    staff: Staff<ReadMerchants>,
    merchant_id: String,
    shown: Shown,
) -> Response {
    let role = staff.member().role;
    let shop = api::get(State(state.clone()), staff.clone(), Path(merchant_id.clone())).await;
    let account = api::settlements(State(state.clone()), staff, Path(merchant_id)).await;
    let (shop, account) = match (shop, account) {
        (Ok(Json(shop)), Ok(Json(account))) => (shop, account),
        (Err(problem), _) | (_, Err(problem)) if problem.status == 404 => return super::super::not_found(lang),
        (Err(problem), _) | (_, Err(problem)) => return super::super::failed(lang, problem),
    };
    let refused = match &shown {
        Shown::Refused(problem) => Some(problem),
        _ => None,
    };
    answer(merchant_markup(lang, role, &shop, &account, &shown), refused)
}

fn merchant_markup(
    lang: Lang,
    role: StaffRole,
    shop: &MerchantView,
    account: &SettlementsView,
    shown: &Shown,
) -> Markup {
    let base = format!("/admin/merchants/{}", shop.merchant_id);
    let manages = ManageMerchants::allows(role);
    let body = html! {
        h1 { (shop.name) }
        p { (shop.address) " · " @for coin in &shop.coins {
            (lang.text("console-coin-value", &[("coin", FluentValue::from(coin.coin.as_str())), ("value", FluentValue::from(lang.money(coin.point_value_cents)))])) " "
        } }
        @match shown {
            Shown::Refused(problem) => (refusal(lang, Some(problem))),
            Shown::Invited(email, link) => div.fine role="status" {
                p { (lang.text("console-invited", &[("email", FluentValue::from(email.as_str()))])) }
                p { code.setup-link { (link) } }
            },
            Shown::Nothing => {},
        }
        h2 { (lang.t("shop-unsettled")) }
        @if account.unsettled.is_empty() { p { (lang.t("shop-nothing-unsettled")) } }
        ul.unsettled { @for owed in &account.unsettled {
            li { (lang.text("shop-owed", &[
                ("vouchers", FluentValue::from(owed.vouchers)),
                ("amount", FluentValue::from(lang.money(owed.amount_cents))),
                ("coin", FluentValue::from(owed.coin.as_str())),
            ])) }
        } }
        @if manages && !account.unsettled.is_empty() {
            form method="post" action={ (base) "/settlements" } {
                button type="submit" { (lang.t("console-close-settlement")) }
            }
        }
        h2 { (lang.t("shop-statements")) }
        @if account.settlements.is_empty() { p { (lang.t("shop-no-statements")) } }
        @else {
            div.scroll role="region" aria-label=(lang.t("shop-statements")) tabindex="0" {
                table.settlements {
                    thead { tr {
                        th scope="col" { (lang.t("shop-period")) } th scope="col" { (lang.t("shop-vouchers")) }
                        th scope="col" { (lang.t("shop-value")) } th scope="col" { (lang.t("shop-paid")) }
                        th scope="col" { span.visually-hidden { (lang.t("console-actions")) } }
                    } }
                    tbody { @for statement in &account.settlements { tr {
                        td { (super::super::moment(lang, &statement.period_from)) " – " (super::super::moment(lang, &statement.period_until)) }
                        td { (lang.number(statement.vouchers)) }
                        td { (lang.money(statement.amount_cents)) }
                        td { @match &statement.paid_at {
                            Some(paid_at) => (super::super::moment(lang, paid_at)),
                            None => @if manages {
                                form method="post" action={ "/admin/settlements/" (statement.settlement_id) "/paid" } {
                                    button type="submit" { (lang.t("console-mark-paid")) }
                                }
                            } @else { (lang.t("shop-owed-yet")) },
                        } }
                        td { a href={ "/admin/settlements/" (statement.settlement_id) "/statement.csv" } download { (lang.t("console-statement-csv")) } }
                    } } }
                }
            }
        }
        @if ManageStaff::allows(role) {
            h2 { (lang.t("console-invite-shop-staff")) }
            form.stacked method="post" action={ (base) "/staff" } {
                label for="email" { (lang.t("login-email")) }
                input #email type="email" name="email" required autocomplete="off";
                label for="role" { (lang.t("console-role")) }
                select #role name="role" {
                    option value="merchant_admin" { (lang.t("role-merchant-admin")) }
                    option value="merchant_staff" selected { (lang.t("role-merchant-staff")) }
                }
                button type="submit" { (lang.t("console-send-invitation")) }
            }
        }
    };
    page(lang, role, &shop.name, "/admin/merchants", body)
}

/// `POST /admin/merchants/{merchant_id}/settlements`: closes what is owed until now into a statement.
pub async fn close(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageMerchants>>,
    SignedIn(reader): SignedIn<Staff<ReadMerchants>>,
    Path(merchant_id): Path<String>,
) -> Response {
    let request = CloseRequest { until: None, coin: None };
    let done = api::close(State(state.clone()), staff, Path(merchant_id.clone()), JsonObject(request)).await;
    back_to_merchant(&state, lang, reader, merchant_id, done.map(|_| ())).await
}

/// `POST /admin/settlements/{settlement_id}/paid`: the council paid the statement.
pub async fn paid(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageMerchants>>,
    SignedIn(reader): SignedIn<Staff<ReadMerchants>>,
    Path(settlement_id): Path<String>,
) -> Response {
    match api::paid(State(state.clone()), staff, Path(settlement_id)).await {
        Ok(Json(settled)) => Redirect::to(&format!("/admin/merchants/{}", settled.merchant_id)).into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => list_page(&state, lang, reader, Some(problem)).await,
    }
}

/// `GET /admin/settlements/{settlement_id}/statement.csv`: a statement, line by line, as CSV.
pub async fn statement_csv(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadMerchants>>,
    Path(settlement_id): Path<String>,
) -> Response {
    let mut csv = HeaderMap::new();
    csv.insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
    match api::statement(State(state), staff, Path(settlement_id.clone()), csv).await {
        Ok(mut response) => {
            let file = format!("attachment; filename=\"statement-{settlement_id}.csv\"");
            if let Ok(value) = HeaderValue::from_str(&file) {
                response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(problem) if problem.status == 404 => super::super::not_found(lang),
        Err(problem) => super::super::failed(lang, problem),
    }
}

/// The shop staff invitation's fields.
#[derive(Debug, Deserialize)]
pub struct ShopStaffForm {
    email: String,
    role: StaffRole,
}

/// `POST /admin/merchants/{merchant_id}/staff`: invites someone to the shop's counter and shows their set-up link.
pub async fn invite(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageStaff>>,
    SignedIn(reader): SignedIn<Staff<ReadMerchants>>,
    headers: HeaderMap,
    Path(merchant_id): Path<String>,
    PageForm(form): PageForm<ShopStaffForm>,
) -> Response {
    let request =
        InviteRequest { email: form.email, role: form.role, school_id: None, merchant_id: Some(merchant_id.clone()) };
    let shown = match staff_api::invite(State(state.clone()), staff, JsonObject(request)).await {
        Ok((_, Json(invitation))) => {
            let (email, link) = super::staff::setup_link(&headers, &invitation);
            Shown::Invited(email, link)
        }
        Err(problem) if problem.status >= 500 => return super::super::failed(lang, problem),
        Err(problem) => Shown::Refused(problem),
    };
    merchant_page(&state, lang, reader, merchant_id, shown).await
}

async fn back_to_merchant(
    state: &ApiState,
    lang: Lang,
    reader: Staff<ReadMerchants>,
    merchant_id: String,
    done: Result<(), Problem>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/admin/merchants/{merchant_id}")).into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => merchant_page(state, lang, reader, merchant_id, Shown::Refused(problem)).await,
    }
}
