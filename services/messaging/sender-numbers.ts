import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowIdConflictPolicy, type Client as TemporalClient } from '@temporalio/client';
import type { Pool } from 'pg';
import { HELD_STATUSES, SenderNumber } from '../../db/entities/sender-number';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { requireE164 } from '../../lib/phone';
import { NumberOperationFailed, type NumberCarriers } from '../../providers/sms/numbers';
import { TASK_QUEUES } from '../../workers/task-queues';
import {
  numberOrderWorkflow,
  numberOrderWorkflowId,
  numberReleaseWorkflow,
  numberReleaseWorkflowId,
} from '../../workflows/numbers/number-order';
import { AccountIdKey, ProcessKindKey } from '../../workflows/search-attributes';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';
import { findAccountPage, toPage, type PageRequest } from '../pagination';
import { NUMBER_QUARANTINE_DAYS, unavailableToAccount } from './sender-number-store';

export function toSenderNumberView(n: SenderNumber) {
  return {
    id: n.id,
    phone: n.phoneE164,
    label: n.label ?? null,
    status: n.status,
    failureReason: n.failureReason ?? null,
    releasedAt: n.releasedAt?.toISOString() ?? null,
    createdAt: n.createdAt.toISOString(),
  };
}
export type SenderNumberView = ReturnType<typeof toSenderNumberView>;

/**
 * The account's claim on a number, in one transaction: refused while another account holds it or it
 * is in another account's quarantine; the partial unique index settles two concurrent orders.
 */
export function reserveNumber(
  em: EntityManager,
  pool: Pool,
  actor: AccountActor,
  input: { phone: string; label?: string | undefined },
): Promise<{ created: boolean; number: SenderNumberView }> {
  return em.transactional(async (tem) => {
    const mine = await tem.findOne(SenderNumber, {
      phoneE164: input.phone,
      accountId: actor.accountId,
      status: { $in: [...HELD_STATUSES] },
    });
    if (mine) return { created: false, number: toSenderNumberView(mine) };
    if ((await unavailableToAccount(pool, actor.accountId, [input.phone])).size > 0) {
      throw new AppError(
        'conflict',
        `this number is held by another account or quarantined for ${NUMBER_QUARANTINE_DAYS} days after its release`,
      );
    }
    const now = new Date();
    const number = tem.create(SenderNumber, {
      id: uuidv7(now.getTime()),
      accountId: actor.accountId,
      phoneE164: input.phone,
      label: input.label ?? null,
      status: 'ordering',
      createdAt: now,
      updatedAt: now,
    });
    try {
      await tem.flush();
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new AppError('conflict', 'this number was just ordered by another account', { cause: err });
      throw err;
    }
    await auditByKey(tem, actor, 'sender_number.ordered', { type: 'sender_number', id: number.id });
    return { created: true, number: toSenderNumberView(number) };
  });
}

/** How many candidates a search asks the carrier for (some may be held or quarantined here). */
const SEARCH_CANDIDATES = 50;

export interface SenderNumbersDeps {
  pgPool: Pool;
  temporal: TemporalClient;
  /** Built on first use: a process without carrier credentials still serves every other route. */
  numberCarriers: () => NumberCarriers;
}

/**
 * The numbers an account sends from, obtained from the carriers' inventory (search, order, release).
 * A number is held by one account at a time (inbound is routed by it); a released number stays
 * quarantined for other accounts for NUMBER_QUARANTINE_DAYS. Our own numbers are business
 * identifiers, not recipient PII: they are stored in clear.
 */
export class SenderNumbersService {
  constructor(private readonly deps: SenderNumbersDeps) {}

  /** Numbers for sale the account could order now (held and quarantined ones left out). */
  async search(actor: AccountActor, query: { areaCode?: string | undefined; limit: number }): Promise<string[]> {
    const candidates = await this.carrierSearch(query.areaCode);
    const unavailable = await unavailableToAccount(this.deps.pgPool, actor.accountId, candidates);
    return candidates.filter((p) => !unavailable.has(p)).slice(0, query.limit);
  }

