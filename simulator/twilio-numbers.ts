import type { IncomingMessage, ServerResponse } from 'node:http';
import { answeredByFault, E164, gate } from './carrier-common';
import type { SimContext } from './context';
import { parseForm, readBody, rfc2822, sendJson } from './http-util';
import type { HostedOrder, TwilioNumber } from './number-book';
import { TWILIO_ERRORS, twilioError } from './twilio';

const API = '/2010-04-01/Accounts/([^/]+)';
const AVAILABLE_LOCAL = new RegExp(`^${API}/AvailablePhoneNumbers/([A-Z]{2})/Local\\.json$`);
const INCOMING_LIST = new RegExp(`^${API}/IncomingPhoneNumbers\\.json$`);
const INCOMING_ONE = new RegExp(`^${API}/IncomingPhoneNumbers/(PN[0-9a-f]{32})\\.json$`);
const HOSTED_LIST = '/v2/HostedNumber/Orders';
const HOSTED_ONE = /^\/v2\/HostedNumber\/Orders\/(HR[0-9a-f]{32})$/;
const MAX_PAGE_SIZE = 100;

function incomingJson(accountSid: string, n: TwilioNumber) {
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    sid: n.sid,
    phone_number: n.phone,
    friendly_name: n.friendlyName,
    origin: n.origin === 'hosted' ? 'hosted' : 'twilio',
    capabilities: { voice: n.origin === 'purchased', sms: true, mms: false, fax: false },
    sms_url: n.smsUrl ?? '',
    sms_method: 'POST',
    status: 'in-use',
    date_created: rfc2822(new Date(n.createdAt)),
    date_updated: rfc2822(new Date(n.createdAt)),
    uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
  };
}

function hostedJson(accountSid: string, o: HostedOrder) {
  return {
    sid: o.sid,
    account_sid: accountSid,
    incoming_phone_number_sid: o.incomingPhoneNumberSid,
    address_sid: o.addressSid,
    signing_document_sid: null,
    phone_number: o.phone,
    capabilities: { sms: true, voice: false },
    friendly_name: o.friendlyName,
    status: o.status,
    failure_reason: o.status === 'failed' ? 'The number is not held by the account at its carrier.' : null,
    date_created: o.createdAt,
    date_updated: o.updatedAt,
    email: o.email,
    cc_emails: [],
    url: `https://numbers.twilio.com/v2/HostedNumber/Orders/${o.sid}`,
    contact_title: null,
    contact_phone_number: o.contactPhoneNumber,
    bulk_hosting_request_sid: null,
    next_step: null,
    verification_attempts: 0,
    verification_call_sids: null,
    verification_call_delay: 0,
    verification_call_extension: null,
    verification_code: null,
    verification_type: null,
  };
}

function available(sim: SimContext, res: ServerResponse, country: string, query: URLSearchParams, accountSid: string): void {
  const areaCode = query.get('AreaCode') ?? undefined;
  const contains = query.get('Contains')?.replaceAll('*', '') ?? undefined;
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(query.get('PageSize') ?? 50) || 50));
  if ((areaCode !== undefined && !/^\d{3}$/.test(areaCode)) || (contains !== undefined && !/^\d{0,10}$/.test(contains)))
    return twilioError(res, 400, 21452, 'AreaCode must be three digits and Contains digits.');
  const phones = country === 'US' ? sim.numbers.search({ areaCode, contains: contains || undefined, limit: pageSize }) : [];
  sendJson(res, 200, {
    uri: `/2010-04-01/Accounts/${accountSid}/AvailablePhoneNumbers/${country}/Local.json`,
    available_phone_numbers: phones.map((phone) => ({
      friendly_name: `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`,
      phone_number: phone,
      lata: null,
      locality: null,
      rate_center: null,
      latitude: null,
      longitude: null,
      region: null,
      postal_code: null,
      iso_country: 'US',
      address_requirements: 'none',
      beta: false,
      capabilities: { voice: true, SMS: true, MMS: false, fax: false },
    })),
  });
}

async function buy(sim: SimContext, req: IncomingMessage, res: ServerResponse, accountSid: string): Promise<void> {
  const form = parseForm(await readBody(req));
  const phone = form.PhoneNumber;
  if (phone === undefined || !E164.test(phone)) return twilioError(res, 400, 21421, 'PhoneNumber is required and must be E.164.');
  const number = sim.numbers.buyAtTwilio(phone, form.FriendlyName ?? null, form.SmsUrl ?? null);
  if (!number) return twilioError(res, 400, 21422, `PhoneNumber ${phone} is not available.`);
  sendJson(res, 201, incomingJson(accountSid, number));
}

