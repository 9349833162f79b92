//! The scoring worker: judges submitted trips, a batch at a time.
//!
//! For each `trips.submitted` event it loads the event's trips with their
//! traces, runs the scoring library on each ride against the participant's
//! history, and writes the decisions and one `trips.decided` event in one
//! transaction. The rides of a batch are judged one after the other, each
//! against the history read for the batch plus the decisions made before it
//! in the batch, so a batch decides exactly as the same rides one by one
//! would: a student's two rides in one batch share the daily cap, and a copy
//! of a ride in the same batch is a replay. A trip that is no longer pending
//! was decided by an earlier delivery: nothing happens to it.

use std::collections::HashMap;
use std::sync::Arc;

use smartville_scoring::{Decision, Fingerprint, History, PriorRide, PriorTrace, Ride, Status, Trace};
use smartville_store::ids::{CampaignId, ParticipantId, TenantId};
use smartville_store::ledger::{self, Owner};
use smartville_store::lifecycle::TripStatus;
use smartville_store::trips::{
    self, CountedRide, DecisionInputs, DecisionRecord, ReplaySearch, StoredFingerprint, Trip,
};
use smartville_store::{StoreError, outbox, participants};

use crate::campaigns::{CampaignRules, RulesVersion};
use crate::{Engine, EngineError, Shutdown, TripEvent, now_ms};

/// Bus group of the scoring workers.
pub const GROUP: &str = "scoring";
/// Most of the participant's own earlier traces a ride is compared with (two a
/// school day: about two months), wherever they were made.
const MAX_OWN_TRACES: usize = 100;
/// Most traces of others from the same area a ride is compared with: the
/// latest ones, where a shared or copied file shows up.
const MAX_OTHERS_TRACES: usize = 200;

/// Consumes `trips.submitted` until shutdown.
pub async fn run(engine: Engine, consumer: String, shutdown: Shutdown) -> Result<(), EngineError> {
    let topic = engine.topics.submitted.clone();
    crate::consume_events(engine, &topic, GROUP, &consumer, shutdown, |engine, event: TripEvent| async move {
        decide(&engine, &event).await
    })
    .await
}

/// A pending trip ready to be judged: its campaign's rules and its validated trace.
struct Judged {
    trip: Trip,
    rules: Arc<CampaignRules>,
    trace: Trace,
}

impl Judged {
    /// The version of the rules that judges the ride: the one in force when it started.
    fn rules(&self) -> &RulesVersion {
        self.rules.in_force_at(self.trip.started_at)
    }

    /// From when the participant's earlier rides count for this ride's caps and overlaps.
    fn history_since(&self) -> i64 {
        self.rules().compiled.history_since(self.trip.started_at)
    }
}

/// Decides the trips of one event (idempotent). A trip whose stored trace no
/// longer reads does not hold up the others: they are decided, and the error
/// is returned afterwards so that the event is delivered again (and ends
/// among the dead letters if the trip never reads).
#[tracing::instrument(name = "scoring", skip_all, fields(tenant = %event.tenant_id, trips = ?event.trip_ids))]
pub async fn decide(engine: &Engine, event: &TripEvent) -> Result<(), EngineError> {
    let store = &engine.store;
    let mut judged = Vec::with_capacity(event.trip_ids.len());
    let mut failure = None;
    for stored in trips::with_traces(store, &event.tenant_id, &event.trip_ids).await? {
        if !stored.trip.status.awaits_decision() {
            continue;
        }
        let rules = engine.campaigns.get(store, &stored.trip.tenant_id, &stored.trip.campaign_id).await?;
        // The limits as they were when the trip was accepted: its age is judged at upload time.
        match stored.trace(&rules.in_force_at(stored.trip.submitted_at).compiled.trace_limits()) {
            Ok(trace) => judged.push(Judged { trip: stored.trip, rules, trace }),
            Err(error) => {
                tracing::error!(trip = %stored.trip.id, %error, "a stored trace no longer reads");
                failure = Some(error.into());
            }
        }
    }
    if !judged.is_empty() {
        decide_all(engine, &event.tenant_id, &judged).await?;
    }
    failure.map_or(Ok(()), Err)
}

