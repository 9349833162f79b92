//! Trips: submissions (OSLO *Bewijslevering*) and their decisions.
//!
//! A trip is inserted once per (participant, idempotency key); a retry finds
//! the stored row and the caller compares body hashes. The decision is written
//! once ([`record_decisions`] only moves a trip out of `pending`), and the
//! credit once ([`claim_credits`]), so redelivered events change nothing.
//! Every write of the busy path takes a batch of trips: one statement per
//! step, whatever the batch's size.

use std::collections::HashMap;

use crate::lifecycle::TripStatus;
use crate::{StoreError, Tx, status_sql};

/// A submission as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrip {
    /// Public id (UUIDv7).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Who rode.
    pub participant_id: String,
    /// The campaign it is judged under.
    pub campaign_id: String,
    /// The client's idempotency key.
    pub idempotency_key: String,
    /// SHA-256 of the request body, hex.
    pub body_hash: String,
    /// The trace, stored in `trip_traces` beside the trip.
    pub trace: Vec<u8>,
    /// How `trace` is encoded (`compact` for the scoring library's binary form).
    pub trace_format: String,
    /// When it was received (ms since epoch).
    pub submitted_at: i64,
    /// First fix (ms since epoch).
    pub started_at: i64,
    /// Last fix (ms since epoch).
    pub ended_at: i64,
}

/// A stored trip without its trace.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Trip {
    /// Owning tenant.
    pub tenant_id: String,
    /// Public id.
    pub id: String,
    /// Who rode.
    pub participant_id: String,
    /// The campaign it is judged under.
    pub campaign_id: String,
    /// SHA-256 of the request body.
    pub body_hash: String,
    /// Where it is in its lifecycle.
    pub status: TripStatus,
    /// Points decided by scoring.
    pub points: i64,
    /// Distance ridden, metres.
    pub distance_m: Option<i64>,
    /// Duration, seconds.
    pub duration_s: Option<i64>,
    /// The decision as JSON.
    pub decision: Option<String>,
    /// Received (ms since epoch).
    pub submitted_at: i64,
    /// First fix (ms since epoch).
    pub started_at: i64,
    /// Last fix (ms since epoch).
    pub ended_at: i64,
    /// Decided (ms since epoch).
    pub decided_at: Option<i64>,
    /// Credited in the ledger (ms since epoch).
    pub credited_at: Option<i64>,
    /// Points the ledger paid once credited: the decided points, or less
    /// when the campaign budget ran short (the ledger's fact, see [`pay_less`]).
    pub paid_points: Option<i64>,
}

/// Every column of a trip row (the trace lives in `trip_traces`), as a literal for `concat!`.
macro_rules! trip_columns {
    () => {
        "tenant_id, id, participant_id, campaign_id, body_hash, status, points, distance_m, duration_s, \
         decision, submitted_at, started_at, ended_at, decided_at, credited_at, paid_points"
    };
}

/// `select` of every trip column followed by `$tail` (a literal), as a static string.
macro_rules! select_trips {
    ($tail:literal) => {
        concat!("select ", trip_columns!(), " from trips ", $tail)
    };
}

/// The result of inserting a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// A new trip.
    New(Trip),
    /// The participant already submitted with this idempotency key.
    Existing(Trip),
    /// The participant was erased: nothing is stored for them any more.
    Erased,
}

