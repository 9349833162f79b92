-- A participant's wallet is opened when the participant joins, so crediting a
-- ride no longer opens it (one statement less per ride). Participants who
-- joined before get theirs here; the id is `ledger::account_id`'s
-- `participant:<participant id>:<coin>`.
insert into accounts (tenant_id, id, kind, owner_id, coin, balance, allow_negative)
select p.tenant_id, 'participant:' || p.id || ':' || t.coin, 'participant', p.id, t.coin, 0, 0
from participants p
join tenants t on t.id = p.tenant_id
on conflict (tenant_id, id) do nothing;
