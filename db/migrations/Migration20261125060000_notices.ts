import { Migration } from '@mikro-orm/migrations';

/**
 * Notice processes (issue 9): the breach register, subprocessors (seeded with the DPA's list) and
 * customers' objections, policy versions, the public changelog, in-product notices and one row per
 * notice delivered (process, phase, recipient: send time and content version), which is also what
 * makes a retried send a no-op.
 */
export class Migration20261125060000_notices extends Migration {
  override up(): void {
    this.addSql(`
      create table breaches (
        id uuid primary key,
        description text not null,
        aware_at timestamptz not null,
        declared_at timestamptz not null,
        declared_by uuid not null references staff_users (id),
        nature text not null,
        subject_categories text[] not null,
        record_categories text[] not null,
        approx_subjects integer,
        approx_records integer,
        likely_consequences text not null,
        measures text not null,
        contact text not null,
        affects_all boolean not null,
        notice_required boolean not null,
        no_notice_reason text,
        status text not null check (status in ('assessing', 'approved', 'no_notice')),
        content_version integer not null default 1,
        approved_at timestamptz,
        approved_by uuid references staff_users (id),
        check (notice_required or no_notice_reason is not null)
      );
      create table breach_affected_accounts (
        breach_id uuid not null references breaches (id),
        account_id uuid not null references accounts (id),
        primary key (breach_id, account_id)
      );
      create table breach_updates (
        breach_id uuid not null references breaches (id),
        seq integer not null,
        summary text not null,
        created_at timestamptz not null,
        created_by uuid not null references staff_users (id),
        primary key (breach_id, seq)
      );

      create table subprocessors (
        id uuid primary key,
        vendor text not null unique,
        name text not null,
        purpose text not null,
        locations text[] not null,
        recipient_data boolean not null,
        status text not null check (status in ('pending', 'active')),
        announced_at timestamptz not null,
        effective_at timestamptz not null,
        activated_at timestamptz
      );
      create table subprocessor_objections (
        id uuid primary key,
        subprocessor_id uuid not null references subprocessors (id),
        account_id uuid not null references accounts (id),
        reason text not null,
        status text not null check (status in ('open', 'resolved', 'unresolved')),
        created_at timestamptz not null,
        resolved_at timestamptz,
        resolved_by uuid references staff_users (id),
        unique (subprocessor_id, account_id)
      );
      create index subprocessor_objections_account_idx on subprocessor_objections (account_id) where status <> 'resolved';

      create table policy_versions (
        kind text not null check (kind in ('privacy', 'dpa')),
        version text not null,
        body text,
        url text,
        material boolean not null,
        effective_at timestamptz not null,
        published_at timestamptz not null,
        published_by uuid not null references staff_users (id),
        primary key (kind, version),
        check (body is not null or url is not null)
      );
      create index policy_versions_effective_idx on policy_versions (kind, effective_at);

      create table changelog_entries (
        id uuid primary key,
        published_at timestamptz not null,
        kind text not null,
        ref text not null unique,
        title text not null,
        body text not null
      );

      -- In-product notices (GET /v1/notices): one account's, or every account's when account_id is null.
      create table customer_notices (
        id uuid primary key,
        process_id text not null,
        phase text not null,
        account_id uuid references accounts (id),
        title text not null,
        body text not null,
        content_version text not null,
        shown_from timestamptz not null,
        shown_until timestamptz
      );
      create unique index customer_notices_account_key on customer_notices (process_id, phase, account_id) where account_id is not null;
      create unique index customer_notices_broadcast_key on customer_notices (process_id, phase) where account_id is null;
      create index customer_notices_account_idx on customer_notices (account_id, shown_from);

      -- Every notice sent: to an account (its admin contacts) or a staff member (reminders).
      create table notice_deliveries (
        process_id text not null,
        phase text not null,
        recipient_kind text not null check (recipient_kind in ('account', 'staff')),
        recipient_id uuid not null,
        content_version text not null,
        sent_at timestamptz not null,
        email text not null,
        email_id text,
        primary key (process_id, phase, recipient_kind, recipient_id)
      );
      create index notice_deliveries_recipient_idx on notice_deliveries (recipient_id);

      insert into subprocessors (id, vendor, name, purpose, locations, recipient_data, status, announced_at, effective_at, activated_at)
      select gen_random_uuid(), v.vendor, v.name, v.purpose, v.locations, v.recipient_data, 'active',
             timestamptz '2026-01-01T00:00:00Z', timestamptz '2026-01-01T00:00:00Z', timestamptz '2026-01-01T00:00:00Z'
      from (values
        ('aws', 'Amazon Web Services', 'Hosting, database and storage', array['United States', 'European Union'], true),
        ('vercel', 'Vercel', 'Web front end and dashboard hosting', array['United States'], false),
        ('telnyx', 'Telnyx', 'SMS delivery (primary carrier route)', array['United States'], true),
        ('twilio', 'Twilio', 'SMS delivery (failover carrier route)', array['United States'], true),
        ('stripe', 'Stripe', 'Payments and billing', array['United States'], false),
        ('resend', 'Resend', 'Transactional email to account holders', array['United States'], false),
        ('posthog', 'PostHog', 'Product analytics (account holders only)', array['European Union'], false),
        ('datadog', 'Datadog', 'Monitoring and logs (no recipient data)', array['United States'], false),
        ('linear', 'Linear', 'Issue tracking (support cases)', array['United States'], false),
        ('notion', 'Notion', 'Internal documentation', array['United States'], false)
      ) as v (vendor, name, purpose, locations, recipient_data);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists notice_deliveries;
      drop table if exists customer_notices;
      drop table if exists changelog_entries;
      drop table if exists policy_versions;
      drop table if exists subprocessor_objections;
      drop table if exists subprocessors;
      drop table if exists breach_updates;
      drop table if exists breach_affected_accounts;
      drop table if exists breaches;
    `);
  }
}
