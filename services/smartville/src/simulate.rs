//! `smartville simulate`: synthetic rides for demos, tests and load tests.

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::ValueEnum;
use smartville_simulator::phone::{self, PhoneSampling};
use smartville_simulator::{Profile, Simulator, demo, to_gpx};

/// Who is moving.
#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// An honest bike ride.
    Bike,
    /// A car pretending to be a bike.
    Car,
    /// A walk.
    Walk,
}

/// Which demo-town route.
#[derive(Clone, Copy, ValueEnum)]
enum RouteName {
    /// 2.7 km from home to school (about 10 minutes by bike).
    HomeToSchool,
    /// 8 km winding ride ending at school (about 30 minutes by bike).
    Long,
}

/// Output format.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// GPX 1.1.
    Gpx,
    /// The JSON upload format.
    Json,
}

/// Arguments of `smartville simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Who is moving.
    #[arg(long, value_enum, default_value = "bike")]
    kind: Kind,
    /// The route in the demo town.
    #[arg(long, value_enum, default_value = "home-to-school")]
    route: RouteName,
    /// Start time (RFC 3339); default: now.
    #[arg(long)]
    start: Option<DateTime<Utc>>,
    /// Random seed: the same seed gives the same ride.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "gpx")]
    format: Format,
    /// Send the ride as a phone app in the background does, asking for a fix
    /// every this many seconds (with gaps, bursts, repeated fixes and accuracy
    /// noise); without it, the ride is 1 Hz.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=300))]
    phone_every: Option<u32>,
}

/// Writes the simulated ride to standard output.
pub fn run(args: &SimulateArgs) -> Result<()> {
    let route = match args.route {
        RouteName::HomeToSchool => demo::home_to_school(),
        RouteName::Long => demo::long_ride_to_school(),
    };
    let profile = match args.kind {
        Kind::Bike => Profile::bike(),
        Kind::Car => Profile::car(),
        Kind::Walk => Profile::walk(),
    };
    let mut trace = Simulator::new(args.seed).ride(&route, args.start.unwrap_or_else(Utc::now), &profile);
    if let Some(interval_s) = args.phone_every {
        trace = phone::sample(&trace, &PhoneSampling::every(f64::from(interval_s)), args.seed);
    }
    match args.format {
        Format::Gpx => print!("{}", to_gpx(&trace)),
        Format::Json => println!("{}", serde_json::to_string(&trace)?),
    }
    Ok(())
}
