//! What-if simulations: a council tries a draft of a campaign's rules on the
//! campaign's rides of the last days before it makes it a version.
//!
//! The rides whose traces are still kept are re-judged in the order they
//! started by the same scoring library as live rides, each against the
//! history the draft would have made: the rides before the window (and those
//! in it whose traces are gone) as they were decided, then the simulated
//! decisions, with the caps, the overlaps, the copies among the re-judged
//! rides and the budget as it stood before the window. Nothing is written
//! but the simulation's own row; no wallet moves. Differences from a live
//! run, kept on purpose: rides are not compared with traces from before the
//! window, so a ride the engine found to copy one of those keeps that
//! verdict (`DUPLICATE`, `REPLAY`), as it does not depend on the rules; and a
//! reviewer's or an appeal's answer is the old side's, not the new one's.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smartville_scoring::{CompiledCampaign, Decision, ReasonCode, Ride, Status};
use smartville_store::campaigns::{Campaign, CampaignKind};
use smartville_store::ids::{SchoolId, StaffId, TripId};
use smartville_store::ledger::{self, Owner};
use smartville_store::lifecycle::TripStatus;
use smartville_store::reports::reasons_in;
use smartville_store::simulations::{self, KeptRide, NewSimulation, Simulation};
use smartville_store::trips::DecisionInputs;

use crate::campaigns::{CampaignFile, Checked};
use crate::scoring::Known;
use crate::{DAY_MS, Engine, EngineError, now_ms};

/// Most days of rides one simulation re-judges.
pub const MAX_DAYS: u32 = 366;
/// Rides read and judged at a time (one progress update each).
const PAGE: i64 = 500;
/// Most changed rides a result lists one by one.
pub const MAX_CHANGED_LISTED: usize = 1000;

/// What a side (the rules in force, or the draft) made of the rides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcomes {
    /// Rides accepted.
    pub rides_accepted: i64,
    /// Rides rejected.
    pub rides_rejected: i64,
    /// Rides sent to review.
    pub rides_in_review: i64,
    /// Points of the accepted rides: the budget used.
    pub points: i64,
    /// Rejected rides per reason code.
    pub rejections: BTreeMap<String, i64>,
    /// Rides in review per reason code.
    pub reviews: BTreeMap<String, i64>,
}

impl Outcomes {
    /// Counts one ride's outcome.
    fn count(&mut self, status: TripStatus, points: i64, decision: Option<&Decision>) {
        match status {
            TripStatus::Accepted => {
                self.rides_accepted += 1;
                self.points += points;
            }
            TripStatus::Rejected => self.rides_rejected += 1,
            TripStatus::Review => self.rides_in_review += 1,
            TripStatus::Pending => {}
        }
        let counts = if status == TripStatus::Review { &mut self.reviews } else { &mut self.rejections };
        for code in decision.into_iter().flat_map(|d| reasons_in(status, &d.reasons)) {
            *counts.entry(code.to_owned()).or_default() += 1;
        }
    }
}

/// The old and the new side of the same rides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SideBySide {
    /// As decided (with reviewers' and appeals' answers).
    pub old: Outcomes,
    /// As the draft decides them.
    pub new: Outcomes,
}

/// One school's rides, side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchoolOutcomes {
    /// The school (none for riders whose class is unknown).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub school_id: Option<SchoolId>,
    /// Its rides.
    #[serde(flatten)]
    pub outcomes: SideBySide,
}

/// A ride the draft decides otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangedRide {
    /// The trip.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub trip_id: TripId,
    /// When it started (ms since epoch).
    pub started_at: i64,
    /// Its state now.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "accepted"))]
    pub old_status: TripStatus,
    /// Its points now.
    pub old_points: i64,
    /// The draft's verdict.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "rejected"))]
    pub new_status: TripStatus,
    /// The draft's points.
    pub new_points: i64,
    /// The reason codes of the draft's decision.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["OUTSIDE_TIME_WINDOW"])))]
    pub new_reasons: Vec<ReasonCode>,
}

