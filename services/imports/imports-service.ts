import type { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client as TemporalClient } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { ContactImport } from '../../db/entities/contact-import';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { importProgressQuery, importWorkflowId } from '../../workflows/import-contacts';
import { startImportProcess } from './start-import-process';
import { NO_IMPORT_COUNTS } from '../../workflows/import-counts';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';
import type { DataKeyring } from '../keyring';
import type { ColumnOverrides } from './column-mapping';
import { stageCsv, type StageResult } from './csv-stager';
import { toImportProgress, type ImportProgress } from './import-summary';
import { DEFAULT_CHUNK_ROWS } from './staged-row';
import type { UploadSlots } from './upload-slots';
import { findAccountPage, toPage, type PageRequest } from '../pagination';

/** How long a view waits for the workflow's live progress before showing the stored counts. */
const LIVE_PROGRESS_DEADLINE_MS = 2_000;

export interface ImportsServiceDeps {
  /** Connections for COPY while an upload streams; sized to `uploadSlots`, apart from every other pool. */
  uploadPool: Pool;
  uploadSlots: UploadSlots;
  keyring: DataKeyring;
  temporal: TemporalClient;
  maxBytes: number;
  maxRows: number;
  chunkRows?: number;
  logger: Logger;
}

/** An upload read into staged chunks, not started yet. */
export interface StagedImport extends StageResult {
  importId: string;
}

/** How many row errors GET /v1/contacts/imports/:id shows inline; /errors pages through all. */
const ERROR_PREVIEW = 20;

interface RowErrorView {
  row: number;
  column: string | null;
  reason: string;
}

function toImportView(imp: ContactImport, live: ImportProgress | null, errorPreview: RowErrorView[]) {
  return {
    id: imp.id,
    workflowId: importWorkflowId(imp.id),
    mapping: { ...imp.mapping },
    ...toImportProgress(imp),
    failure: imp.failure ?? null,
    createdAt: imp.createdAt.toISOString(),
    completedAt: imp.completedAt?.toISOString() ?? null,
    live,
    errors: errorPreview,
    errorsUrl: `/v1/contacts/imports/${imp.id}/errors`,
  };
}

export class ImportsService {
  constructor(private readonly deps: ImportsServiceDeps) {}

  /**
   * An import starts in two steps, so the API can decide an Idempotency-Key on the body's bytes in
   * between: `stage` reads the whole upload into staged chunks, then `launch` hands it to a durable
   * ImportWorkflow (answering before any row is applied) or `discard` drops it. `openSource` is
   * called only once an upload slot is held, so a refused upload reads no body.
   */
  async stage(em: EntityManager, actor: AccountActor, openSource: () => Promise<Readable>, overrides: ColumnOverrides) {
    const release = this.deps.uploadSlots.take();
    let source: Readable | undefined;
    try {
      source = await openSource();
      return await this.stageSource(em, actor, source, overrides);
    } finally {
      source?.destroy(); // stops reading the request if staging never consumed it all
      release();
    }
  }

  private async stageSource(em: EntityManager, actor: AccountActor, source: Readable, overrides: ColumnOverrides): Promise<StagedImport> {
    const now = new Date();
    const imp = em.create(ContactImport, {
      id: uuidv7(now.getTime()),
      accountId: actor.accountId,
      status: 'receiving',
      mapping: { phone: '', defaultCountry: overrides.defaultCountry ?? 'US' },
      totalRows: 0,
      chunkCount: 0,
      processedRows: 0,
      ...NO_IMPORT_COUNTS,
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    try {
      const staged = await stageCsv(this.deps.uploadPool, source, {
        importId: imp.id,
        accountId: actor.accountId,
        dataKey: await this.deps.keyring.keyFor(em, actor.accountId),
        overrides,
        chunkRows: this.deps.chunkRows ?? DEFAULT_CHUNK_ROWS,
        maxBytes: this.deps.maxBytes,
        maxRows: this.deps.maxRows,
      });
      return { importId: imp.id, ...staged };
    } catch (err) {
      await this.discard(em, actor, { importId: imp.id });
      throw err;
    }
  }

  /** Drops an import that was staged but will not start (its chunks go with it). */
  async discard(em: EntityManager, actor: AccountActor, staged: Pick<StagedImport, 'importId'>): Promise<void> {
    await em.nativeDelete(ContactImport, { id: staged.importId, accountId: actor.accountId, status: 'receiving' });
  }

  /** Queues a staged import and starts its workflow. */
  async launch(em: EntityManager, actor: AccountActor, staged: StagedImport) {
    const importId = staged.importId;
    await em.transactional(async (tem) => {
      const row = await tem.findOneOrFail(ContactImport, { id: importId, accountId: actor.accountId });
      Object.assign(row, {
        mapping: staged.columns.mapping,
        totalRows: staged.totalRows,
        chunkCount: staged.chunkCount,
        status: 'queued',
        updatedAt: new Date(),
      });
      await auditByKey(tem, actor, 'contact_import.started', { type: 'contact_import', id: importId }, { totalRows: staged.totalRows });
    });
    try {
      await startImportProcess(this.deps.temporal, {
        importId,
        accountId: actor.accountId,
        totalRows: staged.totalRows,
        chunkCount: staged.chunkCount,
      });
    } catch (err) {
      // Staged but never started: say so on the import rather than leave it queued forever. Temporal's
      // own error text (addresses, internals) never reaches the client: the reason is stable.
      await em.nativeUpdate(
        ContactImport,
        { id: importId },
        { status: 'failed', failure: 'the import could not be started', updatedAt: new Date() },
      );
      throw new AppError('unavailable', 'the import could not be started; try again later', { retryAfterSeconds: 30, cause: err });
    }
    return this.get(em.fork(), actor, importId);
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const imp = await em.findOne(ContactImport, { id, accountId: actor.accountId });
    if (!imp) throw AppError.notFound('import');
    let live: ImportProgress | null = null;
    if (imp.status === 'queued' || imp.status === 'running') {
      // With no worker polling, a query waits out Temporal's own 30 s; the stored counts do instead.
      const handle = this.deps.temporal.workflow.getHandle(importWorkflowId(id));
      live = await this.deps.temporal
        .withDeadline(Date.now() + LIVE_PROGRESS_DEADLINE_MS, () => handle.query(importProgressQuery))
        .catch(() => null);
    }
    return toImportView(imp, live, await this.rowErrors(em, id, 0, ERROR_PREVIEW));
  }

  /** Newest first is what a customer scanning recent uploads wants; ids are time-ordered. */
  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    const rows = await findAccountPage(em, ContactImport, actor.accountId, page, 'desc');
    return toPage(rows, page.limit, (imp) => toImportView(imp, null, []));
  }

  async errors(em: EntityManager, actor: AccountActor, id: string, afterRow: number, limit: number) {
    const imp = await em.findOne(ContactImport, { id, accountId: actor.accountId });
    if (!imp) throw AppError.notFound('import');
    return { data: await this.rowErrors(em, id, afterRow, limit) };
  }

  private async rowErrors(em: EntityManager, importId: string, afterRow: number, limit: number): Promise<RowErrorView[]> {
    const rows = await em.execute<{ row_no: number; column_name: string | null; reason: string }[]>(
      'select row_no, column_name, reason from contact_import_errors where import_id = ? and row_no > ? order by row_no limit ?',
      [importId, afterRow, limit],
    );
    return rows.map((r) => ({ row: r.row_no, column: r.column_name, reason: r.reason }));
  }
}
