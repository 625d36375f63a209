import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z, type ZodObject, type ZodType } from 'zod';
import type { ApiKeyScope } from '../../db/entities/api-key';
import { AppError } from '../../lib/errors';
import { isSessionActor, type AccountActor, type KeyManager, type StaffActor } from '../../services/actor';
import { MEMBERSHIP_ROLES, type MembershipRole } from '../../db/entities/account-membership';
import { ROLE_SCOPES, type HolderActor } from '../../services/holders/holder-sessions';
import type { StaffRole } from '../../services/staff/staff-roles';
import type { IdempotencyStore } from '../../services/idempotency/idempotency-store';
import { IdempotencyGate, jsonBodyDigest, type ReplayRule } from './idempotency';
import { isLiteralKnownPath, recordRouteMethod } from './method-not-allowed';
import { ProblemSchema } from './problem-schema';
import type { RouteContext, RouteResult } from './route-context';
import { validationError } from './zod-errors';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/**
 * 'public' needs no key; a scope needs an API key with that scope, or a holder's session cookie
 * whose membership role admits it; `orSession` also admits the account holder's session token
 * (POST /v1/sessions), for key management only. `staff` needs a staff token (POST /staff/v1/sessions)
 * whose user has one of the listed roles, and nothing else. `holder` is the account holder's own
 * data (profile, consents, members): a holder session only, never an API key.
 */
export type RouteAuth = 'public' | ApiKeyScope | ScopeAuth | StaffAuth | HolderAuth;
export interface ScopeAuth {
  scope: ApiKeyScope;
  orSession?: true;
  /** The membership roles admitted through the cookie, when not those whose scopes include `scope` (billing routes admit the billing role). */
  holderRoles?: readonly MembershipRole[];
}
export interface StaffAuth {
  staff: readonly StaffRole[];
}
/** The account holder's own things (their sessions): only the session cookie, never an API key; `roles` narrows who (default every role). */
export interface HolderAuth {
  holder: true;
  roles?: readonly MembershipRole[];
}
type ActorOf<A extends RouteAuth> = A extends StaffAuth
  ? StaffActor
  : A extends HolderAuth
    ? HolderActor
    : A extends { orSession: true }
      ? KeyManager
      : AccountActor;
/** Staff and holder routes keep no Idempotency-Key answers, so they declare no replay rule. */
type ReplayOf<A extends RouteAuth> = A extends StaffAuth | HolderAuth ? never : ReplayRule<ActorOf<A> & KeyManager>;

const isStaffAuth = (auth: RouteAuth): auth is StaffAuth => typeof auth === 'object' && 'staff' in auth;
const isHolderAuth = (auth: RouteAuth): auth is HolderAuth => typeof auth === 'object' && 'holder' in auth;

/**
 * The membership roles a route admits through the holder cookie: those declared, else every role
 * whose API-key scopes (ROLE_SCOPES) include the route's scope. Null for public and staff routes.
 */
export function holderRolesOf(auth: RouteAuth): readonly MembershipRole[] | null {
  if (auth === 'public' || isStaffAuth(auth)) return null;
  if (isHolderAuth(auth)) return auth.roles ?? MEMBERSHIP_ROLES;
  if (typeof auth === 'object' && auth.holderRoles) return auth.holderRoles;
  const scope = typeof auth === 'string' ? auth : auth.scope;
  return MEMBERSHIP_ROLES.filter((role) => ROLE_SCOPES[role].includes(scope));
}

/** Who manages billing through the cookie (a card, the spend cap): the billing role beside owner and admin, never a developer. */
export const BILLING_MANAGERS: readonly MembershipRole[] = ['owner', 'admin', 'billing'];

function requireHolderRole(role: MembershipRole, auth: RouteAuth): void {
  const roles = holderRolesOf(auth) ?? [];
  if (!roles.includes(role)) {
    throw new AppError('forbidden', `your role in this account (${role}) does not allow this; it needs ${roles.join(' or ')}`);
  }
}

/** The OpenAPI security schemes: customers' API keys (and sessions) and staff tokens are separate credentials. */
export const CUSTOMER_SECURITY_SCHEME = 'bearerAuth';
export const STAFF_SECURITY_SCHEME = 'staffToken';
/** The account holder's session cookie (POST /v1/sessions sets it); accepted wherever an API key is, with the membership role's rights. */
export const HOLDER_SECURITY_SCHEME = 'holderSession';

