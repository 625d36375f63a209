/**
 * PostgreSQL errors that are about the data itself, so writing the same row again cannot succeed.
 * Their driver text quotes values (PII), so only the SQLSTATE class chooses a stable reason.
 */
const DATA_ERROR_REASONS: Record<string, string> = {
  '22': 'the database refused a value of this row',
  '23': 'the database refused this row (a constraint)',
  '54': 'a value of this row is beyond a database limit',
};

/** The unique violation the applier resolves itself (on conflict), or a concurrent writer's: worth a retry. */
const UNIQUE_VIOLATION = '23505';

export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The stable row-error reason for a data error, or null when the error is not about the row's data. */
export function rowRejectionReason(err: unknown): string | null {
  const state = sqlStateOf(err);
  if (state === undefined || state === UNIQUE_VIOLATION) return null;
  return DATA_ERROR_REASONS[state.slice(0, 2)] ?? null;
}

/** PostgreSQL text cannot hold U+0000; a header or reason that carries one is stored with U+FFFD. */
export function storableText<T extends string | null>(value: T): T {
  return (value === null ? null : value.replaceAll('\0', '\uFFFD')) as T;
}
