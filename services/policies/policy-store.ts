import type { EntityManager } from '@mikro-orm/postgresql';

/** The hand-written SQL of Privacy Policy and DPA versions. */

export type PolicyKind = 'privacy' | 'dpa';

export interface PolicyVersionRow {
  kind: PolicyKind;
  version: string;
  body: string | null;
  url: string | null;
  material: boolean;
  effectiveAt: Date;
  publishedAt: Date;
  publishedBy: string;
}

interface StoredPolicy {
  kind: PolicyKind;
  version: string;
  body: string | null;
  url: string | null;
  material: boolean;
  effective_at: string | Date;
  published_at: string | Date;
  published_by: string;
}
const COLUMNS = 'kind, version, body, url, material, effective_at, published_at, published_by';
const toRow = (r: StoredPolicy): PolicyVersionRow => ({
  kind: r.kind,
  version: r.version,
  body: r.body,
  url: r.url,
  material: r.material,
  effectiveAt: new Date(r.effective_at),
  publishedAt: new Date(r.published_at),
  publishedBy: r.published_by,
});

/** False when this kind already has this version. */
export async function insertPolicyVersion(em: EntityManager, row: PolicyVersionRow): Promise<boolean> {
  const rows = await em.execute(
    `insert into policy_versions (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning version`,
    [row.kind, row.version, row.body, row.url, row.material, row.effectiveAt, row.publishedAt, row.publishedBy],
  );
  return rows.length === 1;
}

export async function findPolicyVersion(em: EntityManager, kind: PolicyKind, version: string): Promise<PolicyVersionRow | null> {
  const [row] = await em.execute<StoredPolicy[]>(`select ${COLUMNS} from policy_versions where kind = ? and version = ?`, [kind, version]);
  return row ? toRow(row) : null;
}

/** The latest effective date of a kind (a new version must come after it), locking the kind's rows. */
export async function latestEffectiveAt(em: EntityManager, kind: PolicyKind): Promise<Date | null> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`policy_versions:${kind}`]);
  const [row] = await em.execute<{ at: string | null }[]>(`select max(effective_at) as at from policy_versions where kind = ?`, [kind]);
  return row?.at ? new Date(row.at) : null;
}

/** For each kind: the version in force at `now` (latest effective_at ≤ now) and the next one after it. */
export async function policiesAt(em: EntityManager, now: Date): Promise<{ inForce: PolicyVersionRow[]; upcoming: PolicyVersionRow[] }> {
  const inForce = await em.execute<StoredPolicy[]>(
    `select distinct on (kind) ${COLUMNS} from policy_versions where effective_at <= ? order by kind, effective_at desc`,
    [now],
  );
  const upcoming = await em.execute<StoredPolicy[]>(
    `select distinct on (kind) ${COLUMNS} from policy_versions where effective_at > ? order by kind, effective_at asc`,
    [now],
  );
  return { inForce: inForce.map(toRow), upcoming: upcoming.map(toRow) };
}
