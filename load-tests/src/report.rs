//! Latency histograms, counters, the timeline and the run report (JSON and a table).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::machine::{MachineUse, UploadPhase};

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// `POST /v1/auth/join`.
    Join,
    /// From the upload request to a settled decision (`?wait`, then polling).
    SubmitToDecided,
    /// `GET /v1/trips/{id}`.
    GetTrip,
    /// `GET /v1/wallet`.
    Wallet,
    /// `POST /v1/rewards/{offer_id}/vouchers`.
    Purchase,
    /// `POST /v1/merchant/redemptions`.
    Redemption,
    /// A page and its style sheet, as a browser needs them for its first render.
    Page,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::SubmitToDecided => "submit_to_decided",
            Self::GetTrip => "get_trip",
            Self::Wallet => "wallet",
            Self::Purchase => "purchase",
            Self::Redemption => "redemption",
            Self::Page => "page",
        }
    }
}

/// A kind of request, to name failed attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// `POST /v1/auth/join`.
    Join,
    /// `POST /v1/trips`.
    Upload,
    /// `GET /v1/trips/{id}`.
    GetTrip,
    /// `GET /v1/wallet`.
    Wallet,
    /// `POST /v1/rewards/{offer_id}/vouchers`.
    Purchase,
    /// `POST /v1/merchant/redemptions`.
    Redemption,
}

impl Request {
    fn name(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Upload => "upload",
            Self::GetTrip => "get_trip",
            Self::Wallet => "wallet",
            Self::Purchase => "purchase",
            Self::Redemption => "redemption",
        }
    }
}

/// One moment of a run, in wall-clock time so that it can be laid beside the
/// times at which a chaos script injected its faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TimelineEvent {
    /// A request that got no answer or a 502/503/504 (and was sent again).
    Failure {
        /// When the attempt ended, ms since the Unix epoch.
        at_ms: i64,
        /// Which request.
        request: Request,
        /// The HTTP status, or `None` when the connection failed.
        status: Option<u16>,
    },
    /// An upload from its first request on.
    Upload {
        /// When it was first sent, ms since the Unix epoch.
        started_ms: i64,
        /// Until settled, ms; `None` when it never settled (an error of the run).
        settled_after_ms: Option<f64>,
    },
}