export interface RouteSpec<P extends ZodObject, Q extends ZodObject, B extends ZodType, A extends RouteAuth = RouteAuth> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  /** The request body is a stream of this media type (not JSON); the handler reads req itself. */
  streamBody?: { mediaTypes: string[]; description: string };
  /** `mediaType` (default application/json) names what a streamed answer is, `schema` then describing one record of it. */
  responses: Record<number, { description: string; schema?: ZodType; mediaType?: string }>;
  /** Problem statuses this route can answer beyond the common ones (e.g. 503 when Temporal is down). */
  problems?: number[];
  /** How the answer is kept for an Idempotency-Key replay (default 'sealed'); see ReplayRule. */
  replay?: ReplayOf<A>;
  handler: (ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>, ActorOf<A>>) => Promise<RouteResult>;
}

export interface RouteHost {
  router: Router;
  registry: OpenAPIRegistry;
  /** Resolves the caller from the Authorization header and charges its rate limit; sessions only where allowed. */
  /** The request's EntityManager is `req.em` (forked when first read): the API-key path needs none. */
  authenticate: (req: Request, res: Response, allowSession: boolean) => Promise<KeyManager>;
  /** Resolves the holder's session cookie (and checks a mutation came from our origin); any other credential is refused. */
  authenticateHolder: (req: Request, res: Response) => Promise<HolderActor>;
  /** Resolves a staff token; any other credential is refused. */
  authenticateStaff: (req: Request, res: Response) => Promise<StaffActor>;
  publicRateLimit: (req: Request) => void;
  idempotency: IdempotencyStore;
}

const EMPTY = z.object({}).strict();

/** What api/http/idempotency.ts accepts; the OpenAPI document declares it on every mutating authenticated operation. */
const IdempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/)
    .optional()
    .describe('1-255 visible ASCII characters. A repeat of the same request with the same key gets the first response again.'),
});
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parse<T extends ZodType>(where: 'body' | 'query' | 'params', schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/** The operation's security requirement: a staff route lists its roles (OpenAPI 3.1 role names). */
function securityOf(auth: RouteAuth): RouteConfig['security'] {
  if (auth === 'public') return undefined;
  if (isStaffAuth(auth)) return [{ [STAFF_SECURITY_SCHEME]: [...auth.staff] }];
  // OpenAPI 3.1 role names: the membership roles the holder cookie must carry.
  const roles = [...(holderRolesOf(auth) ?? [])];
  if (isHolderAuth(auth)) return [{ [HOLDER_SECURITY_SCHEME]: roles }];
  return [{ [CUSTOMER_SECURITY_SCHEME]: [] }, { [HOLDER_SECURITY_SCHEME]: roles }];
}

function register(host: RouteHost, spec: RouteSpec<ZodObject, ZodObject, ZodType>): void {
  const authenticated = spec.auth !== 'public';
  const staff = isStaffAuth(spec.auth) || isHolderAuth(spec.auth);
  // 503: any route may find every database connection busy (database_busy, with Retry-After).
  const errorStatuses = [
    ...new Set([400, 401, ...(authenticated ? [403] : []), 404, 409, 413, 415, 422, 429, 503, ...(spec.problems ?? [])]),
  ];
  const security = securityOf(spec.auth);
  const route: RouteConfig = {
    method: spec.method,
    path: openApiPath(spec.path),
    summary: spec.summary,
    ...(isStaffAuth(spec.auth) ? { description: `Staff roles allowed: ${spec.auth.staff.join(', ')}.` } : {}),
    ...(isHolderAuth(spec.auth)
      ? { description: "The account holder's own data: a holder session token only (API keys are refused)." }
      : {}),
    tags: [spec.tag],
    ...(security ? { security } : {}),
    request: {
      ...(authenticated && !staff && spec.method !== 'get' ? { headers: IdempotencyHeaders } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.body ? { body: { required: true, content: { 'application/json': { schema: spec.body } } } } : {}),
      ...(spec.streamBody
        ? {
            body: {
              required: true,
              description: spec.streamBody.description,
              content: Object.fromEntries(spec.streamBody.mediaTypes.map((m) => [m, { schema: z.string() }])),
            },
          }
        : {}),
    },
    responses: {
      ...Object.fromEntries(
        Object.entries(spec.responses).map(([status, r]) => [
          status,
          { description: r.description, ...(r.schema ? { content: { [r.mediaType ?? 'application/json']: { schema: r.schema } } } : {}) },
        ]),
      ),
      ...Object.fromEntries(
        errorStatuses
          .filter((s) => !(s in spec.responses))
          .map((s) => [s, { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: ProblemSchema } } }]),
      ),
    },
  };
  host.registry.registerPath(route);
}

