import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CarrierWebhookEvent, MessageStatus } from '../providers/sms/carrier';
import { CarrierWebhookProcessor } from '../services/messaging/carrier-webhooks';
import { InboundService } from '../services/messaging/inbound';
import { MessagingSettingsService } from '../services/messaging/messaging-settings';
import { OptOutsService } from '../services/opt-outs';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { insertQueuedMessages } from './support/outbox';

/**
 * Receipt semantics on the real database, through the same processor the webhook endpoints call
 * (event ids recorded, then applied): forward-only, out of order, duplicates, matching by attempt id
 * or carrier id.
 */
let h: Harness;
let acct: TestAccount;
let processor: CarrierWebhookProcessor;

const sql = <T>(query: string, params: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(query, params);

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Receipt semantics');
  const logger = pino({ level: 'silent' });
  processor = new CarrierWebhookProcessor(
    { logger, keyring: h.deps.keyring },
    new InboundService({ ...h.deps, logger }, new OptOutsService(h.deps), new MessagingSettingsService()),
  );
});
afterAll(() => h.close());

async function messageWithAttempt(outcome: 'pending' | 'ambiguous' | 'accepted', status: MessageStatus = 'sending') {
  const [messageId] = await insertQueuedMessages(h.deps, [
    { accountId: acct.accountId, from: '+14155550100', to: freshPhone(), body: 'x' },
  ]);
  const attemptId = randomUUID();
  await sql(`update messages set status = ? where id = ?`, [status, messageId]);
  await sql(
    `insert into message_attempts (id, message_id, account_id, carrier, outcome, created_at, reconcile_after)
     values (?, ?, ?, 'telnyx', ?, now(), case when ? = 'ambiguous' then now() + interval '1 minute' end)`,
    [attemptId, messageId, acct.accountId, outcome, outcome],
  );
  return { messageId: messageId!, attemptId };
}

const receipt = (
  ref: { attemptId?: string; messageId?: string; carrierMessageId: string },
  status: MessageStatus,
  extra: Partial<CarrierWebhookEvent> = {},
) =>
  ({
    type: 'status',
    eventId: randomUUID(),
    carrier: 'telnyx',
    status,
    occurredAt: new Date(),
    ...ref,
    ...extra,
  }) as CarrierWebhookEvent;

async function state(messageId: string, attemptId: string) {
  const [m] = await sql<{
    status: string;
    carrier_message_id: string | null;
    error_code: string | null;
    delivered: boolean;
    failed: boolean;
  }>(
    'select status, carrier_message_id, error_code, delivered_at is not null as delivered, failed_at is not null as failed from messages where id = ?',
    [messageId],
  );
  const [a] = await sql<{ outcome: string; carrier_message_id: string | null }>(
    'select outcome, carrier_message_id from message_attempts where id = ?',
    [attemptId],
  );
  return { message: m!, attempt: a! };
}

