-- The pace at which a campaign's budget is paid out (its burn-rate forecast)
-- is read from the rides credited in the last days: this index holds the
-- credited rides of each campaign in the order they were paid.
create index trips_credited_by_campaign on trips (tenant_id, campaign_id, credited_at) where credited_at is not null;
