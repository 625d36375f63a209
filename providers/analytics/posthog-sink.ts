import { PostHog, type EventMessage } from 'posthog-node';

/** One event as it leaves the process: the pseudonymous id, the name and its allow-listed properties. */
export interface AnalyticsEvent {
  distinctId: string;
  event: string;
  properties: Record<string, string | number | boolean>;
}

export interface AnalyticsSink {
  /** Sends at once (nothing is queued to leave after a later withdrawal); never throws. */
  send(event: AnalyticsEvent): Promise<void>;
  close(): Promise<void>;
}

export interface PostHogSinkOptions {
  apiKey: string;
  host: string;
  /** The last check before anything leaves (posthog-node's before_send): false drops the event. */
  allows: (event: AnalyticsEvent) => boolean;
  onError: (err: unknown) => void;
}

/** The SDK's own bookkeeping properties, which carry nothing about the holder. */
const SDK_PROPERTIES = new Set(['$process_person_profile', '$geoip_disable', '$lib', '$lib_version', '$is_server']);

/**
 * posthog-node, configured for pseudonymous server-side events only: no person profiles
 * (`$process_person_profile: false` on every event, the server-side form of personProfiles 'never'),
 * GeoIP off, no feature-flag polling, and a before_send guard that drops whatever the caller's
 * allow-list does not know.
 */
export class PostHogSink implements AnalyticsSink {
  private readonly client: PostHog;

  constructor(private readonly options: PostHogSinkOptions) {
    this.client = new PostHog(options.apiKey, {
      host: options.host,
      disableGeoip: true,
      enableLocalEvaluation: false,
      featureFlagsPollingInterval: null,
      flushAt: 1,
      requestTimeout: 5_000,
      fetchRetryCount: 1,
      before_send: (message) => (this.guard(message) ? message : null),
    });
    this.client.on('error', options.onError);
  }

  private guard(message: EventMessage): boolean {
    if (message.distinctId === undefined) return false;
    const properties: AnalyticsEvent['properties'] = {};
    for (const [name, value] of Object.entries(message.properties ?? {})) {
      if (SDK_PROPERTIES.has(name)) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
      properties[name] = value;
    }
    return this.options.allows({ distinctId: message.distinctId, event: message.event, properties });
  }

  async send(event: AnalyticsEvent): Promise<void> {
    try {
      await this.client.captureImmediate({
        distinctId: event.distinctId,
        event: event.event,
        properties: { ...event.properties, $process_person_profile: false },
        disableGeoip: true,
      });
    } catch (err) {
      this.options.onError(err);
    }
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
