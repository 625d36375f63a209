import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import type { ServiceDeps } from '../../services/deps';
import { advanceNumber } from '../../services/messaging/sender-number-store';
import { reserveNumber } from '../../services/messaging/sender-numbers';
import type { TestAccount } from './accounts';
import type { SimulatorProcess } from './simulator-process';
import { waitFor } from './webhook-receiver';

let next = 0;
/**
 * A number from the simulator's inventory (`+1 <area> 9xx xxxx`), different per call and per test
 * process: numbers are unique across accounts and every test file shares the run's database.
 */
export function inventoryPhone(areaCode = '415'): string {
  next += 1;
  return `+1${areaCode}9${String((process.pid * 7919 + next * 104_729) % 1_000_000).padStart(6, '0')}`;
}

export interface ObtainOptions {
  /** Default: a fresh inventory number. */
  phone?: string;
  /** The simulator the product's carriers point at: the number is held there too, so sends from it are accepted. */
  sim?: SimulatorProcess;
  /**
   * `order`: POST /v1/sender-numbers, then wait until the number-order workflow made it active (needs
   * the messaging worker and `sim`). `provision` (default, fast): the same reservation the order
   * makes (ownership and quarantine checks included), then the number marked provisioned at both
   * carriers, as the workflow would leave it.
   */
  via?: 'order' | 'provision';
}

/** The one way tests get a sender number: an account sends only from numbers it obtained. Returns it in E.164. */
export async function obtainSenderNumber(
  ctx: { app: Express; deps: Pick<ServiceDeps, 'orm' | 'pgPool'> },
  account: TestAccount,
  options: ObtainOptions = {},
): Promise<string> {
  const phone = options.phone ?? inventoryPhone();
  if (options.via === 'order') {
    const ordered = await request(ctx.app).post('/v1/sender-numbers').set(account.auth).send({ phone });
    expect(ordered.status, JSON.stringify(ordered.body)).toBe(202);
    await waitFor(
      async () => {
        const res = await request(ctx.app)
          .get(`/v1/sender-numbers/${ordered.body.id as string}`)
          .set(account.auth);
        return res.body.status === 'active' ? true : undefined;
      },
      `sender number ${phone} active`,
      30_000,
    );
    return phone;
  }
  const actor = { accountId: account.accountId, apiKeyId: account.apiKeyId, scopes: ['read' as const, 'write' as const] };
  const { number } = await reserveNumber(ctx.deps.orm.em.fork(), ctx.deps.pgPool, actor, { phone });
  expect(await advanceNumber(ctx.deps.pgPool, number.id, ['ordering'], 'active')).toBe(true);
  await options.sim?.control.provisionNumbers([phone]);
  return phone;
}
