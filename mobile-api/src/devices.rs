//! The routes of data sources (`/v1/devices/...`): systems that send
//! readings sign in with their API key (`Authorization: Bearer svk_…`,
//! role `device`), never with a person's token, and a key works on these
//! routes only: on a participant's or staff route it is not an access token.
//!
//! A source sends its readings in batches (`POST /v1/devices/readings`, JSON
//! or CSV); the engine's `readings` checks and stores them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use smartville_auth::api_key;
use smartville_engine::readings::{self, BatchOutcome, BatchRefusal, SentReading, Source};
use smartville_store::ids::SourceId;
use smartville_store::sources::ReadingKind;
use utoipa::ToSchema;

use crate::ApiState;
use crate::auth::bearer;
use crate::input;
use crate::problem::Problem;

/// Largest body of a batch of readings: 10,000 readings in JSON take about 2 MiB.
pub const MAX_BATCH_BYTES: usize = 8 << 20;

/// A data source signed in with one of its keys.
#[derive(Debug, Clone)]
pub struct Device(Source);

impl FromRequestParts<ApiState> for Device {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let key = bearer(parts, "API key")?;
        if api_key::parse(key).is_none() {
            return Err(Problem::unauthorized("these routes take a data source's API key (svk_…)"));
        }
        let source = readings::sign_in(&state.engine.store, key).await?;
        let refused = || Problem::unauthorized("this key is unknown or revoked; ask the council for a key");
        Ok(Self(source.ok_or_else(refused)?))
    }
}

/// The data source a key signs in, as it sees itself.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    /// The source's id.
    #[schema(value_type = String, format = Uuid)]
    pub source_id: SourceId,
    /// What the council calls it.
    pub name: String,
    /// The kinds of readings it may send.
    #[schema(example = json!(["waste"]))]
    pub kinds: Vec<ReadingKind>,
    /// Where it publishes batches to the engine's MQTT bridge instead: `smartville/<its council's id>/readings`.
    #[schema(example = "smartville/019ae3a0-7d4e-7a41-9d2b-3c1f5e6a7b80/readings")]
    pub mqtt_topic: String,
}

/// The data source this key signs in: to check a key before sending readings with it.
#[utoipa::path(get, path = "/v1/devices/me", tag = "devices", security(("api_key" = [])),
    responses((status = 200, body = DeviceView),
        (status = 401, body = Problem, description = "No key, not a key, or an unknown or revoked one")))]
pub async fn me(device: Device) -> Json<DeviceView> {
    let Device(source) = device;
    let mqtt_topic = format!("smartville/{}/readings", source.tenant_id);
    Json(DeviceView { source_id: source.source_id, name: source.name, kinds: source.kinds.0, mqtt_topic })
}

/// `POST /v1/devices/readings` as JSON: a batch of readings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadingBatch {
    /// Up to 10,000 readings.
    #[schema(max_items = 10_000)]
    pub readings: Vec<SentReading>,
}

/// Send a batch of readings: JSON (`{"readings": [...]}`) or CSV (a header row
/// naming the fields, then a reading a row), up to 10,000. Each reading is
/// kept by its id: a batch sent again changes nothing, so a batch whose answer
/// was lost is simply sent again. Units are converted (waste `kg`/`g`,
/// electricity `kWh`/`Wh`/`MWh`, gas and water `m3`/`l`). The good readings
/// are stored whatever is wrong with the others, and the answer comes once they are.
#[utoipa::path(post, path = "/v1/devices/readings", tag = "devices", security(("api_key" = [])),
    request_body(description = "A JSON batch, or CSV with the same fields as columns",
        content((ReadingBatch = "application/json"), (String = "text/csv",
            example = "id,household_ref,kind,fraction,observed_at,value,unit\nIOK-1,HH-0042,waste,residual,2027-01-12T07:41:00Z,12.4,kg\n"))),
    responses((status = 200, body = BatchOutcome, description = "Every reading stored, or sent before"),
        (status = 422, body = Problem, description = "Some readings were rejected (`READINGS_REJECTED`), the others stored: the problem carries the same members as a 200 answer, with every rejected reading's index and code in `errors`"),
        (status = 400, body = Problem, description = "Not a batch (`INVALID_BATCH`)"),
        (status = 401, body = Problem, description = "No key, or an unknown or revoked one"),
        (status = 413, body = Problem, description = "More than 10,000 readings (`TOO_MANY_READINGS`) or a body over 8 MiB (`BODY_TOO_LARGE`)"),
        (status = 415, body = Problem, description = "Neither JSON nor CSV")))]
pub async fn send_readings(
    State(state): State<ApiState>,
    device: Device,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BatchOutcome>, Problem> {
    let read = match input::media_type(&headers).as_str() {
        "application/json" => readings::from_json,
        "text/csv" => readings::from_csv,
        _ => {
            let detail = "send readings as application/json or text/csv";
            return Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", detail));
        }
    };
    let body = body?;
    let batch = tokio::task::spawn_blocking(move || read(&body)).await.map_err(|e| Problem::internal(&e))?.map_err(
        |refusal| {
            let status =
                if refusal == BatchRefusal::TooMany { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            Problem::new(status, refusal.code(), refusal.to_string())
        },
    )?;
    let outcome = readings::take(&state.engine, device.0.sender(), &batch).await?;
    if outcome.rejected == 0 {
        return Ok(Json(outcome));
    }
    let detail = format!(
        "{} of {} readings were rejected (see errors); the others are stored",
        outcome.rejected, outcome.received
    );
    let members = serde_json::to_value(&outcome).map_err(|e| Problem::internal(&e))?;
    let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "READINGS_REJECTED", detail);
    Err(match members {
        serde_json::Value::Object(members) => {
            members.into_iter().fold(problem, |p, (name, value)| p.with(&name, value))
        }
        _ => problem,
    })
}
