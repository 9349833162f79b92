//! A campaign's report in the console: for the days or weeks asked for,
//! rides per period (accepted, rejected, in review), rejections by reason,
//! kilometres and CO2 avoided, and the budget running down; each chart with
//! its table, and the same report as CSV to download. A school's staff see
//! their own school's, a teacher their own classes' (the API decides).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentValue;
use maud::{Markup, html};
use smartville_engine::reports::{Period, Report};
use smartville_store::staff::StaffRole;

use super::super::i18n::Lang;
use super::super::session::SignedIn;
use super::super::{answer, chart, refusal};
use super::page;
use crate::ApiState;
use crate::admin::access::{ReadReports, Staff};
use crate::admin::campaigns as campaign_api;
use crate::admin::reports::{self as api, ReportParams};
use crate::problem::Problem;

/// `GET /admin/campaigns/{campaign_id}/report?from=&until=&by=`.
pub async fn report(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadReports>>,
    Path(campaign_id): Path<String>,
    query: Result<Query<ReportParams>, QueryRejection>,
) -> Response {
    let role = staff.member().role;
    let made = asked(&state, &staff, &campaign_id, query).await;
    let name = campaign_name(&state, &staff, &campaign_id).await;
    match made {
        Ok(report) => answer(report_page(lang, role, &campaign_id, &name, Some(&report), None), None),
        Err(problem) if problem.status == 404 => super::super::not_found(lang),
        Err(problem) if problem.status >= 500 => super::super::failed(lang, problem),
        Err(problem) => answer(report_page(lang, role, &campaign_id, &name, None, Some(&problem)), Some(&problem)),
    }
}

/// `GET /admin/campaigns/{campaign_id}/report.csv?…`: the same report as a CSV file.
pub async fn csv(
    State(state): State<ApiState>,
    lang: Lang,
    SignedIn(staff): SignedIn<Staff<ReadReports>>,
    Path(campaign_id): Path<String>,
    query: Result<Query<ReportParams>, QueryRejection>,
) -> Response {
    match asked(&state, &staff, &campaign_id, query).await {
        Ok(report) => {
            let file = format!("attachment; filename=\"report-{}-{}.csv\"", report.from, report.until);
            (
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, file)],
                api::csv(&report),
            )
                .into_response()
        }
        Err(problem) if problem.status == 404 => super::super::not_found(lang),
        Err(problem) => super::super::failed(lang, problem),
    }
}

/// The report the query asks for, or why there is none.
async fn asked(
    state: &ApiState,
    staff: &Staff<ReadReports>,
    campaign_id: &str,
    query: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Report, Problem> {
    let Query(params) = query?;
    api::report_of(state, staff, campaign_id, &params).await
}

/// The campaign's name for the page's title, when the staff member may read the campaign (else its id).
async fn campaign_name(state: &ApiState, staff: &Staff<ReadReports>, campaign_id: &str) -> String {
    let Some(reader) = staff.with_permission() else { return campaign_id.to_owned() };
    match campaign_api::get(State(state.clone()), reader, Path(campaign_id.to_owned())).await {
        Ok(Json(detail)) => detail.campaign.name,
        Err(_) => campaign_id.to_owned(),
    }
}

fn report_page(
    lang: Lang,
    role: StaffRole,
    campaign_id: &str,
    name: &str,
    report: Option<&Report>,
    problem: Option<&Problem>,
) -> Markup {
    let title = lang.text("console-report-of", &[("campaign", FluentValue::from(name))]);
    let base = format!("/admin/campaigns/{campaign_id}/report");
    let body = html! {
        h1 { (title) }
        (refusal(lang, problem))
        form.range method="get" action=(base) {
            @let (from, until, week) = report.map_or((String::new(), String::new(), false), |r| (r.from.to_string(), r.until.to_string(), r.by == Period::Week));
            label for="from" { (lang.t("console-from")) }
            input #from type="date" name="from" value=(from);
            label for="until" { (lang.t("console-until")) }
            input #until type="date" name="until" value=(until);
            label for="by" { (lang.t("console-by")) }
            select #by name="by" {
                option value="day" selected[!week] { (lang.t("console-by-day")) }
                option value="week" selected[week] { (lang.t("console-by-week")) }
            }
            button type="submit" { (lang.t("console-show")) }
        }
        @if let Some(report) = report {
            p { a.csv href={ (base) ".csv?from=" (report.from) "&until=" (report.until) "&by=" (if report.by == Period::Week { "week" } else { "day" }) } download {
                (lang.t("console-download-csv")) } }
            (figures(lang, report))
        }
    };
    page(lang, role, &title, "/admin", body)
}

