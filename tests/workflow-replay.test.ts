import type { HistoryAndWorkflowId } from '@temporalio/client';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import * as workflows from '../workflows';
import { committedHistories } from './support/histories';
import { historyFromJson } from './support/history-json';

/**
 * The histories recorded from real runs of earlier releases (`npm run histories:record`,
 * tests/fixtures/histories) replayed against the current workflow code: a change to the commands a
 * workflow issues that is not guarded by `patched()` (or moved to a new workflow type) fails here,
 * naming the workflow type and the history file.
 */
const histories = committedHistories();
const results = new Map<string, ReplayResult>();

beforeAll(async () => {
  installTemporalRuntime(process.env.TEST_LOG_LEVEL ?? 'warn', { shutdownSignals: [] });
  const inputs: HistoryAndWorkflowId[] = histories.map((h) => ({ workflowId: h.file, history: historyFromJson(h.json) }));
  // One replay worker for every file; each result carries the file as its workflow id.
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, inputs)) {
    results.set(result.workflowId, result);
  }
}, 120_000);

describe('recorded workflow histories replay against the current code', () => {
  it('every workflow type exported from workflows/index.ts has a committed history, and each file is of its folder’s type', () => {
    const exported = Object.keys(workflows).sort();
    const recorded = [...new Set(histories.map((h) => h.workflowType))].sort();
    expect(recorded).toEqual(exported);
    const typeInHistory = (json: unknown) => historyFromJson(json).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    expect(histories.filter((h) => typeInHistory(h.json) !== h.workflowType).map((h) => h.file)).toEqual([]);
  });

  it.each(histories.map((h) => [h.file, h] as const))('%s replays without a nondeterminism error', (file, h) => {
    const result = results.get(file);
    expect(result, `${file} was not replayed`).toBeDefined();
    const error = result!.error;
    expect(error, `workflow type ${h.workflowType}, history ${file}: ${error?.name}: ${error?.message}`).toBeUndefined();
  });

  it('no history holds a phone number, an email address or a credential (payloads decoded)', () => {
    const leaks = histories.flatMap((h) => {
      const text = decodedText(h.json);
      return [PHONE, EMAIL, CREDENTIAL].flatMap((pattern) => (text.match(pattern) ?? []).map((found) => `${h.file}: ${found}`));
    });
    expect(leaks).toEqual([]);
  });
});

/** Not after a word character: a worker build id (`@temporalio/worker@1.24.0+66579116b5…`) is not a number. */
const PHONE = /(?<!\w)\+\d{8,15}/g;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b/g;
/** API keys, sessions, staff sessions, termination export and confirmation tokens. */
const CREDENTIAL = /\bms[kstec]_[A-Za-z0-9_.-]{6,}/g;

/** The history's JSON text with every payload's base64 `data` decoded beside it. */
function decodedText(json: unknown): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'data' && typeof value === 'string') parts.push(Buffer.from(value, 'base64').toString('utf8'));
      else walk(value);
    }
  };
  walk(json);
  return `${JSON.stringify(json)}\n${parts.join('\n')}`;
}
