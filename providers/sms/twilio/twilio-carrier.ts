import type twilio from 'twilio';
import type {
  AttemptLookup,
  CarrierSendRequest,
  CarrierWebhookEvent,
  IncomingWebhook,
  LookupResult,
  SendOutcome,
  SmsCarrier,
} from '../carrier';
import { classifyTwilioSendError } from './classify-send-error';
import { createTwilioClient, type TwilioCarrierConfig } from './client';
import { DEFAULT_TWILIO_LOOKUP, lookupTwilioAttempt, type TwilioLookupOptions } from './lookup';
import { twilioStatus } from './status';
import { parseTwilioWebhook } from './webhook';

async function sendWithTwilio(client: twilio.Twilio, request: CarrierSendRequest): Promise<SendOutcome> {
  let message: Awaited<ReturnType<twilio.Twilio['messages']['create']>>;
  try {
    message = await client.messages.create({
      from: request.from,
      to: request.to,
      body: request.body,
      statusCallback: request.statusCallbackUrl,
    });
  } catch (error) {
    return classifyTwilioSendError(error);
  }
  // A 2xx without a sid: Twilio may have queued it, and only a lookup can tell.
  if (!message.sid) return { kind: 'ambiguous', errorCode: 'NO_MESSAGE_ID', errorDetail: 'Twilio answered without a message sid' };
  return { kind: 'accepted', carrierMessageId: message.sid, status: twilioStatus(message.status) };
}

export function createTwilioCarrier(config: TwilioCarrierConfig, lookupOptions: TwilioLookupOptions = DEFAULT_TWILIO_LOOKUP): SmsCarrier {
  const client = createTwilioClient(config);
  return {
    id: 'twilio',
    send: (request: CarrierSendRequest) => sendWithTwilio(client, request),
    lookup: (attempt: AttemptLookup): Promise<LookupResult> => lookupTwilioAttempt(client, attempt, lookupOptions),
    parseWebhook: (webhook: IncomingWebhook): Promise<CarrierWebhookEvent> =>
      Promise.resolve().then(() => parseTwilioWebhook(config.authToken, webhook)),
  };
}
