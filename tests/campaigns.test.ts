import request from 'supertest';
import { obtainSenderNumber } from './support/sender-numbers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let acct: TestAccount;
let listId = '';
let otherListId = '';
let FROM = '';

const draft = (overrides: Record<string, unknown> = {}) => ({
  name: 'Spring sale',
  template: 'Hi {{name | "there"}}, {{attributes.plan}} is 20% off this week. Reply STOP to opt out.',
  from: FROM,
  audience: { listIds: [listId] },
  ratePerSecond: 20,
  ...overrides,
});

const create = (body: Record<string, unknown>) => request(h.app).post('/v1/campaigns').set(acct.auth).send(body);

async function fieldsOf(body: Record<string, unknown>) {
  const res = await create(body);
  expectProblem(res, 422);
  return res.body.errors as { field: string; reason: string }[];
}

async function auditActions(campaignId: string): Promise<string[]> {
  const rows = await h.deps.orm.em
    .fork()
    .execute<{ action: string }[]>(`select action from audit_log where target_type = 'campaign' and target_id = ? order by seq`, [
      campaignId,
    ]);
  return rows.map((r) => r.action);
}

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Campaigner');
  FROM = await obtainSenderNumber(h, acct);
  listId = (await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'Customers' })).body.id;
  otherListId = (await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'VIP' })).body.id;
});
afterAll(() => h.close());