describe('delivery receipts', () => {
  it('a receipt naming a pending attempt (it beat the send answer) makes it accepted and the message sent', async () => {
    const { messageId, attemptId } = await messageWithAttempt('pending');
    const result = await processor.process(h.deps.orm.em.fork(), receipt({ attemptId, messageId, carrierMessageId: 'tx-1' }, 'sent'));
    expect(result).toEqual({
      kind: 'status',
      receipt: {
        matched: true,
        accountId: acct.accountId,
        messageId,
        attemptResolved: 'accepted',
        statusChanged: { from: 'sending', to: 'sent' },
      },
    });
    expect(await state(messageId, attemptId)).toEqual({
      message: { status: 'sent', carrier_message_id: 'tx-1', error_code: null, delivered: false, failed: false },
      attempt: { outcome: 'accepted', carrier_message_id: 'tx-1' },
    });
  });

  it('a receipt naming an ambiguous attempt confirms it sent', async () => {
    const { messageId, attemptId } = await messageWithAttempt('ambiguous');
    await processor.process(h.deps.orm.em.fork(), receipt({ attemptId, messageId, carrierMessageId: 'tx-2' }, 'delivered'));
    expect(await state(messageId, attemptId)).toMatchObject({
      message: { status: 'delivered', carrier_message_id: 'tx-2', delivered: true },
      attempt: { outcome: 'confirmed_sent', carrier_message_id: 'tx-2' },
    });
  });

  it('out of order: "sent" after "delivered" changes nothing; a duplicate event id is a no-op', async () => {
    const { messageId, attemptId } = await messageWithAttempt('accepted', 'sent');
    await sql(`update message_attempts set carrier_message_id = 'tx-3' where id = ?`, [attemptId]);
    await sql(`update messages set carrier = 'telnyx', carrier_message_id = 'tx-3' where id = ?`, [messageId]);
    const delivered = receipt({ carrierMessageId: 'tx-3' }, 'delivered');
    expect((await processor.process(h.deps.orm.em.fork(), delivered)).kind).toBe('status');
    const late = await processor.process(h.deps.orm.em.fork(), receipt({ carrierMessageId: 'tx-3' }, 'sent'));
    expect(late).toEqual({ kind: 'status', receipt: { matched: true, accountId: acct.accountId, messageId } });
    const failedLate = await processor.process(
      h.deps.orm.em.fork(),
      receipt({ carrierMessageId: 'tx-3' }, 'failed', { errorCode: '40001' }),
    );
    expect(failedLate.kind === 'status' && failedLate.receipt.statusChanged).toBeUndefined();
    expect(await processor.process(h.deps.orm.em.fork(), delivered)).toEqual({ kind: 'replayed' });
    expect(await state(messageId, attemptId)).toEqual({
      message: { status: 'delivered', carrier_message_id: 'tx-3', error_code: null, delivered: true, failed: false },
      attempt: { outcome: 'accepted', carrier_message_id: 'tx-3' },
    });
  });

  it('a failure receipt records its error code; an unknown carrier id matches nothing and changes nothing', async () => {
    const { messageId, attemptId } = await messageWithAttempt('accepted', 'sent');
    await sql(`update message_attempts set carrier_message_id = 'tx-4' where id = ?`, [attemptId]);
    await processor.process(h.deps.orm.em.fork(), receipt({ carrierMessageId: 'tx-4' }, 'undelivered', { errorCode: '40300' }));
    expect(await state(messageId, attemptId)).toMatchObject({ message: { status: 'undelivered', error_code: '40300', failed: true } });
    const unknown = await processor.process(h.deps.orm.em.fork(), receipt({ carrierMessageId: 'nobody' }, 'delivered'));
    expect(unknown).toEqual({ kind: 'status', receipt: { matched: false } });
  });

  it('a receipt for a queued or sending status never moves the message (the dispatcher owns those)', async () => {
    const { messageId, attemptId } = await messageWithAttempt('pending', 'queued');
    await processor.process(h.deps.orm.em.fork(), receipt({ attemptId, messageId, carrierMessageId: 'tx-5' }, 'sending'));
    expect((await state(messageId, attemptId)).message.status).toBe('queued');
  });

  it('ids in the callback URL that are not UUIDs match nothing (no database error, so no 5xx and no carrier retry storm)', async () => {
    const odd = receipt({ attemptId: 'not-a-uuid', messageId: 'nor-this', carrierMessageId: 'tx-odd' }, 'delivered');
    expect(await processor.process(h.deps.orm.em.fork(), odd)).toEqual({ kind: 'status', receipt: { matched: false } });
  });

  it("an attempt id from another carrier's callback is not matched (the carrier must match too)", async () => {
    const { messageId, attemptId } = await messageWithAttempt('ambiguous');
    const wrong = receipt({ attemptId, messageId, carrierMessageId: 'tw-1' }, 'delivered', { carrier: 'twilio' });
    expect(await processor.process(h.deps.orm.em.fork(), wrong)).toEqual({ kind: 'status', receipt: { matched: false } });
    expect((await state(messageId, attemptId)).attempt.outcome).toBe('ambiguous');
  });
});
