//! Tokens are accepted only when signed by our key, with our algorithm, for us, in time.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use smartville_auth::{AUDIENCE, Claims, Grant, ISSUER, Role, Signer, refresh};

/// The access-token lifetime the verifiers of these tests allow.
const TTL: Duration = Duration::from_secs(900);

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn signer() -> Signer {
    Signer::from_private_pem(&Signer::generate_pem().unwrap()).unwrap()
}

#[test]
fn a_token_round_trips_with_its_claims() {
    let signer = signer();
    let token = signer
        .issue(
            Grant { subject: "participant-1", tenant: "tenant-1", role: Role::Student, school: None, merchant: None },
            now_s(),
            900,
        )
        .unwrap();
    let claims = signer.verifier(TTL).unwrap().verify(&token).unwrap();
    assert_eq!((claims.sub.as_str(), claims.tid.as_str(), claims.role), ("participant-1", "tenant-1", Role::Student));
    assert_eq!((claims.iss.as_str(), claims.aud.as_str()), (ISSUER, AUDIENCE));
}

#[test]
fn expired_forged_and_foreign_tokens_are_refused() {
    let signer = signer();
    let verifier = signer.verifier(TTL).unwrap();
    let expired = signer.issue(STUDENT, now_s() - 10_000, 900).unwrap();
    assert!(verifier.verify(&expired).is_err());
    let other_key = signer_with_other_key().issue(STUDENT, now_s(), 900).unwrap();
    assert!(verifier.verify(&other_key).is_err());
    let mut tampered = signer.issue(STUDENT, now_s(), 900).unwrap();
    tampered.insert(tampered.len() - 5, 'x');
    assert!(verifier.verify(&tampered).is_err());
    assert!(verifier.verify("not a token").is_err());
}

fn signer_with_other_key() -> Signer {
    signer()
}

/// A participant of a tenant, as most tests here sign one.
const STUDENT: Grant<'static> = Grant { subject: "p", tenant: "t", role: Role::Student, school: None, merchant: None };

fn claims(aud: &str, iss: &str) -> Claims {
    Claims {
        sub: "p".into(),
        tid: "t".into(),
        role: Role::Student,
        sch: None,
        mer: None,
        iss: iss.into(),
        aud: aud.into(),
        exp: now_s() + 900,
        iat: now_s(),
        nbf: None,
        jti: "j".into(),
    }
}

#[test]
fn another_algorithm_audience_or_issuer_is_refused() {
    let verifier = signer().verifier(TTL).unwrap();
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(AUDIENCE, ISSUER),
        &EncodingKey::from_secret(b"guess").unwrap(),
    )
    .unwrap();
    assert!(verifier.verify(&hs256).is_err());
    // An unsigned token ("alg": "none").
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let body = base64url(serde_json_bytes(&claims(AUDIENCE, ISSUER)).as_slice());
    assert!(verifier.verify(&format!("{header}.{body}.")).is_err());
    let signer = signer();
    let verifier = signer.verifier(TTL).unwrap();
    let good = Header::new(Algorithm::EdDSA);
    let key = EncodingKey::from_ed_pem(Signer::generate_pem().unwrap().as_bytes()).unwrap();
    let wrong_audience = jsonwebtoken::encode(&good, &claims("someone-else", ISSUER), &key).unwrap();
    assert!(verifier.verify(&wrong_audience).is_err());
}

fn serde_json_bytes(claims: &Claims) -> Vec<u8> {
    format!(
        r#"{{"sub":"{}","tid":"{}","role":"student","iss":"{}","aud":"{}","exp":{},"iat":{},"jti":"j"}}"#,
        claims.sub, claims.tid, claims.iss, claims.aud, claims.exp, claims.iat
    )
    .into_bytes()
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn keys_are_created_once_and_kept_private() {
    let dir = std::env::temp_dir().join(format!("smartville-auth-{}", std::process::id()));
    let path = dir.join("keys/signing.pem");
    let first = Signer::load_or_create(&path).unwrap();
    let again = Signer::load_or_create(&path).unwrap();
    assert_eq!(first.public_pem(), again.public_pem());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let token = first.issue(STUDENT, now_s(), 60).unwrap();
    assert!(again.verifier(TTL).unwrap().verify(&token).is_ok());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refresh_tokens_compose_parse_and_match() {
    let minted = refresh::mint().unwrap();
    let token = refresh::compose("tenant", "token-id", &minted.secret);
    let (tenant, id, secret) = refresh::parse(&token).unwrap();
    assert_eq!((tenant, id), ("tenant", "token-id"));
    assert!(refresh::matches(secret, &minted.secret_hash));
    assert!(!refresh::matches("guess", &minted.secret_hash));
    assert!(refresh::parse("no-dots").is_none() && refresh::parse("a..c").is_none());
}

#[test]
fn tokens_with_times_we_never_issue_are_refused() {
    let pem = Signer::generate_pem().unwrap();
    let verifier = Signer::from_private_pem(&pem).unwrap().verifier(TTL).unwrap();
    let key = EncodingKey::from_ed_pem(pem.as_bytes()).unwrap();
    let sign = |claims: &Claims| jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &key).unwrap();
    let fine = claims(AUDIENCE, ISSUER);
    assert!(verifier.verify(&sign(&fine)).is_ok(), "the baseline is accepted");
    let year_3000 = 32_503_680_000;
    let forever = Claims { exp: year_3000, ..fine.clone() };
    assert!(verifier.verify(&sign(&forever)).is_err(), "exp in the year 3000");
    let future_iat = Claims { iat: now_s() + 3_600, exp: now_s() + 3_600 + 60, ..fine.clone() };
    assert!(verifier.verify(&sign(&future_iat)).is_err(), "issued in an hour");
    let not_yet = Claims { nbf: Some(now_s() + 3_600), ..fine.clone() };
    assert!(verifier.verify(&sign(&not_yet)).is_err(), "not valid before an hour from now");
    let a_bit_long = Claims { exp: fine.iat + TTL.as_secs() + 1, ..fine.clone() };
    assert!(verifier.verify(&sign(&a_bit_long)).is_err(), "a second longer than the configured lifetime");
    let within = Claims { nbf: Some(now_s()), exp: fine.iat + TTL.as_secs(), ..fine };
    assert!(verifier.verify(&sign(&within)).is_ok(), "exactly the configured lifetime");
}
