import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusEventsFor } from '../activities/messaging/status-events';
import { enqueuePage } from '../services/campaigns/campaign-store';
import { MessagesService } from '../services/messaging/messages-service';
import { claimMessages, prepareSend, recordAttemptResults, requeueOrFail } from '../services/messaging/outbox-store';
import type { DeletionCertificate } from '../services/termination/deletion-certificate';
import { dsrWorkflowId } from '../workflows/lifecycle/dsr';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import type { CampaignProgress } from '../workflows/campaigns/campaign-progress';
import { terminationWorkflowId, terminationStatusQuery } from '../workflows/lifecycle/termination';
import { expectProblem } from './support/accounts';
import { startBackgroundWorker } from './support/bundled-worker';
import { startHarness, type Harness } from './support/harness';
import { expectStatus, HOLDER_PASSWORD, seedAccount, waitFor } from './support/termination';

let h: Harness;
let backgroundWorker: { stop(): Promise<void> };
/** One listening server for the race (supertest would open one per request otherwise). */
let server: Server;

beforeAll(async () => {
  // The dev server with the campaign, lifecycle and DSR workers: work is stopped through its own workflows.
  // The race sends a thousand requests with one key and hundreds of refused ones from one address.
  h = await startHarness({
    worker: true,
    lifecycle: true,
    // The race fires 1,000 requests at once: above the load shedder's default (tests/load-shedding.test.ts covers it).
    env: {
      RATE_LIMIT_PER_MINUTE: '100000',
      AUTH_FAILURES_PER_MINUTE: '100000',
      API_KEY_CREATIONS_PER_HOUR: '100000',
      API_MAX_IN_FLIGHT: '5000',
    },
  });
  backgroundWorker = await startBackgroundWorker(h);
  server = createServer(h.app);
  // A backlog for the race's 1,000 simultaneous connections (Node's default of 511 would reset some).
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await backgroundWorker?.stop();
  await h?.close();
});

const pool = () => h.deps.pgPool;
const terminateAccount = async (auth: { Authorization: string }, body: Record<string, unknown> = { disposition: 'delete' }) =>
  expectStatus(await request(h.app).post('/v1/account/termination').set(auth).send(body), 201);
const certificateOf = async (accountId: string) =>
  waitFor(
    'the deletion certificate',
    async () =>
      (
        await pool().query<{ certificate: DeletionCertificate | null }>(
          'select certificate from account_terminations where account_id = $1',
          [accountId],
        )
      ).rows[0]?.certificate ?? undefined,
    60_000,
  );

