import { Pool } from 'pg';

/** Plain pg connections for COPY streaming, which the ORM does not expose; connections open lazily. */
export function createPgPool(databaseUrl: string, max: number): Pool {
  return new Pool({ connectionString: databaseUrl, max });
}
