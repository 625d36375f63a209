import type { TerminationService } from '../../services/termination/termination-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams } from '../schemas/common';
import { ReactivateBody, StaffTerminateBody, TerminationSchema } from '../schemas/termination';

/** Staff steering an account's termination; every action is audited with the staff user as actor. */
export function staffAccountRoutes(host: RouteHost, terminations: TerminationService): void {
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/accounts/:id/terminate',
    summary: 'Terminate an account (keys revoked and work stopped at once; data deleted within 30 days)',
    tag: 'Staff',
    auth: { staff: ['privacy', 'admin'] },
    params: IdParams,
    body: StaffTerminateBody,
    problems: [503],
    responses: {
      201: { description: 'The account is terminated; the termination process runs', schema: TerminationSchema },
      200: { description: 'The account was already terminated: its termination process', schema: TerminationSchema },
    },
    handler: async ({ actor, params, body }) => {
      const { created, termination } = await terminations.terminate(params.id, {
        disposition: body.disposition ?? 'delete',
        deleteEarly: body.deleteEarly ?? false,
        reason: body.reason,
        requestedBy: { type: 'staff', id: actor.staffUserId, sessionId: actor.staffSessionId, role: actor.role },
      });
      return { status: created ? 201 : 200, body: termination };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/accounts/:id/confirm-deletion',
    summary: "Begin a terminated account's deletion now (as the controller's confirmation would)",
    tag: 'Staff',
    auth: { staff: ['privacy', 'admin'] },
    params: IdParams,
    problems: [503],
    responses: { 200: { description: 'Deletion begins now', schema: TerminationSchema } },
    handler: async ({ actor, params }) => ({ status: 200, body: await terminations.confirm(params.id, { type: 'staff', actor }) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/accounts/:id/reactivate',
    summary: 'Reactivate a terminated account before its deletion begins (its API keys stay revoked: the holder creates new ones)',
    tag: 'Staff',
    auth: { staff: ['privacy', 'admin'] },
    params: IdParams,
    body: ReactivateBody,
    problems: [503],
    responses: { 200: { description: 'The account is active again', schema: TerminationSchema } },
    handler: async ({ actor, params, body }) => ({ status: 200, body: await terminations.reactivate(params.id, actor, body.reason) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/accounts/:id/termination',
    summary: "An account's termination: status, deadline, deletion progress per step, certificate",
    tag: 'Staff',
    auth: { staff: ['privacy', 'admin', 'support'] },
    params: IdParams,
    responses: { 200: { description: 'The termination', schema: TerminationSchema } },
    handler: async ({ params }) => ({ status: 200, body: await terminations.status(params.id) }),
  });
}
