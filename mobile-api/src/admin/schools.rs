//! Schools with their zones, classes with their teachers, the class lists
//! (nicknames only, with rides and points) and the join codes students type.
//! Council admins reach every school; a school admin their own school; a
//! teacher reads and hands out the codes of the classes they teach.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use smartville_store::ids::{ClassId, SchoolId, StaffId};
use smartville_store::schools::{self, Class, ClassMember, JoinCode, School};
use smartville_store::{StoreError, now_ms};
use utoipa::ToSchema;

use super::access::{CreateSchools, ManageJoinCodes, ManageSchool, ReadSchools, Staff};
use crate::input::JsonObject;
use crate::problem::Problem;
use crate::{ApiState, input};

/// A school as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SchoolView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: SchoolId,
    /// Display name.
    pub name: String,
    /// The school grounds: a GeoJSON Polygon or MultiPolygon, if drawn.
    #[schema(value_type = Option<Object>)]
    pub zone: Option<serde_json::Value>,
}

impl From<School> for SchoolView {
    fn from(school: School) -> Self {
        let zone = school.zone.as_deref().and_then(|text| serde_json::from_str(text).ok());
        Self { id: school.id, name: school.name, zone }
    }
}

/// `POST /v1/admin/schools`, `PATCH /v1/admin/schools/{school_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolRequest {
    /// Display name, 1 to 120 characters.
    #[schema(
        min_length = 1,
        max_length = 120,
        example = "Sint-Jan",
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// The school grounds: a GeoJSON Polygon or MultiPolygon (rings closed, not crossing themselves).
    #[schema(value_type = Option<Object>)]
    pub zone: Option<serde_json::Value>,
}

/// `POST /v1/admin/schools/{school_id}/classes`, `PATCH /v1/admin/classes/{class_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassRequest {
    /// Display name, 1 to 120 characters.
    #[schema(
        min_length = 1,
        max_length = 120,
        example = "5A",
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// Teachers of the school who teach it.
    #[serde(default)]
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub teacher_ids: Vec<String>,
}

/// A new class and the code its students join with.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewClass {
    /// The class.
    pub class: Class,
    /// Its first join code.
    pub join_code: JoinCodeView,
}

/// A join code and its state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JoinCodeView {
    /// What students type.
    pub code: String,
    /// Whether it lets students join now.
    pub live: bool,
    /// When it was revoked (ms since the epoch), if it was.
    pub revoked_at: Option<i64>,
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
    /// How many students may join with it, if limited.
    pub max_uses: Option<i64>,
    /// How many have.
    pub uses: i64,
}

impl From<JoinCode> for JoinCodeView {
    fn from(code: JoinCode) -> Self {
        let live = code.revoked_at.is_none()
            && code.expires_at.is_none_or(|at| at > now_ms())
            && code.max_uses.is_none_or(|max| code.uses < max);
        Self {
            code: code.code,
            live,
            revoked_at: code.revoked_at,
            expires_at: code.expires_at,
            max_uses: code.max_uses,
            uses: code.uses,
        }
    }
}

/// `POST /v1/admin/classes/{class_id}/join-codes`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinCodeRequest {
    /// When it stops working (ms since the epoch), if ever; in the future.
    #[serde(default, deserialize_with = "input::whole_number")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 253_402_300_799_999_i64)]
    pub expires_at: Option<i64>,
    /// How many students may join with it (1 or more), if limited.
    #[serde(default, deserialize_with = "input::whole_number")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000)]
    pub max_uses: Option<i64>,
    /// Keep the class's other codes working (default: they are revoked, a rotation).
    #[serde(default)]
    pub keep_others: bool,
}

/// The council's schools (a school's own staff: their school).
#[utoipa::path(get, path = "/v1/admin/schools", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<SchoolView>)))]
pub async fn list(State(state): State<ApiState>, staff: Staff<ReadSchools>) -> Result<Json<Vec<SchoolView>>, Problem> {
    let only = staff.member().school_id.as_ref();
    let schools = schools::schools(&state.engine.store, staff.tenant_id(), only).await?;
    Ok(Json(schools.into_iter().map(SchoolView::from).collect()))
}

/// Add a school (council admins).
#[utoipa::path(post, path = "/v1/admin/schools", tag = "admin", request_body = SchoolRequest, security(("bearer" = [])),
    responses((status = 201, body = SchoolView), (status = 422, body = Problem, description = "The zone is not a valid GeoJSON Polygon or MultiPolygon (`INVALID_ZONE`)")))]
