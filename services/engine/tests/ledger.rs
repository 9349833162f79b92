//! The ledger worker against a real database (both backends): rides are paid
//! once, and never beyond the campaign budget.
#![allow(clippy::unwrap_used)]

use smartville_bus::{Bus, BusConfig};
use smartville_engine::{Engine, TripEvent, campaigns, demo, ledger};
use smartville_scoring::{Decision, Status};
use smartville_store::ids::{CampaignId, ParticipantId, TenantId, TripId};
use smartville_store::ledger::{self as accounts, Owner};
use smartville_store::testing::TestDatabase;
use smartville_store::trips::{self, DecisionRecord, Inserted, NewTrip};
use smartville_store::{new_id, tenancy, test_on_both_backends};

test_on_both_backends!(
    the_last_rides_get_what_the_budget_still_holds,
    a_batch_is_credited_together_and_once,
    a_batch_the_budget_cannot_pay_in_full_is_paid_ride_by_ride
);

/// An accepted trip of `participant` worth `points`, as the scoring worker leaves it.
async fn accepted_trip(
    engine: &Engine,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    participant: &str,
    points: u64,
) -> TripId {
    let trip = NewTrip {
        id: TripId::new(),
        tenant_id: tenant_id.clone(),
        participant_id: participant.into(),
        campaign_id: campaign_id.clone(),
        idempotency_key: new_id(),
        body_hash: "hash".into(),
        trace: Vec::new(),
        trace_format: "compact".into(),
        submitted_at: 1_000,
        started_at: 100,
        ended_at: 900,
    };
    let decision = Decision {
        status: Status::Accepted,
        points,
        distance_m: 2_700,
        duration_s: 600,
        moving_time_s: 590,
        average_speed_kmh: 16.5,
        fixes_received: 600,
        fixes_dropped: 0,
        reasons: Vec::new(),
    };
    let mut tx = engine.store.begin().await.unwrap();
    let Inserted::New(stored) = trips::insert(&mut tx, &trip).await.unwrap() else { panic!("a new trip") };
    let record = DecisionRecord {
        trip_id: &stored.id,
        decision: &decision,
        fingerprint: None,
        decided_at: 2_000,
        campaign_version: 1,
        local_day: 20_794,
        route_cells: &[],
    };
    let decided = trips::record_decisions(&mut tx, tenant_id, &[record]).await.unwrap();
    assert_eq!(decided, std::slice::from_ref(&stored.id));
    tx.commit().await.unwrap();
    stored.id
}

/// A tenant with the demo campaign holding `budget` points and a wallet for each of `participants`.
async fn town(db: &TestDatabase, budget: u64, participants: &[&str]) -> (Engine, tenancy::Tenant, CampaignId) {
    let engine = Engine::new(db.store().await, Bus::in_process(BusConfig::default()), "");
    let mut tx = engine.store.begin().await.unwrap();
    let tenant = tenancy::create_tenant(&mut tx, "Geel", "Geelcoins").await.unwrap();
    for participant in participants {
        // The wallet joining opens.
        let participant = ParticipantId::from(*participant);
        accounts::open_account(&mut tx, &tenant.id, Owner::Participant(&participant), &tenant.coin).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut file: serde_json::Value = serde_json::from_str(demo::CAMPAIGN).unwrap();
    file["budget_points"] = budget.into();
    let campaign = campaigns::apply_file(
        &engine,
        &tenant.id,
        &campaigns::check(file.to_string().as_bytes().to_vec()).await.unwrap(),
    )
    .await
    .unwrap();
    (engine, tenant, campaign.id)
}

/// Each trip's (points the ledger paid, points scoring decided), and that the decision is
/// scoring's as written: the ledger records a shortfall beside it, never in it.
async fn paid(engine: &Engine, tenant_id: &TenantId, trip_ids: &[TripId]) -> Vec<(i64, i64)> {
    let mut paid = Vec::new();
    for trip_id in trip_ids {
        let trip = trips::get(&engine.store, tenant_id, trip_id).await.unwrap().unwrap();
        let decision = trip.decision.clone().unwrap();
        assert_eq!((decision.points as i64, decision.reasons.len()), (trip.points, 0), "the decision is untouched");
        assert!(trip.credited_at.is_some());
        paid.push((trip.paid_points.unwrap(), trip.points));
    }
    paid
}

async fn wallet(engine: &Engine, tenant_id: &TenantId, participant: &str, coin: &str) -> i64 {
    let account = accounts::account_id(Owner::Participant(&participant.into()), coin);
    accounts::balance(&engine.store, tenant_id, &account).await.unwrap()
}

async fn a_batch_is_credited_together_and_once(db: TestDatabase) {
    let (engine, tenant, campaign) = town(&db, 1_000, &["ann", "bob"]).await;
    let mut trip_ids = Vec::new();
    for participant in ["ann", "bob", "ann"] {
        trip_ids.push(accepted_trip(&engine, &tenant.id, &campaign, participant, 24).await);
    }
    let event = TripEvent { tenant_id: tenant.id.clone(), trip_ids: trip_ids.clone() };
    ledger::credit(&engine, &event).await.unwrap();
    ledger::credit(&engine, &event).await.unwrap(); // a redelivery changes nothing
    assert_eq!(paid(&engine, &tenant.id, &trip_ids).await, [(24, 24); 3]);
    assert_eq!(wallet(&engine, &tenant.id, "ann", &tenant.coin).await, 48, "two rides of ann in one batch");
    assert_eq!(wallet(&engine, &tenant.id, "bob", &tenant.coin).await, 24);
    let budget = accounts::account_id(Owner::Campaign(&campaign), &tenant.coin);
    assert_eq!(accounts::balance(&engine.store, &tenant.id, &budget).await.unwrap(), 1_000 - 72);
    assert_eq!(accounts::balance_sum(&engine.store, &tenant.id).await.unwrap(), 0);
}

async fn a_batch_the_budget_cannot_pay_in_full_is_paid_ride_by_ride(db: TestDatabase) {
    let (engine, tenant, campaign) = town(&db, 30, &["ann", "bob", "cid"]).await;
    let mut trip_ids = Vec::new();
    for participant in ["ann", "bob", "cid"] {
        trip_ids.push(accepted_trip(&engine, &tenant.id, &campaign, participant, 24).await);
    }
    let event = TripEvent { tenant_id: tenant.id.clone(), trip_ids: trip_ids.clone() };
    ledger::credit(&engine, &event).await.unwrap();
    ledger::credit(&engine, &event).await.unwrap();
    assert_eq!(paid(&engine, &tenant.id, &trip_ids).await, [(24, 24), (6, 24), (0, 24)]);
    assert_eq!(accounts::balance_sum(&engine.store, &tenant.id).await.unwrap(), 0);
}

async fn the_last_rides_get_what_the_budget_still_holds(db: TestDatabase) {
    let (engine, tenant, campaign) = town(&db, 30, &["ann", "bob", "cid"]).await;
    let mut trip_ids = Vec::new();
    for participant in ["ann", "bob", "cid"] {
        let trip_id = accepted_trip(&engine, &tenant.id, &campaign, participant, 24).await;
        let event = TripEvent { tenant_id: tenant.id.clone(), trip_ids: vec![trip_id.clone()] };
        ledger::credit(&engine, &event).await.unwrap();
        ledger::credit(&engine, &event).await.unwrap(); // a redelivery changes nothing
        trip_ids.push(trip_id);
    }
    let paid = paid(&engine, &tenant.id, &trip_ids).await;
    assert_eq!(paid, [(24, 24), (6, 24), (0, 24)], "the budget of 30 pays 24, then 6, then nothing");
}