/** Declares a route once: validation, auth, idempotency, the handler, and its OpenAPI entry. */
export function defineRoute<
  P extends ZodObject = typeof EMPTY,
  Q extends ZodObject = typeof EMPTY,
  B extends ZodType = typeof EMPTY,
  A extends RouteAuth = RouteAuth,
>(host: RouteHost, spec: RouteSpec<P, Q, B, A>): void {
  register(host, spec);
  recordRouteMethod(host.router, spec.method, spec.path);
  host.router[spec.method](spec.path, async (req, res, next) => {
    // `/v1/contacts/:id` also matches `/v1/contacts/imports`, which is a resource of its own.
    if (spec.params && isLiteralKnownPath(host.router, req.path)) {
      next();
      return;
    }
    let actor: KeyManager | undefined;
    let staffActor: StaffActor | HolderActor | undefined;
    const auth: RouteAuth = spec.auth;
    if (auth === 'public') {
      host.publicRateLimit(req);
    } else if (isHolderAuth(auth)) {
      const holder = await host.authenticateHolder(req, res);
      requireHolderRole(holder.role, auth);
      staffActor = holder;
    } else if (isStaffAuth(auth)) {
      staffActor = await host.authenticateStaff(req, res);
      if (!auth.staff.includes(staffActor.role)) {
        throw new AppError('forbidden', `this endpoint is for staff with the role ${auth.staff.join(' or ')}; yours is ${staffActor.role}`);
      }
    } else {
      const scope = typeof auth === 'string' ? auth : auth.scope;
      actor = await host.authenticate(req, res, typeof auth === 'object' && auth.orSession === true);
      if (!isSessionActor(actor) && actor.holder) requireHolderRole(actor.holder.role, auth);
      else if (!isSessionActor(actor) && !actor.scopes.includes(scope)) {
        throw new AppError('forbidden', `this API key lacks the "${scope}" scope`);
      }
    }
    const params = parse('params', spec.params ?? EMPTY, req.params);
    const query = parse('query', spec.query ?? EMPTY, req.query);
    let body: unknown = undefined;
    if (spec.streamBody) {
      if (!spec.streamBody.mediaTypes.some((m) => req.is(m))) {
        throw new AppError('unsupported_media_type', `send the body as ${spec.streamBody.mediaTypes.join(' or ')}`);
      }
    } else if (spec.body) {
      if (!req.is('application/json')) throw new AppError('unsupported_media_type', 'send the body as application/json');
      body = parse('body', spec.body, req.body);
    } else if (req.body !== undefined && Object.keys(req.body as object).length > 0) {
      throw new AppError('validation', 'this endpoint takes no request body', { fields: [{ field: 'body', reason: 'must be empty' }] });
    }
    const idempotency = new IdempotencyGate(
      host.idempotency,
      () => req.em,
      actor,
      req.get('Idempotency-Key'),
      { method: spec.method, path: req.path, query },
      // The gate renders with the same actor this route authenticated, so ActorOf<A> holds at run time.
      (spec.replay ?? 'sealed') as ReplayRule,
    );
    const ctx = {
      params,
      query,
      body,
      actor: staffActor ?? actor,
      get em() {
        return req.em;
      },
      req,
      res,
      idempotency,
    } as RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>, ActorOf<A>>;
    // A streamed body is fingerprinted by its bytes, so its handler claims the key once it has read them.
    const replay = spec.streamBody ? null : await idempotency.claim(jsonBodyDigest(body));
    let result: RouteResult & { replayed?: boolean };
    if (replay) {
      result = replay;
    } else {
      try {
        result = await spec.handler(ctx);
      } catch (err) {
        await idempotency.release();
        throw err;
      }
      if (!('replayed' in result && result.replayed)) await idempotency.complete(result);
    }
    if (res.headersSent) return; // the handler streamed its answer itself
    if ('replayed' in result && result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
    if (result.body === undefined) res.status(result.status).end();
    else res.status(result.status).json(result.body);
  });
}
