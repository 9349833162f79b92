//! The ledger worker against a real database (both backends): rides are paid
//! once, and never beyond the campaign budget.
#![allow(clippy::unwrap_used)]

use smartville_bus::{Bus, BusConfig};
use smartville_engine::{Engine, TripEvent, demo, ledger};
use smartville_scoring::{Decision, ReasonCode, Status};
use smartville_store::ledger::{self as accounts, AccountKind};
use smartville_store::testing::TestDatabase;
use smartville_store::trips::{self, DecisionRecord, Inserted, NewTrip};
use smartville_store::{new_id, tenancy, test_on_both_backends};

test_on_both_backends!(the_last_rides_get_what_the_budget_still_holds);

/// An accepted trip of `participant` worth `points`, as the scoring worker leaves it.
async fn accepted_trip(engine: &Engine, tenant_id: &str, campaign_id: &str, participant: &str, points: u64) -> String {
    let trip = NewTrip {
        id: new_id(),
        tenant_id: tenant_id.into(),
        participant_id: participant.into(),
        campaign_id: campaign_id.into(),
        idempotency_key: "ride".into(),
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
    let decision_json = serde_json::to_string(&decision).unwrap();
    let record = DecisionRecord {
        status: "accepted",
        points: points as i64,
        distance_m: 2_700,
        duration_s: 600,
        decision_json: &decision_json,
        fingerprint: None,
        decided_at: 2_000,
    };
    let mut tx = engine.store.begin().await.unwrap();
    let Inserted::New(stored) = trips::insert(&mut tx, &trip).await.unwrap() else { panic!("a new trip") };
    assert!(trips::record_decision(&mut tx, tenant_id, &stored.id, &record).await.unwrap());
    tx.commit().await.unwrap();
    stored.id
}

async fn the_last_rides_get_what_the_budget_still_holds(db: TestDatabase) {
    let engine = Engine::new(db.store().await, Bus::in_process(BusConfig::default()), "");
    let mut tx = engine.store.begin().await.unwrap();
    let tenant = tenancy::create_tenant(&mut tx, "Geel", "Geelcoins").await.unwrap();
    tx.commit().await.unwrap();
    let mut file: serde_json::Value = serde_json::from_str(demo::CAMPAIGN).unwrap();
    file["budget_points"] = 30.into();
    let campaign = demo::apply_campaign(&engine, &tenant.id, file.to_string().as_bytes()).await.unwrap();

    let mut paid = Vec::new();
    for participant in ["ann", "bob", "cid"] {
        // The wallet joining opens.
        let mut tx = engine.store.begin().await.unwrap();
        accounts::open_account(&mut tx, &tenant.id, AccountKind::Participant, participant, &tenant.coin).await.unwrap();
        tx.commit().await.unwrap();
        let trip_id = accepted_trip(&engine, &tenant.id, &campaign.id, participant, 24).await;
        let event = TripEvent { tenant_id: tenant.id.clone(), trip_id: trip_id.clone() };
        ledger::credit(&engine, &event).await.unwrap();
        ledger::credit(&engine, &event).await.unwrap(); // a redelivery changes nothing
        let trip = trips::get(engine.store.pool(), &tenant.id, &trip_id).await.unwrap().unwrap();
        let decision: Decision = serde_json::from_str(trip.decision.as_deref().unwrap()).unwrap();
        let cut = decision.reasons.iter().any(|r| r.code == ReasonCode::BudgetExhausted);
        assert!(trip.credited_at.is_some());
        paid.push((trip.points, decision.points as i64, cut));
    }
    assert_eq!(paid, [(24, 24, false), (6, 6, true), (0, 0, true)], "the budget of 30 pays 24, then 6, then nothing");
}
