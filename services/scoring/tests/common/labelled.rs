//! The labelled set of real trips (`tests/data/labelled/`, sources and
//! licences in its `SOURCES.md`) and how it is judged: each trip as recorded
//! and as a backgrounded phone would send it (every 5, 15 and 30 s, with
//! gaps, bursts, duplicates and accuracy noise, seeded per trip), under the
//! example campaign with its calendar and places opened, so that only the
//! motion decides. Shared by the `judgement` bench, which prints the
//! confusion matrix, and the `judgement` test, which holds today's floors.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use smartville_scoring::{CampaignSpec, CompiledCampaign, History, RawFix, RawTrace, Status, TraceLimits, assess};
use smartville_simulator::phone::{self, PhoneSampling};

/// How a trip really travelled, as its recorder labelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// Cycling.
    Bike,
    /// Walking or hiking.
    Walk,
    /// Running: on foot, faster than a walk.
    Run,
    /// Car, bus, tram or train.
    Motor,
}

impl Mode {
    fn parse(text: &str) -> Self {
        match text {
            "bike" => Self::Bike,
            "walk" => Self::Walk,
            "run" => Self::Run,
            "motor" => Self::Motor,
            other => panic!("unknown mode {other:?} in labels.csv"),
        }
    }

    /// Every mode, in table order.
    pub const ALL: [Self; 4] = [Self::Bike, Self::Walk, Self::Run, Self::Motor];
}

/// One recorded trip with its label.
pub struct LabelledTrip {
    /// Path under `trips/`, e.g. `uci-gotrack/car-0012.csv`.
    pub file: String,
    /// The true mode.
    pub mode: Mode,
    /// The source's own label (cycling, hiking, bus …).
    pub label: String,
    /// Who recorded it (pseudonymous).
    pub person: String,
    /// The fixes as recorded.
    pub trace: RawTrace,
}

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/labelled")
}

/// Every trip of the set, in `labels.csv` order.
pub fn load() -> Vec<LabelledTrip> {
    let labels = std::fs::read_to_string(folder().join("labels.csv")).unwrap();
    labels
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let columns: Vec<&str> = line.split(',').collect();
            let [file, mode, label, person, ..] = columns[..] else { panic!("short line in labels.csv: {line}") };
            LabelledTrip {
                file: file.to_owned(),
                mode: Mode::parse(mode),
                label: label.to_owned(),
                person: person.to_owned(),
                trace: read_trip(file),
            }
        })
        .collect()
}

/// A trip file: `time_ms,lat,lon,accuracy_m` per fix, accuracy possibly empty.
fn read_trip(file: &str) -> RawTrace {
    let text = std::fs::read_to_string(folder().join("trips").join(file)).unwrap();
    let fixes = text
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut columns = line.split(',');
            let mut next = || columns.next().unwrap_or("").trim();
            let (t, lat, lon, accuracy) = (next(), next(), next(), next());
            RawFix {
                t_ms: Some(t.parse().unwrap()),
                lat: lat.parse().unwrap(),
                lon: lon.parse().unwrap(),
                accuracy_m: accuracy.parse().ok(),
                speed_mps: None,
            }
        })
        .collect();
    RawTrace { fixes, ..RawTrace::default() }
}

/// How a trip is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// As recorded (mostly 1 Hz sports loggers, 5–10 s for the motor sets).
    Native,
    /// As a backgrounded phone asked for a fix every so many seconds sends it.
    Phone(f64),
}

impl Sampling {
    /// Every sampling the set is judged at.
    pub const ALL: [Self; 4] = [Self::Native, Self::Phone(5.0), Self::Phone(15.0), Self::Phone(30.0)];

    /// A short name for tables.
    pub fn name(self) -> String {
        match self {
            Self::Native => "as recorded".into(),
            Self::Phone(interval_s) => format!("phone, every {interval_s} s"),
        }
    }

    /// `trip` as sent with this sampling; the noise is seeded by the trip's file name.
    pub fn apply(self, trip: &LabelledTrip) -> RawTrace {
        match self {
            Self::Native => trip.trace.clone(),
            Self::Phone(interval_s) => {
                let seed =
                    trip.file.bytes().fold(interval_s as u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
                phone::sample(&trip.trace, &PhoneSampling::every(interval_s), seed)
            }
        }
    }
}

/// The example campaign with every day and hour open, no campaign area, no
/// school and no upload-age limit: only a ride's motion can decide it.
pub fn motion_only_campaign() -> CompiledCampaign {
    let mut spec: serde_json::Value =
        serde_json::from_slice(include_bytes!("../../../../examples/campaign.json")).unwrap();
    let all_day = serde_json::json!([{"from": "00:00", "until": "24:00", "direction": "free"}]);
    let windows: serde_json::Map<_, _> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), all_day.clone())).collect();
    spec["schedule"] = serde_json::json!({ "windows": windows });
    spec["zones"] = serde_json::json!({"type": "FeatureCollection", "features": []});
    spec["valid_from"] = "2000-01-01".into();
    spec["valid_until"] = "2099-12-31".into();
    spec["time_zone"] = "UTC".into();
    CampaignSpec::from_json(spec.to_string().as_bytes()).unwrap().compile().unwrap()
}

