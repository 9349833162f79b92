//! The console's campaigns: the list, a new campaign from its file (the
//! format of `examples/campaign.json`) with its zones from a GeoJSON file,
//! every problem shown at the field it concerns, and a campaign's page: its
//! zones and their H3 cells on a map, whom it is for, its lifecycle, and its
//! budget with the date it runs out at the present pace.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};
use smartville_engine::budget::Budget;
use smartville_store::campaigns::{Audience, CampaignStatus};
use smartville_store::staff::StaffRole;

use super::super::i18n::{Lang, key};
use super::super::session::{PageForm, SignedIn};
use super::super::{answer, refusal, refused};
use super::{page, zones_map};
use crate::ApiState;
use crate::admin::access::{ManageCampaigns, ReadCampaigns, ReadSchools, Staff};
use crate::admin::campaigns::{self as api, CampaignDetail, CampaignView, FundingRequest, NewCampaignRequest};
use crate::admin::schools::{self, SchoolView};
use crate::input::JsonObject;
use crate::problem::{FieldProblem, Problem};

/// `GET /admin`: the council's campaigns.
pub async fn list(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadCampaigns>>,
) -> Response {
    let role = staff.member().role;
    let campaigns = match api::list(State(state), staff).await {
        Ok(Json(campaigns)) => campaigns,
        Err(problem) => return super::super::failed(lang, problem),
    };
    let title = lang.t("console-campaigns");
    let body = html! {
        h1 { (title) }
        p { a href="/admin/campaigns/new" { (lang.t("console-new-campaign")) } }
        @if campaigns.is_empty() {
            p { (lang.t("console-no-campaigns")) }
        } @else {
            div.scroll role="region" aria-label=(title) tabindex="0" {
                table.campaigns {
                    thead { tr {
                        th scope="col" { (lang.t("console-name")) } th scope="col" { (lang.t("console-kind")) }
                        th scope="col" { (lang.t("console-status")) } th scope="col" { (lang.t("console-funded")) }
                    } }
                    tbody { @for campaign in &campaigns { tr {
                        td { a href={ "/admin/campaigns/" (campaign.id) } { (campaign.name) } }
                        td { (lang.t(&format!("campaign-kind-{}", campaign.kind.as_str()))) }
                        td { (status_words(lang, campaign)) }
                        td { (lang.number(campaign.budget_funded)) " " (campaign.coin) }
                    } } }
                }
            }
        }
    };
    Html(page(lang, role, &title, "/admin", body).into_string()).into_response()
}

fn status_words(lang: Lang, campaign: &CampaignView) -> String {
    lang.t(&format!("campaign-status-{}", campaign.status.as_str()))
}

// A new campaign.

/// The fields of a campaign file the editor asks for one by one; the rest
/// of the file is the editor's text (`rules`), the zones a GeoJSON file.
const FIELDS: [&str; 5] = ["id", "name", "valid_from", "valid_until", "budget_points"];

/// What the editor holds: the fields, the rest of the file as text, and every problem by field.
#[derive(Default)]
struct Editor {
    fields: Map<String, Value>,
    rules: String,
    problems: Vec<FieldProblem>,
    /// The zones, to show on the map.
    zones: Value,
    /// Set when a check found nothing wrong.
    valid: bool,
}

impl Editor {
    /// A new campaign's editor: the example campaign's rules, its own fields and zones left to fill in.
    fn new() -> Self {
        let example: Value =
            serde_json::from_str(include_str!("../../../../examples/campaign.json")).unwrap_or_default();
        let mut rest = example.as_object().cloned().unwrap_or_default();
        for field in FIELDS {
            rest.remove(field);
        }
        rest.remove("description");
        rest.insert("zones".into(), serde_json::json!({"type": "FeatureCollection", "features": []}));
        let rules = serde_json::to_string_pretty(&rest).unwrap_or_default();
        Self { rules, ..Self::default() }
    }

    /// The whole file: the text's object with the fields and the zones put in.
    fn file(&self) -> Result<Value, FieldProblem> {
        let mut file = match serde_json::from_str::<Value>(&self.rules) {
            Ok(Value::Object(file)) => file,
            _ => return Err(FieldProblem { field: "rules".into(), problem: "not a JSON object".into() }),
        };
        for (name, value) in &self.fields {
            file.insert(name.clone(), value.clone());
        }
        if !self.zones.is_null() {
            file.insert("zones".into(), self.zones.clone());
        }
        Ok(Value::Object(file))
    }

    /// Which of the editor's inputs a problem of the file concerns.
    fn input_of(field: &str) -> &'static str {
        let top = field.split(['.', '[']).next().unwrap_or_default();
        FIELDS.into_iter().find(|name| *name == top).unwrap_or(if top == "zones" { "zones" } else { "rules" })
    }

    fn problems_at(&self, input: &str) -> Vec<&FieldProblem> {
        self.problems.iter().filter(|p| Self::input_of(&p.field) == input).collect()
    }
}

