import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 21 (items 5, 5b, 8): API keys are found by their HMAC digest (api_keys.key_hash holds the
 * digest; a key still holding its argon2id hash is migrated on its next use), and the shared store
 * of the sign-in, bad-token, TOTP and key-creation limits (rate-limiter-flexible's table layout,
 * created here so the app role needs no CREATE; its keys are HMAC digests, never an email or address).
 */
export class Migration20261206021500_auth_key_digests_and_limits extends Migration {
  override up(): void {
    this.addSql(`
      create unique index api_keys_key_hash_key on api_keys (key_hash);

      create table auth_rate_limits (
        key varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      );
      create index auth_rate_limits_expire_idx on auth_rate_limits (expire);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists auth_rate_limits;
      drop index if exists api_keys_key_hash_key;
    `);
  }
}
