//! Schools, their classes and teachers, and the join codes with which
//! students join a class: codes can be revoked, limited in uses and given an
//! expiry, and a class can get a new code while its students keep their accounts.

use serde::Serialize;

use crate::ids::{ClassId, ParticipantId, SchoolId, StaffId, TenantId};
use crate::participants::JoinTarget;
use crate::{Store, StoreError, Tx, now_ms};

/// A school of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct School {
    /// Its id.
    pub id: SchoolId,
    /// Display name.
    pub name: String,
    /// The school grounds as a GeoJSON geometry, if drawn.
    pub zone: Option<String>,
}

/// The schools of a tenant, oldest first; only `only` when given.
pub async fn schools(store: &Store, tenant_id: &TenantId, only: Option<&SchoolId>) -> Result<Vec<School>, StoreError> {
    Ok(sqlx::query_as("select id, name, zone from schools where tenant_id = $1 and ($2 = '' or id = $2) order by id")
        .bind(tenant_id)
        .bind(only.map_or("", SchoolId::as_str))
        .fetch_all(store.reader())
        .await?)
}

/// One school, read in a transaction.
pub async fn school_in(tx: &mut Tx, tenant_id: &TenantId, id: &SchoolId) -> Result<Option<School>, StoreError> {
    Ok(sqlx::query_as("select id, name, zone from schools where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// Creates a school and returns it.
pub async fn create_school(
    tx: &mut Tx,
    tenant_id: &TenantId,
    name: &str,
    zone: Option<&str>,
) -> Result<School, StoreError> {
    let school = School { id: SchoolId::new(), name: name.to_owned(), zone: zone.map(str::to_owned) };
    sqlx::query("insert into schools (tenant_id, id, name, zone) values ($1, $2, $3, $4)")
        .bind(tenant_id)
        .bind(&school.id)
        .bind(name)
        .bind(zone)
        .execute(&mut **tx)
        .await?;
    Ok(school)
}

/// Renames a school and redraws its zone.
pub async fn update_school(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &SchoolId,
    name: &str,
    zone: Option<&str>,
) -> Result<(), StoreError> {
    let updated = sqlx::query("update schools set name = $1, zone = $2 where tenant_id = $3 and id = $4")
        .bind(name)
        .bind(zone)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated == 0 { Err(StoreError::NotFound("school")) } else { Ok(()) }
}

/// A class of a school, with its teachers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Class {
    /// Its id.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: ClassId,
    /// Its school.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub school_id: SchoolId,
    /// Display name, e.g. "5A".
    pub name: String,
    /// The staff members who teach it.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub teacher_ids: Vec<StaffId>,
}

#[derive(sqlx::FromRow)]
struct ClassRow {
    id: ClassId,
    school_id: SchoolId,
    name: String,
}

/// The classes of a school, oldest first, with their teachers.
pub async fn classes(store: &Store, tenant_id: &TenantId, school_id: &SchoolId) -> Result<Vec<Class>, StoreError> {
    let rows: Vec<ClassRow> =
        sqlx::query_as("select id, school_id, name from classes where tenant_id = $1 and school_id = $2 order by id")
            .bind(tenant_id)
            .bind(school_id)
            .fetch_all(store.reader())
            .await?;
    let teachers: Vec<(ClassId, StaffId)> = sqlx::query_as(
        "select ct.class_id, ct.staff_id from class_teachers as ct join classes as c \
         on c.tenant_id = ct.tenant_id and c.id = ct.class_id where c.tenant_id = $1 and c.school_id = $2 \
         order by ct.staff_id",
    )
    .bind(tenant_id)
    .bind(school_id)
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Class {
            teacher_ids: teachers.iter().filter(|(class, _)| *class == row.id).map(|(_, t)| t.clone()).collect(),
            id: row.id,
            school_id: row.school_id,
            name: row.name,
        })
        .collect())
}

/// One class with its teachers.
pub async fn class(store: &Store, tenant_id: &TenantId, id: &ClassId) -> Result<Option<Class>, StoreError> {
    let row: Option<ClassRow> =
        sqlx::query_as("select id, school_id, name from classes where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(store.reader())
            .await?;
    let Some(row) = row else { return Ok(None) };
    let teacher_ids = sqlx::query_scalar(
        "select staff_id from class_teachers where tenant_id = $1 and class_id = $2 order by staff_id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(store.reader())
    .await?;
    Ok(Some(Class { id: row.id, school_id: row.school_id, name: row.name, teacher_ids }))
}

/// Creates a class with its first join code and returns the class id. Join
/// codes are unique across tenants: a student types one before anyone knows the tenant.
pub async fn create_class(
    tx: &mut Tx,
    tenant_id: &TenantId,
    school_id: &SchoolId,
    name: &str,
    join_code: &str,
) -> Result<ClassId, StoreError> {
    let id = ClassId::new();
    sqlx::query("insert into classes (tenant_id, id, school_id, name) values ($1, $2, $3, $4)")
        .bind(tenant_id)
        .bind(&id)
        .bind(school_id)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    create_join_code(tx, tenant_id, &id, join_code, None, None).await?;
    Ok(id)
}

/// Renames a class and sets who teaches it.
pub async fn update_class(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &ClassId,
    name: &str,
    teacher_ids: &[StaffId],
) -> Result<(), StoreError> {
    let updated = sqlx::query("update classes set name = $1 where tenant_id = $2 and id = $3")
        .bind(name)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated == 0 {
        return Err(StoreError::NotFound("class"));
    }
    sqlx::query("delete from class_teachers where tenant_id = $1 and class_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for teacher in teacher_ids {
        sqlx::query("insert into class_teachers (tenant_id, class_id, staff_id) values ($1, $2, $3)")
            .bind(tenant_id)
            .bind(id)
            .bind(teacher)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A join code and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct JoinCode {
    /// What students type.
    pub code: String,
    /// The class it joins.
    pub class_id: ClassId,
    /// When it was made (ms since epoch; 0 for codes made before codes had a life).
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
    /// How many students may join with it, if limited.
    pub max_uses: Option<i64>,
    /// How many have.
    pub uses: i64,
}

/// Why a join code does not let a student in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefusal {
    /// No class has it.
    Unknown,
    /// Its class revoked it.
    Revoked,
    /// It was valid until a time now past.
    Expired,
    /// As many students joined with it as it allowed.
    Exhausted,
}

/// Stores a join code for a class.
pub async fn create_join_code(
    tx: &mut Tx,
    tenant_id: &TenantId,
    class_id: &ClassId,
    code: &str,
    expires_at: Option<i64>,
    max_uses: Option<i64>,
) -> Result<(), StoreError> {
    let inserted = sqlx::query(
        "insert into join_codes (code, tenant_id, class_id, created_at, expires_at, max_uses) \
         values ($1, $2, $3, $4, $5, $6) on conflict (code) do nothing",
    )
    .bind(code)
    .bind(tenant_id)
    .bind(class_id)
    .bind(now_ms())
    .bind(expires_at)
    .bind(max_uses)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("join code {code} is taken")));
    }
    Ok(())
}

