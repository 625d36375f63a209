import type { EntityManager } from '@mikro-orm/postgresql';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { Router, type Express, type Request, type Response } from 'express';
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
import { defaultConsoleDir, mountConsole } from './console';
import { closeConnectionsWhileDraining, type DrainState } from './drain';
import { loadShedder } from './load-shedder';
import { createMetrics, metricsRoute } from './metrics';
import { registerOperationalMetrics } from './operational-metrics';
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
import { usageRoutes } from './routes/usage';
import { UsageService } from '../services/billing/usage-service';
import { senderNumberRoutes } from './routes/sender-numbers';
import { carrierWebhooks } from './webhooks/carrier-webhooks';
import { stripeWebhookRouter } from './webhooks/stripe-webhook';
import { billingRoutes, staffBillingRoutes } from './routes/billing';
import { BillingService, TemporalDunningStarter } from '../services/billing/billing-service';
import { StripeEventApplier } from '../services/billing/stripe-event-applier';
import { createBillingProvider } from '../providers/billing/registry';
import { MessagesService } from '../services/messaging/messages-service';
import { MessagingSettingsService } from '../services/messaging/messaging-settings';
import { SenderNumbersService } from '../services/messaging/sender-numbers';
import { createNumberCarriers } from '../providers/sms/registry';
import type { NumberCarriers } from '../providers/sms/numbers';
import { sessionRoutes } from './routes/sessions';
import { googleSignInRoutes } from './routes/google-sign-in';
import { googleSignInFromConfig } from '../services/holders/google-sign-in';
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
import { holderConsentRoutes } from './routes/holder-consents';
import { holderProfileRoutes } from './routes/holder-profile';
import { ProfileService } from '../services/holders/profile-service';
import { PasswordChange } from '../services/holders/password-change';
import { ConsentsService } from '../services/holders/consents-service';
import { staffSubprocessorRoutes } from './routes/staff-subprocessors';
import { SubprocessorsService } from '../services/subprocessors/subprocessors-service';
import { NoticesService } from '../services/notices/notices-service';
import { BreachesService } from '../services/breaches/breaches-service';
import { DsrService } from '../services/dsr/dsr-service';
import { dataSubjectRequestRoutes } from './routes/data-subject-requests';
import { staffDataSubjectRequestRoutes } from './routes/staff-data-subject-requests';
import { EmailLinks } from '../services/holders/email-links';
import { HolderSessions, ROLE_SCOPES } from '../services/holders/holder-sessions';
import { holderCookiePolicy, holderCookieToken, requireSameOrigin, setHolderCookie } from './http/holder-cookie';
import { HolderVerification } from '../services/holders/holder-verification';
import { holderRoutes } from './routes/holders';
import { accountMemberRoutes } from './routes/account-members';
import { DeferredWork } from '../services/holders/deferred-work';
import { EmailChange } from '../services/holders/email-change';
import { Invitations } from '../services/holders/invitations';
import { LinkRequests } from '../services/holders/link-requests';
import { Members } from '../services/holders/members';
import { PasswordReset } from '../services/holders/password-reset';
import { VerificationResend } from '../services/holders/verification-resend';

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
  /** Set by api/server.ts on SIGTERM: /readyz fails and responses close their connections. */
  drain?: DrainState;
}