describe('termination stops the account’s running work at once', () => {
  it('a launched campaign is cancelled through its workflow and queued messages never go out', async () => {
    const acct = await seedAccount(h.app, h.deps.pgPool, h.deps);
    const later = new Date(Date.now() + 3600_000).toISOString();
    const campaign = expectStatus(
      await request(h.app)
        .post('/v1/campaigns')
        .set(acct.auth)
        .send({
          name: 'Later',
          template: 'Hi {{name | "there"}}',
          from: acct.senderPhone,
          audience: { listIds: [acct.listId] },
          startAt: later,
          ratePerSecond: 5,
        }),
      201,
    ).body.id as string;
    expect(expectStatus(await request(h.app).post(`/v1/campaigns/${campaign}/launch`).set(acct.auth), 200).body.status).toBe('scheduled');

    expectStatus(await request(h.app).post('/v1/account/termination').set(acct.auth).send({ disposition: 'delete' }), 201);
    const result: CampaignProgress = await h.temporal.workflow.getHandle(campaignWorkflowId(campaign)).result();
    expect(result.state).toBe('cancelled');
    const { rows } = await h.deps.pgPool.query('select status from campaigns where id = $1', [campaign]);
    expect(rows[0].status).toBe('cancelled');
    const queued = await h.deps.pgPool.query(`select count(*)::int as n from messages where account_id = $1 and status = 'queued'`, [
      acct.accountId,
    ]);
    expect(queued.rows[0].n).toBe(0);
    // The termination process is in its grace period, answering its status query (operators see it in the UI).
    const status = await waitFor('the grace phase', async () => {
      const s = await h.temporal.workflow.getHandle(terminationWorkflowId(acct.accountId)).query(terminationStatusQuery);
      return s.phase === 'grace' ? s : undefined;
    });
    expect(status).toMatchObject({ accountId: acct.accountId, trigger: null, stepsDone: 0 });
    const described = await h.temporal.workflow.getHandle(terminationWorkflowId(acct.accountId)).describe();
    expect(described.searchAttributes).toMatchObject({ ProcessKind: ['termination'], AccountId: [acct.accountId] });
  });
  it('a data subject request workflow of the account is ended (found by AccountId in visibility) and the certificate lists it', async () => {
    const acct = await seedAccount(h.app, pool(), h.deps);
    const dsr = expectStatus(
      await request(h.app).post('/v1/data-subject-requests').set(acct.auth).send({ type: 'rectification', phone: acct.phones[0] }),
      201,
    ).body.id as string;
    const handle = h.temporal.workflow.getHandle(dsrWorkflowId(dsr));
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await terminateAccount(acct.auth, { disposition: 'delete', deleteEarly: true });
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    const certificate = await certificateOf(acct.accountId);
    expect(certificate.endedWorkflows).toContain(dsrWorkflowId(dsr));
    expect(certificate.endedWorkflows).not.toContain(terminationWorkflowId(acct.accountId));
  });

  // Creations queue on the account row's update lock (the 50-key cap is counted under it), as termination does.
  it('1,000 key creations racing a termination leave no working key: every key made answers 401 on a send', async () => {
    const acct = await seedAccount(h.app, pool(), h.deps);
    const creations = Array.from({ length: 1000 }, (_, i) =>
      request(server)
        .post('/v1/api-keys')
        .set(acct.auth)
        .send({ name: `race-${i}`, scopes: ['write'] })
        .then((res) => res),
    );
    // Terminated while most creations are still waiting for the account lock.
    await waitFor('the first keys', async () => {
      const { rows } = await pool().query<{ n: number }>(
        `select count(*)::int as n from api_keys where account_id = $1 and name like 'race-%'`,
        [acct.accountId],
      );
      return rows[0]!.n >= 10 ? true : undefined;
    });
    await terminateAccount(acct.auth);
    const answers = await Promise.all(creations);
    const created = answers.filter((r) => r.status === 201);
    // 409: the account's cap of active keys was reached before the termination revoked them.
    const refused = answers.filter((r) => [401, 403, 409].includes(r.status));
    const other = answers.filter((r) => ![201, 401, 403, 409].includes(r.status));
    expect(other.map((r) => `${r.status} ${JSON.stringify(r.body)}`).slice(0, 3)).toEqual([]);
    expect(created.length + refused.length).toBe(1000);
    expect(created.length).toBeGreaterThanOrEqual(10);
    expect(refused.length).toBeGreaterThan(0);

    const working = await pool().query<{ n: number }>(
      'select count(*)::int as n from api_keys where account_id = $1 and revoked_at is null',
      [acct.accountId],
    );
    expect(working.rows[0]!.n).toBe(0);
    const sends = await Promise.all(
      created.map((res) =>
        request(server)
          .post('/v1/messages')
          .set({ Authorization: `Bearer ${res.body.key as string}` })
          .send({ to: acct.phones[0], from: acct.senderPhone, body: 'after the end' }),
      ),
    );
    expect(sends.map((r) => r.status)).toEqual(created.map(() => 401));
    const queued = await pool().query<{ n: number }>(
      `select count(*)::int as n from messages where account_id = $1 and status in ('queued', 'sending')`,
      [acct.accountId],
    );
    expect(queued.rows[0]!.n).toBe(0);
  }, 900_000);

  it('a key or session the revocation missed, a send, a claim and a campaign page are refused once the account is not active', async () => {
    const acct = await seedAccount(h.app, pool(), h.deps);
    const session = expectStatus(
      await request(h.app).post('/v1/sessions').send({ email: acct.email, password: HOLDER_PASSWORD, accountId: acct.accountId }),
      201,
    ).body.token as string;
    expectStatus(await request(h.app).get('/v1/account').set(acct.auth), 200);
    // Only the status changes: keys, sessions and queued messages are left as they were.
    await pool().query(`update accounts set status = 'terminated' where id = $1`, [acct.accountId]);

    expectProblem(await request(h.app).get('/v1/account').set(acct.auth), 401, 'unauthorized');
    expectProblem(
      await request(h.app)
        .get('/v1/api-keys')
        .set({ Authorization: `Bearer ${session}` }),
      401,
      'unauthorized',
    );
    expectProblem(
      await request(h.app).post('/v1/sessions').send({ email: acct.email, password: HOLDER_PASSWORD, accountId: acct.accountId }),
      403,
      'forbidden',
    );
    const keyOfAccount = (
      await pool().query<{ id: string }>('select id from api_keys where account_id = $1 and revoked_at is null', [acct.accountId])
    ).rows[0]!.id;
    const [queued] = await new MessagesService(h.deps).queue({ accountId: acct.accountId, apiKeyId: keyOfAccount, scopes: ['write'] }, [
      { to: acct.phones[0]!, from: acct.senderPhone, body: 'no' },
    ]);
    expect(queued).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    const claimed = await claimMessages(pool(), `test-${randomUUID()}`, 10_000, 60_000);
    expect(claimed.filter((c) => c.accountId === acct.accountId)).toEqual([]);
    const left = await pool().query('select status from messages where id = $1', [acct.queuedMessageId]);
    expect(left.rows).toEqual([{ status: 'queued' }]);
    // A running campaign's next page writes nothing and ends the campaign as cancelled.
    const { rows: campaigns } = await pool().query<{ id: string }>(
      `update campaigns set status = 'running' where account_id = $1 returning id`,
      [acct.accountId],
    );
    const dataKey = await h.deps.keyring.keyFor(h.deps.orm.em.fork(), acct.accountId);
    const page = await enqueuePage(pool(), dataKey, campaigns[0]!.id, 10, new Date());
    expect(page).toMatchObject({ stopped: true, status: 'cancelled', queued: 0 });
  }, 120_000);

  it('messages already sending at termination are failed with the reason, never sent or requeued after it', async () => {
    const acct = await seedAccount(h.app, pool(), h.deps);
    const second = expectStatus(
      await request(h.app).post('/v1/messages').set(acct.auth).send({ to: acct.phones[1], from: acct.senderPhone, body: 'second' }),
      202,
    ).body.id as string;
    const events = statusEventsFor(h.deps);
    // A dispatcher claimed both; the second was tried once (its carrier call failed, nothing sent).
    const claimToken = `test-${randomUUID()}`;
    const claimed = await claimMessages(pool(), claimToken, 10_000, 60_000);
    expect(claimed.map((c) => c.id)).toEqual(expect.arrayContaining([acct.queuedMessageId, second]));
    const prepare = (messageIds: string[]) =>
      prepareSend(pool(), events, {
        claimToken,
        sendId: randomUUID(),
        carrier: 'telnyx',
        messageIds,
        leaseMs: 60_000,
        reconcileWaitMs: 60_000,
      });
    const tried = await prepare([second]);
    expect(tried.toSend.map((m) => m.messageId)).toEqual([second]);
    await recordAttemptResults(
      pool(),
      [{ attemptId: tried.toSend[0]!.attemptId, outcome: 'transient', errorCode: 'carrier_unavailable' }],
      60_000,
    );

    await terminateAccount(acct.auth);
    // The first: its send finds the account terminated and calls no carrier.
    const next = await prepare([acct.queuedMessageId]);
    expect(next).toMatchObject({ toSend: [], lost: [acct.queuedMessageId] });
    // The second: handed back after its failed call, it is failed instead of queued for a retry.
    expect(await requeueOrFail(pool(), events, claimToken, [second], { maxFailedAttempts: 5, baseBackoffMs: 1, maxBackoffMs: 1 })).toEqual({
      queued: 0,
      failed: 1,
    });
    const { rows } = await pool().query<{ id: string; status: string; error_code: string }>(
      'select id, status, error_code from messages where id = any($1::uuid[]) order by id',
      [[acct.queuedMessageId, second]],
    );
    expect(rows).toEqual([acct.queuedMessageId, second].sort().map((id) => ({ id, status: 'failed', error_code: 'account_terminated' })));
    const attempts = await pool().query('select count(*)::int as n from message_attempts where message_id = $1', [acct.queuedMessageId]);
    expect(attempts.rows[0].n).toBe(0);
    expect((await claimMessages(pool(), `test-${randomUUID()}`, 10_000, 60_000)).filter((c) => c.accountId === acct.accountId)).toEqual([]);
  });
});
