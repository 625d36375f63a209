import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CallbackLog } from './callback-log';
import { CallbackDispatcher } from './callbacks';
import type { SimContext, SimulatorSecrets, Targets } from './context';
import { controlHandler } from './control';
import { defaultPlan, parseFaultPlan } from './faults';
import { BodyTooLarge, pathOf, sendJson } from './http-util';
import { SimClock } from './clock';
import { Ledger } from './ledger';
import { NumberBook } from './number-book';
import { OutageController, VendorListener } from './outages';
import { PostHogSimulator } from './posthog';
import { ResendSimulator } from './resend';
import { StripeSimulator } from './stripe';
import { CHECKOUT_PAGE_PREFIX, checkoutPageHandler } from './stripe-checkout-page';
import { telnyxSigner } from './signing';
import { telnyxHandler } from './telnyx';
import { twilioHandler } from './twilio';

export interface SimulatorOptions {
  host?: string;
  /** 0 = any free port. */
  port: number;
  telnyxPort: number;
  twilioPort: number;
  secrets: SimulatorSecrets;
  targets?: Partial<Targets>;
  /** How many callback attempts GET /_sim/callbacks keeps (oldest dropped first). */
  callbackLogLimit?: number;
}

export interface RunningSimulator {
  ports: { main: number; telnyx: number; twilio: number };
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function serve(handler: Handler): Server {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: 'request body too large' });
      process.stderr.write(`simulator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      sendJson(res, 500, { error: 'simulator error' });
    });
  });
  server.keepAliveTimeout = 10_000;
  return server;
}

/** Builds the three listeners (main: control, Resend, Stripe; Telnyx; Twilio) over one shared state. */
export async function createSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const callbackLog = new CallbackLog(options.callbackLogLimit ?? 50_000);
  const initialPlan = defaultPlan(options.secrets.seed);
  const callbacks = new CallbackDispatcher(callbackLog, initialPlan.callbacks.concurrency);
  const targets: Targets = { telnyxInboundUrl: null, twilioInboundUrl: null, stripeWebhookUrl: null, ...options.targets };
  let outages: OutageController | null = null;
  const clock = new SimClock();
  const sim: SimContext = {
    secrets: options.secrets,
    targets,
    plan: initialPlan,
    ledger: new Ledger(() => clock.now()),
    clock,
    numbers: new NumberBook(),
    callbacks,
    callbackLog,
    telnyx: telnyxSigner(options.secrets.telnyxSigningSeed),
    held: new Set(),
    outageNow: (vendor) => outages?.modeNow(vendor) ?? null,
  };

  const telnyx = new VendorListener(serve(telnyxHandler(sim)), host);
  const twilio = new VendorListener(serve(twilioHandler(sim)), host);
  outages = new OutageController({ telnyx, twilio });
  const outageController = outages;

  let mainPort = 0;
  const resend = new ResendSimulator(options.secrets);
  const posthog = new PostHogSimulator(options.secrets.posthogApiKey ?? null);
  const stripe = new StripeSimulator(options.secrets, targets, callbacks, () => `http://${host}:${mainPort}`, {
    plan: () => sim.plan,
    held: sim.held,
  });

  const releaseHeld = () => {
    for (const res of sim.held) res.destroy();
    sim.held.clear();
  };
  const applyPlan = async (input: unknown) => {
    const parsed = parseFaultPlan(input, options.secrets.seed);
    if ('error' in parsed) return parsed;
    sim.plan = parsed.plan;
    callbacks.setConcurrency(parsed.plan.callbacks.concurrency);
    await outageController.apply(parsed.plan.outages);
    return null;
  };
  const control = controlHandler({
    sim,
    resend,
    stripe,
    applyPlan,
    async reset() {
      sim.ledger.clear();
      clock.offsetMs = 0;
      callbacks.reset();
      callbackLog.clear();
      releaseHeld();
      resend.reset();
      stripe.reset();
      posthog.reset();
      await applyPlan({});
    },
  });

  const checkoutPage = checkoutPageHandler(stripe);
  const main = serve(async (req, res) => {
    const path = pathOf(req.url ?? '/');
    if (path === '/_sim/posthog/events' && req.method === 'GET') return posthog.readBack(res);
    if (path.startsWith(CHECKOUT_PAGE_PREFIX)) return checkoutPage(req, res, path);
    if (path.startsWith('/_sim/')) return control(req, res, path);
    if (posthog.handles(path)) return posthog.handle(req, res);
    if (resend.handles(path)) return resend.handle(req, res, path);
    if (stripe.handles(path)) return stripe.handle(req, res, path);
    sendJson(res, 404, { error: `no route ${req.method ?? ''} ${path}` });
  });
  const mainListener = new VendorListener(main, host);

  await mainListener.listen(options.port);
  mainPort = mainListener.port;
  await telnyx.listen(options.telnyxPort);
  await twilio.listen(options.twilioPort);

  return {
    ports: { main: mainListener.port, telnyx: telnyx.port, twilio: twilio.port },
    async close() {
      await outageController.clear();
      callbacks.close();
      releaseHeld();
      await Promise.all([mainListener.close(), telnyx.close(), twilio.close()]);
    },
  };
}
