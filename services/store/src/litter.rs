//! Litter and illegal-dumping reports: a participant's place, category,
//! note and photo (kept outside the database, by its key), grouped with the
//! open reports near it, and the council's decision on the group.
//!
//! ```text
//! open ──(staff: validate)──► validated (the group's first report paid)
//!      └─(staff: reject)────► rejected
//! ```

use serde::Serialize;

use crate::ids::{CampaignId, LitterReportId, ParticipantId, StaffId, TenantId};
use crate::{Store, StoreError, Tx};

stored_names!(
    /// What was found.
    LitterCategory {
        /// Waste dumped where it does not belong (bags, building rubble, a sofa in the woods).
        IllegalDumping = "illegal_dumping",
        /// Loose litter on a street, a square or a verge.
        Litter = "litter",
        /// A public bin full to overflowing.
        OverflowingBin = "overflowing_bin",
        /// Something dangerous: needles, chemicals, asbestos.
        Hazardous = "hazardous",
    }
);

stored_names!(
    /// Where a report is in its life.
    LitterStatus {
        /// Waiting for the council.
        Open = "open",
        /// The council found it right.
        Validated = "validated",
        /// The council found nothing, or not what was reported.
        Rejected = "rejected",
    }
);

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LitterReport {
    /// Its id.
    pub id: LitterReportId,
    /// Who reported it.
    pub participant_id: ParticipantId,
    /// What was found.
    #[sqlx(try_from = "String")]
    pub category: LitterCategory,
    /// Where (WGS84).
    pub lat: f64,
    /// Where (WGS84).
    pub lon: f64,
    /// What the participant wrote.
    pub note: Option<String>,
    /// When (ms since epoch).
    pub created_at: i64,
    /// The group's first report (its own id when it is the first).
    pub group_id: LitterReportId,
    /// The photo's key in the file store, once given.
    pub photo_key: Option<String>,
    /// The photo's media type.
    pub photo_type: Option<String>,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub status: LitterStatus,
    /// When the council decided (ms since epoch).
    pub decided_at: Option<i64>,
    /// What the council wrote.
    pub decision_note: Option<String>,
    /// The campaign that paid it, if one did.
    pub campaign_id: Option<CampaignId>,
    /// Points it earned.
    pub points: i64,
}

/// `select` of every report column followed by `$tail` (a literal), as a static string.
macro_rules! select_reports {
    ($tail:literal) => {
        concat!(
            "select id, participant_id, category, lat, lon, note, created_at, group_id, photo_key, photo_type, \
             status, decided_at, decision_note, campaign_id, points from litter_reports ",
            $tail
        )
    };
}

/// A report to store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewReport<'a> {
    /// Who reports it.
    pub participant_id: &'a ParticipantId,
    /// What was found.
    pub category: LitterCategory,
    /// Where (WGS84).
    pub lat: f64,
    /// Where (WGS84).
    pub lon: f64,
    /// What the participant wrote.
    pub note: Option<&'a str>,
}

/// Stores a report at `at`, in the group of `group` (its own when `None`).
pub async fn create(
    tx: &mut Tx,
    tenant_id: &TenantId,
    new: &NewReport<'_>,
    group: Option<&LitterReportId>,
    at: i64,
) -> Result<LitterReport, StoreError> {
    let id = LitterReportId::new();
    Ok(sqlx::query_as(
        "insert into litter_reports (tenant_id, id, participant_id, category, lat, lon, note, created_at, group_id, \
         status) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open') returning id, participant_id, category, lat, lon, \
         note, created_at, group_id, photo_key, photo_type, status, decided_at, decision_note, campaign_id, points",
    )
    .bind(tenant_id)
    .bind(&id)
    .bind(new.participant_id)
    .bind(new.category.as_str())
    .bind(new.lat)
    .bind(new.lon)
    .bind(new.note)
    .bind(at)
    .bind(group.unwrap_or(&id))
    .fetch_one(&mut **tx)
    .await?)
}

/// The open reports of the tenant made since `since` within the box
/// `[lat ± dlat] × [lon ± dlon]`, oldest first.
pub async fn open_near(
    tx: &mut Tx,
    tenant_id: &TenantId,
    (lat, lon): (f64, f64),
    (dlat, dlon): (f64, f64),
    since: i64,
) -> Result<Vec<LitterReport>, StoreError> {
    Ok(sqlx::query_as(select_reports!(
        "where tenant_id = $1 and created_at >= $2 and status = 'open' \
         and lat between $3 and $4 and lon between $5 and $6 order by created_at, id"
    ))
    .bind(tenant_id)
    .bind(since)
    .bind(lat - dlat)
    .bind(lat + dlat)
    .bind(lon - dlon)
    .bind(lon + dlon)
    .fetch_all(&mut **tx)
    .await?)
}

