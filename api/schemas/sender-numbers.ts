import { z } from 'zod';
import { SENDER_NUMBER_STATUSES } from '../../db/entities/sender-number';
import { label } from './common';

/** A US area code (NPA): three digits, not starting with 0 or 1. */
const AreaCode = z.string().regex(/^[2-9]\d{2}$/, 'must be a three-digit US area code');

export const SenderNumberBody = z
  .object({
    phone: z.string().min(1).max(40).optional().describe('A number from GET /v1/available-numbers'),
    areaCode: AreaCode.optional().describe('Order the first available number in this area code'),
    label: label(100).optional(),
  })
  .strict()
  .refine((b) => (b.phone === undefined) !== (b.areaCode === undefined), 'give exactly one of phone and areaCode');

export const SenderNumberSchema = z.object({
  id: z.uuid(),
  phone: z.string().describe('E.164'),
  label: z.string().nullable(),
  status: z
    .enum(SENDER_NUMBER_STATUSES)
    .describe(
      'ordering (at the carrier) → failover_pending (sends through the primary carrier; the failover registration is pending) → active → releasing → released; or order_failed',
    ),
  failureReason: z.string().nullable(),
  releasedAt: z.string().nullable(),
  createdAt: z.string(),
});

export const AvailableNumbersQuery = z
  .object({ areaCode: AreaCode.optional(), limit: z.coerce.number().int().min(1).max(50).default(10) })
  .strict();

export const AvailableNumbersSchema = z.object({ data: z.array(z.object({ phone: z.string().describe('E.164') })) });
