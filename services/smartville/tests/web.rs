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

use common::browser::Browser;
use common::shops::{approved_offer, buy, register_shop, shop_staff};
use common::{PASSWORD, TestApp, demo_council_admin};
use serde_json::Value;
use smartville_store::testing::TestDatabase;

on_both_stacks!(
    the_public_dashboard_shows_what_the_town_rode,
    a_shop_redeems_a_voucher_at_its_counter,
    a_student_joins_adds_rides_and_buys_a_voucher_in_the_web_app,
    a_council_sets_up_a_campaign_and_decides_a_ride_in_review,
);

/// Most bytes a page's HTML may take on the wire, compressed (the pages' budget).
const PAGE_BUDGET_BYTES: usize = 200 * 1024;

/// Checks the page open in `browser` at both widths: it fits, axe finds
/// nothing serious, it and what it loaded take less than the pages' budget,
/// everything came from `base`; and keeps a screenshot of each.
async fn check_page(browser: &Browser, base: &str, name: &str) {
    for width in [360, 1280] {
        browser.resize(width).await;
        let wide = browser.wider_than_window().await;
        assert!(wide.is_empty(), "{name} scrolls sideways at {width} px because of {wide:?}");
        let violations = browser.accessibility_violations().await;
        assert!(violations.is_empty(), "{name} at {width} px:\n{}", violations.join("\n"));
        browser.screenshot(&format!("{name}-{width}")).await;
    }
    let weight = browser.weight().await;
    assert!(weight < PAGE_BUDGET_BYTES as u64, "{name} takes {weight} bytes on the wire");
    eprintln!("{name}: {weight} bytes on the wire");
    let elsewhere: Vec<String> = browser.loaded().await.into_iter().filter(|url| !url.starts_with(base)).collect();
    assert!(elsewhere.is_empty(), "{name} loaded from other sites: {elsewhere:?}");
}

/// Checks the page open in `browser` as [`check_page`] does, in its language
/// and then in the other one (reopened with `?lang=`), and leaves it open in
/// the language it had. For pages a GET shows: a form's answer is checked
/// where it stands, with `check_page`.
async fn check_both(browser: &Browser, base: &str, name: &str) {
    let shown = browser.attribute("html", "lang").await.unwrap();
    let other = if shown == "en" { "nl-BE" } else { "en" };
    let short = |tag: &str| if tag == "en" { "en" } else { "nl" };
    check_page(browser, base, &format!("{name}-{}", short(&shown))).await;
    let mut url = browser.client.current_url().await.unwrap();
    let kept: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != "lang").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    for lang in [other, shown.as_str()] {
        url.query_pairs_mut().clear().extend_pairs(&kept).append_pair("lang", lang);
        browser.open(url.as_str()).await;
        assert_eq!(browser.attribute("html", "lang").await.as_deref(), Some(lang));
        if lang == other {
            check_page(browser, base, &format!("{name}-{}", short(lang))).await;
        }
    }
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
    let streets = browser.client.find_all(fantoccini::Locator::Css("svg.map path.cell")).await.unwrap().len();
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

