//! The staff of a tenant: who they are, and the council admins' invitations,
//! changes and removals, each recorded in the audit log with the state
//! before and after.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use smartville_engine::EngineError;
use smartville_engine::staff::invite as invite_staff;
use smartville_store::audit::Actor;
use smartville_store::ids::{MerchantId, SchoolId, StaffId, TenantId};
use smartville_store::sessions::{self, Holder};
use smartville_store::staff::{self, StaffMember, StaffRole, Workplace};
use smartville_store::{StoreError, Tx, merchants, schools};
use utoipa::ToSchema;

use super::access::{AnyStaff, ManageStaff, ReadStaff, Staff};
use crate::input::JsonObject;
use crate::problem::Problem;
use crate::{ApiState, input};

/// A staff member as the API shows them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffView {
    /// Their id.
    #[schema(value_type = String, format = Uuid)]
    pub id: StaffId,
    /// Their council's id (the `jurisdiction_id` of its Open311 service requests).
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    /// Login e-mail, lower case.
    pub email: String,
    /// `council_admin`, `school_admin`, `teacher`, `auditor`, `merchant_admin` or `merchant_staff`.
    pub role: StaffRole,
    /// The school of a school admin or a teacher.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub school_id: Option<SchoolId>,
    /// The merchant of a merchant admin or merchant staff.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub merchant_id: Option<MerchantId>,
    /// Whether they have set a password (an invitation not yet taken up has not).
    pub active: bool,
}

impl From<StaffMember> for StaffView {
    fn from(member: StaffMember) -> Self {
        Self {
            id: member.id,
            tenant_id: member.tenant_id,
            email: member.email,
            role: member.role,
            school_id: member.school_id,
            merchant_id: member.merchant_id,
            active: member.active,
        }
    }
}

/// What a staff member may do and where: the body of a change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffScope {
    /// `council_admin`, `school_admin`, `teacher`, `auditor`, `merchant_admin` or `merchant_staff`.
    pub role: StaffRole,
    /// The school, for a school admin or a teacher (and only for them).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub school_id: Option<String>,
    /// The merchant, for a merchant admin or merchant staff (and only for them).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub merchant_id: Option<String>,
}

/// `POST /v1/admin/staff`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// Their e-mail address: their login.
    #[schema(
        example = "juf.an@school.be",
        max_length = 254,
        pattern = r"^[^@\s\x00-\x1f\x7f-\x9f]+@[^@.\s\x00-\x1f\x7f-\x9f]+(\.[^@.\s\x00-\x1f\x7f-\x9f]+)+$"
    )]
    pub email: String,
    /// `council_admin`, `school_admin`, `teacher`, `auditor`, `merchant_admin` or `merchant_staff`.
    pub role: StaffRole,
    /// The school, for a school admin or a teacher (and only for them).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub school_id: Option<String>,
    /// The merchant, for a merchant admin or merchant staff (and only for them).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub merchant_id: Option<String>,
}

/// A new account and its one-time set-up link.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    /// The account, not active until its owner sets a password.
    pub staff: StaffView,
    /// Give it to the person invited (it is shown only now): they set a
    /// password with it at `POST /v1/admin/auth/setup`.
    pub setup_token: String,
    /// When the set-up token stops working (ms since the epoch).
    pub setup_expires_at: i64,
}

/// The signed-in staff member.
#[utoipa::path(get, path = "/v1/admin/me", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StaffView)))]
pub async fn me(staff: Staff<AnyStaff>) -> Json<StaffView> {
    Json(staff.member().clone().into())
}

/// The tenant's current staff (council admins and auditors).
#[utoipa::path(get, path = "/v1/admin/staff", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffView>)))]
pub async fn list(State(state): State<ApiState>, staff: Staff<ReadStaff>) -> Result<Json<Vec<StaffView>>, Problem> {
    let members = staff::members(&state.engine.store, staff.tenant_id()).await?;
    Ok(Json(members.into_iter().map(StaffView::from).collect()))
}

