-- Litter and illegal-dumping reports (DESIGN §10): a participant reports a
-- place, a category and a photo (the photo is kept outside the database,
-- by its key). Reports within 50 m and 24 h of an open one join its group,
-- which council staff validate or reject as one; a validated group's first
-- report is rewarded by the council's litter campaign.
create table litter_reports (
    tenant_id text not null references tenants(id),
    id text not null,
    participant_id text not null,
    category text not null,
    lat double precision not null,
    lon double precision not null,
    note text,
    created_at bigint not null,
    group_id text not null,
    photo_key text,
    photo_type text,
    status text not null,
    decided_at bigint,
    decided_by text,
    decision_note text,
    campaign_id text,
    points bigint not null default 0,
    primary key (tenant_id, id)
);
create index litter_reports_by_time on litter_reports (tenant_id, created_at);
create index litter_reports_of_participant on litter_reports (tenant_id, participant_id);
create index litter_reports_of_group on litter_reports (tenant_id, group_id);
