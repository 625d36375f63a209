import type { EntityManager } from '@mikro-orm/postgresql';

/** The hand-written SQL of the breach register. */

export interface BreachAssessment {
  description: string;
  nature: string;
  subjectCategories: string[];
  recordCategories: string[];
  approxSubjects: number | null;
  approxRecords: number | null;
  likelyConsequences: string;
  measures: string;
  contact: string;
}

export interface BreachRow extends BreachAssessment {
  id: string;
  awareAt: Date;
  declaredAt: Date;
  declaredBy: string;
  affectsAll: boolean;
  noticeRequired: boolean;
  noNoticeReason: string | null;
  status: 'assessing' | 'approved' | 'no_notice';
  contentVersion: number;
  approvedAt: Date | null;
  approvedBy: string | null;
}

interface StoredBreach {
  id: string;
  description: string;
  aware_at: string | Date;
  declared_at: string | Date;
  declared_by: string;
  nature: string;
  subject_categories: string[];
  record_categories: string[];
  approx_subjects: number | null;
  approx_records: number | null;
  likely_consequences: string;
  measures: string;
  contact: string;
  affects_all: boolean;
  notice_required: boolean;
  no_notice_reason: string | null;
  status: BreachRow['status'];
  content_version: number;
  approved_at: string | Date | null;
  approved_by: string | null;
}

const COLUMNS = `id, description, aware_at, declared_at, declared_by, nature, subject_categories, record_categories,
  approx_subjects, approx_records, likely_consequences, measures, contact, affects_all, notice_required,
  no_notice_reason, status, content_version, approved_at, approved_by`;

const date = (v: string | Date | null) => (v === null ? null : new Date(v));

const toRow = (r: StoredBreach): BreachRow => ({
  id: r.id,
  description: r.description,
  awareAt: new Date(r.aware_at),
  declaredAt: new Date(r.declared_at),
  declaredBy: r.declared_by,
  nature: r.nature,
  subjectCategories: r.subject_categories,
  recordCategories: r.record_categories,
  approxSubjects: r.approx_subjects,
  approxRecords: r.approx_records,
  likelyConsequences: r.likely_consequences,
  measures: r.measures,
  contact: r.contact,
  affectsAll: r.affects_all,
  noticeRequired: r.notice_required,
  noNoticeReason: r.no_notice_reason,
  status: r.status,
  contentVersion: r.content_version,
  approvedAt: date(r.approved_at),
  approvedBy: r.approved_by,
});

const pgArray = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

export async function insertBreach(em: EntityManager, row: BreachRow, affectedAccountIds: readonly string[]): Promise<void> {
  await em.execute(
    `insert into breaches (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?::text[], ?::text[], ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.description,
      row.awareAt,
      row.declaredAt,
      row.declaredBy,
      row.nature,
      pgArray(row.subjectCategories),
      pgArray(row.recordCategories),
      row.approxSubjects,
      row.approxRecords,
      row.likelyConsequences,
      row.measures,
      row.contact,
      row.affectsAll,
      row.noticeRequired,
      row.noNoticeReason,
      row.status,
      row.contentVersion,
      row.approvedAt,
      row.approvedBy,
    ],
  );
  if (affectedAccountIds.length > 0) {
    await em.execute(`insert into breach_affected_accounts (breach_id, account_id) select ?, unnest(?::uuid[])`, [
      row.id,
      pgArray(affectedAccountIds),
    ]);
  }
}

export async function findBreach(em: EntityManager, id: string, options: { forUpdate?: boolean } = {}): Promise<BreachRow | null> {
  const [row] = await em.execute<StoredBreach[]>(`select ${COLUMNS} from breaches where id = ?${options.forUpdate ? ' for update' : ''}`, [
    id,
  ]);
  return row ? toRow(row) : null;
}

/** A page of the register, newest declaration first (ids are UUIDv7). */
export async function listBreaches(em: EntityManager, before: string | undefined, limit: number): Promise<BreachRow[]> {
  const rows = await em.execute<StoredBreach[]>(
    `select ${COLUMNS} from breaches ${before ? 'where id < ?' : ''} order by id desc limit ?`,
    before ? [before, limit] : [limit],
  );
  return rows.map(toRow);
}

export async function affectedAccounts(em: EntityManager, breachIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (breachIds.length === 0) return out;
  const rows = await em.execute<{ breach_id: string; account_id: string }[]>(
    `select breach_id, account_id from breach_affected_accounts where breach_id = any(?::uuid[]) order by account_id`,
    [pgArray(breachIds)],
  );
  for (const r of rows) out.set(r.breach_id, [...(out.get(r.breach_id) ?? []), r.account_id]);
  return out;
}

export async function existingAccounts(em: EntityManager, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await em.execute<{ id: string }[]>(`select id from accounts where id = any(?::uuid[])`, [pgArray(ids)]);
  return new Set(rows.map((r) => r.id));
}

export async function approveBreach(
  em: EntityManager,
  id: string,
  by: string,
  at: Date,
  assessment: BreachAssessment | null,
): Promise<void> {
  if (assessment) {
    await em.execute(
      `update breaches set description = ?, nature = ?, subject_categories = ?::text[], record_categories = ?::text[],
         approx_subjects = ?, approx_records = ?, likely_consequences = ?, measures = ?, contact = ?,
         content_version = content_version + 1 where id = ?`,
      [
        assessment.description,
        assessment.nature,
        pgArray(assessment.subjectCategories),
        pgArray(assessment.recordCategories),
        assessment.approxSubjects,
        assessment.approxRecords,
        assessment.likelyConsequences,
        assessment.measures,
        assessment.contact,
        id,
      ],
    );
  }
  await em.execute(`update breaches set status = 'approved', approved_at = ?, approved_by = ? where id = ?`, [at, by, id]);
}

export interface BreachUpdateRow {
  seq: number;
  summary: string;
  createdAt: Date;
}

export async function insertBreachUpdate(em: EntityManager, breachId: string, summary: string, by: string, at: Date): Promise<number> {
  const [row] = await em.execute<{ seq: number }[]>(
    `insert into breach_updates (breach_id, seq, summary, created_at, created_by)
     select ?, coalesce(max(seq), 0) + 1, ?, ?, ? from breach_updates where breach_id = ? returning seq`,
    [breachId, summary, at, by, breachId],
  );
  return row!.seq;
}

export async function breachUpdates(em: EntityManager, breachId: string): Promise<BreachUpdateRow[]> {
  const rows = await em.execute<{ seq: number; summary: string; created_at: string }[]>(
    `select seq, summary, created_at from breach_updates where breach_id = ? order by seq`,
    [breachId],
  );
  return rows.map((r) => ({ seq: r.seq, summary: r.summary, createdAt: new Date(r.created_at) }));
}

/** Whether staff asked to close the breach: the audit entry written in that decision's transaction is its record. */
export async function closeRequested(em: EntityManager, breachId: string): Promise<boolean> {
  const rows = await em.execute(`select 1 from audit_log where action = 'breach.close_requested' and target_id = ? limit 1`, [
    `breach:${breachId}`,
  ]);
  return rows.length > 0;
}
