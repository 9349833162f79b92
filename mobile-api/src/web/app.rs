//! `/app`: the students' web app, for those without the phone app. A student
//! joins a class with its code, sees their rides with each decision told in
//! plain words (and asks for another look at one that did not count), adds a
//! ride from a GPX file or records one with the browser's location, spends
//! points on the shops' offers and shows a voucher's code and QR code at the
//! counter. Every step is the API's own (`crate::auth`, `crate::trips`,
//! `crate::wallet`, `crate::rewards`), run for the signed-in student; the app
//! can be installed on a phone's home screen (a web app manifest and a
//! service worker that keeps a recorded ride until it is sent).

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use smartville_engine::ingest::TraceFormat;
use smartville_scoring::Effect;
use smartville_store::lifecycle::TripStatus;
use smartville_store::reviews::ReviewKind;
use smartville_store::vouchers::VoucherStatus;

use super::i18n::Lang;
use super::layout::{self, Part};
use super::session::{self, PageForm, SignedIn};
use super::{assets, moment, refusal, refused};
use crate::auth::{self, JoinRequest, Participant};
use crate::input::JsonObject;
use crate::limits::ClientAddress;
use crate::problem::Problem;
use crate::rewards::{self, RewardView, VoucherParams, VoucherView};
use crate::trips::{self, AppealRequest, ListQuery, TripView};
use crate::{ApiState, wallet};

/// The student's pages, in the order their links show.
const PART: Part<'static> = Part {
    links: &[
        ("/app", "app-rides"),
        ("/app/upload", "app-upload"),
        ("/app/record", "app-record"),
        ("/app/rewards", "app-rewards"),
        ("/app/vouchers", "app-vouchers"),
    ],
    manifest: Some("/app/manifest.webmanifest"),
};

/// A new idempotency key for a form: sending the same form twice does the thing once.
fn form_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

// Joining.

/// The join form's fields.
#[derive(Debug, Deserialize)]
pub struct JoinForm {
    join_code: String,
    #[serde(default)]
    nickname: String,
}

/// Query of `GET /app/join`: the code, filled in from a class poster's QR code.
#[derive(Debug, Deserialize)]
pub struct JoinQuery {
    code: Option<String>,
}

/// `GET /app/join`.
pub async fn join_page(lang: Lang, query: Result<Query<JoinQuery>, QueryRejection>) -> Html<String> {
    let code = query.ok().and_then(|Query(query)| query.code).unwrap_or_default();
    Html(join_form(lang, &code, "", None).into_string())
}

/// `POST /app/join`: joins the class and opens the app.
pub async fn join(
    State(state): State<ApiState>,
    address: ClientAddress,
    lang: Lang,
    PageForm(form): PageForm<JoinForm>,
) -> Response {
    let nickname = (!form.nickname.trim().is_empty()).then(|| form.nickname.clone());
    let request = JoinRequest { join_code: form.join_code.clone(), nickname };
    match auth::join(State(state.clone()), address, JsonObject(request)).await {
        Ok((_, Json(joined))) => {
            let mut response = Redirect::to("/app").into_response();
            session::keep(&mut response, &state, &joined.access_token, &joined.refresh_token);
            response
        }
        Err(problem) => refused(lang, problem, |p| join_form(lang, &form.join_code, &form.nickname, Some(p))),
    }
}

fn join_form(lang: Lang, code: &str, nickname: &str, problem: Option<&Problem>) -> Markup {
    let title = lang.t("app-join-title");
    let body = html! {
        h1 { (title) }
        p { (lang.t("app-join-intro")) }
        (refusal(lang, problem))
        form.stacked method="post" action="/app/join" {
            label for="join_code" { (lang.t("app-join-code")) }
            input #join_code type="text" name="join_code" value=(code) required autocomplete="off"
                autocapitalize="characters" spellcheck="false" maxlength="64";
            label for="nickname" { (lang.t("app-nickname")) }
            input #nickname type="text" name="nickname" value=(nickname) maxlength="40" autocomplete="nickname"
                aria-describedby="nickname-hint";
            p #nickname-hint.hint { (lang.t("app-nickname-hint")) }
            button type="submit" { (lang.t("app-join-submit")) }
        }
    };
    layout::page(lang, &title, body)
}

