import type { Logger } from 'pino';
import type { AppConfig } from '../../config/env';
import { PostHogSink, type AnalyticsEvent, type AnalyticsSink } from './posthog-sink';

/** The configured analytics sink, or null without POSTHOG_API_KEY (then nothing is ever sent). */
export function createAnalyticsSink(
  config: Pick<AppConfig, 'POSTHOG_API_KEY' | 'POSTHOG_HOST'>,
  allows: (event: AnalyticsEvent) => boolean,
  logger: Logger,
): AnalyticsSink | null {
  if (!config.POSTHOG_API_KEY) return null;
  return new PostHogSink({
    apiKey: config.POSTHOG_API_KEY,
    host: config.POSTHOG_HOST,
    allows,
    // The SDK's error names the request, never an event's properties.
    onError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'PostHog refused or was unreachable'),
  });
}
