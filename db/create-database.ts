import { Client } from 'pg';

/** Runs `fn` on a connection to the server's `postgres` database, with the target database's name. */
async function withAdminClient(databaseUrl: string, fn: (admin: Client, quotedName: string) => Promise<void>): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await fn(admin, `"${name.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
}

/** Creates the database named in the URL when it is missing. */
export function ensureDatabase(databaseUrl: string): Promise<void> {
  return withAdminClient(databaseUrl, async (admin, quoted) => {
    const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await admin.query(`create database ${quoted}`);
  });
}

export function dropDatabase(databaseUrl: string): Promise<void> {
  return withAdminClient(databaseUrl, async (admin, quoted) => {
    await admin.query(`drop database if exists ${quoted} with (force)`);
  });
}
