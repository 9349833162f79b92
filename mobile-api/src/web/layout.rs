//! The frame every page shares: language, title, the skip link, the
//! language switch and the style sheet. Pages give their title and body.

use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::i18n::Lang;

/// A whole page in `lang`, titled `title`, around `body` (the page's `<main>`).
pub fn page(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Smartville" }
                link rel="stylesheet" href=(assets::path("web.css"));
            }
            body {
                a.skip href="#main" { (lang.t("skip-to-content")) }
                header.site {
                    span.brand { "Smartville" }
                    nav aria-label=(lang.t("language-switch")) {
                        ul.languages {
                            @for other in Lang::ALL {
                                li {
                                    @if other == lang {
                                        span aria-current="true" lang=(other.tag()) { (other.t("language-name")) }
                                    } @else {
                                        a href={ "?lang=" (other.tag()) } hreflang=(other.tag()) lang=(other.tag()) {
                                            (other.t("language-name"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}
