-- Storage shaped by the load tests (load-tests/README.md): the rows read on
-- every request stay small, and every query the hot path runs reads a bounded
-- range of one index.

-- Traces move out of `trips`. A trip row is read several times per upload;
-- with the trace inline, SQLite walked the trace's overflow pages to reach the
-- columns after it and PostgreSQL compressed it into TOAST. The trace is also
-- the one piece of a trip with a short retention (the dispute window), so it
-- gets a table that can be emptied on its own schedule.
create table trip_traces (
    tenant_id text not null,
    trip_id text not null,
    -- 'compact' (the scoring library's binary form); trips stored before this
    -- migration keep their upload as it was, 'json' or 'gpx'
    format text not null,
    trace bytea not null,
    primary key (tenant_id, trip_id)
);
insert into trip_traces (tenant_id, trip_id, format, trace)
    select tenant_id, id, trace_format, trace from trips where trace is not null;

-- Fingerprints of decided trips, keyed by coarse area and then by trip id,
-- so "the latest N rides of others that started in this area" is one short
-- index range instead of a sort of every ride ever made there. Stored in the scoring
-- library's binary form (a few hundred bytes, no JSON parse): the JSON
-- fingerprints of trips decided before this migration are not carried over,
-- so those rides are no longer candidates for replay detection.
create table trip_fingerprints (
    tenant_id text not null,
    trip_id text not null,
    participant_id text not null,
    area_cell bigint not null,
    fingerprint bytea not null,
    -- the key is the lookup ("the latest rides of this area"), so the rows of
    -- an area sit together in the one index the lookup needs
    primary key (tenant_id, area_cell, trip_id)
);
-- A participant's own earlier rides are compared wherever and however long ago they were made.
create index trip_fingerprints_by_participant on trip_fingerprints (tenant_id, participant_id, trip_id);

drop index trips_by_area;
alter table trips drop column trace;
alter table trips drop column trace_format;
alter table trips drop column fingerprint;
alter table trips drop column area_cell;

-- The relay sweep looks for trips waiting for their next step; these partial
-- indexes hold only those few rows, however long the table grows.
create index trips_waiting_for_decision on trips (submitted_at) where status = 'pending';
create index trips_waiting_for_credit on trips (decided_at) where status = 'accepted' and credited_at is null;

-- A published event is deleted rather than marked: the outbox holds only what
-- still has to go out, and reading it never steps over published rows.
drop index outbox_unpublished;
delete from outbox where published_at is not null;
alter table outbox drop column published_at;
create index outbox_in_order on outbox (id);