/// Judges `judged` (pending trips of one tenant, oldest first) in one transaction.
async fn decide_all(engine: &Engine, tenant_id: &TenantId, judged: &[Judged]) -> Result<(), EngineError> {
    metrics::histogram!("smartville_batch_trips", "step" => "scoring").record(judged.len() as f64);
    let rides: Vec<Ride<'_>> = judged.iter().map(|j| Ride::prepare(&j.trace, &j.rules().compiled)).collect();
    // Per ride, once: the budget that pays it and the cells a copy of it would be indexed under.
    let mut budget_of: Vec<String> = Vec::with_capacity(judged.len());
    for j in judged {
        let coin = engine.campaigns.coin(&engine.store, tenant_id, &j.trip.campaign_id).await?;
        budget_of.push(ledger::account_id(Owner::Campaign(&j.trip.campaign_id), &coin));
    }
    let cells_of: Vec<Vec<i64>> = rides
        .iter()
        .map(|ride| ride.fingerprint().candidate_cells().into_iter().map(|cell| cell as i64).collect())
        .collect();
    let mut participants: Vec<&ParticipantId> = judged.iter().map(|j| &j.trip.participant_id).collect();
    participants.sort_unstable();
    participants.dedup();
    let mut budgets: Vec<&str> = budget_of.iter().map(String::as_str).collect();
    budgets.sort_unstable();
    budgets.dedup();
    let since = judged.iter().map(Judged::history_since).min().unwrap_or(0);
    let mut cells: Vec<i64> = cells_of.concat();
    cells.sort_unstable();
    cells.dedup();

    let mut tx = engine.store.begin().await?;
    participants::lock_for_decisions(&mut tx, tenant_id, &participants).await?;
    let inputs = trips::decision_inputs(&mut tx, tenant_id, &participants, since, &budgets).await?;
    let search = ReplaySearch {
        tenant_id,
        participants: &participants,
        cells: &cells,
        own_limit: MAX_OWN_TRACES as i64,
        cell_limit: MAX_OTHERS_TRACES as i64,
    };
    let earlier = trips::earlier_fingerprints(&mut tx, &search).await?;
    let mut known = Known::new(inputs, earlier);

    let mut decisions = Vec::with_capacity(judged.len());
    for (((judged, ride), budget), cells) in judged.iter().zip(&rides).zip(&budget_of).zip(&cells_of) {
        let decision = ride.decide(&known.history(&judged.trip, judged.history_since(), cells, budget));
        known.add(&judged.trip, ride.fingerprint(), &decision, budget);
        decisions.push((ride.fingerprint().to_bytes(), decision));
    }
    let decided_at = now_ms();
    // The cells of the public heat map, for the rides that earn or may earn points.
    let route_cells: Vec<Vec<u64>> = rides
        .iter()
        .zip(&decisions)
        .map(|(ride, (_, decision))| match decision.status {
            Status::Accepted | Status::Review => ride.cells_without_ends(),
            Status::Rejected => Vec::new(),
        })
        .collect();
    let mut records = Vec::with_capacity(judged.len());
    for (((judged, ride), (fingerprint, decision)), route_cells) in
        judged.iter().zip(&rides).zip(&decisions).zip(&route_cells)
    {
        records.push(DecisionRecord {
            trip_id: &judged.trip.id,
            decision,
            campaign_version: judged.rules().number,
            fingerprint: ride
                .fingerprint()
                .area_cell
                .map(|cell| StoredFingerprint { area_cell: cell as i64, bytes: fingerprint.as_slice() }),
            decided_at,
            local_day: crate::reports::local_day(&judged.rules().compiled, judged.trip.started_at),
            route_cells,
        });
    }
    let decided = trips::record_decisions(&mut tx, tenant_id, &records).await?;
    if decided.is_empty() {
        return Ok(()); // decided by a concurrent delivery
    }
    let event = TripEvent { tenant_id: tenant_id.clone(), trip_ids: decided.clone() };
    outbox::enqueue(&mut tx, tenant_id, &engine.topics.decided, &serde_json::to_string(&event)?).await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.outbox_written.notify_one();
    for record in &records {
        if decided.binary_search(record.trip_id).is_err() {
            continue;
        }
        let (decision, status) = (record.decision, TripStatus::from(record.decision.status));
        metrics::counter!("smartville_decisions_total", "status" => status.as_str()).increment(1);
        for reason in &decision.reasons {
            metrics::counter!("smartville_decision_reasons_total", "code" => reason.code.as_str()).increment(1);
        }
        tracing::info!(trip = %record.trip_id, %status, points = decision.points, "trip decided");
    }
    Ok(())
}

/// An earlier ride's fingerprint, decoded once for the whole batch.
struct KnownTrace {
    participant_id: ParticipantId,
    fingerprint: Fingerprint,
}

/// What the rides of a batch are judged against: the history read for the
/// batch, grown by each decision made in it (a simulation's whole run is one
/// such batch). Indexed by participant and by cell, so that judging a ride
/// costs the same whether the batch holds ten rides or a hundred thousand.
pub(crate) struct Known {
    /// Counted rides (accepted or under review) per participant and campaign.
    rides: HashMap<(ParticipantId, CampaignId), Vec<CountedRide>>,
    /// Accepted points per (participant, campaign).
    points: HashMap<(ParticipantId, CampaignId), i64>,
    /// What each campaign budget still holds, less what the batch accepted so far.
    budgets: HashMap<String, i64>,
    /// Earlier fingerprints, oldest first (the batch's own decisions join at the end).
    traces: Vec<KnownTrace>,
    /// Positions in `traces` of each participant's fingerprints, oldest first.
    own: HashMap<ParticipantId, Vec<usize>>,
    /// Positions in `traces` of the fingerprints indexed under each area cell, oldest first.
    in_cell: HashMap<i64, Vec<usize>>,
}

