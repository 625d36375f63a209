import type { Pool } from 'pg';

/**
 * Whether an account's personal data may reach a vendor: only an active subprocessor, and never one
 * the account objected to without the objection being resolved (the affected scope). Asked before
 * every adapter call that sends personal data (carrier sends, emails). An unknown vendor is refused.
 */
export interface SubprocessorGate {
  allowed(accountId: string, vendor: string): boolean;
}

/**
 * One set-based query for a whole batch of accounts (the send path asks once per batch, never per
 * message): the active vendors and, among the given accounts, who objected to which of them.
 */
export async function loadSubprocessorGate(pool: Pool, accountIds: readonly string[]): Promise<SubprocessorGate> {
  const { rows } = await pool.query<{ vendor: string; blocked: string[] }>(
    `select s.vendor, coalesce(array_agg(o.account_id::text) filter (where o.account_id is not null), '{}') as blocked
     from subprocessors s
     left join subprocessor_objections o
       on o.subprocessor_id = s.id and o.status <> 'resolved' and o.account_id = any($1::uuid[])
     where s.status = 'active'
     group by s.vendor`,
    [[...new Set(accountIds)]],
  );
  const active = new Map(rows.map((r) => [r.vendor, new Set(r.blocked)]));
  return {
    allowed: (accountId, vendor) => {
      const blocked = active.get(vendor);
      return blocked !== undefined && !blocked.has(accountId);
    },
  };
}
