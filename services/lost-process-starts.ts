import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import { importWorkflowId } from '../workflows/import-contacts';
import { dsrWorkflowId, type DsrType } from '../workflows/lifecycle/dsr';
import { terminationWorkflowId } from '../workflows/lifecycle/termination';
import { startCampaignProcess } from './campaigns/start-campaign-process';
import { startDsrProcess } from './dsr/start-dsr-process';
import { startImportProcess } from './imports/start-import-process';
import { startTerminationProcess } from './termination/start-termination-process';

/**
 * A request commits its row, then starts its workflow. An API process killed between the two (or
 * whose compensation failed too) leaves a row no process will ever move: a DSR nobody answers by its
 * deadline, a termination never deleted, a campaign "running" forever. The sweep finds rows in a
 * state only a running process explains, older than any start could take, whose workflow id has no
 * execution at all, and starts it. A closed execution (completed, failed, terminated) is never
 * started again: that needs a person.
 */
export const LOST_START_MIN_AGE_SECONDS = 60;
/** Rows older than this were swept many times over (the sweep runs every few minutes). */
export const LOST_START_MAX_AGE_HOURS = 48;
const PER_KIND_LIMIT = 200;

interface LostStartKind<Row> {
  kind: 'dsr' | 'termination' | 'import' | 'campaign';
  find(pool: Pool): Promise<Row[]>;
  workflowId(row: Row): string;
  start(temporal: Client, row: Row): Promise<void>;
}

const window = (column: string) =>
  `${column} <= now() - make_interval(secs => ${LOST_START_MIN_AGE_SECONDS}) and ${column} > now() - make_interval(hours => ${LOST_START_MAX_AGE_HOURS})`;

async function rows<Row>(pool: Pool, sql: string): Promise<Row[]> {
  return (await pool.query(`${sql} limit ${PER_KIND_LIMIT}`)).rows as Row[];
}

const dsrs: LostStartKind<{
  id: string;
  account_id: string;
  type: DsrType;
  received_at: Date;
  due_at: Date;
  created_by_type: string;
  has_subject: boolean;
}> = {
  kind: 'dsr',
  find: (pool) =>
    rows(
      pool,
      `select id, account_id, type, received_at, due_at, created_by_type, subject_phone_hash is not null as has_subject
         from data_subject_requests where status in ('awaiting_identity', 'open') and ${window('received_at')}`,
    ),
  workflowId: (r) => dsrWorkflowId(r.id),
  start: (temporal, r) =>
    startDsrProcess(temporal, {
      requestId: r.id,
      accountId: r.account_id,
      type: r.type,
      receivedAt: r.received_at,
      // The original due date: an extension needs the process, so none can have been recorded.
      dueAt: r.due_at,
      needsIdentity: r.created_by_type === 'staff',
      hasSubject: r.has_subject,
    }),
};

const terminations: LostStartKind<{ account_id: string; delete_early: boolean }> = {
  kind: 'termination',
  find: (pool) =>
    rows(pool, `select account_id, delete_early from account_terminations where status = 'pending' and ${window('terminated_at')}`),
  workflowId: (r) => terminationWorkflowId(r.account_id),
  start: (temporal, r) => startTerminationProcess(temporal, { accountId: r.account_id, deleteEarly: r.delete_early }),
};

const imports: LostStartKind<{ id: string; account_id: string; total_rows: number; chunk_count: number }> = {
  kind: 'import',
  find: (pool) =>
    rows(pool, `select id, account_id, total_rows, chunk_count from contact_imports where status = 'queued' and ${window('updated_at')}`),
  workflowId: (r) => importWorkflowId(r.id),
  start: (temporal, r) =>
    startImportProcess(temporal, { importId: r.id, accountId: r.account_id, totalRows: r.total_rows, chunkCount: r.chunk_count }),
};

const campaigns: LostStartKind<{ id: string; account_id: string }> = {
  kind: 'campaign',
  find: (pool) => rows(pool, `select id, account_id from campaigns where status in ('scheduled', 'running') and ${window('launched_at')}`),
  workflowId: (r) => campaignWorkflowId(r.id),
  start: (temporal, r) => startCampaignProcess(temporal, { campaignId: r.id, accountId: r.account_id }),
};

const KINDS = [dsrs, terminations, imports, campaigns] as LostStartKind<unknown>[];

export interface LostStartsSwept {
  /** Workflow ids started by this sweep, per kind. */
  started: Record<LostStartKind<unknown>['kind'], string[]>;
}

async function neverStarted(temporal: Client, workflowId: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(workflowId).describe();
    return false;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return true;
    throw err;
  }
}

/** One sweep over every kind; `onProgress` is called per row (the activity heartbeats). */
export async function startLostProcesses(
  deps: { pgPool: Pool; temporal: Client; logger: Logger },
  onProgress: () => void = () => undefined,
): Promise<LostStartsSwept> {
  const started: LostStartsSwept['started'] = { dsr: [], termination: [], import: [], campaign: [] };
  for (const kind of KINDS) {
    for (const row of await kind.find(deps.pgPool)) {
      onProgress();
      const workflowId = kind.workflowId(row);
      if (!(await neverStarted(deps.temporal, workflowId))) continue;
      try {
        await kind.start(deps.temporal, row);
      } catch (err) {
        // Started in between (the request's own retry): nothing lost.
        if (err instanceof WorkflowExecutionAlreadyStartedError) continue;
        throw err;
      }
      started[kind.kind].push(workflowId);
      deps.logger.warn({ kind: kind.kind, workflowId }, 'started a process whose request lost its start');
    }
  }
  return { started };
}
