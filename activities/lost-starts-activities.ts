import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ServiceDeps } from '../services/deps';
import { startLostProcesses, type LostStartsSwept } from '../services/lost-process-starts';

export function createLostStartsActivities(deps: Pick<ServiceDeps, 'pgPool' | 'logger'> & { temporal: Client }) {
  return {
    /** Idempotent: a process it started has an execution, so a retried sweep skips it. */
    async startLostProcesses(): Promise<LostStartsSwept> {
      return startLostProcesses(deps, () => Context.current().heartbeat());
    },
  };
}

export type LostStartsActivities = ReturnType<typeof createLostStartsActivities>;
