//! The OpenAPI document tells the truth: Schemathesis (PyPI) generates
//! requests from `/openapi.json` — valid, invalid and stateful sequences —
//! and runs every check it has (no server errors, only documented statuses,
//! content types and headers, responses matching their schemas, invalid data
//! refused, valid data accepted) against the running engine on both stacks.
//! The test installs it with pip when missing.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::TestApp;
use serde_json::Value;

on_both_stacks!(the_openapi_document_matches_what_the_engine_does);

async fn the_openapi_document_matches_what_the_engine_does(app: &TestApp) {
    // Every operation as a participant; then the administration routes once more as a council
    // admin, the shop's routes as a shop's admin and the data sources' with a source's key, so
    // that they are exercised beyond their 401 or 403.
    let (_, participant, _) = app.join().await;
    let (_, invitation) = smartville_engine::staff::create_tenant(
        &app.app_engine.store,
        "Contract",
        "Contractcoins",
        "admin@contract.be",
    )
    .await
    .unwrap();
    let body = serde_json::json!({"token": invitation.setup_token, "password": "a contract test password"});
    let session: Value = app.post_json("/v1/admin/auth/setup", body).await;
    let council_admin = session["access_token"].as_str().unwrap();
    let shop =
        serde_json::json!({"name": "Contract shop", "coins": [{"coin": "Contractcoins", "point_value_cents": 5}]});
    let shop: Value = app.post(Some(council_admin), "/v1/admin/merchants", shop).await.json().await.unwrap();
    let invite =
        serde_json::json!({"email": "shop@contract.be", "role": "merchant_admin", "merchant_id": shop["merchant_id"]});
    let invited: Value = app.post(Some(council_admin), "/v1/admin/staff", invite).await.json().await.unwrap();
    let body = serde_json::json!({"token": invited["setup_token"], "password": "a contract test password"});
    let session: Value = app.post_json("/v1/admin/auth/setup", body).await;
    let shop_admin = session["access_token"].as_str().unwrap();
    // The data source's key is made and used first: the council admin's own run may change their
    // account and revoke what they made.
    let source = serde_json::json!({"name": "Contract weighing", "kinds": ["waste"]});
    let source: Value = app.post(Some(council_admin), "/v1/admin/sources", source).await.json().await.unwrap();
    let source_key = source["key"].as_str().unwrap();
    let printed = run_schemathesis(app, &participant, None, &[]).await;
    run_schemathesis(app, source_key, Some("^/v1/devices/"), &[]).await;
    run_schemathesis(app, council_admin, Some("^/v1/admin/"), &[]).await;
    // A new offer has no picture until one is given: its picture route answers 404, which the
    // check that a created resource can be read back takes for one gone missing. Under
    // /v1/merchant/ that route is the only one the check would follow from a creation.
    run_schemathesis(app, shop_admin, Some("^/v1/merchant/"), &["ensure_resource_availability"]).await;
    let document: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let operations: usize =
        document["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
    let every = format!("Selected: {operations}/{operations}");
    assert!(
        printed.contains(&every) && printed.contains(&format!("Tested: {operations}")),
        "every operation tested:\n{printed}"
    );
}

/// Runs every check of Schemathesis but `excluded` with `token`, on the paths that match `paths`
/// (all when `None`); returns what it printed.
async fn run_schemathesis(app: &TestApp, token: &str, paths: Option<&str>, excluded: &[&str]) -> String {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../mobile-api/schemathesis.toml");
    let mut command = schemathesis().await;
    command
        .args(["--config-file", config, "run", &app.url("/openapi.json"), "--checks", "all"])
        .args(["--max-examples", "40", "--seed", "20261202", "--no-color"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .current_dir(std::env::temp_dir());
    if let Some(paths) = paths {
        command.args(["--include-path-regex", paths]);
    }
    if !excluded.is_empty() {
        command.args(["--exclude-checks", &excluded.join(",")]);
    }
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    let tail = |text: &str| text.chars().rev().take(8_000).collect::<Vec<_>>().into_iter().rev().collect::<String>();
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{}\n{}",
        tail(&printed),
        tail(&String::from_utf8_lossy(&output.stderr))
    );
    printed.into_owned()
}

/// Schemathesis's command line, installed with pip on first use (one test process at a time) so that
/// `cargo test --workspace` needs no other set-up; `SMARTVILLE_SCHEMATHESIS` names another binary.
async fn schemathesis() -> Command {
    static INSTALLED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    if let Ok(binary) = std::env::var("SMARTVILLE_SCHEMATHESIS") {
        return Command::new(binary);
    }
    INSTALLED
        .get_or_init(|| async {
            // Under a lock: nextest runs each test in its own process, and two pips installing into
            // one site-packages at once break each other.
            let install = Command::new("flock")
                .args([&std::env::temp_dir().join("smartville-schemathesis.lock").to_string_lossy().into_owned()])
                .args([
                    "sh",
                    "-c",
                    "python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install --quiet schemathesis",
                ])
                .status();
            assert!(install.is_ok_and(|s| s.success()), "installing schemathesis with pip failed");
        })
        .await;
    let mut command = Command::new("python3");
    command.args([
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())",
    ]);
    command
}
