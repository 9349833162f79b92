//! Readings: what a data source measured for a household (DESIGN §10), kept
//! by the source's own id so that a batch sent twice changes nothing.
//!
//! An amount is an integer in the base unit of what was measured (grams of
//! waste, watt-hours of electricity, litres of gas or water): sums over a
//! period are exact. A correction is a reading of its own naming the one it
//! replaces; the replaced row stays, marked, so what was said when is kept.

use std::collections::HashMap;

use serde::Serialize;

use crate::ids::{HouseholdId, SourceId, TenantId};
use crate::sources::ReadingKind;
use crate::sql::{self, BindAll};
use crate::{Store, StoreError, Tx};

/// Rows per statement: eleven parameters a row stays well under both databases' limits.
const CHUNK: usize = 1_000;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Reading {
    /// The source that sent it.
    pub source_id: SourceId,
    /// The source's id of it.
    pub id: String,
    /// `waste` or `energy`.
    pub kind: String,
    /// The fraction or carrier.
    pub measured: String,
    /// When it was observed (ms since epoch).
    pub observed_at: i64,
    /// How much, in the base unit of what was measured.
    pub amount: i64,
    /// The reading it replaced, if it is a correction.
    pub correction_of: Option<String>,
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

/// A stored reading, as far as telling a repeat from a change needs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct Known {
    id: String,
    household_id: HouseholdId,
    kind: String,
    measured: String,
    observed_at: i64,
    amount: i64,
    correction_of: Option<String>,
    replaced_by: Option<String>,
}

impl Known {
    fn of(reading: &NewReading) -> Self {
        Self {
            id: reading.id.clone(),
            household_id: reading.household_id.clone(),
            kind: reading.measured.kind().as_str().to_owned(),
            measured: reading.measured.name().to_owned(),
            observed_at: reading.observed_at,
            amount: reading.amount,
            correction_of: reading.correction_of.clone(),
            replaced_by: None,
        }
    }

    /// Whether `reading` says what this one said.
    fn same_as(&self, reading: &Self) -> bool {
        (&self.household_id, &self.kind, &self.measured, self.observed_at, self.amount, &self.correction_of)
            == (
                &reading.household_id,
                &reading.kind,
                &reading.measured,
                reading.observed_at,
                reading.amount,
                &reading.correction_of,
            )
    }
}

/// Stores a batch of readings of one source, received at `received_at`, in
/// the caller's transaction: what became of each, in order. A reading the
/// source sent before is a duplicate when it says the same and a conflict
/// when it does not; a correction replaces the reading it names (sent
/// before or earlier in the batch) unless another correction did.
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
    let mut known: HashMap<String, Known> = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(CHUNK) {
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
        known.extend(rows.into_iter().map(|row| (row.id.clone(), row)));
    }

    let mut outcomes = Vec::with_capacity(readings.len());
    let mut new: Vec<&NewReading> = Vec::with_capacity(readings.len());
    let mut replaced: Vec<(&str, &str)> = Vec::new();
    for reading in readings {
        let sent = Known::of(reading);
        if let Some(earlier) = known.get(&reading.id) {
            outcomes.push(if earlier.same_as(&sent) { Outcome::Duplicate } else { Outcome::Conflict });
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
        known.insert(reading.id.clone(), sent);
        new.push(reading);
        outcomes.push(outcome);
    }

    for chunk in new.chunks(CHUNK) {
        let statement = format!(
            "insert into readings (tenant_id, source_id, id, household_id, kind, measured, observed_at, amount, \
             received_at, correction_of) values {}",
            sql::rows(1, chunk.len(), 10)
        );
        let mut query = sql::query(statement);
        for reading in chunk {
            query = query
                .bind(tenant_id)
                .bind(source_id)
                .bind(reading.id.as_str())
                .bind(&reading.household_id)
                .bind(reading.measured.kind().as_str())
                .bind(reading.measured.name())
                .bind(reading.observed_at)
                .bind(reading.amount)
                .bind(received_at)
                .bind(reading.correction_of.as_deref());
        }
        query.execute(&mut **tx).await?;
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