/// `GET /admin/campaigns/new`.
pub async fn new_page(lang: Lang, SignedIn(staff): SignedIn<Staff<ManageCampaigns>>) -> Html<String> {
    Html(editor_page(lang, staff.member().role, &Editor::new(), None).into_string())
}

/// `POST /admin/campaigns/new` (`multipart/form-data`: the fields, the
/// rules' text, the zones' GeoJSON file and the button pressed): checks the
/// file, or saves it as a draft and opens its page.
pub async fn create(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageCampaigns>>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let role = staff.member().role;
    let Some((mut editor, save)) = read_editor(multipart).await else {
        return super::super::message(lang, StatusCode::BAD_REQUEST, "bad-form-title", "bad-form-text");
    };
    let file = match editor.file() {
        Ok(file) => file,
        Err(problem) => {
            editor.problems.push(problem);
            return (StatusCode::UNPROCESSABLE_ENTITY, Html(editor_page(lang, role, &editor, None).into_string()))
                .into_response();
        }
    };
    if !save {
        let Json(check) = api::validate(staff, JsonObject(file)).await;
        (editor.valid, editor.problems) = (check.valid, check.problems);
        return Html(editor_page(lang, role, &editor, None).into_string()).into_response();
    }
    let request = NewCampaignRequest { rules: file, audience: Audience::default(), coin: None };
    match api::create(State(state), staff, JsonObject(request)).await {
        Ok((_, Json(created))) => Redirect::to(&format!("/admin/campaigns/{}", created.campaign.id)).into_response(),
        Err(problem) => {
            editor.problems = problem.problems.to_vec();
            let general = editor.problems.is_empty();
            refused(lang, problem, |p| editor_page(lang, role, &editor, general.then_some(p)))
        }
    }
}

/// The editor's form: its fields, and whether "save" (not "check") was pressed.
async fn read_editor(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Option<(Editor, bool)> {
    let mut multipart = multipart.ok()?;
    let mut editor = Editor::default();
    let mut save = false;
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.ok()?;
        match name.as_str() {
            "rules" => editor.rules = text,
            "action" => save = text == "save",
            "zones" if !text.trim().is_empty() => match serde_json::from_str(&text) {
                Ok(zones) => editor.zones = zones,
                Err(error) => editor
                    .problems
                    .push(FieldProblem { field: "zones".into(), problem: format!("not GeoJSON: {error}") }),
            },
            "budget_points" if !text.trim().is_empty() => {
                let value = text.trim().parse::<i64>().map_or_else(|_| Value::String(text.clone()), Value::from);
                editor.fields.insert(name, value);
            }
            field if FIELDS.contains(&field) && !text.trim().is_empty() => {
                editor.fields.insert(name, Value::String(text.trim().to_owned()));
            }
            _ => {}
        }
    }
    if editor.zones.is_null() {
        // Without a new zones file the zones are the text's own.
        editor.zones =
            serde_json::from_str::<Value>(&editor.rules).map(|file| file["zones"].clone()).unwrap_or_default();
    } else if let Ok(Value::Object(mut rest)) = serde_json::from_str::<Value>(&editor.rules) {
        // The zones file replaces the text's zones: the text shows them from now on.
        rest.insert("zones".into(), editor.zones.clone());
        editor.rules = serde_json::to_string_pretty(&rest).unwrap_or_default();
    }
    Some((editor, save))
}

