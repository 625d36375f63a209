import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysForAccounts } from '../activities/messaging/account-keys';
import { statusEventsFor } from '../activities/messaging/status-events';
import { hasUnfinishedMessages } from '../services/campaigns/campaign-store';
import { replanClosedWindows } from '../services/campaigns/closed-window-store';
import { claimMessages, prepareSend, recordAttemptResults } from '../services/messaging/outbox-store';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { attemptsOf } from './support/outbox';
import { campaignEnqueuedAt, windowStateOf } from './support/windowed-campaign';

/**
 * Quiet hours at the carrier call, on the real database with the send path's clock given as an
 * instant: a campaign message carries the end of its window (`send_before`), the claim never takes
 * it after that instant, prepareSend hands it back instead of writing an attempt (a failover after
 * the close included), and the claim activity's re-plan moves it to its next window, counted as
 * waiting. Monday 2026-12-07 in Eastern time (EST, UTC−5): Florida's rule closes at 20:00 (01:00 UTC),
 * New York follows the campaign's 21:00.
 */
let h: Harness;
let acct: TestAccount;
let FROM = '';
const at = (iso: string) => new Date(iso);
const EVENING = at('2026-12-08T00:58:00Z'); // 19:58 EST
const FL_CLOSE = '2026-12-08T01:00:00.000Z'; // 20:00 EST
const NY_CLOSE = '2026-12-08T02:00:00.000Z'; // 21:00 EST
const NEXT_MORNING = '2026-12-08T13:00:00.000Z'; // 08:00 EST
const NEXT_FL_CLOSE = '2026-12-09T01:00:00.000Z';
const LEASE = 60_000;

const keysFor = (accountIds: string[]) => keysForAccounts(h.deps, accountIds);
/** Claims here must see only this file's messages: anything else still queued is failed first. */
async function onlyThese(ids: string[]): Promise<void> {
  await h.deps.pgPool.query(`update messages set status = 'failed' where status in ('queued', 'sending') and id <> all($1::uuid[])`, [ids]);
}
const campaignProgress = async (campaignId: string) =>
  (await request(h.app).get(`/v1/campaigns/${campaignId}`).set(acct.auth)).body.progress as {
    live: boolean;
    messages: Record<string, number>;
  };

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Evening sends');
  FROM = await obtainSenderNumber(h, acct);
});
afterAll(async () => {
  if (acct)
    await h.deps.pgPool.query(
      `update messages set status = 'failed', error_code = 'test_cleanup' where account_id = $1 and status in ('queued', 'sending')`,
      [acct.accountId],
    );
  await h?.close();
});

describe('the window a campaign message carries', () => {
  it("ends at 20:00 for a Florida recipient (the state's rule), 21:00 for New York (the campaign's); a one-off message has none", async () => {
    const fl = freshPhone('+1305');
    const ny = freshPhone('+1212');
    const { messageIds } = await campaignEnqueuedAt(h, acct, FROM, [fl, ny], EVENING);
    expect(await windowStateOf(h, messageIds[fl]!)).toEqual({
      status: 'queued',
      sendBefore: FL_CLOSE,
      nextAttemptAt: EVENING.toISOString(),
      waitReason: null,
      claimed: false,
    });
    expect((await windowStateOf(h, messageIds[ny]!)).sendBefore).toBe(NY_CLOSE);

    const oneOff = await request(h.app)
      .post('/v1/messages')
      .set(acct.auth)
      .send({ from: FROM, to: freshPhone('+1305'), body: 'now' });
    expect(oneOff.status, JSON.stringify(oneOff.body)).toBe(202);
    expect((await windowStateOf(h, oneOff.body.id)).sendBefore).toBeNull();
  });
});

