//! The demo town.
//!
//! An empty database gets the demo town on first start (and from
//! `smartville demo`): the council of Geel with its Geelcoins, a school with
//! its zone, the bike-to-school campaign of `examples/campaign.json` with a
//! funded budget, a class with the fixed join code [`JOIN_CODE`] (so the
//! README's walkthrough works verbatim), and a bike shop that takes the coin with an approved offer.

use smartville_store::ids::{CampaignId, TenantId};
use smartville_store::merchants::{self, AcceptedCoin, MerchantCategory, NewMerchant};
use smartville_store::offers::{self, NewOffer, OfferStatus};
use smartville_store::tenancy::{self, Tenant};
use smartville_store::{StoreError, Tx, schools};

use crate::campaigns::{self, CampaignRefusal};
use crate::{DAY_MS, Engine, EngineError, now_ms};

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

/// The demo's bike shop: it takes the town's coin at 10 cents a point and
/// sells a bike bell (approved, 100 in stock, on sale for a year).
async fn seed_shop(tx: &mut Tx, tenant: &Tenant) -> Result<(), EngineError> {
    let shop = NewMerchant {
        name: "Fietsen Geel",
        address: "Markt 1, 2440 Geel",
        location: Some((51.1614, 4.9896)),
        category: MerchantCategory::Mobility,
    };
    let merchant = merchants::create(tx, &tenant.id, &shop).await?;
    let coin = AcceptedCoin { coin: tenant.coin.clone(), point_value_cents: 10 };
    merchants::accept_coin(tx, &tenant.id, &merchant.id, &coin).await?;
    let now = now_ms();
    let bell = NewOffer {
        title: "Bike bell",
        description: "A loud, bright bike bell, fitted while you wait.",
        coin: &tenant.coin,
        price_points: 50,
        stock: 100,
        valid_from: now,
        valid_until: now + 365 * DAY_MS,
        per_participant_limit: 1,
        voucher_days: 30,
    };
    let offer = offers::propose(tx, &tenant.id, &merchant.id, &bell).await?;
    offers::change_status(tx, &tenant.id, &offer.id, OfferStatus::Proposed, OfferStatus::Approved, None).await?;
    Ok(())
}

/// Seeds the demo town (a second one fails: the join code is taken).
pub async fn seed(engine: &Engine) -> Result<DemoTown, EngineError> {
    let mut tx = engine.store.begin().await?;
    let tenant = tenancy::create_tenant(&mut tx, "Stad Geel", "Geelcoins").await?;
    let school = schools::create_school(&mut tx, &tenant.id, "Demo school", None).await?.id;
    schools::create_class(&mut tx, &tenant.id, &school, "5A", JOIN_CODE).await?;
    seed_shop(&mut tx, &tenant).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let applied = async { campaigns::apply_file(engine, &tenant.id, &campaigns::check(CAMPAIGN.into()).await?).await };
    let campaign = applied.await.map_err(|refusal| match refusal {
        CampaignRefusal::Engine(error) => error,
        other => EngineError::Task(format!("the demo campaign: {other}")),
    })?;
    Ok(DemoTown { tenant_id: tenant.id, campaign_id: campaign.id, join_code: JOIN_CODE.to_owned() })
}
