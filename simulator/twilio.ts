import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptMessage, answerAmbiguously, answeredByFault, attemptOf, E164, gate, type VendorErrors } from './carrier-common';
import type { OutgoingCallback } from './callbacks';
import type { SimContext } from './context';
import { parseForm, pathOf, queryOf, readBody, rfc2822, sendJson } from './http-util';
import { twilioMessageSid } from './ids';
import { segment } from './segments';
import { twilioSignature } from './signing';
import { twilioNumbersRoute } from './twilio-numbers';
import type { InboundRequest, LedgerEntry, MessageStatus } from './types';

const API_VERSION = '2010-04-01';
const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/(SM[0-9a-f]{32})\.json$/;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

const STATUS: Record<MessageStatus, string> = { queued: 'queued', sent: 'sent', delivered: 'delivered', failed: 'undelivered' };

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP']);
const HELP_WORDS = new Set(['HELP', 'INFO']);

export function twilioError(res: ServerResponse, status: number, code: number, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

export function twilioStatusError(res: ServerResponse, status: number): void {
  if (status === 429) twilioError(res, 429, 20429, 'Too Many Requests', { 'retry-after': '1' });
  else if (status >= 500) twilioError(res, status, 20500, 'Internal Server Error');
  else twilioError(res, status, 20001, 'Request failed');
}

export const TWILIO_ERRORS: VendorErrors = {
  status: twilioStatusError,
  error: (res, status, code, title) => twilioError(res, status, Number(code), title ?? 'The simulator was told to fail this request.'),
};

function twilioMessage(accountSid: string, entry: LedgerEntry) {
  const created = rfc2822(new Date(entry.acceptedAt));
  return {
    account_sid: accountSid,
    api_version: API_VERSION,
    body: entry.text,
    date_created: created,
    // The simulator hands every accepted message to the network at once, so lookups by date sent find it.
    date_sent: created,
    date_updated: rfc2822(new Date(entry.completedAt ?? entry.sentAt ?? entry.acceptedAt)),
    direction: 'outbound-api',
    error_code: entry.errorCode === null ? null : Number(entry.errorCode),
    error_message: entry.errorCode === null ? null : 'Unreachable destination handset',
    from: entry.from.length > 0 ? entry.from : null,
    messaging_service_sid: entry.service,
    num_media: '0',
    num_segments: String(entry.segments),
    price: null,
    price_unit: 'USD',
    sid: entry.id,
    status: STATUS[entry.status],
    subresource_uris: {
      media: `/${API_VERSION}/Accounts/${accountSid}/Messages/${entry.id}/Media.json`,
      feedback: `/${API_VERSION}/Accounts/${accountSid}/Messages/${entry.id}/Feedback.json`,
    },
    to: entry.to,
    uri: `/${API_VERSION}/Accounts/${accountSid}/Messages/${entry.id}.json`,
  };
}

/** A form POST signed with X-Twilio-Signature over the exact URL and the sorted params. */
export function twilioForm(
  sim: SimContext,
  url: string,
  params: Record<string, string>,
): () => { headers: Record<string, string>; body: string } {
  const body = new URLSearchParams(params).toString();
  const idempotencyToken = randomUUID();
  return () => ({
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(sim.secrets.twilioAuthToken, url, params),
      'i-twilio-idempotency-token': idempotencyToken,
      'user-agent': 'TwilioProxy/1.1',
    },
  });
}

function statusCallback(sim: SimContext, entry: LedgerEntry): OutgoingCallback | null {
  if (!entry.callbackUrl) return null;
  const status = STATUS[entry.status];
  const params: Record<string, string> = {
    MessageSid: entry.id,
    SmsSid: entry.id,
    SmsStatus: status,
    MessageStatus: status,
    AccountSid: sim.secrets.twilioAccountSid,
    From: entry.from,
    To: entry.to,
    ApiVersion: API_VERSION,
  };
  if (entry.service !== null) params.MessagingServiceSid = entry.service;
  if (entry.errorCode !== null) params.ErrorCode = entry.errorCode;
  return {
    vendor: 'twilio',
    kind: 'status',
    m: entry.m,
    messageId: entry.id,
    event: status,
    url: entry.callbackUrl,
    build: twilioForm(sim, entry.callbackUrl, params),
  };
}

