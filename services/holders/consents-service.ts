import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../lib/ids';
import type { SessionActor } from '../actor';
import { policiesAt } from '../policies/policy-store';
import { CONSENT_PURPOSES, consentDefault, type ConsentPurpose } from './consent-defaults';
import { consentHistory, holderCountry, insertConsent, latestConsents, type ConsentRecord } from './consent-store';

/** How many past records GET /v1/account/consents shows; the personal-data export has them all. */
export const CONSENT_HISTORY_SHOWN = 100;
/** Far more records than a person makes by hand; the export stops there. */
export const CONSENT_HISTORY_EXPORTED = 10_000;

export type ConsentChoices = Partial<Record<ConsentPurpose, boolean>>;

const recordView = (r: ConsentRecord) => ({
  purpose: r.purpose,
  granted: r.granted,
  policyVersion: r.policyVersion,
  how: r.method,
  recordedAt: r.recordedAt.toISOString(),
});

async function privacyVersionAt(em: EntityManager, at: Date): Promise<string | null> {
  const { inForce } = await policiesAt(em, at);
  return inForce.find((p) => p.kind === 'privacy')?.version ?? null;
}

/**
 * A holder's consents (product analytics, marketing email). A choice is a new record with the
 * Privacy Policy version in force; without one the default of the holder's country applies
 * (services/holders/consent-defaults.ts). Nothing is cached: every read, and every analytics capture,
 * sees a withdrawal the moment its transaction commits.
 */
export class ConsentsService {
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** Whether `purpose` is granted for this holder now. */
  async isGranted(em: EntityManager, userId: string, purpose: ConsentPurpose): Promise<boolean> {
    const chosen = (await latestConsents(em, userId)).find((r) => r.purpose === purpose);
    return chosen ? chosen.granted : consentDefault(purpose, await holderCountry(em, userId)).granted;
  }

  async current(em: EntityManager, userId: string) {
    const now = this.clock();
    const [latest, country, policyVersion, history] = [
      await latestConsents(em, userId),
      await holderCountry(em, userId),
      await privacyVersionAt(em, now),
      await consentHistory(em, userId, CONSENT_HISTORY_SHOWN),
    ];
    return {
      country,
      data: CONSENT_PURPOSES.map((purpose) => {
        const chosen = latest.find((r) => r.purpose === purpose);
        if (chosen) return { ...recordView(chosen), source: 'choice' as const };
        const byDefault = consentDefault(purpose, country);
        return { purpose, granted: byDefault.granted, policyVersion, how: byDefault.basis, recordedAt: null, source: 'default' as const };
      }),
      history: history.map(recordView),
    };
  }

  /** Records each purpose named in `choices`, at once; a purpose not named keeps what it had. */
  async record(em: EntityManager, actor: SessionActor, choices: ConsentChoices) {
    const now = this.clock();
    await em.transactional(async (tem) => {
      const policyVersion = await privacyVersionAt(tem, now);
      for (const purpose of CONSENT_PURPOSES) {
        const granted = choices[purpose];
        if (granted === undefined) continue;
        await insertConsent(tem, actor.userId, {
          id: uuidv7(now.getTime()),
          purpose,
          granted,
          policyVersion,
          method: 'holder_request',
          recordedAt: now,
        });
      }
    });
    return this.current(em, actor.userId);
  }

  /** Every record, oldest first, for the holder's personal-data export. */
  async history(em: EntityManager, userId: string) {
    return (await consentHistory(em, userId, CONSENT_HISTORY_EXPORTED)).reverse().map(recordView);
  }
}
