import type { ImportsService } from '../../services/imports/imports-service';
import { fingerprintBody, type FingerprintedBody } from '../http/body-fingerprint';
import { csvSource } from '../http/csv-source';
import { defineRoute, type RouteHost } from '../http/define-route';
import type { UploadTimeouts } from '../http/upload-body';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { ImportErrorSchema, ImportErrorsQuery, ImportQuery, ImportSchema } from '../schemas/imports';
import { z } from 'zod';

const accepted = (view: { id: string }) => ({
  status: 202,
  body: view,
  headers: { Location: `/v1/contacts/imports/${view.id}` },
});

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
      503: {
        description: 'Every upload slot of this server is busy, or the import could not be started; retry after Retry-After (problem+json)',
      },
    },
    // A replay shows the import as it is now; its Location header is rebuilt from the id.
    replay: { resource: 'contact_import', render: async ({ em, actor }, id) => accepted(await imports.get(em, actor, id)) },
    handler: async ({ em, actor, query, req, idempotency }) => {
      // The Idempotency-Key fingerprint is a running SHA-256 of the CSV bytes as read (after any gzip decoding).
      let upload: FingerprintedBody | undefined;
      const openSource = async () => (upload = fingerprintBody(await csvSource(req, timeouts))).stream;
      const staged = await imports.stage(em, actor, openSource, {
        phone: query.phone_column,
        name: query.name_column,
        optInSource: query.opt_in_source_column,
        optInIp: query.opt_in_ip_column,
        optInAt: query.opt_in_at_column,
        defaultCountry: query.default_country,
      });
      // The key is decided on the bytes, so only now: a repeat (or a refused key) drops what was just staged.
      let replay;
      try {
        replay = await idempotency.claim(upload!.digest());
      } catch (err) {
        await imports.discard(em, actor, staged);
        throw err;
      }
      if (replay) {
        await imports.discard(em, actor, staged);
        return replay;
      }
      return accepted(await imports.launch(em, actor, staged));
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