/// What became of one trip: its status and its reason codes (an upload the
/// engine refuses as input counts as rejected, with the input error's code).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Accepted, review or rejected.
    pub status: Status,
    /// The codes of the reasons that decided it (review reasons for a review,
    /// reject reasons for a rejection).
    pub codes: Vec<String>,
    /// The figures and every reason's message, for looking into one trip.
    pub detail: String,
}

/// Judges `trace` as the engine would, with a fresh history.
pub fn judge(trace: RawTrace, campaign: &CompiledCampaign) -> Outcome {
    let limits = TraceLimits { max_age_ms: None, ..TraceLimits::default() };
    match trace.validate(&limits, i64::MAX / 2) {
        Err(error) => {
            Outcome { status: Status::Rejected, codes: vec![error.code().to_owned()], detail: error.to_string() }
        }
        Ok(trace) => {
            let decision = assess(&trace, campaign, &History::fresh(1_000_000)).decision;
            let wanted = match decision.status {
                Status::Rejected => Some(smartville_scoring::Effect::Reject),
                Status::Review => Some(smartville_scoring::Effect::Review),
                Status::Accepted => None,
            };
            let codes = decision
                .reasons
                .iter()
                .filter(|r| Some(r.effect) == wanted)
                .map(|r| r.code.as_str().to_owned())
                .collect();
            let detail = format!(
                "{:.1} km, {} s ({} s moving), {} km/h, {} fixes: {}",
                decision.distance_m as f64 / 1000.0,
                decision.duration_s,
                decision.moving_time_s,
                decision.average_speed_kmh,
                decision.fixes_received,
                decision
                    .reasons
                    .iter()
                    .map(|r| format!("{} {}", r.code.as_str(), r.message))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            Outcome { status: decision.status, codes, detail }
        }
    }
}

/// Counts of outcomes per true mode, with the reasons behind them.
#[derive(Debug, Default)]
pub struct Matrix {
    /// (mode, status) → trips.
    counts: BTreeMap<(Mode, u8), usize>,
    /// (mode, status) → reason code → trips.
    reasons: BTreeMap<(Mode, u8), BTreeMap<String, usize>>,
}

/// A status's column in the table.
fn column(status: Status) -> u8 {
    match status {
        Status::Accepted => 0,
        Status::Review => 1,
        Status::Rejected => 2,
    }
}

impl Matrix {
    /// Counts one trip.
    pub fn add(&mut self, mode: Mode, outcome: &Outcome) {
        let key = (mode, column(outcome.status));
        *self.counts.entry(key).or_default() += 1;
        for code in &outcome.codes {
            *self.reasons.entry(key).or_default().entry(code.clone()).or_default() += 1;
        }
    }

    /// Trips of `mode` with `status`.
    pub fn count(&self, mode: Mode, status: Status) -> usize {
        self.counts.get(&(mode, column(status))).copied().unwrap_or(0)
    }

    /// Trips of `mode`.
    pub fn total(&self, mode: Mode) -> usize {
        [Status::Accepted, Status::Review, Status::Rejected].iter().map(|&s| self.count(mode, s)).sum()
    }

    /// The share of `mode`'s trips with `status`, 0 to 1.
    pub fn share(&self, mode: Mode, status: Status) -> f64 {
        self.count(mode, status) as f64 / self.total(mode).max(1) as f64
    }

    /// The matrix as a Markdown table: per true mode, how many trips were
    /// accepted, sent to review and rejected, and the most frequent reasons.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| true mode | trips | accepted | review | rejected | review reasons | reject reasons |\n\
             |---|---:|---:|---:|---:|---|---|\n",
        );
        for mode in Mode::ALL {
            let total = self.total(mode);
            if total == 0 {
                continue;
            }
            let cell = |status| {
                let n = self.count(mode, status);
                format!("{n} ({:.0} %)", 100.0 * n as f64 / total as f64)
            };
            let top = |status| {
                let mut codes: Vec<(&String, &usize)> =
                    self.reasons.get(&(mode, column(status))).map(|r| r.iter().collect()).unwrap_or_default();
                codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                codes.iter().take(3).map(|(code, n)| format!("{code} {n}")).collect::<Vec<_>>().join(", ")
            };
            let _ = writeln!(
                out,
                "| {mode:?} | {total} | {} | {} | {} | {} | {} |",
                cell(Status::Accepted),
                cell(Status::Review),
                cell(Status::Rejected),
                top(Status::Review),
                top(Status::Rejected)
            );
        }
        out
    }
}

/// Judges every trip of `trips` as sent with `sampling`.
pub fn evaluate(trips: &[LabelledTrip], sampling: Sampling, campaign: &CompiledCampaign) -> Matrix {
    let mut matrix = Matrix::default();
    for trip in trips {
        matrix.add(trip.mode, &judge(sampling.apply(trip), campaign));
    }
    matrix
}
