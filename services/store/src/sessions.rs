//! Sessions: the refresh tokens that keep a participant's phone or a staff
//! member's browser signed in. A token belongs to a family (the one a
//! sign-in handed out and every one rotated from it), so that a used token
//! presented again can end the whole session.

use crate::ids::{ParticipantId, StaffId, TenantId};
use crate::{Store, StoreError, Tx, new_id, now_ms};

/// Who a session is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A participant, signed in by joining a class.
    Participant(ParticipantId),
    /// A staff member, signed in with e-mail and password.
    Staff(StaffId),
}

impl Holder {
    /// The kind, as stored.
    fn kind(&self) -> &'static str {
        match self {
            Self::Participant(_) => "participant",
            Self::Staff(_) => "staff",
        }
    }

    /// The holder's id, as stored.
    fn id(&self) -> &str {
        match self {
            Self::Participant(id) => id.as_str(),
            Self::Staff(id) => id.as_str(),
        }
    }
}

/// A stored refresh token (its secret only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// Token id (the public half of the token).
    pub id: String,
    /// The session it belongs to: the token a sign-in handed out and every token rotated from it.
    pub family_id: String,
    /// Whose it is.
    pub holder: Holder,
    /// SHA-256 of the secret half, hex.
    pub secret_hash: String,
    /// Expiry (ms since epoch).
    pub expires_at: i64,
    /// When it was used or revoked, if it was.
    pub revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RefreshTokenRow {
    id: String,
    family_id: String,
    holder: String,
    holder_id: String,
    secret_hash: String,
    expires_at: i64,
    revoked_at: Option<i64>,
}

/// Stores a new refresh token and returns its id. A sign-in starts a family
/// (`family_id` `None`); a rotation passes the family of the token it replaces.
pub async fn create_refresh_token(
    tx: &mut Tx,
    tenant_id: &TenantId,
    holder: &Holder,
    family_id: Option<&str>,
    secret_hash: &str,
    expires_at: i64,
) -> Result<String, StoreError> {
    let id = new_id();
    sqlx::query(
        "insert into refresh_tokens (tenant_id, id, family_id, holder, holder_id, secret_hash, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(&id)
    .bind(family_id.unwrap_or(&id))
    .bind(holder.kind())
    .bind(holder.id())
    .bind(secret_hash)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A refresh token by id.
pub async fn refresh_token(store: &Store, tenant_id: &TenantId, id: &str) -> Result<Option<RefreshToken>, StoreError> {
    let row: Option<RefreshTokenRow> = sqlx::query_as(
        "select id, family_id, holder, holder_id, secret_hash, expires_at, revoked_at from refresh_tokens \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(store.reader())
    .await?;
    Ok(row.map(|row| RefreshToken {
        holder: if row.holder == "staff" {
            Holder::Staff(row.holder_id.into())
        } else {
            Holder::Participant(row.holder_id.into())
        },
        id: row.id,
        family_id: row.family_id,
        secret_hash: row.secret_hash,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    }))
}

/// Marks a refresh token used; false when it already was (a replayed token).
pub async fn revoke_refresh_token(tx: &mut Tx, tenant_id: &TenantId, id: &str) -> Result<bool, StoreError> {
    let revoked = sqlx::query(
        "update refresh_tokens set revoked_at = $1 where tenant_id = $2 and id = $3 and revoked_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(revoked == 1)
}

/// Revokes every live token of a family (a used token came back: whoever
/// holds the family's live token may hold a stolen copy); returns how many.
pub async fn revoke_refresh_family(store: &Store, tenant_id: &TenantId, family_id: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "update refresh_tokens set revoked_at = $1 where tenant_id = $2 and family_id = $3 and revoked_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(family_id)
    .execute(store.writer())
    .await?
    .rows_affected())
}

/// Ends every session of a holder (a staff member removed or given another
/// role signs in again); returns how many tokens it revoked.
pub async fn revoke_all(tx: &mut Tx, tenant_id: &TenantId, holder: &Holder) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "update refresh_tokens set revoked_at = $1 \
         where tenant_id = $2 and holder = $3 and holder_id = $4 and revoked_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(holder.kind())
    .bind(holder.id())
    .execute(&mut **tx)
    .await?
    .rows_affected())
}
