import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Message, type MessageDirection } from '../../db/entities/message';
import { MessageAttempt } from '../../db/entities/message-attempt';
import { phoneHash } from '../../lib/crypto/phone-hash';
import { Coalescer } from '../../lib/coalescer';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { normalizePhone } from '../../lib/phone';
import { analyzeSms } from '../../lib/sms/encoding';
import type { MessageStatus } from '../../providers/sms/carrier';
import type { AccountActor } from '../actor';
import type { ServiceDeps } from '../deps';
import { decodeCursor, toPage } from '../pagination';
import {
  insertMessagesPooled,
  POOLED_INSERT_MAX_ROWS,
  type ClaimCompletion,
  sendChecks,
  type MessageRow,
  type RecipientBlock,
  type SendChecks,
} from './message-store';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { renderMessage, toMessageView } from './message-view';
import { messagePrices } from '../billing/message-prices';
import { statusRank } from './message-status';
import { spendCapError } from '../billing/spend-cap-store';
import { unverifiedHolderError } from '../holders/memberships';
import { accountSuspendedError } from '../billing/sending-suspension';
import { sealBody, sealRecipient } from './send-fields';

export const MESSAGE_BODY_MAX = 1600;
export const BATCH_MAX = 1000;

export interface OutboundRequest {
  to: string;
  from: string;
  body: string;
}

export type QueueResult = { ok: true; message: ReturnType<typeof renderMessage> } | { ok: false; error: AppError };

export interface MessageFilters {
  limit: number;
  cursor?: string | undefined;
  status?: MessageStatus | undefined;
  direction?: MessageDirection | undefined;
  to?: string | undefined;
  from?: string | undefined;
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  campaignId?: string | undefined;
}

const BLOCK_ERRORS: Record<RecipientBlock, () => AppError> = {
  opted_out: () =>
    new AppError('recipient_opted_out', 'to: the recipient opted out of messages from this account', {
      fields: [{ field: 'to', reason: 'opted out' }],
    }),
  restricted: () =>
    new AppError('recipient_restricted', 'to: processing of this number is restricted for this account (data subject request)', {
      fields: [{ field: 'to', reason: 'restricted' }],
    }),
};

const senderNotRegistered = () =>
  new AppError('sender_not_registered', "from: must be one of this account's sender numbers (POST /v1/sender-numbers)", {
    fields: [{ field: 'from', reason: 'not a registered sender number of this account' }],
  });

const accountNotActive = () => new AppError('forbidden', 'the account is terminated: it can no longer send messages');

const claimTakenOver = () =>
  new AppError('conflict', 'a retry with this Idempotency-Key took the request over; retry it to get its answer');

function phoneOrError(field: 'to' | 'from', raw: string): { e164: string } | { error: AppError } {
  const result = normalizePhone(raw);
  return result.ok ? { e164: result.e164 } : { error: AppError.invalid(field, result.reason) };
}

/** The request's Idempotency-Key claim, completed by the same statement that writes its message. */
export type SendClaim = Omit<ClaimCompletion, 'messageId'>;

type Candidate = { to: string; from: string; body: string; hash: Buffer; claim?: SendClaim | undefined };
type Prepared = { error: AppError } | Candidate;
/** One caller's valid requests for one account: what a coalesced outbox write takes. */
type OutboxWrite = { accountId: string; candidates: Candidate[] };

/** Outbox writes in flight at once; requests arriving meanwhile are written together by the next one. */
const OUTBOX_WRITE_CONCURRENCY = 2;

/**
 * Outbound messages through the API: validated, checked against the account's sender numbers,
 * opt-outs and restrictions, sealed and written 'queued' (the outbox). Concurrent requests are
 * written together (lib/coalescer.ts): one check query per account and one insert per run, however
 * many requests it carries. Messages are not audited one by one (they are the product's traffic,
 * not a change of configuration; the audit log's single append lock would cap throughput); their
 * own rows and attempts are the record.
 */
