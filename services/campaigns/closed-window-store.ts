import type { Pool } from 'pg';
import { withPgTransaction } from '../../db/pg-pool';
import { openField, SealedFieldError, type DataKey } from '../../lib/crypto/sealed-field';
import { openPii } from '../contacts/contact-pii';
import { RECIPIENT_PURPOSE } from '../messaging/send-fields';
import { DEFAULT_QUIET_WINDOW } from './quiet-hours';
import { recipientPlace } from './recipient-zone';
import { nextOpening, sendWindowFor, stateRule, windowClosesAt } from './send-window';

/** Messages re-planned per statement. */
export const REPLAN_BATCH = 500;
/** A message whose next window cannot be worked out now (no key, no place, no shared window) is looked at again after this. */
export const REPLAN_UNPLACEABLE_MS = 24 * 3600_000;

interface ClosedRow {
  id: string;
  account_id: string;
  recipient_pii: Buffer | null;
  quiet_start_minute: number | null;
  quiet_end_minute: number | null;
  contact_id: string | null;
  contact_pii: Buffer | null;
}

/**
 * Campaign messages still in the outbox whose window closed before a carrier took them (a retry,
 * a failover, an outage past 20:00 in Florida): each waits for its next window, never dropped and
 * never sent late. The window is worked out as the campaign page did (the contact's place, the
 * stricter of the campaign's and the state's rules): `next_attempt_at` becomes the next opening and
 * `send_before` its close, with `wait_reason` set so the campaign counts it as waiting. The claim
 * never takes a message whose `send_before` has passed, so until this runs it simply stays put.
 */
export async function replanClosedWindows(
  pool: Pool,
  keysFor: (accountIds: string[]) => Promise<Map<string, DataKey | null>>,
  now: Date,
  limit = REPLAN_BATCH,
): Promise<number> {
  return withPgTransaction(pool, async (client) => {
    const { rows } = await client.query<ClosedRow>(
      `select m.id, m.account_id, m.recipient_pii, c.quiet_start_minute, c.quiet_end_minute, ct.id as contact_id, ct.pii as contact_pii
         from (select id from messages where status = 'queued' and send_before <= $1
                order by send_before limit $2 for update skip locked) closed
         join messages m on m.id = closed.id
         left join campaigns c on c.id = m.campaign_id
         left join campaign_recipients r on r.campaign_id = m.campaign_id and r.phone_hash = m.recipient_hash
         left join contacts ct on ct.id = r.contact_id and ct.account_id = m.account_id`,
      [now, limit],
    );
    if (rows.length === 0) return 0;
    const keys = await keysFor([...new Set(rows.map((r) => r.account_id))]);
    const plans = rows.map((r) => ({ id: r.id, ...nextWindow(r, keys.get(r.account_id) ?? null, now) }));
    await client.query(
      `update messages m set next_attempt_at = p.opens_at, send_before = p.closes_at, wait_reason = 'quiet_hours', updated_at = now()
         from unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) as p(id, opens_at, closes_at)
        where m.id = p.id and m.status = 'queued'`,
      [plans.map((p) => p.id), plans.map((p) => p.opensAt), plans.map((p) => p.closesAt)],
    );
    return plans.length;
  });
}

/** The message's next window; one that cannot be placed waits closed (opens = closes) and is looked at again later. */
function nextWindow(row: ClosedRow, dataKey: DataKey | null, now: Date): { opensAt: Date; closesAt: Date } {
  const later = new Date(now.getTime() + REPLAN_UNPLACEABLE_MS);
  const unplaceable = { opensAt: later, closesAt: later };
  if (!dataKey) return unplaceable;
  const place = placeOf(row, dataKey);
  if (!place) return unplaceable;
  const campaignWindow =
    row.quiet_start_minute === null || row.quiet_end_minute === null
      ? DEFAULT_QUIET_WINDOW
      : { startMinute: row.quiet_start_minute, endMinute: row.quiet_end_minute };
  const window = sendWindowFor(campaignWindow, stateRule(place.region));
  const opensAt = nextOpening(place.zones, now, window);
  return opensAt ? { opensAt, closesAt: windowClosesAt(place.zones, opensAt, window) } : unplaceable;
}

/** Where the recipient is: from its contact (attributes included) as the page placed it, else from the message's own number. */
function placeOf(row: ClosedRow, dataKey: DataKey) {
  try {
    if (row.contact_id && row.contact_pii) {
      const pii = openPii(dataKey, row.contact_id, row.contact_pii);
      return recipientPlace(pii.phone, pii.attributes);
    }
    if (!row.recipient_pii) return null;
    return recipientPlace(openField(dataKey, { purpose: RECIPIENT_PURPOSE, rowId: row.id }, row.recipient_pii).toString('utf8'), {});
  } catch (err) {
    if (err instanceof SealedFieldError) return null;
    throw err;
  }
}