const DEFERRED_WORK = 'deferredWork';
const OPENAPI_DOCUMENT = 'openApiDocument';
/** The document /openapi.json answers (the console's typed client is generated from it). */
export const openApiDocumentOf = (app: Express): unknown => app.locals[OPENAPI_DOCUMENT];
/** The app's work after answers (emailed links of public requests): what shutdown and tests wait for. */
export const deferredWorkOf = (app: Express): DeferredWork => app.locals[DEFERRED_WORK] as DeferredWork;

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
  const authenticator = new ApiKeyAuthenticator(deps.pgPool, deps.keys.authDigestKey, authLimits);
  const sessions = new SessionService(authLimits, alerts, undefined, (userId, method) =>
    deps.analytics.capture(userId, 'holder_signed_in', { method }),
  );
  const holderSessions = new HolderSessions(authLimits);
  const cookiePolicy = holderCookiePolicy(deps.config);
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
  if (options.drain) app.use(closeConnectionsWhileDraining(options.drain));
  app.use(loadShedder(deps.config.API_MAX_IN_FLIGHT));
  app.use('/docs', helmet({ contentSecurityPolicy: false }), swaggerUi.serve, swaggerUi.setup(undefined, { swaggerUrl: '/openapi.json' }));
  app.use(helmet());
  app.use(carrierWebhooks(deps)); // before the JSON parser: carrier signatures are over the raw bytes
  const billingProvider = createBillingProvider(deps.config);
  const stripeEvents = billingProvider ? new StripeEventApplier(deps, billingProvider, new TemporalDunningStarter(deps.temporal)) : null;
  app.use(stripeWebhookRouter(deps, billingProvider, stripeEvents)); // before the JSON parser, like the carriers'
  app.use(express.json({ limit: deps.config.REQUEST_BODY_LIMIT, strict: true }));
  // Forked on first use: a request that never touches the ORM (the send path) allocates no unit of work.
  app.use((req, _res, next) => {
    let em: EntityManager | undefined;
    Object.defineProperty(req, 'em', { get: () => (em ??= deps.orm.em.fork()), configurable: true });
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
    async authenticate(req: Request, res: Response, allowSession) {
      const token = bearerToken(req);
      if (token === null && holderCookieToken(req, cookiePolicy) !== null) {
        const holder = await this.authenticateHolder(req, res);
        return { accountId: holder.accountId, apiKeyId: holder.sessionId, scopes: [...ROLE_SCOPES[holder.role]], holder };
      }
      if (token === null) throw new AppError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
      if (isStaffToken(token))
        throw new AppError('unauthorized', 'a staff token only works on /staff/v1/*; call this endpoint with an API key');
      const address = req.ip ?? 'unknown';
      const actor = isSessionToken(token)
        ? await sessions.authenticate(req.em, token, address)
        : await authenticator.authenticate(token, address, () => req.em);
      if ('sessionId' in actor && !allowSession) {
        throw new AppError('forbidden', 'a session token can only create, list and revoke API keys; call this endpoint with an API key');
      }
      takeRequest(res, 'sessionId' in actor ? actor.sessionId : actor.apiKeyId);
      return actor;
    },
    async authenticateHolder(req: Request, res: Response) {
      const token = holderCookieToken(req, cookiePolicy);
      if (token === null) throw new AppError('unauthorized', 'sign in with POST /v1/sessions: this endpoint takes the session cookie only');
      const holder = await holderSessions.authenticate(req.em, token, req.ip ?? 'unknown');
      if (holder.rotatedToken) setHolderCookie(res, cookiePolicy, holder.rotatedToken);
      requireSameOrigin(req, cookiePolicy);
      takeRequest(res, holder.sessionId);
      return holder;
    },
    async authenticateStaff(req: Request, res: Response) {
      const token = bearerToken(req);
      if (token === null || !isStaffToken(token)) {
        throw new AppError('unauthorized', 'send a staff token from POST /staff/v1/sessions as "Authorization: Bearer mst_…"');
      }
      const actor = await staffSessions.authenticate(req.em, token, req.ip ?? 'unknown');
      takeRequest(res, actor.staffSessionId);
      return actor;
    },
    publicRateLimit(req) {
      ipLimiter.take(clientLimitKey(req.ip ?? 'unknown'));
    },
    idempotency: new IdempotencyStore(deps.keyring),
  };

  healthRoutes(router, deps, options.drain);
  // Express tries routes in order: the send path, by far the busiest, goes first.
  messageRoutes(host, new MessagesService(deps));
  const holderLinks = new EmailLinks(deps.pgPool, deps.keys.authDigestKey);
  const holderMail = { email: createEmailSender(deps.config), apiBaseUrl: deps.config.PUBLIC_BASE_URL, logger: deps.logger };
  const deferredWork = new DeferredWork(deps.logger);
  app.locals[DEFERRED_WORK] = deferredWork;
  const linkRequests = new LinkRequests(deps.pgPool, deps.keys.authDigestKey, holderLinks, deferredWork);
  const linkDeps = { orm: deps.orm, links: holderLinks, limits: authLimits, mail: holderMail };
  const emailChange = new EmailChange({ ...linkDeps, deferred: deferredWork });
  const invitations = new Invitations(linkDeps);
  accountRoutes(host, deps, { links: holderLinks, mail: holderMail });
  holderRoutes(host, {
    verification: new HolderVerification(holderLinks, authLimits),
    resend: new VerificationResend({ ...linkDeps, requests: linkRequests }),
    passwordReset: new PasswordReset({ ...linkDeps, requests: linkRequests }),
    emailChange,
    invitations,
  });
  accountMemberRoutes(host, new Members(), invitations);
  apiKeyRoutes(host, { digestKey: deps.keys.authDigestKey, limits: authLimits });
  sessionRoutes(host, sessions, holderSessions, cookiePolicy);
  googleSignInRoutes(
    host,
    googleSignInFromConfig(deps.config, {
      sessions,
      holderSessions,
      limits: authLimits,
      signUp: { keyring: deps.keyring, authDigestKey: deps.keys.authDigestKey },
    }),
    cookiePolicy,
  );
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
  const usage = new UsageService(deps);
  usageRoutes(host, usage);
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
  const billing = new BillingService(deps, billingProvider);
  billingRoutes(host, billing, usage);
  staffBillingRoutes(host, billing, usage);
  const consents = new ConsentsService();
  holderConsentRoutes(host, consents);
  holderProfileRoutes(host, {
    profiles: new ProfileService({ pgPool: deps.pgPool, masters: deps.keys.master }),
    consents,
    passwords: new PasswordChange(authLimits, holderSessions),
    emailChange,
    cookie: cookiePolicy,
  });

  const openApi = buildOpenApiDocument(registry);
  app.locals[OPENAPI_DOCUMENT] = openApi;
  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  if (deps.config.METRICS_TOKEN) registerOperationalMetrics(metrics.registry, deps);
  metricsRoute(router, metrics.registry, deps.config.METRICS_TOKEN);
  for (const path of ['/healthz', '/readyz', '/openapi.json', ...(deps.config.METRICS_TOKEN ? ['/metrics'] : [])]) {
    recordRouteMethod(router, 'get', path);
  }

  mountConsole(app, deps.config.CONSOLE_DIR ?? defaultConsoleDir());
  app.use(optionsHandler(router));
  app.use(router);
  app.use(methodNotAllowedHandler(router));
  app.use(notFoundHandler);
  app.use(problemErrorHandler(deps.logger));
  return app;
}
