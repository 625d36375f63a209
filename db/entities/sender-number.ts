import { EntitySchema } from '@mikro-orm/core';

/** Where a number is in its life; see the migration …20261206020000_numbers_ordering. */
export const SENDER_NUMBER_STATUSES = ['ordering', 'failover_pending', 'active', 'releasing', 'released', 'order_failed'] as const;
export type SenderNumberStatus = (typeof SENDER_NUMBER_STATUSES)[number];
/** The account may send from the number (through Telnyx; through Twilio too once `active`). */
export const SENDABLE_STATUSES: readonly SenderNumberStatus[] = ['failover_pending', 'active'];
/** The account holds the number: no other account may order it. */
export const HELD_STATUSES: readonly SenderNumberStatus[] = ['ordering', 'failover_pending', 'active', 'releasing'];

/** A number an account ordered from the carriers; inbound messages are routed to the account by it. */
export class SenderNumber {
  id!: string;
  accountId!: string;
  phoneE164!: string;
  label?: string | null;
  status!: SenderNumberStatus;
  failureReason?: string | null;
  telnyxOrderId?: string | null;
  telnyxNumberId?: string | null;
  twilioHostedOrderSid?: string | null;
  twilioNumberSid?: string | null;
  releasedAt?: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const SenderNumberSchema = new EntitySchema<SenderNumber>({
  class: SenderNumber,
  tableName: 'sender_numbers',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    phoneE164: { type: 'text' },
    label: { type: 'text', nullable: true },
    status: { type: 'text' },
    failureReason: { type: 'text', nullable: true },
    telnyxOrderId: { type: 'text', nullable: true },
    telnyxNumberId: { type: 'text', nullable: true },
    twilioHostedOrderSid: { type: 'text', nullable: true },
    twilioNumberSid: { type: 'text', nullable: true },
    releasedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
