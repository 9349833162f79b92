//! A participant's households (`/v1/households/...`): linking with the code
//! from the household's letter, unlinking (no reward of it reaches them
//! afterwards), and what the engine knows of each: its members, its
//! readings of the last thirteen months, and the decisions of the savings
//! campaigns on its periods, with their baselines and reasons.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use smartville_engine::savings::SavingsDecision;
use smartville_engine::{DAY_MS, households, now_ms};
use smartville_store::StoreError;
use smartville_store::households::{self as stored, Membership, NotLinked};
use smartville_store::ids::{CampaignId, HouseholdId};
use smartville_store::readings::{self, Reading};
use smartville_store::savings;
use smartville_store::sources::ReadingKind;
use utoipa::ToSchema;

use crate::ApiState;
use crate::auth::Participant;
use crate::input::{self, JsonObject};
use crate::problem::Problem;
use crate::trips::rfc3339;

/// How far back a household's readings are shown: a year and the month before it, to compare.
const READINGS_SHOWN_MS: i64 = 396 * DAY_MS;

/// `POST /v1/households/link`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The code from the household's letter (case, spaces and dashes do not matter).
    #[schema(example = "7KQ2-M9XD-4HWT-0BZE", min_length = 1, max_length = 64)]
    pub code: String,
}

/// A reading of the household, in the base unit of what it measured.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HouseholdReading {
    /// `waste` or `energy`.
    pub kind: ReadingKind,
    /// The fraction or carrier.
    #[schema(example = "residual")]
    pub measured: String,
    /// When it was observed (RFC 3339, UTC).
    pub observed_at: String,
    /// How much, in `unit`.
    pub amount: i64,
    /// `g`, `Wh` or `l`.
    #[schema(example = "g")]
    pub unit: String,
    /// Whether it corrects an earlier reading.
    pub corrected: bool,
}

/// A household the participant is linked to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HouseholdView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub household_id: HouseholdId,
    /// The reference the council's sources use for it.
    pub reference: String,
    /// How many people live in it, when the council knows.
    pub size: Option<i32>,
    /// How many members are linked, the participant included: a reward is split between them.
    pub members: i64,
    /// When the participant linked (RFC 3339, UTC).
    pub linked_at: String,
    /// Its readings of the last thirteen months, oldest first.
    pub readings: Vec<HouseholdReading>,
    /// The savings campaigns' decisions on its periods, newest period first.
    pub decisions: Vec<HouseholdDecision>,
}

/// A savings campaign's decision on one of the household's periods.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HouseholdDecision {
    /// The campaign.
    #[schema(value_type = String, format = Uuid)]
    pub campaign_id: CampaignId,
    /// Its name.
    pub campaign_name: String,
    /// The period: `2027-01` (a month) or `2027-Q1` (a quarter).
    pub period: String,
    /// 1, or more when a corrected reading changed the decision (the difference was paid or taken back).
    pub revision: i64,
    /// When it was decided (RFC 3339, UTC).
    pub decided_at: String,
    /// Status, points for the household (split between its members), reasons and the figures of
    /// every fraction or carrier: the period's total, its baseline and where that came from.
    pub decision: SavingsDecision,
}

/// The participant's households.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyHouseholds {
    /// Longest linked first.
    pub households: Vec<HouseholdView>,
}

/// Link to a household with the code from its letter: the household's
/// rewards are split between its linked members from now on. A code links once.
#[utoipa::path(post, path = "/v1/households/link", tag = "households", request_body = LinkRequest, security(("bearer" = [])),
    responses((status = 201, body = HouseholdView),
        (status = 404, body = Problem, description = "No household of the town has this code (`UNKNOWN_CODE`)"),
        (status = 409, body = Problem, description = "The code linked someone already (`CODE_USED`), or the participant is linked to this household (`ALREADY_LINKED`)")))]
