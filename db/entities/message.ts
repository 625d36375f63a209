import { EntitySchema } from '@mikro-orm/core';
import type { MessageStatus } from '../../providers/sms/carrier';

export type MessageDirection = 'outbound' | 'inbound';
export type MessageKind = 'api' | 'campaign' | 'keyword_reply' | 'inbound';

/**
 * One SMS, either way. `recipient*` is the other party (the To of an outbound, the From of an inbound
 * message): hashed for lookups, sealed for display. `sender` is always our side's number (the From of
 * an outbound, the To of an inbound message). The body is sealed and purged after 90 days.
 * Outbound rows are the outbox the dispatchers claim from (claim/lease columns are theirs).
 */
export class Message {
  id!: string;
  accountId!: string;
  direction!: MessageDirection;
  kind!: MessageKind;
  recipientHash!: Buffer;
  recipientPii?: Buffer | null;
  sender!: string;
  /** Read from `message_bodies` (null once purged); written only by the hand-written inserts. */
  body?: Buffer | null;
  encoding!: 'GSM-7' | 'UCS-2';
  segments!: number;
  status!: MessageStatus;
  carrier?: string | null;
  carrierMessageId?: string | null;
  campaignId?: string | null;
  errorCode?: string | null;
  errorDetail?: string | null;
  nextAttemptAt?: Date | null;
  /** A campaign message's end of its permitted window (quiet hours): never handed to a carrier at or after it. */
  sendBefore?: Date | null;
  /** Set while a queued message waits for its next window (`quiet_hours`). */
  waitReason?: string | null;
  createdAt!: Date;
  sentAt?: Date | null;
  deliveredAt?: Date | null;
  failedAt?: Date | null;
  updatedAt!: Date;
}

export const MessageSchema = new EntitySchema<Message>({
  class: Message,
  tableName: 'messages',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    direction: { type: 'text' },
    kind: { type: 'text' },
    recipientHash: { type: 'blob', columnType: 'bytea' },
    recipientPii: { type: 'blob', columnType: 'bytea', nullable: true },
    sender: { type: 'text' },
    body: {
      type: 'blob',
      columnType: 'bytea',
      nullable: true,
      persist: false,
      formula: (table) => `(select b.body from message_bodies b where b.message_id = ${table.alias}.id)`,
    },
    encoding: { type: 'text' },
    segments: { type: 'integer' },
    status: { type: 'text' },
    carrier: { type: 'text', nullable: true },
    carrierMessageId: { type: 'text', nullable: true },
    campaignId: { type: 'uuid', nullable: true },
    errorCode: { type: 'text', nullable: true },
    errorDetail: { type: 'text', nullable: true },
    nextAttemptAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    sendBefore: { type: 'Date', columnType: 'timestamptz', nullable: true },
    waitReason: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    sentAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    deliveredAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    failedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
