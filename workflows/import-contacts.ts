import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { ImportActivities } from '../activities/import-activities';
import type { ImportProgress } from '../services/imports/import-summary';
import { addImportCounts, NO_IMPORT_COUNTS } from './import-counts';
import { importDetails } from './process-details';
import { IMPORT_FAILURE_TYPES, importFailureReason } from './import-failure-reasons';

export interface ImportContactsInput {
  importId: string;
  accountId: string;
  totalRows: number;
  chunkCount: number;
  /** Set when continuing as new: where the previous run stopped and what it had counted. */
  resume?: { nextChunk: number; progress: ImportProgress };
}

export const importProgressQuery = defineQuery<ImportProgress>('importProgress');

/** Chunks per activity: the window its pipeline keeps busy (it drains at the end), and steady progress. */
export const CHUNKS_PER_ACTIVITY = 100;
/** What runs started before the pipeline were given; their histories replay with it. */
const CHUNKS_PER_ACTIVITY_BEFORE_PIPELINE = 10;
/** Activities per run before continuing as new, so history stays bounded for any file size. */
export const ACTIVITIES_PER_RUN = 500;

export const importWorkflowId = (importId: string) => `import:${importId}`;

// Transient errors (a lost connection, a deadlock, a worker crash) retry without end at a bounded
// interval; the activities throw the failures retrying cannot help as these non-retryable types,
// and give up on an unrecognised error after a bounded number of attempts (RetriesExhausted).
const nonRetryableErrorTypes = [...IMPORT_FAILURE_TYPES];

const { processImportChunks } = proxyActivities<ImportActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2, nonRetryableErrorTypes },
});

const { markImportRunning, completeImport, failImport } = proxyActivities<ImportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes },
});

/** The stored reason comes from the failure's type only: its message may be Temporal's or a driver's. */
function failureReason(err: unknown): string {
  if (isCancellation(err)) return 'the import was cancelled';
  const root = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return root instanceof ApplicationFailure ? importFailureReason(root.type, root.details) : importFailureReason(undefined, []);
}

export async function importContactsWorkflow(input: ImportContactsInput): Promise<ImportProgress> {
  let progress: ImportProgress = input.resume?.progress ?? {
    status: 'running',
    totalRows: input.totalRows,
    processedRows: 0,
    ...NO_IMPORT_COUNTS,
  };
  setHandler(importProgressQuery, () => progress);

  try {
    // A run already under way when the window grew keeps its old stride, or replaying it would skip chunks.
    const chunksPerActivity = patched('import-pipeline-window') ? CHUNKS_PER_ACTIVITY : CHUNKS_PER_ACTIVITY_BEFORE_PIPELINE;
    if (!input.resume) await markImportRunning(input.importId);
    let activities = 0;
    for (let from = input.resume?.nextChunk ?? 0; from < input.chunkCount; from += chunksPerActivity) {
      if (activities === ACTIVITIES_PER_RUN) {
        await continueAsNew<typeof importContactsWorkflow>({ ...input, resume: { nextChunk: from, progress } });
      }
      const to = Math.min(from + chunksPerActivity, input.chunkCount);
      const done = await processImportChunks({ importId: input.importId, accountId: input.accountId, fromChunk: from, toChunk: to });
      activities += 1;
      progress = { ...progress, ...addImportCounts(progress, done), processedRows: progress.processedRows + done.rows };
      setCurrentDetails(importDetails(input.importId, progress));
    }
    progress = await completeImport(input.importId);
    return progress;
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const reason = failureReason(err);
    await CancellationScope.nonCancellable(() => failImport(input.importId, reason));
    progress = { ...progress, status: 'failed' };
    throw ApplicationFailure.nonRetryable(`import ${input.importId} failed: ${reason}`, 'ImportFailed');
  }
}
