import { phoneHash } from '../../lib/crypto/phone-hash';
import { uuidv7 } from '../../lib/ids';
import { sealPii, type AttributeValue } from '../../services/contacts/contact-pii';
import type { ServiceDeps } from '../../services/deps';

/**
 * A campaign audience written straight into the database, exactly as the contacts service stores
 * contacts (phone hashed with the keyed hash, PII sealed under the account key and bound to the row),
 * all on one new list: for crash tests that need tens of thousands of recipients in seconds.
 */
export async function insertAudience(
  deps: ServiceDeps,
  accountId: string,
  phones: string[],
  attributes: Record<string, AttributeValue>,
): Promise<{ listId: string; contactIds: string[] }> {
  const dataKey = await deps.keyring.keyFor(deps.orm.em.fork(), accountId);
  const listId = uuidv7();
  await deps.pgPool.query(
    `insert into lists (id, account_id, name, created_at, updated_at) values ($1, $2, 'Bulk audience', now(), now())`,
    [listId, accountId],
  );
  const contactIds: string[] = [];
  const BATCH = 5_000;
  for (let start = 0; start < phones.length; start += BATCH) {
    const slice = phones.slice(start, start + BATCH);
    const ids = slice.map(() => uuidv7());
    await deps.pgPool.query(
      `with c as (
         insert into contacts (id, account_id, phone_hash, pii, created_at, updated_at)
         select r.id, $1, r.hash, r.pii, now(), now() from unnest($2::uuid[], $3::bytea[], $4::bytea[]) as r(id, hash, pii)
         returning id)
       insert into list_memberships (list_id, contact_id, account_id, created_at) select $5, c.id, $1, now() from c`,
      [
        accountId,
        ids,
        slice.map((phone) => phoneHash(deps.keys.phoneHashKey, phone)),
        slice.map((phone, i) => sealPii(dataKey, ids[i]!, { phone, name: `Guest ${start + i}`, attributes, optInIp: null })),
        listId,
      ],
    );
    contactIds.push(...ids);
  }
  return { listId, contactIds };
}

/** A fixed-offset zone where it is now mid-afternoon (14) or the middle of the night (3), whatever the hour in UTC. */
export function zoneAtLocalHour(hour: number): string {
  const offset = (((hour - new Date().getUTCHours()) % 24) + 24) % 24;
  const signed = offset > 12 ? offset - 24 : offset;
  return signed === 0 ? 'Etc/UTC' : `Etc/GMT${signed > 0 ? '-' : '+'}${Math.abs(signed)}`;
}
