import type { paths } from '../api/schema';

export type Message = paths['/v1/messages/{id}']['get']['responses'][200]['content']['application/json'];

export const STATUS_LABELS: Record<Message['status'], string> = {
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  undelivered: 'Undelivered',
  failed: 'Failed',
  suppressed: 'Suppressed',
  received: 'Received',
};

export const CARRIER_LABELS: Record<string, string> = { telnyx: 'Telnyx', twilio: 'Twilio' };

export const carrierName = (carrier: string | null) => (carrier ? (CARRIER_LABELS[carrier] ?? carrier) : '—');

/** What each attempt outcome the API reports means, in words. */
export const OUTCOME_LABELS: Record<string, string> = {
  pending: 'Waiting for the carrier',
  accepted: 'Accepted',
  confirmed_sent: 'Accepted (confirmed later)',
  transient: 'Temporary failure',
  permanent: 'Refused',
  ambiguous: 'No clear answer (checked with the carrier)',
};
