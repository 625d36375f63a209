import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestAccount } from './support/accounts';
import { startBackgroundWorker } from './support/bundled-worker';
import { freePort } from './support/free-port';
import { startHarness, testEnvironment, type Harness } from './support/harness';
import { createStaffUser, type TestStaffUser } from './support/staff';

let h: Harness;
let server: Server;
let api: string;
let home: string;
let backgroundWorker: { stop(): Promise<void> };
let privacy: TestStaffUser;
let acct: TestAccount;
const CLI = join(__dirname, '..', 'cli', 'staff.ts');

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The staff CLI in its own process, HOME in a scratch folder, the API on a real port. */
function runCli(args: string[], input = ''): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...testEnvironment(), HOME: home, MASSIVESMS_API_URL: api },
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
  expect(run.status, run.stderr).toBe(0);
  return run;
};

beforeAll(async () => {
  h = await startHarness();
  backgroundWorker = await startBackgroundWorker(h);
  const port = await freePort();
  server = h.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  api = `http://127.0.0.1:${port}`;
  home = mkdtempSync(join(tmpdir(), 'dsr-cli-'));
  privacy = await createStaffUser(h, 'privacy');
  acct = await signUp(h.app, 'CLI subject');
  ok(await runCli(['login', '--email', privacy.email, '--code', privacy.totp.generate(), '--password-stdin'], `${privacy.password}\n`));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await backgroundWorker.stop();
  await h.close();
  rmSync(home, { recursive: true, force: true });
});

describe('npm run staff -- dsr …', () => {
  it('list and show a customer request, with --json for scripts', async () => {
    const created = await request(h.app)
      .post('/v1/data-subject-requests')
      .set(acct.auth)
      .send({ type: 'rectification', phone: '+14155554001' });
    expect(created.status).toBe(201);
    const listed = ok(await runCli(['dsr', 'list', '--account', acct.accountId]));
    expect(listed.stdout).toBe(`${created.body.id}  rectification  account ${acct.accountId}  open, due ${created.body.dueAt}\n`);
    const json = JSON.parse(ok(await runCli(['--json', 'dsr', 'list', '--account', acct.accountId])).stdout) as { id: string }[];
    expect(json.map((d) => d.id)).toEqual([created.body.id]);
    const shown = JSON.parse(ok(await runCli(['--json', 'dsr', 'show', created.body.id])).stdout);
    expect(shown).toMatchObject({ id: created.body.id, status: 'open', process: { phase: 'awaiting_completion' } });
    expect(ok(await runCli(['dsr', 'show', created.body.id])).stdout).toContain('  subject: +14155554001');
  });

  it('log, verify (waiting while the product acts), then it is completed', async () => {
    const logged = ok(
      await runCli([
        '--json',
        'dsr',
        'log',
        '--account',
        acct.accountId,
        '--type',
        'objection',
        '--requester-email',
        'holder@example.com',
        '--phone',
        '+14155554002',
      ]),
    );
    const id = (JSON.parse(logged.stdout) as { id: string; status: string }).id;
    const verified = ok(await runCli(['dsr', 'verify', id]));
    expect(verified.stdout).toBe('Verified; completed: opted_out.\n');
    const shown = JSON.parse(ok(await runCli(['--json', 'dsr', 'show', id])).stdout);
    expect(shown).toMatchObject({ status: 'completed', outcome: { action: 'opted_out' }, requester: { email: 'holder@example.com' } });
  });

  it('extend and complete; a refused or malformed input is one line on stderr and exit 1', async () => {
    const created = await request(h.app)
      .post('/v1/data-subject-requests')
      .set(acct.auth)
      .send({ type: 'rectification', phone: '+14155554003' });
    const id = created.body.id as string;
    const due = new Date(Date.parse(created.body.dueAt) + 10 * 24 * 60 * 60 * 1000).toISOString();
    expect(ok(await runCli(['dsr', 'extend', id, '--days', '10', '--reason', 'needs the carrier logs'])).stdout).toBe(
      `Extended: now due ${due}.\n`,
    );
    const tooMuch = await runCli(['dsr', 'extend', id, '--days', '51', '--reason', 'more']);
    expect(tooMuch).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'error: extensions may add at most 60 days to the due date in all (HTTP 409)\n',
    });
    const malformed = await runCli(['dsr', 'extend', id, '--days', '61', '--reason', 'more']);
    expect(malformed).toMatchObject({ status: 1, stdout: '' });
    expect(malformed.stderr).toMatch(/^error: days: .+\n$/);
    const done = ok(await runCli(['dsr', 'complete', id, '--note', 'corrected the number']));
    expect(done.stdout).toMatch(new RegExp(`^Completed ${id}  rectification  account ${acct.accountId}  completed `));
  });
});