fn editor_page(lang: Lang, role: StaffRole, editor: &Editor, refused: Option<&Problem>) -> Markup {
    let title = lang.t("console-new-campaign");
    let problems = |input: &str| {
        let here = editor.problems_at(input);
        html! {
            @if !here.is_empty() {
                ul.problems id={ (input) "-problems" } {
                    @for problem in here { li { @if problem.field != input { code { (problem.field) } ": " } (problem.problem) } }
                }
            }
        }
    };
    let described = |input: &str| (!editor.problems_at(input).is_empty()).then(|| format!("{input}-problems"));
    let invalid = |input: &str| (!editor.problems_at(input).is_empty()).then_some("true");
    let value = |name: &str| match editor.fields.get(name) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let body = html! {
        h1 { (title) }
        p { (lang.t("console-new-campaign-intro")) }
        (refusal(lang, refused))
        @if editor.valid { p.fine role="status" { (lang.t("console-file-valid")) } }
        @if !editor.problems.is_empty() {
            p.refusal role="alert" { (lang.text("console-file-problems", &[("count", FluentValue::from(editor.problems.len()))])) }
        }
        form.stacked method="post" action="/admin/campaigns/new" enctype="multipart/form-data" {
            @for (name, kind) in [("id", "text"), ("name", "text"), ("valid_from", "date"), ("valid_until", "date"), ("budget_points", "number")] {
                label for=(name) { (lang.t(&key("console-field", name))) }
                input id=(name) name=(name) type=(kind) value=(value(name)) aria-describedby=[described(name)] aria-invalid=[invalid(name)];
                (problems(name))
            }
            label for="zones" { (lang.t("console-field-zones")) }
            input #zones type="file" name="zones" accept=".geojson,.json,application/geo+json,application/json"
                aria-describedby={ "zones-hint" @if let Some(id) = described("zones") { " " (id) } } aria-invalid=[invalid("zones")];
            p #zones-hint.hint { (lang.t("console-zones-hint")) }
            (problems("zones"))
            label for="rules" { (lang.t("console-field-rules")) }
            textarea #rules name="rules" rows="16" spellcheck="false" aria-describedby=[described("rules")] aria-invalid=[invalid("rules")] {
                (editor.rules)
            }
            (problems("rules"))
            div.buttons {
                button type="submit" name="action" value="check" { (lang.t("console-check")) }
                button type="submit" name="action" value="save" { (lang.t("console-save-draft")) }
            }
        }
        (zones_map(lang, "draft", &editor.zones, None, None))
    };
    page(lang, role, &title, "/admin", body)
}

// A campaign's page.

/// `GET /admin/campaigns/{campaign_id}`.
pub async fn detail(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadCampaigns>>,
    Path(campaign_id): Path<String>,
) -> Response {
    campaign_page(&state, lang, staff, campaign_id, None).await
}

/// What a campaign's page shows, gathered from the API.
struct Shown {
    detail: CampaignDetail,
    budget: Budget,
    coverage: Value,
    schools: Vec<SchoolView>,
}

async fn campaign_page(
    state: &ApiState,
    lang: Lang,
    staff: Staff<ReadCampaigns>,
    campaign_id: String,
    refused: Option<Problem>,
) -> Response {
    let role = staff.member().role;
    let gathered = async {
        let Json(detail) = api::get(State(state.clone()), staff.clone(), Path(campaign_id.clone())).await?;
        let Json(budget) = api::budget(State(state.clone()), staff.clone(), Path(campaign_id.clone())).await?;
        let Json(coverage) = api::coverage(State(state.clone()), staff.clone(), Path(campaign_id)).await?;
        let reader: Staff<ReadSchools> = staff.with_permission().ok_or_else(|| Problem::not_found("schools"))?;
        let Json(schools) = schools::list(State(state.clone()), reader).await?;
        Ok::<_, Problem>(Shown { detail, budget, coverage, schools })
    };
    match gathered.await {
        Ok(shown) => answer(campaign_markup(lang, role, &shown, refused.as_ref()), refused.as_ref()),
        Err(problem) if problem.status == 404 => super::super::not_found(lang),
        Err(problem) => super::super::failed(lang, problem),
    }
}