// Rides.

/// `GET /app`: the wallet and the latest rides.
pub async fn home(State(state): State<ApiState>, lang: Lang, SignedIn(student): SignedIn<Participant>) -> Response {
    let wallet = wallet::get(State(state.clone()), student.clone()).await;
    let page = trips::list(State(state), student, Ok(Query(ListQuery { cursor: None, limit: Some(50) }))).await;
    match (wallet, page) {
        (Ok(Json(wallet)), Ok(Json(page))) => {
            let title = lang.t("app-rides");
            let body = html! {
                h1 { (title) }
                dl.figures {
                    @for balance in &wallet.balances {
                        div { dt { (balance.coin) } dd.balance { (lang.number(balance.amount)) } }
                    }
                }
                @if page.trips.is_empty() {
                    p { (lang.t("app-no-rides")) }
                } @else {
                    ul.trips {
                        @for trip in &page.trips {
                            li { a href={ "/app/trips/" (trip.trip_id) } {
                                span.when { (moment(lang, &trip.submitted_at)) }
                                span.status { (status_words(lang, trip)) }
                                @if let Some(distance) = trip.distance_m { span.km { (km(lang, distance)) } }
                            } }
                        }
                    }
                }
            };
            Html(layout::signed_in(lang, &title, &PART, "/app", body).into_string()).into_response()
        }
        (Err(problem), _) | (_, Err(problem)) => super::failed(lang, problem),
    }
}

/// `GET /app/trips/{trip_id}`: one ride and why it was (not) accepted.
pub async fn trip(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(student): SignedIn<Participant>,
    Path(trip_id): Path<String>,
) -> Response {
    match trips::get(State(state), student, Path(trip_id)).await {
        Ok(Json(trip)) => Html(trip_page(lang, &trip, None).into_string()).into_response(),
        Err(problem) if problem.status == 404 => super::not_found(lang),
        Err(problem) => super::failed(lang, problem),
    }
}

/// The appeal form's field.
#[derive(Debug, Deserialize)]
pub struct AppealForm {
    message: String,
}

/// `POST /app/trips/{trip_id}/appeal`: asks a person to look at the ride again.
pub async fn appeal(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(student): SignedIn<Participant>,
    Path(trip_id): Path<String>,
    PageForm(form): PageForm<AppealForm>,
) -> Response {
    let request = AppealRequest { message: form.message };
    let appealed =
        trips::appeal(State(state.clone()), student.clone(), Path(trip_id.clone()), JsonObject(request)).await;
    match appealed {
        Ok(_) => Redirect::to(&format!("/app/trips/{trip_id}")).into_response(),
        Err(problem) => match trips::get(State(state), student, Path(trip_id)).await {
            Ok(Json(trip)) => refused(lang, problem, |p| trip_page(lang, &trip, Some(p))),
            Err(_) => super::failed(lang, problem),
        },
    }
}

