import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailSendError, type EmailMessage } from '../providers/email/email-sender';
import { createEmailSender } from '../providers/email/registry';
import { ResendEmailSender } from '../providers/email/resend/resend-email-sender';
import { webhookEndpointDisabledEmail, webhookEndpointDisabledKey } from '../services/email/templates/webhook-endpoint-disabled';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
const FROM = 'MassiveSMS <no-reply@massivesms.example>';

const message = (to: string, idempotencyKey: string, subject = 'Hello'): EmailMessage => ({
  to: [to],
  subject,
  text: 'plain',
  html: '<p>html</p>',
  idempotencyKey,
  tags: [{ name: 'kind', value: 'test' }],
});

async function sendError(sender: ResendEmailSender, m: EmailMessage): Promise<EmailSendError> {
  const err = await sender.send(m).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EmailSendError);
  return err as EmailSendError;
}

beforeAll(async () => {
  sim = await startSimulatorProcess();
});
afterAll(() => sim.stop());

describe('Resend email adapter (official SDK → simulator)', () => {
  it('sends once per idempotency key: a retry with the same key is the same email', async () => {
    const sender = createEmailSender({ RESEND_API_KEY: sim.resendApiKey, RESEND_BASE_URL: sim.url, EMAIL_FROM: FROM })!;
    const first = await sender.send(message('once@example.com', 'welcome:u-1'));
    const retried = await sender.send(message('once@example.com', 'welcome:u-1'));
    expect(retried.id).toBe(first.id);
    const other = await sender.send(message('once@example.com', 'welcome:u-2'));
    expect(other.id).not.toBe(first.id);
    const emails = await sim.control.emails('once@example.com');
    expect(emails.map((e) => e.idempotencyKey)).toEqual(['welcome:u-1', 'welcome:u-2']);
    expect(emails[0]).toMatchObject({ from: FROM, to: ['once@example.com'], subject: 'Hello', text: 'plain', html: '<p>html</p>' });
  });

  it('the disabled-endpoint email has a key from its business ids and renders text and HTML', async () => {
    const sender = createEmailSender({ RESEND_API_KEY: sim.resendApiKey, RESEND_BASE_URL: `${sim.url}/`, EMAIL_FROM: FROM })!;
    const disabledAt = new Date('2026-11-24T10:00:00.000Z');
    const content = webhookEndpointDisabledEmail({ endpointId: 'e-1', url: 'https://hooks.example.com/in?token=s3cret', disabledAt });
    const key = webhookEndpointDisabledKey('e-1', disabledAt);
    expect(key).toBe('webhook-endpoint-disabled:e-1:2026-11-24T10:00:00.000Z');
    await sender.send({ to: ['admin@example.com'], ...content, idempotencyKey: key });
    await sender.send({ to: ['admin@example.com'], ...content, idempotencyKey: key });
    const [email, ...more] = await sim.control.emails('admin@example.com');
    expect(more).toHaveLength(0);
    expect(email!.text).toContain('https://hooks.example.com/in');
    expect(email!.text).not.toContain('s3cret');
    expect(email!.html).toContain('<code>e-1</code>');
  });

  it('maps the SDK’s {error} answers: refused request permanent, key reuse permanent, bad key permanent', async () => {
    const sender = new ResendEmailSender({ apiKey: sim.resendApiKey, baseUrl: sim.url, from: FROM, timeoutMs: 5000 });
    const invalid = await sendError(sender, message('bad@example.com', 'no-subject', ''));
    expect(invalid).toMatchObject({ code: 'validation_error', statusCode: 422, retryable: false });
    await sender.send(message('reuse@example.com', 'reused'));
    const reused = await sendError(sender, message('reuse@example.com', 'reused', 'Different'));
    expect(reused).toMatchObject({ code: 'invalid_idempotent_request', statusCode: 409, retryable: false });
    const wrongKey = new ResendEmailSender({ apiKey: 're_wrong', baseUrl: sim.url, from: FROM, timeoutMs: 5000 });
    expect(await sendError(wrongKey, message('k@example.com', 'k'))).toMatchObject({
      code: 'invalid_api_key',
      statusCode: 403,
      retryable: false,
    });
  });

  it('unreachable and timed-out sends are retryable, and told apart', async () => {
    const hung: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const port = (hung.address() as AddressInfo).port;
    try {
      const slow = new ResendEmailSender({ apiKey: 're_x', baseUrl: `http://127.0.0.1:${port}`, from: FROM, timeoutMs: 200 });
      expect(await sendError(slow, message('t@example.com', 't'))).toMatchObject({ code: 'timeout', statusCode: null, retryable: true });
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
    const refused = new ResendEmailSender({ apiKey: 're_x', baseUrl: `http://127.0.0.1:${port}`, from: FROM, timeoutMs: 2000 });
    expect(await sendError(refused, message('r@example.com', 'r'))).toMatchObject({
      code: 'unreachable',
      statusCode: null,
      retryable: true,
    });
  });

  it('no RESEND_API_KEY, no sender', () => {
    expect(createEmailSender({ EMAIL_FROM: FROM })).toBeNull();
  });
});
