//! Campaigns run by their council: what may change when, in one place for
//! the administration API and the operator's `smartville campaign apply`.
//!
//! A campaign starts as a draft, whose rules are replaced freely; once
//! activated, a change of its rules is a new version that takes effect at a
//! time not in the past (and after the newest version), so that a ride is
//! always judged by the version in force when it started and no decision
//! already made would have come out otherwise. Audience (which schools and
//! classes it is for) decides who is enrolled. Every change is written to
//! the audit log in the caller's transaction; [`cache`] keeps the compiled
//! rules of every version.

pub mod cache;

pub use cache::{CampaignCache, CampaignRules, RECHECK_AFTER, RulesVersion};

use serde::{Deserialize, Serialize};
use smartville_scoring::{CampaignError, CampaignSpec};
use smartville_store::audit::{self, Actor};
use smartville_store::campaigns::{
    self, Audience, Campaign, CampaignKind, CampaignStatus, CampaignVersion, NewCampaign,
};
use smartville_store::ids::{CampaignId, TenantId};
use smartville_store::{StoreError, Tx};

use crate::litter::{LitterRules, LitterSpec};
use crate::savings::{SavingsRules, SavingsSpec};
use crate::{Engine, EngineError};

/// Why a change of a campaign is refused; each has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
pub enum CampaignRefusal {
    /// The council has no such campaign.
    #[error("no such campaign")]
    NotFound,
    /// The campaign file has problems (every one, with its field).
    #[error("the campaign file has {} problem(s)", .0.len())]
    Invalid(Vec<CampaignError>),
    /// Another campaign of the council has this identifier.
    #[error("the council already has a campaign {0:?}")]
    SlugTaken(String),
    /// A new version names another campaign identifier than the campaign's.
    #[error("a campaign keeps its id: this one is {kept:?}, the file says {given:?}")]
    SlugChanged {
        /// The campaign's identifier.
        kept: String,
        /// The file's.
        given: String,
    },
    /// A new version is of another kind of campaign than the campaign's.
    #[error("a campaign keeps its kind: this one rewards {kept}, the file {given}")]
    KindChanged {
        /// The campaign's kind.
        kept: &'static str,
        /// The file's.
        given: &'static str,
    },
    /// A savings or litter campaign was given schools or classes.
    #[error("only a rides campaign names schools or classes; a savings or litter campaign is for the whole council")]
    AudienceNotTaken,
    /// The change does not fit where the campaign is in its life.
    #[error("a campaign that is {status} cannot {change}")]
    State {
        /// Where it is.
        status: &'static str,
        /// What was asked.
        change: &'static str,
    },
    /// A new version would take effect before now.
    #[error("a new version cannot take effect in the past (effective_from {effective_from} < now {now}, ms)")]
    VersionInThePast {
        /// The requested time (ms since epoch).
        effective_from: i64,
        /// Now (ms since epoch).
        now: i64,
    },
    /// A new version would not take effect after the newest one.
    #[error(
        "version {version} takes effect at {effective_from} (ms); a new version must take effect after it, not at or before"
    )]
    VersionOverlap {
        /// The newest version.
        version: i64,
        /// When it takes effect (ms since epoch).
        effective_from: i64,
    },
    /// The audience names both every school and single schools or classes.
    #[error("audience names all_schools and also single schools or classes; choose one")]
    AudienceAmbiguous,
    /// An active campaign would cover nobody.
    #[error("an active campaign must cover someone: name its schools or classes, or all_schools")]
    CoversNobody,
    /// A school or class in the audience is not the council's.
    #[error("the audience names a {0} this council does not have")]
    UnknownInAudience(&'static str),
    /// The campaign is to pay in a coin the council does not issue.
    #[error("this council does not issue {0:?}; it issues the coins of GET /v1/admin/coins")]
    UnknownCoin(String),
    /// A funding of no points, of less, or of too many.
    #[error("a funding moves 1 to {MAX_FUNDING} points, not {0}")]
    FundingOutOfRange(i64),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl CampaignRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::Invalid(_) => "CAMPAIGN_INVALID",
            Self::SlugTaken(_) => "CAMPAIGN_EXISTS",
            Self::SlugChanged { .. } => "CAMPAIGN_ID_CHANGED",
            Self::KindChanged { .. } => "CAMPAIGN_KIND_CHANGED",
            Self::AudienceNotTaken => "AUDIENCE_NOT_TAKEN",
            Self::State { .. } => "CAMPAIGN_STATE",
            Self::VersionInThePast { .. } => "VERSION_IN_THE_PAST",
            Self::VersionOverlap { .. } => "VERSION_OVERLAP",
            Self::AudienceAmbiguous => "AUDIENCE_AMBIGUOUS",
            Self::CoversNobody => "COVERS_NOBODY",
            Self::UnknownInAudience(_) => "UNKNOWN_IN_AUDIENCE",
            Self::UnknownCoin(_) => "UNKNOWN_COIN",
            Self::FundingOutOfRange(_) => "FUNDING_OUT_OF_RANGE",
            Self::Engine(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for CampaignRefusal {
    fn from(error: StoreError) -> Self {
        Self::Engine(error.into())
    }
}

/// A campaign file's rules, of either kind: what its `"kind"` says (rides when it says nothing).
#[derive(Debug, Clone)]
pub enum CampaignFile {
    /// Rides to school (the scoring library's rules).
    Rides(Box<CampaignSpec>),
    /// Savings of waste or energy per period.
    Savings(Box<SavingsRules>),
    /// Reports of litter and illegal dumping.
    Litter(Box<LitterRules>),
}

impl CampaignFile {
    /// Reads a campaign file of either kind and checks its rules; every
    /// problem it has, each with its field's path, when it cannot be used.
    pub fn read(file: &[u8]) -> Result<Self, Vec<CampaignError>> {
        let mut value: serde_json::Value = match serde_json::from_slice(file) {
            Ok(value @ serde_json::Value::Object(_)) => value,
            Ok(_) => return Err(vec![CampaignError::Json("a campaign is a JSON object".into())]),
            Err(error) => return Err(vec![CampaignError::Json(error.to_string())]),
        };
        match value.get("kind").map(|kind| (kind.as_str(), kind)) {
            Some((Some("savings"), _)) => SavingsSpec::check(value).map(|rules| Self::Savings(Box::new(rules))),
            Some((Some("litter"), _)) => LitterSpec::check(value).map(|rules| Self::Litter(Box::new(rules))),
            None | Some((Some("rides"), _)) => {
                if let Some(fields) = value.as_object_mut() {
                    fields.remove("kind");
                }
                let file = value.to_string();
                let problems = CampaignSpec::problems_of(file.as_bytes());
                if !problems.is_empty() {
                    return Err(problems);
                }
                CampaignSpec::from_json(file.as_bytes()).map(|spec| Self::Rides(Box::new(spec))).map_err(|e| vec![e])
            }
            Some((_, kind)) => Err(vec![invalid(
                "kind",
                format!("{kind} is not a kind of campaign: use \"rides\" (the default), \"savings\" or \"litter\""),
            )]),
        }
    }

    /// What it rewards.
    pub fn kind(&self) -> CampaignKind {
        match self {
            Self::Rides(_) => CampaignKind::Rides,
            Self::Savings(_) => CampaignKind::Savings,
            Self::Litter(_) => CampaignKind::Litter,
        }
    }

    /// The council's identifier (`id`).
    pub fn id(&self) -> &str {
        match self {
            Self::Rides(spec) => &spec.id,
            Self::Savings(rules) => &rules.spec().id,
            Self::Litter(rules) => &rules.spec().id,
        }
    }

    /// The name shown.
    pub fn name(&self) -> &str {
        match self {
            Self::Rides(spec) => &spec.name,
            Self::Savings(rules) => &rules.spec().name,
            Self::Litter(rules) => &rules.spec().name,
        }
    }

    /// The budget the file asks for.
    pub fn budget_points(&self) -> u64 {
        match self {
            Self::Rides(spec) => spec.budget_points,
            Self::Savings(rules) => rules.spec().budget_points,
            Self::Litter(rules) => rules.spec().budget_points,
        }
    }
}

/// Reads a campaign file's fields as `T`, or the problem where reading
/// stopped, with its field's path: the first step of every kind's check.
pub(crate) fn fields_of<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Vec<CampaignError>> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let problem = error.into_inner().to_string();
        vec![if path == "." { CampaignError::Json(problem) } else { invalid(path, problem) }]
    })
}

