//! Raw traces are kept only as long as a dispute needs them (DESIGN §6).
//!
//! Each campaign names its dispute window (`trace_retention_days`, 30 by
//! default); once a ride's decision is older than that, its raw trace is
//! deleted. The trip, its decision and its fingerprint stay: the fingerprint
//! lets later rides be checked against it as a replay, and never holds the
//! first and last 200 m of the ride. The relay process runs this sweep.

use std::time::Duration;

use smartville_scoring::CampaignSpec;
use smartville_store::{campaigns, privacy, tenancy};

use crate::{DAY_MS, Engine, EngineError, Shutdown, now_ms};

/// How often the sweep runs (and once at start).
pub const EVERY: Duration = Duration::from_secs(3600);
/// Most traces deleted per statement, so a long backlog goes in short steps.
const BATCH: i64 = 1_000;

/// Sweeps every [`EVERY`] until shutdown.
pub async fn run(engine: Engine, shutdown: Shutdown) -> Result<(), EngineError> {
    crate::every(EVERY, shutdown, "deleting old traces", || async {
        let forgotten = forget_old_traces(&engine, now_ms()).await?;
        if forgotten > 0 {
            tracing::info!(forgotten, "raw traces past their dispute window deleted");
        }
        Ok(())
    })
    .await
}

/// Deletes the raw traces of rides decided longer ago than their campaign's
/// dispute window, as of `now` (ms since epoch); returns how many.
pub async fn forget_old_traces(engine: &Engine, now: i64) -> Result<u64, EngineError> {
    let store = &engine.store;
    let mut forgotten = 0;
    for tenant in tenancy::tenants(store).await? {
        for campaign in campaigns::campaigns(store, &tenant.id).await? {
            // The newest rules say how long the council keeps traces now, for rides of any version.
            let versions = campaigns::versions(store, &tenant.id, &campaign.id).await?;
            let Some(newest) = versions.last() else { continue };
            let window = i64::from(CampaignSpec::from_json(newest.spec.as_bytes())?.trace_retention_days) * DAY_MS;
            loop {
                let deleted = privacy::forget_traces(store, &tenant.id, &campaign.id, now - window, BATCH).await?;
                forgotten += deleted;
                if deleted < BATCH as u64 {
                    break;
                }
            }
        }
    }
    Ok(forgotten)
}
