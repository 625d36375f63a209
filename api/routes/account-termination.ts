import type { ApiDeps } from '../../services/deps';
import { exportAccount } from '../../services/termination/account-export';
import type { TerminationService } from '../../services/termination/termination-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { ndjsonLines, streamGenerated } from '../http/stream-response';
import {
  AccountExportRecordSchema,
  ConfirmDeletionBody,
  ExportParams,
  TerminateAccountBody,
  TerminationSchema,
} from '../schemas/termination';

export function accountTerminationRoutes(host: RouteHost, deps: ApiDeps, terminations: TerminationService): void {
  defineRoute(host, {
    method: 'post',
    path: '/v1/account/termination',
    summary: 'Terminate the account: keys revoked and work stopped at once, an export link emailed, data deleted within 30 days',
    tag: 'Accounts',
    auth: 'admin',
    body: TerminateAccountBody,
    problems: [503],
    responses: {
      201: { description: 'The account is terminated; the termination process runs', schema: TerminationSchema },
      200: { description: 'The account was already terminated: its termination process', schema: TerminationSchema },
    },
    handler: async ({ actor, body }) => {
      const { created, termination } = await terminations.terminate(actor.accountId, {
        disposition: body.disposition,
        deleteEarly: body.deleteEarly ?? false,
        reason: null,
        requestedBy: { type: 'api_key', id: actor.apiKeyId },
      });
      return { status: created ? 201 : 200, body: termination };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/account/termination/confirm',
    summary: 'Confirm deletion now (the controller, with the token from the termination email: API keys are revoked by then)',
    tag: 'Accounts',
    auth: 'public',
    body: ConfirmDeletionBody,
    problems: [503],
    responses: { 200: { description: 'Deletion begins now', schema: TerminationSchema } },
    handler: async ({ body }) => {
      const accountId = await terminations.accountOfToken('confirm', body.token);
      return { status: 200, body: await terminations.confirm(accountId, { type: 'controller' }) };
    },
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/account/export/:token',
    summary: "A terminated account's data as NDJSON (the signed link from the termination email; works while the keys are revoked)",
    tag: 'Accounts',
    auth: 'public',
    params: ExportParams,
    responses: {
      200: {
        description:
          'application/x-ndjson, one record per line: account, contact (with opt-in metadata), list, list_membership, opt_out, message (metadata)',
        mediaType: 'application/x-ndjson',
        schema: AccountExportRecordSchema,
      },
    },
    handler: async ({ params, res }) => {
      const accountId = await terminations.accountOfToken('export', params.token);
      await streamGenerated(res, exportAccount(deps.exportPool, deps.keyring, accountId), {
        headers: {
          'Content-Type': 'application/x-ndjson; charset=utf-8',
          'Content-Disposition': `attachment; filename="massivesms-export-${accountId}.ndjson"`,
          'Cache-Control': 'no-store',
        },
        serialize: ndjsonLines,
        stallMs: deps.config.EXPORT_STALL_SECONDS * 1000,
        logger: deps.logger,
      });
      return { status: 200 };
    },
  });
}
