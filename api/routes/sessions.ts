import type { SessionService } from '../../services/auth/sessions';
import type { HolderSessions } from '../../services/holders/holder-sessions';
import { defineRoute, type RouteHost } from '../http/define-route';
import { clearHolderCookie, setHolderCookie, type HolderCookiePolicy } from '../http/holder-cookie';
import { IdParams } from '../schemas/common';
import { AccountSwitchBody, MembershipSchema } from '../schemas/holders';
import { CreateSessionBody, RevokedSessionsSchema, SessionListSchema, SessionSchema } from '../schemas/sessions';
import { membershipRole } from '../../services/holders/memberships';
import { AppError } from '../../lib/errors';

export function sessionRoutes(host: RouteHost, sessions: SessionService, holderSessions: HolderSessions, cookie: HolderCookiePolicy): void {
  defineRoute(host, {
    method: 'post',
    path: '/v1/sessions',
    summary:
      'Sign in with email and password: sets the holder session cookie (12 h idle, 7 days at most) and answers a 15-minute token that can only manage API keys',
    tag: 'Accounts',
    auth: 'public',
    body: CreateSessionBody,
    responses: { 201: { description: 'Signed in (Set-Cookie carries the session)', schema: SessionSchema } },
    handler: async ({ em, body, req, res }) => {
      const signedIn = await sessions.create(em, body, req.ip ?? 'unknown', { sessions: holderSessions, userAgent: req.get('User-Agent') });
      if (signedIn.cookie) setHolderCookie(res, cookie, signedIn.cookie.token);
      return { status: 201, body: signedIn.body };
    },
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/sessions',
    summary: "The signed-in holder's sessions: created, last seen, user agent family, address truncated to /24 (IPv6 /48)",
    tag: 'Accounts',
    auth: { holder: true },
    responses: { 200: { description: 'Sessions, newest first', schema: SessionListSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await holderSessions.list(em, actor) }),
  });

  defineRoute(host, {
    method: 'delete',
    path: '/v1/sessions',
    summary: 'Revoke every session of the signed-in holder (this one too), at once',
    tag: 'Accounts',
    auth: { holder: true },
    responses: { 200: { description: 'How many ended', schema: RevokedSessionsSchema } },
    handler: async ({ em, actor, res }) => {
      const revoked = await holderSessions.revokeAll(em, actor);
      clearHolderCookie(res, cookie);
      return { status: 200, body: { revoked } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/sessions/sign-out',
    summary: 'Sign out: ends this session and clears the cookie',
    tag: 'Accounts',
    auth: { holder: true },
    responses: { 200: { description: 'Signed out', schema: RevokedSessionsSchema } },
    handler: async ({ em, actor, res }) => {
      await holderSessions.revoke(em, actor, actor.sessionId);
      clearHolderCookie(res, cookie);
      return { status: 200, body: { revoked: 1 } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/sessions/account',
    summary: 'Switch to another of your accounts: a new session token (new cookie) replaces this one',
    tag: 'Accounts',
    auth: { holder: true },
    body: AccountSwitchBody,
    responses: { 200: { description: 'Switched (Set-Cookie carries the new session)', schema: MembershipSchema } },
    handler: async ({ em, actor, body, req, res }) => {
      const opened = await em.transactional(async (tem) => {
        const role = await membershipRole(tem, actor.userId, body.accountId);
        const [active] = await tem.execute(`select 1 from accounts where id = ? and status = 'active'`, [body.accountId]);
        if (!role || !active) throw AppError.notFound('account');
        const session = await holderSessions.rotate(
          tem,
          actor,
          { address: req.ip ?? 'unknown', userAgent: req.get('User-Agent') },
          'account_switched',
          {
            accountId: body.accountId,
            role,
          },
        );
        return { session, role };
      });
      setHolderCookie(res, cookie, opened.session.token);
      return { status: 200, body: { accountId: body.accountId, role: opened.role } };
    },
  });

  defineRoute(host, {
    method: 'delete',
    path: '/v1/sessions/:id',
    summary: 'Revoke one of your sessions at once (404 for any other)',
    tag: 'Accounts',
    auth: { holder: true },
    params: IdParams,
    responses: { 200: { description: 'Revoked', schema: RevokedSessionsSchema } },
    handler: async ({ em, actor, params, res }) => {
      await holderSessions.revoke(em, actor, params.id);
      if (params.id === actor.sessionId) clearHolderCookie(res, cookie);
      return { status: 200, body: { revoked: 1 } };
    },
  });
}
