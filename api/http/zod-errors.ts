import type { ZodError } from 'zod';
import { AppError } from '../../lib/errors';

/** A zod failure as a validation problem naming every failing field. */
export function validationError(where: 'body' | 'query' | 'params' | 'headers', error: ZodError): AppError {
  const fields = error.issues.flatMap((issue) => {
    const base = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ field: `${base}.${k}`, reason: 'is not a known field' }));
    }
    return [{ field: base, reason: issue.message }];
  });
  return new AppError('validation', fields.map((f) => `${f.field}: ${f.reason}`).join('; '), { fields });
}
