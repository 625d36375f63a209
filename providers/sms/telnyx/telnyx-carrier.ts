import type Telnyx from 'telnyx';
import type {
  AttemptLookup,
  CarrierSendRequest,
  IncomingWebhook,
  LookupResult,
  SendOutcome,
  SmsCarrier,
  CarrierWebhookEvent,
} from '../carrier';
import { classifyTelnyxSendError } from './classify-send-error';
import { createTelnyxClient, type TelnyxCarrierConfig } from './client';
import { lookupTelnyxAttempt } from './lookup';
import { telnyxRecipientStatus } from './status';
import { parseTelnyxWebhook } from './webhook';

async function sendWithTelnyx(client: Telnyx, request: CarrierSendRequest): Promise<SendOutcome> {
  let answer: Awaited<ReturnType<Telnyx['messages']['send']>>;
  try {
    answer = await client.messages.send({ from: request.from, to: request.to, text: request.body, webhook_url: request.statusCallbackUrl });
  } catch (error) {
    return classifyTelnyxSendError(error);
  }
  const carrierMessageId = answer.data?.id;
  // A 2xx without an id: Telnyx may have queued it, and only a lookup by attempt id can tell.
  if (!carrierMessageId) return { kind: 'ambiguous', errorCode: 'NO_MESSAGE_ID', errorDetail: 'Telnyx answered without a message id' };
  return { kind: 'accepted', carrierMessageId, status: telnyxRecipientStatus(answer.data?.to?.[0]?.status) };
}

export function createTelnyxCarrier(config: TelnyxCarrierConfig): SmsCarrier {
  const client = createTelnyxClient(config);
  return {
    id: 'telnyx',
    send: (request: CarrierSendRequest) => sendWithTelnyx(client, request),
    lookup: (attempt: AttemptLookup): Promise<LookupResult> => lookupTelnyxAttempt(client, attempt),
    parseWebhook: (webhook: IncomingWebhook): Promise<CarrierWebhookEvent> => parseTelnyxWebhook(client, webhook),
  };
}
