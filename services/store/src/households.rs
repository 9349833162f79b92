//! Households: known to the engine only by the pseudonymous reference the
//! council's data sources use for them (no address is kept), with their size
//! when the council knows it, and the one-time codes from the letters with
//! which residents link to them (of a code only a SHA-256 is kept).

use std::collections::HashMap;

use serde::Serialize;

use crate::ids::{HouseholdId, TenantId};
use crate::sql::{self, BindAll};
use crate::{StoreError, Tx, now_ms};

/// Rows per statement when a batch of households is written or looked up:
/// well under both databases' limits on parameters.
const CHUNK: usize = 1_000;

/// A household of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Household {
    /// Its id in the engine.
    pub id: HouseholdId,
    /// The pseudonymous reference the council's sources use for it.
    pub reference: String,
    /// How many people live in it, when the council knows.
    pub size: Option<i32>,
    /// When it was registered (ms since epoch).
    pub created_at: i64,
}

/// A household as the council registers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewHousehold<'a> {
    /// The pseudonymous reference (unique in the tenant).
    pub reference: &'a str,
    /// How many people live in it, when known; `None` keeps what is stored.
    pub size: Option<i32>,
}

/// Registers households by their references, in order: a reference the
/// tenant already has keeps its id (and takes the new size, when one is
/// given). References must be distinct within the call.
pub async fn register(
    tx: &mut Tx,
    tenant_id: &TenantId,
    households: &[NewHousehold<'_>],
) -> Result<Vec<Household>, StoreError> {
    let now = now_ms();
    let mut registered = Vec::with_capacity(households.len());
    for chunk in households.chunks(CHUNK) {
        let statement = format!(
            "insert into households (tenant_id, id, reference, size, created_at) values {} \
             on conflict (tenant_id, reference) do update set size = coalesce(excluded.size, households.size) \
             returning id, reference, size, created_at",
            sql::rows(1, chunk.len(), 5)
        );
        let mut query = sql::query_as::<Household>(statement);
        for household in chunk {
            query =
                query.bind(tenant_id).bind(HouseholdId::new()).bind(household.reference).bind(household.size).bind(now);
        }
        let rows = query.fetch_all(&mut **tx).await?;
        // `returning` follows no promised order: answer in the caller's.
        let mut by_reference: HashMap<String, Household> =
            rows.into_iter().map(|household| (household.reference.clone(), household)).collect();
        for household in chunk {
            let stored = by_reference.remove(household.reference).ok_or(StoreError::NotFound("household"))?;
            registered.push(stored);
        }
    }
    Ok(registered)
}

/// The ids of the tenant's households with these references (references it does not have are left out).
pub async fn ids_by_reference(
    tx: &mut Tx,
    tenant_id: &TenantId,
    references: &[&str],
) -> Result<HashMap<String, HouseholdId>, StoreError> {
    let mut found = HashMap::with_capacity(references.len());
    for chunk in references.chunks(CHUNK) {
        let statement = format!(
            "select reference, id from households where tenant_id = $1 and reference in ({})",
            sql::list(2, chunk.len())
        );
        let rows: Vec<(String, HouseholdId)> =
            sql::query_as(statement).bind(tenant_id).bind_all(chunk.iter().copied()).fetch_all(&mut **tx).await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Keeps the hash of a new one-time link code for each household given.
pub async fn add_codes(tx: &mut Tx, tenant_id: &TenantId, codes: &[(&HouseholdId, String)]) -> Result<(), StoreError> {
    let now = now_ms();
    for chunk in codes.chunks(CHUNK) {
        let statement = format!(
            "insert into household_codes (code_hash, tenant_id, household_id, created_at) values {}",
            sql::rows(1, chunk.len(), 4)
        );
        let mut query = sql::query(statement);
        for (household_id, code_hash) in chunk {
            query = query.bind(code_hash.as_str()).bind(tenant_id).bind(*household_id).bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
