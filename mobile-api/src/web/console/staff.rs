//! The console's staff and audit log: who works in the console, with which
//! role and where, an invitation for someone new (its set-up link shown
//! once, to pass on to them), removing an account; and the audit log of
//! every change, newest first.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use maud::html;
use serde::Deserialize;
use smartville_store::staff::StaffRole;

use super::super::i18n::{Lang, key};
use super::super::session::{PageForm, SignedIn};
use super::super::{answer, refusal};
use super::page;
use crate::ApiState;
use crate::admin::access::{ManageStaff, Permission, ReadAudit, ReadSchools, ReadStaff, Staff};
use crate::admin::audit::{self, AuditQuery};
use crate::admin::schools;
use crate::admin::staff::{self as api, Invitation, InviteRequest, StaffView};
use crate::input::JsonObject;
use crate::problem::Problem;

/// The roles of a council's and its schools' staff (a shop's are invited from its merchant's page).
const ROLES: [StaffRole; 4] = [StaffRole::CouncilAdmin, StaffRole::Auditor, StaffRole::SchoolAdmin, StaffRole::Teacher];

/// `GET /admin/staff`.
pub async fn list(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadStaff>>,
    headers: HeaderMap,
) -> Response {
    staff_page(&state, lang, staff, &headers, None).await
}

/// What the staff page shows: the staff, the schools they may work at, and a new invitation or a refusal.
enum Outcome {
    Invited(Invitation),
    Refused(Problem),
}

async fn staff_page(
    state: &ApiState,
    lang: Lang,
    staff: Staff<ReadStaff>,
    headers: &HeaderMap,
    outcome: Option<Outcome>,
) -> Response {
    let role = staff.member().role;
    let me = staff.id().clone();
    let schools = match staff.with_permission::<ReadSchools>() {
        Some(reader) => schools::list(State(state.clone()), reader).await.map(|Json(schools)| schools),
        None => Ok(Vec::new()),
    };
    let members = api::list(State(state.clone()), staff).await.map(|Json(members)| members);
    let (members, schools) = match (members, schools) {
        (Ok(members), Ok(schools)) => (members, schools),
        (Err(problem), _) | (_, Err(problem)) => return super::super::failed(lang, problem),
    };
    let refused = match &outcome {
        Some(Outcome::Refused(problem)) => Some(problem),
        _ => None,
    };
    let invited = match &outcome {
        Some(Outcome::Invited(invitation)) => Some(setup_link(headers, invitation)),
        _ => None,
    };
    let title = lang.t("console-staff");
    let manages = ManageStaff::allows(role);
    let place = |member: &StaffView| {
        member
            .school_id
            .as_ref()
            .and_then(|id| schools.iter().find(|s| &s.id == id))
            .map_or_else(|| lang.t("console-whole-council"), |school| school.name.clone())
    };
    let body = html! {
        h1 { (title) }
        (refusal(lang, refused))
        @if let Some((email, link)) = &invited {
            div.fine role="status" {
                p { (lang.text("console-invited", &[("email", FluentValue::from(email.as_str()))])) }
                p { code.setup-link { (link) } }
            }
        }
        div.scroll role="region" aria-label=(title) tabindex="0" {
            table.staff {
                thead { tr {
                    th scope="col" { (lang.t("login-email")) } th scope="col" { (lang.t("console-role")) }
                    th scope="col" { (lang.t("console-where")) }
                    @if manages { th scope="col" { span.visually-hidden { (lang.t("console-actions")) } } }
                } }
                tbody { @for member in &members { tr {
                    td { (member.email) }
                    td { (lang.t(&key("role", member.role.as_str()))) }
                    td { (place(member)) }
                    @if manages { td { @if member.id != me {
                        form method="post" action={ "/admin/staff/" (member.id) "/remove" } {
                            button type="submit" aria-label=(lang.text("console-remove-who", &[("email", FluentValue::from(member.email.as_str()))])) {
                                (lang.t("console-remove"))
                            }
                        }
                    } } }
                } } }
            }
        }
        @if manages {
            h2 { (lang.t("console-invite")) }
            form.stacked method="post" action="/admin/staff" {
                label for="email" { (lang.t("login-email")) }
                input #email type="email" name="email" required autocomplete="off";
                label for="role" { (lang.t("console-role")) }
                select #role name="role" {
                    @for option in ROLES { option value=(option.as_str()) { (lang.t(&key("role", option.as_str()))) } }
                }
                label for="school_id" { (lang.t("console-school-for-role")) }
                select #school_id name="school_id" {
                    option value="" { (lang.t("console-whole-council")) }
                    @for school in &schools { option value=(school.id) { (school.name) } }
                }
                button type="submit" { (lang.t("console-send-invitation")) }
            }
        }
    };
    answer(page(lang, role, &title, "/admin/staff", body), refused)
}

