import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { readRawBody, sendJson } from './http-util';

/** The ingestion paths posthog-node and posthog-js post events to. */
const CAPTURE_PATHS = new Set(['/batch', '/batch/', '/capture', '/capture/', '/e', '/e/', '/i/v0/e', '/i/v0/e/']);
const MAX_KEPT = 100_000;

/** One event as PostHog received it, with the request body it came in (for tests that scan what left). */
export interface ReceivedEvent {
  event: string;
  distinctId: string | null;
  properties: Record<string, unknown>;
  receivedAt: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * PostHog's capture API as the server SDK uses it: a batch (`{ api_key, batch: [...] }`, gzip or
 * plain) checked against the project key, every event kept for GET /_sim/posthog/events.
 */
export class PostHogSimulator {
  private events: ReceivedEvent[] = [];
  private bodies: string[] = [];

  constructor(private readonly projectKey: string | null) {}

  handles(path: string): boolean {
    return CAPTURE_PATHS.has(path);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { type: 'validation_error', detail: 'POST only' });
    let raw = await readRawBody(req);
    try {
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    } catch {
      return sendJson(res, 400, { type: 'validation_error', detail: 'Malformed request data' });
    }
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return sendJson(res, 400, { type: 'validation_error', detail: 'Malformed request data' });
    }
    if (!isObject(body)) return sendJson(res, 400, { type: 'validation_error', detail: 'Malformed request data' });
    const batch = Array.isArray(body.batch) ? body.batch : [body];
    const key = typeof body.api_key === 'string' ? body.api_key : null;
    if (key === null || (this.projectKey !== null && key !== this.projectKey)) {
      return sendJson(res, 401, { type: 'authentication_error', detail: 'Project API key invalid.' });
    }
    const receivedAt = new Date().toISOString();
    this.bodies.push(text);
    for (const item of batch) {
      if (!isObject(item) || typeof item.event !== 'string') continue;
      this.events.push({
        event: item.event,
        distinctId: typeof item.distinct_id === 'string' ? item.distinct_id : null,
        properties: isObject(item.properties) ? item.properties : {},
        receivedAt,
      });
    }
    if (this.events.length > MAX_KEPT) this.events = this.events.slice(-MAX_KEPT);
    if (this.bodies.length > MAX_KEPT) this.bodies = this.bodies.slice(-MAX_KEPT);
    sendJson(res, 200, { status: 1 });
  }

  /** GET /_sim/posthog/events: every event received and every request body as it arrived. */
  readBack(res: ServerResponse): void {
    sendJson(res, 200, { data: this.events, bodies: this.bodies });
  }

  reset(): void {
    this.events = [];
    this.bodies = [];
  }
}
