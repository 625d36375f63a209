import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, parseJsonObject, readBody, sendJson } from './http-util';
import { type MeterEventFaults, stripeFaultBody } from './stripe-faults';

const SESSION_PATH = '/v2/billing/meter_event_session';
const STREAM_PATH = '/v2/billing/meter_event_stream';
/** Stripe's: a session token authenticates stream requests for 15 minutes. */
const SESSION_TTL_MS = 15 * 60_000;
/** Stripe's: events per stream request. */
const MAX_EVENTS_PER_REQUEST = 100;
/** Tokens kept at once (the oldest go first): a long run never grows without bound. */
const MAX_SESSIONS = 10_000;

export interface StreamedMeterEvent {
  identifier: string;
  eventName: string;
  payload: Record<string, string>;
  /** Epoch seconds. */
  timestamp: number;
}

class V2Error extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Stripe's high-throughput meter event path (API v2): `POST /v2/billing/meter_event_session` with the
 * secret key answers a token valid 15 minutes; `POST /v2/billing/meter_event_stream` with that token
 * takes up to 100 events as JSON, deduplicated by identifier like `/v1/billing/meter_events`. Stripe
 * validates streamed events asynchronously; the simulator checks their shape and records them at once.
 * Fault rules with op `meter_events` apply per stream request (one draw for the whole batch).
 */
export class StripeMeterStream {
  /** Token → expiry (epoch ms). */
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly deps: {
      secretKey: () => string | null;
      record: (event: StreamedMeterEvent) => void;
      faults: MeterEventFaults;
      /** Answers whose client should time out (an ambiguous fault). */
      holdOrDrop: (res: ServerResponse, mode: 'timeout' | 'reset') => void;
    },
  ) {}

  handles(path: string): boolean {
    return path === SESSION_PATH || path === STREAM_PATH;
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    try {
      if (req.method !== 'POST') throw new V2Error(405, 'invalid_request_error', 'method_not_allowed', `Use POST for ${path}.`);
      const raw = await readBody(req);
      if (path === SESSION_PATH) return sendJson(res, 200, this.createSession(bearerToken(req)), v2Headers());
      this.authenticate(bearerToken(req));
      const events = parseEvents(raw);
      const fault = this.deps.faults.decide(batchKey(events));
      if (fault?.kind === 'reset_before') return void req.socket.destroy();
      if (fault?.kind === 'status' || fault?.kind === 'error') {
        const answer = stripeFaultBody(fault);
        return sendJson(res, answer.status, answer.body, v2Headers());
      }
      for (const event of events) this.deps.record(event);
      // Recorded, then the answer is lost: the client cannot tell whether it was.
      if (fault?.kind === 'ambiguous') return this.deps.holdOrDrop(res, fault.mode);
      sendJson(res, 200, {}, v2Headers());
    } catch (err) {
      if (!(err instanceof V2Error)) throw err;
      sendJson(res, err.status, { error: { type: err.type, code: err.code, message: err.message } }, v2Headers());
    }
  }

  /** Every token issued so far stops working (as if 15 minutes had passed): the client must open a new session. */
  expireSessions(): void {
    for (const token of this.sessions.keys()) this.sessions.set(token, 0);
  }

  reset(): void {
    this.sessions.clear();
  }

  private createSession(token: string | null) {
    const secretKey = this.deps.secretKey();
    if (token === null || (secretKey !== null && token !== secretKey))
      throw new V2Error(401, 'invalid_api_key', 'invalid_api_key', 'Invalid API Key provided.');
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const created = Date.now();
    const authenticationToken = `mest_test_${randomBytes(24).toString('hex')}`;
    this.sessions.set(authenticationToken, created + SESSION_TTL_MS);
    return {
      id: `mes_test_${randomBytes(12).toString('hex')}`,
      object: 'v2.billing.meter_event_session',
      authentication_token: authenticationToken,
      created: new Date(created).toISOString(),
      expires_at: new Date(created + SESSION_TTL_MS).toISOString(),
      livemode: false,
    };
  }

  private authenticate(token: string | null): void {
    const expiresAt = token === null ? undefined : this.sessions.get(token);
    if (expiresAt === undefined) throw new V2Error(401, 'invalid_api_key', 'invalid_api_key', 'Invalid API Key provided.');
    if (expiresAt <= Date.now())
      throw new V2Error(
        401,
        'temporary_session_expired',
        'billing_meter_event_session_expired',
        'The meter event session has expired: create a new one.',
      );
  }
}

function parseEvents(raw: string): StreamedMeterEvent[] {
  const body = parseJsonObject(raw);
  const events = body?.events;
  if (!Array.isArray(events) || events.length === 0)
    throw new V2Error(400, 'invalid_request_error', 'invalid_fields', 'events: a non-empty array is required.');
  if (events.length > MAX_EVENTS_PER_REQUEST)
    throw new V2Error(400, 'invalid_request_error', 'invalid_fields', `events: at most ${MAX_EVENTS_PER_REQUEST} per request.`);
  return events.map((event: unknown, index) => parseEvent(event, index));
}

function parseEvent(event: unknown, index: number): StreamedMeterEvent {
  const invalid = (field: string) =>
    new V2Error(400, 'invalid_request_error', 'invalid_fields', `events[${index}].${field} is missing or invalid.`);
  if (event === null || typeof event !== 'object') throw invalid('');
  const { event_name: eventName, identifier, payload, timestamp } = event as Record<string, unknown>;
  if (typeof eventName !== 'string' || eventName.length === 0) throw invalid('event_name');
  if (payload === null || typeof payload !== 'object' || Object.values(payload).some((v) => typeof v !== 'string'))
    throw invalid('payload');
  if (Object.keys(payload).length === 0) throw invalid('payload');
  const at = timestamp === undefined ? Date.now() : typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(at)) throw invalid('timestamp');
  return {
    identifier: typeof identifier === 'string' && identifier.length > 0 ? identifier : randomBytes(12).toString('hex'),
    eventName,
    payload: payload as Record<string, string>,
    timestamp: Math.floor(at / 1000),
  };
}

/** One fault draw per batch; a retried batch (same identifiers) draws anew. */
function batchKey(events: StreamedMeterEvent[]): string {
  const hash = createHash('sha256');
  for (const event of events) hash.update(`${event.identifier}\n`);
  return `stream:${hash.digest('hex').slice(0, 32)}`;
}

function v2Headers(): Record<string, string> {
  return { 'request-id': `req_${randomBytes(7).toString('hex')}` };
}
