-- What-if simulations: a draft of a campaign's rules re-judges the
-- campaign's recent rides (those whose traces are still kept) in the
-- background, without touching any wallet; the row holds its progress and,
-- once done, its result.
create table simulations (
    tenant_id text not null,
    id text not null,
    campaign_id text not null,
    requested_by text not null,
    -- the draft rules (a campaign file) and the days of rides re-judged
    spec text not null,
    days bigint not null,
    -- rides started at or after this time (ms since epoch) are re-judged
    since bigint not null,
    -- running, done or failed
    status text not null,
    done bigint not null default 0,
    total bigint not null default 0,
    -- JSON, once done; the reason, once failed
    result text,
    error text,
    created_at bigint not null,
    -- written with every step: a running simulation whose process stopped stops being updated
    heartbeat_at bigint not null,
    finished_at bigint,
    primary key (tenant_id, id)
);

-- A simulation reads a campaign's rides in the order they started.
create index trips_by_campaign_start on trips (tenant_id, campaign_id, started_at, id);
