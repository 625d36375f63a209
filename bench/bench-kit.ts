/**
 * Pieces the send-path benches share: the product's processes started from the build as production starts them,
 * a keep-alive HTTP caller for the API, and the same-run SDK floor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { SmsCarrier } from '../providers/sms/carrier';
import { mapBounded } from '../services/messaging/send-concurrency';
import { dispatchWorkflowId } from '../workflows/messaging/dispatch';
import { API_HEAP_FLAG } from '../api/heap-budget';
import { DIST_ENTRIES } from './product-build';
import { markOwnerVerifiedIn } from '../tests/support/owner-verification';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The official Telnyx SDK (through its adapter, which only classifies) in a tight loop at
 * `concurrency`, writing nothing: messages per second.
 */
export async function sdkFloor(
  telnyx: SmsCarrier,
  sends: number,
  concurrency: number,
  from: string,
  to: (i: number) => string,
): Promise<number> {
  const started = performance.now();
  await mapBounded(
    Array.from({ length: sends }, (_, i) => i),
    concurrency,
    (i) =>
      telnyx.send({
        messageId: `floor-${i}`,
        attemptId: `floor-${i}`,
        from,
        to: to(i),
        body: `floor ${i}`,
        statusCallbackUrl: `http://127.0.0.1:9/floor?i=${i}`,
      }),
  );
  return sends / ((performance.now() - started) / 1000);
}

/**
 * One of the product's processes from the build (bench/product-build.ts), with plain `node` as
 * `npm start` (with its heap budget) and `npm run start:worker` start them.
 */
export function spawnProduct(kind: keyof typeof DIST_ENTRIES, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const args = [...(kind === 'api' ? [API_HEAP_FLAG] : []), ...nodeArgs, DIST_ENTRIES[kind]];
  return spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A process's resident set now, in MiB (/proc, Linux). */
export function rssMb(pid: number): number {
  return Math.round(Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(forced);
}

/** The few answer fields the benches read. */
export type Answer = { id?: string; apiKey?: { key: string }; account?: { id: string } } & Record<string, unknown>;

/** JSON calls to the API over keep-alive connections; `destroy()` closes them. */
export class ApiCaller {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; json: Answer; headers: Record<string, string | string[] | undefined> }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpRequest(
        this.baseUrl + path,
        { method, agent: this.agent, headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) } },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (data += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, json: (data ? JSON.parse(data) : {}) as Answer, headers: res.headers }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  destroy(): void {
    this.agent.destroy();
  }
}

export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * Waits until the spawned API answers and the worker has started its last dispatcher shard, then
 * signs up the bench account (its owner verified, as the emailed link would) and orders its sender
 * number (number-order runs to active): what every send-path bench does first.
 */
export async function readyAccount(
  http: ApiCaller,
  db: Pick<Pool, 'query'>,
  temporal: Client,
  shards: number,
  from: string,
): Promise<{ auth: Record<string, string>; accountId: string }> {
  await waitUntil(async () => (await http.call('GET', '/healthz', {})).status === 200, 'the API');
  await waitUntil(async () => {
    try {
      return (await temporal.workflow.getHandle(dispatchWorkflowId(shards - 1)).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }, 'the dispatcher shards');
  const signUp = await http.call(
    'POST',
    '/v1/accounts',
    {},
    { accountName: 'Bench', email: 'bench@example.com', password: 'bench password 123' },
  );
  if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}`);
  const auth = { authorization: `Bearer ${signUp.json.apiKey!.key}` };
  await markOwnerVerifiedIn(db, signUp.json.account!.id);
  const sender = await http.call('POST', '/v1/sender-numbers', auth, { phone: from });
  if (sender.status !== 202) throw new Error(`sender number order answered ${sender.status}`);
  const numberId = (sender.json as { id?: string }).id!;
  await waitUntil(
    async () => (await http.call('GET', `/v1/sender-numbers/${numberId}`, auth)).json.status === 'active',
    'the sender number ordered and active',
  );
  return { auth, accountId: signUp.json.account!.id };
}
