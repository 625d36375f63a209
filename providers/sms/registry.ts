import type { AppConfig } from '../../config/env';
import type { CarrierId, SmsCarrier } from './carrier';
import type { NumberCarriers } from './numbers';
import { createTelnyxNumberInventory } from './telnyx/telnyx-numbers';
import { createTwilioSmsHosting } from './twilio/twilio-hosting';
import { createTelnyxCarrier } from './telnyx/telnyx-carrier';
import { createTwilioCarrier } from './twilio/twilio-carrier';

type CarrierConfig = Pick<
  AppConfig,
  | 'CARRIER_TIMEOUT_MS'
  | 'TELNYX_API_KEY'
  | 'TELNYX_BASE_URL'
  | 'TELNYX_PUBLIC_KEY'
  | 'TWILIO_ACCOUNT_SID'
  | 'TWILIO_AUTH_TOKEN'
  | 'TWILIO_BASE_URL'
>;

function required(config: CarrierConfig, name: keyof CarrierConfig, carrier: string): string {
  const value = config[name];
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${name} is not set: the ${carrier} carrier needs it`);
  return value;
}

/** The one place carrier adapters are built from configuration; a missing credential names its variable. */
export function createSmsCarriers(config: CarrierConfig): Record<CarrierId, SmsCarrier> {
  return {
    telnyx: createTelnyxCarrier({
      apiKey: required(config, 'TELNYX_API_KEY', 'Telnyx'),
      publicKey: required(config, 'TELNYX_PUBLIC_KEY', 'Telnyx'),
      ...(config.TELNYX_BASE_URL !== undefined ? { baseUrl: config.TELNYX_BASE_URL } : {}),
      timeoutMs: config.CARRIER_TIMEOUT_MS,
    }),
    twilio: createTwilioCarrier({
      accountSid: required(config, 'TWILIO_ACCOUNT_SID', 'Twilio'),
      authToken: required(config, 'TWILIO_AUTH_TOKEN', 'Twilio'),
      ...(config.TWILIO_BASE_URL !== undefined ? { baseUrl: config.TWILIO_BASE_URL } : {}),
      timeoutMs: config.CARRIER_TIMEOUT_MS,
    }),
  };
}

type NumberCarrierConfig = CarrierConfig &
  Pick<AppConfig, 'TELNYX_MESSAGING_PROFILE_ID' | 'TWILIO_HOSTING_ADDRESS_SID' | 'TWILIO_HOSTING_EMAIL' | 'TWILIO_HOSTING_CONTACT_PHONE'>;

/** The carriers' number APIs: Telnyx sells the numbers, Twilio hosts their SMS for failover. */
export function createNumberCarriers(config: NumberCarrierConfig): NumberCarriers {
  return {
    inventory: createTelnyxNumberInventory({
      apiKey: required(config, 'TELNYX_API_KEY', 'Telnyx'),
      publicKey: required(config, 'TELNYX_PUBLIC_KEY', 'Telnyx'),
      ...(config.TELNYX_BASE_URL !== undefined ? { baseUrl: config.TELNYX_BASE_URL } : {}),
      timeoutMs: config.CARRIER_TIMEOUT_MS,
      messagingProfileId: config.TELNYX_MESSAGING_PROFILE_ID,
    }),
    hosting: createTwilioSmsHosting({
      accountSid: required(config, 'TWILIO_ACCOUNT_SID', 'Twilio'),
      authToken: required(config, 'TWILIO_AUTH_TOKEN', 'Twilio'),
      ...(config.TWILIO_BASE_URL !== undefined ? { baseUrl: config.TWILIO_BASE_URL } : {}),
      timeoutMs: config.CARRIER_TIMEOUT_MS,
      hostingAddressSid: config.TWILIO_HOSTING_ADDRESS_SID,
      hostingEmail: config.TWILIO_HOSTING_EMAIL,
      hostingContactPhone: config.TWILIO_HOSTING_CONTACT_PHONE,
    }),
  };
}