  /**
   * Orders a number (the one named, or the first available in the area code): reserves it for the
   * account and starts `number-order:<id>`. Ordering a number the account already has on order (or
   * holds) answers that number again and makes sure its workflow runs.
   */
  async order(
    em: EntityManager,
    actor: AccountActor,
    input: { phone?: string | undefined; areaCode?: string | undefined; label?: string | undefined },
  ): Promise<{ created: boolean; number: SenderNumberView }> {
    const phone = input.phone !== undefined ? requireE164(input.phone) : await this.firstAvailable(actor, input.areaCode);
    const reserved = await reserveNumber(em, this.deps.pgPool, actor, { phone, label: input.label });
    if (reserved.number.status === 'ordering') await this.startOrder(actor.accountId, reserved.number.id);
    return reserved;
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const number = await em.findOne(SenderNumber, { id, accountId: actor.accountId });
    if (!number) throw AppError.notFound('sender number');
    return toSenderNumberView(number);
  }

  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    const rows = await findAccountPage(em, SenderNumber, actor.accountId, page);
    return toPage(rows, page.limit, toSenderNumberView);
  }

  /**
   * Releases the number: at once it stops sending (queued messages from it are suppressed at their
   * claim, campaigns from it pause) and its quarantine starts; `number-release:<id>` gives it back at
   * both carriers. A number still being ordered is released once its order completed.
   */
  async release(em: EntityManager, actor: AccountActor, id: string): Promise<SenderNumberView> {
    const number = await em.transactional(async (tem) => {
      const row = await tem.findOne(SenderNumber, { id, accountId: actor.accountId });
      if (!row) throw AppError.notFound('sender number');
      if (row.status === 'ordering')
        throw new AppError('conflict', 'the number is still being ordered; release it once its order completed');
      if (row.status === 'order_failed') throw new AppError('conflict', 'the order of this number failed: there is nothing to release');
      if (row.status === 'failover_pending' || row.status === 'active') {
        const now = new Date();
        row.status = 'releasing';
        row.releasedAt = now;
        row.updatedAt = now;
        await tem.flush();
        await auditByKey(tem, actor, 'sender_number.released', { type: 'sender_number', id });
      }
      return row;
    });
    if (number.status === 'releasing') await this.startRelease(actor.accountId, id);
    return toSenderNumberView(number);
  }

  private async carrierSearch(areaCode: string | undefined): Promise<string[]> {
    try {
      return await this.deps
        .numberCarriers()
        .inventory.search({ ...(areaCode !== undefined ? { areaCode } : {}), limit: SEARCH_CANDIDATES });
    } catch (err) {
      const permanent = err instanceof NumberOperationFailed && !err.retryable;
      throw permanent
        ? AppError.invalid('areaCode', 'the carrier refused this search')
        : new AppError('unavailable', 'the carrier number search is unavailable; try again', { retryAfterSeconds: 10, cause: err });
    }
  }

  private async firstAvailable(actor: AccountActor, areaCode: string | undefined): Promise<string> {
    const [first] = await this.search(actor, { areaCode, limit: 1 });
    if (first === undefined) throw new AppError('conflict', 'no number is available in this area code now');
    return first;
  }

  private async startOrder(accountId: string, numberId: string): Promise<void> {
    await this.start(() =>
      this.deps.temporal.workflow.start(numberOrderWorkflow, {
        taskQueue: TASK_QUEUES.messaging,
        workflowId: numberOrderWorkflowId(numberId),
        staticSummary: `Number order ${numberId} for account ${accountId}`,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        args: [{ numberId, accountId }],
        typedSearchAttributes: [
          { key: ProcessKindKey, value: 'number_order' },
          { key: AccountIdKey, value: accountId },
        ],
      }),
    );
  }

  private async startRelease(accountId: string, numberId: string): Promise<void> {
    await this.start(() =>
      this.deps.temporal.workflow.start(numberReleaseWorkflow, {
        taskQueue: TASK_QUEUES.messaging,
        workflowId: numberReleaseWorkflowId(numberId),
        staticSummary: `Number release ${numberId} for account ${accountId}`,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        args: [{ numberId, accountId }],
        typedSearchAttributes: [
          { key: ProcessKindKey, value: 'number_release' },
          { key: AccountIdKey, value: accountId },
        ],
      }),
    );
  }

  private async start(run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if ((err as { name?: string }).name === 'WorkflowExecutionAlreadyStartedError') return;
      throw new AppError('unavailable', 'the number is reserved but its process could not be started; send the same request again', {
        retryAfterSeconds: 10,
        cause: err,
      });
    }
  }
}
