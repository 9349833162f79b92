//! Litter and illegal-dumping reports (DESIGN §10): a participant reports a
//! place, a category and a photo; a report within [`GROUP_RADIUS_M`] and
//! [`GROUP_WINDOW_MS`] of an open one joins its group (the same heap of
//! rubbish reported by three passers-by is one job for the council); council
//! staff validate or reject a group as one, and a validated group's first
//! report is paid by the council's running litter campaign ([`rules`]), by a
//! ledger transfer in the same transaction as the decision.

pub mod rules;

use smartville_store::audit::{self, Actor};
use smartville_store::campaigns::{self, Campaign, CampaignKind, CampaignStatus};
use smartville_store::ids::{LitterReportId, ParticipantId, StaffId, TenantId};
use smartville_store::ledger::{self, Owner, Transfer};
use smartville_store::litter::{self, Decided, LitterCategory, LitterReport, LitterStatus, NewReport};
use smartville_store::{StoreError, Tx};

pub use rules::{LitterRules, LitterSpec};

use crate::campaigns::{CampaignFile, newest_file};
use crate::{DAY_MS, Engine, EngineError};

/// Reports this close to an open one join its group (metres).
pub const GROUP_RADIUS_M: f64 = 50.0;
/// Reports this soon after an open one join its group.
pub const GROUP_WINDOW_MS: i64 = DAY_MS;
/// Longest note a participant may write.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why a report or a decision is refused; each has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
pub enum LitterRefusal {
    /// A place, category or note that cannot be.
    #[error("{0}")]
    Invalid(String),
    /// No such report (of this participant, or of this council).
    #[error("no such report")]
    NotFound,
    /// The report (its group) was decided already.
    #[error("the council decided on this report already")]
    Decided,
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl LitterRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "INVALID_REPORT",
            Self::NotFound => "NOT_FOUND",
            Self::Decided => "REPORT_DECIDED",
            Self::Engine(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for LitterRefusal {
    fn from(error: StoreError) -> Self {
        Self::Engine(error.into())
    }
}

/// A report as the participant sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent<'a> {
    /// Where (WGS84 latitude).
    pub lat: f64,
    /// Where (WGS84 longitude).
    pub lon: f64,
    /// What was found: a [`LitterCategory`] name.
    pub category: &'a str,
    /// A few words, if any.
    pub note: Option<&'a str>,
}

/// Checks and stores a report at `at`, in the group of the oldest open report near it.
pub async fn report(
    engine: &Engine,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    sent: &Sent<'_>,
    at: i64,
) -> Result<LitterReport, LitterRefusal> {
    let invalid = |problem: &str| LitterRefusal::Invalid(problem.to_owned());
    if !(sent.lat.is_finite() && (-90.0..=90.0).contains(&sent.lat)) {
        return Err(invalid("lat must be a latitude between -90 and 90"));
    }
    if !(sent.lon.is_finite() && (-180.0..=180.0).contains(&sent.lon)) {
        return Err(invalid("lon must be a longitude between -180 and 180"));
    }
    let category = LitterCategory::from_name(sent.category).ok_or_else(|| {
        let names: Vec<&str> = LitterCategory::ALL.iter().map(|c| c.as_str()).collect();
        LitterRefusal::Invalid(format!("{:?} is not a category; use one of {}", sent.category, names.join(", ")))
    })?;
    let note = sent.note.map(str::trim).filter(|note| !note.is_empty());
    if note.is_some_and(|note| note.chars().count() > MAX_NOTE_CHARS) {
        return Err(LitterRefusal::Invalid(format!("a note holds at most {MAX_NOTE_CHARS} characters")));
    }
    let mut tx = engine.store.begin().await?;
    // A box a little wider than the radius, then the distance itself.
    let dlat = GROUP_RADIUS_M / 111_000.0 * 1.1;
    let dlon = dlat / sent.lat.to_radians().cos().max(0.01);
    let near = litter::open_near(&mut tx, tenant_id, (sent.lat, sent.lon), (dlat, dlon), at - GROUP_WINDOW_MS).await?;
    let group = near.iter().find(|r| metres_between((r.lat, r.lon), (sent.lat, sent.lon)) <= GROUP_RADIUS_M);
    let new = NewReport { participant_id, category, lat: sent.lat, lon: sent.lon, note };
    let stored = litter::create(&mut tx, tenant_id, &new, group.map(|r| &r.group_id), at).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(stored)
}

/// Great-circle distance (haversine, metres): exact enough at 50 m, and everywhere.
fn metres_between((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (dlat, dlon) = ((lat2 - lat1).to_radians() / 2.0, (lon2 - lon1).to_radians() / 2.0);
    let h = dlat.sin().powi(2) + lat1.to_radians().cos() * lat2.to_radians().cos() * dlon.sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// What staff decide on a report's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The council found it: the group's first report is paid.
    Validate,
    /// Nothing there, or not what was reported.
    Reject,
}

/// Decides every open report of the group of `report_id`: validated, the
/// first is paid what the running litter campaign gives (as far as its budget
/// holds) and the others are told they came after it; or rejected. Returns
/// the group's reports as decided.
pub async fn decide(
    engine: &Engine,
    tenant_id: &TenantId,
    staff_id: &StaffId,
    report_id: &LitterReportId,
    verdict: Verdict,
    note: Option<&str>,
    at: i64,
) -> Result<Vec<LitterReport>, LitterRefusal> {
    let report = litter::get(&engine.store, tenant_id, report_id).await?.ok_or(LitterRefusal::NotFound)?;
    let paying = match verdict {
        Verdict::Validate => paying_campaign(engine, tenant_id, report.category, report.created_at).await?,
        Verdict::Reject => None,
    };
    let mut tx = engine.store.begin().await?;
    let group = litter::open_group(&mut tx, tenant_id, &report.group_id).await?;
    let Some(first) = group.first() else { return Err(LitterRefusal::Decided) };
    let status = if verdict == Verdict::Validate { LitterStatus::Validated } else { LitterStatus::Rejected };
    let points = match &paying {
        Some((campaign, points)) => pay(&mut tx, tenant_id, campaign, first, *points).await?,
        None => 0,
    };
    let campaign_id = paying.as_ref().map(|(campaign, _)| &campaign.id);
    for (i, member) in group.iter().enumerate() {
        let (points, campaign_id) = if i == 0 { (points, campaign_id) } else { (0, None) };
        let decided = Decided { status, staff_id, note, campaign_id, points, at };
        litter::decide(&mut tx, tenant_id, &member.id, decided).await?;
    }
    let subject = report.group_id.as_str();
    let after = serde_json::json!({"status": status.as_str(), "reports": group.len(), "points": points});
    audit::record(&mut tx, tenant_id, Actor::Staff(staff_id), "litter.decide", subject, None, Some(&after)).await?;
    let decided = litter::group(&mut tx, tenant_id, &report.group_id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(decided)
}

/// The council's running litter campaign that pays a report of `category`
/// made at `at`, and what it pays.
async fn paying_campaign(
    engine: &Engine,
    tenant_id: &TenantId,
    category: LitterCategory,
    at: i64,
) -> Result<Option<(Campaign, i64)>, EngineError> {
    for campaign in campaigns::campaigns(&engine.store, tenant_id).await? {
        if campaign.kind != CampaignKind::Litter || campaign.status != CampaignStatus::Active {
            continue;
        }
        let CampaignFile::Litter(rules) = newest_file(engine, &campaign).await? else { continue };
        let points = i64::try_from(rules.points_for(category, at)).unwrap_or(i64::MAX);
        if points > 0 {
            return Ok(Some((campaign, points)));
        }
    }
    Ok(None)
}

/// Pays a report `points` from the campaign's budget, as far as it holds; what it paid.
async fn pay(
    tx: &mut Tx,
    tenant_id: &TenantId,
    campaign: &Campaign,
    report: &LitterReport,
    points: i64,
) -> Result<i64, LitterRefusal> {
    let budget = ledger::account_id(Owner::Campaign(&campaign.id), &campaign.coin);
    let held = ledger::balance_in(tx, tenant_id, &budget).await?;
    let paid = points.min(held).max(0);
    if paid > 0 {
        let transfer = Transfer {
            id: format!("litter:{}", report.id),
            debit_account: budget,
            credit_account: ledger::account_id(Owner::Participant(&report.participant_id), &campaign.coin),
            amount: paid,
            kind: "litter_reward".into(),
            reference: report.id.to_string(),
        };
        ledger::post(tx, tenant_id, &transfer).await?;
    }
    Ok(paid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_metres_on_the_ground() {
        let geel = (51.1617, 4.9896);
        let north = (51.1617 + 45.0 / 111_195.0, 4.9896);
        assert!((metres_between(geel, north) - 45.0).abs() < 0.1);
        let east = (51.1617, 4.9896 + 0.0008);
        assert!((metres_between(geel, east) - 55.8).abs() < 0.5, "{}", metres_between(geel, east));
    }
}
