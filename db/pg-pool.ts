import { Pool } from 'pg';

/** Plain pg connections for COPY streaming, which the ORM does not expose. */
export function createPgPool(databaseUrl: string, max = 4): Pool {
  return new Pool({ connectionString: databaseUrl, max });
}
