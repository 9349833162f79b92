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
use smartville_store::Tx;
use smartville_store::audit::{self, Actor};
use smartville_store::ids::{MerchantId, SchoolId, StaffId, TenantId};
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

/// Declares a [`Permission`]: the type, what it is for (the 403's message) and the roles that have it.
macro_rules! permission {
    ($(#[$doc:meta])* $name:ident: $does:literal, $roles:pat) => {
        $(#[$doc])*
        pub struct $name;
        impl Permission for $name {
            fn allows(role: StaffRole) -> bool {
                matches!(role, $roles)
            }
            const DOES: &'static str = $does;
        }
    };
}

permission!(
    /// Anything any staff member may do (their own account).
    AnyStaff: "sign in", _
);
permission!(
    /// Reading the tenant's staff list.
    ReadStaff: "read the staff list", StaffRole::CouncilAdmin | StaffRole::Auditor
);
permission!(
    /// Inviting, changing and removing staff.
    ManageStaff: "manage staff", StaffRole::CouncilAdmin
);
permission!(
    /// Reading the audit log.
    ReadAudit: "read the audit log", StaffRole::CouncilAdmin | StaffRole::Auditor
);
permission!(
    /// Reading schools and classes (school staff: their own school; teachers: their own classes).
    ReadSchools: "read schools", StaffRole::CouncilAdmin | StaffRole::Auditor | StaffRole::SchoolAdmin | StaffRole::Teacher
);
permission!(
    /// Creating schools.
    CreateSchools: "create schools", StaffRole::CouncilAdmin
);
permission!(
    /// Editing a school and its classes (school admins: their own school).
    ManageSchool: "change schools or classes", StaffRole::CouncilAdmin | StaffRole::SchoolAdmin
);
permission!(
    /// Making and revoking a class's join codes (teachers: their own classes).
    ManageJoinCodes: "change join codes", StaffRole::CouncilAdmin | StaffRole::SchoolAdmin | StaffRole::Teacher
);
permission!(
    /// Reading campaigns and their zones.
    ReadCampaigns: "read campaigns", StaffRole::CouncilAdmin | StaffRole::Auditor
);
permission!(
    /// Creating, checking and changing campaigns.
    ManageCampaigns: "manage campaigns", StaffRole::CouncilAdmin
);

permission!(
    /// Reading campaign reports (a school's staff: their own school; a teacher: their own classes).
    ReadReports: "read reports", StaffRole::CouncilAdmin | StaffRole::Auditor | StaffRole::SchoolAdmin | StaffRole::Teacher
);
permission!(
    /// Reading merchants, their offers and settlements (merchant staff: their own shop).
    ReadMerchants: "read merchants", StaffRole::CouncilAdmin | StaffRole::Auditor
);
permission!(
    /// Registering merchants, the coins they take, approving offers, listing causes, settling.
    ManageMerchants: "manage merchants", StaffRole::CouncilAdmin
);
permission!(
    /// Redeeming vouchers at the counter and reading the shop's redemptions and settlements.
    Redeem: "redeem vouchers", StaffRole::MerchantAdmin | StaffRole::MerchantStaff
);
permission!(
    /// Proposing and withdrawing the shop's offers.
    ManageOffers: "manage the shop's offers", StaffRole::MerchantAdmin
);
permission!(
    /// Validating and rejecting litter reports.
    ReviewLitter: "decide on litter reports", StaffRole::CouncilAdmin
);
permission!(
    /// Reading the data sources that send readings, and their keys (never their secrets).
    ReadSources: "read data sources", StaffRole::CouncilAdmin | StaffRole::Auditor
);
permission!(
    /// Registering data sources, making and revoking their API keys.
    ManageSources: "manage data sources", StaffRole::CouncilAdmin
);
permission!(
    /// Registering households and the link codes for the letters to their residents.
    ManageHouseholds: "manage households", StaffRole::CouncilAdmin
);
permission!(
    /// Reading the review queue (a school's admin: their own students).
    ReadReviews: "read the review queue", StaffRole::CouncilAdmin | StaffRole::SchoolAdmin | StaffRole::Auditor
);
permission!(
    /// Deciding rides in review and appeals (a school's admin: their own students).
    DecideReviews: "decide reviews", StaffRole::CouncilAdmin | StaffRole::SchoolAdmin
);

/// The token's role for a staff role.
pub fn token_role(role: StaffRole) -> Role {
    match role {
        StaffRole::CouncilAdmin => Role::CouncilAdmin,
        StaffRole::SchoolAdmin => Role::SchoolAdmin,
        StaffRole::Teacher => Role::Teacher,
        StaffRole::Auditor => Role::Auditor,
        StaffRole::MerchantAdmin => Role::MerchantAdmin,
        StaffRole::MerchantStaff => Role::MerchantStaff,
    }
}

/// A signed-in staff member allowed `P`.
pub struct Staff<P> {
    member: StaffMember,
    permission: PhantomData<P>,
}

// By hand: a derived `Clone` would ask the permission type `P` to be `Clone` too.
impl<P> Clone for Staff<P> {
    fn clone(&self) -> Self {
        Self { member: self.member.clone(), permission: PhantomData }
    }
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

    /// The merchant of merchant staff (`None` for the staff of councils and schools).
    pub fn merchant_id(&self) -> Option<&MerchantId> {
        self.member.merchant_id.as_ref()
    }

    /// The same staff member as holding the permission `Q`, if their role has it
    /// (a page that shows what one permission changes and another reads).
    pub fn with_permission<Q: Permission>(&self) -> Option<Staff<Q>> {
        Q::allows(self.member.role).then(|| Staff { member: self.member.clone(), permission: PhantomData })
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
    /// Records in the audit log what this staff member does, in the
    /// transaction that does it, with the state before and after.
    pub async fn record<T: serde::Serialize>(
        &self,
        tx: &mut Tx,
        action: &str,
        subject: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Result<(), Problem> {
        audit::record(tx, self.tenant_id(), Actor::Staff(self.id()), action, subject, before, after).await?;
        Ok(())
    }

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
        if matches!(claims.role, Role::Student | Role::Device) {
            return Err(forbidden("this endpoint is for the staff of councils, schools and merchants"));
        }
        let (tenant_id, staff_id) = (TenantId::from(claims.tid), StaffId::from(claims.sub));
        let member = staff::member(&state.engine.store, &tenant_id, &staff_id)
            .await?
            .filter(|m| {
                token_role(m.role) == claims.role
                    && m.school_id.as_ref().map(SchoolId::as_str) == claims.sch.as_deref()
                    && m.merchant_id.as_ref().map(MerchantId::as_str) == claims.mer.as_deref()
            })
            .ok_or_else(|| Problem::unauthorized("this account was removed or changed; sign in again"))?;
        if !P::allows(member.role) {
            return Err(forbidden(&format!("a {} may not {}", member.role.as_str(), P::DOES)));
        }
        Ok(Self { member, permission: PhantomData })
    }
}
