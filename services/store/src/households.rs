//! Households: known to the engine only by the pseudonymous reference the
//! council's data sources use for them (no address is kept), with their size
//! when the council knows it, and the one-time codes from the letters with
//! which residents link to them (of a code only a SHA-256 is kept).

use std::collections::HashMap;

use serde::Serialize;

use crate::ids::{HouseholdId, ParticipantId, TenantId};
use crate::sql::{self, BindAll};
use crate::{Backend, Store, StoreError, Tx, now_ms};

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
    for chunk in households.chunks(sql::per_statement(Backend::of(tx), 0, 5)) {
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
    for chunk in references.chunks(sql::per_statement(Backend::of(tx), 1, 1)) {
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
    for chunk in codes.chunks(sql::per_statement(Backend::of(tx), 0, 4)) {
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

/// Why a link code does not link a participant to a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotLinked {
    /// No code of the tenant has this hash.
    UnknownCode,
    /// The code linked someone already: each letter's code links once.
    CodeUsed,
    /// The participant is linked to this household already.
    AlreadyLinked,
}

/// A participant's link to a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Membership {
    /// The household.
    pub household_id: HouseholdId,
    /// Its reference.
    pub reference: String,
    /// Its size, when known.
    pub size: Option<i32>,
    /// When the participant linked (ms since epoch).
    pub linked_at: i64,
    /// How many members it has now, the participant included.
    pub members: i64,
}

/// Links `participant_id` to the household of the link code whose hash is
/// `code_hash`, using the code up; a participant who unlinked before is linked
/// anew. The caller commits only on `Ok(Ok(_))`: a refusal found after the
/// link was written (the code used meanwhile) leaves it to be rolled back.
pub async fn link(
    tx: &mut Tx,
    tenant_id: &TenantId,
    code_hash: &str,
    participant_id: &ParticipantId,
) -> Result<Result<HouseholdId, NotLinked>, StoreError> {
    let code: Option<(HouseholdId, Option<i64>)> =
        sqlx::query_as("select household_id, used_at from household_codes where code_hash = $1 and tenant_id = $2")
            .bind(code_hash)
            .bind(tenant_id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((household_id, used_at)) = code else {
        return Ok(Err(NotLinked::UnknownCode));
    };
    if used_at.is_some() {
        return Ok(Err(NotLinked::CodeUsed));
    }
    let now = now_ms();
    let linked = sqlx::query(
        "insert into household_members (tenant_id, household_id, participant_id, linked_at) values ($1, $2, $3, $4) \
         on conflict (tenant_id, household_id, participant_id) do update set linked_at = excluded.linked_at, unlinked_at = null \
         where household_members.unlinked_at is not null",
    )
    .bind(tenant_id)
    .bind(&household_id)
    .bind(participant_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if linked.rows_affected() == 0 {
        return Ok(Err(NotLinked::AlreadyLinked));
    }
    let used =
        sqlx::query("update household_codes set used_at = $1, used_by = $2 where code_hash = $3 and used_at is null")
            .bind(now)
            .bind(participant_id)
            .bind(code_hash)
            .execute(&mut **tx)
            .await?;
    if used.rows_affected() == 0 {
        // Used by someone else meanwhile: the caller's transaction is rolled back.
        return Ok(Err(NotLinked::CodeUsed));
    }
    Ok(Ok(household_id))
}

/// Unlinks a participant from a household: no reward of it reaches them from
/// now on. Whether they were linked.
pub async fn unlink(
    tx: &mut Tx,
    tenant_id: &TenantId,
    household_id: &HouseholdId,
    participant_id: &ParticipantId,
) -> Result<bool, StoreError> {
    let unlinked = sqlx::query(
        "update household_members set unlinked_at = $1 \
         where tenant_id = $2 and household_id = $3 and participant_id = $4 and unlinked_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(household_id)
    .bind(participant_id)
    .execute(&mut **tx)
    .await?;
    Ok(unlinked.rows_affected() == 1)
}

/// The households a participant is linked to, longest linked first.
pub async fn of_participant(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
) -> Result<Vec<Membership>, StoreError> {
    Ok(sqlx::query_as(
        "select h.id as household_id, h.reference, h.size, m.linked_at, \
             (select count(*) from household_members as o where o.tenant_id = m.tenant_id \
              and o.household_id = m.household_id and o.unlinked_at is null) as members \
         from household_members as m join households as h on h.tenant_id = m.tenant_id and h.id = m.household_id \
         where m.tenant_id = $1 and m.participant_id = $2 and m.unlinked_at is null order by m.linked_at, h.id",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .fetch_all(store.reader())
    .await?)
}
