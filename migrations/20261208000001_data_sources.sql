-- Where readings come from: a council's data sources (a waste collector's
-- weighing system, a meter-data platform, a sensor gateway), each allowed
-- some kinds of readings, and their API keys, of which only a SHA-256 of the
-- secret is kept. A source may hold several keys at once, so that a key is
-- replaced without a gap: the new one is made, the old one revoked once unused.
create table data_sources (
    tenant_id text not null references tenants(id),
    id text not null,
    name text not null,
    -- the kinds of readings it may send, comma-separated: waste, energy
    kinds text not null,
    created_at bigint not null,
    primary key (tenant_id, id)
);

create table device_keys (
    -- the key's public id, the middle of the key a source presents
    id text primary key,
    tenant_id text not null,
    source_id text not null,
    secret_hash text not null,
    created_at bigint not null,
    revoked_at bigint,
    last_used_at bigint,
    foreign key (tenant_id, source_id) references data_sources(tenant_id, id)
);
create index device_keys_of_source on device_keys (tenant_id, source_id);
