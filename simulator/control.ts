import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SimContext } from './context';
import { parseJsonObject, queryOf, readBody, sendJson } from './http-util';
import type { ResendSimulator } from './resend';
import { StripeRequestError, type StripeSimulator } from './stripe';
import { telnyxInbound } from './telnyx';
import { twilioInbound } from './twilio';
import type { InboundResult } from './types';

const MAX_LIST = 100_000;

const urlOrNull = z.union([z.string().url().max(2000), z.null()]);
const configSchema = z
  .object({ telnyxInboundUrl: urlOrNull.optional(), twilioInboundUrl: urlOrNull.optional(), stripeWebhookUrl: urlOrNull.optional() })
  .strict();
const inboundSchema = z
  .object({
    vendor: z.enum(['telnyx', 'twilio']),
    from: z.string().min(1).max(40),
    to: z.string().min(1).max(40),
    text: z.string().max(2000),
  })
  .strict();
const cardSchema = z
  .object({
    brand: z.string().max(20),
    last4: z.string().regex(/^\d{4}$/),
    exp_month: z.number().int().min(1).max(12),
    exp_year: z.number().int().min(2000).max(2100),
    country: z.string().regex(/^[A-Z]{2}$/),
  })
  .partial()
  .strict();
const completeSetupSchema = z
  .object({ setupIntent: z.string().max(200).optional(), checkoutSession: z.string().max(200).optional(), card: cardSchema.optional() })
  .strict()
  .refine((v) => v.setupIntent !== undefined || v.checkoutSession !== undefined, 'setupIntent or checkoutSession is required');
/** Ten years either way is far more than any test shifts. */
const MAX_CLOCK_OFFSET_MS = 10 * 366 * 24 * 3600_000;
const clockSchema = z.object({ offsetMs: z.number().int().min(-MAX_CLOCK_OFFSET_MS).max(MAX_CLOCK_OFFSET_MS) }).strict();
const E164_INPUT = z.string().regex(/^\+[1-9]\d{6,14}$/);
const numberTimingsSchema = z
  .object({
    telnyxOrderDelayMs: z
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 86_400_000)
      .optional(),
    hostedSmsDelayMs: z
      .union([
        z
          .number()
          .int()
          .min(0)
          .max(10 * 365 * 86_400_000),
        z.null(),
      ])
      .optional(),
  })
  .strict();
const phoneSchema = z.object({ phone: E164_INPUT }).strict();
const provisionSchema = z.object({ phones: z.array(E164_INPUT).min(1).max(10_000) }).strict();
const stripeInvoiceSchema = z
  .object({
    customer: z.string().min(1).max(200),
    amountDue: z.number().int().min(0).max(100_000_000),
    outcome: z.enum(['paid', 'payment_failed']),
  })
  .strict();
const stripePayInvoiceSchema = z.object({ invoice: z.string().min(1).max(200) }).strict();
const stripeEventSchema = z.object({ type: z.string().min(1).max(100), object: z.record(z.string(), z.unknown()) }).strict();

export interface ControlDeps {
  sim: SimContext;
  resend: ResendSimulator;
  stripe: StripeSimulator;
  applyPlan(input: unknown): Promise<{ error: string } | null>;
  reset(): Promise<void>;
}

function bad(res: ServerResponse, message: string, status = 400): void {
  sendJson(res, status, { error: message });
}

function limitOf(query: URLSearchParams, fallback: number): number {
  const value = Number(query.get('limit') ?? fallback);
  return Number.isInteger(value) && value > 0 ? Math.min(value, MAX_LIST) : fallback;
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return parseJsonObject(await readBody(req));
}

