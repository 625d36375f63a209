import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPublicAddress } from './address-policy';

/** Why a webhook URL is refused; stable strings, shown to the customer and stored as an attempt's error class. */
export type UrlRefusal = 'not_https' | 'address_not_allowed' | 'does_not_resolve' | 'invalid_url';

export class WebhookUrlRefused extends Error {
  constructor(readonly reason: UrlRefusal) {
    super(`webhook URL refused: ${reason}`);
    this.name = 'WebhookUrlRefused';
  }
}

/** How long a DNS answer may take while checking a URL (getaddrinfo has no timeout of its own). */
export const WEBHOOK_DNS_TIMEOUT_MS = 5_000;

export interface WebhookUrlPolicy {
  /** WEBHOOKS_ALLOW_LOOPBACK (dev and tests only; config refuses it in production): http and any address. */
  allowLoopback: boolean;
}

/** The host of a URL as an IP literal (brackets of a v6 literal stripped), or null for a name. */
export function ipLiteralOf(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

/** The scheme rule alone, checked before anything is resolved. */
export function checkScheme(url: URL, policy: WebhookUrlPolicy): void {
  const allowed = policy.allowLoopback ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) throw new WebhookUrlRefused('not_https');
  if (url.username || url.password) throw new WebhookUrlRefused('invalid_url');
}

/** Every address the host resolves to must be public; one private answer refuses the host (no partial trust). */
export function checkAddresses(addresses: string[], policy: WebhookUrlPolicy): void {
  if (addresses.length === 0) throw new WebhookUrlRefused('does_not_resolve');
  if (policy.allowLoopback) return;
  if (!addresses.every(isPublicAddress)) throw new WebhookUrlRefused('address_not_allowed');
}

export async function resolveHost(hostname: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebhookUrlRefused('does_not_resolve')), WEBHOOK_DNS_TIMEOUT_MS);
  });
  try {
    const answers = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
    return answers.map((a) => a.address);
  } catch (err) {
    if (err instanceof WebhookUrlRefused) throw err;
    throw new WebhookUrlRefused('does_not_resolve');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The creation-time check: https (unless loopback is allowed) and a host whose every address is
 * public. Delivery checks again on the addresses it actually connects to (webhook-sender.ts), since
 * DNS may answer differently later (rebinding).
 */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefused('invalid_url');
  }
  checkScheme(url, policy);
  const literal = ipLiteralOf(url);
  checkAddresses(literal ? [literal] : await resolveHost(url.hostname), policy);
  return url;
}
