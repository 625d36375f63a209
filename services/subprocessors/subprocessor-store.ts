import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../lib/ids';

/** The hand-written SQL of subprocessors, customers' objections and the public changelog. */

export interface SubprocessorRow {
  id: string;
  vendor: string;
  name: string;
  purpose: string;
  locations: string[];
  recipientData: boolean;
  status: 'pending' | 'active';
  announcedAt: Date;
  effectiveAt: Date;
  activatedAt: Date | null;
}

interface StoredSubprocessor {
  id: string;
  vendor: string;
  name: string;
  purpose: string;
  locations: string[];
  recipient_data: boolean;
  status: SubprocessorRow['status'];
  announced_at: string | Date;
  effective_at: string | Date;
  activated_at: string | Date | null;
}

const COLUMNS = 'id, vendor, name, purpose, locations, recipient_data, status, announced_at, effective_at, activated_at';
const toRow = (r: StoredSubprocessor): SubprocessorRow => ({
  id: r.id,
  vendor: r.vendor,
  name: r.name,
  purpose: r.purpose,
  locations: r.locations,
  recipientData: r.recipient_data,
  status: r.status,
  announcedAt: new Date(r.announced_at),
  effectiveAt: new Date(r.effective_at),
  activatedAt: r.activated_at === null ? null : new Date(r.activated_at),
});
export const pgTextArray = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

export async function insertSubprocessor(em: EntityManager, row: SubprocessorRow): Promise<boolean> {
  const rows = await em.execute(
    `insert into subprocessors (${COLUMNS}) values (?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?) on conflict (vendor) do nothing returning id`,
    [
      row.id,
      row.vendor,
      row.name,
      row.purpose,
      pgTextArray(row.locations),
      row.recipientData,
      row.status,
      row.announcedAt,
      row.effectiveAt,
      row.activatedAt,
    ],
  );
  return rows.length === 1;
}

export async function findSubprocessor(
  em: EntityManager,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<SubprocessorRow | null> {
  const [row] = await em.execute<StoredSubprocessor[]>(
    `select ${COLUMNS} from subprocessors where id = ?${options.forUpdate ? ' for update' : ''}`,
    [id],
  );
  return row ? toRow(row) : null;
}

/** Every subprocessor, active ones first, then by effective date (a short list: no pagination). */
export async function listSubprocessors(em: EntityManager): Promise<SubprocessorRow[]> {
  const rows = await em.execute<StoredSubprocessor[]>(`select ${COLUMNS} from subprocessors order by status, effective_at, vendor`);
  return rows.map(toRow);
}

/** Pending → active, once (false when it already was). */
export async function activateSubprocessor(em: EntityManager, id: string, at: Date): Promise<boolean> {
  const rows = await em.execute(
    `update subprocessors set status = 'active', activated_at = ? where id = ? and status = 'pending' returning id`,
    [at, id],
  );
  return rows.length === 1;
}

export interface ObjectionRow {
  id: string;
  subprocessorId: string;
  accountId: string;
  reason: string;
  status: 'open' | 'resolved' | 'unresolved';
  createdAt: Date;
  resolvedAt: Date | null;
}

interface StoredObjection {
  id: string;
  subprocessor_id: string;
  account_id: string;
  reason: string;
  status: ObjectionRow['status'];
  created_at: string | Date;
  resolved_at: string | Date | null;
}
const OBJECTION_COLUMNS = 'id, subprocessor_id, account_id, reason, status, created_at, resolved_at';
const toObjection = (r: StoredObjection): ObjectionRow => ({
  id: r.id,
  subprocessorId: r.subprocessor_id,
  accountId: r.account_id,
  reason: r.reason,
  status: r.status,
  createdAt: new Date(r.created_at),
  resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at),
});

/** One objection per account and subprocessor: null when the account already objected. */
export async function insertObjection(
  em: EntityManager,
  subprocessorId: string,
  accountId: string,
  reason: string,
  at: Date,
): Promise<ObjectionRow | null> {
  const rows = await em.execute<StoredObjection[]>(
    `insert into subprocessor_objections (id, subprocessor_id, account_id, reason, status, created_at)
     values (?, ?, ?, ?, 'open', ?) on conflict (subprocessor_id, account_id) do nothing returning ${OBJECTION_COLUMNS}`,
    [uuidv7(at.getTime()), subprocessorId, accountId, reason, at],
  );
  return rows[0] ? toObjection(rows[0]) : null;
}

/** The objections to one subprocessor; with `accountId`, only that account's (tenant scope). */
export async function objectionsTo(em: EntityManager, subprocessorId: string, accountId?: string): Promise<ObjectionRow[]> {
  const rows = await em.execute<StoredObjection[]>(
    `select ${OBJECTION_COLUMNS} from subprocessor_objections where subprocessor_id = ?${accountId ? ' and account_id = ?' : ''} order by id`,
    accountId ? [subprocessorId, accountId] : [subprocessorId],
  );
  return rows.map(toObjection);
}

export async function resolveObjection(
  em: EntityManager,
  subprocessorId: string,
  objectionId: string,
  status: 'resolved' | 'unresolved',
  by: string,
  at: Date,
): Promise<ObjectionRow | null> {
  const rows = await em.execute<StoredObjection[]>(
    `update subprocessor_objections set status = ?, resolved_at = ?, resolved_by = ?
     where id = ? and subprocessor_id = ? returning ${OBJECTION_COLUMNS}`,
    [status, at, by, objectionId, subprocessorId],
  );
  return rows[0] ? toObjection(rows[0]) : null;
}

export interface ChangelogRow {
  id: string;
  publishedAt: Date;
  kind: string;
  ref: string;
  title: string;
  body: string;
}

/** Once per `ref` (a retried activity publishes nothing twice). */
export async function publishChangelog(em: EntityManager, entry: Omit<ChangelogRow, 'id'>): Promise<void> {
  await em.execute(
    `insert into changelog_entries (id, published_at, kind, ref, title, body) values (?, ?, ?, ?, ?, ?) on conflict (ref) do nothing`,
    [uuidv7(), entry.publishedAt, entry.kind, entry.ref, entry.title, entry.body],
  );
}

/** Newest first; `before` is the last id of the previous page. */
export async function listChangelog(em: EntityManager, before: string | undefined, limit: number): Promise<ChangelogRow[]> {
  const rows = await em.execute<{ id: string; published_at: string; kind: string; ref: string; title: string; body: string }[]>(
    `select id, published_at, kind, ref, title, body from changelog_entries ${before ? 'where id < ?' : ''} order by id desc limit ?`,
    before ? [before, limit] : [limit],
  );
  return rows.map((r) => ({ id: r.id, publishedAt: new Date(r.published_at), kind: r.kind, ref: r.ref, title: r.title, body: r.body }));
}
