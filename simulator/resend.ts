import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorSecrets } from './context';
import { bearerToken, parseJsonObject, readBody, sendJson } from './http-util';
import type { EmailRecord } from './types';

const EMAIL_PATH = /^\/emails\/([0-9a-f-]{36})$/;
const MAX_KEY_LENGTH = 256;

function resendError(res: ServerResponse, statusCode: number, name: string, message: string): void {
  sendJson(res, statusCode, { statusCode, name, message });
}

function recipients(value: unknown): string[] | null {
  if (typeof value === 'string' && value.length > 0) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.length > 0)) return value as string[];
  return null;
}

/** Resend's emails API: send (honouring Idempotency-Key), get, and the simulator's record of what was sent. */
export class ResendSimulator {
  private readonly emails = new Map<string, EmailRecord>();
  private readonly byTo = new Map<string, EmailRecord[]>();
  private readonly idempotency = new Map<string, { bodyHash: string; id: string }>();

  constructor(private readonly secrets: SimulatorSecrets) {}

  handles(path: string): boolean {
    return path === '/emails' || path.startsWith('/emails/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const token = bearerToken(req);
    if (token === null) return resendError(res, 401, 'missing_api_key', 'Missing API key in the authorization header');
    if (this.secrets.resendApiKey !== null && token !== this.secrets.resendApiKey)
      return resendError(res, 403, 'invalid_api_key', 'API key is invalid');
    if (req.method === 'POST' && path === '/emails') return this.send(req, res);
    const match = EMAIL_PATH.exec(path);
    if (req.method === 'GET' && match) return this.get(res, match[1]!);
    resendError(res, 404, 'not_found', 'The requested endpoint does not exist.');
  }

  list(to: string | undefined): EmailRecord[] {
    return to === undefined ? [...this.emails.values()] : (this.byTo.get(to) ?? []);
  }

  reset(): void {
    this.emails.clear();
    this.byTo.clear();
    this.idempotency.clear();
  }

  private async send(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = parseJsonObject(raw);
    if (body === null) return resendError(res, 422, 'validation_error', 'The request body is not valid JSON.');
    const keyHeader = req.headers['idempotency-key'];
    const key = typeof keyHeader === 'string' && keyHeader.length > 0 ? keyHeader : null;
    if (key !== null && key.length > MAX_KEY_LENGTH)
      return resendError(res, 400, 'invalid_idempotency_key', 'The idempotency key must be 1-256 characters.');
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    if (key !== null) {
      const previous = this.idempotency.get(key);
      if (previous && previous.bodyHash !== bodyHash) {
        return resendError(res, 409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.');
      }
      if (previous) return sendJson(res, 200, { id: previous.id });
    }
    const to = recipients(body.to);
    if (typeof body.from !== 'string' || body.from.length === 0)
      return resendError(res, 422, 'validation_error', 'The `from` field is required.');
    if (to === null) return resendError(res, 422, 'validation_error', 'The `to` field is required.');
    if (typeof body.subject !== 'string' || body.subject.length === 0)
      return resendError(res, 422, 'validation_error', 'The `subject` field is required.');
    const record: EmailRecord = {
      id: randomUUID(),
      from: body.from,
      to,
      subject: body.subject,
      html: typeof body.html === 'string' ? body.html : null,
      text: typeof body.text === 'string' ? body.text : null,
      tags: body.tags ?? null,
      idempotencyKey: key,
      createdAt: new Date().toISOString(),
    };
    this.emails.set(record.id, record);
    for (const address of to) {
      const list = this.byTo.get(address);
      if (list) list.push(record);
      else this.byTo.set(address, [record]);
    }
    if (key !== null) this.idempotency.set(key, { bodyHash, id: record.id });
    sendJson(res, 200, { id: record.id });
  }

  private get(res: ServerResponse, id: string): void {
    const email = this.emails.get(id);
    if (!email) return resendError(res, 404, 'not_found', 'Email not found');
    sendJson(res, 200, {
      object: 'email',
      id: email.id,
      to: email.to,
      from: email.from,
      created_at: email.createdAt,
      subject: email.subject,
      html: email.html,
      text: email.text,
      bcc: null,
      cc: null,
      reply_to: null,
      last_event: 'delivered',
      scheduled_at: null,
      tags: email.tags,
    });
  }
}
