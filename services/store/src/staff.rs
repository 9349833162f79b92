//! Staff: the people of a council and its schools who run its campaigns,
//! their one-time set-up links and their logins. Passwords arrive here only
//! as argon2id hashes, set-up secrets only as SHA-256 hashes.

use serde::Serialize;

use crate::ids::{MerchantId, SchoolId, StaffId, TenantId};
use crate::{Store, StoreError, Tx, new_id, now_ms};

/// What a staff member may do (DESIGN §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Runs the whole tenant: campaigns, budgets, schools, staff.
    CouncilAdmin,
    /// Runs one school: its classes, join codes and reviews.
    SchoolAdmin,
    /// Sees and manages their own classes of one school.
    Teacher,
    /// Reads everything of the tenant, changes nothing.
    Auditor,
    /// Runs one merchant: proposes its offers, redeems vouchers, reads its settlements.
    MerchantAdmin,
    /// Works the counter of one merchant: redeems vouchers, reads its settlements.
    MerchantStaff,
}

impl StaffRole {
    /// Every role.
    pub const ALL: [Self; 6] =
        [Self::CouncilAdmin, Self::SchoolAdmin, Self::Teacher, Self::Auditor, Self::MerchantAdmin, Self::MerchantStaff];

    /// The stable name, as stored and serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CouncilAdmin => "council_admin",
            Self::SchoolAdmin => "school_admin",
            Self::Teacher => "teacher",
            Self::Auditor => "auditor",
            Self::MerchantAdmin => "merchant_admin",
            Self::MerchantStaff => "merchant_staff",
        }
    }

    /// The role of a stored or typed name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// Whether the role works for one school (and must name it).
    pub const fn is_school_staff(self) -> bool {
        matches!(self, Self::SchoolAdmin | Self::Teacher)
    }

    /// Whether the role works for one merchant (and must name it).
    pub const fn is_merchant_staff(self) -> bool {
        matches!(self, Self::MerchantAdmin | Self::MerchantStaff)
    }
}

/// Where a staff member works: the council as a whole, one school, or one
/// merchant. Which it must be follows from the role
/// ([`StaffRole::is_school_staff`], [`StaffRole::is_merchant_staff`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workplace {
    /// The whole tenant (council admins, auditors).
    Council,
    /// One school (school admins, teachers).
    School(SchoolId),
    /// One merchant (its admins and counter staff).
    Merchant(MerchantId),
}

impl Workplace {
    /// The school, for school staff.
    pub fn school(&self) -> Option<&SchoolId> {
        match self {
            Self::School(id) => Some(id),
            _ => None,
        }
    }

    /// The merchant, for merchant staff.
    pub fn merchant(&self) -> Option<&MerchantId> {
        match self {
            Self::Merchant(id) => Some(id),
            _ => None,
        }
    }
}

/// A staff member, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    /// Their tenant.
    pub tenant_id: TenantId,
    /// Their id.
    pub id: StaffId,
    /// Login e-mail, lower case.
    pub email: String,
    /// What they may do.
    pub role: StaffRole,
    /// The school of a school admin or a teacher.
    pub school_id: Option<SchoolId>,
    /// The merchant of a merchant admin or merchant staff.
    pub merchant_id: Option<MerchantId>,
    /// Whether they have set a password (an invitation not yet taken up has not).
    pub active: bool,
    /// When the account was created (ms since epoch).
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    tenant_id: TenantId,
    id: StaffId,
    email: String,
    role: String,
    school_id: Option<SchoolId>,
    merchant_id: Option<MerchantId>,
    password_hash: Option<String>,
    created_at: i64,
}

impl StaffRow {
    fn into_member(self) -> Result<(StaffMember, Option<String>), StoreError> {
        let role = StaffRole::from_name(&self.role)
            .ok_or_else(|| StoreError::Conflict(format!("unknown staff role {:?} in the database", self.role)))?;
        let member = StaffMember {
            tenant_id: self.tenant_id,
            id: self.id,
            email: self.email,
            role,
            school_id: self.school_id,
            merchant_id: self.merchant_id,
            active: self.password_hash.is_some(),
            created_at: self.created_at,
        };
        Ok((member, self.password_hash))
    }
}

/// `select` of every staff column followed by `$tail` (a literal), as a static string.
macro_rules! select_staff {
    ($tail:literal) => {
        concat!(
            "select tenant_id, id, email, role, school_id, merchant_id, password_hash, created_at from staff ",
            $tail
        )
    };
}

/// Creates a staff account without a password (it is set through a set-up
/// link). An e-mail address has one account in the whole deployment.
pub async fn create(
    tx: &mut Tx,
    tenant_id: &TenantId,
    email: &str,
    role: StaffRole,
    workplace: &Workplace,
) -> Result<StaffMember, StoreError> {
    let email = email.to_lowercase();
    let id = StaffId::new();
    let inserted = sqlx::query(
        "insert into staff_logins (email, tenant_id, staff_id) values ($1, $2, $3) on conflict (email) do nothing",
    )
    .bind(&email)
    .bind(tenant_id)
    .bind(&id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("{email} already has a staff account")));
    }
    let created_at = now_ms();
    sqlx::query(
        "insert into staff (tenant_id, id, email, role, school_id, merchant_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(&id)
    .bind(&email)
    .bind(role.as_str())
    .bind(workplace.school())
    .bind(workplace.merchant())
    .bind(created_at)
    .execute(&mut **tx)
    .await?;
    Ok(StaffMember {
        tenant_id: tenant_id.clone(),
        id,
        email,
        role,
        school_id: workplace.school().cloned(),
        merchant_id: workplace.merchant().cloned(),
        active: false,
        created_at,
    })
}