pub async fn create(
    State(state): State<ApiState>,
    staff: Staff<CreateSchools>,
    JsonObject(request): JsonObject<SchoolRequest>,
) -> Result<(StatusCode, Json<SchoolView>), Problem> {
    let (name, zone) = checked_school(&request)?;
    let mut tx = state.engine.store.begin().await?;
    let school = schools::create_school(&mut tx, staff.tenant_id(), name, zone.as_deref()).await?;
    staff.record(&mut tx, "school.create", school.id.as_str(), None, Some(&school)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(school.into())))
}

/// Rename a school or redraw its zone (council admins; a school admin their own school).
#[utoipa::path(patch, path = "/v1/admin/schools/{school_id}", tag = "admin", request_body = SchoolRequest, security(("bearer" = [])),
    params(("school_id" = String, Path, format = Uuid)),
    responses((status = 200, body = SchoolView), (status = 404, body = Problem, description = "No such school of this council"),
        (status = 422, body = Problem, description = "The zone is not a valid GeoJSON Polygon or MultiPolygon (`INVALID_ZONE`)")))]
pub async fn update(
    State(state): State<ApiState>,
    staff: Staff<ManageSchool>,
    Path(school_id): Path<String>,
    JsonObject(request): JsonObject<SchoolRequest>,
) -> Result<Json<SchoolView>, Problem> {
    let school_id: SchoolId = input::public_id(&school_id).ok_or_else(|| Problem::not_found("school"))?;
    let (name, zone) = checked_school(&request)?;
    let mut tx = state.engine.store.begin().await?;
    let before = schools::school_in(&mut tx, staff.tenant_id(), &school_id)
        .await?
        .ok_or_else(|| Problem::not_found("school"))?;
    staff.school_scope(&school_id)?;
    schools::update_school(&mut tx, staff.tenant_id(), &school_id, name, zone.as_deref()).await?;
    let after = School { name: name.to_owned(), zone, ..before.clone() };
    staff.record(&mut tx, "school.change", school_id.as_str(), Some(&before), Some(&after)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(after.into()))
}

/// The classes of a school (a teacher: the classes they teach).
#[utoipa::path(get, path = "/v1/admin/schools/{school_id}/classes", tag = "admin", security(("bearer" = [])),
    params(("school_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<Class>), (status = 404, body = Problem, description = "No such school of this council")))]
pub async fn classes(
    State(state): State<ApiState>,
    staff: Staff<ReadSchools>,
    Path(school_id): Path<String>,
) -> Result<Json<Vec<Class>>, Problem> {
    let school_id = existing_school(&state, &staff, &school_id).await?;
    staff.school_scope(&school_id)?;
    let classes = schools::classes(&state.engine.store, staff.tenant_id(), &school_id).await?;
    let visible = classes.into_iter().filter(|class| staff.class_scope(class).is_ok());
    Ok(Json(visible.collect()))
}

/// Add a class to a school, with its first join code (council admins; a school admin their own school).
#[utoipa::path(post, path = "/v1/admin/schools/{school_id}/classes", tag = "admin", request_body = ClassRequest, security(("bearer" = [])),
    params(("school_id" = String, Path, format = Uuid)),
    responses((status = 201, body = NewClass), (status = 404, body = Problem, description = "No such school of this council"),
        (status = 422, body = Problem, description = "A teacher id that is not a teacher of this school (`UNKNOWN_TEACHER`)")))]
pub async fn create_class(
    State(state): State<ApiState>,
    staff: Staff<ManageSchool>,
    Path(school_id): Path<String>,
    JsonObject(request): JsonObject<ClassRequest>,
) -> Result<(StatusCode, Json<NewClass>), Problem> {
    let school_id = existing_school(&state, &staff, &school_id).await?;
    staff.school_scope(&school_id)?;
    let name = input::plain_text(&request.name, 120, "INVALID_NAME", "name")?;
    let teacher_ids = checked_teachers(&state, &staff, &school_id, &request.teacher_ids).await?;
    let mut tx = state.engine.store.begin().await?;
    let code = new_join_code()?;
    let class_id = schools::create_class(&mut tx, staff.tenant_id(), &school_id, name, &code).await?;
    schools::update_class(&mut tx, staff.tenant_id(), &class_id, name, &teacher_ids).await?;
    let class = Class { id: class_id, school_id, name: name.to_owned(), teacher_ids };
    staff.record(&mut tx, "class.create", class.id.as_str(), None, Some(&class)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let join_code = schools::join_codes(&state.engine.store, staff.tenant_id(), &class.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Problem::internal(&"the new class has no join code"))?;
    Ok((StatusCode::CREATED, Json(NewClass { class, join_code: join_code.into() })))
}

/// Rename a class or change who teaches it (council admins; a school admin their own school).
#[utoipa::path(patch, path = "/v1/admin/classes/{class_id}", tag = "admin", request_body = ClassRequest, security(("bearer" = [])),
    params(("class_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Class), (status = 404, body = Problem, description = "No such class of this council"),
        (status = 422, body = Problem, description = "A teacher id that is not a teacher of this school (`UNKNOWN_TEACHER`)")))]