/// Milliseconds since the Unix epoch of `time`.
fn epoch_ms(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Shared, thread-safe recorder of one run.
#[derive(Default)]
pub struct Recorder {
    histograms: Mutex<BTreeMap<Metric, Histogram<u64>>>,
    counters: Mutex<BTreeMap<String, u64>>,
    timeline: Mutex<Vec<TimelineEvent>>,
}

impl Recorder {
    /// Records an attempt of `request` that got no answer (`status` `None`) or
    /// a 502/503/504: counted as `failed_<request>_<status>` and put on the timeline.
    pub fn fail(&self, request: Request, status: Option<StatusCode>) {
        let status = status.map(|s| s.as_u16());
        let status_name = status.map_or("transport".to_owned(), |s| s.to_string());
        self.count(format!("failed_{}_{status_name}", request.name()));
        self.push(TimelineEvent::Failure { at_ms: epoch_ms(SystemTime::now()), request, status });
    }

    /// Records an upload first sent at `started_at` that settled `elapsed` later.
    pub fn settled(&self, started_at: SystemTime, elapsed: Duration) {
        self.time(Metric::SubmitToDecided, elapsed);
        let settled_after_ms = Some(elapsed.as_secs_f64() * 1000.0);
        self.push(TimelineEvent::Upload { started_ms: epoch_ms(started_at), settled_after_ms });
    }

    /// Records an upload first sent at `started_at` that never settled.
    pub fn never_settled(&self, started_at: SystemTime) {
        self.push(TimelineEvent::Upload { started_ms: epoch_ms(started_at), settled_after_ms: None });
    }

    fn push(&self, event: TimelineEvent) {
        self.timeline.lock().unwrap_or_else(PoisonError::into_inner).push(event);
    }

    /// The timeline so far, in the order things happened.
    pub fn timeline(&self) -> Vec<TimelineEvent> {
        self.timeline.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Records one latency.
    pub fn time(&self, metric: Metric, elapsed: Duration) {
        let mut histograms = self.histograms.lock().unwrap_or_else(PoisonError::into_inner);
        let histogram = histograms.entry(metric).or_insert_with(|| {
            Histogram::new_with_bounds(1, 120_000_000, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
        });
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).clamp(1, 120_000_000);
        let _ = histogram.record(micros);
    }

    /// Adds one to a counter (outcomes, error kinds).
    pub fn count(&self, name: impl Into<String>) {
        *self.counters.lock().unwrap_or_else(PoisonError::into_inner).entry(name.into()).or_default() += 1;
    }

    /// The report of the run so far.
    pub fn report(&self, stack: &str, target_rate: f64, phase: &UploadPhase, ledger: LedgerCheck) -> Report {
        let histograms = self.histograms.lock().unwrap_or_else(PoisonError::into_inner);
        let latency_ms = histograms
            .iter()
            .map(|(metric, h)| {
                let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
                (
                    metric.name().to_owned(),
                    Percentiles {
                        count: h.len(),
                        p50: ms(0.5),
                        p95: ms(0.95),
                        p99: ms(0.99),
                        max: h.max() as f64 / 1000.0,
                    },
                )
            })
            .collect();
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let settled = histograms.get(&Metric::SubmitToDecided).map_or(0, Histogram::len);
        let per_s = |metric: Metric| {
            histograms.get(&metric).map_or(0, Histogram::len) as f64 / phase.length.as_secs_f64().max(f64::EPSILON)
        };
        Report {
            purchases_per_s: per_s(Metric::Purchase),
            redemptions_per_s: per_s(Metric::Redemption),
            stack: stack.to_owned(),
            target_rate_per_s: target_rate,
            duration_s: phase.length.as_secs_f64(),
            uploads_per_s: settled as f64 / phase.length.as_secs_f64().max(f64::EPSILON),
            machine: phase.cpu.map(|(start, end)| start.until(end, settled)),
            errors: counters.iter().filter(|(k, _)| k.starts_with("error")).map(|(_, v)| v).sum(),
            failed_attempts: counters.iter().filter(|(k, _)| k.starts_with("failed_")).map(|(_, v)| v).sum(),
            counters,
            latency_ms,
            ledger,
        }
    }
}

/// Latency percentiles of one metric, milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

/// The ledger check after a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LedgerCheck {
    /// Students whose wallet was compared with their accepted trips.
    pub students_checked: u64,
    /// Trips the engine acknowledged (answered 200 or 202 with their id).
    #[serde(default)]
    pub acknowledged_trips: u64,
    /// Acknowledged trips that were not settled (decided, and credited when accepted) in the end.
    #[serde(default)]
    pub unsettled: u64,
    /// Accepted trips seen.
    pub accepted_trips: u64,
    /// Students whose wallet did not hold exactly the points of their accepted trips.
    pub mismatches: u64,
}

/// One run, as written to `--report`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Which deployment was measured.
    pub stack: String,
    /// Uploads per second the run aimed at.
    pub target_rate_per_s: f64,
    /// Length of the upload phase.
    pub duration_s: f64,
    /// Uploads settled (decided, and credited when accepted) per second.
    pub uploads_per_s: f64,
    /// Vouchers bought per second of the upload phase (with `--spend-share`).
    #[serde(default)]
    pub purchases_per_s: f64,
    /// Vouchers redeemed per second of the upload phase.
    #[serde(default)]
    pub redemptions_per_s: f64,
    /// Uploads and joins that failed in the end (after retries), of any kind.
    pub errors: u64,
    /// Attempts that got no answer or a 502/503/504 and were sent again.
    #[serde(default)]
    pub failed_attempts: u64,
    /// Outcomes and error kinds.
    pub counters: BTreeMap<String, u64>,
    /// Latency percentiles per metric.
    pub latency_ms: BTreeMap<String, Percentiles>,
    /// The ledger check.
    pub ledger: LedgerCheck,
    /// What the upload phase cost the machine (absent where it cannot be measured).
    #[serde(default)]
    pub machine: Option<MachineUse>,
}

/// One line per report: the table of `run.sh`.
pub fn table(reports: &[Report]) -> String {
    let mut out = String::from(
        "| stack | target/s | settled/s | errors | retried | submit→decided p50 / p95 / p99 ms | join p99 ms | wallet p99 ms | page + CSS p50 / p99 ms | vouchers bought / redeemed per s (p99 ms) | ledger | machine CPU ms per upload (busy) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let p = |name: &str| r.latency_ms.get(name);
        let decided =
            p("submit_to_decided").map_or("-".into(), |l| format!("{:.0} / {:.0} / {:.0}", l.p50, l.p95, l.p99));
        let p99 = |name: &str| p(name).map_or("-".into(), |l| format!("{:.0}", l.p99));
        let ledger = match (r.ledger.mismatches, r.ledger.unsettled) {
            (0, 0) => format!("ok ({} trips)", r.ledger.accepted_trips),
            (mismatches, unsettled) => format!("{mismatches} MISMATCHES, {unsettled} UNSETTLED"),
        };
        let machine =
            r.machine.map_or("-".into(), |m| format!("{:.1} ({:.0} %)", m.cpu_ms_per_upload, m.busy_share * 100.0));
        let vouchers = if r.purchases_per_s > 0.0 {
            format!(
                "{:.1} ({}) / {:.1} ({})",
                r.purchases_per_s,
                p99("purchase"),
                r.redemptions_per_s,
                p99("redemption")
            )
        } else {
            "-".into()
        };
        let page = p("page").map_or("-".into(), |l| format!("{:.0} / {:.0}", l.p50, l.p99));
        out.push_str(&format!(
            "| {} | {:.0} | {:.1} | {} | {} | {decided} | {} | {} | {page} | {vouchers} | {ledger} | {machine} |\n",
            r.stack,
            r.target_rate_per_s,
            r.uploads_per_s,
            r.errors,
            r.failed_attempts,
            p99("join"),
            p99("wallet")
        ));
    }
    out
}
