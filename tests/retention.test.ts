import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createRetentionActivities } from '../activities/retention';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { ensureMessagePartitions } from '../db/message-partitions';
import { prepareDatabase } from '../db/orm';
import { uuidv7, uuidv7SameTimeAs } from '../lib/ids';
import { appendAudit, cutAuditPrefix, verifyAuditChain } from '../services/audit-log';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { ServiceDeps } from '../services/deps';
import { IdempotencyStore } from '../services/idempotency/idempotency-store';
import { DECLARED_ONLY_CLASSES, NOT_DAILY_CLASSES, PURGED_CLASSES, RETENTION } from '../services/retention/retention-policy';
import { TABLE_RETENTION } from '../services/retention/table-retention';
import { purgeRetentionClass } from '../services/retention/retention-store';
import { TASK_QUEUES } from '../workers/task-queues';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { ensureRetentionSchedule } from '../workers/retention-schedule';
import { RETENTION_SCHEDULE_ID, retentionWorkflow } from '../workflows/lifecycle/retention';
import { testEnvironment } from './support/harness';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** A database of its own: the run's shared one holds other files' rows, and the audit cut needs entries older than 7 years first. */
const ownerUrl = (() => {
  const url = new URL(inject('ownerDatabaseUrl'));
  url.pathname = `/${url.pathname.slice(1)}_retention_${randomBytes(3).toString('hex')}`;
  return url.toString();
})();
const appUrl = urlAsRole(ownerUrl, DEFAULT_APP_ROLE);
let deps: ServiceDeps;
let accountId: string;
const idempotency = () => new IdempotencyStore(deps.keyring);
const sql = <T>(query: string, params: unknown[] = []) => deps.orm.em.fork().execute<T[]>(query, params);
const purge = (cls: Parameters<typeof purgeRetentionClass>[1], asOf: Date) =>
  purgeRetentionClass(deps.orm.em.fork(), cls, asOf, { idempotency: idempotency() });

/** An outbound message and its body; `id` defaults to one of now (so its month's partition is today's, whatever `createdAt` says). */
async function message(createdAt: Date, status = 'delivered', id = uuidv7()): Promise<string> {
  await sql(
    `with m as (
       insert into messages (id, account_id, direction, kind, recipient_hash, recipient_pii, sender, encoding, segments, status, created_at, updated_at)
       values (?, ?, 'outbound', 'api', ?, ?, '+14155550999', 'GSM-7', 1, ?, ?, ?) returning id, account_id, created_at)
     insert into message_bodies (message_id, account_id, body, created_at) select id, account_id, ?, created_at from m`,
    [id, accountId, randomBytes(32), randomBytes(20), status, createdAt, createdAt, randomBytes(20)],
  );
  return id;
}
const messageState = async (id: string) => {
  const [row] = await sql<{ body: boolean }>(
    'select exists (select 1 from message_bodies b where b.message_id = m.id) as body from messages m where m.id = ?',
    [id],
  );
  return row ? { body: row.body } : 'deleted';
};

beforeAll(async () => {
  await prepareDatabase(ownerUrl, appUrl);
  // Checkpoints only when asked: the cut's own checkpoint is then the one the verifier sees.
  deps = await createServiceDeps(loadConfig(testEnvironment({ DATABASE_URL: appUrl, AUDIT_CHECKPOINT_EVERY: '1000' })), 'test');
  accountId = uuidv7();
  await sql(`insert into accounts (id, name, status, created_at, updated_at) values (?, 'Retained', 'active', now(), now())`, [accountId]);
});
afterAll(async () => {
  await closeServiceDeps(deps);
  await dropDatabase(ownerUrl);
});

