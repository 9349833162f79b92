//! The `smartville` binary as a user runs it.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn smartville(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smartville")).current_dir(repo()).args(args).output().unwrap()
}

fn decision(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_readme_example_earns_points_today_and_in_years_to_come() {
    for now in [None, Some("2027-03-14T03:00:00Z"), Some("2031-12-28T23:59:00+01:00")] {
        let mut args = vec!["score", "--campaign", "examples/campaign.json", "examples/ride.gpx"];
        if let Some(now) = now {
            args.extend(["--now", now]);
        }
        let decision = decision(&smartville(&args));
        assert_eq!(decision["status"], "accepted", "{decision:#}");
        assert!(decision["points"].as_u64().unwrap() > 0);
        assert!(decision["distance_m"].as_u64().unwrap() > 2_000);
        assert!(decision["reasons"].as_array().unwrap().is_empty());
    }
}

#[test]
fn a_simulated_car_ride_is_rejected_with_its_reason() {
    let dir = std::env::temp_dir().join(format!("smartville-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ride = dir.join("car.json");
    let output = smartville(&["simulate", "--kind", "car", "--format", "json", "--start", "2026-11-24T07:50:00+01:00"]);
    assert!(output.status.success());
    std::fs::write(&ride, &output.stdout).unwrap();
    let decision = decision(&smartville(&["score", "--campaign", "examples/campaign.json", ride.to_str().unwrap()]));
    assert_eq!(decision["status"], "rejected");
    assert_eq!(decision["reasons"][0]["code"], "TOO_FAST", "{decision:#}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_simulated_ride_sent_as_a_phone_does_is_still_accepted() {
    let dir = std::env::temp_dir().join(format!("smartville-cli-phone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ride = dir.join("phone.gpx");
    let start = "2026-11-24T07:50:00+01:00";
    let output = smartville(&["simulate", "--route", "long", "--phone-every", "30", "--seed", "4", "--start", start]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let gpx = String::from_utf8(output.stdout).unwrap();
    let fixes = gpx.matches("<trkpt").count();
    assert!((40..200).contains(&fixes), "a fix about every 30 s of a half-hour ride, not 1 Hz: {fixes}");
    std::fs::write(&ride, gpx).unwrap();
    let decision = decision(&smartville(&["score", "--campaign", "examples/campaign.json", ride.to_str().unwrap()]));
    assert_eq!(decision["status"], "accepted", "{decision:#}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_is_a_clear_error_with_exit_code_2() {
    let no_time = "services/scoring/tests/data/real/no_time.gpx";
    let output = smartville(&["score", "--campaign", "examples/campaign.json", no_time]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MISSING_TIMESTAMP") && stderr.contains("point 0 has no timestamp"), "{stderr}");

    let output = smartville(&["score", "--campaign", "examples/ride.gpx", "examples/ride.gpx"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("campaign"));

    let output = smartville(&["score", "--campaign", "examples/campaign.json", "no/such/file.gpx"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no/such/file.gpx"));
}

#[test]
fn operators_migrate_seed_and_apply_campaigns() {
    let dir = std::env::temp_dir().join(format!("smartville-ops-{}", std::process::id()));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_smartville"))
            .current_dir(repo())
            .args(args)
            .env("SMARTVILLE_DATA_DIR", &dir)
            .env_remove("DATABASE_URL")
            .env("SMARTVILLE_LOG_FORMAT", "text")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let stdout = |output: &Output| {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(stdout(&run(&["migrate"])).contains("up to date"));
    assert!(stdout(&run(&["demo"])).contains("join code GEEL-5A"));
    // A second demo town would reuse the join code: refused, nothing changed.
    assert_eq!(run(&["demo"]).status.code(), Some(2));
    let applied = stdout(&run(&["campaign", "apply", "examples/campaign.json"]));
    assert!(applied.contains("geel-bike-to-school-demo") && applied.contains("budget 100000"), "{applied}");
    // A file that does not compile changes nothing.
    let broken = run(&["campaign", "apply", "examples/ride.gpx"]);
    assert_eq!(broken.status.code(), Some(2));
    // A savings campaign applied, and a period of it closed by hand (the town has no household yet).
    let savings = stdout(&run(&["campaign", "apply", "examples/savings-campaign.json"]));
    assert!(savings.contains("mol-minder-restafval") && savings.contains("budget 50000"), "{savings}");
    let closed = stdout(&run(&["savings", "close", "--campaign", "mol-minder-restafval", "--period", "2026-11"]));
    let closed: serde_json::Value = serde_json::from_str(&closed).unwrap();
    assert_eq!((closed["period"].as_str(), closed["households"].as_i64()), (Some("2026-11"), Some(0)), "{closed}");
    let not_a_month = run(&["savings", "close", "--campaign", "mol-minder-restafval", "--period", "2026-Q4"]);
    assert_eq!(not_a_month.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_a_month.stderr).contains("2027-01"), "names the form a month takes");
    let rides = run(&["savings", "close", "--campaign", "geel-bike-to-school-demo", "--period", "2026-11"]);
    assert!(String::from_utf8_lossy(&rides.stderr).contains("rewards rides"));
    assert!(stdout(&run(&["targets"])).contains("scoring"));
    let unknown = run(&["serve", "--target", "teleporter"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown target"));
    let bad_url = Command::new(env!("CARGO_BIN_EXE_smartville"))
        .args(["migrate"])
        .env("DATABASE_URL", "mysql://localhost/x")
        .env("SMARTVILLE_LOG_FORMAT", "text")
        .output()
        .unwrap();
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("unsupported database URL scheme"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn tenant_create_makes_a_council_whose_admin_has_only_a_set_up_token() {
    let dir = std::env::temp_dir().join(format!("smartville-cli-tenant-{}", std::process::id()));
    let database = format!("sqlite:{}", dir.join("town.db").display());
    let create = |admin: &str| {
        Command::new(env!("CARGO_BIN_EXE_smartville"))
            .env("DATABASE_URL", &database)
            .args(["tenant", "create", "--name", "Stad Mol", "--coin", "Molcoins", "--admin", admin])
            .output()
            .unwrap()
    };
    let output = create("Schepen@Mol.be");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8(output.stdout).unwrap();
    let token = printed.lines().find_map(|line| line.strip_prefix("setup token: ")).unwrap();
    assert_eq!(token.split('.').count(), 3, "{printed}");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = smartville_store::Store::connect(&database).await.unwrap();
        let (admin, password) = smartville_store::staff::login(&store, "schepen@mol.be").await.unwrap().unwrap();
        assert_eq!(admin.role, smartville_store::staff::StaffRole::CouncilAdmin);
        assert!(password.is_none(), "no password until the admin sets one");
        let tenant = smartville_store::tenancy::tenant(&store, &admin.tenant_id).await.unwrap();
        assert_eq!((tenant.name.as_str(), tenant.coin.as_str()), ("Stad Mol", "Molcoins"));
    });
    // One account per e-mail address: a second council with the same admin is refused, and not made.
    let again = create("schepen@mol.be");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"), "{}", String::from_utf8_lossy(&again.stderr));
    let refused = create("not an address");
    assert_eq!(refused.status.code(), Some(2));
    let tenants = runtime.block_on(async {
        let store = smartville_store::Store::connect(&database).await.unwrap();
        smartville_store::tenancy::tenants(&store).await.unwrap().len()
    });
    assert_eq!(tenants, 1);

    // One more council admin for the only council: a set-up token, once per address.
    let invite = |email: &str| {
        Command::new(env!("CARGO_BIN_EXE_smartville"))
            .env("DATABASE_URL", &database)
            .args(["tenant", "admin", "--email", email])
            .output()
            .unwrap()
    };
    let output = invite("tweede@mol.be");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(printed.lines().any(|line| line.starts_with("setup token: ")), "{printed}");
    assert_eq!(invite("tweede@mol.be").status.code(), Some(2));
    let second = runtime.block_on(async {
        let store = smartville_store::Store::connect(&database).await.unwrap();
        smartville_store::staff::login(&store, "tweede@mol.be").await.unwrap().unwrap().0
    });
    assert_eq!(second.role, smartville_store::staff::StaffRole::CouncilAdmin);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn campaign_apply_names_every_problem_of_a_file_and_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("smartville-cli-campaign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo().join("examples/campaign.json")).unwrap()).unwrap();
    file["valid_until"] = "2020-01-01".into();
    file["zones"]["features"][2]["properties"]["role"] = "car_park".into();
    let path = dir.join("broken.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let database = format!("sqlite:{}", dir.join("never.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_smartville"))
        .env("DATABASE_URL", &database)
        .args(["campaign", "apply", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2 problem(s)") && stderr.contains("valid_until") && stderr.contains("zones.features[2]"),
        "{stderr}"
    );
    assert!(!dir.join("never.db").exists(), "nothing touched");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ledger_check_passes_a_whole_ledger_and_names_what_breaks_one() {
    let dir = std::env::temp_dir().join(format!("smartville-cli-ledger-{}", std::process::id()));
    let database = format!("sqlite:{}", dir.join("town.db").display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_smartville")).env("DATABASE_URL", &database).args(args).output().unwrap()
    };
    assert!(run(&["demo"]).status.success());
    let whole = run(&["ledger", "check"]);
    assert_eq!(whole.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&whole.stderr));
    assert!(String::from_utf8_lossy(&whole.stdout).starts_with("ledger whole"));

    // A balance edited by hand, as no engine code ever does.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = smartville_store::Store::connect(&database).await.unwrap();
        sqlx::query("update accounts set balance = balance + 7 where kind = 'campaign'")
            .execute(store.pool_for_tests())
            .await
            .unwrap();
    });
    let broken = run(&["ledger", "check"]);
    assert_eq!(broken.status.code(), Some(1));
    let printed = String::from_utf8_lossy(&broken.stdout);
    assert!(printed.lines().any(|l| l.starts_with("COIN_UNBALANCED") && l.ends_with(": 7")), "{printed}");
    assert!(printed.lines().any(|l| l.starts_with("ACCOUNT_DISAGREES") && l.ends_with(": 7")), "{printed}");
    assert!(printed.contains("ledger broken: 2 violations"), "{printed}");
    std::fs::remove_dir_all(dir).unwrap();
}
