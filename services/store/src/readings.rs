//! Readings: what a data source measured for a household (DESIGN §10), kept
//! by the source's own id so that a batch sent twice changes nothing.
//!
//! An amount is an integer in the base unit of what was measured (grams of
//! waste, watt-hours of electricity, litres of gas or water): sums over a
//! period are exact. A correction is a reading of its own naming the one it
//! replaces; the replaced row stays, marked, so what was said when is kept.

use std::collections::{HashMap, HashSet};

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ids::{HouseholdId, SourceId, TenantId};
use crate::sources::ReadingKind;
use crate::sql::{self, BindAll};
use crate::{Backend, Store, StoreError, Tx};

stored_names!(
    /// A fraction of household waste, as waste collectors weigh them separately.
    Fraction {
        /// Residual waste (restafval): what the savings campaigns mostly aim at.
        Residual = "residual",
        /// Vegetable, fruit and garden waste collected at the door (GFT).
        Organic = "organic",
        /// Garden waste brought to the container park.
        Garden = "garden",
        /// Plastic packaging, metal packaging and drinks cartons (PMD).
        Pmd = "pmd",
        /// Paper and cardboard.
        Paper = "paper",
        /// Glass.
        Glass = "glass",
        /// Bulky waste (grofvuil).
        Bulky = "bulky",
    }
);

stored_names!(
    /// What a household's meter measures.
    Carrier {
        /// Electricity taken from the grid.
        Electricity = "electricity",
        /// Natural gas.
        Gas = "gas",
        /// Drinking water.
        Water = "water",
    }
);

/// What a reading measured: a waste fraction or an energy carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measured {
    /// Waste of a fraction, in grams.
    Waste(Fraction),
    /// Use of a carrier: electricity in watt-hours, gas and water in litres.
    Energy(Carrier),
}

impl Measured {
    /// The kind of reading.
    pub const fn kind(self) -> ReadingKind {
        match self {
            Self::Waste(_) => ReadingKind::Waste,
            Self::Energy(_) => ReadingKind::Energy,
        }
    }

    /// The fraction's or carrier's name, as stored and sent.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Waste(fraction) => fraction.as_str(),
            Self::Energy(carrier) => carrier.as_str(),
        }
    }

    /// The base unit its amounts are kept in.
    pub const fn base_unit(self) -> &'static str {
        match self {
            Self::Waste(_) => "g",
            Self::Energy(Carrier::Electricity) => "Wh",
            Self::Energy(Carrier::Gas | Carrier::Water) => "l",
        }
    }

    /// What `name` is within `kind`, if anything.
    pub fn of(kind: ReadingKind, name: &str) -> Option<Self> {
        match kind {
            ReadingKind::Waste => Fraction::from_name(name).map(Self::Waste),
            ReadingKind::Energy => Carrier::from_name(name).map(Self::Energy),
        }
    }
}

/// A reading to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReading {
    /// The source's id of the reading.
    pub id: String,
    /// The household it is about.
    pub household_id: HouseholdId,
    /// What was measured.
    pub measured: Measured,
    /// When it was observed (ms since epoch).
    pub observed_at: i64,
    /// How much, in the base unit of what was measured.
    pub amount: i64,
    /// The id of the reading (of the same source) it replaces, if it is a correction.
    pub correction_of: Option<String>,
}

/// What became of one reading of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored.
    Stored,
    /// Stored, replacing the reading it corrects.
    Corrected,
    /// The source sent this reading before, the same: nothing changed.
    Duplicate,
    /// The source sent a reading with this id before, with other content.
    Conflict,
    /// It corrects a reading the source never sent.
    UnknownTarget,
    /// It corrects a reading that another correction replaced already (by this id).
    AlreadyCorrected(String),
}

/// A reading in force (not replaced by a correction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The source that sent it.
    pub source_id: SourceId,
    /// The source's id of it.
    pub id: String,
    /// What was measured.
    pub measured: Measured,
    /// When it was observed (ms since epoch).
    pub observed_at: i64,
    /// How much, in the base unit of what was measured.
    pub amount: i64,
    /// The reading it replaced, if it is a correction.
    pub correction_of: Option<String>,
}