describe('retention classes (SPEC §2), purged as of a moment', () => {
  it('each duration is the policy sentence it enforces', () => {
    expect(RETENTION.messageBodies.keep).toEqual({ days: 90 });
    expect(RETENTION.messageMetadata.keep).toEqual({ months: 24 });
    expect(RETENTION.auditLog.keep).toEqual({ years: 7 });
    expect(RETENTION.billingRecords.keep).toEqual({ years: 7 });
  });

  it('a body of 89 d 23 h stays, one of 90 d goes (the row stays); a queued message keeps its body; a second run purges nothing', async () => {
    const asOf = new Date();
    const young = await message(new Date(asOf.getTime() - (89 * DAY + 23 * HOUR)));
    const old = await message(new Date(asOf.getTime() - 90 * DAY));
    const queued = await message(new Date(asOf.getTime() - 100 * DAY), 'queued');
    expect(await purge('messageBodies', asOf)).toBe(1);
    expect(await messageState(young)).toEqual({ body: true });
    expect(await messageState(old)).toEqual({ body: false });
    expect(await messageState(queued)).toEqual({ body: true });
    expect(await purge('messageBodies', asOf)).toBe(0);
  });

  it('message metadata 24 calendar months old is deleted (its attempts with it); 24 months less an hour stays', async () => {
    const asOf = new Date();
    const months24 = DateTime.fromJSDate(asOf, { zone: 'utc' }).minus({ months: 24 }).toJSDate();
    const gone = await message(months24);
    const kept = await message(new Date(months24.getTime() + HOUR));
    await sql(
      `insert into message_attempts (id, message_id, account_id, carrier, outcome, created_at) values (?, ?, ?, 'telnyx', 'accepted', ?)`,
      [uuidv7(), gone, accountId, months24],
    );
    expect(await purge('messageMetadata', asOf)).toBe(1);
    expect(await messageState(gone)).toBe('deleted');
    expect(await sql('select 1 from message_attempts where message_id = ?', [gone])).toHaveLength(0);
    expect(await messageState(kept)).not.toBe('deleted');
    expect(await purge('messageMetadata', asOf)).toBe(0);
  });

  describe('month partitions: a month wholly past its cutoff goes as a table', () => {
    const monthStart = (asOf: Date, monthsBack: number) =>
      DateTime.fromJSDate(asOf, { zone: 'utc' }).startOf('month').minus({ months: monthsBack }).toJSDate();
    const suffix = (month: Date) => DateTime.fromJSDate(month, { zone: 'utc' }).toFormat('yyyyMM');
    const daySuffix = (at: Date) => DateTime.fromJSDate(at, { zone: 'utc' }).toFormat('yyyyMMdd');
    const tableExists = async (name: string) =>
      (await sql<{ t: string | null }>('select to_regclass(?)::text as t', [name]))[0]!.t !== null;
    const makeMonth = (month: Date) => sql('select ensure_message_partitions(?, ?)', [month, month]);
    /** A message whose id (so its partition) is of the moment it was created. */
    const at = (createdAt: Date, status = 'delivered') => message(createdAt, status, uuidv7(createdAt.getTime()));
    const attempt = (messageId: string, id = uuidv7SameTimeAs(messageId)) =>
      sql(
        `insert into message_attempts (id, message_id, account_id, carrier, outcome, created_at) values (?, ?, ?, 'telnyx', 'accepted', now())`,
        [id, messageId, accountId],
      );

    it('bodies: each day past 90 days is dropped (its messages stay), the day the cutoff falls in goes row by row; a second run drops nothing', async () => {
      const asOf = new Date();
      await purge('messageBodies', asOf); // what earlier tests left
      const cutoff = new Date(asOf.getTime() - 90 * DAY);
      const old = monthStart(asOf, 5);
      await makeMonth(old);
      const cutoffDay = DateTime.fromJSDate(cutoff, { zone: 'utc' }).startOf('day').toJSDate();
      // The day before the cutoff's: a whole day past it, dropped like the old month's days. Its month is
      // made before any row is written (cutoff − 1 h falls on it just after midnight, and a row already in
      // the default partition would keep its day from being made).
      const lastWholeDay = new Date(cutoffDay.getTime() - DAY);
      await makeMonth(lastWholeDay);
      const inOld = [await at(new Date(old.getTime() + HOUR)), await at(new Date(old.getTime() + 10 * DAY), 'failed')];
      const boundary = await at(new Date(cutoff.getTime() - HOUR));
      const young = await at(new Date(cutoff.getTime() + HOUR));
      const dayBefore = await at(new Date(lastWholeDay.getTime() + HOUR));
      const days = [new Date(old.getTime() + HOUR), new Date(old.getTime() + 10 * DAY), lastWholeDay];
      for (const day of days) expect(await tableExists(`message_bodies_p${daySuffix(day)}`)).toBe(true);

      expect(await purge('messageBodies', asOf)).toBe(4);
      for (const day of days) expect(await tableExists(`message_bodies_p${daySuffix(day)}`)).toBe(false);
      expect(await messageState(dayBefore)).toEqual({ body: false });
      expect(await tableExists(`messages_p${suffix(old)}`)).toBe(true);
      for (const id of [...inOld, boundary]) expect(await messageState(id)).toEqual({ body: false });
      expect(await messageState(young)).toEqual({ body: true });
      expect(await purge('messageBodies', asOf)).toBe(0);
    });

    it('bodies: a day holding a message still queued is not dropped: its sent messages lose their bodies row by row, the queued one keeps its own', async () => {
      const asOf = new Date();
      await purge('messageBodies', asOf);
      const month = monthStart(asOf, 6);
      await makeMonth(month);
      const queued = await at(new Date(month.getTime() + HOUR), 'queued');
      const sent = await at(new Date(month.getTime() + 2 * HOUR));
      expect(await purge('messageBodies', asOf)).toBe(1);
      expect(await tableExists(`message_bodies_p${daySuffix(month)}`)).toBe(true);
      expect(await tableExists(`message_bodies_p${daySuffix(new Date(month.getTime() + DAY))}`)).toBe(false);
      expect(await messageState(queued)).toEqual({ body: true });
      expect(await messageState(sent)).toEqual({ body: false });
    });

    it('metadata: a month past 24 months goes with its bodies and attempts (and an attempt filed in another month); a month holding a message created later stays, its old rows deleted one by one', async () => {
      const asOf = new Date();
      await purge('messageMetadata', asOf);
      const month = monthStart(asOf, 26);
      const mixed = monthStart(asOf, 27);
      await makeMonth(month);
      await makeMonth(mixed);
      const inMonth = [await at(new Date(month.getTime() + HOUR)), await at(new Date(month.getTime() + 3 * DAY))];
      await attempt(inMonth[0]!);
      await attempt(inMonth[1]!, uuidv7()); // written before attempt ids carried their message's time
      const oldInMixed = await at(new Date(mixed.getTime() + HOUR));
      await attempt(oldInMixed);
      // An id of that month on a message created now (as an import of history might write): its month cannot go whole.
      const createdLater = await message(asOf, 'delivered', uuidv7(mixed.getTime() + 2 * HOUR));

      expect(await purge('messageMetadata', asOf)).toBe(3);
      for (const t of ['messages', 'message_attempts']) expect(await tableExists(`${t}_p${suffix(month)}`)).toBe(false);
      expect(await tableExists(`message_bodies_p${daySuffix(month)}`)).toBe(false);
      expect(await tableExists(`messages_p${suffix(mixed)}`)).toBe(true);
      for (const id of [...inMonth, oldInMixed]) expect(await messageState(id)).toBe('deleted');
      expect(await sql('select 1 from message_attempts where message_id in (?)', [[...inMonth, oldInMixed]])).toHaveLength(0);
      expect(await messageState(createdLater)).toEqual({ body: true });
      expect(await purge('messageMetadata', asOf)).toBe(0);
    });

    it('a month whose table is in use (a long read holds its lock) is not waited for: after a second its rows go row by row', async () => {
      const asOf = new Date();
      await purge('messageMetadata', asOf);
      const month = monthStart(asOf, 28);
      await makeMonth(month);
      const old = await at(new Date(month.getTime() + HOUR));
      const reader = new PgClient({ connectionString: ownerUrl });
      await reader.connect();
      try {
        await reader.query('begin');
        await reader.query('select count(*) from messages');
        expect(await purge('messageMetadata', asOf)).toBe(1);
        expect(await tableExists(`messages_p${suffix(month)}`)).toBe(true);
        expect(await messageState(old)).toBe('deleted');
      } finally {
        await reader.query('rollback');
        await reader.end();
      }
    });

    it('months are made ahead; a month whose range already has rows in the default partition is left there and reported', async () => {
      const now = new Date();
      const ahead = (n: number) => monthStart(now, -n);
      // No partition of 6 months ahead yet: this message (and its body) land in the default partitions.
      const early = await at(new Date(ahead(6).getTime() + DAY));
      expect(await tableExists(`messages_p${suffix(ahead(6))}`)).toBe(false);
      const [row] = await sql<{ skipped: string[] }>('select ensure_message_partitions(?, ?) as skipped', [now, ahead(7)]);
      const skipped = [`messages_p${suffix(ahead(6))}`, `message_bodies_p${daySuffix(new Date(ahead(6).getTime() + DAY))}`];
      expect(row!.skipped).toEqual(skipped);
      for (const n of [4, 5, 7]) expect(await tableExists(`messages_p${suffix(ahead(n))}`)).toBe(true);
      expect(await tableExists(`message_attempts_p${suffix(ahead(6))}`)).toBe(true);
      expect(await messageState(early)).toEqual({ body: true });
      expect(await ensureMessagePartitions(deps.orm.em.fork(), ahead(5))).toEqual(skipped);
      expect(await tableExists(`usage_events_p${suffix(ahead(8))}`)).toBe(true);
    });
  });

  it('staged import rows 7 days after the import ended, sessions 30 days after they ended', async () => {
    const asOf = new Date();
    const ago = (ms: number) => new Date(asOf.getTime() - ms);
    const imports = [
      { id: uuidv7(), ended: ago(7 * DAY) },
      { id: uuidv7(), ended: ago(7 * DAY - HOUR) },
    ];
    for (const imp of imports) {
      await sql(
        `insert into contact_imports (id, account_id, status, mapping, created_at, updated_at, completed_at) values (?, ?, 'completed', '{}', ?, ?, ?)`,
        [imp.id, accountId, imp.ended, imp.ended, imp.ended],
      );
      await sql(`insert into contact_import_chunks (import_id, chunk_no, first_row, row_count, payload) values (?, 0, 1, 1, ?)`, [
        imp.id,
        randomBytes(8),
      ]);
    }
    expect(await purge('stagedImportRows', asOf)).toBe(1);
    expect((await sql<{ import_id: string }>('select import_id from contact_import_chunks')).map((r) => r.import_id)).toEqual([
      imports[1]!.id,
    ]);

    const staffId = uuidv7();
    await sql(`insert into staff_users (id, email, password_hash, role, totp_secret, created_at) values (?, ?, 'x', 'privacy', ?, now())`, [
      staffId,
      `s-${staffId}@example.com`,
      randomBytes(8),
    ]);
    const session = (expires: Date, revoked: Date | null) =>
      sql(
        `insert into staff_sessions (id, staff_user_id, token_hash, created_at, expires_at, revoked_at) values (?, ?, ?, ?, ?, ?) returning id`,
        [uuidv7(), staffId, randomBytes(32), ago(60 * DAY), expires, revoked],
      );
    await session(ago(30 * DAY), null);
    await session(asOf, ago(31 * DAY));
    const [keptSession] = await session(ago(29 * DAY), null);
    expect(await purge('sessions', asOf)).toBe(2);
    expect(await sql('select id from staff_sessions')).toEqual([keptSession]);
  });

  it('every table of the database belongs to a retention class, and every class named exists', async () => {
    // pg_catalog, not information_schema: the latter hides tables the app role may not read (migration bookkeeping).
    const tables = (
      await sql<{ table_name: string }>(
        // A partition is its table's: the parent names the class.
        `select c.relname as table_name from pg_catalog.pg_class c
          where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
      )
    ).map((t) => t.table_name);
    expect(tables.filter((t) => !(t in TABLE_RETENTION))).toEqual([]);
    expect(Object.keys(TABLE_RETENTION).filter((t) => !tables.includes(t))).toEqual([]);
    const classes = new Set(Object.keys(RETENTION));
    expect(
      Object.values(TABLE_RETENTION)
        .flat()
        .filter((c) => !classes.has(c)),
    ).toEqual([]);
    // Each class is purged daily, declared for later, or enforced elsewhere / kept: exactly one of them.
    expect([...PURGED_CLASSES, ...DECLARED_ONLY_CLASSES, ...NOT_DAILY_CLASSES].sort()).toEqual([...classes].sort());
  });

  it('the new classes: their durations and policy sentences', () => {
    expect(RETENTION.providerWebhookEvents.keep).toEqual({ days: 30 });
    expect(RETENTION.webhookDeliveries.keep).toEqual({ days: 30 });
    expect(RETENTION.campaignRecipients.keep).toEqual({ days: 90 });
    expect(RETENTION.finishedImports.keep).toEqual({ days: 30 });
    expect(RETENTION.noticeDeliveries.keep).toEqual({ years: 7 });
  });

  it('carrier callback ids 30 days after receipt; 30 days less an hour stay', async () => {
    const asOf = new Date();
    const event = (id: string, receivedAt: Date) =>
      sql(`insert into provider_webhook_events (vendor, event_id, received_at) values ('telnyx', ?, ?)`, [id, receivedAt]);
    await event('evt-30d', new Date(asOf.getTime() - 30 * DAY));
    await event('evt-30d-1h', new Date(asOf.getTime() - 30 * DAY + HOUR));
    expect(await purge('providerWebhookEvents', asOf)).toBe(1);
    expect(await sql('select event_id from provider_webhook_events order by event_id')).toEqual([{ event_id: 'evt-30d-1h' }]);
    expect(await purge('providerWebhookEvents', asOf)).toBe(0);
  });

  it('customer webhook deliveries (and their attempts) 30 days after they ended; a pending one stays', async () => {
    const asOf = new Date();
    const endpointId = uuidv7();
    await sql(
      `insert into webhook_endpoints (id, account_id, url, event_types, secret, created_at, updated_at)
       values (?, ?, 'https://1.1.1.1/hook', '{message.status}', ?, now(), now())`,
      [endpointId, accountId, randomBytes(32)],
    );
    const delivery = async (status: string, completedAt: Date | null) => {
      const eventId = uuidv7();
      await sql(
        `insert into webhook_deliveries (endpoint_id, event_id, account_id, event_type, status, attempts, created_at, completed_at)
         values (?, ?, ?, 'message.status', ?, 1, ?, ?)`,
        [endpointId, eventId, accountId, status, new Date(asOf.getTime() - 100 * DAY), completedAt],
      );
      await sql(
        `insert into webhook_delivery_attempts (endpoint_id, event_id, attempt_no, attempted_at, status_code, duration_ms) values (?, ?, 1, ?, 500, 10)`,
        [endpointId, eventId, new Date(asOf.getTime() - 100 * DAY)],
      );
      return eventId;
    };
    const gone = await delivery('delivered', new Date(asOf.getTime() - 30 * DAY));
    const failedYoung = await delivery('failed', new Date(asOf.getTime() - 30 * DAY + HOUR));
    const pending = await delivery('pending', null);
    expect(await purge('webhookDeliveries', asOf)).toBe(1);
    const left = await sql<{ event_id: string }>('select event_id from webhook_deliveries where endpoint_id = ? order by event_id', [
      endpointId,
    ]);
    expect(left.map((r) => r.event_id)).toEqual([failedYoung, pending].sort());
    expect(await sql('select 1 from webhook_delivery_attempts where event_id = ?', [gone])).toHaveLength(0);
    expect(await sql('select 1 from webhook_delivery_attempts where endpoint_id = ?', [endpointId])).toHaveLength(2);
    expect(await purge('webhookDeliveries', asOf)).toBe(0);
  });

  it("a campaign's recipient snapshot 90 days after it ended; 90 days less an hour, or still running, stays", async () => {
    const asOf = new Date();
    const campaign = async (status: string, finishedAt: Date | null, recipients: number) => {
      const id = uuidv7();
      await sql(
        `insert into campaigns (id, account_id, name, template, template_variables, sender, list_ids, rate_per_second,
           quiet_start_minute, quiet_end_minute, status, finished_at, created_at, updated_at)
         values (?, ?, 'C', ?, '{}', '+14155550999', '{}', 5, 480, 1260, ?, ?, now(), now())`,
        [id, accountId, randomBytes(16), status, finishedAt],
      );
      for (let i = 0; i < recipients; i++) {
        await sql(
          `insert into campaign_recipients (campaign_id, account_id, contact_id, phone_hash, state) values (?, ?, ?, ?, 'queued')`,
          [id, accountId, uuidv7(), randomBytes(32)],
        );
      }
      return id;
    };
    await campaign('completed', new Date(asOf.getTime() - 90 * DAY), 2);
    const young = await campaign('cancelled', new Date(asOf.getTime() - 90 * DAY + HOUR), 1);
    const running = await campaign('running', null, 1);
    expect(await purge('campaignRecipients', asOf)).toBe(2);
    const left = await sql<{ campaign_id: string }>('select campaign_id from campaign_recipients order by campaign_id');
    expect(left.map((r) => r.campaign_id)).toEqual([young, running].sort());
    expect(await purge('campaignRecipients', asOf)).toBe(0);
  });

  it('a finished import with its errors and chunk results 30 days after it ended; younger or running ones stay', async () => {
    const asOf = new Date();
    const contactImport = async (status: string, ended: Date | null, errors: number) => {
      const id = uuidv7();
      const at = ended ?? new Date(asOf.getTime() - 100 * DAY);
      await sql(
        `insert into contact_imports (id, account_id, status, mapping, created_at, updated_at, completed_at) values (?, ?, ?, '{}', ?, ?, ?)`,
        [id, accountId, status, at, at, ended],
      );
      for (let i = 0; i < errors; i++) {
        await sql(
          `insert into contact_import_errors (import_id, row_no, column_name, reason) values (?, ?, 'phone', 'not a phone number')`,
          [id, i + 2],
        );
      }
      await sql(
        `insert into contact_import_chunk_results (import_id, chunk_no, created, updated, duplicates, invalid, opted_out) values (?, 0, 1, 0, 0, ?, 0)`,
        [id, errors],
      );
      return id;
    };
    const gone = await contactImport('completed', new Date(asOf.getTime() - 30 * DAY), 2);
    const young = await contactImport('failed', new Date(asOf.getTime() - 30 * DAY + HOUR), 1);
    const running = await contactImport('running', null, 1);
    // The import, its 2 errors and its chunk result.
    expect(await purge('finishedImports', asOf)).toBe(4);
    expect(await sql('select 1 from contact_imports where id = ?', [gone])).toHaveLength(0);
    const errorsLeft = await sql<{ import_id: string }>(
      'select distinct import_id from contact_import_errors where import_id in (?, ?, ?)',
      [gone, young, running],
    );
    expect(errorsLeft.map((r) => r.import_id).sort()).toEqual([young, running].sort());
    expect(await purge('finishedImports', asOf)).toBe(0);
  });

  it('billing records 7 years after they occurred, also of a terminated and deleted account; 7 years less an hour stay', async () => {
    const asOf = new Date();
    const sevenYears = DateTime.fromJSDate(asOf, { zone: 'utc' }).minus({ years: 7 }).toJSDate();
    const deletedAccount = uuidv7();
    await sql(`insert into accounts (id, name, status, created_at, updated_at) values (?, 'Deleted', 'deleted', ?, now())`, [
      deletedAccount,
      sevenYears,
    ]);
    const record = async (account: string, occurredAt: Date) => {
      const id = uuidv7();
      await sql(
        `insert into billing_records (id, account_id, kind, stripe_object_id, invoice_number, amount_due, amount_paid, currency, status,
                                      occurred_at, created_at)
         values (?, ?, 'invoice', ?, 'INV-1', 4200, 4200, 'usd', 'paid', ?, ?)`,
        [id, account, `in_${id}`, occurredAt, occurredAt],
      );
      return id;
    };
    const oldOfDeleted = await record(deletedAccount, sevenYears);
    const oldOfActive = await record(accountId, new Date(sevenYears.getTime() - DAY));
    const youngOfDeleted = await record(deletedAccount, new Date(sevenYears.getTime() + HOUR));
    expect(await purge('billingRecords', asOf)).toBe(2);
    const left = await sql<{ id: string }>('select id from billing_records where id in (?, ?, ?)', [
      oldOfDeleted,
      oldOfActive,
      youngOfDeleted,
    ]);
    expect(left.map((r) => r.id)).toEqual([youngOfDeleted]);
    expect(await purge('billingRecords', asOf)).toBe(0);
  });

  it('notice delivery records 7 years after they were sent; 7 years less an hour stay', async () => {
    const asOf = new Date();
    const sevenYears = DateTime.fromJSDate(asOf, { zone: 'utc' }).minus({ years: 7 }).toJSDate();
    const delivery = (processId: string, sentAt: Date) =>
      sql(
        `insert into notice_deliveries (process_id, phase, recipient_kind, recipient_id, content_version, sent_at, email)
         values (?, 'full', 'account', ?, 'v1', ?, '')`,
        [processId, accountId, sentAt],
      );
    await delivery('breach:old', sevenYears);
    await delivery('breach:young', new Date(sevenYears.getTime() + HOUR));
    expect(await purge('noticeDeliveries', asOf)).toBe(1);
    expect(await sql('select process_id from notice_deliveries')).toEqual([{ process_id: 'breach:young' }]);
    expect(await purge('noticeDeliveries', asOf)).toBe(0);
  });

  it('the audit log: entries older than 7 years are cut after a checkpoint, and the chain still verifies; what remains cannot be cut', async () => {
    const asOf = new Date();
    const eightYears = DateTime.fromJSDate(asOf).minus({ years: 8 }).toJSDate();
    const before = (await sql<{ n: string }>('select count(*)::text as n from audit_log'))[0]!.n;
    expect(before).toBe('0');
    for (let i = 0; i < 5; i++) {
      await deps.orm.em
        .fork()
        .transactional((em) => appendAudit(em, { actorType: 'system', action: 'old.thing', targetId: String(i) }, eightYears));
    }
    for (let i = 0; i < 2; i++) {
      await deps.orm.em.fork().transactional((em) => appendAudit(em, { actorType: 'system', action: 'new.thing', targetId: String(i) }));
    }
    expect(await verifyAuditChain(deps.orm.em.fork(), [deps.keys.auditMacKey])).toEqual({ ok: true, entries: 7, checkpointEntries: 0 });

    expect(await purge('auditLog', asOf)).toBe(5);
    expect((await sql<{ seq: string }>('select seq::text as seq from audit_log order by seq')).map((r) => r.seq)).toEqual(['6', '7']);
    expect(await verifyAuditChain(deps.orm.em.fork(), [deps.keys.auditMacKey])).toEqual({
      ok: true,
      entries: 7,
      checkpointEntries: 7,
      firstKeptSeq: 6,
    });
    expect(await purge('auditLog', asOf)).toBe(0);

    // The owner's function refuses entries younger than 7 years, whatever the caller asks.
    await expect(deps.orm.em.fork().transactional((em) => cutAuditPrefix(em, '6'))).rejects.toThrow(/audit entries are kept 7 years/);

    // A prefix removed without a cut record shows: the chain no longer starts where the cut says.
    const owner = new PgClient({ connectionString: ownerUrl });
    await owner.connect();
    try {
      await owner.query(`begin; set local massivesms.audit_retention_cut = 'on'; delete from audit_log where seq = 6; commit;`);
    } finally {
      await owner.end();
    }
    expect(await verifyAuditChain(deps.orm.em.fork(), [deps.keys.auditMacKey])).toMatchObject({
      ok: false,
      brokenAtSeq: '6',
      reason: 'entry missing',
    });
  });
});

describe('who may cut the audit log', () => {
  /** Runs `sql` as a role the owner just created with no grant at all: what PUBLIC may do. */
  async function asFreshRole(sql: string): Promise<unknown> {
    const role = `massivesms_nobody_${randomBytes(4).toString('hex')}`;
    const owner = new PgClient({ connectionString: ownerUrl });
    await owner.connect();
    try {
      await owner.query(`create role ${role} nologin`);
      await owner.query('begin');
      await owner.query(`set local role ${role}`);
      return await owner.query(sql).then(
        () => 'executed',
        (err: { code?: string }) => err.code,
      );
    } finally {
      await owner.query('rollback').catch(() => undefined);
      await owner.query(`drop role if exists ${role}`).catch(() => undefined);
      await owner.end();
    }
  }

  it('a role without grants (PUBLIC) may not execute the cut; the app role may (and the function refuses to cut the head)', async () => {
    // Asks for a cut through the largest seq: whoever may run the body hears it refuse to cut the head.
    const call = `select audit_log_retention_cut(9223372036854775807, '\\x00'::bytea, 'k', '\\x00'::bytea)`;
    expect(await asFreshRole(call)).toBe('42501'); // insufficient_privilege
    await expect(sql(call)).rejects.toThrow(/the head of the audit chain is never cut/);
  });

  it('no security definer function of the schema is executable by PUBLIC', async () => {
    const open = await sql<{ name: string }>(
      `select p.oid::regprocedure::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and p.prosecdef and has_function_privilege('public', p.oid, 'execute')`,
    );
    expect(open).toEqual([]);
  });
});

describe('the retention workflow and its Schedule (dev server)', () => {
  let connection: Connection;
  let client: Client;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await client.schedule
      .getHandle(RETENTION_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    await connection.close();
  });

  it('one run purges every class as of its start, reports the counts per class and audits them', async () => {
    installTemporalRuntime('silent', { shutdownSignals: [] }); // before the first connection: the SDK's logs at WARN, as in every other file
    const workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const taskQueue = `retention-test-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: createRetentionActivities(deps),
    });
    try {
      const old = await message(new Date(Date.now() - 91 * DAY));
      await sql(`insert into provider_webhook_events (vendor, event_id, received_at) values ('twilio', 'SM-old', ?)`, [
        new Date(Date.now() - 31 * DAY),
      ]);
      const report = await worker.runUntil(
        client.workflow.execute(retentionWorkflow, { taskQueue, workflowId: `retention-test-${taskQueue}` }),
      );
      expect(report.purged).toEqual({
        // This one: the partition tests above purged every older body.
        messageBodies: 1,
        messageMetadata: 0,
        stagedImportRows: 0,
        idempotencyKeys: 0,
        sessions: 0,
        auditLog: 0,
        // An id received 31 days ago, added below; nothing else of the new classes is past its time.
        providerWebhookEvents: 1,
        webhookDeliveries: 0,
        campaignRecipients: 0,
        finishedImports: 0,
        noticeDeliveries: 0,
        billingRecords: 0,
        exportTokens: null,
      });
      expect(await messageState(old)).toEqual({ body: false });
      const [entry] = await sql<{ details: { purged: unknown }; target_id: string }>(
        `select details, target_id from audit_log where action = 'retention.purged' order by seq desc limit 1`,
      );
      expect(entry!.details.purged).toEqual(report.purged);
      expect(entry!.target_id).toBe(report.asOf);
    } finally {
      await workerConnection.close();
    }
  });

  it('worker start-up creates the retention-daily Schedule idempotently, on the maintenance queue', async () => {
    await client.schedule
      .getHandle(RETENTION_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    await ensureRetentionSchedule(client);
    await ensureRetentionSchedule(client);
    const described = await client.schedule.getHandle(RETENTION_SCHEDULE_ID).describe();
    expect(described.spec.calendars).toHaveLength(1);
    expect(described.spec.calendars![0]).toMatchObject({
      hour: [{ start: 2, end: 2, step: 1 }],
      minute: [{ start: 41, end: 41, step: 1 }],
    });
    expect(described.action).toMatchObject({
      workflowType: 'retentionWorkflow',
      taskQueue: TASK_QUEUES.maintenance,
      workflowId: RETENTION_SCHEDULE_ID,
    });
    expect(described.action.type === 'startWorkflow' && described.action.typedSearchAttributes).toBeTruthy();
  });
});
