//! Compiled campaigns, cached per process.
//!
//! Compiling a campaign (zones to H3 cells and rasters) takes milliseconds
//! to tens of milliseconds, judging a ride microseconds: every process keeps
//! the compiled versions of each campaign's rules and recompiles only when
//! the stored campaign changed (its `updated_at`, moved by every change). The
//! stored mark is checked at most once per [`RECHECK_AFTER`] per campaign,
//! not on every upload, so a change made through the API or
//! `smartville campaign apply` takes effect everywhere within that time.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use smartville_scoring::{CampaignSpec, CompiledCampaign};
use smartville_store::Store;
use smartville_store::campaigns::{self, CampaignKind, CampaignStatus};
use smartville_store::ids::{CampaignId, TenantId};

use crate::EngineError;

/// How long a compiled campaign is used without asking the database whether it changed.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

/// One version of a campaign's rules, compiled.
#[derive(Debug)]
pub struct RulesVersion {
    /// Its number (1, 2, …), recorded with every decision made by it.
    pub number: i64,
    /// From when it judges rides (ms since epoch).
    pub effective_from: i64,
    /// The rules, ready for the hot path.
    pub compiled: CompiledCampaign,
}

/// A campaign's rules over time, as stored when they were compiled.
#[derive(Debug)]
pub struct CampaignRules {
    /// Where the campaign was in its life.
    pub status: CampaignStatus,
    /// Every version, oldest first (never empty: version 1 is in force from the beginning).
    versions: Vec<RulesVersion>,
}

impl CampaignRules {
    /// The version that judges a ride started at `at_ms`: the newest one in force by then.
    pub fn in_force_at(&self, at_ms: i64) -> &RulesVersion {
        let later = self.versions.partition_point(|v| v.effective_from <= at_ms);
        &self.versions[later.saturating_sub(1)]
    }

    /// The newest version (what a council sees, perhaps not yet in force).
    pub fn newest(&self) -> &RulesVersion {
        self.versions.last().expect("a campaign has at least one version")
    }
}

/// One cached campaign.
struct Cached {
    /// The `updated_at` it was compiled from.
    changed_at: i64,
    /// When that mark was last confirmed as current.
    checked: Instant,
    rules: Arc<CampaignRules>,
}

/// Compiled campaigns by (tenant, campaign id), with the mark they were
/// compiled from, and each campaign's coin.
#[derive(Default)]
pub struct CampaignCache {
    compiled: RwLock<HashMap<(TenantId, CampaignId), Cached>>,
    /// Each campaign's tenant and coin, read once: a campaign never changes the coin it pays in.
    /// Keyed by the campaign alone, so a lookup per ride allocates nothing; the tenant is
    /// compared on every read, so one tenant is never told another's coin.
    coins: RwLock<HashMap<CampaignId, (TenantId, String)>>,
    /// Held while compiling, so that a burst of uploads arriving when a campaign
    /// changed compiles it once, not once per upload (each compile takes
    /// milliseconds and megabytes).
    compiling: tokio::sync::Mutex<()>,
}

impl CampaignCache {
    /// The coin a campaign pays in (scoring and the ledger need it for every
    /// batch, without compiling the campaign's rules).
    pub async fn coin(
        &self,
        store: &Store,
        tenant_id: &TenantId,
        campaign_id: &CampaignId,
    ) -> Result<String, EngineError> {
        if let Some((owner, coin)) = self.coins.read().unwrap_or_else(PoisonError::into_inner).get(campaign_id)
            && owner == tenant_id
        {
            return Ok(coin.clone());
        }
        let coin = campaigns::campaign(store, tenant_id, campaign_id).await?.coin;
        let entry = (tenant_id.clone(), coin.clone());
        self.coins.write().unwrap_or_else(PoisonError::into_inner).insert(campaign_id.clone(), entry);
        Ok(coin)
    }

    /// The campaign's compiled rules, recompiled when it changed in storage.
    pub async fn get(
        &self,
        store: &Store,
        tenant_id: &TenantId,
        campaign_id: &CampaignId,
    ) -> Result<Arc<CampaignRules>, EngineError> {
        let key = (tenant_id.clone(), campaign_id.clone());
        if let Some(rules) = self.current(store, &key).await? {
            return Ok(rules);
        }
        let _compiling = self.compiling.lock().await;
        // Another upload may have compiled it while this one waited.
        if let Some(rules) = self.current(store, &key).await? {
            return Ok(rules);
        }
        let stored = campaigns::campaign(store, tenant_id, campaign_id).await?;
        if stored.kind != CampaignKind::Rides {
            // A savings campaign judges no rides: it has nothing to compile here.
            return Err(smartville_store::StoreError::NotFound("rides campaign").into());
        }
        let versions = campaigns::versions(store, tenant_id, campaign_id).await?;
        let specs = versions
            .iter()
            .map(|v| Ok((v.version, v.effective_from, CampaignSpec::from_json(v.spec.as_bytes())?)))
            .collect::<Result<Vec<_>, EngineError>>()?;
        let versions = tokio::task::spawn_blocking(move || {
            specs
                .into_iter()
                .map(|(number, effective_from, spec)| {
                    Ok(RulesVersion { number, effective_from, compiled: spec.compile()? })
                })
                .collect::<Result<Vec<_>, EngineError>>()
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))??;
        if versions.is_empty() {
            return Err(smartville_store::StoreError::NotFound("campaign version").into());
        }
        let rules = Arc::new(CampaignRules { status: stored.status, versions });
        let entry = Cached { changed_at: stored.updated_at, checked: Instant::now(), rules: rules.clone() };
        self.write().insert(key, entry);
        Ok(rules)
    }

    /// The cached campaign if it is still the stored one (asking the database at most
    /// once per [`RECHECK_AFTER`]).
    async fn current(
        &self,
        store: &Store,
        key: &(TenantId, CampaignId),
    ) -> Result<Option<Arc<CampaignRules>>, EngineError> {
        let Some((changed_at, checked, rules)) =
            self.read().get(key).map(|c| (c.changed_at, c.checked, c.rules.clone()))
        else {
            return Ok(None);
        };
        if checked.elapsed() < RECHECK_AFTER {
            return Ok(Some(rules));
        }
        if campaigns::changed_at(store, &key.0, &key.1).await? != changed_at {
            return Ok(None);
        }
        if let Some(entry) = self.write().get_mut(key) {
            entry.checked = Instant::now();
        }
        Ok(Some(rules))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<(TenantId, CampaignId), Cached>> {
        self.compiled.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<(TenantId, CampaignId), Cached>> {
        self.compiled.write().unwrap_or_else(PoisonError::into_inner)
    }
}
