import type { CarrierId, CarrierSendRequest, SmsCarrier } from '../../providers/sms/carrier';
import { createSmsCarriers } from '../../providers/sms/registry';
import type { SimulatorProcess } from './simulator-process';
import { freePort } from './free-port';

/** A loopback port nothing listens on. */
export const closedPort = freePort;

export const CARRIERS: readonly CarrierId[] = ['telnyx', 'twilio'];

/** Both adapters through the registry, pointed at the simulator the way the product's env does it. */
export function carriersFor(
  sim: SimulatorProcess,
  timeoutMs: number,
  env: Record<string, string> = sim.env(),
): Record<CarrierId, SmsCarrier> {
  return createSmsCarriers({
    CARRIER_TIMEOUT_MS: timeoutMs,
    TELNYX_API_KEY: env.TELNYX_API_KEY,
    TELNYX_BASE_URL: env.TELNYX_BASE_URL,
    TELNYX_PUBLIC_KEY: env.TELNYX_PUBLIC_KEY,
    TWILIO_ACCOUNT_SID: env.TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: env.TWILIO_AUTH_TOKEN,
    TWILIO_BASE_URL: env.TWILIO_BASE_URL,
  });
}

/** The callback URL the product builds for an attempt (see the shared contract). */
export function statusCallbackUrl(publicBaseUrl: string, carrier: CarrierId, m: string, a: string): string {
  const path = carrier === 'telnyx' ? '/webhooks/telnyx' : '/webhooks/twilio/status';
  return `${publicBaseUrl}${path}?m=${m}&a=${a}`;
}

let seq = 0;

/** A fresh destination and ids per call, so fault rules (`to`) and ledger queries never see another case. */
export function nextSend(publicBaseUrl: string, carrier: CarrierId, body = 'Your code is 123456'): CarrierSendRequest {
  seq += 1;
  const n = String(seq).padStart(4, '0');
  const messageId = `msg-${carrier}-${n}-${process.pid}`;
  const attemptId = `att-${carrier}-${n}-${process.pid}`;
  return {
    messageId,
    attemptId,
    from: '+15550100001',
    to: `+1555030${n}`,
    body,
    statusCallbackUrl: statusCallbackUrl(publicBaseUrl, carrier, messageId, attemptId),
  };
}
