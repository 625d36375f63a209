import { Migration } from '@mikro-orm/migrations';

/**
 * Customer webhooks: the endpoints an account registers (secret sealed under its data key), one
 * delivery per (event, endpoint) with its sealed payload, and one row per HTTP attempt.
 */
export class Migration20261124060100_customer_webhooks extends Migration {
  override up(): void {
    this.addSql(`
      create table webhook_endpoints (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        url text not null,
        event_types text[] not null,
        -- Sealed (AES-256-GCM) under the account's data key, bound to this row: we sign with it, so it cannot be a hash.
        secret bytea not null,
        description text,
        status text not null default 'active' check (status in ('active', 'disabled')),
        disabled_reason text,
        disabled_at timestamptz,
        -- Set once the account's admins were emailed about disabled_at (the email is sent after the commit).
        disabled_notified_at timestamptz,
        consecutive_failures integer not null default 0,
        -- First failed attempt since the last delivered one; null while healthy.
        failing_since timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index webhook_endpoints_account_idx on webhook_endpoints (account_id, id);
      -- publishCustomerEvent's lookup, on the receipt path: only active endpoints are indexed.
      create index webhook_endpoints_active_idx on webhook_endpoints (account_id) where status = 'active';
      create index webhook_endpoints_unnotified_idx on webhook_endpoints (disabled_at)
        where status = 'disabled' and disabled_notified_at is null;

      -- One row per (event, endpoint). event_id is the uuidv7 of the event (the API shows evt_<uuid>).
      create table webhook_deliveries (
        endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
        event_id uuid not null,
        account_id uuid not null references accounts (id) on delete cascade,
        event_type text not null,
        -- Sealed under the account's data key, bound to the event id (a message.inbound holds a body and a number);
        -- dropped once the delivery is delivered or failed, so no body outlives its delivery here.
        payload bytea,
        status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
        attempts integer not null default 0,
        -- When the next attempt is due; while a drain holds the row, the end of its lease.
        next_attempt_at timestamptz,
        first_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        created_at timestamptz not null,
        completed_at timestamptz,
        primary key (endpoint_id, event_id)
      );
      create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';

      create table webhook_delivery_attempts (
        endpoint_id uuid not null,
        event_id uuid not null,
        attempt_no integer not null,
        attempted_at timestamptz not null,
        status_code integer,
        -- A stable error class (timeout, connection_refused, address_not_allowed, ...), never a response body.
        error text,
        duration_ms integer not null,
        primary key (endpoint_id, event_id, attempt_no),
        foreign key (endpoint_id, event_id) references webhook_deliveries (endpoint_id, event_id) on delete cascade
      );
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists webhook_delivery_attempts;
      drop table if exists webhook_deliveries;
      drop table if exists webhook_endpoints;
    `);
  }
}
