-- Campaigns get a lifecycle, versions of their rules and the schools and
-- classes they cover (issue 12: councils run their own campaigns).

-- draft -> active <-> paused -> closed (a draft may also be closed unused).
-- Campaigns applied before this migration were in force: they stay active.
alter table campaigns add column status text not null default 'active';
-- 1: every school of the tenant, those created later included; 0: only the
-- schools and classes listed in campaign_schools and campaign_classes.
-- Campaigns applied before this migration enrolled everyone: they cover all.
alter table campaigns add column covers_all bigint not null default 1;

-- The rules of a campaign over time. A ride is judged by the version in force
-- at its start: the one with the latest effective_from not after it. Version 1
-- is in force from the beginning (effective_from 0); a change of an active
-- campaign adds a version that takes effect at a time not in the past, so no
-- ride already decided would have been judged otherwise.
create table campaign_versions (
    tenant_id text not null,
    campaign_id text not null,
    version bigint not null,
    -- the campaign file (JSON), compiled by the scoring library
    spec text not null,
    effective_from bigint not null,
    created_at bigint not null,
    primary key (tenant_id, campaign_id, version),
    foreign key (tenant_id, campaign_id) references campaigns (tenant_id, id)
);
insert into campaign_versions (tenant_id, campaign_id, version, spec, effective_from, created_at)
    select tenant_id, id, 1, spec, 0, updated_at from campaigns;
alter table campaigns drop column spec;

-- What a campaign covers when it does not cover all: whole schools (their
-- classes created later included) and single classes.
create table campaign_schools (
    tenant_id text not null,
    campaign_id text not null,
    school_id text not null,
    primary key (tenant_id, campaign_id, school_id),
    foreign key (tenant_id, campaign_id) references campaigns (tenant_id, id),
    foreign key (tenant_id, school_id) references schools (tenant_id, id)
);
create table campaign_classes (
    tenant_id text not null,
    campaign_id text not null,
    class_id text not null,
    primary key (tenant_id, campaign_id, class_id),
    foreign key (tenant_id, campaign_id) references campaigns (tenant_id, id),
    foreign key (tenant_id, class_id) references classes (tenant_id, id)
);

-- The version of the campaign's rules a decision used. Every trip decided
-- before this migration was judged by the only version there was.
alter table trips add column campaign_version bigint;
update trips set campaign_version = 1 where decided_at is not null;
