import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsSink } from '../providers/analytics/registry';
import { isAllowedEvent } from '../services/analytics/analytics-events';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { HOLDER_PASSWORD, publicAddress, setCountry, signUpHolder, type TestHolder } from './support/holders';
import { importAndWait } from './support/imports';
import { insertQueuedMessages } from './support/outbox';
import { captureMessagesSentDaily } from '../services/analytics/messages-sent-daily';
import { previousUtcDay } from '../workflows/messages-sent-daily';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
let h: Harness;
/** Everything this file put into the product that must never reach PostHog. */
const pii = new Set<string>();

interface Received {
  event: string;
  distinctId: string | null;
  properties: Record<string, unknown>;
}
const received = async (): Promise<{ data: Received[]; bodies: string[] }> => {
  const res = await fetch(`${sim.url}/_sim/posthog/events`);
  expect(res.status).toBe(200);
  return (await res.json()) as { data: Received[]; bodies: string[] };
};
/** How many events had arrived before the current step: each case looks only at what came after. */
let seen = 0;
const forget = async () => {
  await h.deps.analytics.idle();
  seen = (await received()).data.length;
};
/** Every capture started has been sent or dropped: what arrived since `forget()` is final. */
const settled = async () => {
  await h.deps.analytics.idle();
  return (await received()).data.slice(seen);
};
const signIn = async (holder: TestHolder) => {
  const res = await request(h.app).post('/v1/sessions').set(publicAddress()).send({ email: holder.email, password: HOLDER_PASSWORD });
  expect(res.status).toBe(201);
};
const setConsent = async (holder: TestHolder, granted: boolean) => {
  const res = await request(h.app).put('/v1/account/consents').set(holder.session).send({ product_analytics: granted });
  expect(res.status).toBe(200);
};
const holderIn = async (country: string | null) => {
  const holder = await signUpHolder(h);
  if (country) await setCountry(h, holder.userId, country);
  for (const value of [holder.email, holder.userId, holder.accountId]) pii.add(value);
  return holder;
};
/** What the SDK adds to every event by itself; nothing of ours. */
const SDK_PROPERTY = /^\$(lib|lib_version|geoip_disable|process_person_profile|is_server)$/;

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ worker: true, env: sim.env() });
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

describe('product analytics reach PostHog only with consent', () => {
  it('an EU holder who never consented: nothing arrives for their sign-in', async () => {
    const holder = await holderIn('DE');
    await forget();
    await signIn(holder);
    expect(await settled()).toEqual([]);
  });

  it('an unknown country counts as opt-in: nothing arrives', async () => {
    const holder = await holderIn(null);
    await forget();
    await signIn(holder);
    expect(await settled()).toEqual([]);
  });

  it('a US holder (on by notice): exactly one pseudonymous sign-in event, no person profile, GeoIP off', async () => {
    const holder = await holderIn('US');
    await forget();
    await signIn(holder);
    const events = await settled();
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.event).toBe('holder_signed_in');
    expect(event!.distinctId).toBe(await h.deps.analytics.distinctIdOf(holder.userId));
    expect(event!.distinctId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(event!.properties).toMatchObject({ method: 'password', $process_person_profile: false, $geoip_disable: true });
    expect(Object.keys(event!.properties).filter((k) => !SDK_PROPERTY.test(k))).toEqual(['method']);
  });

  it('an EU holder who consents is counted; after withdrawal nothing more arrives, at once', async () => {
    const holder = await holderIn('FR');
    await setConsent(holder, true);
    await forget();
    await signIn(holder);
    expect((await settled()).map((e) => e.event)).toEqual(['holder_signed_in']);

    await setConsent(holder, false);
    await forget();
    await signIn(holder);
    await signIn(holder);
    expect(await settled()).toEqual([]);
  });

  it("an account's import counts for its owner, with counts only (no phone, no name)", async () => {
    const us = await holderIn('US');
    const eu = await holderIn('IE');
    const phones = ['+14155552001', '+14155552002'];
    const names = ['Zebulon Quartermaine', 'Xanthippe Ulvaeus'];
    for (const value of [...phones, ...names]) pii.add(value);
    const csv = csvOf(
      ['phone', 'name'],
      [
        [phones[0]!, names[0]!],
        [phones[1]!, names[1]!],
        ['not a phone', 'Nobody'],
      ],
    );
    await forget();
    await importAndWait(h.app, h.temporal, us.apiKey, csv);
    await importAndWait(h.app, h.temporal, eu.apiKey, csv);
    const events = await settled();
    expect(events.map((e) => [e.event, e.distinctId, e.properties.imported, e.properties.rejected])).toEqual([
      ['contacts_imported', await h.deps.analytics.distinctIdOf(us.userId), 2, 1],
    ]);
  });

  it('the before_send guard drops an event or a property that is not allow-listed', async () => {
    pii.add('leak@example.com');
    const sink = createAnalyticsSink(h.config, (e) => isAllowedEvent(e.event, e.properties), h.deps.logger)!;
    await forget();
    try {
      await sink.send({ distinctId: 'd1', event: 'page_viewed', properties: {} });
      await sink.send({ distinctId: 'd2', event: 'holder_signed_in', properties: { method: 'password', email: 'leak@example.com' } });
      await sink.send({ distinctId: 'd3', event: 'messages_sent_daily', properties: { day: '2026-12-01', count: -1 } });
      await sink.send({ distinctId: 'd4', event: 'messages_sent_daily', properties: { day: '2026-12-01', count: 7 } });
    } finally {
      await sink.close();
    }
    const events = await settled();
    expect(events.map((e) => [e.distinctId, e.event, e.properties.day, e.properties.count])).toEqual([
      ['d4', 'messages_sent_daily', '2026-12-01', 7],
    ]);
  });
});

