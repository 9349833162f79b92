//! The participant's own data: `GET /v1/me/export` returns everything the
//! engine holds about them, machine-readable (GDPR art. 15 and 20), and
//! `DELETE /v1/me` erases them (art. 17), for a family that asks.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use smartville_store::ids::{CampaignId, ClassId, ParticipantId};
use smartville_store::ledger::{Owner, account_id};
use smartville_store::trips::{self, Trip};
use smartville_store::{StoreError, now_ms, participants, privacy};
use utoipa::ToSchema;

use crate::ApiState;
use crate::auth::Participant;
use crate::households::{self, HouseholdView};
use crate::problem::Problem;
use crate::trips::{TripView, rfc3339, with_reviews};
use crate::wallet::{self, Wallet};

/// Trips read per query while exporting.
const TRIPS_PER_PAGE: i64 = 500;

/// Everything the engine holds about a participant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Export {
    /// When this export was made (RFC 3339, UTC).
    pub exported_at: String,
    /// Who: the pseudonymous participant.
    pub participant: ParticipantView,
    /// The campaigns the participant takes part in.
    #[schema(value_type = Vec<String>)]
    pub campaigns: Vec<CampaignId>,
    /// Every trip, newest first, with its decision.
    pub trips: Vec<TripView>,
    /// Balances and every transfer of the wallet.
    pub wallet: Wallet,
    /// The households the participant is linked to, with their readings and the savings decisions on them.
    pub households: Vec<HouseholdView>,
    /// What else is kept, and for how long.
    pub retention: String,
}

/// The participant as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParticipantView {
    /// Pseudonymous id.
    #[schema(value_type = String, format = Uuid)]
    pub participant_id: ParticipantId,
    /// The class joined.
    #[schema(value_type = String, format = Uuid)]
    pub class_id: ClassId,
    /// The nickname chosen, if any.
    pub nickname: Option<String>,
    /// When they joined (RFC 3339, UTC).
    pub joined_at: String,
    /// Signed-in devices (sessions that can still be refreshed).
    pub live_sessions: i64,
}

/// Everything the engine holds about the signed-in participant.
#[utoipa::path(get, path = "/v1/me/export", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Export)))]
pub async fn export(State(state): State<ApiState>, participant: Participant) -> Result<Json<Export>, Problem> {
    let store = &state.engine.store;
    let (tenant, id) = (participant.tenant_id(), participant.id());
    let record =
        privacy::participant(store, tenant, id, now_ms()).await?.ok_or_else(|| Problem::not_found("participant"))?;
    let mut all: Vec<Trip> = Vec::new();
    loop {
        let cursor = all.last().map(|trip| trip.id.clone());
        let page = trips::list(store, tenant, id, cursor.as_ref(), TRIPS_PER_PAGE).await?;
        let last_page = page.len() < TRIPS_PER_PAGE as usize;
        all.extend(page);
        if last_page {
            break;
        }
    }
    let mut trips: Vec<TripView> = all.iter().map(TripView::from_trip).collect();
    with_reviews(&state, tenant, &mut trips).await?;
    Ok(Json(Export {
        exported_at: rfc3339(now_ms()),
        participant: ParticipantView {
            participant_id: record.id,
            class_id: record.class_id,
            nickname: record.nickname,
            joined_at: rfc3339(record.created_at),
            live_sessions: record.live_sessions,
        },
        campaigns: participants::enrollments(store, tenant, id).await?,
        trips,
        wallet: wallet::of(&state, tenant, id, i64::MAX).await?,
        households: households::of(&state, &participant).await?,
        retention: "The GPS trace of each ride is kept for the campaign's dispute window after its decision \
                    (30 days unless the campaign says otherwise) and then deleted. What stays is a fingerprint \
                    used to recognise copied rides, which never contains the first and last 200 m of a ride. \
                    Traces are not part of this export, so that it never holds the way to a home address."
            .to_owned(),
    }))
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Erasure {
    /// Points the wallet held (in all coins), returned to the campaigns' budgets.
    pub points_returned: i64,
    /// Trips kept only as anonymous counts for the council's reports.
    pub trips_kept_anonymously: u64,
}

/// Erase the signed-in participant: nickname, sessions, traces and
/// fingerprints are deleted, trips stay only as anonymous counts, and the
/// wallet's points go back to the campaign budget (the ledger stays
/// balanced). The access token stops working for uploads at once; joining
/// again starts afresh.
#[utoipa::path(delete, path = "/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Erasure)))]
pub async fn erase(State(state): State<ApiState>, participant: Participant) -> Result<Json<Erasure>, Problem> {
    let engine = &state.engine;
    let (tenant, id) = (participant.tenant_id(), participant.id());
    // Each coin goes back to the budget of the first campaign paying in it, else to the council.
    let mut budget_in = std::collections::HashMap::new();
    for campaign in participants::enrollments(&engine.store, tenant, id).await? {
        let coin = engine.campaigns.coin(&engine.store, tenant, &campaign).await?;
        budget_in.entry(coin).or_insert(campaign);
    }
    let return_to = |coin: &str| match budget_in.get(coin) {
        Some(campaign) => account_id(Owner::Campaign(campaign), coin),
        None => account_id(Owner::Issuer(tenant), coin),
    };
    let mut tx = engine.store.begin().await?;
    let erased = privacy::erase(&mut tx, tenant, id, return_to).await?.ok_or_else(|| {
        Problem::new(axum::http::StatusCode::UNAUTHORIZED, "ERASED", "this participant was erased already")
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    for photo in &erased.photos {
        if let Err(error) = state.files.delete(photo).await {
            tracing::warn!(%error, photo, "an erased participant's photo could not be deleted");
        }
    }
    tracing::info!(participant = %id, trips = erased.trips, "participant erased on request");
    Ok(Json(Erasure {
        points_returned: erased.returned.iter().map(|(_, amount)| amount).sum(),
        trips_kept_anonymously: erased.trips,
    }))
}
