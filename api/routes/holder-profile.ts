import type { ConsentsService } from '../../services/holders/consents-service';
import type { EmailChange } from '../../services/holders/email-change';
import { holderPersonalData } from '../../services/holders/personal-data';
import type { PasswordChange } from '../../services/holders/password-change';
import type { ProfileService } from '../../services/holders/profile-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { setHolderCookie, type HolderCookiePolicy } from '../http/holder-cookie';
import { EmailChangeRequestBody, LinkRequestAcceptedSchema } from '../schemas/holders';
import { PasswordChangeBody, PersonalDataSchema, ProfilePatchBody, ProfileSchema } from '../schemas/holder-profile';

export interface HolderProfileServices {
  profiles: ProfileService;
  consents: ConsentsService;
  passwords: PasswordChange;
  emailChange: EmailChange;
  cookie: HolderCookiePolicy;
}

export function holderProfileRoutes(host: RouteHost, services: HolderProfileServices): void {
  const { profiles, consents, passwords } = services;
  const tag = 'Account holder';
  defineRoute(host, {
    method: 'get',
    path: '/v1/account/profile',
    summary: "The holder's profile: name, email, country, billing address, tax ID",
    tag,
    auth: { holder: true },
    responses: { 200: { description: 'The profile', schema: ProfileSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await profiles.get(em, actor.userId) }),
  });
  defineRoute(host, {
    method: 'patch',
    path: '/v1/account/profile',
    summary: 'Correct the profile: the fields named change (null clears one)',
    tag,
    auth: { holder: true },
    body: ProfilePatchBody,
    responses: { 200: { description: 'The profile', schema: ProfileSchema } },
    handler: async ({ em, actor, body }) => ({ status: 200, body: await profiles.update(em, actor.userId, body) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/account/personal-data',
    summary: 'Everything held about the holder themself, as JSON (profile, accounts, sessions, consents, sign-ins, billing)',
    tag,
    auth: { holder: true },
    responses: { 200: { description: 'The export', schema: PersonalDataSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await holderPersonalData(em, actor.userId, profiles, consents) }),
  });
  defineRoute(host, {
    method: 'post',
    path: '/v1/account/password',
    summary: 'Change the password (the current one is required); ends your other sessions and rotates this one (a new cookie)',
    tag,
    auth: { holder: true },
    body: PasswordChangeBody,
    responses: { 204: { description: 'Changed (Set-Cookie carries the rotated session)' } },
    handler: async ({ em, actor, body, req, res }) => {
      const rotated = await passwords.change(em, actor, body, { address: req.ip ?? 'unknown', userAgent: req.get('User-Agent') });
      setHolderCookie(res, services.cookie, rotated.token);
      return { status: 204 };
    },
  });
  defineRoute(host, {
    method: 'post',
    path: '/v1/account/email-change-requests',
    summary:
      'Change your sign-in email: re-enter your password; a link goes to the new address and the change applies only when it is used',
    tag,
    auth: { holder: true },
    body: EmailChangeRequestBody,
    responses: { 202: { description: 'Accepted: look in the new mailbox', schema: LinkRequestAcceptedSchema } },
    handler: async ({ em, actor, body, req }) => {
      await services.emailChange.request(em, actor, body, req.ip ?? 'unknown');
      return { status: 202, body: { status: 'accepted' } };
    },
  });
}
