//! What scoring reads and writes: the trips of a batch with their traces,
//! what their decisions depend on (earlier rides, campaign totals, budgets,
//! earlier fingerprints), and the decisions themselves.

use std::collections::HashMap;

use smartville_scoring::{Decision, RawTrace, Trace, TraceError, TraceLimits};

use super::{Trip, trip_columns};
use crate::ids::{CampaignId, ParticipantId, TenantId, TripId};
use crate::lifecycle::TripStatus;
use crate::reports::{self, Change, CountedTrip, counted_columns};
use crate::sql::{self, BindAll};
use crate::{Store, StoreError, Tx, status_sql};

/// A trip with its stored trace: what scoring reads, in one query.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TripWithTrace {
    /// The trip.
    #[sqlx(flatten)]
    pub trip: Trip,
    /// How `trace` is encoded.
    pub format: String,
    /// The trace as ingest stored it.
    pub trace: Vec<u8>,
}

impl TripWithTrace {
    /// The stored trace, checked as it was at upload (against `limits` as of
    /// its submission): what scoring, a reviewer and a simulation read.
    pub fn trace(&self, limits: &TraceLimits) -> Result<Trace, TraceError> {
        RawTrace::from_stored(&self.format, &self.trace).and_then(|raw| raw.validate(limits, self.trip.submitted_at))
    }
}

/// Trips of a tenant among `ids` with their traces, in id order (unknown ids are left out).
pub async fn with_traces(
    store: &Store,
    tenant_id: &TenantId,
    ids: &[TripId],
) -> Result<Vec<TripWithTrace>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!(
            "select ",
            trip_columns!(),
            ", format, trace from trips join trip_traces using (tenant_id) \
             where tenant_id = $1 and id in ({}) and trip_id = id order by id"
        ),
        sql::list(2, ids.len())
    );
    Ok(sql::query_as(sql).bind(tenant_id).bind_all(ids).fetch_all(store.reader()).await?)
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord<'a> {
    /// The trip decided.
    pub trip_id: &'a TripId,
    /// Scoring's decision: the trip's new state, points, distance and
    /// duration are read from it, and it is stored whole.
    pub decision: &'a Decision,
    /// The version of the campaign's rules it was judged by.
    pub campaign_version: i64,
    /// The trace's fingerprint, for comparing later rides with this one
    /// (`None` for a ride too short to fingerprint).
    pub fingerprint: Option<StoredFingerprint<'a>>,
    /// When (ms since epoch).
    pub decided_at: i64,
    /// The local date of the ride's start in its campaign's time zone (days
    /// since 1970-01-01): the day its reports count it on.
    pub local_day: i64,
    /// The H3 cells it passed through, its ends spared, for the public heat
    /// map (counted once the ride earns points).
    pub route_cells: &'a [u64],
}

/// A fingerprint as indexed for replay detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredFingerprint<'a> {
    /// The coarse area cell the ride started in: later rides look up candidates by it.
    pub area_cell: i64,
    /// The fingerprint in the scoring library's binary form.
    pub bytes: &'a [u8],
}

