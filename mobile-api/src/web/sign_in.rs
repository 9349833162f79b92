//! `/login`: staff sign in with e-mail and password through the API's own
//! login (its limits, its answers), then go to their part of the pages: a
//! shop's staff to the counter, everyone else to the council's console.

use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use smartville_store::staff::StaffRole;

use super::i18n::Lang;
use super::session::{self, PageForm};
use super::{layout, refusal, refused};
use crate::admin::auth::{LoginRequest, login};
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
        Ok(Json(signed_in)) => {
            let home = match signed_in.staff.role {
                StaffRole::MerchantAdmin | StaffRole::MerchantStaff => "/shop",
                role => super::console::home(role),
            };
            let mut response = Redirect::to(home).into_response();
            session::keep(&mut response, &state, &signed_in.access_token, &signed_in.refresh_token);
            response
        }
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
