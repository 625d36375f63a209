import pino from 'pino';

/** Paths that may carry secrets or recipient PII; they never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'password',
  'email',
  'apiKey',
  'key',
  'token',
  '*.token',
  'phone',
  'phones',
  'body',
  'attributes',
  '*.phone',
  '*.name',
  '*.body',
  '*.password',
  '*.email',
  '*.key',
  '*.attributes',
  'optIn.ip',
  '*.optIn.ip',
];

/** Our tokens (API keys msk_, sessions mss_, staff mst_, termination links mse_/msc_, …) all open with ms?_. */
const TOKEN_SEGMENT = /^ms[a-z]_/;

/** A request path as it may be logged: a segment that is one of our tokens (a signed link) is replaced. */
export function loggablePath(path: string): string {
  return path
    .split('/')
    .map((segment) => (TOKEN_SEGMENT.test(segment) ? '[redacted]' : segment))
    .join('/');
}

/** A second copy of every line at or above its own level, appended to a file (LOG_FILE / LOG_FILE_LEVEL). */
export interface LogFileCopy {
  path: string;
  level: string;
}

export function createLogger(level: string, name: string, destination?: pino.DestinationStream, copy?: LogFileCopy): pino.Logger {
  const options = { name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (!copy) return pino({ ...options, level }, destination);
  const streams: pino.StreamEntry[] = [
    { level: copy.level as pino.Level, stream: pino.destination({ dest: copy.path, append: true, mkdir: true, sync: true }) },
  ];
  if (level !== 'silent') streams.push({ level: level as pino.Level, stream: destination ?? pino.destination(1) });
  const rank = (l: string) => pino.levels.values[l] ?? Infinity;
  const lowest = level !== 'silent' && rank(level) < rank(copy.level) ? level : copy.level;
  return pino({ ...options, level: lowest }, pino.multistream(streams));
}
