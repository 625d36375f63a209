import type { Pool } from 'pg';

/**
 * A fixture shortcut for tests, benches and the fuzz stack: marks the account's owner as having used
 * the sign-up's emailed verification link, so the account may send. tests/holder-identity.test.ts
 * proves the link itself over HTTP.
 */
export async function markOwnerVerifiedIn(db: Pick<Pool, 'query'>, accountId: string): Promise<void> {
  await db.query(
    `with owner as (update account_memberships set verified_at = coalesce(verified_at, now())
                     where account_id = $1 and role = 'owner' returning user_id)
     update users set email_verified_at = coalesce(email_verified_at, now()) where id in (select user_id from owner)`,
    [accountId],
  );
}
