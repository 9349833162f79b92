//! Campaigns (OSLO *Stimulansaanbod*): their lifecycle, the versions of
//! their rules, the schools and classes they cover, the participants
//! enrolled through it, and their funded budgets.
//!
//! What may change when is decided by the engine (`smartville_engine::campaigns`);
//! this module stores it. Every change starts with [`lock`], which takes the
//! campaign's row for the transaction and moves its `updated_at`, the mark by
//! which every process notices that its compiled copy is out of date.

use serde::{Deserialize, Serialize};

use crate::ids::{CampaignId, ClassId, SchoolId, TenantId};
use crate::ledger::{self, Owner, Transfer};
use crate::sql::{self, BindAll};
use crate::{Store, StoreError, Tx, new_id, now_ms, status_sql, tenancy};

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Being prepared: its rules are replaced freely, nobody rides in it yet.
    Draft,
    /// Running: rides are judged by it and paid from its budget.
    Active,
    /// Held: uploads are refused until it is activated again; its rules change by versions.
    Paused,
    /// Over for good: nothing changes any more.
    Closed,
}

impl CampaignStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [Self::Draft, Self::Active, Self::Paused, Self::Closed];

    /// The stable name, as stored and serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Closed => "closed",
        }
    }

    /// Whether a campaign in this state may move to `next`: draft → active
    /// ⇄ paused → closed, and a draft may be closed unused.
    pub const fn may_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Draft, Self::Active | Self::Closed)
                | (Self::Active, Self::Paused | Self::Closed)
                | (Self::Paused, Self::Active | Self::Closed)
        )
    }

    /// Whether participants are enrolled in it (its rides count, or will again after a pause).
    pub const fn enrols(self) -> bool {
        matches!(self, Self::Active | Self::Paused)
    }
}

impl TryFrom<String> for CampaignStatus {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        Self::ALL.into_iter().find(|s| s.as_str() == name).ok_or_else(|| format!("{name:?} is not a campaign status"))
    }
}

stored_names!(
    /// What a campaign rewards; its file says so (`"kind"`, rides when absent) and it never changes.
    CampaignKind {
        /// Rides to school, judged one by one as they are uploaded.
        Rides = "rides",
        /// Households' savings of waste or energy, judged per period at its close.
        Savings = "savings",
        /// Reports of litter and illegal dumping, paid when the council validates them.
        Litter = "litter",
    }
);

/// A stored campaign (its rules are in its [`CampaignVersion`]s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Campaign {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Engine id.
    pub id: CampaignId,
    /// The council's identifier from the campaign file (the same in every version).
    pub slug: String,
    /// Display name, from its newest version.
    pub name: String,
    /// What it rewards.
    #[sqlx(try_from = "String")]
    pub kind: CampaignKind,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub status: CampaignStatus,
    /// Points moved into the budget account so far (less what was taken back).
    pub budget_funded: i64,
    /// Last change of any kind (ms since epoch): compiled copies are checked against it.
    pub updated_at: i64,
    /// The coin it pays in (one its tenant issues; never changes).
    pub coin: String,
}

/// `select` of every campaign column followed by `$tail` (a literal), as a static string.
macro_rules! select_campaigns {
    ($tail:literal) => {
        concat!(
            "select tenant_id, id, slug, name, kind, status, budget_funded, updated_at, coin from campaigns ",
            $tail
        )
    };
}

/// One version of a campaign's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CampaignVersion {
    /// 1, 2, …
    pub version: i64,
    /// The campaign file (JSON).
    pub spec: String,
    /// From when it judges rides (ms since epoch; 0 for the first version).
    pub effective_from: i64,
    /// When it was written (ms since epoch).
    pub created_at: i64,
}

/// Which participants a campaign is for: those of every school of the
/// tenant, or of the listed schools (classes created later included) and
/// the listed classes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Every school of the council, those added later included.
    #[serde(default)]
    pub all_schools: bool,
    /// Whole schools.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub schools: Vec<SchoolId>,
    /// Single classes.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub classes: Vec<ClassId>,
}