function authorized(sim: SimContext, req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice(6).trim(), 'base64');
  const expected = Buffer.from(`${sim.secrets.twilioAccountSid}:${sim.secrets.twilioAuthToken}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function create(sim: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  const form = parseForm(raw);
  const to = form.To;
  const from = form.From ?? null;
  const service = form.MessagingServiceSid ?? null;
  const text = form.Body;
  const callbackUrl = form.StatusCallback && form.StatusCallback.length > 0 ? form.StatusCallback : null;
  if (to === undefined || to.length === 0) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
  if (!E164.test(to)) return twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (from === null && service === null) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
  if (from !== null && !E164.test(from) && !/^[A-Za-z0-9 ]{1,11}$/.test(from))
    return twilioError(res, 400, 21212, `The 'From' number ${from} is not a valid phone number.`);
  if (text === undefined || text.length === 0) return twilioError(res, 400, 21602, 'Message body is required.');
  if (from !== null && !sim.numbers.twilioMaySendFrom(from))
    return twilioError(
      res,
      400,
      21606,
      `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
    );

  const { m, a } = attemptOf(callbackUrl);
  const gated = await gate(sim, { vendor: 'twilio', op: 'send', to, key: a ?? raw });
  if (answeredByFault(sim, req, res, gated, TWILIO_ERRORS, 'send')) return;
  const fault = gated.fault;

  const entry = acceptMessage(
    sim,
    { vendor: 'twilio', id: twilioMessageSid(), from, to, text, service: service, m, a, callbackUrl: callbackUrl },
    fault,
    { statusCallback: (e) => statusCallback(sim, e), undeliveredCode: '30003' },
  );
  if (fault?.kind === 'ambiguous') return answerAmbiguously(sim, req, res, fault.mode);
  sendJson(res, 201, twilioMessage(sim.secrets.twilioAccountSid, entry));
}

async function fetchOne(sim: SimContext, req: IncomingMessage, res: ServerResponse, sid: string): Promise<void> {
  const gated = await gate(sim, { vendor: 'twilio', op: 'fetch', to: null, key: sid });
  if (answeredByFault(sim, req, res, gated, TWILIO_ERRORS, 'fetch')) return;
  const entry = sim.ledger.get(sid);
  if (!entry || entry.vendor !== 'twilio')
    return twilioError(res, 404, 20404, `The requested resource /Messages/${sid}.json was not found`);
  sendJson(res, 200, twilioMessage(sim.secrets.twilioAccountSid, entry));
}

/** `DateSent>` / `DateSent<` / `DateSent`: a day (YYYY-MM-DD) or an instant (the SDK sends seconds). */
function dateBound(value: string | null, edge: 'start' | 'end'): number | null {
  if (value === null || value.length === 0) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    return edge === 'start' ? start : start + 86_400_000 - 1;
  }
  const instant = Date.parse(value);
  return Number.isNaN(instant) ? null : instant;
}

