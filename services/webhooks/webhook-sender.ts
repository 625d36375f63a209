import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { WEBHOOK_ATTEMPT_TIMEOUT_MS } from './delivery-policy';
import { checkAddresses, checkScheme, ipLiteralOf, resolveHost, WebhookUrlRefused, type WebhookUrlPolicy } from './webhook-url-policy';

export interface WebhookRequest {
  url: string;
  secret: string;
  /** evt_…: the Standard Webhooks `webhook-id`. */
  eventId: string;
  payload: string;
  signal?: AbortSignal;
}

/** What one attempt came to: a status code, or a stable error class when no answer came. */
export interface WebhookAttemptOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Bytes of an answer read (then dropped) so the connection ends cleanly; nothing of it is kept. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The lookup every attempt connects through: the addresses DNS answers now are the ones checked,
 * and the socket connects to one of them, so a host re-pointed at a private address after creation
 * (DNS rebinding) is refused at delivery. Resolved through c-ares like the creation-time check
 * (webhook-url-policy.ts), so a slow DNS server neither holds a libuv-pool thread nor outlives its timeout.
 */
function checkedLookup(policy: WebhookUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname, { servers: policy.dnsServers }).then(
      (addresses) => {
        try {
          checkAddresses(addresses, policy);
        } catch (refusal) {
          return callback(refusal as NodeJS.ErrnoException, '', 0);
        }
        const answers: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, answers);
        return callback(null, answers[0]!.address, answers[0]!.family);
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}

function errorClass(err: unknown, signal: AbortSignal): string {
  if (err instanceof WebhookUrlRefused) return err.reason;
  if (signal.aborted) return 'timeout';
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'connection_reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') return 'does_not_resolve';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('SSL')) return 'tls_error';
  return 'network_error';
}

/**
 * POSTs one signed event. Signed with the Standard Webhooks scheme at send time (receivers
 * reject stale timestamps, so a retry is signed anew). Never throws: the outcome says what happened.
 */
export async function sendWebhook(
  req: WebhookRequest,
  policy: WebhookUrlPolicy,
  timeoutMs = WEBHOOK_ATTEMPT_TIMEOUT_MS,
): Promise<WebhookAttemptOutcome> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const url = new URL(req.url);
    checkScheme(url, policy);
    const literal = ipLiteralOf(url);
    if (literal) checkAddresses([literal], policy);
    const sentAt = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'MassiveSMS-Webhooks/1',
      'webhook-id': req.eventId,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(req.secret).sign(req.eventId, sentAt, req.payload),
    };
    const statusCode = await new Promise<number>((resolve, reject) => {
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(url, { method: 'POST', headers, signal, lookup: checkedLookup(policy) }, (res) => {
        let read = 0;
        resolve(res.statusCode ?? 0);
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('error', () => undefined);
      });
      request.on('error', reject);
      request.end(req.payload);
    });
    return { statusCode, error: null, durationMs: elapsed() };
  } catch (err) {
    return { statusCode: null, error: errorClass(err, timeout), durationMs: elapsed() };
  }
}
