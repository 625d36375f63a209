import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPublicAddress } from './address-policy';

/** Why a webhook URL is refused; stable strings, shown to the customer and stored as an attempt's error class. */
export type UrlRefusal = 'not_https' | 'address_not_allowed' | 'does_not_resolve' | 'dns_timeout' | 'invalid_url';

export class WebhookUrlRefused extends Error {
  constructor(readonly reason: UrlRefusal) {
    super(`webhook URL refused: ${reason}`);
    this.name = 'WebhookUrlRefused';
  }
}

/** How long resolving a webhook URL's host may take before it is refused as not resolving. */
export const WEBHOOK_DNS_TIMEOUT_MS = 5_000;

export interface WebhookUrlPolicy {
  /** WEBHOOKS_ALLOW_LOOPBACK (dev and tests only; config refuses it in production): http and any address. */
  allowLoopback: boolean;
  /** WEBHOOK_DNS_SERVERS: the DNS servers hosts are resolved with (default the system's). */
  dnsServers?: string[];
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

/** RFC 6761: "localhost" and its subdomains are loopback and never asked of DNS. */
const isLocalhostName = (hostname: string) => /(^|\.)localhost\.?$/i.test(hostname);

/** c-ares codes of a query nobody answered: its own timeout, or ours (cancel). */
const UNANSWERED = new Set(['ETIMEOUT', 'ECANCELLED']);

export interface ResolveOptions {
  timeoutMs?: number;
  /** DNS servers to ask instead of the system's (tests point this at a server that never answers). */
  servers?: string[];
}

/**
 * The host's A and AAAA records through c-ares (`dns.promises.Resolver`), not getaddrinfo: c-ares
 * does not occupy a thread of the libuv pool (argon2, file I/O and crypto share those four), and its
 * queries are cancelled for real when the timeout fires, so a slow DNS server holds nothing.
 */
export async function resolveHost(hostname: string, options: ResolveOptions = {}): Promise<string[]> {
  if (isLocalhostName(hostname)) return ['127.0.0.1', '::1'];
  const resolver = new Resolver({ timeout: options.timeoutMs ?? WEBHOOK_DNS_TIMEOUT_MS, tries: 1 });
  if (options.servers && options.servers.length > 0) resolver.setServers(options.servers);
  const timer = setTimeout(() => resolver.cancel(), options.timeoutMs ?? WEBHOOK_DNS_TIMEOUT_MS);
  try {
    const answers = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const addresses = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
    if (addresses.length > 0) return addresses;
    const timedOut = answers.every((a) => a.status === 'rejected' && UNANSWERED.has((a.reason as { code?: string }).code ?? ''));
    throw new WebhookUrlRefused(timedOut ? 'dns_timeout' : 'does_not_resolve');
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
  checkAddresses(literal ? [literal] : await resolveHost(url.hostname, { servers: policy.dnsServers }), policy);
  return url;
}
