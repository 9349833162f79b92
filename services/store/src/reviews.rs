//! A person's word on a ride: the review queue (rides scoring sent to review,
//! and rejected rides a student appealed), a reviewer's decision, and the
//! appeals themselves. Every decision is a conditional update, so of two
//! reviewers deciding the same ride at once exactly one changes it; the
//! caller answers the other with a conflict.

use serde::Serialize;

use crate::ids::{ClassId, ParticipantId, SchoolId, StaffId, TenantId, TripId};
use crate::lifecycle::TripStatus;
use crate::reports::{self, Change};
use crate::sql::{self, BindAll};
use crate::{Store, StoreError, Tx, status_sql};

/// Why a person looks at a ride.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Scoring was in doubt and asked a person.
    Review,
    /// The student contested a rejection.
    Appeal,
}

impl ReviewKind {
    /// The stable name, as stored and serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Appeal => "appeal",
        }
    }
}

impl TryFrom<String> for ReviewKind {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        [Self::Review, Self::Appeal].into_iter().find(|k| k.as_str() == name).ok_or(name)
    }
}

/// A ride waiting for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueItem {
    /// The trip.
    pub trip_id: TripId,
    /// Why it waits.
    #[sqlx(try_from = "String")]
    pub kind: ReviewKind,
    /// Whose ride (a pseudonym).
    pub participant_id: ParticipantId,
    /// Their nickname, if they chose one.
    pub nickname: Option<String>,
    /// Their class.
    pub class_id: ClassId,
    /// Its school.
    pub school_id: SchoolId,
    /// When the ride started (ms since epoch).
    pub started_at: i64,
    /// Scoring's decision (JSON): reasons and figures.
    pub decision: Option<String>,
    /// The version of the campaign's rules that judged it.
    pub campaign_version: Option<i64>,
    /// Points held for it (a review), or 0 (an appeal).
    pub points: i64,
    /// The student's message (an appeal).
    pub message: Option<String>,
    /// Since when it waits (ms since epoch).
    pub waiting_since: i64,
}

/// Every ride of tenant `$1` waiting for a reviewer, as [`QueueItem`] rows of a
/// derived table `waiting`: rides in review, and rejected rides with an open appeal.
macro_rules! waiting_rides {
    () => {
        concat!(
            "select * from (",
            "select t.id as trip_id, 'review' as kind, t.participant_id, p.nickname, p.class_id, c.school_id, \
                    t.started_at, t.decision, t.campaign_version, t.points, null as message, \
                    t.decided_at as waiting_since \
             from trips t join participants p on p.tenant_id = t.tenant_id and p.id = t.participant_id \
             join classes c on c.tenant_id = p.tenant_id and c.id = p.class_id \
             where t.tenant_id = $1 and t.status = ",
            status_sql!(review),
            " union all \
             select t.id, 'appeal', t.participant_id, p.nickname, p.class_id, c.school_id, \
                    t.started_at, t.decision, t.campaign_version, t.points, a.message, a.opened_at \
             from trip_reviews a join trips t on t.tenant_id = a.tenant_id and t.id = a.trip_id \
             join participants p on p.tenant_id = t.tenant_id and p.id = t.participant_id \
             join classes c on c.tenant_id = p.tenant_id and c.id = p.class_id \
             where a.tenant_id = $1 and a.kind = 'appeal' and a.outcome is null",
            ") as waiting"
        )
    };
}

/// The rides waiting for a reviewer in a tenant (of one school, when given),
/// by trip id after `cursor`, at most `limit`.
pub async fn queue(
    store: &Store,
    tenant_id: &TenantId,
    school_id: Option<&SchoolId>,
    cursor: Option<&TripId>,
    limit: i64,
) -> Result<Vec<QueueItem>, StoreError> {
    let of_school = if school_id.is_some() { " and school_id = $4" } else { "" };
    let sql = format!(concat!(waiting_rides!(), " where trip_id > $2{} order by trip_id limit $3"), of_school);
    let cursor = cursor.map_or("", TripId::as_str);
    let query = sql::query_as(sql).bind(tenant_id).bind(cursor).bind(limit);
    Ok(query.bind_all(school_id).fetch_all(store.reader()).await?)
}

/// One ride of the queue, if it waits for a reviewer.
pub async fn waiting(store: &Store, tenant_id: &TenantId, trip_id: &TripId) -> Result<Option<QueueItem>, StoreError> {
    Ok(sqlx::query_as(concat!(waiting_rides!(), " where trip_id = $2"))
        .bind(tenant_id)
        .bind(trip_id)
        .fetch_optional(store.reader())
        .await?)
}

/// The school of a trip a reviewer decided (a review, or an appeal), if it is one.
pub async fn decided_school(
    store: &Store,
    tenant_id: &TenantId,
    trip_id: &TripId,
) -> Result<Option<SchoolId>, StoreError> {
    Ok(sqlx::query_scalar(
        "select c.school_id from trip_reviews r join trips t on t.tenant_id = r.tenant_id and t.id = r.trip_id \
         join participants p on p.tenant_id = t.tenant_id and p.id = t.participant_id \
         join classes c on c.tenant_id = p.tenant_id and c.id = p.class_id \
         where r.tenant_id = $1 and r.trip_id = $2 and r.outcome is not null limit 1",
    )
    .bind(tenant_id)
    .bind(trip_id)
    .fetch_optional(store.reader())
    .await?)
}

