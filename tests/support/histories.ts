import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJson } from './history-json';

/** Where recorded workflow histories are committed: one folder per workflow type. */
export const HISTORIES_DIR = join(__dirname, '..', 'fixtures', 'histories');

/** One committed history file. */
export interface CommittedHistory {
  workflowType: string;
  /** `<workflowType>/<file>.json`, as failures name it. */
  file: string;
  json: unknown;
}

/**
 * Saves one run's history as `<type>/<release>_<name>.json` (the type read from its start event).
 * The release label (HISTORIES_RELEASE, set by scripts/record-histories.ts) keeps the files of
 * earlier releases beside the new ones.
 */
export async function saveHistory(client: Client, workflowId: string, name: string, runId?: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!workflowType) throw new Error(`${workflowId}: the history has no start event`);
  const release = process.env.HISTORIES_RELEASE ?? new Date().toISOString().slice(0, 10);
  const dir = join(HISTORIES_DIR, workflowType);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${release}_${name}.json`);
  writeFileSync(path, `${JSON.stringify(historyToJson(history), null, 2)}\n`);
  return path;
}

/** Every committed history, by workflow type folder. */
export function committedHistories(): CommittedHistory[] {
  return readdirSync(HISTORIES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(HISTORIES_DIR, d.name))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => ({
          workflowType: d.name,
          file: `${d.name}/${f}`,
          json: JSON.parse(readFileSync(join(HISTORIES_DIR, d.name, f), 'utf8')) as unknown,
        })),
    );
}
