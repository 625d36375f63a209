import { EntitySchema } from '@mikro-orm/core';

export type AttemptOutcome = 'pending' | 'accepted' | 'permanent' | 'transient' | 'ambiguous' | 'confirmed_sent' | 'confirmed_not_sent';

/** One carrier call for a message, written 'pending' before the call (the send path owns the writes). */
export class MessageAttempt {
  id!: string;
  messageId!: string;
  accountId!: string;
  carrier!: string;
  outcome!: AttemptOutcome;
  carrierMessageId?: string | null;
  errorCode?: string | null;
  errorDetail?: string | null;
  createdAt!: Date;
  completedAt?: Date | null;
  reconcileAfter?: Date | null;
}

export const MessageAttemptSchema = new EntitySchema<MessageAttempt>({
  class: MessageAttempt,
  tableName: 'message_attempts',
  properties: {
    id: { type: 'uuid', primary: true },
    messageId: { type: 'uuid' },
    accountId: { type: 'uuid' },
    carrier: { type: 'text' },
    outcome: { type: 'text' },
    carrierMessageId: { type: 'text', nullable: true },
    errorCode: { type: 'text', nullable: true },
    errorDetail: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    completedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    reconcileAfter: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
