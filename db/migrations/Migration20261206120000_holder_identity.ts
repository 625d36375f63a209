import { Migration } from '@mikro-orm/migrations';

/**
 * One holder identity per email (issue 17, 2b). `users` becomes the identity table (its id stays the
 * identity's id), unique on lower(email); who may act on which account moves to account_memberships.
 * Rows that shared an email fold into the earliest one (created_at, id), with a membership for each
 * of their accounts; sessions follow. A folded identity must verify its email again (nobody can say
 * which of the rows' passwords the mailbox's owner set); an identity that was alone keeps its
 * accounts sending (verified as of its creation). Single-use emailed links store only a SHA-256.
 */
export class Migration20261206120000_holder_identity extends Migration {
  override up(): void {
    this.addSql(`
      create table account_memberships (
        user_id uuid not null references users (id) on delete cascade,
        account_id uuid not null references accounts (id) on delete cascade,
        role text not null check (role in ('owner', 'admin', 'developer', 'billing')),
        created_at timestamptz not null,
        -- Set when the holder used this account's emailed link (verification, claim, invitation): an
        -- account may send only with a verified owner, so a sign-up under someone else's email stays mute.
        verified_at timestamptz,
        primary key (user_id, account_id)
      );
      create index account_memberships_account_idx on account_memberships (account_id, created_at);

      create temporary table holder_identity_fold on commit drop as
        select id, first_value(id) over (partition by lower(email) order by created_at, id) as identity_id,
               count(*) over (partition by lower(email)) as rows_with_email
          from users;

      insert into account_memberships (user_id, account_id, role, created_at)
        select f.identity_id, u.account_id, case when u.role in ('owner', 'admin', 'developer', 'billing') then u.role else 'owner' end, u.created_at
          from users u join holder_identity_fold f on f.id = u.id
        on conflict (user_id, account_id) do nothing;

      update sessions s set user_id = f.identity_id from holder_identity_fold f where f.id = s.user_id and f.identity_id <> f.id;
      delete from users u using holder_identity_fold f where f.id = u.id and f.identity_id <> f.id;

      alter table users add column email_verified_at timestamptz;
      update users u set email_verified_at = u.created_at
        from holder_identity_fold f where f.id = u.id and f.rows_with_email = 1;
      update account_memberships m set verified_at = m.created_at
        from users u where u.id = m.user_id and u.email_verified_at is not null;
      update users set email = lower(email) where email <> lower(email);

      drop index if exists users_email_idx;
      drop index if exists users_account_idx;
      alter table users drop column account_id, drop column role, alter column password_hash drop not null;
      create unique index users_email_uq on users (lower(email));

      create table email_links (
        id uuid primary key,
        purpose text not null,
        user_id uuid references users (id) on delete cascade,
        account_id uuid references accounts (id) on delete cascade,
        token_hash bytea not null unique,
        -- A claim's sign-up password (argon2id): it replaces the identity's only if the identity was never verified.
        password_hash text,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        used_at timestamptz,
        revoked_at timestamptz
      );
      create index email_links_user_idx on email_links (user_id, purpose) where used_at is null and revoked_at is null;
      create index email_links_expires_idx on email_links (expires_at);

      -- Invitations by email: the invitee may not have an identity yet, so the email is kept until accepted or expired.
      create table account_invitations (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        email text not null,
        role text not null check (role in ('admin', 'developer', 'billing')),
        invited_by uuid references users (id) on delete set null,
        link_id uuid not null references email_links (id) on delete cascade,
        created_at timestamptz not null,
        accepted_at timestamptz
      );
      create index account_invitations_account_idx on account_invitations (account_id, created_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists account_invitations;
      drop table if exists email_links;
      drop index if exists users_email_uq;
      alter table users add column account_id uuid references accounts (id) on delete cascade, add column role text not null default 'owner';
      update users u set account_id = m.account_id, role = m.role
        from (select distinct on (user_id) user_id, account_id, role from account_memberships order by user_id, created_at) m
       where m.user_id = u.id;
      delete from users where account_id is null;
      alter table users alter column account_id set not null, drop column email_verified_at;
      create index users_account_idx on users (account_id);
      create index users_email_idx on users (email, created_at);
      drop table if exists account_memberships;
    `);
  }
}
