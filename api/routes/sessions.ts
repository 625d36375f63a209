import type { SessionService } from '../../services/auth/sessions';
import { defineRoute, type RouteHost } from '../http/define-route';
import { CreateSessionBody, SessionSchema } from '../schemas/sessions';

export function sessionRoutes(host: RouteHost, sessions: SessionService): void {
  defineRoute(host, {
    method: 'post',
    path: '/v1/sessions',
    summary: 'Sign in with email and password: a 15-minute token that can only manage API keys (the way back in)',
    tag: 'Accounts',
    auth: 'public',
    body: CreateSessionBody,
    responses: { 201: { description: 'Session created', schema: SessionSchema } },
    handler: async ({ em, body, req }) => ({ status: 201, body: await sessions.create(em, body, req.ip ?? 'unknown') }),
  });
}
