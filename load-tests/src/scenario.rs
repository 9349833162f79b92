//! The school-morning rush: students join, then upload 10-minute rides at a
//! fixed rate (open loop: arrivals do not wait for answers) — recorded at
//! 1 Hz, or as a phone in the background sends them (a fix every 15 s, with
//! gaps and noise, and its activity recognition) — with a share of cheats (car rides) and of retries (the
//! same upload again), and a look at the wallet now and then.
//!
//! Every request is sent as a phone app sends it: when the engine cannot be
//! reached or answers 502, 503 or 504, the same request (same idempotency
//! key) goes again after its `Retry-After` (or a second), for up to
//! [`PATIENCE`]. Each failed attempt is recorded, so a run against a healthy
//! engine still shows (and fails on) them, and a run with faults measures them.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use smartville_scoring::{Activity, RawActivity, RawTrace};
use smartville_simulator::phone::{self, PhoneSampling};
use smartville_simulator::{Profile, Simulator, demo, shifted};
use tokio::sync::Semaphore;

use crate::machine::{CpuTimes, UploadPhase};
use crate::report::{LedgerCheck, Metric, Recorder, Request};
use crate::shop::{self, Shop};

/// How long a request is retried while the engine is unreachable or unavailable.
const PATIENCE: Duration = Duration::from_secs(60);

/// How long the ledger check after a run waits for acknowledged trips that are not settled yet
/// (the relay publishes a lost event again within a second of a Redis restart, or once the trip
/// has waited a minute).
const SETTLE_GRACE: Duration = Duration::from_secs(120);

/// The knobs of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Base URL of the API, e.g. `http://127.0.0.1:8080`.
    pub base: String,
    /// Uploads per second to aim at.
    pub rate: f64,
    /// Length of the upload phase.
    pub duration: Duration,
    /// Share of uploads that are car rides pretending to be bike rides.
    pub cheat_share: f64,
    /// Share of uploads sent a second time (a phone retrying).
    pub retry_share: f64,
    /// Share of the honest rides in the pool sampled as a backgrounded phone sends them.
    pub phone_share: f64,
    /// Share of uploads followed by a wallet read.
    pub wallet_share: f64,
    /// Pages per second a visitor opens while the uploads run (0 for none).
    pub page_rate: f64,
    /// Most requests in flight.
    pub max_in_flight: usize,
    /// The class join code.
    pub join_code: String,
    /// Share of accepted rides after which the student buys a voucher that the shop redeems at once.
    pub spend_share: f64,
    /// The council admin's one-time set-up token that opens the run's shop (needed to spend).
    pub council_setup_token: Option<String>,
}

/// Distinct base rides; an upload is one of them moved by a few hundred
/// milliseconds per use, so every upload has its own fix times (two phones
/// never share them) and students look like friends riding together, not
/// like replays.
const RIDE_POOL: usize = 256;

struct Rides {
    honest: Vec<RawTrace>,
    car: Vec<RawTrace>,
}

impl Rides {
    /// The pool: `phone_share` of the honest rides (spread through it) as a phone sends them.
    fn generate(phone_share: f64) -> Self {
        let start =
            chrono::DateTime::parse_from_rfc3339("2026-11-24T07:45:00+01:00").map(|t| t.to_utc()).unwrap_or_default();
        let route = demo::home_to_school();
        let ride = |seed: u64, profile: &Profile| Simulator::new(seed).ride(&route, start, profile);
        let honest = |seed: u64| {
            let recorded = ride(seed, &Profile::bike());
            if fraction(seed, 3) < phone_share {
                // A phone app also sends what its activity recognition saw, every half minute.
                let mut sent = phone::sample(&recorded, &PhoneSampling::every(15.0), seed);
                sent.activities = sent
                    .fixes
                    .iter()
                    .step_by(2)
                    .map(|fix| RawActivity { t_ms: fix.t_ms, activity: Activity::OnBicycle, confidence: 75 })
                    .collect();
                sent
            } else {
                recorded
            }
        };
        Self {
            honest: (0..RIDE_POOL as u64).map(honest).collect(),
            car: (0..16).map(|seed| ride(10_000 + seed, &Profile::car())).collect(),
        }
    }

    /// The body of upload number `n`.
    fn body(&self, n: u64, cheat: bool) -> Result<Vec<u8>> {
        let pool = if cheat { &self.car } else { &self.honest };
        let base = &pool[(n as usize) % pool.len()];
        let moved = shifted(base, i64::try_from(n / pool.len() as u64).unwrap_or(0) * 300 + 1);
        Ok(serde_json::to_vec(&moved)?)
    }
}

