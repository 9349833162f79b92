//! Households that put out waste and use energy, and the readings the
//! council's sources send of them: residual waste weighed at the door every
//! two weeks, electricity and gas read once a month. The amounts follow the
//! seasons (more gas and light in winter, more waste around the holidays),
//! scale with the household's size and vary from one reading to the next;
//! a saver puts out and uses a share less from a given day; and meters are
//! as real meters are: some readings never arrive, some arrive twice.
//!
//! Seeded like the rides: the same seed gives the same readings everywhere.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use serde::Serialize;

/// A household as the simulator lets it live.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// The pseudonymous reference the sources use.
    pub reference: String,
    /// How many people live in it (1 to 5).
    pub size: u32,
    /// The share it saves from [`Quirks::saving_from`] on (0 for a household that does not).
    pub saving: f64,
}

/// A reading as a source sends it to `POST /v1/devices/readings`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// The source's id of the reading.
    pub id: String,
    /// The household's reference.
    pub household_ref: String,
    /// `waste` or `energy`.
    pub kind: &'static str,
    /// The waste fraction, for waste.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<&'static str>,
    /// The carrier, for energy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<&'static str>,
    /// When it was observed.
    pub observed_at: DateTime<Utc>,
    /// How much, in `unit`, to a tenth.
    pub value: f64,
    /// `kg`, `kWh` or `m3`.
    pub unit: &'static str,
}

/// How the town's meters and people behave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quirks {
    /// Share of households that save.
    pub savers: f64,
    /// From this day on savers save (their share is drawn between 10 % and 30 %).
    pub saving_from: NaiveDate,
    /// Chance that a reading never arrives.
    pub skipped: f64,
    /// Chance that a reading is sent twice.
    pub repeated: f64,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            savers: 0.3,
            saving_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(NaiveDate::MIN),
            skipped: 0.03,
            repeated: 0.02,
        }
    }
}

/// A town of `count` households with references `<prefix>-<n>`.
pub fn town(prefix: &str, count: usize, quirks: &Quirks, seed: u64) -> Vec<Household> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..count)
        .map(|n| Household {
            reference: format!("{prefix}-{n}"),
            size: rng.random_range(1..=5),
            saving: if rng.random_bool(quirks.savers) { rng.random_range(0.10..0.30) } else { 0.0 },
        })
        .collect()
}

/// What a household sends between `from` and `until` (exclusive), oldest first.
pub fn readings(household: &Household, from: NaiveDate, until: NaiveDate, quirks: &Quirks, seed: u64) -> Vec<Reading> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let noise = LogNormal::new(0.0, 0.15).expect("0.15 is a valid spread");
    let size = f64::from(household.size);
    let mut sent = Vec::new();
    let mut day = from;
    while day < until {
        let saving = if day >= quirks.saving_from { household.saving } else { 0.0 };
        // Residual waste every other Monday: about 4.5 kg a person, more around the holidays.
        if day.weekday() == chrono::Weekday::Mon && day.iso_week().week().is_multiple_of(2) {
            let kg = 4.5 * size * season(day, 355, 0.15) * (1.0 - saving) * noise.sample(&mut rng);
            sent.push(reading(household, day, 7, &RESIDUAL, kg));
        }
        // Meters read on the first of the month: the month before's use.
        if day.day() == 1 {
            let kwh = (120.0 + 80.0 * size) * season(day, 15, 0.25) * (1.0 - saving) * noise.sample(&mut rng);
            sent.push(reading(household, day, 2, &ELECTRICITY, kwh));
            let m3 = ((60.0 + 15.0 * size) * season(day, 15, 0.8)).max(5.0) * (1.0 - saving) * noise.sample(&mut rng);
            sent.push(reading(household, day, 2, &GAS, m3));
        }
        day = day.succ_opt().unwrap_or(until);
    }
    let mut quirky = Vec::with_capacity(sent.len());
    for reading in sent {
        if rng.random_bool(quirks.skipped) {
            continue;
        }
        if rng.random_bool(quirks.repeated) {
            quirky.push(reading.clone());
        }
        quirky.push(reading);
    }
    quirky
}

