//! How fast a campaign report answers after a school year of a town:
//! `smartville-load reports --rides 1000000` fills the report aggregates of
//! the demo campaign with a school year of a 20-school town (each school day,
//! each student rides with the chance that gives the number of rides asked
//! for: 85 % accepted, 12 % rejected for one of four reasons, 3 % in review),
//! through the same [`Tally`] the engine counts decided rides with, on the
//! embedded SQLite and on PostgreSQL, then times the reports a council, a
//! school and a teacher ask for.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate, Weekday};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use smartville_bus::{Bus, BusConfig};
use smartville_engine::reports::{self as report, Period, ReportQuery, day_number};
use smartville_engine::{Engine, demo};
use smartville_scoring::{Effect, Reason, ReasonCode};
use smartville_store::campaigns;
use smartville_store::ids::{ClassId, ParticipantId, SchoolId};
use smartville_store::lifecycle::TripStatus;
use smartville_store::reports::{Change, CountedRide, Place, Reach, Tally};
use smartville_store::testing::TestDatabase;

/// The town: schools, classes per school, students per class.
const SCHOOLS: usize = 20;
const CLASSES_PER_SCHOOL: usize = 20;
const STUDENTS_PER_CLASS: usize = 20;

/// Times of one kind of report.
#[derive(Debug, Serialize)]
pub struct Timing {
    /// What was asked for.
    pub report: &'static str,
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

/// What one backend measured.
#[derive(Debug, Serialize)]
pub struct Measured {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Rides counted.
    pub rides: u64,
    /// Rows of the per-day aggregates they make.
    pub aggregate_rows: i64,
    /// Seconds taken to count them.
    pub fill_s: f64,
    /// Each report's times.
    pub timings: Vec<Timing>,
}

/// Fills and measures both backends; `repeat` reports of each kind.
pub async fn run(rides: u64, repeat: usize) -> Result<Vec<Measured>> {
    let mut measured = Vec::new();
    for (backend, database) in [("sqlite", TestDatabase::sqlite()), ("postgres", TestDatabase::postgres().await)] {
        let engine = Engine::new(database.store().await, Bus::in_process(BusConfig::default()), "");
        let town = demo::seed(&engine).await.context("seeding the demo town")?;
        let started = Instant::now();
        let counted = fill(&engine, &town, rides).await?;
        let fill_s = started.elapsed().as_secs_f64();
        let campaign = campaigns::campaign(&engine.store, &town.tenant_id, &town.campaign_id).await?;
        let school = SchoolId::from(school_name(3));
        let class = ClassId::from(class_name(3, 7));
        let asks: [(&'static str, ReportQuery); 4] = [
            ("campaign, school year by day", query(Period::Day, Reach::Campaign)),
            ("campaign, school year by week", query(Period::Week, Reach::Campaign)),
            ("one school, school year by week", query(Period::Week, Reach::School(school.clone()))),
            ("one class, school year by day", query(Period::Day, Reach::Classes(school, vec![class]))),
        ];
        let mut timings = Vec::new();
        for (name, ask) in &asks {
            let mut times = Vec::with_capacity(repeat);
            let mut accepted = 0;
            for _ in 0..repeat {
                let started = Instant::now();
                let made = report::report(&engine, &campaign, ask).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                times.push(started.elapsed());
                accepted = made.totals.rides_accepted;
            }
            anyhow::ensure!(accepted > 0, "the report of {name} counted no rides");
            timings.push(timing(name, &mut times));
        }
        let aggregate_rows = aggregate_rows(&engine).await?;
        measured.push(Measured { backend, rides: counted, aggregate_rows, fill_s, timings });
    }
    Ok(measured)
}

/// A school-year report query.
fn query(by: Period, reach: Reach) -> ReportQuery {
    ReportQuery { from: None, until: None, by, reach }
}

fn school_name(school: usize) -> String {
    format!("school-{school:02}")
}

fn class_name(school: usize, class: usize) -> String {
    format!("class-{school:02}-{class:02}")
}

/// Counts a school year of rides into the demo campaign's aggregates, a
/// day per transaction; returns how many.
async fn fill(engine: &Engine, town: &demo::DemoTown, rides: u64) -> Result<u64> {
    let (first, last) = (date(2026, 9, 1), date(2027, 6, 30));
    let school_days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let students = SCHOOLS * CLASSES_PER_SCHOOL * STUDENTS_PER_CLASS;
    let chance = (rides as f64 / (school_days.len() * students) as f64).min(1.0);
    let reasons: Vec<[Reason; 1]> =
        [ReasonCode::TooFast, ReasonCode::TooSlow, ReasonCode::OutsideTimeWindow, ReasonCode::Gap]
            .map(|code| [Reason { code, effect: Effect::Reject, message: String::new() }])
            .into();
    let doubt = [Reason { code: ReasonCode::ActivityMismatch, effect: Effect::Review, message: String::new() }];
    let participants: Vec<ParticipantId> =
        (0..students).map(|n| ParticipantId::from(format!("student-{n:05}"))).collect();
    let mut random = Xoshiro256PlusPlus::seed_from_u64(2026);
    let mut counted = 0;
    for day in school_days {
        let mut tally = Tally::default();
        for (n, participant_id) in participants.iter().enumerate() {
            if random.random::<f64>() >= chance {
                continue;
            }
            let (school, class) =
                (n / (CLASSES_PER_SCHOOL * STUDENTS_PER_CLASS), n / STUDENTS_PER_CLASS % CLASSES_PER_SCHOOL);
            let roll = random.random::<f64>();
            let (status, reasons): (TripStatus, &[Reason]) = match roll {
                r if r < 0.85 => (TripStatus::Accepted, &[]),
                r if r < 0.97 => (TripStatus::Rejected, &reasons[random.random_range(0..reasons.len())]),
                _ => (TripStatus::Review, &doubt),
            };
            let distance_m = random.random_range(1_500..6_000);
            let ride = CountedRide {
                place: Place {
                    campaign_id: town.campaign_id.clone(),
                    day: day_number(day),
                    school_id: SchoolId::from(school_name(school)),
                    class_id: ClassId::from(class_name(school, class)),
                },
                participant_id,
                status,
                distance_m,
                points: if status == TripStatus::Accepted { 10 + 5 * distance_m / 1000 } else { 0 },
                reasons,
                cells: &[],
            };
            tally.count(&ride, Change::Decided);
            if status == TripStatus::Accepted {
                tally.count(&ride, Change::Paid(ride.points));
            }
            counted += 1;
        }
        let mut tx = engine.store.begin().await?;
        tally.write(&mut tx, &town.tenant_id).await?;
        tx.commit().await?;
    }
    Ok(counted)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// Rows of `report_days` (what a school-year report reads at most).
async fn aggregate_rows(engine: &Engine) -> Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from report_days").fetch_one(engine.store.pool_for_tests()).await?)
}

fn timing(report: &'static str, times: &mut [Duration]) -> Timing {
    times.sort();
    let ms = |d: Duration| (d.as_secs_f64() * 1e5).round() / 100.0;
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Timing { report, p50_ms: ms(at(0.5)), p95_ms: ms(at(0.95)), max_ms: ms(at(1.0)) }
}

/// The measurements as a table.
pub fn table(measured: &[Measured]) -> String {
    let mut out = String::new();
    for m in measured {
        out.push_str(&format!(
            "{}: {} rides counted in {:.1} s into {} day rows\n",
            m.backend, m.rides, m.fill_s, m.aggregate_rows
        ));
        for t in &m.timings {
            out.push_str(&format!(
                "  {:<34} p50 {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms\n",
                t.report, t.p50_ms, t.p95_ms, t.max_ms
            ));
        }
    }
    out
}
