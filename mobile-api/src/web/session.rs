//! Signing in on the pages, with the API's own tokens (DESIGN §11).
//!
//! A page's visitor signs in as the API's clients do (a staff login, or a
//! student joining a class) and gets the same access and refresh tokens, kept
//! in two cookies the page's scripts cannot read (`HttpOnly`) and that no
//! other site's page sends along (`SameSite=Strict`). Before a signed-in page
//! runs, [`from_cookies`] turns the access cookie into the request's
//! `Authorization: Bearer` header, renewing it on the server with the refresh
//! cookie once it has expired, so every page uses the API's extractors and
//! their permission checks unchanged. The `/v1` routes never read these
//! cookies: a site that gets a browser to call them sends no token.
//!
//! A renewal rotates the refresh token as the API's does: two pages asked for
//! in the same instant after the access token expired both present the same
//! refresh token, and the second one ends the session (reuse detection, see
//! `crate::auth`). It signs the visitor out, never in as someone else.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use smartville_auth::refresh;
use smartville_store::sessions::{self, Holder};
use smartville_store::{StoreError, staff};

use super::i18n::Lang;
use crate::admin::access::Staff;
use crate::auth::{Participant, invalid_refresh_token, participant_session, rotate};
use crate::problem::Problem;
use crate::{ApiState, admin, input};

/// The cookie holding the access token.
pub const ACCESS_COOKIE: &str = "sv_access";
/// The cookie holding the refresh token.
pub const REFRESH_COOKIE: &str = "sv_refresh";

/// The value of the cookie `name` the request carries.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

/// Middleware of the signed-in pages: see the module's documentation. A form
/// sent from another site's page is refused before anything else.
pub async fn from_cookies(State(state): State<ApiState>, mut request: Request, next: Next) -> Response {
    let lang = Lang::of_request(request.uri().query(), request.headers());
    if !matches!(*request.method(), Method::GET | Method::HEAD) && !same_origin(request.headers()) {
        return super::message(lang, StatusCode::FORBIDDEN, "not-allowed-title", "other-site-text");
    }
    let headers = request.headers_mut();
    headers.remove(header::AUTHORIZATION);
    let access = cookie(headers, ACCESS_COOKIE).filter(|token| state.verifier.verify(token).is_ok());
    let (bearer, renewed) = match (access, cookie(headers, REFRESH_COOKIE)) {
        (Some(access), _) => (Some(access.to_owned()), None),
        (None, Some(refresh)) => match renew(&state, refresh).await {
            Ok(tokens) => (Some(tokens.0.clone()), Some(Some(tokens))),
            Err(problem) if problem.status == StatusCode::UNAUTHORIZED.as_u16() => (None, Some(None)),
            Err(problem) => return super::failed(lang, problem),
        },
        (None, None) => (None, None),
    };
    if let Some(value) = bearer.and_then(|token| HeaderValue::from_str(&format!("Bearer {token}")).ok()) {
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    let mut response = next.run(request).await;
    let signs_in_or_out = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|value| value.as_bytes().starts_with(ACCESS_COOKIE.as_bytes()));
    match renewed {
        _ if signs_in_or_out => {}
        Some(Some((access, refresh))) => keep(&mut response, &state, &access, &refresh),
        Some(None) => forget(&mut response),
        None => {}
    }
    response
}

/// Whether a request that changes something comes from the engine's own
/// pages: its `Origin` (sent by browsers with every form) names this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // not a browser's cross-site request: browsers send Origin with every POST
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    host.is_some() && origin_host == host
}

/// New tokens for a refresh token, whoever holds it.
async fn renew(state: &ApiState, refresh_token: &str) -> Result<(String, String), Problem> {
    let (tenant_id, stored, mut tx) = rotate(state, refresh_token).await?;
    let family = Some(stored.family_id.as_str());
    let tokens = match stored.holder {
        Holder::Participant(participant_id) => {
            let session = participant_session(state, &mut tx, &tenant_id, participant_id, family).await?;
            (session.access_token, session.refresh_token)
        }
        Holder::Staff(staff_id) => {
            let member =
                staff::member(&state.engine.store, &tenant_id, &staff_id).await?.ok_or_else(invalid_refresh_token)?;
            let session = admin::auth::staff_session(state, &mut tx, member, family).await?;
            (session.access_token, session.refresh_token)
        }
    };
    tx.commit().await.map_err(StoreError::from)?;
    Ok(tokens)
}

