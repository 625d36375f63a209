import type { CampaignRuns } from '../../services/campaigns/campaign-runs';
import type { CampaignsService } from '../../services/campaigns/campaigns-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import {
  CampaignBody,
  CampaignPatchBody,
  CampaignPreviewQuery,
  CampaignPreviewSchema,
  CampaignSchema,
  CampaignWithProgressSchema,
  LaunchedCampaignSchema,
} from '../schemas/campaigns';
import { IdParams, PageQuery, pageOf } from '../schemas/common';

export function campaignRoutes(host: RouteHost, campaigns: CampaignsService, runs: CampaignRuns): void {
  const tag = 'Campaigns';
  defineRoute(host, {
    method: 'post',
    path: '/v1/campaigns',
    summary: 'Create a campaign draft (the template is checked now: unknown placeholders are refused)',
    tag,
    auth: 'write',
    body: CampaignBody,
    responses: { 201: { description: 'Draft created', schema: CampaignSchema } },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await campaigns.create(em, actor, body) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/campaigns',
    summary: 'List campaigns, oldest first',
    tag,
    auth: 'read',
    query: PageQuery,
    responses: { 200: { description: 'A page of campaigns', schema: pageOf(CampaignSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await campaigns.list(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/campaigns/:id',
    summary: 'A campaign with its live progress',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The campaign', schema: CampaignWithProgressSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await runs.get(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'patch',
    path: '/v1/campaigns/:id',
    summary: 'Edit a draft (409 once launched)',
    tag,
    auth: 'write',
    params: IdParams,
    body: CampaignPatchBody,
    responses: { 200: { description: 'The campaign', schema: CampaignSchema } },
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await campaigns.update(em, actor, params.id, body) }),
  });
  defineRoute(host, {
    method: 'delete',
    path: '/v1/campaigns/:id',
    summary: 'Delete a draft (409 once launched)',
    tag,
    auth: 'write',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ em, actor, params }) => {
      await campaigns.remove(em, actor, params.id);
      return { status: 204 };
    },
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/campaigns/:id/preview',
    summary: 'The estimated segments and cost of the whole audience, and with contactId the message that contact would get',
    tag,
    auth: 'read',
    params: IdParams,
    query: CampaignPreviewQuery,
    responses: { 200: { description: 'The rendered message', schema: CampaignPreviewSchema } },
    handler: async ({ em, actor, params, query }) => ({
      status: 200,
      body: await campaigns.preview(em, actor, params.id, query.contactId),
    }),
  });
  defineRoute(host, {
    method: 'post',
    path: '/v1/campaigns/:id/launch',
    summary: 'Launch a draft: it starts at startAt (or now), and answers with the campaign and its progress',
    tag,
    auth: 'write',
    params: IdParams,
    problems: [402, 503],
    responses: {
      200: {
        description: 'Launched, with the estimate of its whole audience computed before anything was sent',
        schema: LaunchedCampaignSchema,
      },
    },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await runs.launch(em, actor, params.id) }),
  });
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    defineRoute(host, {
      method: 'post',
      path: `/v1/campaigns/:id/${action}`,
      summary: {
        pause: 'Pause: no new page after the one in flight',
        resume: 'Resume where it stopped (402 spend_cap_reached while the account is at its monthly spend cap)',
        cancel: 'Cancel: nothing more is sent; messages still in the outbox fail with campaign_cancelled',
      }[action],
      tag,
      auth: 'write',
      params: IdParams,
      problems: action === 'resume' ? [402, 503] : [503],
      responses: { 200: { description: 'The campaign and its new progress', schema: CampaignWithProgressSchema } },
      handler: async ({ em, actor, params }) => ({ status: 200, body: await runs.steer(em, actor, params.id, action) }),
    });
  }
}
