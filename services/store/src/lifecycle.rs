//! A trip's lifecycle, in one place: its states, the one move between them,
//! and the rules the engine's steps wait on.
//!
//! ```text
//! pending ──(scoring decides, once)──► accepted ──(the ledger credits, once)──► settled
//!                                  └─► rejected | review                        (settled at once)
//! ```
//!
//! Every other module asks this one: the store's SQL takes its state names
//! from [`status_sql!`], Rust code compares [`TripStatus`] values. A state is
//! stored as its name (`text`), so a database read by hand stays readable.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type};

/// Where a trip is in its lifecycle (ordered as the lifecycle runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TripStatus {
    /// Stored, waiting for scoring.
    Pending,
    /// A genuine ride: it earns its points (credited by the ledger).
    Accepted,
    /// Not a ride the campaign rewards: no points.
    Rejected,
    /// Held for a person to look at: no points yet, but it counts towards caps.
    Review,
}

/// The SQL literal of a state, for statements written as literals (so the
/// planner sees a constant and can use the partial indexes of waiting trips).
#[macro_export]
macro_rules! status_sql {
    (pending) => {
        "'pending'"
    };
    (accepted) => {
        "'accepted'"
    };
    (rejected) => {
        "'rejected'"
    };
    (review) => {
        "'review'"
    };
}

impl TripStatus {
    /// The stored and published name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Review => "review",
        }
    }

    /// Whether scoring may still decide the trip: a decision moves a trip out
    /// of `pending` once, and nothing moves it back.
    pub fn awaits_decision(self) -> bool {
        self == Self::Pending
    }

    /// Whether the trip counts towards a participant's caps and overlaps
    /// (a ride under review may yet be accepted).
    pub fn counts_for_caps(self) -> bool {
        matches!(self, Self::Accepted | Self::Review)
    }

    /// Whether the trip earns its points, which the ledger credits.
    pub fn earns_points(self) -> bool {
        self == Self::Accepted
    }

    /// Whether a trip in this state, credited or not, has reached the end of
    /// the engine's path: decided and, when it earns points, credited.
    pub fn is_settled(self, credited: bool) -> bool {
        !self.awaits_decision() && (!self.earns_points() || credited)
    }
}

/// The state a decision moves a trip to: scoring's verdict.
impl From<smartville_scoring::Status> for TripStatus {
    fn from(verdict: smartville_scoring::Status) -> Self {
        match verdict {
            smartville_scoring::Status::Accepted => Self::Accepted,
            smartville_scoring::Status::Rejected => Self::Rejected,
            smartville_scoring::Status::Review => Self::Review,
        }
    }
}

impl fmt::Display for TripStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TripStatus {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        [Self::Pending, Self::Accepted, Self::Rejected, Self::Review]
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| format!("{name:?} is not a trip status"))
    }
}

impl Type<Any> for TripStatus {
    fn type_info() -> AnyTypeInfo {
        <&str as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <&str as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for TripStatus {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<'q, Any>>::encode_by_ref(&self.as_str(), buf)
    }
}

impl<'r> Decode<'r, Any> for TripStatus {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(<&str as Decode<'r, Any>>::decode(value)?.parse()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [TripStatus; 4] = [TripStatus::Pending, TripStatus::Accepted, TripStatus::Rejected, TripStatus::Review];

    #[test]
    fn names_round_trip_and_match_the_sql_literals() {
        for status in ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        let literals = [status_sql!(pending), status_sql!(accepted), status_sql!(rejected), status_sql!(review)];
        for (status, literal) in ALL.into_iter().zip(literals) {
            assert_eq!(literal, format!("'{status}'"));
        }
        assert!("Pending".parse::<TripStatus>().is_err());
    }

    #[test]
    fn a_trip_is_settled_once_decided_and_credited_when_it_earns() {
        assert!(!TripStatus::Pending.is_settled(false));
        assert!(!TripStatus::Accepted.is_settled(false));
        assert!(TripStatus::Accepted.is_settled(true));
        assert!(TripStatus::Rejected.is_settled(false) && TripStatus::Review.is_settled(false));
    }

    #[test]
    fn each_verdict_moves_a_trip_to_the_state_of_its_name() {
        use smartville_scoring::Status;
        for (verdict, state) in [
            (Status::Accepted, TripStatus::Accepted),
            (Status::Rejected, TripStatus::Rejected),
            (Status::Review, TripStatus::Review),
        ] {
            assert_eq!(TripStatus::from(verdict), state);
            assert_eq!(serde_json::to_value(verdict).expect("a verdict is JSON"), state.as_str());
        }
    }
}
