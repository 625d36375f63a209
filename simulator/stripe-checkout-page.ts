import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseForm, readBody } from './http-util';
import { StripeRequestError, type Card, type StripeSimulator } from './stripe';
import type { StripeObject } from './stripe-billing';

/** The hosted Checkout page of a session: `<url>` as the session's `url` names it. */
export const CHECKOUT_PAGE_PREFIX = '/_sim/stripe/checkout/';

/** The page's test card, as Stripe's docs list it (any future expiry): December, four years from now. */
const testCard = (now = new Date()) => ({
  number: '4242 4242 4242 4242',
  expiry: `12 / ${String((now.getUTCFullYear() + 4) % 100).padStart(2, '0')}`,
  country: 'US',
});

/** Stripe's card brand names (`payment_method.card.brand`) by the number's leading digits. */
export function brandOf(digits: string): string {
  if (/^4/.test(digits)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  if (/^35/.test(digits)) return 'jcb';
  if (/^(36|30[0-5])/.test(digits)) return 'diners';
  return 'unknown';
}

interface Entered {
  number: string;
  expiry: string;
  country: string;
}

/** The card the form describes, or the field that is wrong and why. */
export function cardOf(entered: Entered, now = new Date()): { card: Card } | { field: keyof Entered; reason: string } {
  const digits = entered.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) return { field: 'number', reason: 'Your card number is incomplete.' };
  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(entered.expiry);
  const month = Number(expiry?.[1]);
  const year = expiry ? (expiry[2]!.length === 2 ? 2000 + Number(expiry[2]) : Number(expiry[2])) : NaN;
  if (!expiry || month < 1 || month > 12) return { field: 'expiry', reason: "Your card's expiration date is incomplete." };
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1) || year > 2100)
    return { field: 'expiry', reason: "Your card's expiration year is in the past." };
  const country = entered.country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) return { field: 'country', reason: 'Choose a country (two letters, e.g. US).' };
  return { card: { brand: brandOf(digits), last4: digits.slice(-4), exp_month: month, exp_year: year, country } };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 0; background: #f6f9fc; color: #1a1f36; }
main { max-width: 26rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border-radius: 8px; box-shadow: 0 2px 8px #0002; }
h1 { font-size: 1.3rem; } label { display: block; margin-top: 1rem; font-weight: 600; }
input { width: 100%; padding: .5rem; font: inherit; border: 1px solid #8792a2; border-radius: 4px; box-sizing: border-box; }
button { margin-top: 1.25rem; width: 100%; padding: .6rem; font: inherit; font-weight: 600; color: #fff; background: #0a5bd3; border: 0; border-radius: 4px; }
.error { color: #b3261e; margin-top: .25rem; } .test { background: #fff4e5; padding: .5rem; border-radius: 4px; }
a { color: #0a5bd3; display: inline-block; margin-top: 1rem; }`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** The origin of a return URL, for form-action (the redirect after posting the form is checked against it too). */
function originOf(url: unknown): string {
  try {
    return typeof url === 'string' ? new URL(url).origin : '';
  } catch {
    return '';
  }
}

function sendHtml(res: ServerResponse, status: number, html: string, returnTo = ''): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(html)),
    'cache-control': 'no-store',
    // No script on this page at all; only its own inline style and a form posting to itself, then sent on to success_url.
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${returnTo}; frame-ancestors 'none'`,
  });
  res.end(html);
}

function field(name: keyof Entered, label: string, value: string, error: { field: string; reason: string } | null, extra = ''): string {
  const invalid = error?.field === name;
  return `<label for="${name}">${label}</label>
<input id="${name}" name="${name}" value="${escape(value)}" ${extra}${invalid ? ` aria-invalid="true" aria-describedby="${name}-error"` : ''}>
${invalid ? `<div class="error" id="${name}-error" role="alert">${escape(error.reason)}</div>` : ''}`;
}

function form(session: StripeObject, entered: Entered, error: { field: string; reason: string } | null): string {
  const cancel = typeof session.cancel_url === 'string' ? `<a href="${escape(session.cancel_url)}">Cancel and go back</a>` : '';
  return page(
    'Add a card — Stripe Checkout (simulator)',
    `<h1>Save a card for future payments</h1>
<p class="test">Simulator: test mode. No real card is charged; the card is saved as Stripe would save it.</p>
<form method="post" action="${escape(CHECKOUT_PAGE_PREFIX + String(session.id))}" novalidate>
${field('number', 'Card number', entered.number, error, 'inputmode="numeric" autocomplete="cc-number"')}
${field('expiry', 'Expiry (MM / YY)', entered.expiry, error, 'autocomplete="cc-exp"')}
${field('country', 'Country', entered.country, error, 'autocomplete="country" maxlength="2"')}
<button type="submit">Save card</button>
</form>
${cancel}`,
  );
}

function withSessionId(url: string, id: string): string {
  return url.replace('{CHECKOUT_SESSION_ID}', encodeURIComponent(id));
}

/**
 * The hosted page a Checkout session's `url` opens: the customer enters a card and "Save card"
 * completes the session exactly as `POST /_sim/stripe/complete-setup` does (same payment method,
 * same signed `checkout.session.completed` to the webhook URL), then goes to `success_url`.
 */
export function checkoutPageHandler(stripe: StripeSimulator) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const id = decodeURIComponent(path.slice(CHECKOUT_PAGE_PREFIX.length));
    const session = stripe.findCheckoutSession(id);
    if (session === null) return sendHtml(res, 404, page('Not found', '<h1>This Checkout session does not exist</h1>'));
    if (session.status !== 'open') {
      const back = typeof session.success_url === 'string' ? `<a href="${escape(session.success_url)}">Return</a>` : '';
      return sendHtml(res, 410, page('Session complete', `<h1>This Checkout session is no longer open</h1>${back}`));
    }
    const returnTo = originOf(session.success_url);
    if (req.method === 'GET') return sendHtml(res, 200, form(session, testCard(), null), returnTo);
    if (req.method !== 'POST') return sendHtml(res, 405, page('Not allowed', '<h1>Method not allowed</h1>'));
    const posted = parseForm(await readBody(req));
    const entered: Entered = { number: posted.number ?? '', expiry: posted.expiry ?? '', country: posted.country ?? '' };
    const parsed = cardOf(entered);
    if ('field' in parsed) return sendHtml(res, 400, form(session, entered, parsed), returnTo);
    let result: { status: number | null };
    try {
      result = await stripe.completeSetup({ checkoutSession: id, card: parsed.card });
    } catch (err) {
      if (!(err instanceof StripeRequestError)) throw err;
      return sendHtml(
        res,
        err.status,
        page('Checkout failed', `<h1>The card could not be saved</h1><p role="alert">${escape(err.message)}</p>`),
      );
    }
    // One attempt, as the control route makes it; the answer is logged so a test can see a refused event.
    if (result.status === null || result.status < 200 || result.status >= 300)
      process.stdout.write(`${JSON.stringify({ simulator: 'checkout_webhook', session: id, status: result.status })}\n`);
    if (typeof session.success_url !== 'string') return sendHtml(res, 200, page('Card saved', '<h1>Card saved</h1>'));
    res.writeHead(303, { location: withSessionId(session.success_url, id), 'cache-control': 'no-store' });
    res.end();
  };
}
