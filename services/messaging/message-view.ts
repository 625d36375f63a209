import type { Message } from '../../db/entities/message';
import type { MessageAttempt } from '../../db/entities/message-attempt';
import { openField, type DataKey } from '../../lib/crypto/sealed-field';
import type { MessagePrice } from '../billing/message-prices';
import { BODY_PURPOSE, RECIPIENT_PURPOSE } from './send-fields';

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

export function toAttemptView(a: MessageAttempt) {
  return {
    id: a.id,
    carrier: a.carrier,
    outcome: a.outcome,
    errorCode: a.errorCode ?? null,
    createdAt: a.createdAt.toISOString(),
    completedAt: iso(a.completedAt),
  };
}

/**
 * A message as the API shows it: the other party's number and the body opened with the account key
 * (the body is null once purged). `from`/`to` read in the message's direction. `price` is what the
 * message was billed (messagePrices): null until a carrier accepted it.
 */
export function toMessageView(m: Message, dataKey: DataKey, price: MessagePrice | null, attempts?: MessageAttempt[]) {
  const other = m.recipientPii ? openField(dataKey, { purpose: RECIPIENT_PURPOSE, rowId: m.id }, m.recipientPii).toString('utf8') : null;
  const body = m.body ? openField(dataKey, { purpose: BODY_PURPOSE, rowId: m.id }, m.body).toString('utf8') : null;
  return renderMessage(m, { other, body }, price, attempts);
}

/** The view from values already in clear (a message just written: nothing to open). */
export function renderMessage(
  m: Message,
  opened: { other: string | null; body: string | null },
  price: MessagePrice | null,
  attempts?: MessageAttempt[],
) {
  const { other, body } = opened;
  const outbound = m.direction === 'outbound';
  return {
    id: m.id,
    direction: m.direction,
    kind: m.kind,
    status: m.status,
    from: outbound ? m.sender : other,
    to: outbound ? other : m.sender,
    body,
    encoding: m.encoding,
    segments: m.segments,
    price,
    carrier: m.carrier ?? null,
    carrierMessageId: m.carrierMessageId ?? null,
    campaignId: m.campaignId ?? null,
    error: m.errorCode ? { code: m.errorCode, detail: m.errorDetail ?? null } : null,
    createdAt: m.createdAt.toISOString(),
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    failedAt: iso(m.failedAt),
    updatedAt: m.updatedAt.toISOString(),
    ...(attempts ? { attempts: attempts.map(toAttemptView) } : {}),
  };
}

export type MessageView = ReturnType<typeof toMessageView>;
