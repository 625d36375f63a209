import Telnyx from 'telnyx';
import twilio from 'twilio';
import type { SimulatorProcess } from './simulator-process';

export type TwilioClient = ReturnType<typeof twilio>;

/** The official Telnyx and Twilio SDKs pointed at the simulator as PROVIDERS.md says, without retries. */
export function officialSmsClients(sim: SimulatorProcess, timeoutMs = 5_000): { telnyx: Telnyx; tw: TwilioClient } {
  const telnyx = new Telnyx({ apiKey: sim.telnyxApiKey, baseURL: sim.telnyxBaseUrl, maxRetries: 0, timeout: timeoutMs });
  const tw = twilio(sim.twilio.accountSid, sim.twilio.authToken, { timeout: timeoutMs });
  tw.api.baseUrl = sim.twilioBaseUrl;
  return { telnyx, tw };
}
