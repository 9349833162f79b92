//! `smartville`: the engine's single binary.
//!
//! - `serve [--target all|mobile-api,relay,scoring,ledger]`: run components
//!   (all of them by default) on the embedded default (SQLite file, in-process
//!   bus, demo town) or on PostgreSQL and Redis (`DATABASE_URL`, `REDIS_URL`);
//! - `targets`: list the components;
//! - `migrate`, `demo`, `tenant create`, `tenant admin`, `campaign apply FILE`, `ledger check`: operator commands;
//! - `score`: judge one ride file against a campaign file, offline;
//! - `simulate`: write a synthetic ride (honest or a cheat).
//!
//! Configuration comes from environment variables (see `.env.example`); the
//! commands live in the `smartville` library next to this file, so tests can
//! start the same application in-process.

use smartville::{admin, component, config, score, serve, simulate};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: under load the engine allocates
/// from many threads at once, and glibc's malloc and free took about 8 % of
/// all CPU samples in the morning-rush load test (`perf record -a`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Smartville incentive engine.
#[derive(Parser)]
#[command(name = "smartville", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the engine's components (all of them by default).
    Serve {
        /// Comma-separated components, or `all`; see `smartville targets`.
        #[arg(long, default_value = "all")]
        target: String,
    },
    /// List the components `serve --target` accepts.
    Targets,
    /// Create or update the database schema.
    Migrate,
    /// Seed the demo town (a council, a school, a campaign, a class, a shop).
    Demo,
    /// Manage tenants (councils).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage campaigns.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Savings campaigns.
    Savings {
        #[command(subcommand)]
        command: SavingsCommand,
    },
    /// Check the ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Validate and score one ride (GPX or JSON) against a campaign; prints the decision as JSON.
    Score(score::ScoreArgs),
    /// Write a simulated ride to standard output.
    Simulate(simulate::SimulateArgs),
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a council with its coin and its first council admin; prints the admin's one-time set-up token.
    Create {
        /// The council's name, e.g. "Stad Mol".
        #[arg(long)]
        name: String,
        /// The coin it issues, e.g. "Molcoins".
        #[arg(long)]
        coin: String,
        /// The e-mail address of its first council admin.
        #[arg(long)]
        admin: String,
    },
    /// Invite one more council admin to a council (one whose admins are gone, say); prints their set-up token.
    Admin {
        /// The e-mail address of the new council admin.
        #[arg(long)]
        email: String,
        /// The tenant id (optional when the database has exactly one tenant).
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum SavingsCommand {
    /// Close a period of a savings campaign by hand (again, after a correction): judges every linked
    /// household and sends the points to the ledger; prints what it did as JSON.
    Close {
        /// The campaign: its id in the file (`geel-less-residual-2027`) or the engine's.
        #[arg(long)]
        campaign: String,
        /// The period: `2027-01` for a month, `2027-Q1` for a quarter.
        #[arg(long)]
        period: String,
        /// The tenant id (optional when the database has exactly one tenant).
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Check every rule of the ledger on the live database; exits with 1 when one is broken.
    Check,
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Load or update a campaign file (the format of `examples/campaign.json`) into a tenant.
    Apply {
        /// The campaign file.
        file: PathBuf,
        /// The tenant id (optional when the database has exactly one tenant).
        #[arg(long)]
        tenant: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Score(args) => score::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Simulate(args) => simulate::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Targets => {
            for component in component::Component::ALL {
                println!("{:<12} {}", component.name(), component.describe());
            }
            Ok(ExitCode::SUCCESS)
        }
        command => run_service_command(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Commands that talk to the database run on a tokio runtime with logging;
/// `ledger check` exits with 1 when a rule is broken (errors are 2).
fn run_service_command(command: Command) -> anyhow::Result<ExitCode> {
    let config = config::Config::from_env()?;
    init_logging(config.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match command {
            Command::Serve { target } => serve::serve(config, &target).await,
            Command::Migrate => admin::migrate(&config).await,
            Command::Demo => admin::seed_demo(&config).await,
            Command::Tenant { command: TenantCommand::Create { name, coin, admin } } => {
                admin::create_tenant(&config, &name, &coin, &admin).await
            }
            Command::Tenant { command: TenantCommand::Admin { email, tenant } } => {
                admin::invite_council_admin(&config, &email, tenant.as_deref()).await
            }
            Command::Campaign { command: CampaignCommand::Apply { file, tenant } } => {
                admin::apply_campaign(&config, &file, tenant.as_deref()).await
            }
            Command::Savings { command: SavingsCommand::Close { campaign, period, tenant } } => {
                admin::close_savings_period(&config, &campaign, &period, tenant.as_deref()).await
            }
            Command::Ledger { command: LedgerCommand::Check } => {
                let whole = admin::check_ledger(&config).await?;
                return Ok(if whole { ExitCode::SUCCESS } else { ExitCode::from(1) });
            }
            Command::Score(_) | Command::Simulate(_) | Command::Targets => unreachable!("handled without a runtime"),
        }
        .map(|()| ExitCode::SUCCESS)
    })
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
