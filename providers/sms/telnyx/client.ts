import Telnyx from 'telnyx';
import { nodeHttpFetch } from '../node-http-fetch';

export interface TelnyxCarrierConfig {
  apiKey: string;
  /** Base64 ed25519 public key Telnyx signs webhooks with. */
  publicKey: string;
  /** Must end in `/v2` (the SDK's paths are `/messages`…); unset = the real API. */
  baseUrl?: string;
  /** One request's budget; a timeout after the request was written is an ambiguous outcome. */
  timeoutMs: number;
}

const TELNYX_API = 'https://api.telnyx.com/v2';

/** Retries are off: a retried send could duplicate a message; Temporal owns the retry policy. */
export function createTelnyxClient(config: TelnyxCarrierConfig): Telnyx {
  return new Telnyx({
    apiKey: config.apiKey,
    publicKey: config.publicKey,
    baseURL: config.baseUrl ?? TELNYX_API,
    maxRetries: 0,
    timeout: config.timeoutMs,
    // The global fetch (undici) cost twice the client CPU per send.
    fetch: nodeHttpFetch,
  });
}
