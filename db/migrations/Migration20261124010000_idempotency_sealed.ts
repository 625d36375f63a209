import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys stop holding responses in clear: a replay is either sealed under the account's
 * data key or a reference to the resource, re-rendered from its current row. Keys expire after
 * 24 h, and a claim carries a lease so a request that died mid-way does not hold its key forever.
 */
export class Migration20261124010000_idempotency_sealed extends Migration {
  override up(): void {
    this.addSql(`
      -- Stored responses were plaintext (secrets and PII) and cannot be re-sealed or re-referenced: drop them.
      delete from idempotency_keys;
      alter table idempotency_keys
        drop column response_body,
        add column claim_id uuid not null,
        add column locked_until timestamptz,
        add column expires_at timestamptz not null,
        add column response_sealed bytea,
        add column resource_type text,
        add column resource_id text,
        add constraint idempotency_keys_one_replay check (response_sealed is null or resource_type is null),
        add constraint idempotency_keys_resource_pair check ((resource_type is null) = (resource_id is null));
      create index idempotency_keys_expires_at on idempotency_keys (expires_at);
    `);
  }

  override down(): void {
    this.addSql(`
      delete from idempotency_keys;
      drop index if exists idempotency_keys_expires_at;
      alter table idempotency_keys
        drop constraint idempotency_keys_one_replay,
        drop constraint idempotency_keys_resource_pair,
        drop column claim_id,
        drop column locked_until,
        drop column expires_at,
        drop column response_sealed,
        drop column resource_type,
        drop column resource_id,
        add column response_body jsonb;
    `);
  }
}
