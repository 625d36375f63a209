import { z } from 'zod';
import { API_KEY_SCOPES } from '../../db/entities/api-key';
import { isCursor } from '../../services/pagination';

export const IdParams = z.object({ id: z.uuid() }).strict();

export const PageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .min(1)
      .max(200)
      .refine(isCursor, 'is not a cursor returned by this API')
      .optional()
      .describe('Opaque: the nextCursor of the previous page, passed back unchanged. Any other value is refused with 422.'),
  })
  .strict();

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** Each scope at most once: a repeated scope is refused (422), not silently merged. */
export const Scopes = z
  .array(z.enum(API_KEY_SCOPES))
  .min(1)
  .max(API_KEY_SCOPES.length)
  .refine((s) => new Set(s).size === s.length, 'must not repeat a scope')
  .meta({ uniqueItems: true });

/** PostgreSQL text and jsonb cannot hold U+0000; refusing it here keeps it a 422, not a 500. */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be refused
export const NO_NUL = /^[^\u0000]*$/;

/** Free-text fields: trimmed, non-empty, bounded, storable. */
export const label = (max: number) => z.string().trim().min(1).max(max).regex(NO_NUL, 'must not contain NUL characters');
