import { Migration } from '@mikro-orm/migrations';

/**
 * Google sign-in (OpenID Connect). An identity at an issuer is its (issuer, subject) pair, linked to
 * one holder; a holder has at most one per issuer. No token of the issuer is stored. A sign-in in
 * progress leaves only a SHA-256 of its `state` (single use; the PKCE verifier and nonce travel in
 * the browser's signed flow cookie). A pending link (the email matched an existing holder, who must
 * prove the password once) keeps a SHA-256 of its token.
 */
export class Migration20261206150000_holder_google_identities extends Migration {
  override up(): void {
    this.addSql(`
      create table holder_oidc_identities (
        issuer text not null,
        subject text not null,
        user_id uuid not null references users (id) on delete cascade,
        created_at timestamptz not null,
        last_sign_in_at timestamptz,
        primary key (issuer, subject)
      );
      create unique index holder_oidc_identities_user_issuer on holder_oidc_identities (user_id, issuer);

      create table oidc_sign_in_flows (
        state_hash bytea primary key,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        used_at timestamptz
      );
      create index oidc_sign_in_flows_expiry on oidc_sign_in_flows (expires_at);

      create table oidc_pending_links (
        id uuid primary key,
        token_hash bytea not null unique,
        user_id uuid not null references users (id) on delete cascade,
        issuer text not null,
        subject text not null,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        used_at timestamptz
      );
      create index oidc_pending_links_expiry on oidc_pending_links (expires_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table oidc_pending_links;
      drop table oidc_sign_in_flows;
      drop table holder_oidc_identities;
    `);
  }
}
