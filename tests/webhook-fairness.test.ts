import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCustomerEvent } from '../services/webhooks/customer-events';
import {
  EndpointSlots,
  WEBHOOK_DELIVERY_CONCURRENCY,
  WEBHOOK_ENDPOINT_CONCURRENCY,
  WEBHOOK_SLOW_ATTEMPT_MS,
  WEBHOOK_SLOW_ENDPOINT_CONCURRENCY,
} from '../services/webhooks/endpoint-slots';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/webhook-receiver';
import { startWebhookDeliveryAfresh } from './support/webhook-worker';

/** Slower than any fair share, still inside the 10 s attempt timeout: every answer is a 2xx. */
const SLOW_ANSWER_MS = 9_000;

interface Arrival {
  webhookId: string;
  at: number;
}

/** A receiver that answers 200 after `delayMs`, recording when each request arrived and how many were open at once. */
class TimedReceiver {
  readonly arrivals: Arrival[] = [];
  open = 0;
  maxOpen = 0;
  answered = 0;
  private server!: Server;

  constructor(private readonly delayMs: number) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.arrivals.push({ webhookId: String(req.headers['webhook-id']), at: Date.now() });
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      req.resume();
      setTimeout(() => {
        this.open--;
        this.answered++;
        res.writeHead(200).end('ok');
      }, this.delayMs);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let h: Harness;
let slow: TimedReceiver;
let fast: TimedReceiver;
let delivery: { stop(): Promise<void> };

async function subscribe(account: TestAccount, url: string): Promise<void> {
  const res = await request(h.app)
    .post('/v1/webhook-endpoints')
    .set(account.auth)
    .send({ url, eventTypes: ['message.status'] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function publish(account: TestAccount, messageId: string): Promise<string> {
  const eventId = await h.deps.orm.em
    .fork()
    .transactional((tem) => publishCustomerEvent(tem, account.accountId, 'message.status', { messageId, status: 'sent' }, h.deps));
  return eventId!;
}

beforeAll(async () => {
  h = await startHarness({ env: { WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
  slow = await new TimedReceiver(SLOW_ANSWER_MS).start();
  fast = await new TimedReceiver(0).start();
  delivery = await startWebhookDeliveryAfresh(h);
});
afterAll(async () => {
  await delivery.stop();
  await slow.stop();
  await fast.stop();
  await h.close();
});

describe('fair delivery across endpoints', () => {
  it("a receiver that takes 9 s per answer does not delay another account's deliveries: each arrives within 3 s of its event", async () => {
    const slowAccount = await signUp(h.app, 'Slow receiver');
    const fastAccount = await signUp(h.app, 'Fast receiver');
    await subscribe(slowAccount, slow.url);
    await subscribe(fastAccount, fast.url);

    for (let i = 0; i < 20; i++) await publish(slowAccount, `slow-${i}`);
    // The slow receiver's first requests are open (and will be for 9 s) before the other account publishes.
    await waitFor(() => (slow.open > 0 ? true : undefined), 'the slow deliveries to start', 30_000);

    const published = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      const at = Date.now();
      published.set(await publish(fastAccount, `fast-${i}`), at);
    }
    await waitFor(() => (fast.arrivals.length >= published.size ? true : undefined), "the other account's deliveries", 30_000);
    expect(fast.arrivals.map((a) => a.webhookId).sort()).toEqual([...published.keys()].sort());
    for (const arrival of fast.arrivals) expect(arrival.at - published.get(arrival.webhookId)!).toBeLessThan(3000);
    expect(slow.answered).toBe(0); // all of this happened while the slow receiver had answered nothing yet

    // The slow endpoint had its per-endpoint share at once; once its answers took > 2 s, one at a time.
    expect(slow.maxOpen).toBe(4);
    expect(WEBHOOK_ENDPOINT_CONCURRENCY).toBe(4);
    await waitFor(() => (slow.answered >= WEBHOOK_ENDPOINT_CONCURRENCY ? true : undefined), 'the first slow answers', 30_000);
    slow.maxOpen = slow.open;
    await waitFor(() => (slow.arrivals.length >= WEBHOOK_ENDPOINT_CONCURRENCY + 2 ? true : undefined), 'two more slow deliveries', 40_000);
    expect(slow.maxOpen).toBe(1);
    expect(WEBHOOK_SLOW_ENDPOINT_CONCURRENCY).toBe(1);
    expect(fast.arrivals).toHaveLength(published.size);
  });
});

describe('EndpointSlots', () => {
  it('caps each endpoint, gives a slow one a single slot until it answers quickly, and counts the global pool', () => {
    let now = 0;
    const slots = new EndpointSlots(() => now);
    expect(slots.free).toBe(WEBHOOK_DELIVERY_CONCURRENCY);
    slots.start('a');
    slots.start('a');
    expect(slots.capOf('a')).toBe(WEBHOOK_ENDPOINT_CONCURRENCY - 2);
    expect(slots.capOf('b')).toBe(WEBHOOK_ENDPOINT_CONCURRENCY);
    expect(slots.free).toBe(WEBHOOK_DELIVERY_CONCURRENCY - 2);
    slots.finish('a', WEBHOOK_SLOW_ATTEMPT_MS + 1);
    expect(slots.isSlow('a')).toBe(true);
    expect(slots.capOf('a')).toBe(0); // one still in flight, and a slow endpoint has one slot
    expect(slots.caps(true)).toEqual({ defaultCap: WEBHOOK_ENDPOINT_CONCURRENCY, endpointIds: ['a'], caps: [0] });
    slots.finish('a', 10);
    expect(slots.isSlow('a')).toBe(false);
    expect(slots.capOf('a')).toBe(WEBHOOK_ENDPOINT_CONCURRENCY);
    slots.start('c');
    slots.finish('c', SLOW_ANSWER_MS);
    expect(slots.capOf('c')).toBe(WEBHOOK_SLOW_ENDPOINT_CONCURRENCY);
    now += 10 * 60 * 1000 + 1; // the slow mark lapses
    expect(slots.capOf('c')).toBe(WEBHOOK_ENDPOINT_CONCURRENCY);
    expect(slots.busy).toBe(0);
  });
});
