-- Refresh tokens belong to a family: the token a join hands out and every
-- token rotated from it. When a used token is presented again, somebody holds
-- a copy, so the whole family (the stolen copy's session too) is revoked.
-- Tokens issued before families existed each start their own.
alter table refresh_tokens add column family_id text not null default '';
update refresh_tokens set family_id = id where family_id = '';
create index refresh_tokens_by_family on refresh_tokens (tenant_id, family_id);
