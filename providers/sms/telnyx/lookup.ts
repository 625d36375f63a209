import type Telnyx from 'telnyx';
import { APIError, NotFoundError } from 'telnyx';
import { CarrierLookupFailed, type AttemptLookup, type LookupResult } from '../carrier';
import { callbackRefFromUrl } from '../callback-url';
import { socketErrorCode } from '../network-errors';
import { telnyxDetailRecordStatus, telnyxRecipientStatus } from './status';

/** Records scanned for one destination before giving up: an unproven lookup must not read as "not sent". */
const MAX_RECORDS_SCANNED = 5_000;
const PAGE_SIZE = 100;

function lookupFailed(error: unknown): CarrierLookupFailed {
  if (error instanceof APIError && error.status !== undefined) return new CarrierLookupFailed('telnyx', `HTTP_${error.status}`);
  return new CarrierLookupFailed('telnyx', socketErrorCode(error) ?? 'CONNECTION_ERROR');
}

async function retrieveById(client: Telnyx, carrierMessageId: string): Promise<LookupResult> {
  try {
    const answer = await client.messages.retrieve(carrierMessageId);
    const to = answer.data?.to;
    const recipientStatus = Array.isArray(to) ? to[0]?.status : undefined;
    return { found: true, carrierMessageId, status: telnyxRecipientStatus(recipientStatus) };
  } catch (error) {
    if (error instanceof NotFoundError) return { found: false };
    throw lookupFailed(error);
  }
}

/**
 * Without a carrier id (the send's answer was lost), the message detail records for the destination
 * are searched for the one whose status webhook URL carries this attempt's id (`a=`).
 */
async function findByAttemptId(client: Telnyx, attempt: AttemptLookup): Promise<LookupResult> {
  let scanned = 0;
  try {
    const records = client.detailRecords.list({ filter: { record_type: 'messaging', cld: attempt.to }, 'page[size]': PAGE_SIZE });
    for await (const record of records) {
      if (++scanned > MAX_RECORDS_SCANNED) throw new CarrierLookupFailed('telnyx', 'TOO_MANY_RECORDS');
      // The SDK's type calls the message id `uuid`; the simulator sends `id`: either is accepted.
      const fields = record as { id?: unknown; uuid?: unknown; status?: unknown; delivery_status_webhook_url?: unknown };
      const carrierMessageId = typeof fields.id === 'string' ? fields.id : typeof fields.uuid === 'string' ? fields.uuid : undefined;
      const webhookUrl = typeof fields.delivery_status_webhook_url === 'string' ? fields.delivery_status_webhook_url : undefined;
      if (!carrierMessageId || callbackRefFromUrl(webhookUrl).attemptId !== attempt.attemptId) continue;
      const status = typeof fields.status === 'string' ? fields.status : undefined;
      return { found: true, carrierMessageId, status: telnyxDetailRecordStatus(status) };
    }
  } catch (error) {
    if (error instanceof CarrierLookupFailed) throw error;
    throw lookupFailed(error);
  }
  return { found: false };
}

export function lookupTelnyxAttempt(client: Telnyx, attempt: AttemptLookup): Promise<LookupResult> {
  return attempt.carrierMessageId ? retrieveById(client, attempt.carrierMessageId) : findByAttemptId(client, attempt);
}
