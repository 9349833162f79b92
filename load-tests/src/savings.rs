//! How long a savings period takes to close: `smartville-load savings
//! --households 100000` registers a town of the simulator's households (with
//! one to three linked residents each), sends the readings of October 2025
//! and October 2026 through the engine's own ingest, starts a savings
//! campaign on residual waste and electricity, and times the close of
//! October 2026 — every household judged against its October a year before,
//! decisions and credits written with their events — and a second close,
//! which finds nothing changed; on the embedded SQLite and on PostgreSQL.

use std::time::Instant;

use anyhow::{Context, Result, ensure};
use chrono::NaiveDate;
use serde::Serialize;
use smartville_bus::{Bus, BusConfig};
use smartville_engine::households::{self as household_codes, MAX_REGISTERED};
use smartville_engine::readings::{self, MAX_READINGS, Sender};
use smartville_engine::{Engine, campaigns, demo, savings};
use smartville_simulator::households::{self, Quirks};
use smartville_store::households::NewHousehold;
use smartville_store::ids::TenantId;
use smartville_store::sources::{self, Kinds, ReadingKind};
use smartville_store::testing::TestDatabase;
use sqlx::Connection;

/// What one backend measured.
#[derive(Debug, Serialize)]
pub struct Measured {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Households with linked residents judged.
    pub households: usize,
    /// Readings in the two months.
    pub readings: u64,
    /// Seconds to register, link and fill (not part of the close).
    pub fill_s: f64,
    /// Seconds the first close took.
    pub close_s: f64,
    /// Households whose decision earns points.
    pub accepted: usize,
    /// Credits the close wrote for the ledger.
    pub credited_points: i64,
    /// Seconds the second close took (nothing changed).
    pub close_again_s: f64,
}

/// The campaign judged: residual waste and electricity, October against October.
fn campaign_file() -> serde_json::Value {
    serde_json::json!({
        "kind": "savings", "id": "load-savings", "name": "Load: less waste and electricity",
        "time_zone": "Europe/Brussels", "valid_from": "2026-10-01", "valid_until": "2026-12-31",
        "budget_points": 1_000_000_000_u64, "covers": ["residual", "electricity"], "period": "month",
        "baseline": {"rule": "same_period_last_year"}, "min_readings": 1, "threshold_percent": 5,
        "points": {"per_kg": 10, "per_kwh": 1}, "caps": {"points_per_period": 500}
    })
}

/// Fills and measures both backends.
pub async fn run(count: usize) -> Result<Vec<Measured>> {
    let mut measured = Vec::new();
    for (backend, database) in [("sqlite", TestDatabase::sqlite()), ("postgres", TestDatabase::postgres().await)] {
        let engine = Engine::new(database.store().await, Bus::in_process(BusConfig::default()), "");
        let town = demo::seed(&engine).await.context("seeding the demo town")?;
        let started = Instant::now();
        let readings = fill(&engine, &database.url, &town.tenant_id, count).await?;
        let fill_s = started.elapsed().as_secs_f64();
        let checked =
            campaigns::check(campaign_file().to_string().into_bytes()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let campaign =
            campaigns::apply_file(&engine, &town.tenant_id, &checked).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = smartville_engine::now_ms();
        let started = Instant::now();
        let first = savings::close(&engine, &town.tenant_id, &campaign.id, "2026-10", now).await?;
        let close_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let again = savings::close(&engine, &town.tenant_id, &campaign.id, "2026-10", now).await?;
        let close_again_s = started.elapsed().as_secs_f64();
        ensure!(first.households == count && first.changed == count, "every household judged once: {first:?}");
        ensure!(again.changed == 0 && again.credited == 0, "a second close changes nothing: {again:?}");
        measured.push(Measured {
            backend,
            households: first.households,
            readings,
            fill_s,
            close_s,
            accepted: first.accepted,
            credited_points: first.credited,
            close_again_s,
        });
    }
    Ok(measured)
}

/// Registers `count` households, links one to three residents to each, and
/// sends their readings of the two Octobers; returns how many were stored.
async fn fill(engine: &Engine, url: &str, tenant_id: &TenantId, count: usize) -> Result<u64> {
    let quirks = Quirks::default();
    let town = households::town("LOAD", count, &quirks, 2026);
    let mut ids = Vec::with_capacity(count);
    for chunk in town.chunks(MAX_REGISTERED) {
        let new: Vec<NewHousehold<'_>> =
            chunk.iter().map(|h| NewHousehold { reference: &h.reference, size: i32::try_from(h.size).ok() }).collect();
        let mut tx = engine.store.begin().await?;
        let registered = household_codes::register(&mut tx, tenant_id, &new).await?;
        tx.commit().await?;
        ids.extend(registered.into_iter().map(|r| r.household.id));
    }
    link_residents(url, tenant_id, &ids).await?;

    let mut tx = engine.store.begin().await?;
    let kinds = Kinds(vec![ReadingKind::Waste, ReadingKind::Energy]);
    let source = sources::create(&mut tx, tenant_id, "Load weighing and meters", kinds.clone()).await?;
    tx.commit().await?;
    let sender = Sender { tenant_id, source_id: &source.id, kinds: &kinds };
    let months = [(date(2025, 10, 1), date(2025, 11, 1)), (date(2026, 10, 1), date(2026, 11, 1))];
    let mut sent = Vec::new();
    for (seed, household) in town.iter().enumerate() {
        for (from, until) in months {
            sent.extend(households::readings(household, from, until, &quirks, seed as u64));
        }
    }
    let mut stored = 0;
    for batch in sent.chunks(MAX_READINGS) {
        let batch = readings::from_json(&serde_json::to_vec(&serde_json::json!({"readings": batch}))?)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        stored += readings::take(engine, sender, &batch).await?.stored as u64;
    }
    Ok(stored)
}

/// Links one to three residents to each household, as their letters' codes would.
async fn link_residents(
    url: &str,
    tenant_id: &TenantId,
    households: &[smartville_store::ids::HouseholdId],
) -> Result<()> {
    let mut connection = sqlx::AnyConnection::connect(url).await?;
    let mut tx = connection.begin().await?;
    let now = smartville_engine::now_ms();
    // 25 residents a statement: 100 parameters, the most SQLite binds quickly.
    let members: Vec<(String, String)> = households
        .iter()
        .enumerate()
        .flat_map(|(n, household)| (0..=n % 3).map(move |m| (household.to_string(), format!("resident-{n}-{m}"))))
        .collect();
    for chunk in members.chunks(25) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4))
            .collect();
        let statement = format!(
            "insert into household_members (tenant_id, household_id, participant_id, linked_at) values {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
        for (household, resident) in chunk {
            query = query.bind(tenant_id.as_str()).bind(household.as_str()).bind(resident.as_str()).bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// The measurements as a Markdown table.
pub fn table(measured: &[Measured]) -> String {
    let mut table = String::from(
        "| backend | households | readings | close | households/s | accepted | close again |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in measured {
        table.push_str(&format!(
            "| {} | {} | {} | {:.1} s | {:.0} | {} | {:.1} s |\n",
            m.backend,
            m.households,
            m.readings,
            m.close_s,
            m.households as f64 / m.close_s,
            m.accepted,
            m.close_again_s
        ));
    }
    table
}
