//! Data sources: the systems that send a council readings (a waste
//! collector's weighing system, a meter-data platform, a sensor gateway),
//! each allowed some kinds of readings, with the API keys they sign in with.
//! Of a key only its public id and a hash of its secret are stored.

use serde::Serialize;

use crate::ids::{DeviceKeyId, SourceId, TenantId};
use crate::{Store, StoreError, Tx, now_ms};

stored_names!(
    /// What a reading measures.
    ReadingKind {
        /// Waste collected from a household, by fraction (residual, organic, PMD, paper, glass…).
        Waste = "waste",
        /// Energy or water used by a household, by carrier (electricity, gas, water).
        Energy = "energy",
    }
);

/// The kinds of readings a source may send, stored comma-separated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Kinds(pub Vec<ReadingKind>);

impl Kinds {
    fn stored(&self) -> String {
        self.0.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(",")
    }
}

impl TryFrom<String> for Kinds {
    type Error = String;

    fn try_from(stored: String) -> Result<Self, String> {
        stored.split(',').map(|name| ReadingKind::try_from(name.to_owned())).collect::<Result<_, _>>().map(Self)
    }
}

/// A data source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DataSource {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Public id.
    pub id: SourceId,
    /// What the council calls it.
    pub name: String,
    /// What it may send.
    #[sqlx(try_from = "String")]
    pub kinds: Kinds,
    /// When it was registered (ms since epoch).
    pub created_at: i64,
}

/// One API key of a source, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DeviceKey {
    /// Its public id.
    pub id: DeviceKeyId,
    /// The source it signs in.
    pub source_id: SourceId,
    /// When it was made (ms since epoch).
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When it was last used, within a minute (ms since epoch).
    pub last_used_at: Option<i64>,
}

/// What signing in with a key needs: the key's hash and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyHolder {
    /// The source's tenant.
    pub tenant_id: TenantId,
    /// The source.
    pub source_id: SourceId,
    /// The source's name.
    pub name: String,
    /// What the source may send.
    #[sqlx(try_from = "String")]
    pub kinds: Kinds,
    /// Hex SHA-256 of the key's secret.
    pub secret_hash: String,
    /// When the key was last used (ms since epoch), as [`mark_used`] keeps it.
    pub last_used_at: Option<i64>,
}

/// How often signing in moves a key's `last_used_at` (ms): at most once a minute, not on every request.
const LAST_USED_EVERY_MS: i64 = 60_000;

/// Registers a data source.
pub async fn create(tx: &mut Tx, tenant_id: &TenantId, name: &str, kinds: Kinds) -> Result<DataSource, StoreError> {
    let source = DataSource {
        tenant_id: tenant_id.clone(),
        id: SourceId::new(),
        name: name.to_owned(),
        kinds,
        created_at: now_ms(),
    };
    sqlx::query("insert into data_sources (tenant_id, id, name, kinds, created_at) values ($1, $2, $3, $4, $5)")
        .bind(tenant_id)
        .bind(&source.id)
        .bind(name)
        .bind(source.kinds.stored())
        .bind(source.created_at)
        .execute(&mut **tx)
        .await?;
    Ok(source)
}

/// The tenant's data sources, oldest first.
pub async fn list(store: &Store, tenant_id: &TenantId) -> Result<Vec<DataSource>, StoreError> {
    Ok(sqlx::query_as(
        "select tenant_id, id, name, kinds, created_at from data_sources where tenant_id = $1 order by created_at, id",
    )
    .bind(tenant_id)
    .fetch_all(store.reader())
    .await?)
}

/// One data source of the tenant.
pub async fn get(store: &Store, tenant_id: &TenantId, id: &SourceId) -> Result<Option<DataSource>, StoreError> {
    Ok(sqlx::query_as(
        "select tenant_id, id, name, kinds, created_at from data_sources where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(store.reader())
    .await?)
}

/// Gives a source one more key, of which `secret_hash` is kept.
pub async fn add_key(
    tx: &mut Tx,
    tenant_id: &TenantId,
    source_id: &SourceId,
    id: &DeviceKeyId,
    secret_hash: &str,
) -> Result<DeviceKey, StoreError> {
    let key = DeviceKey {
        id: id.clone(),
        source_id: source_id.clone(),
        created_at: now_ms(),
        revoked_at: None,
        last_used_at: None,
    };
    sqlx::query(
        "insert into device_keys (id, tenant_id, source_id, secret_hash, created_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(source_id)
    .bind(secret_hash)
    .bind(key.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(key)
}

/// The keys of the tenant's sources, oldest first.
pub async fn keys(store: &Store, tenant_id: &TenantId) -> Result<Vec<DeviceKey>, StoreError> {
    Ok(sqlx::query_as(
        "select id, source_id, created_at, revoked_at, last_used_at from device_keys where tenant_id = $1 \
         order by created_at, id",
    )
    .bind(tenant_id)
    .fetch_all(store.reader())
    .await?)
}

/// Revokes a key of a source: it signs nothing in from now on. Answers the
/// key as it is now, `None` when the source has no such key (revoking twice
/// keeps the first time).
pub async fn revoke_key(
    tx: &mut Tx,
    tenant_id: &TenantId,
    source_id: &SourceId,
    id: &DeviceKeyId,
) -> Result<Option<DeviceKey>, StoreError> {
    Ok(sqlx::query_as(
        "update device_keys set revoked_at = coalesce(revoked_at, $1) where tenant_id = $2 and source_id = $3 and id = $4 \
         returning id, source_id, created_at, revoked_at, last_used_at",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(source_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The holder of an unrevoked key, by the key's id; `None` for an unknown or revoked key.
pub async fn holder(store: &Store, id: &DeviceKeyId) -> Result<Option<KeyHolder>, StoreError> {
    Ok(sqlx::query_as(
        "select k.tenant_id, k.source_id, s.name, s.kinds, k.secret_hash, k.last_used_at from device_keys k \
         join data_sources s on s.tenant_id = k.tenant_id and s.id = k.source_id \
         where k.id = $1 and k.revoked_at is null",
    )
    .bind(id)
    .fetch_optional(store.reader())
    .await?)
}

/// Notes that the key `id` of `holder` signed a request in, at most once
/// a minute: a source sending many requests costs no write for most of them.
pub async fn mark_used(store: &Store, id: &DeviceKeyId, holder: &KeyHolder) -> Result<(), StoreError> {
    let now = now_ms();
    if holder.last_used_at.is_some_and(|used| used >= now - LAST_USED_EVERY_MS) {
        return Ok(());
    }
    sqlx::query("update device_keys set last_used_at = $1 where id = $2")
        .bind(now)
        .bind(id)
        .execute(store.writer())
        .await?;
    Ok(())
}
