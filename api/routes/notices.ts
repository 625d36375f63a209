import type { NoticesService } from '../../services/notices/notices-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { CustomerNoticesSchema, NoticesQuery } from '../schemas/notices';

export function noticeRoutes(host: RouteHost, notices: NoticesService): void {
  defineRoute(host, {
    method: 'get',
    path: '/v1/notices',
    summary: 'Notices to this account: breach notices, subprocessor and policy-change banners (newest first)',
    tag: 'Notices',
    auth: 'read',
    query: NoticesQuery,
    responses: { 200: { description: 'The notices shown now', schema: CustomerNoticesSchema } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await notices.list(em, actor, query.limit) }),
  });
}
