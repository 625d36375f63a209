import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { withPgTransaction } from '../../db/pg-pool';
import { AppError } from '../../lib/errors';
import {
  confirmDeletionUpdate,
  reactivateAccountUpdate,
  terminationStatusQuery,
  terminationWorkflowId,
  type TerminationProgress,
} from '../../workflows/lifecycle/termination';
import type { StaffActor } from '../actor';
import { appendAuditOnConnection } from './termination-audit';
import type { TerminationKey } from './termination-key';
import { verifyTerminationToken, type TerminationTokenPurpose } from './termination-tokens';
import { deletionProgress } from './deletion-runner';
import { startTerminationProcess } from './start-termination-process';
import {
  accountContactEmail,
  readTermination,
  shutDownAccount,
  upsertTermination,
  type Disposition,
  type TerminationRow,
} from './termination-store';

/** With no worker polling, a query waits out Temporal's own 30 s; the stored record answers instead. */
const LIVE_STATUS_DEADLINE_MS = 2_000;

export interface TerminationRequest {
  disposition: Disposition;
  deleteEarly: boolean;
  reason: string | null;
  requestedBy: { type: 'api_key'; id: string } | { type: 'staff'; id: string; sessionId: string; role: string };
}

export interface TerminationDeps {
  pgPool: Pool;
  temporal: Client;
  terminationKey: TerminationKey;
}

/**
 * Terminating an account (the customer's admin key or staff), confirming its deletion early,
 * reactivating it (staff, before deletion begins) and reading its status. The "at once" part runs
 * in this request's transaction; the rest (stopping work, the emails, the 30-day deadline, the
 * deletion) is the termination workflow's.
 */
export class TerminationService {
  constructor(private readonly deps: TerminationDeps) {}

  /** `created` is false when the account was already terminated: the existing process answers. */
  async terminate(accountId: string, request: TerminationRequest): Promise<{ created: boolean; termination: TerminationView }> {
    const outcome = await withPgTransaction(this.deps.pgPool, async (client) => {
      const { rows } = await client.query<{ status: string }>('select status from accounts where id = $1 for update', [accountId]);
      if (rows.length === 0) throw AppError.notFound('account');
      const existing = await readTermination(client, accountId, { lock: true });
      if (existing && existing.status !== 'reactivated') return { created: false, row: existing };
      const row = await upsertTermination(client, {
        accountId,
        disposition: request.disposition,
        requestedBy: { type: request.requestedBy.type, id: request.requestedBy.id },
        reason: request.reason,
        deleteEarly: request.deleteEarly,
        notifyEmail: await accountContactEmail(client, accountId),
      });
      const shutDown = await shutDownAccount(client, accountId);
      const by = request.requestedBy;
      await appendAuditOnConnection(client, {
        actorType: by.type,
        actorId: by.id,
        accountId,
        action: 'account.terminated',
        targetType: 'account',
        targetId: accountId,
        details: {
          disposition: request.disposition,
          deleteEarly: request.deleteEarly,
          ...(request.reason ? { reason: request.reason } : {}),
          ...(by.type === 'staff' ? { staffSessionId: by.sessionId, role: by.role } : {}),
          ...shutDown,
        },
      });
      return { created: true, row };
    });
    // Started after the commit (the workflow's first read must see the record); a repeat call starts it
    // again if this start failed, and attaches to the running one otherwise.
    if (outcome.row.status === 'pending' || outcome.row.status === 'deleting') await this.startProcess(accountId, outcome.row.delete_early);
    return { created: outcome.created, termination: await this.status(accountId) };
  }

  /** The controller (through the emailed confirmation token) or staff: delete now rather than at the deadline. */
  async confirm(accountId: string, by: { type: 'controller' } | { type: 'staff'; actor: StaffActor }): Promise<TerminationView> {
    const row = await this.requireTermination(accountId);
    if (row.status === 'reactivated') throw new AppError('conflict', 'the account was reactivated: there is nothing to delete');
    if (row.status === 'pending') {
      await this.update(accountId, () =>
        this.deps.temporal.workflow
          .getHandle(terminationWorkflowId(accountId))
          .executeUpdate(confirmDeletionUpdate, { args: [{ by: by.type }] }),
      );
      await withPgTransaction(this.deps.pgPool, (client) =>
        appendAuditOnConnection(client, {
          actorType: by.type === 'staff' ? 'staff' : 'user',
          actorId: by.type === 'staff' ? by.actor.staffUserId : null,
          accountId,
          action: 'account.deletion_confirmed',
          targetType: 'account',
          targetId: accountId,
          details: by.type === 'staff' ? { staffSessionId: by.actor.staffSessionId, role: by.actor.role } : { via: 'confirmation token' },
        }),
      );
    }
    return this.status(accountId);
  }

