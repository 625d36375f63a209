import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { Router, type Request, type Response } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { dummyArgon2Hash } from '../lib/crypto/argon2';
import { AppError } from '../lib/errors';
import { loggablePath } from '../lib/logger';
import { clientLimitKey } from '../lib/net/client-address';
import { ApiKeyAuthenticator } from '../services/auth/api-key-authenticator';
import { AuthLimits } from '../services/auth/auth-limits';
import { SecurityAlerts } from '../services/auth/security-alerts';
import { createEmailSender } from '../providers/email/registry';
import type { EmailSender } from '../providers/email/email-sender';
import { isSessionToken, SessionService } from '../services/auth/sessions';
import { ContactsService } from '../services/contacts/contacts-service';
import { IdempotencyStore } from '../services/idempotency/idempotency-store';
import type { ApiDeps } from '../services/deps';
import { ImportsService } from '../services/imports/imports-service';
import { UploadSlots } from '../services/imports/upload-slots';
import { ListsService } from '../services/lists';
import { OptOutsService } from '../services/opt-outs';
import type { RouteHost } from './http/define-route';
import { methodNotAllowedHandler, optionsHandler, recordRouteMethod } from './http/method-not-allowed';
import { notFoundHandler, problemErrorHandler } from './http/problem';
import { healthRoutes } from './health';
import { createMetrics, metricsRoute } from './metrics';
import { RateLimiter } from './middleware/rate-limiter';
import { buildOpenApiDocument } from './openapi';
import { accountRoutes } from './routes/accounts';
import { apiKeyRoutes } from './routes/api-keys';
import { contactRoutes } from './routes/contacts';
import { importRoutes } from './routes/imports';
import { listRoutes } from './routes/lists';
import { optOutRoutes } from './routes/opt-outs';
import { messageRoutes } from './routes/messages';
import { messagingSettingsRoutes } from './routes/messaging-settings';
import { senderNumberRoutes } from './routes/sender-numbers';
import { carrierWebhooks } from './webhooks/carrier-webhooks';
import { MessagesService } from '../services/messaging/messages-service';
import { MessagingSettingsService } from '../services/messaging/messaging-settings';
import { SenderNumbersService } from '../services/messaging/sender-numbers';
import { createNumberCarriers } from '../providers/sms/registry';
import type { NumberCarriers } from '../providers/sms/numbers';
import { sessionRoutes } from './routes/sessions';
import { staffSessionRoutes } from './routes/staff-sessions';
import { staffUserRoutes } from './routes/staff-users';
import { isStaffToken, StaffSessionService } from '../services/staff/staff-sessions';
import { StaffEnrolmentService } from '../services/staff/staff-enrolments';
import { StaffUsersService } from '../services/staff/staff-users-service';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';
import { accountTerminationRoutes } from './routes/account-termination';
import { staffAccountRoutes } from './routes/staff-accounts';
import { TerminationKey } from '../services/termination/termination-key';
import { TerminationService } from '../services/termination/termination-service';
import { campaignRoutes } from './routes/campaigns';
import { CampaignsService } from '../services/campaigns/campaigns-service';
import { CampaignRuns } from '../services/campaigns/campaign-runs';
import { WebhookEndpointsService } from '../services/webhooks/webhook-endpoints-service';
import { staffBreachRoutes } from './routes/staff-breaches';
import { noticeRoutes } from './routes/notices';
import { subprocessorRoutes } from './routes/subprocessors';
import { policyRoutes, staffPolicyRoutes } from './routes/policies';
import { PoliciesService } from '../services/policies/policies-service';
import { staffSubprocessorRoutes } from './routes/staff-subprocessors';
import { SubprocessorsService } from '../services/subprocessors/subprocessors-service';
import { NoticesService } from '../services/notices/notices-service';
import { BreachesService } from '../services/breaches/breaches-service';
import { DsrService } from '../services/dsr/dsr-service';
import { dataSubjectRequestRoutes } from './routes/data-subject-requests';
import { staffDataSubjectRequestRoutes } from './routes/staff-data-subject-requests';

const SIGNUPS_PER_MINUTE_PER_IP = 30;

