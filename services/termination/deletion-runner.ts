import type { Pool } from 'pg';
import { withPgTransaction } from '../../db/pg-pool';
import { DELETION_STEPS, PERSONAL_ROWS, type DeletionStep } from './deletion-steps';

/** Rows per batch: one short transaction each, so other accounts' queries never wait long on it. */
export const DELETION_BATCH_ROWS = 5000;

export interface StepProgress {
  step: string;
  affected: number;
  done: boolean;
}

interface CheckpointRow {
  cursor: string | null;
  affected: string;
  done: boolean;
}

export const stepNamed = (name: string): DeletionStep => {
  const step = DELETION_STEPS.find((s) => s.name === name);
  if (!step) throw new Error(`no deletion step named ${name}`);
  return step;
};

/**
 * Runs one deletion step to its end, batch by batch. Each batch and its checkpoint commit together,
 * so whatever stops the process, the next run starts exactly after the last committed batch.
 */
export async function runDeletionStep(
  pool: Pool,
  accountId: string,
  stepName: string,
  options: { batchRows?: number; afterBatch?: (progress: StepProgress) => Promise<void> | void } = {},
): Promise<StepProgress> {
  const step = stepNamed(stepName);
  const limit = options.batchRows ?? DELETION_BATCH_ROWS;
  const { rows } = await pool.query<CheckpointRow>(
    'select cursor, affected::text as affected, done from account_deletion_checkpoints where account_id = $1 and step = $2',
    [accountId, step.name],
  );
  let cursor = rows[0]?.cursor ?? null;
  let affected = Number(rows[0]?.affected ?? 0);
  let done = rows[0]?.done ?? false;
  while (!done) {
    const batch = await withPgTransaction(pool, async (client) => {
      const result = await step.batch(client, accountId, cursor, limit);
      await client.query(
        `insert into account_deletion_checkpoints (account_id, step, cursor, affected, done, updated_at)
         values ($1, $2, $3, $4, $5, now())
         on conflict (account_id, step) do update set cursor = excluded.cursor, affected = account_deletion_checkpoints.affected + $4,
           done = excluded.done, updated_at = now()`,
        [accountId, step.name, result.cursor ?? cursor, result.affected, result.cursor === null],
      );
      return result;
    });
    affected += batch.affected;
    done = batch.cursor === null;
    cursor = batch.cursor ?? cursor;
    await options.afterBatch?.({ step: step.name, affected, done });
  }
  return { step: step.name, affected, done: true };
}

/** Per table, the account's rows that still hold personal data (see PERSONAL_ROWS). */
export async function countPersonalRows(pool: Pool, accountId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, sql] of Object.entries(PERSONAL_ROWS)) {
    const { rows } = await pool.query<{ count: string }>(sql, [accountId]);
    counts[table] = Number(rows[0]!.count);
  }
  return counts;
}

/** Every step's checkpoint, in step order (steps not begun show zero). */
export async function deletionProgress(pool: Pool, accountId: string): Promise<StepProgress[]> {
  const { rows } = await pool.query<{ step: string; affected: string; done: boolean }>(
    'select step, affected::text as affected, done from account_deletion_checkpoints where account_id = $1',
    [accountId],
  );
  const byStep = new Map(rows.map((r) => [r.step, r]));
  return DELETION_STEPS.map((s) => ({
    step: s.name,
    affected: Number(byStep.get(s.name)?.affected ?? 0),
    done: byStep.get(s.name)?.done ?? false,
  }));
}
