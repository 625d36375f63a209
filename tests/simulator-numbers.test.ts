import { APIError } from 'telnyx';
import RestException from 'twilio/lib/base/RestException';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officialSmsClients, type TwilioClient } from './support/sdk-clients';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import type Telnyx from 'telnyx';

let sim: SimulatorProcess;
let telnyx: Telnyx;
let tw: TwilioClient;

beforeAll(async () => {
  sim = await startSimulatorProcess();
  ({ telnyx, tw } = officialSmsClients(sim));
});
afterAll(() => sim?.stop());

async function telnyxCode(run: () => Promise<unknown>): Promise<string> {
  const err = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(APIError);
  return ((err as APIError).error as { errors: { code: string }[] }).errors[0]!.code;
}

describe('the simulator speaks the carriers number APIs to the official SDKs', () => {
  it('Twilio: searches Local numbers, buys one, sends from it, releases it; an unheld inventory number cannot send', async () => {
    const found = await tw.availablePhoneNumbers('US').local.list({ areaCode: 312, limit: 3 });
    expect(found.map((n) => n.phoneNumber)).toEqual(['+13129000000', '+13129000001', '+13129000002']);
    const phone = found[0]!.phoneNumber;
    const refused = await tw.messages.create({ from: phone, to: '+14155550123', body: 'hi' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RestException);
    expect((refused as RestException).code).toBe(21606);

    const bought = await tw.incomingPhoneNumbers.create({ phoneNumber: phone });
    expect(bought.sid).toMatch(/^PN[0-9a-f]{32}$/);
    expect((await tw.messages.create({ from: phone, to: '+14155550123', body: 'hi' })).status).toBe('queued');
    // Bought at Twilio, it is no longer for sale at Telnyx either (one inventory).
    expect((await tw.availablePhoneNumbers('US').local.list({ areaCode: 312, limit: 1 }))[0]!.phoneNumber).toBe('+13129000001');
    expect(await tw.incomingPhoneNumbers(bought.sid).remove()).toBe(true);
    expect(
      ((await tw.messages.create({ from: phone, to: '+14155550123', body: 'hi' }).catch((e: unknown) => e)) as RestException).code,
    ).toBe(21606);
  });

  it('Telnyx: an order answers pending then succeeds; a number not for sale is refused; messaging is configured; a released number sends no more', async () => {
    const [first] = (await telnyx.availablePhoneNumbers.list({ filter: { national_destination_code: '617', limit: 1 } })).data!;
    const phone = first!.phone_number!;
    expect(phone).toBe('+16179000000');
    expect(await telnyxCode(() => telnyx.messages.send({ from: phone, to: '+14155550123', text: 'hi' }))).toBe('40013');
    const order = (await telnyx.numberOrders.create({ phone_numbers: [{ phone_number: phone }], customer_reference: 'ref-1' })).data!;
    expect(order.status).toBe('pending');
    expect(await telnyxCode(() => telnyx.numberOrders.create({ phone_numbers: [{ phone_number: phone }] }))).toBe('85001');
    const done = (await telnyx.numberOrders.retrieve(order.id!)).data!;
    expect(done.status).toBe('success');
    const listed = await telnyx.numberOrders.list({ filter: { customer_reference: 'ref-1' } });
    expect(listed.data.map((o) => o.id)).toEqual([order.id]);
    const numberId = done.phone_numbers![0]!.id!;
    expect((await telnyx.phoneNumbers.messaging.update(numberId, { messaging_profile_id: 'profile-1' })).data?.messaging_profile_id).toBe(
      'profile-1',
    );
    expect((await telnyx.messages.send({ from: phone, to: '+14155550123', text: 'hi' })).data?.id).toEqual(expect.any(String));
    await telnyx.phoneNumbers.delete(numberId);
    expect(await telnyxCode(() => telnyx.messages.send({ from: phone, to: '+14155550123', text: 'hi' }))).toBe('40013');
  });
});