/// Gives an open report of `participant_id` its photo; `false` when there is no such open report.
pub async fn set_photo(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &LitterReportId,
    participant_id: &ParticipantId,
    (key, media_type): (&str, &str),
) -> Result<bool, StoreError> {
    let changed = sqlx::query(
        "update litter_reports set photo_key = $1, photo_type = $2 \
         where tenant_id = $3 and id = $4 and participant_id = $5 and status = 'open'",
    )
    .bind(key)
    .bind(media_type)
    .bind(tenant_id)
    .bind(id)
    .bind(participant_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// One report of the tenant.
pub async fn get(store: &Store, tenant_id: &TenantId, id: &LitterReportId) -> Result<Option<LitterReport>, StoreError> {
    Ok(sqlx::query_as(select_reports!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}

/// A participant's reports, newest first.
pub async fn of_participant(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
) -> Result<Vec<LitterReport>, StoreError> {
    Ok(sqlx::query_as(select_reports!("where tenant_id = $1 and participant_id = $2 order by created_at desc, id"))
        .bind(tenant_id)
        .bind(participant_id)
        .fetch_all(store.reader())
        .await?)
}

/// The tenant's reports of one status, newest first, at most `limit`.
pub async fn list(
    store: &Store,
    tenant_id: &TenantId,
    status: LitterStatus,
    limit: i64,
) -> Result<Vec<LitterReport>, StoreError> {
    Ok(sqlx::query_as(select_reports!("where tenant_id = $1 and status = $2 order by created_at desc, id limit $3"))
        .bind(tenant_id)
        .bind(status.as_str())
        .bind(limit)
        .fetch_all(store.reader())
        .await?)
}

/// The open reports of a group, oldest first, locked for the transaction.
pub async fn open_group(
    tx: &mut Tx,
    tenant_id: &TenantId,
    group_id: &LitterReportId,
) -> Result<Vec<LitterReport>, StoreError> {
    // Moving the group's rows first takes them for the transaction on both backends.
    sqlx::query("update litter_reports set status = status where tenant_id = $1 and group_id = $2 and status = 'open'")
        .bind(tenant_id)
        .bind(group_id)
        .execute(&mut **tx)
        .await?;
    Ok(sqlx::query_as(select_reports!(
        "where tenant_id = $1 and group_id = $2 and status = 'open' order by created_at, id"
    ))
    .bind(tenant_id)
    .bind(group_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Every report of a group, oldest first, as the transaction sees them.
pub async fn group(
    tx: &mut Tx,
    tenant_id: &TenantId,
    group_id: &LitterReportId,
) -> Result<Vec<LitterReport>, StoreError> {
    Ok(sqlx::query_as(select_reports!("where tenant_id = $1 and group_id = $2 order by created_at, id"))
        .bind(tenant_id)
        .bind(group_id)
        .fetch_all(&mut **tx)
        .await?)
}

/// The council's decision on one report.
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    /// Validated or rejected.
    pub status: LitterStatus,
    /// Who decided.
    pub staff_id: &'a StaffId,
    /// What they wrote.
    pub note: Option<&'a str>,
    /// The campaign that pays it, if one does.
    pub campaign_id: Option<&'a CampaignId>,
    /// Points it earns.
    pub points: i64,
    /// When (ms since epoch).
    pub at: i64,
}

/// Records the decision on an open report.
pub async fn decide(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &LitterReportId,
    decided: Decided<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "update litter_reports set status = $1, decided_by = $2, decision_note = $3, campaign_id = $4, points = $5, \
         decided_at = $6 where tenant_id = $7 and id = $8 and status = 'open'",
    )
    .bind(decided.status.as_str())
    .bind(decided.staff_id)
    .bind(decided.note)
    .bind(decided.campaign_id)
    .bind(decided.points)
    .bind(decided.at)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The first report of each group made in `[from, until)` (ms since epoch), oldest first, with
/// the status of the group, at most `limit`: what Open311 calls a service request.
pub async fn groups(
    store: &Store,
    tenant_id: &TenantId,
    (from, until): (i64, i64),
    limit: i64,
) -> Result<Vec<LitterReport>, StoreError> {
    Ok(sqlx::query_as(select_reports!(
        "where tenant_id = $1 and id = group_id and created_at >= $2 and created_at < $3 \
         order by created_at, id limit $4"
    ))
    .bind(tenant_id)
    .bind(from)
    .bind(until)
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}

/// Erasure: a participant's reports lose their note and photo and who made them; the place stays
/// for the council's back office.
pub async fn forget_participant(
    tx: &mut Tx,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
) -> Result<Vec<String>, StoreError> {
    let photos: Vec<Option<String>> = sqlx::query_scalar(
        "select photo_key from litter_reports where tenant_id = $1 and participant_id = $2 and photo_key is not null",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "update litter_reports set participant_id = 'erased', note = null, photo_key = null, photo_type = null \
         where tenant_id = $1 and participant_id = $2",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .execute(&mut **tx)
    .await?;
    Ok(photos.into_iter().flatten().collect())
}
