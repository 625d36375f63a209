import { Migration } from '@mikro-orm/migrations';

/**
 * Messaging: sender numbers, per-account messaging settings, recipient restrictions, the message
 * outbox with one row per carrier attempt, the shared carrier circuit breaker and provider-webhook
 * replay protection.
 */
export class Migration20261124050000_messaging extends Migration {
  override up(): void {
    this.addSql(`
      -- The account's own numbers (business identifiers, not recipient PII). Inbound is routed by To.
      create table sender_numbers (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        phone_e164 text not null,
        label text,
        created_at timestamptz not null
      );
      create unique index sender_numbers_phone_uq on sender_numbers (phone_e164);
      create index sender_numbers_account_idx on sender_numbers (account_id, id);

      create table messaging_settings (
        account_id uuid primary key references accounts (id) on delete cascade,
        company_name text,
        help_text text,
        updated_at timestamptz not null
      );

      -- A data subject's restriction of processing: no message goes to this number from this account.
      create table recipient_restrictions (
        account_id uuid not null references accounts (id) on delete cascade,
        phone_hash bytea not null,
        reason text,
        created_at timestamptz not null,
        primary key (account_id, phone_hash)
      );

      -- Outbound rows are the outbox: written 'queued', claimed by the dispatchers.
      -- recipient_* is the other party (the To of an outbound, the From of an inbound message).
      create table messages (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        direction text not null check (direction in ('outbound', 'inbound')),
        kind text not null default 'api' check (kind in ('api', 'campaign', 'keyword_reply', 'inbound')),
        recipient_hash bytea not null,
        recipient_pii bytea,
        sender text not null,
        body bytea,
        body_purged_at timestamptz,
        encoding text not null check (encoding in ('GSM-7', 'UCS-2')),
        segments integer not null,
        status text not null check (status in
          ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed', 'received')),
        carrier text,
        carrier_message_id text,
        campaign_id uuid,
        error_code text,
        error_detail text,
        -- The outbox: when the message may be claimed next, and by which dispatcher claim.
        next_attempt_at timestamptz,
        claim_token text,
        claimed_until timestamptz,
        created_at timestamptz not null,
        sent_at timestamptz,
        delivered_at timestamptz,
        failed_at timestamptz,
        updated_at timestamptz not null
      );
      create index messages_outbox_idx on messages (next_attempt_at) where status = 'queued';
      create index messages_claim_idx on messages (claim_token) where claim_token is not null;
      create index messages_sending_idx on messages (claimed_until) where status = 'sending';
      create index messages_account_idx on messages (account_id, id);
      create index messages_account_recipient_idx on messages (account_id, recipient_hash, id);
      create index messages_campaign_idx on messages (campaign_id, id) where campaign_id is not null;
      create unique index messages_carrier_id_uq on messages (carrier, carrier_message_id) where carrier_message_id is not null;

      -- One row per carrier call, written before the call; its id rides in the callback URL.
      create table message_attempts (
        id uuid primary key,
        message_id uuid not null references messages (id) on delete cascade,
        account_id uuid not null references accounts (id) on delete cascade,
        carrier text not null,
        outcome text not null check (outcome in
          ('pending', 'accepted', 'permanent', 'transient', 'ambiguous', 'confirmed_sent', 'confirmed_not_sent')),
        carrier_message_id text,
        error_code text,
        error_detail text,
        created_at timestamptz not null,
        completed_at timestamptz,
        reconcile_after timestamptz
      );
      create index message_attempts_message_idx on message_attempts (message_id, created_at);
      create index message_attempts_ambiguous_idx on message_attempts (reconcile_after) where outcome = 'ambiguous';

      -- The per-carrier circuit breaker every worker shares.
      create table carrier_health (
        carrier text primary key,
        state text not null check (state in ('closed', 'open', 'half_open')),
        consecutive_failures integer not null default 0,
        opened_at timestamptz,
        next_probe_at timestamptz,
        updated_at timestamptz not null
      );

      -- Provider webhook replay protection: an event id (Telnyx event id, Twilio MessageSid + status) is processed once.
      create table provider_webhook_events (
        vendor text not null,
        event_id text not null,
        received_at timestamptz not null,
        primary key (vendor, event_id)
      );
      create index provider_webhook_events_received_idx on provider_webhook_events (received_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists provider_webhook_events;
      drop table if exists carrier_health;
      drop table if exists message_attempts;
      drop table if exists messages;
      drop table if exists recipient_restrictions;
      drop table if exists messaging_settings;
      drop table if exists sender_numbers;
    `);
  }
}
