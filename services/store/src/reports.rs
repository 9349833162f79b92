//! Reports: what a campaign's rides add up to, per local day, school and
//! class, kept up to date in the transactions that change it.
//!
//! Every move of a ride is counted where it happens: scoring's decision
//! ([`record_decisions`](crate::trips::record_decisions)), a reviewer's
//! verdict and an accepted appeal ([`reviews`](crate::reviews)), the
//! ledger's payment ([`credit`](crate::trips::claim_credits)). Each adds a
//! [`Tally`] of its rides to the aggregates in the same transaction, so a
//! report is exactly the sum of what committed and reads one range of rows
//! whatever the number of rides. A ride is counted on the local day it
//! started (in the campaign's time zone) three times: on its class's row, its
//! school's (class [`ALL`]) and its campaign's (school and class [`ALL`]),
//! with the class and school its rider was in when it was decided. Rides
//! decided before the aggregates existed are counted late ([`count_late`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use smartville_scoring::{Effect, Reason};

use crate::ids::{CampaignId, ClassId, ParticipantId, SchoolId, TenantId, TripId};
use crate::lifecycle::TripStatus;
use crate::sql::{self, BindAll};
use crate::{Backend, Store, StoreError, Tx};

/// The columns of `report_days` that add up, in the order of [`DayFigures::counters`].
const COUNTERS: [&str; 9] = [
    "riders_new_in_day",
    "riders_new_in_week",
    "riders_new_in_campaign",
    "accepted",
    "rejected",
    "review",
    "distance_m",
    "points",
    "paid_points",
];

/// What happened to a ride.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Scoring decided it: it joins the counts in its state.
    Decided,
    /// A person moved it from `from` to its state now (a review, an appeal).
    Moved {
        /// Its state before.
        from: TripStatus,
    },
    /// The ledger paid this many points for it (negative: took back part of a claim).
    Paid(i64),
}

/// Where a ride is counted: its campaign, local day, school and class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its rider's school.
    pub school_id: SchoolId,
    /// Its rider's class.
    pub class_id: ClassId,
    /// The local date of its start, days since 1970-01-01.
    pub day: i64,
}

/// The school and class of the rows that sum a school's classes, or the campaign's schools.
pub const ALL: &str = "*";

impl Place {
    /// The rows a ride here counts on: its class's, its school's and its campaign's.
    fn with_sums(&self) -> [Place; 3] {
        let school = Place { class_id: ClassId::from(ALL), ..self.clone() };
        let campaign = Place { school_id: SchoolId::from(ALL), ..school.clone() };
        [self.clone(), school, campaign]
    }
}

/// A ride as the aggregates see it: where it counts and its figures in its current state.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedRide<'a> {
    /// Where it counts.
    pub place: Place,
    /// Who rode it.
    pub participant_id: &'a ParticipantId,
    /// Its state now.
    pub status: TripStatus,
    /// Metres ridden.
    pub distance_m: i64,
    /// Points decided.
    pub points: i64,
    /// The reasons scoring gave.
    pub reasons: &'a [Reason],
    /// The H3 cells it passed through, its ends spared.
    pub cells: &'a [i64],
}

/// Figures of one report row: a day (or a sum of days) of a place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DayFigures {
    /// Participants whose first accepted ride of the day is on this day.
    pub riders_new_in_day: i64,
    /// Participants whose first accepted ride of the week (Monday to Sunday) is on this day.
    pub riders_new_in_week: i64,
    /// Participants whose first accepted ride in the campaign is on this day.
    pub riders_new_in_campaign: i64,
    /// Rides accepted.
    pub accepted: i64,
    /// Rides rejected.
    pub rejected: i64,
    /// Rides waiting for a reviewer.
    pub review: i64,
    /// Metres ridden on accepted rides.
    pub distance_m: i64,
    /// Points decided for accepted rides.
    pub points: i64,
    /// Points the ledger paid.
    pub paid_points: i64,
}

impl DayFigures {
    /// The ride count of a state (pending rides are not counted).
    fn rides_mut(&mut self, status: TripStatus) -> Option<&mut i64> {
        match status {
            TripStatus::Accepted => Some(&mut self.accepted),
            TripStatus::Rejected => Some(&mut self.rejected),
            TripStatus::Review => Some(&mut self.review),
            TripStatus::Pending => None,
        }
    }