/// Invite a staff member (council admins).
#[utoipa::path(post, path = "/v1/admin/staff", tag = "admin", request_body = InviteRequest, security(("bearer" = [])),
    responses((status = 201, body = Invitation), (status = 409, body = Problem, description = "The e-mail address already has an account (`EMAIL_TAKEN`)"),
        (status = 422, body = Problem, description = "A school role without a school of this council, or a council role with one")))]
pub async fn invite(
    State(state): State<ApiState>,
    staff: Staff<ManageStaff>,
    JsonObject(request): JsonObject<InviteRequest>,
) -> Result<(StatusCode, Json<Invitation>), Problem> {
    let email = input::email(&request.email)?;
    let role = request.role;
    let place = request.place();
    let workplace = checked_workplace(&state, staff.tenant_id(), role, place).await?;
    let mut tx = state.engine.store.begin().await?;
    let invitation = invite_staff(&mut tx, staff.tenant_id(), Actor::Staff(staff.id()), &email, role, &workplace)
        .await
        .map_err(|error| match error {
            EngineError::Store(StoreError::Conflict(_)) => {
                Problem::new(StatusCode::CONFLICT, "EMAIL_TAKEN", "this e-mail address already has a staff account")
            }
            other => other.into(),
        })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(Invitation {
            staff: invitation.member.into(),
            setup_token: invitation.setup_token,
            setup_expires_at: invitation.expires_at,
        }),
    ))
}

/// Change a staff member's role or school (council admins). They sign in again.
#[utoipa::path(patch, path = "/v1/admin/staff/{staff_id}", tag = "admin", request_body = StaffScope, security(("bearer" = [])),
    params(("staff_id" = String, Path, format = Uuid)),
    responses((status = 200, body = StaffView), (status = 404, body = Problem, description = "No such staff member of this council"),
        (status = 409, body = Problem, description = "It would leave the council without a council admin (`LAST_COUNCIL_ADMIN`)"),
        (status = 422, body = Problem, description = "A school role without a school of this council, or a council role with one")))]
pub async fn change(
    State(state): State<ApiState>,
    staff: Staff<ManageStaff>,
    Path(staff_id): Path<String>,
    JsonObject(scope): JsonObject<StaffScope>,
) -> Result<Json<StaffView>, Problem> {
    let target = staff_id_of(&staff_id)?;
    let workplace = checked_workplace(&state, staff.tenant_id(), scope.role, scope.place()).await?;
    let mut tx = state.engine.store.begin().await?;
    let before = current(&mut tx, staff.tenant_id(), &target).await?;
    staff::update(&mut tx, staff.tenant_id(), &target, scope.role, &workplace).await?;
    keep_a_council_admin(&mut tx, staff.tenant_id()).await?;
    sessions::revoke_all(&mut tx, staff.tenant_id(), &Holder::Staff(target.clone())).await?;
    let after = current(&mut tx, staff.tenant_id(), &target).await?;
    staff.record(&mut tx, "staff.change", target.as_str(), Some(&before), Some(&after)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(after.into()))
}

/// Remove a staff member (council admins): they can no longer sign in.
#[utoipa::path(delete, path = "/v1/admin/staff/{staff_id}", tag = "admin", security(("bearer" = [])),
    params(("staff_id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Removed"), (status = 404, body = Problem, description = "No such staff member of this council"),
        (status = 409, body = Problem, description = "It would leave the council without a council admin (`LAST_COUNCIL_ADMIN`)")))]
