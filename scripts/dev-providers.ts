import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm run dev` runs the provider simulator: the control/Stripe/Resend port and one port per carrier. */
export const DEV_SIMULATOR_PORTS = { main: 4010, telnyx: 4011, twilio: 4012 } as const;

/** Where `npm run dev` runs the local OpenID provider that stands in for Google (simulator/oidc-server.ts). */
export const DEV_OIDC_ISSUER_PORT = 4013;
/** The local provider's client: it checks neither, so these are placeholders, never a secret. */
const LOCAL_GOOGLE_CLIENT = { id: 'massivesms-dev', secret: 'local-oidc-issuer' } as const;

/** The simulator checks these; they only ever reach loopback. */
const SIMULATED_KEYS = { telnyx: 'KEY_simulated', resend: 're_simulated', stripe: 'sk_test_simulated', posthog: 'phc_simulated' } as const;

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

interface SimulatorSecrets {
  telnyxSigningSeed: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
  stripeWebhookSecret: string;
}

/** The raw 32-byte ed25519 public key (base64) for a 32-byte seed: what Telnyx publishes for webhook checks. */
export function telnyxPublicKeyFor(seedBase64: string): string {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seedBase64, 'base64')]),
    format: 'der',
    type: 'pkcs8',
  });
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

/** Generated once per checkout and kept in .data/ so restarts keep verifying the simulator's signatures. */
function simulatorSecrets(dataDir: string): SimulatorSecrets {
  const file = join(dataDir, 'simulator-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SimulatorSecrets;
  const secrets: SimulatorSecrets = {
    telnyxSigningSeed: randomBytes(32).toString('base64'),
    twilioAccountSid: `AC${randomBytes(16).toString('hex')}`,
    twilioAuthToken: randomBytes(16).toString('hex'),
    stripeWebhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

export interface DevProviderWiring {
  /** The simulator process's environment, or null when every vendor has real credentials. */
  simulatorEnv: Record<string, string> | null;
  /** What the API and worker get so each vendor without real credentials talks to the simulator. */
  productEnv: Record<string, string>;
  simulated: string[];
  /** The local OpenID provider's port when Google sign-in has no real client (GOOGLE_CLIENT_ID unset), else null. */
  localOidcIssuerPort: number | null;
}

/**
 * A vendor whose credentials the shell sets is used for real; every other vendor is pointed at the
 * simulator on loopback with this checkout's generated secrets.
 */
export function devProviderWiring(env: NodeJS.ProcessEnv, dataDir: string, publicBaseUrl: string): DevProviderWiring {
  const secrets = simulatorSecrets(dataDir);
  const sim = (port: number) => `http://127.0.0.1:${port}`;
  const productEnv: Record<string, string> = {};
  const simulated: string[] = [];
  if (!env.TELNYX_API_KEY) {
    simulated.push('telnyx');
    Object.assign(productEnv, {
      TELNYX_API_KEY: SIMULATED_KEYS.telnyx,
      TELNYX_BASE_URL: `${sim(DEV_SIMULATOR_PORTS.telnyx)}/v2`,
      TELNYX_PUBLIC_KEY: telnyxPublicKeyFor(secrets.telnyxSigningSeed),
    });
  }
  if (!env.TWILIO_ACCOUNT_SID) {
    simulated.push('twilio');
    Object.assign(productEnv, {
      TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
      TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
      TWILIO_BASE_URL: sim(DEV_SIMULATOR_PORTS.twilio),
    });
  }
  if (!env.RESEND_API_KEY) {
    simulated.push('resend');
    Object.assign(productEnv, { RESEND_API_KEY: SIMULATED_KEYS.resend, RESEND_BASE_URL: sim(DEV_SIMULATOR_PORTS.main) });
  }
  if (!env.STRIPE_SECRET_KEY) {
    simulated.push('stripe');
    Object.assign(productEnv, {
      STRIPE_SECRET_KEY: SIMULATED_KEYS.stripe,
      STRIPE_BASE_URL: sim(DEV_SIMULATOR_PORTS.main),
      STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret,
    });
  }
  if (!env.POSTHOG_API_KEY) {
    simulated.push('posthog');
    Object.assign(productEnv, { POSTHOG_API_KEY: SIMULATED_KEYS.posthog, POSTHOG_HOST: sim(DEV_SIMULATOR_PORTS.main) });
  }
  const localOidcIssuerPort = env.GOOGLE_CLIENT_ID ? null : DEV_OIDC_ISSUER_PORT;
  if (localOidcIssuerPort !== null) {
    Object.assign(productEnv, {
      GOOGLE_OIDC_ISSUER: sim(localOidcIssuerPort),
      GOOGLE_CLIENT_ID: LOCAL_GOOGLE_CLIENT.id,
      GOOGLE_CLIENT_SECRET: LOCAL_GOOGLE_CLIENT.secret,
      // Back to the console's page, which hands the code to GET /v1/auth/google/callback.
      GOOGLE_REDIRECT_URL: env.GOOGLE_REDIRECT_URL ?? `${publicBaseUrl}/app/auth/google/callback`,
    });
  }
  const simulatorEnv =
    simulated.length === 0
      ? null
      : {
          SIM_PORT: String(DEV_SIMULATOR_PORTS.main),
          SIM_TELNYX_PORT: String(DEV_SIMULATOR_PORTS.telnyx),
          SIM_TWILIO_PORT: String(DEV_SIMULATOR_PORTS.twilio),
          SIM_SEED: '1',
          SIM_TELNYX_SIGNING_SEED: secrets.telnyxSigningSeed,
          SIM_TELNYX_API_KEY: SIMULATED_KEYS.telnyx,
          SIM_RESEND_API_KEY: SIMULATED_KEYS.resend,
          SIM_STRIPE_SECRET_KEY: SIMULATED_KEYS.stripe,
          SIM_POSTHOG_API_KEY: SIMULATED_KEYS.posthog,
          SIM_TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
          SIM_TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
          SIM_STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret,
          SIM_STRIPE_WEBHOOK_URL: `${publicBaseUrl}/webhooks/stripe`,
          SIM_TELNYX_INBOUND_URL: `${publicBaseUrl}/webhooks/telnyx`,
          SIM_TWILIO_INBOUND_URL: `${publicBaseUrl}/webhooks/twilio/inbound`,
        };
  return { simulatorEnv, productEnv, simulated, localOidcIssuerPort };
}