/// A current (not removed) staff member of a tenant.
pub async fn member(store: &Store, tenant_id: &TenantId, id: &StaffId) -> Result<Option<StaffMember>, StoreError> {
    member_with(store.reader(), tenant_id, id).await
}

/// A current staff member, read in a transaction (which sees its own changes).
pub async fn member_in(tx: &mut Tx, tenant_id: &TenantId, id: &StaffId) -> Result<Option<StaffMember>, StoreError> {
    member_with(&mut **tx, tenant_id, id).await
}

async fn member_with(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &TenantId,
    id: &StaffId,
) -> Result<Option<StaffMember>, StoreError> {
    let row: Option<StaffRow> =
        sqlx::query_as(select_staff!("where tenant_id = $1 and id = $2 and removed_at is null"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(executor)
            .await?;
    row.map(|row| row.into_member().map(|(member, _)| member)).transpose()
}

/// The current staff of a tenant, oldest account first.
pub async fn members(store: &Store, tenant_id: &TenantId) -> Result<Vec<StaffMember>, StoreError> {
    let rows: Vec<StaffRow> = sqlx::query_as(select_staff!("where tenant_id = $1 and removed_at is null order by id"))
        .bind(tenant_id)
        .fetch_all(store.reader())
        .await?;
    rows.into_iter().map(|row| row.into_member().map(|(member, _)| member)).collect()
}

/// The current staff member who logs in with `email`, and their password
/// hash (none before they set a password).
pub async fn login(store: &Store, email: &str) -> Result<Option<(StaffMember, Option<String>)>, StoreError> {
    let row: Option<StaffRow> = sqlx::query_as(select_staff!(
        "where (tenant_id, id) in (select tenant_id, staff_id from staff_logins where email = $1) \
         and removed_at is null"
    ))
    .bind(email.to_lowercase())
    .fetch_optional(store.reader())
    .await?;
    row.map(StaffRow::into_member).transpose()
}

/// Changes a staff member's role and workplace.
pub async fn update(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &StaffId,
    role: StaffRole,
    workplace: &Workplace,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "update staff set role = $1, school_id = $2, merchant_id = $3 where tenant_id = $4 and id = $5 and removed_at is null",
    )
    .bind(role.as_str())
    .bind(workplace.school())
    .bind(workplace.merchant())
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated == 0 { Err(StoreError::NotFound("staff member")) } else { Ok(()) }
}

/// Removes a staff member: they can no longer log in, and their e-mail
/// address is free for a new account. What they did stays in the audit log.
pub async fn remove(tx: &mut Tx, tenant_id: &TenantId, id: &StaffId) -> Result<(), StoreError> {
    let removed =
        sqlx::query("update staff set removed_at = $1 where tenant_id = $2 and id = $3 and removed_at is null")
            .bind(now_ms())
            .bind(tenant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if removed == 0 {
        return Err(StoreError::NotFound("staff member"));
    }
    sqlx::query("delete from staff_logins where tenant_id = $1 and staff_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets a staff member's password hash (argon2id, PHC format).
pub async fn set_password(tx: &mut Tx, tenant_id: &TenantId, id: &StaffId, hash: &str) -> Result<(), StoreError> {
    let updated =
        sqlx::query("update staff set password_hash = $1 where tenant_id = $2 and id = $3 and removed_at is null")
            .bind(hash)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if updated == 0 { Err(StoreError::NotFound("staff member")) } else { Ok(()) }
}

/// Stores a one-time set-up link for a staff member and returns its id.
pub async fn create_setup_token(
    tx: &mut Tx,
    tenant_id: &TenantId,
    staff_id: &StaffId,
    secret_hash: &str,
    expires_at: i64,
) -> Result<String, StoreError> {
    let id = new_id();
    sqlx::query(
        "insert into staff_setup_tokens (tenant_id, id, staff_id, secret_hash, expires_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(&id)
    .bind(staff_id)
    .bind(secret_hash)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A set-up link that has not been used, with its staff member's id.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SetupToken {
    /// Whose password it sets.
    pub staff_id: StaffId,
    /// SHA-256 of the secret half, hex.
    pub secret_hash: String,
    /// Expiry (ms since epoch).
    pub expires_at: i64,
}

/// Marks a set-up link used and returns it; `None` when it does not exist or
/// was used before (each link works once, even when two requests race).
pub async fn use_setup_token(tx: &mut Tx, tenant_id: &TenantId, id: &str) -> Result<Option<SetupToken>, StoreError> {
    Ok(sqlx::query_as(
        "update staff_setup_tokens set used_at = $1 where tenant_id = $2 and id = $3 and used_at is null \
         returning staff_id, secret_hash, expires_at",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Holds back other changes of a tenant's staff until the caller's
/// transaction ends (a lock on the tenant's row), so that what it reads next
/// includes every change committed before: two admins demoting each other at
/// once cannot both see the other still in place.
pub async fn lock_staff(tx: &mut Tx, tenant_id: &TenantId) -> Result<(), StoreError> {
    sqlx::query("update tenants set name = name where id = $1").bind(tenant_id).execute(&mut **tx).await?;
    Ok(())
}

/// How many current council admins a tenant has, read in a transaction.
pub async fn council_admins_in(tx: &mut Tx, tenant_id: &TenantId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "select count(*) from staff where tenant_id = $1 and role = 'council_admin' and removed_at is null",
    )
    .bind(tenant_id)
    .fetch_one(&mut **tx)
    .await?)
}
