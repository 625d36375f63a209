import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { ContactImport } from '../db/entities/contact-import';
import { appendAudit } from '../services/audit-log';
import type { DataKey } from '../lib/crypto/sealed-field';
import type { ServiceDeps } from '../services/deps';
import { DataKeyDestroyedError } from '../services/keyring';
import { applyChunk, type ApplyHint, type ChunkCounts } from '../services/imports/chunk-applier';
import { toImportProgress, type ImportProgress } from '../services/imports/import-summary';
import type { PackedChunk } from '../services/imports/chunk-preparation';
import { FileOrderDedupe } from '../services/imports/file-order-dedupe';
import { AppliedPrefix } from '../services/imports/applied-prefix';
import { readStagedChunk } from '../services/imports/staged-chunk-store';
import { appliedChunks, recordImportProgress, sumChunkResults } from '../services/imports/import-progress-store';
import { CoalescedTask } from '../lib/coalesced-task';
import { classifyImportError, importFailure } from './import-failures';
import { ChunkPreparationError, PreparePool } from './prepare-pool';

export interface ChunkRange {
  importId: string;
  accountId: string;
  fromChunk: number;
  toChunk: number;
}

interface ChunkHeartbeat {
  /** Every chunk before it is applied. */
  nextChunk: number;
}

/** Chunks applied side by side, each in its own transaction on its own connection. */
export const APPLY_CONCURRENCY = 3;

/** The staged rows are PII; once an import has ended they go. Chunk rows stay for their row counts. */
async function discardStagedRows(em: EntityManager, importId: string): Promise<void> {
  await em.execute('update contact_import_chunks set payload = ? where import_id = ?', [Buffer.alloc(0), importId]);
}

/** The import's workflow is the actor of its ending. */
function auditImportEnd(em: EntityManager, imp: ContactImport, action: string, details: Record<string, unknown>): Promise<void> {
  return appendAudit(em, {
    actorType: 'system',
    actorId: `import:${imp.id}`,
    accountId: imp.accountId,
    action,
    targetType: 'contact_import',
    targetId: imp.id,
    details,
  });
}

