import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptMessage, answerAmbiguously, answeredByFault, attemptOf, E164, gate, type VendorErrors } from './carrier-common';
import type { OutgoingCallback } from './callbacks';
import type { SimContext } from './context';
import { bearerToken, parseJsonObject, pathOf, queryOf, readBody, sendJson } from './http-util';
import { telnyxMessageId } from './ids';
import { telnyxNumbersRoute } from './telnyx-numbers';
import { segment } from './segments';
import type { InboundRequest, LedgerEntry, MessageStatus } from './types';

const MESSAGE_PATH = /^\/v2\/messages\/([0-9a-fA-F-]{36})$/;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 250;

const TO_STATUS: Record<MessageStatus, string> = {
  queued: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  failed: 'delivery_failed',
};
const MDR_STATUS: Record<MessageStatus, string> = {
  queued: 'dlr_unconfirmed',
  sent: 'dlr_unconfirmed',
  delivered: 'delivered',
  failed: 'failed',
};

export function telnyxError(
  res: ServerResponse,
  status: number,
  code: string,
  title: string,
  detail: string,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, { errors: [{ code, title, detail }] }, headers);
}

/** The vendor's body for a bare HTTP status fault. */
export function telnyxStatusError(res: ServerResponse, status: number): void {
  if (status === 429) telnyxError(res, 429, '10011', 'Too many requests', 'Rate limit exceeded.', { 'retry-after': '1' });
  else if (status >= 500) telnyxError(res, status, '10007', 'Unexpected error', 'An unexpected error occurred.');
  else telnyxError(res, status, '10015', 'Bad Request', 'The request failed.');
}

export const TELNYX_ERRORS: VendorErrors = {
  status: telnyxStatusError,
  error: (res, status, code, title) =>
    telnyxError(res, status, String(code), title ?? 'Request failed', 'The simulator was told to fail this request.'),
};

/** The message object Telnyx answers with and carries in its webhooks. */
export function telnyxMessage(entry: LedgerEntry, direction: 'outbound' | 'inbound' = 'outbound') {
  return {
    record_type: 'message',
    direction,
    id: entry.id,
    type: 'SMS',
    messaging_profile_id: entry.service,
    organization_id: 'simulator',
    from: { phone_number: entry.from, carrier: 'Telnyx', line_type: 'Long Code' },
    to: [{ phone_number: entry.to, status: TO_STATUS[entry.status], carrier: 'Simulated Mobile', line_type: 'Wireless' }],
    cc: [],
    text: entry.text,
    media: [],
    subject: null,
    webhook_url: entry.callbackUrl,
    webhook_failover_url: null,
    encoding: entry.encoding,
    parts: entry.segments,
    tags: [],
    cost: null,
    received_at: entry.acceptedAt,
    sent_at: entry.sentAt,
    completed_at: entry.completedAt,
    valid_until: null,
    errors: entry.errorCode ? [{ code: entry.errorCode, title: 'Delivery failed', detail: 'The message could not be delivered.' }] : [],
  };
}

function messageDetailRecord(entry: LedgerEntry) {
  return {
    record_type: 'message_detail_record',
    id: entry.id,
    message_type: 'SMS',
    direction: 'outbound',
    cld: entry.to,
    cli: entry.from,
    status: MDR_STATUS[entry.status],
    delivery_status: entry.status === 'delivered' ? 'success' : entry.status === 'failed' ? 'failed' : 'pending',
    parts: entry.segments,
    profile_id: entry.service,
    created_at: entry.acceptedAt,
    sent_at: entry.sentAt,
    completed_at: entry.completedAt,
    updated_at: entry.completedAt ?? entry.sentAt ?? entry.acceptedAt,
    delivery_status_webhook_url: entry.callbackUrl,
    errors: entry.errorCode ? [entry.errorCode] : [],
  };
}

export function telnyxEvent(
  sim: SimContext,
  eventType: string,
  payload: unknown,
  url: string,
): (attempt: number) => { headers: Record<string, string>; body: string } {
  const id = randomUUID();
  const occurredAt = new Date().toISOString();
  return (attempt) => {
    const body = JSON.stringify({
      data: { record_type: 'event', id, event_type: eventType, occurred_at: occurredAt, payload },
      meta: { attempt, delivered_to: url },
    });
    return { body, headers: { 'content-type': 'application/json', ...sim.telnyx.headers(body) } };
  };
}

function statusCallback(sim: SimContext, entry: LedgerEntry): OutgoingCallback | null {
  if (!entry.callbackUrl) return null;
  const eventType = entry.status === 'sent' ? 'message.sent' : 'message.finalized';
  return {
    vendor: 'telnyx',
    kind: 'status',
    m: entry.m,
    messageId: entry.id,
    event: eventType,
    url: entry.callbackUrl,
    build: telnyxEvent(sim, eventType, telnyxMessage(entry), entry.callbackUrl),
  };
}