export interface AppOptions {
  /** Rows per staged import chunk; tests lower it to exercise many chunks with small files. */
  importChunkRows?: number;
  /** Time source of staff sign-in (TOTP steps, the 12-hour expiry); tests move it. */
  authClock?: () => number;
  /** Where security alerts are emailed; default the configured provider (none without RESEND_API_KEY). */
  alertEmail?: EmailSender | null;
  /** Time source of the notice processes' rules (breach awareness, 30-day notice periods, the policy in force); tests on a time-skipping server pass its clock. */
  noticeClock?: () => Date;
}

/** The credential of `Authorization: Bearer <token>`, or null without one. */
function bearerToken(req: Request): string | null {
  const header = req.get('Authorization');
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : null;
}

/** Builds the Express app without listening, so tests mount it directly. */
export function createApp(deps: ApiDeps, options: AppOptions = {}) {
  const app = express();
  const metrics = createMetrics();
  const authLimits = new AuthLimits(deps.pgPool, deps.keys.authDigestKey, {
    failuresPerMinute: deps.config.AUTH_FAILURES_PER_MINUTE,
    keyCreationsPerHour: deps.config.API_KEY_CREATIONS_PER_HOUR,
  });
  const alerts = new SecurityAlerts({
    email: options.alertEmail === undefined ? createEmailSender(deps.config) : options.alertEmail,
    logger: deps.logger,
  });
  const authenticator = new ApiKeyAuthenticator(deps.keys.authDigestKey, authLimits);
  const sessions = new SessionService(authLimits, alerts);
  const staffSessions = new StaffSessionService(authLimits, alerts, deps.keys.staffTotpKey, { clock: options.authClock });
  void dummyArgon2Hash(); // made now, so the first sign-in with an unknown email costs what the others cost
  const keyLimiter = new RateLimiter(deps.config.RATE_LIMIT_PER_MINUTE);
  const ipLimiter = new RateLimiter(SIGNUPS_PER_MINUTE_PER_IP);

  app.disable('x-powered-by');
  // No conditional GETs in this API: an ETag would only cost a SHA-1 of every response body.
  app.disable('etag');
  // X-Forwarded-For only from the configured proxies (none by default): client addresses feed every address limit.
  app.set('trust proxy', deps.config.TRUSTED_PROXIES.length > 0 ? deps.config.TRUSTED_PROXIES : false);
  // One line per request at info; below that level only errors are logged (by the problem handler),
  // so the per-request logger is not built at all.
  if (deps.logger.isLevelEnabled('info')) {
    app.use(
      pinoHttp({
        logger: deps.logger,
        serializers: {
          // Signed links carry their token in the path (GET /v1/account/export/:token): never logged.
          req: (req: { method: string; url: string }) => ({ method: req.method, path: loggablePath(req.url.split('?')[0] ?? '') }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
      }),
    );
  }
  app.use(metrics.observe);
  app.use('/docs', helmet({ contentSecurityPolicy: false }), swaggerUi.serve, swaggerUi.setup(undefined, { swaggerUrl: '/openapi.json' }));
  app.use(helmet());
  app.use(carrierWebhooks(deps)); // before the JSON parser: carrier signatures are over the raw bytes
  app.use(express.json({ limit: deps.config.REQUEST_BODY_LIMIT, strict: true }));
  app.use((req, _res, next) => {
    req.em = deps.orm.em.fork();
    next();
  });

  const router = Router();
  const registry = new OpenAPIRegistry();
  /** Charges the caller's (key's or session's) request budget and says what is left. */
  const takeRequest = (res: Response, caller: string) => {
    const { remaining } = keyLimiter.take(caller);
    res.setHeader('RateLimit-Limit', String(deps.config.RATE_LIMIT_PER_MINUTE));
    res.setHeader('RateLimit-Remaining', String(remaining));
  };
  const host: RouteHost = {
    router,
    registry,
    async authenticate(req: Request, res: Response, em, allowSession) {
      const token = bearerToken(req);
      if (token === null) throw new AppError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
      if (isStaffToken(token))
        throw new AppError('unauthorized', 'a staff token only works on /staff/v1/*; call this endpoint with an API key');
      const address = req.ip ?? 'unknown';
      const actor = isSessionToken(token)
        ? await sessions.authenticate(em, token, address)
        : await authenticator.authenticate(em, token, address);
      if ('sessionId' in actor && !allowSession) {
        throw new AppError('forbidden', 'a session token can only create, list and revoke API keys; call this endpoint with an API key');
      }
      takeRequest(res, 'sessionId' in actor ? actor.sessionId : actor.apiKeyId);
      return actor;
    },
    async authenticateStaff(req: Request, res: Response, em) {
      const token = bearerToken(req);
      if (token === null || !isStaffToken(token)) {
        throw new AppError('unauthorized', 'send a staff token from POST /staff/v1/sessions as "Authorization: Bearer mst_…"');
      }
      const actor = await staffSessions.authenticate(em, token, req.ip ?? 'unknown');
      takeRequest(res, actor.staffSessionId);
      return actor;
    },
    publicRateLimit(req) {
      ipLimiter.take(clientLimitKey(req.ip ?? 'unknown'));
    },
    idempotency: new IdempotencyStore(deps.keyring),
  };

  healthRoutes(router, deps);
  // Express tries routes in order: the send path, by far the busiest, goes first.
  messageRoutes(host, new MessagesService(deps));
  accountRoutes(host, deps);
  apiKeyRoutes(host, { digestKey: deps.keys.authDigestKey, limits: authLimits });
  sessionRoutes(host, sessions);
  importRoutes(
    host,
    new ImportsService({
      uploadPool: deps.uploadPool,
      uploadSlots: new UploadSlots(deps.config.IMPORT_UPLOAD_CONCURRENCY),
      keyring: deps.keyring,
      temporal: deps.temporal,
      maxBytes: deps.config.IMPORT_MAX_BYTES,
      maxRows: deps.config.IMPORT_MAX_ROWS,
      chunkRows: options.importChunkRows,
      logger: deps.logger,
    }),
    {
      totalMs: deps.config.IMPORT_UPLOAD_TIMEOUT_SECONDS * 1000,
      idleMs: deps.config.IMPORT_UPLOAD_IDLE_SECONDS * 1000,
    },
  );
  contactRoutes(host, new ContactsService(deps));
  listRoutes(host, new ListsService(deps));
  optOutRoutes(host, new OptOutsService(deps));
  let numberCarriers: NumberCarriers | undefined;
  senderNumberRoutes(
    host,
    new SenderNumbersService({
      pgPool: deps.pgPool,
      temporal: deps.temporal,
      numberCarriers: () => (numberCarriers ??= createNumberCarriers(deps.config)),
    }),
  );
  messagingSettingsRoutes(host, new MessagingSettingsService());
  webhookEndpointRoutes(host, new WebhookEndpointsService(deps));
  const campaigns = new CampaignsService(deps);
  campaignRoutes(host, campaigns, new CampaignRuns(deps, campaigns));
  const staffUsers = new StaffUsersService(deps.keys.staffTotpKey, options.authClock);
  staffSessionRoutes(host, staffSessions, staffUsers);
  staffUserRoutes(
    host,
    staffUsers,
    new StaffEnrolmentService({
      staffTotpKey: deps.keys.staffTotpKey,
      email: createEmailSender(deps.config),
      apiBaseUrl: deps.config.PUBLIC_BASE_URL,
      ...(options.authClock ? { clock: options.authClock } : {}),
    }),
  );
  staffBreachRoutes(host, new BreachesService(deps, options.noticeClock));
  noticeRoutes(host, new NoticesService(options.noticeClock));
  const subprocessors = new SubprocessorsService(deps, options.noticeClock);
  subprocessorRoutes(host, subprocessors);
  staffSubprocessorRoutes(host, subprocessors);
  const policies = new PoliciesService(deps, options.noticeClock);
  policyRoutes(host, policies);
  staffPolicyRoutes(host, policies);
  const dsrs = new DsrService(deps);
  dataSubjectRequestRoutes(host, dsrs, deps);
  staffDataSubjectRequestRoutes(host, dsrs);
  const terminations = new TerminationService({
    pgPool: deps.pgPool,
    temporal: deps.temporal,
    terminationKey: new TerminationKey(deps.pgPool, deps.keys.master),
  });
  accountTerminationRoutes(host, deps, terminations);
  staffAccountRoutes(host, terminations);

  const openApi = buildOpenApiDocument(registry);
  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  metricsRoute(router, metrics.registry, deps.config.METRICS_TOKEN);
  for (const path of ['/healthz', '/readyz', '/openapi.json', ...(deps.config.METRICS_TOKEN ? ['/metrics'] : [])]) {
    recordRouteMethod(router, 'get', path);
  }

  app.use(optionsHandler(router));
  app.use(router);
  app.use(methodNotAllowedHandler(router));
  app.use(notFoundHandler);
  app.use(problemErrorHandler(deps.logger));
  return app;
}
