//! Merchants: the shops where points are spent (and the council itself when
//! it sells city services), with the coins each accepts and what one point
//! of each is worth in euro cents when the council settles.

use serde::Serialize;

use crate::ids::{MerchantId, TenantId};
use crate::{Store, StoreError, Tx, now_ms};

stored_names!(
    /// What kind of place a merchant is, for the students' catalogue.
    MerchantCategory {
        /// A shop.
        Shop = "shop",
        /// A café, a baker, a snack bar.
        Food = "food",
        /// A sports club or shop.
        Sport = "sport",
        /// A cinema, a museum, a theatre.
        Culture = "culture",
        /// A bike shop, a repair café, public transport.
        Mobility = "mobility",
        /// The council itself: a swimming-pool ticket, a library card, a bus pass.
        CityServices = "city_services",
    }
);

/// A merchant as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Merchant {
    /// Owning tenant (the council that settles with it).
    pub tenant_id: TenantId,
    /// Public id.
    pub id: MerchantId,
    /// The name on the shop front.
    pub name: String,
    /// Street address, as students would look for it.
    pub address: String,
    /// Where it is (WGS84), for the map; unknown for an online service.
    pub latitude: Option<f64>,
    /// Where it is (WGS84).
    pub longitude: Option<f64>,
    /// What kind of place it is.
    #[sqlx(try_from = "String")]
    pub category: MerchantCategory,
    /// When it was registered (ms since epoch).
    pub created_at: i64,
}

/// What a council registers of a merchant.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMerchant<'a> {
    /// The name on the shop front.
    pub name: &'a str,
    /// Street address.
    pub address: &'a str,
    /// Latitude and longitude (WGS84), when it has a place.
    pub location: Option<(f64, f64)>,
    /// What kind of place it is.
    pub category: MerchantCategory,
}

/// `select` of every merchant column followed by `$tail` (a literal), as a static string.
macro_rules! select_merchants {
    ($tail:literal) => {
        concat!("select tenant_id, id, name, address, latitude, longitude, category, created_at from merchants ", $tail)
    };
}

/// Registers a merchant.
pub async fn create(tx: &mut Tx, tenant_id: &TenantId, new: &NewMerchant<'_>) -> Result<Merchant, StoreError> {
    let merchant = Merchant {
        tenant_id: tenant_id.clone(),
        id: MerchantId::new(),
        name: new.name.to_owned(),
        address: new.address.to_owned(),
        latitude: new.location.map(|(lat, _)| lat),
        longitude: new.location.map(|(_, lon)| lon),
        category: new.category,
        created_at: now_ms(),
    };
    // Sent unprepared: a prepared statement keeps the parameter types of its first execution,
    // and on PostgreSQL a location-less merchant's NULLs declared types that a later merchant's
    // coordinates did not fit ("incorrect binary data format"). Merchants are registered rarely.
    sqlx::query(
        "insert into merchants (tenant_id, id, name, address, latitude, longitude, category, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .persistent(false)
    .bind(tenant_id)
    .bind(&merchant.id)
    .bind(&merchant.name)
    .bind(&merchant.address)
    .bind(merchant.latitude)
    .bind(merchant.longitude)
    .bind(merchant.category.as_str())
    .bind(merchant.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(merchant)
}

/// One merchant of a tenant.
pub async fn get(store: &Store, tenant_id: &TenantId, id: &MerchantId) -> Result<Option<Merchant>, StoreError> {
    Ok(sqlx::query_as(select_merchants!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}

/// Every merchant of a tenant, by name.
pub async fn list(store: &Store, tenant_id: &TenantId) -> Result<Vec<Merchant>, StoreError> {
    Ok(sqlx::query_as(select_merchants!("where tenant_id = $1 order by name, id"))
        .bind(tenant_id)
        .fetch_all(store.reader())
        .await?)
}

/// A coin a merchant accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AcceptedCoin {
    /// The coin, e.g. "Geelcoins".
    pub coin: String,
    /// What one point is worth in euro cents, for the vouchers redeemed from now on.
    pub point_value_cents: i64,
}

/// Lets a merchant take `coin` at `point_value_cents` per point, or changes
/// the value (for vouchers redeemed from then on). There is no way back: the
/// vouchers sold in a coin must stay redeemable; a council that stops working
/// with a shop stops approving its offers.
pub async fn accept_coin(
    tx: &mut Tx,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
    accepted: &AcceptedCoin,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into merchant_coins (tenant_id, merchant_id, coin, point_value_cents) values ($1, $2, $3, $4) \
         on conflict (tenant_id, merchant_id, coin) do update set point_value_cents = excluded.point_value_cents",
    )
    .bind(tenant_id)
    .bind(merchant_id)
    .bind(&accepted.coin)
    .bind(accepted.point_value_cents)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What one point of `coin` is worth at a merchant now, read in the
/// transaction that redeems (`None`: the merchant does not take the coin).
pub async fn point_value_in(
    tx: &mut Tx,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
    coin: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "select point_value_cents from merchant_coins where tenant_id = $1 and merchant_id = $2 and coin = $3",
    )
    .bind(tenant_id)
    .bind(merchant_id)
    .bind(coin)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Whether a merchant takes `coin`.
pub async fn takes(
    store: &Store,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
    coin: &str,
) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("select 1 from merchant_coins where tenant_id = $1 and merchant_id = $2 and coin = $3")
            .bind(tenant_id)
            .bind(merchant_id)
            .bind(coin)
            .fetch_optional(store.reader())
            .await?;
    Ok(found.is_some())
}

/// The coins a merchant accepts, by name.
pub async fn accepted_coins(
    store: &Store,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
) -> Result<Vec<AcceptedCoin>, StoreError> {
    Ok(sqlx::query_as(
        "select coin, point_value_cents from merchant_coins where tenant_id = $1 and merchant_id = $2 order by coin",
    )
    .bind(tenant_id)
    .bind(merchant_id)
    .fetch_all(store.reader())
    .await?)
}
