import { escapeHtml } from './escape-html';

export interface WebhookEndpointDisabledEmail {
  endpointId: string;
  /** Shown without its query string, which may hold the customer's own token. */
  url: string;
  disabledAt: Date;
}

const withoutQuery = (raw: string): string => {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(unreadable URL)';
  }
};

/** Sent once when deliveries to an endpoint failed for a day and it was disabled. */
export function webhookEndpointDisabledEmail(input: WebhookEndpointDisabledEmail): { subject: string; text: string; html: string } {
  const url = withoutQuery(input.url);
  const when = input.disabledAt.toISOString();
  const subject = 'A MassiveSMS webhook endpoint was disabled';
  const text = [
    'Every delivery to one of your webhook endpoints has failed for 24 hours, so we disabled it.',
    '',
    `Endpoint: ${input.endpointId}`,
    `URL: ${url}`,
    `Disabled at: ${when}`,
    '',
    'No events are sent to it while it is disabled. Fix the receiver, then enable it again with',
    `PATCH /v1/webhook-endpoints/${input.endpointId} {"status": "active"}.`,
    'GET /v1/webhook-endpoints/<id>/deliveries shows every attempt and its answer.',
  ].join('\n');
  const html = [
    '<p>Every delivery to one of your webhook endpoints has failed for 24 hours, so we disabled it.</p>',
    '<ul>',
    `<li>Endpoint: <code>${escapeHtml(input.endpointId)}</code></li>`,
    `<li>URL: <code>${escapeHtml(url)}</code></li>`,
    `<li>Disabled at: ${escapeHtml(when)}</li>`,
    '</ul>',
    '<p>No events are sent to it while it is disabled. Fix the receiver, then enable it again with ',
    `<code>PATCH /v1/webhook-endpoints/${escapeHtml(input.endpointId)}</code> and <code>{"status": "active"}</code>.</p>`,
  ].join('\n');
  return { subject, text, html };
}

/** Same endpoint and same disabling → same key: a retried send is one email at the provider. */
export const webhookEndpointDisabledKey = (endpointId: string, disabledAt: Date): string =>
  `webhook-endpoint-disabled:${endpointId}:${disabledAt.toISOString()}`;