describe('the claim', () => {
  it('at 20:00 takes New York but not Florida, whose re-plan waits for 08:00 next day (counted waiting), then claims it then', async () => {
    const fl = freshPhone('+1305');
    const ny = freshPhone('+1212');
    const { campaignId, messageIds } = await campaignEnqueuedAt(h, acct, FROM, [fl, ny], EVENING);
    await onlyThese(Object.values(messageIds));

    const claimed = await claimMessages(h.deps.pgPool, 't:window:close', 10, LEASE, at(FL_CLOSE));
    expect(claimed.map((m) => m.id)).toEqual([messageIds[ny]]);
    expect(await windowStateOf(h, messageIds[fl]!)).toMatchObject({ status: 'queued', waitReason: null, claimed: false });

    expect(await replanClosedWindows(h.deps.pgPool, keysFor, at(FL_CLOSE))).toBe(1);
    expect(await windowStateOf(h, messageIds[fl]!)).toEqual({
      status: 'queued',
      sendBefore: NEXT_FL_CLOSE,
      nextAttemptAt: NEXT_MORNING,
      waitReason: 'quiet_hours',
      claimed: false,
    });
    expect(await campaignProgress(campaignId)).toMatchObject({ live: false, messages: { queued: 0, waiting: 1, sending: 1 } });
    expect(await hasUnfinishedMessages(h.deps.pgPool, campaignId)).toBe(true);
    // Re-planning again changes nothing: its window is ahead now.
    expect(await replanClosedWindows(h.deps.pgPool, keysFor, at(FL_CLOSE))).toBe(0);

    expect(await claimMessages(h.deps.pgPool, 't:window:early', 10, LEASE, at('2026-12-08T12:59:59.999Z'))).toEqual([]);
    const morning = await claimMessages(h.deps.pgPool, 't:window:morning', 10, LEASE, at(NEXT_MORNING));
    expect(morning.map((m) => m.id)).toEqual([messageIds[fl]]);
    expect(await windowStateOf(h, messageIds[fl]!)).toMatchObject({ status: 'sending', waitReason: null, sendBefore: NEXT_FL_CLOSE });
    expect(await campaignProgress(campaignId)).toMatchObject({ messages: { queued: 0, waiting: 0, sending: 2 } });
  });
});

describe('prepareSend, before every attempt', () => {
  it('a failover after 20:00 hands the Florida message back to the outbox with no attempt written, and sends New York', async () => {
    const fl = freshPhone('+1305');
    const ny = freshPhone('+1212');
    const { campaignId, messageIds } = await campaignEnqueuedAt(h, acct, FROM, [fl, ny], at('2026-12-08T00:59:00Z'));
    const ids = [messageIds[fl]!, messageIds[ny]!];
    await onlyThese(ids);
    const token = 't:window:prepare';
    expect(await claimMessages(h.deps.pgPool, token, 10, LEASE, at('2026-12-08T00:59:30Z'))).toHaveLength(2);
    const events = statusEventsFor(h.deps);
    const send = (carrier: 'telnyx' | 'twilio', now: Date) =>
      prepareSend(h.deps.pgPool, events, {
        claimToken: token,
        sendId: `${token}:${carrier}`,
        carrier,
        messageIds: ids,
        leaseMs: LEASE,
        reconcileWaitMs: 30_000,
        now,
      });

    // First attempt, inside the window: both go to Telnyx, which fails them (nothing sent).
    const first = await send('telnyx', at('2026-12-08T00:59:59.999Z'));
    expect(first).toMatchObject({ windowClosed: [], lost: [], suppressed: [] });
    const byId = (a: (string | undefined)[], b: (string | undefined)[]) => (a[0]! < b[0]! ? -1 : 1);
    expect(first.toSend.map((m) => [m.messageId, m.sendBefore?.toISOString()]).sort(byId)).toEqual(
      [
        [messageIds[fl], FL_CLOSE],
        [messageIds[ny], NY_CLOSE],
      ].sort(byId),
    );
    await recordAttemptResults(
      h.deps.pgPool,
      first.toSend.map((m) => ({ attemptId: m.attemptId, outcome: 'transient', errorCode: '10007' })),
      30_000,
    );

    // The failover at 20:00:00 exactly: Florida's window has closed.
    const failover = await send('twilio', at(FL_CLOSE));
    expect(failover.windowClosed).toEqual([messageIds[fl]]);
    expect(failover.toSend.map((m) => m.messageId)).toEqual([messageIds[ny]]);
    expect(await windowStateOf(h, messageIds[fl]!)).toMatchObject({ status: 'queued', waitReason: 'quiet_hours', claimed: false });
    expect((await attemptsOf(h.deps, messageIds[fl]!)).map((a) => [a.carrier, a.outcome])).toEqual([['telnyx', 'transient']]);
    expect(await campaignProgress(campaignId)).toMatchObject({ messages: { waiting: 1, sending: 1 } });
  });
});
