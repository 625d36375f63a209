import { holderEmails } from '../holders/memberships';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DsrOutcome, DsrType } from '../../workflows/lifecycle/dsr';

/** The hand-written SQL of data subject requests. Every read a customer reaches is scoped by account. */

export type DsrOrigin = 'customer' | 'staff';
export type DsrRowStatus = 'awaiting_identity' | 'open' | 'completed';

export interface DsrRow {
  id: string;
  account_id: string;
  origin: DsrOrigin;
  type: DsrType;
  status: DsrRowStatus;
  subject_contact_id: string | null;
  subject_phone_hash: Buffer | null;
  subject_pii: Buffer | null;
  requester_pii: Buffer | null;
  created_by_type: string;
  created_by_id: string;
  identity_verified_at: Date | null;
  identity_verified_by: string | null;
  received_at: Date;
  due_at: Date;
  overdue_at: Date | null;
  completed_at: Date | null;
  outcome: DsrOutcome | null;
  completion_note: string | null;
  updated_at: Date;
}

export interface ExtensionRow {
  id: string;
  request_id: string;
  days: number;
  reason: string;
  status: 'pending' | 'applied' | 'refused';
  requested_by: string;
  created_at: Date;
  decided_at: Date | null;
}

/** Raw SQL hands timestamptz back as text: these become Dates. */
const DSR_TIMES = ['identity_verified_at', 'received_at', 'due_at', 'overdue_at', 'completed_at', 'updated_at'] as const;
const EXTENSION_TIMES = ['created_at', 'decided_at'] as const;

function withDates<T>(row: T, fields: readonly string[]): T {
  const r = row as Record<string, unknown>;
  for (const f of fields) if (r[f] !== null && r[f] !== undefined && !(r[f] instanceof Date)) r[f] = new Date(r[f] as string);
  return row;
}
const dsrRows = (rows: DsrRow[]) => rows.map((r) => withDates(r, DSR_TIMES));
const extensionRows = (rows: ExtensionRow[]) => rows.map((r) => withDates(r, EXTENSION_TIMES));

export type NewDsrRow = Omit<
  DsrRow,
  'identity_verified_at' | 'identity_verified_by' | 'overdue_at' | 'completed_at' | 'outcome' | 'completion_note' | 'updated_at'
>;