/// What a reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The ride earns its points.
    Accepted,
    /// The ride earns nothing.
    Rejected,
}

impl Outcome {
    /// The stable name, as stored and serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }
}

/// A reviewer's decision to record.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    /// The trip.
    pub trip_id: &'a TripId,
    /// Accepted or rejected.
    pub outcome: Outcome,
    /// The reviewer's note to the student.
    pub note: &'a str,
    /// Who decided.
    pub by: &'a StaffId,
    /// When (ms since epoch).
    pub at: i64,
}

/// Decides a ride in review: accepted keeps its held points, rejected earns
/// none. `false` when it is not in review (any more): decided by someone else.
pub async fn decide_review(tx: &mut Tx, tenant_id: &TenantId, verdict: &Verdict<'_>) -> Result<bool, StoreError> {
    let opened_at: Option<Option<i64>> = sqlx::query_scalar(concat!(
        "update trips set status = $1, points = case when $1 = 'accepted' then points else 0 end \
         where tenant_id = $2 and id = $3 and status = ",
        status_sql!(review),
        " returning decided_at"
    ))
    .bind(verdict.outcome.as_str())
    .bind(tenant_id)
    .bind(verdict.trip_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(opened_at) = opened_at else { return Ok(false) };
    sqlx::query(
        "insert into trip_reviews (tenant_id, trip_id, kind, opened_at, outcome, note, decided_by, decided_at) \
         values ($1, $2, 'review', $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(verdict.trip_id)
    .bind(opened_at.unwrap_or(verdict.at))
    .bind(verdict.outcome.as_str())
    .bind(verdict.note)
    .bind(verdict.by)
    .bind(verdict.at)
    .execute(&mut **tx)
    .await?;
    reports::count(tx, tenant_id, &[(verdict.trip_id, Change::Moved { from: TripStatus::Review })]).await?;
    Ok(true)
}

/// Decides an open appeal; an accepted one makes the rejected trip accepted
/// with `points`. `false` when there is no open appeal: decided by someone else.
pub async fn decide_appeal(
    tx: &mut Tx,
    tenant_id: &TenantId,
    verdict: &Verdict<'_>,
    points: i64,
) -> Result<bool, StoreError> {
    let decided = sqlx::query(
        "update trip_reviews set outcome = $1, note = $2, decided_by = $3, decided_at = $4 \
         where tenant_id = $5 and trip_id = $6 and kind = 'appeal' and outcome is null",
    )
    .bind(verdict.outcome.as_str())
    .bind(verdict.note)
    .bind(verdict.by)
    .bind(verdict.at)
    .bind(tenant_id)
    .bind(verdict.trip_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if decided == 0 {
        return Ok(false);
    }
    if verdict.outcome == Outcome::Accepted {
        let moved = sqlx::query(concat!(
            "update trips set status = ",
            status_sql!(accepted),
            ", points = $1 where tenant_id = $2 and id = $3 and status = ",
            status_sql!(rejected)
        ))
        .bind(points)
        .bind(tenant_id)
        .bind(verdict.trip_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if moved == 1 {
            reports::count(tx, tenant_id, &[(verdict.trip_id, Change::Moved { from: TripStatus::Rejected })]).await?;
        }
    }
    Ok(true)
}

/// Opens a student's appeal of a trip; `false` when it was appealed before.
pub async fn open_appeal(
    tx: &mut Tx,
    tenant_id: &TenantId,
    trip_id: &TripId,
    message: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let opened = sqlx::query(
        "insert into trip_reviews (tenant_id, trip_id, kind, message, opened_at) values ($1, $2, 'appeal', $3, $4) \
         on conflict (tenant_id, trip_id, kind) do nothing",
    )
    .bind(tenant_id)
    .bind(trip_id)
    .bind(message)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(opened == 1)
}

/// A review or an appeal of a trip.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewRecord {
    /// The trip.
    pub trip_id: TripId,
    /// A review scoring asked for, or the student's appeal.
    #[sqlx(try_from = "String")]
    pub kind: ReviewKind,
    /// The student's message (an appeal).
    pub message: Option<String>,
    /// When it was opened (ms since epoch).
    pub opened_at: i64,
    /// `accepted` or `rejected`, once decided.
    pub outcome: Option<String>,
    /// The reviewer's note.
    pub note: Option<String>,
    /// When it was decided (ms since epoch).
    pub decided_at: Option<i64>,
}

/// The reviews and appeals of a tenant's trips among `ids`.
pub async fn of_trips(store: &Store, tenant_id: &TenantId, ids: &[TripId]) -> Result<Vec<ReviewRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select trip_id, kind, message, opened_at, outcome, note, decided_at from trip_reviews \
         where tenant_id = $1 and trip_id in ({}) order by trip_id, opened_at",
        sql::list(2, ids.len())
    );
    Ok(sql::query_as(sql).bind(tenant_id).bind_all(ids).fetch_all(store.reader()).await?)
}