impl<'r> sqlx::FromRow<'r, AnyRow> for Reading {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            source_id: row.try_get("source_id")?,
            id: row.try_get("id")?,
            measured: measured_in(row)?,
            observed_at: row.try_get("observed_at")?,
            amount: row.try_get("amount")?,
            correction_of: row.try_get("correction_of")?,
        })
    }
}

/// What a row's `kind` and `measured` say was measured; an unknown name in
/// the database is an error, not a default.
fn measured_in(row: &AnyRow) -> Result<Measured, sqlx::Error> {
    let (kind, name): (String, String) = (row.try_get("kind")?, row.try_get("measured")?);
    ReadingKind::from_name(&kind)
        .and_then(|kind| Measured::of(kind, &name))
        .ok_or_else(|| sqlx::Error::Decode(format!("{kind:?} / {name:?} is not something a reading measures").into()))
}

/// The readings in force of a household observed in `[from, until)` (ms since epoch), oldest first.
pub async fn of_household(
    store: &Store,
    tenant_id: &TenantId,
    household_id: &HouseholdId,
    from: i64,
    until: i64,
) -> Result<Vec<Reading>, StoreError> {
    Ok(sqlx::query_as(
        "select source_id, id, kind, measured, observed_at, amount, correction_of from readings \
         where tenant_id = $1 and household_id = $2 and observed_at >= $3 and observed_at < $4 \
         and replaced_by is null order by observed_at, source_id, id",
    )
    .bind(tenant_id)
    .bind(household_id)
    .bind(from)
    .bind(until)
    .fetch_all(store.reader())
    .await?)
}

/// A reading the source sent (before, or earlier in the batch), and the correction that replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    reading: NewReading,
    replaced_by: Option<String>,
}

impl<'r> sqlx::FromRow<'r, AnyRow> for Known {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let reading = NewReading {
            id: row.try_get("id")?,
            household_id: row.try_get("household_id")?,
            measured: measured_in(row)?,
            observed_at: row.try_get("observed_at")?,
            amount: row.try_get("amount")?,
            correction_of: row.try_get("correction_of")?,
        };
        Ok(Self { reading, replaced_by: row.try_get("replaced_by")? })
    }
}

/// The readings of `ids` the source sent, by id.
async fn known_readings(
    tx: &mut Tx,
    tenant_id: &TenantId,
    source_id: &SourceId,
    ids: &[&str],
) -> Result<HashMap<String, Known>, StoreError> {
    let mut known: HashMap<String, Known> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(sql::per_statement(Backend::of(tx), 2, 1)) {
        let statement = format!(
            "select id, household_id, kind, measured, observed_at, amount, correction_of, replaced_by from readings \
             where tenant_id = $1 and source_id = $2 and id in ({})",
            sql::list(3, chunk.len())
        );
        let rows: Vec<Known> = sql::query_as(statement)
            .bind(tenant_id)
            .bind(source_id)
            .bind_all(chunk.iter().copied())
            .fetch_all(&mut **tx)
            .await?;
        known.extend(rows.into_iter().map(|row| (row.reading.id.clone(), row)));
    }
    Ok(known)
}

/// A new reading as one element of the JSON array a batch is inserted from.
#[derive(serde::Serialize)]
struct RowOfBatch<'a> {
    id: &'a str,
    household_id: &'a HouseholdId,
    kind: &'static str,
    measured: &'static str,
    observed_at: i64,
    amount: i64,
    correction_of: Option<&'a str>,
}

