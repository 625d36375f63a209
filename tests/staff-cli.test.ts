import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URI, type TOTP } from 'otpauth';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Output } from '../cli/lib/output';
import { pollUntilDone } from '../cli/lib/poll-status';
import { startHarness, testEnvironment, type Harness } from './support/harness';
import { freePort } from './support/free-port';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { staffBearer } from './support/staff';
import { signUp } from './support/accounts';
import { DELETION_STEPS } from '../services/termination/deletion-steps';

let h: Harness;
let sim: SimulatorProcess;
let server: Server;
let api: string;
let home: string;
const CLI = join(__dirname, '..', 'cli', 'staff.ts');
const tag = Date.now().toString(36);
const admin = { email: `cli-admin-${tag}@massivesms.example`, password: 'the first admin password' };
const support = { email: `cli-support-${tag}@massivesms.example`, password: 'a support password 1' };

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The staff CLI as a person runs it: its own process, HOME in a scratch folder, the API on a real port. */
function runCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...testEnvironment(), ...sim.env(), HOME: home, MASSIVESMS_API_URL: api, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A run that succeeded, with nothing on stderr. */
function ok(run: CliRun): CliRun {
  expect(run, run.stderr).toMatchObject({ status: 0, stderr: '' });
  return run;
}

/** A run that failed the way the CLI promises: exit 1 and exactly one line on stderr. */
function failed(run: CliRun, line: string): void {
  expect(run).toMatchObject({ status: 1, stdout: '', stderr: `error: ${line}\n` });
}

const defaultTokenFile = () => join(home, '.config', 'massivesms', 'staff-token');
const mode = (path: string) => statSync(path).mode & 0o777;
const enrolledTotp = (stdout: string) => URI.parse(/^otpauth:\/\/\S+$/m.exec(stdout)![0]) as TOTP;

/** The token in the newest enrolment email to `email`: what the staff member pastes into `enrol`. */
async function enrolmentToken(email: string): Promise<string> {
  const token = /msn_[A-Za-z0-9_-]{43}/.exec((await sim.control.emails(email)).at(-1)?.text ?? '')?.[0];
  expect(token, `an enrolment email to ${email}`).toBeDefined();
  return token!;
}

