#![allow(unused_qualifications)] // utoipa's path macro spells out the query types it documents
//! A campaign's report, as JSON or CSV (`Accept: text/csv`): per day or
//! week, participants, rides accepted, rejected (by reason) and in review,
//! kilometres, CO2 avoided and points issued and paid. The council and its
//! auditors read any school or class; a school's admin their own school; a
//! teacher their own classes.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use smartville_engine::reports::{self as report, Figures, Period, Report, ReportQuery, ReportRefusal};
use smartville_store::campaigns;
use smartville_store::ids::{ClassId, SchoolId};
use smartville_store::reports::Reach;
use smartville_store::schools;
use smartville_store::staff::StaffRole;
use utoipa::IntoParams;

use super::access::{Permission, ReadCampaigns, ReadReports, Staff};
use super::campaigns::{campaign_path, not_found};
use crate::problem::Problem;
use crate::{ApiState, input};

/// What a report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First local day, `YYYY-MM-DD` (default: the campaign's first day).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last local day, inclusive (default: the campaign's last day; at most 731 days after `from`).
    #[param(value_type = Option<String>, format = Date)]
    pub until: Option<NaiveDate>,
    /// `day` (default) or `week` (Monday to Sunday) rows.
    #[param(inline)]
    pub by: Option<Period>,
    /// Only this school's students (a school's staff: their own school).
    #[param(format = Uuid)]
    pub school: Option<String>,
    /// Only this class's students (a teacher: one of their classes; without it, all of them).
    #[param(format = Uuid)]
    pub class: Option<String>,
}

/// A campaign's report over a range of days, as JSON, or as CSV when asked
/// for with `Accept: text/csv` (a row per day or week, then a `total` row;
/// a column per reason code that rejected or held a ride in the range).
#[utoipa::path(get, path = "/v1/admin/campaigns/{campaign_id}/report", tag = "admin", security(("bearer" = [])),
    params(("campaign_id" = String, Path, format = Uuid), ReportParams),
    responses(
        (status = 200, description = "The report", content(
            (Report = "application/json", example = json!({
                "from": "2026-09-01", "until": "2026-09-07", "by": "week", "school_id": null, "class_ids": null,
                "co2_g_per_km": 150,
                "totals": {"participants": 2, "rides_accepted": 3, "rides_rejected": 1, "rides_in_review": 0,
                    "km": 7.5, "co2_kg": 1.125, "points_issued": 30, "points_paid": 30,
                    "rejections": {"TOO_FAST": 1}, "reviews": {}},
                "rows": [{"starts": "2026-08-31", "participants": 2, "rides_accepted": 3, "rides_rejected": 1,
                    "rides_in_review": 0, "km": 7.5, "co2_kg": 1.125, "points_issued": 30, "points_paid": 30,
                    "rejections": {"TOO_FAST": 1}, "reviews": {}}],
                "budget": null})),
            (String = "text/csv", example = "period,participants,rides_accepted,rides_rejected,rides_in_review,km,co2_kg,points_issued,points_paid,rejected TOO_FAST\n2026-08-31,2,3,1,0,7.5,1.125,30,30,1\ntotal,2,3,1,0,7.5,1.125,30,30,1\n"))),
        (status = 400, body = Problem, description = "A date or `by` that does not read, or a range that is not one"),
        (status = 403, body = Problem, description = "Another school or class than the staff member's"),
        (status = 404, body = Problem, description = "No such campaign, school or class of this council")))]
pub async fn report(
    State(state): State<ApiState>,
    staff: Staff<ReadReports>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(params) = query?;
    let report = report_of(&state, &staff, &campaign_id, &params).await?;
    if input::accepts_csv(&headers) {
        let headers = [(header::CONTENT_TYPE, "text/csv; charset=utf-8")];
        return Ok((StatusCode::OK, headers, csv(&report)).into_response());
    }
    Ok(Json(report).into_response())
}

