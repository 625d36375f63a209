import { EntitySchema } from '@mikro-orm/core';

export const WEBHOOK_EVENT_TYPES = [
  'message.status',
  'message.inbound',
  'campaign.started',
  'campaign.paused',
  'campaign.completed',
  'campaign.cancelled',
  'billing.threshold_reached',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export type WebhookEndpointStatus = 'active' | 'disabled';

export class WebhookEndpoint {
  id!: string;
  accountId!: string;
  url!: string;
  eventTypes!: WebhookEventType[];
  /** Sealed under the account's data key (services/webhooks/webhook-secret.ts); never in clear. */
  secret!: Buffer;
  description?: string | null;
  status!: WebhookEndpointStatus;
  disabledReason?: string | null;
  disabledAt?: Date | null;
  disabledNotifiedAt?: Date | null;
  consecutiveFailures!: number;
  failingSince?: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const WebhookEndpointSchema = new EntitySchema<WebhookEndpoint>({
  class: WebhookEndpoint,
  tableName: 'webhook_endpoints',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    url: { type: 'text' },
    eventTypes: { type: 'string[]', columnType: 'text[]' },
    secret: { type: 'blob', columnType: 'bytea' },
    description: { type: 'text', nullable: true },
    status: { type: 'text' },
    disabledReason: { type: 'text', nullable: true },
    disabledAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    disabledNotifiedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    consecutiveFailures: { type: 'integer' },
    failingSince: { type: 'Date', columnType: 'timestamptz', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
