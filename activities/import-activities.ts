import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { ContactImport } from '../db/entities/contact-import';
import { appendAudit } from '../services/audit-log';
import type { DataKey } from '../lib/crypto/sealed-field';
import type { ServiceDeps } from '../services/deps';
import { DataKeyDestroyedError } from '../services/keyring';
import { applyChunk, countsFromRow, type ChunkCounts, type StoredCounts } from '../services/imports/chunk-applier';
import { toImportProgress, type ImportProgress } from '../services/imports/import-summary';
import { unpackChunk } from '../services/imports/chunk-preparation';
import type { PreparedChunk } from '../services/imports/row-preparation';
import { classifyImportError, importFailure } from './import-failures';
import { ChunkPreparationError, PreparePool } from './prepare-pool';

export interface ChunkRange {
  importId: string;
  accountId: string;
  fromChunk: number;
  toChunk: number;
}

interface ChunkHeartbeat {
  nextChunk: number;
}

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

  /** Fetches a staged chunk and has a preparation thread decrypt, validate and seal it. */
  async function loadPrepared(
    imp: ContactImport,
    dataKey: DataKey,
    chunkNo: number,
  ): Promise<{ prepared: PreparedChunk; rowCount: number }> {
    const { rows } = await pgPool.query<{ payload: Buffer; row_count: number }>(
      'select payload, row_count from contact_import_chunks where import_id = $1 and chunk_no = $2',
      [imp.id, chunkNo],
    );
    const chunk = rows[0];
    // Retrying cannot bring staged rows back: fail the import instead of retrying forever.
    if (!chunk || chunk.payload.length === 0) {
      throw importFailure(`staged chunk ${chunkNo} is missing`, 'StagedChunkMissing', { chunkNo });
    }
    pool ??= new PreparePool();
    const packed = await pool
      .run({ payload: chunk.payload, importId: imp.id, chunkNo, dataKey, phoneHashKey: keys.phoneHashKey, mapping: imp.mapping })
      .catch((err: unknown) => {
        if (!(err instanceof ChunkPreparationError)) throw err;
        throw importFailure(`staged chunk ${chunkNo} could not be read`, 'StagedChunkUnreadable', { chunkNo }, err);
      });
    return { prepared: unpackChunk(packed), rowCount: chunk.row_count };
  }

  async function sumChunkResults(importId: string, fromChunk: number, toChunk: number): Promise<ChunkCounts> {
    const { rows } = await pgPool.query<StoredCounts & { rows: number }>(
      `select coalesce(sum(c.row_count), 0)::int as rows, coalesce(sum(r.created), 0)::int as created,
              coalesce(sum(r.updated), 0)::int as updated, coalesce(sum(r.duplicates), 0)::int as duplicates,
              coalesce(sum(r.invalid), 0)::int as invalid, coalesce(sum(r.opted_out), 0)::int as opted_out
       from contact_import_chunk_results r
       join contact_import_chunks c on c.import_id = r.import_id and c.chunk_no = r.chunk_no
       where r.import_id = $1 and r.chunk_no >= $2 and r.chunk_no < $3`,
      [importId, fromChunk, toChunk],
    );
    const r = rows[0]!; // an aggregate without group by always returns one row
    return { rows: r.rows, ...countsFromRow(r) };
  }

  const activities = {
    async markImportRunning(importId: string): Promise<void> {
      await pgPool.query(`update contact_imports set status = 'running', updated_at = now() where id = $1 and status = 'queued'`, [
        importId,
      ]);
    },

    /**
     * Applies chunks [fromChunk, toChunk) in order, heartbeating the next chunk to do; a retry
     * resumes from the last heartbeat, and chunk claims make any overlap harmless. The next chunk
     * is decrypted and validated while the previous one commits.
     */
    async processImportChunks(range: ChunkRange): Promise<ChunkCounts> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as ChunkHeartbeat | undefined;
      const start = Math.max(range.fromChunk, resumed?.nextChunk ?? range.fromChunk);
      const em = orm.em.fork();
      const imp = await em.findOneOrFail(ContactImport, { id: range.importId, accountId: range.accountId });
      let dataKey = await dataKeyFor(em, imp.accountId);
      // Chunk n+1 is prepared on another thread while chunk n commits; commits stay in file order.
      const prefetch = (chunkNo: number) => {
        const next = loadPrepared(imp, dataKey, chunkNo);
        next.catch(() => undefined); // observed when awaited below
        return next;
      };
      let next = start < range.toChunk ? prefetch(start) : undefined;
      for (let chunkNo = start; chunkNo < range.toChunk; chunkNo++) {
        const { prepared, rowCount } = await next!;
        next = chunkNo + 1 < range.toChunk ? prefetch(chunkNo + 1) : undefined;
        ctx.heartbeat({ nextChunk: chunkNo } satisfies ChunkHeartbeat);
        ctx.cancellationSignal.throwIfAborted();
        dataKey = await dataKeyFor(em, imp.accountId); // a key destroyed mid-import stops it before the next chunk
        await applyChunk(pgPool, { importId: imp.id, accountId: imp.accountId, chunkNo, rowCount, dataKey }, prepared);
      }
      ctx.heartbeat({ nextChunk: range.toChunk } satisfies ChunkHeartbeat);
      return sumChunkResults(range.importId, range.fromChunk, range.toChunk);
    },

    /** Final counts come from the per-chunk claims, so they are exact whatever was retried. */
    async completeImport(importId: string): Promise<ImportProgress> {
      const em = orm.em.fork();
      return em.transactional(async (tem) => {
        const imp = await tem.findOneOrFail(ContactImport, { id: importId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (imp.status !== 'completed') {
          const { rows, ...counts } = await sumChunkResults(importId, 0, imp.chunkCount);
          Object.assign(imp, { ...counts, status: 'completed', processedRows: rows, completedAt: new Date(), updatedAt: new Date() });
          await tem.flush();
          await discardStagedRows(tem, importId);
          await auditImportEnd(tem, imp, 'contact_import.completed', { ...toImportProgress(imp) });
        }
        return toImportProgress(imp);
      });
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
