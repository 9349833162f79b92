//! Councils and their staff: creating a tenant with its first council admin,
//! and inviting staff. Both the operator's command (`smartville tenant
//! create`) and the administration API go through here, so an account is
//! made one way only: without a password, with a one-time set-up link.

use std::time::Duration;

use smartville_auth::refresh;
use smartville_store::audit::{self, Actor};
use smartville_store::ids::TenantId;
use smartville_store::staff::{self, StaffMember, StaffRole, Workplace};
use smartville_store::tenancy::{self, Tenant};
use smartville_store::{Store, StoreError, Tx, now_ms};

use crate::EngineError;

/// How long a set-up link works.
pub const SETUP_LINK_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A new staff account and the one-time link with which its owner sets a password.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// The account, without a password yet.
    pub member: StaffMember,
    /// `<tenant>.<id>.<secret>`: shown once, stored only as a hash.
    pub setup_token: String,
    /// When the link stops working (ms since epoch).
    pub expires_at: i64,
}

/// Creates a staff account in `tx` with a set-up link, recorded in the audit log as `actor`'s doing.
pub async fn invite(
    tx: &mut Tx,
    tenant_id: &TenantId,
    actor: Actor<'_>,
    email: &str,
    role: StaffRole,
    workplace: &Workplace,
) -> Result<Invitation, EngineError> {
    let member = staff::create(tx, tenant_id, email, role, workplace).await?;
    let (setup_token, expires_at) = setup_link(tx, &member).await?;
    audit::record(tx, tenant_id, actor, "staff.invite", member.id.as_str(), None, Some(&member)).await?;
    Ok(Invitation { member, setup_token, expires_at })
}

/// A new one-time set-up link for a staff member (an invitation, or a
/// password reset): the token and its expiry.
pub async fn setup_link(tx: &mut Tx, member: &StaffMember) -> Result<(String, i64), EngineError> {
    let minted = refresh::mint().map_err(|e| EngineError::Task(format!("no randomness for a secret: {e}")))?;
    let expires_at = now_ms() + i64::try_from(SETUP_LINK_TTL.as_millis()).unwrap_or(i64::MAX);
    let id = staff::create_setup_token(tx, &member.tenant_id, &member.id, &minted.secret_hash, expires_at).await?;
    Ok((refresh::compose(member.tenant_id.as_str(), &id, &minted.secret), expires_at))
}

/// Creates a council: the tenant with its coin, and its first council admin,
/// invited with a set-up link (there are no default passwords).
pub async fn create_tenant(
    store: &Store,
    name: &str,
    coin: &str,
    admin_email: &str,
) -> Result<(Tenant, Invitation), EngineError> {
    let mut tx = store.begin().await?;
    let tenant = tenancy::create_tenant(&mut tx, name, coin).await?;
    audit::record(&mut tx, &tenant.id, Actor::System, "tenant.create", tenant.id.as_str(), None, Some(&tenant)).await?;
    let invitation =
        invite(&mut tx, &tenant.id, Actor::System, admin_email, StaffRole::CouncilAdmin, &Workplace::Council).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((tenant, invitation))
}