/// The report `params` ask for of the campaign `campaign_id`, as far as the staff member may read it.
pub(crate) async fn report_of(
    state: &ApiState,
    staff: &Staff<ReadReports>,
    campaign_id: &str,
    params: &ReportParams,
) -> Result<Report, Problem> {
    let campaign_id = campaign_path(campaign_id)?;
    let store = &state.engine.store;
    let campaign = campaigns::campaign(store, staff.tenant_id(), &campaign_id).await.map_err(not_found)?;
    let reach = reach(state, staff, params).await?;
    let query = ReportQuery { from: params.from, until: params.until, by: params.by.unwrap_or_default(), reach };
    let mut report = report::report(&state.engine, &campaign, &query).await.map_err(|refusal| match refusal {
        ReportRefusal::Range(detail) => Problem::bad_request("INVALID_RANGE", detail),
        ReportRefusal::Engine(error) => error.into(),
    })?;
    if !ReadCampaigns::allows(staff.member().role) {
        report.budget = None; // the campaign's money is the council's
    }
    Ok(report)
}

/// Whose rides a staff member's report counts: what they asked for, within
/// their reach (a school's staff: their school; a teacher: their own classes
/// when they name none).
async fn reach(state: &ApiState, staff: &Staff<ReadReports>, params: &ReportParams) -> Result<Reach, Problem> {
    let store = &state.engine.store;
    let member = staff.member();
    let school = match &params.school {
        Some(id) => {
            let id: SchoolId = input::public_id(id).ok_or_else(|| Problem::not_found("school"))?;
            schools::schools(store, staff.tenant_id(), Some(&id))
                .await?
                .pop()
                .ok_or_else(|| Problem::not_found("school"))?;
            staff.school_scope(&id)?;
            Some(id)
        }
        None => member.school_id.clone().filter(|_| member.role.is_school_staff()),
    };
    if let Some(id) = &params.class {
        let id: ClassId = input::public_id(id).ok_or_else(|| Problem::not_found("class"))?;
        let class = schools::class(store, staff.tenant_id(), &id).await?.ok_or_else(|| Problem::not_found("class"))?;
        staff.class_scope(&class)?;
        if school.is_some_and(|school| school != class.school_id) {
            return Err(Problem::bad_request("INVALID_QUERY", "the class is not in the school asked for"));
        }
        return Ok(Reach::Classes(class.school_id, vec![class.id]));
    }
    match school {
        Some(school) if member.role == StaffRole::Teacher => {
            let classes = schools::classes(store, staff.tenant_id(), &school).await?;
            let own = classes.into_iter().filter(|c| c.teacher_ids.contains(staff.id())).map(|c| c.id).collect();
            Ok(Reach::Classes(school, own))
        }
        Some(school) => Ok(Reach::School(school)),
        None => Ok(Reach::Campaign),
    }
}

/// The CSV of a report: the fixed columns, then one per reason code found.
pub(crate) fn csv(report: &Report) -> String {
    let totals = &report.totals;
    let rejected: Vec<&String> = totals.rejections.keys().collect();
    let reviewed: Vec<&String> = totals.reviews.keys().collect();
    let mut out = String::from(
        "period,participants,rides_accepted,rides_rejected,rides_in_review,km,co2_kg,points_issued,points_paid",
    );
    for code in &rejected {
        out.push_str(&format!(",rejected {code}"));
    }
    for code in &reviewed {
        out.push_str(&format!(",review {code}"));
    }
    out.push('\n');
    let mut line = |period: &str, f: &Figures| {
        out.push_str(&format!(
            "{period},{},{},{},{},{},{},{},{}",
            f.participants,
            f.rides_accepted,
            f.rides_rejected,
            f.rides_in_review,
            f.km,
            f.co2_kg,
            f.points_issued,
            f.points_paid
        ));
        for code in &rejected {
            out.push_str(&format!(",{}", f.rejections.get(*code).copied().unwrap_or(0)));
        }
        for code in &reviewed {
            out.push_str(&format!(",{}", f.reviews.get(*code).copied().unwrap_or(0)));
        }
        out.push('\n');
    };
    for row in &report.rows {
        line(&row.starts.to_string(), &row.figures);
    }
    line("total", totals);
    out
}
