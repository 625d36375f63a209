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

/**
 * Not blank and no NUL: at least one character that String.prototype.trim keeps (so the trimmed value
 * is never empty), spelled out so the OpenAPI pattern means the same to every validator.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be refused
const LABEL = /^[^\u0000]*[^\u0000\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff][^\u0000]*$/;

/** Free-text fields: bounded, not blank, storable, then trimmed. */
/** Free text of at most `max` characters (and, when given, at least `min`) that trimming does not empty. */
export const label = (max: number, min?: number) =>
  (min === undefined ? z.string() : z.string().min(min)).max(max).regex(LABEL, 'must not be blank or contain NUL characters').trim();