export function createImportActivities(deps: ServiceDeps) {
  const { orm, pgPool, keyring, keys } = deps;

  /** The account's key, checked against its row on every use; a destroyed key ends the import (no retry can help). */
  async function dataKeyFor(em: EntityManager, accountId: string): Promise<DataKey> {
    try {
      return await keyring.keyFor(em, accountId);
    } catch (err) {
      if (err instanceof DataKeyDestroyedError) throw importFailure('the account data key has been destroyed', 'AccountDataKeyDestroyed');
      throw err;
    }
  }

  let pool: PreparePool | undefined;
  const preparePool = () => (pool ??= new PreparePool());

  /** Fetches a staged chunk and has a preparation thread decrypt, validate and seal it. */
  async function loadPrepared(imp: ContactImport, dataKey: DataKey, chunkNo: number): Promise<{ prepared: PackedChunk; rowCount: number }> {
    const chunk = await readStagedChunk(pgPool, imp.id, chunkNo);
    // Retrying cannot bring staged rows back: fail the import instead of retrying forever.
    if (!chunk || chunk.payload.length === 0) {
      throw importFailure(`staged chunk ${chunkNo} is missing`, 'StagedChunkMissing', { chunkNo });
    }
    const packed = await preparePool()
      .run({ payload: chunk.payload, importId: imp.id, chunkNo, dataKey, phoneHashKey: keys.phoneHashKey, mapping: imp.mapping })
      .catch((err: unknown) => {
        if (!(err instanceof ChunkPreparationError)) throw err;
        throw importFailure(`staged chunk ${chunkNo} could not be read`, 'StagedChunkUnreadable', { chunkNo }, err);
      });
    return { prepared: packed, rowCount: chunk.rowCount };
  }

  const activities = {
    async markImportRunning(importId: string): Promise<void> {
      await pgPool.query(`update contact_imports set status = 'running', updated_at = now() where id = $1 and status = 'queued'`, [
        importId,
      ]);
    },

    /**
     * Applies chunks [fromChunk, toChunk) as a pipeline: several chunks are prepared on the
     * preparation threads ahead of time, admitted in file order (first row wins, see
     * FileOrderDedupe), and applied APPLY_CONCURRENCY at a time. The heartbeat carries the first
     * chunk not yet applied; a retry resumes there, skips the chunks an earlier attempt applied,
     * and the chunk claims make any overlap harmless.
     */
    async processImportChunks(range: ChunkRange): Promise<ChunkCounts> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as ChunkHeartbeat | undefined;
      const start = Math.max(range.fromChunk, resumed?.nextChunk ?? range.fromChunk);
      const em = orm.em.fork();
      const imp = await em.findOneOrFail(ContactImport, { id: range.importId, accountId: range.accountId });
      let dataKey = await dataKeyFor(em, imp.accountId);
      const applied = await appliedChunks(pgPool, imp.id, start, range.toChunk);
      const todo: number[] = [];
      for (let chunkNo = start; chunkNo < range.toChunk; chunkNo++) if (!applied.has(chunkNo)) todo.push(chunkNo);

      const prefix = new AppliedPrefix(start, applied);
      const chunkApplied = (chunkNo: number) => {
        ctx.heartbeat({ nextChunk: prefix.add(chunkNo) } satisfies ChunkHeartbeat);
        progress.request();
      };
      // The view's counts only; a failed refresh is retried on the next chunk, final counts come from the claims.
      const progress = new CoalescedTask(
        () => recordImportProgress(pgPool, imp.id),
        () => deps.logger.warn({ importId: imp.id }, 'import progress could not be recorded'),
      );

      const preparing = new Map<number, ReturnType<typeof loadPrepared>>();
      const prepareAhead = preparePool().size + APPLY_CONCURRENCY;
      let prepared = 0;
      const topUp = () => {
        for (; prepared < todo.length && preparing.size < prepareAhead; prepared++) {
          const chunkNo = todo[prepared]!;
          const next = loadPrepared(imp, dataKey, chunkNo);
          next.catch(() => undefined); // observed when awaited below
          preparing.set(chunkNo, next);
        }
      };

      const dedupe = new FileOrderDedupe();
      const hint: ApplyHint = { numbersMayExist: false };
      const applying = new Set<Promise<void>>();
      let failed: { err: unknown } | undefined;
      try {
        for (const chunkNo of todo) {
          topUp();
          const { prepared: chunk, rowCount } = await preparing.get(chunkNo)!;
          preparing.delete(chunkNo);
          const admitted = dedupe.admit(chunk);
          while (applying.size >= APPLY_CONCURRENCY) await Promise.race(applying);
          if (failed) break;
          ctx.heartbeat({ nextChunk: prefix.nextChunk } satisfies ChunkHeartbeat);
          ctx.cancellationSignal.throwIfAborted();
          dataKey = await dataKeyFor(em, imp.accountId); // a key destroyed mid-import stops it before the next chunk
          const target = { importId: imp.id, accountId: imp.accountId, chunkNo, rowCount, dataKey };
          const applyingOne: Promise<void> = applyChunk(pgPool, target, admitted, hint).then(
            () => chunkApplied(chunkNo),
            (err: unknown) => void (failed ??= { err }),
          );
          applying.add(applyingOne);
          void applyingOne.finally(() => applying.delete(applyingOne));
        }
      } finally {
        await Promise.all(applying);
      }
      if (failed) throw failed.err;
      await progress.settled();
      ctx.heartbeat({ nextChunk: range.toChunk } satisfies ChunkHeartbeat);
      return sumChunkResults(pgPool, range.importId, range.fromChunk, range.toChunk);
    },

    /** Final counts come from the per-chunk claims, so they are exact whatever was retried. */
    async completeImport(importId: string): Promise<ImportProgress> {
      const em = orm.em.fork();
      let completedNow: ContactImport | null = null;
      const progress = await em.transactional(async (tem) => {
        const imp = await tem.findOneOrFail(ContactImport, { id: importId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (imp.status !== 'completed') {
          completedNow = imp;
          const { rows, ...counts } = await sumChunkResults(pgPool, importId, 0, imp.chunkCount);
          Object.assign(imp, { ...counts, status: 'completed', processedRows: rows, completedAt: new Date(), updatedAt: new Date() });
          await tem.flush();
          await discardStagedRows(tem, importId);
          await auditImportEnd(tem, imp, 'contact_import.completed', { ...toImportProgress(imp) });
        }
        return toImportProgress(imp);
      });
      // Once, when this attempt completed it (a retry after the commit finds it completed).
      if (completedNow) {
        const { accountId } = completedNow as ContactImport;
        deps.analytics.captureForAccount(accountId, 'contacts_imported', {
          imported: progress.created + progress.updated,
          rejected: progress.invalid,
        });
      }
      return progress;
    },

    async failImport(importId: string, reason: string): Promise<void> {
      const em = orm.em.fork();
      await em.transactional(async (tem) => {
        const imp = await tem.findOneOrFail(ContactImport, { id: importId });
        if (imp.status === 'completed' || imp.status === 'failed') return;
        imp.status = 'failed';
        imp.failure = reason;
        imp.updatedAt = new Date();
        await tem.flush();
        await discardStagedRows(tem, importId);
        await auditImportEnd(tem, imp, 'contact_import.failed', { reason });
      });
    },
  };
  return classifiedActivities(activities, deps.logger);
}

/** Every activity's errors pass through classifyImportError, so none leaves with driver text. */
function classifiedActivities<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T, logger: Logger): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw classifyImportError(err, Context.current().info.attempt, logger, name);
      }
    };
  }
  return wrapped as T;
}

export type ImportActivities = ReturnType<typeof createImportActivities>;
