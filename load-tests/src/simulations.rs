//! How long a what-if simulation takes: `smartville-load simulations --rides
//! 100000` stores that many 1 Hz bike rides of the demo town's last school
//! days (a student a ride a day, from the trace simulator), has the engine's
//! scoring worker decide them as it decides uploads, then times a simulation
//! of the demo campaign's own rules and one of a stricter draft over them,
//! on the embedded SQLite and on PostgreSQL.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{Datelike, Days, NaiveTime, TimeZone, Utc, Weekday};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use smartville_bus::{Bus, BusConfig};
use smartville_engine::{Engine, TripEvent, campaigns, demo, scoring, simulations};
use smartville_scoring::trace::STORED_FORMAT;
use smartville_simulator::{Profile, Route, Simulator};
use smartville_store::ids::{ParticipantId, StaffId, TripId};
use smartville_store::simulations::SimulationStatus;
use smartville_store::testing::TestDatabase;
use smartville_store::trips::{self, NewTrip};
use smartville_store::{now_ms, participants, schools};

/// School days of rides back from today.
const SCHOOL_DAYS: usize = 10;

/// What one simulation measured.
#[derive(Debug, Serialize)]
pub struct Timed {
    /// Which rules.
    pub rules: &'static str,
    /// Rides re-judged.
    pub rides: i64,
    /// Rides accepted as decided, and as the rules decide them.
    pub accepted: (i64, i64),
    /// Rides the rules decide otherwise.
    pub changed: i64,
    /// Seconds from start to done.
    pub seconds: f64,
    /// Rides re-judged per second.
    pub rides_per_s: f64,
}

/// What one backend measured.
#[derive(Debug, Serialize)]
pub struct Measured {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Seconds to store and decide the rides first.
    pub fill_s: f64,
    /// Each simulation.
    pub simulations: Vec<Timed>,
}

/// A student's way to school: from a home of their own, 1 to 4 km south or
/// west of the school on the town's side of the motorway, through a point
/// near the middle (so that students' rides differ, as they do in a town).
fn route_of(student: usize) -> Route {
    let mut random = Xoshiro256PlusPlus::seed_from_u64(student as u64);
    let home = (51.136 + random.random::<f64>() * 0.02, 4.945 + random.random::<f64>() * 0.04);
    let school = smartville_simulator::demo::SCHOOL;
    let middle = (
        (home.0 + school.0) / 2.0 + (random.random::<f64>() - 0.5) * 0.004,
        (home.1 + school.1) / 2.0 + (random.random::<f64>() - 0.5) * 0.006,
    );
    Route::new(&[home, middle, school])
}

/// Fills and measures both backends.
pub async fn run(rides: usize) -> Result<Vec<Measured>> {
    let mut measured = Vec::new();
    for (backend, database) in [("sqlite", TestDatabase::sqlite()), ("postgres", TestDatabase::postgres().await)] {
        let engine = Engine::new(database.store().await, Bus::in_process(BusConfig::default()), "");
        let town = demo::seed(&engine).await.context("seeding the demo town")?;
        let started = Instant::now();
        fill(&engine, &town, rides).await?;
        let fill_s = started.elapsed().as_secs_f64();
        let campaign = smartville_store::campaigns::campaign(&engine.store, &town.tenant_id, &town.campaign_id).await?;
        let mut stricter: serde_json::Value = serde_json::from_str(demo::CAMPAIGN)?;
        stricter["thresholds"]["min_distance_m"] = serde_json::json!(2_900);
        let mut timed = Vec::new();
        for (rules, file) in
            [("the campaign's own", demo::CAMPAIGN.to_owned()), ("min_distance_m 2900", stricter.to_string())]
        {
            let draft = campaigns::check(file.into_bytes()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let started = Instant::now();
            let by = StaffId::from("load-test");
            let simulation = simulations::start(&engine, &campaign, &by, draft, 30, now_ms())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let done = loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let row =
                    smartville_store::simulations::get(&engine.store, &town.tenant_id, &campaign.id, &simulation.id)
                        .await?
                        .context("the simulation's row")?;
                match row.status {
                    SimulationStatus::Running => continue,
                    SimulationStatus::Failed => anyhow::bail!("the simulation failed: {:?}", row.error),
                    SimulationStatus::Done => break row,
                }
            };
            let seconds = started.elapsed().as_secs_f64();
            let result: simulations::SimulationResult = serde_json::from_str(done.result.as_deref().unwrap_or("{}"))?;
            anyhow::ensure!(result.rides > 0, "the simulation re-judged no rides");
            timed.push(Timed {
                rules,
                rides: result.rides,
                accepted: (result.totals.old.rides_accepted, result.totals.new.rides_accepted),
                changed: result.changed,
                seconds,
                rides_per_s: result.rides as f64 / seconds,
            });
        }
        measured.push(Measured { backend, fill_s, simulations: timed });
    }
    Ok(measured)
}

