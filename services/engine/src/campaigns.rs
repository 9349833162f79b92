//! Compiled campaigns, cached per process.
//!
//! Compiling a campaign (zones to H3 cells and rasters) takes milliseconds
//! to tens of milliseconds, judging a ride microseconds: every process keeps
//! the compiled form and recompiles only when the stored campaign changed
//! (its `updated_at`), so `smartville campaign apply` takes effect everywhere
//! on the next ride.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use smartville_scoring::{CampaignSpec, CompiledCampaign};
use smartville_store::{Store, tenancy};

use crate::EngineError;

/// (tenant id, campaign id) → (the `updated_at` it was compiled from, the compiled campaign).
type Compiled = HashMap<(String, String), (i64, Arc<CompiledCampaign>)>;

/// Compiled campaigns by (tenant, campaign id), with the version they were compiled from.
#[derive(Default)]
pub struct CampaignCache {
    compiled: RwLock<Compiled>,
}

impl CampaignCache {
    /// The compiled campaign, recompiled when it changed in storage.
    pub async fn get(
        &self,
        store: &Store,
        tenant_id: &str,
        campaign_id: &str,
    ) -> Result<Arc<CompiledCampaign>, EngineError> {
        let stored = tenancy::campaign(store.pool(), tenant_id, campaign_id).await?;
        let key = (tenant_id.to_owned(), campaign_id.to_owned());
        if let Some((version, compiled)) = self.read().get(&key)
            && *version == stored.updated_at
        {
            return Ok(compiled.clone());
        }
        let spec = CampaignSpec::from_json(stored.spec.as_bytes())?;
        let compiled = tokio::task::spawn_blocking(move || spec.compile())
            .await
            .map_err(|e| EngineError::Task(e.to_string()))??;
        let compiled = Arc::new(compiled);
        self.write().insert(key, (stored.updated_at, compiled.clone()));
        Ok(compiled)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Compiled> {
        self.compiled.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Compiled> {
        self.compiled.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
