import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { TypedSearchAttributes } from '@temporalio/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openOrm } from '../db/orm';
import { listAuditAnchors, verifyAgainstAnchors, type AuditAnchor } from '../services/audit-anchors';
import { appendAudit, auditMacKeyId, verifyAuditChain, type AuditHead } from '../services/audit-log';
import { AUDIT_ANCHOR_SCHEDULE_ID, ensureAuditAnchorSchedule } from '../workers/audit-anchor-schedule';
import { TASK_QUEUES } from '../workers/task-queues';
import { auditAnchorWorkflow } from '../workflows/audit-anchor';
import { ProcessKindKey } from '../workflows/search-attributes';
import { signUp, type TestAccount } from './support/accounts';
import { afterTampering } from './support/audit-tampering';
import { startBackgroundWorker } from './support/bundled-worker';
import { startHarness, testEnvironment, type Harness } from './support/harness';

let h: Harness;
/** The schema owner: an attacker with full database access but without MASTER_KEY or Temporal. */
let owner: MikroORM;
let acct: TestAccount;
let maintenance: { stop(): Promise<void> };

beforeAll(async () => {
  h = await startHarness();
  owner = await openOrm(inject('ownerDatabaseUrl'), 1);
  acct = await signUp(h.app, 'Anchored');
  maintenance = await startBackgroundWorker(h);
});
afterAll(async () => {
  await maintenance.stop();
  await owner.close();
  await h.close();
});

const verifyChain = (em: EntityManager) => verifyAuditChain(em, [h.deps.keys.auditMacKey]);

/** The database-only verdict and the anchored one, read in the same (tampered) transaction. */
const verifyBoth = (anchors: AuditAnchor[]) => async (em: EntityManager) => {
  const chain = await verifyChain(em);
  return { chain, anchored: await verifyAgainstAnchors(em, chain, anchors) };
};

let nextPhone = 1000;
async function addEntries(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const res = await request(h.app)
      .post('/v1/contacts')
      .set(acct.auth)
      .send({ phone: `+1415555${String(nextPhone++).padStart(4, '0')}` });
    expect(res.status).toBe(201);
  }
}

async function head(): Promise<{ entries: number; mac: string }> {
  const [row] = await h.deps.orm.em
    .fork()
    .execute<{ seq: string; mac: Buffer }[]>('select seq::text as seq, mac from audit_log where seq = (select max(seq) from audit_log)');
  return { entries: Number(row!.seq), mac: row!.mac.toString('hex') };
}

/** Waits until Temporal's visibility lists the completed run (it trails the run's completion a little). */
async function anchorsIncluding(workflowId: string): Promise<AuditAnchor[]> {
  for (;;) {
    const anchors = await listAuditAnchors(h.temporal);
    if (anchors.some((a) => a.workflowId === workflowId)) return anchors;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the anchoring workflow once, as the Schedule would, and returns its result and the listed anchors. */
async function anchorNow(): Promise<{ result: AuditHead; workflowId: string; anchors: AuditAnchor[] }> {
  const workflowId = `audit-anchor-test-${randomUUID()}`;
  const result = await h.temporal.workflow.execute(auditAnchorWorkflow, {
    taskQueue: TASK_QUEUES.maintenance,
    workflowId,
    typedSearchAttributes: [{ key: ProcessKindKey, value: 'audit-anchor' }],
  });
  return { result, workflowId, anchors: await anchorsIncluding(workflowId) };
}

/** Deletes every entry after `keep` and the checkpoints that would show the cut. */
async function cutTail(em: EntityManager, keep: number): Promise<void> {
  await em.execute('delete from audit_log where seq > ?', [keep]);
  await em.execute('delete from audit_checkpoints where entries > ?', [keep]);
}

/** `npm run audit:verify`'s script, on the run's database and Temporal. */
function auditVerify(env: Record<string, string> = {}): { status: number | null; verdict: Record<string, unknown> } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'scripts', 'verify-audit-chain.ts')], {
    env: { ...process.env, ...testEnvironment(env) },
    encoding: 'utf8',
  });
  return { status: run.status, verdict: JSON.parse(run.stdout) };
}

