import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { inject } from 'vitest';
import { temporalPaths } from '../../scripts/temporal-paths';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import type { ServiceDeps } from '../../services/deps';
import { createBackgroundActivities } from '../../workers/background-worker';
import { BACKGROUND_TASK_QUEUE } from '../../workers/task-queues';
import { installTemporalRuntime } from '../../workers/temporal-runtime';
import { startHarness, type Harness } from './harness';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';

/**
 * A time-skipping Temporal test server for one test file: timers at their real constants
 * ('30 days') fire as soon as every workflow is waiting, so a deadline is tested at its real value.
 * It lacks Schedules and update validators (see PROVIDERS.md): tests needing those use the dev server.
 */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  // Before the environment: it would otherwise install a default runtime logging SDK chatter.
  installTemporalRuntime(process.env.TEST_LOG_LEVEL ?? 'silent', { shutdownSignals: [] });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalPaths().testServer } },
  });
  // The workflows set these at start (operators filter on them); this server only knows registered ones.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return env;
}

/**
 * A worker on the time-skipping server running the run's prebuilt workflow bundle with the given
 * activities. The caller runs its test inside `worker.runUntil(...)` so the worker stops with it.
 */
export function timeSkippingWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: Record<string, (...args: never[]) => unknown>,
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
  });
}

/**
 * The background queue's worker on a time-skipping server (billing, notices, DSRs, termination …: one
 * Worker serves them all, as in production), with `overrides` in place of the product's activities of
 * those names. Sign-up starts the account's Stripe customer process there, and a task nobody polls
 * holds this server's clock still (it skips time only when no work is outstanding).
 */
export async function timeSkippingBackgroundWorker(
  env: TestWorkflowEnvironment,
  deps: ServiceDeps,
  overrides: Record<string, (...args: never[]) => Promise<unknown>> = {},
): Promise<{ stop(): Promise<void> }> {
  const worker = await timeSkippingWorker(env, BACKGROUND_TASK_QUEUE, {
    ...createBackgroundActivities({ deps, temporal: env.client }),
    ...overrides,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** A time-skipping server beside a simulator process and a harness pointed at it (the billing recordings). */
export interface SimulatedTimeSkipping {
  env: TestWorkflowEnvironment;
  sim: SimulatorProcess;
  h: Harness;
  close(): Promise<void>;
}

export async function startSimulatedTimeSkipping(): Promise<SimulatedTimeSkipping> {
  const env = await startTimeSkipping();
  const sim = await startSimulatorProcess();
  const h = await startHarness({ env: sim.env() });
  return {
    env,
    sim,
    h,
    async close() {
      await h.close();
      await sim.stop();
      await env.teardown();
    },
  };
}
