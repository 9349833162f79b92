//! The README's "Running a town" walkthrough, run verbatim with bash and curl
//! on both stacks: a council created on the command line, its admin's
//! password and login, a school with its zone and a class, a campaign from
//! the example file funded and activated, a student who joins with the
//! class code and rides, the budget that moved, the report that shows the
//! ride, a what-if simulation, the appeal answer, and the points spent at a
//! shop: an offer approved, a voucher bought and redeemed once, the shop
//! settled and paid, the ledger checked, a household's readings taken
//! through a savings campaign's close to its decision, and a litter report
//! with its photo validated, paid and served over Open311.
//! Only the address of the engine, the command that runs the binary and the
//! scratch folder are put in for the test's own.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::TestApp;

on_both_stacks!(the_running_a_town_walkthrough_runs_verbatim);

/// The shell blocks of the README's "Running a town" section, in order.
fn walkthrough() -> Vec<&'static str> {
    let readme = include_str!("../../../README.md");
    let start = readme.find("## Running a town").expect("the README has a Running a town section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |end| end + 3)];
    section.split("```sh\n").skip(1).map(|block| block.split("```").next().unwrap()).collect()
}

async fn the_running_a_town_walkthrough_runs_verbatim(app: &TestApp) {
    let scratch = app.data_dir.join("walkthrough");
    std::fs::create_dir_all(&scratch).unwrap();
    let address = app.base.trim_start_matches("http://");
    let binary = env!("CARGO_BIN_EXE_smartville");
    let blocks = walkthrough();
    assert!(blocks.len() >= 5, "the walkthrough has its steps: {blocks:?}");
    let script: String = blocks
        .iter()
        .map(|block| {
            // The scratch folder first: the binary itself may live under /tmp.
            block
                .replace("/tmp/", &format!("{}/", scratch.display()))
                .replace("cargo run -q --release -p smartville --", binary)
                .replace("localhost:8080", address)
        })
        .collect::<Vec<_>>()
        .join("\necho\n");
    let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (database_url, data_dir) = (app.database.url.clone(), scratch.join("data"));
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-c", &format!("set -euo pipefail\n{script}")])
            .current_dir(repository)
            .env("DATABASE_URL", database_url)
            .env("SMARTVILLE_DATA_DIR", data_dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the walkthrough failed:\n{stdout}\n{stderr}");
    // What the README says comes back does: the ride accepted under version 1, the budget moved,
    // the appeal of an accepted ride refused.
    assert!(stderr.contains(r#""status":"accepted""#) && stderr.contains(r#""campaign_version":1"#), "{stderr}");
    assert!(stdout.contains(r#""status":"active","coin":"Molcoins","budget_funded":100000"#), "{stdout}");
    assert!(stdout.contains(r#""funded":100000,"paid":24,"held":0,"remaining":99976"#), "{stdout}");
    assert!(stdout.contains(r#""code":"NOT_REJECTED""#), "{stdout}");
    assert!(stdout.contains(r#""nickname":"lotte""#), "{stdout}");
    // The report shows the ride, as JSON and as CSV; the simulation of 8 points per km is done.
    assert!(stdout.contains(r#""totals":{"participants":1,"rides_accepted":1,"rides_rejected":0"#), "{stdout}");
    assert!(stdout.contains(r#""budget":{"funded":100000,"paid":24,"remaining":99976}"#), "{stdout}");
    assert!(stdout.lines().any(|line| line.starts_with("total,1,1,0,0,") && line.ends_with(",24,24")), "{stdout}");
    assert!(stdout.contains(r#""status":"done","done":1,"total":1"#), "{stdout}");
    assert!(stdout.contains(r#""changed":1"#), "{stdout}");
    // The household's November set against the one a year before: 8.5 kg less, 85 points.
    assert!(stdout.contains(r#""households":1,"changed":1,"accepted":1,"points":85,"credited":85"#), "{stdout}");
    assert!(
        stdout.contains(r#""baseline":31000,"baseline_source":"own_history","saved":8500,"points":85"#),
        "{stdout}"
    );
    // The litter report with its photo, validated and paid, and served as an Open311 request.
    assert!(stdout.contains(r#""has_photo":true,"status":"open""#), "{stdout}");
    assert!(
        stdout.contains(r#""status":"validated","decision_note":"Cleared on Tuesday; thank you!","points":25"#),
        "{stdout}"
    );
    assert!(stdout.contains(r#""status":"closed","status_notes":"Cleared on Tuesday; thank you!""#), "{stdout}");
    // The shop's offer approved; the student buys it with the ride's points, the counter redeems
    // it once (the second time told when and where), the wallet keeps the rest; the settlement's
    // CSV, its payment, and the ledger whole.
    assert!(stdout.contains(r#""status":"approved","review_note":"Welcome aboard!""#), "{stdout}");
    assert!(stdout.contains(r#""merchant_name":"Fietsen Mol","coin":"Molcoins","price_points":20"#), "{stdout}");
    assert!(stdout.contains(r#""affordable":true"#), "{stdout}");
    assert!(stdout.contains(r#""value_cents":200"#), "{stdout}");
    assert!(stdout.contains(r#""code":"ALREADY_REDEEMED""#), "{stdout}");
    assert!(stdout.contains(r#""redeemed_where":"Fietsen Mol""#), "{stdout}");
    assert!(stdout.contains(r#"{"balances":[{"coin":"Molcoins","amount":4}]"#), "{stdout}");
    assert!(stdout.lines().any(|line| line == "total,,,20,200"), "{stdout}");
    assert!(stdout.contains(r#""vouchers":1,"points":20,"amount_cents":200"#), "{stdout}");
    assert!(stdout.contains(r#""paid_at":"20"#), "{stdout}");
    assert!(stdout.lines().any(|line| line.starts_with("ledger whole")), "{stdout}");
    // A second coin, empty in every wallet, beside the first with the 4 points left.
    assert!(stdout.contains(r#""in_wallets":4},{"name":"Netemunten","first":false,"#), "{stdout}");
    // A data source signed in with the key it was given.
    assert!(stdout.contains(r#""name":"IOK weighing system","kinds":["waste"],"mqtt_topic":"smartville/"#), "{stdout}");
    // A household registered with its link code; its reading stored, then sent again in CSV with one more.
    assert!(stdout.contains(r#""reference":"HH-0042","size":3,"link_code":""#), "{stdout}");
    assert!(stdout.contains(r#"{"received":1,"stored":1,"corrections":0,"duplicates":0,"rejected":0,"errors":[]}"#));
    assert!(stdout.contains(r#"{"received":2,"stored":1,"corrections":0,"duplicates":1,"rejected":0,"errors":[]}"#));
    // The student linked with the letter's code sees the household's two readings.
    assert!(stdout.contains(r#""reference":"HH-0042","size":3,"members":1,"#), "{stdout}");
    assert!(
        stdout.contains(r#""measured":"organic","observed_at":"2026-11-30T07:42:00.000Z","amount":3500,"unit":"g""#),
        "{stdout}"
    );
}