/// What a simulation found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimulationResult {
    /// Rides re-judged.
    pub rides: i64,
    /// Rides whose stored trace no longer reads under the draft's limits (left out).
    pub unreadable: i64,
    /// What the budget held before the window (what it holds now, plus what the re-judged rides were paid).
    pub budget_before: i64,
    /// All rides, side by side.
    pub totals: SideBySide,
    /// Per school.
    pub schools: Vec<SchoolOutcomes>,
    /// How many rides the draft decides otherwise (status or points).
    pub changed: i64,
    /// The first [`MAX_CHANGED_LISTED`] of them, in the order they started.
    pub changed_rides: Vec<ChangedRide>,
}

/// Why a simulation cannot start (a draft with problems is refused by [`check`](crate::campaigns::check) before).
#[derive(Debug, thiserror::Error)]
pub enum SimulationRefusal {
    /// `days` is 0 or more than [`MAX_DAYS`].
    #[error("days must be between 1 and {MAX_DAYS}")]
    Days,
    /// The campaign, or the draft, does not reward rides: there is nothing to replay.
    #[error("only the rules of a rides campaign can be tried on past rides")]
    NotRides,
    /// Storage failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Starts a simulation of `draft` on `campaign`'s rides of the last `days`
/// (as of `now`), in the background; returns its row at once.
pub async fn start(
    engine: &Engine,
    campaign: &Campaign,
    requested_by: &StaffId,
    draft: Checked,
    days: u32,
    now: i64,
) -> Result<Simulation, SimulationRefusal> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(SimulationRefusal::Days);
    }
    let CampaignFile::Rides(spec) = draft.file else { return Err(SimulationRefusal::NotRides) };
    if campaign.kind != CampaignKind::Rides {
        return Err(SimulationRefusal::NotRides);
    }
    let new = NewSimulation {
        tenant_id: &campaign.tenant_id,
        campaign_id: &campaign.id,
        requested_by,
        spec: &draft.json,
        days: i64::from(days),
        since: now - i64::from(days) * DAY_MS,
        at: now,
    };
    let simulation = simulations::create(&engine.store, &new).await.map_err(EngineError::from)?;
    let (engine, running) = (engine.clone(), simulation.clone());
    tokio::spawn(async move {
        let mut done = 0;
        // Checked already: compiling it again (off the async threads) does not fail but for a bug.
        let compiled = tokio::task::spawn_blocking(move || (*spec).compile()).await;
        let outcome = match compiled {
            Ok(Ok(compiled)) => simulate(&engine, &running, Arc::new(compiled), &mut done).await,
            Ok(Err(error)) => Err(error.into()),
            Err(error) => Err(EngineError::Task(error.to_string())),
        };
        let json = outcome
            .as_ref()
            .map_err(ToString::to_string)
            .and_then(|result| serde_json::to_string(result).map_err(|e| e.to_string()));
        if let Err(error) = &json {
            tracing::warn!(simulation = %running.id, %error, "a simulation failed");
        }
        let finished =
            simulations::finish(&engine.store, &running, json.as_deref().map_err(String::as_str), done, now_ms());
        if let Err(error) = finished.await {
            tracing::warn!(simulation = %running.id, %error, "a simulation's end could not be recorded");
        }
    });
    Ok(simulation)
}

