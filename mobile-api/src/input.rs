//! Text from clients, checked before it reaches a database.
//!
//! PostgreSQL refuses a NUL character in text with an error (a 500 if it got
//! that far) while SQLite stores it, and control and invisible characters in
//! names let one child impersonate another on a class list. Every text field
//! of a request passes through one of these checks, so both backends see the
//! same clean input and a client gets the same 4xx from either.

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::problem::Problem;

/// Most user-perceived characters in a nickname.
pub const NICKNAME_GRAPHEMES: usize = 40;

/// A short token-like text (a join code, a name): without control
/// characters anywhere (a tab or a newline at the end included, as the
/// OpenAPI patterns say), then trimmed of spaces to 1 to `max_chars`
/// characters. `code` names the problem for the client.
pub fn plain_text<'a>(value: &'a str, max_chars: usize, code: &str, field: &str) -> Result<&'a str, Problem> {
    let has_control = value.chars().any(char::is_control);
    let value = value.trim();
    if has_control || value.is_empty() || value.chars().count() > max_chars {
        return Err(Problem::bad_request(
            code,
            format!("{field} must be 1 to {max_chars} characters without control characters"),
        ));
    }
    Ok(value)
}

/// A public id of the type `Id` (a UUID, as the engine hands out), or `None` for anything else.
pub fn public_id<'a, Id: From<&'a str>>(value: &'a str) -> Option<Id> {
    uuid::Uuid::try_parse(value).is_ok().then(|| Id::from(value))
}

/// An e-mail address, as a login, lower-cased: at most 254 characters, one
/// `@` between a non-empty local part and a domain of dot-separated
/// non-empty labels (at least two), no spaces or control characters (the
/// `pattern` of `InviteRequest.email` in the OpenAPI document says the same;
/// the contract test holds the two together). Whether it receives mail is
/// not checked here.
pub fn email(value: &str) -> Result<String, Problem> {
    let email = value.to_lowercase();
    let well_formed = email.chars().count() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && !domain.split('.').any(str::is_empty)
        });
    if well_formed {
        Ok(email)
    } else {
        Err(Problem::bad_request("INVALID_EMAIL", "email must be an e-mail address such as name@council.be"))
    }
}

/// A nickname as shown to teachers: NFC-normalised, at most
/// [`NICKNAME_GRAPHEMES`] graphemes, without control characters, bidi
/// overrides or invisible characters (with which "ann" and "ann\u{200B}", or a
/// name written backwards, would look alike). Empty means none.
pub fn nickname(value: &str) -> Result<Option<String>, Problem> {
    let refused = |reason: &str| {
        Problem::bad_request(
            "INVALID_NICKNAME",
            format!("nickname must be at most {NICKNAME_GRAPHEMES} visible characters; {reason}"),
        )
    };
    // Anywhere, a trailing tab or newline included, as the OpenAPI pattern says.
    if let Some(bad) = value.chars().find(|&c| c.is_control() || is_invisible_or_bidi(c)) {
        return Err(refused(&format!("U+{:04X} is not allowed", u32::from(bad))));
    }
    let normalized: String = value.trim().nfc().collect();
    if normalized.is_empty() {
        return Ok(None);
    }
    if normalized.graphemes(true).count() > NICKNAME_GRAPHEMES {
        return Err(refused("this one is longer"));
    }
    Ok(Some(normalized))
}

/// Format characters that change how text around them looks without being
/// seen: bidi embeddings, overrides, isolates and marks, zero-width spaces and
/// joiners, the word joiner and invisible operators, and the byte-order mark.
fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The `Idempotency-Key` header of a request that creates something (one
/// `thing`, named in the message when it is missing): visible text, at most
/// 200 characters.
pub fn idempotency_key<'a>(headers: &'a axum::http::HeaderMap, thing: &str) -> Result<&'a str, Problem> {
    match headers.get("idempotency-key").map(|v| v.to_str()) {
        Some(Ok(key)) => plain_text(key, 200, "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key"),
        Some(Err(_)) => Err(Problem::bad_request("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be visible ASCII")),
        None => Err(Problem::bad_request(
            "MISSING_IDEMPOTENCY_KEY",
            format!("send an Idempotency-Key header, unique per {thing}"),
        )),
    }
}

