//! Trips: submissions (OSLO *Bewijslevering*) and their decisions.
//!
//! A trip is inserted once per (participant, idempotency key); a retry finds
//! the stored row and the caller compares body hashes. The decision is written
//! once ([`record_decision`] only moves a trip out of `pending`), and the
//! credit once ([`claim_credit`]), so redelivered events change nothing.

use crate::{Backend, Store, StoreError, Tx, new_id, now_ms, outbox};

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
    /// `pending`, `accepted`, `rejected` or `review`.
    pub status: String,
    /// Points decided (and credited once `credited_at` is set).
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
}

/// Every column of a trip row (the trace lives in `trip_traces`), as a literal for `concat!`.
macro_rules! trip_columns {
    () => {
        "tenant_id, id, participant_id, campaign_id, body_hash, status, points, distance_m, duration_s, \
         decision, submitted_at, started_at, ended_at, decided_at, credited_at"
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
}

/// The insert of a new trip, binding `$1`–`$9` with [`bind_new_trip`] and
/// returning every column (nothing when the idempotency key was used), as a
/// literal for `concat!`.
macro_rules! insert_trip {
    () => {
        concat!(
            "insert into trips (tenant_id, id, participant_id, campaign_id, idempotency_key, body_hash, \
                                submitted_at, started_at, ended_at, status, points) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0) \
             on conflict (tenant_id, participant_id, idempotency_key) do nothing \
             returning ",
            trip_columns!()
        )
    };
}

/// A query returning trips, as sqlx's `Any` driver builds it.
type TripQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Any, Trip, sqlx::any::AnyArguments>;

/// Binds the parameters of [`insert_trip!`].
fn bind_new_trip<'q>(query: TripQuery<'q>, trip: &'q NewTrip) -> TripQuery<'q> {
    query
        .bind(&trip.tenant_id)
        .bind(&trip.id)
        .bind(&trip.participant_id)
        .bind(&trip.campaign_id)
        .bind(&trip.idempotency_key)
        .bind(&trip.body_hash)
        .bind(trip.submitted_at)
        .bind(trip.started_at)
        .bind(trip.ended_at)
}

/// Stores a submission and its trace unless the participant already used its idempotency key.
pub async fn insert(tx: &mut Tx, trip: &NewTrip) -> Result<Inserted, StoreError> {
    let inserted = bind_new_trip(sqlx::query_as(insert_trip!()), trip).fetch_optional(&mut **tx).await?;
    if let Some(stored) = inserted {
        sqlx::query("insert into trip_traces (tenant_id, trip_id, format, trace) values ($1, $2, $3, $4)")
            .bind(&trip.tenant_id)
            .bind(&trip.id)
            .bind(&trip.trace_format)
            .bind(&trip.trace)
            .execute(&mut **tx)
            .await?;
        return Ok(Inserted::New(stored));
    }
    Ok(Inserted::Existing(with_key(&mut **tx, trip).await?))
}

/// The trip stored earlier under `trip`'s idempotency key.
async fn with_key(executor: impl sqlx::AnyExecutor<'_>, trip: &NewTrip) -> Result<Trip, StoreError> {
    Ok(sqlx::query_as(select_trips!("where tenant_id = $1 and participant_id = $2 and idempotency_key = $3"))
        .bind(&trip.tenant_id)
        .bind(&trip.participant_id)
        .bind(&trip.idempotency_key)
        .fetch_one(executor)
        .await?)
}

/// Stores a submission, its trace and the outbox event announcing it on
/// `topic`, all or nothing, unless the participant already used its
/// idempotency key (then nothing is written and the earlier trip returned).
///
/// This is the busiest write of a school morning. On PostgreSQL it is one
/// statement (data-modifying `with` clauses): one round trip instead of five
/// (`begin`, three inserts, `commit`). SQLite has neither such clauses nor
/// round trips to save: there it is one transaction of [`insert`] and
/// [`outbox::enqueue`].
pub async fn submit(store: &Store, trip: &NewTrip, topic: &str, payload: &str) -> Result<Inserted, StoreError> {
    if store.backend() == Backend::Sqlite {
        let mut tx = store.begin().await?;
        let inserted = insert(&mut tx, trip).await?;
        if matches!(inserted, Inserted::New(_)) {
            outbox::enqueue(&mut tx, &trip.tenant_id, topic, payload).await?;
            tx.commit().await?;
        }
        return Ok(inserted);
    }
    let with_trace_and_event = concat!(
        "with trip as (",
        insert_trip!(),
        "), trace as (\
           insert into trip_traces (tenant_id, trip_id, format, trace) select tenant_id, id, $10, $11 from trip\
         ), event as (\
           insert into outbox (tenant_id, id, topic, payload, created_at) select tenant_id, $12, $13, $14, $15 from trip\
         ) select ",
        trip_columns!(),
        " from trip"
    );
    let inserted = bind_new_trip(sqlx::query_as(with_trace_and_event), trip)
        .bind(&trip.trace_format)
        .bind(&trip.trace)
        .bind(new_id())
        .bind(topic)
        .bind(payload)
        .bind(now_ms())
        .fetch_optional(store.writer())
        .await?;
    Ok(match inserted {
        Some(stored) => Inserted::New(stored),
        None => Inserted::Existing(with_key(store.pool(), trip).await?),
    })
}

/// One trip of a tenant.
pub async fn get(executor: impl sqlx::AnyExecutor<'_>, tenant_id: &str, id: &str) -> Result<Option<Trip>, StoreError> {
    Ok(sqlx::query_as(select_trips!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(executor)
        .await?)
}

/// The trips among `ids` of a tenant that are settled: decided and, when
/// accepted, credited (unknown and unsettled ids are left out, in no particular order).
pub async fn settled_among(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<Trip>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (2..ids.len() + 2).map(|n| format!("${n}")).collect::<Vec<_>>().join(",");
    let sql = format!(
        select_trips!(
            "where tenant_id = $1 and id in ({}) \
             and status <> 'pending' and (status <> 'accepted' or credited_at is not null)"
        ),
        placeholders
    );
    // Unprepared (see the crate docs on dynamic SQL).
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).persistent(false).bind(tenant_id);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(executor).await?)
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

/// One trip of a tenant with its trace.
pub async fn with_trace(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<TripWithTrace>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "select ",
        trip_columns!(),
        ", format, trace from trips join trip_traces using (tenant_id) \
         where tenant_id = $1 and id = $2 and trip_id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(executor)
    .await?)
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord<'a> {
    /// `accepted`, `rejected` or `review`.
    pub status: &'a str,
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

/// Records the decision of a pending trip and indexes its fingerprint; false
/// when it was already decided.
pub async fn record_decision(
    tx: &mut Tx,
    tenant_id: &str,
    id: &str,
    decision: &DecisionRecord<'_>,
) -> Result<bool, StoreError> {
    let updated: Option<(String,)> = sqlx::query_as(
        "update trips set status = $1, points = $2, distance_m = $3, duration_s = $4, decision = $5, decided_at = $6 \
         where tenant_id = $7 and id = $8 and status = 'pending' \
         returning participant_id",
    )
    .bind(decision.status)
    .bind(decision.points)
    .bind(decision.distance_m)
    .bind(decision.duration_s)
    .bind(decision.decision_json)
    .bind(decision.decided_at)
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((participant_id,)) = updated else { return Ok(false) };
    if let Some(fingerprint) = decision.fingerprint {
        sqlx::query(
            "insert into trip_fingerprints (tenant_id, trip_id, participant_id, area_cell, fingerprint) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(participant_id)
        .bind(fingerprint.area_cell)
        .bind(fingerprint.bytes)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

/// What the ledger needs to credit a trip.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claim {
    /// Who gets the reward.
    pub participant_id: String,
    /// Whose budget pays it.
    pub campaign_id: String,
    /// Points decided.
    pub points: i64,
    /// The decision as JSON.
    pub decision: Option<String>,
}

/// Marks an accepted trip as credited (at `at`) and returns what to pay, in
/// one statement; `None` when the trip is not accepted or was credited
/// already. The caller posts the transfer in the same transaction.
pub async fn claim_credit(tx: &mut Tx, tenant_id: &str, id: &str, at: i64) -> Result<Option<Claim>, StoreError> {
    Ok(sqlx::query_as(
        "update trips set credited_at = $1 \
         where tenant_id = $2 and id = $3 and credited_at is null and status = 'accepted' \
         returning participant_id, campaign_id, points, decision",
    )
    .bind(at)
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Lowers a claimed trip's points to what the budget could still pay, with
/// the decision that says so.
pub async fn cut_reward(
    tx: &mut Tx,
    tenant_id: &str,
    id: &str,
    points: i64,
    decision_json: &str,
) -> Result<(), StoreError> {
    sqlx::query("update trips set points = $1, decision = $2 where tenant_id = $3 and id = $4")
        .bind(points)
        .bind(decision_json)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A participant's earlier counted ride, for caps and overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct CountedRide {
    /// First fix (ms since epoch).
    pub started_at: i64,
    /// Last fix (ms since epoch).
    pub ended_at: i64,
    /// Points.
    pub points: i64,
}

/// What a decision needs to know besides the ride itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecisionInputs {
    /// The participant's accepted or under-review rides in the campaign that
    /// ended after the window start, this trip excluded (caps and overlaps).
    pub recent_rides: Vec<CountedRide>,
    /// Points of the participant's accepted rides in the campaign.
    pub points_in_campaign: i64,
    /// Balance of the campaign's budget account (0 when it does not exist).
    pub budget: i64,
}

/// Where the rows of [`decision_inputs`] come from.
#[derive(sqlx::FromRow)]
struct InputRow {
    part: String,
    started_at: i64,
    ended_at: i64,
    points: i64,
}

/// Reads the [`DecisionInputs`] of a trip in one statement: the recent rides
/// since `since`, the campaign total and the budget of `budget_account`.
pub async fn decision_inputs(
    executor: impl sqlx::AnyExecutor<'_>,
    trip: &Trip,
    since: i64,
    budget_account: &str,
) -> Result<DecisionInputs, StoreError> {
    let rows: Vec<InputRow> = sqlx::query_as(
        "select 'ride' as part, started_at, ended_at, points from trips \
         where tenant_id = $1 and participant_id = $2 and campaign_id = $3 and ended_at >= $4 and id <> $5 \
           and status in ('accepted', 'review') \
         union all \
         select 'campaign', 0, 0, cast(coalesce(sum(points), 0) as bigint) from trips \
         where tenant_id = $1 and participant_id = $2 and campaign_id = $3 and status = 'accepted' \
         union all \
         select 'budget', 0, 0, balance from accounts where tenant_id = $1 and id = $6",
    )
    .bind(&trip.tenant_id)
    .bind(&trip.participant_id)
    .bind(&trip.campaign_id)
    .bind(since)
    .bind(&trip.id)
    .bind(budget_account)
    .fetch_all(executor)
    .await?;
    let mut inputs = DecisionInputs::default();
    for row in rows {
        match row.part.as_str() {
            "ride" => inputs.recent_rides.push(CountedRide {
                started_at: row.started_at,
                ended_at: row.ended_at,
                points: row.points,
            }),
            "campaign" => inputs.points_in_campaign = row.points,
            _ => inputs.budget = row.points,
        }
    }
    Ok(inputs)
}

/// An earlier trace's fingerprint and who made it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EarlierFingerprint {
    /// Who submitted it.
    pub participant_id: String,
    /// The fingerprint in the scoring library's binary form.
    pub fingerprint: Vec<u8>,
}

/// Which earlier fingerprints a ride is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaySearch<'a> {
    /// The ride's tenant.
    pub tenant_id: &'a str,
    /// Who rode it.
    pub participant_id: &'a str,
    /// The ride itself (left out of its own candidates).
    pub trip_id: &'a str,
    /// The area cells an earlier copy would be indexed under (a handful).
    pub cells: &'a [i64],
    /// Most of the participant's own latest rides, wherever they were made.
    pub own_limit: i64,
    /// Most of the latest rides of others that started in `cells`.
    pub others_limit: i64,
}

/// The fingerprints a ride is compared with, in one statement: the
/// participant's own latest rides (by participant, wherever they started)
/// and the latest rides of others in the nearby cells. Each cell is one
/// backward range of the `trip_fingerprints` key, so the cost does not grow
/// with the number of rides ever made in the area.
pub async fn earlier_fingerprints(
    executor: impl sqlx::AnyExecutor<'_>,
    search: &ReplaySearch<'_>,
) -> Result<Vec<EarlierFingerprint>, StoreError> {
    let own = "select participant_id, fingerprint from (select participant_id, fingerprint from trip_fingerprints \
               where tenant_id = $1 and participant_id = $2 and trip_id <> $3 order by trip_id desc limit $4) as own";
    // The cells are bound as parameters; their number (at most nine) gives
    // the statement its shape, so the few shapes stay prepared.
    let per_cell = (0..search.cells.len())
        .map(|n| {
            format!(
                "select * from (select trip_id, participant_id, fingerprint from trip_fingerprints \
                 where tenant_id = $1 and area_cell = ${} and participant_id <> $2 \
                 order by trip_id desc limit $5) as c{n}",
                n + 6
            )
        })
        .collect::<Vec<_>>();
    let mut query = if per_cell.is_empty() {
        sqlx::query_as(sqlx::AssertSqlSafe(own.to_owned()))
    } else {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{own} union all select participant_id, fingerprint from \
             (select * from ({}) as nearby order by trip_id desc limit $5) as others",
            per_cell.join(" union all ")
        )))
    }
    .bind(search.tenant_id)
    .bind(search.participant_id)
    .bind(search.trip_id)
    .bind(search.own_limit);
    if !search.cells.is_empty() {
        query = query.bind(search.others_limit);
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
    /// `pending` or `accepted`.
    pub status: String,
}

/// Trips that reached their current step before `cutoff` and have not moved
/// on: their event may have been lost (e.g. a Redis restart) and is
/// published again. Both halves read a partial index of waiting trips only.
pub async fn stuck(
    executor: impl sqlx::AnyExecutor<'_>,
    cutoff: i64,
    limit: i64,
) -> Result<Vec<StuckTrip>, StoreError> {
    Ok(sqlx::query_as(
        "select tenant_id, id, status from trips where status = 'pending' and submitted_at < $1 \
         union all \
         select tenant_id, id, status from trips where status = 'accepted' and credited_at is null and decided_at < $1 \
         limit $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(executor)
    .await?)
}
