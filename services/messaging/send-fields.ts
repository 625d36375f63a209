import { openField, sealField, type DataKey } from '../../lib/crypto/sealed-field';

/**
 * How an outbound message's recipient number and body are sealed: UTF-8 text under the account's
 * data key, bound to the message row. The outbox writer seals, the send path opens.
 */
export const RECIPIENT_PURPOSE = 'messages.recipient_pii';
export const BODY_PURPOSE = 'messages.body';

export function sealRecipient(dataKey: DataKey, messageId: string, e164: string): Buffer {
  return sealField(dataKey, { purpose: RECIPIENT_PURPOSE, rowId: messageId }, Buffer.from(e164, 'utf8'));
}

export function sealBody(dataKey: DataKey, messageId: string, body: string): Buffer {
  return sealField(dataKey, { purpose: BODY_PURPOSE, rowId: messageId }, Buffer.from(body, 'utf8'));
}

/** Throws SealedFieldError when a field does not open (tampered, moved, other key). */
export function openOutbound(
  dataKey: DataKey,
  messageId: string,
  sealed: { recipient: Buffer; body: Buffer },
): { to: string; body: string } {
  return {
    to: openField(dataKey, { purpose: RECIPIENT_PURPOSE, rowId: messageId }, sealed.recipient).toString('utf8'),
    body: openField(dataKey, { purpose: BODY_PURPOSE, rowId: messageId }, sealed.body).toString('utf8'),
  };
}
