import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConsentPurpose } from './consent-defaults';

/** The hand-written SQL of consent records (append-only) and of the one profile column consents read. */

export interface ConsentRecord {
  id: string;
  purpose: ConsentPurpose;
  granted: boolean;
  policyVersion: string | null;
  method: 'holder_request';
  recordedAt: Date;
}

interface StoredConsent {
  id: string;
  purpose: ConsentPurpose;
  granted: boolean;
  policy_version: string | null;
  method: 'holder_request';
  recorded_at: string | Date;
}

const toRecord = (r: StoredConsent): ConsentRecord => ({
  id: r.id,
  purpose: r.purpose,
  granted: r.granted,
  policyVersion: r.policy_version,
  method: r.method,
  recordedAt: new Date(r.recorded_at),
});

export async function insertConsent(em: EntityManager, userId: string, record: ConsentRecord): Promise<void> {
  await em.execute(
    `insert into holder_consents (id, user_id, purpose, granted, policy_version, method, recorded_at) values (?, ?, ?, ?, ?, ?, ?)`,
    [record.id, userId, record.purpose, record.granted, record.policyVersion, record.method, record.recordedAt],
  );
}

/** The newest record per purpose (a purpose never chosen is absent). */
export async function latestConsents(em: EntityManager, userId: string): Promise<ConsentRecord[]> {
  const rows = await em.execute<StoredConsent[]>(
    `select distinct on (purpose) id, purpose, granted, policy_version, method, recorded_at from holder_consents
      where user_id = ? order by purpose, seq desc`,
    [userId],
  );
  return rows.map(toRecord);
}

/** Every record of the holder, newest first, at most `limit`. */
export async function consentHistory(em: EntityManager, userId: string, limit: number): Promise<ConsentRecord[]> {
  const rows = await em.execute<StoredConsent[]>(
    `select id, purpose, granted, policy_version, method, recorded_at from holder_consents
      where user_id = ? order by seq desc limit ?`,
    [userId, limit],
  );
  return rows.map(toRecord);
}

export async function holderCountry(em: EntityManager, userId: string): Promise<string | null> {
  const [row] = await em.execute<{ country: string | null }[]>('select country from holder_profiles where user_id = ?', [userId]);
  return row?.country ?? null;
}