/// Stores submissions and their traces in the caller's transaction, except
/// those whose participant already used the idempotency key: for those (and
/// for a key used twice in the batch) the trip stored first is returned; and
/// except those of erased participants ([`Inserted::Erased`]). Answers in the
/// order of `trips`.
///
/// This is the busiest write of a school morning, so a batch is one
/// statement for the trips and one for the traces, whatever its size.
pub async fn insert_all(tx: &mut Tx, trips: &[NewTrip]) -> Result<Vec<Inserted>, StoreError> {
    if trips.is_empty() {
        return Ok(Vec::new());
    }
    // A participant erased on request stores nothing more, even with an access token issued
    // before the erasure: checked in the same statement, so it costs no round trip.
    let sql = format!(
        concat!(
            "insert into trips (tenant_id, id, participant_id, campaign_id, idempotency_key, body_hash, \
                                submitted_at, started_at, ended_at, status, points) \
             select v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, \
                    v.column9, ",
            status_sql!(pending),
            ", 0 from (values {}) as v \
             where not exists (select 1 from participants as p \
                               where p.tenant_id = v.column1 and p.id = v.column3 and p.erased_at is not null) \
             on conflict (tenant_id, participant_id, idempotency_key) do nothing \
             returning {}"
        ),
        crate::rows(1, trips.len(), 9),
        trip_columns!()
    );
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query = sqlx::query_as::<_, Trip>(sqlx::AssertSqlSafe(sql)).persistent(false);
    for trip in trips {
        query = query
            .bind(&trip.tenant_id)
            .bind(&trip.id)
            .bind(&trip.participant_id)
            .bind(&trip.campaign_id)
            .bind(&trip.idempotency_key)
            .bind(&trip.body_hash)
            .bind(trip.submitted_at)
            .bind(trip.started_at)
            .bind(trip.ended_at);
    }
    let mut stored: HashMap<String, Trip> =
        query.fetch_all(&mut **tx).await?.into_iter().map(|trip| (trip.id.clone(), trip)).collect();
    let new: Vec<&NewTrip> = trips.iter().filter(|trip| stored.contains_key(&trip.id)).collect();
    if !new.is_empty() {
        let sql = format!(
            "insert into trip_traces (tenant_id, trip_id, format, trace) values {}",
            crate::rows(1, new.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for trip in &new {
            query = query.bind(&trip.tenant_id).bind(&trip.id).bind(&trip.trace_format).bind(&trip.trace);
        }
        query.execute(&mut **tx).await?;
    }
    let mut inserted = Vec::with_capacity(trips.len());
    for trip in trips {
        inserted.push(match stored.remove(&trip.id) {
            Some(new) => Inserted::New(new),
            None => with_key(&mut **tx, trip).await?.map_or(Inserted::Erased, Inserted::Existing),
        });
    }
    Ok(inserted)
}

/// Stores one submission and its trace (see [`insert_all`]).
pub async fn insert(tx: &mut Tx, trip: &NewTrip) -> Result<Inserted, StoreError> {
    let mut inserted = insert_all(tx, std::slice::from_ref(trip)).await?;
    inserted.pop().ok_or(StoreError::NotFound("inserted trip"))
}

/// The trip stored earlier under `trip`'s idempotency key, if any.
async fn with_key(executor: impl sqlx::AnyExecutor<'_>, trip: &NewTrip) -> Result<Option<Trip>, StoreError> {
    Ok(sqlx::query_as(select_trips!("where tenant_id = $1 and participant_id = $2 and idempotency_key = $3"))
        .bind(&trip.tenant_id)
        .bind(&trip.participant_id)
        .bind(&trip.idempotency_key)
        .fetch_optional(executor)
        .await?)
}

/// One trip of a tenant.
pub async fn get(executor: impl sqlx::AnyExecutor<'_>, tenant_id: &str, id: &str) -> Result<Option<Trip>, StoreError> {
    Ok(sqlx::query_as(select_trips!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(executor)
        .await?)
}

/// The trips among `ids` of a tenant that are settled ([`Trip::is_settled`];
/// unknown and unsettled ids are left out, in no particular order).
pub async fn settled_among(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<Trip>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(select_trips!("where tenant_id = $1 and id in ({})"), crate::list(2, ids.len()));
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query = sqlx::query_as::<_, Trip>(sqlx::AssertSqlSafe(sql)).persistent(false).bind(tenant_id);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(executor).await?.into_iter().filter(Trip::is_settled).collect())
}

impl Trip {
    /// Whether the engine is done with the trip: decided and, when it earns
    /// points, credited (the rule is [`TripStatus::is_settled`]).
    pub fn is_settled(&self) -> bool {
        self.status.is_settled(self.credited_at.is_some())
    }
}

/// A participant's trips, newest first, strictly older than `before_id` when given.
pub async fn list(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    participant_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Trip>, StoreError> {
    Ok(sqlx::query_as(select_trips!(
        "where tenant_id = $1 and participant_id = $2 and ($3 is null or id < $3) \
         order by id desc limit $4"
    ))
    .bind(tenant_id)
    .bind(participant_id)
    .bind(before_id)
    .bind(limit)
    .fetch_all(executor)
    .await?)
}

/// A trip with its stored trace: what scoring reads, in one query.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TripWithTrace {
    /// The trip.
    #[sqlx(flatten)]
    pub trip: Trip,
    /// How `trace` is encoded.
    pub format: String,
    /// The trace as ingest stored it.
    pub trace: Vec<u8>,
}

/// Trips of a tenant among `ids` with their traces, in id order (unknown ids are left out).
pub async fn with_traces(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    ids: &[String],
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
        crate::list(2, ids.len())
    );
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).persistent(false).bind(tenant_id);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(executor).await?)
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord<'a> {
    /// The trip decided.
    pub trip_id: &'a str,
    /// The decided state (never `pending`).
    pub status: TripStatus,
    /// Points decided.
    pub points: i64,
    /// Distance, metres.
    pub distance_m: i64,
    /// Duration, seconds.
    pub duration_s: i64,
    /// The full decision, JSON.
    pub decision_json: &'a str,
    /// The trace's fingerprint, for comparing later rides with this one
    /// (`None` for a ride too short to fingerprint).
    pub fingerprint: Option<StoredFingerprint<'a>>,
    /// When (ms since epoch).
    pub decided_at: i64,
}

