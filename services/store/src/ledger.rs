//! The double-entry ledger, after TigerBeetle's guarantees.
//!
//! - Transfers are immutable and there is at most one per id. The id derives
//!   from the source event (e.g. `reward:<trip id>`), so a retried event posts
//!   nothing new; a retry with different fields is a [`StoreError::Conflict`].
//! - Every transfer debits one account and credits another by the same
//!   amount, so the balances of a tenant always sum to zero: the issuer's mint
//!   account goes negative by exactly what circulates.
//! - Accounts that do not allow it (participant wallets, campaign budgets,
//!   merchants) never go negative: the balance update is conditional, in the
//!   same statement, so two concurrent debits cannot both pass a check.
//! - Accounts are updated in a fixed order, so two transfers between the
//!   same pair of accounts in opposite directions do not deadlock on
//!   PostgreSQL's row locks: one statement moves every account of a batch,
//!   listed in that order (wallets, merchants and vouchers, then campaign
//!   budgets and causes, then the issuer), and PostgreSQL locks the rows as it meets them. Should it
//!   ever plan otherwise, a deadlock is detected and one batch is retried.
//!
//! Posting happens inside the caller's transaction, together with the change
//! that caused it; on any error the caller rolls back (drops the transaction).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::ids::{CampaignId, CauseId, MerchantId, ParticipantId, TenantId, VoucherId};
use crate::sql;
use crate::{Store, StoreError, Tx, now_ms};