beforeAll(async () => {
  // The simulator's Resend takes the enrolment emails (of the API and of create-user on the database).
  sim = await startSimulatorProcess();
  h = await startHarness({ lifecycle: true, env: sim.env() });
  const port = await freePort();
  server = h.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  api = `http://127.0.0.1:${port}`;
  home = mkdtempSync(join(tmpdir(), 'staff-cli-'));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
  await sim.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('npm run staff', () => {
  let adminTotp: TOTP;
  let supportId = '';

  it('create-user bootstraps the first admin on the database (no factor shown); the admin enrols with the emailed token, once', async () => {
    const run = ok(await runCli(['create-user', '--email', admin.email, '--role', 'admin']));
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^Staff user ${admin.email} \\(admin\\) active, id [0-9a-f-]{36}\\.$`)),
      expect.stringMatching(new RegExp(`^A one-time enrolment token was emailed to ${admin.email} \\(valid until \\S+Z\\):$`)),
      'they choose their password and add their authenticator with `npm run staff -- enrol`.',
    ]);
    expect(run.stdout).not.toMatch(/otpauth|secret|msn_/i);
    const token = await enrolmentToken(admin.email);
    const enrolled = ok(await runCli(['enrol', '--stdin'], { input: `${token}\n${admin.password}\n` }));
    expect(enrolled.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^Enrolled ${admin.email} \\(admin\\) active, id [0-9a-f-]{36}\\.$`)),
      'Add this to your authenticator app now (it is not shown again); sign in with its codes:',
      expect.stringMatching(/^otpauth:\/\/totp\/MassiveSMS:.*secret=[A-Z2-7]+/),
    ]);
    adminTotp = enrolledTotp(enrolled.stdout);
    failed(
      await runCli(['enrol', '--stdin'], { input: `${token}\nsomeone else's password\n` }),
      'the enrolment token is unknown, used, expired or revoked; ask an admin to reset your enrolment (HTTP 401)',
    );
    const audit = await h.deps.orm.em
      .fork()
      .execute<{ action: string; actor_type: string }[]>(
        'select action, actor_type from audit_log where target_id = (select id::text from staff_users where email = ?) order by seq',
        [admin.email],
      );
    expect(audit).toEqual([
      { action: 'staff_user.created', actor_type: 'operator' },
      { action: 'staff_user.enrolled', actor_type: 'staff' },
    ]);
  });

  it('login keeps the token in ~/.config/massivesms/staff-token, the file 0600 and its folder 0700', async () => {
    const run = ok(
      await runCli(['login', '--email', admin.email, '--code', adminTotp.generate(), '--password-stdin'], { input: `${admin.password}\n` }),
    );
    expect(run.stdout).toMatch(
      new RegExp(`^Logged in as ${admin.email} \\(admin\\) until \\S+Z; token kept in ${defaultTokenFile()}\\.\n$`),
    );
    expect(mode(defaultTokenFile())).toBe(0o600);
    expect(mode(join(home, '.config', 'massivesms'))).toBe(0o700);
    const saved = JSON.parse(readFileSync(defaultTokenFile(), 'utf8'));
    expect(saved).toEqual({ api, token: expect.stringMatching(/^mst_/), expiresAt: expect.any(String) });
    expect(run.stdout).not.toContain(saved.token);
  });

  it('whoami answers from the saved token', async () => {
    const run = ok(await runCli(['whoami']));
    expect(run.stdout).toMatch(new RegExp(`^${admin.email} \\(admin\\) active, id [0-9a-f-]{36}; session expires \\S+Z\n$`));
    const json = JSON.parse(ok(await runCli(['--json', 'whoami'])).stdout);
    expect(json).toMatchObject({ email: admin.email, role: 'admin', disabledAt: null, session: { expiresAt: expect.any(String) } });
  });

  it("billing shows an account's billing state and this month's usage, a line each; --json the API's view", async () => {
    const billed = await signUp(h.app, 'CLI billed');
    await h.deps.pgPool.query(
      `insert into billing_period_usage (account_id, period_start, segments, cost_micros)
       values ($1, date_trunc('month', now() at time zone 'UTC')::date, 1234, 9748600)`,
      [billed.accountId],
    );
    const token = JSON.parse(readFileSync(defaultTokenFile(), 'utf8')).token as string;
    const credit = await request(h.app)
      .post(`/staff/v1/accounts/${billed.accountId}/billing/credits`)
      .set(staffBearer(token))
      .send({ amount: 500, currency: 'usd', reason: 'goodwill credit' });
    expect(credit.status).toBe(201);
    const run = ok(await runCli(['billing', billed.accountId]));
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^account ${billed.accountId} \\(active\\), Stripe customer (cus_\\w+|not created yet)$`)),
      'card: none; subscription: none',
      expect.stringMatching(/^usage since \S+Z: 1,234 segments, 9\.7486 USD; no cap$/),
      'dunning: none; sending allowed',
      'records: 0 invoices (0 open), 1 credits, 0 card changes',
    ]);
    const json = JSON.parse(ok(await runCli(['--json', 'billing', billed.accountId])).stdout);
    expect(json).toMatchObject({ accountId: billed.accountId, usage: { periodSegments: 1234 }, records: [{ kind: 'credit' }] });
    failed(await runCli(['billing', '01a24aab-0000-7000-8000-000000000000']), 'account not found (HTTP 404)');
  });

  it('users create, list --json and disable go through the admin API', async () => {
    const created = JSON.parse(ok(await runCli(['users', 'create', '--email', support.email, '--role', 'support', '--json'])).stdout);
    expect(created).toEqual({
      id: expect.any(String),
      email: support.email,
      role: 'support',
      createdAt: expect.any(String),
      disabledAt: null,
      enrolment: { expiresAt: expect.any(String), emailed: true },
    });
    supportId = created.id;
    const enrolled = JSON.parse(
      ok(await runCli(['--json', 'enrol', '--stdin'], { input: `${await enrolmentToken(support.email)}\n${support.password}` })).stdout,
    );

    const listed = JSON.parse(ok(await runCli(['users', 'list', '--json'])).stdout) as Record<string, unknown>[];
    expect(listed.map((u) => u.email)).toEqual(expect.arrayContaining([admin.email, support.email]));
    expect(listed.find((u) => u.email === support.email)).toEqual({
      id: supportId,
      email: support.email,
      role: 'support',
      createdAt: expect.any(String),
      disabledAt: null,
    });
    expect(JSON.stringify(listed)).not.toMatch(/otpauth|secret|password/i);

    // The support user signs in with a token file of its own, named by MASSIVESMS_STAFF_TOKEN_FILE.
    const supportFile = join(home, 'elsewhere', 'support-token');
    const env = { MASSIVESMS_STAFF_TOKEN_FILE: supportFile };
    const code = (URI.parse(enrolled.otpauthUri) as TOTP).generate();
    ok(await runCli(['login', '--email', support.email, '--code', code, '--password-stdin'], { input: support.password, env }));
    expect(mode(supportFile)).toBe(0o600);
    failed(await runCli(['users', 'list'], { env }), 'this endpoint is for staff with the role admin; yours is support (HTTP 403)');

    const disabled = ok(await runCli(['users', 'disable', supportId]));
    expect(disabled.stdout).toMatch(new RegExp(`^Disabled ${support.email} \\(support\\) disabled since \\S+Z, id ${supportId}\\.\n$`));
    failed(
      await runCli(['whoami'], { env }),
      'the staff token is unknown, expired or revoked; log in again with POST /staff/v1/sessions (HTTP 401)',
    );
  });

  it('problems and mistakes are one line on stderr and exit 1', async () => {
    failed(await runCli(['users', 'disable', 'not-an-id']), 'params.id: Invalid UUID (HTTP 422)');
    failed(await runCli(['enrol', '--stdin'], { input: `msn_${'a'.repeat(43)}\nshort` }), 'password: must be at least 12 characters');
    failed(
      await runCli(['login', '--email', admin.email, '--code', '123456']),
      'no terminal to ask for the password: pass it with --password-stdin',
    );
    const elsewhere = `http://127.0.0.1:${await freePort()}`;
    failed(
      await runCli(['--api', elsewhere, 'whoami']),
      `the saved staff token is for ${api}, not ${elsewhere}: log in there, or pass --api ${api}`,
    );
    failed(
      await runCli(['--api', elsewhere, 'login', '--email', admin.email, '--code', '123456', '--password-stdin'], { input: 'x' }),
      `cannot reach the API at ${elsewhere} (ECONNREFUSED); is it running? (--api or MASSIVESMS_API_URL)`,
    );
  });

  it('works as `npm run staff`', async () => {
    const child = spawn('npm', ['run', '--silent', 'staff', '--', '--json', 'whoami'], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, ...testEnvironment(), HOME: home, MASSIVESMS_API_URL: api },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const status = await new Promise((resolve) => child.once('close', resolve));
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ email: admin.email, role: 'admin' });
  });

  it('terminate --delete-early shows progress on stderr and one summary line; termination-status --json; reactivate', async () => {
    const leaving = await signUp(h.app, 'CLI leaving');
    expect((await request(h.app).post('/v1/contacts').set(leaving.auth).send({ phone: '+14155559901' })).status).toBe(201);
    const run = await runCli(['terminate', leaving.accountId, '--reason', 'asked by phone', '--delete-early']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^account ${leaving.accountId} deleted at \\S+Z: \\d+ rows in ${DELETION_STEPS.length} steps, data key destroyed at \\S+Z, certificate [0-9a-f]{16}… (emailed|owed: no email provider)\n$`,
      ),
    );
    expect(run.stderr).not.toContain('error');
    const status = JSON.parse(ok(await runCli(['--json', 'termination-status', leaving.accountId])).stdout);
    expect(status).toMatchObject({
      accountId: leaving.accountId,
      status: 'deleted',
      deletion: { stepsTotal: DELETION_STEPS.length, stepsDone: DELETION_STEPS.length },
      certificate: { accountId: leaving.accountId, tables: expect.objectContaining({ contacts: { before: 1, after: 0 } }) },
    });

    const staying = await signUp(h.app, 'CLI staying');
    const terminated = ok(await runCli(['terminate', staying.accountId, '--reason', 'asked by email']));
    expect(terminated.stdout).toMatch(
      new RegExp(`^account ${staying.accountId} terminated at \\S+: API keys revoked, .* deleted by \\S+\n$`),
    );
    const reactivated = ok(await runCli(['reactivate', staying.accountId, '--reason', 'closed by mistake']));
    expect(reactivated.stdout).toMatch(
      new RegExp(`^account ${staying.accountId} reactivated at \\S+; its API keys stay revoked \\(the holder creates new ones\\)\n$`),
    );
    failed(
      await runCli(['reactivate', leaving.accountId, '--reason', 'too late']),
      'deletion has begun: the account can no longer be reactivated (HTTP 409)',
    );
  });

  it('logout revokes the token on the server and deletes the file', async () => {
    const token = JSON.parse(readFileSync(defaultTokenFile(), 'utf8')).token as string;
    expect(ok(await runCli(['logout'])).stdout).toBe('Logged out.\n');
    expect(existsSync(defaultTokenFile())).toBe(false);
    expect((await request(h.app).get('/staff/v1/me').set(staffBearer(token))).status).toBe(401);
    failed(await runCli(['whoami']), 'not logged in: run `npm run staff -- login --email <you>` first');
  });
});

describe('pollUntilDone (for long operations: progress, then a one-line summary)', () => {
  /** A stream that keeps what is written to it. */
  const sink = () => {
    const chunks: string[] = [];
    return { chunks, stream: { write: (s: string) => chunks.push(s) > 0, isTTY: false } as unknown as NodeJS.WritableStream };
  };
  const statuses = [
    { phase: 'exporting', done: 0 },
    { phase: 'exporting', done: 0 },
    { phase: 'deleting', done: 3 },
    { phase: 'completed', done: 12 },
  ];
  const options = (output: Output, waits: number[]) => {
    let i = 0;
    return {
      read: () => Promise.resolve(statuses[Math.min(i++, statuses.length - 1)]!),
      isDone: (s: (typeof statuses)[number]) => s.phase === 'completed',
      progress: (s: (typeof statuses)[number]) => `${s.phase}: ${s.done}/12 tables`,
      summary: (s: (typeof statuses)[number]) => `deleted: ${s.done} tables`,
      output,
      intervalMs: 250,
      wait: (ms: number) => {
        waits.push(ms);
        return Promise.resolve();
      },
    };
  };

  it('shows each new progress line once on stderr and ends with the summary on stdout', async () => {
    const out = sink();
    const err = sink();
    const waits: number[] = [];
    const result = await pollUntilDone(options(new Output(false, out.stream, err.stream), waits));
    expect(result).toEqual({ status: { phase: 'completed', done: 12 }, done: true });
    expect(err.chunks).toEqual(['exporting: 0/12 tables\n', 'deleting: 3/12 tables\n']);
    expect(out.chunks).toEqual(['deleted: 12 tables\n']);
    expect(waits).toEqual([250, 250, 250]);
  });

  it('prints the final status as JSON with --json, and says when it stopped waiting before the end', async () => {
    const out = sink();
    await pollUntilDone(options(new Output(true, out.stream, sink().stream), []));
    expect(JSON.parse(out.chunks.join(''))).toEqual({ phase: 'completed', done: 12 });

    const early = sink();
    let t = 0;
    const result = await pollUntilDone({
      ...options(new Output(false, early.stream, sink().stream), []),
      timeoutMs: 500,
      clock: () => (t += 300),
    });
    expect(result.done).toBe(false);
    expect(early.chunks).toEqual(['still running (stopped waiting): exporting: 0/12 tables\n']);
  });
});
