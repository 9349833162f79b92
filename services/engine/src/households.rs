//! Households as the council registers them: by the pseudonymous reference
//! its data sources use (no address), each with a new one-time link code for
//! the letter that invites its residents, of which only a SHA-256 is kept;
//! and residents linking with that code.

use smartville_auth::refresh;
use smartville_store::households::{self, Household, NewHousehold, NotLinked};
use smartville_store::ids::{HouseholdId, ParticipantId, TenantId};
use smartville_store::{Store, StoreError, Tx};

use crate::EngineError;
use crate::codes::{canonical_code, new_code};

/// Most households registered in one call.
pub const MAX_REGISTERED: usize = 10_000;

/// A household registered, with the link code for its letter (shown this once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The household.
    pub household: Household,
    /// A new one-time link code for it.
    pub link_code: String,
}

/// Registers households (distinct references; one already registered keeps
/// its id and earlier codes) and gives each a new link code, in the caller's transaction.
pub async fn register(
    tx: &mut Tx,
    tenant_id: &TenantId,
    new: &[NewHousehold<'_>],
) -> Result<Vec<Registered>, EngineError> {
    let registered = households::register(tx, tenant_id, new).await?;
    let link_codes = registered.iter().map(|_| new_code()).collect::<Result<Vec<_>, _>>()?;
    let hashes: Vec<_> =
        registered.iter().zip(&link_codes).map(|(household, code)| (&household.id, refresh::hash(code))).collect();
    households::add_codes(tx, tenant_id, &hashes).await?;
    Ok(registered
        .into_iter()
        .zip(link_codes)
        .map(|(household, link_code)| Registered { household, link_code })
        .collect())
}

/// Links a participant to the household of the link code they typed (read
/// forgivingly, see [`codes`](crate::codes)), using the code up.
pub async fn link(
    store: &Store,
    tenant_id: &TenantId,
    typed_code: &str,
    participant_id: &ParticipantId,
) -> Result<Result<HouseholdId, NotLinked>, EngineError> {
    let Some(code) = canonical_code(typed_code) else {
        return Ok(Err(NotLinked::UnknownCode));
    };
    let mut tx = store.begin().await?;
    let linked = households::link(&mut tx, tenant_id, &refresh::hash(&code), participant_id).await?;
    if linked.is_ok() {
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok(linked)
}