/// The media type of a request's body (`Content-Type` without its
/// parameters, lower-cased; empty when there is none).
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Whether a request asks for CSV (`Accept: text/csv`) rather than the default JSON.
pub fn accepts_csv(headers: &axum::http::HeaderMap) -> bool {
    headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/csv"))
}

/// A JSON request body that must be an object: serde also reads a struct
/// from an array of its fields in order (`[null, null]`), which no client
/// means and the OpenAPI document does not allow. Errors are the same
/// problems as for `Json` bodies.
pub struct JsonObject<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonObject<T> {
    type Rejection = Problem;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(request, state).await?;
        if !value.is_object() {
            return Err(Problem::bad_request("MALFORMED_JSON", "the body must be a JSON object"));
        }
        serde_json::from_value(value).map(Self).map_err(|e| Problem::bad_request("MALFORMED_JSON", e.to_string()))
    }
}

/// Reads an optional whole number written either way JSON allows (`3` or
/// `3.0`: JSON Schema's `integer` admits both), up to 2^53 so that none is
/// rounded.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let value: Option<f64> = Option::deserialize(deserializer)?;
    value
        .map(|v| {
            if v.fract() == 0.0 && v.abs() <= EXACT {
                #[allow(clippy::cast_possible_truncation, reason = "whole and within 2^53: exact")]
                Ok(v as i64)
            } else {
                Err(serde::de::Error::custom("must be a whole number"))
            }
        })
        .transpose()
}

/// A page request: the cursor (the id a previous page ended with, as
/// `next_cursor`) and the page size, 1 to 100 (`default` when absent);
/// 400 `INVALID_QUERY` otherwise.
pub fn page<Id: for<'a> From<&'a str>>(
    cursor: Option<&str>,
    limit: Option<i64>,
    default: i64,
) -> Result<(Option<Id>, i64), Problem> {
    let limit = limit.unwrap_or(default);
    if !(1..=100).contains(&limit) {
        return Err(Problem::bad_request("INVALID_QUERY", "limit must be between 1 and 100"));
    }
    let cursor = cursor
        .map(|cursor| {
            public_id(cursor)
                .ok_or_else(|| Problem::bad_request("INVALID_QUERY", "cursor must be a next_cursor from a page"))
        })
        .transpose()?;
    Ok((cursor, limit))
}

/// As [`whole_number`], for a field that must be there.
pub fn required_whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    whole_number(deserializer)?.ok_or_else(|| serde::de::Error::custom("must be a whole number"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_in_plain_text() {
        assert_eq!(plain_text(" GEEL-5A ", 64, "X", "code").ok(), Some("GEEL-5A"));
        for bad in ["GEEL\0-5A", "a\u{7}b", "a\u{85}b", "", "   ", "GEEL-5A\t", "\nGEEL-5A"] {
            assert!(plain_text(bad, 64, "X", "code").is_err(), "{bad:?}");
        }
        assert!(plain_text(&"a".repeat(65), 64, "X", "code").is_err());
    }

    #[test]
    fn only_uuids_are_public_ids() {
        assert!(public_id::<&str>("0192f0c1-7a4e-7cc3-8e4f-2b9f0a6c1d2e").is_some());
        for bad in ["", "1", "0192f0c1-7a4e-7cc3-8e4f-2b9f0a6c1d2e\0", "../etc"] {
            assert!(public_id::<&str>(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn nicknames_are_normalised_and_visible() {
        // "é" as e + combining acute becomes the single code point.
        assert_eq!(nickname(" Re\u{301}mi ").unwrap().as_deref(), Some("R\u{e9}mi"));
        assert_eq!(nickname("  ").unwrap(), None);
        for bad in ["ann\t", "\nann", "ann\u{200B}", "\u{202E}nna", "a\u{2066}b", "\u{FEFF}ann", "an\0n", "a\nb"] {
            assert!(nickname(bad).is_err(), "{bad:?}");
        }
        // Graphemes, not bytes or code points: 40 flags are 80 code points.
        assert!(nickname(&"🇧🇪".repeat(40)).is_ok());
        assert!(nickname(&"🇧🇪".repeat(41)).is_err());
        assert!(nickname(&"é".repeat(40)).is_ok());
    }
}