/// A shopkeeper signs in, types a student's voucher code at the counter and
/// sees green with what to hand over; the same code again shows red with
/// where and when it was redeemed; the day's list and the account with the
/// council show the one voucher.
async fn a_shop_redeems_a_voucher_at_its_counter(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, student, _) = app.join().await;
    let ride: Value = app.upload_example(&student, "to-school").await.json().await.unwrap();
    let trip = common::wait_settled(app, &student, ride["trip_id"].as_str().unwrap()).await;
    assert_eq!(trip["status"], "accepted", "{trip:#}");
    let shop = register_shop(app, &admin, "Bakkerij Peeters").await;
    let shop_admin = shop_staff(app, &admin, &shop, "bakker@peeters.be", "merchant_admin").await;
    shop_staff(app, &admin, &shop, "toonbank@peeters.be", "merchant_staff").await;
    let offer = approved_offer(app, &admin, &shop_admin, "Croissant", 10).await;
    let voucher: Value = buy(app, &student, &offer, "croissant").await.json().await.unwrap();
    let code = voucher["code"].as_str().unwrap();
    let other_offer = approved_offer(app, &admin, &shop_admin, "Pain au chocolat", 10).await;
    let second: Value = buy(app, &student, &other_offer, "pain").await.json().await.unwrap();
    let browser = Browser::start().await;

    // Not signed in, the counter sends the shopkeeper to sign in; a wrong password is told apart.
    browser.open(&app.url("/shop")).await;
    assert_eq!(browser.path().await, "/login");
    assert_eq!(browser.text("h1").await, "Aanmelden");
    check_both(&browser, &app.base, "login").await;
    browser.fill("#email", "toonbank@peeters.be").await;
    browser.fill("#password", "fietsen naar huis").await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.text("p.refusal").await, "Verkeerd e-mailadres of wachtwoord.");
    browser.fill("#password", PASSWORD).await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.path().await, "/shop");
    assert_eq!(browser.text("h1").await, "Toonbank");
    assert_eq!(browser.text("main > p").await, "Vandaag nog niets ingewisseld.");

    // The code as a shopkeeper types it (lower case, no dashes): green, with the offer.
    let typed = code.replace('-', "").to_lowercase();
    browser.fill("#code", &typed).await;
    browser.submit("div.code-row button").await;
    assert_eq!(browser.text("section.verdict.ok h1").await, "✓ Geldig");
    assert_eq!(browser.text("section.verdict.ok p.offer").await, "Geef mee: Croissant");
    assert_eq!(browser.text("table.redemptions tbody tr td:nth-child(2)").await, "Croissant");
    assert_eq!(browser.text("table.redemptions tbody tr td:nth-child(4)").await, "€ 1,00");
    check_page(&browser, &app.base, "shop-valid-nl").await;

    // A second try: red, saying where and when.
    browser.fill("#code", code).await;
    browser.submit("div.code-row button").await;
    assert_eq!(browser.text("section.verdict.bad h1").await, "✗ Al ingewisseld");
    assert!(
        browser
            .text("section.verdict.bad p")
            .await
            .starts_with("Deze bon werd al ingewisseld bij Bakkerij Peeters op ")
    );
    check_page(&browser, &app.base, "shop-redeemed-nl").await;
    browser.click("a[hreflang=en]").await;
    assert_eq!(browser.text("h1").await, "Counter");
    assert_eq!(browser.text("table.redemptions tbody tr td:nth-child(4)").await, "€1.00");
    browser.fill("#code", "NOPE-NOPE").await;
    browser.submit("div.code-row button").await;
    assert_eq!(browser.text("section.verdict.bad h1").await, "✗ Not valid");
    check_page(&browser, &app.base, "shop-unknown-en").await;

    // The account with the council: one voucher not settled yet.
    browser.click("nav.parts a[href='/shop/settlements']").await;
    assert_eq!(browser.text("ul.unsettled li").await, "One voucher in Geelcoins: €1.00");
    check_both(&browser, &app.base, "shop-settlements").await;

    // Signing out ends the session: back at the sign-in, and the counter asks to sign in again.
    browser.submit("form.sign-out button").await;
    assert_eq!(browser.path().await, "/login");
    browser.open(&app.url("/shop")).await;
    assert_eq!(browser.path().await, "/login");

    // The council (in English, as chosen above) approves the shop's next offer, settles what it owes
    // and marks it paid.
    let proposal = serde_json::json!({"title": "Koffiekoek", "coin": "Geelcoins", "price_points": 12, "stock": 20,
        "valid_until": "2031-01-01T00:00:00Z"});
    assert_eq!(
        app.post(Some(&shop_admin), "/v1/merchant/offers", proposal).await.status(),
        reqwest::StatusCode::CREATED
    );
    browser.fill("#email", "admin@geel.be").await;
    browser.fill("#password", PASSWORD).await;
    browser.submit("form.stacked button").await;
    browser.click("nav.parts a[href='/admin/merchants']").await;
    assert_eq!(browser.text("ul.offers li h3").await, "Koffiekoek");
    check_both(&browser, &app.base, "console-merchants").await;
    browser.submit("ul.offers li button[value=approved]").await;
    assert_eq!(browser.text("main > p").await, "No offer is waiting for approval.");
    browser.click("ul.shops a").await;
    assert_eq!(browser.text("ul.unsettled li").await, "One voucher in Geelcoins: €1.00");
    browser.submit("form[action$='/settlements'] button").await;
    assert_eq!(browser.text("table.settlements tbody td:nth-child(3)").await, "€1.00");
    browser.submit("table.settlements form button").await;
    assert!(
        browser
            .text("table.settlements tbody td:nth-child(4)")
            .await
            .starts_with(&chrono::Utc::now().format("%-d").to_string())
    );
    check_both(&browser, &app.base, "console-merchant").await;
    let download = "const done = arguments[arguments.length - 1];\
        fetch(document.querySelector('table.settlements a[download]').href).then((r) => r.text()).then(done);";
    let csv = browser.client.execute_async(download, vec![]).await.unwrap();
    assert!(csv.as_str().unwrap().contains("Croissant"), "{csv}");
    browser.stop().await;
    within_budget(app, "/login").await;

    // A second voucher shown to the counter's camera: read from its QR code and redeemed (this
    // headless Chromium has no BarcodeDetector, so the vendored decoder reads it).
    let browser = Browser::with_camera(&qr_video(second["code"].as_str().unwrap())).await;
    browser.open(&app.url("/login")).await;
    browser.fill("#email", "toonbank@peeters.be").await;
    browser.fill("#password", PASSWORD).await;
    browser.submit("form.stacked button").await;
    browser.submit("#scan").await;
    assert_eq!(browser.text("section.verdict.ok p.offer").await, "Geef mee: Pain au chocolat");
    browser.stop().await;
}