    /// The figures, in the order of [`COUNTERS`].
    fn counters(&self) -> [i64; 9] {
        [
            self.riders_new_in_day,
            self.riders_new_in_week,
            self.riders_new_in_campaign,
            self.accepted,
            self.rejected,
            self.review,
            self.distance_m,
            self.points,
            self.paid_points,
        ]
    }

    /// Adds `other` to these figures.
    pub fn add(&mut self, other: &Self) {
        self.riders_new_in_day += other.riders_new_in_day;
        self.riders_new_in_week += other.riders_new_in_week;
        self.riders_new_in_campaign += other.riders_new_in_campaign;
        self.accepted += other.accepted;
        self.rejected += other.rejected;
        self.review += other.review;
        self.distance_m += other.distance_m;
        self.points += other.points;
        self.paid_points += other.paid_points;
    }
}

/// Rides rejected and in review for one reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReasonFigures {
    /// Rides rejected for it.
    pub rejected: i64,
    /// Rides in review for it.
    pub review: i64,
}

impl ReasonFigures {
    /// Adds `other` to these figures.
    fn add(&mut self, other: &Self) {
        self.rejected += other.rejected;
        self.review += other.review;
    }

    /// The count of a state that reasons are counted in.
    fn rides_mut(&mut self, status: TripStatus) -> Option<&mut i64> {
        match status {
            TripStatus::Rejected => Some(&mut self.rejected),
            TripStatus::Review => Some(&mut self.review),
            TripStatus::Pending | TripStatus::Accepted => None,
        }
    }
}

/// The reasons a ride in `status` is counted under: a rejected ride's
/// rejecting reasons (a ride a reviewer rejected: the doubts that sent it to
/// review), a ride in review's doubts, none for other states.
pub fn reasons_in(status: TripStatus, reasons: &[Reason]) -> impl Iterator<Item = &'static str> + '_ {
    let rejecting = reasons.iter().any(|r| r.effect == Effect::Reject);
    let effect = match status {
        TripStatus::Rejected if rejecting => Some(Effect::Reject),
        TripStatus::Rejected | TripStatus::Review => Some(Effect::Review),
        TripStatus::Pending | TripStatus::Accepted => None,
    };
    reasons.iter().filter(move |r| Some(r.effect) == effect).map(|r| r.code.as_str())
}

/// The periods in which a participant is counted once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Period {
    Day,
    Week,
    Campaign,
}

impl Period {
    /// The stored name.
    const fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Campaign => "campaign",
        }
    }

    /// The period of a stored name.
    fn named(name: &str) -> Option<Self> {
        [Self::Day, Self::Week, Self::Campaign].into_iter().find(|p| p.as_str() == name)
    }
}

/// A participant's first ride of a period, counted once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RiderMark {
    campaign_id: CampaignId,
    participant_id: ParticipantId,
    period: Period,
    starts: i64,
}

/// Changes to the aggregates, summed per row before they are written.
#[derive(Debug, Default)]
pub struct Tally {
    days: BTreeMap<Place, DayFigures>,
    reasons: BTreeMap<(Place, &'static str), ReasonFigures>,
    /// Periods in which a participant had an accepted ride, with where its earliest one counts.
    riders: BTreeMap<RiderMark, Place>,
    /// Cells a participant rode an earning ride through.
    cells: BTreeSet<CellMark>,
}

/// A participant who rode through a cell in a campaign, counted once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CellMark {
    campaign_id: CampaignId,
    cell: i64,
    participant_id: ParticipantId,
}