/// The invited address and the link that lets them choose a password, on the address the console is used at.
pub(super) fn setup_link(headers: &HeaderMap, invitation: &Invitation) -> (String, String) {
    (invitation.staff.email.clone(), format!("{}/setup?token={}", super::origin(headers), invitation.setup_token))
}

/// The invitation form's fields.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    email: String,
    role: StaffRole,
    #[serde(default)]
    school_id: String,
}

/// `POST /admin/staff`: invites someone and shows their set-up link.
pub async fn invite(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageStaff>>,
    SignedIn(reader): SignedIn<Staff<ReadStaff>>,
    headers: HeaderMap,
    PageForm(form): PageForm<InviteForm>,
) -> Response {
    let school_id = (!form.school_id.is_empty()).then_some(form.school_id);
    let request = InviteRequest { email: form.email, role: form.role, school_id, merchant_id: None };
    let outcome = match api::invite(State(state.clone()), staff, JsonObject(request)).await {
        Ok((_, Json(invitation))) => Outcome::Invited(invitation),
        Err(problem) if problem.status >= 500 => return super::super::failed(lang, problem),
        Err(problem) => Outcome::Refused(problem),
    };
    staff_page(&state, lang, reader, &headers, Some(outcome)).await
}

/// `POST /admin/staff/{staff_id}/remove`.
pub async fn remove(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageStaff>>,
    SignedIn(reader): SignedIn<Staff<ReadStaff>>,
    headers: HeaderMap,
    Path(staff_id): Path<String>,
) -> Response {
    match api::remove(State(state.clone()), staff, Path(staff_id)).await {
        Ok(_) => Redirect::to("/admin/staff").into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => staff_page(&state, lang, reader, &headers, Some(Outcome::Refused(problem))).await,
    }
}

/// `GET /admin/audit?cursor=`: the audit log, newest first, a page at a time.
pub async fn log(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadAudit>>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    let role = staff.member().role;
    let members: Vec<StaffView> = match staff.with_permission::<ReadStaff>() {
        Some(reader) => api::list(State(state.clone()), reader).await.map(|Json(m)| m).unwrap_or_default(),
        None => Vec::new(),
    };
    let listed = match audit::list(State(state), staff, query).await {
        Ok(Json(listed)) => listed,
        Err(problem) if problem.status >= 500 => return super::super::failed(lang, problem),
        Err(problem) => return super::super::message(lang, problem.status_code(), "bad-form-title", "bad-form-text"),
    };
    let who = |actor: &str| {
        members.iter().find(|m| m.id.as_str() == actor).map_or_else(|| actor.to_owned(), |m| m.email.clone())
    };
    let title = lang.t("console-audit");
    let body = html! {
        h1 { (title) }
        div.scroll role="region" aria-label=(title) tabindex="0" {
            table.audit {
                thead { tr {
                    th scope="col" { (lang.t("console-when")) } th scope="col" { (lang.t("console-who")) }
                    th scope="col" { (lang.t("console-what")) } th scope="col" { (lang.t("console-subject")) }
                } }
                tbody { @for entry in &listed.entries { tr {
                    td { (lang.moment(chrono::DateTime::from_timestamp_millis(entry.at).unwrap_or_default())) }
                    td { (who(&entry.actor_id)) }
                    td { code { (entry.action) } }
                    td { code { (entry.subject) } }
                } } }
            }
        }
        @if let Some(cursor) = &listed.next_cursor {
            p { a href={ "/admin/audit?cursor=" (cursor) } { (lang.t("console-older")) } }
        }
    };
    Html(page(lang, role, &title, "/admin/audit", body).into_string()).into_response()
}
