import type { Pool } from 'pg';

/**
 * Every column of every table of the public schema (from information_schema) that holds one of
 * `values`: bytea columns compared byte for byte, text and json columns searched for the hex and
 * base64 forms. Tables in `except` are skipped. Returns "table.column" for every hit.
 */
export async function columnsHolding(pool: Pool, values: Buffer[], except: readonly string[] = []): Promise<string[]> {
  const { rows: columns } = await pool.query<{ table_name: string; column_name: string; data_type: string }>(
    `select c.table_name, c.column_name, c.data_type from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
       join pg_class pc on pc.relname = c.table_name and pc.relnamespace = 'public'::regnamespace and not pc.relispartition
      where c.table_schema = 'public' order by c.table_name, c.ordinal_position`,
  );
  const texts = values.flatMap((v) => [`%${v.toString('hex')}%`, `%${v.toString('base64')}%`]);
  const hits: string[] = [];
  for (const c of columns) {
    if (except.includes(c.table_name)) continue;
    const column = `"${c.column_name}"`;
    let sql: string | null = null;
    let params: unknown[] = [];
    if (c.data_type === 'bytea') {
      sql = `select count(*)::int as n from "${c.table_name}" where ${column} = any ($1::bytea[])`;
      params = [values];
    } else if (['text', 'jsonb', 'json', 'character varying', 'ARRAY'].includes(c.data_type)) {
      sql = `select count(*)::int as n from "${c.table_name}" where ${column}::text like any ($1::text[])`;
      params = [texts];
    }
    if (!sql) continue;
    const { rows } = await pool.query<{ n: number }>(sql, params);
    if (rows[0]!.n > 0) hits.push(`${c.table_name}.${c.column_name}`);
  }
  return hits;
}
