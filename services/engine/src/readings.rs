//! Readings in (DESIGN §10): a data source's batch of up to
//! [`MAX_READINGS`], as JSON or as the CSV waste companies export, from the
//! API or the MQTT bridge.
//!
//! Each reading is checked on its own — its kind among the source's kinds,
//! its fraction or carrier, its unit (converted to the base unit: g, Wh, l),
//! a value no household could reach, a time in the future — and the
//! household it names must be one of the tenant's. The good ones are stored
//! in one transaction, whatever is wrong with the others, and every bad one
//! is reported by its index with a stable code. Once [`take`] returns, the
//! batch is stored: sending it again changes nothing (a reading is kept by
//! the source's id; see the store's `readings`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use smartville_auth::api_key;
use smartville_store::ids::{DeviceKeyId, SourceId, TenantId};
use smartville_store::readings::{self, Carrier, Fraction, Measured, NewReading, Outcome};
use smartville_store::sources::{self, Kinds, ReadingKind};
use smartville_store::{Store, StoreError, households};

use crate::{DAY_MS, Engine, EngineError, now_ms};

/// Most readings in one batch.
pub const MAX_READINGS: usize = 10_000;
/// Longest id or household reference a source may send.
pub const MAX_REF_CHARS: usize = 100;
/// How far ahead of the engine's clock a reading may be observed: the source's clock may run ahead a little.
const FUTURE_SLACK_MS: i64 = 3_600_000;
/// How old a reading may be: ten years is beyond any baseline.
const MAX_AGE_MS: i64 = 3_653 * DAY_MS;
/// The columns a CSV batch must have (`fraction`, `carrier` and `correction_of` may be left out).
const CSV_COLUMNS: [&str; 6] = ["id", "household_ref", "kind", "observed_at", "value", "unit"];

/// One reading as a source sends it: an object of a JSON batch, or a CSV row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SentReading {
    /// The source's own id of the reading (1 to 100 characters): sending it again changes nothing.
    #[cfg_attr(feature = "openapi", schema(example = "IOK-2027-000123"))]
    pub id: String,
    /// The household's pseudonymous reference, as registered by the council.
    #[cfg_attr(feature = "openapi", schema(example = "HH-0042"))]
    pub household_ref: String,
    /// `waste` or `energy`.
    #[cfg_attr(feature = "openapi", schema(example = "waste"))]
    pub kind: String,
    /// For waste: `residual`, `organic`, `garden`, `pmd`, `paper`, `glass` or `bulky`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "residual"))]
    pub fraction: Option<String>,
    /// For energy: `electricity`, `gas` or `water`.
    #[serde(default)]
    pub carrier: Option<String>,
    /// When it was observed (RFC 3339): the weighing, or the end of the metered interval.
    #[cfg_attr(feature = "openapi", schema(example = "2027-01-12T07:41:00Z"))]
    pub observed_at: String,
    /// How much: the weight collected, or what was used over the interval (not a meter's index).
    #[cfg_attr(feature = "openapi", schema(example = 12.4))]
    pub value: f64,
    /// Waste: `kg` or `g`; electricity: `kWh`, `Wh` or `MWh`; gas and water: `m3` (or `m³`) or `l`.
    #[cfg_attr(feature = "openapi", schema(example = "kg"))]
    pub unit: String,
    /// The id of an earlier reading of this source that this one replaces.
    #[serde(default)]
    pub correction_of: Option<String>,
}

/// An item of a batch that could not be read as a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// Its id, when it has one that reads.
    pub id: Option<String>,
    /// Why it does not read.
    pub problem: String,
}

/// The items of a batch, each read or not.
pub type SentBatch = Vec<Result<SentReading, Unread>>;

/// Why a whole batch is refused; each has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchRefusal {
    /// Not a batch at all.
    #[error("{0}")]
    Unreadable(String),
    /// More readings than a batch may hold.
    #[error("a batch holds at most {MAX_READINGS} readings, this one more; send it in parts")]
    TooMany,
}

impl BatchRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Unreadable(_) => "INVALID_BATCH",
            Self::TooMany => "TOO_MANY_READINGS",
        }
    }
}

