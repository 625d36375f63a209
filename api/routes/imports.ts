import type { ImportsService } from '../../services/imports/imports-service';
import { csvSource } from '../http/csv-source';
import { defineRoute, type RouteHost } from '../http/define-route';
import type { UploadTimeouts } from '../http/upload-body';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { ImportErrorSchema, ImportErrorsQuery, ImportQuery, ImportSchema } from '../schemas/imports';
import { z } from 'zod';

export function importRoutes(host: RouteHost, imports: ImportsService, timeouts: UploadTimeouts): void {
  const tag = 'Contact imports';
  defineRoute(host, {
    method: 'post',
    path: '/v1/contacts/imports',
    summary: 'Import contacts from CSV (streamed; any size). Answers 202 once the file is staged.',
    tag,
    auth: 'write',
    query: ImportQuery,
    streamBody: {
      mediaTypes: ['text/csv', 'multipart/form-data'],
      description:
        'A CSV file with a header row. Phone, name and opt-in columns are found by name or named in the query; other columns become attributes.',
    },
    responses: {
      202: { description: 'Import accepted', schema: ImportSchema },
      408: { description: 'The upload took longer than IMPORT_UPLOAD_TIMEOUT_SECONDS or stalled (problem+json)' },
      503: { description: 'Every upload slot of this server is busy; retry after Retry-After (problem+json)' },
    },
    handler: async ({ em, actor, query, req }) => {
      const view = await imports.start(em, actor, () => csvSource(req, timeouts), {
        phone: query.phone_column,
        name: query.name_column,
        optInSource: query.opt_in_source_column,
        optInIp: query.opt_in_ip_column,
        optInAt: query.opt_in_at_column,
        defaultCountry: query.default_country,
      });
      return { status: 202, body: view, headers: { Location: `/v1/contacts/imports/${view.id}` } };
    },
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/contacts/imports',
    summary: 'List imports, newest first (counts only; live progress and errors are on each import)',
    tag,
    auth: 'read',
    query: PageQuery,
    responses: { 200: { description: 'A page of imports', schema: pageOf(ImportSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await imports.list(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/contacts/imports/:id',
    summary: 'Import status, counts and live progress',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The import', schema: ImportSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await imports.get(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/contacts/imports/:id/errors',
    summary: 'Rows that were not imported, and why',
    tag,
    auth: 'read',
    params: IdParams,
    query: ImportErrorsQuery,
    responses: { 200: { description: 'Row errors in row order', schema: z.object({ data: z.array(ImportErrorSchema) }) } },
    handler: async ({ em, actor, params, query }) => ({
      status: 200,
      body: await imports.errors(em, actor, params.id, query.after_row, query.limit),
    }),
  });
}
