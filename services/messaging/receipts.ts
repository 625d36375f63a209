import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { CarrierWebhookEvent, MessageStatus } from '../../providers/sms/carrier';
import { statusRank } from './message-status';
import { advanceMessage, confirmAttemptByReceipt, findReceiptTarget, recordAttemptCarrierId } from './message-store';

export type StatusEvent = Extract<CarrierWebhookEvent, { type: 'status' }>;

/** What a receipt changed; `statusChanged` is what customer `message.status` webhooks are emitted for. */
export interface ReceiptOutcome {
  matched: boolean;
  accountId?: string;
  messageId?: string;
  /** The attempt's new outcome when the receipt resolved a pending or ambiguous attempt. */
  attemptResolved?: string;
  statusChanged?: { from: MessageStatus; to: MessageStatus };
}

/**
 * Applies a verified delivery receipt inside the caller's transaction (the same one that recorded
 * its event id, so a receipt is applied exactly once). The receipt resolves the attempt it names
 * (pending → accepted, ambiguous → confirmed_sent), and moves the message forward only: a late
 * 'sent' after 'delivered', or a duplicate, changes nothing.
 */
export async function applyReceipt(em: EntityManager, event: StatusEvent, logger: Logger): Promise<ReceiptOutcome> {
  const target = await findReceiptTarget(em, event);
  if (!target) {
    logger.warn({ carrier: event.carrier, eventId: event.eventId }, 'delivery receipt matches no message');
    return { matched: false };
  }
  const outcome: ReceiptOutcome = { matched: true, accountId: target.accountId, messageId: target.messageId };
  if (target.attemptId) {
    const resolved = await confirmAttemptByReceipt(em, target.attemptId, event.carrierMessageId);
    if (resolved) outcome.attemptResolved = resolved;
    else await recordAttemptCarrierId(em, target.attemptId, event.carrierMessageId);
  }
  // Only what a carrier can report after accepting moves a message; 'queued'/'sending' stay the dispatcher's.
  if (statusRank(event.status) < statusRank('sent')) return outcome;
  const advanced = await advanceMessage(em, {
    messageId: target.messageId,
    carrier: event.carrier,
    carrierMessageId: event.carrierMessageId,
    status: event.status,
    errorCode: event.errorCode ?? null,
    at: event.occurredAt,
  });
  if (advanced) outcome.statusChanged = { from: target.status, to: advanced };
  return outcome;
}
