//! The console's schools: the council's schools (a school's own staff see
//! theirs), a school's classes each with its join code, a new class or a new
//! code (the old one stops working), and a class's poster to print: the
//! code as large text and as a QR code that opens the students' web app with
//! the code filled in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use smartville_store::schools::Class;
use smartville_store::staff::StaffRole;

use super::super::i18n::Lang;
use super::super::layout;
use super::super::session::{PageForm, SignedIn};
use super::super::{refusal, refused};
use super::page;
use crate::ApiState;
use crate::admin::access::{CreateSchools, ManageJoinCodes, ManageSchool, Permission, ReadSchools, Staff};
use crate::admin::schools::{self as api, ClassRequest, JoinCodeRequest, JoinCodeView, SchoolRequest, SchoolView};
use crate::input::JsonObject;
use crate::problem::Problem;

/// `GET /admin/schools`: the schools in reach.
pub async fn list(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadSchools>>,
) -> Response {
    let role = staff.member().role;
    match api::list(State(state), staff).await {
        Ok(Json(schools)) => Html(list_page(lang, role, &schools, None).into_string()).into_response(),
        Err(problem) => super::super::failed(lang, problem),
    }
}

fn list_page(lang: Lang, role: StaffRole, schools: &[SchoolView], problem: Option<&Problem>) -> Markup {
    let title = lang.t("console-schools");
    let body = html! {
        h1 { (title) }
        (refusal(lang, problem))
        ul.cards.schools { @for school in schools {
            li { a href={ "/admin/schools/" (school.id) } { (school.name) } }
        } }
        @if schools.is_empty() { p { (lang.t("console-no-schools")) } }
        @if CreateSchools::allows(role) {
            form.stacked method="post" action="/admin/schools" {
                label for="name" { (lang.t("console-new-school")) }
                input #name type="text" name="name" required maxlength="120";
                button type="submit" { (lang.t("console-add")) }
            }
        }
    };
    page(lang, role, &title, "/admin/schools", body)
}

/// A form's one name.
#[derive(Debug, Deserialize)]
pub struct NameForm {
    name: String,
}

/// `POST /admin/schools`: adds a school and opens it.
pub async fn create(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<CreateSchools>>,
    SignedIn(reader): SignedIn<Staff<ReadSchools>>,
    PageForm(form): PageForm<NameForm>,
) -> Response {
    let request = SchoolRequest { name: form.name, zone: None };
    match api::create(State(state.clone()), staff, JsonObject(request)).await {
        Ok((_, Json(school))) => Redirect::to(&format!("/admin/schools/{}", school.id)).into_response(),
        Err(problem) => {
            let role = reader.member().role;
            match api::list(State(state), reader).await {
                Ok(Json(schools)) => refused(lang, problem, |p| list_page(lang, role, &schools, Some(p))),
                Err(failure) => super::super::failed(lang, failure),
            }
        }
    }
}

/// A class with its join codes.
struct ClassCodes {
    class: Class,
    codes: Vec<JoinCodeView>,
}

/// `GET /admin/schools/{school_id}`: the school's classes and their codes.
pub async fn school(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadSchools>>,
    Path(school_id): Path<String>,
) -> Response {
    school_page(&state, lang, staff, school_id, None).await
}

async fn school_page(
    state: &ApiState,
    lang: Lang,
    staff: Staff<ReadSchools>,
    school_id: String,
    problem: Option<Problem>,
) -> Response {
    let role = staff.member().role;
    let gathered = async {
        let Json(schools) = api::list(State(state.clone()), staff.clone()).await?;
        let school =
            schools.into_iter().find(|s| s.id.as_str() == school_id).ok_or_else(|| Problem::not_found("school"))?;
        let Json(classes) = api::classes(State(state.clone()), staff.clone(), Path(school_id.clone())).await?;
        let mut listed = Vec::with_capacity(classes.len());
        for class in classes {
            let Json(codes) = api::join_codes(State(state.clone()), staff.clone(), Path(class.id.to_string())).await?;
            listed.push(ClassCodes { class, codes });
        }
        Ok::<_, Problem>((school, listed))
    };
    match gathered.await {
        Ok((school, classes)) => {
            super::super::answer(school_markup(lang, role, &school, &classes, problem.as_ref()), problem.as_ref())
        }
        Err(problem) if problem.status == 404 => super::super::not_found(lang),
        Err(problem) => super::super::failed(lang, problem),
    }
}