/// Reads a JSON batch, `{"readings": [ … ]}`, each item on its own.
pub fn from_json(body: &[u8]) -> Result<SentBatch, BatchRefusal> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Batch {
        readings: Vec<serde_json::Value>,
    }
    let batch: Batch = serde_json::from_slice(body)
        .map_err(|e| BatchRefusal::Unreadable(format!("a batch is a JSON object {{\"readings\": [ … ]}}: {e}")))?;
    if batch.readings.len() > MAX_READINGS {
        return Err(BatchRefusal::TooMany);
    }
    Ok(batch
        .readings
        .into_iter()
        .map(|item| {
            let id = item.get("id").and_then(|id| id.as_str()).map(str::to_owned);
            SentReading::deserialize(item).map_err(|e| Unread { id, problem: e.to_string() })
        })
        .collect())
}

/// Reads a CSV batch: a header row naming the columns (any order; those of
/// [`SentReading`]), then a reading a row.
pub fn from_csv(body: &[u8]) -> Result<SentBatch, BatchRefusal> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(body);
    let header =
        reader.headers().map_err(|e| BatchRefusal::Unreadable(format!("the header row does not read: {e}")))?.clone();
    if let Some(missing) = CSV_COLUMNS.iter().find(|column| !header.iter().any(|name| name == **column)) {
        let columns = CSV_COLUMNS.join(", ");
        return Err(BatchRefusal::Unreadable(format!(
            "the header row has no column {missing:?}; a batch needs {columns} (and fraction or carrier)"
        )));
    }
    let id_column = header.iter().position(|name| name == "id");
    let mut batch = Vec::new();
    for row in reader.records() {
        if batch.len() == MAX_READINGS {
            return Err(BatchRefusal::TooMany);
        }
        batch.push(match row {
            Err(e) => Err(Unread { id: None, problem: e.to_string() }),
            Ok(record) => record.deserialize::<SentReading>(Some(&header)).map_err(|e| Unread {
                id: id_column.and_then(|at| record.get(at)).filter(|id| !id.is_empty()).map(str::to_owned),
                problem: e.to_string(),
            }),
        });
    }
    Ok(batch)
}

/// A data source signed in with one of its API keys.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The source.
    pub source_id: SourceId,
    /// Its name.
    pub name: String,
    /// The kinds of readings it may send.
    pub kinds: Kinds,
}

impl Source {
    /// The source as the sender of a batch.
    pub fn sender(&self) -> Sender<'_> {
        Sender { tenant_id: &self.tenant_id, source_id: &self.source_id, kinds: &self.kinds }
    }
}

/// Signs a data source in with an API key (`svk_<key id>_<secret>`), the
/// same way over HTTP and MQTT: the source, or `None` when it is no key or
/// an unknown or revoked one. Notes that the key was used.
pub async fn sign_in(store: &Store, key: &str) -> Result<Option<Source>, StoreError> {
    let Some((key_id, secret)) = api_key::parse(key) else { return Ok(None) };
    let key_id = DeviceKeyId::from(key_id);
    let Some(holder) = sources::holder(store, &key_id).await? else { return Ok(None) };
    if !api_key::matches(secret, &holder.secret_hash) {
        return Ok(None);
    }
    sources::mark_used(store, &key_id, &holder).await?;
    Ok(Some(Source {
        tenant_id: holder.tenant_id,
        source_id: holder.source_id,
        name: holder.name,
        kinds: holder.kinds,
    }))
}

/// The source a batch comes from.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// Its tenant: the only one whose households it may name.
    pub tenant_id: &'a TenantId,
    /// The source.
    pub source_id: &'a SourceId,
    /// The kinds of readings it may send.
    pub kinds: &'a Kinds,
}

/// A reading of the batch that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemError {
    /// Its place in the batch (from 0: the first object, or the first row after the header).
    pub index: usize,
    /// Its id, when it has one.
    pub id: Option<String>,
    /// Stable code: `INVALID_READING`, `KIND_NOT_ALLOWED`, `UNKNOWN_FRACTION`,
    /// `UNKNOWN_CARRIER`, `UNKNOWN_UNIT`, `NEGATIVE_VALUE`, `VALUE_TOO_LARGE`,
    /// `INVALID_TIME`, `IN_THE_FUTURE`, `TOO_OLD`, `UNKNOWN_HOUSEHOLD`,
    /// `READING_CONFLICT`, `UNKNOWN_READING` or `ALREADY_CORRECTED`.
    #[cfg_attr(feature = "openapi", schema(example = "UNKNOWN_UNIT"))]
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// What became of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchOutcome {
    /// Readings in the batch.
    pub received: usize,
    /// New readings stored.
    pub stored: usize,
    /// Corrections stored, each replacing the reading it names.
    pub corrections: usize,
    /// Readings the source had sent before, the same: nothing changed.
    pub duplicates: usize,
    /// Readings not stored, each in `errors`.
    pub rejected: usize,
    /// Why each rejected reading was not stored, by index.
    pub errors: Vec<ItemError>,
}

