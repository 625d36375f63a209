import { Context } from '@temporalio/activity';
import { ApplicationFailure, type Client } from '@temporalio/client';
import { withPgTransaction } from '../../db/pg-pool';
import type { BillingProvider } from '../../providers/billing/billing-provider';
import { closeAccountBilling, type BillingClosure } from '../../services/billing/account-closure';
import { readAccountBilling } from '../../services/billing/billing-store';
import { EmailSendError, type EmailMessage, type EmailSender } from '../../providers/email/email-sender';
import type { ServiceDeps } from '../../services/deps';
import { accountDeletionCertificateEmail, accountDeletedKey } from '../../services/email/templates/account-deletion-certificate';
import { accountDeletionStuckEmail, accountDeletionStuckKey } from '../../services/email/templates/account-deletion-stuck';
import { accountTerminatedEmail, accountTerminatedKey } from '../../services/email/templates/account-terminated';
import { deletionPromise, signDeletionCertificate } from '../../services/termination/deletion-certificate';
import { countPersonalRows, runDeletionStep } from '../../services/termination/deletion-runner';
import { DELETION_STEPS, deletionLanes } from '../../services/termination/deletion-steps';
import { appendAuditOnConnection } from '../../services/termination/termination-audit';
import type { TerminationKey } from '../../services/termination/termination-key';
import { msSinceTermination, readTermination } from '../../services/termination/termination-store';
import { signTerminationToken } from '../../services/termination/termination-tokens';
import { stopAccountWork } from '../../services/termination/stop-account-work';
import type { ReactivationInput } from '../../workflows/lifecycle/termination';

export interface TerminationActivityDeps {
  deps: Pick<ServiceDeps, 'pgPool' | 'orm' | 'keyring' | 'config' | 'logger'>;
  temporal: Client;
  /** Null when no email provider is configured: the emails stay owed (logged), the process goes on. */
  email: EmailSender | null;
  terminationKey: TerminationKey;
  /** Null when Stripe is not configured: there is no subscription to cancel. */
  billing?: BillingProvider | null;
  /** Rows per deletion batch (the bench and tests may lower it). */
  batchRows?: number;
}

/**
 * The termination workflow's I/O. Every activity is idempotent (a retry after a crash finds its
 * work done or resumes it from the database) and returns ids and counts only.
 */
