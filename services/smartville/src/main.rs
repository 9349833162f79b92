//! `smartville`: the engine's single binary.
//!
//! Subcommands grow with the engine; today:
//!
//! - `score`: judge one ride file against a campaign file and print the
//!   decision as JSON, exactly as the engine would decide it.
//! - `simulate`: write a synthetic ride (honest or a cheat) as GPX or JSON,
//!   the same generator the tests and load tests use.

mod score;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The Smartville incentive engine.
#[derive(Parser)]
#[command(name = "smartville", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate and score one ride (GPX or JSON) against a campaign; prints the decision as JSON.
    Score(score::ScoreArgs),
    /// Write a simulated ride to standard output.
    Simulate(simulate::SimulateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Score(args) => score::run(&args),
        Command::Simulate(args) => simulate::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