/// Records the decisions of pending trips of a tenant, indexes their
/// fingerprints and counts them in the reports, one statement each for the
/// whole batch; returns the ids of the trips it decided (a trip decided
/// already is left as it was). A decided trip keeps the class its rider is
/// in now, for its reports.
pub async fn record_decisions(
    tx: &mut Tx,
    tenant_id: &TenantId,
    decisions: &[DecisionRecord<'_>],
) -> Result<Vec<TripId>, StoreError> {
    if decisions.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!(
            "update trips set status = d.column2, points = d.column3, distance_m = d.column4, duration_s = d.column5, \
             decision = d.column6, decided_at = d.column7, campaign_version = d.column8, local_day = d.column9, \
             route_cells = d.column10, \
             class_id = (select p.class_id from participants p \
                         where p.tenant_id = trips.tenant_id and p.id = trips.participant_id), \
             school_id = (select c.school_id from participants p join classes c on c.tenant_id = p.tenant_id \
                          and c.id = p.class_id where p.tenant_id = trips.tenant_id and p.id = trips.participant_id) \
             from (values {}) as d \
             where trips.tenant_id = $1 and trips.id = d.column1 and trips.status = ",
            status_sql!(pending),
            " returning ",
            counted_columns!()
        ),
        sql::rows(2, decisions.len(), 10)
    );
    let number = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let mut query = sql::query_as::<CountedTrip>(sql).bind(tenant_id);
    for record in decisions {
        let decision = record.decision;
        query = query
            .bind(record.trip_id)
            .bind(TripStatus::from(decision.status))
            .bind(number(decision.points))
            .bind(number(decision.distance_m))
            .bind(number(decision.duration_s))
            .bind(serde_json::to_string(decision)?)
            .bind(record.decided_at)
            .bind(record.campaign_version)
            .bind(record.local_day)
            .bind(serde_json::to_string(record.route_cells)?);
    }
    let mut decided = query.fetch_all(&mut **tx).await?;
    decided.sort_by(|a, b| a.id.cmp(&b.id));
    let record_of = |id: &TripId| decisions.iter().find(|d| d.trip_id == id);
    let fingerprints: Vec<(&DecisionRecord<'_>, &ParticipantId, StoredFingerprint<'_>)> = decided
        .iter()
        .filter_map(|trip| {
            let record = record_of(&trip.id)?;
            Some((record, &trip.participant_id, record.fingerprint?))
        })
        .collect();
    if !fingerprints.is_empty() {
        let sql = format!(
            "insert into trip_fingerprints (tenant_id, trip_id, participant_id, area_cell, fingerprint) values {}",
            sql::rows(1, fingerprints.len(), 5)
        );
        let mut query = sql::query(sql);
        for (decision, participant_id, fingerprint) in fingerprints {
            query = query
                .bind(tenant_id)
                .bind(decision.trip_id)
                .bind(participant_id)
                .bind(fingerprint.area_cell)
                .bind(fingerprint.bytes);
        }
        query.execute(&mut **tx).await?;
    }
    let counted = decided.iter().filter_map(|trip| {
        let reasons = record_of(&trip.id)?.decision.reasons.as_slice();
        Some((trip, Change::Decided, reasons))
    });
    reports::tally_trips(counted).write(tx, tenant_id).await?;
    Ok(decided.into_iter().map(|trip| trip.id).collect())
}

/// A participant's earlier counted ride (accepted or under review), for caps and overlaps.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CountedRide {
    /// Who rode.
    pub participant_id: ParticipantId,
    /// The campaign it counts in.
    pub campaign_id: CampaignId,
    /// First fix (ms since epoch).
    pub started_at: i64,
    /// Last fix (ms since epoch).
    pub ended_at: i64,
    /// Points.
    pub points: i64,
}

/// What the decisions of a batch need to know besides the rides themselves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecisionInputs {
    /// The participants' counted rides that ended at or after the window start.
    pub recent_rides: Vec<CountedRide>,
    /// Points of each (participant, campaign)'s accepted rides.
    pub points_in_campaign: HashMap<(ParticipantId, CampaignId), i64>,
    /// Balance of each budget account asked for (left out when it does not exist).
    pub budgets: HashMap<String, i64>,
}

/// Where the rows of [`decision_inputs`] come from.
#[derive(sqlx::FromRow)]
struct InputRow {
    part: String,
    id: String,
    participant_id: ParticipantId,
    campaign_id: CampaignId,
    started_at: i64,
    ended_at: i64,
    points: i64,
}

