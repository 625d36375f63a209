import type { PoliciesService } from '../../services/policies/policies-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { PoliciesSchema, PolicyVersionSchema, PublishPolicyBody } from '../schemas/policies';

export function policyRoutes(host: RouteHost, policies: PoliciesService): void {
  defineRoute(host, {
    method: 'get',
    path: '/v1/policies',
    summary: 'The Privacy Policy and DPA versions in force now, and the upcoming ones',
    tag: 'Policies',
    auth: 'public',
    responses: { 200: { description: 'Per kind: in force and upcoming', schema: PoliciesSchema } },
    handler: async ({ em }) => ({ status: 200, body: await policies.current(em) }),
  });
}

export function staffPolicyRoutes(host: RouteHost, policies: PoliciesService): void {
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/policies',
    summary: 'Publish a Privacy Policy or DPA version (material: 30 days’ notice, emails and a banner) (policy:<kind>:<version>)',
    tag: 'Staff: policies',
    auth: { staff: ['privacy'] },
    body: PublishPolicyBody,
    problems: [503],
    responses: { 201: { description: 'The published version', schema: PolicyVersionSchema } },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await policies.publish(em, actor, body) }),
  });
}