/// Stores a batch of readings of one source, received at `received_at`, in
/// the caller's transaction: what became of each, in order. A reading the
/// source sent before is a duplicate when it says the same and a conflict
/// when it does not; a correction replaces the reading it names (sent
/// before or earlier in the batch) unless another correction did. Batches
/// of one source may be stored at once (a batch sent again while the first
/// try is still in flight): a reading another batch stored meanwhile is
/// judged by what that batch stored, and rows are written in id order, so
/// two such batches wait for each other instead of deadlocking.
pub async fn store(
    tx: &mut Tx,
    tenant_id: &TenantId,
    source_id: &SourceId,
    readings: &[NewReading],
    received_at: i64,
) -> Result<Vec<Outcome>, StoreError> {
    let mut wanted: Vec<&str> =
        readings.iter().flat_map(|r| std::iter::once(r.id.as_str()).chain(r.correction_of.as_deref())).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut known = known_readings(tx, tenant_id, source_id, &wanted).await?;

    let mut outcomes = Vec::with_capacity(readings.len());
    let mut new: Vec<(usize, &NewReading)> = Vec::with_capacity(readings.len());
    let mut replaced: Vec<(&str, &str)> = Vec::new();
    for reading in readings {
        if let Some(earlier) = known.get(&reading.id) {
            outcomes.push(if earlier.reading == *reading { Outcome::Duplicate } else { Outcome::Conflict });
            continue;
        }
        let outcome = match reading.correction_of.as_deref() {
            None => Outcome::Stored,
            Some(target_id) => match known.get_mut(target_id) {
                None => {
                    outcomes.push(Outcome::UnknownTarget);
                    continue;
                }
                Some(Known { replaced_by: Some(by), .. }) => {
                    outcomes.push(Outcome::AlreadyCorrected(by.clone()));
                    continue;
                }
                Some(target) => {
                    target.replaced_by = Some(reading.id.clone());
                    replaced.push((target_id, &reading.id));
                    Outcome::Corrected
                }
            },
        };
        known.insert(reading.id.clone(), Known { reading: reading.clone(), replaced_by: None });
        new.push((outcomes.len(), reading));
        outcomes.push(outcome);
    }

    // One statement for the whole batch (`where true` tells SQLite's parser
    // that `on conflict` belongs to the insert, not to a join).
    new.sort_unstable_by(|(_, a), (_, b)| a.id.cmp(&b.id));
    let rows: Vec<RowOfBatch> = new
        .iter()
        .map(|(_, reading)| RowOfBatch {
            id: &reading.id,
            household_id: &reading.household_id,
            kind: reading.measured.kind().as_str(),
            measured: reading.measured.name(),
            observed_at: reading.observed_at,
            amount: reading.amount,
            correction_of: reading.correction_of.as_deref(),
        })
        .collect();
    let statement = format!(
        "insert into readings (tenant_id, source_id, id, household_id, kind, measured, observed_at, amount, \
         received_at, correction_of) \
         select $1, $2, item.value ->> 'id', item.value ->> 'household_id', item.value ->> 'kind', \
         item.value ->> 'measured', cast(item.value ->> 'observed_at' as bigint), \
         cast(item.value ->> 'amount' as bigint), $3, item.value ->> 'correction_of' from {} \
         where true on conflict (tenant_id, source_id, id) do nothing returning id",
        sql::json_objects(Backend::of(tx), 4)
    );
    let inserted: HashSet<String> = sql::query_scalar::<String>(statement)
        .bind(tenant_id)
        .bind(source_id)
        .bind(received_at)
        .bind(serde_json::to_string(&rows)?)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
    // Stored by another batch of the source meanwhile: what it stored decides.
    let raced: Vec<(usize, &NewReading)> = new.into_iter().filter(|(_, r)| !inserted.contains(&r.id)).collect();
    if !raced.is_empty() {
        let ids: Vec<&str> = raced.iter().map(|(_, r)| r.id.as_str()).collect();
        let stored = known_readings(tx, tenant_id, source_id, &ids).await?;
        for (index, reading) in raced {
            let same = stored.get(&reading.id).is_some_and(|earlier| earlier.reading == *reading);
            outcomes[index] = if same { Outcome::Duplicate } else { Outcome::Conflict };
        }
        replaced.retain(|(_, by)| inserted.contains(*by));
    }
    for (target, by) in replaced {
        let marked = sqlx::query(
            "update readings set replaced_by = $1 \
             where tenant_id = $2 and source_id = $3 and id = $4 and replaced_by is null",
        )
        .bind(by)
        .bind(tenant_id)
        .bind(source_id)
        .bind(target)
        .execute(&mut **tx)
        .await?;
        if marked.rows_affected() != 1 {
            // Another batch corrected it meanwhile: this batch is sent again and told so.
            return Err(StoreError::Conflict(format!("reading {target} was corrected meanwhile")));
        }
    }
    Ok(outcomes)
}