fn trip_page(lang: Lang, trip: &TripView, problem: Option<&Problem>) -> Markup {
    let title = status_words(lang, trip);
    let appealed = trip.reviews.iter().any(|review| review.kind == ReviewKind::Appeal);
    let body = html! {
        h1 { (title) }
        p { (moment(lang, &trip.submitted_at))
            @if let Some(distance) = trip.distance_m { " · " (km(lang, distance)) }
            @if let Some(duration) = trip.duration_s { " · " (lang.text("app-minutes", &[("minutes", FluentValue::from((duration + 30) / 60))])) }
        }
        @if trip.status == TripStatus::Pending {
            p { (lang.t("app-still-checking")) " " a href={ "/app/trips/" (trip.trip_id) } { (lang.t("app-look-again")) } }
        }
        @let reasons: Vec<_> = trip.reasons.iter().filter(|r| r.effect != Effect::Increase || trip.status == TripStatus::Accepted).collect();
        @if !reasons.is_empty() {
            h2 { (lang.t("app-why")) }
            ul.reasons {
                @for reason in reasons {
                    li { (super::reason_words(lang, reason)) }
                }
            }
        }
        @for review in &trip.reviews {
            section.review {
                h2 { (lang.t("app-appeal")) }
                @if let Some(message) = &review.message { p { "“" (message) "”" } }
                p.outcome { @match review.outcome.as_deref() {
                    Some("accepted") => (lang.t("app-appeal-accepted")),
                    Some(_) => (lang.t("app-appeal-rejected")),
                    None => (lang.t("app-appeal-open")),
                } }
                @if let Some(note) = &review.note { p { (lang.t("app-appeal-note")) " “" (note) "”" } }
            }
        }
        (refusal(lang, problem))
        @if trip.status == TripStatus::Rejected && !appealed {
            form.stacked method="post" action={ "/app/trips/" (trip.trip_id) "/appeal" } {
                label for="message" { (lang.t("app-appeal-ask")) }
                textarea #message name="message" rows="3" maxlength="500" required {}
                button type="submit" { (lang.t("app-appeal-send")) }
            }
        }
        p { a href="/app" { (lang.t("app-back-to-rides")) } }
    };
    layout::signed_in(lang, &title, &PART, "", body)
}

/// A ride's state as the student reads it: counted with its points, not counted, or waiting.
fn status_words(lang: Lang, trip: &TripView) -> String {
    match trip.status {
        TripStatus::Accepted => lang.text("app-status-accepted", &[("points", FluentValue::from(trip.points))]),
        TripStatus::Rejected => lang.t("app-status-rejected"),
        TripStatus::Review => lang.t("app-status-review"),
        TripStatus::Pending => lang.t("app-status-pending"),
    }
}

fn km(lang: Lang, metres: i64) -> String {
    #[allow(clippy::cast_precision_loss)] // a ride's metres, far below 2^52
    let km = metres as f64 / 1000.0;
    lang.text("app-km", &[("km", FluentValue::from(lang.decimal(km, 1)))])
}

// Adding a ride.

/// `GET /app/upload`: a GPX file of a ride.
pub async fn upload_page(lang: Lang, SignedIn(_): SignedIn<Participant>) -> Html<String> {
    Html(upload_form(lang, None).into_string())
}

/// `POST /app/upload` (`multipart/form-data`: the form's key and the file):
/// adds the ride, waits for its decision and shows it.
pub async fn upload(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(student): SignedIn<Participant>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (key, gpx) = match upload_fields(multipart).await {
        Some(fields) => fields,
        None => return super::message(lang, StatusCode::BAD_REQUEST, "bad-form-title", "bad-form-text"),
    };
    let wait = state.settings.max_wait;
    match trips::submit_trace(&state, &student, TraceFormat::Gpx, &key, &gpx, wait).await {
        Ok(trip) => Redirect::to(&format!("/app/trips/{}", trip.id)).into_response(),
        Err(problem) => refused(lang, problem, |p| upload_form(lang, Some(p))),
    }
}

/// The upload form's key and file, or `None` when either is missing.
async fn upload_fields(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Option<(String, Bytes)> {
    let mut multipart = multipart.ok()?;
    let (mut key, mut file) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("key") => key = field.text().await.ok(),
            Some("gpx") => file = field.bytes().await.ok(),
            _ => {}
        }
    }
    Some((key?, file.filter(|bytes| !bytes.is_empty())?))
}