/// The first day (a Monday) of the week of `day` (days since 1970-01-01, a Thursday).
pub fn week_of(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

impl Tally {
    /// Counts `change` of `ride` (whose figures are those after the change)
    /// on its class's, school's and campaign's rows.
    pub fn count(&mut self, ride: &CountedRide<'_>, change: Change) {
        let mut figures = DayFigures::default();
        let mut reasons: Vec<(&'static str, ReasonFigures)> = Vec::new();
        let mut tally = |status: TripStatus, by: i64, figures: &mut DayFigures| {
            if let Some(count) = figures.rides_mut(status) {
                *count += by;
            }
            for reason in reasons_in(status, ride.reasons) {
                let mut row = ReasonFigures::default();
                if let Some(count) = row.rides_mut(status) {
                    *count += by;
                    reasons.push((reason, row));
                }
            }
        };
        let entered = match change {
            Change::Paid(points) => {
                figures.paid_points = points;
                false
            }
            Change::Decided => true,
            Change::Moved { from } => {
                tally(from, -1, &mut figures);
                from != ride.status
            }
        };
        if entered {
            tally(ride.status, 1, &mut figures);
            if ride.status.earns_points() {
                figures.distance_m = ride.distance_m;
                figures.points = ride.points;
                self.mark_rider(ride);
                self.cells.extend(ride.cells.iter().map(|&cell| CellMark {
                    campaign_id: ride.place.campaign_id.clone(),
                    cell,
                    participant_id: ride.participant_id.clone(),
                }));
            }
        }
        for place in ride.place.with_sums() {
            for (reason, row) in &reasons {
                self.reasons.entry((place.clone(), *reason)).or_default().add(row);
            }
            self.days.entry(place).or_default().add(&figures);
        }
    }

    /// Notes that the ride's participant rode (accepted) on its day, in its week and in its campaign.
    fn mark_rider(&mut self, ride: &CountedRide<'_>) {
        let day = ride.place.day;
        for (period, starts) in [(Period::Day, day), (Period::Week, week_of(day)), (Period::Campaign, 0)] {
            let mark = RiderMark {
                campaign_id: ride.place.campaign_id.clone(),
                participant_id: ride.participant_id.clone(),
                period,
                starts,
            };
            let place = self.riders.entry(mark).or_insert_with(|| ride.place.clone());
            if ride.place.day < place.day {
                *place = ride.place.clone();
            }
        }
    }

    /// Adds the tally to a tenant's aggregates: participants new in a period
    /// are those whose mark was not there yet. Rows are written in key order,
    /// so concurrent transactions take their locks in the same order.
    pub async fn write(mut self, tx: &mut Tx, tenant_id: &TenantId) -> Result<(), StoreError> {
        let riders = std::mem::take(&mut self.riders);
        let marks: Vec<&RiderMark> = riders.keys().collect();
        for chunk in marks.chunks(sql::per_statement(Backend::of(tx), 0, 5)) {
            let sql = format!(
                "insert into report_riders (tenant_id, campaign_id, participant_id, period, starts) values {} \
                 on conflict do nothing returning campaign_id, participant_id, period, starts",
                sql::rows(1, chunk.len(), 5)
            );
            let mut query = sql::query_as::<(CampaignId, ParticipantId, String, i64)>(sql);
            for mark in chunk {
                query = query
                    .bind(tenant_id)
                    .bind(&mark.campaign_id)
                    .bind(&mark.participant_id)
                    .bind(mark.period.as_str())
                    .bind(mark.starts);
            }
            for (campaign_id, participant_id, period, starts) in query.fetch_all(&mut **tx).await? {
                let Some(period) = Period::named(&period) else { continue };
                let mark = RiderMark { campaign_id, participant_id, period, starts };
                let Some(place) = riders.get(&mark) else { continue };
                let mut figures = DayFigures::default();
                *match period {
                    Period::Day => &mut figures.riders_new_in_day,
                    Period::Week => &mut figures.riders_new_in_week,
                    Period::Campaign => &mut figures.riders_new_in_campaign,
                } = 1;
                for place in place.with_sums() {
                    self.days.entry(place).or_default().add(&figures);
                }
            }
        }
        let cells: Vec<&CellMark> = self.cells.iter().collect();
        for chunk in cells.chunks(sql::per_statement(Backend::of(tx), 0, 4)) {
            let sql = format!(
                "insert into report_cells (tenant_id, campaign_id, cell, participant_id) values {} on conflict do nothing",
                sql::rows(1, chunk.len(), 4)
            );
            let mut query = sql::query(sql);
            for mark in chunk {
                query = query.bind(tenant_id).bind(&mark.campaign_id).bind(mark.cell).bind(&mark.participant_id);
            }
            query.execute(&mut **tx).await?;
        }
        let days: Vec<(Place, DayFigures)> =
            self.days.into_iter().filter(|(_, f)| *f != DayFigures::default()).collect();
        for chunk in days.chunks(sql::per_statement(Backend::of(tx), 0, 5 + COUNTERS.len())) {
            let sql = format!(
                "insert into report_days (tenant_id, campaign_id, day, school_id, class_id, {}) values {} \
                 on conflict (tenant_id, campaign_id, school_id, class_id, day) do update set {}",
                COUNTERS.join(", "),
                sql::rows(1, chunk.len(), 5 + COUNTERS.len()),
                COUNTERS.map(|c| format!("{c} = report_days.{c} + excluded.{c}")).join(", ")
            );
            let mut query = sql::query(sql);
            for (place, figures) in chunk {
                query = bind_place(query.bind(tenant_id), place).bind_all(figures.counters());
            }
            query.execute(&mut **tx).await?;
        }
        let reasons: Vec<_> = self.reasons.into_iter().filter(|(_, f)| *f != ReasonFigures::default()).collect();
        for chunk in reasons.chunks(sql::per_statement(Backend::of(tx), 0, 8)) {
            let sql = format!(
                "insert into report_day_reasons (tenant_id, campaign_id, day, school_id, class_id, reason, rejected, review) \
                 values {} on conflict (tenant_id, campaign_id, school_id, class_id, day, reason) do update set \
                 rejected = report_day_reasons.rejected + excluded.rejected, review = report_day_reasons.review + excluded.review",
                sql::rows(1, chunk.len(), 8)
            );
            let mut query = sql::query(sql);
            for ((place, reason), f) in chunk {
                query = bind_place(query.bind(tenant_id), place).bind(*reason).bind(f.rejected).bind(f.review);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// Binds a place's four columns.
fn bind_place<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    place: &'q Place,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query.bind(&place.campaign_id).bind(place.day).bind(&place.school_id).bind(&place.class_id)
}

/// The columns of a trip that its counts read, as a `select` or a `returning` lists them.
macro_rules! counted_columns {
    () => {
        "id, participant_id, campaign_id, local_day, coalesce(school_id, '') as school_id, \
         coalesce(class_id, '') as class_id, status, points, coalesce(distance_m, 0) as distance_m, route_cells"
    };
}
pub(crate) use counted_columns;

/// A trip as its counts read it (see [`counted_columns`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CountedTrip {
    pub(crate) id: TripId,
    pub(crate) participant_id: ParticipantId,
    pub(crate) campaign_id: CampaignId,
    /// Set when it is decided: a trip decided before reports existed has none and is not counted.
    pub(crate) local_day: Option<i64>,
    pub(crate) school_id: SchoolId,
    pub(crate) class_id: ClassId,
    pub(crate) status: TripStatus,
    pub(crate) points: i64,
    pub(crate) distance_m: i64,
    /// The cells it passed through, as JSON (none for a ride decided before the heat map).
    pub(crate) route_cells: Option<String>,
}

/// The tally of changes of trips (as they are after the change, with their
/// decisions' reasons), for [`Tally::write`] in the caller's transaction.
pub(crate) fn tally_trips<'a>(changes: impl IntoIterator<Item = (&'a CountedTrip, Change, &'a [Reason])>) -> Tally {
    let mut tally = Tally::default();
    for (trip, change, reasons) in changes {
        let Some(day) = trip.local_day else { continue };
        // A payment never makes a ride start earning (see `Tally::count`): its cells are not read.
        let cells: Vec<i64> = match change {
            Change::Paid(_) => Vec::new(),
            Change::Decided | Change::Moved { .. } => {
                trip.route_cells.as_deref().and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default()
            }
        };
        let ride = CountedRide {
            place: Place {
                campaign_id: trip.campaign_id.clone(),
                school_id: trip.school_id.clone(),
                class_id: trip.class_id.clone(),
                day,
            },
            participant_id: &trip.participant_id,
            status: trip.status,
            distance_m: trip.distance_m,
            points: trip.points,
            reasons,
            cells: &cells,
        };
        tally.count(&ride, change);
    }
    tally
}

/// A trip with its stored decision, read for counting.
#[derive(sqlx::FromRow)]
struct TripWithDecision {
    #[sqlx(flatten)]
    trip: CountedTrip,
    decision: Option<String>,
}

/// The part of a stored decision that reports read.
#[derive(Deserialize)]
struct StoredReasons {
    reasons: Vec<Reason>,
}

/// The reasons of a stored decision (none while a trip is pending).
fn reasons_of(decision: Option<&str>) -> Result<Vec<Reason>, StoreError> {
    Ok(match decision {
        Some(json) => serde_json::from_str::<StoredReasons>(json)?.reasons,
        None => Vec::new(),
    })
}

/// Counts `changes` of a tenant's trips, read as they are now in the
/// caller's transaction (for the moves of single rides: a review, an appeal).
pub(crate) async fn count(tx: &mut Tx, tenant_id: &TenantId, changes: &[(&TripId, Change)]) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let sql = format!(
        concat!("select ", counted_columns!(), ", decision from trips where tenant_id = $1 and id in ({})"),
        sql::list(2, changes.len())
    );
    let rows: Vec<TripWithDecision> =
        sql::query_as(sql).bind(tenant_id).bind_all(changes.iter().map(|(id, _)| *id)).fetch_all(&mut **tx).await?;
    let read = rows
        .iter()
        .map(|row| Ok((&row.trip, reasons_of(row.decision.as_deref())?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let counted = changes.iter().flat_map(|(id, change)| {
        read.iter()
            .filter(move |(trip, _)| trip.id == **id)
            .map(move |(trip, reasons)| (*trip, *change, reasons.as_slice()))
    });
    tally_trips(counted).write(tx, tenant_id).await
}

/// A decided trip that is not in the reports yet: decided before they existed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Uncounted {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The trip.
    pub id: TripId,
    /// Its campaign, whose time zone gives its local day.
    pub campaign_id: CampaignId,
    /// When it started (ms since epoch).
    pub started_at: i64,
}

/// Up to `limit` decided trips of any tenant that are not in the reports.
pub async fn uncounted(store: &Store, limit: i64) -> Result<Vec<Uncounted>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "select tenant_id, id, campaign_id, started_at from trips where local_day is null and status <> ",
        crate::status_sql!(pending),
        " limit $1"
    ))
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}

/// A trip read for counting it late: with its decision and what the ledger paid.
#[derive(sqlx::FromRow)]
struct LateTrip {
    #[sqlx(flatten)]
    trip: CountedTrip,
    decision: Option<String>,
    paid_points: Option<i64>,
}

/// Counts decided trips of a tenant that are not in the reports yet, each on
/// its local day (`(trip, day)`), as decided (and paid) now, in one
/// transaction; a trip counted meanwhile is left as it is.
pub async fn count_late(store: &Store, tenant_id: &TenantId, days: &[(TripId, i64)]) -> Result<(), StoreError> {
    if days.is_empty() {
        return Ok(());
    }
    let sql = format!(
        concat!(
            "update trips set local_day = d.column2, \
             class_id = (select p.class_id from participants p \
                         where p.tenant_id = trips.tenant_id and p.id = trips.participant_id), \
             school_id = (select c.school_id from participants p join classes c on c.tenant_id = p.tenant_id \
                          and c.id = p.class_id where p.tenant_id = trips.tenant_id and p.id = trips.participant_id) \
             from (values {}) as d where trips.tenant_id = $1 and trips.id = d.column1 and trips.local_day is null \
             returning ",
            counted_columns!(),
            ", decision, paid_points"
        ),
        sql::rows(2, days.len(), 2)
    );
    let mut query = sql::query_as::<LateTrip>(sql).bind(tenant_id);
    for (id, day) in days {
        query = query.bind(id).bind(*day);
    }
    let mut tx = store.begin().await?;
    let counted = query.fetch_all(&mut *tx).await?;
    let read = counted
        .iter()
        .map(|late| Ok((late, reasons_of(late.decision.as_deref())?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let changes = read.iter().flat_map(|(late, reasons)| {
        let paid = late.paid_points.map(|points| (&late.trip, Change::Paid(points), &[][..]));
        std::iter::once((&late.trip, Change::Decided, reasons.as_slice())).chain(paid)
    });
    tally_trips(changes).write(&mut tx, tenant_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Whose rides a report counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reach {
    /// Every participant of the campaign.
    #[default]
    Campaign,
    /// One school's students.
    School(SchoolId),
    /// Some classes of one school (a teacher's).
    Classes(SchoolId, Vec<ClassId>),
}

/// Which part of a campaign's aggregates a report reads.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The campaign.
    pub campaign_id: &'a CampaignId,
    /// First local day (days since 1970-01-01).
    pub from_day: i64,
    /// Last local day, inclusive.
    pub until_day: i64,
    /// Whose rides.
    pub reach: &'a Reach,
}

/// The figures of one day of a report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Day {
    /// The local date, days since 1970-01-01.
    pub day: i64,
    /// Its figures, summed over the scope's classes.
    #[sqlx(flatten)]
    pub figures: DayFigures,
}

/// Rides rejected and in review for one reason on one day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayReason {
    /// The local date, days since 1970-01-01.
    pub day: i64,
    /// The stable reason code.
    pub reason: String,
    /// Rides rejected for it.
    pub rejected: i64,
    /// Rides in review for it.
    pub review: i64,
}

/// The days (with any figures) and the reasons of a tenant's report scope, in day order.
pub async fn read(
    store: &Store,
    tenant_id: &TenantId,
    scope: &Scope<'_>,
) -> Result<(Vec<Day>, Vec<DayReason>), StoreError> {
    // Each reach is one range of the primary key per class: school, class, days.
    let (school, classes): (&str, Vec<&str>) = match scope.reach {
        Reach::Campaign => (ALL, vec![ALL]),
        Reach::School(school) => (school.as_str(), vec![ALL]),
        Reach::Classes(school, classes) => (school.as_str(), classes.iter().map(ClassId::as_str).collect()),
    };
    if classes.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let filter = format!(
        "tenant_id = $1 and campaign_id = $2 and school_id = $3 and class_id in ({}) and day between $4 and $5",
        sql::list(6, classes.len())
    );
    let sums = COUNTERS.map(|c| format!("cast(sum({c}) as bigint) as {c}")).join(", ");
    let days = format!("select day, {sums} from report_days where {filter} group by day order by day");
    let reasons = format!(
        "select day, reason, cast(sum(rejected) as bigint) as rejected, cast(sum(review) as bigint) as review \
         from report_day_reasons where {filter} group by day, reason order by day, reason"
    );
    // The same parameters for both: the filter's.
    macro_rules! in_scope {
        ($query:expr) => {
            $query
                .bind(tenant_id)
                .bind(scope.campaign_id)
                .bind(school)
                .bind(scope.from_day)
                .bind(scope.until_day)
                .bind_all(classes.iter().copied())
                .fetch_all(store.reader())
        };
    }
    let days = in_scope!(sql::query_as::<Day>(days)).await?;
    let reasons = in_scope!(sql::query_as::<DayReason>(reasons)).await?;
    Ok((days, reasons))
}

/// Forgets who rode when for an erased participant: the counts stay, the marks that name them go.
pub(crate) async fn forget_rider(
    tx: &mut Tx,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
) -> Result<(), StoreError> {
    for table in ["report_riders", "report_cells"] {
        sql::query(format!("delete from {table} where tenant_id = $1 and participant_id = $2"))
            .bind(tenant_id)
            .bind(participant_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The cells of a campaign that at least `at_least` distinct participants
/// rode an earning ride through, with how many did, by cell.
pub async fn ridden_cells(
    store: &Store,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    at_least: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "select cell, count(*) from report_cells where tenant_id = $1 and campaign_id = $2 \
         group by cell having count(*) >= $3 order by cell",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .bind(at_least)
    .fetch_all(store.reader())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        // 1970-01-01 was a Thursday; 1969-12-29 a Monday; 2026-12-07 is a Monday (day 20_794).
        assert_eq!(week_of(0), -3);
        assert_eq!(week_of(3), -3);
        assert_eq!(week_of(4), 4);
        assert_eq!(week_of(20_794), 20_794);
        assert_eq!(week_of(20_800), 20_794);
    }
}
