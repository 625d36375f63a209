import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../../lib/errors';
import { WebhookVerificationFailed, type CarrierId, type SmsCarrier } from '../../providers/sms/carrier';
import { createSmsCarriers } from '../../providers/sms/registry';
import { CarrierWebhookProcessor } from '../../services/messaging/carrier-webhooks';
import { InboundService } from '../../services/messaging/inbound';
import { MessagingSettingsService } from '../../services/messaging/messaging-settings';
import { OptOutsService } from '../../services/opt-outs';
import type { ServiceDeps } from '../../services/deps';
import { clientLimitKey } from '../../lib/net/client-address';
import { RateLimiter } from '../middleware/rate-limiter';
import { sendProblem } from '../http/problem';

/** Carrier callbacks are small (a status or one SMS); anything larger is not one. */
const WEBHOOK_BODY_LIMIT = '64kb';
/** Rejected webhooks a minute per address before its rejections answer 429 (a verified webhook is never limited). */
const REJECTIONS_PER_MINUTE = 60;

const ROUTES: { path: string; carrier: CarrierId }[] = [
  { path: '/webhooks/telnyx', carrier: 'telnyx' },
  { path: '/webhooks/twilio/status', carrier: 'twilio' },
  { path: '/webhooks/twilio/inbound', carrier: 'twilio' },
];

const REJECTION_DETAIL: Record<WebhookVerificationFailed['reason'], { kind: 'forbidden' | 'malformed_body'; detail: string }> = {
  signature: { kind: 'forbidden', detail: 'the webhook signature does not verify' },
  stale: { kind: 'forbidden', detail: 'the webhook timestamp is outside the tolerance (a replay or a skewed clock)' },
  malformed: { kind: 'malformed_body', detail: 'the webhook is not an event this endpoint understands' },
};

function flatHeaders(req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers;
}

export interface CarrierWebhookDeps {
  deps: Pick<ServiceDeps, 'orm' | 'config'> & { logger: Logger };
  /** Undefined when carriers are not configured: the endpoints answer 503. */
  carriers: Record<CarrierId, SmsCarrier> | undefined;
  processor: CarrierWebhookProcessor;
}

/**
 * /webhooks/telnyx, /webhooks/twilio/status, /webhooks/twilio/inbound: public (the carrier signs
 * them), mounted before the JSON parser because the signature is over the exact bytes. The URL a
 * Twilio signature covers is PUBLIC_BASE_URL + the path and query we were called on.
 * A replayed event answers 200 (so the carrier stops retrying) and changes nothing.
 */
export function carrierWebhookRouter({ deps, carriers, processor }: CarrierWebhookDeps): Router {
  const router = Router();
  const rejections = new RateLimiter(REJECTIONS_PER_MINUTE, 'rejected webhooks');
  const baseUrl = deps.config.PUBLIC_BASE_URL.replace(/\/+$/, '');
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });

  for (const { path, carrier } of ROUTES) {
    // Errors go to the app's problem handler (api/http/problem.ts): AppErrors as their problem, anything else a logged 500, so the carrier retries.
    router.post(path, raw, async (req: Request, res: Response) => {
      const address = clientLimitKey(req.ip ?? 'unknown');
      const adapter = carriers?.[carrier];
      if (!adapter) throw new AppError('unavailable', `the ${carrier} carrier is not configured`);
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let event;
      try {
        event = await adapter.parseWebhook({ rawBody, headers: flatHeaders(req), url: `${baseUrl}${req.originalUrl}` });
      } catch (err) {
        if (!(err instanceof WebhookVerificationFailed)) throw err;
        // Verified first, charged only on failure: whoever shares the carrier's address cannot make its genuine STOPs 429.
        rejections.charge(address);
        deps.logger.warn({ carrier, reason: err.reason, path }, 'carrier webhook rejected');
        rejections.check(address);
        const { kind, detail } = REJECTION_DETAIL[err.reason];
        throw new AppError(kind, detail);
      }
      const result = await processor.process(deps.orm.em.fork(), event);
      res.status(200).json({ received: true, ...(result.kind === 'replayed' ? { replayed: true } : {}) });
    });
    router.all(path, (req: Request, res: Response) => {
      res.setHeader('Allow', 'POST');
      sendProblem(req, res, new AppError('method_not_allowed', `${req.method} is not allowed on ${path}; carriers POST`));
    });
  }
  return router;
}

/** Carriers for the webhook endpoints, or undefined when their credentials are not configured. */
export function carriersIfConfigured(build: () => Record<CarrierId, SmsCarrier>): Record<CarrierId, SmsCarrier> | undefined {
  try {
    return build();
  } catch {
    return undefined;
  }
}

/** The carrier webhook endpoints with their services, built from the process's deps. */
export function carrierWebhooks(deps: ServiceDeps): Router {
  const optOuts = new OptOutsService(deps);
  const inbound = new InboundService(deps, optOuts, new MessagingSettingsService());
  return carrierWebhookRouter({
    deps,
    carriers: carriersIfConfigured(() => createSmsCarriers(deps.config)),
    processor: new CarrierWebhookProcessor(deps, inbound),
  });
}
