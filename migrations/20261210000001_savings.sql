-- Savings campaigns (DESIGN §10): a campaign is of a kind, and a savings
-- campaign's period close judges every linked household once per period.
--
-- A decision is kept per household and period, its `revision` moving each
-- time a close comes out otherwise (a correction of a reading). What it pays
-- travels as credits, one per linked member and revision, each the
-- difference from what the revision before paid; the ledger posts a credit
-- once (its id is the transfer's) and records what the budget allowed.
alter table campaigns add column kind text not null default 'rides';

create table savings_decisions (
    tenant_id text not null,
    campaign_id text not null,
    period text not null,
    household_id text not null,
    revision integer not null,
    version integer not null,
    status text not null,
    points bigint not null,
    decision text not null,
    decided_at bigint not null,
    primary key (tenant_id, campaign_id, period, household_id),
    foreign key (tenant_id, campaign_id) references campaigns(tenant_id, id),
    foreign key (tenant_id, household_id) references households(tenant_id, id)
);
create index savings_decisions_of_household on savings_decisions (tenant_id, household_id);

create table savings_credits (
    tenant_id text not null,
    id text not null,
    campaign_id text not null,
    period text not null,
    household_id text not null,
    participant_id text not null,
    points bigint not null,
    created_at bigint not null,
    credited_at bigint,
    paid bigint,
    primary key (tenant_id, id),
    foreign key (tenant_id, campaign_id) references campaigns(tenant_id, id)
);
create index savings_credits_waiting on savings_credits (created_at) where credited_at is null;

create table savings_closes (
    tenant_id text not null,
    campaign_id text not null,
    period text not null,
    closed_at bigint not null,
    households integer not null,
    primary key (tenant_id, campaign_id, period),
    foreign key (tenant_id, campaign_id) references campaigns(tenant_id, id)
);

-- A close sums every household's readings of a period at once.
create index readings_by_time on readings (tenant_id, observed_at);
