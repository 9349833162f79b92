//! `smartville-load`: drives the real HTTP API with a school-morning rush.
//!
//! `smartville-load run --base URL --rate 200 --duration 60s` joins one
//! student per upload, then uploads 10-minute 1 Hz rides from the trace
//! simulator at the given rate (open loop), with cheats and retries, waits
//! for each decision (`?wait=10`, then polling), checks every wallet against
//! the accepted trips, and prints (and with `--report`, writes) throughput,
//! errors, latency percentiles and the machine's CPU time per upload; with
//! `--spend-share` students also buy vouchers at a shop that redeems them. `smartville-load table A.json B.json`
//! prints reports side by side. `run.sh` next to this crate measures the
//! embedded default and PostgreSQL + Redis in one go. `chaos.sh` runs the
//! rush while it kills and stops parts of the engine, and
//! `smartville-load faults` prints what each fault did (from the timeline
//! `run --timeline` writes). `smartville-load reports` and `smartville-load
//! simulations` measure campaign reports over a school year of a town and
//! what-if simulations over many rides, on both backends; `smartville-load
//! readings` sends batches of readings of many households through the API;
//! `smartville-load savings` times the close of a savings period of a town of
//! households, on both backends.

mod faults;
mod machine;
mod readings;
mod report;
mod reports;
mod savings;
mod scenario;
mod shop;
mod simulations;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "smartville-load", about = "Load generator for the Smartville engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the school-morning scenario against a running engine.
    Run {
        /// Base URL of the engine's API.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        /// Name of the deployment, for the report.
        #[arg(long, default_value = "engine")]
        stack: String,
        /// Uploads per second.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Length of the upload phase, seconds.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Share of car rides among uploads.
        #[arg(long, default_value_t = 0.05)]
        cheat_share: f64,
        /// Share of uploads sent twice.
        #[arg(long, default_value_t = 0.05)]
        retry_share: f64,
        /// Share of honest rides sent as a phone in the background sends them (a fix every
        /// 15 s, gaps, noise); the others are 1 Hz.
        #[arg(long, default_value_t = 0.5)]
        phone_share: f64,
        /// Share of uploads followed by a wallet read.
        #[arg(long, default_value_t = 0.2)]
        wallet_share: f64,
        /// Pages per second opened while the uploads run (the page and its style sheet).
        #[arg(long, default_value_t = 2.0)]
        page_rate: f64,
        /// Most requests in flight.
        #[arg(long, default_value_t = 2_000)]
        max_in_flight: usize,
        /// The class join code.
        #[arg(long, default_value = "GEEL-5A")]
        join_code: String,
        /// Share of accepted rides after which the student buys a voucher at a shop that redeems it at once.
        #[arg(long, default_value_t = 0.0)]
        spend_share: f64,
        /// A council admin's one-time set-up token of the demo town (`smartville tenant admin`), to open the shop.
        #[arg(long)]
        council_setup_token: Option<String>,
        /// Write the report as JSON here.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write the timeline (each upload and each failed attempt, wall-clock times) here, as JSON lines.
        #[arg(long)]
        timeline: Option<PathBuf>,
        /// The engine will be disturbed during the run: failed attempts (retried either way) do not
        /// fail the run; only errors, unsettled trips and ledger mismatches do.
        #[arg(long)]
        expect_outages: bool,
    },
    /// Print what each fault of a chaos run did, from the run's timeline and the faults `chaos.sh` wrote.
    Faults {
        /// The timeline written by `run --timeline`.
        #[arg(long)]
        timeline: PathBuf,
        /// One fault per line: `name<TAB>injected_ms<TAB>restored_ms` (ms since the Unix epoch).
        #[arg(long)]
        faults: PathBuf,
    },
    /// Fill the report aggregates with a school year of a 20-school town (on SQLite and on
    /// PostgreSQL) and time the campaign reports councils, schools and teachers ask for.
    Reports {
        /// Rides in the school year.
        #[arg(long, default_value_t = 1_000_000)]
        rides: u64,
        /// Reports of each kind timed.
        #[arg(long, default_value_t = 50)]
        repeat: usize,
    },
    /// Close a savings period of a town of households (on SQLite and on PostgreSQL) and time it.
    Savings {
        /// Households with linked residents.
        #[arg(long, default_value_t = 100_000)]
        households: usize,
    },
    /// Store and decide bike rides of the last school days of the demo town (on SQLite and on
    /// PostgreSQL) and time what-if simulations over them.
    Simulations {
        /// Rides to store, decide and re-judge.
        #[arg(long, default_value_t = 100_000)]
        rides: usize,
    },
    /// Register households in the demo town and send them batches of readings through the API,
    /// several at once; print readings stored per second.
    Readings {
        /// Base URL of the engine's API.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        /// Name of the deployment, for the output.
        #[arg(long, default_value = "engine")]
        stack: String,
        /// A council admin's one-time set-up token of the demo town (`smartville tenant admin`).
        #[arg(long)]
        council_setup_token: String,
        /// Households registered and read.
        #[arg(long, default_value_t = 20_000)]
        households: usize,
        /// Batches sent.
        #[arg(long, default_value_t = 30)]
        batches: usize,
        /// Readings per batch (at most 10,000).
        #[arg(long, default_value_t = 10_000)]
        batch_size: usize,
        /// Batches in flight at once.
        #[arg(long, default_value_t = 4)]
        in_flight: usize,
    },
    /// Print JSON reports as one table.
    Table {
        /// Reports written by `run --report`.
        reports: Vec<PathBuf>,
    },
}