/// A problem with a field of a campaign file.
pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> CampaignError {
    CampaignError::Invalid { field: field.into(), problem: problem.into() }
}

/// The rules of a campaign's newest version, read again from its stored file.
pub async fn newest_file(engine: &Engine, campaign: &Campaign) -> Result<CampaignFile, EngineError> {
    let versions = campaigns::versions(&engine.store, &campaign.tenant_id, &campaign.id).await?;
    let newest = versions.last().ok_or(StoreError::NotFound("campaign version"))?;
    CampaignFile::read(newest.spec.as_bytes()).map_err(|mut problems| EngineError::Campaign(problems.swap_remove(0)))
}

/// A campaign file that can be used: its rules and its text as stored.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The rules.
    pub file: CampaignFile,
    /// The file as given (stored as the version's rules).
    pub json: String,
}

/// Reads and checks a campaign file off the async threads (compiling a
/// rides campaign's zones takes milliseconds): the file, or every problem it has.
pub async fn check(file: Vec<u8>) -> Result<Checked, CampaignRefusal> {
    tokio::task::spawn_blocking(move || {
        let rules = CampaignFile::read(&file).map_err(CampaignRefusal::Invalid)?;
        Ok(Checked { file: rules, json: String::from_utf8_lossy(&file).into_owned() })
    })
    .await
    .map_err(|e| EngineError::Task(e.to_string()))?
}