export class MessagesService {
  private readonly outbox: Coalescer<OutboxWrite, QueueResult[]>;

  constructor(private readonly deps: Pick<ServiceDeps, 'keyring' | 'keys' | 'pgPool'>) {
    this.outbox = new Coalescer((writes) => this.write(writes), {
      concurrency: OUTBOX_WRITE_CONCURRENCY,
      maxWeight: POOLED_INSERT_MAX_ROWS,
      weigh: (w) => w.candidates.length,
    });
  }

  /** Each request answered on its own; the valid ones written together. */
  async queue(actor: AccountActor, requests: OutboundRequest[], claim?: SendClaim): Promise<QueueResult[]> {
    const prepared = requests.map((r): Prepared => {
      const to = phoneOrError('to', r.to);
      if ('error' in to) return { error: to.error };
      const from = phoneOrError('from', r.from);
      if ('error' in from) return { error: from.error };
      return { to: to.e164, from: from.e164, body: r.body, hash: phoneHash(this.deps.keys.phoneHashKey, to.e164), claim };
    });
    const candidates = prepared.filter((p): p is Candidate => !('error' in p));
    const written = candidates.length > 0 ? await this.outbox.submit({ accountId: actor.accountId, candidates }) : [];
    let next = 0;
    return prepared.map((p) => ('error' in p ? { ok: false, error: p.error } : written[next++]!));
  }

  /** One message; with `claim`, its Idempotency-Key is completed by the insert that writes it. */
  async send(actor: AccountActor, request: OutboundRequest, claim?: SendClaim) {
    const [result] = await this.queue(actor, [request], claim);
    if (!result!.ok) throw result!.error;
    return result!.message;
  }

