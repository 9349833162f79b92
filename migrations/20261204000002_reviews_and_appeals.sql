-- A person's word on a ride (issue 12): a reviewer's decision on a ride that
-- scoring sent to review, and a student's appeal of a rejected ride with its
-- answer. One of each kind per trip at most: a ride is reviewed once, and a
-- student may appeal a rejection once.
create table trip_reviews (
    tenant_id text not null,
    trip_id text not null,
    -- 'review' (scoring asked a person) or 'appeal' (the student contested a rejection)
    kind text not null,
    -- the student's message, for an appeal
    message text,
    opened_at bigint not null,
    -- 'accepted' or 'rejected' once a reviewer decided, null while open
    outcome text,
    -- the reviewer's note to the student
    note text,
    decided_by text,
    decided_at bigint,
    primary key (tenant_id, trip_id, kind)
);
-- The queue: open appeals, oldest first.
create index trip_reviews_open on trip_reviews (tenant_id, opened_at) where outcome is null;
-- The queue: rides waiting for a reviewer, oldest first, however long the table grows.
create index trips_in_review on trips (tenant_id, id) where status = 'review';
