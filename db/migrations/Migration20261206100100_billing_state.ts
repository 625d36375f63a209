import { Migration } from '@mikro-orm/migrations';

/**
 * Billing state (issue 16).
 * - account_billing: one row per account with a Stripe customer: the default card's display fields
 *   only (brand, last 4, expiry, country: the Privacy Policy's list), the subscription, the dunning
 *   state and whether sending is suspended for non-payment. `*_event_at` hold the Stripe `created` of
 *   the object version applied, so an older event arriving later never overwrites a newer state.
 * - stripe_events: the ids of applied Stripe events, written in the transaction that applies one, so
 *   a replay changes nothing. Kept 90 days (Stripe retries for 3 days).
 * - billing_records: invoices and payment-method changes, display fields only and no holder PII (the
 *   Stripe customer carries none: it is created with the account id only). Kept 7 years, through
 *   account termination and deletion, then purged by the retention schedule.
 */
export class Migration20261206100100_billing_state extends Migration {
  override up(): void {
    this.addSql(`
      create table account_billing (
        account_id uuid primary key references accounts (id),
        payment_method_id text,
        card_brand text check (card_brand is null or length(card_brand) <= 32),
        card_last4 text check (card_last4 is null or card_last4 ~ '^[0-9]{4}$'),
        card_exp_month smallint check (card_exp_month is null or card_exp_month between 1 and 12),
        card_exp_year smallint,
        card_country text check (card_country is null or card_country ~ '^[A-Z]{2}$'),
        payment_method_event_at timestamptz,
        subscription_id text,
        subscription_status text,
        subscription_event_at timestamptz,
        dunning_invoice_id text,
        dunning_started_at timestamptz,
        sending_suspended_at timestamptz,
        updated_at timestamptz not null
      );

      create table stripe_events (
        event_id text primary key,
        type text not null,
        created_at timestamptz not null,
        received_at timestamptz not null
      );
      create index stripe_events_received_idx on stripe_events (received_at);

      create table billing_records (
        id uuid primary key,
        account_id uuid not null references accounts (id),
        kind text not null check (kind in ('invoice', 'payment_method', 'credit')),
        stripe_object_id text not null,
        invoice_number text,
        period_start timestamptz,
        period_end timestamptz,
        amount_due bigint,
        amount_paid bigint,
        currency text,
        status text not null,
        hosted_invoice_url text,
        card_brand text,
        card_last4 text check (card_last4 is null or card_last4 ~ '^[0-9]{4}$'),
        card_exp_month smallint,
        card_exp_year smallint,
        card_country text,
        reason text,
        occurred_at timestamptz not null,
        created_at timestamptz not null,
        unique (kind, stripe_object_id)
      );
      create index billing_records_account_idx on billing_records (account_id, occurred_at desc);
      create index billing_records_created_idx on billing_records (created_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists billing_records;
      drop table if exists stripe_events;
      drop table if exists account_billing;
    `);
  }
}
