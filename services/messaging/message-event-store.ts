import type { EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import type { CarrierId, MessageStatus } from '../../providers/sms/carrier';

/** The SQL of customer message events: what a payload is built from, and the send path's before/after status reads. */

/** A message as an event payload sees it: ids, statuses, codes and our own number — no recipient number, no body. */
export interface MessageFacts {
  id: string;
  accountId: string;
  status: MessageStatus;
  /** Our number (the From of an outbound, the To of an inbound message). */
  sender: string;
  carrier: CarrierId | null;
  errorCode: string | null;
  campaignId: string | null;
  createdAt: Date;
}

type PgClient = Pick<PoolClient, 'query'>;

interface FactRow {
  id: string;
  account_id: string;
  status: MessageStatus;
  sender: string;
  carrier: CarrierId | null;
  error_code: string | null;
  campaign_id: string | null;
  created_at: Date | string;
}

const FACT_COLUMNS = 'id, account_id, status, sender, carrier, error_code, campaign_id, created_at';

function toFacts(rows: FactRow[]): Map<string, MessageFacts> {
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        accountId: r.account_id,
        status: r.status,
        sender: r.sender,
        carrier: r.carrier,
        errorCode: r.error_code,
        campaignId: r.campaign_id,
        // The ORM's driver hands timestamptz back as text, pg as a Date.
        createdAt: r.created_at instanceof Date ? r.created_at : new Date(r.created_at),
      },
    ]),
  );
}

/** The account's messages among `ids`, in the caller's (ORM) transaction. */
export async function messageFactsIn(em: EntityManager, accountId: string, ids: string[]): Promise<Map<string, MessageFacts>> {
  const rows = await em.execute<FactRow[]>(`select ${FACT_COLUMNS} from messages where account_id = ? and id = any (?::uuid[])`, [
    accountId,
    `{${ids.join(',')}}`,
  ]);
  return toFacts(rows);
}

/** The messages as they are now in the caller's (pg) transaction, its own writes included. */
export async function messageFactsOf(client: PgClient, ids: string[]): Promise<Map<string, MessageFacts>> {
  const { rows } = await client.query<FactRow>(`select ${FACT_COLUMNS} from messages where id = any ($1::uuid[])`, [ids]);
  return toFacts(rows);
}

/**
 * Locks the messages for the rest of the caller's transaction and returns their statuses: taken
 * before a status write, so "before" is exactly what the write changed from (a receipt cannot slip
 * in between). Ordered by id, like the send path's other locks.
 */
export async function lockStatuses(client: PgClient, ids: string[]): Promise<Map<string, MessageStatus>> {
  const { rows } = await client.query<{ id: string; status: MessageStatus }>(
    'select id, status from messages where id = any ($1::uuid[]) order by id for update',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** The accounts of messages known only by id (the send path's rare writes: unsendable, requeued past the bound). */
export async function accountsOfMessages(client: PgClient, ids: string[]): Promise<{ id: string; accountId: string }[]> {
  const { rows } = await client.query<{ id: string; account_id: string }>(
    'select id, account_id from messages where id = any ($1::uuid[])',
    [ids],
  );
  return rows.map((r) => ({ id: r.id, accountId: r.account_id }));
}
