//! Offers: what a merchant sells for points. A merchant proposes an offer,
//! the council approves or rejects it, and only an approved offer within its
//! validity period is on sale. Stock and each participant's limit are taken
//! by conditional updates in the buyer's transaction, so concurrent
//! purchases can never sell more than there is.
//!
//! ```text
//! proposed ──(council)──► approved ──(merchant or council)──► withdrawn
//!          └─(council)──► rejected
//!          └─(merchant)─► withdrawn
//! ```

use serde::Serialize;

use crate::ids::{MerchantId, OfferId, ParticipantId, StaffId, TenantId};
use crate::{Store, StoreError, Tx, now_ms};

stored_names!(
    /// Where an offer is in its life.
    OfferStatus {
        /// Waiting for the council.
        Proposed = "proposed",
        /// On sale within its validity period.
        Approved = "approved",
        /// Refused by the council, with a note.
        Rejected = "rejected",
        /// Taken off sale; vouchers already sold stay good.
        Withdrawn = "withdrawn",
    }
);

impl OfferStatus {
    /// Whether an offer in this state may move to `next` (see the module's diagram).
    pub const fn may_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Proposed, Self::Approved | Self::Rejected | Self::Withdrawn) | (Self::Approved, Self::Withdrawn)
        )
    }
}

/// An offer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Offer {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Public id.
    pub id: OfferId,
    /// Who sells it.
    pub merchant_id: MerchantId,
    /// What it is, in a few words.
    pub title: String,
    /// What the student gets, and how.
    pub description: String,
    /// The coin it is priced in.
    pub coin: String,
    /// Its price in points of that coin.
    pub price_points: i64,
    /// How many were put on sale.
    pub stock_total: i64,
    /// How many are left (vouchers pending or redeemed are not).
    pub stock_left: i64,
    /// On sale from (ms since epoch).
    pub valid_from: i64,
    /// On sale until (ms since epoch, exclusive); no voucher is good after it.
    pub valid_until: i64,
    /// How many vouchers of it one participant may hold at once (pending or redeemed).
    pub per_participant_limit: i64,
    /// How many days a voucher is good for after its purchase.
    pub voucher_days: i64,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub status: OfferStatus,
    /// The council's note on its decision.
    pub review_note: Option<String>,
    /// When it was proposed (ms since epoch).
    pub created_at: i64,
    /// The key of its picture in the file store, if it has one.
    pub picture_key: Option<String>,
    /// The picture's media type (`image/jpeg` or `image/png`).
    pub picture_type: Option<String>,
}

/// `select` of every offer column followed by `$tail` (a literal), as a static string.
macro_rules! select_offers {
    ($tail:literal) => {
        concat!(
            "select tenant_id, id, merchant_id, title, description, coin, price_points, stock_total, stock_left, \
             valid_from, valid_until, per_participant_limit, voucher_days, status, review_note, created_at, picture_key, picture_type from offers ",
            $tail
        )
    };
}

/// What a merchant proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOffer<'a> {
    /// What it is.
    pub title: &'a str,
    /// What the student gets.
    pub description: &'a str,
    /// The coin it is priced in (one the merchant accepts).
    pub coin: &'a str,
    /// Price in points.
    pub price_points: i64,
    /// How many to sell.
    pub stock: i64,
    /// On sale from (ms since epoch).
    pub valid_from: i64,
    /// On sale until (ms since epoch, exclusive).
    pub valid_until: i64,
    /// Vouchers one participant may hold.
    pub per_participant_limit: i64,
    /// Days a voucher is good for.
    pub voucher_days: i64,
}

