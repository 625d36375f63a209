import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../services/audit-log';
import { signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Tampering needs the table owner to switch the append-only trigger off, as an attacker with DB access would. */
async function tamper(sql: string, params: unknown[]) {
  const client = await h.deps.pgPool.connect();
  try {
    await client.query('begin');
    await client.query('alter table audit_log disable trigger audit_log_append_only');
    await client.query(sql, params);
    await client.query('alter table audit_log enable trigger audit_log_append_only');
    await client.query('commit');
  } finally {
    client.release();
  }
}

describe('audit log', () => {
  it('records every mutation and the chain verifies', async () => {
    const acct = await signUp(h.app, 'Audited');
    const contact = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550401' });
    await request(h.app).delete(`/v1/contacts/${contact.body.id}`).set(acct.auth);
    const actions = await h.deps.orm.em
      .fork()
      .execute<{ action: string }[]>('select action from audit_log where account_id = ? order by seq', [acct.accountId]);
    expect(actions.map((a) => a.action)).toEqual(['account.created', 'contact.created', 'contact.deleted']);
    const verdict = await verifyAuditChain(h.deps.orm.em.fork());
    expect(verdict.ok).toBe(true);
  });

  it('refuses updates and deletes', async () => {
    await expect(h.deps.pgPool.query("update audit_log set action = 'x'")).rejects.toThrow(/append-only/);
    await expect(h.deps.pgPool.query('delete from audit_log')).rejects.toThrow(/append-only/);
  });

  it('detects an altered entry and names it', async () => {
    const [row] = (await h.deps.pgPool.query<{ seq: string }>('select seq from audit_log order by seq limit 1 offset 1')).rows;
    await tamper(`update audit_log set details = '{"forged": true}' where seq = $1`, [row!.seq]);
    const verdict = await verifyAuditChain(h.deps.orm.em.fork());
    expect(verdict).toMatchObject({ ok: false, brokenAtSeq: row!.seq, reason: 'entry content does not match its hash' });
  });

  it('detects a removed entry', async () => {
    const [row] = (await h.deps.pgPool.query<{ seq: string }>('select seq from audit_log order by seq limit 1')).rows;
    await tamper('delete from audit_log where seq = $1', [row!.seq]);
    const verdict = await verifyAuditChain(h.deps.orm.em.fork());
    expect(verdict).toMatchObject({ ok: false, brokenAtSeq: row!.seq, reason: 'entry missing' });
  });
});