/** The simulator's own API under /_sim (JSON): keys, config, faults, ledger, callbacks, inbound, emails, Stripe events, reset. */
export function controlHandler(deps: ControlDeps) {
  const { sim } = deps;
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const method = req.method ?? 'GET';
    const query = queryOf(req.url ?? '');
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /_sim/keys':
        return sendJson(res, 200, { telnyxPublicKey: sim.telnyx.publicKey, twilioAccountSid: sim.secrets.twilioAccountSid });
      case 'GET /_sim/config':
        return sendJson(res, 200, sim.targets);
      case 'POST /_sim/config': {
        const parsed = configSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        Object.assign(sim.targets, parsed.data);
        return sendJson(res, 200, sim.targets);
      }
      case 'GET /_sim/faults':
        return sendJson(res, 200, sim.plan);
      case 'POST /_sim/faults': {
        const body = await jsonBody(req);
        if (body === null) return bad(res, 'the fault plan must be a JSON object');
        const failure = await deps.applyPlan(body);
        if (failure) return bad(res, failure.error);
        return sendJson(res, 200, sim.plan);
      }
      case 'DELETE /_sim/faults':
        await deps.applyPlan({});
        return sendJson(res, 200, sim.plan);
      case 'GET /_sim/ledger': {
        const vendor = query.get('vendor');
        if (vendor !== null && vendor !== 'telnyx' && vendor !== 'twilio') return bad(res, 'vendor must be telnyx or twilio');
        const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
        return sendJson(
          res,
          200,
          sim.ledger.query({
            m: query.get('m') ?? undefined,
            a: query.get('a') ?? undefined,
            to: query.get('to') ?? undefined,
            vendor: vendor ?? undefined,
            limit: limitOf(query, 1000),
            offset,
          }),
        );
      }
      case 'GET /_sim/clock':
        return sendJson(res, 200, { offsetMs: sim.clock.offsetMs, now: sim.clock.now().toISOString() });
      case 'POST /_sim/clock': {
        const parsed = clockSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        sim.clock.offsetMs = parsed.data.offsetMs;
        return sendJson(res, 200, { offsetMs: sim.clock.offsetMs, now: sim.clock.now().toISOString() });
      }
      case 'GET /_sim/ledger/summary':
        return sendJson(res, 200, sim.ledger.summary());
      case 'GET /_sim/callbacks': {
        const kind = query.get('kind');
        if (kind !== null && kind !== 'status' && kind !== 'inbound' && kind !== 'stripe')
          return bad(res, 'kind must be status, inbound or stripe');
        const callbacks = sim.callbackLog.query({
          m: query.get('m') ?? undefined,
          messageId: query.get('messageId') ?? undefined,
          kind: kind ?? undefined,
          limit: limitOf(query, 1000),
        });
        return sendJson(res, 200, { callbacks });
      }
      case 'GET /_sim/callbacks/stats':
        return sendJson(res, 200, sim.callbacks.counts());
      case 'POST /_sim/inbound': {
        const parsed = inboundSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        const inbound = parsed.data;
        const url = inbound.vendor === 'telnyx' ? sim.targets.telnyxInboundUrl : sim.targets.twilioInboundUrl;
        if (url === null) return bad(res, `no ${inbound.vendor} inbound URL is configured (POST /_sim/config)`, 409);
        const callback = inbound.vendor === 'telnyx' ? telnyxInbound(sim, url, inbound) : twilioInbound(sim, url, inbound);
        const delivery = await sim.callbacks.deliverNow(callback);
        const result: InboundResult = { id: callback.messageId!, status: delivery.status };
        return sendJson(res, 200, result);
      }
      case 'GET /_sim/emails':
        return sendJson(res, 200, { emails: deps.resend.list(query.get('to') ?? undefined) });
      case 'GET /_sim/stripe/meter-events':
        return sendJson(res, 200, { meterEvents: deps.stripe.meterEventList(query.get('customer') ?? undefined) });
      case 'POST /_sim/stripe/expire-meter-sessions':
        deps.stripe.expireMeterSessions();
        return sendJson(res, 200, { expired: true });
      case 'POST /_sim/stripe/complete-setup': {
        const parsed = completeSetupSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        return stripeCommand(res, () => deps.stripe.completeSetup(parsed.data));
      }
      case 'POST /_sim/stripe/events': {
        const parsed = stripeEventSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        return stripeCommand(res, () => deps.stripe.emit(parsed.data.type, parsed.data.object));
      }
      case 'POST /_sim/stripe/invoices': {
        const parsed = stripeInvoiceSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        return stripeCommand(res, () => deps.stripe.issueInvoice(parsed.data));
      }
      case 'POST /_sim/stripe/pay-invoice': {
        const parsed = stripePayInvoiceSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        return stripeCommand(res, () => deps.stripe.payInvoice(parsed.data.invoice));
      }
      case 'GET /_sim/numbers':
        return sendJson(res, 200, sim.numbers.state(query.get('phone') ?? undefined));
      case 'POST /_sim/numbers/timings': {
        const parsed = numberTimingsSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        Object.assign(sim.numbers.timings, parsed.data);
        return sendJson(res, 200, sim.numbers.timings);
      }
      case 'POST /_sim/numbers/complete-hosting': {
        const parsed = phoneSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        return sendJson(res, 200, { completed: sim.numbers.completeHosting(parsed.data.phone) });
      }
      case 'POST /_sim/numbers/provision': {
        const parsed = provisionSchema.safeParse(await jsonBody(req));
        if (!parsed.success) return bad(res, z.prettifyError(parsed.error));
        for (const phone of parsed.data.phones) sim.numbers.provision(phone);
        return sendJson(res, 200, { provisioned: parsed.data.phones.length });
      }
      case 'POST /_sim/reset':
        await deps.reset();
        return sendJson(res, 200, { reset: true });
      default:
        return bad(res, `no simulator route ${route}`, 404);
    }
  };
}

async function stripeCommand(res: ServerResponse, run: () => Promise<unknown>): Promise<void> {
  try {
    sendJson(res, 200, await run());
  } catch (err) {
    if (err instanceof StripeRequestError) return bad(res, err.message, err.status === 404 ? 404 : 409);
    throw err;
  }
}
