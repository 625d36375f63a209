import type { NestedForm } from './http-util';
import { StripeRequestError } from './stripe';
import type { MeterEventRecord } from './types';

const required = (form: NestedForm, key: string): string => {
  const value = form[key];
  if (typeof value !== 'string' || value.length === 0)
    throw new StripeRequestError(400, 'invalid_request_error', 'parameter_missing', `Missing required param: ${key}.`, key);
  return value;
};

const minuteAligned = (form: NestedForm, key: string): number => {
  const value = Number(required(form, key));
  if (!Number.isInteger(value) || value % 60 !== 0)
    throw new StripeRequestError(
      400,
      'invalid_request_error',
      'parameter_invalid',
      `${key} must be an integer Unix timestamp aligned to a minute boundary.`,
      key,
    );
  return value;
};

/**
 * `GET /v1/billing/meters/:id/event_summaries?customer&start_time&end_time` as the SDK's
 * `billing.meters.listEventSummaries` sends it: without `value_grouping_window`, one summary of the
 * customer's counted events (one per identifier) with start_time <= timestamp < end_time, summed.
 */
export function meterEventSummaries(events: Iterable<MeterEventRecord>, meterId: string, form: NestedForm): unknown {
  const customer = required(form, 'customer');
  const start = minuteAligned(form, 'start_time');
  const end = minuteAligned(form, 'end_time');
  if (end <= start)
    throw new StripeRequestError(400, 'invalid_request_error', 'parameter_invalid', 'end_time must be after start_time.', 'end_time');
  let total = 0;
  for (const e of events) if (e.customer === customer && e.timestamp >= start && e.timestamp < end) total += Number(e.value ?? 0);
  return {
    object: 'list',
    url: `/v1/billing/meters/${meterId}/event_summaries`,
    has_more: false,
    data: [
      {
        id: `mtrsum_${meterId}_${start}`,
        object: 'billing.meter_event_summary',
        aggregated_value: total,
        start_time: start,
        end_time: end,
        livemode: false,
        meter: meterId,
      },
    ],
  };
}
