import { z } from 'zod';
import { API_KEY_SCOPES } from '../../db/entities/api-key';
import { isCursor } from '../../services/pagination';

export const IdParams = z.object({ id: z.uuid() }).strict();

export const PageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(200).refine(isCursor, 'is not a cursor returned by this API').optional(),
  })
  .strict();

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const Scopes = z.array(z.enum(API_KEY_SCOPES)).min(1);

/** Free-text fields: trimmed, non-empty, bounded. */
export const label = (max: number) => z.string().trim().min(1).max(max);
