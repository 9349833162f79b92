-- Reports are read from per-day aggregates kept up to date in the
-- transactions that decide, review and credit rides, so that a campaign's
-- report over a school year reads a few thousand rows instead of a million
-- trips.

-- The local date of a ride's start in its campaign's time zone (days since
-- 1970-01-01) and the class and school its rider was in, fixed when it is
-- decided: later moves (a review, an appeal, the credit) count on the same rows.
alter table trips add column local_day bigint;
alter table trips add column class_id text;
alter table trips add column school_id text;

-- One row per campaign, school, class and local day, and the same sums for
-- each school (class `*`) and the whole campaign (school and class `*`), so
-- that every report reads one range of days.
create table report_days (
    tenant_id text not null,
    campaign_id text not null,
    day bigint not null,
    school_id text not null,
    class_id text not null,
    -- participants whose first accepted ride of the day, of its week
    -- (Monday to Sunday) and of the campaign is on this day
    riders_new_in_day bigint not null default 0,
    riders_new_in_week bigint not null default 0,
    riders_new_in_campaign bigint not null default 0,
    -- rides by their current state
    accepted bigint not null default 0,
    rejected bigint not null default 0,
    review bigint not null default 0,
    -- of the accepted rides: metres ridden and points decided
    distance_m bigint not null default 0,
    points bigint not null default 0,
    -- points the ledger paid out
    paid_points bigint not null default 0,
    primary key (tenant_id, campaign_id, school_id, class_id, day)
);

-- Rides rejected or in review, by the reasons that put them there (with the
-- same sums per school and campaign).
create table report_day_reasons (
    tenant_id text not null,
    campaign_id text not null,
    day bigint not null,
    school_id text not null,
    class_id text not null,
    reason text not null,
    rejected bigint not null default 0,
    review bigint not null default 0,
    primary key (tenant_id, campaign_id, school_id, class_id, day, reason)
);

-- Who has ridden in which day, week and campaign: a participant is counted
-- once per period (`period` is `day`, `week` or `campaign`; `starts` the
-- period's first day, 0 for the campaign).
create table report_riders (
    tenant_id text not null,
    campaign_id text not null,
    participant_id text not null,
    period text not null,
    starts bigint not null,
    primary key (tenant_id, campaign_id, participant_id, period, starts)
);
