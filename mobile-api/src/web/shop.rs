//! `/shop`: the merchant's counter. One big field for a voucher's code (typed,
//! or scanned from its QR code with the device's camera where the browser can
//! read one), the answer as a full-width green or red panel with what to hand
//! over or why not, the day's redemptions below it, and the shop's
//! settlements with the council on their own page. Every step is the API's
//! own route (`crate::merchant`), run for the signed-in member of staff.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use fluent_bundle::FluentValue;
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Lang;
use super::layout::{self, Part};
use super::session::{PageForm, SignedIn};
use super::{assets, clock, explain, moment};
use crate::ApiState;
use crate::admin::access::{Redeem, Staff};
use crate::input::JsonObject;
use crate::merchant::{self, RedemptionParams, RedemptionRequest, RedemptionView, SettlementsView};
use crate::problem::Problem;

/// The counter's pages, in the order their links show.
const PART: Part<'static> =
    Part { links: &[("/shop", "shop-counter"), ("/shop/settlements", "shop-settlements")], manifest: None };

/// The code form's one field.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
}

/// `GET /shop`: the counter, waiting for a code.
pub async fn counter(State(state): State<ApiState>, lang: Lang, SignedIn(staff): SignedIn<Staff<Redeem>>) -> Response {
    match today(&state, staff).await {
        Ok(redeemed) => Html(counter_page(lang, None, &redeemed).into_string()).into_response(),
        Err(problem) => super::failed(lang, problem),
    }
}

/// `POST /shop`: redeems the code and answers green or red, ready for the next code.
pub async fn redeem(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<Redeem>>,
    PageForm(form): PageForm<CodeForm>,
) -> Response {
    let request = RedemptionRequest { code: form.code };
    let answer = match merchant::redeem(State(state.clone()), staff.clone(), JsonObject(request)).await {
        Ok(Json(view)) => Ok(view),
        Err(problem) if problem.status >= 500 => return super::failed(lang, problem),
        Err(refusal) => Err(refusal),
    };
    match today(&state, staff).await {
        Ok(redeemed) => super::answer(counter_page(lang, Some(&answer), &redeemed), answer.as_ref().err()),
        Err(problem) => super::failed(lang, problem),
    }
}

/// `GET /shop/settlements`: what the council owes the shop, and every settlement.
pub async fn settlements(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<Redeem>>,
) -> Response {
    match merchant::shop_settlements(State(state), staff).await {
        Ok(Json(account)) => Html(settlements_page(lang, &account).into_string()).into_response(),
        Err(problem) => super::failed(lang, problem),
    }
}

/// The shop's redemptions since midnight in the town.
async fn today(state: &ApiState, staff: Staff<Redeem>) -> Result<Vec<RedemptionView>, Problem> {
    let since = Some(super::start_of_today());
    let params = RedemptionParams { since };
    let Json(redeemed) = merchant::redemptions(State(state.clone()), staff, Ok(Query(params))).await?;
    Ok(redeemed)
}

fn counter_page(lang: Lang, answer: Option<&Result<RedemptionView, Problem>>, redeemed: &[RedemptionView]) -> Markup {
    let title = lang.t("shop-counter");
    let body = html! {
        @match answer {
            Some(Ok(view)) => section.verdict.ok role="status" {
                h1 { "✓ " (lang.t("shop-valid")) }
                p.offer { (lang.text("shop-hand-over", &[("offer", FluentValue::from(view.offer_title.as_str()))])) }
                p { (lang.text("shop-points", &[("points", FluentValue::from(lang.number(view.price_points)))])) }
            },
            Some(Err(problem)) => section.verdict.bad role="alert" {
                h1 { "✗ " (lang.t(if problem.code == "ALREADY_REDEEMED" { "shop-already-redeemed" } else { "shop-not-valid" })) }
                p { (explain(lang, problem)) }
            },
            None => h1 { (title) },
        }
        form.counter method="post" action="/shop" {
            label for="code" { (lang.t("shop-code")) }
            div.code-row {
                input #code type="text" name="code" required autofocus autocomplete="off" autocapitalize="characters"
                    spellcheck="false" maxlength="64" aria-describedby="code-hint";
                button type="submit" { (lang.t("shop-redeem")) }
            }
            p #code-hint.hint { (lang.t("shop-code-hint")) }
            button #scan type="button" hidden data-decoder=(assets::path("vendor/jsQR.js")) { (lang.t("shop-scan")) }
            video #camera hidden muted playsinline aria-label=(lang.t("shop-camera")) {}
        }
        h2 { (lang.t("shop-today")) }
        @if redeemed.is_empty() {
            p { (lang.t("shop-none-today")) }
        } @else {
            div.scroll role="region" aria-label=(lang.t("shop-today")) tabindex="0" {
                table.redemptions {
                    thead { tr { th { (lang.t("shop-time")) } th { (lang.t("shop-offer")) } th { (lang.t("shop-points-column")) } th { (lang.t("shop-value")) } } }
                    tbody {
                        @for view in redeemed {
                            tr {
                                td { (clock(&view.redeemed_at)) }
                                td { (view.offer_title) }
                                td { (lang.number(view.price_points)) }
                                td { (lang.money(view.value_cents)) }
                            }
                        }
                    }
                }
            }
        }
        script src=(assets::path("counter.js")) defer {}
    };
    layout::signed_in(lang, &title, &PART, "/shop", body)
}

fn settlements_page(lang: Lang, account: &SettlementsView) -> Markup {
    let title = lang.t("shop-settlements");
    let body = html! {
        h1 { (title) }
        h2 { (lang.t("shop-unsettled")) }
        @if account.unsettled.is_empty() {
            p { (lang.t("shop-nothing-unsettled")) }
        } @else {
            ul.unsettled {
                @for owed in &account.unsettled {
                    li { (lang.text("shop-owed", &[
                        ("vouchers", FluentValue::from(owed.vouchers)),
                        ("amount", FluentValue::from(lang.money(owed.amount_cents))),
                        ("coin", FluentValue::from(owed.coin.as_str())),
                    ])) }
                }
            }
        }
        h2 { (lang.t("shop-statements")) }
        @if account.settlements.is_empty() {
            p { (lang.t("shop-no-statements")) }
        } @else {
            div.scroll role="region" aria-label=(lang.t("shop-statements")) tabindex="0" {
                table {
                    thead { tr {
                        th { (lang.t("shop-period")) } th { (lang.t("shop-vouchers")) } th { (lang.t("shop-value")) } th { (lang.t("shop-paid")) }
                    } }
                    tbody {
                        @for statement in &account.settlements {
                            tr {
                                td { (moment(lang, &statement.period_from)) " – " (moment(lang, &statement.period_until)) }
                                td { (lang.number(statement.vouchers)) }
                                td { (lang.money(statement.amount_cents)) }
                                td { @match &statement.paid_at {
                                    Some(paid_at) => (moment(lang, paid_at)),
                                    None => (lang.t("shop-owed-yet")),
                                } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::signed_in(lang, &title, &PART, "/shop/settlements", body)
}
