import { Agent } from 'node:http';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';

export interface TwilioCarrierConfig {
  accountSid: string;
  authToken: string;
  /** e.g. the simulator `http://127.0.0.1:W`; unset = the real API. */
  baseUrl?: string;
  /** One request's budget; a timeout after the request was written is an ambiguous outcome. */
  timeoutMs: number;
}

/**
 * Sends every request (whatever Twilio domain, region or edge the SDK picked) to one base URL. Chosen
 * over `client.api.baseUrl` because TWILIO_REGION / TWILIO_EDGE in the environment would rewrite that
 * host into `api.<edge>.<region>.twilio.com` and miss the simulator.
 */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly target: URL,
    options: RequestClient.RequestClientOptions,
  ) {
    super(options);
    // The SDK builds only an https agent; a plain-http target (the simulator) would otherwise share
    // Node's global agent and its idle sockets with every other client in the process.
    if (target.protocol === 'http:') this.axios.defaults.httpAgent = new Agent({ keepAlive: true });
  }

  override request<TData>(options: RequestClient.RequestOptions<TData>) {
    const uri = new URL(options.uri);
    uri.protocol = this.target.protocol;
    uri.host = this.target.host;
    return super.request<TData>({ ...options, uri: uri.toString() });
  }
}

/** autoRetry stays off (the SDK's default): a retried send could duplicate; Temporal owns retries. */
export function createTwilioClient(config: TwilioCarrierConfig): twilio.Twilio {
  const options: twilio.ClientOpts = { timeout: config.timeoutMs, autoRetry: false };
  if (config.baseUrl !== undefined) {
    options.httpClient = new BaseUrlRequestClient(new URL(config.baseUrl), { timeout: config.timeoutMs });
  }
  return twilio(config.accountSid, config.authToken, options);
}
