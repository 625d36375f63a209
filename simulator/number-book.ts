import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The carriers' number inventory and what this simulated platform account holds at each. The
 * inventory is seeded, not stored: every `+1 <area code> 9xx xxxx` in the area codes below is for
 * sale at Telnyx until ordered (a million per area code, the 9 keeping it apart from the numbers the
 * test suite uses as recipients). A number outside the inventory is someone else's: the simulator
 * lets it send (as the earlier simulator did), so only inventory numbers must be ordered first.
 */
export const INVENTORY_AREA_CODES = ['206', '212', '312', '415', '512', '617', '646', '718', '737', '872'] as const;
const INVENTORY = new RegExp(`^\\+1(${INVENTORY_AREA_CODES.join('|')})9\\d{6}$`);
const SUBSCRIBERS_PER_AREA = 1_000_000;
/** A search walks at most this many candidates (a `contains` filter that matches nothing stays cheap). */
const MAX_SEARCH_STEPS = 200_000;

export function inInventory(phone: string): boolean {
  return INVENTORY.test(phone);
}

export type TelnyxOrderStatus = 'pending' | 'success' | 'failure';
export type HostedOrderStatus = 'received' | 'pending-verification' | 'verified' | 'completed' | 'failed';

export interface TelnyxNumber {
  id: string;
  phone: string;
  orderId: string;
  status: 'purchase-pending' | 'active';
  messagingProfileId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TelnyxOrder {
  id: string;
  customerReference: string | null;
  messagingProfileId: string | null;
  numbers: { id: string; phone: string }[];
  status: TelnyxOrderStatus;
  createdAt: string;
  updatedAt: string;
  /** Epoch ms when the order turns `success`. */
  readyAt: number;
}

export interface TwilioNumber {
  sid: string;
  phone: string;
  /** Bought from Twilio's inventory (IncomingPhoneNumbers) or hosted for SMS (a completed HostedNumberOrder). */
  origin: 'purchased' | 'hosted';
  friendlyName: string;
  smsUrl: string | null;
  createdAt: string;
}

export interface HostedOrder {
  sid: string;
  phone: string;
  friendlyName: string | null;
  email: string | null;
  addressSid: string | null;
  contactPhoneNumber: string | null;
  smsUrl: string | null;
  status: HostedOrderStatus;
  incomingPhoneNumberSid: string | null;
  createdAt: string;
  updatedAt: string;
  /** Epoch ms when the order completes; null = only when the control API completes it. */
  completesAt: number | null;
}

export interface NumberTimings {
  /** How long a Telnyx number order stays `pending`. */
  telnyxOrderDelayMs: number;
  /** How long a Twilio hosted-SMS order takes to complete; null = until `POST /_sim/numbers/complete-hosting`. */
  hostedSmsDelayMs: number | null;
}

const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

export class NumberBook {
  readonly timings: NumberTimings = { telnyxOrderDelayMs: 0, hostedSmsDelayMs: 0 };
  private readonly telnyxByPhone = new Map<string, TelnyxNumber>();
  private readonly telnyxById = new Map<string, TelnyxNumber>();
  private readonly telnyxOrders = new Map<string, TelnyxOrder>();
  private readonly twilioByPhone = new Map<string, TwilioNumber>();
  private readonly twilioBySid = new Map<string, TwilioNumber>();
  private readonly hostedOrders = new Map<string, HostedOrder>();

  /** Inventory numbers nobody holds at Telnyx, lowest first, within the filters. */
  search(filter: { areaCode?: string; startsWith?: string; contains?: string; limit: number }): string[] {
    const areas = filter.areaCode === undefined ? INVENTORY_AREA_CODES : INVENTORY_AREA_CODES.filter((a) => a === filter.areaCode);
    const found: string[] = [];
    let steps = 0;
    for (const area of areas) {
      for (let n = 0; n < SUBSCRIBERS_PER_AREA && found.length < filter.limit && steps < MAX_SEARCH_STEPS; n++, steps++) {
        const local = `9${String(n).padStart(6, '0')}`;
        const national = `${area}${local}`;
        if (filter.startsWith !== undefined && !(filter.areaCode !== undefined ? local : national).startsWith(filter.startsWith)) continue;
        if (filter.contains !== undefined && !national.includes(filter.contains)) continue;
        const phone = `+1${national}`;
        if (!this.held(phone)) found.push(phone);
      }
    }
    return found;
  }

