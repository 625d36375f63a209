import { Migration } from '@mikro-orm/migrations';

/**
 * Holder sessions in a cookie beside the 15-minute key-management tokens: `kind` tells them apart.
 * A cookie session lives 12 hours from its last use and 7 days at most (expires_at slides, capped
 * by absolute_expires_at); it carries the membership role it was opened with, the user agent's
 * family and the client address truncated to /24 (IPv6 /48) for the holder's session list, never
 * the raw address. Only a SHA-256 of the token is stored, as before.
 */
export class Migration20261206121000_holder_cookie_sessions extends Migration {
  override up(): void {
    this.addSql(`
      alter table sessions
        add column kind text not null default 'token' check (kind in ('token', 'cookie')),
        add column role text check (role in ('owner', 'admin', 'developer', 'billing')),
        add column last_seen_at timestamptz,
        add column absolute_expires_at timestamptz,
        add column user_agent_family text,
        add column address_prefix text;
      create index sessions_user_idx on sessions (user_id, created_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop index if exists sessions_user_idx;
      alter table sessions drop column kind, drop column role, drop column last_seen_at, drop column absolute_expires_at,
        drop column user_agent_family, drop column address_prefix;
    `);
  }
}