describe('audit anchors in Temporal', () => {
  it('the anchoring workflow records the head (count, head MAC, key id; nothing else) in its result', async () => {
    // Past ten entries whatever ran before: a head read in text order ('9' after '40') was once wrong here.
    await addEntries(11);
    const now = await head();
    const { result, workflowId, anchors } = await anchorNow();
    expect(result).toEqual({ entries: now.entries, headMac: now.mac, macKeyId: auditMacKeyId(h.deps.keys.auditMacKey) });
    const listed = anchors.find((a) => a.workflowId === workflowId)!;
    expect(listed).toEqual({ ...result, workflowId, anchoredAt: listed.anchoredAt });
    expect(anchors[0]!.workflowId).toBe(workflowId); // newest first

    const history = await h.temporal.workflow.getHandle(workflowId).fetchHistory();
    const activityResults = history.events!.filter((e) => e.activityTaskCompletedEventAttributes);
    expect(activityResults).toHaveLength(1);
  });

  it('a tail cut together with its checkpoints passes the database check, but not the anchored one', async () => {
    await addEntries(3);
    const { result, workflowId, anchors } = await anchorNow();
    const n = result.entries;
    const intact = await verifyChain(h.deps.orm.em.fork());
    expect(await verifyAgainstAnchors(h.deps.orm.em.fork(), intact, anchors)).toEqual({
      ok: true,
      chain: { ok: true, entries: n, checkpointEntries: n },
      anchors: { ok: true, checked: anchors.length, anchoredEntries: n },
    });

    const { chain, anchored } = await afterTampering(owner, (em) => cutTail(em, n - 2), verifyBoth(anchors));
    // The database alone cannot tell: the chain is whole up to its (now) latest checkpoint.
    expect(chain).toEqual({ ok: true, entries: n - 2, checkpointEntries: n - 2 });
    expect(anchored).toEqual({
      ok: false,
      chain,
      anchors: {
        ok: false,
        checked: anchors.length,
        anchoredEntries: n,
        anchoredAt: anchors[0]!.anchoredAt,
        workflowId,
        reason: `tail truncated: an anchor recorded ${n} entries, the chain has ${n - 2}`,
      },
    });
  });

  it('a tail cut and then appended over (a chain as long as the anchor) differs at the anchored entry', async () => {
    const { result, workflowId, anchors } = await anchorNow();
    const n = result.entries;
    const { chain, anchored } = await afterTampering(
      owner,
      async (em) => {
        await cutTail(em, n - 2);
        // The app keeps appending after the cut: new, validly MAC'd entries take the cut ones' places.
        for (const action of ['after.cut.1', 'after.cut.2']) await appendAudit(em, { actorType: 'system', action });
      },
      verifyBoth(anchors),
    );
    expect(chain).toEqual({ ok: true, entries: n, checkpointEntries: n });
    expect(anchored).toEqual({
      ok: false,
      chain,
      anchors: {
        ok: false,
        checked: anchors.length,
        anchoredEntries: n,
        anchoredAt: anchors[0]!.anchoredAt,
        workflowId,
        reason: `entry ${n} does not match its anchor`,
      },
    });
  });

  it('npm run audit:verify exits 1 on a committed cut of the tail and its checkpoints, which the database alone passes', async () => {
    await addEntries(2);
    const { result, anchors } = await anchorNow();
    const n = result.entries;
    const anchorsOk = { ok: true, checked: anchors.length, anchoredEntries: n };
    expect(auditVerify()).toEqual({
      status: 0,
      verdict: { ok: true, chain: { ok: true, entries: n, checkpointEntries: n }, anchors: anchorsOk },
    });
    const asOwner = (sql: string) =>
      owner.em.fork().transactional(async (em) => {
        await em.execute('alter table audit_log disable trigger audit_log_append_only');
        await em.execute('alter table audit_checkpoints disable trigger audit_checkpoints_append_only');
        await em.execute(sql, [n - 1]);
        await em.execute('alter table audit_log enable trigger audit_log_append_only');
        await em.execute('alter table audit_checkpoints enable trigger audit_checkpoints_append_only');
      });
    await asOwner('create table audit_log_cut as select * from audit_log where seq > ?');
    await asOwner('create table audit_checkpoints_cut as select * from audit_checkpoints where entries > ?');
    await asOwner('delete from audit_log where seq > ?');
    await asOwner('delete from audit_checkpoints where entries > ?');
    try {
      expect(auditVerify()).toEqual({
        status: 1,
        verdict: {
          ok: false,
          chain: { ok: true, entries: n - 1, checkpointEntries: n - 1 },
          anchors: {
            ok: false,
            checked: anchors.length,
            anchoredEntries: n,
            anchoredAt: anchors[0]!.anchoredAt,
            workflowId: anchors[0]!.workflowId,
            reason: `tail truncated: an anchor recorded ${n} entries, the chain has ${n - 1}`,
          },
        },
      });
    } finally {
      await owner.em
        .fork()
        .execute(
          'insert into audit_log select * from audit_log_cut; drop table audit_log_cut; ' +
            'insert into audit_checkpoints select * from audit_checkpoints_cut; drop table audit_checkpoints_cut',
        );
    }
    expect(auditVerify()).toEqual({
      status: 0,
      verdict: { ok: true, chain: { ok: true, entries: n, checkpointEntries: n }, anchors: anchorsOk },
    });
  });

  it('npm run audit:verify exits 1 when Temporal is unreachable, still printing the database verdict', async () => {
    const n = (await head()).entries;
    expect(auditVerify({ TEMPORAL_ADDRESS: '127.0.0.1:1' })).toEqual({
      status: 1,
      verdict: {
        ok: false,
        chain: { ok: true, entries: n, checkpointEntries: n },
        anchors: { ok: false, reason: 'anchors not checked: Temporal is unreachable' },
      },
    });
  });

  it('the worker creates the hourly Schedule idempotently, restores a drifted one, and a run of it anchors', async () => {
    await ensureAuditAnchorSchedule(h.temporal);
    await ensureAuditAnchorSchedule(h.temporal);
    const handle = h.temporal.schedule.getHandle(AUDIT_ANCHOR_SCHEDULE_ID);
    try {
      await handle.update((previous) => ({ ...previous, spec: { intervals: [{ every: '1 day' }] } }));
      await ensureAuditAnchorSchedule(h.temporal);
      const described = await handle.describe();
      expect(described.spec.intervals).toEqual([{ every: 3_600_000, offset: 420_000 }]);
      expect(described.action).toMatchObject({ workflowType: 'auditAnchorWorkflow', taskQueue: TASK_QUEUES.maintenance });
      expect((described.action.typedSearchAttributes as TypedSearchAttributes).get(ProcessKindKey)).toBe('audit-anchor');

      const now = await head();
      await handle.trigger();
      let started = (await handle.describe()).info.recentActions;
      while (started.length === 0) started = (await handle.describe()).info.recentActions;
      const run = started[0]!.action.workflow;
      expect(await h.temporal.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result()).toEqual({
        entries: now.entries,
        headMac: now.mac,
        macKeyId: auditMacKeyId(h.deps.keys.auditMacKey),
      });
      const anchors = await anchorsIncluding(run.workflowId);
      expect(anchors[0]!.workflowId).toBe(run.workflowId);
    } finally {
      // Not left to fire on the hour during the rest of the run.
      await handle.delete();
    }
  });
});