  /** Staff, before deletion begins: the account is active again. Its API keys stay revoked (the holder makes new ones). */
  async reactivate(accountId: string, actor: StaffActor, reason: string): Promise<TerminationView> {
    const row = await this.requireTermination(accountId);
    if (row.status === 'reactivated') return this.status(accountId);
    if (row.status !== 'pending') throw new AppError('conflict', 'deletion has begun: the account can no longer be reactivated');
    await this.update(accountId, () =>
      this.deps.temporal.workflow.getHandle(terminationWorkflowId(accountId)).executeUpdate(reactivateAccountUpdate, {
        args: [{ staffUserId: actor.staffUserId, staffSessionId: actor.staffSessionId, role: actor.role, reason }],
      }),
    );
    return this.status(accountId);
  }

  /**
   * The account a link token names, while its termination is still in its grace period (the export
   * and the confirmation end when deletion begins). Any other token is "not found", whatever the reason.
   */
  async accountOfToken(purpose: TerminationTokenPurpose, token: string): Promise<string> {
    const named = verifyTerminationToken(await this.deps.terminationKey.get(), purpose, token);
    const row = named ? await readTermination(this.deps.pgPool, named.accountId) : null;
    // Bound to the termination it was sent for: an earlier termination of the account had another deadline.
    const current = row?.status === 'pending' && row.delete_by.getTime() === named?.deleteBy;
    if (!named || !current) throw AppError.notFound(purpose === 'export' ? 'export' : 'termination');
    return named.accountId;
  }

  async status(accountId: string): Promise<TerminationView> {
    const row = await this.requireTermination(accountId);
    let live: TerminationProgress | null = null;
    if (row.status === 'pending' || row.status === 'deleting') {
      const handle = this.deps.temporal.workflow.getHandle(terminationWorkflowId(accountId));
      live = await this.deps.temporal
        .withDeadline(Date.now() + LIVE_STATUS_DEADLINE_MS, () => handle.query(terminationStatusQuery))
        .catch(() => null);
    }
    const steps = row.status === 'deleting' || row.status === 'deleted' ? await deletionProgress(this.deps.pgPool, accountId) : [];
    return toTerminationView(row, live, steps);
  }

  private async requireTermination(accountId: string): Promise<TerminationRow> {
    const row = await readTermination(this.deps.pgPool, accountId);
    if (!row) throw AppError.notFound('termination');
    return row;
  }

  private async startProcess(accountId: string, deleteEarly: boolean): Promise<void> {
    try {
      await startTerminationProcess(this.deps.temporal, { accountId, deleteEarly });
    } catch (err) {
      throw new AppError(
        'unavailable',
        'the account is terminated and its keys are revoked, but its deletion process could not be started; call again',
        { retryAfterSeconds: 10, cause: err },
      );
    }
  }

  private async update(accountId: string, run: () => Promise<TerminationProgress>): Promise<TerminationProgress> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause as { message?: string } | undefined;
        throw new AppError('conflict', cause?.message ?? 'the termination process refused the request');
      }
      const ended = await this.endedAs(accountId);
      // An ended process never takes the update: a retry cannot cure that, so it is a conflict saying why.
      if (ended)
        throw new AppError('conflict', `the termination process of account ${accountId} has ended (${ended}); it can no longer be changed`);
      throw new AppError('unavailable', `the termination process of account ${accountId} did not answer; try again`, {
        retryAfterSeconds: 5,
        cause: err,
      });
    }
  }

  /** How the account's termination workflow ended (e.g. TERMINATED), or null while it runs or cannot be asked. */
  private async endedAs(accountId: string): Promise<string | null> {
    try {
      const { status } = await this.deps.temporal.workflow.getHandle(terminationWorkflowId(accountId)).describe();
      return status.name === 'RUNNING' ? null : status.name;
    } catch (err) {
      return err instanceof WorkflowNotFoundError ? 'NOT_FOUND' : null;
    }
  }
}

export function toTerminationView(
  row: TerminationRow,
  live: TerminationProgress | null,
  steps: { step: string; affected: number; done: boolean }[],
) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    accountId: row.account_id,
    status: row.status,
    disposition: row.disposition,
    deleteEarly: row.delete_early,
    terminatedAt: row.terminated_at.toISOString(),
    deleteBy: row.delete_by.toISOString(),
    confirmedAt: iso(row.confirmed_at),
    deletionStartedAt: iso(row.deletion_started_at),
    keyDestroyedAt: iso(row.key_destroyed_at),
    deletedAt: iso(row.deleted_at),
    reactivatedAt: iso(row.reactivated_at),
    /** The workflow's live phase, or null when it did not answer (or has finished). */
    phase: live?.phase ?? null,
    staffAlerted: live?.staffAlerted ?? false,
    deletion: {
      stepsTotal: steps.length,
      stepsDone: steps.filter((s) => s.done).length,
      rowsAffected: steps.reduce((n, s) => n + s.affected, 0),
      steps,
    },
    certificate: row.certificate,
    /** The certificate went out (the holder's address is forgotten once it has). */
    certificateEmailed: row.certificate !== null && row.notify_email === null,
  };
}

export type TerminationView = ReturnType<typeof toTerminationView>;
