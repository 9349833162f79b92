//! Readings in bulk, through the HTTP API: `smartville-load readings`
//! registers a data source and households in the demo town (with a council
//! admin's set-up token), then sends batches of readings — the last year of
//! the simulator's households (fortnightly weighings, monthly meter readings,
//! seasons, savers, readings that never come and readings sent twice),
//! spread over the households — with several batches in flight, and measures
//! readings stored per second and how long a batch takes to be answered.
//! Every answer must count each reading of its batch as stored or sent
//! before, the readings stored must be the distinct ones sent, and the first
//! batch sent again must come back all duplicates; anything else fails the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::Client;
use serde_json::{Value, json};
use smartville_simulator::households::{self, Quirks};
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
    let today = chrono::Utc::now().date_naive();
    let a_year_ago = today - chrono::Days::new(365);
    let quirks = Quirks { saving_from: today - chrono::Days::new(180), ..Quirks::default() };
    let town = households::town(&format!("LOAD-{run}"), plan.households, &quirks, u64::from(run));
    for chunk in town.chunks(REGISTERED_PER_CALL) {
        let entries: Vec<Value> = chunk.iter().map(|h| json!({"reference": h.reference, "size": h.size})).collect();
        post(&client, base, Some(admin.clone()), "/v1/admin/households".into(), json!({"households": entries})).await?;
    }

    // The batches are written before the clock starts: the generator's work is not the engine's.
    // Each household's year, dealt out in turns, so that a batch holds readings of many households.
    let mut years: Vec<std::vec::IntoIter<households::Reading>> = town
        .iter()
        .enumerate()
        .map(|(seed, household)| households::readings(household, a_year_ago, today, &quirks, seed as u64).into_iter())
        .collect();
    let mut dealt = Vec::with_capacity(plan.batches * plan.batch_size);
    while dealt.len() < plan.batches * plan.batch_size && !years.is_empty() {
        years.retain_mut(|year| year.next().map(|reading| dealt.push(reading)).is_some());
    }
    dealt.truncate(plan.batches * plan.batch_size);
    if dealt.len() < plan.batches * plan.batch_size {
        bail!("{} households send {} readings a year, fewer than the run's batches hold", plan.households, dealt.len());
    }
    let distinct = dealt.iter().map(|reading| reading.id.as_str()).collect::<std::collections::HashSet<_>>().len();
    let batches: Vec<Arc<Vec<u8>>> = dealt
        .chunks(plan.batch_size)
        .map(|readings| serde_json::to_vec(&json!({"readings": readings})).map(Arc::new))
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
    let mut stored = 0;
    while let Some(done) = sending.join_next().await {
        let (took, answer) = done??;
        let (new, sent_before) = (answer["stored"].as_u64().unwrap_or(0), answer["duplicates"].as_u64().unwrap_or(0));
        if new + sent_before != plan.batch_size as u64 {
            bail!("a batch was not taken whole: {answer}");
        }
        stored += new;
        times.push(took);
    }
    if stored != distinct as u64 {
        bail!("{stored} readings stored of {distinct} distinct ones sent");
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
