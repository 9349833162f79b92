-- The residents linked to a household: a participant links with a code from
-- the household's letter and may unlink (which stops future rewards); linking
-- again starts anew. A household's reward is split between the members linked
-- when it is paid, the remainder to the longest linked.
create table household_members (
    tenant_id text not null,
    household_id text not null,
    participant_id text not null,
    linked_at bigint not null,
    unlinked_at bigint,
    primary key (tenant_id, household_id, participant_id),
    foreign key (tenant_id, household_id) references households(tenant_id, id)
);
create index household_members_of_participant on household_members (tenant_id, participant_id);
