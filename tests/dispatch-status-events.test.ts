import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResult } from 'pg';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysForAccounts } from '../activities/messaging/account-keys';
import { statusEventsFor } from '../activities/messaging/status-events';
import type { CarrierWebhookEvent } from '../providers/sms/carrier';
import { CarrierWebhookProcessor } from '../services/messaging/carrier-webhooks';
import { DispatchStatusEvents, type StatusWatch, type WatchedMessage } from '../services/messaging/dispatch-status-events';
import { InboundService } from '../services/messaging/inbound';
import { MessagingSettingsService } from '../services/messaging/messaging-settings';
import {
  failUnsendable,
  prepareSend,
  recordAttemptResults,
  requeueOrFail,
  settleAttempts,
  type AttemptResult,
} from '../services/messaging/outbox-store';
import { OptOutsService } from '../services/opt-outs';
import { openDeliveryPayload } from '../services/webhooks/customer-events';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { insertQueuedMessages, messageStates } from './support/outbox';

/**
 * The send path's `message.status` events on the real database, without a dispatcher (so nothing
 * else claims these messages): the outbox store's status writes (sent, failed, suppressed, all
 * routes failed) publish set-based inside their own transaction, only for accounts with an active
 * endpoint subscribed to message.status, and cost one query per batch when there is none. Also the
 * carrier-webhook side (STOP suppressions, an erased account) through the same processor the
 * webhook endpoints call.
 */
let h: Harness;
let events: DispatchStatusEvents;
const FROM = '+15550000001';
const LEASE = { leaseMs: 60_000, reconcileWaitMs: 1_000 };

