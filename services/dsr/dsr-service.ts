import { DataKeyDestroyedError } from '../keyring';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { phoneHash } from '../../lib/crypto/phone-hash';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { requireE164 } from '../../lib/phone';
import {
  completeDsrUpdate,
  DSR_REFUSALS,
  DSR_RESPONSE_TIME,
  dsrStatusQuery,
  dsrWorkflowId,
  extendDsrUpdate,
  verifyDsrIdentityUpdate,
  type DsrStatus,
  type DsrType,
} from '../../workflows/lifecycle/dsr';
import type { AccountActor, StaffActor } from '../actor';
import { auditByKey, auditByStaff } from '../audit-log';
import { openPii } from '../contacts/contact-pii';
import type { ServiceDeps } from '../deps';
import { decodeCursor, toPage, type PageRequest } from '../pagination';
import { openDsrExport } from './dsr-export';
import { startDsrProcess } from './start-dsr-process';
import {
  deleteDsr,
  extensionsOf,
  findDsr,
  insertDsr,
  insertExtension,
  pageDsrs,
  setCompletionNote,
  type DsrRow,
  type ExtensionRow,
} from './dsr-store';
import { openRequester, openSubject, sealRequester, sealSubject } from './dsr-subject';

/** With no worker polling, a query waits out Temporal's own 30 s; the stored row answers instead. */
const LIVE_STATUS_DEADLINE_MS = 2_000;

export interface DsrSubjectInput {
  phone?: string;
  contactId?: string;
}

type Deps = Pick<ServiceDeps, 'keyring' | 'keys' | 'exportPool'> & { temporal: Client };

const REFUSAL_DETAIL: Record<string, string> = {
  [DSR_REFUSALS.completed]: 'the request is already completed',
  [DSR_REFUSALS.tooLate]: 'the due date has passed: an extension must be recorded before it',
  [DSR_REFUSALS.tooLong]: 'extensions may add at most 60 days to the due date in all',
  [DSR_REFUSALS.notVerified]: "verify the requester's identity first",
};

/**
 * Data subject requests: a customer's about one of its recipients, or one staff log for an account
 * holder (which waits for staff to verify the requester's identity). Each is recorded here, then its
 * `dsr:<id>` workflow keeps the deadline and acts; staff steer it with updates the workflow decides on.
 */
