-- Schools get their zone, classes their teachers, and join codes a life:
-- they can be revoked, limited in uses and given an expiry, and a class can
-- have a new one (rotation) while the old one stops working.

-- GeoJSON geometry (Polygon or MultiPolygon) of the school grounds
alter table schools add column zone text;

create table class_teachers (
    tenant_id text not null,
    class_id text not null,
    staff_id text not null,
    primary key (tenant_id, class_id, staff_id)
);

alter table join_codes add column created_at bigint not null default 0;
alter table join_codes add column revoked_at bigint;
alter table join_codes add column expires_at bigint;
alter table join_codes add column max_uses bigint;
alter table join_codes add column uses bigint not null default 0;
create index join_codes_by_class on join_codes (tenant_id, class_id);
