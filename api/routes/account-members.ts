import type { Invitations } from '../../services/holders/invitations';
import type { Members } from '../../services/holders/members';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams } from '../schemas/common';
import {
  InvitationBody,
  InvitationSchema,
  MemberListSchema,
  MemberRoleBody,
  MemberSchema,
  MembershipSchema,
  SignedInInvitationAcceptanceBody,
} from '../schemas/holders';

const MANAGERS = ['owner', 'admin'] as const;

/** The account's people: members and invitations (holder cookie only; owners and admins manage them). */
export function accountMemberRoutes(host: RouteHost, members: Members, invitations: Invitations): void {
  const tag = 'Account holder';
  defineRoute(host, {
    method: 'get',
    path: '/v1/account/members',
    summary: "The account's members (email, role, since, verified) and open invitations",
    tag,
    auth: { holder: true },
    responses: { 200: { description: 'Members, oldest first', schema: MemberListSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await members.list(em, actor) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/account/invitations',
    summary: 'Invite someone by email with a role (owner only by an owner); the link is emailed and works 7 days',
    tag,
    auth: { holder: true, roles: MANAGERS },
    body: InvitationBody,
    responses: { 201: { description: 'Invited', schema: InvitationSchema } },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await invitations.invite(em, actor, body) }),
  });

  defineRoute(host, {
    method: 'delete',
    path: '/v1/account/invitations/:id',
    summary: 'Withdraw an open invitation: its link stops working',
    tag,
    auth: { holder: true, roles: MANAGERS },
    params: IdParams,
    responses: { 204: { description: 'Withdrawn' } },
    handler: async ({ em, actor, params }) => {
      await invitations.revoke(em, actor, params.id);
      return { status: 204 };
    },
  });

  defineRoute(host, {
    method: 'patch',
    path: '/v1/account/members/:id',
    summary: "Change a member's role (owners only by an owner; the last owner stays); their session token rotates at its next use",
    tag,
    auth: { holder: true, roles: MANAGERS },
    params: IdParams,
    body: MemberRoleBody,
    responses: { 200: { description: 'The member', schema: MemberSchema } },
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await members.changeRole(em, actor, params.id, body.role) }),
  });

  defineRoute(host, {
    method: 'delete',
    path: '/v1/account/members/:id',
    summary: 'Remove a member (owners only by an owner; the last owner stays): their sessions in the account end at once',
    tag,
    auth: { holder: true, roles: MANAGERS },
    params: IdParams,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ em, actor, params }) => {
      await members.remove(em, actor, params.id);
      return { status: 204 };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/account/invitation-acceptances',
    summary: 'Accept an emailed invitation with the sign-in it was sent to (signed in, in any of your accounts)',
    tag,
    auth: { holder: true },
    body: SignedInInvitationAcceptanceBody,
    responses: {
      200: { description: 'You are a member of the account; switch to it with POST /v1/sessions/account', schema: MembershipSchema },
    },
    handler: async ({ em, actor, body, req }) => ({
      status: 200,
      body: await invitations.acceptSignedIn(em, actor, body.token, req.ip ?? 'unknown'),
    }),
  });
}
