//! The audit log, newest first, a page at a time.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use smartville_store::audit::{AuditEntry, entries};
use utoipa::ToSchema;

use super::access::{ReadAudit, Staff};
use crate::ApiState;
use crate::problem::Problem;

/// Entries per page when the client does not say.
const DEFAULT_PAGE: i64 = 50;
/// Most entries per page.
const MAX_PAGE: i64 = 500;

/// `GET /v1/admin/audit` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The `next_cursor` of the previous page: entries older than that one.
    #[param(format = Uuid)]
    pub cursor: Option<String>,
    /// Entries per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The council's audit log (council admins and auditors).
#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem, description = "A bad cursor or limit")))]
pub async fn list(
    State(state): State<ApiState>,
    staff: Staff<ReadAudit>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditPage>, Problem> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::bad_request("INVALID_LIMIT", format!("limit must be 1 to {MAX_PAGE}")));
    }
    let before = match query.cursor.as_deref() {
        Some(cursor) => Some(
            crate::input::public_id::<&str>(cursor)
                .ok_or_else(|| Problem::bad_request("INVALID_CURSOR", "cursor must be the `next_cursor` of a page"))?,
        ),
        None => None,
    };
    let mut entries = entries(&state.engine.store, staff.tenant_id(), before, limit + 1).await?;
    let page = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = (entries.len() > page).then(|| {
        entries.truncate(page);
        entries.last().map(|e| e.id.clone())
    });
    Ok(Json(AuditPage { entries, next_cursor: next_cursor.flatten() }))
}
