import type { IncomingMessage, ServerResponse } from 'node:http';
import { answeredByFault, gate } from './carrier-common';
import type { SimContext } from './context';
import { parseJsonObject, readBody, sendJson } from './http-util';
import type { TelnyxNumber, TelnyxOrder } from './number-book';
import { TELNYX_ERRORS, telnyxError } from './telnyx';

const ORDER_PATH = /^\/v2\/number_orders\/([0-9a-fA-F-]{36})$/;
const NUMBER_PATH = /^\/v2\/phone_numbers\/(\d{1,24})$/;
const NUMBER_MESSAGING_PATH = /^\/v2\/phone_numbers\/(\d{1,24})\/messaging$/;
const MAX_SEARCH_LIMIT = 100;
const DEFAULT_SEARCH_LIMIT = 10;

function orderJson(order: TelnyxOrder) {
  return {
    record_type: 'number_order',
    id: order.id,
    status: order.status,
    customer_reference: order.customerReference,
    messaging_profile_id: order.messagingProfileId,
    connection_id: null,
    billing_group_id: null,
    phone_numbers_count: order.numbers.length,
    phone_numbers: order.numbers.map((n) => ({
      record_type: 'number_order_phone_number',
      id: n.id,
      phone_number: n.phone,
      phone_number_type: 'local',
      country_code: 'US',
      status: order.status,
      requirements_met: true,
      regulatory_requirements: [],
    })),
    requirements_met: true,
    sub_number_orders_ids: [],
    created_at: order.createdAt,
    updated_at: order.updatedAt,
  };
}

function phoneNumberJson(n: TelnyxNumber) {
  return {
    record_type: 'phone_number',
    id: n.id,
    phone_number: n.phone,
    status: n.status,
    messaging_profile_id: n.messagingProfileId,
    phone_number_type: 'local',
    created_at: n.createdAt,
    updated_at: n.updatedAt,
  };
}

function messagingSettingsJson(n: TelnyxNumber) {
  return {
    record_type: 'messaging_settings',
    id: n.id,
    phone_number: n.phone,
    messaging_profile_id: n.messagingProfileId,
    country_code: 'US',
    type: 'long-code',
    eligible_messaging_products: ['A2P'],
    messaging_product: 'A2P',
    health: null,
    features: { sms: { domestic_two_way: true, international_inbound: false, international_outbound: false } },
    created_at: n.createdAt,
    updated_at: n.updatedAt,
  };
}

function search(sim: SimContext, res: ServerResponse, query: URLSearchParams): void {
  const country = query.get('filter[country_code]');
  if (country !== null && country !== 'US') return sendJson(res, 200, { data: [], meta: { total_results: 0, best_effort_results: 0 } });
  const areaCode = query.get('filter[national_destination_code]') ?? undefined;
  const startsWith = query.get('filter[phone_number][starts_with]') ?? undefined;
  const contains = query.get('filter[phone_number][contains]') ?? undefined;
  const limitRaw = Number(query.get('filter[limit]') ?? DEFAULT_SEARCH_LIMIT);
  for (const [name, value] of [
    ['national_destination_code', areaCode],
    ['starts_with', startsWith],
    ['contains', contains],
  ] as const) {
    if (value !== undefined && !/^\d{1,10}$/.test(value))
      return telnyxError(res, 400, '10015', 'Bad Request', `filter ${name} must be digits.`);
  }
  if (!Number.isInteger(limitRaw) || limitRaw < 1)
    return telnyxError(res, 400, '10015', 'Bad Request', 'filter[limit] must be a positive integer.');
  const numbers = sim.numbers.search({ areaCode, startsWith, contains, limit: Math.min(limitRaw, MAX_SEARCH_LIMIT) });
  sendJson(res, 200, {
    data: numbers.map((phone) => ({
      record_type: 'available_phone_number',
      phone_number: phone,
      vanity_format: '',
      best_effort: false,
      quickship: true,
      reservable: true,
      region_information: [
        { region_type: 'country_code', region_name: 'US' },
        { region_type: 'location', region_name: phone.slice(2, 5) },
      ],
      cost_information: { upfront_cost: '1.00', monthly_cost: '1.00', currency: 'USD' },
      features: [{ name: 'sms' }, { name: 'voice' }],
    })),
    meta: { total_results: numbers.length, best_effort_results: 0 },
  });
}

