import type { EntityManager } from '@mikro-orm/postgresql';
import type { CarrierWebhookEvent } from '../../providers/sms/carrier';
import type { ServiceDeps } from '../deps';
import type { InboundOutcome, InboundService } from './inbound';
import { publishMessageEvents, type MessageEvent } from './message-events';
import { recordProviderEvent } from './message-store';
import { applyReceipt, type ReceiptOutcome } from './receipts';

export type ProcessedWebhook =
  { kind: 'replayed' } | { kind: 'status'; receipt: ReceiptOutcome } | { kind: 'inbound'; inbound: InboundOutcome };

/**
 * A verified carrier event, applied once: its event id is recorded in the same transaction that
 * applies it, so a replay (or the carrier's retry of one we already applied) changes nothing, and a
 * failure rolls both back so the carrier's retry is applied. Customer webhooks about the change are
 * published in that same transaction (`publishMessageEvents`), so they exist exactly when it commits.
 */
export class CarrierWebhookProcessor {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'logger' | 'keyring'>,
    private readonly inbound: InboundService,
  ) {}

  process(em: EntityManager, event: CarrierWebhookEvent): Promise<ProcessedWebhook> {
    return em.transactional(async (tem) => {
      if (!(await recordProviderEvent(tem, event.carrier, event.eventId))) return { kind: 'replayed' as const };
      if (event.type === 'status') {
        const receipt = await applyReceipt(tem, event, this.deps.logger);
        const events: MessageEvent[] =
          receipt.statusChanged && receipt.accountId && receipt.messageId
            ? [
                {
                  type: 'message.status',
                  accountId: receipt.accountId,
                  messageId: receipt.messageId,
                  status: receipt.statusChanged.to,
                  previousStatus: receipt.statusChanged.from,
                },
              ]
            : [];
        await publishMessageEvents(tem, events, this.deps);
        return { kind: 'status' as const, receipt };
      }
      const inbound = await this.inbound.receive(tem, event);
      const { accountId, messageId } = inbound;
      const events: MessageEvent[] =
        accountId && messageId
          ? [
              { type: 'message.inbound', accountId, messageId },
              // A STOP suppressed these while they were still queued (the update's own guard).
              ...(inbound.suppressed ?? []).map((id): MessageEvent => ({
                type: 'message.status',
                accountId,
                messageId: id,
                status: 'suppressed',
                previousStatus: 'queued',
              })),
            ]
          : [];
      await publishMessageEvents(tem, events, this.deps);
      return { kind: 'inbound' as const, inbound };
    });
  }
}