fn school_markup(
    lang: Lang,
    role: StaffRole,
    school: &SchoolView,
    classes: &[ClassCodes],
    problem: Option<&Problem>,
) -> Markup {
    let body = html! {
        h1 { (school.name) }
        (refusal(lang, problem))
        @if classes.is_empty() { p { (lang.t("console-no-classes")) } }
        ul.cards.classes { @for ClassCodes { class, codes } in classes {
            li {
                h2 { (class.name) }
                @let live: Vec<&JoinCodeView> = codes.iter().filter(|c| c.live).collect();
                @if live.is_empty() {
                    p { (lang.t("console-no-live-code")) }
                } @else {
                    @for code in &live {
                        p { (lang.t("console-join-code")) " " strong.join-code { code { (code.code) } } " · "
                            (lang.text("console-code-uses", &[("uses", FluentValue::from(code.uses))])) }
                    }
                    p { a href={ "/admin/classes/" (class.id) "/poster" } { (lang.text("console-poster-of", &[("class", FluentValue::from(class.name.as_str()))])) } }
                }
                form method="post" action={ "/admin/classes/" (class.id) "/join-codes" } {
                    button type="submit" aria-label=(lang.text("console-new-code-for", &[("class", FluentValue::from(class.name.as_str()))])) {
                        (lang.t("console-new-code"))
                    }
                }
            }
        } }
        form.stacked method="post" action={ "/admin/schools/" (school.id) "/classes" } {
            label for="name" { (lang.t("console-new-class")) }
            input #name type="text" name="name" required maxlength="120";
            button type="submit" { (lang.t("console-add")) }
        }
    };
    page(lang, role, &school.name, "/admin/schools", body)
}

/// `POST /admin/schools/{school_id}/classes`: adds a class (with its first code).
pub async fn create_class(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageSchool>>,
    SignedIn(reader): SignedIn<Staff<ReadSchools>>,
    Path(school_id): Path<String>,
    PageForm(form): PageForm<NameForm>,
) -> Response {
    let request = ClassRequest { name: form.name, teacher_ids: Vec::new() };
    let done = api::create_class(State(state.clone()), staff, Path(school_id.clone()), JsonObject(request)).await;
    back_to_school(&state, lang, reader, school_id, done.map(|_| ())).await
}

/// `POST /admin/classes/{class_id}/join-codes`: a new code for the class; its others stop working.
pub async fn new_code(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageJoinCodes>>,
    SignedIn(reader): SignedIn<Staff<ReadSchools>>,
    Path(class_id): Path<String>,
) -> Response {
    let school_id = match class_of(&state, &reader, &class_id).await {
        Ok(class) => class.school_id.to_string(),
        Err(problem) if problem.status == 404 => return super::super::not_found(lang),
        Err(problem) => return super::super::failed(lang, problem),
    };
    let done =
        api::create_join_code(State(state.clone()), staff, Path(class_id), JsonObject(JoinCodeRequest::default()));
    back_to_school(&state, lang, reader, school_id, done.await.map(|_| ())).await
}

async fn back_to_school(
    state: &ApiState,
    lang: Lang,
    reader: Staff<ReadSchools>,
    school_id: String,
    done: Result<(), Problem>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/admin/schools/{school_id}")).into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => school_page(state, lang, reader, school_id, Some(problem)).await,
    }
}

/// The class `class_id`, if the staff member may see it.
async fn class_of(state: &ApiState, staff: &Staff<ReadSchools>, class_id: &str) -> Result<Class, Problem> {
    let class = api::existing_class(state, staff, class_id).await?;
    staff.class_scope(&class).map_err(|_| Problem::not_found("class"))?;
    Ok(class)
}

/// `GET /admin/classes/{class_id}/poster`: an A4 page to print and hang in
/// the classroom, with the class's live code as text and as a QR code.
pub async fn poster(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadSchools>>,
    Path(class_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let class = match class_of(&state, &staff, &class_id).await {
        Ok(class) => class,
        Err(problem) if problem.status == 404 => return super::super::not_found(lang),
        Err(problem) => return super::super::failed(lang, problem),
    };
    let codes = match api::join_codes(State(state.clone()), staff, Path(class_id)).await {
        Ok(Json(codes)) => codes,
        Err(problem) => return super::super::failed(lang, problem),
    };
    let Some(code) = codes.into_iter().find(|code| code.live) else { return super::super::not_found(lang) };
    // The QR code opens the web app on the address the poster was printed from.
    let join = format!("{}/app/join?code={}", super::origin(&headers), code.code);
    Html(poster_markup(lang, &class, &code.code, &join).into_string()).into_response()
}

fn poster_markup(lang: Lang, class: &Class, code: &str, join: &str) -> Markup {
    let title = lang.text("console-poster-title", &[("class", FluentValue::from(class.name.as_str()))]);
    let qr = qrcode::QrCode::new(join.as_bytes()).ok().map(|qr| {
        let svg = qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(320, 320).build();
        svg.find("<svg").map_or_else(String::new, |start| svg[start..].to_owned())
    });
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            (layout::head(&title, None))
            body.poster {
                main {
                    h1 { (lang.t("console-poster-heading")) }
                    p.class-name { (class.name) }
                    p { (lang.t("console-poster-step-open")) " " strong { (join.split("/app/join").next().unwrap_or_default()) "/app" } }
                    p { (lang.t("console-poster-step-code")) }
                    p.poster-code { code { (code) } }
                    @if let Some(svg) = qr {
                        div.qr role="img" aria-label=(lang.t("console-poster-qr")) { (PreEscaped(svg)) }
                        p { (lang.t("console-poster-scan")) }
                    }
                    p.no-print { (lang.t("console-print")) }
                }
            }
        }
    }
}
