//! What-if simulations: their rows (progress, result) and what they read —
//! a campaign's rides whose traces are still kept, in the order they
//! started, and the history before them.

use std::collections::HashMap;

use crate::ids::{CampaignId, ParticipantId, SchoolId, SimulationId, StaffId, TenantId, TripId};
use crate::trips::{CountedRide, TripWithTrace, trip_columns};
use crate::{Store, StoreError, status_sql};

/// Where a simulation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SimulationStatus {
    /// Re-judging rides.
    Running,
    /// Finished: the result is there.
    Done,
    /// Stopped by an error (or by its process stopping): start it again.
    Failed,
}

impl SimulationStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

impl TryFrom<String> for SimulationStatus {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        [Self::Running, Self::Done, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| format!("{name:?} is not a simulation status"))
    }
}

/// A simulation as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Simulation {
    /// Its council.
    pub tenant_id: TenantId,
    /// Its id.
    pub id: SimulationId,
    /// The campaign whose rides it re-judges.
    pub campaign_id: CampaignId,
    /// Who asked for it.
    pub requested_by: StaffId,
    /// The draft rules (a campaign file).
    pub spec: String,
    /// Days of rides re-judged.
    pub days: i64,
    /// Rides started at or after this time (ms since epoch) are re-judged.
    pub since: i64,
    /// Where it is.
    #[sqlx(try_from = "String")]
    pub status: SimulationStatus,
    /// Rides re-judged so far.
    pub done: i64,
    /// Rides to re-judge.
    pub total: i64,
    /// The result (JSON), once done.
    pub result: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was asked for (ms since epoch).
    pub created_at: i64,
    /// When it last made progress (ms since epoch).
    pub heartbeat_at: i64,
    /// When it finished or failed (ms since epoch).
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "tenant_id, id, campaign_id, requested_by, spec, days, since, status, done, total, result, error, \
                       created_at, heartbeat_at, finished_at";

/// A simulation to start.
#[derive(Debug, Clone, Copy)]
pub struct NewSimulation<'a> {
    /// Its council.
    pub tenant_id: &'a TenantId,
    /// The campaign.
    pub campaign_id: &'a CampaignId,
    /// Who asks.
    pub requested_by: &'a StaffId,
    /// The draft rules.
    pub spec: &'a str,
    /// Days of rides.
    pub days: i64,
    /// Rides started at or after this time are re-judged.
    pub since: i64,
    /// When (ms since epoch).
    pub at: i64,
}

/// Stores a new running simulation with the number of rides it will re-judge.
pub async fn create(store: &Store, new: &NewSimulation<'_>) -> Result<Simulation, StoreError> {
    let total = count_kept(store, new.tenant_id, new.campaign_id, new.since).await?;
    let sql = format!(
        "insert into simulations (tenant_id, id, campaign_id, requested_by, spec, days, since, status, total, \
         created_at, heartbeat_at) values ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9, $9) returning {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(new.tenant_id)
        .bind(SimulationId::new())
        .bind(new.campaign_id)
        .bind(new.requested_by)
        .bind(new.spec)
        .bind(new.days)
        .bind(new.since)
        .bind(total)
        .bind(new.at)
        .fetch_one(store.writer())
        .await?)
}

/// A simulation of a tenant's campaign.
pub async fn get(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    id: &SimulationId,
) -> Result<Option<Simulation>, StoreError> {
    let sql = format!("select {COLUMNS} from simulations where tenant_id = $1 and campaign_id = $2 and id = $3");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}

/// Records how many rides a running simulation has re-judged.
pub async fn progress(store: &Store, simulation: &Simulation, done: i64, at: i64) -> Result<(), StoreError> {
    sqlx::query("update simulations set done = $1, heartbeat_at = $2 where tenant_id = $3 and id = $4")
        .bind(done)
        .bind(at)
        .bind(&simulation.tenant_id)
        .bind(&simulation.id)
        .execute(store.writer())
        .await?;
    Ok(())
}

