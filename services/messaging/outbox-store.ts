import type { Pool } from 'pg';
import type { CarrierId } from '../../providers/sms/carrier';
import { withPgTransaction } from '../../db/pg-pool';
import { uuidv7, uuidv7SameTimeAs } from '../../lib/ids';
import type { DispatchStatusEvents } from './dispatch-status-events';
import { statusRankSql, statusRank } from './message-status';
import { SENDING_SUSPENDED_SQL, SUSPENSION_RECHECK_MS } from '../billing/sending-suspension';
import { SPEND_CAP_REACHED_SQL, SPEND_CAP_RECHECK_MS } from '../billing/spend-cap-store';
import { USAGE_FROM_SENT_SQL } from '../billing/usage-store';

/**
 * All the SQL of the send path. A message is owned by one dispatcher claim (`claim_token`) from the
 * moment it is claimed ('queued' → 'sending') until it is sent, failed, suppressed or handed back to
 * the outbox; every write below is guarded by that token, so a dispatcher that lost its claim (lease
 * expired, another shard re-claimed) can no longer touch the message. Attempts are written 'pending'
 * before the carrier is called and only a pending attempt's outcome is ever recorded.
 */

const RANK = statusRankSql('status');

export interface ClaimedMessage {
  id: string;
  accountId: string;
}

/**
 * Claims up to `max` due queued messages for `claimToken`, oldest due first (the partial outbox index
 * serves both the filter and the order: the outbox writer sets next_attempt_at, normally to now).
 * Accounts that may not send are a small hashed list checked per row: written as a join, the planner
 * could drive the claim from the accounts table and read an account's every message (0.5 s at 1M). Idempotent: when rows already carry the
 * token (a retried claim whose first run committed but whose answer was lost) those rows are returned
 * and nothing new is claimed, so no claimed message is ever stranded. `now` is the send path's clock:
 * a message whose window closed (`send_before`) is not claimed; it waits for its next window instead.
 */
