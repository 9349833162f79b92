//! Trips: submissions (OSLO *Bewijslevering*) and their decisions, one module
//! per step of a trip's life:
//!
//! - [`submit`]: a submission is inserted once per (participant, idempotency
//!   key); a retry finds the stored row and the caller compares body hashes;
//! - [`read`]: what the participant's app shows;
//! - [`decide`]: what scoring reads (the trips with their traces, the rides
//!   they are compared with) and writes, once: [`record_decisions`] only moves
//!   a trip out of `pending`;
//! - [`credit`]: what the ledger claims, once: [`claim_credits`] only takes
//!   accepted trips not credited yet;
//! - [`sweep`]: trips stuck before their next step, whose event is published again.
//!
//! So redelivered events change nothing. Every write of the busy path takes a
//! batch of trips: one statement per step, whatever the batch's size.

mod credit;
mod decide;
mod read;
mod submit;
mod sweep;

pub use credit::{Claim, claim_credits, pay_less};
pub use decide::{
    CountedRide, DecisionInputs, DecisionRecord, EarlierFingerprint, ReplaySearch, StoredFingerprint, TripWithTrace,
    decision_inputs, earlier_fingerprints, record_decisions, with_traces,
};
pub use read::{get, list, settled_among};
pub use submit::{Inserted, NewTrip, insert, insert_all};
pub use sweep::{StuckTrip, stuck};

use smartville_scoring::Decision;
use sqlx::any::AnyValueRef;
use sqlx::error::BoxDynError;
use sqlx::{Any, Decode, Type};

use crate::ids::{CampaignId, ParticipantId, TenantId, TripId};
use crate::lifecycle::TripStatus;

/// A stored trip without its trace.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Trip {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Public id.
    pub id: TripId,
    /// Who rode.
    pub participant_id: ParticipantId,
    /// The campaign it is judged under.
    pub campaign_id: CampaignId,
    /// SHA-256 of the request body.
    pub body_hash: String,
    /// Where it is in its lifecycle.
    pub status: TripStatus,
    /// Points decided by scoring.
    pub points: i64,
    /// Distance ridden, metres.
    pub distance_m: Option<i64>,
    /// Duration, seconds.
    pub duration_s: Option<i64>,
    /// Scoring's decision, once made (stored as JSON, written by [`record_decisions`] only).
    #[sqlx(try_from = "DecisionJson")]
    pub decision: Option<Decision>,
    /// Received (ms since epoch).
    pub submitted_at: i64,
    /// First fix (ms since epoch).
    pub started_at: i64,
    /// Last fix (ms since epoch).
    pub ended_at: i64,
    /// Decided (ms since epoch).
    pub decided_at: Option<i64>,
    /// Credited in the ledger (ms since epoch).
    pub credited_at: Option<i64>,
    /// Points the ledger paid once credited: the decided points, or less
    /// when the campaign budget ran short (the ledger's fact, see [`pay_less`]).
    pub paid_points: Option<i64>,
    /// The version of the campaign's rules the decision used (the one in force when the ride started).
    pub campaign_version: Option<i64>,
}

/// Every column of a trip row (the trace lives in `trip_traces`), as a literal for `concat!`.
macro_rules! trip_columns {
    () => {
        "tenant_id, id, participant_id, campaign_id, body_hash, status, points, distance_m, duration_s, \
         decision, submitted_at, started_at, ended_at, decided_at, credited_at, paid_points, campaign_version"
    };
}

/// `select` of every trip column followed by `$tail` (a literal), as a static string.
macro_rules! select_trips {
    ($tail:literal) => {
        concat!("select ", $crate::trips::trip_columns!(), " from trips ", $tail)
    };
}

pub(crate) use {select_trips, trip_columns};

/// The stored form of [`Trip::decision`]: JSON text, or `NULL` while pending.
struct DecisionJson(Option<String>);

impl Type<Any> for DecisionJson {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for DecisionJson {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Option<String> as Decode<'r, Any>>::decode(value)?))
    }
}

impl TryFrom<DecisionJson> for Option<Decision> {
    type Error = serde_json::Error;

    fn try_from(stored: DecisionJson) -> Result<Self, Self::Error> {
        stored.0.map(|json| serde_json::from_str(&json)).transpose()
    }
}

impl Trip {
    /// Whether the engine is done with the trip: decided and, when it earns
    /// points, credited (the rule is [`TripStatus::is_settled`]).
    pub fn is_settled(&self) -> bool {
        self.status.is_settled(self.credited_at.is_some())
    }
}