/// A reading that passed the checks that need no database.
struct Checked<'a> {
    index: usize,
    sent: &'a SentReading,
    measured: Measured,
    observed_at: i64,
    amount: i64,
}

/// A reading refused, with its stable code.
struct Refused(&'static str, String);

/// Stores the good readings of a batch from `sender`, in one transaction,
/// and says what became of each. Errors only when storing fails: then
/// nothing of the batch is stored.
pub async fn take(engine: &Engine, sender: Sender<'_>, batch: &SentBatch) -> Result<BatchOutcome, EngineError> {
    let now = now_ms();
    let mut outcome = BatchOutcome { received: batch.len(), ..BatchOutcome::default() };
    let mut refuse = |index: usize, id: Option<&str>, Refused(code, message): Refused| {
        metrics::counter!("smartville_readings_total", "outcome" => code).increment(1);
        outcome.errors.push(ItemError { index, id: id.map(str::to_owned), code: code.to_owned(), message });
    };
    let mut checked = Vec::with_capacity(batch.len());
    for (index, item) in batch.iter().enumerate() {
        match item {
            Err(unread) => refuse(index, unread.id.as_deref(), Refused("INVALID_READING", unread.problem.clone())),
            Ok(sent) => match check(sent, sender.kinds, now) {
                Ok((measured, observed_at, amount)) => {
                    checked.push(Checked { index, sent, measured, observed_at, amount });
                }
                Err(refused) => refuse(index, Some(&sent.id), refused),
            },
        }
    }

    let mut tx = engine.store.begin().await?;
    let references: Vec<&str> =
        checked.iter().map(|c| c.sent.household_ref.as_str()).collect::<HashSet<_>>().into_iter().collect();
    let households = households::ids_by_reference(&mut tx, sender.tenant_id, &references).await?;
    let mut stored = Vec::with_capacity(checked.len());
    let mut new = Vec::with_capacity(checked.len());
    for c in checked {
        let Some(household_id) = households.get(&c.sent.household_ref) else {
            let message = format!("the council has no household {:?}", c.sent.household_ref);
            refuse(c.index, Some(&c.sent.id), Refused("UNKNOWN_HOUSEHOLD", message));
            continue;
        };
        new.push(NewReading {
            id: c.sent.id.clone(),
            household_id: household_id.clone(),
            measured: c.measured,
            observed_at: c.observed_at,
            amount: c.amount,
            correction_of: c.sent.correction_of.clone(),
        });
        stored.push(c);
    }
    let outcomes = readings::store(&mut tx, sender.tenant_id, sender.source_id, &new, now).await?;
    tx.commit().await.map_err(StoreError::from)?;

    for (c, what) in stored.iter().zip(outcomes) {
        let refused = match what {
            Outcome::Stored => Ok(&mut outcome.stored),
            Outcome::Corrected => Ok(&mut outcome.corrections),
            Outcome::Duplicate => Ok(&mut outcome.duplicates),
            Outcome::Conflict => Err(Refused(
                "READING_CONFLICT",
                "this source sent another reading with this id; to change it, send a correction under a new id"
                    .to_owned(),
            )),
            Outcome::UnknownTarget => {
                Err(Refused("UNKNOWN_READING", "it corrects a reading this source never sent".to_owned()))
            }
            Outcome::AlreadyCorrected(by) => Err(Refused(
                "ALREADY_CORRECTED",
                format!("the reading it corrects was replaced by {by:?}; correct that one"),
            )),
        };
        match refused {
            Ok(count) => *count += 1,
            Err(refused) => refuse(c.index, Some(&c.sent.id), refused),
        }
    }
    let counted = [("stored", outcome.stored), ("corrected", outcome.corrections), ("duplicate", outcome.duplicates)];
    for (what, count) in counted {
        metrics::counter!("smartville_readings_total", "outcome" => what).increment(count as u64);
    }
    outcome.errors.sort_by_key(|error| error.index);
    outcome.rejected = outcome.errors.len();
    Ok(outcome)
}

/// The checks of a reading that need no database: what it measured, when
/// (ms since epoch) and how much in the base unit, or why it is refused.
fn check(sent: &SentReading, kinds: &Kinds, now: i64) -> Result<(Measured, i64, i64), Refused> {
    let invalid = |message: String| Refused("INVALID_READING", message);
    for (field, text) in [
        ("id", Some(&sent.id)),
        ("household_ref", Some(&sent.household_ref)),
        ("correction_of", sent.correction_of.as_ref()),
    ] {
        if let Some(text) = text
            && (text.is_empty() || text.chars().count() > MAX_REF_CHARS || text.chars().any(char::is_control))
        {
            return Err(invalid(format!("{field} is 1 to {MAX_REF_CHARS} characters without control characters")));
        }
    }
    let kind = ReadingKind::from_name(&sent.kind)
        .ok_or_else(|| invalid(format!("kind is waste or energy, not {:?}", sent.kind)))?;
    if !kinds.0.contains(&kind) {
        return Err(Refused("KIND_NOT_ALLOWED", format!("this source may not send {} readings", kind.as_str())));
    }
    let measured = match (kind, &sent.fraction, &sent.carrier) {
        (ReadingKind::Waste, Some(fraction), None) => Measured::of(kind, fraction).ok_or_else(|| {
            Refused(
                "UNKNOWN_FRACTION",
                format!("{fraction:?} is not a fraction; use {}", listed(Fraction::ALL.iter().map(|f| f.as_str()))),
            )
        })?,
        (ReadingKind::Energy, None, Some(carrier)) => Measured::of(kind, carrier).ok_or_else(|| {
            Refused(
                "UNKNOWN_CARRIER",
                format!("{carrier:?} is not a carrier; use {}", listed(Carrier::ALL.iter().map(|c| c.as_str()))),
            )
        })?,
        (ReadingKind::Waste, _, _) => return Err(invalid("a waste reading names its fraction, and no carrier".into())),
        (ReadingKind::Energy, _, _) => {
            return Err(invalid("an energy reading names its carrier, and no fraction".into()));
        }
    };
    let observed_at = chrono::DateTime::parse_from_rfc3339(&sent.observed_at)
        .map_err(|_| Refused("INVALID_TIME", format!("observed_at {:?} is not an RFC 3339 time", sent.observed_at)))?
        .timestamp_millis();
    if observed_at > now + FUTURE_SLACK_MS {
        return Err(Refused("IN_THE_FUTURE", format!("observed_at {} is in the future", sent.observed_at)));
    }
    if observed_at < now - MAX_AGE_MS {
        return Err(Refused("TOO_OLD", format!("observed_at {} is over ten years ago", sent.observed_at)));
    }
    if !sent.value.is_finite() {
        return Err(invalid(format!("value is a number, not {}", sent.value)));
    }
    if sent.value < 0.0 {
        return Err(Refused("NEGATIVE_VALUE", format!("a reading is an amount, never negative ({})", sent.value)));
    }
    let per_unit = units(measured).iter().find(|(unit, _)| *unit == sent.unit).map(|(_, factor)| *factor);
    let Some(per_unit) = per_unit else {
        let known: Vec<&str> = units(measured).iter().map(|(unit, _)| *unit).collect();
        let message = format!("{} is sent in {}, not {:?}", measured.name(), known.join(", "), sent.unit);
        return Err(Refused("UNKNOWN_UNIT", message));
    };
    let amount = (sent.value * per_unit).round();
    let most = most_per_reading(measured);
    if amount > most as f64 {
        let message = format!(
            "{} {} is more than a household could ({} {} at most)",
            sent.value,
            sent.unit,
            most,
            measured.base_unit()
        );
        return Err(Refused("VALUE_TOO_LARGE", message));
    }
    Ok((measured, observed_at, amount as i64))
}

/// The units a reading of `measured` may be sent in, with how many base units each is.
fn units(measured: Measured) -> &'static [(&'static str, f64)] {
    match measured {
        Measured::Waste(_) => &[("kg", 1_000.0), ("g", 1.0)],
        Measured::Energy(Carrier::Electricity) => &[("kWh", 1_000.0), ("Wh", 1.0), ("MWh", 1_000_000.0)],
        Measured::Energy(Carrier::Gas | Carrier::Water) => &[("m3", 1_000.0), ("m³", 1_000.0), ("l", 1.0), ("L", 1.0)],
    }
}