impl Known {
    /// From the batch's inputs and its earlier fingerprints (newest first, as read).
    pub(crate) fn new(inputs: DecisionInputs, earlier: Vec<trips::EarlierFingerprint>) -> Self {
        let mut known = Self {
            rides: HashMap::new(),
            points: inputs.points_in_campaign,
            budgets: inputs.budgets,
            traces: Vec::new(),
            own: HashMap::new(),
            in_cell: HashMap::new(),
        };
        for ride in inputs.recent_rides {
            known.rides.entry((ride.participant_id.clone(), ride.campaign_id.clone())).or_default().push(ride);
        }
        for earlier in earlier.into_iter().rev() {
            if let Some(fingerprint) = Fingerprint::from_bytes(&earlier.fingerprint) {
                known.remember(earlier.participant_id, earlier.area_cell, fingerprint);
            }
        }
        known
    }

    /// Adds a fingerprint, the newest.
    fn remember(&mut self, participant_id: ParticipantId, area_cell: i64, fingerprint: Fingerprint) {
        let at = self.traces.len();
        self.own.entry(participant_id.clone()).or_default().push(at);
        self.in_cell.entry(area_cell).or_default().push(at);
        self.traces.push(KnownTrace { participant_id, fingerprint });
    }

    /// The history of `trip` (its rides since `since`), whose copies would be
    /// indexed under `cells` and which is paid from `budget`. A pending trip is
    /// never among the counted rides or the fingerprints: both are written with
    /// its decision.
    pub(crate) fn history(&self, trip: &Trip, since: i64, cells: &[i64], budget: &str) -> History {
        let key = (trip.participant_id.clone(), trip.campaign_id.clone());
        let recent_rides = self
            .rides
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|r| r.ended_at >= since)
            .map(|r| PriorRide {
                started_at_ms: r.started_at,
                ended_at_ms: r.ended_at,
                points: u64::try_from(r.points).unwrap_or(0),
            })
            .collect();
        let own = self.own.get(&trip.participant_id).into_iter().flat_map(|at| at.iter().rev()).take(MAX_OWN_TRACES);
        let earlier_traces = own
            .map(|&at| PriorTrace { own: true, fingerprint: self.traces[at].fingerprint.clone() })
            .chain(
                self.others_in(cells, &trip.participant_id)
                    .into_iter()
                    .map(|at| PriorTrace { own: false, fingerprint: self.traces[at].fingerprint.clone() }),
            )
            .collect();
        History {
            recent_rides,
            points_in_campaign: u64::try_from(self.points.get(&key).copied().unwrap_or(0)).unwrap_or(0),
            budget_remaining: u64::try_from(self.budgets.get(budget).copied().unwrap_or(0)).unwrap_or(0),
            earlier_traces,
        }
    }

    /// The positions of the newest [`MAX_OTHERS_TRACES`] fingerprints of
    /// others indexed under `cells`, newest first. A fingerprint is indexed
    /// under one cell, so the newest of each cell together hold the newest of all.
    fn others_in(&self, cells: &[i64], participant_id: &ParticipantId) -> Vec<usize> {
        let mut found: Vec<usize> = cells
            .iter()
            .filter_map(|cell| self.in_cell.get(cell))
            .flat_map(|at| {
                at.iter().rev().filter(|&&at| self.traces[at].participant_id != *participant_id).take(MAX_OTHERS_TRACES)
            })
            .copied()
            .collect();
        found.sort_unstable_by(|a, b| b.cmp(a));
        found.dedup();
        found.truncate(MAX_OTHERS_TRACES);
        found
    }

    /// Adds the decision about `trip` to what later rides of the batch are judged against.
    pub(crate) fn add(&mut self, trip: &Trip, fingerprint: &Fingerprint, decision: &Decision, budget: &str) {
        let points = i64::try_from(decision.points).unwrap_or(i64::MAX);
        let status = TripStatus::from(decision.status);
        let key = (trip.participant_id.clone(), trip.campaign_id.clone());
        if status.counts_for_caps() {
            self.rides.entry(key.clone()).or_default().push(CountedRide {
                participant_id: trip.participant_id.clone(),
                campaign_id: trip.campaign_id.clone(),
                started_at: trip.started_at,
                ended_at: trip.ended_at,
                points,
            });
        }
        if status.earns_points() {
            *self.points.entry(key).or_default() += points;
            if let Some(left) = self.budgets.get_mut(budget) {
                *left = left.saturating_sub(points);
            }
        }
        if let Some(cell) = fingerprint.area_cell {
            self.remember(trip.participant_id.clone(), cell as i64, fingerprint.clone());
        }
    }
}
