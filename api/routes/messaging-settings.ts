import type { MessagingSettingsService } from '../../services/messaging/messaging-settings';
import { defineRoute, type RouteHost } from '../http/define-route';
import { MessagingSettingsBody, MessagingSettingsSchema } from '../schemas/messaging-settings';

export function messagingSettingsRoutes(host: RouteHost, settings: MessagingSettingsService): void {
  const tag = 'Messaging settings';
  defineRoute(host, {
    method: 'get',
    path: '/v1/account/messaging',
    summary: 'Company name and HELP text used in keyword replies',
    tag,
    auth: 'read',
    responses: { 200: { description: 'The settings, with the effective values', schema: MessagingSettingsSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await settings.get(em, actor) }),
  });
  defineRoute(host, {
    method: 'put',
    path: '/v1/account/messaging',
    summary: 'Replace the company name and HELP text (null restores a default)',
    tag,
    auth: 'write',
    body: MessagingSettingsBody,
    responses: { 200: { description: 'The settings, with the effective values', schema: MessagingSettingsSchema } },
    handler: async ({ em, actor, body }) => ({ status: 200, body: await settings.put(em, actor, body) }),
  });
}