async function createOrder(sim: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseJsonObject(await readBody(req));
  if (body === null) return telnyxError(res, 400, '10015', 'Bad Request', 'The request body is not valid JSON.');
  const entries = Array.isArray(body.phone_numbers) ? body.phone_numbers : [];
  const phones = entries.map((e) => (typeof e === 'object' && e !== null ? (e as { phone_number?: unknown }).phone_number : undefined));
  if (phones.length === 0 || phones.length > 20 || !phones.every((p): p is string => typeof p === 'string'))
    return telnyxError(res, 422, '10015', 'Invalid phone_numbers', 'phone_numbers must list 1 to 20 {phone_number} objects.');
  const unavailable = phones.find((p) => !sim.numbers.telnyxAvailable(p));
  if (unavailable !== undefined)
    return telnyxError(res, 422, '85001', 'Number not available', 'A requested number is not available for purchase.');
  const order = sim.numbers.orderAtTelnyx({
    phones,
    customerReference: typeof body.customer_reference === 'string' ? body.customer_reference : null,
    messagingProfileId: typeof body.messaging_profile_id === 'string' ? body.messaging_profile_id : null,
  });
  sendJson(res, 200, { data: orderJson(order) });
}

async function updateMessaging(sim: SimContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const body = parseJsonObject(await readBody(req));
  if (body === null) return telnyxError(res, 400, '10015', 'Bad Request', 'The request body is not valid JSON.');
  const number = sim.numbers.telnyxNumber(id);
  if (!number) return telnyxError(res, 404, '10005', 'Resource not found', 'The requested phone number was not found.');
  if (number.status !== 'active') return telnyxError(res, 422, '10015', 'Number not active', 'The number order has not completed.');
  const profile = body.messaging_profile_id;
  const updated = sim.numbers.setMessagingProfile(id, typeof profile === 'string' && profile.length > 0 ? profile : null)!;
  sendJson(res, 200, { data: messagingSettingsJson(updated) });
}

/** Telnyx number search, number orders, phone-number messaging settings and release; null when not a number route. */
export async function telnyxNumbersRoute(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const isNumbersRoute =
    path === '/v2/available_phone_numbers' ||
    path === '/v2/number_orders' ||
    path.startsWith('/v2/number_orders/') ||
    path.startsWith('/v2/phone_numbers/');
  if (!isNumbersRoute) return false;
  const gated = await gate(sim, { vendor: 'telnyx', op: 'numbers', to: null, key: `${method} ${path}` });
  if (answeredByFault(sim, req, res, gated, TELNYX_ERRORS, 'numbers')) return true;

  if (method === 'GET' && path === '/v2/available_phone_numbers') search(sim, res, query);
  else if (method === 'POST' && path === '/v2/number_orders') await createOrder(sim, req, res);
  else if (method === 'GET' && path === '/v2/number_orders') {
    const orders = sim.numbers.telnyxOrdersByReference(query.get('filter[customer_reference]'));
    sendJson(res, 200, {
      data: orders.map(orderJson),
      meta: { page_number: 1, page_size: orders.length, total_pages: 1, total_results: orders.length },
    });
  } else if (method === 'GET' && ORDER_PATH.test(path)) {
    const order = sim.numbers.telnyxOrder(ORDER_PATH.exec(path)![1]!);
    if (!order) telnyxError(res, 404, '10005', 'Resource not found', 'The requested number order was not found.');
    else sendJson(res, 200, { data: orderJson(order) });
  } else if (method === 'PATCH' && NUMBER_MESSAGING_PATH.test(path))
    await updateMessaging(sim, req, res, NUMBER_MESSAGING_PATH.exec(path)![1]!);
  else if (method === 'GET' && NUMBER_MESSAGING_PATH.test(path)) {
    const number = sim.numbers.telnyxNumber(NUMBER_MESSAGING_PATH.exec(path)![1]!);
    if (!number) telnyxError(res, 404, '10005', 'Resource not found', 'The requested phone number was not found.');
    else sendJson(res, 200, { data: messagingSettingsJson(number) });
  } else if (method === 'GET' && NUMBER_PATH.test(path)) {
    const number = sim.numbers.telnyxNumber(NUMBER_PATH.exec(path)![1]!);
    if (!number) telnyxError(res, 404, '10005', 'Resource not found', 'The requested phone number was not found.');
    else sendJson(res, 200, { data: phoneNumberJson(number) });
  } else if (method === 'DELETE' && NUMBER_PATH.test(path)) {
    const number = sim.numbers.releaseAtTelnyx(NUMBER_PATH.exec(path)![1]!);
    if (!number) telnyxError(res, 404, '10005', 'Resource not found', 'The requested phone number was not found.');
    else sendJson(res, 200, { data: { ...phoneNumberJson(number), status: 'deleted' } });
  } else telnyxError(res, 404, '10005', 'Resource not found', `No route for ${method} ${path}.`);
  return true;
}
