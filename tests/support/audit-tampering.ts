import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/**
 * Tampers as the schema owner (an attacker with database access but without MASTER_KEY) with the
 * append-only triggers off, runs `check` in the same transaction, and rolls back, so every case
 * starts from the intact chain.
 */
export async function afterTampering<T>(
  owner: MikroORM,
  tamper: (em: EntityManager) => Promise<void>,
  check: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const em = owner.em.fork();
  await em.begin();
  try {
    await em.execute('alter table audit_log disable trigger audit_log_append_only');
    await em.execute('alter table audit_checkpoints disable trigger audit_checkpoints_append_only');
    await tamper(em);
    return await check(em);
  } finally {
    await em.rollback();
  }
}
