import type { ConsentsService } from '../../services/holders/consents-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { ConsentsBody, ConsentsSchema } from '../schemas/holder-consents';

export function holderConsentRoutes(host: RouteHost, consents: ConsentsService): void {
  const tag = 'Account holder';
  defineRoute(host, {
    method: 'get',
    path: '/v1/account/consents',
    summary: "The holder's consents (product analytics, marketing email): each in effect now, and the record of choices",
    tag,
    auth: { holder: true },
    responses: { 200: { description: 'Consents in effect and their history', schema: ConsentsSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await consents.current(em, actor.userId) }),
  });
  defineRoute(host, {
    method: 'put',
    path: '/v1/account/consents',
    summary: 'Give or withdraw consent per purpose; takes effect at once and is kept as a record',
    tag,
    auth: { holder: true },
    body: ConsentsBody,
    responses: { 200: { description: 'Consents in effect and their history', schema: ConsentsSchema } },
    handler: async ({ em, actor, body }) => ({ status: 200, body: await consents.record(em, actor, body) }),
  });
}