/// Stores `rides` rides of the last school days (07:40 in Geel, a student a
/// ride a day, oldest first) and decides them with the scoring worker, a batch at a time.
async fn fill(engine: &Engine, town: &demo::DemoTown, rides: usize) -> Result<()> {
    let class = schools::find_join_code(&engine.store, &town.join_code).await?.context("the demo class")?;
    // A budget that pays every ride (the demo's pays about 4,000).
    let campaign = smartville_store::campaigns::campaign(&engine.store, &town.tenant_id, &town.campaign_id).await?;
    let mut tx = engine.store.begin().await?;
    smartville_store::campaigns::fund(&mut tx, &campaign, 100 * rides as i64).await?;
    tx.commit().await?;
    let students = rides.div_ceil(SCHOOL_DAYS);
    let mut participant_ids: Vec<ParticipantId> = Vec::with_capacity(students);
    let mut tx = engine.store.begin().await?;
    for _ in 0..students {
        participant_ids.push(participants::create_participant(&mut tx, &class, None).await?);
    }
    tx.commit().await?;
    let brussels = chrono_tz::Europe::Brussels;
    let mut day = Utc::now().with_timezone(&brussels).date_naive();
    let mut days = Vec::new();
    while days.len() < SCHOOL_DAYS {
        day = day - Days::new(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            days.push(day);
        }
    }
    days.reverse(); // uploaded in the order they were ridden, as phones do
    let routes: Vec<Route> = (0..students).map(route_of).collect();
    let seven_forty = NaiveTime::from_hms_opt(7, 40, 0).unwrap_or_default();
    let mut left = rides;
    for (d, day) in days.iter().enumerate() {
        let start = brussels.from_local_datetime(&day.and_time(seven_forty)).earliest().context("07:40")?;
        for (c, chunk) in participant_ids.chunks(smartville_engine::MAX_BATCH).enumerate() {
            let chunk = &chunk[..chunk.len().min(left)];
            if chunk.is_empty() {
                break;
            }
            left -= chunk.len();
            let now = now_ms();
            let new: Vec<NewTrip> = chunk
                .iter()
                .enumerate()
                .map(|(n, participant_id)| {
                    let student = c * smartville_engine::MAX_BATCH + n;
                    let seed = (d * participant_ids.len() + student) as u64;
                    let trace = Simulator::new(seed).ride(&routes[student], start.to_utc(), &Profile::bike());
                    let (first, last) = (trace.fixes.first(), trace.fixes.last());
                    NewTrip {
                        id: TripId::new(),
                        tenant_id: town.tenant_id.clone(),
                        participant_id: participant_id.clone(),
                        campaign_id: town.campaign_id.clone(),
                        idempotency_key: format!("ride-{seed}"),
                        body_hash: String::new(),
                        trace: trace.to_compact(),
                        trace_format: STORED_FORMAT.to_owned(),
                        submitted_at: now,
                        started_at: first.and_then(|f| f.t_ms).unwrap_or(now),
                        ended_at: last.and_then(|f| f.t_ms).unwrap_or(now),
                    }
                })
                .collect();
            let mut tx = engine.store.begin().await?;
            let inserted = trips::insert_all(&mut tx, &new).await?;
            tx.commit().await?;
            anyhow::ensure!(inserted.len() == new.len(), "every ride is stored");
            let event =
                TripEvent { tenant_id: town.tenant_id.clone(), trip_ids: new.iter().map(|t| t.id.clone()).collect() };
            scoring::decide(engine, &event).await?;
        }
    }
    Ok(())
}

/// The measurements as a table.
pub fn table(measured: &[Measured]) -> String {
    let mut out = String::new();
    for m in measured {
        out.push_str(&format!("{}: rides stored and decided in {:.1} s\n", m.backend, m.fill_s));
        for t in &m.simulations {
            out.push_str(&format!(
                "  {:<22} {:>7} rides re-judged in {:>6.2} s ({:>6.0} rides/s), accepted {} then {} now, {} decided otherwise\n",
                t.rules, t.rides, t.seconds, t.rides_per_s, t.accepted.0, t.accepted.1, t.changed
            ));
        }
    }
    out
}
