import type { MessageStatus } from '../carrier';

/** Twilio's `MessageStatus` in our terms. */
const TWILIO_STATUS: Readonly<Record<string, MessageStatus>> = {
  accepted: 'sent',
  scheduled: 'sent',
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  // Group MMS with some recipients reached; no per-recipient receipt to go further on.
  partially_delivered: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
  receiving: 'received',
  received: 'received',
};

/** An unknown status on a message Twilio has is at least `sent` (it was accepted). */
export function twilioStatus(status: string | undefined): MessageStatus {
  return status !== undefined && Object.hasOwn(TWILIO_STATUS, status) ? TWILIO_STATUS[status]! : 'sent';
}
