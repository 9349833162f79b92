//! The console's review queue: rides scoring sent to a person and rejected
//! rides a student appealed, oldest first; each on its own page with its
//! figures, its reasons, the student's message and the ride on a map
//! (without its first and last 200 m), accepted or rejected with a note.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use maud::{Markup, html};
use serde::Deserialize;
use smartville_store::reviews::{Outcome, ReviewKind};
use smartville_store::staff::StaffRole;

use super::super::i18n::Lang;
use super::super::session::{PageForm, SignedIn};
use super::super::{answer, refusal};
use super::{page, zones_map};
use crate::ApiState;
use crate::admin::access::{DecideReviews, ReadReviews, Staff};
use crate::admin::reviews::{self as api, DecisionRequest, QueueQuery, ReviewDetail, ReviewItem};
use crate::input::JsonObject;
use crate::problem::Problem;

/// `GET /admin/reviews`: the queue.
pub async fn queue(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadReviews>>,
) -> Response {
    let role = staff.member().role;
    let query = QueueQuery { cursor: None, limit: Some(100) };
    let rides = match api::list(State(state), staff, Ok(Query(query))).await {
        Ok(Json(page)) => page.rides,
        Err(problem) => return super::super::failed(lang, problem),
    };
    let title = lang.t("console-reviews");
    let body = html! {
        h1 { (title) }
        @if rides.is_empty() {
            p { (lang.t("console-no-reviews")) }
        } @else {
            div.scroll role="region" aria-label=(title) tabindex="0" {
                table.reviews {
                    thead { tr {
                        th scope="col" { (lang.t("console-ride")) } th scope="col" { (lang.t("console-kind")) }
                        th scope="col" { (lang.t("console-student")) } th scope="col" { (lang.t("console-distance")) }
                    } }
                    tbody { @for ride in &rides { tr {
                        td { a href={ "/admin/reviews/" (ride.trip_id) } { (started(lang, ride)) } }
                        td { (kind_words(lang, ride)) }
                        td { (ride.nickname.as_deref().unwrap_or("–")) }
                        td { (km(lang, ride)) }
                    } } }
                }
            }
        }
    };
    Html(page(lang, role, &title, "/admin/reviews", body).into_string()).into_response()
}

fn started(lang: Lang, ride: &ReviewItem) -> String {
    lang.moment(chrono::DateTime::from_timestamp_millis(ride.started_at).unwrap_or_default())
}

fn kind_words(lang: Lang, ride: &ReviewItem) -> String {
    lang.t(match ride.kind {
        ReviewKind::Review => "console-kind-review",
        ReviewKind::Appeal => "console-kind-appeal",
    })
}

fn km(lang: Lang, ride: &ReviewItem) -> String {
    #[allow(clippy::cast_precision_loss)] // a ride's metres, far below 2^52
    let km = ride.distance_m as f64 / 1000.0;
    lang.text("app-km", &[("km", FluentValue::from(lang.decimal(km, 1)))])
}

/// `GET /admin/reviews/{trip_id}`: one ride to decide.
pub async fn ride(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadReviews>>,
    Path(trip_id): Path<String>,
) -> Response {
    ride_page(&state, lang, staff, trip_id, None).await
}

async fn ride_page(
    state: &ApiState,
    lang: Lang,
    staff: Staff<ReadReviews>,
    trip_id: String,
    refused: Option<Problem>,
) -> Response {
    let role = staff.member().role;
    match api::get(State(state.clone()), staff, Path(trip_id)).await {
        Ok(Json(detail)) => answer(ride_markup(lang, role, &detail, refused.as_ref()), refused.as_ref()),
        Err(problem) if problem.status == 404 => {
            // Decided in the meantime (by someone else, or just now): the queue says what is left.
            match refused {
                Some(refused) => {
                    super::super::message(lang, refused.status_code(), "console-decided-title", "console-decided-text")
                }
                None => super::super::not_found(lang),
            }
        }
        Err(problem) => super::super::failed(lang, problem),
    }
}

fn ride_markup(lang: Lang, role: StaffRole, detail: &ReviewDetail, refused: Option<&Problem>) -> Markup {
    let ride = &detail.ride;
    let title = lang.text("console-ride-of", &[("when", FluentValue::from(started(lang, ride)))]);
    let path = detail.path.as_ref().map(|feature| {
        let coordinates = feature["geometry"]["coordinates"].as_array().cloned().unwrap_or_default();
        coordinates.iter().filter_map(|at| Some((at.get(0)?.as_f64()?, at.get(1)?.as_f64()?))).collect::<Vec<_>>()
    });
    let empty = serde_json::json!({"type": "FeatureCollection", "features": []});
    let body = html! {
        h1 { (title) }
        p { (kind_words(lang, ride)) " · " (ride.nickname.as_deref().unwrap_or("–")) " · " (km(lang, ride)) " · "
            (lang.text("app-minutes", &[("minutes", FluentValue::from((ride.duration_s + 30) / 60))])) " · "
            (lang.decimal(ride.average_speed_kmh, 1)) " km/h" }
        (refusal(lang, refused))
        h2 { (lang.t("console-reasons")) }
        ul.reasons { @for reason in &ride.reasons {
            li { code { (reason.code.as_str()) } " " (super::super::reason_words(lang, reason)) }
        } }
        @if let Some(message) = &ride.message {
            h2 { (lang.t("console-student-message")) }
            blockquote { (message) }
        }
        (zones_map(lang, "ride", &empty, None, path))
        form.stacked.decision method="post" action={ "/admin/reviews/" (ride.trip_id) } {
            label for="note" { (lang.t("console-note")) }
            textarea #note name="note" rows="3" maxlength="500" {}
            div.buttons {
                button type="submit" name="outcome" value="accepted" { (lang.t("console-accept")) }
                button type="submit" name="outcome" value="rejected" { (lang.t("console-reject")) }
            }
        }
    };
    page(lang, role, &title, "/admin/reviews", body)
}

/// The decision form's fields.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    outcome: Outcome,
    #[serde(default)]
    note: String,
}

/// `POST /admin/reviews/{trip_id}`: decides the ride, back to the queue.
pub async fn decide(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<DecideReviews>>,
    SignedIn(reader): SignedIn<Staff<ReadReviews>>,
    Path(trip_id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> Response {
    let request = DecisionRequest { outcome: form.outcome, note: form.note };
    match api::decide(State(state.clone()), staff, Path(trip_id.clone()), JsonObject(request)).await {
        Ok(_) => Redirect::to("/admin/reviews").into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => ride_page(&state, lang, reader, trip_id, Some(problem)).await,
    }
}
