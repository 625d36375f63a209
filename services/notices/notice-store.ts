import { holderEmailsByAccount } from '../holders/memberships';
import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../lib/ids';

/** The hand-written SQL of notices: in-product notices and the record of every notice delivered. */

/** Who a phase of a notice process goes to; resolved in SQL so "every account" is never a list in memory. */
export type NoticeAudience =
  { kind: 'breach'; breachId: string } | { kind: 'active_accounts'; createdBefore: Date } | { kind: 'objectors'; subprocessorId: string };

function audienceSql(a: NoticeAudience): { sql: string; params: unknown[] } {
  switch (a.kind) {
    case 'breach':
      return {
        sql: `select account_id as id from breach_affected_accounts where breach_id = ?
              union select id from accounts where status = 'active' and (select affects_all from breaches where id = ?)`,
        params: [a.breachId, a.breachId],
      };
    case 'active_accounts':
      return { sql: `select id from accounts where status = 'active' and created_at <= ?`, params: [a.createdBefore] };
    case 'objectors':
      return {
        sql: `select account_id as id from subprocessor_objections where subprocessor_id = ? and status <> 'resolved'`,
        params: [a.subprocessorId],
      };
  }
}

/** The next accounts of the audience not yet sent this phase, in id order. */
export async function accountsOwed(
  em: EntityManager,
  processId: string,
  phase: string,
  audience: NoticeAudience,
  limit: number,
): Promise<string[]> {
  const { sql, params } = audienceSql(audience);
  const rows = await em.execute<{ id: string }[]>(
    `select t.id from (${sql}) t
     where not exists (select 1 from notice_deliveries d
                       where d.process_id = ? and d.phase = ? and d.recipient_kind = 'account' and d.recipient_id = t.id)
     order by t.id limit ?`,
    [...params, processId, phase, limit],
  );
  return rows.map((r) => r.id);
}

/** The admin contacts of each account (its holders' emails), oldest membership first. */
export const adminContacts = holderEmailsByAccount;

/** Active staff users of the given roles (breach reminders go to security and privacy). */
export async function staffWithRoles(em: EntityManager, roles: readonly string[]): Promise<{ id: string; email: string }[]> {
  return em.execute<{ id: string; email: string }[]>(
    `select id, email from staff_users where disabled_at is null and role = any(?::text[]) order by id`,
    [`{${roles.join(',')}}`],
  );
}

export interface DeliveryRecord {
  processId: string;
  phase: string;
  recipientKind: 'account' | 'staff';
  recipientId: string;
  contentVersion: string;
  sentAt: Date;
  /** sent, or why not: no_contact, vendor_not_allowed, failed:<provider code>. */
  email: string;
  emailId: string | null;
}

/** Records a delivery once; false when it was already recorded (a retried activity). */
export async function recordDelivery(em: EntityManager, d: DeliveryRecord): Promise<boolean> {
  const rows = await em.execute<{ recipient_id: string }[]>(
    `insert into notice_deliveries (process_id, phase, recipient_kind, recipient_id, content_version, sent_at, email, email_id)
     values (?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning recipient_id`,
    [d.processId, d.phase, d.recipientKind, d.recipientId, d.contentVersion, d.sentAt, d.email, d.emailId],
  );
  return rows.length === 1;
}

export async function isDelivered(em: EntityManager, processId: string, phase: string, kind: 'account' | 'staff', id: string) {
  const rows = await em.execute(
    `select 1 from notice_deliveries where process_id = ? and phase = ? and recipient_kind = ? and recipient_id = ?`,
    [processId, phase, kind, id],
  );
  return rows.length > 0;
}

export interface DeliveryRow {
  processId: string;
  phase: string;
  recipientKind: 'account' | 'staff';
  recipientId: string;
  contentVersion: string;
  sentAt: Date;
  email: string;
}

/** Every delivery of the given processes, in send order. */
export async function deliveriesOf(em: EntityManager, processIds: readonly string[]): Promise<DeliveryRow[]> {
  if (processIds.length === 0) return [];
  const rows = await em.execute<
    {
      process_id: string;
      phase: string;
      recipient_kind: 'account' | 'staff';
      recipient_id: string;
      content_version: string;
      sent_at: string;
      email: string;
    }[]
  >(
    `select process_id, phase, recipient_kind, recipient_id, content_version, sent_at, email from notice_deliveries
     where process_id = any(?::text[]) order by sent_at, phase, recipient_id`,
    [`{${processIds.map((p) => `"${p}"`).join(',')}}`],
  );
  return rows.map((r) => ({
    processId: r.process_id,
    phase: r.phase,
    recipientKind: r.recipient_kind,
    recipientId: r.recipient_id,
    contentVersion: r.content_version,
    sentAt: new Date(r.sent_at),
    email: r.email,
  }));
}

export interface CustomerNoticeInput {
  processId: string;
  phase: string;
  /** null: every account sees it. */
  accountId: string | null;
  title: string;
  body: string;
  contentVersion: string;
  shownFrom: Date;
  shownUntil: Date | null;
}

export async function insertCustomerNotice(em: EntityManager, n: CustomerNoticeInput): Promise<void> {
  await em.execute(
    `insert into customer_notices (id, process_id, phase, account_id, title, body, content_version, shown_from, shown_until)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
    [uuidv7(), n.processId, n.phase, n.accountId, n.title, n.body, n.contentVersion, n.shownFrom, n.shownUntil],
  );
}

export interface CustomerNoticeRow {
  id: string;
  processId: string;
  phase: string;
  title: string;
  body: string;
  contentVersion: string;
  shownFrom: Date;
  shownUntil: Date | null;
}

/** An account's notices still shown at `now` (a banner ends at its `shown_until`): its own and every account's, newest first. */
export async function noticesFor(em: EntityManager, accountId: string, now: Date, limit: number): Promise<CustomerNoticeRow[]> {
  const rows = await em.execute<
    {
      id: string;
      process_id: string;
      phase: string;
      title: string;
      body: string;
      content_version: string;
      shown_from: string;
      shown_until: string | null;
    }[]
  >(
    `select id, process_id, phase, title, body, content_version, shown_from, shown_until from customer_notices
     where (account_id = ? or account_id is null) and (shown_until is null or shown_until > ?)
     order by shown_from desc, id desc limit ?`,
    [accountId, now, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    processId: r.process_id,
    phase: r.phase,
    title: r.title,
    body: r.body,
    contentVersion: r.content_version,
    shownFrom: new Date(r.shown_from),
    shownUntil: r.shown_until === null ? null : new Date(r.shown_until),
  }));
}
