import type { Pool } from 'pg';
import { withPgTransaction } from '../../db/pg-pool';
import type { WebhookEventType } from '../../db/entities/webhook-endpoint';
import { derivedUuidv7 } from '../../lib/ids';
import { DataKeyDestroyedError, type DataKeyring } from '../keyring';
import { sealCustomerEvent } from '../webhooks/customer-events';
import { WebhookDeliveryStore } from '../webhooks/webhook-delivery-store';

export type CampaignEventType = Extract<WebhookEventType, `campaign.${string}`>;

/** Numbers only: what the workflow knows when it announces. */
export interface CampaignEventFacts {
  campaignId: string;
  state: string;
  targeted: number;
  queued: number;
  skipped: Record<string, number>;
}

const deliveries = new WebhookDeliveryStore();

/**
 * Queues a `campaign.*` event for the account's active endpoints subscribed to it. The event id is
 * derived from (campaign, type, occurrence), so an activity retried after it committed queues
 * nothing twice; `occurrence` tells a second pause from a retry of the first.
 */
export async function publishCampaignEvent(
  pool: Pool,
  keyring: DataKeyring,
  input: { type: CampaignEventType; occurrence: number; facts: CampaignEventFacts },
  now = new Date(),
): Promise<void> {
  await withPgTransaction(pool, async (client) => {
    const { rows } = await client.query<{ account_id: string; launched_at: Date | null; created_at: Date }>(
      'select account_id, launched_at, created_at from campaigns where id = $1',
      [input.facts.campaignId],
    );
    const campaign = rows[0];
    if (!campaign) return;
    let dataKey;
    try {
      dataKey = await keyring.keyForOnConnection(client, campaign.account_id);
    } catch (err) {
      if (err instanceof DataKeyDestroyedError) return; // an erased account is told nothing
      throw err;
    }
    const eventUuid = derivedUuidv7(
      (campaign.launched_at ?? campaign.created_at).getTime(),
      'campaign-event',
      input.facts.campaignId,
      input.type,
      String(input.occurrence),
    );
    const { payload } = sealCustomerEvent(dataKey, input.type, { ...input.facts }, now, eventUuid);
    await deliveries.insertAccountEvents(client, input.type, [{ accountId: campaign.account_id, eventUuid, payload }], now);
  });
}
