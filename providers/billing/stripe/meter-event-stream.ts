import Stripe from 'stripe';
import { SEGMENTS_METER_EVENT_NAME, type MeterEvent, type MeterEventResult } from '../billing-provider';
import { classifyStripeError } from './classify-stripe-error';

/** Stripe says the token lapsed, or no longer knows it: a new session is worth one more try. */
const sessionRefused = (err: unknown) =>
  err instanceof Stripe.errors.TemporarySessionExpiredError || err instanceof Stripe.errors.StripeAuthenticationError;

/** Stripe's limit of events in one stream request. */
export const METER_STREAM_MAX_EVENTS = 100;
/** A session token is renewed this long before Stripe's expiry, so a request never races it. */
const SESSION_RENEW_MARGIN_MS = 60_000;

/**
 * Meter events through Stripe's v2 meter event stream: up to 100 events per request, authenticated by
 * a meter event session's token (valid 15 minutes, renewed before it lapses and once more if Stripe
 * refuses it). One HTTP request carries a whole batch, where `/v1/billing/meter_events` takes one
 * event per request. Stripe deduplicates by `identifier` on both paths, so a batch resent after an
 * ambiguous failure counts each event once. A batch is accepted or failed as a whole.
 */
export class StripeMeterEventStream {
  private session: { token: string; expiresAt: number } | null = null;
  private opening: Promise<{ token: string; expiresAt: number }> | null = null;

  constructor(private readonly stripe: Stripe) {}

  async send(events: readonly MeterEvent[]): Promise<MeterEventResult[]> {
    const results: MeterEventResult[] = [];
    for (let i = 0; i < events.length; i += METER_STREAM_MAX_EVENTS) {
      const batch = events.slice(i, i + METER_STREAM_MAX_EVENTS);
      try {
        await this.stream(batch);
        for (const event of batch) results.push({ identifier: event.identifier, accepted: true });
      } catch (err) {
        const error = classifyStripeError(err);
        for (const event of batch) results.push({ identifier: event.identifier, accepted: false, error });
      }
    }
    return results;
  }

  private async stream(batch: readonly MeterEvent[]): Promise<void> {
    const params = {
      events: batch.map((event) => ({
        event_name: SEGMENTS_METER_EVENT_NAME,
        identifier: event.identifier,
        timestamp: event.timestamp.toISOString(),
        payload: { stripe_customer_id: event.stripeCustomerId, value: String(event.value) },
      })),
    };
    try {
      await this.stripe.v2.billing.meterEventStream.create(params, { apiKey: await this.token() });
    } catch (err) {
      if (!sessionRefused(err)) throw err;
      this.session = null;
      await this.stripe.v2.billing.meterEventStream.create(params, { apiKey: await this.token() });
    }
  }

  private async token(): Promise<string> {
    if (this.session !== null && this.session.expiresAt - SESSION_RENEW_MARGIN_MS > Date.now()) return this.session.token;
    // Concurrent callers share one session request.
    this.opening ??= this.openSession().finally(() => {
      this.opening = null;
    });
    this.session = await this.opening;
    return this.session.token;
  }

  private async openSession(): Promise<{ token: string; expiresAt: number }> {
    const session = await this.stripe.v2.billing.meterEventSession.create();
    return { token: session.authentication_token, expiresAt: Date.parse(session.expires_at) };
  }
}
