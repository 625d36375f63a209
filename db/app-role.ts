import { Client } from 'pg';

/** Tables the app may read and append to, never change: their triggers and rows belong to the owner. */
const APPEND_ONLY_TABLES = ['audit_log', 'audit_checkpoints', 'audit_retention_cuts'];
/** Rows the app disables but never deletes: audit entries keep naming who acted. */
const NEVER_DELETED_TABLES = ['staff_users'];
/** Owner functions the app calls: EXECUTE is revoked from PUBLIC (migration …20261206021000) and granted here. */
const APP_FUNCTIONS = [
  'audit_log_retention_cut(bigint, bytea, text, bytea)',
  'ensure_message_partitions(timestamptz, timestamptz)',
  'drop_message_partition(text, timestamptz, timestamptz)',
];
/** Owner-only bookkeeping. */
const OWNER_ONLY_TABLES = ['mikro_orm_migrations'];

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The role dev, tests and benchmarks run the app as; production names its own in DATABASE_URL. */
export const DEFAULT_APP_ROLE = 'massivesms_app';

/** The same database, logged in as another role (dev/test trust auth: no password). */
export function urlAsRole(databaseUrl: string, role: string): string {
  const url = new URL(databaseUrl);
  url.username = encodeURIComponent(role);
  url.password = '';
  return url.toString();
}

/** The login role a connection URL names (the app's, for DATABASE_URL). */
export function roleOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).username) || 'postgres';
}

/**
 * Creates the app's login role when missing (roles are cluster-wide, so this must tolerate a
 * concurrent creator and never drops it) and grants it data access only: it owns nothing, so it
 * cannot ALTER, DROP or disable a trigger, and on audit tables it may only SELECT and INSERT.
 * Runs as the owner after every migration, so tables added later are covered too.
 */
export async function grantAppRole(ownerUrl: string, appUrl: string): Promise<void> {
  const role = roleOf(appUrl);
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ owner: string }>('select current_user as owner');
    if (rows[0]!.owner === role) {
      throw new Error(`DATABASE_URL must name a role other than the migration owner (${role}); see README "Database roles"`);
    }
    const exists = await owner.query('select 1 from pg_roles where rolname = $1', [role]);
    if (exists.rowCount === 0) {
      try {
        await owner.query(`create role ${quoteIdent(role)} login`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42710' && (err as { code?: string }).code !== '23505') throw err;
      }
    }
    const r = quoteIdent(role);
    await owner.query(`
      revoke create on schema public from public;
      grant usage on schema public to ${r};
      grant select, insert, update, delete on all tables in schema public to ${r};
      grant usage, select on all sequences in schema public to ${r};
      alter default privileges in schema public grant select, insert, update, delete on tables to ${r};
      alter default privileges in schema public grant usage, select on sequences to ${r};
      revoke update, delete, truncate on ${APPEND_ONLY_TABLES.join(', ')} from ${r};
      revoke delete, truncate on ${NEVER_DELETED_TABLES.join(', ')} from ${r};
      revoke all on ${OWNER_ONLY_TABLES.join(', ')} from ${r};
      grant execute on function ${APP_FUNCTIONS.join(', ')} to ${r};
    `);
  } finally {
    await owner.end();
  }
}