export function createTerminationActivities({ deps, temporal, email, terminationKey, billing = null, batchRows }: TerminationActivityDeps) {
  const pool = deps.pgPool;
  const audit = (accountId: string, action: string, details: Record<string, unknown> = {}) =>
    withPgTransaction(pool, (client) =>
      appendAuditOnConnection(client, { actorType: 'system', accountId, action, targetType: 'account', targetId: accountId, details }),
    );

  /** Sends once per key; a refused send (bad address) is logged and audited, never retried for ever. */
  async function send(message: EmailMessage, accountId: string, what: string): Promise<boolean> {
    if (!email) {
      deps.logger.warn({ accountId, email: what }, 'no email provider is configured (RESEND_API_KEY): email owed');
      return false;
    }
    try {
      await email.send(message);
      return true;
    } catch (err) {
      if (err instanceof EmailSendError && !err.retryable) {
        deps.logger.warn({ accountId, email: what, code: err.code }, 'email refused by the provider');
        await audit(accountId, 'account.email_refused', { email: what, code: err.code });
        return false;
      }
      throw err;
    }
  }

  async function requireRow(accountId: string) {
    const row = await readTermination(pool, accountId);
    if (!row) throw ApplicationFailure.nonRetryable(`no termination recorded for account ${accountId}`, 'NoTermination');
    return row;
  }

  return {
    /** How long ago the account was terminated, measured by the database (the workflow's anchor for its deadline). */
    async terminationAge(accountId: string): Promise<{ ms: number }> {
      const ms = await msSinceTermination(pool, accountId);
      if (ms === null) throw ApplicationFailure.nonRetryable(`no termination recorded for account ${accountId}`, 'NoTermination');
      return { ms };
    },

    async stopAccountWork(accountId: string) {
      return stopAccountWork({ pool, temporal }, accountId);
    },

    /** Cancels the account's Stripe subscription with a final invoice for the usage to date (kept as a billing record). */
    async closeBilling(accountId: string): Promise<BillingClosure> {
      if (!billing) {
        const row = await readAccountBilling(pool, accountId);
        if (row?.subscription_id)
          throw ApplicationFailure.retryable('Stripe is not configured (STRIPE_SECRET_KEY)', 'BillingNotConfigured');
        return { outcome: 'no_subscription' };
      }
      return closeAccountBilling({ pgPool: pool, provider: billing }, accountId);
    },

    async sendTerminationEmail(accountId: string): Promise<{ sent: boolean }> {
      const row = await requireRow(accountId);
      // Also once deletion has begun (confirmed at once): the holder still learns what happened.
      if (row.status === 'reactivated' || row.status === 'deleted' || !row.notify_email) return { sent: false };
      const key = await terminationKey.get();
      const exportToken = signTerminationToken(key, 'export', accountId, row.delete_by);
      const content = accountTerminatedEmail({
        accountId,
        exportUrl: `${deps.config.PUBLIC_BASE_URL.replace(/\/$/, '')}/v1/account/export/${exportToken}`,
        confirmToken: signTerminationToken(key, 'confirm', accountId, row.delete_by),
        deleteBy: row.delete_by,
        disposition: row.disposition,
      });
      const sent = await send(
        {
          to: [row.notify_email],
          ...content,
          idempotencyKey: accountTerminatedKey(accountId, row.terminated_at),
          tags: [{ name: 'kind', value: 'account-terminated' }],
        },
        accountId,
        'account-terminated',
      );
      if (sent) await audit(accountId, 'account.termination_email_sent');
      return { sent };
    },

    async reactivateAccount(input: ReactivationInput & { accountId: string }): Promise<void> {
      await withPgTransaction(pool, async (client) => {
        const row = await readTermination(client, input.accountId, { lock: true });
        if (!row || row.status === 'reactivated') return;
        await client.query(
          `update account_terminations set status = 'reactivated', reactivated_at = now(), notify_email = null, updated_at = now()
            where account_id = $1`,
          [input.accountId],
        );
        await client.query(`update accounts set status = 'active', updated_at = now() where id = $1`, [input.accountId]);
        await appendAuditOnConnection(client, {
          actorType: 'staff',
          actorId: input.staffUserId,
          accountId: input.accountId,
          action: 'account.reactivated',
          targetType: 'account',
          targetId: input.accountId,
          details: { reason: input.reason, staffSessionId: input.staffSessionId, role: input.role, apiKeysStayRevoked: true },
        });
      });
    },

    /** Deletion begins: recorded once (with the counts before), whatever retries follow. */
    async beginDeletion(input: { accountId: string; trigger: 'confirmed' | 'grace_ended' }): Promise<{ lanes: string[][] }> {
      const row = await requireRow(input.accountId);
      if (row.status === 'pending') {
        const before = await countPersonalRows(pool, input.accountId);
        await withPgTransaction(pool, async (client) => {
          const updated = await client.query(
            `update account_terminations set status = 'deleting', deletion_started_at = now(),
               confirmed_at = case when $2 then coalesce(confirmed_at, now()) else confirmed_at end,
               counts_before = $3::jsonb, updated_at = now()
             where account_id = $1 and status = 'pending'`,
            [input.accountId, input.trigger === 'confirmed', JSON.stringify(before)],
          );
          if (updated.rowCount === 1) {
            await appendAuditOnConnection(client, {
              actorType: 'system',
              accountId: input.accountId,
              action: 'account.deletion_started',
              targetType: 'account',
              targetId: input.accountId,
              details: { trigger: input.trigger },
            });
          }
        });
      }
      return { lanes: deletionLanes() };
    },

    /** One step to its end, resuming from its checkpoint; heartbeats carry the step and a count only. */
    async runDeletionStep(input: { accountId: string; step: string }): Promise<{ affected: number }> {
      const ctx = Context.current();
      const done = await runDeletionStep(pool, input.accountId, input.step, {
        batchRows,
        afterBatch: (p) => ctx.heartbeat({ step: p.step, affected: p.affected }),
      });
      return { affected: done.affected };
    },

    async destroyDataKey(accountId: string): Promise<void> {
      await deps.orm.em.fork().transactional((em) => deps.keyring.destroy(em, accountId));
      await withPgTransaction(pool, async (client) => {
        const updated = await client.query(
          `update account_terminations t set key_destroyed_at = k.destroyed_at, updated_at = now()
             from account_data_keys k where k.account_id = t.account_id and t.account_id = $1 and t.key_destroyed_at is null`,
          [accountId],
        );
        if (updated.rowCount === 1) {
          await appendAuditOnConnection(client, {
            actorType: 'system',
            accountId,
            action: 'account.data_key_destroyed',
            targetType: 'account',
            targetId: accountId,
          });
        }
      });
    },

    /** Counts every table; rows left (written after their step ran) send their steps round again. */
    async verifyDeletion(accountId: string): Promise<{ left: number }> {
      const after = await countPersonalRows(pool, accountId);
      const tables = Object.entries(after).filter(([, n]) => n > 0);
      if (tables.length > 0) {
        const names = DELETION_STEPS.filter((s) => tables.some(([t]) => t === s.table)).map((s) => s.name);
        await pool.query(
          `update account_deletion_checkpoints set done = false, cursor = null, updated_at = now() where account_id = $1 and step = any ($2)`,
          [accountId, names],
        );
      }
      return { left: tables.reduce((n, [, c]) => n + c, 0) };
    },

    /**
     * The signed certificate, stored once; the account becomes a tombstone. `measured`: the instants
     * on the workflow's clock and the workflows it ended (absent for terminations begun before the
     * deadline patch: the promise is then stated from the stored instants).
     */
    async certifyDeletion(
      accountId: string,
      measured?: { terminatedAt: string; finishedAt: string; endedWorkflows: string[] },
    ): Promise<void> {
      const key = await terminationKey.get();
      await withPgTransaction(pool, async (client) => {
        const row = await readTermination(client, accountId, { lock: true });
        if (!row || row.certificate) return;
        const after = await countPersonalRows(pool, accountId);
        const left = Object.values(after).reduce((n, c) => n + c, 0);
        if (left > 0) throw new Error(`${left} personal rows appeared after verification; deletion runs again`);
        const deletedAt = new Date();
        const before = row.counts_before ?? {};
        const certificate = signDeletionCertificate(key, {
          accountId,
          terminatedAt: row.terminated_at.toISOString(),
          trigger: row.confirmed_at ? 'confirmed' : 'grace_ended',
          deletionStartedAt: (row.deletion_started_at ?? deletedAt).toISOString(),
          deletedAt: deletedAt.toISOString(),
          keyDestroyedAt: (row.key_destroyed_at ?? deletedAt).toISOString(),
          promise: measured
            ? deletionPromise(new Date(measured.terminatedAt), new Date(measured.finishedAt))
            : deletionPromise(row.terminated_at, deletedAt),
          endedWorkflows: measured?.endedWorkflows ?? [],
          tables: Object.fromEntries(Object.keys(after).map((t) => [t, { before: before[t] ?? 0, after: after[t]! }])),
        });
        await client.query(
          `update account_terminations set status = 'deleted', deleted_at = $2, certificate = $3::jsonb, updated_at = now() where account_id = $1`,
          [accountId, deletedAt, JSON.stringify(certificate)],
        );
        await client.query(`update accounts set status = 'deleted', name = 'deleted account', updated_at = now() where id = $1`, [
          accountId,
        ]);
        await appendAuditOnConnection(client, {
          actorType: 'system',
          accountId,
          action: 'account.deleted',
          targetType: 'account',
          targetId: accountId,
          details: { certificateMac: certificate.mac, trigger: certificate.trigger, keyDestroyedAt: certificate.keyDestroyedAt },
        });
      });
    },

    /** Emailed once (idempotency key termination:<id>:deleted); the address is then forgotten. */
    async sendDeletionCertificate(accountId: string): Promise<{ sent: boolean }> {
      const row = await requireRow(accountId);
      if (!row.certificate || !row.notify_email) return { sent: false };
      const sent = await send(
        {
          to: [row.notify_email],
          ...accountDeletionCertificateEmail(row.certificate),
          idempotencyKey: accountDeletedKey(accountId),
          tags: [{ name: 'kind', value: 'account-deleted' }],
        },
        accountId,
        'account-deleted',
      );
      if (sent) {
        await withPgTransaction(pool, async (client) => {
          await client.query('update account_terminations set notify_email = null, updated_at = now() where account_id = $1', [accountId]);
          await appendAuditOnConnection(client, {
            actorType: 'system',
            accountId,
            action: 'account.deletion_certificate_sent',
            targetType: 'account',
            targetId: accountId,
          });
        });
      }
      return { sent };
    },

    async alertPrivacyStaff(input: { accountId: string; stepsDone: number; stepsTotal: number; currentStep: string | null }) {
      const row = await requireRow(input.accountId);
      const { rows } = await pool.query<{ email: string }>(
        `select email from staff_users where role = 'privacy' and disabled_at is null order by created_at`,
      );
      const content = accountDeletionStuckEmail({ ...input, deleteBy: row.delete_by });
      const sent =
        rows.length > 0 &&
        (await send(
          {
            to: rows.map((r) => r.email),
            ...content,
            idempotencyKey: accountDeletionStuckKey(input.accountId),
            tags: [{ name: 'kind', value: 'account-deletion-stuck' }],
          },
          input.accountId,
          'account-deletion-stuck',
        ));
      await audit(input.accountId, 'account.deletion_overdue_alert', {
        stepsDone: input.stepsDone,
        stepsTotal: input.stepsTotal,
        currentStep: input.currentStep,
        staffEmailed: sent ? rows.length : 0,
      });
      return { sent };
    },
  };
}

export type TerminationActivities = ReturnType<typeof createTerminationActivities>;