pub async fn remove(
    State(state): State<ApiState>,
    staff: Staff<ManageStaff>,
    Path(staff_id): Path<String>,
) -> Result<StatusCode, Problem> {
    let target = staff_id_of(&staff_id)?;
    let mut tx = state.engine.store.begin().await?;
    let before = current(&mut tx, staff.tenant_id(), &target).await?;
    staff::remove(&mut tx, staff.tenant_id(), &target).await?;
    keep_a_council_admin(&mut tx, staff.tenant_id()).await?;
    sessions::revoke_all(&mut tx, staff.tenant_id(), &Holder::Staff(target.clone())).await?;
    staff.record(&mut tx, "staff.remove", target.as_str(), Some(&before), None).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

fn staff_id_of(text: &str) -> Result<StaffId, Problem> {
    input::public_id(text).ok_or_else(|| Problem::not_found("staff member"))
}

async fn current(tx: &mut Tx, tenant_id: &TenantId, id: &StaffId) -> Result<StaffMember, Problem> {
    staff::member_in(tx, tenant_id, id).await?.ok_or_else(|| Problem::not_found("staff member"))
}

/// Refuses a change that leaves the tenant without a council admin: nobody
/// could manage its staff any more. Counted after the changes of the tenant's
/// staff made at the same time have committed.
async fn keep_a_council_admin(tx: &mut Tx, tenant_id: &TenantId) -> Result<(), Problem> {
    staff::lock_staff(tx, tenant_id).await?;
    if staff::council_admins_in(tx, tenant_id).await? == 0 {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "LAST_COUNCIL_ADMIN",
            "the council would be left without a council admin; make someone else one first",
        ));
    }
    Ok(())
}

/// The school and the merchant a request names, as typed.
struct Place<'a> {
    school_id: Option<&'a str>,
    merchant_id: Option<&'a str>,
}

impl InviteRequest {
    fn place(&self) -> Place<'_> {
        Place { school_id: self.school_id.as_deref(), merchant_id: self.merchant_id.as_deref() }
    }
}

impl StaffScope {
    fn place(&self) -> Place<'_> {
        Place { school_id: self.school_id.as_deref(), merchant_id: self.merchant_id.as_deref() }
    }
}

/// Where a role works, checked: school roles name a school of the tenant,
/// merchant roles a merchant of the tenant, council roles neither.
async fn checked_workplace(
    state: &ApiState,
    tenant_id: &TenantId,
    role: StaffRole,
    place: Place<'_>,
) -> Result<Workplace, Problem> {
    let unprocessable = |code: &str, detail: &str| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail);
    let store = &state.engine.store;
    if place.school_id.is_some() && !role.is_school_staff() {
        return Err(unprocessable("SCHOOL_NOT_ALLOWED", "only school admins and teachers work for a school"));
    }
    if place.merchant_id.is_some() && !role.is_merchant_staff() {
        return Err(unprocessable(
            "MERCHANT_NOT_ALLOWED",
            "only merchant admins and merchant staff work for a merchant",
        ));
    }
    if role.is_school_staff() {
        let text = place
            .school_id
            .ok_or_else(|| unprocessable("SCHOOL_REQUIRED", "a school admin or a teacher needs a school_id"))?;
        let school_id: Option<SchoolId> = input::public_id(text);
        return match school_id {
            Some(id) if !schools::schools(store, tenant_id, Some(&id)).await?.is_empty() => Ok(Workplace::School(id)),
            _ => Err(unprocessable("UNKNOWN_SCHOOL", "this council has no school with that school_id")),
        };
    }
    if role.is_merchant_staff() {
        let text = place.merchant_id.ok_or_else(|| {
            unprocessable("MERCHANT_REQUIRED", "a merchant admin or merchant staff needs a merchant_id")
        })?;
        let merchant_id: Option<MerchantId> = input::public_id(text);
        return match merchant_id {
            Some(id) if merchants::get(store, tenant_id, &id).await?.is_some() => Ok(Workplace::Merchant(id)),
            _ => Err(unprocessable("UNKNOWN_MERCHANT", "this council has no merchant with that merchant_id")),
        };
    }
    Ok(Workplace::Council)
}
