import express, { Router, type Request, type Response } from 'express';
import { AppError } from '../../lib/errors';
import { clientLimitKey } from '../../lib/net/client-address';
import { BillingWebhookRejected, type BillingProvider } from '../../providers/billing/billing-provider';
import type { StripeEventApplier } from '../../services/billing/stripe-event-applier';
import type { ApiDeps } from '../../services/deps';
import { sendProblem } from '../http/problem';
import { RateLimiter } from '../middleware/rate-limiter';

/** Stripe events are a few kB; anything larger is not one. */
const STRIPE_WEBHOOK_BODY_LIMIT = '256kb';
const REJECTIONS_PER_MINUTE = 60;
export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

const REJECTION: Record<BillingWebhookRejected['reason'], { kind: 'forbidden' | 'malformed_body'; detail: string }> = {
  signature: { kind: 'forbidden', detail: 'the Stripe-Signature does not verify' },
  stale: { kind: 'forbidden', detail: 'the Stripe-Signature timestamp is more than 300 s old (a replay or a skewed clock)' },
  malformed: { kind: 'malformed_body', detail: 'the body is not a Stripe event' },
};

/**
 * POST /webhooks/stripe: public (Stripe signs it), mounted before the JSON parser because the
 * signature is over the exact bytes. A replayed event answers 200 and changes nothing; a failure to
 * apply answers 5xx so Stripe retries.
 */
export function stripeWebhookRouter(
  deps: Pick<ApiDeps, 'logger'>,
  provider: BillingProvider | null,
  applier: StripeEventApplier | null,
): Router {
  const router = Router();
  const rejections = new RateLimiter(REJECTIONS_PER_MINUTE, 'rejected webhooks');
  const raw = express.raw({ type: () => true, limit: STRIPE_WEBHOOK_BODY_LIMIT });
  router.post(STRIPE_WEBHOOK_PATH, raw, async (req: Request, res: Response) => {
    if (!provider || !applier) throw new AppError('unavailable', 'billing is not configured on this deployment');
    const address = clientLimitKey(req.ip ?? 'unknown');
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const header = req.headers['stripe-signature'];
    let event;
    try {
      event = provider.parseWebhook(rawBody, typeof header === 'string' ? header : undefined);
    } catch (err) {
      if (!(err instanceof BillingWebhookRejected)) throw err;
      rejections.charge(address);
      deps.logger.warn({ reason: err.reason }, 'Stripe webhook rejected');
      rejections.check(address);
      const { kind, detail } = REJECTION[err.reason];
      throw new AppError(kind, detail);
    }
    const result = await applier.apply(event);
    res.status(200).json({ received: true, ...(result.kind === 'replayed' ? { replayed: true } : {}) });
  });
  router.all(STRIPE_WEBHOOK_PATH, (req: Request, res: Response) => {
    res.setHeader('Allow', 'POST');
    sendProblem(req, res, new AppError('method_not_allowed', `${req.method} is not allowed on ${STRIPE_WEBHOOK_PATH}; Stripe POSTs`));
  });
  return router;
}
