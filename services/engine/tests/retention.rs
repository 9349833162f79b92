//! Raw traces are deleted once their campaign's dispute window is over; the
//! trips and their fingerprints stay (both backends).
#![allow(clippy::unwrap_used)]

use smartville_bus::{Bus, BusConfig};
use smartville_engine::{Engine, campaigns, demo, retention};
use smartville_scoring::{Decision, Status};
use smartville_store::ids::{CampaignId, TenantId, TripId};
use smartville_store::testing::TestDatabase;
use smartville_store::trips::{self, DecisionRecord, Inserted, NewTrip, StoredFingerprint};
use smartville_store::{new_id, tenancy, test_on_both_backends};

test_on_both_backends!(traces_are_forgotten_after_the_dispute_window);

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A decided trip with a trace and a fingerprint, decided at `decided_at`.
async fn decided_trip(engine: &Engine, tenant_id: &TenantId, campaign_id: &CampaignId, decided_at: i64) -> TripId {
    let trip = NewTrip {
        id: TripId::new(),
        tenant_id: tenant_id.clone(),
        participant_id: "ann".into(),
        campaign_id: campaign_id.clone(),
        idempotency_key: new_id(),
        body_hash: "hash".into(),
        trace: b"the raw trace".to_vec(),
        trace_format: "compact".into(),
        submitted_at: decided_at - 1_000,
        started_at: decided_at - 600_000,
        ended_at: decided_at - 2_000,
    };
    let mut tx = engine.store.begin().await.unwrap();
    let Inserted::New(stored) = trips::insert(&mut tx, &trip).await.unwrap() else { panic!("a new trip") };
    let decision = Decision {
        status: Status::Accepted,
        points: 10,
        distance_m: 2_000,
        duration_s: 600,
        moving_time_s: 590,
        average_speed_kmh: 12.2,
        fixes_received: 600,
        fixes_dropped: 0,
        reasons: Vec::new(),
    };
    let record = DecisionRecord {
        trip_id: &stored.id,
        decision: &decision,
        fingerprint: Some(StoredFingerprint { area_cell: 7, bytes: b"fingerprint" }),
        decided_at,
        campaign_version: 1,
        local_day: 20_794,
        route_cells: &[],
    };
    trips::record_decisions(&mut tx, tenant_id, &[record]).await.unwrap();
    tx.commit().await.unwrap();
    stored.id
}

async fn traces_are_forgotten_after_the_dispute_window(db: TestDatabase) {
    let engine = Engine::new(db.store().await, Bus::in_process(BusConfig::default()), "");
    let mut tx = engine.store.begin().await.unwrap();
    let tenant = tenancy::create_tenant(&mut tx, "Geel", "Geelcoins").await.unwrap();
    tx.commit().await.unwrap();
    // The demo campaign keeps traces for the default 30 days; another keeps them 2 days.
    let month = campaigns::apply_file(
        &engine,
        &tenant.id,
        &campaigns::check(demo::CAMPAIGN.as_bytes().to_vec()).await.unwrap(),
    )
    .await
    .unwrap();
    let mut short: serde_json::Value = serde_json::from_str(demo::CAMPAIGN).unwrap();
    short["id"] = "two-day-window".into();
    short["trace_retention_days"] = 2.into();
    let short = campaigns::apply_file(
        &engine,
        &tenant.id,
        &campaigns::check(short.to_string().as_bytes().to_vec()).await.unwrap(),
    )
    .await
    .unwrap();

    let now = 100 * DAY_MS;
    let old = decided_trip(&engine, &tenant.id, &month.id, now - 31 * DAY_MS).await;
    let recent = decided_trip(&engine, &tenant.id, &month.id, now - 29 * DAY_MS).await;
    let short_old = decided_trip(&engine, &tenant.id, &short.id, now - 3 * DAY_MS).await;
    let short_recent = decided_trip(&engine, &tenant.id, &short.id, now - DAY_MS).await;
    let all = [old.clone(), recent.clone(), short_old.clone(), short_recent.clone()];

    assert_eq!(retention::forget_old_traces(&engine, now).await.unwrap(), 2);
    let mut held: Vec<TripId> =
        trips::with_traces(&engine.store, &tenant.id, &all).await.unwrap().into_iter().map(|t| t.trip.id).collect();
    held.sort();
    let mut expected = vec![recent, short_recent];
    expected.sort();
    assert_eq!(held, expected, "only the traces inside their window are kept");
    // The trips and their fingerprints stay.
    for id in &all {
        assert!(trips::get(&engine.store, &tenant.id, id).await.unwrap().is_some());
    }
    let fingerprints: i64 = sqlx::query_scalar("select count(*) from trip_fingerprints where tenant_id = $1")
        .bind(&tenant.id)
        .fetch_one(engine.store.pool_for_tests())
        .await
        .unwrap();
    assert_eq!(fingerprints, 4);
    assert_eq!(retention::forget_old_traces(&engine, now).await.unwrap(), 0, "a second sweep finds nothing");
}
