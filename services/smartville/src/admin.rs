//! Operator commands: `migrate`, `demo`, `tenant create`, `tenant admin`, `campaign apply`,
//! `savings close`, `ledger check`.

use anyhow::{Context, Result, bail};
use smartville_engine::campaigns::{self, CampaignRefusal};
use smartville_engine::{Engine, demo, savings, staff};
use smartville_store::audit::Actor;
use smartville_store::ids::{CampaignId, TenantId};
use smartville_store::staff::{StaffRole, Workplace};
use smartville_store::tenancy;

use crate::config::Config;
use crate::serve::connect;

/// `smartville migrate`: brings the schema up to date.
pub async fn migrate(config: &Config) -> Result<()> {
    connect(config).await?;
    println!("database {} is up to date", crate::serve::redact(&config.database_url));
    Ok(())
}

/// `smartville demo`: seeds the demo town.
pub async fn seed_demo(config: &Config) -> Result<()> {
    let engine = connect(config).await?;
    let town = demo::seed(&engine).await.context("seeding the demo town (is it already there?)")?;
    println!(
        "demo town seeded: tenant {}, campaign {}, join code {}",
        town.tenant_id, town.campaign_id, town.join_code
    );
    Ok(())
}

/// `smartville tenant create --name NAME --coin COIN --admin EMAIL`: a new
/// council and its first council admin, who sets a password with the
/// printed one-time token (there are no default passwords).
pub async fn create_tenant(config: &Config, name: &str, coin: &str, admin_email: &str) -> Result<()> {
    let (name, coin) = (name.trim(), coin.trim());
    if name.is_empty() || coin.is_empty() {
        bail!("--name and --coin must not be empty");
    }
    let email = smartville_mobile_api::input::email(admin_email)
        .map_err(|_| anyhow::anyhow!("--admin must be an e-mail address, not {admin_email:?}"))?;
    let engine = connect(config).await?;
    let (tenant, invitation) = staff::create_tenant(&engine.store, name, coin, &email)
        .await
        .with_context(|| format!("creating {name} (does {email} already have a staff account?)"))?;
    let days = staff::SETUP_LINK_TTL.as_secs() / 86_400;
    println!("tenant {} created: {} ({})", tenant.id, tenant.name, tenant.coin);
    println!(
        "council admin {email}: set a password within {days} days (the page /setup?token=…, or POST /v1/admin/auth/setup) with"
    );
    println!("setup token: {}", invitation.setup_token);
    Ok(())
}

/// `smartville tenant admin --email EMAIL [--tenant ID]`: one more council
/// admin for an existing council, with a one-time set-up token, written in
/// the audit log as the operator's doing (`system`).
pub async fn invite_council_admin(config: &Config, email: &str, tenant: Option<&str>) -> Result<()> {
    let email = smartville_mobile_api::input::email(email)
        .map_err(|_| anyhow::anyhow!("--email must be an e-mail address, not {email:?}"))?;
    let engine = connect(config).await?;
    let tenant_id = one_tenant(&engine, tenant).await?;
    let mut tx = engine.store.begin().await?;
    let invitation =
        staff::invite(&mut tx, &tenant_id, Actor::System, &email, StaffRole::CouncilAdmin, &Workplace::Council)
            .await
            .with_context(|| format!("inviting {email} (does the address already have a staff account?)"))?;
    tx.commit().await?;
    let days = staff::SETUP_LINK_TTL.as_secs() / 86_400;
    println!(
        "council admin {email} of tenant {tenant_id}: set a password within {days} days (the page /setup?token=…, or POST /v1/admin/auth/setup) with"
    );
    println!("setup token: {}", invitation.setup_token);
    Ok(())
}

/// The tenant an operator names, or the only one of the database.
async fn one_tenant(engine: &Engine, tenant: Option<&str>) -> Result<TenantId> {
    Ok(match tenant {
        Some(id) => TenantId::from(id),
        None => {
            let tenants = tenancy::tenants(&engine.store).await?;
            match tenants.as_slice() {
                [only] => only.id.clone(),
                [] => bail!("the database has no tenant yet; run `smartville demo` or create one first"),
                _ => bail!("the database has several tenants; choose one with --tenant"),
            }
        }
    })
}

/// `smartville campaign apply FILE [--tenant ID]`: loads or updates a
/// campaign, through the same code as the administration API (see
/// `smartville_engine::campaigns::apply_file`).
pub async fn apply_campaign(config: &Config, file: &std::path::Path, tenant: Option<&str>) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let checked = match campaigns::check(bytes).await {
        Ok(checked) => checked,
        Err(CampaignRefusal::Invalid(problems)) => {
            let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
            bail!(
                "campaign {} has {} problem(s); nothing was changed:\n{}",
                file.display(),
                problems.len(),
                list.join("\n")
            );
        }
        Err(refusal) => return Err(refusal.into()),
    };
    let engine = connect(config).await?;
    let tenant_id = one_tenant(&engine, tenant).await?;
    let campaign = campaigns::apply_file(&engine, &tenant_id, &checked)
        .await
        .with_context(|| format!("campaign {}", file.display()))?;
    println!(
        "campaign {} ({}) applied to tenant {tenant_id}: {}, budget {}",
        campaign.slug,
        campaign.id,
        campaign.status.as_str(),
        campaign.budget_funded
    );
    Ok(())
}

/// `smartville savings close --campaign ID --period P [--tenant ID]`: closes
/// a period by hand (the scoring component closes each period once it
/// ended); prints the summary as JSON. The ledger component posts the credits.
pub async fn close_savings_period(config: &Config, campaign: &str, period: &str, tenant: Option<&str>) -> Result<()> {
    let engine = connect(config).await?;
    let tenant_id = one_tenant(&engine, tenant).await?;
    let mut tx = engine.store.begin().await?;
    let by_slug = smartville_store::campaigns::by_slug(&mut tx, &tenant_id, campaign).await?;
    drop(tx);
    let campaign_id = by_slug.map_or_else(|| CampaignId::from(campaign), |found| found.id);
    let summary = savings::close(&engine, &tenant_id, &campaign_id, period, smartville_engine::now_ms())
        .await
        .with_context(|| format!("closing {period} of campaign {campaign}"))?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// `smartville ledger check`: checks the ledger's rules on the live
/// database (see `smartville_store::ledger::check`), prints every broken
/// one, and returns whether the ledger is whole.
pub async fn check_ledger(config: &Config) -> Result<bool> {
    let engine = connect(config).await?;
    let violations = smartville_store::ledger::check(&engine.store).await?;
    for violation in &violations {
        println!("{} tenant {} {}: {}", violation.rule, violation.tenant_id, violation.subject, violation.found);
    }
    if violations.is_empty() {
        println!(
            "ledger whole: every coin balances, every account agrees with its transfers, no wallet below zero, every paid ride paid once, every voucher held, redeemed or given back once, every offer's stock and every paid settlement as the ledger says"
        );
    } else {
        println!("ledger broken: {} violations", violations.len());
    }
    Ok(violations.is_empty())
}