describe('campaign drafts', () => {
  it('creates a draft with the default quiet hours; the template is stored sealed, never in clear', async () => {
    const res = await create(draft({ audience: { listIds: [listId, listId], excludeListIds: [otherListId] } }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Spring sale',
      status: 'draft',
      template: draft().template,
      variables: ['name', 'attributes.plan'],
      from: FROM,
      audience: { listIds: [listId], excludeListIds: [otherListId] },
      startAt: null,
      ratePerSecond: 20,
      quietHours: { start: '08:00', end: '21:00' },
      launchedAt: null,
      finishedAt: null,
    });
    const [row] = await h.deps.orm.em.fork().execute<{ template: Buffer }[]>('select template from campaigns where id = ?', [res.body.id]);
    expect(row!.template.includes(Buffer.from('20% off'))).toBe(false);
    expect((await request(h.app).get(`/v1/campaigns/${res.body.id}`).set(acct.auth)).body).toEqual({
      ...res.body,
      progress: {
        live: false,
        state: 'draft',
        messages: { queued: 0, waiting: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, suppressed: 0 },
      },
    });
    expect(await auditActions(res.body.id)).toEqual(['campaign.created']);
  });

  it('refuses an unknown template variable, naming it', async () => {
    expect(await fieldsOf(draft({ template: 'Hi {{first_name}}, see {{attributes.city}}' }))).toEqual([
      { field: 'template', reason: '{{first_name}} unknown variable "first_name" (known: name, attributes.<key>)' },
    ]);
  });

  it('refuses a sender, list, rate or quiet window the account may not use, naming the field', async () => {
    expect(await fieldsOf(draft({ from: '+14155551199' }))).toEqual([
      { field: 'from', reason: "must be one of this account's sender numbers (POST /v1/sender-numbers)" },
    ]);
    const unknownList = '00000000-0000-7000-8000-000000000000';
    expect(await fieldsOf(draft({ audience: { listIds: [listId, unknownList] } }))).toEqual([
      { field: 'audience.listIds', reason: `list ${unknownList} not found` },
    ]);
    expect(await fieldsOf(draft({ audience: { listIds: [listId], excludeListIds: [listId] } }))).toEqual([
      { field: 'audience.excludeListIds', reason: `${listId} is also in audience.listIds` },
    ]);
    expect(await fieldsOf(draft({ ratePerSecond: 101 }))).toEqual([
      { field: 'ratePerSecond', reason: 'at most 100 messages per second per sender number' },
    ]);
    expect(await fieldsOf(draft({ quietHours: { start: '07:59', end: '20:00' } }))).toEqual([
      { field: 'quietHours.start', reason: 'must not be earlier than 08:00' },
    ]);
    expect(await fieldsOf(draft({ quietHours: { start: '09:00', end: '21:01' } }))).toEqual([
      { field: 'quietHours.end', reason: 'must not be later than 21:00' },
    ]);
    expect(await fieldsOf(draft({ quietHours: { start: '12:00', end: '12:00' } }))).toEqual([
      { field: 'quietHours.end', reason: 'must be later than quietHours.start' },
    ]);
    expect(await fieldsOf(draft({ quietHours: { start: '9:00', end: '20:00' } }))).toEqual([
      { field: 'body.quietHours.start', reason: 'must be HH:MM (24-hour)' },
    ]);
  });

  it('edits a draft (template variables follow), and refuses to edit or delete one that has left draft', async () => {
    const id = (await create(draft())).body.id as string;
    const edited = await request(h.app)
      .patch(`/v1/campaigns/${id}`)
      .set(acct.auth)
      .send({ template: 'Last day, {{attributes.city | "friend"}}!', quietHours: { start: '10:00', end: '18:30' } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      name: 'Spring sale',
      template: 'Last day, {{attributes.city | "friend"}}!',
      variables: ['attributes.city'],
      quietHours: { start: '10:00', end: '18:30' },
      ratePerSecond: 20,
    });
    const refused = await request(h.app).patch(`/v1/campaigns/${id}`).set(acct.auth).send({ template: '{{nope}}' });
    expectProblem(refused, 422, 'validation');
    expect(await auditActions(id)).toEqual(['campaign.created', 'campaign.updated']);

    await h.deps.orm.em.fork().execute(`update campaigns set status = 'running' where id = ?`, [id]);
    const patch = await request(h.app).patch(`/v1/campaigns/${id}`).set(acct.auth).send({ name: 'renamed' });
    expectProblem(patch, 409, 'conflict');
    expect(patch.body.detail).toBe('the campaign is running: only a draft can be edited');
    const del = await request(h.app).delete(`/v1/campaigns/${id}`).set(acct.auth);
    expectProblem(del, 409, 'conflict');
    expect(del.body.detail).toBe('the campaign is running: only a draft can be deleted');
  });

  it('deletes a draft', async () => {
    const id = (await create(draft())).body.id as string;
    expect((await request(h.app).delete(`/v1/campaigns/${id}`).set(acct.auth)).status).toBe(204);
    expectProblem(await request(h.app).get(`/v1/campaigns/${id}`).set(acct.auth), 404, 'not_found');
    expect(await auditActions(id)).toEqual(['campaign.created', 'campaign.deleted']);
  });

  it('previews the message one contact gets: text, characters, encoding and segments', async () => {
    const ada = (
      await request(h.app)
        .post('/v1/contacts')
        .set(acct.auth)
        .send({ phone: '+14155551101', name: 'Ada', attributes: { plan: 'Pro' } })
    ).body.id as string;
    const anon = (await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155551102' })).body.id as string;
    const id = (await create(draft())).body.id as string;
    const preview = (contactId: string) => request(h.app).get(`/v1/campaigns/${id}/preview`).query({ contactId }).set(acct.auth);

    expect((await preview(ada)).body).toEqual({
      campaignId: id,
      contactId: ada,
      body: 'Hi Ada, Pro is 20% off this week. Reply STOP to opt out.',
      characters: 56,
      encoding: 'GSM-7',
      segments: 1,
      // The campaign's list is empty: its whole audience costs nothing (tests/campaign-billing.test.ts prices one).
      estimate: expect.objectContaining({ recipients: 0, messages: 0, segments: 0, cost: '0.00' }),
    });
    expect((await preview(anon)).body).toMatchObject({ body: 'Hi there,  is 20% off this week. Reply STOP to opt out.', segments: 1 });

    await request(h.app)
      .patch(`/v1/campaigns/${id}`)
      .set(acct.auth)
      .send({ template: `🌷 {{name}} ${'x'.repeat(70)}` });
    expect((await preview(ada)).body).toMatchObject({ characters: 76, encoding: 'UCS-2', segments: 2 });
    expectProblem(await preview('00000000-0000-7000-8000-000000000000'), 404, 'not_found');
  });

  it('lists campaigns oldest first, a page at a time', async () => {
    const other = await signUp(h.app, 'Lister');
    const otherFrom = await obtainSenderNumber(h, other);
    const list = (await request(h.app).post('/v1/lists').set(other.auth).send({ name: 'l' })).body.id;
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      ids.push(
        (
          await request(h.app)
            .post('/v1/campaigns')
            .set(other.auth)
            .send(draft({ name, from: otherFrom, audience: { listIds: [list] } }))
        ).body.id,
      );
    }
    const first = await request(h.app).get('/v1/campaigns').set(other.auth).query({ limit: 2 });
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0], ids[1]]);
    const second = await request(h.app).get('/v1/campaigns').set(other.auth).query({ limit: 2, cursor: first.body.nextCursor });
    expect(second.body).toMatchObject({ data: [{ id: ids[2], name: 'three' }], nextCursor: null });
  });
});