export class DsrService {
  constructor(
    private readonly deps: Deps,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  createForCustomer(em: EntityManager, actor: AccountActor, input: { type: DsrType } & DsrSubjectInput) {
    return this.create(em, actor.accountId, input, { origin: 'customer', actor });
  }

  createByStaff(
    em: EntityManager,
    actor: StaffActor,
    input: { accountId: string; type: DsrType; requesterEmail: string } & DsrSubjectInput,
  ) {
    return this.create(em, input.accountId, input, { origin: 'staff', actor, requesterEmail: input.requesterEmail });
  }

  private async create(
    em: EntityManager,
    accountId: string,
    input: { type: DsrType } & DsrSubjectInput,
    by: { origin: 'customer'; actor: AccountActor } | { origin: 'staff'; actor: StaffActor; requesterEmail: string },
  ) {
    const receivedAt = this.clock();
    const id = uuidv7(receivedAt.getTime());
    const row = await em.transactional(async (tem) => {
      if (by.origin === 'staff') {
        const [account] = await tem.execute<{ id: string }[]>('select id from accounts where id = ?', [accountId]);
        if (!account) throw AppError.invalid('accountId', 'no such account');
      }
      const key = await this.deps.keyring.keyFor(tem, accountId);
      const subject = await this.resolveSubject(tem, key, accountId, input);
      const newRow = {
        id,
        account_id: accountId,
        origin: by.origin,
        type: input.type,
        status: by.origin === 'staff' ? ('awaiting_identity' as const) : ('open' as const),
        subject_contact_id: subject?.contactId ?? null,
        subject_phone_hash: subject?.hash ?? null,
        subject_pii: subject ? sealSubject(key, id, { phone: subject.phone }) : null,
        requester_pii: by.origin === 'staff' ? sealRequester(key, id, { email: by.requesterEmail }) : null,
        created_by_type: by.origin === 'staff' ? 'staff' : 'api_key',
        created_by_id: by.origin === 'staff' ? by.actor.staffUserId : by.actor.apiKeyId,
        received_at: receivedAt,
        due_at: new Date(receivedAt.getTime() + msToNumber(DSR_RESPONSE_TIME)),
      };
      await insertDsr(tem, newRow);
      const details = { type: input.type, dueAt: newRow.due_at.toISOString() };
      const target = { type: 'data_subject_request', id };
      if (by.origin === 'staff') await auditByStaff(tem, by.actor, 'dsr.received', { ...target, accountId }, details);
      else await auditByKey(tem, by.actor, 'dsr.received', target, details);
      return newRow;
    });
    try {
      await startDsrProcess(this.deps.temporal, {
        requestId: id,
        accountId,
        type: input.type,
        receivedAt,
        dueAt: row.due_at,
        needsIdentity: by.origin === 'staff',
        hasSubject: row.subject_phone_hash !== null,
      });
    } catch (err) {
      // Without its workflow nobody would keep the deadline: the request is not taken, and the caller retries.
      await deleteDsr(em.fork(), id);
      throw new AppError('unavailable', 'the request could not be recorded now; try again later', { retryAfterSeconds: 30, cause: err });
    }
    return this.view(em.fork(), (await findDsr(em.fork(), id))!, { staff: by.origin === 'staff' });
  }

  /** The recipient the request is about: by number (need not be a contact) or by one of the account's contacts. */
  private async resolveSubject(em: EntityManager, key: DataKey, accountId: string, input: DsrSubjectInput) {
    if (input.phone !== undefined) {
      const phone = requireE164(input.phone);
      const hash = phoneHash(this.deps.keys.phoneHashKey, phone);
      const [contact] = await em.execute<{ id: string }[]>('select id from contacts where account_id = ? and phone_hash = ?', [
        accountId,
        hash,
      ]);
      return { phone, hash, contactId: contact?.id ?? null };
    }
    if (input.contactId !== undefined) {
      const [contact] = await em.execute<{ id: string; phone_hash: Buffer; pii: Buffer }[]>(
        'select id, phone_hash, pii from contacts where account_id = ? and id = ?',
        [accountId, input.contactId],
      );
      if (!contact) throw AppError.invalid('contactId', 'no such contact in this account');
      return { phone: openPii(key, contact.id, contact.pii).phone, hash: contact.phone_hash, contactId: contact.id };
    }
    return null;
  }

  async listForAccount(em: EntityManager, actor: AccountActor, page: PageRequest) {
    return this.page(em, page, actor.accountId, false);
  }

  async listAll(em: EntityManager, page: PageRequest & { accountId?: string }) {
    return this.page(em, page, page.accountId, true);
  }

  private async page(em: EntityManager, page: PageRequest, accountId: string | undefined, staff: boolean) {
    const rows = await pageDsrs(em, { limit: page.limit, before: decodeCursor(page.cursor), accountId });
    const visible = rows.slice(0, page.limit);
    const extensions = await extensionsOf(
      em,
      visible.map((r) => r.id),
    );
    const views = new Map<string, Awaited<ReturnType<DsrService['view']>>>();
    for (const row of visible) views.set(row.id, await this.view(em, row, { staff, extensions }));
    return toPage(rows, page.limit, (r) => views.get(r.id)!);
  }

  async getForAccount(em: EntityManager, actor: AccountActor, id: string) {
    const row = await findDsr(em, id, actor.accountId);
    if (!row) throw AppError.notFound('data subject request');
    return { ...(await this.view(em, row, { staff: false })), process: await this.liveStatus(row) };
  }

  async getForStaff(em: EntityManager, id: string) {
    const row = await this.requireRow(em, id);
    return { ...(await this.view(em, row, { staff: true })), process: await this.liveStatus(row) };
  }

  /** The export's head, and its messages to stream; refused (404, 409) before anything is read. */
  async openExportForAccount(em: EntityManager, actor: AccountActor, id: string) {
    const row = await findDsr(em, id, actor.accountId);
    if (!row) throw AppError.notFound('data subject request');
    if (row.type !== 'access' && row.type !== 'portability') {
      throw new AppError('conflict', `a ${row.type} request has no export; only access and portability requests do`);
    }
    if (row.status !== 'completed') {
      throw new AppError('conflict', 'the export is ready once the request is completed', { retryAfterSeconds: 5 });
    }
    if (!row.subject_phone_hash)
      throw new AppError('conflict', 'the request names no recipient, or its subject was erased since: there is nothing to export');
    return openDsrExport(em, this.deps.exportPool, await this.deps.keyring.keyFor(em, row.account_id), row);
  }

  async verifyIdentity(em: EntityManager, actor: StaffActor, id: string) {
    const row = await this.requireRow(em, id);
    if (row.origin !== 'staff')
      throw new AppError('conflict', 'a customer request needs no identity verification: the customer is the controller');
    // Its workflow has ended: an update would find no execution (a 503 no retry can cure).
    if (row.status === 'completed') throw new AppError('conflict', REFUSAL_DETAIL[DSR_REFUSALS.completed]!);
    await this.steer(row, () => this.handle(id).executeUpdate(verifyDsrIdentityUpdate, { args: [{ staffUserId: actor.staffUserId }] }));
    await em.transactional((tem) =>
      auditByStaff(tem, actor, 'dsr.identity_verified', { type: 'data_subject_request', id, accountId: row.account_id }),
    );
    return this.getForStaff(em.fork(), id);
  }

  async extend(em: EntityManager, actor: StaffActor, id: string, input: { days: number; reason: string }) {
    const row = await this.requireRow(em, id);
    if (row.status === 'completed') throw new AppError('conflict', REFUSAL_DETAIL[DSR_REFUSALS.completed]!);
    const extensionId = uuidv7();
    await insertExtension(em.fork(), {
      id: extensionId,
      request_id: id,
      days: input.days,
      reason: input.reason,
      requested_by: actor.staffUserId,
      created_at: new Date(),
    });
    const status = await this.steer(row, () =>
      this.handle(id).executeUpdate(extendDsrUpdate, { args: [{ extensionId, days: input.days }] }),
    );
    await em.transactional((tem) =>
      auditByStaff(
        tem,
        actor,
        'dsr.extended',
        { type: 'data_subject_request', id, accountId: row.account_id },
        { extensionId, days: input.days, dueAt: new Date(status.dueAtMs).toISOString() },
      ),
    );
    return this.getForStaff(em.fork(), id);
  }

  async complete(em: EntityManager, actor: StaffActor, id: string, input: { note: string }) {
    const row = await this.requireRow(em, id);
    if (row.status === 'completed') throw new AppError('conflict', REFUSAL_DETAIL[DSR_REFUSALS.completed]!);
    await this.steer(row, () => this.handle(id).executeUpdate(completeDsrUpdate, { args: [{ staffUserId: actor.staffUserId }] }));
    await em.transactional(async (tem) => {
      await setCompletionNote(tem, id, input.note);
      await auditByStaff(tem, actor, 'dsr.completed_by_staff', { type: 'data_subject_request', id, accountId: row.account_id });
    });
    return this.getForStaff(em.fork(), id);
  }

  private handle(id: string) {
    return this.deps.temporal.workflow.getHandle(dsrWorkflowId(id));
  }

  /** Runs an update; the workflow's refusal (by its own clock and state) becomes a 409 saying why. */
  private async steer(row: DsrRow, run: () => Promise<DsrStatus>): Promise<DsrStatus> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const type = err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
        throw new AppError('conflict', (type && REFUSAL_DETAIL[type]) ?? 'the request cannot be changed now');
      }
      const ended = await this.endedAs(row.id);
      // A process that ended (an account's termination ends its requests' processes) will never take
      // the update: a retry cannot cure that, so the answer is a conflict saying why, not a 503.
      if (ended) throw new AppError('conflict', `the request's process has ended (${ended}): it can no longer be changed`);
      throw new AppError('unavailable', `the request ${row.id} cannot be reached now; try again`, { retryAfterSeconds: 5, cause: err });
    }
  }

  /** How the request's workflow ended (e.g. TERMINATED), or null while it runs or cannot be asked. */
  private async endedAs(id: string): Promise<string | null> {
    try {
      const { status } = await this.handle(id).describe();
      return status.name === 'RUNNING' ? null : status.name;
    } catch (err) {
      return err instanceof WorkflowNotFoundError ? 'NOT_FOUND' : null;
    }
  }

  private async requireRow(em: EntityManager, id: string): Promise<DsrRow> {
    const row = await findDsr(em, id);
    if (!row) throw AppError.notFound('data subject request');
    return row;
  }

  private async liveStatus(row: DsrRow): Promise<DsrStatus | null> {
    const handle = this.handle(row.id);
    return this.deps.temporal.withDeadline(Date.now() + LIVE_STATUS_DEADLINE_MS, () => handle.query(dsrStatusQuery)).catch(() => null);
  }

  private async view(em: EntityManager, row: DsrRow, options: { staff: boolean; extensions?: ExtensionRow[] }) {
    // A terminated account's key is destroyed: its requests still list, without the sealed fields.
    const key =
      row.subject_pii || row.requester_pii
        ? await this.deps.keyring.keyFor(em, row.account_id).catch((err: unknown) => {
            if (err instanceof DataKeyDestroyedError) return null;
            throw err;
          })
        : null;
    const extensions = (options.extensions ?? (await extensionsOf(em, [row.id]))).filter((e) => e.request_id === row.id);
    return {
      id: row.id,
      accountId: row.account_id,
      origin: row.origin,
      type: row.type,
      status: row.status,
      subject:
        // An erasure forgets the number's hash; the contact id (of a contact now deleted) still says whom it was about.
        row.subject_phone_hash === null && row.subject_contact_id === null
          ? null
          : { contactId: row.subject_contact_id, phone: key && row.subject_pii ? openSubject(key, row.id, row.subject_pii).phone : null },
      ...(options.staff ? { requester: key && row.requester_pii ? openRequester(key, row.id, row.requester_pii) : null } : {}),
      identityVerifiedAt: row.identity_verified_at?.toISOString() ?? null,
      receivedAt: row.received_at.toISOString(),
      dueAt: row.due_at.toISOString(),
      overdue: row.overdue_at !== null,
      completedAt: row.completed_at?.toISOString() ?? null,
      outcome: row.outcome,
      completionNote: row.completion_note,
      extensions: extensions.map((e) => ({
        id: e.id,
        days: e.days,
        reason: e.reason,
        status: e.status,
        createdAt: e.created_at.toISOString(),
      })),
    };
  }
}

export type DsrView = Awaited<ReturnType<DsrService['getForStaff']>>;