/// Ends a simulation: done with its result, or failed with the reason.
pub async fn finish(
    store: &Store,
    simulation: &Simulation,
    outcome: Result<&str, &str>,
    done: i64,
    at: i64,
) -> Result<(), StoreError> {
    let (status, result, error) = match outcome {
        Ok(result) => (SimulationStatus::Done, Some(result), None),
        Err(error) => (SimulationStatus::Failed, None, Some(error)),
    };
    sqlx::query(
        "update simulations set status = $1, result = $2, error = $3, done = $4, heartbeat_at = $5, finished_at = $5 \
         where tenant_id = $6 and id = $7",
    )
    .bind(status.as_str())
    .bind(result)
    .bind(error)
    .bind(done)
    .bind(at)
    .bind(&simulation.tenant_id)
    .bind(&simulation.id)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// The rides a simulation re-judges: decided, of the campaign, started at or
/// after `since`, their traces still kept.
const KEPT: &str = concat!(
    "from trips join trip_traces using (tenant_id) where tenant_id = $1 and campaign_id = $2 and started_at >= $3 \
     and trip_id = id and status <> ",
    status_sql!(pending)
);

/// How many rides a simulation from `since` re-judges.
async fn count_kept(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    since: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) {KEPT}")))
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(since)
        .fetch_one(store.reader())
        .await?)
}

/// A ride to re-judge, with its trace and its rider's school.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KeptRide {
    /// The trip and its trace.
    #[sqlx(flatten)]
    pub stored: TripWithTrace,
    /// The school of the class it was decided in.
    pub school_id: Option<SchoolId>,
}

/// The next `limit` rides to re-judge after `after` (the start and id of the
/// last one read), in the order they started.
pub async fn kept_rides(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    since: i64,
    after: Option<(i64, &TripId)>,
    limit: i64,
) -> Result<Vec<KeptRide>, StoreError> {
    let sql = format!(
        concat!(
            "select ",
            trip_columns!(),
            ", format, trace, (select c.school_id from classes c where c.tenant_id = trips.tenant_id \
             and c.id = trips.class_id) as school_id {} and (started_at > $4 or (started_at = $4 and id > $5)) \
             order by started_at, id limit $6"
        ),
        KEPT
    );
    let (started_at, id) = after.map_or((i64::MIN, ""), |(t, id)| (t, id.as_str()));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(since)
        .bind(started_at)
        .bind(id)
        .bind(limit)
        .fetch_all(store.reader())
        .await?)
}

/// What the rides before a simulation's window (and those in it whose traces
/// are gone, which keep their decisions) leave for the rides it re-judges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Before {
    /// Counted rides (accepted or in review) that ended at or after the history's start.
    pub recent_rides: Vec<CountedRide>,
    /// Accepted points per participant.
    pub points_in_campaign: HashMap<ParticipantId, i64>,
    /// Points paid for the rides the simulation re-judges: back in the budget it starts from.
    pub paid_for_rejudged: i64,
}

/// Where the rows of [`before`] come from.
#[derive(sqlx::FromRow)]
struct BeforeRow {
    part: String,
    participant_id: ParticipantId,
    started_at: i64,
    ended_at: i64,
    points: i64,
}

/// What stays of a campaign's history when its rides from `since` (with
/// traces) are re-judged: its counted rides ending at or after `history_since`.
pub async fn before(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    history_since: i64,
    since: i64,
) -> Result<Before, StoreError> {
    let stays = "(started_at < $3 or not exists (select 1 from trip_traces t \
                 where t.tenant_id = trips.tenant_id and t.trip_id = trips.id))";
    let sql = format!(
        concat!(
            "select 'ride' as part, participant_id, started_at, ended_at, points from trips \
             where tenant_id = $1 and campaign_id = $2 and ended_at >= $4 and {stays} and status in (",
            status_sql!(accepted),
            ", ",
            status_sql!(review),
            ") union all select 'campaign', participant_id, 0, 0, cast(sum(coalesce(paid_points, points)) as bigint) \
             from trips where tenant_id = $1 and campaign_id = $2 and {stays} and status = ",
            status_sql!(accepted),
            " group by participant_id \
             union all select 'paid', '', 0, 0, cast(coalesce(sum(paid_points), 0) as bigint) from trips \
             where tenant_id = $1 and campaign_id = $2 and not {stays} and paid_points is not null"
        ),
        stays = stays
    );
    let rows: Vec<BeforeRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(since)
        .bind(history_since)
        .fetch_all(store.reader())
        .await?;
    let mut before = Before::default();
    for row in rows {
        match row.part.as_str() {
            "ride" => before.recent_rides.push(CountedRide {
                participant_id: row.participant_id,
                campaign_id: campaign_id.clone(),
                started_at: row.started_at,
                ended_at: row.ended_at,
                points: row.points,
            }),
            "campaign" => {
                before.points_in_campaign.insert(row.participant_id, row.points);
            }
            _ => before.paid_for_rejudged = row.points,
        }
    }
    Ok(before)
}
