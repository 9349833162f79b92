//! Storing submissions: once per (participant, idempotency key), never for an erased participant.

use std::collections::HashMap;

use super::{Trip, select_trips, trip_columns};
use crate::ids::{CampaignId, ParticipantId, TenantId, TripId};
use crate::sql;
use crate::{StoreError, Tx, status_sql};

/// A submission as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrip {
    /// Public id (UUIDv7).
    pub id: TripId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Who rode.
    pub participant_id: ParticipantId,
    /// The campaign it is judged under.
    pub campaign_id: CampaignId,
    /// The client's idempotency key.
    pub idempotency_key: String,
    /// SHA-256 of the request body, hex.
    pub body_hash: String,
    /// The trace, stored in `trip_traces` beside the trip.
    pub trace: Vec<u8>,
    /// How `trace` is encoded (`compact` for the scoring library's binary form).
    pub trace_format: String,
    /// When it was received (ms since epoch).
    pub submitted_at: i64,
    /// First fix (ms since epoch).
    pub started_at: i64,
    /// Last fix (ms since epoch).
    pub ended_at: i64,
}

/// The result of inserting a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// A new trip.
    New(Trip),
    /// The participant already submitted with this idempotency key.
    Existing(Trip),
    /// The participant was erased: nothing is stored for them any more.
    Erased,
}

/// Stores submissions and their traces in the caller's transaction, except
/// those whose participant already used the idempotency key: for those (and
/// for a key used twice in the batch) the trip stored first is returned; and
/// except those of erased participants ([`Inserted::Erased`]). Answers in the
/// order of `trips`.
///
/// This is the busiest write of a school morning, so a batch is one
/// statement for the trips and one for the traces, whatever its size.
pub async fn insert_all(tx: &mut Tx, trips: &[NewTrip]) -> Result<Vec<Inserted>, StoreError> {
    if trips.is_empty() {
        return Ok(Vec::new());
    }
    // A participant erased on request stores nothing more, even with an access token issued
    // before the erasure: checked in the same statement, so it costs no round trip.
    let sql = format!(
        concat!(
            "insert into trips (tenant_id, id, participant_id, campaign_id, idempotency_key, body_hash, \
                                submitted_at, started_at, ended_at, status, points) \
             select v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, \
                    v.column9, ",
            status_sql!(pending),
            ", 0 from (values {}) as v \
             where not exists (select 1 from participants as p \
                               where p.tenant_id = v.column1 and p.id = v.column3 and p.erased_at is not null) \
             on conflict (tenant_id, participant_id, idempotency_key) do nothing \
             returning {}"
        ),
        sql::rows(1, trips.len(), 9),
        trip_columns!()
    );
    let mut query = sql::query_as::<Trip>(sql);
    for trip in trips {
        query = query
            .bind(&trip.tenant_id)
            .bind(&trip.id)
            .bind(&trip.participant_id)
            .bind(&trip.campaign_id)
            .bind(&trip.idempotency_key)
            .bind(&trip.body_hash)
            .bind(trip.submitted_at)
            .bind(trip.started_at)
            .bind(trip.ended_at);
    }
    let mut stored: HashMap<TripId, Trip> =
        query.fetch_all(&mut **tx).await?.into_iter().map(|trip| (trip.id.clone(), trip)).collect();
    let new: Vec<&NewTrip> = trips.iter().filter(|trip| stored.contains_key(&trip.id)).collect();
    if !new.is_empty() {
        let sql = format!(
            "insert into trip_traces (tenant_id, trip_id, format, trace) values {}",
            sql::rows(1, new.len(), 4)
        );
        let mut query = sql::query(sql);
        for trip in &new {
            query = query.bind(&trip.tenant_id).bind(&trip.id).bind(&trip.trace_format).bind(&trip.trace);
        }
        query.execute(&mut **tx).await?;
    }
    let mut inserted = Vec::with_capacity(trips.len());
    for trip in trips {
        inserted.push(match stored.remove(&trip.id) {
            Some(new) => Inserted::New(new),
            None => with_key(tx, trip).await?.map_or(Inserted::Erased, Inserted::Existing),
        });
    }
    Ok(inserted)
}

/// Stores one submission and its trace (see [`insert_all`]).
pub async fn insert(tx: &mut Tx, trip: &NewTrip) -> Result<Inserted, StoreError> {
    let mut inserted = insert_all(tx, std::slice::from_ref(trip)).await?;
    inserted.pop().ok_or(StoreError::NotFound("inserted trip"))
}

/// The trip stored earlier under `trip`'s idempotency key, if any.
async fn with_key(tx: &mut Tx, trip: &NewTrip) -> Result<Option<Trip>, StoreError> {
    Ok(sqlx::query_as(select_trips!("where tenant_id = $1 and participant_id = $2 and idempotency_key = $3"))
        .bind(&trip.tenant_id)
        .bind(&trip.participant_id)
        .bind(&trip.idempotency_key)
        .fetch_optional(&mut **tx)
        .await?)
}
