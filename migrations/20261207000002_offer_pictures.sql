-- An offer's picture: the key of the file (in the engine's file store, never
-- in a row) and its media type; null while it has none.
alter table offers add column picture_key text;
alter table offers add column picture_type text;