/// Who owns an account: the kind of owner with its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    /// The tenant's mint: the source of every coin it issues (may go negative).
    Issuer(&'a TenantId),
    /// A campaign's budget.
    Campaign(&'a CampaignId),
    /// A participant's wallet.
    Participant(&'a ParticipantId),
    /// A merchant's takings: the points of the vouchers it redeemed, until the council settles.
    Merchant(&'a MerchantId),
    /// A voucher's held points: its price while pending, nothing once redeemed or voided.
    Voucher(&'a VoucherId),
    /// A cause's donations.
    Cause(&'a CauseId),
}

impl<'a> Owner<'a> {
    /// The kind of owner, as stored (and as the account id starts).
    fn kind(self) -> &'static str {
        match self {
            Self::Issuer(_) => "issuer",
            Self::Campaign(_) => "campaign",
            Self::Participant(_) => "participant",
            Self::Merchant(_) => "merchant",
            Self::Voucher(_) => "voucher",
            Self::Cause(_) => "cause",
        }
    }

    /// The owner's id.
    fn id(self) -> &'a str {
        match self {
            Self::Issuer(id) => id.as_str(),
            Self::Campaign(id) => id.as_str(),
            Self::Participant(id) => id.as_str(),
            Self::Merchant(id) => id.as_str(),
            Self::Voucher(id) => id.as_str(),
            Self::Cause(id) => id.as_str(),
        }
    }
}

/// Place of an account in the lock order: accounts shared by many transfers come last.
fn lock_rank(account_id: &str) -> u8 {
    match account_id.split(':').next() {
        Some("participant" | "merchant" | "voucher") => 0,
        Some("campaign" | "cause") => 1,
        _ => 2,
    }
}

/// The id of the account of `owner` in `coin`: derived, so no lookup is needed.
pub fn account_id(owner: Owner<'_>, coin: &str) -> String {
    format!("{}:{}:{coin}", owner.kind(), owner.id())
}

/// Creates the account if it does not exist yet and returns its id.
pub async fn open_account(
    tx: &mut Tx,
    tenant_id: &TenantId,
    owner: Owner<'_>,
    coin: &str,
) -> Result<String, StoreError> {
    let id = account_id(owner, coin);
    sqlx::query(
        "insert into accounts (tenant_id, id, kind, owner_id, coin, balance, allow_negative) values ($1, $2, $3, $4, $5, 0, $6) \
         on conflict (tenant_id, id) do nothing",
    )
    .bind(tenant_id)
    .bind(&id)
    .bind(owner.kind())
    .bind(owner.id())
    .bind(coin)
    .bind(i64::from(matches!(owner, Owner::Issuer(_))))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Whose wallets [`open_wallets`] opens.
#[derive(Debug, Clone, Copy)]
pub enum Wallets<'a> {
    /// Every participant's, in a coin the tenant begins to issue.
    InCoin(&'a str),
    /// A new participant's, in every coin the tenant issues.
    Of(&'a ParticipantId),
}

/// Opens the participant wallets a tenant's coins need (those open already
/// stay as they are), in one statement: a participant holds a wallet in each
/// coin of their council, so crediting a ride or buying a voucher never opens one.
pub async fn open_wallets(tx: &mut Tx, tenant_id: &TenantId, which: Wallets<'_>) -> Result<(), StoreError> {
    let (filter, value) = match which {
        Wallets::InCoin(coin) => ("c.name = $2", coin),
        Wallets::Of(participant_id) => ("p.id = $2", participant_id.as_str()),
    };
    let sql = format!(
        "insert into accounts (tenant_id, id, kind, owner_id, coin, balance, allow_negative) \
         select p.tenant_id, 'participant:' || p.id || ':' || c.name, 'participant', p.id, c.name, 0, 0 \
         from participants p join coins c on c.tenant_id = p.tenant_id \
         where p.tenant_id = $1 and p.erased_at is null and {filter} \
         on conflict (tenant_id, id) do nothing"
    );
    sql::query(sql).bind(tenant_id).bind(value).execute(&mut **tx).await?;
    Ok(())
}

/// A transfer to post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Transfer {
    /// Derived from the source event; at most one transfer per id.
    pub id: String,
    /// The account that pays.
    pub debit_account: String,
    /// The account that receives.
    pub credit_account: String,
    /// Positive amount in the accounts' coin (points, or euro cents).
    pub amount: i64,
    /// What kind of movement: `reward`, `funding`, `redemption` …
    pub kind: String,
    /// The source the id derives from (a trip id, a campaign id …).
    pub reference: String,
}

/// What posting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// The transfer is new and the balances moved.
    New,
    /// The same transfer was posted before; nothing moved.
    AlreadyPosted,
}

/// Posts a transfer within `tx` (see [`post_all`]).
pub async fn post(tx: &mut Tx, tenant_id: &TenantId, transfer: &Transfer) -> Result<Posted, StoreError> {
    let mut posted = post_all(tx, tenant_id, std::slice::from_ref(transfer)).await?;
    posted.pop().ok_or(StoreError::NotFound("posted transfer"))
}

/// Posts transfers within `tx`, enforcing the invariants in the module docs,
/// and answers what it did with each, in order. A batch is one insert and one
/// update of every account it moves (by the sum of its movements), whatever
/// its size: crediting a batch of rides touches the shared budget row once.
pub async fn post_all(tx: &mut Tx, tenant_id: &TenantId, transfers: &[Transfer]) -> Result<Vec<Posted>, StoreError> {
    if let Some(invalid) = transfers.iter().find(|t| t.amount <= 0 || t.debit_account == t.credit_account) {
        return Err(StoreError::Conflict(format!(
            "transfer {} must move a positive amount between two accounts",
            invalid.id
        )));
    }
    if transfers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "insert into transfers (tenant_id, id, debit_account, credit_account, amount, kind, reference, created_at) \
         values {} on conflict (tenant_id, id) do nothing returning id",
        sql::rows(1, transfers.len(), 8)
    );
    let mut query = sql::query_scalar::<String>(sql);
    let now = now_ms();
    for transfer in transfers {
        query = query
            .bind(tenant_id)
            .bind(&transfer.id)
            .bind(&transfer.debit_account)
            .bind(&transfer.credit_account)
            .bind(transfer.amount)
            .bind(&transfer.kind)
            .bind(&transfer.reference)
            .bind(now);
    }
    let mut new: HashSet<String> = query.fetch_all(&mut **tx).await?.into_iter().collect();
    // Net movement per account, in lock order.
    let mut moves: BTreeMap<(u8, &str), i64> = BTreeMap::new();
    let mut posted = Vec::with_capacity(transfers.len());
    for transfer in transfers {
        // `remove`: a second transfer of the batch with the same id is a retry of the first.
        if new.remove(&transfer.id) {
            for (account, delta) in
                [(&transfer.debit_account, -transfer.amount), (&transfer.credit_account, transfer.amount)]
            {
                *moves.entry((lock_rank(account), account)).or_default() += delta;
            }
            posted.push(Posted::New);
            continue;
        }
        let existing: Transfer = sqlx::query_as(
            "select id, debit_account, credit_account, amount, kind, reference from transfers where tenant_id = $1 and id = $2",
        )
        .bind(tenant_id)
        .bind(&transfer.id)
        .fetch_one(&mut **tx)
        .await?;
        if &existing != transfer {
            return Err(StoreError::Conflict(format!("transfer {} was already posted with other fields", transfer.id)));
        }
        posted.push(Posted::AlreadyPosted);
    }
    move_balances(tx, tenant_id, &moves).await?;
    Ok(posted)
}

/// Moves each account's balance by its delta in one statement, unless that
/// would take an account that may not go negative below zero: then the
/// error names it, and the caller rolls back.
async fn move_balances(tx: &mut Tx, tenant_id: &TenantId, moves: &BTreeMap<(u8, &str), i64>) -> Result<(), StoreError> {
    let moves: Vec<(&str, i64)> = moves.iter().filter(|(_, delta)| **delta != 0).map(|((_, a), d)| (*a, *d)).collect();
    if moves.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "update accounts set balance = balance + d.column2 from (values {}) as d \
         where accounts.tenant_id = $1 and accounts.id = d.column1 and (allow_negative = 1 or balance + d.column2 >= 0) \
         returning accounts.id",
        sql::rows(2, moves.len(), 2)
    );
    let mut query = sql::query_scalar::<String>(sql).bind(tenant_id);
    for (account, delta) in &moves {
        query = query.bind(*account).bind(*delta);
    }
    let moved: HashSet<String> = query.fetch_all(&mut **tx).await?.into_iter().collect();
    let Some((account, delta)) = moves.into_iter().find(|(account, _)| !moved.contains(*account)) else {
        return Ok(());
    };
    let balance: Option<i64> = sqlx::query_scalar("select balance from accounts where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(account)
        .fetch_optional(&mut **tx)
        .await?;
    Err(match balance {
        None => StoreError::NotFound("account"),
        Some(balance) => StoreError::InsufficientFunds { account: account.to_owned(), balance, needed: -delta },
    })
}

/// The balance of an account (0 when it does not exist yet).
pub async fn balance(store: &Store, tenant_id: &TenantId, account: &str) -> Result<i64, StoreError> {
    read_balance(store.reader(), tenant_id, account).await
}

/// The balance of an account as the transaction sees it (0 when it does not exist yet).
pub async fn balance_in(tx: &mut Tx, tenant_id: &TenantId, account: &str) -> Result<i64, StoreError> {
    read_balance(&mut **tx, tenant_id, account).await
}

async fn read_balance(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &TenantId,
    account: &str,
) -> Result<i64, StoreError> {
    let balance: Option<i64> = sqlx::query_scalar("select balance from accounts where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(account)
        .fetch_optional(executor)
        .await?;
    Ok(balance.unwrap_or(0))
}

/// One coin held by an owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Balance {
    /// The coin, e.g. "Geelcoins".
    pub coin: String,
    /// Amount held.
    pub amount: i64,
}

/// Every coin an owner holds.
pub async fn balances_of(store: &Store, tenant_id: &TenantId, owner: Owner<'_>) -> Result<Vec<Balance>, StoreError> {
    balances_of_with(store.reader(), tenant_id, owner).await
}

/// Every coin an owner holds, read by `executor` (a transaction of the store's own writes).
pub(crate) async fn balances_of_with(
    executor: impl sqlx::AnyExecutor<'_>,
    tenant_id: &TenantId,
    owner: Owner<'_>,
) -> Result<Vec<Balance>, StoreError> {
    Ok(sqlx::query_as(
        "select coin, balance as amount from accounts where tenant_id = $1 and kind = $2 and owner_id = $3 order by coin",
    )
    .bind(tenant_id)
    .bind(owner.kind())
    .bind(owner.id())
    .fetch_all(executor)
    .await?)
}

/// A posted transfer as an owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Entry {
    /// The transfer id.
    pub id: String,
    /// Coin moved.
    pub coin: String,
    /// Positive when received, negative when paid.
    pub amount: i64,
    /// Kind of movement.
    pub kind: String,
    /// What it was for (e.g. the trip id).
    pub reference: String,
    /// When it was posted (ms since epoch).
    pub created_at: i64,
}

/// The latest transfers into or out of an owner's accounts, newest first.
pub async fn entries_of(
    store: &Store,
    tenant_id: &TenantId,
    owner: Owner<'_>,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    Ok(sqlx::query_as(
        // One side at a time, each driven from the owner's accounts through its own index of
        // transfers (an `or` in the join reads every transfer; a plain join let SQLite walk every
        // transfer of the tenant, 7 ms per wallet read after a few thousand rides).
        "select id, coin, amount, kind, reference, created_at from ( \
             select t.id, a.coin, t.amount, t.kind, t.reference, t.created_at \
             from transfers t join accounts a on a.tenant_id = t.tenant_id and a.id = t.credit_account \
             where t.tenant_id = $1 and t.credit_account in \
                 (select id from accounts where tenant_id = $1 and kind = $2 and owner_id = $3) \
             union all \
             select t.id, a.coin, -t.amount, t.kind, t.reference, t.created_at \
             from transfers t join accounts a on a.tenant_id = t.tenant_id and a.id = t.debit_account \
             where t.tenant_id = $1 and t.debit_account in \
                 (select id from accounts where tenant_id = $1 and kind = $2 and owner_id = $3) \
         ) as entries order by created_at desc, id desc limit $4",
    )
    .bind(tenant_id)
    .bind(owner.kind())
    .bind(owner.id())
    .bind(limit)
    .fetch_all(store.reader())
    .await?)
}