export async function insertDsr(em: EntityManager, row: NewDsrRow): Promise<void> {
  await em.execute(
    `insert into data_subject_requests (id, account_id, origin, type, status, subject_contact_id, subject_phone_hash, subject_pii,
       requester_pii, created_by_type, created_by_id, received_at, due_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.account_id,
      row.origin,
      row.type,
      row.status,
      row.subject_contact_id,
      row.subject_phone_hash,
      row.subject_pii,
      row.requester_pii,
      row.created_by_type,
      row.created_by_id,
      row.received_at,
      row.due_at,
      row.received_at,
    ],
  );
}

export async function deleteDsr(em: EntityManager, id: string): Promise<void> {
  await em.execute('delete from data_subject_requests where id = ?', [id]);
}

/** One request; with `accountId`, only if it is that account's. */
export async function findDsr(em: EntityManager, id: string, accountId?: string): Promise<DsrRow | undefined> {
  const [row] = dsrRows(
    await em.execute<DsrRow[]>(
      `select * from data_subject_requests where id = ? ${accountId ? 'and account_id = ?' : ''}`,
      accountId ? [id, accountId] : [id],
    ),
  );
  return row;
}

/** A page (plus one row) in id order, newest first; `accountId` scopes it to one account. */
export async function pageDsrs(em: EntityManager, page: { limit: number; before?: string; accountId?: string }): Promise<DsrRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (page.accountId) {
    where.push('account_id = ?');
    params.push(page.accountId);
  }
  if (page.before) {
    where.push('id < ?');
    params.push(page.before);
  }
  params.push(page.limit + 1);
  return dsrRows(
    await em.execute<DsrRow[]>(
      `select * from data_subject_requests ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ?`,
      params,
    ),
  );
}

export async function extensionsOf(em: EntityManager, requestIds: string[]): Promise<ExtensionRow[]> {
  if (requestIds.length === 0) return [];
  return extensionRows(
    await em.execute<ExtensionRow[]>(
      `select * from data_subject_request_extensions where request_id in (${requestIds.map(() => '?').join(', ')}) order by created_at, id`,
      requestIds,
    ),
  );
}

export async function insertExtension(em: EntityManager, row: Omit<ExtensionRow, 'status' | 'decided_at'>): Promise<void> {
  await em.execute(
    `insert into data_subject_request_extensions (id, request_id, days, reason, status, requested_by, created_at)
     values (?, ?, ?, ?, 'pending', ?, ?)`,
    [row.id, row.request_id, row.days, row.reason, row.requested_by, row.created_at],
  );
}

/** Marks a pending extension applied (moving the due date) or refused; a replayed call changes nothing. */
export async function decideExtension(
  em: EntityManager,
  requestId: string,
  extensionId: string,
  decision: { applied: true; dueAt: Date } | { applied: false },
  at: Date,
): Promise<ExtensionRow | undefined> {
  const [ext] = extensionRows(
    await em.execute<ExtensionRow[]>(
      `update data_subject_request_extensions set status = ?, decided_at = ?
       where id = ? and request_id = ? and status = 'pending' returning *`,
      [decision.applied ? 'applied' : 'refused', at, extensionId, requestId],
    ),
  );
  if (ext && decision.applied) {
    await em.execute('update data_subject_requests set due_at = ?, updated_at = ? where id = ?', [decision.dueAt, at, requestId]);
  }
  return ext;
}

export async function markIdentityVerified(em: EntityManager, id: string, staffUserId: string, at: Date): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update data_subject_requests set status = 'open', identity_verified_at = ?, identity_verified_by = ?, updated_at = ?
     where id = ? and status = 'awaiting_identity' returning id`,
    [at, staffUserId, at, id],
  );
  return rows.length > 0;
}

export async function markOverdue(em: EntityManager, id: string, at: Date): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update data_subject_requests set overdue_at = ?, updated_at = ? where id = ? and overdue_at is null and status <> 'completed' returning id`,
    [at, at, id],
  );
  return rows.length > 0;
}

export async function markCompleted(em: EntityManager, id: string, outcome: DsrOutcome, at: Date): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update data_subject_requests set status = 'completed', completed_at = ?, outcome = ?::jsonb, updated_at = ?
     where id = ? and status <> 'completed' returning id`,
    [at, JSON.stringify(outcome), at, id],
  );
  return rows.length > 0;
}

export async function setCompletionNote(em: EntityManager, id: string, note: string): Promise<void> {
  await em.execute('update data_subject_requests set completion_note = ?, updated_at = now() where id = ?', [note, id]);
}

/** An erasure leaves the request's own record without the number: the hash still names the subject. */
export async function dropSubjectPii(em: EntityManager, id: string): Promise<void> {
  await em.execute('update data_subject_requests set subject_pii = null where id = ?', [id]);
}

/**
 * Once an erasure is completed, no request of the account keeps the subject's number: the completed
 * ones (the erasure itself included) lose the hash and the sealed number; they stay as the record
 * that each was received and answered. Open ones keep theirs until they are done.
 */
export async function forgetErasedSubject(em: EntityManager, accountId: string, phoneHash: Buffer): Promise<void> {
  await em.execute(
    `update data_subject_requests set subject_phone_hash = null, subject_pii = null
     where account_id = ? and subject_phone_hash = ? and status = 'completed'`,
    [accountId, phoneHash],
  );
}

/** Active privacy staff: who the reminders and overdue notices go to. */
export async function privacyStaffEmails(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<{ email: string }[]>(
    `select email from staff_users where role = 'privacy' and disabled_at is null order by email`,
  );
  return rows.map((r) => r.email);
}

/** The account holders' addresses: who hears about a customer's own request. */
export async function accountHolderEmails(em: EntityManager, accountId: string): Promise<string[]> {
  return holderEmails(em, accountId);
}
