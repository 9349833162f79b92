//! The pages' languages: Dutch (nl-BE) first, English second (DESIGN §11).
//!
//! Every text of a page comes from one Fluent catalogue per language
//! (`web/i18n/*.ftl`, Mozilla's Project Fluent: plurals and variables
//! written by translators, not in code). A request's language is the one it
//! asks for with `?lang=`, else the one it chose before (a cookie), else the
//! first of `Accept-Language` the pages speak, else Dutch. Numbers and dates
//! are written the way each language writes them: two locales' separators
//! and month names are a few lines here, where a general library (ICU4X)
//! would bring the data of every locale.

use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Dutch as written in Flanders: the default.
    Nl,
    /// English.
    En,
}

/// The cookie that keeps a visitor's choice of language.
pub const COOKIE: &str = "lang";

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    /// The BCP 47 tag, as in `<html lang>` and `?lang=`.
    pub const fn tag(self) -> &'static str {
        match self {
            Self::Nl => "nl-BE",
            Self::En => "en",
        }
    }

    /// The language a tag names (`nl`, `nl-BE`, `en-GB` …), if the pages speak it.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("nl") {
            Some(Self::Nl)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// The language a query string asks for with `lang=`.
    pub fn asked_in(query: Option<&str>) -> Option<Self> {
        query?.split('&').find_map(|pair| pair.strip_prefix("lang=")).and_then(Self::from_tag)
    }

    /// The language a request asks for: `?lang=`, the cookie, `Accept-Language`, else Dutch.
    pub fn of_request(query: Option<&str>, headers: &HeaderMap) -> Self {
        let chosen = || {
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(';'))
                .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('=').and_then(Self::from_tag))
        };
        Self::asked_in(query).or_else(chosen).or_else(|| accepted(headers)).unwrap_or(Self::Nl)
    }

    /// The catalogue's text for `key`, with `args` filled in. A key missing
    /// from the catalogue shows as itself (the catalogue test keeps both
    /// languages complete).
    pub fn text(self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let bundle = &CATALOGUES[self as usize];
        let Some(pattern) = bundle.get_message(key).and_then(|message| message.value()) else {
            tracing::warn!(key, lang = self.tag(), "no text in the catalogue");
            return key.to_owned();
        };
        let args: Option<FluentArgs> = (!args.is_empty()).then(|| args.iter().cloned().collect());
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args.as_ref(), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, lang = self.tag(), ?errors, "a text of the catalogue did not format");
        }
        text.into_owned()
    }

    /// Whether the catalogue has a text for `key`.
    pub fn has(self, key: &str) -> bool {
        CATALOGUES[self as usize].has_message(key)
    }

    /// `key`'s text without arguments.
    pub fn t(self, key: &str) -> String {
        self.text(key, &[])
    }

    /// A whole number with the language's thousands separator: `12.345` or `12,345`.
    pub fn number(self, value: i64) -> String {
        let separator = match self {
            Self::Nl => '.',
            Self::En => ',',
        };
        let digits = value.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if value < 0 {
            grouped.push('-');
        }
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                grouped.push(separator);
            }
            grouped.push(digit);
        }
        grouped
    }

    /// A number with `digits` decimals and the language's separators: `1.234,5` or `1,234.5`.
    pub fn decimal(self, value: f64, digits: usize) -> String {
        let written = format!("{:.digits$}", value.abs());
        let (whole, fraction) = written.split_once('.').unwrap_or((&written, ""));
        let sign = if value < 0.0 && written.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
        let whole = self.number(whole.parse().unwrap_or(0));
        let comma = match self {
            Self::Nl => ",",
            Self::En => ".",
        };
        if fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}{comma}{fraction}") }
    }

    /// An amount of euro cents: `€ 1.234,50` or `€1,234.50`.
    pub fn money(self, cents: i64) -> String {
        #[allow(clippy::cast_precision_loss)] // cents of a town's vouchers, far below 2^52
        let euro = self.decimal(cents as f64 / 100.0, 2);
        match self {
            Self::Nl => format!("€ {euro}"),
            Self::En => format!("€{euro}"),
        }
    }

    /// A moment on the town's clock: `4 december 2026 08:15`.
    pub fn moment(self, at: chrono::DateTime<chrono::Utc>) -> String {
        let local = at.with_timezone(&super::TOWN_TIME_ZONE);
        format!("{} {}", self.date(local.date_naive()), local.format("%H:%M"))
    }

    /// A date as the language writes it in running text: `4 december 2026`, `4 December 2026`.
    pub fn date(self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        const NL: [&str; 12] = [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ];
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let months = match self {
            Self::Nl => NL,
            Self::En => EN,
        };
        format!("{} {} {}", date.day(), months[date.month0() as usize], date.year())
    }
}

