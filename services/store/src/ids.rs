//! The ids of the domain's things, one type each, so that a trip's id can
//! never be passed where a participant's is expected.
//!
//! Ids are created by the store (UUID v7 text: time-ordered, so new rows land
//! at the end of an index) and travel between the crates as these types: the
//! engine's events, the API's handlers and the store's signatures. They are
//! stored and serialised as plain text; an id that comes from outside (a URL,
//! a token the API signed) is wrapped after its checks, and a wrong one simply
//! matches nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares an id type: a transparent wrapper around its text.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, unique id.
            #[allow(clippy::new_without_default, reason = "a default id would be a random one; say so with `new`")]
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// The id as text, for logs, URLs and the ledger's account names.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A tenant: the council (or other issuer) that owns everything else.
    TenantId
);
id_type!(
    /// A school of a tenant.
    SchoolId
);
id_type!(
    /// A class of a school, which students join with its code.
    ClassId
);
id_type!(
    /// A participant: a student (or household member) with a wallet.
    ParticipantId
);
id_type!(
    /// A campaign (OSLO *Stimulansaanbod*) as stored, not the council's slug.
    CampaignId
);
id_type!(
    /// A trip (OSLO *Bewijslevering*): one submitted ride and its decision.
    TripId
);
id_type!(
    /// A merchant where points are spent.
    MerchantId
);
id_type!(
    /// A staff member of a council or a school.
    StaffId
);
id_type!(
    /// An offer of a merchant's, bought with points as a voucher.
    OfferId
);
id_type!(
    /// A voucher: the points of one purchase, held until a shop redeems it.
    VoucherId
);
id_type!(
    /// What a council owes a merchant for one period's redeemed vouchers.
    SettlementId
);
id_type!(
    /// A cause students donate points to.
    CauseId
);
id_type!(
    /// A what-if simulation of a campaign's draft rules.
    SimulationId
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_time_ordered_and_serialise_as_plain_text() {
        let (first, second) = (TripId::new(), TripId::new());
        assert_ne!(first, second);
        assert!(first < second, "UUID v7 text sorts by creation time");
        let json = serde_json::to_string(&first).unwrap();
        assert_eq!(json, format!("\"{first}\""));
        assert_eq!(serde_json::from_str::<TripId>(&json).unwrap(), first);
    }
}
id_type!(
    /// A data source: a system that sends readings (a waste collector's weighing system, a meter-data platform).
    SourceId
);
id_type!(
    /// One API key of a data source (its public part; the secret is never stored).
    DeviceKeyId
);
id_type!(
    /// A household: known to the engine only by the pseudonymous reference its council's sources use.
    HouseholdId
);

id_type!(
    /// A participant's report of litter or illegal dumping.
    LitterReportId
);
