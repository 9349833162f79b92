//! The audit log: every change a staff member makes, with who, what, when,
//! and the state before and after, written in the same transaction as the
//! change (so no change goes unrecorded, and no record tells of a change
//! that was rolled back).

use serde::Serialize;

use crate::ids::{StaffId, TenantId};
use crate::{Store, StoreError, Tx, new_id, now_ms};

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Entry id (time-ordered).
    pub id: String,
    /// When (ms since epoch).
    pub at: i64,
    /// Who: a staff member's id, or `system` for the engine itself.
    pub actor_id: String,
    /// What, as a stable name: `tenant.create`, `staff.invite`, `staff.set_password`,
    /// `staff.change`, `staff.remove`, `school.create`, `class.create`, `join_code.create`, ….
    pub action: String,
    /// What it was done to (an id).
    pub subject: String,
    /// The state before (JSON), for a change or a removal.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// The state after (JSON), for a creation or a change.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: i64,
    actor_id: String,
    action: String,
    subject: String,
    before: Option<String>,
    after: Option<String>,
}

/// Who did something.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A staff member.
    Staff(&'a StaffId),
    /// The engine itself, or an operator's command on the server.
    System,
}

impl Actor<'_> {
    fn id(&self) -> &str {
        match self {
            Self::Staff(id) => id.as_str(),
            Self::System => "system",
        }
    }
}

/// Records an action in the transaction that makes it.
pub async fn record<T: Serialize>(
    tx: &mut Tx,
    tenant_id: &TenantId,
    actor: Actor<'_>,
    action: &str,
    subject: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), StoreError> {
    let json = |value: Option<&T>| value.map(serde_json::to_string).transpose();
    sqlx::query(
        "insert into audit_log (tenant_id, id, at, actor_id, action, subject, before, after) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(new_id())
    .bind(now_ms())
    .bind(actor.id())
    .bind(action)
    .bind(subject)
    .bind(json(before)?)
    .bind(json(after)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The newest `limit` entries of a tenant older than the entry `before_id`
/// (from the newest when `None`), newest first: a page of the log.
pub async fn entries(
    store: &Store,
    tenant_id: &TenantId,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "select id, at, actor_id, action, subject, before, after from audit_log \
         where tenant_id = $1 and id < $2 order by id desc limit $3",
    )
    .bind(tenant_id)
    // '~' sorts after every UUID.
    .bind(before_id.unwrap_or("~"))
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    rows.into_iter()
        .map(|row| {
            let parse = |text: Option<String>| text.map(|t| serde_json::from_str(&t)).transpose();
            Ok(AuditEntry {
                before: parse(row.before)?,
                after: parse(row.after)?,
                id: row.id,
                at: row.at,
                actor_id: row.actor_id,
                action: row.action,
                subject: row.subject,
            })
        })
        .collect()
}

/// When `action` was last recorded about `subject` in a tenant (ms since epoch), if ever.
pub async fn last_recorded(
    store: &Store,
    tenant_id: &TenantId,
    action: &str,
    subject: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("select max(at) from audit_log where tenant_id = $1 and action = $2 and subject = $3")
        .bind(tenant_id)
        .bind(action)
        .bind(subject)
        .fetch_one(store.reader())
        .await?)
}