/// A posted transfer with the time it was posted, as an audit shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Posting {
    /// The transfer.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub transfer: Transfer,
    /// When it was posted (ms since epoch).
    pub created_at: i64,
}

/// The transfers of `ids` that were posted, in the order they were posted
/// (an audit knows the ids: they derive from what caused each transfer).
pub async fn postings(store: &Store, tenant_id: &TenantId, ids: &[String]) -> Result<Vec<Posting>, StoreError> {
    let mut postings = Vec::new();
    for chunk in ids.chunks(sql::per_statement(store.backend(), 1, 1)) {
        let statement = format!(
            "select id, debit_account, credit_account, amount, kind, reference, created_at from transfers \
             where tenant_id = $1 and id in ({})",
            sql::list(2, chunk.len())
        );
        let mut query = sql::query_as::<Posting>(statement).bind(tenant_id);
        for id in chunk {
            query = query.bind(id);
        }
        postings.extend(query.fetch_all(store.reader()).await?);
    }
    postings.sort_by(|a, b| (a.created_at, &a.transfer.id).cmp(&(b.created_at, &b.transfer.id)));
    Ok(postings)
}

/// Sum of every balance of a tenant: zero unless the ledger is broken (for audits and tests).
pub async fn balance_sum(store: &Store, tenant_id: &TenantId) -> Result<i64, StoreError> {
    let sum: Option<i64> = sqlx::query_scalar("select cast(sum(balance) as bigint) from accounts where tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(store.reader())
        .await?;
    Ok(sum.unwrap_or(0))
}

/// A broken rule of the ledger, found by [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Violation {
    /// Which rule, as a stable code: `COIN_UNBALANCED`, `ACCOUNT_DISAGREES`,
    /// `NEGATIVE_BALANCE`, `REWARD_NOT_ONCE`, `REWARD_WITHOUT_RIDE`,
    /// `SAVINGS_NOT_PAID_ONCE`, `SAVINGS_WITHOUT_CREDIT`, `VOUCHER_HOLDS_WRONG`, `VOUCHER_NOT_CLOSED_ONCE`, `STOCK_DISAGREES`
    /// or `SETTLEMENT_NOT_PAID_ONCE`.
    pub rule: String,
    /// The tenant it was found in.
    pub tenant_id: TenantId,
    /// What breaks it: a coin, an account, a trip or a transfer.
    pub subject: String,
    /// The figure that is wrong.
    pub found: i64,
}

