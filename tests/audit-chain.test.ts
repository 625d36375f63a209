import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EntityManager } from '@mikro-orm/postgresql';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openOrm } from '../db/orm';
import { canonicalAuditEntry, verifyAuditChain, type AuditRow, type ChainVerdict } from '../services/audit-log';
import { signUp } from './support/accounts';
import { afterTampering } from './support/audit-tampering';
import { startHarness, testEnvironment, type Harness } from './support/harness';

let h: Harness;
/** The schema owner: an attacker with full database access but without MASTER_KEY. */
let owner: MikroORM;
let acct: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  h = await startHarness();
  owner = await openOrm(inject('ownerDatabaseUrl'), 1);
  // Enough history for every case below, whichever test files ran before.
  acct = await signUp(h.app, 'Audited');
  for (const phone of ['+14155550402', '+14155550403', '+14155550404']) {
    await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone });
  }
});
afterAll(async () => {
  await owner.close();
  await h.close();
});

const verify = (em: EntityManager) => verifyAuditChain(em, [h.deps.keys.auditMacKey]);

/** Tampers as the owner, verifies inside the same transaction, and rolls back. */
function verdictAfterTampering(tamper: (em: EntityManager) => Promise<void>): Promise<ChainVerdict> {
  return afterTampering(owner, tamper, verify);
}

/**
 * `npm run audit:verify`'s script, on the run's database with the run's key: its exit status and the
 * database chain's verdict (the Temporal anchors it also checks are tests/audit-anchor.test.ts's subject).
 */
function auditVerify(): { status: number | null; chain: unknown } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'scripts', 'verify-audit-chain.ts')], {
    env: { ...process.env, ...testEnvironment() },
    encoding: 'utf8',
  });
  return { status: run.status, chain: (JSON.parse(run.stdout) as { chain: unknown }).chain };
}

async function lastSeq(): Promise<number> {
  const [row] = await h.deps.orm.em.fork().execute<{ seq: string }[]>('select max(seq)::text as seq from audit_log');
  return Number(row!.seq);
}

describe('audit log', () => {
  it('records every mutation, and the chain verifies up to its latest checkpoint', async () => {
    const acct = await signUp(h.app, 'Audited');
    const contact = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550401' });
    await request(h.app).delete(`/v1/contacts/${contact.body.id}`).set(acct.auth);
    const actions = await h.deps.orm.em
      .fork()
      .execute<{ action: string }[]>('select action from audit_log where account_id = ? order by seq', [acct.accountId]);
    expect(actions.map((a) => a.action)).toEqual(['account.created', 'contact.created', 'contact.deleted']);
    const entries = await lastSeq();
    expect(await verify(h.deps.orm.em.fork())).toEqual({ ok: true, entries, checkpointEntries: entries });
  });

  it.each([
    ['update audit_log', "update audit_log set action = 'x'"],
    ['delete from audit_log', 'delete from audit_log'],
    ['truncate audit_log', 'truncate audit_log'],
    ['disable the trigger', 'alter table audit_log disable trigger audit_log_append_only'],
    ['drop the trigger', 'drop trigger audit_log_append_only on audit_log'],
    ['drop the table', 'drop table audit_log'],
    [
      'replace the trigger function',
      'create or replace function audit_log_reject_change() returns trigger language plpgsql as $$ begin return null; end $$',
    ],
    ['delete a checkpoint', 'delete from audit_checkpoints'],
    ['disable the checkpoint trigger', 'alter table audit_checkpoints disable trigger audit_checkpoints_append_only'],
  ])('refuses the app role to %s', async (_, sql) => {
    await expect(h.deps.pgPool.query(sql)).rejects.toMatchObject({ code: '42501' });
  });

  it('detects an altered entry and names it', async () => {
    const seq = (await lastSeq()) - 2;
    const verdict = await verdictAfterTampering((em) =>
      em.execute(`update audit_log set details = '{"forged": true}' where seq = ?`, [seq]).then(() => undefined),
    );
    expect(verdict).toMatchObject({ ok: false, brokenAtSeq: String(seq), reason: 'entry content does not match its MAC' });
  });

  it('detects a rewrite re-chained with plain hashes (no MAC key)', async () => {
    const seq = (await lastSeq()) - 2;
    const verdict = await verdictAfterTampering(async (em) => {
      // The attacker knows the format but not the key: rewrite one entry, re-chain it and every later
      // one with sha256, and drop the checkpoints that would give the cut away.
      await em.execute(`update audit_log set details = '{"forged": true}' where seq = ?`, [seq]);
      const rows = await em.execute<AuditRow[]>(
        `select *, (extract(epoch from at) * 1000)::bigint::text as at_ms from audit_log where seq >= ? order by seq`,
        [seq],
      );
      const [before] = await em.execute<{ mac: Buffer }[]>('select mac from audit_log where seq = ?', [seq - 1]);
      let prev = before!.mac;
      for (const row of rows) {
        const mac = createHash('sha256').update('entry').update(prev).update(canonicalAuditEntry(row)).digest();
        await em.execute('update audit_log set prev_mac = ?, mac = ? where seq = ?', [prev, mac, row.seq]);
        prev = mac;
      }
      await em.execute('delete from audit_checkpoints');
    });
    expect(verdict).toMatchObject({ ok: false, brokenAtSeq: String(seq), reason: 'entry content does not match its MAC' });
  });

  it('detects a removed entry', async () => {
    const seq = (await lastSeq()) - 2;
    const verdict = await verdictAfterTampering((em) => em.execute('delete from audit_log where seq = ?', [seq]).then(() => undefined));
    expect(verdict).toMatchObject({ ok: false, brokenAtSeq: String(seq), reason: 'entry missing' });
  });

  it('detects a truncated tail', async () => {
    const last = await lastSeq();
    const verdict = await verdictAfterTampering((em) =>
      em.execute('delete from audit_log where seq > ?', [last - 2]).then(() => undefined),
    );
    expect(verdict).toEqual({
      ok: false,
      entries: last - 2,
      brokenAtSeq: String(last - 1),
      reason: `tail truncated: a checkpoint recorded ${last} entries`,
    });
  });

  it('npm run audit:verify exits 1 naming a truncated tail, and appends over the cut are refused', async () => {
    const last = await lastSeq();
    expect(auditVerify()).toEqual({ status: 0, chain: { ok: true, entries: last, checkpointEntries: last } });
    // The script reads committed rows, so the cut is committed, then undone for the test files after this one.
    const asOwner = (sql: string) =>
      owner.em.fork().transactional(async (em) => {
        await em.execute('alter table audit_log disable trigger audit_log_append_only');
        await em.execute(sql, [last]);
        await em.execute('alter table audit_log enable trigger audit_log_append_only');
      });
    await asOwner('create table audit_log_cut as select * from audit_log where seq = ?');
    await asOwner('delete from audit_log where seq = ?');
    try {
      const refused = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550405' });
      expect(refused.status).toBe(500);
      expect(await lastSeq()).toBe(last - 1);
      expect(auditVerify()).toEqual({
        status: 1,
        chain: {
          ok: false,
          entries: last - 1,
          brokenAtSeq: String(last),
          reason: `tail truncated: a checkpoint recorded ${last} entries`,
        },
      });
    } finally {
      await owner.em.fork().execute('insert into audit_log select * from audit_log_cut; drop table audit_log_cut');
    }
    expect(auditVerify()).toEqual({ status: 0, chain: { ok: true, entries: last, checkpointEntries: last } });
  });
});
