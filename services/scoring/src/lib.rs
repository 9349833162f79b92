//! Validation and scoring of rides: the engine's hot path, as a pure library.
//!
//! No I/O, no async, no clock: everything a decision depends on is an
//! argument, so a decision can be replayed and audited years later.
//!
//! The data flows through the modules in this order:
//!
//! - [`trace`]: JSON or GPX bytes → [`RawTrace`] → (input limits) → [`Trace`],
//!   or a typed [`TraceError`] for input that is not a usable trace.
//! - [`campaign`]: the council's rules ([`CampaignSpec`], serde) compiled once
//!   into a [`CompiledCampaign`]: calendar ([`calendar`]), zones as H3 cell
//!   sets with a raster prefilter ([`zones`]), resolved speed limits.
//! - `track`: cleaning (inaccurate fixes, isolated spikes) and the motion
//!   figures (distance, moving time, sustained speed, gaps, jumps) in two
//!   linear passes with cheap flat-earth arithmetic.
//! - [`fingerprint`]: a privacy-trimmed summary the caller stores to catch
//!   duplicates and replays later.
//! - [`assess()`]: the checks with their [`ReasonCode`]s, then the points,
//!   capped by the [`History`] snapshot the caller supplies.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use smartville_scoring::{CampaignSpec, History, RawTrace, assess};
//! let campaign = CampaignSpec::from_json(include_bytes!("../../../examples/campaign.json"))?.compile()?;
//! let trace = RawTrace::from_gpx(include_bytes!("../../../examples/ride.gpx"))?
//!     .validate(&campaign.trace_limits(), 1_800_000_000_000)?;
//! let assessment = assess(&trace, &campaign, &History::fresh(campaign.spec().budget_points));
//! assert!(assessment.decision.points > 0);
//! # Ok(()) }
//! ```

pub mod assess;
pub mod calendar;
pub mod campaign;
mod campaign_error;
pub mod decision;
pub mod fingerprint;
pub mod history;
pub mod trace;
mod track;
mod zones;

pub use assess::{Assessment, HEAT_MAP_RESOLUTION, Ride, assess};
pub use campaign::{
    CampaignSpec, Caps, CompiledCampaign, DEFAULT_CO2_G_PER_KM, Mode, Multiplier, Reward, Strictness, Thresholds,
};
pub use campaign_error::CampaignError;
pub use decision::{Decision, Effect, Reason, ReasonCode, Status};
pub use fingerprint::Fingerprint;
pub use history::{History, PriorRide, PriorTrace};
pub use trace::{
    Activity, ActivityReport, ActivityShares, Fix, RawActivity, RawFix, RawTrace, Trace, TraceError, TraceLimits,
};
pub use track::TELEPORT_MIN_M;
pub use zones::{ZoneRole, area, area_of_json};
