//! Compiled campaigns, cached per process.
//!
//! Compiling a campaign (zones to H3 cells and rasters) takes milliseconds
//! to tens of milliseconds, judging a ride microseconds: every process keeps
//! the compiled form and recompiles only when the stored campaign changed
//! (its `updated_at`). The stored version is checked at most once per
//! [`RECHECK_AFTER`] per campaign, not on every upload, so
//! `smartville campaign apply` takes effect everywhere within that time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use smartville_scoring::{CampaignSpec, CompiledCampaign};
use smartville_store::{Store, tenancy};

use crate::EngineError;

/// How long a compiled campaign is used without asking the database whether it changed.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

/// One cached campaign.
struct Cached {
    /// The `updated_at` it was compiled from.
    version: i64,
    /// When that version was last confirmed as current.
    checked: Instant,
    compiled: Arc<CompiledCampaign>,
}

/// Compiled campaigns by (tenant, campaign id), with the version they were compiled from.
#[derive(Default)]
pub struct CampaignCache {
    compiled: RwLock<HashMap<(String, String), Cached>>,
    /// Held while compiling, so that a burst of uploads arriving when a campaign
    /// changed compiles it once, not once per upload (each compile takes
    /// milliseconds and megabytes).
    compiling: tokio::sync::Mutex<()>,
}

impl CampaignCache {
    /// The compiled campaign, recompiled when it changed in storage.
    pub async fn get(
        &self,
        store: &Store,
        tenant_id: &str,
        campaign_id: &str,
    ) -> Result<Arc<CompiledCampaign>, EngineError> {
        let key = (tenant_id.to_owned(), campaign_id.to_owned());
        if let Some(compiled) = self.current(store, &key).await? {
            return Ok(compiled);
        }
        let _compiling = self.compiling.lock().await;
        // Another upload may have compiled it while this one waited.
        if let Some(compiled) = self.current(store, &key).await? {
            return Ok(compiled);
        }
        let stored = tenancy::campaign(store.pool(), tenant_id, campaign_id).await?;
        let spec = CampaignSpec::from_json(stored.spec.as_bytes())?;
        let compiled = tokio::task::spawn_blocking(move || spec.compile())
            .await
            .map_err(|e| EngineError::Task(e.to_string()))??;
        let compiled = Arc::new(compiled);
        let entry = Cached { version: stored.updated_at, checked: Instant::now(), compiled: compiled.clone() };
        self.write().insert(key, entry);
        Ok(compiled)
    }

    /// The cached campaign if it is still the stored version (asking the database at most
    /// once per [`RECHECK_AFTER`]).
    async fn current(
        &self,
        store: &Store,
        key: &(String, String),
    ) -> Result<Option<Arc<CompiledCampaign>>, EngineError> {
        let Some((version, checked, compiled)) =
            self.read().get(key).map(|c| (c.version, c.checked, c.compiled.clone()))
        else {
            return Ok(None);
        };
        if checked.elapsed() < RECHECK_AFTER {
            return Ok(Some(compiled));
        }
        if tenancy::campaign_version(store.pool(), &key.0, &key.1).await? != version {
            return Ok(None);
        }
        if let Some(entry) = self.write().get_mut(key) {
            entry.checked = Instant::now();
        }
        Ok(Some(compiled))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<(String, String), Cached>> {
        self.compiled.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<(String, String), Cached>> {
        self.compiled.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
