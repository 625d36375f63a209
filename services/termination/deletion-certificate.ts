import { createHmac, timingSafeEqual } from 'node:crypto';
import { msToNumber } from '@temporalio/common/lib/time';
import { DELETION_DEADLINE } from '../../workflows/lifecycle/termination';
import { KEPT_CLASSES } from './deletion-steps';

/** What a deletion certificate states; `mac` is an HMAC-SHA256 over everything else (canonical JSON). */
export interface DeletionCertificate {
  certificate: 'massivesms.account-deletion/v1';
  accountId: string;
  terminatedAt: string;
  /** Why deletion began: the controller (or staff) confirmed, or the 30-day grace ended. */
  trigger: 'confirmed' | 'grace_ended';
  deletionStartedAt: string;
  deletedAt: string;
  keyDestroyedAt: string;
  /**
   * The promise, measured on the termination process's clock: deletion finished (verified) within
   * 30 days of the termination. Absent from certificates of terminations begun before it was stated.
   */
  promise?: DeletionPromise;
  /** The account's workflows the termination ended (ids only). */
  endedWorkflows?: string[];
  /** Per table: rows holding personal data before and after (after is zero for every table). */
  tables: Record<string, { before: number; after: number }>;
  kept: readonly string[];
  mac: string;
}

export interface DeletionPromise {
  /** `finishedAt <= terminatedAt + 30 days` */
  rule: string;
  terminatedAt: string;
  finishedAt: string;
  kept: boolean;
}

/** The promise as kept or not by these instants. */
export function deletionPromise(terminatedAt: Date, finishedAt: Date): DeletionPromise {
  return {
    rule: `finishedAt <= terminatedAt + ${DELETION_DEADLINE}`,
    terminatedAt: terminatedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    kept: finishedAt.getTime() <= terminatedAt.getTime() + msToNumber(DELETION_DEADLINE),
  };
}

type Unsigned = Omit<DeletionCertificate, 'mac' | 'certificate' | 'kept'>;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const macOf = (key: Buffer, body: Omit<DeletionCertificate, 'mac'>) =>
  createHmac('sha256', key).update('massivesms/deletion-certificate\n').update(canonical(body)).digest('hex');

export function signDeletionCertificate(key: Buffer, facts: Unsigned): DeletionCertificate {
  const body = { certificate: 'massivesms.account-deletion/v1' as const, ...facts, kept: KEPT_CLASSES };
  return { ...body, mac: macOf(key, body) };
}

/** True when no field was changed since it was signed with `key`. */
export function verifyDeletionCertificate(key: Buffer, certificate: DeletionCertificate): boolean {
  const { mac, ...body } = certificate;
  const expected = Buffer.from(macOf(key, body), 'hex');
  const given = Buffer.from(mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
