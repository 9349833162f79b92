//! Readings in bulk, through the HTTP API: `smartville-load readings`
//! registers a data source and households in the demo town (with a council
//! admin's set-up token), then sends batches of readings — a year of weekly
//! weighings and monthly meter readings spread over the households — with
//! several batches in flight, and measures readings stored per second and
//! how long a batch takes to be answered. Every answer must count its
//! batch as stored, and the first batch sent again must come back all
//! duplicates; anything else fails the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::Client;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::shop::{post, set_up};

/// What a run asks for.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The engine's API.
    pub base: String,
    /// A council admin's one-time set-up token of the demo town.
    pub council_setup_token: String,
    /// Households registered and read.
    pub households: usize,
    /// Batches sent.
    pub batches: usize,
    /// Readings per batch (at most 10,000).
    pub batch_size: usize,
    /// Batches in flight at once.
    pub in_flight: usize,
}

/// What a run measured.
#[derive(Debug)]
pub struct Measured {
    /// Readings sent (and stored).
    pub readings: usize,
    /// From the first batch sent to the last answered, seconds.
    pub seconds: f64,
    /// Readings stored per second.
    pub readings_per_s: f64,
    /// Median time to answer a batch, ms.
    pub batch_p50_ms: f64,
    /// Slowest batch, ms.
    pub batch_max_ms: f64,
}

/// Households registered per request.
const REGISTERED_PER_CALL: usize = 10_000;

/// Sets up the source and the households, sends the batches and checks their answers.
pub async fn run(plan: &Plan) -> Result<Measured> {
    let client = Client::builder().timeout(Duration::from_secs(120)).build()?;
    let base = plan.base.as_str();
    let admin = set_up(&client, base, plan.council_setup_token.clone()).await?;
    let source = json!({"name": "Load test weighing and meters", "kinds": ["waste", "energy"]});
    let source = post(&client, base, Some(admin.clone()), "/v1/admin/sources".into(), source).await?;
    let key = source["key"].as_str().context("the source's key")?.to_owned();
    let run = std::process::id();
    let reference = |n: usize| format!("LOAD-{run}-{n}");
    for first in (0..plan.households).step_by(REGISTERED_PER_CALL) {
        let entries: Vec<Value> = (first..plan.households.min(first + REGISTERED_PER_CALL))
            .map(|n| json!({"reference": reference(n), "size": 1 + n % 5}))
            .collect();
        post(&client, base, Some(admin.clone()), "/v1/admin/households".into(), json!({"households": entries})).await?;
    }

    // The batches are written before the clock starts: the generator's work is not the engine's.
    let batches: Vec<Arc<Vec<u8>>> = (0..plan.batches)
        .map(|batch| {
            let readings: Vec<Value> = (0..plan.batch_size)
                .map(|i| {
                    let n = batch * plan.batch_size + i;
                    let household = reference(n % plan.households);
                    // Spread over the last year, a reading every few minutes of it.
                    let observed = chrono::Utc::now() - chrono::Duration::minutes(1 + (n % 500_000) as i64);
                    let observed_at = observed.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    if n.is_multiple_of(4) {
                        json!({"id": format!("{run}-{n}"), "household_ref": household, "kind": "energy",
                               "carrier": "electricity", "observed_at": observed_at,
                               "value": 150.0 + (n % 200) as f64, "unit": "kWh"})
                    } else {
                        json!({"id": format!("{run}-{n}"), "household_ref": household, "kind": "waste",
                               "fraction": "residual", "observed_at": observed_at,
                               "value": 5.0 + (n % 100) as f64 / 10.0, "unit": "kg"})
                    }
                })
                .collect();
            serde_json::to_vec(&json!({"readings": readings})).map(Arc::new)
        })
        .collect::<Result<_, _>>()?;

    let slots = Arc::new(Semaphore::new(plan.in_flight.max(1)));
    let started = Instant::now();
    let mut sending = tokio::task::JoinSet::new();
    for body in &batches {
        let permit = slots.clone().acquire_owned().await?;
        let (client, key, body) = (client.clone(), key.clone(), body.clone());
        let url = format!("{base}/v1/devices/readings");
        sending.spawn(async move {
            let sent = Instant::now();
            let answer = send(&client, &url, &key, body).await;
            drop(permit);
            answer.map(|answer| (sent.elapsed(), answer))
        });
    }
    let mut times = Vec::with_capacity(batches.len());
    while let Some(done) = sending.join_next().await {
        let (took, answer) = done??;
        if answer["stored"].as_u64() != Some(plan.batch_size as u64) {
            bail!("a batch was not stored whole: {answer}");
        }
        times.push(took);
    }
    let seconds = started.elapsed().as_secs_f64();
    if let Some(first) = batches.first() {
        let again = send(&client, &format!("{base}/v1/devices/readings"), &key, first.clone()).await?;
        if again["duplicates"].as_u64() != Some(plan.batch_size as u64) {
            bail!("a batch sent again was not all duplicates: {again}");
        }
    }
    times.sort_unstable();
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let readings = plan.batches * plan.batch_size;
    Ok(Measured {
        readings,
        seconds,
        readings_per_s: readings as f64 / seconds,
        batch_p50_ms: ms(times.get(times.len() / 2)),
        batch_max_ms: ms(times.last()),
    })
}

/// Sends one batch; its answer, or an error with it.
async fn send(client: &Client, url: &str, key: &str, body: Arc<Vec<u8>>) -> Result<Value> {
    let response = client
        .post(url)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body.as_ref().clone())
        .send()
        .await
        .context("sending a batch")?;
    let status = response.status();
    let answer: Value = response.json().await.context("a batch's answer")?;
    if !status.is_success() {
        bail!("a batch was refused: {status} {answer}");
    }
    Ok(answer)
}
