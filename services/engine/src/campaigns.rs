//! Compiled campaigns, cached per process.
//!
//! Compiling a campaign (zones to H3 cells and rasters) takes milliseconds
//! to tens of milliseconds, judging a ride microseconds: every process keeps
//! the compiled form and recompiles only when the stored campaign changed
//! (its `updated_at`). The stored version is checked at most once per
//! [`RECHECK_AFTER`] per campaign, not on every upload, so
//! `smartville campaign apply` takes effect everywhere within that time.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use smartville_scoring::{CampaignSpec, CompiledCampaign};
use smartville_store::ids::{CampaignId, TenantId};
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

/// Compiled campaigns by (tenant, campaign id), with the version they were
/// compiled from, and each tenant's coin (the coin of its campaigns' budgets).
#[derive(Default)]
pub struct CampaignCache {
    compiled: RwLock<HashMap<(TenantId, CampaignId), Cached>>,
    /// Each tenant's coin, read once: a tenant never changes the coin it issues.
    coins: RwLock<HashMap<TenantId, String>>,
    /// Held while compiling, so that a burst of uploads arriving when a campaign
    /// changed compiles it once, not once per upload (each compile takes
    /// milliseconds and megabytes).
    compiling: tokio::sync::Mutex<()>,
}

impl CampaignCache {
    /// The coin `tenant_id` pays in (scoring and the ledger need it for every batch).
    pub async fn coin(&self, store: &Store, tenant_id: &TenantId) -> Result<String, EngineError> {
        if let Some(coin) = self.coins.read().unwrap_or_else(PoisonError::into_inner).get(tenant_id) {
            return Ok(coin.clone());
        }
        let coin = tenancy::tenant(store, tenant_id).await?.coin;
        self.coins.write().unwrap_or_else(PoisonError::into_inner).insert(tenant_id.clone(), coin.clone());
        Ok(coin)
    }

    /// The compiled campaign, recompiled when it changed in storage.
    pub async fn get(
        &self,
        store: &Store,
        tenant_id: &TenantId,
        campaign_id: &CampaignId,
    ) -> Result<Arc<CompiledCampaign>, EngineError> {
        let key = (tenant_id.clone(), campaign_id.clone());
        if let Some(compiled) = self.current(store, &key).await? {
            return Ok(compiled);
        }
        let _compiling = self.compiling.lock().await;
        // Another upload may have compiled it while this one waited.
        if let Some(compiled) = self.current(store, &key).await? {
            return Ok(compiled);
        }
        let stored = tenancy::campaign(store, tenant_id, campaign_id).await?;
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
        key: &(TenantId, CampaignId),
    ) -> Result<Option<Arc<CompiledCampaign>>, EngineError> {
        let Some((version, checked, compiled)) =
            self.read().get(key).map(|c| (c.version, c.checked, c.compiled.clone()))
        else {
            return Ok(None);
        };
        if checked.elapsed() < RECHECK_AFTER {
            return Ok(Some(compiled));
        }
        if tenancy::campaign_version(store, &key.0, &key.1).await? != version {
            return Ok(None);
        }
        if let Some(entry) = self.write().get_mut(key) {
            entry.checked = Instant::now();
        }
        Ok(Some(compiled))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<(TenantId, CampaignId), Cached>> {
        self.compiled.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<(TenantId, CampaignId), Cached>> {
        self.compiled.write().unwrap_or_else(PoisonError::into_inner)
    }
}