async function requestHosting(sim: SimContext, req: IncomingMessage, res: ServerResponse, accountSid: string): Promise<void> {
  const form = parseForm(await readBody(req));
  const phone = form.PhoneNumber;
  if (phone === undefined || !E164.test(phone)) return twilioError(res, 400, 21421, 'PhoneNumber is required and must be E.164.');
  if (form.SmsCapability !== undefined && form.SmsCapability !== 'true')
    return twilioError(res, 400, 21429, 'Only SMS hosting is supported.');
  const order = sim.numbers.requestHosting({
    phone,
    friendlyName: form.FriendlyName ?? null,
    email: form.Email ?? null,
    addressSid: form.AddressSid ?? null,
    contactPhoneNumber: form.ContactPhoneNumber ?? null,
    smsUrl: form.SmsUrl ?? null,
  });
  if (!order)
    return twilioError(res, 400, 21422, `PhoneNumber ${phone} cannot be hosted: it is not held at its carrier, or already on Twilio.`);
  sendJson(res, 201, hostedJson(accountSid, order));
}

function hostedList(sim: SimContext, res: ServerResponse, query: URLSearchParams, accountSid: string): void {
  const orders = sim.numbers.hostedOrdersMatching({
    phone: query.get('PhoneNumber') ?? undefined,
    friendlyName: query.get('FriendlyName') ?? undefined,
  });
  const url = `https://numbers.twilio.com${HOSTED_LIST}?PageSize=${MAX_PAGE_SIZE}&Page=0`;
  sendJson(res, 200, {
    items: orders.slice(0, MAX_PAGE_SIZE).map((o) => hostedJson(accountSid, o)),
    meta: { page: 0, page_size: MAX_PAGE_SIZE, first_page_url: url, previous_page_url: null, url, next_page_url: null, key: 'items' },
  });
}

/** Twilio's number APIs (AvailablePhoneNumbers, IncomingPhoneNumbers, hosted-SMS orders); false when not a number route. */
export async function twilioNumbersRoute(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const accountSid = sim.secrets.twilioAccountSid;
  const availableMatch = AVAILABLE_LOCAL.exec(path);
  const incomingList = INCOMING_LIST.exec(path);
  const incomingOne = INCOMING_ONE.exec(path);
  const hostedOne = HOSTED_ONE.exec(path);
  const isHostedList = path === HOSTED_LIST;
  if (!availableMatch && !incomingList && !incomingOne && !hostedOne && !isHostedList) return false;
  const pathSid = (availableMatch ?? incomingList ?? incomingOne)?.[1];
  if (pathSid !== undefined && pathSid !== accountSid) {
    twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    return true;
  }
  const gated = await gate(sim, { vendor: 'twilio', op: 'numbers', to: null, key: `${method} ${path}` });
  if (answeredByFault(sim, req, res, gated, TWILIO_ERRORS, 'numbers')) return true;

  if (availableMatch && method === 'GET') available(sim, res, availableMatch[2]!, query, accountSid);
  else if (incomingList && method === 'POST') await buy(sim, req, res, accountSid);
  else if (incomingOne && method === 'GET') {
    const number = sim.numbers.twilioNumber(incomingOne[2]!);
    if (!number) twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    else sendJson(res, 200, incomingJson(accountSid, number));
  } else if (incomingOne && method === 'DELETE') {
    if (!sim.numbers.releaseAtTwilio(incomingOne[2]!)) twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    else {
      res.statusCode = 204;
      res.end();
    }
  } else if (isHostedList && method === 'POST') await requestHosting(sim, req, res, accountSid);
  else if (isHostedList && method === 'GET') hostedList(sim, res, query, accountSid);
  else if (hostedOne && method === 'GET') {
    const order = sim.numbers.hostedOrder(hostedOne[1]!);
    if (!order) twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    else sendJson(res, 200, hostedJson(accountSid, order));
  } else if (hostedOne && method === 'DELETE') {
    const outcome = sim.numbers.cancelHosting(hostedOne[1]!);
    if (outcome === 'not_found') twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    else if (outcome === 'completed')
      twilioError(res, 400, 21425, 'A completed hosted number order cannot be deleted; release its IncomingPhoneNumber.');
    else {
      res.statusCode = 204;
      res.end();
    }
  } else twilioError(res, 405, 20004, 'Method not allowed');
  return true;
}