fn upload_form(lang: Lang, problem: Option<&Problem>) -> Markup {
    let title = lang.t("app-upload");
    let body = html! {
        h1 { (title) }
        p { (lang.t("app-upload-intro")) }
        (refusal(lang, problem))
        form.stacked method="post" action="/app/upload" enctype="multipart/form-data" {
            input type="hidden" name="key" value=(form_key());
            label for="gpx" { (lang.t("app-upload-file")) }
            input #gpx type="file" name="gpx" accept=".gpx,application/gpx+xml" required;
            button type="submit" { (lang.t("app-upload-send")) }
        }
    };
    layout::signed_in(lang, &title, &PART, "/app/upload", body)
}

/// `GET /app/record`: records a ride with the browser's location.
pub async fn record_page(lang: Lang, SignedIn(_): SignedIn<Participant>) -> Html<String> {
    let title = lang.t("app-record");
    let body = html! {
        h1 { (title) }
        p { (lang.t("app-record-intro")) }
        div #recorder data-sending=(lang.t("app-record-sending")) data-kept=(lang.t("app-record-kept"))
            data-recording=(lang.text("app-record-recording", &[("count", FluentValue::from("{count}"))])) data-denied=(lang.t("app-record-denied"))
            data-unavailable=(lang.t("app-record-unavailable")) {
            button #start type="button" { (lang.t("app-record-start")) }
            button #stop type="button" hidden { (lang.t("app-record-stop")) }
            p #progress role="status" aria-live="polite" {}
        }
        script src=(assets::path("record.js")) defer {}
    };
    Html(layout::signed_in(lang, &title, &PART, "/app/record", body).into_string())
}

/// `POST /app/record`: the recorder's ride as a JSON trace (the API's
/// format), with the `Idempotency-Key` the recorder chose when the ride
/// began; answers the trip's id for the page to show, or the problem with
/// its `explanation` in the student's language.
pub async fn record(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(student): SignedIn<Participant>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let submitted = async {
        let key = crate::input::idempotency_key(&headers, "ride")?;
        let wait = Duration::ZERO;
        trips::submit_trace(&state, &student, TraceFormat::Json, key, &body, wait).await
    };
    match submitted.await {
        Ok(trip) => Json(serde_json::json!({ "trip_id": trip.id })).into_response(),
        Err(problem) => {
            let explanation = super::explain(lang, &problem);
            problem.with("explanation", explanation).into_response()
        }
    }
}

// Spending points.

/// `GET /app/rewards`: the offers on sale to the student.
pub async fn rewards_page(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(student): SignedIn<Participant>,
) -> Response {
    match rewards::list(State(state), student).await {
        Ok(Json(offers)) => Html(offers_page(lang, &offers, None).into_string()).into_response(),
        Err(problem) => super::failed(lang, problem),
    }
}

/// The buy form's field.
#[derive(Debug, Deserialize)]
pub struct BuyForm {
    key: String,
}

/// `POST /app/rewards/{offer_id}`: buys a voucher and shows it.
pub async fn buy(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(student): SignedIn<Participant>,
    Path(offer_id): Path<String>,
    PageForm(form): PageForm<BuyForm>,
) -> Response {
    let mut headers = HeaderMap::new();
    match HeaderValue::from_str(&form.key) {
        Ok(key) => headers.insert("idempotency-key", key),
        Err(_) => return super::message(lang, StatusCode::BAD_REQUEST, "bad-form-title", "bad-form-text"),
    };
    match rewards::buy(State(state.clone()), student.clone(), Path(offer_id), headers).await {
        Ok(_) => Redirect::to("/app/vouchers").into_response(),
        Err(problem) => match rewards::list(State(state), student).await {
            Ok(Json(offers)) => refused(lang, problem, |p| offers_page(lang, &offers, Some(p))),
            Err(_) => super::failed(lang, problem),
        },
    }
}