/// The most one reading may hold, in base units: more than any household
/// reaches (a year's electricity is a few MWh, its gas 1,500 m³, its water 100 m³).
fn most_per_reading(measured: Measured) -> i64 {
    match measured {
        Measured::Waste(_) => 2_000_000,                       // 2 tonnes
        Measured::Energy(Carrier::Electricity) => 100_000_000, // 100 MWh
        Measured::Energy(Carrier::Gas) => 100_000_000,         // 100,000 m³
        Measured::Energy(Carrier::Water) => 10_000_000,        // 10,000 m³
    }
}

/// Names for a message: `a, b, c`.
fn listed(names: impl Iterator<Item = &'static str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const NOW: i64 = 1_800_000_000_000; // 2027-01-15T08:00:00Z

    fn sent(kind: &str, what: &str, value: f64, unit: &str) -> SentReading {
        let (fraction, carrier) =
            if kind == "waste" { (Some(what.to_owned()), None) } else { (None, Some(what.to_owned())) };
        SentReading {
            id: "r1".into(),
            household_ref: "HH-1".into(),
            kind: kind.into(),
            fraction,
            carrier,
            observed_at: "2027-01-12T07:41:00Z".into(),
            value,
            unit: unit.into(),
            correction_of: None,
        }
    }

    fn both() -> Kinds {
        Kinds(vec![ReadingKind::Waste, ReadingKind::Energy])
    }

    fn code_of(reading: &SentReading, kinds: &Kinds) -> &'static str {
        match check(reading, kinds, NOW) {
            Ok(_) => "OK",
            Err(Refused(code, _)) => code,
        }
    }

    #[test]
    fn units_are_converted_to_the_base_unit_of_what_was_measured() {
        let cases = [
            (sent("waste", "residual", 12.4, "kg"), Measured::Waste(Fraction::Residual), 12_400),
            (sent("waste", "pmd", 850.0, "g"), Measured::Waste(Fraction::Pmd), 850),
            (sent("energy", "electricity", 1.5, "kWh"), Measured::Energy(Carrier::Electricity), 1_500),
            (sent("energy", "electricity", 0.25, "MWh"), Measured::Energy(Carrier::Electricity), 250_000),
            (sent("energy", "water", 2.0, "m³"), Measured::Energy(Carrier::Water), 2_000),
            (sent("energy", "gas", 40.0, "l"), Measured::Energy(Carrier::Gas), 40),
        ];
        for (reading, measured, amount) in cases {
            let (got, observed_at, got_amount) = check(&reading, &both(), NOW).ok().unwrap();
            assert_eq!((got, got_amount), (measured, amount), "{reading:?}");
            assert_eq!(observed_at, 1_799_739_660_000);
        }
    }

    #[test]
    fn every_bad_reading_is_refused_with_its_own_code() {
        let mut future = sent("waste", "residual", 1.0, "kg");
        future.observed_at = "2027-01-15T10:00:00Z".into();
        let mut ancient = sent("waste", "residual", 1.0, "kg");
        ancient.observed_at = "2015-01-01T00:00:00Z".into();
        let mut no_time = sent("waste", "residual", 1.0, "kg");
        no_time.observed_at = "yesterday".into();
        let mut both_named = sent("waste", "residual", 1.0, "kg");
        both_named.carrier = Some("gas".into());
        let mut blank_id = sent("waste", "residual", 1.0, "kg");
        blank_id.id = String::new();
        let cases = [
            (sent("waste", "residual", 1.0, "kg"), "OK"),
            (sent("waste", "residual", 1.0, "l"), "UNKNOWN_UNIT"),
            (sent("energy", "electricity", 1.0, "kg"), "UNKNOWN_UNIT"),
            (sent("energy", "electricity", 1.0, "mWh"), "UNKNOWN_UNIT"),
            (sent("waste", "plutonium", 1.0, "kg"), "UNKNOWN_FRACTION"),
            (sent("energy", "coal", 1.0, "kg"), "UNKNOWN_CARRIER"),
            (sent("heat", "residual", 1.0, "kg"), "INVALID_READING"),
            (sent("waste", "residual", -1.0, "kg"), "NEGATIVE_VALUE"),
            (sent("waste", "residual", f64::NAN, "kg"), "INVALID_READING"),
            (sent("waste", "residual", 2_001.0, "kg"), "VALUE_TOO_LARGE"),
            (sent("waste", "residual", 2_000.0, "kg"), "OK"),
            (sent("energy", "water", 10_001.0, "m3"), "VALUE_TOO_LARGE"),
            (future, "IN_THE_FUTURE"),
            (ancient, "TOO_OLD"),
            (no_time, "INVALID_TIME"),
            (both_named, "INVALID_READING"),
            (blank_id, "INVALID_READING"),
        ];
        for (reading, code) in &cases {
            assert_eq!(code_of(reading, &both()), *code, "{reading:?}");
        }
        let waste_only = Kinds(vec![ReadingKind::Waste]);
        assert_eq!(code_of(&sent("energy", "gas", 1.0, "m3"), &waste_only), "KIND_NOT_ALLOWED");
    }

    #[test]
    fn a_json_batch_reads_item_by_item() {
        let body = br#"{"readings": [
            {"id": "a", "household_ref": "HH-1", "kind": "waste", "fraction": "residual",
             "observed_at": "2027-01-12T07:41:00Z", "value": 12.4, "unit": "kg"},
            {"id": "b", "household_ref": "HH-1", "kind": "waste", "value": "heavy"},
            42
        ]}"#;
        let batch = from_json(body).unwrap();
        assert_eq!(batch.len(), 3);
        assert_eq!(batch[0].as_ref().unwrap().value, 12.4);
        assert_eq!(batch[1].as_ref().unwrap_err().id.as_deref(), Some("b"));
        assert_eq!(batch[2].as_ref().unwrap_err().id, None);
        for not_a_batch in [&b"[]"[..], b"{\"readings\": 1}", b"{\"items\": []}", b"{"] {
            assert_eq!(from_json(not_a_batch).unwrap_err().code(), "INVALID_BATCH");
        }
        let item = r#"{"id": "x", "household_ref": "h", "kind": "waste", "fraction": "glass", "observed_at": "2027-01-01T00:00:00Z", "value": 1, "unit": "kg"}"#;
        let too_many = format!("{{\"readings\": [{}]}}", vec![item; MAX_READINGS + 1].join(","));
        assert_eq!(from_json(too_many.as_bytes()).unwrap_err(), BatchRefusal::TooMany);
    }

    #[test]
    fn a_csv_batch_reads_by_its_header_in_any_order() {
        let body = "unit,value,observed_at,household_ref,kind,fraction,carrier,id,correction_of\n\
                    kg, 12.4 ,2027-01-12T07:41:00Z,HH-1,waste,residual,,a,\n\
                    kWh,3.5,2027-01-12T00:00:00Z,HH-1,energy,,electricity,b,\n\
                    kg,lots,2027-01-12T07:41:00Z,HH-1,waste,residual,,c,\n";
        let batch = from_csv(body.as_bytes()).unwrap();
        let first = batch[0].as_ref().unwrap();
        assert_eq!((first.value, first.carrier.as_deref(), first.correction_of.as_deref()), (12.4, None, None));
        assert_eq!(batch[1].as_ref().unwrap().carrier.as_deref(), Some("electricity"));
        assert_eq!(
            batch[2].as_ref().unwrap_err().id.as_deref(),
            Some("c"),
            "a row that does not read is named by its id"
        );
        let no_unit =
            "id,household_ref,kind,fraction,observed_at,value\na,HH-1,waste,residual,2027-01-12T07:41:00Z,1\n";
        assert_eq!(from_csv(no_unit.as_bytes()).unwrap_err().code(), "INVALID_BATCH");
        let row = "x,h,waste,glass,2027-01-01T00:00:00Z,1,kg\n";
        let too_many =
            format!("id,household_ref,kind,fraction,observed_at,value,unit\n{}", row.repeat(MAX_READINGS + 1));
        assert_eq!(from_csv(too_many.as_bytes()).unwrap_err(), BatchRefusal::TooMany);
    }
}
