import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestAccount } from './support/accounts';
import { freePort } from './support/free-port';
import { startHarness, testEnvironment, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { createStaffUser, staffSignIn } from './support/staff';

let h: Harness;
let sim: SimulatorProcess;
let server: Server;
let api: string;
let home: string;
let account: TestAccount;
const tokenFiles: Record<'privacy' | 'security', string> = { privacy: '', security: '' };
const CLI = join(__dirname, '..', 'cli', 'staff.ts');
const DAY = 86_400_000;

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The staff CLI in its own process, signed in as `role` through a token file of its own. */
function runCli(role: 'privacy' | 'security', args: string[], input = ''): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...testEnvironment(), HOME: home, MASSIVESMS_API_URL: api, MASSIVESMS_STAFF_TOKEN_FILE: tokenFiles[role] },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const ok = (run: CliRun) => {
  expect(run, run.stderr).toMatchObject({ status: 0, stderr: '' });
  return run;
};

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ notices: true, env: sim.env() });
  const port = await freePort();
  server = h.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  api = `http://127.0.0.1:${port}`;
  home = mkdtempSync(join(tmpdir(), 'notices-cli-'));
  for (const role of ['privacy', 'security'] as const) {
    const token = await staffSignIn(h.app, await createStaffUser(h, role));
    tokenFiles[role] = join(home, `${role}-token`);
    writeFileSync(tokenFiles[role], JSON.stringify({ api, token, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }), {
      mode: 0o600,
    });
  }
  account = await signUp(h.app, 'CLI customer');
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
  await sim.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('staff CLI: breaches, subprocessors, policies', () => {
  it('breaches declare (from stdin) records a "no notice" decision, and breaches list shows it in the register', async () => {
    const declaration = {
      description: 'A laptop with an encrypted disk was stolen',
      awareAt: new Date(Date.now() - 3_600_000).toISOString(),
      nature: 'Loss of a device',
      subjectCategories: ['account holders'],
      recordCategories: ['support notes'],
      approxSubjects: 3,
      approxRecords: 3,
      likelyConsequences: 'None: the disk is encrypted',
      measures: 'Device wiped remotely',
      contact: 'dpo@massivesms.example',
      affectedAccounts: [account.accountId],
      noticeRequired: false,
      noNoticeReason: 'Encrypted at rest, key not exposed',
    };
    const declared = ok(await runCli('security', ['breaches', 'declare', '--file', '-'], JSON.stringify(declaration)));
    const id = /^Declared breach:([0-9a-f-]{36}) no_notice;/.exec(declared.stdout)?.[1];
    expect(id, declared.stdout).toBeDefined();
    const listed = JSON.parse(ok(await runCli('security', ['--json', 'breaches', 'list'])).stdout) as {
      id: string;
      noNoticeReason: string;
    }[];
    expect(listed.find((b) => b.id === id)).toMatchObject({ noNoticeReason: 'Encrypted at rest, key not exposed' });
    // The process ran on the notices worker and audited the decision.
    const audit = async () =>
      h.deps.orm.em.fork().execute<{ action: string }[]>(`select action from audit_log where target_id = ? order by seq`, [`breach:${id}`]);
    for (let i = 0; i < 100 && (await audit()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await audit()).map((r) => r.action)).toEqual(['breach.declared', 'breach.no_notice']);
  });

  it('subprocessors announce refuses less than 30 days’ notice with the server’s reason; list shows the DPA list', async () => {
    const short = {
      vendor: 'cli-short',
      name: 'Short',
      purpose: 'p',
      locations: ['EU'],
      recipientData: false,
      effectiveAt: new Date(Date.now() + 10 * DAY).toISOString(),
    };
    const refused = await runCli('privacy', ['subprocessors', 'announce', '--file', '-'], JSON.stringify(short));
    expect(refused).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'error: effectiveAt: must be at least 30 days after the announcement (DPA notice period) (HTTP 422)\n',
    });
    const listed = ok(await runCli('privacy', ['subprocessors', 'list'])).stdout;
    expect(listed).toMatch(/^Telnyx \(telnyx\) active, id [0-9a-f-]{36}$/m);
  });

  it('policies publish announces a material change, and policies list shows it upcoming', async () => {
    const effectiveAt = new Date(Date.now() + 40 * DAY);
    const body = {
      kind: 'dpa',
      version: `cli-${Date.now()}`,
      url: 'https://massivesms.example/dpa/next',
      material: true,
      effectiveAt: effectiveAt.toISOString(),
    };
    const published = ok(await runCli('privacy', ['policies', 'publish', '--file', '-'], JSON.stringify(body)));
    expect(published.stdout).toBe(`Published dpa ${body.version} (material), in force from ${effectiveAt.toISOString()}\n`);
    const listed = JSON.parse(ok(await runCli('privacy', ['--json', 'policies', 'list'])).stdout) as {
      kind: string;
      upcoming: { version: string } | null;
    }[];
    expect(listed.find((p) => p.kind === 'dpa')?.upcoming?.version).toBe(body.version);
    const forbidden = await runCli('security', ['policies', 'publish', '--file', '-'], JSON.stringify({ ...body, version: 'other' }));
    expect(forbidden).toMatchObject({
      status: 1,
      stderr: 'error: this endpoint is for staff with the role privacy; yours is security (HTTP 403)\n',
    });
  });
});
