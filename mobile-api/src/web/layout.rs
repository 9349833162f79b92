//! The frame every page shares: language, title, the skip link, the
//! language switch and the style sheet. Pages give their title and body.

use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::i18n::Lang;

/// A whole page in `lang`, titled `title`, around `body` (the page's `<main>`).
pub fn page(lang: Lang, title: &str, body: Markup) -> Markup {
    frame(lang, title, None, body)
}

/// A page for someone signed in: `links` (address, catalogue key) to the
/// other pages of their part, `current` marked as the one shown, and a
/// button that signs out.
pub fn signed_in(lang: Lang, title: &str, links: &[(&str, &str)], current: &str, body: Markup) -> Markup {
    let navigation = html! {
        nav.parts aria-label=(lang.t("navigation")) {
            ul {
                @for (href, key) in links {
                    li {
                        @if *href == current {
                            a href=(href) aria-current="page" { (lang.t(key)) }
                        } @else {
                            a href=(href) { (lang.t(key)) }
                        }
                    }
                }
                li {
                    form.sign-out method="post" action="/logout" {
                        button.link type="submit" { (lang.t("sign-out")) }
                    }
                }
            }
        }
    };
    frame(lang, title, Some(navigation), body)
}

fn frame(lang: Lang, title: &str, navigation: Option<Markup>, body: Markup) -> Markup {
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
                    @if let Some(navigation) = navigation { (navigation) }
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