/// Re-judges the simulation's rides, a page at a time (judged off the async
/// threads), counting them in `done`.
async fn simulate(
    engine: &Engine,
    simulation: &Simulation,
    draft: Arc<CompiledCampaign>,
    done: &mut i64,
) -> Result<SimulationResult, EngineError> {
    let (store, tenant_id, campaign_id) = (&engine.store, &simulation.tenant_id, &simulation.campaign_id);
    let coin = engine.campaigns.coin(store, tenant_id, campaign_id).await?;
    let budget = ledger::account_id(Owner::Campaign(campaign_id), &coin);
    let history_since = draft.history_since(simulation.since);
    let before = simulations::before(store, tenant_id, campaign_id, history_since, simulation.since).await?;
    let budget_before = ledger::balance(store, tenant_id, &budget).await? + before.paid_for_rejudged;
    let inputs = DecisionInputs {
        recent_rides: before.recent_rides,
        points_in_campaign: before
            .points_in_campaign
            .into_iter()
            .map(|(participant, points)| ((participant, campaign_id.clone()), points))
            .collect(),
        budgets: HashMap::from([(budget.clone(), budget_before)]),
    };
    let mut judge = Judge {
        known: Known::new(inputs, Vec::new()),
        draft,
        budget,
        result: SimulationResult { budget_before, ..SimulationResult::default() },
        schools: BTreeMap::new(),
    };
    let mut after: Option<(i64, TripId)> = None;
    loop {
        let last = after.as_ref().map(|(t, id)| (*t, id));
        let page = simulations::kept_rides(store, tenant_id, campaign_id, simulation.since, last, PAGE).await?;
        let Some(end) = page.last() else { break };
        after = Some((end.stored.trip.started_at, end.stored.trip.id.clone()));
        *done += page.len() as i64;
        judge = tokio::task::spawn_blocking(move || {
            for ride in &page {
                judge.ride(ride);
            }
            judge
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))?;
        simulations::progress(store, simulation, *done, now_ms()).await?;
    }
    Ok(judge.finish())
}

/// The state of a running simulation: the history it has made so far and its counts.
struct Judge {
    known: Known,
    draft: Arc<CompiledCampaign>,
    budget: String,
    result: SimulationResult,
    schools: BTreeMap<Option<SchoolId>, SideBySide>,
}

impl Judge {
    /// Re-judges one ride and counts both its sides.
    fn ride(&mut self, kept: &KeptRide) {
        let trip = &kept.stored.trip;
        let Ok(trace) = kept.stored.trace(&self.draft.trace_limits()) else {
            self.result.unreadable += 1;
            return;
        };
        let ride = Ride::prepare(&trace, &self.draft);
        let cells: Vec<i64> = ride.fingerprint().candidate_cells().into_iter().map(|cell| cell as i64).collect();
        let history = self.known.history(trip, self.draft.history_since(trip.started_at), &cells, &self.budget);
        let mut decision = ride.decide(&history);
        let copied = |d: &Decision| d.has(ReasonCode::Duplicate) || d.has(ReasonCode::Replay);
        if let Some(old) = trip.decision.as_ref().filter(|old| copied(old) && !copied(&decision)) {
            decision = old.clone(); // a copy of a ride before the window stays one (see the module's documentation)
        }
        self.known.add(trip, ride.fingerprint(), &decision, &self.budget);

        let new_status = TripStatus::from(decision.status);
        let new_points =
            if decision.status == Status::Accepted { i64::try_from(decision.points).unwrap_or(i64::MAX) } else { 0 };
        let old_points = if trip.status == TripStatus::Accepted { trip.points } else { 0 };
        let school = self.schools.entry(kept.school_id.clone()).or_default();
        for side in [&mut self.result.totals, school] {
            side.old.count(trip.status, old_points, trip.decision.as_ref());
            side.new.count(new_status, new_points, Some(&decision));
        }
        self.result.rides += 1;
        if (trip.status, old_points) != (new_status, new_points) {
            self.result.changed += 1;
            if self.result.changed_rides.len() < MAX_CHANGED_LISTED {
                self.result.changed_rides.push(ChangedRide {
                    trip_id: trip.id.clone(),
                    started_at: trip.started_at,
                    old_status: trip.status,
                    old_points,
                    new_status,
                    new_points,
                    new_reasons: decision.reasons.iter().map(|r| r.code).collect(),
                });
            }
        }
    }

    /// The result, with the schools in order.
    fn finish(mut self) -> SimulationResult {
        self.result.schools =
            self.schools.into_iter().map(|(school_id, outcomes)| SchoolOutcomes { school_id, outcomes }).collect();
        self.result
    }
}