/// The engine's allocator: the generator shares the machine with the engine and should cost it as little.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run {
            base,
            stack,
            rate,
            duration,
            cheat_share,
            retry_share,
            phone_share,
            wallet_share,
            page_rate,
            max_in_flight,
            join_code,
            spend_share,
            council_setup_token,
            report,
            timeline,
            expect_outages,
        } => {
            let plan = scenario::Plan {
                base,
                rate,
                duration: Duration::from_secs(duration),
                cheat_share,
                retry_share,
                phone_share,
                wallet_share,
                page_rate,
                max_in_flight,
                join_code,
                spend_share,
                council_setup_token,
            };
            let recorder = Arc::new(report::Recorder::default());
            let (phase, students) = scenario::run(&plan, recorder.clone()).await?;
            let ledger = scenario::check_ledger(&plan, &students).await?;
            let result = recorder.report(&stack, rate, &phase, ledger);
            println!("{}", report::table(std::slice::from_ref(&result)));
            println!("{}", serde_json::to_string_pretty(&result)?);
            if let Some(path) = report {
                std::fs::write(&path, serde_json::to_vec_pretty(&result)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if let Some(path) = timeline {
                let mut lines = Vec::new();
                for event in recorder.timeline() {
                    serde_json::to_writer(&mut lines, &event)?;
                    lines.push(b'\n');
                }
                std::fs::write(&path, lines).with_context(|| format!("writing {}", path.display()))?;
            }
            let failed_attempts = if expect_outages { 0 } else { result.failed_attempts };
            if result.errors > 0 || failed_attempts > 0 || result.ledger.mismatches > 0 || result.ledger.unsettled > 0 {
                anyhow::bail!(
                    "{} errors, {failed_attempts} failed attempts, {} ledger mismatches, {} unsettled trips",
                    result.errors,
                    result.ledger.mismatches,
                    result.ledger.unsettled
                );
            }
            Ok(())
        }
        Command::Faults { timeline, faults } => {
            let read =
                |path: &PathBuf| std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()));
            let events = read(&timeline)?
                .lines()
                .map(serde_json::from_str)
                .collect::<Result<Vec<report::TimelineEvent>, _>>()
                .context("reading the timeline")?;
            print!("{}", faults::table(&events, &faults::read(&read(&faults)?)?));
            Ok(())
        }
        Command::Reports { rides, repeat } => {
            let measured = reports::run(rides, repeat).await?;
            println!("{}", reports::table(&measured));
            println!("{}", serde_json::to_string_pretty(&measured)?);
            Ok(())
        }
        Command::Savings { households } => {
            let measured = savings::run(households).await?;
            println!("{}", savings::table(&measured));
            println!("{}", serde_json::to_string_pretty(&measured)?);
            Ok(())
        }
        Command::Simulations { rides } => {
            let measured = simulations::run(rides).await?;
            println!("{}", simulations::table(&measured));
            println!("{}", serde_json::to_string_pretty(&measured)?);
            Ok(())
        }
        Command::Readings { base, stack, council_setup_token, households, batches, batch_size, in_flight } => {
            let plan = readings::Plan { base, council_setup_token, households, batches, batch_size, in_flight };
            let measured = readings::run(&plan).await?;
            println!(
                "{stack}: {} readings in {:.1} s = {:.0} readings/s; a batch of {batch_size} answered in {:.0} ms (median), {:.0} ms (slowest)",
                measured.readings,
                measured.seconds,
                measured.readings_per_s,
                measured.batch_p50_ms,
                measured.batch_max_ms
            );
            Ok(())
        }
        Command::Table { reports } => {
            let reports = reports
                .iter()
                .map(|path| {
                    Ok(serde_json::from_slice(
                        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
                    )?)
                })
                .collect::<Result<Vec<report::Report>>>()?;
            print!("{}", report::table(&reports));
            Ok(())
        }
    }
}
