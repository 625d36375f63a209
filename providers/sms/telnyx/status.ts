import type { MessageStatus } from '../carrier';

/** A recipient's status on a Telnyx message (`to[].status`) in our terms. */
const RECIPIENT_STATUS: Readonly<Record<string, MessageStatus>> = {
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  // Finalized without a handset receipt: the carrier took it, nothing more is known.
  delivery_unconfirmed: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  delivery_failed: 'undelivered',
  expired: 'undelivered',
  sending_failed: 'failed',
  received: 'received',
  webhook_delivered: 'received',
};

/** A message detail record's final `status`. */
const DETAIL_RECORD_STATUS: Readonly<Record<string, MessageStatus>> = {
  delivered: 'delivered',
  dlr_unconfirmed: 'sent',
  dlr_timeout: 'sent',
  gw_timeout: 'undelivered',
  gw_reject: 'failed',
  failed: 'failed',
  received: 'received',
};

/** An unknown or absent status on a message Telnyx has is at least `sent` (it was accepted). */
function lookup(table: Readonly<Record<string, MessageStatus>>, status: string | undefined): MessageStatus {
  return status !== undefined && Object.hasOwn(table, status) ? table[status]! : 'sent';
}

export function telnyxRecipientStatus(status: string | undefined): MessageStatus {
  return lookup(RECIPIENT_STATUS, status);
}

export function telnyxDetailRecordStatus(status: string | undefined): MessageStatus {
  return lookup(DETAIL_RECORD_STATUS, status);
}