async function list(sim: SimContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const query = queryOf(req.url ?? '');
  const to = query.get('To');
  const from = query.get('From');
  const gated = await gate(sim, { vendor: 'twilio', op: 'list', to, key: query.toString() });
  if (answeredByFault(sim, req, res, gated, TWILIO_ERRORS, 'list')) return;
  const on = query.get('DateSent');
  const after = on !== null ? dateBound(on, 'start') : dateBound(query.get('DateSent>'), 'start');
  const before = on !== null ? dateBound(on, 'end') : dateBound(query.get('DateSent<'), 'end');
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(query.get('PageSize') ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE));
  const page = Math.max(0, Number(query.get('Page') ?? 0) || 0);
  const offset = Math.max(0, Number(query.get('PageToken') ?? page * pageSize) || 0);

  const source =
    to !== null ? sim.ledger.toNumber(to) : sim.ledger.query({ vendor: 'twilio', limit: Number.MAX_SAFE_INTEGER, offset: 0 }).entries;
  const matching = source
    .filter((e) => {
      if (e.vendor !== 'twilio' || (from !== null && e.from !== from)) return false;
      // Twilio dates have second precision.
      const sentSecond = Math.floor(Date.parse(e.acceptedAt) / 1000) * 1000;
      return (after === null || sentSecond >= after) && (before === null || sentSecond <= before);
    })
    .reverse();
  const accountSid = sim.secrets.twilioAccountSid;
  const messages = matching.slice(offset, offset + pageSize).map((e) => twilioMessage(accountSid, e));
  const base = new URLSearchParams(query);
  base.delete('Page');
  base.delete('PageToken');
  base.set('PageSize', String(pageSize));
  const uriFor = (pageIndex: number, token: number | null) => {
    const params = new URLSearchParams(base);
    params.set('Page', String(pageIndex));
    if (token !== null) params.set('PageToken', String(token));
    return `${path}?${params.toString()}`;
  };
  const pageIndex = Math.floor(offset / pageSize);
  const hasNext = offset + pageSize < matching.length;
  sendJson(res, 200, {
    messages,
    end: offset + messages.length - 1,
    first_page_uri: uriFor(0, null),
    next_page_uri: hasNext ? uriFor(pageIndex + 1, offset + pageSize) : null,
    page: pageIndex,
    page_size: pageSize,
    previous_page_uri: pageIndex > 0 ? uriFor(pageIndex - 1, Math.max(0, offset - pageSize)) : null,
    start: offset,
    uri: `${path}?${query.toString()}`,
  });
}

/** Twilio's 2010-04-01 Messages API on its own port. */
export function twilioHandler(sim: SimContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = pathOf(req.url ?? '/');
    if (!authorized(sim, req)) return twilioError(res, 401, 20003, 'Authenticate');
    if (await twilioNumbersRoute(sim, req, res, path, queryOf(req.url ?? '/'))) return;
    const listMatch = MESSAGES_PATH.exec(path);
    const oneMatch = listMatch ? null : MESSAGE_PATH.exec(path);
    const accountSid = listMatch?.[1] ?? oneMatch?.[1];
    if (accountSid !== undefined && accountSid !== sim.secrets.twilioAccountSid) {
      return twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    }
    if (listMatch && req.method === 'POST') return create(sim, req, res);
    if (listMatch && req.method === 'GET') return list(sim, req, res, path);
    if (oneMatch && req.method === 'GET') return fetchOne(sim, req, res, oneMatch[2]!);
    twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
  };
}

function optOutType(text: string): string | null {
  const word = text.trim().toUpperCase();
  if (STOP_WORDS.has(word)) return 'STOP';
  if (START_WORDS.has(word)) return 'START';
  if (HELP_WORDS.has(word)) return 'HELP';
  return null;
}

/** A signed inbound SMS form to the configured inbound URL. */
export function twilioInbound(sim: SimContext, url: string, inbound: InboundRequest): OutgoingCallback {
  const sid = twilioMessageSid();
  const params: Record<string, string> = {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    Body: inbound.text,
    To: inbound.to,
    NumSegments: String(segment(inbound.text).segments),
    MessageSid: sid,
    AccountSid: sim.secrets.twilioAccountSid,
    From: inbound.from,
    ApiVersion: API_VERSION,
  };
  const optOut = optOutType(inbound.text);
  if (optOut !== null) params.OptOutType = optOut;
  return { vendor: 'twilio', kind: 'inbound', m: null, messageId: sid, event: 'received', url, build: twilioForm(sim, url, params) };
}
