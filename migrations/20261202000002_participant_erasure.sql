-- A participant erased on request (DELETE /v1/me) keeps a row without nickname, marked with the
-- time of erasure: uploads with an access token issued before it are refused, and the ledger's
-- accounts and transfers, which are immutable, keep pointing at an id that means nobody.
alter table participants add column erased_at bigint;
