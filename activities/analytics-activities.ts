import type { ServiceDeps } from '../services/deps';
import { captureMessagesSentDaily } from '../services/analytics/messages-sent-daily';

export function createAnalyticsActivities(deps: Pick<ServiceDeps, 'pgPool' | 'analytics'>) {
  return {
    /** One day's message counts to product analytics (consent checked per holder at capture). */
    async captureMessagesSentDaily(day: string): Promise<number> {
      return captureMessagesSentDaily(deps, day);
    },
  };
}

export type AnalyticsActivities = ReturnType<typeof createAnalyticsActivities>;
