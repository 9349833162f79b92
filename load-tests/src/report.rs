//! Latency histograms, counters and the run report (JSON and a table).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::machine::{MachineUse, UploadPhase};
use serde::{Deserialize, Serialize};

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
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::SubmitToDecided => "submit_to_decided",
            Self::GetTrip => "get_trip",
            Self::Wallet => "wallet",
        }
    }
}

/// Shared, thread-safe recorder of one run.
#[derive(Default)]
pub struct Recorder {
    histograms: Mutex<BTreeMap<Metric, Histogram<u64>>>,
    counters: Mutex<BTreeMap<String, u64>>,
}

impl Recorder {
    /// Records one latency.
    pub fn time(&self, metric: Metric, elapsed: Duration) {
        let mut histograms = self.histograms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let histogram = histograms.entry(metric).or_insert_with(|| {
            Histogram::new_with_bounds(1, 120_000_000, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
        });
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).clamp(1, 120_000_000);
        let _ = histogram.record(micros);
    }

    /// Adds one to a counter (outcomes, error kinds).
    pub fn count(&self, name: impl Into<String>) {
        *self.counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(name.into()).or_default() += 1;
    }

    /// The report of the run so far.
    pub fn report(&self, stack: &str, target_rate: f64, phase: &UploadPhase, ledger: LedgerCheck) -> Report {
        let histograms = self.histograms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
        let counters = self.counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let settled = histograms.get(&Metric::SubmitToDecided).map_or(0, Histogram::len);
        Report {
            stack: stack.to_owned(),
            target_rate_per_s: target_rate,
            duration_s: phase.length.as_secs_f64(),
            uploads_per_s: settled as f64 / phase.length.as_secs_f64().max(f64::EPSILON),
            machine: phase.cpu.map(|(start, end)| start.until(end, settled)),
            errors: counters.iter().filter(|(k, _)| k.starts_with("error")).map(|(_, v)| v).sum(),
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
    /// Failed requests of any kind.
    pub errors: u64,
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
        "| stack | target/s | settled/s | errors | submit→decided p50 / p95 / p99 ms | join p99 ms | wallet p99 ms | ledger | machine CPU ms per upload (busy) |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let p = |name: &str| r.latency_ms.get(name);
        let decided =
            p("submit_to_decided").map_or("-".into(), |l| format!("{:.0} / {:.0} / {:.0}", l.p50, l.p95, l.p99));
        let p99 = |name: &str| p(name).map_or("-".into(), |l| format!("{:.0}", l.p99));
        let ledger = if r.ledger.mismatches == 0 {
            format!("ok ({} trips)", r.ledger.accepted_trips)
        } else {
            format!("{} MISMATCHES", r.ledger.mismatches)
        };
        let machine =
            r.machine.map_or("-".into(), |m| format!("{:.1} ({:.0} %)", m.cpu_ms_per_upload, m.busy_share * 100.0));
        out.push_str(&format!(
            "| {} | {:.0} | {:.1} | {} | {decided} | {} | {} | {ledger} | {machine} |\n",
            r.stack,
            r.target_rate_per_s,
            r.uploads_per_s,
            r.errors,
            p99("join"),
            p99("wallet")
        ));
    }
    out
}