/// Stores a merchant's proposal (status `proposed`).
pub async fn propose(
    tx: &mut Tx,
    tenant_id: &TenantId,
    merchant_id: &MerchantId,
    new: &NewOffer<'_>,
) -> Result<Offer, StoreError> {
    let offer = Offer {
        tenant_id: tenant_id.clone(),
        id: OfferId::new(),
        merchant_id: merchant_id.clone(),
        title: new.title.to_owned(),
        description: new.description.to_owned(),
        coin: new.coin.to_owned(),
        price_points: new.price_points,
        stock_total: new.stock,
        stock_left: new.stock,
        valid_from: new.valid_from,
        valid_until: new.valid_until,
        per_participant_limit: new.per_participant_limit,
        voucher_days: new.voucher_days,
        status: OfferStatus::Proposed,
        review_note: None,
        created_at: now_ms(),
        picture_key: None,
        picture_type: None,
    };
    sqlx::query(
        "insert into offers (tenant_id, id, merchant_id, title, description, coin, price_points, stock_total, \
         stock_left, valid_from, valid_until, per_participant_limit, voucher_days, status, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(tenant_id)
    .bind(&offer.id)
    .bind(merchant_id)
    .bind(&offer.title)
    .bind(&offer.description)
    .bind(&offer.coin)
    .bind(offer.price_points)
    .bind(offer.stock_total)
    .bind(offer.stock_left)
    .bind(offer.valid_from)
    .bind(offer.valid_until)
    .bind(offer.per_participant_limit)
    .bind(offer.voucher_days)
    .bind(offer.status.as_str())
    .bind(offer.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(offer)
}

/// One offer of a tenant.
pub async fn get(store: &Store, tenant_id: &TenantId, id: &OfferId) -> Result<Option<Offer>, StoreError> {
    Ok(sqlx::query_as(select_offers!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(store.reader())
        .await?)
}

/// The offers of a tenant, newest first: of one merchant, or all of them;
/// in one status, or every status.
pub async fn list(
    store: &Store,
    tenant_id: &TenantId,
    merchant_id: Option<&MerchantId>,
    status: Option<OfferStatus>,
) -> Result<Vec<Offer>, StoreError> {
    Ok(sqlx::query_as(select_offers!(
        "where tenant_id = $1 and ($2 is null or merchant_id = $2) and ($3 is null or status = $3) order by id desc"
    ))
    .bind(tenant_id)
    .bind(merchant_id)
    .bind(status.map(OfferStatus::as_str))
    .fetch_all(store.reader())
    .await?)
}

/// Moves an offer from `from` to `to` (checked by the caller with
/// [`OfferStatus::may_become`]), with the reviewer and their note when the
/// council decides, unless someone moved it first: answers the offer as it
/// is now, or `None` when it was not in `from`.
pub async fn change_status(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &OfferId,
    from: OfferStatus,
    to: OfferStatus,
    reviewer: Option<(&StaffId, Option<&str>)>,
) -> Result<Option<Offer>, StoreError> {
    let (reviewed_by, note) = reviewer.map_or((None, None), |(by, note)| (Some(by), note));
    let changed = sqlx::query(
        "update offers set status = $1, reviewed_by = coalesce($2, reviewed_by), review_note = coalesce($3, review_note), \
         reviewed_at = case when $2 is null then reviewed_at else $4 end \
         where tenant_id = $5 and id = $6 and status = $7",
    )
    .bind(to.as_str())
    .bind(reviewed_by)
    .bind(note)
    .bind(now_ms())
    .bind(tenant_id)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    Ok(sqlx::query_as(select_offers!("where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// Gives a proposed offer the picture stored under `key` (a new proposal's
/// picture is decided on with the rest of it); `false` when the offer is not
/// (or no longer) waiting for the council.
pub async fn set_picture(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &OfferId,
    key: &str,
    media_type: &str,
) -> Result<bool, StoreError> {
    let changed = sqlx::query(
        "update offers set picture_key = $1, picture_type = $2 where tenant_id = $3 and id = $4 and status = 'proposed'",
    )
    .bind(key)
    .bind(media_type)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Why an offer could not be sold to a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSold {
    /// The tenant has no such offer.
    Unknown,
    /// Not approved, withdrawn, or outside its validity period.
    NotOnSale,
    /// None left.
    SoldOut,
    /// The participant holds as many of its vouchers as one may.
    LimitReached,
}

/// The offer as it is on sale at `now`, read in the buyer's transaction:
/// approved, within its validity period, at a merchant that takes its coin.
pub async fn for_sale(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &OfferId,
    now: i64,
) -> Result<Result<Offer, NotSold>, StoreError> {
    let on_sale: Option<Offer> = sqlx::query_as(select_offers!(
        "where tenant_id = $1 and id = $2 and status = 'approved' and valid_from <= $3 and valid_until > $3 \
         and exists (select 1 from merchant_coins c where c.tenant_id = offers.tenant_id \
                     and c.merchant_id = offers.merchant_id and c.coin = offers.coin)"
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(offer) = on_sale {
        return Ok(Ok(offer));
    }
    let exists: Option<i64> = sqlx::query_scalar("select 1 from offers where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(Err(if exists.is_some() { NotSold::NotOnSale } else { NotSold::Unknown }))
}

/// Takes one of an offer's stock and one of the participant's allowance, in
/// the buyer's transaction: both are conditional updates, so two concurrent
/// purchases cannot take the last one twice, and the caller's rollback (the
/// wallet was short) gives both back.
pub async fn take_one(
    tx: &mut Tx,
    offer: &Offer,
    participant_id: &ParticipantId,
) -> Result<Result<(), NotSold>, StoreError> {
    let stock_taken = sqlx::query(
        "update offers set stock_left = stock_left - 1 where tenant_id = $1 and id = $2 and stock_left > 0",
    )
    .bind(&offer.tenant_id)
    .bind(&offer.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if stock_taken == 0 {
        return Ok(Err(NotSold::SoldOut));
    }
    let held: Option<i64> = sqlx::query_scalar(
        "insert into offer_holdings (tenant_id, offer_id, participant_id, held) values ($1, $2, $3, 1) \
         on conflict (tenant_id, offer_id, participant_id) do update set held = offer_holdings.held + 1 \
         where offer_holdings.held < $4 returning held",
    )
    .bind(&offer.tenant_id)
    .bind(&offer.id)
    .bind(participant_id)
    .bind(offer.per_participant_limit)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(if held.is_some() { Ok(()) } else { Err(NotSold::LimitReached) })
}

/// Gives back what [`take_one`] took, when a voucher is cancelled or expires.
pub async fn give_back(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &OfferId,
    participant_id: &ParticipantId,
) -> Result<(), StoreError> {
    sqlx::query("update offers set stock_left = stock_left + 1 where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "update offer_holdings set held = held - 1 where tenant_id = $1 and offer_id = $2 and participant_id = $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(participant_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An offer on sale, as a participant sees it in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OnSale {
    /// The offer.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub offer: Offer,
    /// Who sells it.
    pub merchant_name: String,
    /// How many of its vouchers the participant holds now.
    pub held: i64,
}

/// The offers on sale to a participant at `now`: approved, within their
/// validity, at merchants that accept their coin; cheapest first.
pub async fn on_sale(
    store: &Store,
    tenant_id: &TenantId,
    participant_id: &ParticipantId,
    now: i64,
) -> Result<Vec<OnSale>, StoreError> {
    Ok(sqlx::query_as(
        "select o.tenant_id, o.id, o.merchant_id, o.title, o.description, o.coin, o.price_points, o.stock_total, \
                o.stock_left, o.valid_from, o.valid_until, o.per_participant_limit, o.voucher_days, o.status, \
                o.review_note, o.created_at, o.picture_key, o.picture_type, m.name as merchant_name, coalesce(h.held, 0) as held \
         from offers o \
         join merchants m on m.tenant_id = o.tenant_id and m.id = o.merchant_id \
         join merchant_coins c on c.tenant_id = o.tenant_id and c.merchant_id = o.merchant_id and c.coin = o.coin \
         left join offer_holdings h on h.tenant_id = o.tenant_id and h.offer_id = o.id and h.participant_id = $2 \
         where o.tenant_id = $1 and o.status = 'approved' and o.valid_from <= $3 and o.valid_until > $3 \
         order by o.price_points, o.id",
    )
    .bind(tenant_id)
    .bind(participant_id)
    .bind(now)
    .fetch_all(store.reader())
    .await?)
}
