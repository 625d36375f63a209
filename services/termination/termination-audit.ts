import type { EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import { appendAudit, type AuditEntry } from '../audit-log';

/**
 * appendAudit on a plain pg connection, inside that connection's transaction: the termination's
 * statements run on pg (batched deletes, row locks), and waiting there for an ORM connection could
 * deadlock. appendAudit only ever calls `execute(sql, params)` with `?` placeholders.
 */
export function appendAuditOnConnection(client: PoolClient, entry: AuditEntry): Promise<void> {
  const execute = async (sql: string, params: unknown[] = []) => {
    let n = 0;
    const { rows } = await client.query(
      sql.replace(/\?/g, () => `$${++n}`),
      params,
    );
    return rows;
  };
  return appendAudit({ execute } as unknown as EntityManager, entry);
}
