-- The engine's schema, written once for both SQLite and PostgreSQL.
--
-- Portable on purpose: ids are UUIDv7 text (time-ordered, so `order by id` is
-- chronological), times are epoch milliseconds (bigint), documents are JSON
-- text, and there are no sequences. Every tenant-owned table leads its primary
-- key with tenant_id so it can be distributed by tenant (Citus); the few
-- lookups that happen before the tenant is known (join codes) live in small
-- reference tables.

create table tenants (
    id text primary key,
    name text not null,
    -- the coin this issuer pays in, e.g. "Geelcoins"
    coin text not null,
    created_at bigint not null
);

create table schools (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    primary key (tenant_id, id)
);

create table classes (
    tenant_id text not null,
    id text not null,
    school_id text not null,
    name text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, school_id) references schools (tenant_id, id)
);

-- Reference table: a join code is typed before anyone knows the tenant.
create table join_codes (
    code text primary key,
    tenant_id text not null,
    class_id text not null
);

create table campaigns (
    tenant_id text not null references tenants (id),
    id text not null,
    -- the council's own identifier from the campaign file
    slug text not null,
    name text not null,
    -- the campaign file (JSON), compiled by the scoring library
    spec text not null,
    -- points moved into the campaign's budget account so far
    budget_funded bigint not null default 0,
    updated_at bigint not null,
    primary key (tenant_id, id),
    unique (tenant_id, slug)
);

create table merchants (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    primary key (tenant_id, id)
);

create table offers (
    tenant_id text not null,
    id text not null,
    merchant_id text not null,
    title text not null,
    price_points bigint not null check (price_points > 0),
    primary key (tenant_id, id),
    foreign key (tenant_id, merchant_id) references merchants (tenant_id, id)
);

create table participants (
    tenant_id text not null references tenants (id),
    id text not null,
    class_id text not null,
    -- chosen by the student; never a real name
    nickname text,
    created_at bigint not null,
    -- decisions made for this participant; updating it serialises them
    decisions bigint not null default 0,
    primary key (tenant_id, id)
);

create table enrollments (
    tenant_id text not null,
    participant_id text not null,
    campaign_id text not null,
    enrolled_at bigint not null,
    primary key (tenant_id, participant_id, campaign_id)
);

create table refresh_tokens (
    tenant_id text not null,
    id text not null,
    participant_id text not null,
    -- SHA-256 of the secret part; the secret itself is never stored
    secret_hash text not null,
    expires_at bigint not null,
    revoked_at bigint,
    primary key (tenant_id, id)
);

create table trips (
    tenant_id text not null,
    id text not null,
    participant_id text not null,
    campaign_id text not null,
    idempotency_key text not null,
    -- SHA-256 of the request body: the same key with another body is a conflict
    body_hash text not null,
    -- the trace as uploaded (kept for the dispute window, then erased)
    trace bytea,
    trace_format text not null,
    submitted_at bigint not null,
    started_at bigint not null,
    ended_at bigint not null,
    status text not null,
    points bigint not null default 0,
    distance_m bigint,
    duration_s bigint,
    -- the full decision (JSON) and the trace fingerprint (JSON)
    decision text,
    fingerprint text,
    area_cell bigint,
    decided_at bigint,
    credited_at bigint,
    primary key (tenant_id, id),
    unique (tenant_id, participant_id, idempotency_key)
);
create index trips_by_participant on trips (tenant_id, participant_id, id);
create index trips_by_area on trips (tenant_id, area_cell);

-- Events waiting to be published on the bus, written in the same transaction
-- as the change they announce.
create table outbox (
    tenant_id text not null,
    id text not null,
    topic text not null,
    payload text not null,
    created_at bigint not null,
    published_at bigint,
    primary key (tenant_id, id)
);
create index outbox_unpublished on outbox (id) where published_at is null;

-- Double-entry ledger. An account holds one coin; participant wallets and
-- campaign budgets may never go negative, the issuer's mint account may.
create table accounts (
    tenant_id text not null,
    id text not null,
    -- 'issuer', 'campaign', 'participant' or 'merchant'
    kind text not null,
    owner_id text not null,
    coin text not null,
    balance bigint not null default 0,
    allow_negative bigint not null default 0,
    primary key (tenant_id, id),
    unique (tenant_id, kind, owner_id, coin)
);

-- Immutable transfers; the id derives from the source event, so a retry is harmless.
create table transfers (
    tenant_id text not null,
    id text not null,
    debit_account text not null,
    credit_account text not null,
    amount bigint not null check (amount > 0),
    kind text not null,
    reference text not null,
    created_at bigint not null,
    primary key (tenant_id, id)
);
create index transfers_by_debit on transfers (tenant_id, debit_account, id);
create index transfers_by_credit on transfers (tenant_id, credit_account, id);