/// Puts a new session's tokens in the browser's cookies.
pub fn keep(response: &mut Response, state: &ApiState, access_token: &str, refresh_token: &str) {
    let settings = &state.settings;
    set_cookie(response, ACCESS_COOKIE, access_token, settings.access_token_ttl.as_secs());
    set_cookie(response, REFRESH_COOKIE, refresh_token, settings.refresh_token_ttl.as_secs());
}

/// Takes the session's cookies out of the browser.
fn forget(response: &mut Response) {
    set_cookie(response, ACCESS_COOKIE, "", 0);
    set_cookie(response, REFRESH_COOKIE, "", 0);
}

fn set_cookie(response: &mut Response, name: &str, value: &str, max_age_seconds: u64) {
    let cookie = format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// `POST /logout`: ends the session (its refresh token and every one rotated
/// from the same sign-in) and goes to where the visitor signs in again: a
/// student to joining, staff to the staff's sign-in.
pub async fn sign_out(State(state): State<ApiState>, headers: HeaderMap) -> Response {
    let ended = match cookie(&headers, REFRESH_COOKIE) {
        Some(token) => end_family(&state, token).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "a session could not be ended at sign-out");
            None
        }),
        None => None,
    };
    let again = match ended {
        Some(Holder::Participant(_)) => Participant::SIGN_IN,
        _ => <Staff<()> as SignsInAt>::SIGN_IN,
    };
    let mut response = Redirect::to(again).into_response();
    forget(&mut response);
    response
}

/// Revokes the family of a refresh token that reads and matches; whose it was.
/// A token that does not is no session to end (the cookies go all the same).
async fn end_family(state: &ApiState, token: &str) -> Result<Option<Holder>, StoreError> {
    let Some((tenant_id, token_id, secret)) = refresh::parse(token) else { return Ok(None) };
    let (Some(tenant_id), Some(token_id)) = (input::public_id(tenant_id), input::public_id::<&str>(token_id)) else {
        return Ok(None);
    };
    let store = &state.engine.store;
    match sessions::refresh_token(store, &tenant_id, token_id).await? {
        Some(stored) if refresh::matches(secret, &stored.secret_hash) => {
            sessions::revoke_refresh_family(store, &tenant_id, &stored.family_id).await?;
            Ok(Some(stored.holder))
        }
        _ => Ok(None),
    }
}

/// The visitor of a signed-in page, as the API's extractor `T` (a
/// [`Staff`] member with a permission, a [`Participant`]) takes them from the
/// session. One who is not (or no longer) signed in goes to the sign-in page
/// of `T`; one signed in without the right gets a page that says so.
pub struct SignedIn<T>(pub T);

/// Where a kind of visitor signs in.
pub trait SignsInAt {
    /// The sign-in page's address.
    const SIGN_IN: &'static str;
}

impl<P> SignsInAt for Staff<P> {
    const SIGN_IN: &'static str = "/login";
}

impl SignsInAt for Participant {
    const SIGN_IN: &'static str = "/app/join";
}

impl<T> FromRequestParts<ApiState> for SignedIn<T>
where
    T: FromRequestParts<ApiState, Rejection = Problem> + SignsInAt,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Response> {
        let lang = Lang::of_request(parts.uri.query(), &parts.headers);
        T::from_request_parts(parts, state).await.map(Self).map_err(|problem| {
            match StatusCode::from_u16(problem.status) {
                Ok(StatusCode::UNAUTHORIZED) => Redirect::to(T::SIGN_IN).into_response(),
                Ok(StatusCode::FORBIDDEN) => {
                    super::message(lang, StatusCode::FORBIDDEN, "not-allowed-title", "not-allowed-text")
                }
                _ => super::failed(lang, problem),
            }
        })
    }
}

/// A form sent by a page (`application/x-www-form-urlencoded`); one that
/// does not read gets a page in the visitor's language, not a bare 4xx.
pub struct PageForm<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let lang = Lang::of_request(request.uri().query(), request.headers());
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(form)) => Ok(Self(form)),
            Err(_) => Err(super::message(lang, StatusCode::BAD_REQUEST, "bad-form-title", "bad-form-text")),
        }
    }
}