/// One version of a campaign's rules, as the API shows it and the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    /// 1, 2, …: recorded with every decision made by it.
    pub version: i64,
    /// From when it judges rides (ms since the epoch; 0: from the beginning).
    pub effective_from: i64,
    /// When it was written (ms since the epoch).
    pub created_at: i64,
    /// The campaign file.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub rules: serde_json::Value,
}

impl From<&CampaignVersion> for VersionView {
    fn from(v: &CampaignVersion) -> Self {
        Self {
            version: v.version,
            effective_from: v.effective_from,
            created_at: v.created_at,
            rules: serde_json::from_str(&v.spec).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// What a new campaign is besides its file.
#[derive(Debug, Clone, Copy)]
pub struct Setting<'a> {
    /// Whom it is for.
    pub audience: &'a Audience,
    /// A draft, or active at once.
    pub status: CampaignStatus,
    /// The coin it pays in (`None`: the council's first coin).
    pub coin: Option<&'a str>,
}

/// Creates a campaign from a checked file.
pub async fn create(
    tx: &mut Tx,
    tenant_id: &TenantId,
    actor: Actor<'_>,
    checked: &Checked,
    setting: Setting<'_>,
) -> Result<Campaign, CampaignRefusal> {
    let Setting { audience, status, coin } = setting;
    let kind = checked.file.kind();
    check_audience(kind, audience, status)?;
    let (slug, name, spec) = (checked.file.id(), checked.file.name(), checked.json.as_str());
    let new = NewCampaign { slug, name, kind, spec, status, audience, coin };
    let campaign = campaigns::create(tx, tenant_id, &new).await.map_err(|error| match error {
        StoreError::Conflict(_) => CampaignRefusal::SlugTaken(slug.to_owned()),
        StoreError::NotFound("coin") => CampaignRefusal::UnknownCoin(coin.unwrap_or_default().to_owned()),
        StoreError::NotFound(what) => CampaignRefusal::UnknownInAudience(what),
        other => other.into(),
    })?;
    audit::record(tx, tenant_id, actor, "campaign.create", campaign.id.as_str(), None, Some(&campaign)).await?;
    let first = campaigns::versions_in(tx, tenant_id, &campaign.id).await?;
    let first = first.first().map(VersionView::from);
    audit::record(tx, tenant_id, actor, "campaign.rules", campaign.id.as_str(), None, first.as_ref()).await?;
    Ok(campaign)
}

/// Changes a campaign's rules to a checked file: a draft's are replaced; a
/// running or paused campaign gets a new version taking effect at
/// `effective_from` (now when `None`), which must not be before `now` nor at
/// or before the newest version's. Returns the version that holds the rules.
pub async fn change_rules(
    tx: &mut Tx,
    tenant_id: &TenantId,
    actor: Actor<'_>,
    id: &CampaignId,
    checked: &Checked,
    effective_from: Option<i64>,
    now: i64,
) -> Result<CampaignVersion, CampaignRefusal> {
    let campaign = locked(tx, tenant_id, id).await?;
    if checked.file.id() != campaign.slug {
        return Err(CampaignRefusal::SlugChanged { kept: campaign.slug, given: checked.file.id().to_owned() });
    }
    if checked.file.kind() != campaign.kind {
        return Err(CampaignRefusal::KindChanged { kept: campaign.kind.as_str(), given: checked.file.kind().as_str() });
    }
    let versions = campaigns::versions_in(tx, tenant_id, id).await?;
    let newest = versions.last().ok_or(StoreError::NotFound("campaign version"))?;
    let version = match campaign.status {
        CampaignStatus::Closed => return Err(refusal(&campaign, "change its rules")),
        CampaignStatus::Draft if effective_from.is_some() => {
            return Err(refusal(&campaign, "have versions with an effective time (its rules are replaced)"));
        }
        CampaignStatus::Draft => {
            campaigns::replace_draft_rules(tx, tenant_id, id, &checked.json, checked.file.name()).await?;
            CampaignVersion { spec: checked.json.clone(), created_at: now, ..newest.clone() }
        }
        CampaignStatus::Active | CampaignStatus::Paused => {
            let effective_from = effective_from.unwrap_or(now);
            if effective_from < now {
                return Err(CampaignRefusal::VersionInThePast { effective_from, now });
            }
            if effective_from <= newest.effective_from {
                return Err(CampaignRefusal::VersionOverlap {
                    version: newest.version,
                    effective_from: newest.effective_from,
                });
            }
            let version = CampaignVersion {
                version: newest.version + 1,
                spec: checked.json.clone(),
                effective_from,
                created_at: now,
            };
            campaigns::add_version(tx, tenant_id, id, &version, checked.file.name()).await?;
            version
        }
    };
    let before = VersionView::from(newest);
    let after = VersionView::from(&version);
    audit::record(tx, tenant_id, actor, "campaign.rules", id.as_str(), Some(&before), Some(&after)).await?;
    Ok(version)
}

/// Moves a campaign to `status` (see [`CampaignStatus::may_become`]); an
/// activation needs a campaign that covers someone.
pub async fn set_status(
    tx: &mut Tx,
    tenant_id: &TenantId,
    actor: Actor<'_>,
    id: &CampaignId,
    status: CampaignStatus,
) -> Result<Campaign, CampaignRefusal> {
    let before = locked(tx, tenant_id, id).await?;
    if !before.status.may_become(status) {
        let change = match status {
            CampaignStatus::Draft => "become a draft again",
            CampaignStatus::Active => "be activated",
            CampaignStatus::Paused => "be paused",
            CampaignStatus::Closed => "be closed",
        };
        return Err(refusal(&before, change));
    }
    if status == CampaignStatus::Active
        && before.kind == CampaignKind::Rides
        && campaigns::audience_in(tx, tenant_id, id).await?.is_empty()
    {
        return Err(CampaignRefusal::CoversNobody);
    }
    campaigns::set_status(tx, tenant_id, id, status).await?;
    let after = Campaign { status, ..before.clone() };
    audit::record(tx, tenant_id, actor, "campaign.status", id.as_str(), Some(&before), Some(&after)).await?;
    Ok(after)
}

/// Sets which schools and classes a campaign is for (not once it is closed).
pub async fn set_audience(
    tx: &mut Tx,
    tenant_id: &TenantId,
    actor: Actor<'_>,
    id: &CampaignId,
    audience: &Audience,
) -> Result<Audience, CampaignRefusal> {
    let campaign = locked(tx, tenant_id, id).await?;
    if campaign.status == CampaignStatus::Closed {
        return Err(refusal(&campaign, "change whom it covers"));
    }
    check_audience(campaign.kind, audience, campaign.status)?;
    let before = campaigns::audience_in(tx, tenant_id, id).await?;
    campaigns::set_audience(tx, tenant_id, id, audience).await.map_err(|error| match error {
        StoreError::NotFound(what) => CampaignRefusal::UnknownInAudience(what),
        other => other.into(),
    })?;
    let after = campaigns::audience_in(tx, tenant_id, id).await?;
    audit::record(tx, tenant_id, actor, "campaign.audience", id.as_str(), Some(&before), Some(&after)).await?;
    Ok(after)
}

/// Most points one funding moves (a sanity bound: a thousand billion).
pub const MAX_FUNDING: i64 = 1_000_000_000_000;

/// Funds a campaign (not a closed one) with `points` from the council's
/// issuing account, by a ledger transfer; returns the campaign.
pub async fn fund(
    tx: &mut Tx,
    tenant_id: &TenantId,
    actor: Actor<'_>,
    id: &CampaignId,
    points: i64,
) -> Result<Campaign, CampaignRefusal> {
    let before = locked(tx, tenant_id, id).await?;
    if before.status == CampaignStatus::Closed {
        return Err(refusal(&before, "be funded"));
    }
    if !(1..=MAX_FUNDING).contains(&points) {
        return Err(CampaignRefusal::FundingOutOfRange(points));
    }
    let budget_funded = campaigns::fund(tx, &before, points).await?;
    let after = Campaign { budget_funded, ..before.clone() };
    audit::record(tx, tenant_id, actor, "campaign.fund", id.as_str(), Some(&before), Some(&after)).await?;
    Ok(after)
}

/// Loads a campaign file into a tenant as the operator's command does: a
/// new campaign is created active for every school, with its budget funded
/// to the file's `budget_points`; a known one gets the file's rules (a new
/// version in force from now, or a draft's rules replaced) and its budget
/// moved to the file's by a funding or refund transfer. The file is
/// [`check`]ed first, so a bad one never gets here.
pub async fn apply_file(engine: &Engine, tenant_id: &TenantId, checked: &Checked) -> Result<Campaign, CampaignRefusal> {
    let mut tx = engine.store.begin().await?;
    let campaign = match campaigns::by_slug(&mut tx, tenant_id, checked.file.id()).await? {
        None => {
            let audience = match checked.file.kind() {
                CampaignKind::Rides => Audience::all_schools(),
                CampaignKind::Savings | CampaignKind::Litter => Audience::default(),
            };
            let setting = Setting { audience: &audience, status: CampaignStatus::Active, coin: None };
            create(&mut tx, tenant_id, Actor::System, checked, setting).await?
        }
        Some(campaign) => {
            change_rules(&mut tx, tenant_id, Actor::System, &campaign.id, checked, None, crate::now_ms()).await?;
            campaign
        }
    };
    let target = i64::try_from(checked.file.budget_points()).unwrap_or(i64::MAX);
    campaigns::fund(&mut tx, &campaign, target - campaign.budget_funded).await?;
    let campaign = locked(&mut tx, tenant_id, &campaign.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(campaign)
}

/// The campaign, locked for the transaction (see [`campaigns::lock`]).
async fn locked(tx: &mut Tx, tenant_id: &TenantId, id: &CampaignId) -> Result<Campaign, CampaignRefusal> {
    campaigns::lock(tx, tenant_id, id).await?.ok_or(CampaignRefusal::NotFound)
}

fn refusal(campaign: &Campaign, change: &'static str) -> CampaignRefusal {
    CampaignRefusal::State { status: campaign.status.as_str(), change }
}

/// Whether an audience fits a campaign: a rides campaign that runs covers
/// someone; a savings or litter campaign names no schools (it is for every
/// household with linked members, every reporter of the council).
fn check_audience(kind: CampaignKind, audience: &Audience, status: CampaignStatus) -> Result<(), CampaignRefusal> {
    if kind != CampaignKind::Rides {
        return if audience.is_empty() { Ok(()) } else { Err(CampaignRefusal::AudienceNotTaken) };
    }
    if audience.all_schools && (!audience.schools.is_empty() || !audience.classes.is_empty()) {
        return Err(CampaignRefusal::AudienceAmbiguous);
    }
    if status == CampaignStatus::Active && audience.is_empty() {
        return Err(CampaignRefusal::CoversNobody);
    }
    Ok(())
}