/// The catalogue's key for the stable name `name` (a code, a role, a field)
/// under `prefix`: `key("reason", "TOO_FAST")` is `reason-too-fast`.
pub fn key(prefix: &str, name: &str) -> String {
    format!("{prefix}-{}", name.to_lowercase().replace('_', "-"))
}

/// The first language of `Accept-Language`, by quality, that the pages speak.
fn accepted(headers: &HeaderMap) -> Option<Lang> {
    let header = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut ranked: Vec<(f32, Lang)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let lang = Lang::from_tag(parts.next()?)?;
            let quality = parts
                .find_map(|param| param.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (quality > 0.0).then_some((quality, lang))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0)); // stable: equal qualities keep the header's order
    ranked.first().map(|(_, lang)| *lang)
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of_request(parts.uri.query(), &parts.headers))
    }
}

type Catalogue = FluentBundle<FluentResource>;

/// Both catalogues, read once, in the order of [`Lang`].
static CATALOGUES: LazyLock<[Catalogue; 2]> = LazyLock::new(|| {
    [
        catalogue(Lang::Nl, include_str!("../../web/i18n/nl-BE.ftl")),
        catalogue(Lang::En, include_str!("../../web/i18n/en.ftl")),
    ]
});

#[allow(clippy::expect_used)] // the catalogues are part of the binary; the tests read both
fn catalogue(lang: Lang, source: &str) -> Catalogue {
    let resource = FluentResource::try_new(source.to_owned()).expect("a catalogue parses");
    let mut bundle = FluentBundle::new_concurrent(vec![lang.tag().parse().expect("a language tag")]);
    // Fluent wraps variables in Unicode isolation marks for right-to-left
    // scripts; both languages here are left-to-right and the marks would end
    // up in attributes and copied text.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).expect("no text is defined twice in a catalogue");
    bundle
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<String> {
        let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(_, errors)| panic!("{errors:?}"));
        let mut keys: Vec<String> = resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                _ => None,
            })
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn every_reason_of_a_decision_has_plain_words_in_both_languages() {
        for lang in Lang::ALL {
            for code in smartville_scoring::ReasonCode::ALL {
                let key = key("reason", code.as_str());
                assert!(lang.has(&key), "{} has no {key}", lang.tag());
            }
        }
    }

    #[test]
    fn both_catalogues_hold_the_same_texts() {
        let dutch = keys(include_str!("../../web/i18n/nl-BE.ftl"));
        let english = keys(include_str!("../../web/i18n/en.ftl"));
        let only_dutch: Vec<_> = dutch.iter().filter(|key| !english.contains(key)).collect();
        let only_english: Vec<_> = english.iter().filter(|key| !dutch.contains(key)).collect();
        assert!(
            only_dutch.is_empty() && only_english.is_empty(),
            "only in Dutch: {only_dutch:?}; only in English: {only_english:?}"
        );
        for lang in Lang::ALL {
            for key in &dutch {
                assert_ne!(lang.t(key), *key, "{key} does not format in {}", lang.tag());
            }
        }
    }

    #[test]
    fn the_language_asked_for_wins_then_the_choice_then_the_browser() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::of_request(None, &headers), Lang::Nl);
        headers.insert(header::ACCEPT_LANGUAGE, "fr-BE, en-GB;q=0.8, nl;q=0.5".parse().unwrap());
        assert_eq!(Lang::of_request(None, &headers), Lang::En);
        headers.insert(header::ACCEPT_LANGUAGE, "en;q=0.3, nl-BE".parse().unwrap());
        assert_eq!(Lang::of_request(None, &headers), Lang::Nl);
        headers.insert(header::COOKIE, "session=x; lang=en".parse().unwrap());
        assert_eq!(Lang::of_request(None, &headers), Lang::En);
        assert_eq!(Lang::of_request(Some("a=1&lang=nl-BE"), &headers), Lang::Nl);
        assert_eq!(Lang::of_request(Some("lang=fr"), &headers), Lang::En);
    }

    #[test]
    fn numbers_and_dates_are_written_the_languages_way() {
        assert_eq!(Lang::Nl.number(1_234_567), "1.234.567");
        assert_eq!(Lang::En.number(-12_345), "-12,345");
        assert_eq!(Lang::En.number(999), "999");
        assert_eq!(Lang::Nl.decimal(1234.56, 1), "1.234,6");
        assert_eq!(Lang::En.decimal(1234.56, 1), "1,234.6");
        assert_eq!(Lang::Nl.decimal(-0.04, 1), "0,0");
        assert_eq!(Lang::En.decimal(-2.4, 0), "-2");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(Lang::Nl.date(day), "4 december 2026");
        assert_eq!(Lang::En.date(day), "4 December 2026");
    }
}