/// Reads the [`DecisionInputs`] of a batch in one statement, in the
/// transaction that records the decisions: the counted rides of
/// `participants` that ended at or after `since`, their campaign totals and
/// the balances of `budget_accounts`.
pub async fn decision_inputs(
    tx: &mut Tx,
    tenant_id: &TenantId,
    participants: &[&ParticipantId],
    since: i64,
    budget_accounts: &[&str],
) -> Result<DecisionInputs, StoreError> {
    let mut inputs = DecisionInputs::default();
    if participants.is_empty() {
        return Ok(inputs);
    }
    let who = sql::list(3, participants.len());
    // Counted rides are those whose state `counts_for_caps`; campaign totals those that `earns_points`.
    let mut sql = format!(
        concat!(
            "select 'ride' as part, '' as id, participant_id, campaign_id, started_at, ended_at, points from trips \
         where tenant_id = $1 and participant_id in ({who}) and ended_at >= $2 and status in (",
            status_sql!(accepted),
            ", ",
            status_sql!(review),
            ") union all \
         select 'campaign', '', participant_id, campaign_id, 0, 0, \
                cast(coalesce(sum(coalesce(paid_points, points)), 0) as bigint) from trips \
         where tenant_id = $1 and participant_id in ({who}) and status = ",
            status_sql!(accepted),
            " group by participant_id, campaign_id"
        ),
        who = who
    );
    if !budget_accounts.is_empty() {
        let accounts = sql::list(3 + participants.len(), budget_accounts.len());
        sql.push_str(&format!(
            " union all select 'budget', id, '', '', 0, 0, balance from accounts where tenant_id = $1 and id in ({accounts})"
        ));
    }
    let query = sql::query_as::<InputRow>(sql).bind(tenant_id).bind(since);
    let query = query.bind_all(participants.iter().copied()).bind_all(budget_accounts.iter().copied());
    for row in query.fetch_all(&mut **tx).await? {
        match row.part.as_str() {
            "ride" => inputs.recent_rides.push(CountedRide {
                participant_id: row.participant_id,
                campaign_id: row.campaign_id,
                started_at: row.started_at,
                ended_at: row.ended_at,
                points: row.points,
            }),
            "campaign" => {
                inputs.points_in_campaign.insert((row.participant_id, row.campaign_id), row.points);
            }
            _ => {
                inputs.budgets.insert(row.id, row.points);
            }
        }
    }
    Ok(inputs)
}

/// An earlier trace's fingerprint, who made it and where it started.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EarlierFingerprint {
    /// The trip it belongs to.
    pub trip_id: TripId,
    /// Who submitted it.
    pub participant_id: ParticipantId,
    /// The coarse area cell it is indexed under.
    pub area_cell: i64,
    /// The fingerprint in the scoring library's binary form.
    pub fingerprint: Vec<u8>,
}

/// Which earlier fingerprints a batch of rides is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaySearch<'a> {
    /// The rides' tenant.
    pub tenant_id: &'a TenantId,
    /// Who rode them: each one's own latest rides are read, wherever they were made.
    pub participants: &'a [&'a ParticipantId],
    /// The area cells an earlier copy of any of the rides would be indexed under.
    pub cells: &'a [i64],
    /// Most of each participant's own latest rides.
    pub own_limit: i64,
    /// Most of the latest rides of each cell.
    pub cell_limit: i64,
}

/// The fingerprints a batch of rides is compared with, in one statement,
/// newest first, each once: every participant's own latest rides and the
/// latest rides in each nearby cell (anyone's: the caller tells own from
/// others), read in the transaction that records the decisions. Each
/// participant and each cell is one backward range of an index, so the cost
/// does not grow with the number of rides ever made.
pub async fn earlier_fingerprints(
    tx: &mut Tx,
    search: &ReplaySearch<'_>,
) -> Result<Vec<EarlierFingerprint>, StoreError> {
    let columns = "trip_id, participant_id, area_cell, fingerprint";
    // Parameters: $1 the tenant, then for each non-empty list its limit and its keys.
    // `ranges(keys, column, name, at)`: one latest-first range per key, the limit at `$at`.
    let ranges = |keys: usize, column: &'static str, name: &'static str, at: usize| {
        (0..keys).map(move |n| {
            format!(
                "select * from (select {columns} from trip_fingerprints where tenant_id = $1 and {column} = ${} \
                 order by trip_id desc limit ${at}) as {name}{n}",
                at + 1 + n
            )
        })
    };
    let (participants, cells) = (search.participants.len(), search.cells.len());
    let cells_at = if participants == 0 { 2 } else { 3 + participants };
    let parts: Vec<String> =
        ranges(participants, "participant_id", "p", 2).chain(ranges(cells, "area_cell", "c", cells_at)).collect();
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    // `union` (not `union all`): a ride found by its participant and by its cell comes once.
    let sql = format!("select * from ({}) as found order by trip_id desc", parts.join(" union "));
    let mut query = sql::query_as(sql).bind(search.tenant_id);
    if !search.participants.is_empty() {
        query = query.bind(search.own_limit).bind_all(search.participants.iter().copied());
    }
    if !search.cells.is_empty() {
        query = query.bind(search.cell_limit).bind_all(search.cells.iter().copied());
    }
    Ok(query.fetch_all(&mut **tx).await?)
}