describe('no personal data in any payload', () => {
  it('no request body PostHog received holds an email, a phone, a name or one of our ids', async () => {
    // The fake keeps every body this file caused; one more holder adds an email column to the import.
    const holder = await holderIn('CA');
    await signIn(holder);
    await importAndWait(
      h.app,
      h.temporal,
      holder.apiKey,
      csvOf(['phone', 'name', 'email'], [['+14155552003', 'Ottoline Vance', 'ov@example.com']]),
    );
    for (const value of ['+14155552003', '14155552003', 'Ottoline', 'ov@example.com']) pii.add(value);
    await h.deps.analytics.idle();
    const { bodies } = await received();
    expect(bodies.length).toBeGreaterThanOrEqual(6);
    for (const body of bodies) {
      for (const value of pii) expect(body, `a PostHog payload contains ${value}`).not.toContain(value);
    }
  });
});

describe('messages_sent_daily: one count per account and day, for a consenting owner only', () => {
  const DAY = '2026-11-30';
  /** Messages of the account accepted on DAY; `sent` of them went out. */
  const messagesOn = async (accountId: string, total: number, sent: number) => {
    const specs = Array.from({ length: total }, (_, i) => ({
      accountId,
      to: `+1415555${String(1000 + i)}`,
      from: '+14155550100',
      body: 'hi',
    }));
    const ids = await insertQueuedMessages(h.deps, specs);
    await h.deps.pgPool.query(
      `update messages set created_at = $2::date + interval '13 hours', status = 'failed' where id = any($1::uuid[])`,
      [ids, DAY],
    );
    await h.deps.pgPool.query(
      `update messages set status = 'sent', sent_at = created_at + interval '1 second' where id = any($1::uuid[])`,
      [ids.slice(0, sent)],
    );
  };

  it('the US owner gets the count of what went out that day; the EU owner without consent gets nothing; only day and count travel', async () => {
    const us = await holderIn('US');
    const eu = await holderIn('FR');
    await messagesOn(us.accountId, 3, 2);
    await messagesOn(eu.accountId, 2, 2);
    await forget();
    expect(await captureMessagesSentDaily(h.deps, DAY)).toBeGreaterThanOrEqual(2);
    const events = (await settled()).filter((e) => e.event === 'messages_sent_daily');
    const usId = await h.deps.analytics.distinctIdOf(us.userId);
    const euId = await h.deps.analytics.distinctIdOf(eu.userId);
    expect(events.filter((e) => e.distinctId === euId)).toEqual([]);
    const mine = events.filter((e) => e.distinctId === usId);
    expect(mine).toHaveLength(1);
    const ours = Object.fromEntries(Object.entries(mine[0]!.properties).filter(([k]) => !SDK_PROPERTY.test(k)));
    expect(ours).toEqual({ day: DAY, count: 2 });
    const body = JSON.stringify(events);
    for (const value of pii) expect(body).not.toContain(value);
  });

  it('the daily run reports the UTC day before its clock', () => {
    expect(previousUtcDay(new Date('2026-12-01T00:23:00Z'))).toBe('2026-11-30');
    expect(previousUtcDay(new Date('2027-01-01T23:59:59Z'))).toBe('2026-12-31');
  });
});
