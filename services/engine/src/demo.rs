//! The demo town, and campaign files applied to a tenant.
//!
//! An empty database gets the demo town on first start (and from
//! `smartville demo`): the council of Geel with its Geelcoins, a school with
//! its zone, the bike-to-school campaign of `examples/campaign.json` with a
//! funded budget, a class with the fixed join code [`JOIN_CODE`] (so the
//! README's walkthrough works verbatim), and a bike shop with an offer.

use smartville_scoring::CampaignSpec;
use smartville_store::ids::{CampaignId, TenantId};
use smartville_store::{StoreError, participants, schools, tenancy};

use crate::{Engine, EngineError};

/// The demo class's join code.
pub const JOIN_CODE: &str = "GEEL-5A";
/// The demo campaign file.
pub const CAMPAIGN: &str = include_str!("../../../examples/campaign.json");

/// What the demo town consists of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTown {
    /// The council's tenant id.
    pub tenant_id: TenantId,
    /// The campaign id.
    pub campaign_id: CampaignId,
    /// The class's join code.
    pub join_code: String,
}

/// Seeds the demo town unless the database already holds a tenant.
pub async fn seed_if_empty(engine: &Engine) -> Result<Option<DemoTown>, EngineError> {
    if tenancy::tenants(&engine.store).await?.is_empty() { seed(engine).await.map(Some) } else { Ok(None) }
}

/// Seeds the demo town (a second one fails: the join code is taken).
pub async fn seed(engine: &Engine) -> Result<DemoTown, EngineError> {
    let mut tx = engine.store.begin().await?;
    let tenant = tenancy::create_tenant(&mut tx, "Stad Geel", "Geelcoins").await?;
    let school = schools::create_school(&mut tx, &tenant.id, "Demo school", None).await?.id;
    schools::create_class(&mut tx, &tenant.id, &school, "5A", JOIN_CODE).await?;
    let merchant = tenancy::create_merchant(&mut tx, &tenant.id, "Fietsen Geel").await?;
    tenancy::create_offer(&mut tx, &tenant.id, &merchant, "Bike bell", 50).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let campaign = apply_campaign(engine, &tenant.id, CAMPAIGN.as_bytes()).await?;
    Ok(DemoTown { tenant_id: tenant.id, campaign_id: campaign.id, join_code: JOIN_CODE.to_owned() })
}

/// Loads or updates a campaign file into a tenant: the file is compiled first
/// (a bad file changes nothing), its budget funded, every participant enrolled.
pub async fn apply_campaign(
    engine: &Engine,
    tenant_id: &TenantId,
    file: &[u8],
) -> Result<tenancy::Campaign, EngineError> {
    let spec = CampaignSpec::from_json(file)?;
    let budget = i64::try_from(spec.budget_points).unwrap_or(i64::MAX);
    let (slug, name) = (spec.id.clone(), spec.name.clone());
    let json = String::from_utf8_lossy(file).into_owned();
    tokio::task::spawn_blocking(move || spec.compile()).await.map_err(|e| EngineError::Task(e.to_string()))??;
    let mut tx = engine.store.begin().await?;
    let campaign = tenancy::apply_campaign(&mut tx, tenant_id, &slug, &name, &json, budget).await?;
    participants::enroll_all(&mut tx, tenant_id, &campaign.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(campaign)
}
