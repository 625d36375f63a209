import { z } from 'zod';

/**
 * The only product-analytics events there are, each with the only properties it may carry: counts,
 * flags and a day, never a phone number, message body, email or name (README: what is collected).
 * The PostHog sink's before_send drops anything these schemas refuse.
 */
export const ANALYTICS_EVENTS = {
  holder_signed_in: z.object({ method: z.enum(['password', 'google']) }).strict(),
  contacts_imported: z.object({ imported: z.number().int().min(0), rejected: z.number().int().min(0) }).strict(),
  campaign_launched: z.object({ scheduled: z.boolean() }).strict(),
  messages_sent_daily: z
    .object({
      day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      count: z.number().int().min(0),
    })
    .strict(),
} as const;

export type AnalyticsEventName = keyof typeof ANALYTICS_EVENTS;
export type AnalyticsProperties<E extends AnalyticsEventName> = z.infer<(typeof ANALYTICS_EVENTS)[E]>;

/** Whether an event, as it is about to leave, is one of the above with exactly its allowed properties. */
export function isAllowedEvent(event: string, properties: Record<string, unknown>): boolean {
  if (!Object.hasOwn(ANALYTICS_EVENTS, event)) return false;
  return ANALYTICS_EVENTS[event as AnalyticsEventName].safeParse(properties).success;
}