function authorized(sim: SimContext, req: IncomingMessage): boolean {
  const token = bearerToken(req);
  if (token === null) return false;
  const expected = sim.secrets.telnyxApiKey;
  if (expected === null) return true;
  const a = Buffer.from(token);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function send(sim: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  const body = parseJsonObject(raw);
  if (body === null) return telnyxError(res, 400, '10015', 'Bad Request', 'The request body is not valid JSON.');
  const to = typeof body.to === 'string' ? body.to : null;
  const from = typeof body.from === 'string' ? body.from : null;
  const profile = typeof body.messaging_profile_id === 'string' ? body.messaging_profile_id : null;
  const text = typeof body.text === 'string' ? body.text : null;
  const webhookUrl = typeof body.webhook_url === 'string' && body.webhook_url.length > 0 ? body.webhook_url : null;
  if (to === null || !E164.test(to))
    return telnyxError(res, 400, '40310', "Invalid 'to' address", "The 'to' address is not a valid phone number.");
  if (from === null && profile === null)
    return telnyxError(res, 400, '40305', "Invalid 'from' address", "Either 'from' or 'messaging_profile_id' is required.");
  if (from !== null && !E164.test(from) && !/^[A-Za-z0-9 ]{1,11}$/.test(from))
    return telnyxError(res, 400, '40305', "Invalid 'from' address", "The 'from' address is not valid.");
  if (text === null || text.length === 0) return telnyxError(res, 400, '40004', 'Invalid message body', "'text' is required.");
  if (from !== null && !sim.numbers.telnyxMaySendFrom(from))
    return telnyxError(res, 400, '40013', 'Invalid source number', "The 'from' number is not a number on this account.");

  const { m, a } = attemptOf(webhookUrl);
  const gated = await gate(sim, { vendor: 'telnyx', op: 'send', to, key: a ?? raw });
  if (answeredByFault(sim, req, res, gated, TELNYX_ERRORS, 'send')) return;
  const fault = gated.fault;

  const entry = acceptMessage(
    sim,
    { vendor: 'telnyx', id: telnyxMessageId(), from, to, text, service: profile, m, a, callbackUrl: webhookUrl },
    fault,
    { statusCallback: (e) => statusCallback(sim, e), undeliveredCode: '40006' },
  );
  if (fault?.kind === 'ambiguous') return answerAmbiguously(sim, req, res, fault.mode);
  sendJson(res, 200, { data: telnyxMessage(entry) });
}

async function retrieve(sim: SimContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const gated = await gate(sim, { vendor: 'telnyx', op: 'fetch', to: null, key: id });
  if (answeredByFault(sim, req, res, gated, TELNYX_ERRORS, 'fetch')) return;
  const entry = sim.ledger.get(id);
  if (!entry || entry.vendor !== 'telnyx')
    return telnyxError(res, 404, '10005', 'Resource not found', 'The requested message was not found.');
  sendJson(res, 200, { data: telnyxMessage(entry) });
}

async function detailRecords(sim: SimContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  if (query.get('filter[record_type]') !== 'messaging') {
    return telnyxError(res, 400, '10015', 'Bad Request', "filter[record_type] must be 'messaging' in this simulator.");
  }
  const cld = query.get('filter[cld]');
  const cli = query.get('filter[cli]');
  const gated = await gate(sim, { vendor: 'telnyx', op: 'list', to: cld, key: query.toString() });
  if (answeredByFault(sim, req, res, gated, TELNYX_ERRORS, 'list')) return;
  const pageNumber = Math.max(1, Number(query.get('page[number]') ?? 1) || 1);
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(query.get('page[size]') ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE));
  const source =
    cld !== null ? sim.ledger.toNumber(cld) : sim.ledger.query({ vendor: 'telnyx', limit: Number.MAX_SAFE_INTEGER, offset: 0 }).entries;
  const matching = source.filter((e) => e.vendor === 'telnyx' && (cli === null || e.from === cli)).reverse();
  const totalPages = Math.max(1, Math.ceil(matching.length / pageSize));
  const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map(messageDetailRecord);
  sendJson(res, 200, {
    data: page,
    meta: { page_number: pageNumber, page_size: pageSize, total_pages: totalPages, total_results: matching.length },
  });
}

/** Telnyx v2 on its own port: send, retrieve, message detail records, and the number APIs (telnyx-numbers.ts). */
export function telnyxHandler(sim: SimContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const path = pathOf(url);
    if (!authorized(sim, req)) return telnyxError(res, 401, '10009', 'Authentication failed', 'The API key is missing or invalid.');
    if (req.method === 'POST' && path === '/v2/messages') return send(sim, req, res);
    if (await telnyxNumbersRoute(sim, req, res, path, queryOf(url))) return;
    if (req.method === 'GET') {
      const match = MESSAGE_PATH.exec(path);
      if (match) return retrieve(sim, req, res, match[1]!);
      if (path === '/v2/detail_records') return detailRecords(sim, req, res, queryOf(url));
    }
    telnyxError(res, 404, '10005', 'Resource not found', `No route for ${req.method ?? ''} ${path}.`);
  };
}

/** A signed `message.received` event to the configured inbound URL. */
export function telnyxInbound(sim: SimContext, url: string, inbound: InboundRequest): OutgoingCallback {
  const id = telnyxMessageId();
  const { encoding, segments } = segment(inbound.text);
  const now = new Date().toISOString();
  const payload = {
    record_type: 'message',
    direction: 'inbound',
    id,
    type: 'SMS',
    messaging_profile_id: null,
    organization_id: 'simulator',
    from: { phone_number: inbound.from, carrier: 'Simulated Mobile', line_type: 'Wireless' },
    to: [{ phone_number: inbound.to, status: 'webhook_delivered', carrier: 'Telnyx', line_type: 'Long Code' }],
    cc: [],
    text: inbound.text,
    media: [],
    encoding,
    parts: segments,
    tags: [],
    received_at: now,
    errors: [],
  };
  return {
    vendor: 'telnyx',
    kind: 'inbound',
    m: null,
    messageId: id,
    event: 'message.received',
    url,
    build: telnyxEvent(sim, 'message.received', payload, url),
  };
}