/// The join codes of a class, newest first.
pub async fn join_codes(store: &Store, tenant_id: &TenantId, class_id: &ClassId) -> Result<Vec<JoinCode>, StoreError> {
    Ok(sqlx::query_as(
        "select code, class_id, created_at, revoked_at, expires_at, max_uses, uses from join_codes \
         where tenant_id = $1 and class_id = $2 order by created_at desc, code",
    )
    .bind(tenant_id)
    .bind(class_id)
    .fetch_all(store.reader())
    .await?)
}

/// Revokes the live join codes of a class (all of them, or only `code`);
/// returns how many. Students who joined keep their accounts.
pub async fn revoke_join_codes(
    tx: &mut Tx,
    tenant_id: &TenantId,
    class_id: &ClassId,
    code: Option<&str>,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "update join_codes set revoked_at = $1 \
         where tenant_id = $2 and class_id = $3 and revoked_at is null and ($4 = '' or code = $4)",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(class_id)
    .bind(code.unwrap_or(""))
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// The class a join code leads to, whatever the code's state (case-sensitive, exact).
pub async fn find_join_code(store: &Store, code: &str) -> Result<Option<JoinTarget>, StoreError> {
    Ok(sqlx::query_as("select tenant_id, class_id from join_codes where code = $1")
        .bind(code)
        .fetch_optional(store.reader())
        .await?)
}

/// Counts a join with `code` and returns its class; or why the code does
/// not let anyone in. The count and the checks are one statement, so two
/// students racing for a code's last use cannot both get it.
pub async fn use_join_code(tx: &mut Tx, code: &str) -> Result<Result<JoinTarget, JoinRefusal>, StoreError> {
    let now = now_ms();
    let target: Option<JoinTarget> = sqlx::query_as(
        "update join_codes set uses = uses + 1 where code = $1 and revoked_at is null \
         and (expires_at is null or expires_at > $2) and (max_uses is null or uses < max_uses) \
         returning tenant_id, class_id",
    )
    .bind(code)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(target) = target {
        return Ok(Ok(target));
    }
    let state: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("select revoked_at, expires_at from join_codes where code = $1")
            .bind(code)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(Err(match state {
        None => JoinRefusal::Unknown,
        Some((Some(_), _)) => JoinRefusal::Revoked,
        Some((None, Some(expires_at))) if expires_at <= now => JoinRefusal::Expired,
        Some(_) => JoinRefusal::Exhausted,
    }))
}

/// A participant on a class list: nickname only, with what they achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassMember {
    /// Pseudonymous id.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub participant_id: ParticipantId,
    /// The nickname they chose, if any.
    pub nickname: Option<String>,
    /// Rides accepted.
    pub rides_accepted: i64,
    /// Rides waiting for a person's review.
    pub rides_in_review: i64,
    /// Points earned by accepted rides.
    pub points: i64,
}

/// The participants of a class, by nickname (PostgreSQL sums bigints as
/// numeric, hence the casts).
pub async fn class_members(
    store: &Store,
    tenant_id: &TenantId,
    class_id: &ClassId,
) -> Result<Vec<ClassMember>, StoreError> {
    Ok(sqlx::query_as(
        "select p.id as participant_id, p.nickname, \
             cast(coalesce(sum(case when t.status = 'accepted' then 1 else 0 end), 0) as bigint) as rides_accepted, \
             cast(coalesce(sum(case when t.status = 'review' then 1 else 0 end), 0) as bigint) as rides_in_review, \
             cast(coalesce(sum(case when t.status = 'accepted' then t.points else 0 end), 0) as bigint) as points \
         from participants as p left join trips as t on t.tenant_id = p.tenant_id and t.participant_id = p.id \
         where p.tenant_id = $1 and p.class_id = $2 \
         group by p.id, p.nickname order by p.nickname, p.id",
    )
    .bind(tenant_id)
    .bind(class_id)
    .fetch_all(store.reader())
    .await?)
}

/// The current teachers of a school.
pub async fn teachers_of_school(
    store: &Store,
    tenant_id: &TenantId,
    school_id: &SchoolId,
) -> Result<Vec<StaffId>, StoreError> {
    Ok(sqlx::query_scalar(
        "select id from staff where tenant_id = $1 and school_id = $2 and role = 'teacher' and removed_at is null",
    )
    .bind(tenant_id)
    .bind(school_id)
    .fetch_all(store.reader())
    .await?)
}