/// A fingerprint as indexed for replay detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredFingerprint<'a> {
    /// The coarse area cell the ride started in: later rides look up candidates by it.
    pub area_cell: i64,
    /// The fingerprint in the scoring library's binary form.
    pub bytes: &'a [u8],
}

/// Records the decisions of pending trips of a tenant and indexes their
/// fingerprints, one statement each for the whole batch; returns the ids of
/// the trips it decided (a trip decided already is left as it was).
pub async fn record_decisions(
    tx: &mut Tx,
    tenant_id: &str,
    decisions: &[DecisionRecord<'_>],
) -> Result<Vec<String>, StoreError> {
    if decisions.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!(
            "update trips set status = d.column2, points = d.column3, distance_m = d.column4, duration_s = d.column5, \
             decision = d.column6, decided_at = d.column7 \
             from (values {}) as d \
             where trips.tenant_id = $1 and trips.id = d.column1 and trips.status = ",
            status_sql!(pending),
            " returning trips.id, trips.participant_id"
        ),
        crate::rows(2, decisions.len(), 7)
    );
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).persistent(false).bind(tenant_id);
    for decision in decisions {
        query = query
            .bind(decision.trip_id)
            .bind(decision.status)
            .bind(decision.points)
            .bind(decision.distance_m)
            .bind(decision.duration_s)
            .bind(decision.decision_json)
            .bind(decision.decided_at);
    }
    let decided: HashMap<String, String> = query.fetch_all(&mut **tx).await?.into_iter().collect();
    let fingerprints: Vec<(&DecisionRecord<'_>, &String, StoredFingerprint<'_>)> =
        decisions.iter().filter_map(|d| Some((d, decided.get(d.trip_id)?, d.fingerprint?))).collect();
    if !fingerprints.is_empty() {
        let sql = format!(
            "insert into trip_fingerprints (tenant_id, trip_id, participant_id, area_cell, fingerprint) values {}",
            crate::rows(1, fingerprints.len(), 5)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
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
    let mut ids: Vec<String> = decided.into_keys().collect();
    ids.sort();
    Ok(ids)
}

/// What the ledger needs to credit a trip.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claim {
    /// The trip.
    pub id: String,
    /// Who gets the reward.
    pub participant_id: String,
    /// Whose budget pays it.
    pub campaign_id: String,
    /// Points decided.
    pub points: i64,
}

/// Marks the accepted, uncredited trips of a tenant among `ids` as credited
/// (at `at`) and returns what to pay for each, in id order, in one statement.
/// Trips not accepted or credited already are left out. The caller posts the
/// transfers in the same transaction.
pub async fn claim_credits(tx: &mut Tx, tenant_id: &str, ids: &[String], at: i64) -> Result<Vec<Claim>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!(
            "update trips set credited_at = $1, paid_points = points \
             where tenant_id = $2 and id in ({}) and credited_at is null and status = ",
            status_sql!(accepted),
            " returning id, participant_id, campaign_id, points"
        ),
        crate::list(3, ids.len())
    );
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query = sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(sql)).persistent(false).bind(at).bind(tenant_id);
    for id in ids {
        query = query.bind(id);
    }
    let mut claims = query.fetch_all(&mut **tx).await?;
    claims.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(claims)
}

