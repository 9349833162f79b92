//! Households as the council registers them: by the pseudonymous reference
//! its data sources use (never an address), with their size when known (a
//! household without history is compared with households of its size), each
//! answered with a one-time link code for the letter to its residents.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use smartville_engine::households::{self, MAX_REGISTERED};
use smartville_engine::readings::MAX_REF_CHARS;
use smartville_store::StoreError;
use smartville_store::households::NewHousehold;
use smartville_store::ids::HouseholdId;
use utoipa::ToSchema;

use super::access::{ManageHouseholds, Staff};
use crate::ApiState;
use crate::input::{self, JsonObject};
use crate::problem::Problem;

/// Most people a household may be said to have.
const MAX_SIZE: i32 = 20;

/// `POST /v1/admin/households`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Up to 10,000 households, each reference once.
    #[schema(min_items = 1, max_items = 10_000)]
    pub households: Vec<HouseholdEntry>,
}

/// A household to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdEntry {
    /// The pseudonymous reference the council's data sources use for it (1 to 100 characters).
    #[schema(
        example = "HH-0042",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub reference: String,
    /// How many people live in it, 1 to 20, when the council knows.
    #[schema(minimum = 1, maximum = 20, example = 3)]
    pub size: Option<i32>,
}

/// A household registered.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisteredView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub household_id: HouseholdId,
    /// Its reference.
    pub reference: String,
    /// Its size, when known.
    pub size: Option<i32>,
    /// A new one-time code for the letter to its residents (`POST /v1/households/link`): shown this once.
    #[schema(example = "7KQ2-M9XD-4HWT-0BZE")]
    pub link_code: String,
}

/// The households registered, in the order asked.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisteredList {
    /// One per household asked for.
    pub households: Vec<RegisteredView>,
}

/// Register households (council admins), or register them again: a
/// household already registered keeps its id and codes, takes the new size
/// when one is given, and gets one more link code (one per letter).
#[utoipa::path(post, path = "/v1/admin/households", tag = "admin", request_body = RegisterRequest, security(("bearer" = [])),
    responses((status = 200, body = RegisteredList),
        (status = 400, body = Problem, description = "No household or more than 10,000, a reference that is empty, too long, has control characters or comes twice, or a size outside 1 to 20 (`INVALID_HOUSEHOLD`)")))]
pub async fn register(
    State(state): State<ApiState>,
    staff: Staff<ManageHouseholds>,
    JsonObject(request): JsonObject<RegisterRequest>,
) -> Result<Json<RegisteredList>, Problem> {
    let invalid = |detail: String| Problem::bad_request("INVALID_HOUSEHOLD", detail);
    if request.households.is_empty() || request.households.len() > MAX_REGISTERED {
        return Err(invalid(format!("register 1 to {MAX_REGISTERED} households at a time")));
    }
    let mut seen = HashSet::with_capacity(request.households.len());
    let mut new = Vec::with_capacity(request.households.len());
    for (index, entry) in request.households.iter().enumerate() {
        let field = format!("households[{index}].reference");
        let reference = input::plain_text(&entry.reference, MAX_REF_CHARS, "INVALID_HOUSEHOLD", &field)?;
        if !seen.insert(reference) {
            return Err(invalid(format!("{field}: {reference:?} comes twice")));
        }
        if entry.size.is_some_and(|size| !(1..=MAX_SIZE).contains(&size)) {
            return Err(invalid(format!("households[{index}].size is 1 to {MAX_SIZE}")));
        }
        new.push(NewHousehold { reference, size: entry.size });
    }
    let mut tx = state.engine.store.begin().await?;
    let registered = households::register(&mut tx, staff.tenant_id(), &new).await?;
    let references: Vec<&str> = new.iter().map(|household| household.reference).collect();
    let after = serde_json::json!({ "references": references });
    staff.record(&mut tx, "households.register", &format!("{} households", new.len()), None, Some(&after)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let households = registered
        .into_iter()
        .map(|r| RegisteredView {
            household_id: r.household.id,
            reference: r.household.reference,
            size: r.household.size,
            link_code: r.link_code,
        })
        .collect();
    Ok(Json(RegisteredList { households }))
}