fn offers_page(lang: Lang, offers: &[RewardView], problem: Option<&Problem>) -> Markup {
    let title = lang.t("app-rewards");
    let body = html! {
        h1 { (title) }
        (refusal(lang, problem))
        @if offers.is_empty() { p { (lang.t("app-no-offers")) } }
        ul.cards {
            @for offer in offers {
                li {
                    h2 { (offer.title) }
                    p { (offer.merchant_name) " · " (lang.text("app-price", &[
                        ("points", FluentValue::from(lang.number(offer.price_points))),
                        ("coin", FluentValue::from(offer.coin.as_str())),
                    ])) }
                    @if !offer.description.is_empty() { p { (offer.description) } }
                    form method="post" action={ "/app/rewards/" (offer.offer_id) } {
                        input type="hidden" name="key" value=(form_key());
                        button type="submit" aria-label=(lang.text("app-buy-offer", &[("offer", FluentValue::from(offer.title.as_str()))])) {
                            (lang.t("app-buy"))
                        }
                    }
                }
            }
        }
    };
    layout::signed_in(lang, &title, &PART, "/app/rewards", body)
}

/// `GET /app/vouchers`: the student's vouchers, each valid one with its code and QR code.
pub async fn vouchers_page(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(student): SignedIn<Participant>,
) -> Response {
    let listed = rewards::vouchers(State(state), student, Ok(Query(VoucherParams { limit: None }))).await;
    match listed {
        Ok(Json(vouchers)) => Html(vouchers_list(lang, &vouchers).into_string()).into_response(),
        Err(problem) => super::failed(lang, problem),
    }
}

fn vouchers_list(lang: Lang, vouchers: &[VoucherView]) -> Markup {
    let title = lang.t("app-vouchers");
    let body = html! {
        h1 { (title) }
        @if vouchers.is_empty() { p { (lang.t("app-no-vouchers")) } }
        ul.cards {
            @for voucher in vouchers {
                li.voucher {
                    h2 { (voucher.offer_title) }
                    p { (voucher.merchant_name) }
                    @if voucher.status == VoucherStatus::Pending {
                        p { (lang.t("app-show-code")) }
                        p.code { code { (voucher.code) } }
                        (qr(lang, &voucher.code))
                        p { (lang.text("app-valid-until", &[("until", FluentValue::from(moment(lang, &voucher.expires_at)))])) }
                    } @else {
                        p.status { (lang.t(match voucher.status {
                            VoucherStatus::Redeemed => "app-voucher-redeemed",
                            VoucherStatus::Cancelled => "app-voucher-cancelled",
                            _ => "app-voucher-expired",
                        })) }
                    }
                }
            }
        }
    };
    layout::signed_in(lang, &title, &PART, "/app/vouchers", body)
}

/// A voucher's code as a QR code, drawn inline (an SVG the counter's camera reads).
fn qr(lang: Lang, code: &str) -> Markup {
    match qrcode::QrCode::new(code.as_bytes()) {
        Ok(qr) => {
            let svg = qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build();
            // The renderer's document starts with an XML declaration an inline SVG does not take.
            let svg = svg.find("<svg").map_or("", |start| &svg[start..]).to_owned();
            html! { div.qr role="img" aria-label=(lang.t("app-qr")) { (PreEscaped(svg)) } }
        }
        Err(error) => {
            tracing::warn!(%error, "a voucher code did not fit a QR code");
            html! {}
        }
    }
}

// Installing the app.

/// `GET /app/manifest.webmanifest`: what a phone needs to put the app on its home screen.
pub async fn manifest(lang: Lang) -> Response {
    let manifest = serde_json::json!({
        "name": lang.t("app-name"),
        "short_name": "Smartville",
        "lang": lang.tag(),
        "start_url": "/app",
        "scope": "/app",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [{ "src": assets::path("icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any" }],
    });
    ([(header::CONTENT_TYPE, "application/manifest+json")], manifest.to_string()).into_response()
}

/// `GET /app/sw.js`: the service worker (served under `/app` so that it may look after the app's pages).
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("service-worker-allowed"), "/app"),
        ],
        include_str!("../../web/static/sw.js"),
    )
        .into_response()
}
