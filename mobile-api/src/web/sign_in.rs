//! `/login`: staff sign in with e-mail and password through the API's own
//! login (its limits, its answers), then go to their part of the pages: a
//! shop's staff to the counter, everyone else to the council's console.
//! `/setup`: someone invited chooses their password with the link of their
//! invitation, and is signed in.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use smartville_store::staff::StaffRole;

use super::i18n::Lang;
use super::session::{self, PageForm};
use super::{layout, refusal, refused};
use crate::admin::auth::{LoginRequest, SetupRequest, StaffSession, login, setup};
use crate::input::JsonObject;
use crate::limits::ClientAddress;
use crate::{ApiState, problem::Problem};

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// `GET /login`.
pub async fn page(lang: Lang) -> Html<String> {
    Html(form(lang, "", None).into_string())
}

/// `POST /login`.
pub async fn submit(
    State(state): State<ApiState>,
    address: ClientAddress,
    lang: Lang,
    PageForm(form_data): PageForm<LoginForm>,
) -> Response {
    let email = form_data.email.clone();
    let request = LoginRequest { email: form_data.email, password: form_data.password };
    match login(State(state.clone()), address, JsonObject(request)).await {
        Ok(Json(signed_in)) => home(&state, &signed_in),
        Err(problem) => refused(lang, problem, |p| form(lang, &email, Some(p))),
    }
}

fn form(lang: Lang, email: &str, refused: Option<&Problem>) -> Markup {
    let title = lang.t("login-title");
    let body = html! {
        h1 { (title) }
        (refusal(lang, refused))
        form.stacked method="post" action="/login" {
            label for="email" { (lang.t("login-email")) }
            input #email type="email" name="email" value=(email) autocomplete="username" required;
            label for="password" { (lang.t("login-password")) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { (lang.t("login-submit")) }
        }
    };
    layout::page(lang, &title, body)
}

/// A new staff session's answer: its cookies, and the way to the signed-in member's part of the pages.
fn home(state: &ApiState, signed_in: &StaffSession) -> Response {
    let home = match signed_in.staff.role {
        StaffRole::MerchantAdmin | StaffRole::MerchantStaff => "/shop",
        role => super::console::home(role),
    };
    let mut response = Redirect::to(home).into_response();
    session::keep(&mut response, state, &signed_in.access_token, &signed_in.refresh_token);
    response
}

/// Query of `GET /setup`: the invitation's token.
#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

/// `GET /setup?token=`: choosing a password.
pub async fn setup_page(lang: Lang, query: Result<Query<SetupQuery>, QueryRejection>) -> Html<String> {
    let token = query.map(|Query(query)| query.token).unwrap_or_default();
    Html(setup_form(lang, &token, None).into_string())
}

/// The set-up form's fields.
#[derive(Debug, Deserialize)]
pub struct SetupForm {
    token: String,
    password: String,
}

/// `POST /setup`: sets the password and signs in.
pub async fn set_up(State(state): State<ApiState>, lang: Lang, PageForm(form): PageForm<SetupForm>) -> Response {
    let request = SetupRequest { token: form.token.clone(), password: form.password };
    match setup(State(state.clone()), JsonObject(request)).await {
        Ok(Json(signed_in)) => home(&state, &signed_in),
        Err(problem) => refused(lang, problem, |p| setup_form(lang, &form.token, Some(p))),
    }
}

fn setup_form(lang: Lang, token: &str, problem: Option<&Problem>) -> Markup {
    let title = lang.t("setup-title");
    let body = html! {
        h1 { (title) }
        p { (lang.t("setup-intro")) }
        (refusal(lang, problem))
        form.stacked method="post" action="/setup" {
            input type="hidden" name="token" value=(token);
            label for="password" { (lang.t("login-password")) }
            input #password type="password" name="password" autocomplete="new-password" minlength="12" maxlength="128"
                required aria-describedby="password-hint";
            p #password-hint.hint { (lang.t("setup-password-hint")) }
            button type="submit" { (lang.t("setup-submit")) }
        }
    };
    layout::page(lang, &title, body)
}
