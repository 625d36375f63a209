import type { Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import { startHarness, type Harness } from './harness';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
import { startTimeSkipping, timeSkippingBackgroundWorker } from './time-skipping';

/**
 * The notice processes on a time-skipping server: the product's services on the run's database, emails
 * to a simulator that records them, the notices worker with the real activities, and an API app
 * whose Temporal client is the time-skipping server's (so the staff routes start and signal there).
 */
export interface NoticeStack {
  sim: SimulatorProcess;
  h: Harness;
  env: TestWorkflowEnvironment;
  app: Express;
  /** The server's virtual time (the app's notice clock follows it). */
  now(): Date;
  /** Skips virtual time and moves the app's notice clock with it. */
  sleep(duration: Duration): Promise<void>;
  close(): Promise<void>;
}

export async function startNoticeStack(): Promise<NoticeStack> {
  const sim = await startSimulatorProcess();
  const h = await startHarness({ env: sim.env() });
  const env = await startTimeSkipping();
  let offsetMs = (await env.currentTimeMs()) - Date.now();
  const now = () => new Date(Date.now() + offsetMs);
  const app = createApp({ ...h.deps, temporal: env.client }, { noticeClock: now });
  const background = await timeSkippingBackgroundWorker(env, h.deps);
  return {
    sim,
    h,
    env,
    app,
    now,
    async sleep(duration) {
      await env.sleep(duration);
      offsetMs = (await env.currentTimeMs()) - Date.now();
    },
    async close() {
      await background.stop();
      await env.teardown();
      await h.close();
      await sim.stop();
    },
  };
}

/** The admin contact (the signing-up user's email) of an account. */
export async function adminEmailOf(h: Harness, accountId: string): Promise<string> {
  const [row] = await h.deps.orm.em
    .fork()
    .execute<{ email: string }[]>(
      'select email from users where id in (select user_id from account_memberships where account_id = ?) order by created_at limit 1',
      [accountId],
    );
  return row!.email;
}