fn campaign_markup(lang: Lang, role: StaffRole, shown: &Shown, refused: Option<&Problem>) -> Markup {
    let Shown { detail, budget, coverage, schools } = shown;
    let campaign = &detail.campaign;
    let newest = detail.versions.last().map(|v| &v.rules);
    let zones = newest.map(|rules| rules["zones"].clone()).unwrap_or_default();
    let base = format!("/admin/campaigns/{}", campaign.id);
    let audience = &detail.audience;
    let body = html! {
        h1 { (campaign.name) }
        p.status { (lang.t("console-status")) ": " strong { (status_words(lang, campaign)) }
            @if let Some(rules) = newest { " · " (rules["valid_from"].as_str().unwrap_or_default()) " – " (rules["valid_until"].as_str().unwrap_or_default()) } }
        (refusal(lang, refused))
        p { a href={ (base) "/report" } { (lang.t("console-report")) } }
        div.buttons {
            @for (action, allowed) in [
                ("activate", matches!(campaign.status, CampaignStatus::Draft | CampaignStatus::Paused)),
                ("pause", campaign.status == CampaignStatus::Active),
                ("close", campaign.status != CampaignStatus::Closed),
            ] {
                @if allowed {
                    form method="post" action={ (base) "/" (action) } {
                        button type="submit" { (lang.t(&format!("console-{action}"))) }
                    }
                }
            }
        }
        (zones_map(lang, "campaign", &zones, Some(coverage), None))
        h2 { (lang.t("console-audience")) }
        form.stacked method="post" action={ (base) "/audience" } {
            fieldset {
                legend { (lang.t("console-audience-which")) }
                label.check { input type="checkbox" name="all_schools" value="true" checked[audience.all_schools]; " " (lang.t("console-all-schools")) }
                @for school in schools {
                    label.check { input type="checkbox" name="school" value=(school.id) checked[audience.schools.contains(&school.id)]; " " (school.name) }
                }
            }
            button type="submit" { (lang.t("console-save-audience")) }
        }
        h2 { (lang.t("console-budget")) }
        dl.figures {
            div { dt { (lang.t("console-funded")) } dd.funded { (lang.number(budget.funded)) } }
            div { dt { (lang.t("console-paid")) } dd.paid { (lang.number(budget.paid)) } }
            div { dt { (lang.t("console-held")) } dd { (lang.number(budget.held)) } }
            div { dt { (lang.t("console-remaining")) } dd.remaining { (lang.number(budget.remaining)) } }
        }
        p.forecast { @match budget.runs_out_on {
            Some(day) => (lang.text("console-runs-out", &[("date", FluentValue::from(lang.date(day))), ("per_day", FluentValue::from(lang.decimal(budget.paid_per_day, 0)))])),
            None => (lang.t("console-nothing-paid")),
        } }
        @if budget.warning.is_some() {
            p.refusal role="alert" { (lang.text("console-runs-out-early", &[("end", FluentValue::from(lang.date(budget.ends_on)))])) }
        }
        form.stacked method="post" action={ (base) "/funding" } {
            label for="points" { (lang.t("console-fund-points")) }
            input #points type="number" name="points" min="1" required;
            button type="submit" { (lang.t("console-fund")) }
        }
        h2 { (lang.t("console-versions")) }
        ul { @for version in &detail.versions {
            @let moment = |ms: i64| lang.moment(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default());
            li { (lang.text("console-version", &[("version", FluentValue::from(version.version)), ("made", FluentValue::from(moment(version.created_at)))]))
                // A draft's rules take effect when it is activated.
                @if version.effective_from > 0 { " " (lang.text("console-version-from", &[("from", FluentValue::from(moment(version.effective_from)))])) } }
        } }
    };
    page(lang, role, &campaign.name, "/admin", body)
}

/// `POST /admin/campaigns/{campaign_id}/{activate|pause|close}`.
pub async fn lifecycle(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageCampaigns>>,
    SignedIn(reader): SignedIn<Staff<ReadCampaigns>>,
    Path((campaign_id, action)): Path<(String, String)>,
) -> Response {
    let (api_state, id) = (State(state.clone()), Path(campaign_id.clone()));
    let done = match action.as_str() {
        "activate" => api::activate(api_state, staff, id).await,
        "pause" => api::pause(api_state, staff, id).await,
        "close" => api::close(api_state, staff, id).await,
        _ => return super::super::not_found(lang),
    };
    after(&state, lang, reader, campaign_id, done.map(|_| ())).await
}

/// `POST /admin/campaigns/{campaign_id}/audience`: every school ticked, or all of them.
pub async fn audience(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageCampaigns>>,
    SignedIn(reader): SignedIn<Staff<ReadCampaigns>>,
    Path(campaign_id): Path<String>,
    PageForm(ticked): PageForm<Vec<(String, String)>>,
) -> Response {
    let mut audience = Audience::default();
    for (name, value) in ticked {
        match name.as_str() {
            "all_schools" => audience.all_schools = true,
            "school" => audience.schools.push(value.into()),
            _ => {}
        }
    }
    let done = api::set_audience(State(state.clone()), staff, Path(campaign_id.clone()), JsonObject(audience)).await;
    after(&state, lang, reader, campaign_id, done.map(|_| ())).await
}

/// The funding form's field.
#[derive(Debug, Deserialize)]
pub struct FundingForm {
    points: String,
}

/// `POST /admin/campaigns/{campaign_id}/funding`.
pub async fn fund(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ManageCampaigns>>,
    SignedIn(reader): SignedIn<Staff<ReadCampaigns>>,
    Path(campaign_id): Path<String>,
    PageForm(form): PageForm<FundingForm>,
) -> Response {
    let done = match form.points.trim().parse::<i64>() {
        Ok(points) => {
            api::fund(State(state.clone()), staff, Path(campaign_id.clone()), JsonObject(FundingRequest { points }))
                .await
        }
        Err(_) => {
            Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "FUNDING_OUT_OF_RANGE", "not a whole number of points"))
        }
    };
    after(&state, lang, reader, campaign_id, done.map(|_| ())).await
}

/// After a change: back to the campaign's page, or the page with the refusal explained.
async fn after(
    state: &ApiState,
    lang: Lang,
    reader: Staff<ReadCampaigns>,
    campaign_id: String,
    done: Result<(), Problem>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/admin/campaigns/{campaign_id}")).into_response(),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => campaign_page(state, lang, reader, campaign_id, Some(problem)).await,
    }
}