pub async fn link(
    State(state): State<ApiState>,
    participant: Participant,
    JsonObject(request): JsonObject<LinkRequest>,
) -> Result<(StatusCode, Json<HouseholdView>), Problem> {
    let store = &state.engine.store;
    let linked = households::link(store, participant.tenant_id(), &request.code, participant.id()).await?;
    let household_id = linked.map_err(|refusal| match refusal {
        NotLinked::UnknownCode => {
            Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_CODE", "no household of your town has this code")
        }
        NotLinked::CodeUsed => Problem::new(
            StatusCode::CONFLICT,
            "CODE_USED",
            "this code linked someone already; ask the council for another letter",
        ),
        NotLinked::AlreadyLinked => {
            Problem::new(StatusCode::CONFLICT, "ALREADY_LINKED", "you are linked to this household already")
        }
    })?;
    let mine = stored::of_participant(store, participant.tenant_id(), participant.id()).await?;
    let membership =
        mine.into_iter().find(|m| m.household_id == household_id).ok_or(StoreError::NotFound("household"))?;
    Ok((StatusCode::CREATED, Json(view(&state, &participant, membership).await?)))
}

/// Unlink from a household: none of its rewards reach the participant from now on.
#[utoipa::path(delete, path = "/v1/households/{household_id}/link", tag = "households", security(("bearer" = [])),
    params(("household_id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Unlinked"),
        (status = 404, body = Problem, description = "The participant is not linked to such a household")))]
pub async fn unlink(
    State(state): State<ApiState>,
    participant: Participant,
    Path(household_id): Path<String>,
) -> Result<StatusCode, Problem> {
    let not_found = || Problem::not_found("household");
    let household_id: HouseholdId = input::public_id(&household_id).ok_or_else(not_found)?;
    let mut tx = state.engine.store.begin().await?;
    if !stored::unlink(&mut tx, participant.tenant_id(), &household_id, participant.id()).await? {
        return Err(not_found());
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The participant's households: their members and readings.
#[utoipa::path(get, path = "/v1/households/me", tag = "households", security(("bearer" = [])),
    responses((status = 200, body = MyHouseholds)))]
pub async fn mine(State(state): State<ApiState>, participant: Participant) -> Result<Json<MyHouseholds>, Problem> {
    Ok(Json(MyHouseholds { households: of(&state, &participant).await? }))
}

/// The participant's households, longest linked first, as `GET /v1/households/me` and the export show them.
pub(crate) async fn of(state: &ApiState, participant: &Participant) -> Result<Vec<HouseholdView>, Problem> {
    let memberships = stored::of_participant(&state.engine.store, participant.tenant_id(), participant.id()).await?;
    let mut households = Vec::with_capacity(memberships.len());
    for membership in memberships {
        households.push(view(state, participant, membership).await?);
    }
    Ok(households)
}

async fn view(state: &ApiState, participant: &Participant, membership: Membership) -> Result<HouseholdView, Problem> {
    let now = now_ms();
    let shown = readings::of_household(
        &state.engine.store,
        participant.tenant_id(),
        &membership.household_id,
        now - READINGS_SHOWN_MS,
        i64::MAX,
    )
    .await?;
    let decided = savings::of_household(&state.engine.store, participant.tenant_id(), &membership.household_id).await?;
    let mut decisions = Vec::with_capacity(decided.len());
    for decided in decided {
        decisions.push(HouseholdDecision {
            decision: serde_json::from_str(&decided.decision).map_err(|error| Problem::internal(&error))?,
            campaign_id: decided.campaign_id,
            campaign_name: decided.campaign_name,
            period: decided.period,
            revision: decided.revision,
            decided_at: rfc3339(decided.decided_at),
        });
    }
    Ok(HouseholdView {
        household_id: membership.household_id,
        reference: membership.reference,
        size: membership.size,
        members: membership.members,
        linked_at: rfc3339(membership.linked_at),
        readings: shown.into_iter().map(HouseholdReading::from).collect(),
        decisions,
    })
}

impl From<Reading> for HouseholdReading {
    fn from(reading: Reading) -> Self {
        Self {
            kind: reading.measured.kind(),
            measured: reading.measured.name().to_owned(),
            observed_at: rfc3339(reading.observed_at),
            amount: reading.amount,
            unit: reading.measured.base_unit().to_owned(),
            corrected: reading.correction_of.is_some(),
        }
    }
}
