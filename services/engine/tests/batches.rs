//! Trips in batches against a real database (both backends): uploads that
//! arrive together share a transaction and an event, and a batch is decided
//! and credited exactly as the same trips one by one would be.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use smartville_bus::{Bus, BusConfig};
use smartville_engine::ingest::{Ingest, Submitted, TraceFormat, Upload};
use smartville_engine::{Engine, TripEvent, demo, ledger, scoring};
use smartville_scoring::ReasonCode;
use smartville_simulator::{Profile, Simulator};
use smartville_store::ids::{ParticipantId, TripId};
use smartville_store::lifecycle::TripStatus;
use smartville_store::testing::TestDatabase;
use smartville_store::{outbox, test_on_both_backends, trips};
use smartville_store::{participants, schools};

test_on_both_backends!(uploads_arriving_together_travel_as_batches);

/// The outbox's events of `topic`, removed from it (as the relay would).
async fn take_events(engine: &Engine, topic: &str) -> Vec<TripEvent> {
    let waiting = outbox::waiting(&engine.store, 1_000).await.unwrap();
    outbox::remove(&engine.store, &waiting).await.unwrap();
    waiting.iter().filter(|e| e.topic == topic).map(|e| serde_json::from_str(&e.payload).unwrap()).collect()
}

async fn uploads_arriving_together_travel_as_batches(db: TestDatabase) {
    let engine = Engine::new(db.store().await, Bus::in_process(BusConfig::default()), "");
    let town = demo::seed(&engine).await.unwrap();
    let ingest = Ingest::start(&engine);
    let target = schools::find_join_code(&engine.store, &town.join_code).await.unwrap().unwrap();
    let mut students = Vec::new();
    let mut tx = engine.store.begin().await.unwrap();
    for _ in 0..6 {
        students.push(participants::create_participant(&mut tx, &target, None).await.unwrap());
    }
    tx.commit().await.unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-24T07:45:00+01:00").unwrap().to_utc();
    let ride = |seed| {
        serde_json::to_vec(&Simulator::new(seed).ride(
            &smartville_simulator::demo::home_to_school(),
            start,
            &Profile::bike(),
        ))
        .unwrap()
    };
    // Every student rides once; the first also sends the same ride again under another key.
    let mut uploads: Vec<(ParticipantId, String, Vec<u8>)> =
        students.iter().zip(1..).map(|(student, seed)| (student.clone(), format!("ride-{seed}"), ride(seed))).collect();
    uploads.push((students[0].clone(), "again".into(), ride(1)));

    let submitted: Vec<_> = uploads
        .into_iter()
        .map(|(student, key, body)| {
            let (ingest, tenant) = (ingest.clone(), town.tenant_id.clone());
            tokio::spawn(async move {
                let upload = Upload {
                    tenant_id: &tenant,
                    participant_id: &student,
                    idempotency_key: &key,
                    body: &body,
                    format: TraceFormat::Json,
                };
                match ingest.submit(&upload).await.unwrap() {
                    Submitted::New(trip) => trip.id,
                    Submitted::Repeat(_) => panic!("every upload is new"),
                }
            })
        })
        .collect();
    let mut trip_ids = BTreeSet::new();
    for task in submitted {
        trip_ids.insert(task.await.unwrap());
    }

    let events = take_events(&engine, &engine.topics.submitted).await;
    assert!(events.len() < trip_ids.len(), "uploads arriving together share an event: {events:?}");
    let announced: BTreeSet<TripId> = events.iter().flat_map(|e| e.trip_ids.clone()).collect();
    assert_eq!(announced, trip_ids, "every trip announced once");
    assert_eq!(events.iter().map(|e| e.trip_ids.len()).sum::<usize>(), trip_ids.len());

    for event in &events {
        scoring::decide(&engine, event).await.unwrap();
        scoring::decide(&engine, event).await.unwrap(); // a redelivery changes nothing
    }
    let decided = take_events(&engine, &engine.topics.decided).await;
    assert_eq!(decided.iter().flat_map(|e| e.trip_ids.clone()).collect::<BTreeSet<_>>(), trip_ids);
    for event in &decided {
        ledger::credit(&engine, event).await.unwrap();
    }

    // The first student's two copies: one counts, the other is the same ride again.
    let own = trips::list(&engine.store, &town.tenant_id, &students[0], None, 10).await.unwrap();
    let mut statuses: Vec<TripStatus> = own.iter().map(|t| t.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [TripStatus::Accepted, TripStatus::Rejected]);
    let copy = own.iter().find(|t| t.status == TripStatus::Rejected).unwrap();
    let decision = copy.decision.as_ref().unwrap();
    assert!(decision.reasons.iter().any(|r| r.code == ReasonCode::Duplicate), "{decision:?}");
    // Everyone else's ride is accepted and credited.
    for student in &students[1..] {
        let rides = trips::list(&engine.store, &town.tenant_id, student, None, 10).await.unwrap();
        assert_eq!(rides.len(), 1);
        assert_eq!((rides[0].status, rides[0].credited_at.is_some()), (TripStatus::Accepted, true), "{:?}", rides[0]);
    }
}
