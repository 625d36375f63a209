import type { CarrierId } from './carrier';

/**
 * The carriers' number APIs, behind two small ports: the primary carrier's inventory (Telnyx: search,
 * order, configure messaging, release) and SMS hosting at the failover carrier (Twilio: a hosted-SMS
 * order for a number we hold at Telnyx, asynchronous, can take days). Every call is safe to retry:
 * orders carry our reference and a retry first looks for the order it may already have placed.
 */

export type NumberOrderState = 'pending' | 'success' | 'failure';
export type HostingState = 'pending' | 'completed' | 'failed';

export interface NumberInventory {
  /** Numbers for sale, US local, in the area code when given. */
  search(query: { areaCode?: string; limit: number }): Promise<string[]>;
  /** Orders one number (or finds the order already placed under `reference`). */
  order(input: { phone: string; reference: string }): Promise<{ orderId: string }>;
  orderStatus(orderId: string): Promise<{ state: NumberOrderState; numberId: string | null }>;
  /** Attaches the number to our messaging profile, so it can send and its inbound reaches our webhook. */
  configureMessaging(numberId: string): Promise<void>;
  /** Gives the number back; a number the carrier no longer has counts as released. */
  release(numberId: string): Promise<void>;
}

export interface SmsHosting {
  /** Asks the failover carrier to host SMS for a number we hold (or finds the request placed under `reference`). */
  requestHosting(input: { phone: string; reference: string }): Promise<{ orderId: string }>;
  hostingStatus(orderId: string): Promise<{ state: HostingState; numberId: string | null }>;
  /** Ends hosting: deletes the open order, or releases the hosted number once it completed. */
  release(input: { orderId: string | null; numberId: string | null }): Promise<void>;
}

export interface NumberCarriers {
  inventory: NumberInventory;
  hosting: SmsHosting;
}

/**
 * A number call the carrier did not carry out. `retryable`: nothing says it cannot work later
 * (network, 429, 5xx, auth); otherwise the carrier refused it for good (number not available, invalid).
 * `code` is a vendor code, `HTTP_<status>` or a socket error code, never vendor text.
 */
export class NumberOperationFailed extends Error {
  constructor(
    readonly carrier: CarrierId,
    readonly operation: string,
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(`${carrier} ${operation} failed: ${code}`);
    this.name = 'NumberOperationFailed';
  }
}

/** What HTTP status a refusal had decides whether to try again. */
export function retryableStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 408 || status === 409 || status === 429 || status >= 500 || status === 0;
}
