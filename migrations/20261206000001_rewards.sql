-- Spending points in town (issue 13): merchants with their staff and the
-- coins they accept, offers a council approves, causes students donate to,
-- vouchers that hold a student's points until a shop redeems them, and
-- settlements of what the council owes each shop.

-- A merchant is a shop, or the council itself selling city services.
alter table merchants add column address text not null default '';
alter table merchants add column latitude double precision;
alter table merchants add column longitude double precision;
-- 'shop', 'food', 'sport', 'culture', 'mobility' or 'city_services'
alter table merchants add column category text not null default 'shop';
alter table merchants add column created_at bigint not null default 0;

-- The coins a merchant accepts, each with the value of one point in euro
-- cents, which settles the vouchers redeemed from then on.
create table merchant_coins (
    tenant_id text not null,
    merchant_id text not null,
    coin text not null,
    point_value_cents bigint not null check (point_value_cents >= 0),
    primary key (tenant_id, merchant_id, coin),
    foreign key (tenant_id, merchant_id) references merchants (tenant_id, id)
);

-- Merchant staff work for one shop.
alter table staff add column merchant_id text;

-- An offer is proposed by its merchant and sold only once the council approved it.
alter table offers add column description text not null default '';
alter table offers add column coin text not null default '';
alter table offers add column stock_total bigint not null default 0;
-- what is left to sell: never below zero (a sale takes one only where one is left)
alter table offers add column stock_left bigint not null default 0 check (stock_left >= 0);
alter table offers add column valid_from bigint not null default 0;
alter table offers add column valid_until bigint not null default 0;
alter table offers add column per_participant_limit bigint not null default 1;
-- a voucher is good for this many days after its purchase (and never after valid_until)
alter table offers add column voucher_days bigint not null default 30;
-- 'proposed', 'approved', 'rejected' or 'withdrawn'
alter table offers add column status text not null default 'proposed';
alter table offers add column review_note text;
alter table offers add column reviewed_by text;
alter table offers add column reviewed_at bigint;
alter table offers add column created_at bigint not null default 0;
-- The offers of before this migration had no coin, stock or validity: they wait for a new proposal.
update offers set coin = (select coin from tenants where tenants.id = offers.tenant_id);

-- How many of an offer's vouchers a participant holds (pending or redeemed):
-- a purchase takes one only below the offer's limit, in the same statement.
create table offer_holdings (
    tenant_id text not null,
    offer_id text not null,
    participant_id text not null,
    held bigint not null check (held >= 0),
    primary key (tenant_id, offer_id, participant_id)
);

-- A voucher: the points of one purchase, held in the voucher's own ledger
-- account until a shop redeems it (moved to the shop) or it is cancelled or
-- expires (moved back to the wallet).
create table vouchers (
    tenant_id text not null,
    id text not null,
    offer_id text not null,
    merchant_id text not null,
    participant_id text not null,
    coin text not null,
    price_points bigint not null check (price_points > 0),
    -- the code shown at the counter: 80 random bits, canonical Crockford base32
    code text not null,
    idempotency_key text not null,
    -- 'pending', 'redeemed', 'cancelled' or 'expired'
    status text not null,
    created_at bigint not null,
    expires_at bigint not null,
    redeemed_at bigint,
    redeemed_by text,
    -- what the council owes the shop for it, at the point value of the moment it was redeemed
    value_cents bigint,
    voided_at bigint,
    -- the settlement that counts it, once the council closed one
    settlement_id text,
    primary key (tenant_id, id),
    unique (tenant_id, code),
    unique (tenant_id, participant_id, idempotency_key)
);
create index vouchers_by_participant on vouchers (tenant_id, participant_id, id);
create index vouchers_to_expire on vouchers (expires_at) where status = 'pending';
create index vouchers_by_merchant on vouchers (tenant_id, merchant_id, redeemed_at) where status = 'redeemed';

-- What the council owes a shop for the vouchers it redeemed in one period, in one coin.
create table settlements (
    tenant_id text not null,
    id text not null,
    merchant_id text not null,
    coin text not null,
    period_from bigint not null,
    period_until bigint not null,
    vouchers bigint not null,
    points bigint not null,
    amount_cents bigint not null,
    closed_at bigint not null,
    closed_by text not null,
    paid_at bigint,
    paid_by text,
    primary key (tenant_id, id)
);
create index settlements_by_merchant on settlements (tenant_id, merchant_id, period_until);

-- A cause students donate points to (a school project, a neighbourhood fund);
-- its total is the balance of its ledger account.
create table causes (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    description text not null,
    coin text not null,
    created_at bigint not null,
    primary key (tenant_id, id)
);
