-- Staff: the people of a council and its schools who run its campaigns
-- (council admins, school admins, teachers, auditors), their one-time set-up
-- links, their sessions, and the audit log of what they did.

create table staff (
    tenant_id text not null references tenants (id),
    id text not null,
    -- lower case; the login name
    email text not null,
    -- council_admin | school_admin | teacher | auditor
    role text not null,
    -- the school of a school admin or a teacher
    school_id text,
    -- argon2id hash in PHC format; null until the person sets a password
    password_hash text,
    created_at bigint not null,
    removed_at bigint,
    primary key (tenant_id, id),
    foreign key (tenant_id, school_id) references schools (tenant_id, id)
);

-- Reference table: a login names an e-mail address before anyone knows the
-- tenant. One account per address in the whole deployment.
create table staff_logins (
    email text primary key,
    tenant_id text not null,
    staff_id text not null
);

-- One-time links that let a person set their password (the first council
-- admin, an invitation, a reset): only a SHA-256 of the secret is stored.
create table staff_setup_tokens (
    tenant_id text not null,
    id text not null,
    staff_id text not null,
    secret_hash text not null,
    expires_at bigint not null,
    used_at bigint,
    primary key (tenant_id, id)
);

-- Sessions are no longer only participants': a refresh token names its
-- holder, a participant or a staff member.
alter table refresh_tokens rename column participant_id to holder_id;
alter table refresh_tokens add column holder text not null default 'participant';
create index refresh_tokens_by_holder on refresh_tokens (tenant_id, holder_id);

-- Who did what, when, with the state before and after (JSON), per tenant.
create table audit_log (
    tenant_id text not null references tenants (id),
    id text not null,
    at bigint not null,
    actor_id text not null,
    action text not null,
    subject text not null,
    before text,
    after text,
    primary key (tenant_id, id)
);
