//! The frame every page shares: language, title, the skip link, the
//! language switch and the style sheet. Pages give their title and body.

use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::i18n::Lang;

/// A whole page in `lang`, titled `title`, around `body` (the page's `<main>`).
pub fn page(lang: Lang, title: &str, body: Markup) -> Markup {
    frame(lang, title, None, body)
}

/// A signed-in part of the pages (the counter, the students' app): its
/// pages' links (address, catalogue key), in the order they show, and the
/// web app manifest that lets a phone install it, if it has one.
pub struct Part<'a> {
    /// The links to its pages.
    pub links: &'a [(&'a str, &'a str)],
    /// The address of its web app manifest.
    pub manifest: Option<&'a str>,
}

/// A page of `part` for someone signed in: the part's links, `current`
/// marked as the one shown, and a button that signs out.
pub fn signed_in(lang: Lang, title: &str, part: &Part<'_>, current: &str, body: Markup) -> Markup {
    let navigation = html! {
        nav.parts aria-label=(lang.t("navigation")) {
            ul {
                @for (href, key) in part.links {
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
    frame(lang, title, Some((navigation, part.manifest)), body)
}

/// A page's `<head>`: its title, the style sheet, and the web app manifest with its script, if any.
pub fn head(title: &str, manifest: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Smartville" }
            link rel="stylesheet" href=(assets::path("web.css"));
            @if let Some(manifest) = manifest {
                link rel="manifest" href=(manifest);
                meta name="theme-color" content="#0b5cad";
                script src=(assets::path("app.js")) defer {}
            }
        }
    }
}

fn frame(lang: Lang, title: &str, signed_in: Option<(Markup, Option<&str>)>, body: Markup) -> Markup {
    let (navigation, manifest) = signed_in.unzip();
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            (head(title, manifest.flatten()))
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