  /** For sale: in the inventory and bought by nobody at either carrier (one inventory behind both). */
  telnyxAvailable(phone: string): boolean {
    return inInventory(phone) && !this.held(phone);
  }

  private held(phone: string): boolean {
    return this.telnyxByPhone.has(phone) || this.twilioByPhone.has(phone);
  }

  orderAtTelnyx(input: { phones: string[]; customerReference: string | null; messagingProfileId: string | null }): TelnyxOrder {
    const now = new Date().toISOString();
    const order: TelnyxOrder = {
      id: randomUUID(),
      customerReference: input.customerReference,
      messagingProfileId: input.messagingProfileId,
      numbers: [],
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      readyAt: Date.now() + this.timings.telnyxOrderDelayMs,
    };
    for (const phone of input.phones) {
      const number: TelnyxNumber = {
        id: String(BigInt(`0x${randomBytes(7).toString('hex')}`)),
        phone,
        orderId: order.id,
        status: 'purchase-pending',
        messagingProfileId: input.messagingProfileId,
        createdAt: now,
        updatedAt: now,
      };
      this.telnyxByPhone.set(phone, number);
      this.telnyxById.set(number.id, number);
      order.numbers.push({ id: number.id, phone });
    }
    this.telnyxOrders.set(order.id, order);
    // Telnyx answers an order `pending`; it settles on a later read.
    return order;
  }

  telnyxOrder(id: string): TelnyxOrder | undefined {
    const order = this.telnyxOrders.get(id);
    return order && this.settle(order);
  }

  telnyxOrdersByReference(reference: string | null): TelnyxOrder[] {
    return [...this.telnyxOrders.values()]
      .filter((o) => reference === null || o.customerReference === reference)
      .map((o) => this.settle(o));
  }

  telnyxNumber(id: string): TelnyxNumber | undefined {
    return this.telnyxById.get(id);
  }

  setMessagingProfile(id: string, profileId: string | null): TelnyxNumber | undefined {
    const number = this.telnyxById.get(id);
    if (!number) return undefined;
    number.messagingProfileId = profileId;
    number.updatedAt = new Date().toISOString();
    return number;
  }

  /** The number goes back to the inventory. Hosting at Twilio is the other carrier's business. */
  releaseAtTelnyx(id: string): TelnyxNumber | undefined {
    const number = this.telnyxById.get(id);
    if (!number) return undefined;
    this.telnyxById.delete(id);
    this.telnyxByPhone.delete(number.phone);
    return number;
  }

  /** Telnyx sends from a number it holds for us, or from one outside its inventory (not its to police). */
  telnyxMaySendFrom(phone: string): boolean {
    if (!inInventory(phone)) return true;
    return this.telnyxByPhone.get(phone)?.status === 'active';
  }

  twilioMaySendFrom(phone: string): boolean {
    if (!inInventory(phone)) return true;
    this.settleHostingOf(phone);
    return this.twilioByPhone.has(phone);
  }

  buyAtTwilio(phone: string, friendlyName: string | null, smsUrl: string | null): TwilioNumber | null {
    if (!this.telnyxAvailable(phone)) return null;
    return this.addTwilioNumber(phone, 'purchased', friendlyName, smsUrl);
  }

  twilioNumber(numberSid: string): TwilioNumber | undefined {
    return this.twilioBySid.get(numberSid);
  }

  releaseAtTwilio(numberSid: string): TwilioNumber | undefined {
    const number = this.twilioBySid.get(numberSid);
    if (!number) return undefined;
    this.twilioBySid.delete(numberSid);
    this.twilioByPhone.delete(number.phone);
    return number;
  }

  /** A hosted-SMS order for a number this account holds at Telnyx (hosting needs the number's owner). */
  requestHosting(
    input: Omit<HostedOrder, 'sid' | 'status' | 'incomingPhoneNumberSid' | 'createdAt' | 'updatedAt' | 'completesAt'>,
  ): HostedOrder | null {
    if (this.telnyxByPhone.get(input.phone)?.status !== 'active' || this.twilioByPhone.has(input.phone)) return null;
    const now = new Date().toISOString();
    const delay = this.timings.hostedSmsDelayMs;
    const order: HostedOrder = {
      ...input,
      sid: sid('HR'),
      status: 'received',
      incomingPhoneNumberSid: null,
      createdAt: now,
      updatedAt: now,
      completesAt: delay === null ? null : Date.now() + delay,
    };
    this.hostedOrders.set(order.sid, order);
    return order;
  }

