-- The public heat map of ridden streets (the dashboard at /open/{town}).
--
-- A decided ride keeps the H3 cells (resolution 9) it passed through, its ends
-- spared (see the scoring library's Ride::cells_without_ends), as a JSON array:
-- what the reports read when the ride starts to earn points.
alter table trips add column route_cells text;

-- Which participants rode an earning ride through each cell of a campaign:
-- a cell is shown once enough distinct participants did (k-anonymity), and
-- its count is all that is shown. A participant's marks go with their erasure.
create table report_cells (
    tenant_id text not null,
    campaign_id text not null,
    cell bigint not null,
    participant_id text not null,
    primary key (tenant_id, campaign_id, cell, participant_id)
);
