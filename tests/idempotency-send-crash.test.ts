import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBodyDigest, requestFingerprint } from '../api/http/idempotency';
import { phoneHash } from '../lib/crypto/phone-hash';
import { AppError } from '../lib/errors';
import { IdempotencyStore } from '../services/idempotency/idempotency-store';
import { MessagesService } from '../services/messaging/messages-service';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';

/**
 * POST /v1/messages under crashes (found by `npm run bench:chaos`): the Idempotency-Key is completed
 * by the statement that writes the message, so a process that dies after the write leaves a key that
 * answers with the message, and a claim left by a process that died before the write is taken over
 * after a short lease with exactly one message written, even if the dead request's write lands late.
 */
let h: Harness;
let acct: TestAccount;
let FROM = '';

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Crashing Sender');
  FROM = await obtainSenderNumber(h, acct);
});
afterAll(() => h.close());

const sql = <T>(query: string, params: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(query, params);
const actor = () => ({ accountId: acct.accountId, apiKeyId: acct.apiKeyId, scopes: ['write' as const] });

/** What the API's gate claims for this body, as a request that then died would have left it. */
async function claimAsTheGateWould(key: string, body: object, leaseSeconds: number) {
  const outcome = await new IdempotencyStore(h.deps.keyring).claim(
    h.deps.orm.em.fork(),
    {
      accountId: acct.accountId,
      key,
      method: 'post',
      path: '/v1/messages',
      requestHash: requestFingerprint('post', '/v1/messages', {}, jsonBodyDigest(body)),
    },
    leaseSeconds,
  );
  if (!outcome.claimed) throw new Error('expected a fresh claim');
  return { accountId: acct.accountId, key, claimId: outcome.claimId };
}

/** Every message row this account has to `to` (found by its keyed hash, as the product stores it). */
const messagesTo = async (to: string) =>
  (
    await sql<{ id: string }>('select id from messages where account_id = ? and recipient_hash = ?', [
      acct.accountId,
      phoneHash(h.deps.keys.phoneHashKey, to),
    ])
  ).map((m) => m.id);

describe('POST /v1/messages with an Idempotency-Key, when the API process dies', () => {
  it('after the message was written: the key already answers with it (completed by the same insert)', async () => {
    const body = { to: freshPhone(), from: FROM, body: 'written, then the process died' };
    const claim = await claimAsTheGateWould('died-after-write', body, 30);
    // The handler's write, and then nothing: the gate never stores an answer.
    const message = await new MessagesService(h.deps).send(actor(), body, claim);
    expect(await messagesTo(body.to)).toEqual([message.id]);

    const [row] = await sql<{ status_code: number; resource_type: string; resource_id: string }>(
      'select status_code, resource_type, resource_id from idempotency_keys where account_id = ? and key = ?',
      [acct.accountId, 'died-after-write'],
    );
    expect(row).toEqual({ status_code: 202, resource_type: 'message', resource_id: message.id });
    const retry = await request(h.app).post('/v1/messages').set(acct.auth).set('Idempotency-Key', 'died-after-write').send(body);
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(message.id);
  });

  it('before the message was written: the retry takes the claim over after its lease, and the late write of the dead request is refused', async () => {
    const to = freshPhone();
    const body = { to, from: FROM, body: 'claimed, then the process died' };
    const stale = await claimAsTheGateWould('died-before-write', body, 30);

    const during = await request(h.app).post('/v1/messages').set(acct.auth).set('Idempotency-Key', 'died-before-write').send(body);
    expect(during.status).toBe(409);
    // The 30 s lease has passed (moved back rather than waited out).
    await sql(`update idempotency_keys set locked_until = now() - interval '1 second' where account_id = ? and key = ?`, [
      acct.accountId,
      'died-before-write',
    ]);
    const retry = await request(h.app).post('/v1/messages').set(acct.auth).set('Idempotency-Key', 'died-before-write').send(body);
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();

    // The request that held the stale claim was only slow, not dead: its write arrives now.
    const late = new MessagesService(h.deps).send(actor(), body, stale);
    await expect(late).rejects.toBeInstanceOf(AppError);
    await expect(late).rejects.toMatchObject({ kind: 'conflict' });

    expect(await messagesTo(to)).toEqual([retry.body.id]);
    const again = await request(h.app).post('/v1/messages').set(acct.auth).set('Idempotency-Key', 'died-before-write').send(body);
    expect(again.body.id).toBe(retry.body.id);
  });
});