impl Audience {
    /// Every school of the tenant.
    pub fn all_schools() -> Self {
        Self { all_schools: true, ..Self::default() }
    }

    /// Whether it covers nobody.
    pub fn is_empty(&self) -> bool {
        !self.all_schools && self.schools.is_empty() && self.classes.is_empty()
    }
}

/// A campaign to create.
#[derive(Debug, Clone)]
pub struct NewCampaign<'a> {
    /// The council's identifier (`id` of the file); unique in the tenant.
    pub slug: &'a str,
    /// Display name.
    pub name: &'a str,
    /// What it rewards.
    pub kind: CampaignKind,
    /// The campaign file (JSON) of version 1.
    pub spec: &'a str,
    /// Its first status: a draft, or active at once (`smartville campaign apply`).
    pub status: CampaignStatus,
    /// The coin it pays in, one the tenant issues (`None`: the tenant's first).
    pub coin: Option<&'a str>,
    /// Whom it is for.
    pub audience: &'a Audience,
}

/// Creates a campaign with version 1 of its rules, in force from the
/// beginning. A slug the tenant already uses is a [`StoreError::Conflict`];
/// a coin, school or class not of the tenant is [`StoreError::NotFound`].
pub async fn create(tx: &mut Tx, tenant_id: &TenantId, new: &NewCampaign<'_>) -> Result<Campaign, StoreError> {
    let coin = tenancy::coin_or_first_with(tx, tenant_id, new.coin).await?.ok_or(StoreError::NotFound("coin"))?;
    let now = now_ms();
    let id = CampaignId::new();
    let inserted = sqlx::query(
        "insert into campaigns (tenant_id, id, slug, name, kind, status, coin, covers_all, budget_funded, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8) on conflict (tenant_id, slug) do nothing",
    )
    .bind(tenant_id)
    .bind(&id)
    .bind(new.slug)
    .bind(new.name)
    .bind(new.kind.as_str())
    .bind(new.status.as_str())
    .bind(&coin)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("the council already has a campaign {:?}", new.slug)));
    }
    sqlx::query(
        "insert into campaign_versions (tenant_id, campaign_id, version, spec, effective_from, created_at) \
         values ($1, $2, 1, $3, 0, $4)",
    )
    .bind(tenant_id)
    .bind(&id)
    .bind(new.spec)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    set_audience(tx, tenant_id, &id, new.audience).await?; // enrols those it covers, when it enrols
    lock(tx, tenant_id, &id).await?.ok_or(StoreError::NotFound("campaign"))
}

