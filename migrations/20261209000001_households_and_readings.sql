-- Households and their readings (DESIGN §10).
--
-- A household is known to the engine only by the pseudonymous reference the
-- council's data sources use for it (no address), and by its size when the
-- council knows it (a household without history is compared with households
-- of its size). Residents link to it with a one-time code from a letter, of
-- which only a SHA-256 is kept.
create table households (
    tenant_id text not null references tenants(id),
    id text not null,
    reference text not null,
    size integer,
    created_at bigint not null,
    primary key (tenant_id, id),
    unique (tenant_id, reference)
);

create table household_codes (
    code_hash text primary key,
    tenant_id text not null,
    household_id text not null,
    created_at bigint not null,
    used_at bigint,
    used_by text,
    foreign key (tenant_id, household_id) references households(tenant_id, id)
);
create index household_codes_of_household on household_codes (tenant_id, household_id);

-- A reading: what a source measured for a household, by the source's own id
-- (so that sending a reading again changes nothing). The amount is kept as an
-- integer in the base unit of what was measured: grams of waste, watt-hours
-- of electricity, litres of gas or water. A correction is a reading of its
-- own that names the one it replaces; the replaced one keeps its row, marked.
create table readings (
    tenant_id text not null,
    source_id text not null,
    id text not null,
    household_id text not null,
    kind text not null,
    measured text not null,
    observed_at bigint not null,
    amount bigint not null,
    received_at bigint not null,
    correction_of text,
    replaced_by text,
    primary key (tenant_id, source_id, id),
    foreign key (tenant_id, source_id) references data_sources(tenant_id, id),
    foreign key (tenant_id, household_id) references households(tenant_id, id)
);
create index readings_of_household on readings (tenant_id, household_id, observed_at);