const sql = <T>(query: string, params: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(query, params);

beforeAll(async () => {
  h = await startHarness({ env: { WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
  events = statusEventsFor(h.deps);
});
afterAll(async () => {
  // Later files share the database: their delivery drains must not meet these endpoints' deliveries
  // (no receiver listens), nor their dispatchers these messages.
  for (const { account: owner, id } of endpoints) {
    expect((await request(h.app).delete(`/v1/webhook-endpoints/${id}`).set(owner.auth)).status).toBe(204);
  }
  await h.deps.pgPool.query(
    `update messages set status = 'failed' where account_id = any($1::uuid[]) and status in ('queued', 'sending')`,
    [accounts.map((a) => a.accountId)],
  );
  await h.close();
});

const accounts: TestAccount[] = [];
const endpoints: { account: TestAccount; id: string }[] = [];

async function account(name: string): Promise<TestAccount> {
  const created = await signUp(h.app, name);
  accounts.push(created);
  return created;
}

async function endpoint(account: TestAccount, eventTypes: string[]): Promise<string> {
  const res = await request(h.app)
    .post('/v1/webhook-endpoints')
    .set(account.auth)
    .send({ url: `http://127.0.0.1:9/${randomUUID()}`, eventTypes });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  endpoints.push({ account, id: res.body.id as string });
  return res.body.id as string;
}

/** Queued messages, then claimed by `token` as the dispatcher's claim would. */
async function claimed(token: string, specs: { account: TestAccount; to?: string }[]): Promise<string[]> {
  const ids = await insertQueuedMessages(
    h.deps,
    specs.map((s) => ({ accountId: s.account.accountId, from: FROM, to: s.to ?? freshPhone(), body: 'hello' })),
  );
  await h.deps.pgPool.query(
    `update messages set status = 'sending', claim_token = $1, claimed_until = now() + interval '1 minute' where id = any($2::uuid[])`,
    [token, ids],
  );
  return ids;
}

async function prepared(token: string, carrier: 'telnyx' | 'twilio', ids: string[], pool: Pool = h.deps.pgPool) {
  return prepareSend(pool, events, { claimToken: token, sendId: `${token}:${carrier}`, carrier, messageIds: ids, ...LEASE });
}

/** The `data` of every event queued for an endpoint, opened under the account's key, by message id. */
async function announced(endpointId: string, account: TestAccount): Promise<Record<string, unknown>[]> {
  const rows = await sql<{ event_id: string; event_type: string; account_id: string; payload: Buffer }>(
    'select event_id, event_type, account_id, payload from webhook_deliveries where endpoint_id = ? order by event_id',
    [endpointId],
  );
  const dataKey = await h.deps.keyring.keyFor(h.deps.orm.em.fork(), account.accountId);
  return rows
    .map((r) => {
      expect(r.account_id).toBe(account.accountId);
      const envelope = JSON.parse(openDeliveryPayload(dataKey, r.event_id, r.payload)) as { type: string; data: Record<string, unknown> };
      expect(envelope.type).toBe(r.event_type);
      return envelope.data;
    })
    .sort((a, b) => String(a.messageId).localeCompare(String(b.messageId)));
}

const deliveriesOfAccount = async (account: TestAccount) =>
  (await sql<{ n: number }>('select count(*)::int as n from webhook_deliveries where account_id = ?', [account.accountId]))[0]!.n;

const statusData = (messageId: string, status: string, extra: Record<string, unknown> = {}) => ({
  messageId,
  status,
  previousStatus: 'sending',
  carrier: 'telnyx',
  errorCode: null,
  campaignId: null,
  ...extra,
});

/** A pool whose every statement (on the pool or a client it lends) is recorded. */
function recordingPool(log: string[]): Pool {
  const pool = h.deps.pgPool;
  const record = (text: unknown) => log.push(typeof text === 'string' ? text : (text as { text: string }).text);
  return {
    query: (text: string, values?: unknown[]) => {
      record(text);
      return pool.query(text, values);
    },
    connect: async () => {
      const client = await pool.connect();
      return new Proxy(client, {
        get(target, prop) {
          if (prop === 'query')
            return (text: string, values?: unknown[]): Promise<QueryResult> => {
              record(text);
              return target.query(text, values);
            };
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  } as unknown as Pool;
}

const results = (send: Awaited<ReturnType<typeof prepared>>, outcome: (messageId: string) => AttemptResult['outcome'], code?: string) =>
  send.toSend.map((m): AttemptResult =>
    outcome(m.messageId) === 'accepted'
      ? { attemptId: m.attemptId, outcome: 'accepted', carrierMessageId: `tx-${m.messageId}` }
      : { attemptId: m.attemptId, outcome: outcome(m.messageId), ...(code ? { errorCode: code } : {}) },
  );

/** Records the carrier's answers as the send activity does. */
const answer = (send: Awaited<ReturnType<typeof prepared>>, outcome: (messageId: string) => AttemptResult['outcome'], code?: string) =>
  recordAttemptResults(h.deps.pgPool, results(send, outcome, code), 1_000);

/** An account with a message.status endpoint and one claimed message its carrier accepted, not yet settled. */
async function acceptedFor(name: string, token: string) {
  const shop = await account(name);
  const hook = await endpoint(shop, ['message.status']);
  const [id] = await claimed(token, [{ account: shop }]);
  const send = await prepared(token, 'telnyx', [id!]);
  await answer(send, () => 'accepted');
  return { shop, hook, id: id!, attemptId: send.toSend[0]!.attemptId };
}

describe('the send path: set-based message.status events in the status write transaction', () => {
  it('with no account of the batch subscribed to message.status, settling costs exactly one more query and writes nothing', async () => {
    const silent = await account('No endpoints');
    const inboundOnly = await account('Inbound only');
    const inboundEndpoint = await endpoint(inboundOnly, ['message.inbound']);
    const ids = await claimed('t:quiet', [{ account: silent }, { account: silent }, { account: inboundOnly }]);
    const prepareLog: string[] = [];
    const send = await prepared('t:quiet', 'telnyx', ids, recordingPool(prepareLog));
    await answer(send, () => 'accepted');
    const settleLog: string[] = [];
    await settleAttempts(
      recordingPool(settleLog),
      events,
      't:quiet',
      send.toSend.map((m) => m.attemptId),
    );

    expect((await messageStates(h.deps, ids)).map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);
    // prepareSend suppressed nobody: not one statement about webhooks.
    expect(prepareLog.filter((s) => /webhook_/.test(s))).toEqual([]);
    // begin, the attempts, THE subscription lookup, the 'sent' update, commit.
    expect(settleLog).toHaveLength(5);
    expect(settleLog.filter((s) => /webhook_|for update/.test(s))).toEqual([expect.stringContaining('from webhook_endpoints')]);
    expect(await deliveriesOfAccount(silent)).toBe(0);
    expect(await deliveriesOfAccount(inboundOnly)).toBe(0);
    expect(await announced(inboundEndpoint, inboundOnly)).toEqual([]);
  });

  it('a batch of several accounts: each subscribed account gets its own changes only, sealed under its own key, exact payloads', async () => {
    const shop = await account('Subscribed shop');
    const other = await account('Subscribed other');
    const silent = await account('Silent');
    const shopStatus = await endpoint(shop, ['message.status']);
    const shopInbound = await endpoint(shop, ['message.inbound']);
    const otherBoth = await endpoint(other, ['message.status', 'message.inbound']);
    const [sent, refused, silentOne, othersOne] = await claimed('t:mixed', [
      { account: shop },
      { account: shop },
      { account: silent },
      { account: other },
    ]);
    const send = await prepared('t:mixed', 'telnyx', [sent!, refused!, silentOne!, othersOne!]);
    await answer(send, (id) => (id === refused ? 'permanent' : 'accepted'), '21610');
    await settleAttempts(
      h.deps.pgPool,
      events,
      't:mixed',
      send.toSend.map((m) => m.attemptId),
    );

    // announced() orders by message id; two ids made in the same millisecond are not in creation order.
    expect(await announced(shopStatus, shop)).toEqual(
      [statusData(sent!, 'sent'), statusData(refused!, 'failed', { errorCode: '21610' })].sort((a, b) =>
        a.messageId.localeCompare(b.messageId),
      ),
    );
    expect(await announced(shopInbound, shop)).toEqual([]);
    expect(await announced(otherBoth, other)).toEqual([statusData(othersOne!, 'sent')]);
    expect(await deliveriesOfAccount(silent)).toBe(0);
    // Sealed under the account's key and bound to the event: another account's key does not open it.
    const [row] = await sql<{ event_id: string; payload: Buffer }>(
      'select event_id, payload from webhook_deliveries where endpoint_id = ?',
      [otherBoth],
    );
    const shopKey = await h.deps.keyring.keyFor(h.deps.orm.em.fork(), shop.accountId);
    expect(() => openDeliveryPayload(shopKey, row!.event_id, row!.payload)).toThrow();
  });

  it('a recipient who opted out after the claim: suppressed, announced from sending, with no carrier', async () => {
    const shop = await account('Opt-out shop');
    const hook = await endpoint(shop, ['message.status']);
    const to = freshPhone();
    const [optedOut, fine] = await claimed('t:stop', [{ account: shop, to }, { account: shop }]);
    expect((await request(h.app).post('/v1/opt-outs').set(shop.auth).send({ phone: to })).status).toBe(201);
    const send = await prepared('t:stop', 'telnyx', [optedOut!, fine!]);
    expect(send.suppressed).toEqual([optedOut]);
    expect(await announced(hook, shop)).toEqual([statusData(optedOut!, 'suppressed', { carrier: null })]);
  });

  it('a message the send could not open fails with its code, announced once', async () => {
    const shop = await account('Unreadable shop');
    const hook = await endpoint(shop, ['message.status']);
    const [broken] = await claimed('t:broken', [{ account: shop }]);
    const send = await prepared('t:broken', 'telnyx', [broken!]);
    await failUnsendable(h.deps.pgPool, events, 't:broken', [
      { messageId: broken!, attemptId: send.toSend[0]!.attemptId, code: 'stored_data_unreadable' },
    ]);
    expect(await announced(hook, shop)).toEqual([statusData(broken!, 'failed', { carrier: null, errorCode: 'stored_data_unreadable' })]);
  });

  it('no carrier left: a message handed back to the outbox is not announced, one past the bound fails as all_routes_failed', async () => {
    const shop = await account('Unlucky shop');
    const hook = await endpoint(shop, ['message.status']);
    const [twice, once] = await claimed('t:routes', [{ account: shop }, { account: shop }]);
    const viaTelnyx = await prepared('t:routes', 'telnyx', [twice!, once!]);
    await answer(viaTelnyx, () => 'transient', '10007');
    const viaTwilio = await prepared('t:routes', 'twilio', [twice!]);
    await answer(viaTwilio, () => 'transient', '20503');
    const outcome = await requeueOrFail(h.deps.pgPool, events, 't:routes', [twice!, once!], {
      maxFailedAttempts: 2,
      baseBackoffMs: 60_000,
      maxBackoffMs: 60_000,
    });
    expect(outcome).toEqual({ queued: 1, failed: 1 });
    expect(await announced(hook, shop)).toEqual([statusData(twice!, 'failed', { carrier: null, errorCode: 'all_routes_failed' })]);
  });

  it('a receipt that moved the message first: the settle announces nothing more', async () => {
    const { shop, hook, id, attemptId } = await acceptedFor('Receipt first', 't:late');
    // The carrier's receipt got there first (and announced itself, on its own path).
    await h.deps.pgPool.query(`update messages set status = 'delivered' where id = $1`, [id]);
    await settleAttempts(h.deps.pgPool, events, 't:late', [attemptId]);
    expect(await announced(hook, shop)).toEqual([]);
  });

  it('publishing reads keys on its own connection: it holds row locks, so it never waits for the ORM pool', async () => {
    const { shop, hook, id, attemptId } = await acceptedFor('Pool held', 't:pool');
    // Every ORM connection busy in a transaction (as receipts waiting for these very rows would be).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: Promise<void>[] = [];
    const holders = Array.from({ length: h.config.DATABASE_POOL_MAX }, () => {
      let began!: () => void;
      started.push(new Promise<void>((resolve) => (began = resolve)));
      return h.deps.orm.em.fork().transactional(async () => {
        began();
        await gate;
      });
    });
    await Promise.all(started);
    const settled = settleAttempts(h.deps.pgPool, events, 't:pool', [attemptId]).then(() => 'settled');
    const outcome = await Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
    release();
    await Promise.all(holders);
    await settled;
    expect(outcome).toBe('settled');
    expect(await announced(hook, shop)).toEqual([statusData(id, 'sent', { previousStatus: 'sending' })]);
  });

  it('an event exists only if its status write commits', async () => {
    const { shop, hook, id, attemptId } = await acceptedFor('Rolled back', 't:rollback');
    /** Publishes, then the transaction fails after it (as if the commit did). */
    class FailAfterPublishing extends DispatchStatusEvents {
      override async watch(client: Pick<PoolClient, 'query'>, messages: WatchedMessage[]): Promise<StatusWatch> {
        const watch = await super.watch(client, messages);
        return {
          publish: async (c) => {
            await watch.publish(c);
            throw new Error('the transaction fails after publishing');
          },
        };
      }
    }
    const failing = new FailAfterPublishing((client, accountIds) => keysForAccounts(h.deps, accountIds, client));
    await expect(settleAttempts(h.deps.pgPool, failing, 't:rollback', [attemptId])).rejects.toThrow(/after publishing/);
    expect((await messageStates(h.deps, [id]))[0]!.status).toBe('sending');
    expect(await announced(hook, shop)).toEqual([]);
    // The dispatcher's retry settles it for real: announced once.
    await settleAttempts(h.deps.pgPool, events, 't:rollback', [attemptId]);
    expect(await announced(hook, shop)).toEqual([statusData(id, 'sent')]);
  });
});

describe('the carrier-webhook side', () => {
  let processor: CarrierWebhookProcessor;
  beforeAll(() => {
    const logger = pino({ level: 'silent' });
    processor = new CarrierWebhookProcessor(
      { logger, keyring: h.deps.keyring },
      new InboundService({ ...h.deps, logger }, new OptOutsService(h.deps), new MessagingSettingsService()),
    );
  });

  const inbound = (from: string, to: string, body: string): CarrierWebhookEvent => ({
    type: 'inbound',
    eventId: randomUUID(),
    carrier: 'telnyx',
    carrierMessageId: `in-${randomUUID()}`,
    from,
    to,
    body,
    occurredAt: new Date(),
  });

  it('STOP: message.inbound, and message.status suppressed (from queued) for every queued message it suppressed', async () => {
    const shop = await account('Stop shop');
    const ours = await obtainSenderNumber(h, shop);
    const statusHook = await endpoint(shop, ['message.status']);
    const inboundHook = await endpoint(shop, ['message.inbound']);
    const customer = freshPhone();
    const queued = await insertQueuedMessages(h.deps, [
      { accountId: shop.accountId, from: ours, to: customer, body: 'one' },
      { accountId: shop.accountId, from: ours, to: customer, body: 'two' },
    ]);
    const result = await processor.process(h.deps.orm.em.fork(), inbound(customer, ours, 'STOP'));
    expect(result.kind === 'inbound' && result.inbound.suppressed?.sort()).toEqual([...queued].sort());
    const inboundId = result.kind === 'inbound' ? result.inbound.messageId! : '';
    const [row] = await sql<{ created_at: string }>('select created_at from messages where id = ?', [inboundId]);
    expect(await announced(inboundHook, shop)).toEqual([
      { messageId: inboundId, to: ours, carrier: 'telnyx', receivedAt: new Date(row!.created_at).toISOString() },
    ]);
    expect(await announced(statusHook, shop)).toEqual(
      [...queued].sort().map((id) => ({
        messageId: id,
        status: 'suppressed',
        previousStatus: 'queued',
        carrier: null,
        errorCode: 'recipient_opted_out',
        campaignId: null,
      })),
    );
  });

  it("an erased account's receipt is still acknowledged and its send path still settles; nothing is announced", async () => {
    const gone = await account('Erased');
    const hook = await endpoint(gone, ['message.status']);
    const [viaReceipt, viaSettle] = await claimed('t:erased', [{ account: gone }, { account: gone }]);
    const send = await prepared('t:erased', 'telnyx', [viaReceipt!, viaSettle!]);
    await answer(send, () => 'accepted');
    await h.deps.orm.em.fork().transactional((em) => h.deps.keyring.destroy(em, gone.accountId));
    const attemptOf = (id: string) => send.toSend.find((m) => m.messageId === id)!.attemptId;
    const receipt: CarrierWebhookEvent = {
      type: 'status',
      eventId: randomUUID(),
      carrier: 'telnyx',
      carrierMessageId: `tx-${viaReceipt}`,
      messageId: viaReceipt!,
      attemptId: attemptOf(viaReceipt!),
      status: 'delivered',
      occurredAt: new Date(),
    };
    const processed = await processor.process(h.deps.orm.em.fork(), receipt);
    expect(processed.kind === 'status' && processed.receipt.statusChanged).toEqual({ from: 'sending', to: 'delivered' });
    await settleAttempts(h.deps.pgPool, events, 't:erased', [attemptOf(viaSettle!)]);
    expect((await messageStates(h.deps, [viaSettle!]))[0]!.status).toBe('sent');
    const [left] = await sql<{ n: number }>('select count(*)::int as n from webhook_deliveries where endpoint_id = ?', [hook]);
    expect(left!.n).toBe(0);
  });
});
