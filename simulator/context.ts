import type { ServerResponse } from 'node:http';
import type { CallbackLog } from './callback-log';
import type { CallbackDispatcher } from './callbacks';
import type { SimClock } from './clock';
import type { Ledger } from './ledger';
import type { NumberBook } from './number-book';
import type { TelnyxSigner } from './signing';
import type { CarrierVendor, FaultPlan } from './types';

/** Fixed at start: secrets the simulator checks and signs with. */
export interface SimulatorSecrets {
  seed: number;
  telnyxSigningSeed: string;
  /** When set, Bearer keys must match; otherwise any non-empty key is accepted. */
  telnyxApiKey: string | null;
  twilioAccountSid: string;
  twilioAuthToken: string;
  resendApiKey: string | null;
  stripeSecretKey: string | null;
  stripeWebhookSecret: string;
  /** PostHog's project key; unset or null: any key is accepted. */
  posthogApiKey?: string | null;
}

/** Where the simulator sends what the product did not ask for (inbound messages, Stripe events). */
export interface Targets {
  telnyxInboundUrl: string | null;
  twilioInboundUrl: string | null;
  stripeWebhookUrl: string | null;
}

export interface SimContext {
  secrets: SimulatorSecrets;
  targets: Targets;
  plan: FaultPlan;
  ledger: Ledger;
  /** The (shiftable) time stamped on accepted messages. */
  clock: SimClock;
  /** The carriers' number inventory and the numbers held at each. */
  numbers: NumberBook;
  callbacks: CallbackDispatcher;
  callbackLog: CallbackLog;
  telnyx: TelnyxSigner;
  /** Responses an ambiguous timeout never answers; destroyed on close. */
  held: Set<ServerResponse>;
  /** The mode of an outage window open now for this vendor, if any. */
  outageNow(vendor: CarrierVendor): 'refuse' | 'status503' | null;
}
