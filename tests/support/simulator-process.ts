import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatorControl } from '../../simulator/control-client';
import { LOG_DIR_ENV } from './log-scan';

export interface SimulatorProcess {
  pid: number;
  /** Main port: control API, Resend and Stripe. */
  url: string;
  port: number;
  telnyxPort: number;
  twilioPort: number;
  /** Telnyx SDK baseURL (includes /v2). */
  telnyxBaseUrl: string;
  /** Twilio `client.api.baseUrl`. */
  twilioBaseUrl: string;
  telnyxApiKey: string;
  telnyxPublicKey: string;
  twilio: { accountSid: string; authToken: string };
  resendApiKey: string;
  stripeSecretKey: string;
  stripeWebhookSecret: string;
  /** The fake PostHog's project key (POSTHOG_HOST is the main port). */
  posthogApiKey: string;
  control: SimulatorControl;
  /** The product's env pointing every vendor SDK at this simulator. */
  env(): Record<string, string>;
  stop(): Promise<void>;
}

export interface SimulatorProcessOptions {
  seed?: number;
  telnyxInboundUrl?: string;
  twilioInboundUrl?: string;
  stripeWebhookUrl?: string;
  /** More SIM_* variables (e.g. SIM_CALLBACK_LOG_LIMIT). */
  env?: Record<string, string>;
}

interface ReadyLine {
  simulator: 'listening';
  port: number;
  telnyxPort: number;
  twilioPort: number;
}

function waitForReady(child: ChildProcess): Promise<ReadyLine> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const newline = seen.indexOf('\n');
      if (newline === -1) return;
      child.stdout!.off('data', onData);
      try {
        const line = JSON.parse(seen.slice(0, newline)) as ReadyLine;
        if (line.simulator !== 'listening') throw new Error(`unexpected first line: ${seen.slice(0, newline)}`);
        resolve(line);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the simulator exited with ${code} before listening`)));
  });
}

/** The provider simulator as a separate process on free ports, with fresh random secrets. */
export async function startSimulatorProcess(options: SimulatorProcessOptions = {}): Promise<SimulatorProcess> {
  const secrets = {
    telnyxApiKey: `KEY${randomBytes(16).toString('hex')}`,
    telnyxSigningSeed: randomBytes(32).toString('base64'),
    twilioAccountSid: `AC${randomBytes(16).toString('hex')}`,
    twilioAuthToken: randomBytes(16).toString('hex'),
    resendApiKey: `re_${randomBytes(16).toString('hex')}`,
    stripeSecretKey: `sk_test_${randomBytes(16).toString('hex')}`,
    stripeWebhookSecret: `whsec_${randomBytes(24).toString('base64url')}`,
    posthogApiKey: `phc_${randomBytes(16).toString('hex')}`,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'simulator', 'server.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      SIM_PORT: '0',
      SIM_TELNYX_PORT: '0',
      SIM_TWILIO_PORT: '0',
      SIM_SEED: String(options.seed ?? 1),
      SIM_TELNYX_SIGNING_SEED: secrets.telnyxSigningSeed,
      SIM_TELNYX_API_KEY: secrets.telnyxApiKey,
      SIM_TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
      SIM_TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
      SIM_RESEND_API_KEY: secrets.resendApiKey,
      SIM_STRIPE_SECRET_KEY: secrets.stripeSecretKey,
      SIM_STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret,
      SIM_POSTHOG_API_KEY: secrets.posthogApiKey,
      SIM_TELNYX_INBOUND_URL: options.telnyxInboundUrl ?? '',
      SIM_TWILIO_INBOUND_URL: options.twilioInboundUrl ?? '',
      SIM_STRIPE_WEBHOOK_URL: options.stripeWebhookUrl ?? '',
      // The child exits when this process's end of its stdin closes (also if this process dies).
      SIM_EXIT_ON_STDIN_END: '1',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = await waitForReady(child);
  // Keep draining stdout so the child never blocks on a full pipe; kept for the log scan when one runs.
  const logDir = process.env[LOG_DIR_ENV];
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    child.stdout.pipe(createWriteStream(join(logDir, `simulator-${child.pid}.log`), { flags: 'a' }));
  } else child.stdout.resume();
  const url = `http://127.0.0.1:${ready.port}`;
  const control = new SimulatorControl(url);
  const { telnyxPublicKey } = await control.keys();
  const telnyxBaseUrl = `http://127.0.0.1:${ready.telnyxPort}/v2`;
  const twilioBaseUrl = `http://127.0.0.1:${ready.twilioPort}`;
  return {
    pid: child.pid!,
    url,
    port: ready.port,
    telnyxPort: ready.telnyxPort,
    twilioPort: ready.twilioPort,
    telnyxBaseUrl,
    twilioBaseUrl,
    telnyxApiKey: secrets.telnyxApiKey,
    telnyxPublicKey,
    twilio: { accountSid: secrets.twilioAccountSid, authToken: secrets.twilioAuthToken },
    resendApiKey: secrets.resendApiKey,
    stripeSecretKey: secrets.stripeSecretKey,
    stripeWebhookSecret: secrets.stripeWebhookSecret,
    posthogApiKey: secrets.posthogApiKey,
    control,
    env: () => ({
      TELNYX_API_KEY: secrets.telnyxApiKey,
      TELNYX_BASE_URL: telnyxBaseUrl,
      TELNYX_PUBLIC_KEY: telnyxPublicKey,
      TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
      TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
      TWILIO_BASE_URL: twilioBaseUrl,
      RESEND_API_KEY: secrets.resendApiKey,
      RESEND_BASE_URL: url,
      STRIPE_SECRET_KEY: secrets.stripeSecretKey,
      STRIPE_BASE_URL: url,
      STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret,
      POSTHOG_API_KEY: secrets.posthogApiKey,
      POSTHOG_HOST: url,
    }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