/// Checks the rules the ledger keeps, over every tenant, in one statement:
/// the balances of each coin sum to zero; each account's balance is what its
/// transfers add up to; no account that may not go negative is below zero;
/// every accepted trip that was paid has exactly one reward transfer, of what
/// it was paid; no reward pays a trip that is not accepted; every posted
/// savings credit moved what it records, by one transfer of its id, and no
/// savings transfer lacks its posted credit; every voucher's
/// account holds its price while it is pending and nothing after; every
/// voucher was reserved once, and is redeemed once if redeemed, voided once
/// if cancelled or expired, neither while pending (never both); every
/// offer's stock sold is what its pending and redeemed vouchers say; and
/// every paid settlement was paid once, of its points. Empty when the ledger
/// is whole.
pub async fn check(store: &Store) -> Result<Vec<Violation>, StoreError> {
    Ok(sqlx::query_as(
        "select 'COIN_UNBALANCED' as rule, tenant_id, coin as subject, cast(sum(balance) as bigint) as found \
         from accounts group by tenant_id, coin having sum(balance) <> 0 \
         union all \
         select 'ACCOUNT_DISAGREES', a.tenant_id, a.id, cast(a.balance - \
                (coalesce((select sum(amount) from transfers t where t.tenant_id = a.tenant_id and t.credit_account = a.id), 0) \
               - coalesce((select sum(amount) from transfers t where t.tenant_id = a.tenant_id and t.debit_account = a.id), 0)) \
                as bigint) \
         from accounts a where a.balance <> \
                coalesce((select sum(amount) from transfers t where t.tenant_id = a.tenant_id and t.credit_account = a.id), 0) \
              - coalesce((select sum(amount) from transfers t where t.tenant_id = a.tenant_id and t.debit_account = a.id), 0) \
         union all \
         select 'NEGATIVE_BALANCE', tenant_id, id, balance from accounts where balance < 0 and allow_negative = 0 \
         union all \
         select 'REWARD_NOT_ONCE', tr.tenant_id, tr.id, \
                (select count(*) from transfers r where r.tenant_id = tr.tenant_id and r.kind = 'reward' and r.reference = tr.id) \
         from trips tr where tr.status = 'accepted' and tr.paid_points > 0 and \
                (select count(*) from transfers r where r.tenant_id = tr.tenant_id and r.kind = 'reward' and r.reference = tr.id \
                 and r.amount = tr.paid_points) <> 1 \
         union all \
         select 'REWARD_WITHOUT_RIDE', r.tenant_id, r.id, r.amount from transfers r where r.kind = 'reward' and not exists \
                (select 1 from trips tr where tr.tenant_id = r.tenant_id and tr.id = r.reference and tr.status = 'accepted') \
         union all \
         select 'SAVINGS_NOT_PAID_ONCE', c.tenant_id, c.id, coalesce(t.amount, 0) \
         from savings_credits c left join transfers t on t.tenant_id = c.tenant_id and t.id = c.id \
         where c.credited_at is not null and coalesce(t.amount, 0) <> abs(c.paid) \
         union all \
         select 'SAVINGS_WITHOUT_CREDIT', t.tenant_id, t.id, t.amount from transfers t \
         where t.kind in ('savings_reward', 'savings_correction') and not exists \
                (select 1 from savings_credits c where c.tenant_id = t.tenant_id and c.id = t.id and c.credited_at is not null) \
         union all \
         select 'VOUCHER_HOLDS_WRONG', v.tenant_id, v.id, coalesce(a.balance, 0) \
         from vouchers v left join accounts a on a.tenant_id = v.tenant_id and a.kind = 'voucher' and a.owner_id = v.id \
         where coalesce(a.balance, 0) <> case when v.status = 'pending' then v.price_points else 0 end \
         union all \
         select 'VOUCHER_NOT_CLOSED_ONCE', v.tenant_id, v.id, coalesce(t.redemptions + t.voids, 0) \
         from vouchers v left join ( \
                select tenant_id, reference, \
                       sum(case when kind = 'voucher_reserve' then 1 else 0 end) as reserves, \
                       sum(case when kind = 'redemption' then 1 else 0 end) as redemptions, \
                       sum(case when kind = 'voucher_void' then 1 else 0 end) as voids, \
                       sum(amount) as moved \
                from transfers where kind in ('voucher_reserve', 'redemption', 'voucher_void') \
                group by tenant_id, reference) t on t.tenant_id = v.tenant_id and t.reference = v.id \
         where coalesce(t.reserves, 0) <> 1 \
            or coalesce(t.redemptions, 0) <> case when v.status = 'redeemed' then 1 else 0 end \
            or coalesce(t.voids, 0) <> case when v.status in ('cancelled', 'expired') then 1 else 0 end \
            or coalesce(t.moved, 0) <> v.price_points * coalesce(t.reserves + t.redemptions + t.voids, 0) \
         union all \
         select 'STOCK_DISAGREES', o.tenant_id, o.id, o.stock_left \
         from offers o left join ( \
                select tenant_id, offer_id, count(*) as sold from vouchers where status in ('pending', 'redeemed') \
                group by tenant_id, offer_id) v on v.tenant_id = o.tenant_id and v.offer_id = o.id \
         where o.stock_left < 0 or o.stock_total - o.stock_left <> coalesce(v.sold, 0) \
         union all \
         select 'SETTLEMENT_NOT_PAID_ONCE', s.tenant_id, s.id, coalesce(t.payments, 0) \
         from settlements s left join ( \
                select tenant_id, reference, count(*) as payments, sum(amount) as paid from transfers \
                where kind = 'settlement' group by tenant_id, reference) t \
                on t.tenant_id = s.tenant_id and t.reference = s.id \
         where coalesce(t.payments, 0) <> case when s.paid_at is not null and s.points > 0 then 1 else 0 end \
            or coalesce(t.paid, 0) <> case when s.paid_at is not null then s.points else 0 end \
         order by rule, tenant_id, subject",
    )
    .fetch_all(store.reader())
    .await?)
}