/// A deterministic fraction in [0, 1) for upload `n` and a purpose, so runs repeat.
fn fraction(n: u64, salt: u64) -> f64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A student of the run: their access token, the trips the engine acknowledged for them and the points they spent.
#[derive(Debug)]
pub struct Student {
    /// Bearer token from joining.
    token: String,
    /// Ids of the trips the engine answered with (200 or 202): each must end settled and paid once.
    acknowledged: Mutex<Vec<String>>,
    /// Points spent on vouchers.
    spent: AtomicI64,
}

impl Student {
    /// Their bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Notes `points` spent on a voucher.
    pub fn spent(&self, points: i64) {
        self.spent.fetch_add(points, Ordering::Relaxed);
    }
}

/// Runs the scenario; returns the upload phase and the students.
pub async fn run(plan: &Plan, recorder: Arc<Recorder>) -> Result<(UploadPhase, Vec<Arc<Student>>)> {
    let client =
        Client::builder().pool_max_idle_per_host(plan.max_in_flight).timeout(Duration::from_secs(30)).build()?;
    let uploads = (plan.rate * plan.duration.as_secs_f64()).ceil() as u64;
    let rides = Arc::new(Rides::generate(plan.phone_share));

    // Phase 1: one student per upload joins (as a class does on its first morning).
    let in_flight = Arc::new(Semaphore::new(plan.max_in_flight));
    let mut joins = Vec::new();
    for _ in 0..uploads {
        let (client, plan, recorder, permit) =
            (client.clone(), plan.clone(), recorder.clone(), in_flight.clone().acquire_owned().await?);
        joins.push(tokio::spawn(async move {
            let _permit = permit;
            let started = Instant::now();
            let join =
                || client.post(format!("{}/v1/auth/join", plan.base)).json(&json!({"join_code": plan.join_code}));
            let response = match send_patiently(&recorder, Request::Join, join).await {
                Ok(response) if response.status() == StatusCode::CREATED => response,
                Ok(response) => {
                    recorder.count(format!("error_join_{}", response.status().as_u16()));
                    return None;
                }
                Err(_) => {
                    recorder.count("error_join_transport");
                    return None;
                }
            };
            let token = response.json::<Value>().await.ok()?["access_token"].as_str()?.to_owned();
            recorder.time(Metric::Join, started.elapsed());
            Some(Arc::new(Student { token, acknowledged: Mutex::default(), spent: AtomicI64::default() }))
        }));
    }
    let mut students = Vec::new();
    for join in joins {
        if let Some(student) = join.await? {
            students.push(student);
        }
    }
    if students.is_empty() {
        bail!("no student could join: is the engine running with the demo town at {}?", plan.base);
    }

    // The shop students spend at, opened by the council before the rush.
    let shop = match (&plan.council_setup_token, plan.spend_share > 0.0) {
        (Some(token), true) => Some(Arc::new(shop::open(&client, &plan.base, token).await?)),
        (None, true) => bail!("--spend-share needs --council-setup-token (from `smartville tenant admin`)"),
        _ => None,
    };

    // Phase 2: uploads at a fixed rate (announced, for a script that times faults from here),
    // while people open the pages.
    println!("uploading: {uploads} uploads at {}/s", plan.rate);
    let uploading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let visitor = tokio::spawn(visit_pages(
        client.clone(),
        plan.clone(),
        recorder.clone(),
        students[0].clone(),
        uploading.clone(),
    ));
    let started = Instant::now();
    let cpu_at_start = CpuTimes::now();
    let interval = Duration::from_secs_f64(1.0 / plan.rate);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for n in 0..uploads {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = match in_flight.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                recorder.count("error_client_saturated");
                continue;
            }
        };
        let student = students[(n as usize) % students.len()].clone();
        let (client, plan, recorder, rides, next, shop) =
            (client.clone(), plan.clone(), recorder.clone(), rides.clone(), next.clone(), shop.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            next.fetch_add(1, Ordering::Relaxed);
            let started_at = SystemTime::now();
            if let Err(error) = upload(&client, &plan, &recorder, &rides, shop.as_deref(), &student, n).await {
                recorder.count(format!("error_{error}"));
                recorder.never_settled(started_at);
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    uploading.store(false, Ordering::Relaxed);
    visitor.await?;
    let cpu = cpu_at_start.zip(CpuTimes::now());
    Ok((UploadPhase { length: started.elapsed(), cpu }, students))
}

/// The pages a visitor opens in turn: the town's dashboard, a student's
/// rides, the join and sign-in pages and the API reference.
const PAGES: [&str; 5] = ["/open/stad-geel", "/app", "/app/join", "/login", "/docs"];

/// Opens the pages in turn at `plan.page_rate` while `uploading` holds, as a
/// browser does for its first render: the page, then its style sheet, both
/// compressed; the signed-in student's with `student`'s session cookie. A
/// page that does not come (a 503 while the database is down, say) is counted
/// as `page_unanswered_…`, not as an error of the run: a person reloads it,
/// and no upload or point is at stake.
async fn visit_pages(
    client: Client,
    plan: Plan,
    recorder: Arc<Recorder>,
    student: Arc<Student>,
    uploading: Arc<std::sync::atomic::AtomicBool>,
) {
    if plan.page_rate <= 0.0 {
        return;
    }
    let interval = Duration::from_secs_f64(1.0 / plan.page_rate);
    let cookie = format!("sv_access={}", student.token);
    let get = |path: &str| {
        client.get(format!("{}{path}", plan.base)).header("accept-encoding", "gzip").header("cookie", &cookie).send()
    };
    for n in 0.. {
        if !uploading.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let page = get(PAGES[n % PAGES.len()]).await;
        let style = get("/static/web.css").await;
        match (page, style) {
            (Ok(page), Ok(style)) if page.status().is_success() && style.status().is_success() => {
                let (page, style) = (page.bytes().await, style.bytes().await);
                if page.is_ok() && style.is_ok() {
                    recorder.time(Metric::Page, started.elapsed());
                } else {
                    recorder.count("page_unanswered_transport");
                }
            }
            (Ok(page), _) if !page.status().is_success() => {
                recorder.count(format!("page_unanswered_{}", page.status().as_u16()))
            }
            _ => recorder.count("page_unanswered_transport"),
        }
        tokio::time::sleep(interval.saturating_sub(started.elapsed())).await;
    }
}

/// Sends the request `build` makes until it gets an answer other than 502, 503 or 504,
/// waiting `Retry-After` (or a second) between attempts, for up to [`PATIENCE`]; each
/// failed attempt is recorded.
pub async fn send_patiently(
    recorder: &Recorder,
    request: Request,
    build: impl Fn() -> RequestBuilder,
) -> reqwest::Result<Response> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let pause = match build().send().await {
            Ok(response) if !is_unavailable(response.status()) => return Ok(response),
            Ok(response) => {
                recorder.fail(request, Some(response.status()));
                let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
                Duration::from_secs(retry_after.unwrap_or(1))
            }
            Err(error) => {
                recorder.fail(request, None);
                if Instant::now() >= deadline {
                    return Err(error);
                }
                Duration::from_secs(1)
            }
        };
        if Instant::now() + pause > deadline {
            return build().send().await;
        }
        tokio::time::sleep(pause).await;
    }
}