export async function claimMessages(
  pool: Pool,
  claimToken: string,
  max: number,
  leaseMs: number,
  /** The send path's clock (a test's shifted one); by default the database's. */
  now?: Date,
): Promise<ClaimedMessage[]> {
  const held = await pool.query<{ id: string; account_id: string }>(
    `select id, account_id from messages where claim_token = $1 and status = 'sending' order by id`,
    [claimToken],
  );
  if (held.rows.length > 0) return held.rows.map((r) => ({ id: r.id, accountId: r.account_id }));
  const claimed = await pool.query<{ id: string; account_id: string }>(
    `update messages m
        set status = 'sending', claim_token = $1, claimed_until = now() + make_interval(secs => $3::double precision / 1000),
            wait_reason = null, updated_at = now()
       from (select id from messages
              where status = 'queued' and next_attempt_at <= coalesce($4::timestamptz, now())
                and (send_before is null or send_before > coalesce($4::timestamptz, now()))
                and account_id <> all (select id from accounts where status <> 'active')
              order by next_attempt_at
              limit $2
              for update skip locked) due
      where m.id = due.id
      returning m.id, m.account_id`,
    [claimToken, max, leaseMs, now ?? null],
  );
  return claimed.rows.map((r) => ({ id: r.id, accountId: r.account_id })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Claims whose lease ran out go back to the outbox, unless a carrier call may have happened (a pending
 * or ambiguous attempt): those stay with their dispatcher until reconciled.
 */
export async function releaseExpiredClaims(pool: Pool): Promise<number> {
  const res = await pool.query(
    `update messages m set status = 'queued', claim_token = null, claimed_until = null, updated_at = now()
      where m.status = 'sending' and m.claimed_until < now()
        and not exists (select 1 from message_attempts a where a.message_id = m.id and a.outcome in ('pending', 'ambiguous'))`,
  );
  return res.rowCount ?? 0;
}

/** What a send needs of one message: the sealed fields are opened by the caller under the account key. */
export interface SendableMessage {
  messageId: string;
  accountId: string;
  attemptId: string;
  sender: string;
  recipientSealed: Buffer;
  bodySealed: Buffer;
  /** The end of a campaign message's window (null: none): the call itself must start before it. */
  sendBefore: Date | null;
}

export type RecordedOutcome = 'pending' | 'accepted' | 'permanent' | 'transient' | 'ambiguous' | 'confirmed_sent' | 'confirmed_not_sent';

export interface EarlierAttempt {
  messageId: string;
  attemptId: string;
  outcome: RecordedOutcome;
  errorCode: string | null;
}

export interface PreparedSend {
  /** Not (or no longer) held by this claim: another dispatcher or a receipt or an opt-out owns it now, or its account was terminated (failed). */
  lost: string[];
  /** Opted out or restricted since it was queued, or its sender released: now 'suppressed', never sent. */
  suppressed: string[];
  /** Its window closed since the claim: back in the outbox, waiting (`wait_reason`) for the next one. */
  windowClosed: string[];
  /** Its account reached its monthly spend cap: back in the outbox (`wait_reason = 'spend_cap'`), never dropped. */
  spendCapped: string[];
  /** Its account's sending is suspended for non-payment: back in the outbox (`wait_reason = 'account_suspended'`) until it is lifted. */
  suspended: string[];
  /** Attempts this same send wrote before (the activity is a retry); pending ones are now ambiguous. */
  earlier: EarlierAttempt[];
  /** Fresh pending attempts, written and committed: call the carrier for these. */
  toSend: SendableMessage[];
}

export interface PrepareSendInput {
  claimToken: string;
  sendId: string;
  carrier: CarrierId;
  messageIds: string[];
  leaseMs: number;
  reconcileWaitMs: number;
  /** The send path's clock (the activities' injected one): the window check and the attempts' time. */
  now?: Date;
}

/**
 * One transaction before any carrier call: renews the claim's lease (and locks the rows), turns this
 * send's leftover pending attempts into ambiguous ones (never resent blindly), suppresses recipients
 * who opted out or were restricted since the claim, hands back to the outbox those whose window
 * closed (first send, failover or retry alike), and writes a pending attempt per message to send.
 */
export function prepareSend(pool: Pool, events: DispatchStatusEvents, input: PrepareSendInput): Promise<PreparedSend> {
  const now = input.now ?? new Date();
  return withPgTransaction(pool, async (client) => {
    const owned = await client.query<{ id: string; account_id: string; kind: string; recipient_hash: Buffer; send_before: Date | null }>(
      `update messages set claimed_until = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
        where id in (select id from messages where id = any($1::uuid[]) and claim_token = $2 and status = 'sending' order by id for update)
        returning id, account_id, kind, recipient_hash, send_before`,
      [input.messageIds, input.claimToken, input.leaseMs],
    );
    const ownedIds = new Set(owned.rows.map((r) => r.id));
    const lost = input.messageIds.filter((id) => !ownedIds.has(id));

    await client.query(
      `update message_attempts set outcome = 'ambiguous', error_code = 'send_interrupted', completed_at = now(),
              reconcile_after = now() + make_interval(secs => $3::double precision / 1000)
        where send_id = $1 and message_id = any($2::uuid[]) and outcome = 'pending'`,
      [input.sendId, [...ownedIds], input.reconcileWaitMs],
    );
    const earlierRows = await client.query<{ id: string; message_id: string; outcome: RecordedOutcome; error_code: string | null }>(
      `select id, message_id, outcome, error_code from message_attempts where send_id = $1 and message_id = any($2::uuid[])`,
      [input.sendId, [...ownedIds]],
    );
    const earlier = earlierRows.rows.map((r) => ({
      messageId: r.message_id,
      attemptId: r.id,
      outcome: r.outcome,
      errorCode: r.error_code,
    }));
    const attempted = new Set(earlier.map((e) => e.messageId));

    const fresh = owned.rows.filter((r) => !attempted.has(r.id));
    // A sender the account had but no longer holds (released) sends nothing more, keyword replies included.
    const suppressedRows = await client.query<{ id: string }>(
      `with released as (
         select m.id from messages m
          where m.id = any($1::uuid[])
            and exists (select 1 from sender_numbers s where s.account_id = m.account_id and s.phone_e164 = m.sender)
            and not exists (select 1 from sender_numbers s where s.account_id = m.account_id and s.phone_e164 = m.sender
                              and s.status in ('failover_pending', 'active')))
       update messages m set status = 'suppressed', claimed_until = null, updated_at = now(),
              error_code = case when m.id in (select id from released) then 'sender_released' else m.error_code end
        where m.id = any($1::uuid[]) and ${statusRankSql('m.status')} < ${statusRank('suppressed')}
          and (m.id in (select id from released)
            or (m.kind <> 'keyword_reply'
              and (exists (select 1 from opt_outs o where o.account_id = m.account_id and o.phone_hash = m.recipient_hash)
                or exists (select 1 from recipient_restrictions r where r.account_id = m.account_id and r.phone_hash = m.recipient_hash))))
        returning m.id`,
      [fresh.map((r) => r.id)],
    );
    const suppressed = suppressedRows.rows.map((r) => r.id);
    const suppressedSet = new Set(suppressed);
    const suppressedOwned = owned.rows.filter((r) => suppressedSet.has(r.id)).map((r) => ({ id: r.id, accountId: r.account_id }));
    await events.changedFrom(client, suppressedOwned, 'sending'); // locked above while 'sending'
    // A message of an account terminated since its claim (it was 'sending' then) is never sent: failed with the reason.
    const endedRows = await client.query<{ id: string }>(
      `update messages m set status = 'failed', error_code = 'account_terminated', failed_at = now(), claimed_until = null, updated_at = now()
        where m.id = any($1::uuid[]) and not exists (select 1 from accounts a where a.id = m.account_id and a.status = 'active')
        returning m.id`,
      [fresh.filter((r) => !suppressedSet.has(r.id)).map((r) => r.id)],
    );
    const ended = new Set(endedRows.rows.map((r) => r.id));
    await events.changedFrom(
      client,
      owned.rows.filter((r) => ended.has(r.id)).map((r) => ({ id: r.id, accountId: r.account_id })),
      'sending',
    );
    lost.push(...ended);
    // send_before was read under the row lock above. No call is in flight for a fresh message (the
    // dispatcher never resends one with an undecided attempt): handing it back is the claim undoing itself.
    const windowClosed = fresh
      .filter((r) => !suppressedSet.has(r.id) && !ended.has(r.id) && r.send_before !== null && r.send_before.getTime() <= now.getTime())
      .map((r) => r.id);
    if (windowClosed.length > 0) {
      await client.query(
        `update messages set status = 'queued', claim_token = null, claimed_until = null, wait_reason = 'quiet_hours', updated_at = now()
          where id = any($1::uuid[])`,
        [windowClosed],
      );
    }
    const closedSet = new Set(windowClosed);
    // The cap and a suspension are read here, before any carrier call: a send can overshoot the cap
    // only by the batches already past this point when the month's spend reached it (docs/ARCHITECTURE.md, spend caps).
    const heldRows = await client.query<{ id: string; wait_reason: 'spend_cap' | 'account_suspended' }>(
      // A keyword reply (the STOP / HELP answer the carrier rules require) still goes while suspended.
      `with gate as (
         select m.id, (m.kind <> 'keyword_reply' and ${SENDING_SUSPENDED_SQL('m.account_id')}) as suspended from messages m
          where m.id = any($1::uuid[])
            and ((m.kind <> 'keyword_reply' and ${SENDING_SUSPENDED_SQL('m.account_id')})
                 or ${SPEND_CAP_REACHED_SQL('m.account_id', '$2::timestamptz')}))
       update messages m set status = 'queued', claim_token = null, claimed_until = null,
              wait_reason = case when g.suspended then 'account_suspended' else 'spend_cap' end,
              next_attempt_at = $2::timestamptz
                + make_interval(secs => (case when g.suspended then $4 else $3 end)::double precision / 1000),
              updated_at = now()
         from gate g where m.id = g.id
        returning m.id, m.wait_reason`,
      [
        fresh.filter((r) => !suppressedSet.has(r.id) && !ended.has(r.id) && !closedSet.has(r.id)).map((r) => r.id),
        now,
        SPEND_CAP_RECHECK_MS,
        SUSPENSION_RECHECK_MS,
      ],
    );
    const spendCapped = heldRows.rows.filter((r) => r.wait_reason === 'spend_cap').map((r) => r.id);
    const suspended = heldRows.rows.filter((r) => r.wait_reason === 'account_suspended').map((r) => r.id);
    const heldSet = new Set(heldRows.rows.map((r) => r.id));
    const sendIds = fresh
      .filter((r) => !suppressedSet.has(r.id) && !ended.has(r.id) && !closedSet.has(r.id) && !heldSet.has(r.id))
      .map((r) => r.id);
    if (sendIds.length === 0) return { lost, suppressed, windowClosed, spendCapped, suspended, earlier, toSend: [] };

    const attemptIds = sendIds.map(uuidv7SameTimeAs);
    const rows = await client.query<{
      attempt_id: string;
      id: string;
      account_id: string;
      sender: string;
      recipient_pii: Buffer;
      body: Buffer;
      send_before: Date | null;
    }>(
      `with fresh as (
         insert into message_attempts (id, message_id, account_id, carrier, outcome, send_id, created_at)
         select a.attempt_id, m.id, m.account_id, $3, 'pending', $4, $5
           from unnest($1::uuid[], $2::uuid[]) as a(message_id, attempt_id) join messages m on m.id = a.message_id
         returning id, message_id)
       select f.id as attempt_id, m.id, m.account_id, m.sender, m.recipient_pii, b.body, m.send_before
         from fresh f join messages m on m.id = f.message_id join message_bodies b on b.message_id = f.message_id`,
      [sendIds, attemptIds, input.carrier, input.sendId, now],
    );
    const toSend = rows.rows.map((r) => ({
      messageId: r.id,
      accountId: r.account_id,
      attemptId: r.attempt_id,
      sender: r.sender,
      recipientSealed: r.recipient_pii,
      bodySealed: r.body,
      sendBefore: r.send_before,
    }));
    return { lost, suppressed, windowClosed, spendCapped, suspended, earlier, toSend };
  });
}

export interface AttemptResult {
  attemptId: string;
  outcome: 'accepted' | 'permanent' | 'transient' | 'ambiguous';
  carrierMessageId?: string;
  errorCode?: string;
}

/**
 * Records carrier answers on still-pending attempts only: a receipt that already confirmed an attempt
 * (its callback can beat the send's own answer) is never overwritten.
 */
export async function recordAttemptResults(pool: Pool, results: AttemptResult[], reconcileWaitMs: number): Promise<void> {
  if (results.length === 0) return;
  await pool.query(
    `update message_attempts a
        set outcome = r.outcome, carrier_message_id = coalesce(a.carrier_message_id, r.carrier_message_id), error_code = r.error_code,
            completed_at = now(),
            reconcile_after = case when r.outcome = 'ambiguous' then now() + make_interval(secs => $5::double precision / 1000) end
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as r(id, outcome, carrier_message_id, error_code)
      where a.id = r.id and a.outcome = 'pending'`,
    [
      results.map((r) => r.attemptId),
      results.map((r) => r.outcome),
      results.map((r) => r.carrierMessageId ?? null),
      results.map((r) => r.errorCode ?? null),
      reconcileWaitMs,
    ],
  );
}

export interface SettledAttempt {
  attemptId: string;
  messageId: string;
  outcome: RecordedOutcome;
  errorCode: string | null;
  reconcileAfter: Date | null;
}

/**
 * The attempts' outcomes as stored, applied to their messages: a carrier that took the message makes
 * it 'sent' (carrier and carrier id recorded), a permanent refusal makes it 'failed'; both only move
 * the status forward, so a receipt that already said 'delivered' stays.
 */
export function settleAttempts(
  pool: Pool,
  events: DispatchStatusEvents,
  claimToken: string | null,
  attemptIds: string[],
): Promise<SettledAttempt[]> {
  return withPgTransaction(pool, async (client) => {
    const { rows } = await client.query<{
      id: string;
      message_id: string;
      account_id: string;
      carrier: string;
      outcome: RecordedOutcome;
      carrier_message_id: string | null;
      error_code: string | null;
      reconcile_after: Date | null;
    }>(
      `select id, message_id, account_id, carrier, outcome, carrier_message_id, error_code, reconcile_after
         from message_attempts where id = any($1::uuid[]) order by message_id`,
      [attemptIds],
    );
    const watch = await events.watch(
      client,
      rows.map((r) => ({ id: r.message_id, accountId: r.account_id })),
    );
    const sent = rows.filter((r) => r.outcome === 'accepted' || r.outcome === 'confirmed_sent');
    if (sent.length > 0) {
      // The usage row is written by the same statement that records the message sent (one multi-row
      // insert per settled batch); the unique message id makes a repeated settle count nothing twice.
      await client.query(
        `with sent as (
           update messages m
              set status = case when ${statusRankSql('m.status')} < ${statusRank('sent')} then 'sent' else m.status end,
                  carrier = s.carrier, carrier_message_id = coalesce(m.carrier_message_id, s.carrier_message_id),
                  sent_at = coalesce(m.sent_at, now()), claimed_until = null, error_code = null, updated_at = now()
             from unnest($1::uuid[], $2::text[], $3::text[]) as s(message_id, carrier, carrier_message_id)
            where m.id = s.message_id and ($4::text is null or m.claim_token = $4)
            returning m.id, m.account_id, m.campaign_id, m.sender, m.segments, m.sent_at, m.direction)${USAGE_FROM_SENT_SQL}`,
        [
          sent.map((r) => r.message_id),
          sent.map((r) => r.carrier),
          sent.map((r) => r.carrier_message_id),
          claimToken,
          sent.map(() => uuidv7()),
        ],
      );
    }
    const refused = rows.filter((r) => r.outcome === 'permanent');
    if (refused.length > 0) {
      await client.query(
        `update messages m
            set status = 'failed', carrier = f.carrier, error_code = f.error_code, failed_at = now(), claimed_until = null, updated_at = now()
           from unnest($1::uuid[], $2::text[], $3::text[]) as f(message_id, carrier, error_code)
          where m.id = f.message_id and ${RANK} < ${statusRank('failed')} and ($4::text is null or m.claim_token = $4)`,
        [refused.map((r) => r.message_id), refused.map((r) => r.carrier), refused.map((r) => r.error_code), claimToken],
      );
    }
    await watch.publish(client);
    return rows.map((r) => ({
      attemptId: r.id,
      messageId: r.message_id,
      outcome: r.outcome,
      errorCode: r.error_code,
      reconcileAfter: r.reconcile_after,
    }));
  });
}

/** Messages a send could not open (destroyed key, unreadable field): failed with a stable code, never sent. */
export async function failUnsendable(
  pool: Pool,
  events: DispatchStatusEvents,
  claimToken: string,
  failures: { messageId: string; attemptId: string; code: string }[],
): Promise<void> {
  if (failures.length === 0) return;
  await withPgTransaction(pool, async (client) => {
    const watch = await events.watchIds(
      client,
      failures.map((f) => f.messageId),
    );
    await client.query(
      `update message_attempts a set outcome = 'permanent', error_code = f.code, completed_at = now()
         from unnest($1::uuid[], $2::text[]) as f(id, code) where a.id = f.id and a.outcome = 'pending'`,
      [failures.map((f) => f.attemptId), failures.map((f) => f.code)],
    );
    await client.query(
      `update messages m set status = 'failed', error_code = f.code, failed_at = now(), claimed_until = null, updated_at = now()
         from unnest($1::uuid[], $2::text[]) as f(id, code)
        where m.id = f.id and m.claim_token = $3 and ${RANK} < ${statusRank('failed')}`,
      [failures.map((f) => f.messageId), failures.map((f) => f.code), claimToken],
    );
    await watch.publish(client);
  });
}

export interface AmbiguousAttempt {
  attemptId: string;
  messageId: string;
  accountId: string;
  carrier: CarrierId;
  outcome: RecordedOutcome;
  carrierMessageId: string | null;
  attemptedAt: Date;
  /** The bounded wait for a receipt is over: the carrier may be asked. */
  due: boolean;
  sender: string;
  recipientSealed: Buffer;
  bodySealed: Buffer;
  /** Carrier ids other attempts to the same number already own: a content-matching lookup must not claim them. */
  claimedCarrierMessageIds: string[];
}

export async function loadAttemptsToReconcile(pool: Pool, attemptIds: string[]): Promise<AmbiguousAttempt[]> {
  const { rows } = await pool.query<{
    id: string;
    message_id: string;
    account_id: string;
    carrier: CarrierId;
    outcome: RecordedOutcome;
    carrier_message_id: string | null;
    created_at: Date;
    due: boolean;
    sender: string;
    recipient_pii: Buffer;
    body: Buffer;
    claimed: string[];
  }>(
    `select a.id, a.message_id, a.account_id, a.carrier, a.outcome, a.carrier_message_id, a.created_at,
            (a.reconcile_after is null or a.reconcile_after <= now()) as due, m.sender, m.recipient_pii, b.body,
            array(select distinct x.carrier_message_id
                    from messages xm join message_attempts x on x.message_id = xm.id
                   where xm.account_id = m.account_id and xm.recipient_hash = m.recipient_hash
                     and x.carrier = a.carrier and x.carrier_message_id is not null and x.id <> a.id) as claimed
       from message_attempts a join messages m on m.id = a.message_id left join message_bodies b on b.message_id = a.message_id
      where a.id = any($1::uuid[])`,
    [attemptIds],
  );
  return rows.map((r) => ({
    attemptId: r.id,
    messageId: r.message_id,
    accountId: r.account_id,
    carrier: r.carrier,
    outcome: r.outcome,
    carrierMessageId: r.carrier_message_id,
    attemptedAt: r.created_at,
    due: r.due,
    sender: r.sender,
    recipientSealed: r.recipient_pii,
    bodySealed: r.body,
    claimedCarrierMessageIds: r.claimed,
  }));
}

/** A lookup's verdict on an ambiguous attempt; a receipt that resolved it first wins. */
export async function resolveAmbiguous(
  pool: Pool,
  attemptId: string,
  verdict: { found: true; carrierMessageId: string } | { found: false },
): Promise<void> {
  await pool.query(
    `update message_attempts set outcome = $2, carrier_message_id = coalesce(carrier_message_id, $3), completed_at = now()
      where id = $1 and outcome = 'ambiguous'`,
    [attemptId, verdict.found ? 'confirmed_sent' : 'confirmed_not_sent', verdict.found ? verdict.carrierMessageId : null],
  );
}

/**
 * Ends ambiguous attempts that can never be decided (the account's data key is destroyed, so the
 * carrier cannot be asked about the recipient): a permanent outcome with `code`, so the message ends
 * `failed` with that code instead of being looked up forever, and never fails over (it may have gone).
 */
export async function abandonAmbiguous(pool: Pool, attemptIds: string[], code: string): Promise<void> {
  if (attemptIds.length === 0) return;
  await pool.query(
    `update message_attempts set outcome = 'permanent', error_code = $2, completed_at = now(), reconcile_after = null
      where id = any($1::uuid[]) and outcome = 'ambiguous'`,
    [attemptIds, code],
  );
}

/** Pushes an undecidable reconciliation (the carrier could not be asked) a little later. */
export async function postponeReconcile(pool: Pool, attemptIds: string[], delayMs: number): Promise<void> {
  if (attemptIds.length === 0) return;
  await pool.query(
    `update message_attempts set reconcile_after = now() + make_interval(secs => $2::double precision / 1000)
      where id = any($1::uuid[]) and outcome = 'ambiguous'`,
    [attemptIds, delayMs],
  );
}

export interface RequeuePolicy {
  /** A message whose failed carrier calls reach this count ends 'failed' (all_routes_failed) instead. */
  maxFailedAttempts: number;
  /** Backoff before the next claim: base × 2^(failed calls), capped. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

/** A call not made because the message's window closed meanwhile: nothing was sent, and no carrier failed. */
export const SEND_WINDOW_CLOSED = 'send_window_closed';

/**
 * Hands messages no carrier could take back to the outbox with a backoff (from `now`, the send
 * path's clock), or fails them once their failed calls reach the bound. Going back from 'sending' to
 * 'queued' is the claim undoing itself (guarded by the token), and never happens while a call may
 * have gone through.
 */
export async function requeueOrFail(
  pool: Pool,
  events: DispatchStatusEvents,
  claimToken: string,
  messageIds: string[],
  policy: RequeuePolicy,
  now = new Date(),
): Promise<{ queued: number; failed: number }> {
  if (messageIds.length === 0) return { queued: 0, failed: 0 };
  const { rows } = await withPgTransaction(pool, async (client) => {
    const watch = await events.watchIds(client, messageIds);
    const result = await client.query<{ status: string }>(
      `with tries as (
       select m.id, (select count(*) from message_attempts a
                      where a.message_id = m.id and a.outcome in ('transient', 'confirmed_not_sent')
                        and a.error_code is distinct from '${SEND_WINDOW_CLOSED}')::int as failed_calls,
              exists (select 1 from accounts x where x.id = m.account_id and x.status = 'active') as active
         from messages m where m.id = any($2::uuid[]) and m.claim_token = $1 and m.status = 'sending'
          and not exists (select 1 from message_attempts a
                           where a.message_id = m.id and a.outcome in ('pending', 'ambiguous', 'accepted', 'confirmed_sent', 'permanent')))
     update messages m
        set status = case when t.failed_calls >= $3 or not t.active then 'failed' else 'queued' end,
            error_code = case when not t.active then 'account_terminated' when t.failed_calls >= $3 then 'all_routes_failed' else m.error_code end,
            failed_at = case when t.failed_calls >= $3 or not t.active then now() else m.failed_at end,
            next_attempt_at = $6::timestamptz + make_interval(secs => least($5::double precision, $4::double precision * power(2, t.failed_calls)) / 1000),
            claim_token = case when t.failed_calls >= $3 or not t.active then m.claim_token end,
            claimed_until = null, updated_at = now()
       from tries t where m.id = t.id
     returning m.status`,
      [claimToken, messageIds, policy.maxFailedAttempts, policy.baseBackoffMs, policy.maxBackoffMs, now],
    );
    await watch.publish(client);
    return result;
  });
  const failed = rows.filter((r) => r.status === 'failed').length;
  return { queued: rows.length - failed, failed };
}