/// Records that the ledger paid a claimed trip `paid` points, less than it
/// earned, because the campaign budget ran short. The decision stays as
/// scoring wrote it: the shortfall is the ledger's fact.
pub async fn pay_less(tx: &mut Tx, tenant_id: &str, id: &str, paid: i64) -> Result<(), StoreError> {
    sqlx::query("update trips set paid_points = $1 where tenant_id = $2 and id = $3")
        .bind(paid)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A participant's earlier counted ride (accepted or under review), for caps and overlaps.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CountedRide {
    /// Who rode.
    pub participant_id: String,
    /// The campaign it counts in.
    pub campaign_id: String,
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
    pub points_in_campaign: HashMap<(String, String), i64>,
    /// Balance of each budget account asked for (left out when it does not exist).
    pub budgets: HashMap<String, i64>,
}

/// Where the rows of [`decision_inputs`] come from.
#[derive(sqlx::FromRow)]
struct InputRow {
    part: String,
    id: String,
    participant_id: String,
    campaign_id: String,
    started_at: i64,
    ended_at: i64,
    points: i64,
}

/// Reads the [`DecisionInputs`] of a batch in one statement: the counted
/// rides of `participants` that ended at or after `since`, their campaign
/// totals and the balances of `budget_accounts`.
pub async fn decision_inputs(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    participants: &[&str],
    since: i64,
    budget_accounts: &[&str],
) -> Result<DecisionInputs, StoreError> {
    let mut inputs = DecisionInputs::default();
    if participants.is_empty() {
        return Ok(inputs);
    }
    let who = crate::list(3, participants.len());
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
        let accounts = crate::list(3 + participants.len(), budget_accounts.len());
        sql.push_str(&format!(
            " union all select 'budget', id, '', '', 0, 0, balance from accounts where tenant_id = $1 and id in ({accounts})"
        ));
    }
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query =
        sqlx::query_as::<_, InputRow>(sqlx::AssertSqlSafe(sql)).persistent(false).bind(tenant_id).bind(since);
    for key in participants.iter().chain(budget_accounts) {
        query = query.bind(*key);
    }
    for row in query.fetch_all(executor).await? {
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
    pub trip_id: String,
    /// Who submitted it.
    pub participant_id: String,
    /// The coarse area cell it is indexed under.
    pub area_cell: i64,
    /// The fingerprint in the scoring library's binary form.
    pub fingerprint: Vec<u8>,
}

/// Which earlier fingerprints a batch of rides is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaySearch<'a> {
    /// The rides' tenant.
    pub tenant_id: &'a str,
    /// Who rode them: each one's own latest rides are read, wherever they were made.
    pub participants: &'a [&'a str],
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
/// others). Each participant and each cell is one backward range of an
/// index, so the cost does not grow with the number of rides ever made.
pub async fn earlier_fingerprints(
    executor: impl sqlx::AnyExecutor<'_>,
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
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).persistent(false).bind(search.tenant_id);
    if !search.participants.is_empty() {
        query = query.bind(search.own_limit);
        for participant in search.participants {
            query = query.bind(*participant);
        }
    }
    if !search.cells.is_empty() {
        query = query.bind(search.cell_limit);
        for cell in search.cells {
            query = query.bind(*cell);
        }
    }
    Ok(query.fetch_all(executor).await?)
}

/// A trip stuck before its next step: still `pending` (waiting for a
/// decision), or `accepted` without its credit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StuckTrip {
    /// Owning tenant.
    pub tenant_id: String,
    /// The trip.
    pub id: String,
    /// `Pending` (waiting for scoring) or `Accepted` (waiting for the ledger).
    pub status: TripStatus,
}

/// Trips that reached their current step before `cutoff` and have not moved
/// on: their event may have been lost (e.g. a Redis restart) and is
/// published again. Both halves read a partial index of waiting trips only.
pub async fn stuck(
    executor: impl sqlx::AnyExecutor<'_>,
    cutoff: i64,
    limit: i64,
) -> Result<Vec<StuckTrip>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "select tenant_id, id, status from trips where status = ",
        status_sql!(pending),
        " and submitted_at < $1 union all select tenant_id, id, status from trips where status = ",
        status_sql!(accepted),
        " and credited_at is null and decided_at < $1 limit $2"
    ))
    .bind(cutoff)
    .bind(limit)
    .fetch_all(executor)
    .await?)
}
