//! Households as the council registers them: by the pseudonymous reference
//! its data sources use (no address), each with a new one-time link code for
//! the letter that invites its residents, of which only a SHA-256 is kept.

use smartville_auth::refresh;
use smartville_store::Tx;
use smartville_store::households::{self, Household, NewHousehold};
use smartville_store::ids::TenantId;

use crate::EngineError;
use crate::codes::new_code;

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
