//! The compiled-campaign cache against a real database (both backends).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use smartville_bus::{Bus, BusConfig};
use smartville_engine::campaigns::RECHECK_AFTER;
use smartville_engine::{Engine, demo};
use smartville_store::testing::TestDatabase;
use smartville_store::{tenancy, test_on_both_backends};

test_on_both_backends!(a_burst_compiles_a_campaign_once_and_a_change_is_picked_up);

async fn a_burst_compiles_a_campaign_once_and_a_change_is_picked_up(db: TestDatabase) {
    let engine = Engine::new(db.store().await, Bus::in_process(BusConfig::default()), "");
    let mut tx = engine.store.begin().await.unwrap();
    let tenant = tenancy::create_tenant(&mut tx, "Geel", "Geelcoins").await.unwrap();
    tx.commit().await.unwrap();
    let campaign = demo::apply_campaign(&engine, &tenant.id, demo::CAMPAIGN.as_bytes()).await.unwrap();

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
    demo::apply_campaign(&engine, &tenant.id, file.to_string().as_bytes()).await.unwrap();
    tokio::time::sleep(RECHECK_AFTER).await;
    let changed = engine.campaigns.get(&engine.store, &tenant.id, &campaign.id).await.unwrap();
    assert!(!Arc::ptr_eq(&changed, &compiled[0]), "the change was not picked up");
}
