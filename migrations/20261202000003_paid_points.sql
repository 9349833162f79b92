-- What the ledger paid for a trip is the ledger's own fact, beside scoring's decided points:
-- when the budget runs short, a ride is paid less than it earned, and the decision (scoring's
-- fact) stays as scoring wrote it. Trips credited before this column were paid their points.
alter table trips add column paid_points bigint;
update trips set paid_points = points where credited_at is not null;
