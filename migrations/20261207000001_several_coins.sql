-- A council may issue several coins (one per campaign, say): the coins it
-- issues, each campaign's coin, and a wallet for every participant in every
-- coin of their council. `tenants.coin` stays the council's first coin, the
-- one a campaign, offer or cause pays in unless it names another.
create table coins (
    tenant_id text not null references tenants(id),
    name text not null,
    created_at bigint not null,
    primary key (tenant_id, name)
);
insert into coins (tenant_id, name, created_at) select id, coin, created_at from tenants;

alter table campaigns add column coin text not null default '';
update campaigns set coin = (select coin from tenants where tenants.id = campaigns.tenant_id);