/// A video of `text` as a QR code, in the format Chromium's fake camera plays
/// (YUV4MPEG2, a few still frames); its path.
fn qr_video(text: &str) -> std::path::PathBuf {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let (modules, scale, quiet) = (code.width(), 8, 4);
    let side = (modules + 2 * quiet) * scale;
    let mut luma = vec![255_u8; side * side];
    for (index, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (x, y) = ((index % modules + quiet) * scale, (index / modules + quiet) * scale);
            for row in y..y + scale {
                luma[row * side + x..row * side + x + scale].fill(0);
            }
        }
    }
    let chroma = vec![128_u8; side * side / 2]; // two quarter-size planes, no colour
    let mut video = format!("YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..10 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend_from_slice(&chroma);
    }
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("qr-{text}.y4m"));
    std::fs::write(&path, video).unwrap();
    path
}

/// The cookies of a signed-in page, from a response's `Set-Cookie` headers: (name, value, attributes).
fn set_cookies(response: &reqwest::Response) -> Vec<(String, String, String)> {
    let headers = response.headers().get_all("set-cookie");
    headers
        .iter()
        .map(|value| {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), value.to_owned(), attributes.to_owned())
        })
        .collect()
}

/// The session lives in two cookies no script reads and no other site sends;
/// an expired access token is renewed on the server, a refresh token used
/// twice ends the session, forms from other sites are refused, the API
/// never takes the cookies, and staff without the right get a page saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_their_session_in_cookies_only_they_read() {
    let app = TestApp::start(TestDatabase::sqlite(), false).await;
    let admin = demo_council_admin(&app).await;
    let shop = register_shop(&app, &admin, "Frituur De Markt").await;
    shop_staff(&app, &admin, &shop, "frit@markt.be", "merchant_staff").await;
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let sign_in = |email: &'static str| {
        let (client, url) = (no_redirects.clone(), app.url("/login"));
        async move { client.post(url).form(&[("email", email), ("password", PASSWORD)]).send().await.unwrap() }
    };
    let get = |path: &str, cookies: String| no_redirects.get(app.url(path)).header("cookie", cookies).send();

    let signed_in = sign_in("frit@markt.be").await;
    assert_eq!(signed_in.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/shop");
    let cookies = set_cookies(&signed_in);
    assert_eq!(cookies.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["sv_access", "sv_refresh"]);
    assert!(cookies.iter().all(|c| c.2.contains("HttpOnly") && c.2.contains("SameSite=Strict")), "{cookies:?}");
    let (access, refresh) = (cookies[0].1.clone(), cookies[1].1.clone());

    // The access cookie opens the counter; the API does not take it.
    let counter = get("/shop", format!("sv_access={access}")).await.unwrap();
    assert_eq!(counter.status(), reqwest::StatusCode::OK);
    let api = get("/v1/merchant/redemptions", format!("sv_access={access}; sv_refresh={refresh}")).await.unwrap();
    assert_eq!(api.status(), reqwest::StatusCode::UNAUTHORIZED);

    // With the access cookie gone (expired), the refresh cookie renews both.
    let renewed = get("/shop", format!("sv_refresh={refresh}")).await.unwrap();
    assert_eq!(renewed.status(), reqwest::StatusCode::OK);
    let cookies = set_cookies(&renewed);
    assert_eq!(cookies.len(), 2, "both cookies renewed");
    assert!(cookies.iter().all(|c| !c.1.is_empty() && c.1 != refresh));
    let new_refresh = cookies[1].1.clone();

    // The old refresh token again: someone else holds a copy, so the session ends for both.
    let reused = get("/shop", format!("sv_refresh={refresh}")).await.unwrap();
    assert_eq!(reused.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(reused.headers()["location"], "/login");
    assert!(set_cookies(&reused).iter().all(|c| c.1.is_empty() && c.2.contains("Max-Age=0")));
    let ended = get("/shop", format!("sv_refresh={new_refresh}")).await.unwrap();
    assert_eq!(ended.headers()["location"], "/login", "the renewed session ended with it");

    // A form sent from another site's page is refused before it does anything.
    let fresh = set_cookies(&sign_in("frit@markt.be").await);
    let forged = no_redirects
        .post(app.url("/shop"))
        .header("cookie", format!("sv_access={}", fresh[0].1))
        .header("origin", "https://evil.example")
        .form(&[("code", "AAAA-BBBB")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), reqwest::StatusCode::FORBIDDEN);

    // The council's admin is no shop's staff: the counter says so, in a page.
    let council = set_cookies(&sign_in("admin@geel.be").await);
    let refused = get("/shop", format!("sv_access={}", council[0].1)).await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("<h1>Geen toegang</h1>"));

    // A student's session opens no staff page, and staff's no student page.
    let (_, student, _) = app.join().await;
    for path in ["/admin", "/shop", "/admin/schools"] {
        let page = get(path, format!("sv_access={student}")).await.unwrap();
        assert_eq!(page.status(), reqwest::StatusCode::FORBIDDEN, "{path}");
    }
    let staff_on_app = get("/app", format!("sv_access={}", council[0].1)).await.unwrap();
    assert_eq!(staff_on_app.status(), reqwest::StatusCode::FORBIDDEN);

    // Another council's admin finds none of this council's campaigns or shops behind their addresses.
    let (_, setup) = common::new_council(&app, "Stad Mol", "schepen@mol.be").await;
    app.set_up(&setup).await;
    let other = set_cookies(&sign_in("schepen@mol.be").await);
    let (_, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    let campaign = campaigns[0]["id"].as_str().unwrap();
    for path in [
        format!("/admin/campaigns/{campaign}"),
        format!("/admin/campaigns/{campaign}/report"),
        format!("/admin/merchants/{shop}"),
    ] {
        let page = get(&path, format!("sv_access={}", other[0].1)).await.unwrap();
        assert_eq!(page.status(), reqwest::StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

/// Positions of a simulated bike ride to school, as the browser's
/// Geolocation API hands them to a page: `{timestamp, coords}`.
fn positions_of_a_ride(start: &str, seed: u64) -> Value {
    use smartville_simulator::{Profile, Simulator, demo};
    let start = chrono::DateTime::parse_from_rfc3339(start).unwrap().to_utc();
    let ride = Simulator::new(seed).ride(&demo::home_to_school(), start, &Profile::bike());
    let positions: Vec<Value> = ride
        .fixes
        .iter()
        .map(|fix| {
            serde_json::json!({"timestamp": fix.t_ms.unwrap(),
                "coords": {"latitude": fix.lat, "longitude": fix.lon, "accuracy": 8.0, "speed": null}})
        })
        .collect();
    Value::Array(positions)
}

/// A student joins their class in the browser, adds a ride from a GPX file
/// and records another with the browser's location (played back), sees
/// each accepted with its points, buys a voucher and finds its code and QR
/// code; a wrong class code is told in plain words.
async fn a_student_joins_adds_rides_and_buys_a_voucher_in_the_web_app(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let shop = register_shop(app, &admin, "IJssalon Gelato").await;
    let shop_admin = shop_staff(app, &admin, &shop, "ijs@gelato.be", "merchant_admin").await;
    approved_offer(app, &admin, &shop_admin, "Ijsje", 5).await;
    let browser = Browser::start().await;

    // Not signed in, the app asks to join; a mistyped code is explained.
    browser.open(&app.url("/app")).await;
    assert_eq!(browser.path().await, "/app/join");
    assert_eq!(browser.text("h1").await, "Sluit je aan bij je klas");
    check_both(&browser, &app.base, "app-join").await;
    browser.fill("#join_code", "GEEL-9Z").await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.text("p.refusal").await, "Geen enkele klas heeft deze code. Kijk hem na met je leerkracht.");
    browser.fill("#join_code", "GEEL-5A").await;
    browser.fill("#nickname", "Fietsfan").await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.path().await, "/app");
    assert_eq!(browser.text("h1").await, "Mijn ritten");
    // The app can be installed: a manifest, and a service worker that looks after its pages.
    let manifest_path = browser.attribute("link[rel=manifest]", "href").await.unwrap();
    let manifest: Value = app.client.get(app.url(&manifest_path)).send().await.unwrap().json().await.unwrap();
    assert_eq!((manifest["start_url"].as_str(), manifest["display"].as_str()), (Some("/app"), Some("standalone")));
    let worker =
        "const done = arguments[arguments.length - 1]; navigator.serviceWorker.ready.then((r) => done(r.scope));";
    let scope = browser.client.execute_async(worker, vec![]).await.unwrap();
    assert_eq!(scope.as_str(), Some(app.url("/app").as_str()), "the service worker looks after the app");
    assert!(browser.text("main > p").await.starts_with("Nog geen ritten"));

    // A ride from a GPX file: accepted, with its points and kilometres.
    browser.click("nav.parts a[href='/app/upload']").await;
    check_both(&browser, &app.base, "app-upload").await;
    let gpx = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ride.gpx").canonicalize().unwrap();
    browser
        .client
        .find(fantoccini::Locator::Css("#gpx"))
        .await
        .unwrap()
        .send_keys(gpx.to_str().unwrap())
        .await
        .unwrap();
    browser.submit("form.stacked button").await;
    assert!(browser.path().await.starts_with("/app/trips/"));
    let decided = browser.text("h1").await;
    assert!(decided.starts_with("Je rit telt: ") && decided.ends_with(" punten"), "{decided}");
    check_both(&browser, &app.base, "app-trip").await;

    // A ride recorded in the browser (its positions played back): sent when it ends, and accepted.
    browser.click("nav.parts a[href='/app/record']").await;
    check_both(&browser, &app.base, "app-record").await;
    let positions = positions_of_a_ride("2026-11-25T07:40:00+01:00", 4242);
    let play_back = "const positions = arguments[0];\n\
        navigator.geolocation.watchPosition = (ok) => { positions.forEach((p) => ok(p)); return 1; };\n\
        navigator.geolocation.clearWatch = () => {};";
    browser.client.execute(play_back, vec![positions]).await.unwrap();
    browser.click("#start").await;
    assert!(browser.text("#progress").await.starts_with("Bezig met opnemen… al "));
    // The connection is gone when the ride ends: the ride stays on the phone, and goes once it is back.
    browser
        .client
        .execute(
            "window.onlineFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError('offline'));",
            vec![],
        )
        .await
        .unwrap();
    browser.click("#stop").await;
    assert!(browser.text("#progress").await.starts_with("Geen verbinding: je rit blijft op deze telefoon bewaard"));
    let kept = browser
        .client
        .execute("return JSON.parse(localStorage.getItem('smartville-ride')).points.length", vec![])
        .await
        .unwrap();
    assert!(kept.as_u64().unwrap() > 100, "the ride is kept: {kept}");
    browser.run_to_next_page("window.fetch = window.onlineFetch; window.dispatchEvent(new Event('online'));").await;
    assert!(browser.path().await.starts_with("/app/trips/"));
    for _ in 0..50 {
        if browser.text("h1").await != "We bekijken deze rit nog" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        browser.client.refresh().await.unwrap();
    }
    assert!(browser.text("h1").await.starts_with("Je rit telt: "));
    browser.click("nav.parts a[href='/app']").await;
    assert_eq!(browser.client.find_all(fantoccini::Locator::Css("ul.trips li")).await.unwrap().len(), 2);
    check_both(&browser, &app.base, "app-rides").await;

    // Points buy an ice cream: the voucher shows its code and QR code for the counter.
    browser.click("nav.parts a[href='/app/rewards']").await;
    assert_eq!(browser.text("ul.cards li h2").await, "Ijsje");
    check_both(&browser, &app.base, "app-rewards").await;
    browser.submit("ul.cards li button").await;
    assert_eq!(browser.path().await, "/app/vouchers");
    let code = browser.text("li.voucher p.code").await;
    assert_eq!(code.len(), 19, "a code like 7KQ2-M9XD-4HRT-0B8C: {code}");
    assert!(browser.client.find(fantoccini::Locator::Css("li.voucher div.qr svg")).await.is_ok());
    check_both(&browser, &app.base, "app-vouchers").await;
    browser.click("a[hreflang=en]").await;
    assert_eq!(browser.text("h1").await, "My vouchers");
    browser.submit("form.sign-out button").await;
    assert_eq!(browser.path().await, "/app/join", "a student signs out to joining");
    browser.stop().await;
    within_budget(app, "/app/join").await;
}

/// The zones of the example campaign as the GeoJSON file an officer draws
/// them in, written where the browser can pick it; its path.
fn zones_file() -> std::path::PathBuf {
    let example: Value = serde_json::from_str(include_str!("../../../examples/campaign.json")).unwrap();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fietsweek-zones.geojson");
    std::fs::write(&path, example["zones"].to_string()).unwrap();
    path
}

/// A council officer signs in, sets up a campaign from its dates and a
/// GeoJSON file of its zones (a mistake shown at its field first), sees the
/// zones and their H3 cells on its page, chooses its school and activates
/// it; then accepts a ride waiting in the review queue, with a note.
async fn a_council_sets_up_a_campaign_and_decides_a_ride_in_review(app: &TestApp) {
    demo_council_admin(app).await;
    let (_, student, _) = app.join().await;
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-26T07:40:00+01:00").unwrap().to_utc();
    let doubtful =
        app.upload_gpx(&student, "half-in-a-car", common::ride_seen_in_a_vehicle(start, 5, 0.3)).await.unwrap();
    assert_eq!(doubtful["status"], "review", "{doubtful}");
    let browser = Browser::start().await;

    browser.open(&app.url("/admin")).await;
    assert_eq!(browser.path().await, "/login");
    browser.fill("#email", "admin@geel.be").await;
    browser.fill("#password", PASSWORD).await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.path().await, "/admin");
    assert_eq!(browser.text("h1").await, "Campagnes");
    assert_eq!(browser.text("table.campaigns tbody tr td:nth-child(3)").await, "Loopt");
    check_both(&browser, &app.base, "console-campaigns").await;

    // A new school with a class: its join code, and the poster to hang in the classroom.
    browser.click("nav.parts a[href='/admin/schools']").await;
    browser.fill("#name", "Sint-Jozef").await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.text("h1").await, "Sint-Jozef");
    let school_id = browser.path().await.rsplit('/').next().unwrap().to_owned();
    browser.fill("#name", "6B").await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.text("ul.classes li h2").await, "6B");
    let code = browser.text("strong.join-code").await;
    check_both(&browser, &app.base, "console-school").await;
    browser.click("ul.classes li a").await;
    assert_eq!(browser.text("p.poster-code").await, code);
    assert!(browser.client.find(fantoccini::Locator::Css("div.qr svg")).await.is_ok());
    check_both(&browser, &app.base, "console-poster").await;
    // Its QR code opens the web app with the code filled in.
    browser.open(&app.url(&format!("/app/join?code={code}"))).await;
    assert_eq!(browser.attribute("#join_code", "value").await.as_deref(), Some(code.as_str()));
    browser.open(&app.url("/admin")).await;

    // A new campaign from its dates and its zones' GeoJSON file; a last day before the first is shown there.
    browser.click("main a[href='/admin/campaigns/new']").await;
    check_both(&browser, &app.base, "console-new-campaign").await;
    browser.fill("#id", "geel-fietsweek").await;
    browser.fill("#name", "Fietsweek Geel").await;
    let dates = "document.getElementById('valid_from').value = '2027-05-01';\
        document.getElementById('valid_until').value = '2027-04-01';";
    browser.client.execute(dates, vec![]).await.unwrap();
    browser.fill("#budget_points", "5000").await;
    let zones = zones_file();
    browser
        .client
        .find(fantoccini::Locator::Css("#zones"))
        .await
        .unwrap()
        .send_keys(zones.to_str().unwrap())
        .await
        .unwrap();
    browser.submit("button[value=check]").await;
    assert!(browser.text("#valid_until-problems").await.contains("valid_until"), "the problem is at its field");
    assert_eq!(browser.attribute("#valid_until", "aria-invalid").await.as_deref(), Some("true"));
    check_page(&browser, &app.base, "console-new-campaign-checked-nl").await;
    browser.client.execute("document.getElementById('valid_until').value = '2027-06-30';", vec![]).await.unwrap();
    browser.submit("button[value=check]").await;
    assert_eq!(browser.text("p.fine").await, "Het campagnebestand heeft geen problemen.");
    browser.submit("button[value=save]").await;
    assert!(browser.path().await.starts_with("/admin/campaigns/"));
    assert_eq!(browser.text("h1").await, "Fietsweek Geel");
    assert_eq!(browser.text("p.status strong").await, "Ontwerp");
    let count = |css: &'static str| {
        let client = browser.client.clone();
        async move { client.find_all(fantoccini::Locator::Css(css)).await.unwrap().len() }
    };
    assert_eq!(count("svg.map path.zone-school").await, 1, "the school's outline");
    assert_eq!(count("svg.map path.cover-school").await, 1, "the school's H3 cells");

    // Activating a campaign for nobody is refused with the reason; with its school it runs.
    browser.submit("form[action$='/activate'] button").await;
    assert!(browser.text("p.refusal").await.starts_with("De campagne is nog voor niemand"));
    browser.click(&format!("input[name=school][value='{school_id}']")).await;
    browser.submit("form[action$='/audience'] button").await;
    browser.submit("form[action$='/activate'] button").await;
    assert_eq!(browser.text("p.status strong").await, "Loopt");
    browser.fill("#points", "5000").await;
    browser.submit("form[action$='/funding'] button").await;
    assert_eq!(browser.text("dd.funded").await, "5.000");
    check_both(&browser, &app.base, "console-campaign").await;

    // The ride in review: its reasons and its path on the map; accepted with a note.
    browser.click("nav.parts a[href='/admin/reviews']").await;
    assert_eq!(count("table.reviews tbody tr").await, 1);
    check_both(&browser, &app.base, "console-reviews").await;
    browser.click("table.reviews tbody tr a").await;
    assert!(browser.text("ul.reasons").await.contains("ACTIVITY_MISMATCH"));
    assert_eq!(count("svg.map polyline.ride").await, 1);
    check_both(&browser, &app.base, "console-review").await;
    browser.fill("#note", "Het eerste stuk reed je mee met de bus; de rest is duidelijk met de fiets.").await;
    browser.submit("button[value=accepted]").await;
    assert_eq!(browser.path().await, "/admin/reviews");
    assert_eq!(browser.text("main p").await, "Er wacht geen enkele rit op een beoordeling.");
    browser.click("a[hreflang=en]").await;
    assert_eq!(browser.text("main p").await, "No ride is waiting for a reviewer.");

    // The demo campaign's report counts the ride accepted by the reviewer; its CSV is the same report.
    browser.click("nav.parts a[href='/admin']").await;
    browser.click("table.campaigns tbody tr:first-child a").await;
    browser.click("main a[href$='/report']").await;
    assert_eq!(browser.text("h1").await, "Report: Bike to school in Geel (demo)");
    assert_eq!(browser.text("dd.accepted").await, "1");
    assert!(browser.text("table.periods tbody").await.contains("26 November 2026"));
    check_both(&browser, &app.base, "console-report").await;
    let download = "const done = arguments[arguments.length - 1];\
        fetch(document.querySelector('a.csv').href).then((r) => r.text()).then(done);";
    let csv = browser.client.execute_async(download, vec![]).await.unwrap();
    assert!(csv.as_str().unwrap().starts_with("period,participants,rides_accepted"), "{csv}");

    // A teacher for the new school: invited with a link that sets their password; the log keeps it all.
    browser.click("nav.parts a[href='/admin/staff']").await;
    browser.fill("#email", "juf@sintjozef.be").await;
    browser.client.execute("document.getElementById('role').value = 'teacher';", vec![]).await.unwrap();
    browser
        .client
        .execute(&format!("document.getElementById('school_id').value = '{school_id}';"), vec![])
        .await
        .unwrap();
    browser.submit("form.stacked button").await;
    let link = browser.text("code.setup-link").await;
    assert!(link.starts_with(&app.url("/setup?token=")), "{link}");
    assert!(browser.text("table.staff").await.contains("juf@sintjozef.be"));
    check_both(&browser, &app.base, "console-staff").await;
    browser.click("nav.parts a[href='/admin/audit']").await;
    let log = browser.text("table.audit").await;
    assert!(log.contains("campaign.status") && log.contains("staff.invite"), "{log}");
    check_both(&browser, &app.base, "console-audit").await;
    browser.submit("form.sign-out button").await;
    browser.open(&link).await;
    check_both(&browser, &app.base, "setup").await;
    browser.fill("#password", "fietsen naar de juf").await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.path().await, "/admin/schools", "a teacher starts at the schools");
    let links = browser.text("nav.parts").await;
    assert!(!links.contains("Campaigns") && !links.contains("Staff"), "{links}");
    browser.stop().await;

    let trip = common::wait_settled(app, &student, doubtful["trip_id"].as_str().unwrap()).await;
    assert_eq!(trip["status"], "accepted", "{trip}");
    within_budget(app, "/admin").await;
}