/// The JSON body of the answer [`send_patiently`] gets; errors are named `<what>_transport`
/// (no answer in the end) or `<what>_body` (not JSON).
async fn json_patiently(
    recorder: &Recorder,
    request: Request,
    build: impl Fn() -> RequestBuilder,
    what: &str,
) -> Result<Value> {
    let response = send_patiently(recorder, request, build).await.with_context(|| format!("{what}_transport"))?;
    response.json().await.with_context(|| format!("{what}_body"))
}

/// Whether an answer says "not now" rather than "no": worth the same request again later.
fn is_unavailable(status: StatusCode) -> bool {
    matches!(status, StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT)
}

/// Whether a trip as the API shows it is settled: decided, and credited when accepted.
fn is_settled(trip: &Value) -> bool {
    match trip["status"].as_str() {
        None | Some("pending") => false,
        Some("accepted") => trip["credited_at"].is_string(),
        Some(_) => true,
    }
}

/// One upload, waited for until settled; maybe retried, maybe followed by a wallet read.
async fn upload(
    client: &Client,
    plan: &Plan,
    recorder: &Recorder,
    rides: &Rides,
    shop: Option<&Shop>,
    student: &Student,
    n: u64,
) -> Result<()> {
    let cheat = fraction(n, 1) < plan.cheat_share;
    let body = rides.body(n, cheat)?;
    let key = format!("load-{n}");
    let (started, started_at) = (Instant::now(), SystemTime::now());
    let upload = || {
        client
            .post(format!("{}/v1/trips?wait=10", plan.base))
            .bearer_auth(&student.token)
            .header("content-type", "application/json")
            .header("idempotency-key", &key)
            .body(body.clone())
    };
    let response = send_patiently(recorder, Request::Upload, upload).await.context("upload_transport")?;
    let status = response.status();
    let mut trip: Value = response.json().await.context("upload_body")?;
    if status != StatusCode::OK && status != StatusCode::ACCEPTED {
        bail!("upload_{}", status.as_u16());
    }
    let trip_id = trip["trip_id"].as_str().unwrap_or_default().to_owned();
    student.acknowledged.lock().unwrap_or_else(PoisonError::into_inner).push(trip_id.clone());
    if !is_settled(&trip) {
        trip = poll_until_settled(client, plan, recorder, &student.token, &trip_id).await?;
    }
    recorder.settled(started_at, started.elapsed());
    recorder.count(format!("decision_{}", trip["status"].as_str().unwrap_or("unknown")));
    if fraction(n, 2) < plan.retry_share {
        let again = json_patiently(recorder, Request::Upload, upload, "retry").await?;
        recorder.count(if again["trip_id"] == trip["trip_id"] { "retry_same_trip" } else { "error_retry_new_trip" });
    }
    if let Some(shop) = shop.filter(|_| trip["status"] == "accepted" && fraction(n, 4) < plan.spend_share) {
        shop::spend(client, plan, recorder, shop, student, n).await?;
    }
    if fraction(n, 3) < plan.wallet_share {
        let started = Instant::now();
        let wallet = || client.get(format!("{}/v1/wallet", plan.base)).bearer_auth(&student.token);
        let wallet = send_patiently(recorder, Request::Wallet, wallet).await.context("wallet_transport")?;
        if !wallet.status().is_success() {
            bail!("wallet_{}", wallet.status().as_u16());
        }
        recorder.time(Metric::Wallet, started.elapsed());
    }
    Ok(())
}