  /**
   * One coalesced run: checks and the data key per account, then one insert for every account's rows.
   * A refusal that is one account's own (its data key erased, say) answers that account's requests
   * only: the others in the run are written as if it were not there.
   */
  private async write(writes: OutboxWrite[]): Promise<QueueResult[][]> {
    const now = new Date();
    const accounts = [...new Set(writes.map((w) => w.accountId))];
    type AccountState = { checks: SendChecks; dataKey: DataKey } | { refused: AppError };
    const perAccount = new Map<string, AccountState>(
      await Promise.all(
        accounts.map(async (accountId): Promise<[string, AccountState]> => {
          const mine = writes.filter((w) => w.accountId === accountId).flatMap((w) => w.candidates);
          try {
            const checks = await sendChecks(
              this.deps.pgPool,
              accountId,
              [...new Set(mine.map((c) => c.from))],
              mine.map((c) => c.hash),
              now,
            );
            const dataKey = this.deps.keyring.keyFromRow(accountId, checks.dataKeyRow);
            if (checks.accountRefusal === 'unverified_owner') return [accountId, { refused: unverifiedHolderError('sending messages') }];
            if (checks.accountRefusal === 'account_suspended') return [accountId, { refused: accountSuspendedError() }];
            if (checks.accountRefusal === 'spend_cap') return [accountId, { refused: spendCapError() }];
            return [accountId, { checks, dataKey }];
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            return [accountId, { refused: err }];
          }
        }),
      ),
    );
    const rows: MessageRow[] = [];
    const claims: ClaimCompletion[] = [];
    const results = writes.map(({ accountId, candidates }) => {
      const account = perAccount.get(accountId)!;
      if ('refused' in account) return candidates.map((): QueueResult => ({ ok: false, error: account.refused }));
      const { checks, dataKey } = account;
      return candidates.map((c): QueueResult => {
        if (!checks.senders.has(c.from)) return { ok: false, error: senderNotRegistered() };
        const block = checks.blocked.get(c.hash.toString('hex'));
        if (block) return { ok: false, error: BLOCK_ERRORS[block]() };
        const id = uuidv7(now.getTime());
        const { encoding, segments } = analyzeSms(c.body);
        const row: MessageRow = {
          id,
          accountId,
          direction: 'outbound',
          kind: 'api',
          recipientHash: c.hash,
          recipientPii: sealRecipient(dataKey, id, c.to),
          sender: c.from,
          body: sealBody(dataKey, id, c.body),
          encoding,
          segments,
          status: 'queued',
          createdAt: now,
        };
        rows.push(row);
        if (c.claim) claims.push({ ...c.claim, messageId: id });
        return { ok: true, message: renderMessage(asEntity(row), { other: c.to, body: c.body }, null, []) };
      });
    });
    const written = await insertMessagesPooled(this.deps.pgPool, rows, { claims });
    const claimed = new Set(claims.map((c) => c.messageId));
    // Not written: its claim was taken over by a retry, or the account was terminated after its request was authenticated.
    return results.map((mine) =>
      mine.map((r): QueueResult => {
        if (!r.ok || written.has(r.message.id)) return r;
        return { ok: false, error: claimed.has(r.message.id) ? claimTakenOver() : accountNotActive() };
      }),
    );
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const message = await em.findOne(Message, { id, accountId: actor.accountId });
    if (!message) throw AppError.notFound('message');
    const [attempts, dataKey, prices] = await Promise.all([
      em.find(MessageAttempt, { messageId: id, accountId: actor.accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
      this.deps.keyring.keyFor(em, actor.accountId),
      messagePrices(this.deps.pgPool, actor.accountId, pricedIds([message])),
    ]);
    return toMessageView(message, dataKey, prices.get(id) ?? null, attempts);
  }

  /** Newest first; `to` is matched through its keyed hash, never in clear. */
  async list(em: EntityManager, actor: AccountActor, filters: MessageFilters) {
    const where: FilterQuery<Message> = { accountId: actor.accountId };
    const from = decodeCursor(filters.cursor);
    if (from) where.id = { $lt: from };
    if (filters.status) where.status = filters.status;
    if (filters.direction) where.direction = filters.direction;
    if (filters.campaignId) where.campaignId = filters.campaignId;
    if (filters.to !== undefined) {
      const to = phoneOrError('to', filters.to);
      if ('error' in to) throw to.error;
      where.recipientHash = phoneHash(this.deps.keys.phoneHashKey, to.e164);
    }
    if (filters.from !== undefined) {
      const sender = phoneOrError('from', filters.from);
      if ('error' in sender) throw sender.error;
      where.sender = sender.e164;
    }
    if (filters.createdAfter || filters.createdBefore) {
      where.createdAt = {
        ...(filters.createdAfter ? { $gte: new Date(filters.createdAfter) } : {}),
        ...(filters.createdBefore ? { $lt: new Date(filters.createdBefore) } : {}),
      };
    }
    const rows = await em.find(Message, where, { orderBy: { id: 'desc' }, limit: filters.limit + 1 });
    const [dataKey, prices] = await Promise.all([
      this.deps.keyring.keyFor(em, actor.accountId),
      messagePrices(this.deps.pgPool, actor.accountId, pricedIds(rows)),
    ]);
    return toPage(rows, filters.limit, (m) => toMessageView(m, dataKey, prices.get(m.id) ?? null));
  }
}

/**
 * Messages whose status (as read) says a carrier accepted them: their usage row committed with that
 * status, so the price read after it is there; a message read before it was sent shows no price.
 */
const pricedIds = (messages: Message[]) => messages.filter((m) => statusRank(m.status) >= statusRank('sent')).map((m) => m.id);

/** The just-written row as the entity the view reads, so the 202 answer is rendered like GET. */
function asEntity(row: MessageRow): Message {
  return Object.assign(new Message(), {
    ...row,
    carrier: null,
    carrierMessageId: null,
    campaignId: row.campaignId ?? null,
    updatedAt: row.createdAt,
  });
}