  hostedOrder(orderSid: string): HostedOrder | undefined {
    const order = this.hostedOrders.get(orderSid);
    return order && this.settleHosted(order);
  }

  hostedOrdersMatching(filter: { phone?: string; friendlyName?: string }): HostedOrder[] {
    return [...this.hostedOrders.values()]
      .filter(
        (o) =>
          (filter.phone === undefined || o.phone === filter.phone) &&
          (filter.friendlyName === undefined || o.friendlyName === filter.friendlyName),
      )
      .map((o) => this.settleHosted(o));
  }

  /** Only an order not yet completed can be deleted (Twilio's rule); a completed one is released by its number. */
  cancelHosting(orderSid: string): 'deleted' | 'not_found' | 'completed' {
    const order = this.hostedOrder(orderSid);
    if (!order) return 'not_found';
    if (order.status === 'completed') return 'completed';
    this.hostedOrders.delete(orderSid);
    return 'deleted';
  }

  /** Control API: completes every open hosted-SMS order for the number now. */
  completeHosting(phone: string): number {
    let completed = 0;
    for (const order of this.hostedOrders.values()) {
      if (order.phone !== phone || order.status === 'completed' || order.status === 'failed') continue;
      order.completesAt = Date.now();
      this.settleHosted(order);
      completed += 1;
    }
    return completed;
  }

  /** Control API: numbers held at both carriers at once (benches and tests that need senders without ordering). */
  provision(phone: string): void {
    if (!this.telnyxByPhone.has(phone)) {
      const order = this.orderAtTelnyx({ phones: [phone], customerReference: null, messagingProfileId: null });
      order.readyAt = Date.now();
      this.settle(order);
    }
    if (!this.twilioByPhone.has(phone)) this.addTwilioNumber(phone, 'hosted', phone, null);
  }

  state(phone: string | undefined) {
    const match = (p: string) => phone === undefined || p === phone;
    return {
      timings: this.timings,
      telnyxNumbers: [...this.telnyxByPhone.values()].filter((n) => match(n.phone)),
      telnyxOrders: [...this.telnyxOrders.values()].filter((o) => o.numbers.some((n) => match(n.phone))).map((o) => this.settle(o)),
      twilioNumbers: [...this.twilioByPhone.values()].filter((n) => match(n.phone)),
      hostedOrders: [...this.hostedOrders.values()].filter((o) => match(o.phone)).map((o) => this.settleHosted(o)),
    };
  }

  private addTwilioNumber(phone: string, origin: TwilioNumber['origin'], friendlyName: string | null, smsUrl: string | null): TwilioNumber {
    const number: TwilioNumber = {
      sid: sid('PN'),
      phone,
      origin,
      friendlyName: friendlyName ?? phone,
      smsUrl,
      createdAt: new Date().toISOString(),
    };
    this.twilioByPhone.set(phone, number);
    this.twilioBySid.set(number.sid, number);
    return number;
  }

  private settle(order: TelnyxOrder): TelnyxOrder {
    if (order.status !== 'pending' || Date.now() < order.readyAt) return order;
    order.status = 'success';
    order.updatedAt = new Date().toISOString();
    for (const { id } of order.numbers) {
      const number = this.telnyxById.get(id);
      if (number) number.status = 'active';
    }
    return order;
  }

  private settleHostingOf(phone: string): void {
    for (const order of this.hostedOrders.values()) if (order.phone === phone) this.settleHosted(order);
  }

  private settleHosted(order: HostedOrder): HostedOrder {
    if (order.status === 'completed' || order.status === 'failed') return order;
    if (order.completesAt === null || Date.now() < order.completesAt) return order;
    order.updatedAt = new Date().toISOString();
    if (this.telnyxByPhone.get(order.phone)?.status !== 'active' || this.twilioByPhone.has(order.phone)) {
      order.status = 'failed';
      return order;
    }
    order.status = 'completed';
    order.incomingPhoneNumberSid = this.addTwilioNumber(order.phone, 'hosted', order.friendlyName, order.smsUrl).sid;
    return order;
  }
}