/// Polls once a second, as an app would: faster polling only adds load to an engine that is behind.
async fn poll_until_settled(
    client: &Client,
    plan: &Plan,
    recorder: &Recorder,
    token: &str,
    trip_id: &str,
) -> Result<Value> {
    let get = || client.get(format!("{}/v1/trips/{trip_id}", plan.base)).bearer_auth(token);
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let started = Instant::now();
        let trip = json_patiently(recorder, Request::GetTrip, get, "get_trip").await?;
        recorder.time(Metric::GetTrip, started.elapsed());
        if is_settled(&trip) {
            return Ok(trip);
        }
    }
    bail!("not_settled_in_60s")
}

/// Every trip the engine acknowledged must end settled (waiting up to
/// [`SETTLE_GRACE`] for the last ones), and every student's wallet must hold
/// exactly the points of their accepted trips, one reward each, less what
/// they spent on vouchers.
pub async fn check_ledger(plan: &Plan, students: &[Arc<Student>]) -> Result<LedgerCheck> {
    let client = Client::new();
    let mut check = LedgerCheck::default();
    let deadline = Instant::now() + SETTLE_GRACE;
    for student in students {
        let token = &student.token;
        let acknowledged = student.acknowledged.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let unsettled = |trips: &[Value]| {
            let settled = |id: &String| trips.iter().any(|trip| trip["trip_id"] == id.as_str() && is_settled(trip));
            acknowledged.iter().filter(|id| !settled(id)).count() as u64
        };
        let trips = loop {
            let page: Value =
                client.get(format!("{}/v1/trips?limit=100", plan.base)).bearer_auth(token).send().await?.json().await?;
            let trips = page["trips"].as_array().cloned().unwrap_or_default();
            if unsettled(&trips) == 0 || Instant::now() >= deadline {
                break trips;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        check.acknowledged_trips += acknowledged.len() as u64;
        check.unsettled += unsettled(&trips);
        let accepted: Vec<&Value> = trips.iter().filter(|t| t["status"] == "accepted").collect();
        let earned: i64 = accepted.iter().map(|t| t["points"].as_i64().unwrap_or(0)).sum();
        let wallet: Value =
            client.get(format!("{}/v1/wallet", plan.base)).bearer_auth(token).send().await?.json().await?;
        let held: i64 =
            wallet["balances"].as_array().map_or(0, |b| b.iter().map(|b| b["amount"].as_i64().unwrap_or(0)).sum());
        let rewards = wallet["transfers"].as_array().map_or(0, |t| t.iter().filter(|t| t["kind"] == "reward").count());
        check.students_checked += 1;
        check.accepted_trips += accepted.len() as u64;
        if held != earned - student.spent.load(Ordering::Relaxed)
            || rewards != accepted.iter().filter(|t| t["points"].as_i64().unwrap_or(0) > 0).count()
        {
            check.mismatches += 1;
        }
    }
    Ok(check)
}