fn figures(lang: Lang, report: &Report) -> Markup {
    let totals = &report.totals;
    let rides: Vec<f64> = report.rows.iter().map(|row| row.figures.rides_accepted as f64).collect();
    let km: Vec<f64> = report.rows.iter().map(|row| row.figures.km).collect();
    let period = |row: &smartville_engine::reports::Row| lang.date(row.starts);
    html! {
        dl.figures {
            div { dt { (lang.t("open-participants")) } dd.participants { (lang.number(totals.participants)) } }
            div { dt { (lang.t("console-accepted")) } dd.accepted { (lang.number(totals.rides_accepted)) } }
            div { dt { (lang.t("console-rejected")) } dd.rejected { (lang.number(totals.rides_rejected)) } }
            div { dt { (lang.t("console-in-review")) } dd { (lang.number(totals.rides_in_review)) } }
            div { dt { (lang.t("open-km")) } dd.km { (lang.decimal(totals.km, 1)) } }
            div { dt { (lang.t("open-co2")) } dd.co2 { (lang.decimal(totals.co2_kg, 1)) } }
        }
        @if !report.rows.is_empty() {
            figure aria-labelledby="rides-caption" {
                figcaption #rides-caption { (lang.t("console-rides-per-period")) }
                (chart::columns("rides-caption", &rides))
            }
            figure aria-labelledby="km-caption" {
                figcaption #km-caption { (lang.t("console-km-per-period")) }
                (chart::columns("km-caption", &km))
            }
        }
        @if let Some(budget) = &report.budget {
            @let mut left = budget.funded as f64;
            @let remaining: Vec<f64> = std::iter::once(left).chain(report.rows.iter().map(|row| { left -= row.figures.points_paid as f64; left })).collect();
            figure aria-labelledby="budget-caption" {
                figcaption #budget-caption { (lang.t("console-burn-down")) }
                (chart::line("budget-caption", &remaining, budget.funded as f64))
                p { (lang.text("console-burn-down-text", &[
                    ("funded", FluentValue::from(lang.number(budget.funded))),
                    ("paid", FluentValue::from(lang.number(budget.paid))),
                    ("remaining", FluentValue::from(lang.number(budget.remaining))),
                ])) }
            }
        }
        h2 #reasons-caption { (lang.t("console-rejections-by-reason")) }
        @if totals.rejections.is_empty() {
            p { (lang.t("console-no-rejections")) }
        } @else {
            @let most = totals.rejections.values().copied().max().unwrap_or(1).max(1);
            table.reasons aria-labelledby="reasons-caption" {
                thead { tr { th scope="col" { (lang.t("console-reason")) } th scope="col" { (lang.t("console-rides")) } } }
                tbody { @for (code, count) in &totals.rejections { tr {
                    td { code { (code) } }
                    td { span.bar style={ "width:" (count * 100 / most) "%" } {} " " (lang.number(*count)) }
                } } }
            }
        }
        h2 #periods-caption { (lang.t("console-per-period")) }
        div.scroll tabindex="0" role="region" aria-labelledby="periods-caption" {
            table.periods {
                thead { tr {
                    th scope="col" { (lang.t("console-period")) } th scope="col" { (lang.t("open-participants")) }
                    th scope="col" { (lang.t("console-accepted")) } th scope="col" { (lang.t("console-rejected")) }
                    th scope="col" { (lang.t("open-km")) } th scope="col" { (lang.t("open-co2")) } th scope="col" { (lang.t("console-points-paid")) }
                } }
                tbody { @for row in &report.rows { tr {
                    td { (period(row)) } td { (lang.number(row.figures.participants)) }
                    td { (lang.number(row.figures.rides_accepted)) } td { (lang.number(row.figures.rides_rejected)) }
                    td { (lang.decimal(row.figures.km, 1)) } td { (lang.decimal(row.figures.co2_kg, 1)) }
                    td { (lang.number(row.figures.points_paid)) }
                } } }
            }
        }
    }
}