/// Takes a campaign's row for the rest of the transaction (a concurrent
/// change waits) and moves its `updated_at` forward, so that compiled copies
/// are renewed; `None` when the tenant has no such campaign.
pub async fn lock(tx: &mut Tx, tenant_id: &TenantId, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
    Ok(sqlx::query_as(
        "update campaigns set updated_at = case when updated_at >= $3 then updated_at + 1 else $3 end \
         where tenant_id = $1 and id = $2 \
         returning tenant_id, id, slug, name, kind, status, budget_funded, updated_at, coin",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await?)
}

/// The campaign of a tenant with the identifier `slug`.
pub async fn by_slug(tx: &mut Tx, tenant_id: &TenantId, slug: &str) -> Result<Option<Campaign>, StoreError> {
    Ok(sqlx::query_as(select_campaigns!("where tenant_id = $1 and slug = $2"))
        .bind(tenant_id)
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?)
}

/// One campaign.
pub async fn campaign(store: &Store, tenant_id: &TenantId, id: &CampaignId) -> Result<Campaign, StoreError> {
    sqlx::query_as(select_campaigns!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or(StoreError::NotFound("campaign"))
}

/// Every campaign of a tenant, oldest first.
pub async fn campaigns(store: &Store, tenant_id: &TenantId) -> Result<Vec<Campaign>, StoreError> {
    Ok(sqlx::query_as(select_campaigns!("where tenant_id = $1 order by id"))
        .bind(tenant_id)
        .fetch_all(store.reader())
        .await?)
}

/// When a campaign last changed (its `updated_at`): a cheap check of a compiled copy.
pub async fn changed_at(store: &Store, tenant_id: &TenantId, id: &CampaignId) -> Result<i64, StoreError> {
    sqlx::query_scalar("select updated_at from campaigns where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or(StoreError::NotFound("campaign"))
}

/// The versions of a campaign's rules, oldest first.
pub async fn versions(
    store: &Store,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<Vec<CampaignVersion>, StoreError> {
    read_versions(store.reader(), tenant_id, id).await
}

/// The versions of a campaign's rules, oldest first, read in a transaction.
pub async fn versions_in(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<Vec<CampaignVersion>, StoreError> {
    read_versions(&mut **tx, tenant_id, id).await
}

async fn read_versions(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<Vec<CampaignVersion>, StoreError> {
    Ok(sqlx::query_as(
        "select version, spec, effective_from, created_at from campaign_versions \
         where tenant_id = $1 and campaign_id = $2 order by version",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(executor)
    .await?)
}

/// Adds version `version` of a (locked) campaign's rules, effective from
/// `effective_from`, and takes its name as the campaign's.
pub async fn add_version(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
    version: &CampaignVersion,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into campaign_versions (tenant_id, campaign_id, version, spec, effective_from, created_at) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(version.version)
    .bind(&version.spec)
    .bind(version.effective_from)
    .bind(version.created_at)
    .execute(&mut **tx)
    .await?;
    rename(tx, tenant_id, id, name).await
}

/// Replaces the rules of a (locked) draft's only version.
pub async fn replace_draft_rules(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
    spec: &str,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "update campaign_versions set spec = $1, created_at = $2 where tenant_id = $3 and campaign_id = $4 and version = 1",
    )
    .bind(spec)
    .bind(now_ms())
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    rename(tx, tenant_id, id, name).await
}

async fn rename(tx: &mut Tx, tenant_id: &TenantId, id: &CampaignId, name: &str) -> Result<(), StoreError> {
    sqlx::query("update campaigns set name = $1 where tenant_id = $2 and id = $3")
        .bind(name)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves a (locked) campaign to `status`, enrolling the participants it covers when it starts enrolling.
pub async fn set_status(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
    status: CampaignStatus,
) -> Result<(), StoreError> {
    sqlx::query("update campaigns set status = $1 where tenant_id = $2 and id = $3")
        .bind(status.as_str())
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if status.enrols() {
        sync_enrollments(tx, tenant_id, id).await?;
    }
    Ok(())
}

/// Whom a campaign covers.
pub async fn audience(store: &Store, tenant_id: &TenantId, id: &CampaignId) -> Result<Audience, StoreError> {
    read_audience(&mut *store.reader().acquire().await?, tenant_id, id).await
}

/// Whom a campaign covers, read in a transaction.
pub async fn audience_in(tx: &mut Tx, tenant_id: &TenantId, id: &CampaignId) -> Result<Audience, StoreError> {
    read_audience(tx, tenant_id, id).await
}

async fn read_audience(
    executor: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<Audience, StoreError> {
    let all_schools: i64 = sqlx::query_scalar("select covers_all from campaigns where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *executor)
        .await?
        .ok_or(StoreError::NotFound("campaign"))?;
    let schools = sqlx::query_scalar(
        "select school_id from campaign_schools where tenant_id = $1 and campaign_id = $2 order by school_id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(&mut *executor)
    .await?;
    let classes = sqlx::query_scalar(
        "select class_id from campaign_classes where tenant_id = $1 and campaign_id = $2 order by class_id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(&mut *executor)
    .await?;
    Ok(Audience { all_schools: all_schools != 0, schools, classes })
}

/// Sets whom a (locked) campaign covers; a school or class that is not the
/// tenant's is [`StoreError::NotFound`]. Enrolments follow when the campaign enrols.
pub async fn set_audience(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
    audience: &Audience,
) -> Result<(), StoreError> {
    let schools = audience.schools.iter().map(SchoolId::as_str).collect();
    let classes = audience.classes.iter().map(ClassId::as_str).collect();
    for (table, kept_in, column, mut ids, what) in [
        ("schools", "campaign_schools", "school_id", schools, "school"),
        ("classes", "campaign_classes", "class_id", classes, "class"),
    ] {
        let ids: &mut Vec<&str> = &mut ids;
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            let sql =
                format!("select count(*) from {table} where tenant_id = $1 and id in ({})", sql::list(2, ids.len()));
            let known: i64 =
                sql::query_scalar(sql).bind(tenant_id).bind_all(ids.iter().copied()).fetch_one(&mut **tx).await?;
            if known != ids.len() as i64 {
                return Err(StoreError::NotFound(what));
            }
        }
        let delete = format!("delete from {kept_in} where tenant_id = $1 and campaign_id = $2");
        sql::query(delete).bind(tenant_id).bind(id).execute(&mut **tx).await?;
        for kept in ids.iter() {
            let insert = format!("insert into {kept_in} (tenant_id, campaign_id, {column}) values ($1, $2, $3)");
            sql::query(insert).bind(tenant_id).bind(id).bind(*kept).execute(&mut **tx).await?;
        }
    }
    let status: String =
        sqlx::query_scalar("update campaigns set covers_all = $1 where tenant_id = $2 and id = $3 returning status")
            .bind(i64::from(audience.all_schools))
            .bind(tenant_id)
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    if CampaignStatus::try_from(status).is_ok_and(CampaignStatus::enrols) {
        sync_enrollments(tx, tenant_id, id).await?;
    }
    Ok(())
}

/// Whether the class `$class` (an SQL expression) is covered by the campaign row `c`, as SQL.
macro_rules! covers_class {
    ($class:literal) => {
        concat!(
            "(c.covers_all = 1 \
              or exists (select 1 from campaign_classes k where k.tenant_id = c.tenant_id and k.campaign_id = c.id \
                         and k.class_id = ",
            $class,
            ") \
              or exists (select 1 from campaign_schools s join classes l on l.tenant_id = s.tenant_id \
                         and l.school_id = s.school_id \
                         where s.tenant_id = c.tenant_id and s.campaign_id = c.id and l.id = ",
            $class,
            "))"
        )
    };
}

/// Enrols the participants a campaign covers and unenrols those it no
/// longer does (their earlier rides stay as they were decided).
async fn sync_enrollments(tx: &mut Tx, tenant_id: &TenantId, id: &CampaignId) -> Result<(), StoreError> {
    /// The participants campaign `$2` of tenant `$1` covers, as SQL.
    macro_rules! covered {
        () => {
            concat!(
                "select p.id from participants p join campaigns c on c.tenant_id = p.tenant_id and c.id = $2 \
                 where p.tenant_id = $1 and p.erased_at is null and ",
                covers_class!("p.class_id")
            )
        };
    }
    sqlx::query(concat!(
        "delete from enrollments where tenant_id = $1 and campaign_id = $2 and participant_id not in (",
        covered!(),
        ")"
    ))
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(concat!(
        "insert into enrollments (tenant_id, participant_id, campaign_id, enrolled_at) \
         select $1, covered.id, $2, $3 from (",
        covered!(),
        // `where true`: without it SQLite reads the `on` of the upsert as a join's.
        ") as covered where true on conflict (tenant_id, participant_id, campaign_id) do nothing"
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Enrols a new participant of class `class_id` in the campaigns that cover it and enrol.
pub(crate) async fn enroll_joiner(
    tx: &mut Tx,
    tenant_id: &TenantId,
    participant_id: &crate::ids::ParticipantId,
    class_id: &ClassId,
) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "insert into enrollments (tenant_id, participant_id, campaign_id, enrolled_at) \
         select c.tenant_id, $2, c.id, $4 from campaigns c \
         where c.tenant_id = $1 and c.status in ('active', 'paused') and ",
        covers_class!("$3")
    ))
    .bind(tenant_id)
    .bind(participant_id)
    .bind(class_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The campaign a participant's uploads go to: of the running campaigns
/// they are enrolled in, the earliest enrolment; `None` when none runs.
pub async fn running_for(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &crate::ids::ParticipantId,
) -> Result<Option<CampaignId>, StoreError> {
    Ok(sqlx::query_scalar(
        "select e.campaign_id from enrollments e join campaigns c on c.tenant_id = e.tenant_id and c.id = e.campaign_id \
         where e.tenant_id = $1 and e.participant_id = $2 and c.status = 'active' \
         order by e.enrolled_at, e.campaign_id limit 1",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .fetch_optional(store.reader())
    .await?)
}

/// Moves `change` points of a (locked) campaign's coin from the tenant's
/// issuing account into its budget (a negative change takes them back), by
/// a ledger transfer, and returns what the campaign was funded with in all.
/// Taking back more than the budget still holds is [`StoreError::InsufficientFunds`].
pub async fn fund(tx: &mut Tx, campaign: &Campaign, change: i64) -> Result<i64, StoreError> {
    let (tenant_id, id, coin) = (&campaign.tenant_id, &campaign.id, &campaign.coin);
    if change != 0 {
        let issuer = ledger::account_id(Owner::Issuer(tenant_id), coin);
        let budget = ledger::open_account(tx, tenant_id, Owner::Campaign(id), coin).await?;
        let (debit_account, credit_account) = if change > 0 { (issuer, budget) } else { (budget, issuer) };
        let transfer = Transfer {
            id: format!("funding:{id}:{}", new_id()),
            debit_account,
            credit_account,
            amount: change.saturating_abs(),
            kind: "funding".into(),
            reference: id.to_string(),
        };
        ledger::post(tx, tenant_id, &transfer).await?;
    }
    Ok(sqlx::query_scalar(
        "update campaigns set budget_funded = budget_funded + $1 where tenant_id = $2 and id = $3 returning budget_funded",
    )
    .bind(change)
    .bind(tenant_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?)
}

/// What a campaign's budget looks like in the ledger and in its trips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct BudgetFigures {
    /// What the budget account holds.
    pub remaining: i64,
    /// Points decided for rides still in review: held, not paid.
    pub held: i64,
    /// Points paid to rides and households (less what corrections took back) since the given time.
    pub paid_since: i64,
    /// Points in the wallets of the tenant's participants, in the coin (all campaigns together).
    pub outstanding: i64,
}

/// The figures of a campaign's budget in `coin` (see [`BudgetFigures`]), with its pace since `since`.
pub async fn budget_figures(
    store: &Store,
    tenant_id: &TenantId,
    id: &CampaignId,
    coin: &str,
    since: i64,
) -> Result<BudgetFigures, StoreError> {
    Ok(sqlx::query_as(concat!(
        "select \
           coalesce((select balance from accounts where tenant_id = $1 and id = $3), 0) as remaining, \
           cast(coalesce((select sum(points) from trips where tenant_id = $1 and campaign_id = $2 and status = ",
        status_sql!(review),
        "), 0) as bigint) as held, \
           cast(coalesce((select sum(paid_points) from trips where tenant_id = $1 and campaign_id = $2 \
                          and credited_at is not null and credited_at >= $4), 0) \
              + coalesce((select sum(paid) from savings_credits where tenant_id = $1 and campaign_id = $2 \
                          and credited_at is not null and credited_at >= $4), 0) as bigint) as paid_since, \
           cast(coalesce((select sum(balance) from accounts where tenant_id = $1 and kind = 'participant' \
                          and coin = $5), 0) as bigint) as outstanding"
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(ledger::account_id(Owner::Campaign(id), coin))
    .bind(since)
    .bind(coin)
    .fetch_one(store.reader())
    .await?)
}
