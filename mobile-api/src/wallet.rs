//! The participant's wallet: what they hold, and how it got there.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use smartville_store::ids::{ParticipantId, TenantId};
use smartville_store::ledger::{self, Owner};
use utoipa::ToSchema;

use crate::ApiState;
use crate::auth::Participant;
use crate::problem::Problem;
use crate::trips::rfc3339;

/// How many transfers the wallet shows.
const LATEST_TRANSFERS: i64 = 20;

/// `GET /v1/wallet`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Wallet {
    /// One entry per coin held.
    pub balances: Vec<BalanceView>,
    /// The latest transfers, newest first.
    pub transfers: Vec<TransferView>,
}

/// A balance in one coin.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BalanceView {
    /// The coin, e.g. "Geelcoins".
    pub coin: String,
    /// Amount held.
    pub amount: i64,
}

/// A transfer into or out of the wallet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferView {
    /// Transfer id.
    pub transfer_id: String,
    /// Coin.
    pub coin: String,
    /// Positive when received.
    pub amount: i64,
    /// `reward`, `redemption` …
    pub kind: String,
    /// What it was for (e.g. the trip id).
    pub reference: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

/// Balances per coin and the latest transfers.
#[utoipa::path(get, path = "/v1/wallet", tag = "wallet", security(("bearer" = [])),
    responses((status = 200, body = Wallet)))]
pub async fn get(State(state): State<ApiState>, participant: Participant) -> Result<Json<Wallet>, Problem> {
    Ok(Json(of(&state, participant.tenant_id(), participant.id(), LATEST_TRANSFERS).await?))
}

/// The wallet of `owner` with its latest `transfers` transfers.
pub(crate) async fn of(
    state: &ApiState,
    tenant: &TenantId,
    owner: &ParticipantId,
    transfers: i64,
) -> Result<Wallet, Problem> {
    let store = &state.engine.store;
    let balances = ledger::balances_of(store, tenant, Owner::Participant(owner))
        .await?
        .into_iter()
        .map(|b| BalanceView { coin: b.coin, amount: b.amount })
        .collect();
    let transfers = ledger::entries_of(store, tenant, Owner::Participant(owner), transfers)
        .await?
        .into_iter()
        .map(|e| TransferView {
            transfer_id: e.id,
            coin: e.coin,
            amount: e.amount,
            kind: e.kind,
            reference: e.reference,
            created_at: rfc3339(e.created_at),
        })
        .collect();
    Ok(Wallet { balances, transfers })
}
