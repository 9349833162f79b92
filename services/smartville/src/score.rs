//! `smartville score`: one ride, one campaign, one decision.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use smartville_scoring::{CampaignSpec, History, RawTrace, assess};

/// Arguments of `smartville score`.
#[derive(clap::Args)]
pub struct ScoreArgs {
    /// Campaign rules (JSON, the format of `examples/campaign.json`).
    #[arg(long)]
    campaign: PathBuf,
    /// The ride: GPX 1.0/1.1 or JSON (`{"points": [...]}`); the format is recognised from the content.
    ride: PathBuf,
    /// The participant's history (JSON `History`); default: a new participant and the full budget.
    #[arg(long)]
    history: Option<PathBuf>,
    /// Judge as if uploaded at this time (RFC 3339); default: now. Only the
    /// upload-age and future-timestamp limits depend on it.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
}

/// Prints the decision as pretty JSON on standard output.
pub fn run(args: &ScoreArgs) -> Result<()> {
    let campaign_bytes =
        std::fs::read(&args.campaign).with_context(|| format!("reading {}", args.campaign.display()))?;
    let campaign = CampaignSpec::from_json(&campaign_bytes)
        .and_then(CampaignSpec::compile)
        .with_context(|| format!("campaign {}", args.campaign.display()))?;
    let ride = std::fs::read(&args.ride).with_context(|| format!("reading {}", args.ride.display()))?;
    let history = match &args.history {
        Some(path) => {
            serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
                .with_context(|| format!("history {}", path.display()))?
        }
        None => History::fresh(campaign.spec().budget_points),
    };
    let now = args.now.unwrap_or_else(Utc::now).timestamp_millis();
    let trace = parse_ride(&ride)
        .and_then(|raw| raw.validate(&campaign.trace_limits(), now))
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))
        .with_context(|| format!("ride {}", args.ride.display()))?;
    let assessment = assess(&trace, &campaign, &history);
    println!("{}", serde_json::to_string_pretty(&assessment.decision)?);
    Ok(())
}

/// GPX documents start with `<` (after an optional byte-order mark and blanks); anything else is JSON.
fn parse_ride(bytes: &[u8]) -> Result<RawTrace, smartville_scoring::TraceError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        RawTrace::from_gpx(bytes)
    } else {
        RawTrace::from_json(bytes)
    }
}