/// A factor around 1 that peaks on day `peak` of the year by `swing`.
fn season(day: NaiveDate, peak: u32, swing: f64) -> f64 {
    let phase = f64::from(day.ordinal()) - f64::from(peak);
    1.0 + swing * (phase / 365.25 * std::f64::consts::TAU).cos()
}

/// What a source measures, as its readings name it.
struct Measure {
    kind: &'static str,
    fraction: Option<&'static str>,
    carrier: Option<&'static str>,
    unit: &'static str,
}

const RESIDUAL: Measure = Measure { kind: "waste", fraction: Some("residual"), carrier: None, unit: "kg" };
const ELECTRICITY: Measure = Measure { kind: "energy", fraction: None, carrier: Some("electricity"), unit: "kWh" };
const GAS: Measure = Measure { kind: "energy", fraction: None, carrier: Some("gas"), unit: "m3" };

/// The reading of `value` of `measure` at `hour` (UTC) of `day`, to a tenth.
fn reading(household: &Household, day: NaiveDate, hour: u32, measure: &Measure, value: f64) -> Reading {
    let what = measure.fraction.or(measure.carrier).unwrap_or(measure.kind);
    Reading {
        id: format!("{}-{what}-{day}", household.reference),
        household_ref: household.reference.clone(),
        kind: measure.kind,
        fraction: measure.fraction,
        carrier: measure.carrier,
        observed_at: Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default()),
        value: (value * 10.0).round() / 10.0,
        unit: measure.unit,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn year(household: &Household, quirks: &Quirks) -> Vec<Reading> {
        let (from, until) =
            (NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        readings(household, from, until, quirks, 7)
    }

    fn total(readings: &[Reading], what: &str, year: i32) -> f64 {
        readings
            .iter()
            .filter(|r| r.fraction.or(r.carrier) == Some(what) && r.observed_at.year() == year)
            .map(|r| r.value)
            .sum()
    }

    #[test]
    fn savers_save_winter_costs_more_and_meters_skip_and_repeat() {
        let exact = Quirks { skipped: 0.0, repeated: 0.0, ..Quirks::default() };
        let saver = Household { reference: "S".into(), size: 3, saving: 0.2 };
        let steady = Household { saving: 0.0, ..saver.clone() };
        let (saved, kept) = (year(&saver, &exact), year(&steady, &exact));
        let ratio = total(&saved, "residual", 2026) / total(&kept, "residual", 2026);
        assert!((0.75..0.85).contains(&ratio), "{ratio}");
        assert!((total(&saved, "gas", 2025) / total(&kept, "gas", 2025) - 1.0).abs() < 1e-9, "the same before");
        let january = kept.iter().find(|r| r.carrier == Some("gas") && r.observed_at.month() == 1).unwrap();
        let july = kept.iter().find(|r| r.carrier == Some("gas") && r.observed_at.month() == 7).unwrap();
        assert!(january.value > 2.0 * july.value, "{} vs {}", january.value, july.value);

        let quirky = year(&steady, &Quirks { skipped: 0.1, repeated: 0.1, ..exact });
        let ids: std::collections::HashSet<&str> = quirky.iter().map(|r| r.id.as_str()).collect();
        assert!(ids.len() < kept.len(), "some never arrive");
        assert!(ids.len() < quirky.len(), "some arrive twice");
        assert_eq!(year(&steady, &exact), kept, "seeded");
    }

    #[test]
    fn a_town_has_savers_and_sizes() {
        let town = town("HH", 1_000, &Quirks::default(), 1);
        let savers = town.iter().filter(|h| h.saving > 0.0).count();
        assert!((200..400).contains(&savers), "{savers}");
        assert!(town.iter().all(|h| (1..=5).contains(&h.size)));
    }
}