pub async fn update_class(
    State(state): State<ApiState>,
    staff: Staff<ManageSchool>,
    Path(class_id): Path<String>,
    JsonObject(request): JsonObject<ClassRequest>,
) -> Result<Json<Class>, Problem> {
    let before = existing_class(&state, &staff, &class_id).await?;
    staff.school_scope(&before.school_id)?;
    let name = input::plain_text(&request.name, 120, "INVALID_NAME", "name")?;
    let teacher_ids = checked_teachers(&state, &staff, &before.school_id, &request.teacher_ids).await?;
    let mut tx = state.engine.store.begin().await?;
    schools::update_class(&mut tx, staff.tenant_id(), &before.id, name, &teacher_ids).await?;
    let after = Class { name: name.to_owned(), teacher_ids, ..before.clone() };
    staff.record(&mut tx, "class.change", before.id.as_str(), Some(&before), Some(&after)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(after))
}

/// The class list: nicknames with rides and points, never traces.
#[utoipa::path(get, path = "/v1/admin/classes/{class_id}/participants", tag = "admin", security(("bearer" = [])),
    params(("class_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<ClassMember>), (status = 404, body = Problem, description = "No such class of this council")))]
pub async fn participants(
    State(state): State<ApiState>,
    staff: Staff<ReadSchools>,
    Path(class_id): Path<String>,
) -> Result<Json<Vec<ClassMember>>, Problem> {
    let class = existing_class(&state, &staff, &class_id).await?;
    staff.class_scope(&class)?;
    let members = schools::class_members(&state.engine.store, staff.tenant_id(), &class.id).await?;
    Ok(Json(members))
}

/// The join codes of a class, newest first.
#[utoipa::path(get, path = "/v1/admin/classes/{class_id}/join-codes", tag = "admin", security(("bearer" = [])),
    params(("class_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<JoinCodeView>), (status = 404, body = Problem, description = "No such class of this council")))]
pub async fn join_codes(
    State(state): State<ApiState>,
    staff: Staff<ReadSchools>,
    Path(class_id): Path<String>,
) -> Result<Json<Vec<JoinCodeView>>, Problem> {
    let class = existing_class(&state, &staff, &class_id).await?;
    staff.class_scope(&class)?;
    let codes = schools::join_codes(&state.engine.store, staff.tenant_id(), &class.id).await?;
    Ok(Json(codes.into_iter().map(JoinCodeView::from).collect()))
}

/// A new join code for a class, by default replacing the others (a rotation):
/// students who joined keep their accounts.
#[utoipa::path(post, path = "/v1/admin/classes/{class_id}/join-codes", tag = "admin", request_body = JoinCodeRequest, security(("bearer" = [])),
    params(("class_id" = String, Path, format = Uuid)),
    responses((status = 201, body = JoinCodeView), (status = 404, body = Problem, description = "No such class of this council"),
        (status = 422, body = Problem, description = "An expiry in the past or a use limit below 1 (`INVALID_JOIN_CODE_LIMITS`)")))]
pub async fn create_join_code(
    State(state): State<ApiState>,
    staff: Staff<ManageJoinCodes>,
    Path(class_id): Path<String>,
    JsonObject(request): JsonObject<JoinCodeRequest>,
) -> Result<(StatusCode, Json<JoinCodeView>), Problem> {
    let class = existing_class(&state, &staff, &class_id).await?;
    staff.class_scope(&class)?;
    let now = now_ms();
    if request.expires_at.is_some_and(|at| at <= now || at > LATEST_EXPIRY_MS)
        || request.max_uses.is_some_and(|max| !(1..=MOST_USES).contains(&max))
    {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_JOIN_CODE_LIMITS",
            format!("expires_at must be in the future (before the year 10000) and max_uses 1 to {MOST_USES}"),
        ));
    }
    let mut tx = state.engine.store.begin().await?;
    if !request.keep_others {
        schools::revoke_join_codes(&mut tx, staff.tenant_id(), &class.id, None).await?;
    }
    let code = new_join_code()?;
    schools::create_join_code(&mut tx, staff.tenant_id(), &class.id, &code, request.expires_at, request.max_uses)
        .await?;
    let created = JoinCode {
        code,
        class_id: class.id.clone(),
        created_at: now,
        revoked_at: None,
        expires_at: request.expires_at,
        max_uses: request.max_uses,
        uses: 0,
    };
    staff.record(&mut tx, "join_code.create", class.id.as_str(), None, Some(&created)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Revoke a join code: nobody joins with it any more; who joined stays.
#[utoipa::path(delete, path = "/v1/admin/classes/{class_id}/join-codes/{code}", tag = "admin", security(("bearer" = [])),
    params(("class_id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem, description = "No such live code of this class")))]
pub async fn revoke_join_code(
    State(state): State<ApiState>,
    staff: Staff<ManageJoinCodes>,
    Path((class_id, code)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let class = existing_class(&state, &staff, &class_id).await?;
    staff.class_scope(&class)?;
    let mut tx = state.engine.store.begin().await?;
    if schools::revoke_join_codes(&mut tx, staff.tenant_id(), &class.id, Some(&code)).await? == 0 {
        return Err(Problem::not_found("live join code of this class"));
    }
    staff.record(&mut tx, "join_code.revoke", class.id.as_str(), Some(&code), None).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest expiry a join code may have: the last millisecond of the year 9999.
const LATEST_EXPIRY_MS: i64 = 253_402_300_799_999;
/// The most uses a join code may be limited to.
const MOST_USES: i64 = 1_000_000;

/// Characters of a join code: no 0/O, 1/I/L, which children mistype.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A new join code, `XXXX-XXXX` from the operating system's randomness:
/// about 40 bits, beyond guessing under the wrong-code lock-outs, short
/// enough to copy from a poster.
fn new_join_code() -> Result<String, Problem> {
    // Bytes from this limit up would favour the alphabet's first characters: drawn again.
    let limit = 256 - 256 % CODE_ALPHABET.len();
    let mut chars = Vec::with_capacity(8);
    let mut byte = [0u8; 1];
    while chars.len() < 8 {
        getrandom::fill(&mut byte).map_err(|e| Problem::internal(&e))?;
        let drawn = usize::from(byte[0]);
        if drawn < limit {
            chars.push(char::from(CODE_ALPHABET[drawn % CODE_ALPHABET.len()]));
        }
    }
    let (first, second) = chars.split_at(4);
    Ok(format!("{}-{}", first.iter().collect::<String>(), second.iter().collect::<String>()))
}

fn checked_school(request: &SchoolRequest) -> Result<(&str, Option<String>), Problem> {
    let name = input::plain_text(&request.name, 120, "INVALID_NAME", "name")?;
    let zone = match &request.zone {
        None | Some(serde_json::Value::Null) => None,
        Some(zone) => {
            smartville_scoring::area_of_json(zone).map_err(|problem| {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_ZONE", format!("zone: {problem}"))
            })?;
            Some(zone.to_string())
        }
    };
    Ok((name, zone))
}

async fn existing_school<P>(state: &ApiState, staff: &Staff<P>, school_id: &str) -> Result<SchoolId, Problem> {
    let school_id: SchoolId = input::public_id(school_id).ok_or_else(|| Problem::not_found("school"))?;
    if schools::schools(&state.engine.store, staff.tenant_id(), Some(&school_id)).await?.is_empty() {
        return Err(Problem::not_found("school"));
    }
    Ok(school_id)
}

/// The class `class_id` of the staff member's council (their reach is checked by the caller).
pub(crate) async fn existing_class<P>(state: &ApiState, staff: &Staff<P>, class_id: &str) -> Result<Class, Problem> {
    let class_id: ClassId = input::public_id(class_id).ok_or_else(|| Problem::not_found("class"))?;
    schools::class(&state.engine.store, staff.tenant_id(), &class_id).await?.ok_or_else(|| Problem::not_found("class"))
}

/// The teacher ids of a request, each a current teacher of the school.
async fn checked_teachers<P>(
    state: &ApiState,
    staff: &Staff<P>,
    school_id: &SchoolId,
    requested: &[String],
) -> Result<Vec<StaffId>, Problem> {
    let teachers = schools::teachers_of_school(&state.engine.store, staff.tenant_id(), school_id).await?;
    let mut ids: Vec<StaffId> = Vec::with_capacity(requested.len());
    for id in requested {
        match teachers.iter().find(|t| t.as_str() == id) {
            Some(teacher) if !ids.contains(teacher) => ids.push(teacher.clone()),
            Some(_) => {}
            None => {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "UNKNOWN_TEACHER",
                    format!("{id} is not a teacher of this school"),
                ));
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_are_two_groups_of_four_unmistakable_characters() {
        let codes: Vec<String> = (0..500).map(|_| new_join_code().unwrap()).collect();
        for code in &codes {
            let (first, second) = code.split_once('-').unwrap();
            assert_eq!((first.len(), second.len()), (4, 4), "{code}");
            assert!(first.bytes().chain(second.bytes()).all(|b| CODE_ALPHABET.contains(&b)), "{code}");
        }
        let distinct: std::collections::HashSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
    }
}
