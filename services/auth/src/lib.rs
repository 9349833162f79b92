//! Access tokens: EdDSA (Ed25519) JWTs.
//!
//! Only the component that signs people in holds the private key
//! ([`Signer`]); every component verifies with the public key ([`Verifier`]).
//! Verification pins the algorithm (a token signed with anything else, `none`
//! included, is refused), requires `exp`, `iss`, `aud` and `sub`, honours
//! `nbf`, and refuses a token issued in the future or living longer than the
//! configured access-token lifetime (a leaked or mis-minted token that would
//! never expire is useless). Access tokens are short-lived; the long-lived refresh tokens are random secrets
//! stored hashed, never JWTs (see [`refresh`]); data sources sign in with
//! API keys, random secrets stored hashed too (see [`api_key`]).
//!
//! In the embedded default the key pair is generated on first start and kept
//! in the data folder ([`Signer::load_or_create`]); in production the private
//! key comes from configuration as PKCS#8 PEM.

pub mod api_key;
pub mod password;
pub mod refresh;

use std::path::Path;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Issuer of every token.
pub const ISSUER: &str = "smartville";
/// Audience of participant access tokens (the mobile API).
pub const AUDIENCE: &str = "smartville-api";

/// What a token holder may do (DESIGN §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A participant using the mobile app (often a minor).
    Student,
    /// A teacher of a class.
    Teacher,
    /// Staff of a school.
    SchoolAdmin,
    /// Staff of a council.
    CouncilAdmin,
    /// Reads everything of a council, changes nothing.
    Auditor,
    /// Runs a shop: its offers, redemptions and settlements.
    MerchantAdmin,
    /// Works a shop's counter: redeems vouchers.
    MerchantStaff,
    /// A sensor integration.
    Device,
}

/// The claims of an access token. The tenant and the subject come from here,
/// never from a URL or a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the participant (or staff member, merchant, device) id.
    pub sub: String,
    /// Tenant id.
    pub tid: String,
    /// Role.
    pub role: Role,
    /// The school a school admin or a teacher works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sch: Option<String>,
    /// The merchant a merchant admin or merchant staff works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mer: Option<String>,
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// Audience, always [`AUDIENCE`].
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Not before, seconds since the epoch (checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Unique token id.
    pub jti: String,
}

/// Who a token is for: the claims that say who and what, without the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant<'a> {
    /// The participant, staff member, merchant or device id.
    pub subject: &'a str,
    /// Their tenant.
    pub tenant: &'a str,
    /// What they may do.
    pub role: Role,
    /// The school of a school admin or a teacher.
    pub school: Option<&'a str>,
    /// The merchant of a merchant admin or merchant staff.
    pub merchant: Option<&'a str>,
}

/// Why a key or a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A key could not be read or written.
    #[error("key: {0}")]
    Key(String),
    /// The token is malformed, forged, expired, or for someone else.
    #[error("invalid token: {0}")]
    InvalidToken(#[from] jsonwebtoken::errors::Error),
    /// The token is signed by us but its times are not ones we issue.
    #[error("invalid token: {0}")]
    Lifetime(&'static str),
}

/// Seconds of clock difference between components that verification tolerates.
const LEEWAY_S: u64 = 30;

/// Verifies access tokens; held by every component.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    /// The longest lifetime (`exp - iat`) a token may have: the configured access-token TTL.
    max_lifetime_s: u64,
}

impl Verifier {
    /// A verifier for the Ed25519 public key in SPKI PEM, refusing tokens that
    /// live longer than `max_lifetime`.
    pub fn from_public_pem(pem: &str, max_lifetime: Duration) -> Result<Self, AuthError> {
        let key = DecodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| AuthError::Key(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_S;
        Ok(Self { key, validation, max_lifetime_s: max_lifetime.as_secs() })
    }

    /// The claims of a valid token.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)?.claims;
        if claims.iat > jsonwebtoken::get_current_timestamp() + LEEWAY_S {
            return Err(AuthError::Lifetime("issued in the future"));
        }
        if claims.exp.saturating_sub(claims.iat) > self.max_lifetime_s {
            return Err(AuthError::Lifetime("lives longer than an access token may"));
        }
        Ok(claims)
    }
}

/// Issues access tokens; held only by the component that signs people in.
#[derive(Clone)]
pub struct Signer {
    key: EncodingKey,
    public_pem: String,
}

impl Signer {
    /// A signer for an Ed25519 private key in PKCS#8 PEM.
    pub fn from_private_pem(pem: &str) -> Result<Self, AuthError> {
        let signing = <SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_pem(pem)
            .map_err(|e| AuthError::Key(format!("not an Ed25519 PKCS#8 PEM private key: {e}")))?;
        let public_pem =
            signing.verifying_key().to_public_key_pem(LineEnding::LF).map_err(|e| AuthError::Key(e.to_string()))?;
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| AuthError::Key(e.to_string()))?;
        Ok(Self { key, public_pem })
    }

    /// A new random key pair, as PKCS#8 PEM.
    pub fn generate_pem() -> Result<String, AuthError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| AuthError::Key(e.to_string()))?;
        let pem =
            SigningKey::from_bytes(&seed).to_pkcs8_pem(LineEnding::LF).map_err(|e| AuthError::Key(e.to_string()))?;
        Ok(pem.to_string())
    }

    /// The key in `path`, created (readable by its owner only) when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, AuthError> {
        let io = |e: std::io::Error| AuthError::Key(format!("{}: {e}", path.display()));
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let pem = Self::generate_pem()?;
            write_private(path, &pem).map_err(io)?;
        }
        Self::from_private_pem(&std::fs::read_to_string(path).map_err(io)?)
    }

    /// The matching verifier, refusing tokens that live longer than `max_lifetime`.
    pub fn verifier(&self, max_lifetime: Duration) -> Result<Verifier, AuthError> {
        Verifier::from_public_pem(&self.public_pem, max_lifetime)
    }

    /// The public key (SPKI PEM), for components that only verify.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// A signed access token for `subject` in `tenant` (and `school`, for
    /// school staff), valid for `ttl_s` seconds from `now_s`.
    pub fn issue(&self, grant: Grant<'_>, now_s: u64, ttl_s: u64) -> Result<String, AuthError> {
        let claims = Claims {
            sub: grant.subject.to_owned(),
            tid: grant.tenant.to_owned(),
            role: grant.role,
            sch: grant.school.map(str::to_owned),
            mer: grant.merchant.map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now_s + ttl_s,
            iat: now_s,
            nbf: Some(now_s),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)?)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
