//! The snapshot of the past that some checks need, supplied by the caller.
//!
//! Keeping history an input keeps the library pure: the caller (the scoring
//! service) reads it in the same transaction that will record the decision,
//! and tests build it by hand.

use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;

/// How far back [`History::recent_rides`] must reach: a full ISO week plus a
/// day, so weekly caps and overlaps are always computable.
pub const RECENT_RIDES_WINDOW_MS: i64 = 8 * 24 * 3_600_000;

/// What the checks know about the participant's and the campaign's past.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The participant's rides in this campaign that were accepted or are
    /// under review, at least those since
    /// [`CompiledCampaign::history_since`](crate::CompiledCampaign::history_since)
    /// (the last [`RECENT_RIDES_WINDOW_MS`], and the month's with a monthly cap);
    /// never the ride being judged.
    pub recent_rides: Vec<PriorRide>,
    /// Points the participant has earned in this campaign so far.
    pub points_in_campaign: u64,
    /// Points left in the campaign's budget.
    pub budget_remaining: u64,
    /// Fingerprints of earlier traces to compare with: the participant's own
    /// and other participants' that may resemble this one (e.g. those indexed
    /// under one of its [`Fingerprint::candidate_cells`]).
    pub earlier_traces: Vec<PriorTrace>,
}

impl History {
    /// A participant with no past in a campaign with `budget_remaining` points left.
    pub fn fresh(budget_remaining: u64) -> Self {
        Self { budget_remaining, ..Self::default() }
    }
}

/// One of the participant's earlier rides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorRide {
    /// First fix (ms since epoch).
    pub started_at_ms: i64,
    /// Last fix (ms since epoch).
    pub ended_at_ms: i64,
    /// Points it earned (or will earn if approved).
    pub points: u64,
}

/// An earlier trace's fingerprint and whose it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorTrace {
    /// Whether the same participant submitted it.
    pub own: bool,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
}
