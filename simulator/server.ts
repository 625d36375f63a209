import { createHash } from 'node:crypto';
import { createSimulator } from './create-simulator';
import type { SimulatorSecrets } from './context';

// Well-known defaults for a bare `npm run sim`; tests and `npm run dev` pass fresh random ones.
const DEV_DEFAULTS = {
  telnyxSigningSeed: createHash('sha256').update('massivesms-simulator').digest('base64'),
  twilioAccountSid: `AC${'0'.repeat(32)}`,
  twilioAuthToken: 'simulator-auth-token',
  stripeWebhookSecret: 'whsec_simulator',
};

function port(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number`);
  return value;
}

function optional(name: string): string | null {
  const value = process.env[name];
  return value !== undefined && value.length > 0 ? value : null;
}

async function main(): Promise<void> {
  const secrets: SimulatorSecrets = {
    seed: Number(process.env.SIM_SEED ?? 1) || 0,
    telnyxSigningSeed: optional('SIM_TELNYX_SIGNING_SEED') ?? DEV_DEFAULTS.telnyxSigningSeed,
    telnyxApiKey: optional('SIM_TELNYX_API_KEY'),
    twilioAccountSid: optional('SIM_TWILIO_ACCOUNT_SID') ?? DEV_DEFAULTS.twilioAccountSid,
    twilioAuthToken: optional('SIM_TWILIO_AUTH_TOKEN') ?? DEV_DEFAULTS.twilioAuthToken,
    resendApiKey: optional('SIM_RESEND_API_KEY'),
    posthogApiKey: optional('SIM_POSTHOG_API_KEY'),
    stripeSecretKey: optional('SIM_STRIPE_SECRET_KEY'),
    stripeWebhookSecret: optional('SIM_STRIPE_WEBHOOK_SECRET') ?? DEV_DEFAULTS.stripeWebhookSecret,
  };
  const simulator = await createSimulator({
    host: optional('SIM_HOST') ?? '127.0.0.1',
    port: port('SIM_PORT', 4010),
    telnyxPort: port('SIM_TELNYX_PORT', 4011),
    twilioPort: port('SIM_TWILIO_PORT', 4012),
    secrets,
    targets: {
      telnyxInboundUrl: optional('SIM_TELNYX_INBOUND_URL'),
      twilioInboundUrl: optional('SIM_TWILIO_INBOUND_URL'),
      stripeWebhookUrl: optional('SIM_STRIPE_WEBHOOK_URL'),
    },
    callbackLogLimit: Number(process.env.SIM_CALLBACK_LOG_LIMIT ?? 50_000) || 50_000,
  });
  process.stdout.write(
    `${JSON.stringify({ simulator: 'listening', port: simulator.ports.main, telnyxPort: simulator.ports.telnyx, twilioPort: simulator.ports.twilio })}\n`,
  );
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // A launcher that holds our stdin open gets us to exit with it, even if it dies without stopping us.
  if (process.env.SIM_EXIT_ON_STDIN_END === '1') {
    process.stdin.on('end', shutdown);
    process.stdin.on('close', shutdown);
    process.stdin.resume();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
