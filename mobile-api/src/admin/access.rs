//! Who may do what on the administration routes, decided in one place.
//!
//! A handler never reads a token itself: it takes a [`Staff<P>`] argument,
//! where `P` names the [`Permission`] the route needs. The extractor checks
//! the token, looks the staff member up (a removed account, or one whose role
//! or school changed since the token was signed, must sign in again) and
//! checks the permission before the handler runs, so a route cannot forget
//! the check, and the tenant always comes from the token. What a school
//! admin or a teacher may touch inside the tenant is checked on the thing
//! itself with [`Staff::school_scope`] and [`Staff::class_scope`].

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use smartville_auth::Role;
use smartville_store::ids::{SchoolId, StaffId, TenantId};
use smartville_store::schools::Class;
use smartville_store::staff::{self, StaffMember, StaffRole};

use crate::ApiState;
use crate::auth::bearer_claims;
use crate::problem::Problem;

/// What a route needs, as a type: see the module's documentation.
pub trait Permission: Send + Sync + 'static {
    /// Whether a staff member with `role` has it.
    fn allows(role: StaffRole) -> bool;
    /// What it is, for the 403's message.
    const DOES: &'static str;
}

/// Reading the tenant's staff list.
pub struct ReadStaff;
impl Permission for ReadStaff {
    fn allows(role: StaffRole) -> bool {
        matches!(role, StaffRole::CouncilAdmin | StaffRole::Auditor)
    }
    const DOES: &'static str = "read the staff list";
}

/// Inviting, changing and removing staff.
pub struct ManageStaff;
impl Permission for ManageStaff {
    fn allows(role: StaffRole) -> bool {
        role == StaffRole::CouncilAdmin
    }
    const DOES: &'static str = "manage staff";
}

/// Reading the audit log.
pub struct ReadAudit;
impl Permission for ReadAudit {
    fn allows(role: StaffRole) -> bool {
        matches!(role, StaffRole::CouncilAdmin | StaffRole::Auditor)
    }
    const DOES: &'static str = "read the audit log";
}

/// Reading schools and classes (school staff: their own school; teachers: their own classes).
pub struct ReadSchools;
impl Permission for ReadSchools {
    fn allows(_: StaffRole) -> bool {
        true
    }
    const DOES: &'static str = "read schools";
}

/// Creating schools.
pub struct CreateSchools;
impl Permission for CreateSchools {
    fn allows(role: StaffRole) -> bool {
        role == StaffRole::CouncilAdmin
    }
    const DOES: &'static str = "create schools";
}

/// Editing a school and its classes (school admins: their own school).
pub struct ManageSchool;
impl Permission for ManageSchool {
    fn allows(role: StaffRole) -> bool {
        matches!(role, StaffRole::CouncilAdmin | StaffRole::SchoolAdmin)
    }
    const DOES: &'static str = "change schools or classes";
}

/// Making and revoking a class's join codes (teachers: their own classes).
pub struct ManageJoinCodes;
impl Permission for ManageJoinCodes {
    fn allows(role: StaffRole) -> bool {
        role != StaffRole::Auditor
    }
    const DOES: &'static str = "change join codes";
}

/// Creating, checking and changing campaigns.
pub struct ManageCampaigns;
impl Permission for ManageCampaigns {
    fn allows(role: StaffRole) -> bool {
        role == StaffRole::CouncilAdmin
    }
    const DOES: &'static str = "manage campaigns";
}

/// Anything any staff member may do (their own account).
pub struct AnyStaff;
impl Permission for AnyStaff {
    fn allows(_: StaffRole) -> bool {
        true
    }
    const DOES: &'static str = "sign in";
}

/// The token's role for a staff role.
pub fn token_role(role: StaffRole) -> Role {
    match role {
        StaffRole::CouncilAdmin => Role::CouncilAdmin,
        StaffRole::SchoolAdmin => Role::SchoolAdmin,
        StaffRole::Teacher => Role::Teacher,
        StaffRole::Auditor => Role::Auditor,
    }
}

/// A signed-in staff member allowed `P`.
pub struct Staff<P> {
    member: StaffMember,
    permission: PhantomData<P>,
}

impl<P> Staff<P> {
    /// The staff member, as stored now.
    pub fn member(&self) -> &StaffMember {
        &self.member
    }

    /// Their tenant (from the token, confirmed by the store).
    pub fn tenant_id(&self) -> &TenantId {
        &self.member.tenant_id
    }

    /// Their id.
    pub fn id(&self) -> &StaffId {
        &self.member.id
    }

    /// Refuses a school admin or teacher acting on another school than
    /// theirs; the council's staff reach every school of the tenant.
    pub fn school_scope(&self, school_id: &SchoolId) -> Result<(), Problem> {
        match &self.member.school_id {
            Some(own) if self.member.role.is_school_staff() && own != school_id => {
                Err(Problem::new(StatusCode::FORBIDDEN, "FORBIDDEN", "this belongs to another school"))
            }
            _ => Ok(()),
        }
    }
}

impl<P> Staff<P> {
    /// Refuses staff of another school, and a teacher who does not teach the class.
    pub fn class_scope(&self, class: &Class) -> Result<(), Problem> {
        self.school_scope(&class.school_id)?;
        if self.member.role == StaffRole::Teacher && !class.teacher_ids.contains(&self.member.id) {
            return Err(Problem::new(StatusCode::FORBIDDEN, "FORBIDDEN", "this class has other teachers"));
        }
        Ok(())
    }
}

impl<P: Permission> FromRequestParts<ApiState> for Staff<P> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let claims = bearer_claims(parts, state)?;
        let forbidden = |detail: &str| Problem::new(StatusCode::FORBIDDEN, "FORBIDDEN", detail);
        if !matches!(claims.role, Role::CouncilAdmin | Role::SchoolAdmin | Role::Teacher | Role::Auditor) {
            return Err(forbidden("this endpoint is for the staff of councils and schools"));
        }
        let (tenant_id, staff_id) = (TenantId::from(claims.tid), StaffId::from(claims.sub));
        let member = staff::member(&state.engine.store, &tenant_id, &staff_id)
            .await?
            .filter(|m| {
                token_role(m.role) == claims.role && m.school_id.as_ref().map(SchoolId::as_str) == claims.sch.as_deref()
            })
            .ok_or_else(|| Problem::unauthorized("this account was removed or changed; sign in again"))?;
        if !P::allows(member.role) {
            return Err(forbidden(&format!("a {} may not {}", member.role.as_str(), P::DOES)));
        }
        Ok(Self { member, permission: PhantomData })
    }
}
