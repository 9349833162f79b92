//! The demo town.
//!
//! An empty database gets the demo town on first start (and from
//! `smartville demo`): the council of Geel with its Geelcoins, a school with
//! its zone, the bike-to-school campaign of `examples/campaign.json` with a
//! funded budget, a class with the fixed join code [`JOIN_CODE`] (so the
//! README's walkthrough works verbatim), and a bike shop with an offer.

use smartville_store::ids::{CampaignId, TenantId};
use smartville_store::{StoreError, schools, tenancy};

use crate::campaigns::{self, CampaignRefusal};
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
    let applied = async { campaigns::apply_file(engine, &tenant.id, &campaigns::check(CAMPAIGN.into()).await?).await };
    let campaign = applied.await.map_err(|refusal| match refusal {
        CampaignRefusal::Engine(error) => error,
        other => EngineError::Task(format!("the demo campaign: {other}")),
    })?;
    Ok(DemoTown { tenant_id: tenant.id, campaign_id: campaign.id, join_code: JOIN_CODE.to_owned() })
}
