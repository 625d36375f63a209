import type { Pool } from 'pg';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { loadSpendState } from '../billing/spend-cap-store';
import { CURRENCY_OF, formatMicros, UNIT_PRICE_SQL } from '../billing/prices';
import { openPii } from '../contacts/contact-pii';
import { recipientPlace } from './recipient-zone';
import type { ParsedTemplate } from './template';
import { renderMessageFor } from './template';

/** Contacts read (and their messages rendered) per statement. */
const ESTIMATE_PAGE = 5_000;

/** Recipients of the audience the send would skip, by the reasons known before it starts. */
type ExcludedReason = 'opted_out' | 'restricted' | 'timezone_unknown';

interface AudienceRow {
  id: string;
  pii: Buffer | null;
  opted_out: boolean;
  restricted: boolean;
  left_out: boolean;
}

export interface AudienceOf {
  accountId: string;
  listIds: string[];
  excludeListIds: string[];
  template: ParsedTemplate;
}

/**
 * What sending the campaign to its whole audience would cost, before anything is sent: every distinct
 * contact on an included list and on no excluded one, less those the send would skip (opted out,
 * restricted, no time zone), each one's message rendered as the send renders it (segments per
 * contact: one name can turn a message into UCS-2), priced at the price per segment in effect now.
 * Recipients waiting for quiet hours or a state's cap are counted: they are sent later.
 */
export async function estimateAudience(pool: Pool, dataKey: DataKey, audience: AudienceOf, now = new Date()) {
  const excluded: Record<ExcludedReason, number> = { opted_out: 0, restricted: 0, timezone_unknown: 0 };
  const segmentsBy = { 'GSM-7': 0, 'UCS-2': 0 };
  let recipients = 0;
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: AudienceRow[] } = await pool.query<AudienceRow>(
      `with page as (
         select distinct contact_id from list_memberships
          where account_id = $1 and list_id = any($2::uuid[]) and ($4::uuid is null or contact_id > $4)
          order by contact_id limit $5)
       select p.contact_id as id, c.pii,
              exists (select 1 from opt_outs o where o.account_id = $1 and o.phone_hash = c.phone_hash) as opted_out,
              exists (select 1 from recipient_restrictions x where x.account_id = $1 and x.phone_hash = c.phone_hash) as restricted,
              exists (select 1 from list_memberships x where x.contact_id = p.contact_id and x.list_id = any($3::uuid[])) as left_out
         from page p left join contacts c on c.id = p.contact_id and c.account_id = $1
        order by p.contact_id`,
      [audience.accountId, audience.listIds, audience.excludeListIds, after, ESTIMATE_PAGE],
    );
    for (const r of rows) {
      if (r.left_out || r.pii === null) continue;
      recipients++;
      if (r.opted_out) excluded.opted_out++;
      else if (r.restricted) excluded.restricted++;
      else {
        const pii = openPii(dataKey, r.id, r.pii);
        if (!recipientPlace(pii.phone, pii.attributes)) excluded.timezone_unknown++;
        else {
          const { encoding, segments } = renderMessageFor(audience.template, { name: pii.name, attributes: pii.attributes });
          segmentsBy[encoding] += segments;
        }
      }
    }
    if (rows.length < ESTIMATE_PAGE) break;
    after = rows.at(-1)!.id;
  }
  const { rows } = await pool.query<{ unit: string; currency: string }>(
    `select ${UNIT_PRICE_SQL('$1::uuid', '$2::timestamptz')} as unit, ${CURRENCY_OF('$1::uuid')} as currency`,
    [audience.accountId, now],
  );
  const unit = BigInt(rows[0]!.unit);
  const segments = segmentsBy['GSM-7'] + segmentsBy['UCS-2'];
  const cost = unit * BigInt(segments);
  const spend = await loadSpendState(pool, audience.accountId, now);
  const left = spend.capMicros === null ? null : spend.capMicros > spend.spendMicros ? spend.capMicros - spend.spendMicros : 0n;
  const excludedTotal = excluded.opted_out + excluded.restricted + excluded.timezone_unknown;
  return {
    recipients,
    excluded,
    messages: recipients - excludedTotal,
    segments,
    segmentsByEncoding: segmentsBy,
    currency: rows[0]!.currency,
    pricePerSegment: formatMicros(unit),
    cost: formatMicros(cost),
    spendCapLeft: left === null ? null : formatMicros(left),
    exceedsSpendCap: left === null ? false : cost > left,
  };
}

export type AudienceEstimate = Awaited<ReturnType<typeof estimateAudience>>;
