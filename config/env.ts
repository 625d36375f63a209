import { isIP } from 'node:net';
import { z } from 'zod';
import { isWorkerRole, WORKER_ROLES } from '../workers/worker-roles';

/** An address or CIDR block (v4 or v6) Express may trust X-Forwarded-For from. */
const isAddressOrCidr = (entry: string) => {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
};

/** What c-ares' setServers takes: an address, a.b.c.d:port or [v6]:port. */
const isDnsServer = (entry: string) => {
  if (isIP(entry) !== 0) return true;
  const v4 = /^([\d.]+):(\d{1,5})$/.exec(entry);
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(entry);
  const port = Number((v4 ?? v6)?.[2]);
  return port <= 65535 && ((v4 !== null && isIP(v4[1]!) === 4) || (v6 !== null && isIP(v6[1]!) === 6));
};

const base64Key = z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded');

/** An env value listing items separated by commas (blank items dropped); empty by default. */
const commaSeparatedList = () =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e.length > 0),
    );

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Also appends every line at LOG_FILE_LEVEL or above to this file (the tests' log scan reads it). */
  LOG_FILE: z.string().min(1).max(4096).optional(),
  LOG_FILE_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** The app's login role: data access only, no DDL, audit tables insert-only. */
  DATABASE_URL: z.string().url().default('postgres://massivesms_app@127.0.0.1:5432/massivesms'),
  /** The schema owner, used only to migrate (`npm run migrate`, dev, tests); never by the API or worker. */
  DATABASE_OWNER_URL: z.string().url().optional(),
  /** Per process: the ORM pool, the plain pg pool (workers' chunk reads/writes) and the upload pool (API COPY). */
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
  PG_POOL_MAX: z.coerce.number().int().positive().default(4),
  /** Concurrent CSV uploads per API process; each holds one connection of its own pool while it streams. */
  IMPORT_UPLOAD_CONCURRENCY: z.coerce.number().int().positive().default(2),
  /** How long anything waits for a connection of any pool before giving up (the API answers 503 + Retry-After). */
  DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** Concurrent account exports per API process; each holds one connection of its own pool while it streams. */
  EXPORT_POOL_MAX: z.coerce.number().int().positive().default(2),
  /** On the export pool's connections: one statement may run this long. */
  EXPORT_STATEMENT_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(30),
  /** A download whose client reads nothing for this long is cut off (its connection and snapshot released). */
  EXPORT_STALL_SECONDS: z.coerce.number().int().positive().default(30),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Wraps every account's data key and derives the phone-hash and audit-MAC keys. */
  MASTER_KEY: base64Key,
  /** During a MASTER_KEY rotation: the old key, used only to unwrap what `npm run keys:rotate` has not rewrapped yet. */
  MASTER_KEY_PREVIOUS: base64Key.optional(),
  /** Unwrapped data keys are kept at most this long and this many per process (destroying is checked on every use). */
  KEYRING_CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(300),
  KEYRING_CACHE_MAX_ENTRIES: z.coerce.number().int().positive().default(10000),
  /** A checkpoint (entry count + head MAC) is written every this many audit entries. */
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().positive().default(1),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** Failed authentications (bad tokens and failed sign-ins) a minute, per client address (an IPv6 client by its /64). */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(10),
  /** New API keys an account may create an hour (shared store, across replicas). */
  API_KEY_CREATIONS_PER_HOUR: z.coerce.number().int().positive().default(60),
  /**
   * Comma-separated addresses or CIDR blocks of the reverse proxies in front of the API: only a peer
   * in this list has its X-Forwarded-For believed (client addresses feed every address limit).
   * Default none: the TCP peer is the client.
   */
  TRUSTED_PROXIES: commaSeparatedList().refine(
    (list) => list.length <= 64 && list.every(isAddressOrCidr),
    'must be a comma-separated list of IP addresses or CIDR blocks',
  ),
  /** Bearer token that /metrics requires; unset, /metrics is not served. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  REQUEST_BODY_LIMIT: z.string().default('1mb'),
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 * 1024 * 1024),
  IMPORT_MAX_ROWS: z.coerce.number().int().positive().default(10_000_000),
  IMPORT_UPLOAD_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(900),
  IMPORT_UPLOAD_IDLE_SECONDS: z.coerce.number().int().positive().default(30),
  /** How long a starting API or worker process waits for PostgreSQL and Temporal before it exits (to be restarted). */
  STARTUP_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  /** The built console (`npm run build:web`); default dist/web of this checkout. */
  CONSOLE_DIR: z.string().min(1).optional(),
  /** Where carriers and Stripe reach this deployment's /webhooks/* (callback URLs are built from it). */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** Carrier SDK timeout for one send; a timeout after the request was written is an ambiguous outcome. */
  CARRIER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Dispatcher workflows (`dispatch:<n>`) draining the outbox; more shards claim in parallel. */
  DISPATCH_SHARDS: z.coerce.number().int().min(1).max(64).default(2),
  /** Messages a shard claims per iteration (at most; an idle outbox gives fewer). */
  DISPATCH_BATCH_SIZE: z.coerce.number().int().min(1).max(2000).default(500),
  /** How long an ambiguous send waits for its receipt before the carrier is asked (lookup). */
  DISPATCH_RECONCILE_WAIT_MS: z.coerce.number().int().min(0).default(30_000),
  /** A campaign's send rate may not exceed this per sender number (messages per second). */
  CAMPAIGN_MAX_RATE_PER_SENDER: z.coerce.number().int().positive().default(100),
  /** The account's running and scheduled campaigns together may not exceed this (messages per second). */
  CAMPAIGN_MAX_RATE_PER_ACCOUNT: z.coerce.number().int().positive().default(1000),
  /** Telnyx (primary route). Unset base URL = the real API; npm run dev points it at the simulator. */
  TELNYX_API_KEY: z.string().min(1).optional(),
  TELNYX_BASE_URL: z.string().url().optional(),
  /** Base64 ed25519 public key Telnyx signs webhooks with. */
  TELNYX_PUBLIC_KEY: z.string().min(1).optional(),
  /** The Telnyx messaging profile ordered numbers are attached to (its webhooks point at /webhooks/telnyx). */
  TELNYX_MESSAGING_PROFILE_ID: z.string().min(1).max(100).default('massivesms-default'),
  /** Twilio (failover route). */
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_BASE_URL: z.string().url().optional(),
  /** Who signs the letter of authorization of Twilio hosted-SMS orders (the failover registration of our numbers). */
  TWILIO_HOSTING_ADDRESS_SID: z.string().min(1).max(64).default('AD00000000000000000000000000000000'),
  TWILIO_HOSTING_EMAIL: z.string().email().default('numbers@massivesms.example'),
  TWILIO_HOSTING_CONTACT_PHONE: z.string().min(1).max(20).default('+14155550100'),
  /** Resend (email). */
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: z.string().url().optional(),
  EMAIL_FROM: z.string().default('MassiveSMS <no-reply@massivesms.example>'),
  /** Stripe (billing). */
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_BASE_URL: z.string().url().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Printed by `npm run billing:setup`: the `sms_segments` Billing Meter and the two prices every subscription has. */
  STRIPE_METER_ID: z.string().min(1).max(255).optional(),
  STRIPE_PRICE_SEGMENTS: z.string().min(1).max(255).optional(),
  STRIPE_PRICE_PLATFORM: z.string().min(1).max(255).optional(),
  /** PostHog product analytics (holders only, pseudonymous, with consent): off without a project key. */
  POSTHOG_API_KEY: z.string().min(1).max(200).optional(),
  /** The PostHog ingestion host; the EU cloud unless set (tests: the simulator). */
  POSTHOG_HOST: z.string().url().default('https://eu.i.posthog.com'),
  /**
   * Google sign-in (OpenID Connect): off unless GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are set. The
   * issuer is Google's unless set (tests and npm run dev: the local OpenID provider); the redirect URL
   * is PUBLIC_BASE_URL + /v1/auth/google/callback unless set, and must be registered with the client.
   */
  GOOGLE_OIDC_ISSUER: z.string().url().default('https://accounts.google.com'),
  GOOGLE_CLIENT_ID: z.string().min(1).max(500).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).max(500).optional(),
  GOOGLE_REDIRECT_URL: z.string().url().optional(),
  /**
   * Comma-separated DNS servers (address or address:port) that resolve customer webhook hosts when
   * a URL is created or changed; default the system's resolvers.
   */
  WEBHOOK_DNS_SERVERS: commaSeparatedList().refine(
    (list) => list.length <= 8 && list.every(isDnsServer),
    'must be a comma-separated list of IP addresses (a.b.c.d:port or [v6]:port for another port)',
  ),
  /**
   * Comma-separated worker roles (task queues) this worker process serves, e.g. `messaging,campaigns`
   * to run one process per role; default (empty) every role.
   */
  WORKER_ROLES: commaSeparatedList()
    .refine((list) => list.every(isWorkerRole), `must be a comma-separated list of worker roles (${WORKER_ROLES.join(', ')})`)
    .transform((list) => list.filter(isWorkerRole)),
  /** One Stripe request's budget (default providers/billing/registry.ts); tests shorten it so ambiguous timeouts come quickly. */
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).optional(),
  /** Usage reporter workflows (`usage-report:<n>`); accounts are split among them by a hash of their id. */
  USAGE_REPORT_SHARDS: z.coerce.number().int().min(1).max(64).default(2),
  /** Meter event stream requests (each up to 100 events) per second, all shards together: a tenth of Stripe's 10,000/s. */
  USAGE_REPORT_RATE_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /** Usage rows one reporter pass takes at most. */
  USAGE_REPORT_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /** How often an idle reporter looks for new usage. */
  USAGE_REPORT_IDLE_POLL_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  /** Customer webhook URLs must be https to public addresses; 'true' also allows http and loopback (dev and tests only). */
  WEBHOOKS_ALLOW_LOOPBACK: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /**
   * On SIGTERM: how long the API lets in-flight requests finish (then cuts the rest) and a worker lets
   * running activities finish (then cancels them; the process ends SHUTDOWN_FORCE_AFTER_SECONDS later at the latest).
   */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(25),
  /** Requests one API process serves at once; more are answered 503 + Retry-After at once (api/load-shedder.ts). */
  API_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100_000).default(256),
});

/** Rules across variables: loopback webhooks are for dev and tests, never a production deployment. */
const checkedSchema = schema
  .refine((c) => !(c.NODE_ENV === 'production' && c.WEBHOOKS_ALLOW_LOOPBACK), {
    path: ['WEBHOOKS_ALLOW_LOOPBACK'],
    message: 'must not be true when NODE_ENV=production (customer webhooks would reach internal addresses)',
  })
  .refine((c) => !(c.NODE_ENV === 'production' && new URL(c.GOOGLE_OIDC_ISSUER).protocol !== 'https:'), {
    path: ['GOOGLE_OIDC_ISSUER'],
    message: 'must be https when NODE_ENV=production (plain http is for the local OpenID provider only)',
  });

export type AppConfig = z.infer<typeof schema>;

/** Parses the environment once; a missing or malformed variable stops the process with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = checkedSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${fields}`);
  }
  return parsed.data;
}
