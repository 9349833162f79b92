//! The pages in a real browser (headless Chromium), as people use them:
//! what each page says, in Dutch and in English, on a 360 px phone and a
//! 1280 px desk, with no serious or critical accessibility violation
//! (axe-core, WCAG 2.1 AA) and nothing loaded from another site.
//! Screenshots of each page land in `target/tmp/screenshots/`.
//!
//! Pages that read the engine's data run on both stacks; the API reference
//! reads none and runs on the embedded one.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use common::browser::Browser;
use serde_json::Value;
use smartville_store::testing::TestDatabase;

on_both_stacks!(the_public_dashboard_shows_what_the_town_rode);

/// Most bytes a page's HTML may take on the wire, compressed (the pages' budget).
const PAGE_BUDGET_BYTES: usize = 200 * 1024;

/// Checks the page open in `browser` at both widths: it fits, axe finds
/// nothing serious, everything came from `base`; and keeps a screenshot of each.
async fn check_page(browser: &Browser, base: &str, name: &str) {
    for width in [360, 1280] {
        browser.resize(width).await;
        assert!(browser.fits_width().await, "{name} scrolls sideways at {width} px");
        let violations = browser.accessibility_violations().await;
        assert!(violations.is_empty(), "{name} at {width} px:\n{}", violations.join("\n"));
        browser.screenshot(&format!("{name}-{width}")).await;
    }
    let elsewhere: Vec<String> = browser.loaded().await.into_iter().filter(|url| !url.starts_with(base)).collect();
    assert!(elsewhere.is_empty(), "{name} loaded from other sites: {elsewhere:?}");
}

/// Checks that the page at `path` and what it loads from `/static/` are sent
/// compressed and take less than the pages' budget on the wire.
async fn within_budget(app: &TestApp, path: &str) {
    let compressed = |path: String| async move {
        let response = app.client.get(app.url(&path)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(response.headers()["content-encoding"], "gzip", "{path} is sent compressed");
        response.bytes().await.unwrap().len()
    };
    let page = app.client.get(app.url(path)).send().await.unwrap().text().await.unwrap();
    let mut total = compressed(path.to_owned()).await;
    let assets = page.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next());
    for asset in assets.filter(|href| href.starts_with("/static/")) {
        total += compressed(asset.to_owned()).await;
    }
    assert!(total < PAGE_BUDGET_BYTES, "{path} takes {total} bytes compressed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reference_is_served_by_the_engine_in_both_languages() {
    let app = TestApp::start(TestDatabase::sqlite(), false).await;
    let browser = Browser::start().await;

    // The browser speaks Dutch: the page does too, and lists every route with its method.
    browser.open(&app.url("/docs")).await;
    assert_eq!(browser.attribute("html", "lang").await.as_deref(), Some("nl-BE"));
    assert_eq!(browser.text("h1").await, "API-referentie");
    assert_eq!(browser.text("#op-submit").await, "POST /v1/trips");
    assert!(browser.text("#op-submit ~ p.auth").await.contains("toegangstoken"));
    assert_eq!(browser.text("#schema-Problem").await, "Problem");
    check_page(&browser, &app.base, "docs-nl").await;

    // The language switch turns it into English, and the choice stays for the next page.
    browser.click("a[hreflang=en]").await;
    assert_eq!(browser.attribute("html", "lang").await.as_deref(), Some("en"));
    assert_eq!(browser.text("h1").await, "API reference");
    browser.open(&app.url("/docs")).await;
    assert_eq!(browser.text("h1").await, "API reference");
    assert!(browser.text("#op-submit ~ p.auth").await.contains("access token"));
    check_page(&browser, &app.base, "docs-en").await;
    browser.stop().await;

    within_budget(&app, "/docs").await;
    app.stop().await;
}

/// A student's accepted ride shows on the town's public dashboard: one
/// participant, one ride and its kilometres, written the reader's way.
async fn the_public_dashboard_shows_what_the_town_rode(app: &TestApp) {
    let (_, token, _) = app.join().await;
    let trip: Value = app.upload_example(&token, "dashboard-ride").await.json().await.unwrap();
    assert_eq!(trip["status"], "accepted", "{trip}");
    let km = format!("{:.1}", trip["distance_m"].as_f64().unwrap() / 1000.0);
    let browser = Browser::start().await;

    browser.open(&app.url("/open/stad-geel")).await;
    assert_eq!(browser.text("h1").await, "Wat Stad Geel samen fietst");
    assert_eq!(browser.text("section.campaign dd.participants").await, "1");
    assert_eq!(browser.text("section.campaign dd.rides").await, "1");
    assert_eq!(browser.text("section.campaign dd.km").await, km.replace('.', ","));
    assert_eq!(browser.text("section.campaign tbody tr td:nth-child(4)").await, km.replace('.', ","));
    assert!(browser.text("figure:last-of-type p").await.starts_with("Nog geen straten"), "one rider shows no street");

    // Ten more children ride to school on Wednesday: the streets they share show, their ends do not.
    for seed in 101..=110 {
        let (_, token, _) = app.join().await;
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-25T07:40:00+01:00").unwrap().to_utc();
        let ride = app.upload_gpx(&token, "wednesday", common::ride_seen_in_a_vehicle(start, seed, 0.0)).await.unwrap();
        assert_eq!(ride["status"], "accepted", "{ride}");
    }
    browser.open(&app.url("/open/stad-geel")).await;
    assert_eq!(browser.text("section.campaign dd.participants").await, "11");
    let streets = browser.client.find_all(fantoccini::Locator::Css("svg.map polygon")).await.unwrap().len();
    assert!(streets >= 3, "a shared route shows as several cells, not {streets}");
    assert!(browser.text("figure:last-of-type p").await.starts_with(&format!("{streets} stukken straat")));
    let total_km = browser.text("section.campaign dd.km").await;
    check_page(&browser, &app.base, "open-nl").await;

    browser.click("a[hreflang=en]").await;
    assert_eq!(browser.text("h1").await, "What Stad Geel rides together");
    assert_eq!(browser.text("section.campaign dd.km").await, total_km.replace(',', "."), "under 1,000 km");
    check_page(&browser, &app.base, "open-en").await;

    within_budget(app, "/open/stad-geel").await;

    // A town the engine does not have: a page that says so, with its status.
    browser.open(&app.url("/open/atlantis")).await;
    assert_eq!(browser.text("h1").await, "Not found");
    browser.stop().await;
    let response = app.client.get(app.url("/open/atlantis")).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}
