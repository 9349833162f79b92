//! The compiled-campaign cache and the participant's campaign against a real database (both backends).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use smartville_bus::{Bus, BusConfig};
use smartville_engine::campaigns::RECHECK_AFTER;
use smartville_engine::ingest::Ingest;
use smartville_engine::{Engine, campaigns, demo};
use smartville_store::testing::TestDatabase;
use smartville_store::{participants, schools, tenancy, test_on_both_backends};

test_on_both_backends!(
    a_burst_compiles_a_campaign_once_and_a_change_is_picked_up,
    a_participants_campaign_is_their_earliest_enrolment_remembered_once_known
);

async fn a_burst_compiles_a_campaign_once_and_a_change_is_picked_up(db: TestDatabase) {
    let engine = Engine::new(db.store().await, Bus::in_process(BusConfig::default()), "");
    let mut tx = engine.store.begin().await.unwrap();
    let tenant = tenancy::create_tenant(&mut tx, "Geel", "Geelcoins").await.unwrap();
    tx.commit().await.unwrap();
    let campaign = campaigns::apply_file(
        &engine,
        &tenant.id,
        &campaigns::check(demo::CAMPAIGN.as_bytes().to_vec()).await.unwrap(),
    )
    .await
    .unwrap();

    // Fifty uploads arrive at once on a cold cache: they all get the one compiled campaign.
    let burst: Vec<_> = (0..50)
        .map(|_| {
            let (engine, tenant, campaign) = (engine.clone(), tenant.id.clone(), campaign.id.clone());
            tokio::spawn(async move { engine.campaigns.get(&engine.store, &tenant, &campaign).await.unwrap() })
        })
        .collect();
    let mut compiled = Vec::new();
    for task in burst {
        compiled.push(task.await.unwrap());
    }
    assert!(compiled.iter().all(|c| Arc::ptr_eq(c, &compiled[0])), "compiled more than once");

    // A changed campaign file is compiled again once the cached version has been rechecked.
    let mut file: serde_json::Value = serde_json::from_str(demo::CAMPAIGN).unwrap();
    file["budget_points"] = 5.into();
    file["name"] = "Changed".into();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await; // a later updated_at
    campaigns::apply_file(&engine, &tenant.id, &campaigns::check(file.to_string().as_bytes().to_vec()).await.unwrap())
        .await
        .unwrap();
    tokio::time::sleep(RECHECK_AFTER).await;
    let changed = engine.campaigns.get(&engine.store, &tenant.id, &campaign.id).await.unwrap();
    assert!(!Arc::ptr_eq(&changed, &compiled[0]), "the change was not picked up");
}

async fn a_participants_campaign_is_their_earliest_enrolment_remembered_once_known(db: TestDatabase) {
    let store = db.store().await;
    let engine = Engine::new(store.clone(), Bus::in_process(BusConfig::default()), "");
    let ingest = Ingest::start(&engine);
    let mut tx = store.begin().await.unwrap();
    let tenant = tenancy::create_tenant(&mut tx, "Geel", "Geelcoins").await.unwrap();
    let school = schools::create_school(&mut tx, &tenant.id, "Demo school", None).await.unwrap().id;
    schools::create_class(&mut tx, &tenant.id, &school, "5A", "BIKE-5A").await.unwrap();
    tx.commit().await.unwrap();
    let class = schools::find_join_code(&store, "BIKE-5A").await.unwrap().unwrap();
    let mut tx = store.begin().await.unwrap();
    let ann = participants::create_participant(&mut tx, &class, None).await.unwrap();
    tx.commit().await.unwrap();
    // Not enrolled yet: not remembered either, so the campaign applied next is found.
    assert_eq!(ingest.campaign_of(&tenant.id, &ann).await.unwrap(), None);
    let first = campaigns::apply_file(
        &engine,
        &tenant.id,
        &campaigns::check(demo::CAMPAIGN.as_bytes().to_vec()).await.unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(ingest.campaign_of(&tenant.id, &ann).await.unwrap(), Some(first.id.clone()));
    assert_eq!(ingest.campaign_of(&tenant.id, &"someone-else".into()).await.unwrap(), None);
    assert_eq!(ingest.campaign_of(&"another-tenant".into(), &ann).await.unwrap(), None, "only within the tenant");

    // Remembered for a few seconds: with the enrolment gone from the database, this engine
    // still knows it (this only shows that the database is not asked again at once).
    sqlx::query("delete from enrollments").execute(store.pool_for_tests()).await.unwrap();
    assert_eq!(ingest.campaign_of(&tenant.id, &ann).await.unwrap(), Some(first.id));
    let fresh = Ingest::start(&Engine::new(store, Bus::in_process(BusConfig::default()), ""));
    assert_eq!(fresh.campaign_of(&tenant.id, &ann).await.unwrap(), None);
}
